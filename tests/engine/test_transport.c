/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_transport.c — Babel over IPv4 transport (RFC 8966 §4):
 * which group and source a datagram goes to and from, the next hops our
 * updates carry over each transport (§4.6.8, §4.6.9), a neighbour heard over
 * IPv4 being its own neighbour (§3.2.3), and the gateway the FIB is given
 * for routes learned from it.
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
#include "proto/wire.h"

#define SEC 1000000ULL
#define MAXPKT 256
#define MAXT 64

struct pkt {
	bool mcast6;			/* dst NULL */
	struct babel_addr dst;
	size_t ntlv;
	struct babel_tlv tlv[MAXT];
};

struct fib {
	struct babel_prefix p;
	bool has_new;
	struct babel_nexthop nnh;
};

struct t {
	struct babel *b;
	uint64_t now;
	struct babel_addr ll6, v4;	/* ours */
	struct pkt pkt[MAXPKT];
	size_t npkt;
	struct fib fib[32];
	size_t nfib;
	unsigned nlogs;
	uint16_t hseq;
};

static struct babel_addr addr(const char *s)
{
	struct babel_prefix p;
	struct babel_addr a;

	assert_int_equal(babel_prefix_parse(s, &p), 0);
	memset(&a, 0, sizeof(a));
	a.af = p.af;
	memcpy(a.addr, p.addr, 16);
	return a;
}

static struct babel_prefix pfx(const char *s)
{
	struct babel_prefix p;

	assert_int_equal(babel_prefix_parse(s, &p), 0);
	return p;
}

/* Parse what we sent as the receiver would: the source is our address of
 * the transport the datagram went over. */
static void cb_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct t *t = ctx;
	struct pkt *p;
	struct babel_parser ps;
	struct babel_tlv tlv;
	const struct babel_addr *src;

	(void)ifindex;
	assert_true(t->npkt < MAXPKT);
	p = &t->pkt[t->npkt++];
	memset(p, 0, sizeof(*p));
	p->mcast6 = dst == NULL;
	if (dst)
		p->dst = *dst;
	src = dst && dst->af == BABEL_AF_INET ? &t->v4 : &t->ll6;
	assert_int_equal(babel_parser_init(&ps, buf, len, src, NULL), 0);
	while (babel_parser_next(&ps, &tlv) > 0) {
		assert_true(p->ntlv < MAXT);
		p->tlv[p->ntlv++] = tlv;
	}
}

static void cb_fib(void *ctx, const struct babel_prefix *prefix,
		   const struct babel_prefix *src, const struct babel_nexthop *o,
		   const struct babel_nexthop *n, uint16_t metric)
{
	struct t *t = ctx;
	struct fib *f;

	(void)src;
	(void)o;
	(void)metric;
	assert_true(t->nfib < 32);
	f = &t->fib[t->nfib++];
	f->p = *prefix;
	f->has_new = n != NULL;
	if (n)
		f->nnh = *n;
}

static void cb_save(void *ctx, const uint8_t rid[8], uint16_t seqno)
{
	(void)ctx;
	(void)rid;
	(void)seqno;
}

static void cb_log(void *ctx, enum babel_log_level level, const char *msg)
{
	struct t *t = ctx;

	(void)level;
	(void)msg;
	t->nlogs++;
}

static struct t *t_new(enum babel_transport tr, bool with_ll6, bool with_v4)
{
	struct t *t = calloc(1, sizeof(*t));
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .startup_hold_ms = BABEL_NO_HOLD };
	struct babel_callbacks cb = { .ctx = t, .send = cb_send, .fib_change = cb_fib,
				      .save_state = cb_save, .log = cb_log };
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED, .transport = tr };

	assert_non_null(t);
	t->ll6 = addr("fe80::1");
	t->v4 = addr("10.0.0.1");
	if (with_ll6)
		ic.ll6 = t->ll6;
	if (with_v4)
		ic.v4 = t->v4;
	t->now = 1000 * SEC;
	t->b = babel_new(&cfg, &cb, t->now);
	assert_non_null(t->b);
	assert_int_equal(babel_iface_add(t->b, 1, &ic, t->now), 0);
	babel_run(t->b, t->now);
	return t;
}

