/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_restart.c — a graceful restart (babel_shutdown_restart,
 * the daemon's keep-routes-on-exit): the stopping engine retracts nothing
 * and sends a Hello with a Restart sub-TLV; a neighbour that hears it keeps
 * the restarting next hop through the ICMP port unreachable and the missed
 * fast probes of the gap, takes the new instance's Hello seqnos without a
 * restart flush, and loses it as usual once the announced time (at most
 * 30 s, whatever it asked) is over.
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

static int h_free_state(void **state)
{
	return h_teardown(state);
}

/* Neighbours 0 and 1 up on a WireGuard (unicast only) link; 0 is the
 * better way to 10.20/16, so it is probed fast. */
static struct h *two_ways(void)
{
	struct h *h = h_new(NULL, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1);

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	send1(h, 0, upd(0, "10.20.0.0/16", 9, 5, 100));
	send1(h, 1, upd(1, "10.20.0.0/16", 7, 5, 300));
	run_alive(h, h->now + 2 * SEC, 2, true);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	h->nfib = 0;
	return h;
}

/* Neighbour 0's last Hello: back within cs centiseconds. */
static void announce_restart(struct h *h, uint16_t cs)
{
	struct babel_tlv t = hello(h, 0, true);

	t.hello.restart_cs = cs;
	feed(h, 0, &t, 1);
}

/* Time passes; only neighbour 1 answers. */
static void run_without_0(struct h *h, uint64_t until)
{
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };

	while (h->now + 10 * MS <= until) {
		run_to(h, h->now + 10 * MS);
		if (h->now % (100 * MS) == 0)
			feed(h, 1, &ack, 1);
	}
}

/* Longer gaps: neighbour 1 says Hello too, as a live neighbour does. */
static void run_long_without_0(struct h *h, uint64_t until)
{
	while (h->now + SEC <= until) {
		struct babel_tlv x[2] = { hello(h, 1, true), ihu(96) };

		run_without_0(h, h->now + SEC);
		feed(h, 1, x, 2);
	}
	run_without_0(h, until);
}

#define NEW_TS 123456u

/* The IHU that answers the new instance's first Hello (NEW_TS). */
static bool ihu_answers_new_hello(const struct babel_tlv *t)
{
	return t->ihu.rxcost == 96 && t->ihu.has_timestamp &&
	       t->ihu.ts_origin == NEW_TS;
}

static void test_an_announced_restart_moves_nothing_and_resumes(void **state)
{
	struct h *h = *state = two_ways();
	struct babel_addr a = nb_addr(0);
	struct babel_tlv x[2];
	struct babel_counters c;
	uint64_t t0;

	announce_restart(h, 200);
	t0 = h->now;
	/* The gap: its port is closed, its probes go unanswered for 1.5 s,
	 * longer than the 0.9 s that lose a silent next hop. */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 2);
	run_without_0(h, t0 + 1500 * MS);
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 2);
	assert_int_equal(h->nlost, 0);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	/* The new instance: Hello seqnos from elsewhere, an IHU still
	 * infinite (it has not heard us twice yet). */
	h->hello_seq[0] += 30000;
	x[0] = hello(h, 0, true);
	x[0].hello.has_timestamp = true;
	x[0].hello.timestamp = NEW_TS;
	x[1] = ihu(BABEL_INFINITY);
	clear_sent(h);
	feed(h, 0, x, 2);
	/* Answered at once, so that its link to us is up before its startup
	 * hold ends (not at our next periodic Hello): an IHU that counts
	 * this Hello (a finite rxcost) and echoes its timestamp. */
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, 0, NULL), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_IHU, 0, NULL), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_IHU, 0, ihu_answers_new_hello), 1);
	run_to(h, h->now + 10 * MS);
	/* Its routes were not flushed, its link cost did not move: the FIB
	 * never changed. */
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 0);
	assert_int_equal(h->nlost, 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.restarts_announced, 1);
	assert_int_equal(c.restarts_resumed, 1);
	assert_int_equal(c.routes, 2);
	/* Back to the usual rules: an ICMP now is a loss. */
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 0);
	assert_int_equal(h->last_loss, BABEL_LOSS_UNREACHABLE);
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
}

