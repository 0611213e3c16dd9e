/* SPDX-License-Identifier: MIT */
/*
 * tests/fwd/test_plane.c — the forwarding plane (fwd/plane.h): what it
 * writes for each route, peer and endpoint change, first as a list of
 * writes (a recording executor), then driving the real allowed-IP
 * reconciler over wgglue's fake WireGuard device and the real kernel-route
 * module over a fake rtnetlink kernel, where ownership, refusal and
 * adoption after a restart are decided.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd/plane.h"
#include "tests/wgglue/fake_kernel.h"
#include "wgglue/reconcile.h"
#include "wgglue/wg_fake.h"

#define WG 7		/* ifindex of the WireGuard interface */
#define WG2 8		/* a second one */
#define ETH 3		/* a wired one */

/* ------------------------------------------------- recording executor */

enum { W_AIP_SET, W_AIP_UNSET, W_ROUTE_SET, W_ROUTE_UNSET, W_EGRESS_SET,
       W_EGRESS_UNSET };

struct write {
	int op;
	unsigned ifindex;
	struct wg_prefix p;
	struct wg_key peer;
	struct kroute_nexthop nh;
};

struct rec {
	struct write w[64];
	size_t n;
	int warnings, infos;
	char last_log[320];
};

static void r_aip_set(void *ctx, unsigned ifindex, const struct wg_prefix *p,
		      const struct wg_key *peer)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_AIP_SET, .ifindex = ifindex,
				       .p = *p, .peer = *peer };
}

static void r_aip_unset(void *ctx, unsigned ifindex, const struct wg_prefix *p)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_AIP_UNSET, .ifindex = ifindex,
				       .p = *p };
}

static void r_route_set(void *ctx, const struct wg_prefix *p,
			const struct kroute_nexthop *nh)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_ROUTE_SET, .p = *p, .nh = *nh };
}

static void r_route_unset(void *ctx, const struct wg_prefix *p)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_ROUTE_UNSET, .p = *p };
}

static void r_egress_set(void *ctx, const struct wg_prefix *p,
			 const struct kroute_nexthop *nh)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_EGRESS_SET, .p = *p, .nh = *nh };
}

static void r_egress_unset(void *ctx, const struct wg_prefix *p)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->w[r->n++] = (struct write){ .op = W_EGRESS_UNSET, .p = *p };
}

static void r_log(void *ctx, int level, const char *msg)
{
	struct rec *r = ctx;

	if (level <= FWD_LOG_WARNING)
		r->warnings++;
	else if (level == FWD_LOG_INFO)
		r->infos++;
	snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
}

struct fx {
	struct fwd f;
	struct rec r;
	struct wg_key a, b;
};

static struct wg_prefix P(const char *s)
{
	struct wg_prefix p;

	assert_int_equal(wg_prefix_parse(&p, s), 0);
	return p;
}

static struct fwd_addr A(const char *s)
{
	struct fwd_addr a = { 0 };

	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.family, s, a.addr), 1);
	return a;
}

static struct fwd_nexthop NH(unsigned ifindex, const char *addr)
{
	return (struct fwd_nexthop){ .ifindex = ifindex, .addr = A(addr) };
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct fwd_ops ops = {
		.aip_set = r_aip_set, .aip_unset = r_aip_unset,
		.route_set = r_route_set, .route_unset = r_route_unset,
		.egress_set = r_egress_set, .egress_unset = r_egress_unset,
		.log = r_log,
	};

	assert_non_null(x);
	ops.ctx = &x->r;
	fwd_init(&x->f, &ops);
	memset(x->a.b, 0xaa, WG_KEY_LEN);
	memset(x->b.b, 0xbb, WG_KEY_LEN);
	assert_int_equal(fwd_iface_set(&x->f, WG, true), 0);
	assert_int_equal(fwd_iface_set(&x->f, ETH, false), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fwd_free(&x->f);
	free(x);
	return 0;
}

/* Peer A holds fe80::a (and 192.0.2.10), peer B fe80::b. */
static void peers_ab(struct fx *x)
{
	struct fwd_peer l[] = {
		{ A("fe80::a"), x->a }, { A("192.0.2.10"), x->a },
		{ A("fe80::b"), x->b },
	};

	fwd_peers_set(&x->f, WG, l, 3);
}

static void assert_write(const struct write *w, int op, unsigned ifindex,
			 const char *prefix)
{
	struct wg_prefix p = P(prefix);

	assert_int_equal(w->op, op);
	if (op == W_AIP_SET || op == W_AIP_UNSET)
		assert_int_equal(w->ifindex, ifindex);
	assert_memory_equal(&w->p, &p, sizeof(p));
}

static void test_a_wireguard_route_is_the_peers_allowed_ip_and_a_dev_route(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop nh = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.1.0.0/16");

	peers_ab(x);
	assert_int_equal(x->r.n, 0);	/* peers alone write nothing */
	assert_int_equal(fwd_route_set(&x->f, &p, &nh, 96), 0);
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "10.1.0.0/16");
	assert_memory_equal(&x->r.w[0].peer, &x->a, sizeof(x->a));
	assert_write(&x->r.w[1], W_ROUTE_SET, 0, "10.1.0.0/16");
	assert_int_equal(x->r.w[1].nh.ifindex, WG);
	assert_int_equal(x->r.w[1].nh.via_family, 0);	/* dev route */
	assert_int_equal(fwd_wg_route_count(&x->f), 1);
	assert_int_equal(x->r.warnings, 0);
}

