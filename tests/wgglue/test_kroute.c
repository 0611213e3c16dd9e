/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_kroute.c — kroute against a fake rtnetlink kernel (the
 * kroute_io transport): nexthop objects shared by routes, the fallback to
 * classic routes when the kernel refuses them, batching with errors only,
 * deleting a neighbour's routes by deleting its object, re-making an object
 * the kernel dropped, adoption after a restart, and the compact table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "tests/wgglue/fake_kernel.h"
#include "wgglue/kroute.h"
#include "wgglue/kroute_tab.h"
/* kr_refused_check() and kr_retry_all_refused(): the refused list. */
#include "wgglue/kroute_int.h"

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fake));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fk_free(*state);
	return 0;
}

struct refused {
	unsigned n;
	struct wg_prefix dst;
	int err;
};

static void on_refused(void *arg, const struct wg_prefix *dst, bool install,
		       int err)
{
	struct refused *r = arg;

	assert_true(install);
	r->n++;
	r->dst = *dst;
	r->err = err;
}

/* ------------------------------------------------------------ tests */

static void test_routes_through_one_gateway_share_one_nexthop_object(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64"), p2 = pfx("2001:db8:2::/64");
	struct wg_prefix p3 = pfx("10.1.0.0/16");

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_install(kr, &p3, &a), 0);	/* v4 via v6 */
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->n_routes, 0);	/* queued until commit */
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->n_routes, 3);
	assert_int_equal(f->sends, 2);		/* the object, then one batch */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(f->routes[i].nhid, f->nhs[0].id);
	assert_int_equal(f->nhs[0].family, AF_INET6);
	assert_int_equal(f->nhs[0].oif, 3);
	assert_int_equal(f->nhs[0].protocol, KROUTE_PROTO_BABEL);
	assert_int_equal(f->nhs[0].id >> 24, KROUTE_PROTO_BABEL);
	assert_true(kroute_nexthop_objects(kr));
	assert_int_equal(kroute_count(kr), 3);
	/* The same next hop again: nothing to send. */
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->new_route, 3);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 0);
	assert_int_equal(f->n_nhs, 0);
}

static void test_routes_carry_the_preferred_source_of_their_family(void **state)
{
	struct fake *f = *state;
	struct kroute_config c = { .prefsrc4 = true,
				   .src4 = { 192, 0, 2, 1 } };
	struct kroute *kr = fk_kroute(f, &c);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p4 = pfx("10.1.0.0/16"), p6 = pfx("2001:db8:1::/64");
	struct fk_route *r;

	assert_int_equal(kroute_install(kr, &p4, &a), 0);
	assert_int_equal(kroute_install(kr, &p6, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_non_null(r = fk_route_find(f, &p4));
	assert_int_equal(r->prefsrc_family, AF_INET);
	assert_memory_equal(r->prefsrc, c.src4, 4);
	/* none configured for IPv6: the kernel picks as always */
	assert_non_null(r = fk_route_find(f, &p6));
	assert_int_equal(r->prefsrc_family, 0);
	kroute_free(kr);
}

static void test_a_device_next_hop_is_an_ipv6_object_for_both_families(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop dev = { .ifindex = 7 };
	struct wg_prefix p4 = pfx("10.2.0.0/16"), p6 = pfx("2001:db8:7::/48");

	assert_int_equal(kroute_install(kr, &p4, &dev), 0);
	assert_int_equal(kroute_install(kr, &p6, &dev), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->nhs[0].family, AF_INET6);
	assert_false(f->nhs[0].gw);
	assert_int_equal(f->n_routes, 2);
	kroute_free(kr);
}

static void test_withdrawing_every_route_of_a_next_hop_deletes_only_the_object(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(3, "fe80::3/128");
	char s[64];

	for (int i = 0; i < 20; i++) {
		snprintf(s, sizeof(s), "2001:db8:%x::/64", i);
		struct wg_prefix p = pfx(s);
		assert_int_equal(kroute_install(kr, &p, i < 19 ? &a : &b), 0);
	}
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->n_routes, 20);
	for (int i = 0; i < 19; i++) {
		snprintf(s, sizeof(s), "2001:db8:%x::/64", i);
		struct wg_prefix p = pfx(s);
		assert_int_equal(kroute_remove(kr, &p), 0);
		assert_false(kroute_lookup(kr, &p, NULL));
	}
	assert_int_equal(kroute_count(kr), 1);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->del_route, 0);
	assert_int_equal(f->del_nh, 1);
	assert_int_equal(f->n_routes, 1);
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->routes[0].nhid, f->nhs[0].id);
	kroute_free(kr);
}

