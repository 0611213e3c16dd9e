/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_engine.c — the engine's behaviour, driven by real
 * packets through babel_receive() and time through babel_run().
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/babel.h"
#include "tests/engine/harness.h"

/* ---------------------------------------------------------------- */

static void test_new_neighbour_gets_hello_ihu_and_a_wildcard_request(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	clear_sent(h);
	send1(h, 0, hello(h, 0, false));
	assert_int_equal(count_sent(h, BABEL_TLV_ROUTE_REQ, 0, is_wildcard), 1);
	run_to(h, h->now);
	assert_true(count_sent(h, BABEL_TLV_HELLO, -1, NULL) >= 1);
	assert_int_equal(count_sent(h, BABEL_TLV_IHU, -1, NULL), 1);
}

static void test_feasible_update_installs_the_route_and_reports_it(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	uint16_t m;

	bring_up(h, 0, false);
	h->nfib = 0;
	send1(h, 0, upd(0, "10.0.0.0/8", 1, 5, 100));
	assert_int_equal(h->nfib, 1);
	assert_false(h->fib[0].has_old);
	assert_true(h->fib[0].has_new);
	assert_int_equal(h->fib[0].metric, 196);
	assert_true(selected_via(h, "10.0.0.0/8", 0, &m));
	assert_int_equal(m, 196);
}

static void test_update_with_unfeasible_metric_is_ignored(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;
	struct count_ctx cc;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.0.0.0/8", 1, 5, 100));	/* announced: FD (5, 196) */
	send1(h, 1, upd(1, "10.0.0.0/8", 1, 5, 196));	/* not < 196 */
	assert_int_equal(candidates(h, "10.0.0.0/8", &cc), 1);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.unfeasible_updates, 1);
	send1(h, 1, upd(1, "10.0.0.0/8", 1, 5, 195));	/* strictly smaller */
	assert_int_equal(candidates(h, "10.0.0.0/8", &cc), 2);
	send1(h, 1, upd(1, "10.0.0.0/8", 1, 4, 10));	/* older seqno */
	babel_get_counters(h->b, &c);
	assert_int_equal(c.unfeasible_updates, 2);
}

static void test_large_improvement_switches_at_once(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.1.0.0/16", 1, 5, 300));
	send1(h, 1, upd(1, "10.1.0.0/16", 1, 5, 290));
	run_alive(h, h->now + 30 * SEC, 2, false);
	assert_true(selected_via(h, "10.1.0.0/16", 1, NULL));
	send1(h, 0, upd(0, "10.1.0.0/16", 1, 6, 50));	/* 250 better */
	assert_true(selected_via(h, "10.1.0.0/16", 0, NULL));
}

static void test_small_improvement_switches_only_after_smoothing(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	uint64_t t0;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.2.0.0/16", 1, 5, 300));
	send1(h, 1, upd(1, "10.2.0.0/16", 1, 6, 400));
	assert_true(selected_via(h, "10.2.0.0/16", 0, NULL));
	t0 = h->now;
	run_alive(h, t0 + 12 * SEC, 2, false);
	/* B improves by 60 (< threshold 128): its smoothed metric lags */
	send1(h, 1, upd(1, "10.2.0.0/16", 1, 6, 240));
	assert_true(selected_via(h, "10.2.0.0/16", 0, NULL));
	run_alive(h, h->now + 500 * MS, 2, false);
	assert_true(selected_via(h, "10.2.0.0/16", 0, NULL));
	run_alive(h, h->now + 16 * SEC, 2, false);
	assert_true(selected_via(h, "10.2.0.0/16", 1, NULL));
}

static void test_retraction_removes_the_route_from_the_fib(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "2001:db8::/32", 1, 5, 100));
	h->nfib = 0;
	clear_sent(h);
	send1(h, 0, upd(0, "2001:db8::/32", 1, 5, BABEL_INFINITY));
	assert_int_equal(h->nfib, 1);
	assert_true(h->fib[0].has_old);
	assert_false(h->fib[0].has_new);
	assert_false(selected_via(h, "2001:db8::/32", 0, NULL));
	/* we retract in turn (triggered) */
	assert_true(count_sent(h, BABEL_TLV_UPDATE, -1, is_retraction) >= 1);
}

/* Losing every route of a big table asks for new seqnos (§3.8.2.1, a MAY
 * with no candidate left) only up to a bound, not once per prefix. */
static void test_losing_a_whole_table_sends_a_bounded_number_of_seqno_requests(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	char p[32];

	bring_up(h, 0, false);
	for (int i = 0; i < 600; i++) {
		snprintf(p, sizeof(p), "10.%d.%d.0/24", i / 256, i % 256);
		send1(h, 0, upd(0, p, 1, 5, 100));
		h->nfib = 0;
	}
	clear_sent(h);
	for (int i = 0; i < 600; i++) {
		snprintf(p, sizeof(p), "10.%d.%d.0/24", i / 256, i % 256);
		send1(h, 0, upd(0, p, 1, 5, BABEL_INFINITY));
		h->nfib = 0;
	}
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 256);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, -1, is_retraction) >= 600);
}

static void test_wildcard_retraction_retracts_every_route_of_the_neighbour(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv t = { .type = BABEL_TLV_UPDATE };

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.0.1.0/24", 1, 5, 100));
	send1(h, 0, upd(0, "10.0.2.0/24", 1, 5, 100));
	send1(h, 0, upd(0, "10.0.3.0/24", 1, 5, 100));
	h->nfib = 0;
	t.update.ae = BABEL_AE_WILDCARD;
	t.update.metric = BABEL_INFINITY;
	t.update.interval = 1600;
	send1(h, 0, t);
	assert_int_equal(h->nfib, 3);
	for (size_t i = 0; i < 3; i++)
		assert_false(h->fib[i].has_new);
}

static void test_route_expires_after_3_5_update_intervals(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	uint64_t t0;
	struct count_ctx cc;

	bring_up(h, 0, false);
	t0 = h->now;
	send1(h, 0, upd(0, "10.3.0.0/16", 1, 5, 100));	/* interval 16 s: hold 56 s */
	for (uint64_t t = t0 + 4 * SEC; t < t0 + 56 * SEC; t += 4 * SEC) {
		run_to(h, t);
		send1(h, 0, hello(h, 0, false));
		send1(h, 0, ihu(96));
	}
	run_to(h, t0 + 55 * SEC);
	assert_int_equal(candidates(h, "10.3.0.0/16", &cc), 1);
	run_to(h, t0 + 56 * SEC + 1);
	assert_int_equal(candidates(h, "10.3.0.0/16", &cc), 0);
}

static void test_neighbour_loss_drops_its_routes(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;
	uint64_t t0;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.4.0.0/16", 1, 5, 100));
	send1(h, 0, upd(0, "10.5.0.0/16", 1, 5, 100));
	h->nfib = 0;
	t0 = h->now;
	/* 2-out-of-3: after two missed Hellos the link is down */
	run_to(h, t0 + 10 * SEC);
	assert_false(selected_via(h, "10.4.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 2);
	/* once the history is empty the neighbour and its routes are gone */
	run_to(h, t0 + 80 * SEC);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 0);
	assert_int_equal(c.routes, 0);
}

static void test_route_limit_refuses_new_prefixes_and_keeps_existing(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .max_routes_per_neighbour = 2 };
	struct h *h = *state = h_new(&cfg, false);
	struct babel_counters c;
	uint16_t m;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.6.0.0/16", 1, 5, 100));
	send1(h, 0, upd(0, "10.7.0.0/16", 1, 5, 100));
	send1(h, 0, upd(0, "10.8.0.0/16", 1, 5, 100));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 2);
	assert_int_equal(c.refused_routes, 1);
	assert_false(selected_via(h, "10.8.0.0/16", 0, NULL));
	send1(h, 0, upd(0, "10.6.0.0/16", 1, 6, 200));	/* existing: updated */
	assert_true(selected_via(h, "10.6.0.0/16", 0, &m));
	assert_int_equal(m, 296);
}

static bool hop9_seq6(const struct babel_tlv *t)
{
	return t->seqno_req.hop_count == 9 && t->seqno_req.seqno == 6 &&
	       t->seqno_req.router_id[7] == 1;
}

static struct babel_tlv seqreq(const char *prefix, uint8_t rid, uint16_t seqno, uint8_t hops)
{
	struct babel_tlv t = { .type = BABEL_TLV_SEQNO_REQ };

