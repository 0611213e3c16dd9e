/* SPDX-License-Identifier: MIT */
/*
 * wgglue/rtmsg.c — the parser of rtnetlink route messages (rtmsg.h). One
 * framing walker serves the message's attributes and those of each next
 * hop in RTA_MULTIPATH; one table of sizes says what each known attribute
 * must hold. Reads go through memcpy: nothing assumes the input aligned.
 */
#include "wgglue/rtmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* The payload size an attribute of type t must have in a route of family
 * alen (4 or 16 bytes of address): > 0 exactly that, 0 any (not one we
 * read), -1 an RTA_VIA (checked on its own). */
static int rtmsg_attr_size(uint16_t t, size_t alen)
{
	switch (t) {
	case RTA_DST: case RTA_SRC: case RTA_GATEWAY: case RTA_PREFSRC:
		return (int)alen;
	case RTA_TABLE: case RTA_PRIORITY: case RTA_OIF: case RTA_IIF:
	case RTA_NH_ID:
		return 4;
	case RTA_VIA:
		return -1;
	default:
		return 0;
	}
}

/* RTA_VIA is struct rtvia: a 2-byte family, then an address of that
 * family (linux/rtnetlink.h); only IPv4 and IPv6 next hops are routes we
 * know. */
static int rtmsg_via(const uint8_t *p, size_t len, uint8_t *family,
		     uint8_t addr[16])
{
	uint16_t fam;

	if (len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, p, sizeof(fam));
	if (!((fam == AF_INET && len == 2 + 4) ||
	      (fam == AF_INET6 && len == 2 + 16)))
		return -EINVAL;
	*family = (uint8_t)fam;
	memcpy(addr, p + 2, len - 2);
	return 0;
}

struct rtmsg_walk {
	struct rtmsg_route *r;	/* NULL: check only (a next hop's) */
	size_t alen;
};

static int rtmsg_multipath(const uint8_t *p, size_t len,
			   struct rtmsg_walk *w);

/* One attribute, framed: its size for its type, then its value. */
static int rtmsg_attr(uint16_t t, const uint8_t *v, size_t len,
		      struct rtmsg_walk *w)
{
	struct rtmsg_route *r = w->r;
	int want = rtmsg_attr_size(t, w->alen);
	uint8_t vf = 0, via[16] = { 0 };
	uint32_t u = 0;

	if (want > 0 && len != (size_t)want)
		return -EINVAL;
	if (want == 4)
		memcpy(&u, v, 4);
	if (t == RTA_VIA && rtmsg_via(v, len, &vf, via) < 0)
		return -EINVAL;
	if (!r) {
		/* Inside a next hop only a nested RTA_MULTIPATH is wrong. */
		return t == RTA_MULTIPATH ? -EINVAL : 0;
	}
	if (t < 64)
		r->attrs |= RTMSG_ATTR(t);
	switch (t) {
	case RTA_DST:
		memcpy(r->dst, v, len);
		break;
	case RTA_SRC:
		memcpy(r->src, v, len);
		break;
	case RTA_GATEWAY:
		memcpy(r->gateway, v, len);
		break;
	case RTA_VIA:
		r->via_family = vf;
		memcpy(r->via, via, sizeof(via));
		break;
	case RTA_TABLE:
		r->table = u;
		break;
	case RTA_PRIORITY:
		r->priority = u;
		break;
	case RTA_OIF:
		r->oif = u;
		break;
	case RTA_NH_ID:
		r->nh_id = u;
		break;
	case RTA_MULTIPATH:
		return rtmsg_multipath(v, len, w);
	}
	return 0;
}

/*
 * The framing walker: attributes one after the other, each at least a
 * header and within the bytes left. What is left after the last must be
 * less than a header (padding), as the kernel's own nla_ok() walk ends.
 */
static int rtmsg_attrs(const uint8_t *p, size_t len, struct rtmsg_walk *w)
{
	while (len >= sizeof(struct nlattr)) {
		struct nlattr a;
		size_t step;
		int r;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len)
			return -EINVAL;
		r = rtmsg_attr(a.nla_type & NLA_TYPE_MASK, p + sizeof(a),
			       a.nla_len - sizeof(a), w);
		if (r < 0)
			return r;
		step = NLA_ALIGN(a.nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

/* RTA_MULTIPATH: struct rtnexthop after struct rtnexthop, each followed
 * by its own attributes (RTA_GATEWAY, RTA_VIA...) within rtnh_len. The
 * kernel refuses an empty list or bytes after the last (fib_count_nexthops). */
static int rtmsg_multipath(const uint8_t *p, size_t len,
			   struct rtmsg_walk *w)
{
	struct rtmsg_walk nested = { NULL, w->alen };
	unsigned n = 0;

	while (len > 0) {
		struct rtnexthop nh;
		size_t step;
		int r;

		if (len < sizeof(nh))
			return -EINVAL;
		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > len)
			return -EINVAL;
		r = rtmsg_attrs(p + sizeof(nh), nh.rtnh_len - sizeof(nh),
				&nested);
		if (r < 0)
			return r;
		if (++n > UINT16_MAX)
			return -EINVAL;
		step = RTNH_ALIGN(nh.rtnh_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	if (n == 0)
		return -EINVAL;
	w->r->n_multipath = (uint16_t)n;
	return 0;
}

bool rtmsg_frame_ok(const struct nlmsghdr *nlh, int left)
{
	struct nlmsghdr h;

	if (left < (int)sizeof(h))
		return false;
	memcpy(&h, nlh, sizeof(h));
	return h.nlmsg_len >= sizeof(h) && h.nlmsg_len <= (unsigned)left;
}

int rtmsg_parse(const struct nlmsghdr *nlh, struct rtmsg_route *out)
{
	const uint8_t *msg = (const uint8_t *)nlh;
	struct rtmsg_walk w = { out, 0 };
	struct nlmsghdr h;
	struct rtmsg rtm;
	size_t off;

	memcpy(&h, msg, sizeof(h));
	if (h.nlmsg_type != RTM_NEWROUTE && h.nlmsg_type != RTM_DELROUTE)
		return -EINVAL;
	if (h.nlmsg_len < NLMSG_LENGTH(sizeof(rtm)))
		return -EINVAL;
	memcpy(&rtm, msg + NLMSG_HDRLEN, sizeof(rtm));
	if (rtm.rtm_family == AF_INET)
		w.alen = 4;
	else if (rtm.rtm_family == AF_INET6)
		w.alen = 16;
	else
		return -EAFNOSUPPORT;
	if (rtm.rtm_dst_len > w.alen * 8 || rtm.rtm_src_len > w.alen * 8)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->msg_type = h.nlmsg_type;
	out->msg_flags = h.nlmsg_flags;
	out->msg_pid = h.nlmsg_pid;
	out->family = rtm.rtm_family;
	out->dst_len = rtm.rtm_dst_len;
	out->src_len = rtm.rtm_src_len;
	out->tos = rtm.rtm_tos;
	out->table8 = rtm.rtm_table;
	out->protocol = rtm.rtm_protocol;
	out->scope = rtm.rtm_scope;
	out->type = rtm.rtm_type;
	out->flags = rtm.rtm_flags;
	out->table = rtm.rtm_table;	/* RTA_TABLE, when there, wins */
	off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rtm)));
	if (h.nlmsg_len < off)
		return 0;		/* no room for attributes */
	return rtmsg_attrs(msg + off, h.nlmsg_len - off, &w);
}