static void test_withdrawing_some_routes_of_a_next_hop_deletes_those_routes(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64"), p2 = pfx("2001:db8:2::/64");

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(kroute_remove(kr, &p1), 0);
	assert_int_equal(kroute_remove(kr, &p1), -ENOENT);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->del_route, 1);
	assert_int_equal(f->del_nh, 0);
	assert_int_equal(f->n_routes, 1);
	assert_true(wg_prefix_equal(&f->routes[0].dst, &p2));
	kroute_free(kr);
}

static void test_moving_a_route_replaces_it_and_deletes_the_unused_object(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(4, "fe80::9/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64");
	struct kroute_nexthop got;

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(kroute_install(kr, &p1, &b), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->n_routes, 1);
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->nhs[0].oif, 4);
	assert_int_equal(f->routes[0].nhid, f->nhs[0].id);
	assert_true(kroute_lookup(kr, &p1, &got));
	assert_int_equal(got.ifindex, 4);
	/* Removed and installed again before the commit: no delete. */
	assert_int_equal(kroute_remove(kr, &p1), 0);
	assert_int_equal(kroute_install(kr, &p1, &b), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->del_route, 0);
	assert_int_equal(f->n_routes, 1);
	kroute_free(kr);
}

static void test_a_kernel_without_nexthop_objects_gets_classic_routes(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), dev = { .ifindex = 5 };
	struct kroute_nexthop v4 = nh_via(3, "192.0.2.1/32");
	struct wg_prefix p6 = pfx("2001:db8:1::/64"), p4 = pfx("10.1.0.0/16");
	struct wg_prefix pd = pfx("10.3.0.0/16"), p44 = pfx("10.4.0.0/16");
	const struct fk_route *r;

	f->refuse_nh = -EOPNOTSUPP;	/* Linux < 5.3 */
	assert_int_equal(kroute_install(kr, &p6, &a), 0);
	assert_false(kroute_nexthop_objects(kr));
	assert_int_equal(kroute_install(kr, &p4, &a), 0);
	assert_int_equal(kroute_install(kr, &pd, &dev), 0);
	assert_int_equal(kroute_install(kr, &p44, &v4), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->new_nh, 1);		/* asked once, not again */
	assert_int_equal(f->n_routes, 4);
	r = fk_route_find(f, &p6);
	assert_int_equal(r->nhid, 0);
	assert_int_equal(r->oif, 3);
	assert_int_equal(r->gw_family, AF_INET6);
	assert_false(r->via);
	r = fk_route_find(f, &p4);
	assert_true(r->via);			/* RFC 9229 */
	assert_int_equal(r->gw_family, AF_INET6);
	r = fk_route_find(f, &pd);
	assert_int_equal(r->gw_family, 0);
	assert_int_equal(r->oif, 5);
	r = fk_route_find(f, &p44);
	assert_int_equal(r->gw_family, AF_INET);
	assert_int_equal(kroute_remove(kr, &p6), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->del_route, 1);
	assert_int_equal(f->n_routes, 3);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 0);
}

static void test_classic_routes_by_configuration_never_ask_for_objects(void **state)
{
	struct fake *f = *state;
	struct kroute_config c = { .classic_routes = true };
	struct kroute *kr = fk_kroute(f, &c);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p6 = pfx("2001:db8:1::/64");

	assert_int_equal(kroute_install(kr, &p6, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->new_nh, 0);
	assert_int_equal(f->routes[0].gw_family, AF_INET6);
	kroute_free(kr);
}

static void test_a_refused_install_is_reported_at_commit_and_forgotten(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64"), p2 = pfx("2001:db8:2::/64");
	struct refused r = { 0 };

	f->fail_dst = p1;
	f->fail_err = -ENETUNREACH;
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -ENETUNREACH);
	assert_int_equal(r.n, 1);
	assert_true(wg_prefix_equal(&r.dst, &p1));
	assert_int_equal(r.err, -ENETUNREACH);
	assert_false(kroute_lookup(kr, &p1, NULL));
	assert_true(kroute_lookup(kr, &p2, NULL));
	assert_int_equal(kroute_count(kr), 1);
	assert_int_equal(f->n_routes, 1);
	/* Installing it again tries again. */
	f->fail_err = 0;
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(f->n_routes, 2);
	kroute_free(kr);
}

static void test_an_object_the_kernel_dropped_is_made_again(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64"), p2 = pfx("2001:db8:2::/64");
	struct refused r = { 0 };
	uint32_t id;

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	id = f->nhs[0].id;
	fk_nh_del(f, &f->nhs[0]);	/* link down: object and routes gone */
	assert_int_equal(f->n_routes, 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->nhs[0].id, id);
	assert_int_equal(f->n_routes, 1);
	assert_int_equal(f->routes[0].nhid, id);
	kroute_free(kr);
}

