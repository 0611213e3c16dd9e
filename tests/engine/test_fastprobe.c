/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_fastprobe.c — fast failure detection (neighbour.c):
 * an Ack Request at the end of every silent 100 ms interval to the next
 * hops of selected routes on a unicast-only link, none to a neighbour
 * heard in the interval, the neighbour lost ("probe") after 9 silent
 * intervals, any packet or the daemon's evidence as an answer, at most
 * fast_probe_max neighbours probed, which neighbours the daemon's ICMP
 * probes go to (failover: a next hop with another link), the per-node probe budget
 * (fast_probe_rate) stretching the interval, damping (a neighbour lost
 * by probe and heard again within 10 s gets twice the allowance, halved
 * again after each quiet minute), and an Ack Request answered.
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

static int h_free_state(void **state)
{
	return h_teardown(state);
}

struct fast_ctx {
	bool failover;		/* count failover, not fast_probe */
	unsigned n;
	struct babel_addr addr;
};

static int first_marked(void *ctx, const struct babel_neighbour_info *i)
{
	struct fast_ctx *f = ctx;

	if (f->failover ? i->failover : i->fast_probe) {
		if (!f->n)
			f->addr = i->addr;
		f->n++;
	}
	return 0;
}

static struct fast_ctx fast_of(struct h *h)
{
	struct fast_ctx f = { 0 };

	babel_foreach_neighbour(h->b, first_marked, &f);
	return f;
}

/* The neighbours whose loss would move traffic: what the daemon's ICMP
 * probes (daemon/probe.c) are sent to. */
static struct fast_ctx failover_of(struct h *h)
{
	struct fast_ctx f = { .failover = true };

	babel_foreach_neighbour(h->b, first_marked, &f);
	return f;
}

/* Neighbours 0 and 1 up; 0 is the better way to 10.20/16, 1 the other. */
static struct h *two_ways(const struct babel_config *cfg)
{
	struct h *h = h_new(cfg, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1);

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	bring_up(h, 0, true);
	bring_up(h, 1, true);
	send1(h, 0, upd(0, "10.20.0.0/16", 9, 5, 100));
	send1(h, 1, upd(1, "10.20.0.0/16", 7, 5, 300));	/* another origin */
	run_alive(h, h->now + 2 * SEC, 2, true);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	return h;
}

static void test_only_the_next_hop_gets_ack_requests(void **state)
{
	struct h *h = *state = two_ways(NULL);
	struct fast_ctx f = fast_of(h);
	struct babel_addr a = nb_addr(0);

	assert_int_equal(f.n, 1);
	assert_true(babel_addr_equal(&f.addr, &a));
	clear_sent(h);
	run_alive(h, h->now + 2 * SEC, 2, true);
	/* Ticks 100 ms apart; 0 answers each probe at once, so every other
	 * tick finds it heard and sends nothing: 10 in 2 s, to 0 only. */
	assert_in_range(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 9, 11);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 1, NULL), 0);
	assert_int_equal(h->nlost, 0);
}

static void test_a_silent_next_hop_is_lost_by_probe_within_1_s(void **state)
{
	struct h *h = *state = two_ways(NULL);
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };
	uint64_t silent = h->now, lost = 0;

	/* 0 falls silent; 1 keeps answering. */
	while (h->now < silent + 3 * SEC && !h->nlost) {
		run_to(h, h->now + 10 * MS);
		if ((h->now - silent) % (100 * MS) == 0)
			feed(h, 1, &ack, 1);
		if (h->nlost)
			lost = h->now - silent;
	}
	print_message("  lost %.3f s after its last packet\n", (double)lost / SEC);
	assert_int_equal(h->nlost, 1);
	assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
	assert_string_equal(babel_neigh_loss_name(BABEL_LOSS_PROBE), "probe");
	/* 9 intervals of 100 ms with nothing heard: 0.9-1.0 s. */
	assert_in_range(lost, 900 * MS, SEC);
	assert_true(selected_via(h, "10.20.0.0/16", 1, NULL));
	/* Neither is probed now: 1 is the only working link left, and if it
	 * died too there would be nowhere to go. */
	{
		struct fast_ctx f = fast_of(h);
		struct babel_counters c;

		assert_int_equal(f.n, 0);
		babel_get_counters(h->b, &c);
		assert_int_equal(c.neighbours_lost[BABEL_LOSS_PROBE], 1);
	}
	clear_sent(h);
	run_alive(h, h->now + SEC, 0, true);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 0);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 1, NULL), 0);
}

