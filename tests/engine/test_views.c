/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_views.c — what the control socket reads from the
 * engine: the events monitors get at each change, the longest-prefix
 * match of "show route", and the chunked walk whose cursor survives
 * deletes, additions and table growth between chunks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/babel.h"
#include "tests/engine/harness.h"

#define T(f) cmocka_unit_test_teardown(f, h_teardown)

static bool addr_is(const struct babel_addr *a, int nbi)
{
	struct babel_addr b = nb_addr(nbi);

	return a->af == b.af && !memcmp(a->addr, b.addr, 16);
}

static bool prefix_is(const struct babel_prefix *p, const char *s)
{
	struct babel_prefix q = pfx(s);

	return p->af == q.af && p->plen == q.plen &&
	       !memcmp(p->addr, q.addr, q.af == BABEL_AF_INET ? 4 : 16);
}

/* ------------------------------------------------------------ events */

static void test_no_event_is_reported_until_events_are_turned_on(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 5, 100));
	assert_int_equal(babel_originate(h->b, &(struct babel_prefix){ 0 }, NULL, 0,
					 h->now), -EINVAL);
	assert_int_equal(h->nev, 0);
	babel_set_events(h->b, true);
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 6, 100));
	assert_int_equal(h->nev, 1);
	babel_set_events(h->b, false);
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 7, 100));
	assert_int_equal(h->nev, 1);
}

static void test_each_route_change_is_one_event_at_the_change(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_addr a1 = nb_addr(1);

	babel_set_events(h->b, true);
	bring_up(h, 1, false);
	assert_true(h->nev >= 1);
	assert_int_equal(h->ev[0].kind, 'n');
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_ADD);
	assert_true(addr_is(&h->ev[0].addr, 1));

	/* learned, then selected: babeld's add ... installed no, change */
	h->nev = 0;
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 5, 100));
	assert_int_equal(h->nev, 2);
	assert_int_equal(h->ev[0].kind, 'r');
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_ADD);
	assert_false(h->ev[0].selected);
	assert_true(prefix_is(&h->ev[0].p, "10.9.0.0/16"));
	assert_int_equal(h->ev[1].ev, BABEL_EVENT_CHANGE);
	assert_true(h->ev[1].selected);

	/* the same update again changes nothing */
	h->nev = 0;
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 5, 100));
	assert_int_equal(h->nev, 0);

	/* a new seqno is a change */
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 6, 100));
	assert_int_equal(h->nev, 1);
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_CHANGE);
	assert_int_equal(h->ev[0].seqno, 6);

	/* a retraction: the route goes to infinity, then is unselected */
	h->nev = 0;
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 6, BABEL_INFINITY));
	assert_int_equal(h->nev, 2);
	assert_int_equal(h->ev[0].refmetric, BABEL_INFINITY);
	assert_int_equal(h->ev[1].ev, BABEL_EVENT_CHANGE);
	assert_false(h->ev[1].selected);

	/* the neighbour goes: its cost is infinite, its route is flushed,
	 * then it is */
	h->nev = 0;
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a1, h->now), 0);
	assert_int_equal(h->nev, 3);
	assert_int_equal(h->ev[0].kind, 'n');
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_CHANGE);
	assert_int_equal(h->ev[0].metric, BABEL_INFINITY);
	assert_int_equal(h->ev[1].kind, 'r');
	assert_int_equal(h->ev[1].ev, BABEL_EVENT_FLUSH);
	assert_int_equal(h->ev[2].kind, 'n');
	assert_int_equal(h->ev[2].ev, BABEL_EVENT_FLUSH);
}

static void test_a_better_route_elsewhere_is_two_change_events(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.8.0.0/16", 1, 5, 400));
	babel_set_events(h->b, true);
	send1(h, 1, upd(1, "10.8.0.0/16", 1, 5, 50));	/* 350 better: at once */
	assert_int_equal(h->nev, 3);
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_ADD);
	assert_true(addr_is(&h->ev[0].addr, 1));
	assert_int_equal(h->ev[1].ev, BABEL_EVENT_CHANGE);	/* old, unselected */
	assert_true(addr_is(&h->ev[1].addr, 0));
	assert_false(h->ev[1].selected);
	assert_int_equal(h->ev[2].ev, BABEL_EVENT_CHANGE);	/* new, selected */
	assert_true(addr_is(&h->ev[2].addr, 1));
	assert_true(h->ev[2].selected);
}