static int t_teardown(void **state)
{
	struct t *t = *state;

	if (t) {
		babel_free(t->b);
		free(t);
	}
	return 0;
}

static bool is_mcast4(const struct pkt *p)
{
	struct babel_addr g = addr("224.0.0.111");

	return !p->mcast6 && babel_addr_equal(&p->dst, &g);
}

static const struct babel_tlv *find_update(const struct pkt *p, const char *prefix)
{
	struct babel_prefix want = pfx(prefix);

	for (size_t i = 0; i < p->ntlv; i++)
		if (p->tlv[i].type == BABEL_TLV_UPDATE &&
		    babel_prefix_equal(&p->tlv[i].update.prefix, &want))
			return &p->tlv[i];
	return NULL;
}

/* The first datagram sent since FROM to the IPv4 group (v4) or the IPv6 one. */
static const struct pkt *first_to(struct t *t, bool v4, size_t from)
{
	for (size_t i = from; i < t->npkt; i++)
		if (v4 ? is_mcast4(&t->pkt[i]) : t->pkt[i].mcast6)
			return &t->pkt[i];
	return NULL;
}

/* Both our originated prefixes in a full update on every transport. */
static void originate_two_and_dump(struct t *t)
{
	struct babel_prefix p4 = pfx("192.0.2.0/24"), p6 = pfx("2001:db8:1::/48");

	assert_int_equal(babel_originate(t->b, &p4, NULL, 0, t->now), 0);
	assert_int_equal(babel_originate(t->b, &p6, NULL, 0, t->now), 0);
	babel_run(t->b, t->now);
}

/* A datagram from a neighbour at SRC (its writer knows SRC as source, so
 * it writes a Next Hop TLV only for the other family). */
static void feed_from(struct t *t, const char *src_s, const struct babel_tlv *tlvs,
		      size_t n)
{
	uint8_t buf[1400];
	struct babel_writer w;
	struct babel_addr src = addr(src_s);

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(babel_write_tlv(&w, &tlvs[i]), 0);
	assert_int_equal(babel_receive(t->b, 1, &src, NULL, buf,
				       babel_writer_finish(&w), t->now), 0);
}

static struct babel_tlv hello_tlv(struct t *t)
{
	struct babel_tlv h = { .type = BABEL_TLV_HELLO };

	h.hello.seqno = t->hseq++;
	h.hello.interval = 400;
	return h;
}

static struct babel_tlv ihu_about(const struct babel_addr *us)
{
	struct babel_tlv h = { .type = BABEL_TLV_IHU };

	h.ihu.ae = us->af == BABEL_AF_INET ? BABEL_AE_IPV4 : BABEL_AE_IPV6_LL;
	h.ihu.addr = *us;
	h.ihu.rxcost = 96;
	h.ihu.interval = 1200;
	return h;
}

static struct babel_tlv update_tlv(const char *prefix, const struct babel_addr *nh)
{
	struct babel_tlv u = { .type = BABEL_TLV_UPDATE };

	u.update.prefix = pfx(prefix);
	u.update.ae = babel_ae_for(&u.update.prefix, nh);
	u.update.interval = 1600;
	u.update.seqno = 7;
	u.update.metric = 100;
	u.update.has_router_id = true;
	u.update.router_id[0] = 0xAA;
	u.update.router_id[7] = 2;
	if (nh)
		u.update.next_hop = *nh;
	return u;
}

static void bring_up_from(struct t *t, const char *src, const struct babel_addr *us)
{
	struct babel_tlv x[2] = { hello_tlv(t), ihu_about(us) };

	feed_from(t, src, x, 1);
	x[0] = hello_tlv(t);
	feed_from(t, src, x, 2);
}

static const struct fib *fib_for(struct t *t, const char *prefix)
{
	struct babel_prefix p = pfx(prefix);

	for (size_t i = t->nfib; i-- > 0;)
		if (babel_prefix_equal(&t->fib[i].p, &p))
			return &t->fib[i];
	return NULL;
}