static void test_a_router_with_a_single_link_does_not_probe(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0), b = nb_addr(1);
	struct fast_ctx fo;

	/* A spoke with one hub: its next hop, but nowhere else to go. */
	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	bring_up(h, 0, true);
	send1(h, 0, upd(0, "10.20.0.0/16", 9, 5, 100));
	run_alive(h, h->now + 2 * SEC, 1, true);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	assert_int_equal(fast_of(h).n, 0);
	assert_int_equal(failover_of(h).n, 0);
	/* A second link comes up: now the next hop is worth probing. */
	assert_int_equal(babel_iface_add_peer(h->b, 1, &b, h->now), 0);
	bring_up(h, 1, true);
	clear_sent(h);
	run_alive(h, h->now + SEC, 2, true);
	assert_int_equal(fast_of(h).n, 1);
	/* The next hop only: 1 carries nothing, its loss would move nothing. */
	fo = failover_of(h);
	assert_int_equal(fo.n, 1);
	assert_true(babel_addr_equal(&fo.addr, &a));
	/* Every other 100 ms tick (the one after an Ack is skipped). */
	assert_in_range(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 4, 6);
}

static void test_rx_evidence_from_the_daemon_answers_probes(void **state)
{
	struct h *h = *state = two_ways(NULL);
	struct babel_addr a = nb_addr(0), stranger = nb_addr(5);
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };

	/* No packet from 0 for 3 s, but its WireGuard rx counter rises. */
	for (int i = 0; i < 30; i++) {
		run_to(h, h->now + 100 * MS);
		assert_int_equal(babel_neigh_heard(h->b, 1, &a, h->now), 0);
		feed(h, 1, &ack, 1);
	}
	assert_int_equal(h->nlost, 0);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	assert_int_equal(babel_neigh_heard(h->b, 1, &stranger, h->now), -ENOENT);
	assert_int_equal(babel_neigh_heard(h->b, 9, &a, h->now), -ENOENT);
}

static void test_at_most_fast_probe_max_neighbours_are_probed(void **state)
{
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .fast_probe_max = 1 };
	struct h *h = *state = two_ways(&cfg);
	struct babel_addr b = nb_addr(1);
	struct babel_counters c;
	struct fast_ctx f;

	/* 1 becomes the next hop of another prefix: over the limit. */
	send1(h, 1, upd(1, "10.21.0.0/16", 8, 5, 100));
	run_alive(h, h->now + SEC, 2, true);
	assert_true(selected_via(h, "10.21.0.0/16", 1, NULL));
	babel_get_counters(h->b, &c);
	assert_int_equal(c.fast_probed, 1);
	assert_int_equal(c.fast_probe_refused, 1);
	clear_sent(h);
	run_alive(h, h->now + SEC, 2, true);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 1, NULL), 0);
	/* 0 retracts its prefix and is no next hop any more: 1 takes the
	 * free place at once. */
	send1(h, 0, upd(0, "10.20.0.0/16", 9, 5, BABEL_INFINITY));
	f = fast_of(h);
	assert_int_equal(f.n, 1);
	assert_true(babel_addr_equal(&f.addr, &b));
	clear_sent(h);
	run_alive(h, h->now + SEC, 2, true);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 0);
	assert_in_range(count_sent(h, BABEL_TLV_ACK_REQ, 1, NULL), 4, 6);
}

static void test_a_neighbour_heard_every_interval_is_not_asked(void **state)
{
	struct h *h = *state = two_ways(NULL);
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };
	struct babel_counters c0, c1;

	/* 0 speaks every 50 ms unasked (its own probes, say): it proves
	 * itself alive in every interval, so it is never probed, and never
	 * lost. */
	babel_get_counters(h->b, &c0);
	clear_sent(h);
	for (int i = 0; i < 60; i++) {
		run_to(h, h->now + 50 * MS);
		feed(h, 0, &ack, 1);
	}
	babel_get_counters(h->b, &c1);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 0);
	assert_int_equal(c1.fast_probes_sent, c0.fast_probes_sent);
	assert_int_equal(fast_of(h).n, 1);
	assert_int_equal(h->nlost, 0);
	/* It falls silent: asked at the end of its first silent interval
	 * (the tick before still had its last packet), lost 0.9-1.0 s
	 * after that packet. */
	{
		uint64_t silent = h->now;

		clear_sent(h);
		run_to(h, silent + 250 * MS);
		assert_in_range(count_sent(h, BABEL_TLV_ACK_REQ, 0, NULL), 1, 2);
		while (!h->nlost && h->now < silent + 2 * SEC)
			run_to(h, h->now + 10 * MS);
		assert_int_equal(h->nlost, 1);
		assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
		assert_in_range(h->now - silent, 900 * MS, SEC);
	}
}

