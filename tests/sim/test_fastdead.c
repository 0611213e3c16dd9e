/* SPDX-License-Identifier: MIT */
/*
 * tests/sim/test_fastdead.c — fast failure detection over the simulator
 * (issue 16): a next hop cut silently (no interface event, no ICMP: its
 * packets just stop) is lost within a second and the routes move; a next
 * hop on a lossy link is never lost in 10 minutes; a neighbour that is no
 * next hop is not probed fast. Hellos at the daemon's default 4 s, so
 * none of this can come from Hello timeouts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/sim/sim.h"

#define HOP 96
#define LINK { .delay_us = 2 * SIM_MS, .jitter_us = 1 * SIM_MS, .loss = 0 }

static const struct sim_link_props link_props = LINK;

enum { A, B, C, E, D, N };

/*
 * A reaches D's prefix through B (two hops) or through C and E (three):
 *
 *	A --ab-- B ------ D
 *	|                 |
 *	C ------ E -------+
 */
struct diamond {
	struct sim *s;
	int ab, k;
};

static void diamond(struct diamond *t, uint64_t seed)
{
	struct sim *s = sim_new(N, seed);
	struct babel_prefix p = sim_prefix("10.4.0.0/16");

	sim_set_intervals(s, 4000, 16000);
	t->ab = sim_link_wg(s, A, B, link_props);
	sim_link_wg(s, B, D, link_props);
	sim_link_wg(s, A, C, link_props);
	sim_link_wg(s, C, E, link_props);
	sim_link_wg(s, E, D, link_props);
	t->k = sim_track(s, &p);
	sim_originate(s, D, &p, 0);
	t->s = s;
	if (sim_run_until_converged(s, HOP, 30 * SIM_S) == UINT64_MAX)
		fail_msg("the diamond did not converge");
	assert_int_equal(sim_next_hop(s, A, t->k), B);
}

static int count_fast(void *ctx, const struct babel_neighbour_info *i)
{
	unsigned *n = ctx;

	*n += i->fast_probe;
	return 0;
}

static unsigned fast_probed(struct sim *s, unsigned r)
{
	unsigned n = 0;

	babel_foreach_neighbour(sim_router(s, r), count_fast, &n);
	return n;
}

static uint64_t losses(struct sim *s, unsigned r, int cause)
{
	struct babel_counters c;
	uint64_t n = 0;

	babel_get_counters(sim_router(s, r), &c);
	if (cause >= 0)
		return c.neighbours_lost[cause];
	for (int i = 0; i < BABEL_LOSS_MAX; i++)
		n += c.neighbours_lost[i];
	return n;
}

static void test_a_silently_cut_next_hop_is_lost_within_1_s_and_routes_move(void **state)
{
	struct diamond t;
	uint64_t cut, moved = 0;

	(void)state;
	diamond(&t, 1);
	/* Run a while at an arbitrary phase of the probe and Hello timers. */
	sim_run_until(t.s, sim_now(t.s) + 7 * SIM_S + 333 * SIM_MS);
	assert_int_equal(losses(t.s, A, -1), 0);
	cut = sim_now(t.s);
	sim_link_set_up(t.s, t.ab, false);
	while (sim_now(t.s) < cut + 3 * SIM_S) {
		sim_run_until(t.s, sim_now(t.s) + SIM_MS);
		if (sim_next_hop(t.s, A, t.k) == C) {
			moved = sim_now(t.s) - cut;
			break;
		}
	}
	print_message("  A moved from B to C %.3f s after the silent cut\n",
		      (double)moved / SIM_S);
	assert_true(moved > 0);
	/* 9 probe intervals of 100 ms after the last packet from B, which
	 * may have been in flight at the cut (link delay up to 3 ms). */
	assert_true(moved <= SIM_S + 3 * SIM_MS);
	assert_int_equal(losses(t.s, A, BABEL_LOSS_PROBE), 1);
	assert_int_equal(losses(t.s, A, -1), 1);
	assert_int_equal(sim_reaches(t.s, A, t.k), D);
	/* C, A's only working link now, is not probed: if it died too there
	 * would be nowhere to go (neighbour.c). */
	assert_int_equal(fast_probed(t.s, A), 0);
	sim_free(t.s);
}