static void test_a_wired_route_is_a_gateway_route_and_no_allowed_ip(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop nh = NH(ETH, "fe80::1");
	struct wg_prefix p = P("2001:db8:1::/48");
	struct fwd_addr gw = A("fe80::1");

	assert_int_equal(fwd_route_set(&x->f, &p, &nh, 96), 0);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_ROUTE_SET, 0, "2001:db8:1::/48");
	assert_int_equal(x->r.w[0].nh.ifindex, ETH);
	assert_int_equal(x->r.w[0].nh.via_family, AF_INET6);
	assert_memory_equal(x->r.w[0].nh.via, gw.addr, 16);
	/* Written and forgotten: the plane keeps no copy of a wired table. */
	assert_int_equal(fwd_wg_route_count(&x->f), 0);
	assert_null(fwd_route_find(&x->f, &p));
	x->r.n = 0;
	fwd_route_unset(&x->f, &p);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_ROUTE_UNSET, 0, "2001:db8:1::/48");
}

/* Only a route into a tunnel carries WireGuard's own packets into it: a
 * default route learned from a wired neighbour is the host's uplink. */
static void test_a_wired_default_route_covering_an_endpoint_is_installed(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop nh = NH(ETH, "192.0.2.1");
	struct wg_prefix def = P("0.0.0.0/0");
	struct fwd_addr ep = A("198.51.100.7");

	assert_int_equal(fwd_endpoints_set(&x->f, &ep, 1), 1);
	fwd_route_set(&x->f, &def, &nh, 96);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_ROUTE_SET, 0, "0.0.0.0/0");
	assert_int_equal(x->r.w[0].nh.via_family, AF_INET);
	assert_int_equal(fwd_covers_ep_count(&x->f), 0);
	assert_int_equal(x->r.warnings, 0);
}

static void test_a_move_between_peers_is_one_aip_set_never_an_unset(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), nb = NH(WG, "fe80::b");
	struct wg_prefix p = P("10.9.0.0/24");

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	x->r.n = 0;
	fwd_route_set(&x->f, &p, &nb, 128);
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "10.9.0.0/24");
	assert_memory_equal(&x->r.w[0].peer, &x->b, sizeof(x->b));
	assert_int_equal(x->r.w[1].op, W_ROUTE_SET);
	for (size_t i = 0; i < x->r.n; i++)
		assert_int_not_equal(x->r.w[i].op, W_AIP_UNSET);
	assert_int_equal(fwd_route_find(&x->f, &p)->metric, 128);
}

static struct wg_prefix nth_p(unsigned i)
{
	struct wg_prefix p;
	uint8_t a[4] = { 10, 77, (uint8_t)(i >> 8), (uint8_t)i };

	wg_prefix_make(&p, AF_INET, a, 32);
	return p;
}

static void assert_nexthop(struct fx *x, unsigned i, unsigned ifindex,
			   const char *addr)
{
	struct wg_prefix p = nth_p(i);
	const struct fwd_route *r = fwd_route_find(&x->f, &p);
	struct fwd_addr a = A(addr);

	assert_non_null(r);
	assert_int_equal(fwd_route_nexthop(&x->f, r)->ifindex, ifindex);
	assert_memory_equal(&fwd_route_nexthop(&x->f, r)->addr, &a,
			    sizeof(a));
}

static void set_route(struct fx *x, unsigned i, const struct fwd_nexthop *nh)
{
	struct wg_prefix p = nth_p(i);

	assert_int_equal(fwd_route_set(&x->f, &p, nh, 96), 0);
	x->r.n = 0;
}

/* Routes keep an index of their next hop, shared by every route through
 * the same neighbour on the same interface; a next hop goes with the
 * last route through it, and its slot is taken by the next new one. */
static void test_routes_share_their_next_hop_until_the_last_goes(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), nb = NH(WG, "fe80::b");
	struct fwd_nexthop nc = NH(WG, "fe80::c"), nb2 = NH(WG2, "fe80::b");
	struct fwd_nexthop n4 = NH(WG, "192.0.2.10");

	peers_ab(x);
	assert_int_equal(fwd_iface_set(&x->f, WG2, true), 0);
	for (unsigned i = 0; i < 1000; i++)
		set_route(x, i, i % 2 ? &nb : &na);
	assert_int_equal(x->f.n_nhs, 2);
	assert_int_equal(fwd_wg_route_count(&x->f), 1000);
	assert_nexthop(x, 0, WG, "fe80::a");
	assert_nexthop(x, 1, WG, "fe80::b");

	/* Every route via a goes: its slot is free, b's routes keep b. */
	for (unsigned i = 0; i < 1000; i += 2) {
		struct wg_prefix p = nth_p(i);

		fwd_route_unset(&x->f, &p);
		x->r.n = 0;
	}
	assert_int_equal(x->f.n_nhs_free, 1);
	assert_nexthop(x, 1, WG, "fe80::b");
	/* A new neighbour takes the free slot. */
	set_route(x, 0, &nc);
	assert_int_equal(x->f.n_nhs, 2);
	assert_int_equal(x->f.n_nhs_free, 0);
	assert_nexthop(x, 0, WG, "fe80::c");
	assert_nexthop(x, 999, WG, "fe80::b");

	/* The same address on another interface is another next hop. */
	set_route(x, 2, &nb2);
	assert_int_equal(x->f.n_nhs, 3);
	assert_nexthop(x, 2, WG2, "fe80::b");
	/* An IPv4 address with bytes past its four is the same next hop. */
	set_route(x, 4, &n4);
	n4.addr.addr[9] = 0x77;
	set_route(x, 6, &n4);
	assert_int_equal(x->f.n_nhs, 4);
	assert_nexthop(x, 6, WG, "192.0.2.10");

	/* Moving every route off b frees b; moving back makes it again. */
	for (unsigned i = 1; i < 1000; i += 2)
		set_route(x, i, &nc);
	assert_int_equal(x->f.n_nhs_free, 1);
	assert_nexthop(x, 999, WG, "fe80::c");
	set_route(x, 999, &nb);
	assert_int_equal(x->f.n_nhs_free, 0);
	assert_int_equal(x->f.n_nhs, 4);
	assert_nexthop(x, 999, WG, "fe80::b");
	assert_nexthop(x, 997, WG, "fe80::c");
	/* The allowed IP still follows the peer of the shared next hop. */
	set_route(x, 8, &na);
	set_route(x, 997, &na);
	struct wg_prefix p = nth_p(997);
	struct wg_key k;
	assert_true(fwd_route_peer(&x->f, fwd_route_find(&x->f, &p), &k));
	assert_memory_equal(&k, &x->a, sizeof(k));
}