static void test_an_announced_restart_that_never_comes_back_is_lost_when_due(void **state)
{
	struct h *h = *state = two_ways();
	uint64_t t0, lost = 0;

	announce_restart(h, 200);
	t0 = h->now;
	while (h->now < t0 + 4 * SEC && !h->nlost) {
		run_without_0(h, h->now + 10 * MS);
		if (h->nlost)
			lost = h->now - t0;
	}
	print_message("  lost %.3f s after its restart Hello\n", (double)lost / SEC);
	assert_int_equal(h->nlost, 1);
	assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
	/* Not before the 2 s it asked for; at the first probe tick after. */
	assert_in_range(lost, 2 * SEC, 2 * SEC + 100 * MS);
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
}

static void test_a_restart_window_longer_than_30_s_is_cut_to_30_s(void **state)
{
	struct h *h = *state = two_ways();
	struct babel_addr a = nb_addr(0);
	uint64_t t0;

	/* 600 s asked: the ICMP unreachables and silent probes of the gap
	 * do not lose it for 30 s; then the probes do, not ten minutes
	 * later (nor at the Hello timeout: neighbour 1's Hellos keep 0
	 * the better way). */
	announce_restart(h, 60000);
	t0 = h->now;
	assert_non_null(strstr(h->last_log, "asked 600.00 s, kept for 30.00 s"));
	run_long_without_0(h, t0 + 30 * SEC - 10 * MS);
	assert_int_equal(h->nlost, 0);
	assert_int_equal(babel_neigh_unreachable(h->b, 1, &a, h->now), 2);
	while (h->now < t0 + 40 * SEC && !h->nlost)
		run_long_without_0(h, h->now + 10 * MS);
	print_message("  lost %.3f s after a 600 s restart Hello\n",
		      (double)(h->now - t0) / SEC);
	assert_int_equal(h->nlost, 1);
	assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
	assert_in_range(h->now - t0, 30 * SEC, 30 * SEC + 100 * MS);
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
}

static void test_without_an_announcement_new_seqnos_flush_its_routes(void **state)
{
	struct h *h = *state = two_ways();
	struct babel_tlv x[2];
	struct babel_counters c;

	/* A restart nobody announced: its routes are from its previous life
	 * (feasibility distances it lost), so they go. */
	h->hello_seq[0] += 30000;
	x[0] = hello(h, 0, true);
	x[1] = ihu(96);
	feed(h, 0, x, 2);
	run_to(h, h->now + 10 * MS);
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 1);
	assert_int_equal(c.restarts_announced, 0);
}

static bool has_restart(const struct babel_tlv *t)
{
	return t->hello.restart_cs != 0;
}

static void test_shutdown_restart_retracts_nothing_and_says_when_it_is_back(void **state)
{
	struct h *h = *state = two_ways();
	struct babel_counters c;
	struct babel_prefix p = pfx("10.99.0.0/16");

	assert_int_equal(babel_originate(h->b, &p, NULL, 0, h->now), 0);
	run_to(h, h->now + 10 * MS);
	clear_sent(h);
	babel_shutdown_restart(h->b, 1500, h->now);
	/* One Hello to each peer, saying 1.5 s; no Update at all. */
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, 0, has_restart), 1);
	assert_int_equal(count_sent(h, BABEL_TLV_HELLO, 1, has_restart), 1);
	assert_int_equal(find_sent(h, BABEL_TLV_HELLO)->hello.restart_cs, 150);
	assert_int_equal(count_sent(h, BABEL_TLV_UPDATE, -1, NULL), 0);
	/* Nothing afterwards, nothing left to the FIB to undo. */
	clear_sent(h);
	run_to(h, h->now + 5 * SEC);
	assert_int_equal(h->nsent, 0);
	assert_int_equal(h->nfib, 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.xroutes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_an_announced_restart_moves_nothing_and_resumes,
					  h_free_state),
		cmocka_unit_test_teardown(test_an_announced_restart_that_never_comes_back_is_lost_when_due,
					  h_free_state),
		cmocka_unit_test_teardown(test_a_restart_window_longer_than_30_s_is_cut_to_30_s,
					  h_free_state),
		cmocka_unit_test_teardown(test_without_an_announcement_new_seqnos_flush_its_routes,
					  h_free_state),
		cmocka_unit_test_teardown(test_shutdown_restart_retracts_nothing_and_says_when_it_is_back,
					  h_free_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