static void test_a_restart_adopts_routes_and_objects_and_grace_removes_the_rest(void **state)
{
	struct fake *f = *state;
	char ledger[] = "/tmp/wgb-test-ledger-XXXXXX";
	int fd = mkstemp(ledger);
	struct kroute_config keep = { .keep_on_exit = true,
				      .ledger_path = ledger };
	struct kroute_config cfg = { .ledger_path = ledger };
	struct kroute *kr;
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(3, "fe80::3/128");
	struct wg_prefix p1 = pfx("2001:db8:1::/64"), p2 = pfx("2001:db8:2::/64");
	struct wg_prefix p3 = pfx("10.3.0.0/16");
	unsigned routes_before;
	size_t n = 0;

	assert_true(fd >= 0);
	close(fd);
	unlink(ledger);			/* a first start: no ledger yet */
	kr = fk_kroute(f, &keep);

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_install(kr, &p3, &b), 0);
	kroute_free(kr);			/* keeps them */
	assert_int_equal(f->n_routes, 3);
	assert_int_equal(f->n_nhs, 2);
	/* Someone else's route and object are never adopted: not even
	 * another instance's with our protocol, nor babeld's classic route
	 * with our protocol. */
	f->nhs[f->n_nhs++] = (struct fk_nh){ .id = 42u << 24 | 5, .oif = 3,
					     .protocol = 42, .family = AF_INET6 };
	f->routes[f->n_routes++] = (struct fk_route){ .dst = pfx("10.9.0.0/16"),
		.nhid = 42u << 24 | 5, .protocol = 42, .table = RT_TABLE_MAIN };
	f->routes[f->n_routes++] = (struct fk_route){ .dst = pfx("10.8.0.0/16"),
		.oif = 3, .protocol = 42, .table = RT_TABLE_MAIN };

	kr = fk_kroute(f, &cfg);
	assert_int_equal(kroute_adopt(kr, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(kroute_count(kr), 3);
	routes_before = f->new_route;
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->new_route, routes_before);	/* already there */
	assert_int_equal(f->new_nh, 2);			/* none made */
	assert_int_equal(kroute_grace_over(kr), 0);
	assert_int_equal(kroute_count(kr), 1);
	assert_int_equal(f->n_routes, 3);	/* p1 and the others' two */
	assert_non_null(fk_route_find(f, &p1));
	assert_int_equal(f->n_nhs, 2);		/* a's and the other one */
	assert_int_equal(fk_route_find(f, &p1)->nhid,
			 f->nhs[0].id == (42u << 24 | 5) ?
			 f->nhs[1].id : f->nhs[0].id);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 2);
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->nhs[0].id, 42u << 24 | 5);
	{
		struct wg_prefix other = pfx("10.9.0.0/16"), babeld = pfx("10.8.0.0/16");

		assert_non_null(fk_route_find(f, &other));
		assert_non_null(fk_route_find(f, &babeld));
	}
	unlink(ledger);
}

/* ------------------------------------------------ foreign routes */

/* A route event as the kernel multicasts it, from another socket. */
static void fk_event(struct kroute *kr, uint16_t type, uint16_t flags,
		     const char *prefix, uint8_t protocol, uint32_t nhid)
{
	struct wg_prefix p = pfx(prefix);
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_pid = 4242;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = p.family;
	rtm->rtm_dst_len = p.plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = protocol;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, RTA_DST, p.family == AF_INET ? 4 : 16, p.addr);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, p.family == AF_INET6 ? 1024 : 0);
	if (nhid)
		mnl_attr_put_u32(nlh, RTA_NH_ID, nhid);
	kroute_route_event(kr, buf, nlh->nlmsg_len);
}


static void test_a_foreign_route_in_place_is_refused_and_never_touched(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("0.0.0.0/0"), p2 = pfx("10.1.0.0/16");
	struct refused r = { 0 };
	unsigned dels;

	fk_foreign(f, "0.0.0.0/0", RTPROT_STATIC);	/* the host's default */
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(r.n, 1);
	assert_true(wg_prefix_equal(&r.dst, &p1));
	assert_int_equal(r.err, -EEXIST);
	assert_int_equal(fk_route_find(f, &p1)->protocol, RTPROT_STATIC);
	assert_true(kroute_is_refused(kr, &p1));
	assert_false(kroute_lookup(kr, &p1, NULL));
	assert_int_equal(kroute_count(kr), 1);
	assert_int_equal(kroute_refused_count(kr), 1);
	/* A new next hop, a withdrawal, a flush: nothing reaches it. */
	assert_int_equal(kroute_install(kr, &p1, &(struct kroute_nexthop){
		.ifindex = 4 }), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(fk_route_find(f, &p1)->protocol, RTPROT_STATIC);
	dels = f->del_route;
	assert_int_equal(kroute_remove(kr, &p1), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(f->del_route, dels);
	assert_int_equal(kroute_refused_count(kr), 0);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_flush(kr), 0);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 1);
	assert_int_equal(fk_route_find(f, &p1)->protocol, RTPROT_STATIC);
}