	/* rid 1 names a neighbour's origin (0xAA...01); rid 0 names us */
	t.seqno_req.prefix = pfx(prefix);
	t.seqno_req.ae = t.seqno_req.prefix.af == BABEL_AF_INET ? BABEL_AE_IPV4 : BABEL_AE_IPV6;
	t.seqno_req.seqno = seqno;
	t.seqno_req.hop_count = hops;
	t.seqno_req.router_id[0] = rid ? 0xAA : 0;
	t.seqno_req.router_id[7] = rid ? rid : 1;
	return t;
}

static void test_seqno_request_is_forwarded_with_decremented_hop_count(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 5, 100));
	clear_sent(h);
	send1(h, 1, seqreq("10.9.0.0/16", 1, 6, 10));
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, 0, hop9_seq6), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, 1, NULL), 0);
	/* test_duplicate_seqno_request_is_not_forwarded_twice */
	clear_sent(h);
	send1(h, 1, seqreq("10.9.0.0/16", 1, 6, 10));
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_forwarded, 1);
	assert_int_equal(c.seqno_requests_duplicate, 1);
	/* a hop count of 1 is not forwarded */
	clear_sent(h);
	send1(h, 1, seqreq("10.9.0.0/16", 1, 7, 1));
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 0);
}

static void test_seqno_request_we_can_satisfy_is_answered_with_an_update(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.10.0.0/16", 1, 5, 100));
	clear_sent(h);
	send1(h, 1, seqreq("10.10.0.0/16", 1, 5, 10));
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 1, NULL), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 0);
}

static bool seqno_101(const struct babel_tlv *t)
{
	return t->update.seqno == 101 && t->update.metric == 0;
}

static void test_seqno_request_for_our_prefix_bumps_our_seqno_and_saves_it(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("192.0.2.0/24");
	struct babel_counters c;

	bring_up(h, 0, false);
	assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	clear_sent(h);
	send1(h, 0, seqreq("192.0.2.0/24", 0, 101, 5));
	assert_int_equal(h->nsaves, 1);
	assert_int_equal(h->saved, 101);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, -1, seqno_101) >= 1);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno, 101);
}

static void test_starving_router_asks_for_a_new_seqno_and_resends_with_backoff(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;
	uint64_t t0;
	const struct babel_tlv *rq;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.11.0.0/16", 1, 5, 100));	/* FD (5, 196) */
	send1(h, 1, upd(1, "10.11.0.0/16", 1, 5, 300));	/* unfeasible, ignored */
	clear_sent(h);
	send1(h, 0, upd(0, "10.11.0.0/16", 1, 5, BABEL_INFINITY));
	rq = find_sent(h, BABEL_TLV_SEQNO_REQ);
	assert_non_null(rq);
	assert_int_equal(rq->seqno_req.seqno, 6);
	t0 = h->now;
	run_to(h, t0 + 400 * MS);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_sent, 1);
	run_to(h, t0 + 600 * MS);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_sent, 2);
	run_to(h, t0 + 1400 * MS);	/* next one at +1.5 s */
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_sent, 2);
	run_to(h, t0 + 1600 * MS);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_sent, 3);
	/* the answer: a newer seqno, feasible again */
	send1(h, 1, upd(1, "10.11.0.0/16", 1, 6, 300));
	assert_true(selected_via(h, "10.11.0.0/16", 1, NULL));
	run_to(h, t0 + 5 * SEC);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.seqno_requests_sent, 3);
}

/* N prefixes 2001:db8:0:I::/64 originated (N at most 65,536). */
static void originate_n(struct h *h, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct babel_prefix p = { .af = BABEL_AF_INET6, .plen = 64,
					  .addr = { 0x20, 0x01, 0x0d, 0xb8 } };

		p.addr[6] = (uint8_t)(i >> 8);
		p.addr[7] = (uint8_t)i;
		assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	}
}

static void test_wildcard_request_gets_a_full_unicast_table_in_paced_chunks(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .update_burst = 500 };
	struct h *h = *state = h_new(&cfg, false);
	struct babel_tlv t = { .type = BABEL_TLV_ROUTE_REQ };
	unsigned first;

	originate_n(h, 2000);
	bring_up(h, 0, false);
	run_to(h, h->now + 100 * MS);
	clear_sent(h);
	send1(h, 0, t);
	babel_run(h->b, h->now);
	first = count_sent(h, BABEL_TLV_UPDATE, 0, NULL);
	assert_true(first >= 500 && first < 1000);	/* one chunk, whole buckets */
	run_to(h, h->now + 50 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 2000);
}

/* On a unicast_only interface (WireGuard) a dump is paced at
 * unicast_burst (250) Updates a millisecond, a quarter of update_burst:
 * each datagram lands in one peer's WireGuard socket (output.c). A new
 * peer's table of 2,000 entries: one step at once, all of it within 20 ms,
 * and again a second later (more than one step). */
static void test_a_dump_to_a_wireguard_peer_is_paced_at_unicast_burst(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0);
	struct babel_counters c;
	unsigned first;

	originate_n(h, 2000);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	run_to(h, h->now + 100 * MS);
	clear_sent(h);
	bring_up(h, 0, true);
	babel_run(h->b, h->now);
	first = count_sent(h, BABEL_TLV_UPDATE, 0, NULL);
	assert_true(first >= 250 && first < 500);	/* one step, whole buckets */
	run_to(h, h->now + 5 * MS);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 0, NULL) < 2000);
	run_to(h, h->now + 15 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 2000);
	run_to(h, h->now + 1100 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 4000);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.redumps, 1);
}

static bool interval_32s(const struct babel_tlv *t)
{
	return t->update.interval == 3200;
}

static bool interval_64s(const struct babel_tlv *t)
{
	return t->update.interval == 6400;
}

/* Past update_scale_entries the periodic full update comes less often,
 * announcing its longer interval (the receivers' hold time), and the
 * interval at most doubles from one dump to the next. */
static void test_periodic_update_interval_grows_with_the_table(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .update_scale_entries = 10 };
	struct h *h = *state = h_new(&cfg, false);
	uint64_t t0 = h->now;

	originate_n(h, 40);	/* 4 x update_scale_entries */
	run_to(h, t0 + 15 * SEC);
	clear_sent(h);
	/* The first dump, 16 s (configured) after the start: twice that. */
	run_to(h, t0 + 17 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 40);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_32s), 40);
	clear_sent(h);
	run_to(h, t0 + 47 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	/* 32 s later: 4 times, what 40 entries call for. */
	run_to(h, t0 + 49 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_64s), 40);
	clear_sent(h);
	run_to(h, t0 + 111 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	run_to(h, t0 + 113 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_64s), 40);
}

/* A new neighbour gets the table at once; a table of more than one pacing
 * step (update_burst) once more a second later, since a busy receiver
 * may drop part of the burst. A small one goes once.
 *
 * new_neighbour_with_table: an engine with N originated prefixes
 * (update_burst 10), at 2 s; then neighbour 0 appears. Returns the start
 * time. */
static uint64_t new_neighbour_with_table(struct h **hp, void **state, unsigned n)
{
	struct babel_config cfg = { .router_id = { 1 }, .update_burst = 10 };
	struct h *h = *hp = *state = h_new(&cfg, false);
	uint64_t t0 = h->now;

	originate_n(h, n);
	run_to(h, t0 + 2 * SEC);
	clear_sent(h);
	bring_up(h, 0, false);
	return t0;
}

static void test_a_large_first_dump_is_sent_twice(void **state)
{
	struct h *h;
	uint64_t t0 = new_neighbour_with_table(&h, state, 40);
	struct babel_counters c;

	run_to(h, h->now + 500 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 40);
	clear_sent(h);
	run_to(h, h->now + 600 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 40);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.redumps, 1);
	/* Then nothing more to it until the periodic update (16 s). */
	clear_sent(h);
	run_to(h, t0 + 15 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 0);
}

static void test_a_small_first_dump_is_sent_once(void **state)
{
	struct h *h;
	uint64_t t0 = new_neighbour_with_table(&h, state, 10);
	struct babel_counters c;

	run_to(h, t0 + 15 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 10);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.redumps, 0);
}

static bool interval_16s(const struct babel_tlv *t)
{
	return t->update.interval == 1600;
}

