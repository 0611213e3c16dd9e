/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_filter.c — the in and out route filters (filter_in and
 * filter_out in babel.h), driven by real packets and babel_run().
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

static bool prefix_is(const struct babel_prefix *p, const char *s)
{
	struct babel_prefix q = pfx(s);

	return p->af == q.af && p->plen == q.plen && memcmp(p->addr, q.addr, 16) == 0;
}

/* Denies 10.66.0.0/16 (always) and 10.68.0.0/16 once filter_arg is 1. */
static int in_deny(struct h *h, const struct babel_prefix *prefix,
		   const struct babel_prefix *src_prefix, unsigned ifindex,
		   const struct babel_addr *neighbour, uint16_t metric)
{
	struct babel_addr a0 = nb_addr(0);

	(void)metric;
	assert_null(src_prefix);
	assert_int_equal(ifindex, 1);
	assert_true(babel_addr_equal(neighbour, &a0));
	if (prefix_is(prefix, "10.66.0.0/16"))
		return -1;
	if (h->filter_arg == 1 && prefix_is(prefix, "10.68.0.0/16"))
		return -1;
	return 0;
}

/* Adds filter_arg to whatever neighbour 0 announces; the metric seen is
 * the announced one. */
static int in_add(struct h *h, const struct babel_prefix *prefix,
		  const struct babel_prefix *src_prefix, unsigned ifindex,
		  const struct babel_addr *neighbour, uint16_t metric)
{
	struct babel_addr a0 = nb_addr(0);

	(void)prefix;
	(void)src_prefix;
	(void)ifindex;
	assert_true(metric < BABEL_INFINITY);
	return babel_addr_equal(neighbour, &a0) ? h->filter_arg : 0;
}

static void test_in_filter_deny_keeps_route_out_of_table(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, in_deny, NULL);
	struct babel_counters c;
	struct count_ctx cc;

	bring_up(h, 0, false);
	h->nfib = 0;
	send1(h, 0, upd(0, "10.66.0.0/16", 1, 5, 100));
	assert_int_equal(h->filter_in_calls, 1);
	assert_int_equal(candidates(h, "10.66.0.0/16", &cc), 0);
	assert_int_equal(h->nfib, 0);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 0);
	assert_int_equal(c.prefixes, 0);	/* not even an empty entry */
	/* an allowed prefix from the same packet stream goes in */
	send1(h, 0, upd(0, "10.67.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.67.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
	/* a retraction is not filtered (nothing to deny) */
	send1(h, 0, upd(0, "10.66.0.0/16", 1, 5, BABEL_INFINITY));
	assert_int_equal(h->filter_in_calls, 2);
}

static void test_in_filter_deny_retracts_a_route_already_learned(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, in_deny, NULL);
	struct count_ctx cc;

	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.68.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.68.0.0/16", 0, NULL));
	h->nfib = 0;
	clear_sent(h);
	h->filter_arg = 1;	/* e.g. a reloaded configuration */
	send1(h, 0, upd(0, "10.68.0.0/16", 1, 6, 100));
	assert_false(selected_via(h, "10.68.0.0/16", 0, NULL));
	assert_int_equal(h->nfib, 1);
	assert_true(h->fib[0].has_old);
	assert_false(h->fib[0].has_new);
	/* kept as a retracted (infinite) candidate, as after a retraction */
	assert_int_equal(candidates(h, "10.68.0.0/16", &cc), 1);
	assert_false(cc.have_sel);
	/* and we retract it in turn */
	assert_true(count_sent(h, BABEL_TLV_UPDATE, -1, is_retraction) >= 1);
}

static void test_in_filter_adds_metric(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, in_add, NULL);
	struct count_ctx cc;
	uint16_t m;

	h->filter_arg = 50;
	bring_up(h, 0, false);
	bring_up(h, 1, false);
	send1(h, 0, upd(0, "10.69.0.0/16", 1, 5, 100));
	assert_true(selected_via(h, "10.69.0.0/16", 0, &m));
	assert_int_equal(m, 100 + 50 + 96);
	assert_int_equal(h->fib[h->nfib - 1].metric, 246);
	candidates(h, "10.69.0.0/16", &cc);
	assert_int_equal(cc.sel.refmetric, 100);	/* as announced */
	assert_int_equal(cc.sel.metric, 246);
	/* B announces worse (130 > 100) but wins once A's penalty counts:
	 * 130 + 96 = 226 < 246, by less than the switch threshold, so only
	 * after smoothing; a penalty of 300 makes it switch at once. */
	h->filter_arg = 300;
	send1(h, 0, upd(0, "10.69.0.0/16", 1, 6, 100));
	send1(h, 1, upd(1, "10.69.0.0/16", 2, 1, 130));
	assert_true(selected_via(h, "10.69.0.0/16", 1, &m));
	assert_int_equal(m, 226);
}