static int count_neigh(void *ctx, const struct babel_neighbour_info *n)
{
	unsigned *c = ctx;

	(void)n;
	(*c)++;
	return 0;
}

/* ---- tests ---- */

static void test_ipv4_transport_sends_only_to_the_ipv4_group(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV4, true, true);
	unsigned hellos4 = 0;

	assert_true(t->npkt > 0);
	for (size_t i = 0; i < t->npkt; i++) {
		assert_true(is_mcast4(&t->pkt[i]));
		for (size_t j = 0; j < t->pkt[i].ntlv; j++)
			hellos4 += t->pkt[i].tlv[j].type == BABEL_TLV_HELLO;
	}
	assert_int_equal(hellos4, 1);
}

static void test_default_transport_sends_only_to_the_ipv6_group(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV6, true, true);

	assert_true(t->npkt > 0);
	for (size_t i = 0; i < t->npkt; i++)
		assert_true(t->pkt[i].mcast6);
}

static void test_both_transports_send_the_hello_to_both_groups(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_BOTH, true, true);
	const struct pkt *p6 = first_to(t, false, 0), *p4 = first_to(t, true, 0);

	assert_non_null(p6);
	assert_non_null(p4);
	assert_int_equal(p6->tlv[p6->ntlv - 1].type, BABEL_TLV_HELLO);
	assert_int_equal(p4->tlv[p4->ntlv - 1].type, BABEL_TLV_HELLO);
	assert_int_equal(p6->tlv[p6->ntlv - 1].hello.seqno,
			 p4->tlv[p4->ntlv - 1].hello.seqno);
}

/* An update for PREFIX in a datagram sent since FROM to one group. */
static const struct babel_tlv *sent_update(struct t *t, bool v4, size_t from,
					   const char *prefix)
{
	for (size_t i = from; i < t->npkt; i++) {
		const struct pkt *p = &t->pkt[i];
		const struct babel_tlv *u;

		if (!(v4 ? is_mcast4(p) : p->mcast6))
			continue;
		if ((u = find_update(p, prefix)))
			return u;
	}
	return NULL;
}

/* §4.6.9: over IPv4 an IPv4 route's next hop is the source (our IPv4
 * address), an IPv6 route carries a Next Hop TLV with our link-local. Over
 * IPv6 both stay as before (IPv4 next hop in an AE 1 Next Hop TLV). */
static void test_next_hops_are_right_for_each_transport(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_BOTH, true, true);
	size_t from = t->npkt;
	const struct babel_tlv *u;

	originate_two_and_dump(t);
	u = sent_update(t, true, from, "192.0.2.0/24");
	assert_non_null(u);
	assert_int_equal(u->update.ae, BABEL_AE_IPV4);
	assert_true(babel_addr_equal(&u->update.next_hop, &t->v4));
	u = sent_update(t, true, from, "2001:db8:1::/48");
	assert_non_null(u);
	assert_true(babel_addr_equal(&u->update.next_hop, &t->ll6));

	u = sent_update(t, false, from, "2001:db8:1::/48");
	assert_non_null(u);
	assert_true(babel_addr_equal(&u->update.next_hop, &t->ll6));
	u = sent_update(t, false, from, "192.0.2.0/24");
	assert_non_null(u);
	assert_true(babel_addr_equal(&u->update.next_hop, &t->v4));
}

/* The implicit next hop over IPv4 is the source: no Next Hop TLV in a
 * datagram of IPv4 routes, one (AE 3, our link-local) before IPv6 ones. */
static void test_ipv4_datagram_has_one_link_local_next_hop_tlv(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV4, true, true);
	size_t from = t->npkt;
	unsigned with6 = 0, without6 = 0;

	originate_two_and_dump(t);
	for (size_t i = from; i < t->npkt; i++) {
		const struct pkt *p = &t->pkt[i];
		unsigned nh = 0;
		bool v6 = find_update(p, "2001:db8:1::/48") != NULL;

		assert_true(is_mcast4(p));
		for (size_t j = 0; j < p->ntlv; j++) {
			if (p->tlv[j].type != BABEL_TLV_NEXT_HOP)
				continue;
			nh++;
			assert_int_equal(p->tlv[j].next_hop.ae, BABEL_AE_IPV6_LL);
			assert_true(babel_addr_equal(&p->tlv[j].next_hop.addr, &t->ll6));
		}
		assert_int_equal(nh, v6 ? 1 : 0);
		if (v6)
			with6++;
		else if (find_update(p, "192.0.2.0/24"))
			without6++;
	}
	assert_true(with6 >= 1);
	assert_true(without6 >= 1);
}