static void test_a_move_to_another_interface_unsets_the_old_allowed_ip(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), ne = NH(ETH, "fe80::1");
	struct wg_prefix p = P("10.9.0.0/24");

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	x->r.n = 0;
	fwd_route_set(&x->f, &p, &ne, 96);
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "10.9.0.0/24");
	assert_int_equal(x->r.w[1].op, W_ROUTE_SET);
	assert_int_equal(x->r.w[1].nh.ifindex, ETH);
	assert_int_equal(fwd_wg_route_count(&x->f), 0);
	/* and back */
	x->r.n = 0;
	fwd_route_set(&x->f, &p, &na, 96);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "10.9.0.0/24");
	assert_int_equal(fwd_wg_route_count(&x->f), 1);
}

static void test_a_lost_route_takes_its_allowed_ip_and_kernel_route(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.9.0.0/24");

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	x->r.n = 0;
	fwd_route_unset(&x->f, &p);
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "10.9.0.0/24");
	assert_write(&x->r.w[1], W_ROUTE_UNSET, 0, "10.9.0.0/24");
	assert_null(fwd_route_find(&x->f, &p));
	assert_int_equal(fwd_wg_route_count(&x->f), 0);
	/* Twice: the plane no longer knows it, so it may have been a wired
	 * route: only the kernel route is asked to go (the executor's ledger
	 * says there is none of ours); no allowed-IP write. */
	x->r.n = 0;
	fwd_route_unset(&x->f, &p);
	assert_int_equal(x->r.n, 1);
	assert_int_equal(x->r.w[0].op, W_ROUTE_UNSET);
}

static void test_a_route_via_an_unknown_peer_waits_for_the_peer(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop nc = NH(WG, "fe80::c");
	struct wg_prefix p = P("10.3.0.0/16");
	struct wg_key c, k;
	struct fwd_peer l[] = { { A("fe80::c"), { { 0 } } } };

	memset(c.b, 0xcc, WG_KEY_LEN);
	l[0].key = c;
	peers_ab(x);
	fwd_route_set(&x->f, &p, &nc, 96);
	/* No peer holds fe80::c: nothing on the device, a warning, but the
	 * kernel route goes in (it points at the interface). */
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "10.3.0.0/16");
	assert_int_equal(x->r.w[1].op, W_ROUTE_SET);
	assert_int_equal(x->r.warnings, 1);
	assert_non_null(strstr(x->r.last_log, "fe80::c"));
	assert_false(fwd_route_peer(&x->f, fwd_route_find(&x->f, &p), &k));
	/* `wg set` adds the peer; the next read shows it. */
	x->r.n = 0;
	assert_int_equal(fwd_peers_set(&x->f, WG, l, 1), 1);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "10.3.0.0/16");
	assert_memory_equal(&x->r.w[0].peer, &c, sizeof(c));
	assert_true(fwd_route_peer(&x->f, fwd_route_find(&x->f, &p), &k));
	assert_memory_equal(&k, &c, sizeof(c));
	/* The same peers again: no walk, no write. */
	x->r.n = 0;
	assert_int_equal(fwd_peers_set(&x->f, WG, l, 1), 0);
	assert_int_equal(x->r.n, 0);
	assert_int_equal(x->r.warnings, 1);
}

static void test_a_babel_address_moved_to_another_key_moves_its_routes(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.4.0.0/16"), q = P("10.5.0.0/16");
	struct fwd_nexthop nb = NH(WG, "fe80::b");
	struct fwd_peer l[] = { { A("fe80::a"), x->b }, { A("fe80::b"), x->a } };

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	fwd_route_set(&x->f, &q, &nb, 96);
	x->r.n = 0;
	assert_int_equal(fwd_peers_set(&x->f, WG, l, 2), 1);
	assert_int_equal(x->r.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct write *w = &x->r.w[i];

		assert_int_equal(w->op, W_AIP_SET);
		if (!memcmp(&w->p, &p, sizeof(p)))
			assert_memory_equal(&w->peer, &x->b, sizeof(x->b));
		else
			assert_memory_equal(&w->peer, &x->a, sizeof(x->a));
	}
}

