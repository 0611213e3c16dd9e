/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/harness.h — a test harness around one engine: packets from
 * simulated neighbours go in through babel_receive(), time through
 * babel_run(), and what the engine sends and reports to the FIB is recorded.
 */
#ifndef WGB_TESTS_ENGINE_HARNESS_H
#define WGB_TESTS_ENGINE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/babel.h"
#include "proto/wire.h"

#define MS 1000ULL
#define SEC 1000000ULL
#define MAXSENT 8192

struct sent {
	unsigned ifindex;
	bool mcast;
	struct babel_addr dst;
	size_t ntlv;
	struct babel_tlv *tlv;
};

struct fibev {
	struct babel_prefix p;
	bool has_old, has_new;
	struct babel_nexthop onh, nnh;
	uint16_t metric;
};

/* An event callback (babel_callbacks.route_event and friends). */
struct hev {
	char kind;			/* 'r' route, 'n' neighbour, 'x' xroute */
	enum babel_event ev;
	struct babel_prefix p;		/* routes and xroutes */
	struct babel_addr addr;		/* routes (neighbour) and neighbours */
	bool selected;
	uint16_t refmetric, seqno, metric;
};
#define MAXEV 64

struct h;
typedef int (*h_filter_in_fn)(struct h *h, const struct babel_prefix *prefix,
			      const struct babel_prefix *src_prefix, unsigned ifindex,
			      const struct babel_addr *neighbour, uint16_t metric);
typedef int (*h_filter_out_fn)(struct h *h, const struct babel_prefix *prefix,
			       const struct babel_prefix *src_prefix, unsigned ifindex,
			       uint16_t metric);

struct h {
	struct babel *b;
	uint64_t now;
	struct sent sent[MAXSENT];
	size_t nsent;
	struct fibev fib[256];
	size_t nfib;
	uint16_t saved;
	unsigned nsaves;
	uint16_t hello_seq[8];
	/* Ack Requests sent to neighbour i (counted quiet or not), and how
	 * many of them run_alive's neighbours have answered */
	unsigned ack_reqs[8], acked[8];
	/* quiet: sent datagrams and FIB changes are only counted */
	bool quiet;
	uint64_t packets_out, fib_changes;
	h_filter_in_fn filter_in;
	h_filter_out_fn filter_out;
	unsigned filter_in_calls, filter_out_calls;
	uint16_t filter_arg;		/* free for a test's filter */
	unsigned nlogs;			/* engine log lines */
	unsigned nlost;			/* neigh_lost calls */
	int last_loss;			/* enum babel_neigh_loss */
	struct babel_addr last_lost;
	char last_log[256];
	struct hev ev[MAXEV];
	size_t nev;			/* all counted, the first MAXEV kept */
};

struct count_ctx {
	unsigned n;
	const struct babel_route_info *last;
	struct babel_route_info sel;
	bool have_sel;
};

struct babel_addr our_ll(void);
struct babel_addr nb_addr(int i);
struct babel_prefix pfx(const char *s);
void clear_sent(struct h *h);
struct h *h_new(const struct babel_config *extra, bool wg);
/* With filter callbacks (NULL: none installed in the engine). */
struct h *h_new_filtered(const struct babel_config *extra, bool wg,
			 h_filter_in_fn fin, h_filter_out_fn fout);
/* Without an interface (a daemon adds them later), and interface 1 added
 * at h->now: h_new() is both at once. */
struct h *h_new_bare(const struct babel_config *extra, h_filter_in_fn fin,
		     h_filter_out_fn fout);
void h_add_iface(struct h *h, bool wg);
int h_teardown(void **state);
void run_to(struct h *h, uint64_t t);
void feed(struct h *h, int nbi, const struct babel_tlv *tlvs, size_t n);
/* The same datagram, received by the kernel at RX (<= h->now). */
void feed_at(struct h *h, int nbi, const struct babel_tlv *tlvs, size_t n,
	     uint64_t rx);
struct babel_tlv hello(struct h *h, int nbi, bool unicast);
struct babel_tlv ihu(uint16_t rxcost);
struct babel_tlv upd(int nbi, const char *prefix, uint8_t rid, uint16_t seqno,
		     uint16_t metric);
void bring_up(struct h *h, int nbi, bool unicast);
void send1(struct h *h, int nbi, struct babel_tlv t);
void run_alive(struct h *h, uint64_t t, int n, bool unicast);
int count_route(void *ctx, const struct babel_route_info *i);
unsigned candidates(struct h *h, const char *prefix, struct count_ctx *c);
bool selected_via(struct h *h, const char *prefix, int nbi, uint16_t *metric);
unsigned count_sent(struct h *h, uint8_t type, int to_nbi,
		    bool (*pred)(const struct babel_tlv *));
const struct babel_tlv *find_sent(struct h *h, uint8_t type);
bool is_retraction(const struct babel_tlv *t);
bool is_finite(const struct babel_tlv *t);
bool is_wildcard(const struct babel_tlv *t);

#endif