/* Neighbours 0..n-1 up, each the next hop of its own prefix 10.(20+i)/16. */
static struct h *n_next_hops(const struct babel_config *cfg, int n)
{
	struct h *h = h_new(cfg, true);
	char p[32];

	for (int i = 0; i < n; i++) {
		struct babel_addr a = nb_addr(i);

		assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
		bring_up(h, i, true);
	}
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.%d.0.0/16", 20 + i);
		send1(h, i, upd(i, p, (uint8_t)(9 + i), 5, 100));
	}
	run_alive(h, h->now + 2 * SEC, n, true);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.%d.0.0/16", 20 + i);
		assert_true(selected_via(h, p, i, NULL));
	}
	assert_int_equal(fast_of(h).n, (unsigned)n);
	return h;
}

static void test_the_probe_budget_stretches_the_interval(void **state)
{
	/* 4 probed neighbours, 20 intervals a second between them: 200 ms
	 * each instead of 100. */
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .fast_probe_rate = 20 };
	struct h *h = *state = n_next_hops(&cfg, 4);
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };
	unsigned total = 0, acked[4] = { 0 };
	uint64_t silent, lost = 0;

	clear_sent(h);
	run_alive(h, h->now + 10 * SEC, 4, true);
	for (int i = 0; i < 4; i++) {
		unsigned k = count_sent(h, BABEL_TLV_ACK_REQ, i, NULL);

		print_message("  neighbour %d: %u probes in 10 s\n", i, k);
		/* Every other 200 ms tick, 25, less the ticks skipped
		 * for the Hello each neighbour sends every second: 20
		 * (the same at 100 ms, unbudgeted: 40). */
		assert_in_range(k, 18, 22);
		total += k;
	}
	/* Under the budget's 20 intervals a second, half of them probes. */
	assert_true(total <= 20 * 10 / 2 + 4);
	/* 0 falls silent, 1-3 keep answering: 9 intervals of 200 ms. */
	for (int i = 0; i < 4; i++)
		acked[i] = h->ack_reqs[i];
	silent = h->now;
	while (!h->nlost && h->now < silent + 4 * SEC) {
		run_to(h, h->now + 10 * MS);
		for (int i = 1; i < 4; i++)
			if (acked[i] != h->ack_reqs[i]) {
				acked[i] = h->ack_reqs[i];
				feed(h, i, &ack, 1);
			}
	}
	lost = h->now - silent;
	print_message("  lost %.3f s after its last packet\n", (double)lost / SEC);
	assert_int_equal(h->nlost, 1);
	assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
	{
		struct babel_addr a = nb_addr(0);

		assert_true(babel_addr_equal(&h->last_lost, &a));
	}
	assert_in_range(lost, 1800 * MS, 2000 * MS);
}

/* 0 falls silent while 1 keeps answering, until 0 is lost or LIMIT
 * passes: how long after its last packet it was lost (0: not lost). */
static uint64_t silent_until_lost(struct h *h, uint64_t limit)
{
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };
	uint64_t silent = h->now;
	unsigned before = h->nlost;

	while (h->now < silent + limit && h->nlost == before) {
		run_to(h, h->now + 10 * MS);
		if ((h->now - silent) % (100 * MS) == 0)
			feed(h, 1, &ack, 1);
	}
	return h->nlost == before ? 0 : h->now - silent;
}

/* 0 heard again (a second from now), with a newer update (its old
 * one went with it), and selected again. */
static void comes_back(struct h *h, uint16_t seqno)
{
	run_alive(h, h->now + SEC, 2, true);
	send1(h, 0, upd(0, "10.20.0.0/16", 9, seqno, 100));
	run_alive(h, h->now + SEC, 2, true);
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
}

