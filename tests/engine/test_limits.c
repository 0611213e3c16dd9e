/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_limits.c — route limits (max_routes_per_neighbour,
 * max_routes) under a flood: one neighbour announces a million distinct
 * prefixes through real packets, in batches, in simulated time, while
 * another neighbour's routes are installed and must stay selected.
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

#define FLOODER 0
#define OTHER 1
#define OTHER_ROUTES 1000
#define PER_NEIGHBOUR 10000
#define GLOBAL 50000

/* The flooder announces 10.x.y.z/32 (i < 2^24); the other neighbour
 * 2001:db8:1:i::/64. */
static struct babel_prefix flood_prefix(uint32_t i)
{
	struct babel_prefix p = { .af = BABEL_AF_INET, .plen = 32 };

	p.addr[0] = 10;
	p.addr[1] = (uint8_t)(i >> 16);
	p.addr[2] = (uint8_t)(i >> 8);
	p.addr[3] = (uint8_t)i;
	return p;
}

static struct babel_prefix other_prefix(uint32_t i)
{
	struct babel_prefix p = { .af = BABEL_AF_INET6, .plen = 64,
				  .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } };

	p.addr[6] = (uint8_t)(i >> 8);
	p.addr[7] = (uint8_t)i;
	return p;
}

struct batch {
	struct h *h;
	int nbi;
	uint8_t buf[1232];
	struct babel_writer w;
	uint64_t packets;
};

static void batch_start(struct batch *bt)
{
	struct babel_addr src = nb_addr(bt->nbi);

	babel_writer_init(&bt->w, bt->buf, sizeof(bt->buf));
	babel_writer_set_source(&bt->w, &src);
}

static void batch_send(struct batch *bt)
{
	struct babel_addr src = nb_addr(bt->nbi);

	if (babel_writer_empty(&bt->w))
		return;
	assert_int_equal(babel_receive(bt->h->b, 1, &src, NULL, bt->buf,
				       babel_writer_finish(&bt->w), bt->h->now), 0);
	bt->packets++;
	batch_start(bt);
}

/* Appends an Update (a retraction when metric is infinite); full
 * datagrams go to the engine. */
static void batch_update(struct batch *bt, const struct babel_prefix *p,
			 uint16_t seqno, uint16_t metric)
{
	struct babel_addr src = nb_addr(bt->nbi);
	struct babel_tlv t = { .type = BABEL_TLV_UPDATE };
	int rc;

	t.update.prefix = *p;
	t.update.ae = babel_ae_for(p, &src);
	t.update.interval = 1600;
	t.update.seqno = seqno;
	t.update.metric = metric;
	if (metric != BABEL_INFINITY) {
		t.update.has_router_id = true;
		t.update.router_id[0] = 0xAA;
		t.update.router_id[7] = (uint8_t)(0x10 + bt->nbi);
	}
	rc = babel_write_tlv(&bt->w, &t);
	if (rc == -ENOSPC) {
		batch_send(bt);
		rc = babel_write_tlv(&bt->w, &t);
	}
	assert_int_equal(rc, 0);
}

static void announce_other(struct h *h, uint16_t seqno)
{
	struct batch bt = { .h = h, .nbi = OTHER };

	batch_start(&bt);
	for (uint32_t i = 0; i < OTHER_ROUTES; i++) {
		struct babel_prefix p = other_prefix(i);

		batch_update(&bt, &p, seqno, 100);
	}
	batch_send(&bt);
}

static unsigned other_selected(struct h *h)
{
	struct babel_addr a = nb_addr(OTHER);
	unsigned n = 0;

	for (uint32_t i = 0; i < OTHER_ROUTES; i++) {
		struct babel_prefix p = other_prefix(i);
		struct babel_nexthop nh;

		if (babel_route_selected(h->b, &p, NULL, &nh, NULL) == 0 &&
		    babel_addr_equal(&nh.addr, &a))
			n++;
	}
	return n;
}

struct nb_routes {
	struct babel_addr a;
	uint32_t n;
};

static int nb_routes_fn(void *ctx, const struct babel_neighbour_info *i)
{
	struct nb_routes *c = ctx;

	if (babel_addr_equal(&i->addr, &c->a))
		c->n = i->routes;
	return 0;
}

/* Routes the engine holds from neighbour nbi (babel_neighbour_info). */
static uint32_t routes_of(struct h *h, int nbi)
{
	struct nb_routes c = { .a = nb_addr(nbi), .n = 0 };

	babel_foreach_neighbour(h->b, nb_routes_fn, &c);
	return c.n;
}