static void test_a_refused_route_is_installed_when_the_foreign_one_goes(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("2001:db8:99::/64");
	struct refused r = { 0 };

	fk_foreign(f, "2001:db8:99::/64", RTPROT_STATIC);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	/* Events of other prefixes, tables or metrics change nothing. */
	fk_event(kr, RTM_DELROUTE, 0, "2001:db8:98::/64", RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_true(kroute_is_refused(kr, &p1));
	/* The operator deletes the static route: ours goes in. */
	fk_route_del(f, fk_route_find(f, &p1));
	fk_event(kr, RTM_DELROUTE, 0, "2001:db8:99::/64", RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(r.n, 1);
	assert_false(kroute_is_refused(kr, &p1));
	assert_true(kroute_lookup(kr, &p1, NULL));
	assert_int_equal(fk_route_find(f, &p1)->protocol, 42);
	assert_int_equal(kroute_count(kr), 1);
	assert_int_equal(kroute_refused_count(kr), 0);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 0);
}

static void test_a_route_of_ours_replaced_by_someone_else_is_theirs(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("10.9.9.8/32");
	struct refused r = { 0 };
	uint32_t id;

	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	id = fk_route_find(f, &p1)->nhid;
	/* An event that shows our own route changes nothing. */
	fk_event(kr, RTM_NEWROUTE, NLM_F_REPLACE, "10.9.9.8/32", 42, id);
	assert_false(kroute_is_refused(kr, &p1));
	/* `ip route replace 10.9.9.8/32 dev gw0 proto static` */
	*fk_route_find(f, &p1) = (struct fk_route){ .dst = p1, .oif = 7,
		.protocol = RTPROT_STATIC, .table = RT_TABLE_MAIN };
	fk_event(kr, RTM_NEWROUTE, NLM_F_REPLACE, "10.9.9.8/32",
		 RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.err, -EEXIST);
	assert_true(kroute_is_refused(kr, &p1));
	assert_int_equal(kroute_remove(kr, &p1), 0);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 1);
	assert_int_equal(fk_route_find(f, &p1)->protocol, RTPROT_STATIC);
}

static void test_a_malformed_route_event_changes_nothing(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("10.7.0.0/16");
	struct refused r = { 0 };
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct nlattr *last;

	fk_foreign(f, "10.7.0.0/16", RTPROT_STATIC);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	fk_route_del(f, fk_route_find(f, &p1));
	/* The delete of the foreign route, but its last attribute runs
	 * past the message: not trusted, not acted on. */
	nlh->nlmsg_type = RTM_DELROUTE;
	nlh->nlmsg_pid = 4242;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 16;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	mnl_attr_put(nlh, RTA_DST, 4, p1.addr);
	last = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 0);
	last->nla_len = 64;
	kroute_route_event(kr, buf, nlh->nlmsg_len);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_true(kroute_is_refused(kr, &p1));
	/* The same event whole is. */
	last->nla_len = 8;
	kroute_route_event(kr, buf, nlh->nlmsg_len);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_false(kroute_is_refused(kr, &p1));
	assert_int_equal(fk_route_find(f, &p1)->protocol, 42);
	kroute_free(kr);
}

static void test_describe_names_what_holds_a_refused_place(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("10.6.0.0/16"), p2 = pfx("10.6.1.0/24");
	struct kroute_foreign fr;
	struct refused r = { 0 };

	fk_foreign(f, "10.6.0.0/16", RTPROT_STATIC);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(kroute_describe(kr, &p1, &fr), 0);
	assert_int_equal(fr.protocol, RTPROT_STATIC);
	assert_int_equal(fr.ifindex, 7);
	assert_int_equal(fr.via_family, 0);
	assert_int_equal(fr.nh_id, 0);
	assert_int_equal(kroute_describe(kr, &p2, &fr), -ENOENT);
	kroute_free(kr);
}

