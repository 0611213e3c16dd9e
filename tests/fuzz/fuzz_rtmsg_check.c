/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_rtmsg_check.c — parse -> write -> parse invariants of
 * wgglue/rtmsg.c (see fuzz_rtmsg_check.h). Shared by fuzz_rtmsg.c and
 * test_corpus_replay.c.
 */
#include "tests/fuzz/fuzz_rtmsg_check.h"
#include "wgglue/rtmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

static int __attribute__((format(printf, 3, 4)))
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (why && whylen)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

#define HAS(r, t) (((r)->attrs & RTMSG_ATTR(t)) != 0)

static const char *route_insane(const struct rtmsg_route *r)
{
	size_t alen;

	if (r->msg_type != RTM_NEWROUTE && r->msg_type != RTM_DELROUTE)
		return "message type";
	if (r->family != AF_INET && r->family != AF_INET6)
		return "family";
	alen = r->family == AF_INET ? 4 : 16;
	if (r->dst_len > alen * 8 || r->src_len > alen * 8)
		return "prefix length";
	if (!all_zero(r->dst + alen, 16 - alen) ||
	    !all_zero(r->src + alen, 16 - alen) ||
	    !all_zero(r->gateway + alen, 16 - alen))
		return "bytes past an IPv4 address";
	if ((!HAS(r, RTA_DST) && !all_zero(r->dst, 16)) ||
	    (!HAS(r, RTA_SRC) && !all_zero(r->src, 16)) ||
	    (!HAS(r, RTA_GATEWAY) && !all_zero(r->gateway, 16)) ||
	    (!HAS(r, RTA_PRIORITY) && r->priority) ||
	    (!HAS(r, RTA_OIF) && r->oif) ||
	    (!HAS(r, RTA_NH_ID) && r->nh_id) ||
	    (!HAS(r, RTA_TABLE) && r->table != r->table8) ||
	    (!HAS(r, RTA_MULTIPATH) && r->n_multipath) ||
	    (HAS(r, RTA_MULTIPATH) && !r->n_multipath))
		return "a field without its attribute";
	if (HAS(r, RTA_VIA) != (r->via_family != 0))
		return "RTA_VIA and its family";
	if (r->via_family && r->via_family != AF_INET &&
	    r->via_family != AF_INET6)
		return "RTA_VIA family";
	if (r->via_family == AF_INET && !all_zero(r->via + 4, 12))
		return "bytes past an IPv4 via";
	return NULL;
}

/* The route as a message of its own: what rtmsg_parse read, written. */
static struct nlmsghdr *route_write(const struct rtmsg_route *r,
				    uint8_t *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t alen = r->family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;

	nlh->nlmsg_type = r->msg_type;
	nlh->nlmsg_flags = r->msg_flags;
	nlh->nlmsg_pid = r->msg_pid;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_src_len = r->src_len;
	rtm->rtm_tos = r->tos;
	rtm->rtm_table = r->table8;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	rtm->rtm_flags = r->flags;
	if (HAS(r, RTA_DST))
		mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	if (HAS(r, RTA_SRC))
		mnl_attr_put(nlh, RTA_SRC, alen, r->src);
	if (HAS(r, RTA_GATEWAY))
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gateway);
	if (HAS(r, RTA_TABLE))
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (HAS(r, RTA_PRIORITY))
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	if (HAS(r, RTA_OIF))
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (HAS(r, RTA_NH_ID))
		mnl_attr_put_u32(nlh, RTA_NH_ID, r->nh_id);
	if (r->via_family) {
		uint8_t v[2 + 16];
		uint16_t fam = r->via_family;
		size_t vlen = fam == AF_INET ? 4 : 16;

		memcpy(v, &fam, 2);
		memcpy(v + 2, r->via, vlen);
		mnl_attr_put(nlh, RTA_VIA, 2 + vlen, v);
	}
	return nlh;
}

/* Whether b (written from a, without RTA_MULTIPATH and the attributes
 * rtmsg_parse only frames) reads as a. Field by field: no padding. */
static bool route_same(const struct rtmsg_route *a,
		       const struct rtmsg_route *b)
{
	uint64_t known = RTMSG_ATTR(RTA_DST) | RTMSG_ATTR(RTA_SRC) |
			 RTMSG_ATTR(RTA_GATEWAY) | RTMSG_ATTR(RTA_TABLE) |
			 RTMSG_ATTR(RTA_PRIORITY) | RTMSG_ATTR(RTA_OIF) |
			 RTMSG_ATTR(RTA_NH_ID) | RTMSG_ATTR(RTA_VIA);

	return a->msg_type == b->msg_type && a->msg_flags == b->msg_flags &&
	       a->msg_pid == b->msg_pid && a->family == b->family &&
	       a->dst_len == b->dst_len && a->src_len == b->src_len &&
	       a->tos == b->tos && a->table8 == b->table8 &&
	       a->protocol == b->protocol && a->scope == b->scope &&
	       a->type == b->type && a->flags == b->flags &&
	       (a->attrs & known) == b->attrs && a->table == b->table &&
	       a->priority == b->priority && a->oif == b->oif &&
	       a->nh_id == b->nh_id && b->n_multipath == 0 &&
	       memcmp(a->dst, b->dst, 16) == 0 &&
	       memcmp(a->src, b->src, 16) == 0 &&
	       memcmp(a->gateway, b->gateway, 16) == 0 &&
	       a->via_family == b->via_family &&
	       memcmp(a->via, b->via, 16) == 0;
}

int fuzz_rtmsg_check_input(const uint8_t *data, size_t size, char *why,
			   size_t whylen)
{
	/* Aligned, as a socket's receive buffer is; the same length, so
	 * that ASan sees a read past what was received. */
	uint8_t *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh;
	int left = (int)size, ret = 0, n = 0;

	if (!buf || size > (1u << 20)) {
		free(buf);
		return 0;	/* more than a datagram: not an input */
	}
	memcpy(buf, data, size);
	nlh = (const struct nlmsghdr *)buf;
	for (; ret == 0 && rtmsg_frame_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left), n++) {
		struct rtmsg_route r, again;
		uint8_t out[512] __attribute__((aligned(8)));
		const char *bad;
		int k;

		memset(&r, 0xa5, sizeof(r));	/* nothing left from before */
		k = rtmsg_parse(nlh, &r);
		if (k != 0 && k != -EINVAL && k != -EAFNOSUPPORT) {
			ret = fail(why, whylen, "message %d: rtmsg_parse %d", n,
				   k);
			break;
		}
		if (nlh->nlmsg_type != RTM_NEWROUTE &&
		    nlh->nlmsg_type != RTM_DELROUTE && k != -EINVAL) {
			ret = fail(why, whylen, "message %d of type %u: %d", n,
				   nlh->nlmsg_type, k);
			break;
		}
		if (k != 0)
			continue;
		if ((bad = route_insane(&r))) {
			ret = fail(why, whylen, "message %d: %s", n, bad);
			break;
		}
		route_write(&r, out);
		memset(&again, 0x5a, sizeof(again));
		k = rtmsg_parse((const struct nlmsghdr *)out, &again);
		if (k != 0) {
			ret = fail(why, whylen, "message %d written back: %d",
				   n, k);
			break;
		}
		if (!route_same(&r, &again))
			ret = fail(why, whylen,
				   "message %d written back reads otherwise", n);
	}
	free(buf);
	return ret;
}