static void test_a_peer_gone_is_a_change_that_writes_nothing(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.4.0.0/16");
	struct fwd_peer l[] = { { A("fe80::b"), x->b } };

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	x->r.n = 0;
	/* The reconciler reports the peer missing; the engine moves the
	 * route when the neighbour goes. */
	assert_int_equal(fwd_peers_set(&x->f, WG, l, 1), 1);
	assert_int_equal(x->r.n, 0);
}

static void test_a_default_route_covering_an_endpoint_gets_no_kernel_route(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix def = P("0.0.0.0/0"), other = P("10.0.0.0/8");
	struct fwd_addr ep = A("198.51.100.7");
	const struct wg_prefix *k;
	const struct fwd_addr *which;
	size_t it = 0;

	peers_ab(x);
	assert_int_equal(fwd_endpoints_set(&x->f, &ep, 1), 1);
	fwd_route_set(&x->f, &def, &na, 96);
	fwd_route_set(&x->f, &other, &na, 96);
	/* The allowed IPs go in (WireGuard routes its own packets by the
	 * kernel's table), the default's kernel route does not. */
	assert_int_equal(x->r.n, 3);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "0.0.0.0/0");
	assert_write(&x->r.w[1], W_AIP_SET, WG, "10.0.0.0/8");
	assert_write(&x->r.w[2], W_ROUTE_SET, 0, "10.0.0.0/8");
	assert_int_equal(fwd_covers_ep_count(&x->f), 1);
	which = fwd_covers_ep_next(&x->f, &it, &k);
	assert_non_null(which);
	assert_memory_equal(k, &def, sizeof(def));
	assert_memory_equal(which, &ep, sizeof(ep));
	assert_int_equal(x->r.warnings, 1);
	assert_non_null(strstr(x->r.last_log, "198.51.100.7"));
	/* Selected again (metric change): refused again, logged once. */
	x->r.n = 0;
	fwd_route_set(&x->f, &def, &na, 100);
	assert_int_equal(x->r.n, 1);
	assert_int_equal(x->r.w[0].op, W_AIP_SET);
	assert_int_equal(x->r.warnings, 1);
	/* The endpoint moves outside 10/8 and the default still covers it;
	 * then the peer loses its endpoint: the default goes in. */
	x->r.n = 0;
	assert_int_equal(fwd_endpoints_set(&x->f, NULL, 0), 1);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_ROUTE_SET, 0, "0.0.0.0/0");
	assert_int_equal(fwd_covers_ep_count(&x->f), 0);
	assert_int_equal(x->r.infos, 1);
	/* The same (empty) set: nothing. */
	x->r.n = 0;
	assert_int_equal(fwd_endpoints_set(&x->f, NULL, 0), 0);
	assert_int_equal(x->r.n, 0);
}

static void test_an_endpoint_that_appears_takes_out_the_routes_covering_it(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix wide = P("2001:db8::/32"), narrow = P("2001:db8:5::/48");
	struct wg_prefix beside = P("2001:db8:6::/48");
	struct fwd_addr ep = A("2001:db8:5::1");

	peers_ab(x);
	fwd_route_set(&x->f, &wide, &na, 96);
	fwd_route_set(&x->f, &narrow, &na, 96);
	fwd_route_set(&x->f, &beside, &na, 96);
	x->r.n = 0;
	assert_int_equal(fwd_endpoints_set(&x->f, &ep, 1), 1);
	assert_int_equal(x->r.n, 2);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(x->r.w[i].op, W_ROUTE_UNSET);
	assert_int_equal(fwd_covers_ep_count(&x->f), 2);
	assert_true(fwd_route_find(&x->f, &wide)->flags & FWD_R_COVERS_EP);
	assert_false(fwd_route_find(&x->f, &beside)->flags & FWD_R_COVERS_EP);
	/* A refused route that is lost: no second route_unset. */
	x->r.n = 0;
	fwd_route_unset(&x->f, &narrow);
	assert_int_equal(x->r.n, 1);
	assert_int_equal(x->r.w[0].op, W_AIP_UNSET);
	assert_int_equal(fwd_covers_ep_count(&x->f), 1);
}

/* ---------------------------------------------------------- egress */

static void test_egress_a_learned_default_goes_into_the_egress_table(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix d4 = P("0.0.0.0/0"), d6 = P("::/0"), net = P("10.0.0.0/8");

	fwd_egress_enable(&x->f, true);
	peers_ab(x);
	fwd_route_set(&x->f, &d4, &na, 96);
	fwd_route_set(&x->f, &d6, &na, 96);
	fwd_route_set(&x->f, &net, &na, 96);
	/* Allowed IPs for all; the defaults in the egress table ("dev
	 * wgX"), never in the main table; 10/8 where it always was. */
	assert_int_equal(x->r.n, 6);
	assert_write(&x->r.w[0], W_AIP_SET, WG, "0.0.0.0/0");
	assert_write(&x->r.w[1], W_EGRESS_SET, 0, "0.0.0.0/0");
	assert_int_equal(x->r.w[1].nh.ifindex, WG);
	assert_int_equal(x->r.w[1].nh.via_family, 0);
	assert_write(&x->r.w[2], W_AIP_SET, WG, "::/0");
	assert_write(&x->r.w[3], W_EGRESS_SET, 0, "::/0");
	assert_write(&x->r.w[5], W_ROUTE_SET, 0, "10.0.0.0/8");
	assert_int_equal(fwd_egress_count(&x->f), 2);
	assert_int_equal(fwd_covers_ep_count(&x->f), 0);
	/* Lost: out of the egress table, nothing else. */
	x->r.n = 0;
	fwd_route_unset(&x->f, &d4);
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "0.0.0.0/0");
	assert_write(&x->r.w[1], W_EGRESS_UNSET, 0, "0.0.0.0/0");
	assert_int_equal(fwd_egress_count(&x->f), 1);
}