static void test_ipv6_route_is_not_sent_over_ipv4_without_a_link_local(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV4, false, true);
	size_t from = t->npkt;

	originate_two_and_dump(t);
	assert_true(t->npkt > from);
	assert_non_null(sent_update(t, true, from, "192.0.2.0/24"));
	assert_null(sent_update(t, true, from, "2001:db8:1::/48"));
	assert_int_equal(t->nlogs, 0);	/* skipped, not a write error */
}

static void test_neighbour_heard_over_ipv4_is_its_own_neighbour(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_BOTH, true, true);
	unsigned n = 0;

	bring_up_from(t, "10.0.0.2", &t->v4);
	bring_up_from(t, "fe80::2", &t->ll6);
	babel_foreach_neighbour(t->b, count_neigh, &n);
	assert_int_equal(n, 2);
}

/* Each IHU goes to the group of the transport its neighbour is heard on. */
static void test_ihu_goes_to_the_group_of_its_neighbour(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_BOTH, true, true);
	struct babel_addr n4 = addr("10.0.0.2"), n6 = addr("fe80::2");
	unsigned ihu4 = 0, ihu6 = 0;
	size_t from;

	bring_up_from(t, "10.0.0.2", &t->v4);
	bring_up_from(t, "fe80::2", &t->ll6);
	from = t->npkt;
	t->now += 5 * SEC;
	babel_run(t->b, t->now);
	for (size_t i = from; i < t->npkt; i++) {
		const struct pkt *p = &t->pkt[i];

		for (size_t j = 0; j < p->ntlv; j++) {
			const struct babel_tlv *x = &p->tlv[j];

			if (x->type != BABEL_TLV_IHU)
				continue;
			if (is_mcast4(p)) {
				assert_true(babel_addr_equal(&x->ihu.addr, &n4));
				ihu4++;
			} else {
				assert_true(p->mcast6);
				assert_true(babel_addr_equal(&x->ihu.addr, &n6));
				ihu6++;
			}
		}
	}
	assert_true(ihu4 >= 1);
	assert_true(ihu6 >= 1);
}

/* Routes from a neighbour heard over IPv4: an IPv4 prefix goes via its
 * IPv4 address, an IPv6 prefix via the IPv6 next hop it announced. */
static void test_routes_from_an_ipv4_neighbour_get_gateways_of_their_family(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV4, true, true);
	struct babel_addr n4 = addr("10.0.0.2"), nll = addr("fe80::2");
	struct babel_tlv u[2] = { update_tlv("198.51.100.0/24", NULL),
				  update_tlv("2001:db8:9::/48", &nll) };
	const struct fib *f;

	bring_up_from(t, "10.0.0.2", &t->v4);
	feed_from(t, "10.0.0.2", u, 2);
	f = fib_for(t, "198.51.100.0/24");
	assert_non_null(f);
	assert_true(f->has_new);
	assert_true(babel_addr_equal(&f->nnh.addr, &n4));
	assert_true(babel_addr_equal(&f->nnh.via, &n4));
	f = fib_for(t, "2001:db8:9::/48");
	assert_non_null(f);
	assert_true(f->has_new);
	assert_true(babel_addr_equal(&f->nnh.addr, &n4));
	assert_true(babel_addr_equal(&f->nnh.via, &nll));
}

/* §4.6.9: from an IPv4 source an IPv6 Update without a Next Hop TLV has no
 * next hop in force and is ignored. */