static void test_a_false_loss_doubles_the_allowance(void **state)
{
	struct h *h = *state = two_ways(NULL);
	uint64_t lost;

	/* The first silence is taken at its word: lost in 0.9-1.0 s. */
	lost = silent_until_lost(h, 3 * SEC);
	assert_in_range(lost, 900 * MS, SEC);
	assert_int_equal(h->last_loss, BABEL_LOSS_PROBE);
	/* Back 1 s later: that loss was false, so 18 silent intervals now. */
	comes_back(h, 6);
	lost = silent_until_lost(h, 5 * SEC);
	print_message("  after one false loss: lost %.3f s after its last "
		      "packet\n", (double)lost / SEC);
	assert_in_range(lost, 1800 * MS, 2 * SEC);
	/* Back again: 36 intervals; then two quiet minutes under probes
	 * halve it twice, and the next silence is lost in 0.9-1.0 s again. */
	comes_back(h, 7);
	for (int i = 0; i < 25; i++) {	/* routes refreshed as they would be */
		run_alive(h, h->now + 5 * SEC, 2, true);
		send1(h, 0, upd(0, "10.20.0.0/16", 9, 7, 100));
		send1(h, 1, upd(1, "10.20.0.0/16", 7, 5, 300));
	}
	assert_true(selected_via(h, "10.20.0.0/16", 0, NULL));
	lost = silent_until_lost(h, 5 * SEC);
	assert_in_range(lost, 900 * MS, SEC);
}

static void test_a_loss_after_a_long_silence_is_not_damped(void **state)
{
	struct h *h = *state = two_ways(NULL);
	uint64_t lost;

	lost = silent_until_lost(h, 3 * SEC);
	assert_in_range(lost, 900 * MS, SEC);
	/* Back only after 11 s (1 heard meanwhile): it really was gone;
	 * 0.9-1.0 s again. */
	for (int i = 0; i < 11; i++) {
		struct babel_tlv x[2] = { hello(h, 1, true), ihu(96) };

		run_to(h, h->now + SEC);
		feed(h, 1, x, 2);
	}
	send1(h, 1, upd(1, "10.20.0.0/16", 7, 5, 300));
	comes_back(h, 6);
	lost = silent_until_lost(h, 3 * SEC);
	assert_in_range(lost, 900 * MS, SEC);
}

static void test_an_ack_request_is_answered_at_once(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_addr a = nb_addr(0);
	struct babel_tlv req = { .type = BABEL_TLV_ACK_REQ };
	const struct babel_tlv *ack;

	assert_int_equal(babel_iface_add_peer(h->b, 1, &a, h->now), 0);
	bring_up(h, 0, true);
	clear_sent(h);
	req.ack_req.nonce = 0x4242;
	req.ack_req.interval = 10;
	send1(h, 0, req);
	ack = find_sent(h, BABEL_TLV_ACK);
	assert_non_null(ack);
	assert_int_equal(ack->ack.nonce, 0x4242);
	assert_int_equal(count_sent(h, BABEL_TLV_ACK, 0, NULL), 1);
}

static void test_a_probe_interval_out_of_range_is_refused(void **state)
{
	struct h *h = *state = h_new(NULL, true);
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIREGUARD,
					 .unicast_only = true,
					 .fast_probe_ms = 60001 };

	assert_int_equal(babel_iface_add(h->b, 2, &ic, h->now), -EINVAL);
	ic.fast_probe_ms = BABEL_NO_FAST_PROBE;
	assert_int_equal(babel_iface_add(h->b, 2, &ic, h->now), 0);
}

#define T(f) cmocka_unit_test_teardown(f, h_free_state)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_only_the_next_hop_gets_ack_requests),
		T(test_a_silent_next_hop_is_lost_by_probe_within_1_s),
		T(test_a_router_with_a_single_link_does_not_probe),
		T(test_rx_evidence_from_the_daemon_answers_probes),
		T(test_at_most_fast_probe_max_neighbours_are_probed),
		T(test_a_neighbour_heard_every_interval_is_not_asked),
		T(test_the_probe_budget_stretches_the_interval),
		T(test_a_false_loss_doubles_the_allowance),
		T(test_a_loss_after_a_long_silence_is_not_damped),
		T(test_an_ack_request_is_answered_at_once),
		T(test_a_probe_interval_out_of_range_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