static void test_egress_a_prefix_covering_an_endpoint_moves_between_tables(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix def = P("0.0.0.0/0"), net = P("198.51.100.0/24");
	struct fwd_addr ep = A("198.51.100.7");

	fwd_egress_enable(&x->f, true);
	peers_ab(x);
	fwd_route_set(&x->f, &def, &na, 96);
	fwd_route_set(&x->f, &net, &na, 96);
	assert_write(&x->r.w[3], W_ROUTE_SET, 0, "198.51.100.0/24");
	/* The endpoint appears in the /24: out of main, into egress; the
	 * default stays where it is, and nothing is refused. */
	x->r.n = 0;
	assert_int_equal(fwd_endpoints_set(&x->f, &ep, 1), 1);
	assert_int_equal(x->r.n, 3);
	assert_write(&x->r.w[0], W_EGRESS_SET, 0, "0.0.0.0/0");
	assert_write(&x->r.w[1], W_ROUTE_UNSET, 0, "198.51.100.0/24");
	assert_write(&x->r.w[2], W_EGRESS_SET, 0, "198.51.100.0/24");
	assert_int_equal(fwd_covers_ep_count(&x->f), 0);
	assert_int_equal(fwd_egress_count(&x->f), 2);
	assert_true(fwd_route_find(&x->f, &net)->flags & FWD_R_EGRESS_EP);
	/* The endpoint goes: the /24 back to main, the default stays. */
	x->r.n = 0;
	assert_int_equal(fwd_endpoints_set(&x->f, NULL, 0), 1);
	assert_int_equal(x->r.n, 3);
	assert_write(&x->r.w[0], W_EGRESS_SET, 0, "0.0.0.0/0");
	assert_write(&x->r.w[1], W_EGRESS_UNSET, 0, "198.51.100.0/24");
	assert_write(&x->r.w[2], W_ROUTE_SET, 0, "198.51.100.0/24");
	assert_int_equal(fwd_egress_count(&x->f), 1);
}

static void test_egress_refused_on_an_interface_whose_fwmark_cannot_be_used(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix def = P("0.0.0.0/0");
	struct fwd_addr ep = A("198.51.100.7");

	fwd_egress_enable(&x->f, true);
	peers_ab(x);
	assert_int_equal(fwd_endpoints_set(&x->f, &ep, 1), 1);
	fwd_route_set(&x->f, &def, &na, 96);
	assert_int_equal(fwd_egress_count(&x->f), 1);
	/* Its fwmark is someone else's: the default that covers an endpoint
	 * is refused as without egress, and comes back when it is usable. */
	x->r.n = 0;
	assert_int_equal(fwd_iface_egress(&x->f, WG, false), 1);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_EGRESS_UNSET, 0, "0.0.0.0/0");
	assert_int_equal(fwd_covers_ep_count(&x->f), 1);
	assert_int_equal(fwd_egress_count(&x->f), 0);
	assert_int_equal(fwd_iface_egress(&x->f, WG, false), 0);
	x->r.n = 0;
	assert_int_equal(fwd_iface_egress(&x->f, WG, true), 1);
	assert_int_equal(x->r.n, 1);
	assert_write(&x->r.w[0], W_EGRESS_SET, 0, "0.0.0.0/0");
	assert_int_equal(fwd_covers_ep_count(&x->f), 0);
}

static void test_egress_a_default_moving_to_a_wired_neighbour_leaves_the_egress_table(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), ne = NH(ETH, "fe80::1");
	struct wg_prefix def = P("::/0");

	fwd_egress_enable(&x->f, true);
	peers_ab(x);
	fwd_route_set(&x->f, &def, &na, 96);
	x->r.n = 0;
	fwd_route_set(&x->f, &def, &ne, 96);
	/* A wired next hop cannot carry WireGuard's packets into a tunnel:
	 * the main table, as any wired route. */
	assert_int_equal(x->r.n, 3);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "::/0");
	assert_write(&x->r.w[1], W_EGRESS_UNSET, 0, "::/0");
	assert_write(&x->r.w[2], W_ROUTE_SET, 0, "::/0");
	assert_int_equal(x->r.w[2].nh.ifindex, ETH);
	assert_int_equal(fwd_egress_count(&x->f), 0);
}

static void test_a_route_on_an_interface_babel_does_not_run_on_is_dropped(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), nx = NH(99, "fe80::9");
	struct wg_prefix p = P("10.7.0.0/16");

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	x->r.n = 0;
	assert_int_equal(fwd_route_set(&x->f, &p, &nx, 96), -ENODEV);
	/* The old interface's allowed IP and the kernel route go. */
	assert_int_equal(x->r.n, 2);
	assert_write(&x->r.w[0], W_AIP_UNSET, WG, "10.7.0.0/16");
	assert_int_equal(x->r.w[1].op, W_ROUTE_UNSET);
	assert_null(fwd_route_find(&x->f, &p));
	assert_int_equal(x->r.warnings, 1);
}

