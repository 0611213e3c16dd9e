/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/engine_bench.c — feeds 100,000 prefixes from two neighbours
 * into one struct babel through real packets and babel_receive(), then
 * makes the other neighbour win for every prefix. Prints updates per
 * second, the time until every prefix has its selected route (B takes over
 * when A retracts them all, a failover), and the
 * bytes of memory per (prefix, neighbour) route. Times are CPU time of
 * this process (the build machines are shared). Not a test: run by hand.
 *
 *   engine_bench [prefixes]
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/babel.h"
#include "proto/wire.h"

struct bench {
	struct babel *b;
	uint64_t now;
	uint64_t fib_new, fib_to_b, fib_changes;
	uint64_t sent_bytes, sent_packets;
	struct babel_addr a, bb;
};

struct pkt {
	size_t len;
	uint8_t *buf;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cb_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct bench *x = ctx;

	(void)ifindex;
	(void)dst;
	(void)buf;
	x->sent_bytes += len;
	x->sent_packets++;
}

static void cb_fib(void *ctx, const struct babel_prefix *p, const struct babel_prefix *src,
		   const struct babel_nexthop *o, const struct babel_nexthop *n, uint16_t m)
{
	struct bench *x = ctx;

	(void)p;
	(void)src;
	(void)m;
	x->fib_changes++;
	if (!o && n)
		x->fib_new++;
	if (n && babel_addr_equal(&n->addr, &x->bb))
		x->fib_to_b++;
}

static struct babel_addr ll(uint8_t last)
{
	struct babel_addr a = { .af = BABEL_AF_INET6, .addr = { 0xfe, 0x80 } };

	a.addr[15] = last;
	return a;
}

static void receive(struct bench *x, const struct babel_addr *src, const uint8_t *buf,
		    size_t len)
{
	if (babel_receive(x->b, 1, src, NULL, buf, len, x->now) < 0) {
		fprintf(stderr, "babel_receive failed\n");
		exit(1);
	}
}

static void hello_ihu(struct bench *x, const struct babel_addr *src, uint16_t seqno)
{
	uint8_t buf[256];
	struct babel_writer w;
	struct babel_tlv t = { .type = BABEL_TLV_HELLO };

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, src);
	t.hello.seqno = seqno;
	t.hello.interval = 400;
	babel_write_tlv(&w, &t);
	memset(&t, 0, sizeof(t));
	t.type = BABEL_TLV_IHU;
	t.ihu.ae = BABEL_AE_IPV6_LL;
	t.ihu.addr = ll(1);
	t.ihu.rxcost = 96;
	t.ihu.interval = 1200;
	babel_write_tlv(&w, &t);
	receive(x, src, buf, babel_writer_finish(&w));
}

/* All n prefixes announced by src with (seqno, metric), packed in packets. */
static struct pkt *build(const struct babel_addr *src, unsigned n, uint16_t seqno,
			 uint16_t metric, size_t *npkts, uint64_t *bytes)
{
	size_t cap = n / 40 + 16, np = 0;
	struct pkt *v = calloc(cap, sizeof(*v));
	uint8_t buf[1400];
	struct babel_writer w;

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, src);
	*bytes = 0;
	for (unsigned i = 0; i <= n; i++) {
		struct babel_tlv t = { .type = BABEL_TLV_UPDATE };
		int rc = -1;

		if (i < n) {
			t.update.prefix.af = BABEL_AF_INET6;
			t.update.prefix.plen = 64;
			t.update.prefix.addr[0] = 0x20;
			t.update.prefix.addr[1] = 0x01;
			t.update.prefix.addr[2] = 0x0d;
			t.update.prefix.addr[3] = 0xb8;
			t.update.prefix.addr[5] = (uint8_t)(i >> 16);
			t.update.prefix.addr[6] = (uint8_t)(i >> 8);
			t.update.prefix.addr[7] = (uint8_t)i;
			t.update.ae = BABEL_AE_IPV6;
			t.update.interval = 1600;
			t.update.seqno = seqno;
			t.update.metric = metric;
			t.update.has_router_id = metric != BABEL_INFINITY;
			t.update.router_id[0] = 0x42;
			t.update.router_id[7] = (uint8_t)(i % 7);	/* a few origins */
			rc = babel_write_tlv(&w, &t);
		}
		if (rc == -ENOSPC || i == n) {
			if (np == cap)
				v = realloc(v, (cap *= 2) * sizeof(*v));
			v[np].len = babel_writer_finish(&w);
			v[np].buf = malloc(v[np].len);
			memcpy(v[np].buf, buf, v[np].len);
			*bytes += v[np].len;
			np++;
			babel_writer_init(&w, buf, sizeof(buf));
			babel_writer_set_source(&w, src);
			if (i < n && babel_write_tlv(&w, &t) < 0) {
				fprintf(stderr, "update does not fit an empty packet\n");
				exit(1);
			}
		} else if (rc < 0) {
			fprintf(stderr, "babel_write_tlv: %d\n", rc);
			exit(1);
		}
	}
	*npkts = np;
	return v;
}

