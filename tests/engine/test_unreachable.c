/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_unreachable.c — babel_neigh_unreachable(): a neighbour
 * whose host answered "port unreachable" is handled at once as a Hello
 * timeout would handle it later: routes fail over or are retracted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/babel.h"
#include "tests/engine/harness.h"

static bool retraction_of(const struct babel_tlv *t, const char *prefix)
{
	struct babel_prefix p = pfx(prefix);

	return t->update.metric == BABEL_INFINITY &&
	       t->update.prefix.plen == p.plen &&
	       memcmp(t->update.prefix.addr, p.addr, sizeof(p.addr)) == 0;
}

static bool retracts_10_21(const struct babel_tlv *t)
{
	return retraction_of(t, "10.21.0.0/16");
}

static bool finite_10_20(const struct babel_tlv *t)
{
	struct babel_prefix p = pfx("10.20.0.0/16");

	return t->update.metric != BABEL_INFINITY && t->update.prefix.plen == p.plen &&
	       memcmp(t->update.prefix.addr, p.addr, sizeof(p.addr)) == 0;
}

static void test_unreachable_neighbour_fails_over_and_retracts_at_once(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_addr a = nb_addr(0);
	struct babel_counters c;
	uint16_t m;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	/* 10.20/16 through both (0 is better), 10.21/16 only through 0 */
	send1(h, 0, upd(0, "10.20.0.0/16", 1, 5, 100));
	send1(h, 1, upd(1, "10.20.0.0/16", 3, 5, 300));
	send1(h, 0, upd(0, "10.21.0.0/16", 2, 5, 100));
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	assert_true(selected_via(h, "10.21.0.0/16", 0, NULL));
	run_to(h, h->now);
	h->nfib = 0;
	clear_sent(h);

	/* no time passes: the ICMP alone does it */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	run_to(h, h->now);

	assert_true(selected_via(h, "10.20.0.0/16", 1, &m));
	assert_int_equal(m, 300 + 96);
	assert_false(selected_via(h, "10.21.0.0/16", 0, NULL));
	/* the FIB saw one move (0 -> 1) and one loss */
	assert_int_equal(h->nfib, 2);
	for (size_t i = 0; i < h->nfib; i++) {
		struct babel_addr b = nb_addr(1);

		assert_true(h->fib[i].has_old);
		assert_true(babel_addr_equal(&h->fib[i].onh.addr, &a));
		if (h->fib[i].p.plen == 16 && h->fib[i].p.addr[1] == 20) {
			assert_true(h->fib[i].has_new);
			assert_true(babel_addr_equal(&h->fib[i].nnh.addr, &b));
		} else {
			assert_false(h->fib[i].has_new);
		}
	}
	/* the neighbours hear at once that 10.21/16 is gone (10.20/16 now
	 * comes from this same link: split horizon holds it back) */
	assert_true(count_sent(h, BABEL_TLV_UPDATE, -1, retracts_10_21) >= 1);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, finite_10_20), 0);
	/* the neighbour and its routes are gone, the other one stays */
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 1);
	assert_int_equal(c.routes, 1);
}

static void test_unreachable_matches_what_a_hello_timeout_does(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct h *t = h_new(NULL, false);
	struct babel_addr a = nb_addr(0);
	struct babel_counters ch, ct;
	struct h *hs[2] = { h, t };

	for (int i = 0; i < 2; i++) {
		bring_up(hs[i], 0, false);
		bring_up(hs[i], 1, false);
		send1(hs[i], 0, upd(0, "10.20.0.0/16", 1, 5, 100));
		send1(hs[i], 1, upd(1, "10.20.0.0/16", 3, 5, 300));
		send1(hs[i], 0, upd(0, "10.21.0.0/16", 2, 5, 100));
		hs[i]->nfib = 0;
	}
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	run_to(h, h->now);
	/* the other engine waits for neighbour 0's Hello history to empty
	 * while neighbour 1 stays alive and refreshes its route */
	for (int s = 1; s <= 80; s++) {
		struct babel_tlv x[2];

		run_to(t, t->now + SEC);
		x[0] = hello(t, 1, false);
		x[1] = ihu(96);
		feed(t, 1, x, 2);
		if (s % 10 == 0)
			send1(t, 1, upd(1, "10.20.0.0/16", 3, 5, 300));
	}
	babel_get_counters(h->b, &ch);
	babel_get_counters(t->b, &ct);
	assert_int_equal(ch.neighbours, ct.neighbours);
	assert_int_equal(ch.routes, ct.routes);
	assert_int_equal(ch.selected, ct.selected);
	assert_int_equal(h->nfib, t->nfib);
	assert_true(selected_via(t, "10.20.0.0/16", 1, NULL));
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
	h_teardown((void **)&t);
}

static void test_unreachable_for_an_unknown_address_or_interface_changes_nothing(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_addr a = nb_addr(0), other = nb_addr(5);
	struct babel_counters c;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.22.0.0/16", 1, 5, 100));
	run_to(h, h->now);
	h->nfib = 0;
	clear_sent(h);
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &other, h->now), -ENOENT);
	/* the right address on another interface is another neighbour */
	assert_int_equal(babel_neigh_unreachable(h->b, 2, &a, h->now), -ENOENT);
	run_to(h, h->now);
	assert_true(selected_via(h, "10.22.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 1);
}

static void test_unreachable_wireguard_peer_is_kept_and_comes_back_with_its_next_hello(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0);
	struct babel_counters c;

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	bring_up(h, 0, true);
	send1(h, 0, upd(0, "10.23.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.23.0.0/16", 0, NULL));
	h->nfib = 0;
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	run_to(h, h->now);
	assert_false(selected_via(h, "10.23.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 1);	/* a registered peer stays */
	assert_int_equal(c.routes, 0);
	/* a second ICMP for it is harmless, and says nothing changed */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 1);
	/* restarted: new Hello seqnos, an IHU, its table again */
	h->hello_seq[0] += 30000;
	bring_up(h, 0, true);
	send1(h, 0, upd(0, "10.23.0.0/16", 1, 6, 100));
	assert_true(selected_via(h, "10.23.0.0/16", 0, NULL));
}

static void test_neighbour_back_after_unreachable_is_usable_again(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_addr a = nb_addr(0);

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.24.0.0/16", 1, 5, 100));
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	run_to(h, h->now + 100 * MS);
	assert_false(selected_via(h, "10.24.0.0/16", 0, NULL));
	/* its Babel process restarted (same Hello seqno space continues) */
	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.24.0.0/16", 1, 6, 100));
	assert_true(selected_via(h, "10.24.0.0/16", 0, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, h_teardown)
		T(test_unreachable_neighbour_fails_over_and_retracts_at_once),
		T(test_unreachable_matches_what_a_hello_timeout_does),
		T(test_unreachable_for_an_unknown_address_or_interface_changes_nothing),
		T(test_unreachable_wireguard_peer_is_kept_and_comes_back_with_its_next_hello),
		T(test_neighbour_back_after_unreachable_is_usable_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