static void test_ipv6_update_over_ipv4_without_next_hop_is_ignored(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV4, true, true);
	struct babel_tlv x = update_tlv("2001:db8:9::/48", NULL);
	struct babel_addr src = addr("10.0.0.2");
	struct babel_counters c;
	struct babel_writer w;
	uint8_t buf[256];

	bring_up_from(t, "10.0.0.2", &t->v4);
	/* A writer that does not know the source writes no Next Hop TLV. */
	babel_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(babel_write_tlv(&w, &x), 0);
	assert_int_equal(babel_receive(t->b, 1, &src, NULL, buf,
				       babel_writer_finish(&w), t->now), 0);
	assert_null(fib_for(t, "2001:db8:9::/48"));
	babel_get_counters(t->b, &c);
	assert_int_equal(c.parse.updates_without_next_hop, 1);
}

/* An IPv4 prefix from an IPv6 neighbour keeps the v4-via-v6 gateway. */
static void test_ipv4_route_from_an_ipv6_neighbour_keeps_its_link_local(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV6, true, true);
	struct babel_addr nll = addr("fe80::2");
	struct babel_tlv u = update_tlv("198.51.100.0/24", &nll);
	const struct fib *f;

	bring_up_from(t, "fe80::2", &t->ll6);
	feed_from(t, "fe80::2", &u, 1);
	f = fib_for(t, "198.51.100.0/24");
	assert_non_null(f);
	assert_true(babel_addr_equal(&f->nnh.addr, &nll));
	assert_true(babel_addr_equal(&f->nnh.via, &nll));
}

/* WireGuard (unicast only): a peer registered by its IPv4 address gets
 * IPv4 datagrams, with the same next hops as over IPv4 multicast. */
static void test_ipv4_peer_on_a_unicast_link_gets_ipv4_datagrams(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct babel_config cfg = { .router_id = { 0, 0, 0, 0, 0, 0, 0, 1 },
				    .seqno = 100, .startup_hold_ms = BABEL_NO_HOLD };
	struct babel_callbacks cb = { .ctx = t, .send = cb_send, .fib_change = cb_fib,
				      .save_state = cb_save, .log = cb_log };
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIREGUARD,
					 .unicast_only = true };
	struct babel_addr peer = addr("10.0.0.2");
	struct babel_prefix p4 = pfx("192.0.2.0/24"), p6 = pfx("2001:db8:1::/48");
	const struct babel_tlv *u4 = NULL, *u6 = NULL;
	unsigned hellos = 0;

	*state = t;
	assert_non_null(t);
	t->ll6 = ic.ll6 = addr("fe80::1");
	t->v4 = ic.v4 = addr("10.0.0.1");
	t->now = 1000 * SEC;
	t->b = babel_new(&cfg, &cb, t->now);
	assert_non_null(t->b);
	assert_int_equal(babel_iface_add(t->b, 1, &ic, t->now), 0);
	assert_int_equal(babel_iface_add_peer(t->b, 1, &peer, t->now), 0);
	assert_int_equal(babel_originate(t->b, &p4, NULL, 0, t->now), 0);
	assert_int_equal(babel_originate(t->b, &p6, NULL, 0, t->now), 0);
	t->now += 5 * SEC;
	babel_run(t->b, t->now);
	assert_true(t->npkt > 0);
	for (size_t i = 0; i < t->npkt; i++) {
		const struct pkt *p = &t->pkt[i];

		assert_false(p->mcast6);
		assert_true(babel_addr_equal(&p->dst, &peer));
		for (size_t j = 0; j < p->ntlv; j++)
			hellos += p->tlv[j].type == BABEL_TLV_HELLO &&
				  (p->tlv[j].hello.flags & BABEL_HELLO_F_UNICAST);
		if (!u4)
			u4 = find_update(p, "192.0.2.0/24");
		if (!u6)
			u6 = find_update(p, "2001:db8:1::/48");
	}
	assert_true(hellos >= 1);
	assert_non_null(u4);
	assert_non_null(u6);
	assert_true(babel_addr_equal(&u4->update.next_hop, &t->v4));
	assert_true(babel_addr_equal(&u6->update.next_hop, &t->ll6));
}