static size_t engine_mem(struct h *h)
{
	struct babel_counters c;

	babel_get_counters(h->b, &c);
	return c.mem_bytes;
}

/* secs seconds of simulated time, both neighbours alive, the other one
 * refreshing its routes every 10 s (they would expire after 56 s). */
static void advance(struct h *h, unsigned secs)
{
	for (unsigned s = 1; s <= secs; s++) {
		run_alive(h, h->now + SEC, 2, false);
		if (s % 10 == 0)
			announce_other(h, 1);
	}
}

static struct h *limits_setup(uint32_t per_neighbour, uint32_t global)
{
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100,
				    .max_routes_per_neighbour = per_neighbour,
				    .max_routes = global };
	struct h *h = h_new(&cfg, false);

	h->quiet = true;	/* a million triggered updates: count only */
	bring_up(h, FLOODER, false);
	bring_up(h, OTHER, false);
	announce_other(h, 1);
	assert_int_equal(other_selected(h), OTHER_ROUTES);
	return h;
}

/* Floods n prefixes from first on, 100,000 per simulated second; the
 * engine's memory is sampled after every second: *mem_peak is the most
 * seen, *mem_first what it held after the first second. */
static void flood(struct h *h, uint32_t first, uint32_t n, uint16_t metric,
		  size_t *mem_first, size_t *mem_peak)
{
	struct batch bt = { .h = h, .nbi = FLOODER };
	size_t m;

	batch_start(&bt);
	for (uint32_t i = 0; i < n; i++) {
		struct babel_prefix p = flood_prefix(first + i);

		batch_update(&bt, &p, 1, metric);
		if ((i + 1) % 100000 == 0 || i + 1 == n) {
			batch_send(&bt);
			advance(h, 1);
			m = engine_mem(h);
			if (mem_first && i + 1 <= 100000)
				*mem_first = m;
			if (mem_peak && m > *mem_peak)
				*mem_peak = m;
		}
	}
}

static unsigned limit_logs(struct h *h, const char *which)
{
	return strstr(h->last_log, which) ? h->nlogs : 0;
}

static void test_flooding_neighbour_holds_exactly_its_route_limit(void **state)
{
	struct h *h = *state = limits_setup(PER_NEIGHBOUR, GLOBAL);
	struct babel_prefix in = flood_prefix(PER_NEIGHBOUR - 1);
	struct babel_prefix out = flood_prefix(PER_NEIGHBOUR);
	struct babel_counters c;
	size_t mem0 = engine_mem(h), mem_first = 0, mem_peak = 0;
	struct babel_addr fl = nb_addr(FLOODER);
	struct babel_nexthop nh;
	uint16_t m;

	h->nlogs = 0;
	flood(h, 0, 1000000, 100, &mem_first, &mem_peak);
	babel_get_counters(h->b, &c);
	assert_int_equal(routes_of(h, FLOODER), PER_NEIGHBOUR);
	assert_int_equal(c.routes, PER_NEIGHBOUR + OTHER_ROUTES);
	assert_int_equal(c.refused_routes, 1000000 - PER_NEIGHBOUR);
	/* the first ones in are kept, the rest refused without a trace */
	assert_int_equal(babel_route_selected(h->b, &in, NULL, &nh, &m), 0);
	assert_true(babel_addr_equal(&nh.addr, &fl));
	assert_int_equal(m, 196);
	assert_int_equal(babel_route_selected(h->b, &out, NULL, &nh, &m), -ENOENT);
	assert_int_equal(c.prefixes, PER_NEIGHBOUR + OTHER_ROUTES);
	/* memory: what the limit allows, then flat however long the flood */
	print_message("engine memory: %zu before, %zu after 100k, peak %zu after 1M\n",
		      mem0, mem_first, mem_peak);
	assert_true(mem_first - mem0 < (size_t)PER_NEIGHBOUR * 1024);
	assert_true(mem_peak <= mem_first + 64 * 1024);
	/* the other neighbour did not lose a route */
	assert_int_equal(other_selected(h), OTHER_ROUTES);
	assert_int_equal(routes_of(h, OTHER), OTHER_ROUTES);
	/* one log line for 990,000 refusals in 10 s */
	assert_int_equal(limit_logs(h, "max-routes-per-neighbour 10000"), 1);
}