/* On a unicast-only (WireGuard) interface a dump sends the table to each
 * peer: the count that stretches the interval is entries times peers, so
 * 4 entries to 5 peers (20 Updates, twice update_scale_entries) come
 * every 32 s, and back to 16 s once only 2 peers (8 Updates) are left. */
static void test_periodic_update_interval_grows_with_the_peers(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .update_scale_entries = 10 };
	struct h *h = *state = h_new(&cfg, true);
	uint64_t t0 = h->now;

	for (int i = 0; i < 5; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	}
	originate_n(h, 4);
	run_to(h, t0 + 15 * SEC);
	clear_sent(h);
	/* The first dump, 16 s after the start: each peer gets the 4. */
	run_to(h, t0 + 17 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 20);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 4, interval_32s), 4);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_32s), 20);
	clear_sent(h);
	run_to(h, t0 + 47 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	for (int i = 2; i < 5; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_del_peer(h->b, 1, &a, h->now), 0);
	}
	/* The second, 32 s after the first, already with 2 peers left. */
	run_to(h, t0 + 49 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 8);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_16s), 8);
	clear_sent(h);
	run_to(h, t0 + 63 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	run_to(h, t0 + 65 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, interval_16s), 8);
}

/* The same table to one peer, or on a multicast link, is not stretched:
 * 4 entries, 4 Updates a dump, under update_scale_entries. */
static void test_periodic_update_interval_one_peer_is_configured(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .update_scale_entries = 10 };
	struct h *h = *state = h_new(&cfg, true);
	struct babel_addr a = nb_addr(0);
	uint64_t t0 = h->now;

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	originate_n(h, 4);
	run_to(h, t0 + 15 * SEC);
	clear_sent(h);
	run_to(h, t0 + 17 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, interval_16s), 4);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 4);
}

/* Peers of the wg harness that were sent Updates since the last clear. */
static unsigned peers_updated(struct h *h, int npeers, unsigned *each)
{
	unsigned n = 0;

	for (int i = 0; i < npeers; i++) {
		each[i] = count_sent(h, BABEL_TLV_UPDATE, i, NULL);
		n += each[i] != 0;
	}
	return n;
}

/* A full update of more than update_burst Updates on a unicast-only
 * interface (300 entries to 5 peers) goes to one peer after the other,
 * 16 s / 5 apart, not to all of them in the same millisecond; each still
 * gets the whole table once an interval. */
static void test_large_full_update_goes_to_one_peer_after_the_other(void **state)
{
	struct babel_config cfg = { .router_id = { 1 },
				    .update_scale_entries = BABEL_NO_UPDATE_SCALE };
	struct h *h = *state = h_new(&cfg, true);
	uint64_t t0 = h->now;
	unsigned each[5];

	for (int i = 0; i < 5; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	}
	for (unsigned i = 0; i < 300; i++) {
		struct babel_prefix p = { .af = BABEL_AF_INET6, .plen = 64,
					  .addr = { 0x20, 0x01, 0x0d, 0xb8 } };

		/* Little for prefix compression to omit: the harness keeps at
		 * most 256 TLVs a datagram. */
		p.addr[2] = (uint8_t)(i >> 8);
		p.addr[3] = (uint8_t)i;
		assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	}
	run_to(h, t0 + 15 * SEC);
	clear_sent(h);
	/* The first turn, at 16 s: one peer, the whole table. */
	run_to(h, t0 + 17 * SEC);
	assert_int_equal(peers_updated(h, 5, each), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 300);
	clear_sent(h);
	/* The other four 3.2 s apart, each its whole table once. */
	run_to(h, t0 + 31 * SEC);
	assert_int_equal(peers_updated(h, 5, each), 4);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 4 * 300);
	clear_sent(h);
	/* The next interval starts with the first peer again. */
	run_to(h, t0 + 33 * SEC);
	assert_int_equal(peers_updated(h, 5, each), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 300);
}

static void test_originated_prefix_wins_over_a_learned_route(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("198.51.100.0/24");

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "198.51.100.0/24", 1, 5, 100));
	h->nfib = 0;
	assert_int_equal(babel_originate(h->b, &p, NULL, 50, h->now), 0);
	assert_int_equal(h->nfib, 1);
	assert_true(h->fib[0].has_old && !h->fib[0].has_new);
	assert_int_equal(babel_route_selected(h->b, &p, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(babel_withdraw(h->b, &p, NULL, h->now), 0);
	assert_true(selected_via(h, "198.51.100.0/24", 0, NULL));
	assert_int_equal(babel_withdraw(h->b, &p, NULL, h->now), -ENOENT);
}

/* Finite updates of prefix sent on interface 2 with router-id[0], [7] as
 * given (on interface 1, where the routes come from, split horizon poisons). */
static unsigned updates_with_rid(struct h *h, const char *prefix, uint8_t rid0,
				 uint8_t rid7)
{
	struct babel_prefix p = pfx(prefix);
	unsigned n = 0;

	for (size_t i = 0; i < h->nsent; i++) {
		if (h->sent[i].ifindex != 2)
			continue;
		for (size_t j = 0; j < h->sent[i].ntlv; j++) {
			const struct babel_update *u = &h->sent[i].tlv[j].update;

			if (h->sent[i].tlv[j].type == BABEL_TLV_UPDATE &&
			    u->metric != BABEL_INFINITY && babel_prefix_equal(&u->prefix, &p) &&
			    u->router_id[0] == rid0 && u->router_id[7] == rid7)
				n++;
		}
	}
	return n;
}

/*
 * §3.7.2: a change of the router-id we announce is urgent: the triggered
 * update goes out again BABEL_RESEND_US (300 ms) later. Whether the
 * previous announcement was learned (another source) or our own (a
 * withdrawn originated prefix whose learned route takes over).
 */
static void test_a_new_router_id_is_announced_again_300_ms_later(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED, .ll6 = our_ll() };
	struct babel_prefix p = pfx("10.8.0.0/16");

	assert_int_equal(babel_iface_add(h->b, 2, &ic, h->now), 0);
	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.8.0.0/16", 1, 5, 300));
	run_alive(h, h->now + 2 * SEC, 2, false);
	clear_sent(h);
	send1(h, 1, upd(1, "10.8.0.0/16", 2, 5, 10));	/* rid 1 -> rid 2 */
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0xAA, 2), 1);
	run_alive(h, h->now + 400 * MS, 2, false);
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0xAA, 2), 2);
	/* the same router-id with a better metric is not urgent */
	run_alive(h, h->now + 2 * SEC, 2, false);
	clear_sent(h);
	send1(h, 1, upd(1, "10.8.0.0/16", 2, 5, 9));
	run_alive(h, h->now + 400 * MS, 2, false);
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0xAA, 2), 0);
	/* ours -> rid 2 */
	assert_int_equal(babel_originate(h->b, &p, NULL, 50, h->now), 0);
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0, 1), 1);
	run_alive(h, h->now + 2 * SEC, 2, false);
	clear_sent(h);
	assert_int_equal(babel_withdraw(h->b, &p, NULL, h->now), 0);
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0xAA, 2), 1);
	run_alive(h, h->now + 400 * MS, 2, false);
	assert_int_equal(updates_with_rid(h, "10.8.0.0/16", 0xAA, 2), 2);
}

static bool is_wildcard_retraction(const struct babel_tlv *t)
{
	return t->update.metric == BABEL_INFINITY && t->update.prefix.af == BABEL_AF_NONE;
}

static void test_shutdown_retracts_every_originated_prefix(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("10.12.0.0/16"), q = pfx("2001:db8:12::/48");

	bring_up(h, 0, false);
	babel_originate(h->b, &p, NULL, 0, h->now);
	babel_originate(h->b, &q, NULL, 0, h->now);
	clear_sent(h);
	babel_shutdown(h->b, h->now);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_retraction), 3);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_wildcard_retraction), 1);
}

/* The last retraction of prefix that was sent, NULL if none. */
static const struct babel_update *sent_retraction(struct h *h, const char *prefix)
{
	struct babel_prefix p = pfx(prefix);
	const struct babel_update *last = NULL;

	for (size_t i = 0; i < h->nsent; i++)
		for (size_t j = 0; j < h->sent[i].ntlv; j++) {
			const struct babel_update *u = &h->sent[i].tlv[j].update;

			if (h->sent[i].tlv[j].type == BABEL_TLV_UPDATE &&
			    u->metric == BABEL_INFINITY && babel_prefix_equal(&u->prefix, &p))
				last = u;
		}
	return last;
}