static void test_a_refusal_met_by_describe_reaches_the_last_callback(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p1 = pfx("10.40.1.0/24"), p2 = pfx("10.40.2.0/24");
	struct wg_prefix p3 = pfx("10.40.3.0/24");
	struct kroute_foreign fr;
	struct refused r = { 0 };

	fk_foreign(f, "10.40.1.0/24", RTPROT_STATIC);
	fk_foreign(f, "10.40.2.0/24", RTPROT_STATIC);
	fk_foreign(f, "10.40.3.0/24", RTPROT_STATIC);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(r.n, 1);
	/* Queued when `show refused` describes p1: the describe commits
	 * it, and its refusal is reported (logged), not only listed. */
	assert_int_equal(kroute_install(kr, &p2, &a), 0);
	assert_int_equal(kroute_describe(kr, &p1, &fr), 0);
	assert_true(kroute_is_refused(kr, &p2));
	assert_int_equal(r.n, 2);
	assert_true(wg_prefix_equal(&r.dst, &p2));
	assert_int_equal(r.err, -EEXIST);
	/* Nothing is reported twice by the next commit. */
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_int_equal(r.n, 2);
	/* The same for the commit the end of the grace period makes. */
	assert_int_equal(kroute_install(kr, &p3, &a), 0);
	assert_int_equal(kroute_grace_over(kr), -EEXIST);
	assert_int_equal(r.n, 3);
	assert_true(wg_prefix_equal(&r.dst, &p3));
	/* A commit without a callback does not forget the last one. */
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(kroute_refused_count(kr), 3);
	kroute_free(kr);
	assert_int_equal(r.n, 3);
}

/* ---- the list of refused prefixes ---- */

struct seen {
	struct wg_prefix dst[64];
	int ifindex[64];
	unsigned n;
	struct kroute *kr;	/* describe each one (a commit each) */
	struct kroute_foreign foreign[64];
};

static void on_listed(void *arg, const struct wg_prefix *dst,
		      const struct kroute_nexthop *wanted)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	for (unsigned i = 0; i < s->n; i++)
		assert_false(wg_prefix_equal(&s->dst[i], dst));	/* once */
	s->dst[s->n] = *dst;
	s->ifindex[s->n] = wanted->ifindex;
	if (s->kr)
		assert_int_equal(kroute_describe(s->kr, dst,
						 &s->foreign[s->n]), 0);
	s->n++;
}

/* The list, the flags in the table, the count and the listing agree, and
 * the listing is exactly the prefixes 10.20.<i>.0/24 for the i given. */
static void assert_refused(struct kroute *kr, const int *want, unsigned n)
{
	struct seen s = { .n = 0 };
	char p[32];

	assert_int_equal(kr_refused_check(kr), 0);
	assert_int_equal(kroute_refused_count(kr), n);
	kroute_foreach_refused(kr, on_listed, &s);
	assert_int_equal(s.n, n);
	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.20.%d.0/24", want[i]);
		struct wg_prefix d = pfx(p);
		bool found = false;

		assert_true(kroute_is_refused(kr, &d));
		for (unsigned j = 0; j < s.n; j++)
			found = found || wg_prefix_equal(&s.dst[j], &d);
		assert_true(found);
	}
}

static struct wg_prefix pfx20(int i)
{
	char p[32];

	snprintf(p, sizeof(p), "10.20.%d.0/24", i);
	return pfx(p);
}

