/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_stable.c — the stable choice of default routes
 * (babel_config.stable_margin / stable_hold_ms): an exit is left when it
 * fails, at once, or when another is better by the margin all through the
 * hold; other prefixes keep Babel's usual selection. Time is a parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "proto/babel.h"
#include "tests/engine/harness.h"

#define MARGIN 256
#define HOLD_S 20

static struct h *stable_h(void **state)
{
	struct babel_config c = {
		.router_id = { 0, 0, 0, 0, 0, 0, 0, 1 }, .seqno = 100,
		.stable_margin = MARGIN, .stable_hold_ms = HOLD_S * 1000,
	};
	struct h *h = *state = h_new(&c, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	return h;
}

/* Both exits announce PREFIX (metrics MA, MB; 0: not announced) once a
 * second until T, with Hellos and IHUs keeping them alive. */
static void announce_until(struct h *h, const char *prefix, uint16_t ma,
			   uint16_t mb, uint64_t t)
{
	while (h->now + SEC <= t) {
		if (ma)
			send1(h, 0, upd(0, prefix, 1, 5, ma));
		if (mb)
			send1(h, 1, upd(1, prefix, 2, 5, mb));
		run_alive(h, h->now + SEC, 2, false);
	}
}

static void test_default_route_stays_on_an_exit_better_by_less_than_the_margin(void **state)
{
	struct h *h = stable_h(state);

	announce_until(h, "0.0.0.0/0", 300, 0, h->now + 2 * SEC);
	assert_true(selected_via(h, "0.0.0.0/0", 0, NULL));
	/* B is 250 better: Babel's usual selection switches at once (more
	 * than switch_threshold 128), the stable choice never. */
	announce_until(h, "0.0.0.0/0", 300, 50, h->now + 3 * HOLD_S * SEC);
	assert_true(selected_via(h, "0.0.0.0/0", 0, NULL));
}

static void test_default_route_moves_when_better_by_the_margin_all_through_the_hold(void **state)
{
	struct h *h = stable_h(state);
	uint64_t t0;

	announce_until(h, "::/0", 400, 0, h->now + 2 * SEC);
	assert_true(selected_via(h, "::/0", 0, NULL));
	t0 = h->now;
	announce_until(h, "::/0", 400, 100, t0 + (HOLD_S - 2) * SEC);
	assert_true(selected_via(h, "::/0", 0, NULL));
	announce_until(h, "::/0", 400, 100, t0 + (HOLD_S + 2) * SEC);
	assert_true(selected_via(h, "::/0", 1, NULL));
}

static void test_hold_starts_again_when_the_margin_is_lost_midway(void **state)
{
	struct h *h = stable_h(state);
	uint64_t t0;

	announce_until(h, "0.0.0.0/0", 400, 0, h->now + 2 * SEC);
	t0 = h->now;
	announce_until(h, "0.0.0.0/0", 400, 100, t0 + HOLD_S / 2 * SEC);
	/* only 200 better for a moment: the hold starts over */
	announce_until(h, "0.0.0.0/0", 400, 200, h->now + 2 * SEC);
	t0 = h->now;
	announce_until(h, "0.0.0.0/0", 400, 100, t0 + (HOLD_S - 2) * SEC);
	assert_true(selected_via(h, "0.0.0.0/0", 0, NULL));
	announce_until(h, "0.0.0.0/0", 400, 100, t0 + (HOLD_S + 2) * SEC);
	assert_true(selected_via(h, "0.0.0.0/0", 1, NULL));
}

static void test_default_route_moves_at_once_when_its_exit_fails(void **state)
{
	struct h *h = stable_h(state);

	announce_until(h, "0.0.0.0/0", 100, 300, h->now + 2 * SEC);
	assert_true(selected_via(h, "0.0.0.0/0", 0, NULL));
	h->nfib = 0;
	send1(h, 0, upd(0, "0.0.0.0/0", 1, 5, BABEL_INFINITY));
	assert_true(selected_via(h, "0.0.0.0/0", 1, NULL));
	assert_int_equal(h->nfib, 1);
	assert_true(h->fib[0].has_old && h->fib[0].has_new);
}

static void test_ordinary_prefix_keeps_babels_usual_selection(void **state)
{
	struct h *h = stable_h(state);

	announce_until(h, "10.1.0.0/16", 300, 0, h->now + 2 * SEC);
	assert_true(selected_via(h, "10.1.0.0/16", 0, NULL));
	send1(h, 1, upd(1, "10.1.0.0/16", 2, 5, 50));	/* 250 better */
	assert_true(selected_via(h, "10.1.0.0/16", 1, NULL));
}

static void test_without_a_hold_default_routes_switch_as_usual(void **state)
{
	struct h *h = *state = h_new(NULL, false);

	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "0.0.0.0/0", 1, 5, 300));
	assert_true(selected_via(h, "0.0.0.0/0", 0, NULL));
	send1(h, 1, upd(1, "0.0.0.0/0", 2, 5, 50));
	assert_true(selected_via(h, "0.0.0.0/0", 1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, h_teardown)
		T(test_default_route_stays_on_an_exit_better_by_less_than_the_margin),
		T(test_default_route_moves_when_better_by_the_margin_all_through_the_hold),
		T(test_hold_starts_again_when_the_margin_is_lost_midway),
		T(test_default_route_moves_at_once_when_its_exit_fails),
		T(test_ordinary_prefix_keeps_babels_usual_selection),
		T(test_without_a_hold_default_routes_switch_as_usual),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