/*
 * Retractions name their source as babeld's do: a withdrawn or shut down
 * prefix of ours with our router-id and current seqno, a lost learned
 * route with the router-id and seqno of the source we announced; never
 * seqno 0 without a router-id (babeld, FRR's babeld).
 */
static void test_retractions_carry_the_router_id_and_seqno_of_their_source(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("10.12.0.0/16"), q = pfx("2001:db8:12::/48");
	const struct babel_update *u;
	static const uint8_t ours[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	babel_originate(h->b, &p, NULL, 0, h->now);
	babel_originate(h->b, &q, NULL, 0, h->now);
	send1(h, 1, upd(1, "10.13.0.0/16", 7, 4321, 100));
	run_alive(h, h->now + 2 * SEC, 2, false);
	clear_sent(h);
	assert_int_equal(babel_withdraw(h->b, &p, NULL, h->now), 0);
	u = sent_retraction(h, "10.12.0.0/16");
	assert_non_null(u);
	assert_true(u->has_router_id);
	assert_memory_equal(u->router_id, ours, 8);
	assert_int_equal(u->seqno, 100);	/* the harness's configured seqno */
	/* a learned route lost: its source's router-id and seqno */
	clear_sent(h);
	send1(h, 1, upd(1, "10.13.0.0/16", 7, 4321, BABEL_INFINITY));
	u = sent_retraction(h, "10.13.0.0/16");
	assert_non_null(u);
	assert_true(u->has_router_id);
	assert_int_equal(u->router_id[0], 0xAA);
	assert_int_equal(u->router_id[7], 7);
	assert_int_equal(u->seqno, 4321);
	/* shutdown: ours again, the wildcard retraction without one */
	clear_sent(h);
	babel_shutdown(h->b, h->now);
	u = sent_retraction(h, "2001:db8:12::/48");
	assert_non_null(u);
	assert_true(u->has_router_id);
	assert_memory_equal(u->router_id, ours, 8);
	assert_int_equal(u->seqno, 100);
}

static bool is_goodbye_hello(const struct babel_tlv *t)
{
	return t->hello.interval == BABEL_GOODBYE_HELLO_CS;
}

/*
 * The shutdown delay: babel_retire retracts everything (originated
 * prefixes by name, the rest by a wildcard) and from then on nothing finite
 * is announced, not even in the periodic updates, while Hellos and IHUs go
 * on and the FIB keeps its routes; calling it again repeats the
 * retractions. babel_shutdown then ends with a short-interval Hello.
 */
static void test_retiring_retracts_everything_and_keeps_hellos_and_routes(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_prefix p = pfx("10.12.0.0/16");
	size_t nfib;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	babel_originate(h->b, &p, NULL, 0, h->now);
	send1(h, 1, upd(1, "10.13.0.0/16", 7, 4321, 100));
	run_alive(h, h->now + 2 * SEC, 2, false);
	assert_true(selected_via(h, "10.13.0.0/16", 1, NULL));
	clear_sent(h);
	nfib = h->nfib;
	babel_retire(h->b, h->now);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_finite), 0);
	assert_non_null(sent_retraction(h, "10.12.0.0/16"));
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_wildcard_retraction), 1);
	/* 20 s: several full updates, a new route learned; Hellos and IHUs */
	send1(h, 0, upd(0, "10.14.0.0/16", 8, 1, 100));
	run_alive(h, h->now + 20 * SEC, 2, false);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_finite), 0);
	assert_true(count_sent(h, BABEL_TLV_HELLO, -1, NULL) >= 4);
	assert_true(count_sent(h, BABEL_TLV_IHU, -1, NULL) >= 2);
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, -1, is_goodbye_hello), 0);
	/* routes stay selected and in the FIB, the new one too */
	assert_true(selected_via(h, "10.13.0.0/16", 1, NULL));
	assert_true(selected_via(h, "10.14.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, nfib + 1);
	clear_sent(h);
	babel_retire(h->b, h->now);	/* the repeat */
	assert_non_null(sent_retraction(h, "10.12.0.0/16"));
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_wildcard_retraction), 1);
	clear_sent(h);
	babel_shutdown(h->b, h->now);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_finite), 0);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, is_wildcard_retraction), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, -1, is_goodbye_hello), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_IHU, -1, NULL), 0);
	/* nothing at all afterwards */
	clear_sent(h);
	run_to(h, h->now + 10 * SEC);
	assert_int_equal(h->nsent, 0);
}

static bool unicast_hello_with_ts(const struct babel_tlv *t)
{
	return (t->hello.flags & BABEL_HELLO_F_UNICAST) && t->hello.has_timestamp;
}

static void test_unicast_only_interface_sends_unicast_hellos_to_each_peer(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1);

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), -EEXIST);
	clear_sent(h);
	run_to(h, h->now + 4 * SEC + 1);
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, 0, unicast_hello_with_ts), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, 1, unicast_hello_with_ts), 1);
	for (size_t i = 0; i < h->nsent; i++)
		assert_false(h->sent[i].mcast);
}

/*
 * A WireGuard peer is registered (and is a neighbour) before it says a
 * word. When it starts after us, our Hello and request to it were lost;
 * its first Hello must get it our whole table and a request for its
 * own at once, not at the next periodic update 16 s later (issue 16: a
 * receiver that started first waited 16.0 s for 100,000 prefixes).
 */
static void test_a_peer_heard_for_the_first_time_gets_the_table_at_once(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr b = nb_addr(0), c = nb_addr(1), a = nb_addr(2);

	/* B (0) has a route, C (1) is up, A (2) is registered but silent. */
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &c, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	send1(h, 0, upd(0, "10.13.0.0/16", 1, 5, 100));
	run_alive(h, h->now + 6 * SEC, 2, true);
	assert_true(selected_via(h, "10.13.0.0/16", 0, NULL));
	clear_sent(h);
	/* A starts: its first Hello, nothing else. */
	send1(h, 2, hello(h, 2, true));
	run_to(h, h->now + 500 * MS);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 2, is_finite) >= 1);
	assert_true(count_sent(h, BABEL_TLV_ROUTE_REQ, 2, is_wildcard) >= 1);
	/* Not a periodic update that happened to fall here: C got none. */
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 1, NULL), 0);
	/* Its next Hello is no news: no second request. */
	clear_sent(h);
	h->now += 4 * SEC;
	send1(h, 2, hello(h, 2, true));
	run_to(h, h->now + 500 * MS);
	assert_int_equal(count_sent(h, BABEL_TLV_ROUTE_REQ, 2, is_wildcard), 0);
	/* A falls silent until it is found dead (no Hello for 16 intervals),
	 * then comes back: the table again, as to a new neighbour. */
	for (int i = 0; i < 8; i++) {
		run_alive(h, h->now + 10 * SEC, 2, true);
		send1(h, 0, upd(0, "10.13.0.0/16", 1, 5, 100));	/* B refreshes */
	}
	assert_true(selected_via(h, "10.13.0.0/16", 0, NULL));
	clear_sent(h);
	send1(h, 2, hello(h, 2, true));
	run_to(h, h->now + 500 * MS);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 2, is_finite) >= 1);
	assert_true(count_sent(h, BABEL_TLV_ROUTE_REQ, 2, is_wildcard) >= 1);
}

/* Issue 16: every loss of a neighbour that was alive is reported once,
 * with its cause, and counted; a peer never heard is no loss. */