static void test_an_interface_stopped_needs_no_allowed_ip_writes(void **state)
{
	struct fx *x = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.7.0.0/16");

	peers_ab(x);
	fwd_route_set(&x->f, &p, &na, 96);
	fwd_iface_del(&x->f, WG);
	x->r.n = 0;
	fwd_route_unset(&x->f, &p);
	assert_int_equal(x->r.n, 1);
	assert_int_equal(x->r.w[0].op, W_ROUTE_UNSET);
	assert_int_equal(fwd_wg_route_count(&x->f), 0);
	assert_int_equal(fwd_peers_set(&x->f, WG, NULL, 0), 0);
}

/* ------------------------------------- the plane over the fake device */

struct dev {
	struct fwd f;
	struct wg_backend *be;
	struct wg_rec *rec;
	struct wg_key a, b, op;		/* op: the operator's own peer */
	char journal[64];
};

static void d_aip_set(void *ctx, unsigned ifindex, const struct wg_prefix *p,
		      const struct wg_key *peer)
{
	struct dev *d = ctx;

	assert_int_equal(ifindex, WG);
	assert_int_equal(wg_rec_set_route(d->rec, p, peer), 0);
}

static void d_aip_unset(void *ctx, unsigned ifindex, const struct wg_prefix *p)
{
	struct dev *d = ctx;

	assert_int_equal(ifindex, WG);
	assert_int_equal(wg_rec_unset_route(d->rec, p), 0);
}

static void d_rec_open(struct dev *d)
{
	struct wg_rec_config rc = { .ifname = "wg0", .state_path = d->journal };

	assert_int_equal(wg_rec_new(&d->rec, d->be, &rc), 0);
	assert_int_equal(wg_rec_load_state(d->rec), 0);
}

/* A daemon start: a plane and a reconciler on the device as it is. */
static void d_start(struct dev *d)
{
	struct fwd_ops ops = { .ctx = d, .aip_set = d_aip_set,
			       .aip_unset = d_aip_unset };
	struct fwd_peer l[] = { { A("fe80::a"), d->a }, { A("fe80::b"), d->b } };

	fwd_init(&d->f, &ops);
	assert_int_equal(fwd_iface_set(&d->f, WG, true), 0);
	d_rec_open(d);
	assert_int_equal(wg_rec_refresh(d->rec), 0);
	assert_int_equal(fwd_peers_set(&d->f, WG, l, 2), 1);
}

static void d_stop(struct dev *d)
{
	wg_rec_free(d->rec);	/* memory only: the device keeps its state */
	fwd_free(&d->f);
}

static int dsetup(void **state)
{
	struct dev *d = calloc(1, sizeof(*d));
	int fd;

	assert_non_null(d);
	memset(d->a.b, 0xaa, WG_KEY_LEN);
	memset(d->b.b, 0xbb, WG_KEY_LEN);
	memset(d->op.b, 0x0f, WG_KEY_LEN);
	snprintf(d->journal, sizeof(d->journal), "/tmp/wgb-plane-XXXXXX");
	assert_true((fd = mkstemp(d->journal)) >= 0);
	close(fd);
	unlink(d->journal);
	assert_int_equal(wg_fake_new(&d->be, "wg0"), 0);
	assert_int_equal(wg_fake_add_peer(d->be, &d->a), 0);
	assert_int_equal(wg_fake_add_peer(d->be, &d->b), 0);
	assert_int_equal(wg_fake_add_peer(d->be, &d->op), 0);
	*state = d;
	return 0;
}

static int dteardown(void **state)
{
	struct dev *d = *state;

	wg_backend_free(d->be);
	unlink(d->journal);
	free(d);
	return 0;
}

static bool held_by(struct dev *d, const char *prefix, const struct wg_key *k)
{
	struct wg_prefix p = P(prefix);
	struct wg_key h;

	return wg_fake_holder(d->be, &p, &h) && !memcmp(&h, k, sizeof(h));
}

static void test_device_a_new_winner_is_one_add_that_moves_the_prefix(void **state)
{
	struct dev *d = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), nb = NH(WG, "fe80::b");
	struct wg_prefix p = P("10.20.0.0/16");
	const struct wg_aip_change *log;
	size_t n;

	d_start(d);
	wg_rec_grace_over(d->rec);
	fwd_route_set(&d->f, &p, &na, 96);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.20.0.0/16", &d->a));
	wg_fake_log_clear(d->be);
	fwd_route_set(&d->f, &p, &nb, 96);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.20.0.0/16", &d->b));
	log = wg_fake_log(d->be, &n);
	assert_int_equal(n, 1);
	assert_int_equal(log[0].op, WG_AIP_ADD);
	assert_int_equal(wg_fake_stats(d->be)->removes, 0);
	d_stop(d);
}