static double feed(struct bench *x, const struct babel_addr *src, struct pkt *p, size_t np)
{
	double t0 = mono();

	for (size_t i = 0; i < np; i++) {
		receive(x, src, p[i].buf, p[i].len);
		x->now += 10;	/* 10 µs of simulated time per packet */
		babel_run(x->b, x->now);
	}
	return mono() - t0;
}

static void free_pkts(struct pkt *p, size_t np)
{
	for (size_t i = 0; i < np; i++)
		free(p[i].buf);
	free(p);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000;
	struct bench x = { .now = 1000000000ULL };
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 } };
	struct babel_callbacks cb = { .ctx = &x, .send = cb_send, .fib_change = cb_fib };
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED, .ll6 = ll(1) };
	struct babel_counters c;
	struct mallinfo2 m0, m1, ma;
	size_t npa, npb, npb2;
	uint64_t ba, bb, bb2;
	struct pkt *pa, *pb, *pb2;
	double ta, tb, tw, mem_engine, mem_malloc, mem1_engine, mem1_malloc;

	x.a = ll(2);
	x.bb = ll(3);
	pa = build(&x.a, n, 10, 100, &npa, &ba);
	/* B's routes are worse (246 > 196) yet feasible (150 < FD 196). */
	pb = build(&x.bb, n, 10, 150, &npb, &bb);
	/* Then A retracts every prefix: B must take over all of them. */
	pb2 = build(&x.a, n, 10, BABEL_INFINITY, &npb2, &bb2);

	m0 = mallinfo2();
	x.b = babel_new(&cfg, &cb, x.now);
	babel_iface_add(x.b, 1, &ic, x.now);
	for (uint16_t s = 0; s < 2; s++) {
		hello_ihu(&x, &x.a, s);
		hello_ihu(&x, &x.bb, s);
	}
	x.now += 1100000;	/* past the startup hold */
	babel_run(x.b, x.now);

	ta = feed(&x, &x.a, pa, npa);
	/* One neighbour: what a prefix costs with its one route and source. */
	babel_get_counters(x.b, &c);
	ma = mallinfo2();
	mem1_engine = (double)c.mem_bytes / n;
	mem1_malloc = (double)(ma.uordblks - m0.uordblks) / n;
	tb = feed(&x, &x.bb, pb, npb);
	babel_get_counters(x.b, &c);
	m1 = mallinfo2();
	mem_engine = (double)c.mem_bytes / c.routes;
	mem_malloc = (double)(m1.uordblks - m0.uordblks) / c.routes;
	if (c.routes != 2ULL * n || x.fib_new != n) {
		fprintf(stderr, "unexpected: %u routes, %llu new FIB entries\n", c.routes,
			(unsigned long long)x.fib_new);
		return 1;
	}
	tw = feed(&x, &x.a, pb2, npb2);
	if (x.fib_to_b != n) {
		fprintf(stderr, "only %llu of %u prefixes moved to B\n",
			(unsigned long long)x.fib_to_b, n);
		return 1;
	}
	babel_get_counters(x.b, &c);

	printf("prefixes                      %u (IPv6 /64), 2 neighbours, wired interface\n", n);
	printf("packets in                    %zu + %zu + %zu (%.1f MB)\n", npa, npb, npb2,
	       (double)(ba + bb + bb2) / 1e6);
	printf("A announces all (new routes)  %.3f s  %.0f updates/s\n", ta, n / ta);
	printf("B announces all (worse)       %.3f s  %.0f updates/s\n", tb, n / tb);
	printf("A retracts, B wins all        %.3f s  %.0f updates/s  (every prefix selected via B)\n",
	       tw, n / tw);
	printf("overall                       %.0f updates/s\n", 3.0 * n / (ta + tb + tw));
	printf("memory per prefix, 1 nbr      %.1f bytes engine, %.1f bytes mallinfo2\n",
	       mem1_engine, mem1_malloc);
	printf("memory per route (engine)     %.1f bytes (%zu bytes / %u routes)\n", mem_engine,
	       c.mem_bytes, c.routes);
	printf("memory per route (mallinfo2)  %.1f bytes\n", mem_malloc);
	printf("output                        %llu packets, %.1f MB (triggered updates)\n",
	       (unsigned long long)x.sent_packets, (double)x.sent_bytes / 1e6);
	babel_free(x.b);
	free_pkts(pa, npa);
	free_pkts(pb, npb);
	free_pkts(pb2, npb2);
	return 0;
}