static void test_a_lost_neighbour_is_reported_once_with_its_cause(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1), c = nb_addr(2);
	struct babel_counters ctr;

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &c, h->now), 0);
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	run_alive(h, h->now + 8 * SEC, 2, true);
	assert_int_equal(h->nlost, 0);
	/* C was never heard: removing it loses nothing. */
	assert_int_equal(babel_iface_del_peer(h->b, 1, &c, h->now), 0);
	assert_int_equal(h->nlost, 0);
	/* B falls silent: one hello-timeout, however long it stays so. */
	run_alive(h, h->now + 120 * SEC, 1, true);
	assert_int_equal(h->nlost, 1);
	assert_int_equal(h->last_loss, BABEL_LOSS_HELLO_TIMEOUT);
	assert_memory_equal(&h->last_lost, &b, sizeof(b));
	/* A's host says nothing listens any more. */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	assert_int_equal(h->nlost, 2);
	assert_int_equal(h->last_loss, BABEL_LOSS_UNREACHABLE);
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 1);
	assert_int_equal(h->nlost, 2);
	/* Both back, then the interface goes down: two losses. */
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	assert_int_equal(babel_iface_set_up(h->b, 1, false, h->now), 0);
	assert_int_equal(h->nlost, 4);
	assert_int_equal(h->last_loss, BABEL_LOSS_IFACE_DOWN);
	assert_int_equal(babel_iface_set_up(h->b, 1, true, h->now), 0);
	/* A back, then removed from WireGuard. */
	bring_up(h, 0, true);
	assert_int_equal(babel_iface_del_peer(h->b, 1, &a, h->now), 0);
	assert_int_equal(h->nlost, 5);
	assert_int_equal(h->last_loss, BABEL_LOSS_PEER_REMOVED);
	babel_get_counters(h->b, &ctr);
	assert_int_equal(ctr.neighbours_lost[BABEL_LOSS_HELLO_TIMEOUT], 1);
	assert_int_equal(ctr.neighbours_lost[BABEL_LOSS_UNREACHABLE], 1);
	assert_int_equal(ctr.neighbours_lost[BABEL_LOSS_IFACE_DOWN], 2);
	assert_int_equal(ctr.neighbours_lost[BABEL_LOSS_PEER_REMOVED], 1);
	assert_string_equal(babel_neigh_loss_name(BABEL_LOSS_IFACE_DOWN),
			    "interface-down");
}

/* Originations in a batch are packed into full datagrams: a redistributed
 * table of 100,000 went out as 54,000 datagrams in 3 s over wireguard-go,
 * most lost in the receiver's socket buffer until the periodic update. */
static void test_a_batch_of_originations_is_packed_into_few_datagrams(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0);
	unsigned updates = 0;
	size_t full;
	char s[32];

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	bring_up(h, 0, true);
	run_alive(h, h->now + 2 * SEC, 1, true);
	/* One at a time: a datagram each. */
	clear_sent(h);
	for (int i = 0; i < 50; i++) {
		struct babel_prefix p;

		snprintf(s, sizeof(s), "10.%d.0.0/16", i);
		p = pfx(s);
		assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	}
	assert_true(h->nsent >= 50);
	/* In a batch: packed. */
	clear_sent(h);
	babel_batch_begin(h->b);
	babel_batch_begin(h->b);	/* nested: the outer end sends */
	for (int i = 0; i < 200; i++) {
		struct babel_prefix p;

		snprintf(s, sizeof(s), "10.%d.%d.0/24", 100 + i / 100, i % 100);
		p = pfx(s);
		assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	}
	babel_batch_end(h->b);
	full = h->nsent;		/* only the datagrams that filled up */
	babel_batch_end(h->b);
	assert_int_equal(h->nsent, full + 1);	/* the outer end: the rest */
	assert_true(h->nsent <= 10);
	for (size_t i = 0; i < h->nsent; i++)
		for (size_t k = 0; k < h->sent[i].ntlv; k++)
			updates += h->sent[i].tlv[k].type == BABEL_TLV_UPDATE;
	assert_true(updates >= 200);
}

static void test_split_horizon_does_not_announce_a_route_back_to_its_next_hop(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1);

	babel_iface_add_peer(h->b, 1, &a, h->now);
	babel_iface_add_peer(h->b, 1, &b, h->now);
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	/* A route first learned from A is announced to B, and nothing goes
	 * back to A: we never told A anything it could still hold, so there
	 * is nothing to poison (not even for a table of 100,000). */
	clear_sent(h);
	send1(h, 0, upd(0, "10.13.0.0/16", 1, 5, 100));
	run_alive(h, h->now + 17 * SEC, 2, true);	/* a periodic full update */
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 1, is_finite) >= 1);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 0);
	/* B -> A: 10.14/16 was announced to A while it went through B */
	send1(h, 1, upd(1, "10.14.0.0/16", 2, 5, 2000));
	run_alive(h, h->now + 17 * SEC, 2, true);
	clear_sent(h);
	send1(h, 0, upd(0, "10.14.0.0/16", 1, 5, 100));
	run_alive(h, h->now + 17 * SEC, 2, true);
	/* to A only the poison (while A may hold our older announcement) */
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, is_finite), 0);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 0, is_retraction) >= 1);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 1, is_finite) >= 1);
	/* once A's copy of anything we said before has expired: silence */
	for (int i = 0; i < 4; i++) {
		run_alive(h, h->now + 15 * SEC, 2, true);
		send1(h, 0, upd(0, "10.13.0.0/16", 1, 5, 100));	/* A refreshes */
		send1(h, 0, upd(0, "10.14.0.0/16", 1, 5, 100));
	}
	clear_sent(h);
	run_alive(h, h->now + 17 * SEC, 2, true);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, 0, NULL), 0);
	assert_true(count_sent(h, BABEL_TLV_UPDATE, 1, is_finite) >= 2);
}

struct nb_ctx {
	struct babel_neighbour_info i;
};

static int get_nb(void *ctx, const struct babel_neighbour_info *i)
{
	((struct nb_ctx *)ctx)->i = *i;
	return 1;
}

/*
 * A WireGuard neighbour answers our timestamped Hello: it held it 5 ms,
 * and the round trip took 135 ms. Its datagram reached our kernel WAIT
 * before we handle it (rx = now - WAIT). Returns its neighbour entry.
 */
static struct babel_neighbour_info rtt_exchange(struct h *h, uint64_t wait,
						uint64_t *rx)
{
	struct babel_addr a = nb_addr(0);
	const struct babel_tlv *ours;
	struct babel_tlv t[2];
	struct nb_ctx nc;
	uint32_t our_ts;

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	send1(h, 0, hello(h, 0, true));
	clear_sent(h);
	run_to(h, h->now + 4 * SEC + 1);
	ours = find_sent(h, BABEL_TLV_HELLO);
	assert_non_null(ours);
	assert_true(ours->hello.has_timestamp);
	our_ts = ours->hello.timestamp;
	h->now += 135 * MS - (h->now - (our_ts + (h->now & ~0xFFFFFFFFULL)));
	*rx = h->now;
	h->now += wait;
	t[0] = hello(h, 0, true);
	t[0].hello.has_timestamp = true;
	t[0].hello.timestamp = 777000 + 5000;
	t[1] = ihu(96);
	t[1].ihu.has_timestamp = true;
	t[1].ihu.ts_origin = our_ts;
	t[1].ihu.ts_receive = 777000;
	feed_at(h, 0, t, 2, *rx);
	memset(&nc, 0, sizeof(nc));
	babel_foreach_neighbour(h->b, get_nb, &nc);
	return nc.i;
}

static void test_rtt_from_timestamps_adds_the_rtt_penalty(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	uint64_t rx;
	struct babel_neighbour_info i = rtt_exchange(h, 0, &rx);

	assert_true(i.rtt_valid);
	assert_int_equal(i.rtt_us, 130000);
	assert_int_equal(i.rtt_penalty, 150);
	assert_int_equal(i.cost, 96 + 150);
}

/* The same exchange, but the datagram waited 40 ms in our socket before
 * we read it (a busy CPU): measured from its kernel receive time, the
 * RTT is still the link's 130 ms, and the receive time we echo for its
 * Hello is that one too. */
static void test_rtt_counts_from_the_kernel_receive_time(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	const struct babel_tlv *ours;
	uint64_t rx;
	struct babel_neighbour_info i = rtt_exchange(h, 40 * MS, &rx);

	assert_true(i.rtt_valid);
	assert_int_equal(i.rtt_us, 130000);
	/* our next IHU to it echoes its Hello with the kernel's time */
	clear_sent(h);
	run_to(h, h->now + 4 * SEC + 1);
	ours = find_sent(h, BABEL_TLV_IHU);
	assert_non_null(ours);
	assert_true(ours->ihu.has_timestamp);
	assert_int_equal(ours->ihu.ts_origin, 777000 + 5000);
	assert_int_equal(ours->ihu.ts_receive, (uint32_t)rx);
}

