/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_rtmsg.c — the route-message parser (wgglue/rtmsg.h):
 * what it reads from well-formed messages as the kernel sends them, and
 * that every malformed one (short headers, attributes of the wrong size or
 * past the end, a bad RTA_VIA or RTA_MULTIPATH) is refused, also when it
 * is cut at every byte and copied into a buffer of exactly that size (so
 * that ASan sees a read past the end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "wgglue/rtmsg.h"

struct buf {
	uint8_t b[1024] __attribute__((aligned(8)));
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct buf));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* A route message as the kernel sends it: header and struct rtmsg. */
static struct nlmsghdr *route_msg(struct buf *f, uint16_t type, int family,
				  uint8_t dst_len)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(f->b, 0, sizeof(f->b));
	nlh = mnl_nlmsg_put_header(f->b);
	nlh->nlmsg_type = type;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	return nlh;
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, int family,
		     const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(family, s, a), 1);
	mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, a);
}

static void put_via(struct nlmsghdr *nlh, uint16_t family, const char *s,
		    size_t len)
{
	uint8_t v[2 + 16] = { 0 };

	memcpy(v, &family, 2);
	if (s)
		assert_int_equal(inet_pton(family, s, v + 2), 1);
	mnl_attr_put(nlh, RTA_VIA, len, v);
}

/* RTA_MULTIPATH with two next hops through IPv4 gateways. */
static void put_multipath(struct nlmsghdr *nlh, const char *gw1,
			  const char *gw2)
{
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	const char *gws[2] = { gw1, gw2 };

	for (int i = 0; i < 2; i++) {
		struct rtnexthop *nh = mnl_nlmsg_get_payload_tail(nlh);

		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
		memset(nh, 0, sizeof(*nh));
		nh->rtnh_ifindex = 3 + i;
		put_addr(nlh, RTA_GATEWAY, AF_INET, gws[i]);
		nh->rtnh_len = (unsigned short)((uint8_t *)
			mnl_nlmsg_get_payload_tail(nlh) - (uint8_t *)nh);
	}
	mnl_attr_nest_end(nlh, mp);
}

/* ------------------------------------------------ well-formed */

static void test_an_ipv4_route_is_read_whole(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 16);
	struct rtmsg_route r;

	nlh->nlmsg_flags = NLM_F_REPLACE;
	nlh->nlmsg_pid = 4242;
	mnl_attr_put_u32(nlh, RTA_TABLE, 1000);
	put_addr(nlh, RTA_DST, AF_INET, "10.1.0.0");
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 20);
	mnl_attr_put_u32(nlh, RTA_OIF, 7);
	put_addr(nlh, RTA_GATEWAY, AF_INET, "192.0.2.1");
	put_addr(nlh, RTA_PREFSRC, AF_INET, "192.0.2.9");
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.msg_type, RTM_NEWROUTE);
	assert_int_equal(r.msg_flags, NLM_F_REPLACE);
	assert_int_equal(r.msg_pid, 4242);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.dst_len, 16);
	assert_int_equal(r.table8, RT_TABLE_MAIN);
	assert_int_equal(r.table, 1000);		/* RTA_TABLE wins */
	assert_int_equal(r.priority, 20);
	assert_int_equal(r.oif, 7);
	assert_int_equal(r.protocol, RTPROT_STATIC);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_memory_equal(r.dst, "\x0a\x01\x00\x00", 4);
	assert_memory_equal(r.gateway, "\xc0\x00\x02\x01", 4);
	assert_true(r.attrs & RTMSG_ATTR(RTA_GATEWAY));
	assert_false(r.attrs & RTMSG_ATTR(RTA_NH_ID));
	assert_int_equal(r.nh_id, 0);
	assert_int_equal(r.via_family, 0);
	assert_int_equal(r.n_multipath, 0);
}

static void test_an_ipv6_route_through_a_nexthop_object_is_read(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_DELROUTE, AF_INET6, 48);
	struct rtmsg_route r;

	put_addr(nlh, RTA_DST, AF_INET6, "2001:db8:1::");
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 1024);
	mnl_attr_put_u32(nlh, RTA_NH_ID, 42u << 24 | 7);
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.msg_type, RTM_DELROUTE);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.table, RT_TABLE_MAIN);	/* no RTA_TABLE */
	assert_int_equal(r.nh_id, 42u << 24 | 7);
	assert_int_equal(r.dst[0], 0x20);
	assert_int_equal(r.dst[5], 1);
}

static void test_a_default_route_has_no_destination(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	struct rtmsg_route r;
	static const uint8_t zero[16];

	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.dst_len, 0);
	assert_memory_equal(r.dst, zero, 16);
	assert_int_equal(r.attrs, 0);
	assert_int_equal(r.priority, 0);
}

