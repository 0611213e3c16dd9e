/* SPDX-License-Identifier: MIT */
/* tests/engine/harness.c — see harness.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/engine/harness.h"

struct babel_addr our_ll(void)
{
	struct babel_addr a = { .af = BABEL_AF_INET6, .addr = { 0xfe, 0x80 } };

	a.addr[15] = 1;
	return a;
}

struct babel_addr nb_addr(int i)
{
	struct babel_addr a = { .af = BABEL_AF_INET6, .addr = { 0xfe, 0x80 } };

	a.addr[15] = (uint8_t)(0x10 + i);
	return a;
}

struct babel_prefix pfx(const char *s)
{
	struct babel_prefix p;

	assert_int_equal(babel_prefix_parse(s, &p), 0);
	return p;
}

/* Fast probes (proto/neighbour.c) to neighbour i, for answer_probes. */
static void count_ack_reqs(struct h *h, const struct babel_addr *dst,
			   const uint8_t *buf, size_t len)
{
	struct babel_addr src = our_ll();
	struct babel_parser p;
	struct babel_tlv t;
	int i;

	if (!dst)
		return;
	for (i = 0; i < 8; i++) {
		struct babel_addr a = nb_addr(i);

		if (babel_addr_equal(dst, &a))
			break;
	}
	if (i == 8)
		return;
	assert_int_equal(babel_parser_init(&p, buf, len, &src, NULL), 0);
	while (babel_parser_next(&p, &t) > 0)
		if (t.type == BABEL_TLV_ACK_REQ)
			h->ack_reqs[i]++;
}

static void cb_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct h *h = ctx;
	struct sent *s;
	struct babel_parser p;
	struct babel_addr src = our_ll();
	struct babel_tlv t;

	h->packets_out++;
	count_ack_reqs(h, dst, buf, len);
	if (h->quiet)
		return;
	assert_true(h->nsent < MAXSENT);
	s = &h->sent[h->nsent++];
	s->ifindex = ifindex;
	s->mcast = dst == NULL;
	if (dst)
		s->dst = *dst;
	s->tlv = calloc(256, sizeof(*s->tlv));
	assert_int_equal(babel_parser_init(&p, buf, len, &src, NULL), 0);
	while (babel_parser_next(&p, &t) > 0) {
		assert_true(s->ntlv < 256);
		s->tlv[s->ntlv++] = t;
	}
}

static void cb_lost(void *ctx, unsigned ifindex, const struct babel_addr *a,
		    enum babel_neigh_loss cause)
{
	struct h *h = ctx;

	h->nlost++;
	h->last_loss = (int)cause;
	h->last_lost = *a;
}

static struct hev *h_ev(struct h *h, char kind, enum babel_event ev)
{
	struct hev *e = h->nev < MAXEV ? &h->ev[h->nev] : NULL;

	h->nev++;
	if (e) {
		memset(e, 0, sizeof(*e));
		e->kind = kind;
		e->ev = ev;
	}
	return e;
}

static void cb_route_ev(void *ctx, enum babel_event ev,
			const struct babel_route_info *r)
{
	struct hev *e = h_ev(ctx, 'r', ev);

	if (!e)
		return;
	e->p = r->prefix;
	e->addr = r->neighbour.addr;
	e->selected = r->selected;
	e->refmetric = r->refmetric;
	e->seqno = r->seqno;
	e->metric = r->metric;
}

static void cb_neigh_ev(void *ctx, enum babel_event ev,
			const struct babel_neighbour_info *n)
{
	struct hev *e = h_ev(ctx, 'n', ev);

	if (!e)
		return;
	e->addr = n->addr;
	e->metric = n->cost;
}

static void cb_xroute_ev(void *ctx, enum babel_event ev,
			 const struct babel_xroute_info *x)
{
	struct hev *e = h_ev(ctx, 'x', ev);

	if (!e)
		return;
	e->p = x->prefix;
	e->metric = x->metric;
}

static void cb_fib(void *ctx, const struct babel_prefix *prefix,
		   const struct babel_prefix *src, const struct babel_nexthop *o,
		   const struct babel_nexthop *n, uint16_t metric)
{
	struct h *h = ctx;
	struct fibev *f;

	(void)src;
	h->fib_changes++;
	if (h->quiet)
		return;
	assert_true(h->nfib < 256);
	f = &h->fib[h->nfib++];
	f->p = *prefix;
	f->has_old = o != NULL;
	f->has_new = n != NULL;
	if (o)
		f->onh = *o;
	if (n)
		f->nnh = *n;
	f->metric = metric;
}

static void cb_save(void *ctx, const uint8_t rid[8], uint16_t seqno)
{
	struct h *h = ctx;

	(void)rid;
	h->saved = seqno;
	h->nsaves++;
}