static void test_interface_down_drops_its_neighbours_and_routes(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.14.0.0/16", 1, 5, 100));
	h->nfib = 0;
	clear_sent(h);
	assert_int_equal(babel_iface_set_up(h->b, 1, false, h->now), 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 0);
	assert_int_equal(c.routes, 0);
	assert_int_equal(h->nfib, 1);
	assert_false(h->fib[0].has_new);
	run_to(h, h->now + 30 * SEC);
	assert_int_equal(h->nsent, 0);	/* a down interface is silent */
	assert_int_equal(babel_iface_set_up(h->b, 7, true, h->now), -ENOENT);
}

static void test_source_specific_routes_are_kept_apart(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv a = upd(0, "::/0", 1, 5, 100), b = upd(0, "::/0", 1, 5, 300);
	struct babel_prefix def = pfx("::/0"), s1 = pfx("2001:db8:1::/48");
	struct count_ctx cc;
	struct babel_nexthop nh;

	bring_up(h, 0, false);
	b.update.has_src_prefix = true;
	b.update.src_prefix = s1;
	send1(h, 0, a);
	send1(h, 0, b);
	assert_int_equal(candidates(h, "::/0", &cc), 1);
	assert_int_equal(cc.sel.metric, 196);
	assert_false(cc.sel.has_src_prefix);
	assert_int_equal(babel_route_selected(h->b, &def, &s1, &nh, NULL), 0);
	assert_int_equal(h->nfib, 2);
	/* withdrawing the specific one leaves the plain default alone */
	b.update.metric = BABEL_INFINITY;
	b.update.has_router_id = false;
	send1(h, 0, b);
	assert_int_equal(babel_route_selected(h->b, &def, &s1, &nh, NULL), -ENOENT);
	assert_int_equal(babel_route_selected(h->b, &def, NULL, &nh, NULL), 0);
}

/* An Update for prefix from src (RFC 9079), origin 0xAA...01, seqno 5. */
static struct babel_tlv ss_upd(int nbi, const char *prefix, const char *src,
			       uint16_t metric)
{
	struct babel_tlv t = upd(nbi, prefix, 1, 5, metric);

	t.update.has_src_prefix = true;
	t.update.src_prefix = pfx(src);
	return t;
}

static bool update_has_src(const struct babel_tlv *t)
{
	return t->update.has_src_prefix;
}

/* Finite Updates for prefix sent on ifindex, source-specific or plain. */
static unsigned finite_updates_on(struct h *h, unsigned ifindex,
				  const char *prefix, bool src)
{
	struct babel_prefix p = pfx(prefix);
	unsigned n = 0;

	for (size_t i = 0; i < h->nsent; i++) {
		if (h->sent[i].ifindex != ifindex)
			continue;
		for (size_t j = 0; j < h->sent[i].ntlv; j++) {
			const struct babel_update *u = &h->sent[i].tlv[j].update;

			if (h->sent[i].tlv[j].type == BABEL_TLV_UPDATE &&
			    u->metric != BABEL_INFINITY &&
			    u->has_src_prefix == src &&
			    babel_prefix_equal(&u->prefix, &p))
				n++;
		}
	}
	return n;
}

static int count_ss_route(void *ctx, const struct babel_route_info *i)
{
	unsigned *n = ctx;

	*n += i->has_src_prefix;
	return 0;
}

/*
 * One packet from neighbour 0 on interface 1: a source-specific Update for
 * 2001:db8:ff::/48 from 2001:db8:1::/48, then a plain one for
 * 2001:db8:aa::/48 (same router-id TLV, same default prefix). Interface 2
 * has no neighbour, so what we announce there is what we re-announce.
 */
static struct h *ss_setup(void **state, bool ignore)
{
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .ignore_source_specific = ignore };
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED, .ll6 = our_ll() };
	struct babel_tlv t[2];
	struct h *h = *state = h_new(&cfg, false);

	assert_int_equal(babel_iface_add(h->b, 2, &ic, h->now), 0);
	bring_up(h, 0, false);
	h->nfib = 0;
	clear_sent(h);
	t[0] = ss_upd(0, "2001:db8:ff::/48", "2001:db8:1::/48", 100);
	t[1] = upd(0, "2001:db8:aa::/48", 1, 5, 100);
	feed(h, 0, t, 2);
	return h;
}

/* Without ignore_source_specific both are learned, selected, re-announced:
 * the reference for the test below. */
static void test_source_specific_update_is_selected_and_announced_by_default(void **state)
{
	struct h *h = ss_setup(state, false);
	struct babel_prefix p = pfx("2001:db8:ff::/48"), s = pfx("2001:db8:1::/48");
	struct babel_nexthop nh;
	struct babel_counters c;
	unsigned nss = 0;

	assert_true(selected_via(h, "2001:db8:aa::/48", 0, NULL));
	assert_int_equal(babel_route_selected(h->b, &p, &s, &nh, NULL), 0);
	assert_int_equal(h->nfib, 2);
	babel_foreach_route(h->b, count_ss_route, &nss);
	assert_int_equal(nss, 1);
	run_alive(h, h->now + 20 * SEC, 1, false);
	assert_true(finite_updates_on(h, 2, "2001:db8:aa::/48", false) >= 1);
	assert_true(finite_updates_on(h, 2, "2001:db8:ff::/48", true) >= 1);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.source_specific_ignored, 0);
}

/*
 * ignore_source_specific (a FIB that routes by destination only): the
 * source-specific Update is parsed and ignored whole, the plain one in the
 * same packet is applied. Nothing source-specific is selected, listed,
 * installed, announced or requested; each ignored TLV is counted.
 */
static void test_source_specific_tlvs_are_ignored_when_configured(void **state)
{
	struct h *h = ss_setup(state, true);
	struct babel_prefix p = pfx("2001:db8:ff::/48"), s = pfx("2001:db8:1::/48");
	struct babel_prefix a = pfx("2001:db8:aa::/48");
	struct babel_tlv rq = { .type = BABEL_TLV_ROUTE_REQ };
	struct babel_tlv sq = seqreq("2001:db8:ff::/48", 1, 6, 10);
	struct babel_nexthop nh;
	struct babel_counters c;
	struct count_ctx cc;
	unsigned nss = 0;

	assert_true(selected_via(h, "2001:db8:aa::/48", 0, NULL));
	assert_int_equal(babel_route_selected(h->b, &p, &s, &nh, NULL), -ENOENT);
	assert_int_equal(babel_route_lookup(h->b, &p, &s, count_route, &cc), -ENOENT);
	assert_int_equal(candidates(h, "2001:db8:ff::/48", &cc), 0);
	babel_foreach_route(h->b, count_ss_route, &nss);
	assert_int_equal(nss, 0);
	assert_int_equal(h->nfib, 1);
	assert_true(babel_prefix_equal(&h->fib[0].p, &a));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.source_specific_ignored, 1);
	assert_int_equal(c.prefixes, 1);
	assert_int_equal(c.routes, 1);
	assert_int_equal(c.sources, 1);
	/* periodic and triggered updates: the plain route only */
	run_alive(h, h->now + 20 * SEC, 1, false);
	assert_true(finite_updates_on(h, 2, "2001:db8:aa::/48", false) >= 1);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, update_has_src), 0);
	/* a source-specific retraction, route request and seqno request are
	 * ignored too: no answer, in particular no source-specific retraction */
	clear_sent(h);
	rq.route_req.prefix = p;
	rq.route_req.ae = BABEL_AE_IPV6;
	rq.route_req.has_src_prefix = true;
	rq.route_req.src_prefix = s;
	sq.seqno_req.has_src_prefix = true;
	sq.seqno_req.src_prefix = s;
	send1(h, 0, ss_upd(0, "2001:db8:ff::/48", "2001:db8:1::/48", BABEL_INFINITY));
	send1(h, 0, rq);
	send1(h, 0, sq);
	run_to(h, h->now + 1 * SEC);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, update_has_src), 0);
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.source_specific_ignored, 4);
	assert_true(selected_via(h, "2001:db8:aa::/48", 0, NULL));
	/* nor is one originated */
	assert_int_equal(babel_originate(h->b, &p, &s, 0, h->now), -EOPNOTSUPP);
	assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
}

static void test_neighbour_restart_drops_the_routes_of_its_previous_life(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_counters c;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.15.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.15.0.0/16", 0, NULL));
	h->hello_seq[0] += 20000;	/* it restarted: its Hello seqno jumps */
	send1(h, 0, hello(h, 0, false));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 0);
	assert_false(selected_via(h, "10.15.0.0/16", 0, NULL));
}