static void test_in_filter_addition_reaching_infinity_denies(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, in_add, NULL);
	struct babel_counters c;

	h->filter_arg = BABEL_INFINITY - 100;
	bring_up(h, 0, false);
	send1(h, 0, upd(0, "10.70.0.0/16", 1, 5, 100));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, 0);
	assert_false(selected_via(h, "10.70.0.0/16", 0, NULL));
}

/* ---- out ---- */

/* Denies 10.80.0.0/16 on interface 1 only; adds filter_arg to the rest. */
static int out_filter(struct h *h, const struct babel_prefix *prefix,
		      const struct babel_prefix *src_prefix, unsigned ifindex,
		      uint16_t metric)
{
	(void)src_prefix;
	assert_int_equal(metric, 10);	/* what we originate it with */
	if (ifindex == 1 && prefix_is(prefix, "10.80.0.0/16"))
		return -1;
	return h->filter_arg;
}

/* Updates for PREFIX sent on IFINDEX: finite ones, retractions; the last
 * finite metric in *metric. */
static void updates_for(struct h *h, unsigned ifindex, const char *prefix,
			unsigned *finite, unsigned *retractions, uint16_t *metric)
{
	*finite = *retractions = 0;
	for (size_t i = 0; i < h->nsent; i++) {
		if (h->sent[i].ifindex != ifindex)
			continue;
		for (size_t j = 0; j < h->sent[i].ntlv; j++) {
			const struct babel_tlv *t = &h->sent[i].tlv[j];

			if (t->type != BABEL_TLV_UPDATE || !prefix_is(&t->update.prefix, prefix))
				continue;
			if (t->update.metric == BABEL_INFINITY) {
				(*retractions)++;
			} else {
				(*finite)++;
				if (metric)
					*metric = t->update.metric;
			}
		}
	}
}

static void add_second_iface(struct h *h)
{
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED, .ll6 = our_ll() };

	assert_int_equal(babel_iface_add(h->b, 2, &ic, h->now), 0);
	babel_run(h->b, h->now);
}

static void test_out_filter_deny_suppresses_announcement(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, NULL, out_filter);
	struct babel_prefix p80 = pfx("10.80.0.0/16"), p81 = pfx("10.81.0.0/16");
	unsigned fin, ret;

	add_second_iface(h);
	clear_sent(h);
	assert_int_equal(babel_originate(h->b, &p80, NULL, 10, h->now), 0);
	assert_int_equal(babel_originate(h->b, &p81, NULL, 10, h->now), 0);
	run_to(h, h->now);
	/* triggered: interface 1 hears a retraction, interface 2 the route */
	updates_for(h, 1, "10.80.0.0/16", &fin, &ret, NULL);
	assert_int_equal(fin, 0);
	assert_true(ret >= 1);
	updates_for(h, 2, "10.80.0.0/16", &fin, &ret, NULL);
	assert_true(fin >= 1);
	updates_for(h, 1, "10.81.0.0/16", &fin, &ret, NULL);
	assert_true(fin >= 1);
	/* periodic full updates: nothing at all about it on interface 1 */
	clear_sent(h);
	run_to(h, h->now + 40 * SEC);
	updates_for(h, 1, "10.80.0.0/16", &fin, &ret, NULL);
	assert_int_equal(fin + ret, 0);
	updates_for(h, 1, "10.81.0.0/16", &fin, &ret, NULL);
	assert_true(fin >= 2);
	updates_for(h, 2, "10.80.0.0/16", &fin, &ret, NULL);
	assert_true(fin >= 2);
	assert_true(h->filter_out_calls > 0);
}

static void test_out_filter_adds_metric(void **state)
{
	struct h *h = *state = h_new_filtered(NULL, false, NULL, out_filter);
	struct babel_prefix p = pfx("10.82.0.0/16");
	unsigned fin, ret;
	uint16_t m = 0;

	h->filter_arg = 200;
	clear_sent(h);
	assert_int_equal(babel_originate(h->b, &p, NULL, 10, h->now), 0);
	run_to(h, h->now);
	updates_for(h, 1, "10.82.0.0/16", &fin, &ret, &m);
	assert_true(fin >= 1);
	assert_int_equal(m, 210);
	/* saturating: the sum never exceeds infinity, which is a retraction */
	h->filter_arg = BABEL_INFINITY;
	clear_sent(h);
	run_to(h, h->now + 40 * SEC);
	updates_for(h, 1, "10.82.0.0/16", &fin, &ret, NULL);
	assert_int_equal(fin + ret, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, h_teardown)
		T(test_in_filter_deny_keeps_route_out_of_table),
		T(test_in_filter_deny_retracts_a_route_already_learned),
		T(test_in_filter_adds_metric),
		T(test_in_filter_addition_reaching_infinity_denies),
		T(test_out_filter_deny_suppresses_announcement),
		T(test_out_filter_adds_metric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