static void test_device_an_allowed_ip_of_the_operator_is_never_moved(void **state)
{
	struct dev *d = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a");
	struct wg_prefix p = P("10.30.0.0/16"), inner = P("10.30.5.0/24");
	struct wg_rec_stats st;

	/* wg-quick gave the operator's peer 10.30.0.0/16. */
	assert_int_equal(wg_fake_set_aip(d->be, &d->op, &p), 0);
	d_start(d);
	wg_rec_grace_over(d->rec);
	fwd_route_set(&d->f, &p, &na, 96);
	fwd_route_set(&d->f, &inner, &na, 96);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.30.0.0/16", &d->op));	/* refused */
	assert_true(held_by(d, "10.30.5.0/24", &d->a));	/* inside: ours */
	wg_rec_get_stats(d->rec, &st);
	assert_int_equal(st.conflicts, 1);
	/* Withdrawn: ours goes, the operator's stays. */
	fwd_route_unset(&d->f, &p);
	fwd_route_unset(&d->f, &inner);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.30.0.0/16", &d->op));
	assert_false(held_by(d, "10.30.5.0/24", &d->a));
	assert_int_equal(wg_fake_aip_count(d->be), 1);
	d_stop(d);
}

static void test_device_a_restart_adopts_what_the_journal_says_and_no_more(void **state)
{
	struct dev *d = *state;
	struct fwd_nexthop na = NH(WG, "fe80::a"), nb = NH(WG, "fe80::b");
	struct wg_prefix p = P("10.40.0.0/16"), q = P("10.41.0.0/16");
	struct wg_prefix mine = P("10.42.0.0/16");

	d_start(d);
	wg_rec_grace_over(d->rec);
	fwd_route_set(&d->f, &p, &na, 96);
	fwd_route_set(&d->f, &q, &nb, 96);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	d_stop(d);
	/* Meanwhile the operator adds an allowed IP of their own. */
	assert_int_equal(wg_fake_set_aip(d->be, &d->op, &mine), 0);
	wg_fake_log_clear(d->be);
	/* The next run relearns p only. During the grace period q stays. */
	d_start(d);
	fwd_route_set(&d->f, &p, &na, 96);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.40.0.0/16", &d->a));
	assert_true(held_by(d, "10.41.0.0/16", &d->b));
	{
		size_t n;

		wg_fake_log(d->be, &n);
		assert_int_equal(n, 0);	/* p was already right: no write */
	}
	/* Grace over: q, never relearned, goes; the operator's stays. */
	wg_rec_grace_over(d->rec);
	assert_int_equal(wg_rec_flush(d->rec), 0);
	assert_true(held_by(d, "10.40.0.0/16", &d->a));
	assert_false(held_by(d, "10.41.0.0/16", &d->b));
	assert_true(held_by(d, "10.42.0.0/16", &d->op));
	d_stop(d);
}

/* ------------------------------------ the plane over a fake kernel */

struct kx {
	struct fwd f;
	struct fake *k;
	struct kroute *kr;
	unsigned refusals;
};

static void k_route_set(void *ctx, const struct wg_prefix *p,
			const struct kroute_nexthop *nh)
{
	struct kx *x = ctx;

	assert_int_equal(kroute_install(x->kr, p, nh), 0);
}

static void k_route_unset(void *ctx, const struct wg_prefix *p)
{
	struct kx *x = ctx;

	kroute_remove(x->kr, p);	/* -ENOENT: none of ours */
}

static void k_refused(void *arg, const struct wg_prefix *dst, bool install,
		      int err)
{
	struct kx *x = arg;

	assert_true(install);
	assert_int_equal(err, -EEXIST);
	x->refusals++;
}

/* A daemon's start on the fake kernel: its plane and its kernel routes,
 * the ledger's routes of a previous run adopted. */
static size_t k_start(struct kx *x, struct fake *k, const char *ledger,
		      bool keep)
{
	struct fwd_ops ops = { .ctx = x, .route_set = k_route_set,
			       .route_unset = k_route_unset };
	struct kroute_config kc = { .ledger_path = ledger,
				    .keep_on_exit = keep };
	size_t adopted = 0;

	memset(x, 0, sizeof(*x));
	x->k = k;
	x->kr = fk_kroute(k, &kc);
	assert_int_equal(kroute_adopt(x->kr, &adopted), 0);
	fwd_init(&x->f, &ops);
	assert_int_equal(fwd_iface_set(&x->f, WG, true), 0);
	assert_int_equal(fwd_iface_set(&x->f, ETH, false), 0);
	return adopted;
}

static void k_commit(struct kx *x)
{
	kroute_commit(x->kr, k_refused, x);
}

static void k_stop(struct kx *x)
{
	kroute_free(x->kr);	/* deletes ours unless keep_on_exit */
	fwd_free(&x->f);
}

static void k_ledger(char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);		/* a first start: no ledger yet */
}

static int ksetup(void **state)
{
	*state = calloc(1, sizeof(struct fake));
	return *state ? 0 : -1;
}

static int kteardown(void **state)
{
	fk_free(*state);
	return 0;
}

static uint8_t k_proto(struct fake *k, const char *prefix)
{
	struct wg_prefix p = pfx(prefix);
	struct fk_route *r = fk_route_find(k, &p);

	return r ? r->protocol : 0;
}