void clear_sent(struct h *h)
{
	for (size_t i = 0; i < h->nsent; i++)
		free(h->sent[i].tlv);
	h->nsent = 0;
}

static void cb_log(void *ctx, enum babel_log_level level, const char *msg)
{
	struct h *h = ctx;

	(void)level;
	h->nlogs++;
	snprintf(h->last_log, sizeof(h->last_log), "%s", msg);
}

static int cb_filter_in(void *ctx, const struct babel_prefix *prefix,
			const struct babel_prefix *src_prefix, unsigned ifindex,
			const struct babel_addr *neighbour, uint16_t metric)
{
	struct h *h = ctx;

	h->filter_in_calls++;
	return h->filter_in(h, prefix, src_prefix, ifindex, neighbour, metric);
}

static int cb_filter_out(void *ctx, const struct babel_prefix *prefix,
			 const struct babel_prefix *src_prefix, unsigned ifindex,
			 uint16_t metric)
{
	struct h *h = ctx;

	h->filter_out_calls++;
	return h->filter_out(h, prefix, src_prefix, ifindex, metric);
}

struct h *h_new(const struct babel_config *extra, bool wg)
{
	return h_new_filtered(extra, wg, NULL, NULL);
}

struct h *h_new_filtered(const struct babel_config *extra, bool wg,
			 h_filter_in_fn fin, h_filter_out_fn fout)
{
	struct h *h = h_new_bare(extra, fin, fout);

	h_add_iface(h, wg);
	return h;
}

void h_add_iface(struct h *h, bool wg)
{
	struct babel_iface_config ic = { .type = wg ? BABEL_IFACE_WIREGUARD : BABEL_IFACE_WIRED,
					 .unicast_only = wg, .ll6 = our_ll() };

	assert_int_equal(babel_iface_add(h->b, 1, &ic, h->now), 0);
	babel_run(h->b, h->now);
}

struct h *h_new_bare(const struct babel_config *extra, h_filter_in_fn fin,
		     h_filter_out_fn fout)
{
	struct h *h = calloc(1, sizeof(*h));
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 }, .seqno = 100,
				    .startup_hold_ms = BABEL_NO_HOLD };
	struct babel_callbacks cb = { .send = cb_send, .fib_change = cb_fib,
				      .save_state = cb_save, .log = cb_log,
				      .neigh_lost = cb_lost,
				      .route_event = cb_route_ev,
				      .neigh_event = cb_neigh_ev,
				      .xroute_event = cb_xroute_ev };

	if (extra) {
		cfg = *extra;
		if (!cfg.startup_hold_ms)
			cfg.startup_hold_ms = BABEL_NO_HOLD;
	}
	cb.ctx = h;
	h->filter_in = fin;
	h->filter_out = fout;
	if (fin)
		cb.filter_in = cb_filter_in;
	if (fout)
		cb.filter_out = cb_filter_out;
	h->now = 1000 * SEC;
	h->b = babel_new(&cfg, &cb, h->now);
	assert_non_null(h->b);
	babel_run(h->b, h->now);
	return h;
}

int h_teardown(void **state)
{
	struct h *h = *state;

	if (h) {
		clear_sent(h);
		babel_free(h->b);
		free(h);
	}
	return 0;
}

void run_to(struct h *h, uint64_t t)
{
	/* fire every deadline up to t, in order */
	for (;;) {
		uint64_t next = babel_run(h->b, h->now);

		if (next > t)
			break;
		h->now = next > h->now ? next : h->now;
		if (next <= h->now && babel_run(h->b, h->now) <= h->now)
			h->now += 1;	/* never spin on the same instant */
	}
	h->now = t;
	babel_run(h->b, h->now);
}

void feed_at(struct h *h, int nbi, const struct babel_tlv *tlvs, size_t n,
	     uint64_t rx)
{
	uint8_t buf[1400];
	struct babel_writer w;
	struct babel_addr src = nb_addr(nbi);

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(babel_write_tlv(&w, &tlvs[i]), 0);
	assert_int_equal(babel_receive_at(h->b, 1, &src, NULL, buf,
					  babel_writer_finish(&w), h->now, rx),
			 0);
}

void feed(struct h *h, int nbi, const struct babel_tlv *tlvs, size_t n)
{
	feed_at(h, nbi, tlvs, n, h->now);
}

struct babel_tlv hello(struct h *h, int nbi, bool unicast)
{
	struct babel_tlv t = { .type = BABEL_TLV_HELLO };

	t.hello.flags = unicast ? BABEL_HELLO_F_UNICAST : 0;
	t.hello.seqno = h->hello_seq[nbi]++;
	t.hello.interval = 400;
	return t;
}

struct babel_tlv ihu(uint16_t rxcost)
{
	struct babel_tlv t = { .type = BABEL_TLV_IHU };