static void test_an_ipv4_route_via_an_ipv6_next_hop_is_read(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 24);
	struct rtmsg_route r;

	put_addr(nlh, RTA_DST, AF_INET, "10.2.3.0");
	put_via(nlh, AF_INET6, "fe80::2", 2 + 16);
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.via_family, AF_INET6);
	assert_int_equal(r.via[0], 0xfe);
	assert_int_equal(r.via[15], 2);
	assert_false(r.attrs & RTMSG_ATTR(RTA_GATEWAY));
}

static void test_multipath_next_hops_are_counted(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 8);
	struct rtmsg_route r;

	put_addr(nlh, RTA_DST, AF_INET, "10.0.0.0");
	put_multipath(nlh, "192.0.2.1", "192.0.2.2");
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.n_multipath, 2);
	assert_true(r.attrs & RTMSG_ATTR(RTA_MULTIPATH));
}

static void test_unknown_attributes_are_framed_and_skipped(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET6, 64);
	struct rtmsg_route r;
	uint8_t odd[7] = { 1, 2, 3, 4, 5, 6, 7 };

	mnl_attr_put(nlh, RTA_CACHEINFO, sizeof(odd), odd);
	mnl_attr_put(nlh, 200, 3, odd);
	put_addr(nlh, RTA_DST, AF_INET6, "2001:db8::");
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.dst[2], 0x0d);
}

/* ------------------------------------------------ refused */

static void test_another_family_is_not_a_route_we_know(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, 28, 20);
	struct rtmsg_route r;

	/* AF_MPLS: its RTA_DST is a label, not an address. */
	mnl_attr_put_u32(nlh, RTA_DST, 0x12345);
	assert_int_equal(rtmsg_parse(nlh, &r), -EAFNOSUPPORT);
	nlh = route_msg(*state, RTM_NEWROUTE, AF_UNSPEC, 0);
	assert_int_equal(rtmsg_parse(nlh, &r), -EAFNOSUPPORT);
}

static void test_another_message_type_is_refused(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWLINK, AF_INET, 0);
	struct rtmsg_route r;

	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh->nlmsg_type = RTM_GETROUTE;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
}

static void test_short_headers_and_long_prefixes_are_refused(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 8);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rtmsg_route r;

	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*rtm) - 1);
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh->nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	rtm->rtm_dst_len = 33;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	rtm->rtm_family = AF_INET6;
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	rtm->rtm_dst_len = 129;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	rtm->rtm_dst_len = 0;
	rtm->rtm_src_len = 129;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
}

/* One attribute of the given payload size must be refused in a route of
 * the family. */
static void refuse_attr(struct buf *f, int family, uint16_t type, size_t len)
{
	struct nlmsghdr *nlh = route_msg(f, RTM_NEWROUTE, family, 0);
	uint8_t junk[32] = { 0 };
	struct rtmsg_route r;

	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, type, len, junk);
	if (rtmsg_parse(nlh, &r) != -EINVAL)
		fail_msg("family %d attribute %u of %zu bytes was taken",
			 family, type, len);
}

static void test_attributes_of_the_wrong_size_are_refused(void **state)
{
	static const uint16_t addrs[] = { RTA_DST, RTA_SRC, RTA_GATEWAY,
					   RTA_PREFSRC };
	static const uint16_t u32s[] = { RTA_TABLE, RTA_PRIORITY, RTA_OIF,
					 RTA_IIF, RTA_NH_ID };

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		refuse_attr(*state, AF_INET, addrs[i], 3);
		refuse_attr(*state, AF_INET, addrs[i], 16);	/* v6 in v4 */
		refuse_attr(*state, AF_INET6, addrs[i], 4);	/* v4 in v6 */
		refuse_attr(*state, AF_INET6, addrs[i], 0);
	}
	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
		refuse_attr(*state, AF_INET, u32s[i], 0);
		refuse_attr(*state, AF_INET, u32s[i], 2);
		refuse_attr(*state, AF_INET6, u32s[i], 8);
	}
}

static void test_a_bad_via_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct rtmsg_route r;

	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	put_via(nlh, AF_INET6, "fe80::1", 2 + 4);	/* cut short */
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	put_via(nlh, AF_INET, "192.0.2.1", 2 + 16);	/* too long */
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	put_via(nlh, AF_PACKET, NULL, 2 + 6);		/* MPLS's */
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	put_via(nlh, AF_INET6, NULL, 1);
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	put_via(nlh, AF_INET, "192.0.2.1", 2 + 4);
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.via_family, AF_INET);
}

static void test_attributes_past_the_end_are_refused(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 8);
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);
	struct rtmsg_route r;

	put_addr(nlh, RTA_DST, AF_INET, "10.0.0.0");
	a->nla_len = 200;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	a->nla_len = 2;			/* shorter than its header */
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	a->nla_len = 8;
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	/* Padding shorter than a header after the last attribute is not
	 * an attribute; a header's worth of it is a bad one. */
	nlh->nlmsg_len += 3;
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	nlh->nlmsg_len += 1;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
}