static void test_kernel_a_foreign_route_is_refused_and_survives_everything(void **state)
{
	struct fake *k = *state;
	struct kx x;
	struct fwd_nexthop nw = NH(WG, "fe80::a"), ne = NH(ETH, "fe80::1");
	struct wg_prefix st = P("10.9.9.0/24"), def = P("0.0.0.0/0");
	struct wg_prefix ours = P("10.8.0.0/16");
	char ledger[] = "/tmp/wgb-plane-ledger-XXXXXX";

	/* The host's own: a static route and a default via its gateway. */
	fk_foreign(k, "10.9.9.0/24", 4);
	fk_foreign(k, "0.0.0.0/0", 3);
	k_ledger(ledger);
	k_start(&x, k, ledger, false);
	fwd_route_set(&x.f, &st, &nw, 96);
	fwd_route_set(&x.f, &def, &ne, 96);
	fwd_route_set(&x.f, &ours, &nw, 96);
	k_commit(&x);
	assert_int_equal(x.refusals, 2);
	assert_true(kroute_is_refused(x.kr, &st));
	assert_true(kroute_is_refused(x.kr, &def));
	assert_int_equal(k_proto(k, "10.9.9.0/24"), 4);
	assert_int_equal(k_proto(k, "0.0.0.0/0"), 3);
	assert_int_equal(k_proto(k, "10.8.0.0/16"), 42);
	/* Another next hop for the refused ones: still never touched. */
	fwd_route_set(&x.f, &st, &ne, 90);
	k_commit(&x);
	assert_int_equal(k_proto(k, "10.9.9.0/24"), 4);
	/* Withdrawn: ours goes, theirs stays. */
	fwd_route_unset(&x.f, &st);
	fwd_route_unset(&x.f, &ours);
	k_commit(&x);
	assert_int_equal(k_proto(k, "10.8.0.0/16"), 0);
	assert_int_equal(k_proto(k, "10.9.9.0/24"), 4);
	/* SIGTERM: every route of ours goes, theirs stay. */
	k_stop(&x);
	assert_int_equal(k->n_routes, 2);
	assert_int_equal(k_proto(k, "0.0.0.0/0"), 3);
	unlink(ledger);
}

static void test_kernel_a_restart_adopts_its_own_routes_and_no_other_instances(void **state)
{
	struct fake *k = *state;
	struct kx a, b;
	struct fwd_nexthop nw = NH(WG, "fe80::a");
	struct wg_prefix p1 = P("10.1.0.0/16"), p2 = P("10.2.0.0/16");
	struct wg_prefix p3 = P("10.3.0.0/16");
	char la[] = "/tmp/wgb-plane-ledger-XXXXXX";
	char lb[] = "/tmp/wgb-plane-ledger-XXXXXX";

	k_ledger(la);
	k_ledger(lb);
	/* Instance A installs two routes, B one; both restart keeping them. */
	k_start(&a, k, la, true);
	fwd_route_set(&a.f, &p1, &nw, 96);
	fwd_route_set(&a.f, &p2, &nw, 96);
	k_commit(&a);
	k_start(&b, k, lb, true);
	assert_int_equal(kroute_count(b.kr), 0);	/* A's are not B's */
	fwd_route_set(&b.f, &p3, &nw, 96);
	k_commit(&b);
	assert_int_equal(b.refusals, 0);
	k_stop(&a);
	k_stop(&b);
	assert_int_equal(k->n_routes, 3);
	/* A again: it adopts its two, relearns one; its grace ends. */
	assert_int_equal(k_start(&a, k, la, false), 2);
	fwd_route_set(&a.f, &p1, &nw, 96);
	k_commit(&a);
	assert_int_equal(kroute_grace_over(a.kr), 0);
	assert_int_equal(k_proto(k, "10.1.0.0/16"), 42);
	assert_int_equal(k_proto(k, "10.2.0.0/16"), 0);	/* not relearned */
	assert_int_equal(k_proto(k, "10.3.0.0/16"), 42);	/* B's: kept */
	/* A stops for good: B's route is still there. */
	k_stop(&a);
	assert_int_equal(k->n_routes, 1);
	assert_int_equal(k_proto(k, "10.3.0.0/16"), 42);
	unlink(la);
	unlink(lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_wireguard_route_is_the_peers_allowed_ip_and_a_dev_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_wired_route_is_a_gateway_route_and_no_allowed_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_wired_default_route_covering_an_endpoint_is_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_move_between_peers_is_one_aip_set_never_an_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_move_to_another_interface_unsets_the_old_allowed_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_share_their_next_hop_until_the_last_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_lost_route_takes_its_allowed_ip_and_kernel_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_route_via_an_unknown_peer_waits_for_the_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_babel_address_moved_to_another_key_moves_its_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_peer_gone_is_a_change_that_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_default_route_covering_an_endpoint_gets_no_kernel_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_endpoint_that_appears_takes_out_the_routes_covering_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_a_learned_default_goes_into_the_egress_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_a_prefix_covering_an_endpoint_moves_between_tables,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_refused_on_an_interface_whose_fwmark_cannot_be_used,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_a_default_moving_to_a_wired_neighbour_leaves_the_egress_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_route_on_an_interface_babel_does_not_run_on_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_interface_stopped_needs_no_allowed_ip_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_a_new_winner_is_one_add_that_moves_the_prefix, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_device_an_allowed_ip_of_the_operator_is_never_moved, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_device_a_restart_adopts_what_the_journal_says_and_no_more, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_kernel_a_foreign_route_is_refused_and_survives_everything, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_kernel_a_restart_adopts_its_own_routes_and_no_other_instances, ksetup, kteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