static void test_a_next_hop_on_a_10_percent_lossy_link_is_never_lost_in_10_minutes(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct diamond t;
		struct babel_counters c;
		unsigned changes = 0;
		int nh;

		diamond(&t, seed);
		/* Random loss on both directions of A-B: a probe round trip
		 * fails 19 % of the time. */
		sim_link_set_loss(t.s, t.ab, 0.10);
		nh = sim_next_hop(t.s, A, t.k);
		for (uint64_t end = sim_now(t.s) + 600 * SIM_S; sim_now(t.s) < end;) {
			sim_run_until(t.s, sim_now(t.s) + 50 * SIM_MS);
			if (sim_next_hop(t.s, A, t.k) != nh) {
				changes++;
				nh = sim_next_hop(t.s, A, t.k);
				assert_int_not_equal(nh, C);
			}
		}
		babel_get_counters(sim_router(t.s, A), &c);
		print_message("  seed %llu: %llu probes, %llu neighbour losses, "
			      "%u next-hop changes at A in 600 s\n",
			      (unsigned long long)seed,
			      (unsigned long long)c.fast_probes_sent,
			      (unsigned long long)losses(t.s, A, -1), changes);
		/* Probed all along: at every other 100 ms tick (an Ack
		 * heard spares the next one), more often when Acks are
		 * lost: over 5 a second. */
		assert_true(c.fast_probes_sent >= 2900);
		assert_int_equal(losses(t.s, A, -1), 0);
		assert_int_equal(losses(t.s, B, -1), 0);
		/*
		 * A route can still expire when three of B's periodic updates
		 * in a row are lost (10^-3 per update at 10 %, hold 3.5 x
		 * 16 s): seeds 1 and 2 show one each, the route gone and back
		 * (through a seqno request) within 50 ms, never to C. That is
		 * the update interval's doing (RFC 8966 3.8.1.1's request
		 * before expiry would cover it), not failure detection: B is
		 * never lost and A never moves to C.
		 */
		assert_int_equal(sim_next_hop(t.s, A, t.k), B);
		sim_free(t.s);
	}
}

static void test_a_neighbour_that_is_no_next_hop_is_not_probed_fast(void **state)
{
	struct diamond t;
	struct babel_counters c0, c1;

	(void)state;
	diamond(&t, 3);
	/* A: B is the next hop of D's prefix, C of nothing (A's route via
	 * C is a candidate only). */
	assert_int_equal(fast_probed(t.s, A), 1);
	babel_get_counters(sim_router(t.s, A), &c0);
	sim_run_until(t.s, sim_now(t.s) + 10 * SIM_S);
	babel_get_counters(sim_router(t.s, A), &c1);
	/* 10 s at 100 ms, B answering each probe (so the tick after it is
	 * spared): about 50 probes, to B alone. */
	assert_in_range(c1.fast_probes_sent - c0.fast_probes_sent, 45, 55);
	assert_int_equal(c1.fast_probed, 1);
	/* E routes to D directly; C's next hop for D is E, and nobody
	 * routes through A, which originates nothing: A is probed by none. */
	assert_int_equal(fast_probed(t.s, C), 1);
	assert_int_equal(fast_probed(t.s, D), 0);
	sim_free(t.s);
}

/*
 * A 20-node full mesh, every node the origin of a prefix: each node's 19
 * neighbours are all next hops and probe each other. Before the budget
 * every node sent 190 Ack Requests a second (and 190 Acks); under it at
 * most fast_probe_rate (160) intervals a second, 119 ms each, and a
 * neighbour heard in an interval (its own probes, its Acks) is not asked.
 */
static void test_a_20_node_mesh_stays_within_the_probe_budget(void **state)
{
	enum { M = 20 };
	struct sim *s = sim_new(M, 7);
	struct babel_counters c0[M], c1[M];
	uint64_t total = 0, most = 0, lost = 0;
	int k[M];

	(void)state;
	sim_set_intervals(s, 4000, 16000);
	for (unsigned a = 0; a < M; a++)
		for (unsigned b = a + 1; b < M; b++)
			sim_link_wg(s, a, b, link_props);
	for (unsigned r = 0; r < M; r++) {
		char buf[32];
		struct babel_prefix p;

		snprintf(buf, sizeof(buf), "10.%u.0.0/16", 10 + r);
		p = sim_prefix(buf);
		k[r] = sim_track(s, &p);
		sim_originate(s, r, &p, 0);
	}
	if (sim_run_until_converged(s, HOP, 30 * SIM_S) == UINT64_MAX)
		fail_msg("the mesh did not converge");
	for (unsigned r = 0; r < M; r++) {
		assert_int_equal(fast_probed(s, r), M - 1);
		babel_get_counters(sim_router(s, r), &c0[r]);
	}
	sim_run_until(s, sim_now(s) + 10 * SIM_S);
	for (unsigned r = 0; r < M; r++) {
		uint64_t n;

		babel_get_counters(sim_router(s, r), &c1[r]);
		n = c1[r].fast_probes_sent - c0[r].fast_probes_sent;
		total += n;
		most = n > most ? n : most;
		lost += losses(s, r, -1);
		/* Every route still direct. */
		for (unsigned o = 0; o < M; o++)
			if (o != r)
				assert_int_equal(sim_next_hop(s, r, k[o]), (int)o);
	}
	print_message("  20-node mesh: %.1f probes a second per node on "
		      "average, %.1f at most (no budget, no sparing: 190)\n",
		      (double)total / M / 10, (double)most / 10);
	/* The budget: 160 intervals a second, at most one probe each. */
	assert_true(most <= 160 * 10);
	/* And the sparing: a pair mostly answers each other's probes. */
	assert_true(total / M <= 100 * 10);
	assert_int_equal(lost, 0);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_silently_cut_next_hop_is_lost_within_1_s_and_routes_move),
		cmocka_unit_test(test_a_next_hop_on_a_10_percent_lossy_link_is_never_lost_in_10_minutes),
		cmocka_unit_test(test_a_neighbour_that_is_no_next_hop_is_not_probed_fast),
		cmocka_unit_test(test_a_20_node_mesh_stays_within_the_probe_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