static void test_nothing_learned_is_selected_during_the_startup_hold(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .startup_hold_ms = 1000 };
	struct h *h;
	uint64_t t0;

	cfg.router_id[7] = 1;
	h = *state = h_new(&cfg, false);
	t0 = h->now;
	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.16.0.0/16", 1, 5, 100));
	assert_false(selected_via(h, "10.16.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	run_to(h, t0 + 1000 * MS);
	assert_true(selected_via(h, "10.16.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
}

/* Two registered WireGuard peers, a startup hold of 1 s (at most 3 s);
 * peer 0 is up at once with 10.17.0.0/16 at metric 300. */
static struct h *hold_two_peers(void **state, uint64_t *t0)
{
	struct babel_config cfg = { .router_id = { 1 }, .startup_hold_ms = 1000 };
	struct h *h = *state = h_new(&cfg, true);

	*t0 = h->now;
	for (int i = 0; i < 2; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	}
	bring_up(h, 0, true);
	send1(h, 0, upd(0, "10.17.0.0/16", 5, 5, 300));
	return h;
}

/* Peer 1 comes up with a better route for PREFIX (metric 100) while the
 * hold waits: the hold ends, LOG says when, and the first choice is
 * that route, one FIB change. */
static void late_peer_wins(struct h *h, const char *prefix, const char *log)
{
	bring_up(h, 1, true);
	send1(h, 1, upd(1, prefix, 6, 5, 100));
	run_to(h, h->now + 50 * MS);
	assert_true(selected_via(h, prefix, 1, NULL));
	assert_int_equal(h->nfib, 1);
	assert_non_null(strstr(h->last_log, log));
}

/* The hold ends when every peer's link is up, so the first choice is
 * made with the late peer's better route: one FIB change, never the
 * worse route first. */
static void test_the_startup_hold_waits_for_a_late_peer(void **state)
{
	uint64_t t0;
	struct h *h = hold_two_peers(state, &t0);

	run_to(h, t0 + 1300 * MS);
	assert_false(selected_via(h, "10.17.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	assert_non_null(strstr(h->last_log, "startup hold: waiting up to 3.0 s "
				      "for the link to 1 neighbour(s)"));
	late_peer_wins(h, "10.17.0.0/16", "startup hold over after 1.3");
}

/* A peer that never answers holds it up to startup_hold_max_ms (3 s). */
static void test_the_startup_hold_ends_at_its_maximum_without_a_dead_peer(void **state)
{
	uint64_t t0;
	struct h *h = hold_two_peers(state, &t0);

	run_to(h, t0 + 2950 * MS);
	assert_false(selected_via(h, "10.17.0.0/16", 0, NULL));
	run_to(h, t0 + 3000 * MS);
	assert_true(selected_via(h, "10.17.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
}

/* The hold counts from Babel's start on its first interface, not from
 * babel_new(): a daemon adds its interfaces once the kernel has listed
 * its links, and a hold that ran out before then held nothing. */
static void test_the_startup_hold_counts_from_the_first_interface(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .startup_hold_ms = 1000 };
	struct h *h = *state = h_new_bare(&cfg, NULL, NULL);
	uint64_t t1;

	run_to(h, h->now + 1500 * MS);	/* the links were listed late */
	h_add_iface(h, false);
	t1 = h->now;
	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.18.0.0/16", 5, 5, 300));
	run_to(h, t1 + 990 * MS);
	assert_false(selected_via(h, "10.18.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	run_to(h, t1 + 1000 * MS);
	assert_true(selected_via(h, "10.18.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
}

/* A WireGuard interface whose peers are not registered yet (the daemon
 * reads the device after adding the interface) holds too: the first
 * choice waits for them and their links. */
static void test_the_startup_hold_waits_for_the_peers_of_a_wireguard_interface(void **state)
{
	struct babel_config cfg = { .router_id = { 1 }, .startup_hold_ms = 1000 };
	struct h *h = *state = h_new(&cfg, true);
	uint64_t t0 = h->now;

	run_to(h, t0 + 1400 * MS);	/* the device read took 1.4 s */
	assert_non_null(strstr(h->last_log, "startup hold: waiting up to 3.0 s "
				      "for the peers of WireGuard interface 1"));
	for (int i = 0; i < 2; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	}
	bring_up(h, 0, true);
	send1(h, 0, upd(0, "10.18.0.0/16", 5, 5, 300));
	run_to(h, h->now + 30 * MS);
	assert_false(selected_via(h, "10.18.0.0/16", 0, NULL));
	late_peer_wins(h, "10.18.0.0/16", "startup hold over after 1.4");
}

static bool ihu_rxcost_96(const struct babel_tlv *t)
{
	return t->ihu.rxcost == 96;
}

/*
 * A new wired neighbour is usable from its first Hello and IHU (a 2-out-of-3
 * history younger than 3 Hellos is judged over the Hellos expected so far),
 * not a Hello interval later: our IHU says so at once, and a table it sends
 * right after is selected at once.
 */
static void test_new_neighbour_is_usable_after_its_first_hello_and_ihu(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	uint16_t m;

	clear_sent(h);
	send1(h, 0, hello(h, 0, false));
	run_to(h, h->now);
	assert_true(count_sent(h, BABEL_TLV_IHU, -1, ihu_rxcost_96) >= 1);
	send1(h, 0, ihu(96));
	run_to(h, h->now + 1200 * MS);
	send1(h, 0, upd(0, "10.20.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.20.0.0/16", 0, &m));
	assert_int_equal(m, 196);
	assert_int_equal(h->nfib, 1);
}

/* Routes that arrive before the neighbour's IHU are kept and selected the
 * moment its link cost becomes finite, without waiting for a new update. */
static void test_routes_received_before_the_ihu_are_selected_when_it_arrives(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct count_ctx cc;

	send1(h, 0, hello(h, 0, false));
	send1(h, 0, upd(0, "10.21.0.0/16", 1, 5, 100));
	send1(h, 0, upd(0, "10.22.0.0/16", 1, 5, 100));
	assert_int_equal(candidates(h, "10.21.0.0/16", &cc), 1);
	assert_false(selected_via(h, "10.21.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	send1(h, 0, ihu(96));
	assert_true(selected_via(h, "10.21.0.0/16", 0, NULL));
	assert_true(selected_via(h, "10.22.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 2);
}

/*
 * BIRD answers our first Hello with an IHU at once, before its own next
 * Hello: that IHU must not be dropped for coming from a neighbour we have
 * not heard a Hello from, or the link stays unusable until its next IHU
 * (three Hello intervals later).
 */
static void test_ihu_before_the_neighbours_first_hello_is_kept(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv t[2];
	struct babel_counters c;

	send1(h, 0, ihu(96));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 1);
	run_to(h, h->now + 2 * SEC);
	t[0] = hello(h, 0, false);
	t[1] = upd(0, "10.24.0.0/16", 1, 5, 100);
	feed(h, 0, t, 2);
	assert_true(selected_via(h, "10.24.0.0/16", 0, NULL));
}

/* A neighbour heard only through an IHU is forgotten when the IHU expires
 * (3.5 IHU intervals) if no Hello came. */
static void test_neighbour_heard_only_through_an_ihu_is_forgotten(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv x = ihu(96);
	struct babel_counters c;
	uint64_t t0 = h->now;

	x.ihu.interval = 1200;		/* 12 s: hold 42 s */
	send1(h, 0, x);
	run_to(h, t0 + 41 * SEC);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 1);
	run_to(h, t0 + 43 * SEC);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 0);
}

/* An IHU about someone else does not make a neighbour. */
static void test_ihu_about_another_node_does_not_create_a_neighbour(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv x = ihu(96);
	struct babel_counters c;

	x.ihu.addr = nb_addr(5);
	send1(h, 0, x);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.neighbours, 0);
}

/* A young history is strict: a new neighbour whose second Hello is missed
 * (1 of 2) is down again until it has 2 of its last 3. */
static void test_new_neighbour_that_misses_its_second_hello_is_down(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	struct babel_tlv t[2];
	uint64_t t0 = h->now;

	t[0] = hello(h, 0, false);
	t[1] = ihu(96);
	feed(h, 0, t, 2);
	send1(h, 0, upd(0, "10.23.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.23.0.0/16", 0, NULL));
	run_to(h, t0 + 6100 * MS);	/* 1.5 intervals: the next Hello is missed */
	assert_false(selected_via(h, "10.23.0.0/16", 0, NULL));
	h->hello_seq[0]++;		/* the missed one */
	send1(h, 0, hello(h, 0, false));	/* 2 of the last 3 */
	assert_true(selected_via(h, "10.23.0.0/16", 0, NULL));
}

static bool seqreq_rid2_seq8(const struct babel_tlv *t)
{
	return t->seqno_req.seqno == 8 && t->seqno_req.router_id[7] == 2 &&
	       t->seqno_req.hop_count == 64;
}

static void test_better_but_unfeasible_route_prompts_a_seqno_request(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 1, ihu(10));				/* B is a cheap link */
	send1(h, 0, upd(0, "10.17.0.0/16", 1, 5, 100));	/* via A: 196 */
	send1(h, 1, upd(1, "10.17.0.0/16", 2, 7, 50));	/* via B: 60, FD (7, 60) */
	assert_true(selected_via(h, "10.17.0.0/16", 1, NULL));
	clear_sent(h);
	send1(h, 1, upd(1, "10.17.0.0/16", 2, 7, 70));	/* unfeasible, yet 80 < 196 */
	assert_true(selected_via(h, "10.17.0.0/16", 0, NULL));
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, 1, seqreq_rid2_seq8), 1);
	/* B's answer with the new seqno is feasible and wins again */
	send1(h, 1, upd(1, "10.17.0.0/16", 2, 8, 70));
	assert_true(selected_via(h, "10.17.0.0/16", 1, NULL));
	/* an unfeasible update worse than the selected route asks nothing */
	clear_sent(h);
	send1(h, 0, upd(0, "10.17.0.0/16", 1, 5, 300));
	assert_int_equal(count_sent(h, BABEL_TLV_SEQNO_REQ, -1, NULL), 0);
}

struct rids {
	unsigned n;
	uint8_t last[8];
};

static int collect_source(void *ctx, const struct babel_source_info *i)
{
	struct rids *r = ctx;

	r->n++;
	memcpy(r->last, i->router_id, 8);
	return 0;
}

/*
 * §3.7.3: each source (feasibility distance) of a prefix is kept source_gc
 * after its own last use; the entry goes with the last. The older source
 * goes first, the one announced last still bounds feasibility.
 */
static void test_each_source_is_collected_source_gc_after_its_last_use(void **state)
{
	struct babel_config cfg = { .source_gc_ms = 60000 };
	struct h *h = *state = h_new(&cfg, false);
	struct babel_counters c;
	struct rids r = { 0 };
	uint64_t t1;

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 5, 300));		/* source rid 1 */
	t1 = h->now;
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 5, 10));		/* switch: rid 2 */
	assert_true(selected_via(h, "10.9.0.0/16", 1, NULL));
	babel_foreach_source(h->b, collect_source, &r);
	assert_int_equal(r.n, 2);
	/* rid 2 is used again (a new seqno is announced), then both retract */
	run_alive(h, t1 + 30 * SEC, 2, false);
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 6, 10));
	send1(h, 0, upd(0, "10.9.0.0/16", 1, 5, BABEL_INFINITY));
	send1(h, 1, upd(1, "10.9.0.0/16", 2, 6, BABEL_INFINITY));
	/* the routes expire after 56 s: rid 1 is older than 60 s by then */
	run_alive(h, t1 + 88 * SEC, 2, false);
	memset(&r, 0, sizeof(r));
	babel_foreach_source(h->b, collect_source, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last[7], 2);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.sources, 1);
	assert_int_equal(c.prefixes, 1);
	/* rid 2's distance still holds: a worse update is unfeasible */
	send1(h, 0, upd(0, "10.9.0.0/16", 2, 6, 1000));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.unfeasible_updates, 1);
	run_alive(h, t1 + 95 * SEC, 2, false);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.sources, 0);
	assert_int_equal(c.prefixes, 0);
}