static void test_originated_prefixes_are_add_change_flush_events(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("2001:db8:5::/48");

	babel_set_events(h->b, true);
	assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	assert_int_equal(babel_originate(h->b, &p, NULL, 7, h->now), 0);
	assert_int_equal(babel_withdraw(h->b, &p, NULL, h->now), 0);
	assert_int_equal(h->nev, 3);
	assert_int_equal(h->ev[0].kind, 'x');
	assert_int_equal(h->ev[0].ev, BABEL_EVENT_ADD);
	assert_int_equal(h->ev[1].ev, BABEL_EVENT_CHANGE);
	assert_int_equal(h->ev[1].metric, 7);
	assert_int_equal(h->ev[2].ev, BABEL_EVENT_FLUSH);
	assert_true(prefix_is(&h->ev[2].p, "2001:db8:5::/48"));
}

/* ---------------------------------------------- longest-prefix match */

struct match_rec {
	unsigned n;
	struct babel_route_info r[4];
};

static int match_fn(void *ctx, const struct babel_route_info *i)
{
	struct match_rec *m = ctx;

	if (m->n < 4)
		m->r[m->n] = *i;
	m->n++;
	return 0;
}

static void lpm_setup(struct h *h)
{
	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.0.0.0/8", 1, 5, 100));
	send1(h, 0, upd(0, "10.1.0.0/16", 1, 5, 100));
	send1(h, 1, upd(1, "10.1.0.0/16", 1, 5, 50));
	send1(h, 0, upd(0, "10.1.2.0/24", 1, 5, 100));
	send1(h, 0, upd(0, "2001:db8::/32", 1, 5, 100));
}

static void test_an_address_matches_its_longest_prefix(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct match_rec m = { 0 };
	struct babel_prefix got;

	lpm_setup(h);
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ 0 }, &got,
					   match_fn, &m), -EINVAL);
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET,
						 .plen = 33 }, &got, match_fn, &m), -EINVAL);
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET,
						 .plen = 32, .addr = { 10, 1, 2, 3 } },
					   &got, match_fn, &m), 0);
	assert_true(prefix_is(&got, "10.1.2.0/24"));
	assert_int_equal(m.n, 1);
	assert_true(m.r[0].selected);

	m.n = 0;
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET,
						 .plen = 32, .addr = { 10, 1, 3, 4 } },
					   &got, match_fn, &m), 0);
	assert_true(prefix_is(&got, "10.1.0.0/16"));

	m.n = 0;
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET,
						 .plen = 32, .addr = { 10, 200, 0, 1 } },
					   &got, match_fn, &m), 0);
	assert_true(prefix_is(&got, "10.0.0.0/8"));

	m.n = 0;
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET,
						 .plen = 32, .addr = { 11, 0, 0, 1 } },
					   &got, match_fn, &m), -ENOENT);
	assert_int_equal(m.n, 0);
	assert_int_equal(babel_route_match(h->b, &(struct babel_prefix){ .af = BABEL_AF_INET6,
						 .plen = 128, .addr = { 0x20, 0x01, 0x0d, 0xb9 } },
					   &got, match_fn, &m), -ENOENT);
}

static void test_a_prefix_matches_itself_with_every_candidate(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix q = pfx("10.1.0.0/16"), got;
	struct match_rec m = { 0 };

	lpm_setup(h);
	assert_int_equal(babel_route_match(h->b, &q, &got, match_fn, &m), 0);
	assert_true(prefix_is(&got, "10.1.0.0/16"));
	assert_int_equal(m.n, 2);
	/* the selected one first: neighbour 1, the better metric */
	assert_true(m.r[0].selected);
	assert_true(addr_is(&m.r[0].neighbour.addr, 1));
	assert_false(m.r[1].selected);
	assert_true(addr_is(&m.r[1].neighbour.addr, 0));

	/* a shorter prefix than any route's, inside none: no match */
	m.n = 0;
	q = pfx("10.0.0.0/7");
	assert_int_equal(babel_route_match(h->b, &q, &got, match_fn, &m), -ENOENT);
	/* a longer one falls back to the covering prefix */
	q = pfx("2001:db8:1::/48");
	assert_int_equal(babel_route_match(h->b, &q, &got, match_fn, &m), 0);
	assert_true(prefix_is(&got, "2001:db8::/32"));
}

/* ------------------------------------------------------------- walk */

#define WALK_N 1000

/* Routes seen per prefix: 10.a.b.0/24 (kept), 11.a.b.0/24 (deleted
 * between chunks), 12.a.b.0/24 (added between chunks). */
struct walk_rec {
	uint8_t seen[3][4 * WALK_N];
	unsigned calls;
};

static int walk_fn(void *ctx, const struct babel_route_info *i)
{
	struct walk_rec *w = ctx;
	unsigned idx = i->prefix.addr[1] * 256u + i->prefix.addr[2];

	assert_int_equal(i->prefix.af, BABEL_AF_INET);
	assert_true(i->prefix.addr[0] >= 10 && i->prefix.addr[0] <= 12);
	assert_true(idx < 4 * WALK_N);
	w->seen[i->prefix.addr[0] - 10][idx]++;
	w->calls++;
	return 0;
}