	t.ihu.ae = BABEL_AE_IPV6_LL;
	t.ihu.addr = our_ll();
	t.ihu.rxcost = rxcost;
	t.ihu.interval = 1200;
	return t;
}

struct babel_tlv upd(int nbi, const char *prefix, uint8_t rid, uint16_t seqno,
			    uint16_t metric)
{
	struct babel_tlv t = { .type = BABEL_TLV_UPDATE };
	struct babel_addr src = nb_addr(nbi);

	t.update.prefix = pfx(prefix);
	t.update.ae = babel_ae_for(&t.update.prefix, &src);
	t.update.interval = 1600;
	t.update.seqno = seqno;
	t.update.metric = metric;
	if (metric != BABEL_INFINITY) {
		t.update.has_router_id = true;
		t.update.router_id[7] = rid;
		t.update.router_id[0] = 0xAA;
	}
	return t;
}

/* Two Hellos and an IHU: the link is up with cost 96 both ways. */
void bring_up(struct h *h, int nbi, bool unicast)
{
	struct babel_tlv t[2];

	t[0] = hello(h, nbi, unicast);
	feed(h, nbi, t, 1);
	t[0] = hello(h, nbi, unicast);
	t[1] = ihu(96);
	feed(h, nbi, t, 2);
}

void send1(struct h *h, int nbi, struct babel_tlv t)
{
	feed(h, nbi, &t, 1);
}

/* Live peers answer Ack Requests: within 10 ms, an Ack for each fast
 * probe (neighbour.c) sent to them, as a real one would. */
static void answer_probes(struct h *h, uint64_t until, int n)
{
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };

	while (h->now + 10 * MS <= until) {
		run_to(h, h->now + 10 * MS);
		for (int i = 0; i < n && i < 8; i++) {
			if (h->acked[i] == h->ack_reqs[i])
				continue;
			h->acked[i] = h->ack_reqs[i];
			feed(h, i, &ack, 1);
		}
	}
}

/* Advance to t in 1 s steps, neighbours 0..n-1 sending Hello + IHU. */
void run_alive(struct h *h, uint64_t t, int n, bool unicast)
{
	while (h->now + SEC <= t) {
		uint64_t next = h->now + SEC;

		answer_probes(h, next, n);
		run_to(h, next);
		for (int i = 0; i < n; i++) {
			struct babel_tlv x[2] = { hello(h, i, unicast), ihu(96) };

			feed(h, i, x, 2);
		}
	}
	run_to(h, t);
}

int count_route(void *ctx, const struct babel_route_info *i)
{
	struct count_ctx *c = ctx;

	c->n++;
	if (i->selected) {
		c->sel = *i;
		c->have_sel = true;
	}
	return 0;
}

unsigned candidates(struct h *h, const char *prefix, struct count_ctx *c)
{
	struct babel_prefix p = pfx(prefix);

	memset(c, 0, sizeof(*c));
	babel_route_lookup(h->b, &p, NULL, count_route, c);
	return c->n;
}

bool selected_via(struct h *h, const char *prefix, int nbi, uint16_t *metric)
{
	struct babel_prefix p = pfx(prefix);
	struct babel_nexthop nh;
	struct babel_addr a = nb_addr(nbi);

	if (babel_route_selected(h->b, &p, NULL, &nh, metric) < 0)
		return false;
	return babel_addr_equal(&nh.addr, &a);
}

/* TLVs of a type sent since the last clear_sent, optionally only unicast to nbi. */
unsigned count_sent(struct h *h, uint8_t type, int to_nbi, bool (*pred)(const struct babel_tlv *))
{
	unsigned n = 0;
	struct babel_addr a = to_nbi >= 0 ? nb_addr(to_nbi) : (struct babel_addr){ 0 };

	for (size_t i = 0; i < h->nsent; i++) {
		if (to_nbi >= 0 && (h->sent[i].mcast || !babel_addr_equal(&h->sent[i].dst, &a)))
			continue;
		for (size_t j = 0; j < h->sent[i].ntlv; j++)
			if (h->sent[i].tlv[j].type == type && (!pred || pred(&h->sent[i].tlv[j])))
				n++;
	}
	return n;
}

const struct babel_tlv *find_sent(struct h *h, uint8_t type)
{
	for (size_t i = 0; i < h->nsent; i++)
		for (size_t j = 0; j < h->sent[i].ntlv; j++)
			if (h->sent[i].tlv[j].type == type)
				return &h->sent[i].tlv[j];
	return NULL;
}

bool is_retraction(const struct babel_tlv *t)
{
	return t->update.metric == BABEL_INFINITY;
}

bool is_finite(const struct babel_tlv *t)
{
	return t->update.metric != BABEL_INFINITY;
}

bool is_wildcard(const struct babel_tlv *t)
{
	return t->route_req.prefix.af == BABEL_AF_NONE;
}