static void test_non_babel_datagram_is_rejected_and_counted(void **state)
{
	struct h *h = *state = h_new(NULL, false);
	uint8_t junk[] = { 43, 2, 0, 0 };
	struct babel_addr src = nb_addr(0);
	struct babel_counters c;

	assert_int_equal(babel_receive(h->b, 1, &src, NULL, junk, sizeof(junk), h->now),
			 -EBADMSG);
	assert_int_equal(babel_receive(h->b, 9, &src, NULL, junk, sizeof(junk), h->now),
			 -ENOENT);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.parse.bad_packets, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, h_teardown)
		T(test_new_neighbour_gets_hello_ihu_and_a_wildcard_request),
		T(test_feasible_update_installs_the_route_and_reports_it),
		T(test_update_with_unfeasible_metric_is_ignored),
		T(test_large_improvement_switches_at_once),
		T(test_small_improvement_switches_only_after_smoothing),
		T(test_retraction_removes_the_route_from_the_fib),
		T(test_wildcard_retraction_retracts_every_route_of_the_neighbour),
		T(test_route_expires_after_3_5_update_intervals),
		T(test_neighbour_loss_drops_its_routes),
		T(test_route_limit_refuses_new_prefixes_and_keeps_existing),
		T(test_seqno_request_is_forwarded_with_decremented_hop_count),
		T(test_seqno_request_we_can_satisfy_is_answered_with_an_update),
		T(test_seqno_request_for_our_prefix_bumps_our_seqno_and_saves_it),
		T(test_starving_router_asks_for_a_new_seqno_and_resends_with_backoff),
		T(test_wildcard_request_gets_a_full_unicast_table_in_paced_chunks),
		T(test_a_large_first_dump_is_sent_twice),
		T(test_a_small_first_dump_is_sent_once),
		T(test_a_dump_to_a_wireguard_peer_is_paced_at_unicast_burst),
		T(test_periodic_update_interval_grows_with_the_table),
		T(test_periodic_update_interval_grows_with_the_peers),
		T(test_periodic_update_interval_one_peer_is_configured),
		T(test_large_full_update_goes_to_one_peer_after_the_other),
		T(test_originated_prefix_wins_over_a_learned_route),
		T(test_shutdown_retracts_every_originated_prefix),
		T(test_retractions_carry_the_router_id_and_seqno_of_their_source),
		T(test_retiring_retracts_everything_and_keeps_hellos_and_routes),
		T(test_unicast_only_interface_sends_unicast_hellos_to_each_peer),
		T(test_split_horizon_does_not_announce_a_route_back_to_its_next_hop),
		T(test_a_peer_heard_for_the_first_time_gets_the_table_at_once),
		T(test_a_lost_neighbour_is_reported_once_with_its_cause),
		T(test_a_batch_of_originations_is_packed_into_few_datagrams),
		T(test_losing_a_whole_table_sends_a_bounded_number_of_seqno_requests),
		T(test_rtt_from_timestamps_adds_the_rtt_penalty),
		T(test_rtt_counts_from_the_kernel_receive_time),
		T(test_interface_down_drops_its_neighbours_and_routes),
		T(test_source_specific_routes_are_kept_apart),
		T(test_source_specific_update_is_selected_and_announced_by_default),
		T(test_source_specific_tlvs_are_ignored_when_configured),
		T(test_neighbour_restart_drops_the_routes_of_its_previous_life),
		T(test_nothing_learned_is_selected_during_the_startup_hold),
		T(test_the_startup_hold_waits_for_a_late_peer),
		T(test_the_startup_hold_ends_at_its_maximum_without_a_dead_peer),
		T(test_the_startup_hold_counts_from_the_first_interface),
		T(test_the_startup_hold_waits_for_the_peers_of_a_wireguard_interface),
		T(test_better_but_unfeasible_route_prompts_a_seqno_request),
		T(test_each_source_is_collected_source_gc_after_its_last_use),
		T(test_a_new_router_id_is_announced_again_300_ms_later),
		T(test_non_babel_datagram_is_rejected_and_counted),
		T(test_new_neighbour_is_usable_after_its_first_hello_and_ihu),
		T(test_routes_received_before_the_ihu_are_selected_when_it_arrives),
		T(test_new_neighbour_that_misses_its_second_hello_is_down),
		T(test_ihu_before_the_neighbours_first_hello_is_kept),
		T(test_neighbour_heard_only_through_an_ihu_is_forgotten),
		T(test_ihu_about_another_node_does_not_create_a_neighbour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