static void test_flood_stops_at_the_global_limit_and_spares_installed_routes(void **state)
{
	struct h *h = *state = limits_setup(0, GLOBAL);
	struct babel_counters c;
	size_t mem_first = 0, mem_peak = 0;

	h->nlogs = 0;
	flood(h, 0, 1000000, 100, &mem_first, &mem_peak);
	babel_get_counters(h->b, &c);
	assert_int_equal(routes_of(h, FLOODER), GLOBAL - OTHER_ROUTES);
	assert_int_equal(c.routes, GLOBAL);
	assert_int_equal(c.refused_routes, 1000000 - (GLOBAL - OTHER_ROUTES));
	assert_true(mem_peak <= mem_first + 64 * 1024);
	assert_int_equal(other_selected(h), OTHER_ROUTES);
	/* at the global limit, existing routes keep being updated */
	announce_other(h, 2);
	assert_int_equal(other_selected(h), OTHER_ROUTES);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.refused_routes, 1000000 - (GLOBAL - OTHER_ROUTES));
	assert_int_equal(limit_logs(h, "max-routes 50000"), 1);
}

/*
 * Churn: the flooder announces 30,000 new prefixes, retracts them, and does
 * it again with others, five times. Retracted routes count against the
 * limit until they expire (3.5 update intervals); once expired, the next
 * round gets its full share again, memory levels off and comes back down
 * once the sources are collected, and the other neighbour is never
 * disturbed.
 */
static void test_churning_flood_stays_within_the_limit_and_memory_returns(void **state)
{
	struct h *h = *state = limits_setup(PER_NEIGHBOUR, GLOBAL);
	struct babel_counters c;
	size_t mem0 = engine_mem(h), mem_peak = 0, round_peak[5];
	uint64_t refused = 0;

	h->nlogs = 0;
	for (uint32_t round = 0; round < 5; round++) {
		uint32_t first = 1000000 + round * 30000;

		flood(h, first, 30000, 100, NULL, &mem_peak);
		assert_int_equal(routes_of(h, FLOODER), PER_NEIGHBOUR);
		refused += 30000 - PER_NEIGHBOUR;
		babel_get_counters(h->b, &c);
		assert_int_equal(c.refused_routes, refused);
		assert_int_equal(c.selected, PER_NEIGHBOUR + OTHER_ROUTES);
		flood(h, first, 30000, BABEL_INFINITY, NULL, &mem_peak);
		babel_get_counters(h->b, &c);
		assert_int_equal(c.selected, OTHER_ROUTES);
		assert_int_equal(other_selected(h), OTHER_ROUTES);
		advance(h, 60);		/* the retracted routes expire */
		assert_int_equal(routes_of(h, FLOODER), 0);
		babel_get_counters(h->b, &c);
		round_peak[round] = mem_peak;
		print_message("round %u: peak %zu, after expiry %zu bytes, %u sources\n",
			      round, mem_peak, c.mem_bytes, c.sources);
	}
	/*
	 * The sources (feasibility distances) of expired routes stay for
	 * source_gc (180 s, about three rounds here) and the starving
	 * entries' seqno requests with them; after that the footprint is
	 * flat: rounds 3 and 4 need nothing that round 2 did not.
	 */
	assert_true(round_peak[4] <= round_peak[2] + 64 * 1024);
	assert_true(round_peak[4] - mem0 < (size_t)4 * PER_NEIGHBOUR * 1024);
	/* after source GC (180 s) nothing of the flood is left */
	advance(h, 200);
	babel_get_counters(h->b, &c);
	assert_int_equal(c.routes, OTHER_ROUTES);
	assert_int_equal(c.prefixes, OTHER_ROUTES);
	print_message("engine memory: %zu before, peak %zu, %zu after the churn\n",
		      mem0, mem_peak, c.mem_bytes);
	/* only the hash tables' bucket arrays and the timer heap keep their
	 * grown size (pointer arrays: about 1 MB after 32,000 entries) */
	assert_true(c.sources <= OTHER_ROUTES);
	assert_true(c.mem_bytes <= mem0 + 2 * 1024 * 1024);
	assert_int_equal(other_selected(h), OTHER_ROUTES);
	/* 5 rounds over ~6 simulated minutes: one line a minute at most */
	assert_true(h->nlogs >= 1 && h->nlogs <= 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, h_teardown)
		T(test_flooding_neighbour_holds_exactly_its_route_limit),
		T(test_flood_stops_at_the_global_limit_and_spares_installed_routes),
		T(test_churning_flood_stays_within_the_limit_and_memory_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