static void announce_many(struct h *h, int nbi, int first_octet, unsigned n)
{
	char p[32];

	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%d.%u.%u.0/24", first_octet, i / 256, i % 256);
		send1(h, nbi, upd(nbi, p, (uint8_t)(1 + nbi), 5, 100));
	}
}

static void test_the_walk_survives_deletes_and_growth_between_chunks(void **state)
{
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .source_gc_ms = 2000 };
	struct h *h = *state = h_new(&cfg, false);
	static struct walk_rec w;
	struct babel_route_cursor cur;
	struct babel_counters c;
	struct babel_addr a1 = nb_addr(1);
	struct babel_prefix kept = pfx("10.0.5.0/24");
	unsigned chunks = 1, before, seen_kept = 0;
	int r;

	memset(&w, 0, sizeof(w));
	memset(&cur, 0, sizeof(cur));
	h->quiet = true;
	bring_up(h, 0, false);
	bring_up(h, 1, false);
	announce_many(h, 0, 10, WALK_N);
	announce_many(h, 1, 11, WALK_N);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 2 * WALK_N);

	assert_int_equal(babel_route_walk(h->b, &cur, 100, walk_fn, &w), 0);
	before = w.calls;
	assert_true(before >= 100 && before < 2 * WALK_N);
	/* what was walked is passed, the rest is not */
	for (unsigned i = 0; i < WALK_N; i++)
		if (w.seen[0][i]) {
			char p[32];
			struct babel_prefix q;

			snprintf(p, sizeof(p), "10.%u.%u.0/24", i / 256, i % 256);
			q = pfx(p);
			assert_true(babel_route_cursor_passed(h->b, &cur, &q, NULL));
			seen_kept++;
		}
	assert_true(seen_kept > 0);
	if (!w.seen[0][5])
		assert_false(babel_route_cursor_passed(h->b, &cur, &kept, NULL));

	/* Neighbour 1 goes, its sources are collected: its entries are
	 * freed, the cursor's own perhaps among them. */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a1, h->now), 0);
	run_alive(h, h->now + 5 * SEC, 1, false);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, WALK_N);
	assert_true(c.prefixes < 2 * WALK_N);
	/* and three times as many arrive: the table doubles at least once */
	announce_many(h, 0, 12, 3 * WALK_N);

	while ((r = babel_route_walk(h->b, &cur, 100, walk_fn, &w)) == 0)
		chunks++;
	assert_int_equal(r, 1);
	assert_true(cur.done);
	assert_true(chunks > 20);
	assert_true(babel_route_cursor_passed(h->b, &cur, &kept, NULL));
	for (unsigned i = 0; i < WALK_N; i++)
		assert_int_equal(w.seen[0][i], 1);	/* present throughout */
	for (unsigned i = 0; i < 3 * WALK_N; i++) {
		assert_true(w.seen[1][i] <= 1);
		assert_true(w.seen[2][i] <= 1);
	}
	/* a walk that is done stays done */
	assert_int_equal(babel_route_walk(h->b, &cur, 100, walk_fn, &w), 1);
}

static void test_a_walk_in_chunks_sees_what_a_walk_at_once_sees(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	static struct walk_rec once, chunked;
	struct babel_route_cursor cur;

	memset(&once, 0, sizeof(once));
	memset(&chunked, 0, sizeof(chunked));
	h->quiet = true;
	bring_up(h, 0, false);
	bring_up(h, 1, false);
	announce_many(h, 0, 10, 300);
	announce_many(h, 1, 10, 300);	/* two candidates each */
	memset(&cur, 0, sizeof(cur));
	assert_int_equal(babel_route_walk(h->b, &cur, SIZE_MAX, walk_fn, &once), 1);
	memset(&cur, 0, sizeof(cur));
	while (babel_route_walk(h->b, &cur, 7, walk_fn, &chunked) == 0)
		;
	assert_int_equal(once.calls, 600);
	assert_int_equal(chunked.calls, 600);
	assert_memory_equal(once.seen, chunked.seen, sizeof(once.seen));
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(once.seen[0][i], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_event_is_reported_until_events_are_turned_on),
		T(test_each_route_change_is_one_event_at_the_change),
		T(test_a_better_route_elsewhere_is_two_change_events),
		T(test_originated_prefixes_are_add_change_flush_events),
		T(test_an_address_matches_its_longest_prefix),
		T(test_a_prefix_matches_itself_with_every_candidate),
		T(test_the_walk_survives_deletes_and_growth_between_chunks),
		T(test_a_walk_in_chunks_sees_what_a_walk_at_once_sees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
