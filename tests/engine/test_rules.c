/* SPDX-License-Identifier: MIT */
/* tests/engine/test_rules.c — seqno, metric, feasibility, link cost, RTT,
 * smoothing (proto/rules.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto/rules.h"
#include "proto/wire.h"

static void test_seqno_comparison_wraps_modulo_2_16(void **state)
{
	(void)state;
	assert_true(babel_seqno_lt(1, 2));
	assert_false(babel_seqno_lt(2, 1));
	assert_false(babel_seqno_lt(7, 7));
	assert_true(babel_seqno_lt(0xFFFF, 0));
	assert_true(babel_seqno_lt(0xFFF0, 0x0010));
	assert_false(babel_seqno_lt(0x0010, 0xFFF0));
	assert_true(babel_seqno_lt(0, 0x7FFF));
	assert_false(babel_seqno_lt(0, 0x8000));	/* half-way is not "less" */
	assert_true(babel_seqno_le(5, 5));
	assert_int_equal(babel_seqno_plus(0xFFFF, 1), 0);
}

static void test_metric_addition_saturates_at_infinity(void **state)
{
	(void)state;
	assert_int_equal(babel_metric_add(96, 96), 192);
	assert_int_equal(babel_metric_add(0xFFFE, 1), BABEL_INFINITY);
	assert_int_equal(babel_metric_add(0xFF00, 0x0200), BABEL_INFINITY);
	assert_int_equal(babel_metric_add(BABEL_INFINITY, 0), BABEL_INFINITY);
	assert_int_equal(babel_metric_add(0, 0), 0);
}

static void test_update_is_feasible_with_newer_seqno_or_strictly_smaller_metric(void **state)
{
	(void)state;
	assert_true(babel_feasible(false, 0, 0, 3, 1000));		/* no source */
	assert_true(babel_feasible(true, 10, 200, 11, 5000));		/* newer */
	assert_true(babel_feasible(true, 10, 200, 10, 199));		/* smaller */
	assert_false(babel_feasible(true, 10, 200, 10, 200));		/* equal */
	assert_false(babel_feasible(true, 10, 200, 9, 1));		/* older */
	assert_true(babel_feasible(true, 0xFFFF, 200, 0, 300));	/* wraps */
	assert_true(babel_feasible(true, 10, 200, 9, BABEL_INFINITY)); /* retraction */
}

static void test_hello_history_shifts_in_missed_hellos(void **state)
{
	uint16_t h = 0, exp = 0;
	bool valid = false;

	(void)state;
	babel_hello_history_receive(&h, &exp, &valid, 100);
	assert_int_equal(h, 0x8000);
	babel_hello_history_receive(&h, &exp, &valid, 101);
	assert_int_equal(h, 0xC000);
	babel_hello_history_receive(&h, &exp, &valid, 103);	/* 102 lost */
	assert_int_equal(h, 0xB000);
	babel_hello_history_miss(&h, &exp);
	assert_int_equal(h, 0x5800);
	assert_int_equal(exp, 105);
}

static void test_reordered_hello_is_ignored_but_a_far_jump_restarts_history(void **state)
{
	uint16_t h = 0, exp = 0;
	bool valid = false;

	(void)state;
	babel_hello_history_receive(&h, &exp, &valid, 10);
	babel_hello_history_receive(&h, &exp, &valid, 12);
	babel_hello_history_receive(&h, &exp, &valid, 11);	/* late */
	assert_int_equal(h, 0xA000);
	assert_false(babel_hello_history_receive(&h, &exp, &valid, 13));
	assert_true(babel_hello_history_receive(&h, &exp, &valid, 40000));	/* restarted */
	assert_int_equal(h, 0x8000);
	assert_int_equal(exp, 40001);
}

static void test_2_out_of_3_needs_two_of_the_last_three_hellos(void **state)
{
	(void)state;
	assert_int_equal(babel_rxcost_2of3(0x8000, 16, 96), BABEL_INFINITY);
	assert_int_equal(babel_rxcost_2of3(0xC000, 16, 96), 96);
	assert_int_equal(babel_rxcost_2of3(0xA000, 16, 96), 96);
	assert_int_equal(babel_rxcost_2of3(0x6000, 16, 96), 96);
	assert_int_equal(babel_rxcost_2of3(0x4FFF, 16, 96), BABEL_INFINITY);
	assert_int_equal(babel_rxcost_2of3(0x8000, 3, 96), BABEL_INFINITY);
	assert_int_equal(babel_link_cost_2of3(96, 300), 300);
	assert_int_equal(babel_link_cost_2of3(BABEL_INFINITY, 96), BABEL_INFINITY);
}

static void test_young_hello_history_needs_every_hello_expected_so_far(void **state)
{
	uint16_t h = 0, exp = 0;
	bool valid = false;

	(void)state;
	babel_hello_history_receive(&h, &exp, &valid, 0xFFFF);
	assert_int_equal(babel_hello_history_span(exp, 0xFFFF), 1);
	assert_int_equal(babel_rxcost_2of3(h, 1, 96), 96);		/* 1 of 1 */
	babel_hello_history_miss(&h, &exp);
	assert_int_equal(babel_hello_history_span(exp, 0xFFFF), 2);	/* wraps */
	assert_int_equal(babel_rxcost_2of3(h, 2, 96), BABEL_INFINITY);	/* 1 of 2 */
	assert_int_equal(babel_rxcost_2of3(0xC000, 2, 96), 96);		/* 2 of 2 */
	assert_int_equal(babel_rxcost_2of3(0xA000, 3, 96), 96);		/* 2 of 3 */
	assert_int_equal(babel_rxcost_2of3(0, 0, 96), BABEL_INFINITY);
	assert_int_equal(babel_hello_history_span(1000, 1), 16);	/* capped */
}