static void test_the_refused_list_follows_every_transition(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(4, "fe80::3/128");
	struct wg_prefix mine = pfx("10.30.0.0/16"), p;
	struct refused r = { 0 };
	char s[32];

	for (int i = 0; i < 12; i++) {
		snprintf(s, sizeof(s), "10.20.%d.0/24", i);
		fk_foreign(f, s, RTPROT_STATIC);
		p = pfx20(i);
		assert_int_equal(kroute_install(kr, &p, i % 3 ? &a : &b), 0);
	}
	assert_int_equal(kroute_install(kr, &mine, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_refused(kr, (int[]){ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 12);
	assert_int_equal(kroute_count(kr), 1);
	/* Withdrawn: nothing of ours to delete, off the list. */
	p = pfx20(1);
	assert_int_equal(kroute_remove(kr, &p), 0);
	assert_refused(kr, (int[]){ 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 11);
	/* The foreign route goes: installed, off the list. */
	p = pfx20(2);
	fk_route_del(f, fk_route_find(f, &p));
	fk_event(kr, RTM_DELROUTE, 0, "10.20.2.0/24", RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_true(kroute_lookup(kr, &p, NULL));
	assert_refused(kr, (int[]){ 0, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 10);
	/* An event of a foreign route gone while another one is there
	 * (two metrics, one left): tried, refused again, listed once. */
	fk_event(kr, RTM_DELROUTE, 0, "10.20.3.0/24", RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_refused(kr, (int[]){ 0, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 10);
	/* The interface of b goes: its refused prefixes are forgotten. */
	kroute_forget_ifindex(kr, 4);
	assert_refused(kr, (int[]){ 4, 5, 7, 8, 10, 11 }, 6);
	/* Events were lost (ENOBUFS): every refused one is tried again; two
	 * have gone meanwhile. */
	p = pfx20(4);
	fk_route_del(f, fk_route_find(f, &p));
	p = pfx20(10);
	fk_route_del(f, fk_route_find(f, &p));
	kr_retry_all_refused(kr);
	assert_int_equal(kr_refused_check(kr), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_refused(kr, (int[]){ 5, 7, 8, 11 }, 4);
	assert_true(kroute_lookup(kr, &p, NULL));
	assert_int_equal(kroute_count(kr), 4);	/* mine, 2, 4 and 10 */
	/* Someone replaces a route of ours: theirs, on the list. */
	p = pfx20(2);
	*fk_route_find(f, &p) = (struct fk_route){ .dst = p, .oif = 7,
		.protocol = RTPROT_STATIC, .table = RT_TABLE_MAIN };
	fk_event(kr, RTM_NEWROUTE, NLM_F_REPLACE, "10.20.2.0/24",
		 RTPROT_STATIC, 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_refused(kr, (int[]){ 2, 5, 7, 8, 11 }, 5);
	/* A new next hop for a refused prefix keeps it listed, with it. */
	p = pfx20(7);
	assert_int_equal(kroute_install(kr, &p, &b), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_refused(kr, (int[]){ 2, 5, 7, 8, 11 }, 5);
	/* A flush takes everything off; free after a refusal leaks nothing. */
	assert_int_equal(kroute_flush(kr), 0);
	assert_refused(kr, NULL, 0);
	assert_int_equal(kroute_count(kr), 0);
	p = pfx20(8);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_refused(kr, (int[]){ 8 }, 1);
	kroute_free(kr);
	p = pfx20(8);
	assert_int_equal(fk_route_find(f, &p)->protocol, RTPROT_STATIC);
}

static void test_the_refused_list_stays_whole_through_many_removals(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(4, "fe80::3/128");
	struct refused r = { 0 };
	unsigned left = 200;
	char s[32];

	/* 200: the fake kernel holds 256 answers (one refusal each). */
	for (int i = 0; i < 200; i++) {
		snprintf(s, sizeof(s), "10.21.%d.%d/32", i / 256, i % 256);
		fk_foreign(f, s, RTPROT_STATIC);
		struct wg_prefix p = pfx(s);
		assert_int_equal(kroute_install(kr, &p, i % 2 ? &a : &b), 0);
	}
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(kroute_refused_count(kr), 200);
	/* Out of order, from the middle, the ends, again and again. */
	for (int i = 0; i < 200; i += 7) {
		snprintf(s, sizeof(s), "10.21.%d.%d/32", i / 256, i % 256);
		struct wg_prefix p = pfx(s);
		if (kroute_remove(kr, &p) == 0)
			left--;
		assert_int_equal(kr_refused_check(kr), 0);
	}
	for (int i = 199; i >= 0; i -= 11) {
		snprintf(s, sizeof(s), "10.21.%d.%d/32", i / 256, i % 256);
		struct wg_prefix p = pfx(s);
		if (kroute_remove(kr, &p) == 0)
			left--;
		assert_int_equal(kr_refused_check(kr), 0);
	}
	assert_int_equal(kroute_refused_count(kr), left);
	kroute_forget_ifindex(kr, 4);
	assert_int_equal(kr_refused_check(kr), 0);
	assert_true(kroute_refused_count(kr) < left);
	assert_true(kroute_refused_count(kr) > 0);
	kroute_free(kr);
}

static void test_a_listing_that_describes_sees_the_refusals_it_commits(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct refused r = { 0 };
	struct seen s = { .kr = kr };
	struct wg_prefix p;

	for (int i = 0; i < 4; i++) {
		char q[32];

		snprintf(q, sizeof(q), "10.20.%d.0/24", i);
		fk_foreign(f, q, RTPROT_STATIC);
	}
	p = pfx20(0);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	p = pfx20(1);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	/* Queued, not committed: the first describe commits them. */
	p = pfx20(2);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	p = pfx20(3);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	kroute_foreach_refused(kr, on_listed, &s);
	assert_int_equal(s.n, 4);
	for (unsigned i = 0; i < s.n; i++) {
		assert_int_equal(s.foreign[i].protocol, RTPROT_STATIC);
		assert_int_equal(s.ifindex[i], 3);
	}
	assert_refused(kr, (int[]){ 0, 1, 2, 3 }, 4);
	kroute_free(kr);
}

static void test_nothing_follows_an_unanswered_create_of_the_same_route(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(3, "fe80::3/128");
	struct wg_prefix p1 = pfx("10.5.0.0/16");
	struct refused r = { 0 };

	/* babeld's route: the same protocol number, so a delete naming
	 * ours would match it. */
	fk_foreign(f, "10.5.0.0/16", 42);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p1, &b), 0);	/* a move */
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(f->replaced_protocol, 0);	/* nothing replaced */
	assert_int_equal(fk_route_find(f, &p1)->oif, 7);
	assert_true(kroute_is_refused(kr, &p1));
	kroute_free(kr);

	/* Created and withdrawn within one batch. */
	memset(&r, 0, sizeof(r));
	kr = fk_kroute(f, NULL);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_remove(kr, &p1), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), 0);
	assert_non_null(fk_route_find(f, &p1));
	assert_int_equal(fk_route_find(f, &p1)->oif, 7);
	kroute_free(kr);
	assert_int_equal(f->n_routes, 1);
}

static void test_refusals_are_matched_to_routes_across_objects_made_between(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(3, "fe80::3/128");
	struct wg_prefix p1 = pfx("10.1.0.0/16"), p2 = pfx("10.2.0.0/16");
	struct refused r = { 0 };

	/* The second install makes an object (a request answered at once)
	 * while the first route waits in the batch. */
	fk_foreign(f, "10.1.0.0/16", RTPROT_STATIC);
	fk_foreign(f, "10.2.0.0/16", RTPROT_STATIC);
	assert_int_equal(kroute_install(kr, &p1, &a), 0);
	assert_int_equal(kroute_install(kr, &p2, &b), 0);
	assert_int_equal(kroute_commit(kr, on_refused, &r), -EEXIST);
	assert_int_equal(r.n, 2);
	assert_true(kroute_is_refused(kr, &p1));
	assert_true(kroute_is_refused(kr, &p2));
	kroute_free(kr);
	assert_int_equal(fk_route_find(f, &p1)->protocol, RTPROT_STATIC);
	assert_int_equal(fk_route_find(f, &p2)->protocol, RTPROT_STATIC);
}

static void test_two_instances_keep_to_their_own_objects(void **state)
{
	struct fake *f = *state;
	char la[] = "/tmp/wgb-test-ledger-XXXXXX", lb[] = "/tmp/wgb-test-ledger-XXXXXX";
	int fa = mkstemp(la), fb = mkstemp(lb);
	struct kroute_config ca = { .ledger_path = la, .keep_on_exit = true };
	struct kroute_config cb = { .ledger_path = lb, .keep_on_exit = true };
	struct kroute_nexthop a = nh_via(3, "fe80::2/128"), b = nh_via(4, "fe80::2/128");
	struct wg_prefix p1 = pfx("10.1.0.0/16"), p2 = pfx("10.2.0.0/16");
	struct kroute *ka, *kb;
	size_t n = 0;

	assert_true(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	unlink(la);
	unlink(lb);
	ka = fk_kroute(f, &ca);
	kb = fk_kroute(f, &cb);
	assert_int_equal(kroute_install(ka, &p1, &a), 0);
	assert_int_equal(kroute_commit(ka, NULL, NULL), 0);
	assert_int_equal(kroute_install(kb, &p2, &b), 0);
	assert_int_equal(kroute_commit(kb, NULL, NULL), 0);
	assert_int_equal(f->n_nhs, 2);
	assert_int_not_equal(f->nhs[0].id, f->nhs[1].id);
	/* b crashes and starts again: it adopts its own, a's stays a's. */
	kroute_free(kb);
	kb = fk_kroute(f, &cb);
	assert_int_equal(kroute_adopt(kb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kroute_grace_over(kb), 0);	/* p2 not relearned */
	assert_null(fk_route_find(f, &p2));
	assert_non_null(fk_route_find(f, &p1));
	assert_int_equal(f->n_nhs, 1);
	kroute_free(kb);
	kroute_free(ka);
	assert_non_null(fk_route_find(f, &p1));
	unlink(la);
	unlink(lb);
}

static void test_the_first_start_after_an_upgrade_adopts_the_old_numbering(void **state)
{
	struct fake *f = *state;
	char ledger[] = "/tmp/wgb-test-ledger-XXXXXX";
	int fd = mkstemp(ledger);
	struct kroute_config plain = { .ledger_path = ledger, .keep_on_exit = true };
	struct kroute_config upgrade = { .ledger_path = ledger, .adopt_legacy = true };
	struct kroute *kr;
	size_t n = 9;

	assert_true(fd >= 0);
	close(fd);
	unlink(ledger);
	/* What a version without the ledger left: objects from 42 << 24 | 1. */
	f->nhs[f->n_nhs++] = (struct fk_nh){ .id = 42u << 24 | 1, .oif = 3,
					     .protocol = 42, .family = AF_INET6 };
	f->routes[f->n_routes++] = (struct fk_route){ .dst = pfx("10.1.0.0/16"),
		.nhid = 42u << 24 | 1, .protocol = 42, .table = RT_TABLE_MAIN };
	kr = fk_kroute(f, &plain);
	assert_int_equal(kroute_adopt(kr, &n), 0);
	assert_int_equal(n, 0);			/* no ledger: nothing is ours */
	kroute_free(kr);
	kr = fk_kroute(f, &upgrade);
	assert_int_equal(kroute_adopt(kr, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kroute_grace_over(kr), 0);	/* not relearned */
	assert_int_equal(f->n_routes, 0);
	assert_int_equal(f->n_nhs, 0);
	kroute_free(kr);
	unlink(ledger);
}

static void test_a_damaged_ledger_is_an_error(void **state)
{
	struct fake *f = *state;
	char path[] = "/tmp/wgb-test-ledger-XXXXXX";
	int fd = mkstemp(path);
	struct kroute_config c = { .ledger_path = path };
	struct kroute_io io = { f, fk_send, fk_recv };
	struct kroute *kr = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "wgbabeld-nexthops 1\n12x\n", 24), 24);
	close(fd);
	assert_int_equal(kroute_new_io(&kr, &c, &io), -EBADMSG);
	unlink(path);
}

static void test_thousands_of_changes_go_out_in_few_batches(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct wg_prefix p = pfx("2001:db8::/64");

	for (unsigned i = 0; i < 2000; i++) {
		p.addr[5] = (uint8_t)(i >> 8);
		p.addr[6] = (uint8_t)i;
		assert_int_equal(kroute_install(kr, &p, &a), 0);
	}
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(f->n_routes, 2000);
	assert_int_equal(kroute_count(kr), 2000);
	/* One object, then 72-byte requests in 64 KiB sends, no answers. */
	assert_int_equal(f->sends, 1 + 3);
	assert_int_equal(f->n_replies, 1);	/* the object's ACK */
	kroute_free(kr);
	assert_int_equal(f->n_routes, 0);
}

static void test_the_table_holds_many_routes_compactly(void **state)
{
	struct krt_table t;
	struct wg_prefix p = { .family = AF_INET6, .plen = 64 };
	const uint32_t n = 100000;

	(void)state;
	krt_init(&t);
	for (uint32_t i = 0; i < n; i++) {
		p.addr[4] = (uint8_t)(i >> 16);
		p.addr[5] = (uint8_t)(i >> 8);
		p.addr[6] = (uint8_t)i;
		uint32_t idx = krt_add(&t, &p);
		assert_int_not_equal(idx, KRT_NONE);
		krt_at(&t, idx)->nh = i;
	}
	assert_int_equal(t.count, n);
	/* 28 bytes an entry in chunks, 4 bytes a bucket, no second copy. */
	assert_int_equal(sizeof(struct krt_entry), 28);
	assert_true(krt_memory(&t) <= (size_t)n * 28 + 4096 * 28 + 131072 * 4 + 4096);
	for (uint32_t i = 0; i < n; i += 2) {
		p.addr[4] = (uint8_t)(i >> 16);
		p.addr[5] = (uint8_t)(i >> 8);
		p.addr[6] = (uint8_t)i;
		uint32_t idx = krt_find(&t, &p);
		assert_int_not_equal(idx, KRT_NONE);
		assert_int_equal(krt_at(&t, idx)->nh, i);
		krt_del(&t, idx);
	}
	assert_int_equal(t.count, n / 2);
	for (uint32_t i = 0; i < n; i++) {
		p.addr[4] = (uint8_t)(i >> 16);
		p.addr[5] = (uint8_t)(i >> 8);
		p.addr[6] = (uint8_t)i;
		uint32_t idx = krt_find(&t, &p);
		if (i % 2 == 0) {
			assert_int_equal(idx, KRT_NONE);
		} else {
			assert_int_not_equal(idx, KRT_NONE);
			assert_int_equal(krt_at(&t, idx)->nh, i);
		}
	}
	krt_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_through_one_gateway_share_one_nexthop_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_carry_the_preferred_source_of_their_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_device_next_hop_is_an_ipv6_object_for_both_families, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdrawing_every_route_of_a_next_hop_deletes_only_the_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdrawing_some_routes_of_a_next_hop_deletes_those_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moving_a_route_replaces_it_and_deletes_the_unused_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_kernel_without_nexthop_objects_gets_classic_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classic_routes_by_configuration_never_ask_for_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_refused_install_is_reported_at_commit_and_forgotten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_object_the_kernel_dropped_is_made_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_restart_adopts_routes_and_objects_and_grace_removes_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_foreign_route_in_place_is_refused_and_never_touched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_refused_route_is_installed_when_the_foreign_one_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_route_of_ours_replaced_by_someone_else_is_theirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_malformed_route_event_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe_names_what_holds_a_refused_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_refusal_met_by_describe_reaches_the_last_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_refused_list_follows_every_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_refused_list_stays_whole_through_many_removals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_listing_that_describes_sees_the_refusals_it_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_follows_an_unanswered_create_of_the_same_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_are_matched_to_routes_across_objects_made_between, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_instances_keep_to_their_own_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_first_start_after_an_upgrade_adopts_the_old_numbering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_damaged_ledger_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thousands_of_changes_go_out_in_few_batches, setup, teardown),
		cmocka_unit_test(test_the_table_holds_many_routes_compactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