static void test_a_malformed_multipath_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *mp;
	struct rtnexthop *nh;
	struct rtmsg_route r;

	/* Empty. */
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	mnl_attr_put(nlh, RTA_MULTIPATH, 0, "");
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	/* A next hop longer than the attribute, or shorter than itself. */
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	mp = mnl_nlmsg_get_payload_tail(nlh);
	put_multipath(nlh, "192.0.2.1", "192.0.2.2");
	nh = mnl_attr_get_payload(mp);
	nh->rtnh_len = 100;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	nh->rtnh_len = 4;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	/* A gateway of the wrong size inside a next hop. */
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	mp = mnl_nlmsg_get_payload_tail(nlh);
	put_multipath(nlh, "192.0.2.1", "192.0.2.2");
	nh = mnl_attr_get_payload(mp);
	((struct nlattr *)(nh + 1))->nla_len = 4 + 3;
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	/* Bytes after the last next hop. */
	nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	nh = mnl_nlmsg_get_payload_tail(nlh);
	memset(nh, 0, sizeof(*nh) + 4);
	nh->rtnh_len = sizeof(*nh);
	nlh->nlmsg_len += sizeof(*nh) + 4;
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(rtmsg_parse(nlh, &r), -EINVAL);
	/* The same four bytes as an (empty, unknown) attribute of the hop. */
	nh->rtnh_len = sizeof(*nh) + 4;
	((struct nlattr *)(nh + 1))->nla_len = 4;
	((struct nlattr *)(nh + 1))->nla_type = 250;
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	assert_int_equal(r.n_multipath, 1);
}

static void test_framing_refuses_lengths_past_the_datagram(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 0);
	int len = (int)nlh->nlmsg_len;

	assert_true(rtmsg_frame_ok(nlh, len));
	assert_true(rtmsg_frame_ok(nlh, len + 100));
	assert_false(rtmsg_frame_ok(nlh, len - 1));
	assert_false(rtmsg_frame_ok(nlh, NLMSG_HDRLEN - 1));
	nlh->nlmsg_len = NLMSG_HDRLEN - 1;
	assert_false(rtmsg_frame_ok(nlh, len));
	/* mnl_nlmsg_ok() takes this one: its compare is signed. */
	nlh->nlmsg_len = 0x9f9f9f9f;
	assert_false(rtmsg_frame_ok(nlh, len));
}

/* The fullest message, cut at every length and copied into a buffer of
 * exactly that length: refused or read, never read past. */
static void test_every_truncation_is_refused_or_read_within_bounds(void **state)
{
	struct nlmsghdr *nlh = route_msg(*state, RTM_NEWROUTE, AF_INET, 16);
	uint32_t full;
	struct rtmsg_route r;
	unsigned ok = 0;

	mnl_attr_put_u32(nlh, RTA_TABLE, 1000);
	put_addr(nlh, RTA_DST, AF_INET, "10.1.0.0");
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 20);
	put_via(nlh, AF_INET6, "fe80::2", 2 + 16);
	put_multipath(nlh, "192.0.2.1", "192.0.2.2");
	mnl_attr_put_u32(nlh, RTA_NH_ID, 9);
	full = nlh->nlmsg_len;
	assert_int_equal(rtmsg_parse(nlh, &r), 0);
	for (uint32_t len = NLMSG_HDRLEN; len <= full; len++) {
		struct nlmsghdr *cut = malloc(len);
		int k;

		assert_non_null(cut);
		memcpy(cut, nlh, len);
		cut->nlmsg_len = len;
		k = rtmsg_parse(cut, &r);
		assert_true(k == 0 || k == -EINVAL);
		if (k == 0)
			ok++;
		free(cut);
	}
	/* The header alone, and each cut at an attribute's end (with up to
	 * three bytes of padding after it). */
	assert_true(ok >= 6);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_an_ipv4_route_is_read_whole),
		T(test_an_ipv6_route_through_a_nexthop_object_is_read),
		T(test_a_default_route_has_no_destination),
		T(test_an_ipv4_route_via_an_ipv6_next_hop_is_read),
		T(test_multipath_next_hops_are_counted),
		T(test_unknown_attributes_are_framed_and_skipped),
		T(test_another_family_is_not_a_route_we_know),
		T(test_another_message_type_is_refused),
		T(test_short_headers_and_long_prefixes_are_refused),
		T(test_attributes_of_the_wrong_size_are_refused),
		T(test_a_bad_via_is_refused),
		T(test_attributes_past_the_end_are_refused),
		T(test_a_malformed_multipath_is_refused),
		T(test_framing_refuses_lengths_past_the_datagram),
		T(test_every_truncation_is_refused_or_read_within_bounds),
	};
#undef T

	return cmocka_run_group_tests_name("rtmsg", tests, NULL, NULL);
}