static void test_etx_cost_grows_with_loss(void **state)
{
	(void)state;
	assert_int_equal(babel_rxcost_etx(0xFFFF), 256);
	assert_int_equal(babel_rxcost_etx(0xFF00), 512);
	assert_int_equal(babel_rxcost_etx(0), BABEL_INFINITY);
	assert_int_equal(babel_link_cost_etx(256, 256), 256);
	assert_int_equal(babel_link_cost_etx(512, 512), 1024);
	assert_int_equal(babel_link_cost_etx(512, 100), 512);	/* txcost floored at 256 */
}

static void test_rtt_sample_subtracts_the_neighbours_hold_time(void **state)
{
	uint32_t rtt;

	(void)state;
	/* we sent at 1000, it received at 50000 (its clock), replied at
	 * 50300, we got it at 21300: 20300 total, 300 held */
	assert_true(babel_rtt_sample(21300, 1000, 50000, 50300, &rtt));
	assert_int_equal(rtt, 20000);
	/* wrap-around of the 32-bit clock */
	assert_true(babel_rtt_sample(100, 0xFFFFFF00u, 7, 107, &rtt));
	assert_int_equal(rtt, 256);
	/* a negative sample is rejected */
	assert_false(babel_rtt_sample(1000, 900, 0, 500, &rtt));
}

static void test_rtt_penalty_is_linear_between_min_and_max(void **state)
{
	(void)state;
	assert_int_equal(babel_rtt_penalty(5000, 10000, 120000, 150), 0);
	assert_int_equal(babel_rtt_penalty(65000, 10000, 120000, 150), 75);
	assert_int_equal(babel_rtt_penalty(500000, 10000, 120000, 150), 150);
	assert_int_equal(babel_rtt_smooth(0, false, 8000), 8000);
	assert_int_equal(babel_rtt_smooth(8000, true, 8000), 8000);
	assert_true(babel_rtt_smooth(8000, true, 80000) < 80000 / 4);
}

/*
 * The first samples after a neighbour (re)appears: a smaller one replaces
 * the estimate at once (a first sample inflated by the neighbour's start
 * is forgotten by the second), a larger one is smoothed; from the
 * BABEL_RTT_START_SAMPLES-th on, every sample is smoothed.
 */
static void test_rtt_start_takes_the_smallest_early_sample(void **state)
{
	uint8_t n = 0;
	uint32_t srtt;

	(void)state;
	srtt = babel_rtt_update(0, &n, 139600);		/* held at its start */
	assert_int_equal(srtt, 139600);
	srtt = babel_rtt_update(srtt, &n, 1000);	/* the link's RTT */
	assert_int_equal(srtt, 1000);
	srtt = babel_rtt_update(srtt, &n, 9000);	/* larger: smoothed */
	assert_int_equal(srtt, babel_rtt_smooth(1000, true, 9000));
	assert_true(srtt < 9000);
	srtt = babel_rtt_update(srtt, &n, 500);		/* 4th: still early */
	assert_int_equal(srtt, 500);
	assert_int_equal(n, BABEL_RTT_START_SAMPLES);
	srtt = babel_rtt_update(srtt, &n, 100);		/* 5th: smoothed */
	assert_int_equal(srtt, babel_rtt_smooth(500, true, 100));
	assert_true(srtt > 100);
	assert_int_equal(n, BABEL_RTT_START_SAMPLES);
	/* smoothing alone keeps most of a 139.6 ms first sample for seconds */
	assert_true(babel_rtt_smooth(139600, true, 1000) > 100000);
}

static void test_smoothed_metric_halves_the_gap_every_half_life(void **state)
{
	(void)state;
	assert_int_equal(babel_metric_smooth(1000, 200, 4000000, 4000000), 600);
	assert_int_equal(babel_metric_smooth(200, 1000, 4000000, 4000000), 600);
	assert_int_equal(babel_metric_smooth(1000, 200, 0, 4000000), 1000);
	assert_int_equal(babel_metric_smooth(1000, 200, 400000000, 4000000), 200);
	assert_int_equal(babel_metric_smooth(BABEL_INFINITY, 200, 1, 4000000), 200);
	assert_int_equal(babel_metric_smooth(300, BABEL_INFINITY, 1, 4000000), BABEL_INFINITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seqno_comparison_wraps_modulo_2_16),
		cmocka_unit_test(test_metric_addition_saturates_at_infinity),
		cmocka_unit_test(test_update_is_feasible_with_newer_seqno_or_strictly_smaller_metric),
		cmocka_unit_test(test_hello_history_shifts_in_missed_hellos),
		cmocka_unit_test(test_reordered_hello_is_ignored_but_a_far_jump_restarts_history),
		cmocka_unit_test(test_2_out_of_3_needs_two_of_the_last_three_hellos),
		cmocka_unit_test(test_young_hello_history_needs_every_hello_expected_so_far),
		cmocka_unit_test(test_etx_cost_grows_with_loss),
		cmocka_unit_test(test_rtt_sample_subtracts_the_neighbours_hold_time),
		cmocka_unit_test(test_rtt_penalty_is_linear_between_min_and_max),
		cmocka_unit_test(test_rtt_start_takes_the_smallest_early_sample),
		cmocka_unit_test(test_smoothed_metric_halves_the_gap_every_half_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