/* Seqno requests for PREFIX sent to DST since FROM. */
static unsigned seqno_reqs_to(struct t *t, const char *dst, const char *prefix,
			      size_t from)
{
	struct babel_addr d = addr(dst);
	struct babel_prefix p = pfx(prefix);
	unsigned n = 0;

	for (size_t i = from; i < t->npkt; i++)
		for (size_t j = 0; j < t->pkt[i].ntlv; j++)
			if (!t->pkt[i].mcast6 && babel_addr_equal(&t->pkt[i].dst, &d) &&
			    t->pkt[i].tlv[j].type == BABEL_TLV_SEQNO_REQ &&
			    babel_prefix_equal(&t->pkt[i].tlv[j].seqno_req.prefix, &p))
				n++;
	return n;
}

/*
 * §3.8.1.2: a seqno request is never forwarded to the router it came from.
 * With transport both, router R is heard as fe80::2 and as 10.0.0.2 (its
 * IPv6 prefix over IPv4 names fe80::2 as next hop): a request from
 * fe80::2 is not sent back to 10.0.0.2, one from another router is.
 */
static void test_seqno_request_is_not_forwarded_back_over_the_other_transport(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_BOTH, true, true);
	struct babel_addr r6 = addr("fe80::2");
	struct babel_tlv u = update_tlv("2001:db8:9::/48", &r6), rq = { .type = BABEL_TLV_SEQNO_REQ };
	struct babel_counters c;
	size_t mark;

	bring_up_from(t, "10.0.0.2", &t->v4);
	bring_up_from(t, "fe80::2", &t->ll6);
	bring_up_from(t, "fe80::3", &t->ll6);
	feed_from(t, "10.0.0.2", &u, 1);
	babel_run(t->b, t->now);
	assert_non_null(fib_for(t, "2001:db8:9::/48"));
	rq.seqno_req.prefix = pfx("2001:db8:9::/48");
	rq.seqno_req.ae = BABEL_AE_IPV6;
	rq.seqno_req.seqno = 8;		/* newer than the 7 we have */
	rq.seqno_req.hop_count = 5;
	rq.seqno_req.router_id[0] = 0xAA;
	rq.seqno_req.router_id[7] = 2;
	mark = t->npkt;
	feed_from(t, "fe80::2", &rq, 1);
	babel_run(t->b, t->now);
	assert_int_equal(seqno_reqs_to(t, "10.0.0.2", "2001:db8:9::/48", mark), 0);
	babel_get_counters(t->b, &c);
	assert_int_equal(c.seqno_requests_forwarded, 0);
	/* the same request from another router goes to R */
	t->now += 3 * SEC;
	feed_from(t, "fe80::3", &rq, 1);
	babel_run(t->b, t->now);
	assert_int_equal(seqno_reqs_to(t, "10.0.0.2", "2001:db8:9::/48", mark), 1);
}

static void test_unknown_transport_is_refused(void **state)
{
	struct t *t = *state = t_new(BABEL_TRANSPORT_IPV6, true, true);
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIRED,
					 .transport = (enum babel_transport)7 };

	assert_int_equal(babel_iface_add(t->b, 2, &ic, t->now), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, t_teardown)
		T(test_ipv4_transport_sends_only_to_the_ipv4_group),
		T(test_default_transport_sends_only_to_the_ipv6_group),
		T(test_both_transports_send_the_hello_to_both_groups),
		T(test_next_hops_are_right_for_each_transport),
		T(test_ipv4_datagram_has_one_link_local_next_hop_tlv),
		T(test_ipv6_route_is_not_sent_over_ipv4_without_a_link_local),
		T(test_neighbour_heard_over_ipv4_is_its_own_neighbour),
		T(test_ihu_goes_to_the_group_of_its_neighbour),
		T(test_routes_from_an_ipv4_neighbour_get_gateways_of_their_family),
		T(test_ipv6_update_over_ipv4_without_next_hop_is_ignored),
		T(test_ipv4_route_from_an_ipv6_neighbour_keeps_its_link_local),
		T(test_ipv4_peer_on_a_unicast_link_gets_ipv4_datagrams),
		T(test_seqno_request_is_not_forwarded_back_over_the_other_transport),
		T(test_unknown_transport_is_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
