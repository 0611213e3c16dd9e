/* SPDX-License-Identifier: MIT */
/*
 * daemon/icmperr.c — see icmperr.h. The records follow
 * <linux/errqueue.h>: struct sock_extended_err, then the offender (the
 * address the ICMP came from) as a sockaddr (SO_EE_OFFENDER).
 */
#include "daemon/icmperr.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>

/* RFC 4443 §3.1 and RFC 792: the "port unreachable" codes. */
#define ICMP6_DST_UNREACH_T 1
#define ICMP6_PORT_UNREACH_C 4
#define ICMP4_DST_UNREACH_T 3
#define ICMP4_PORT_UNREACH_C 3

static void icmperr_addr6(struct babel_addr *a, const struct in6_addr *in)
{
	memset(a, 0, sizeof(*a));
	a->af = BABEL_AF_INET6;
	memcpy(a->addr, in->s6_addr, 16);
}

static void icmperr_addr4(struct babel_addr *a, const struct in_addr *in)
{
	memset(a, 0, sizeof(*a));
	a->af = BABEL_AF_INET;
	memcpy(a->addr, &in->s_addr, 4);
}

static int icmperr_dest(const struct msghdr *msg, struct icmperr *out)
{
	const struct sockaddr *sa = msg->msg_name;

	if (!sa || msg->msg_namelen < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET6 &&
	    msg->msg_namelen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = msg->msg_name;

		icmperr_addr6(&out->addr, &s6->sin6_addr);
		out->port = ntohs(s6->sin6_port);
		out->ifindex = s6->sin6_scope_id;
		return 0;
	}
	if (sa->sa_family == AF_INET &&
	    msg->msg_namelen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = msg->msg_name;

		icmperr_addr4(&out->addr, &s4->sin_addr);
		out->port = ntohs(s4->sin_port);
		return 0;
	}
	return -EINVAL;
}

/* The offender follows the record; af NONE when the kernel gave none. */
static void icmperr_offender(const struct cmsghdr *c,
			     const struct sock_extended_err *ee,
			     struct babel_addr *who)
{
	const uint8_t *end = (const uint8_t *)c + c->cmsg_len;
	const uint8_t *p = (const uint8_t *)(ee + 1);
	sa_family_t fam;

	memset(who, 0, sizeof(*who));
	if (p + sizeof(fam) > end)
		return;
	memcpy(&fam, p, sizeof(fam));
	if (fam == AF_INET6 && p + sizeof(struct sockaddr_in6) <= end) {
		struct sockaddr_in6 s6;

		memcpy(&s6, p, sizeof(s6));
		icmperr_addr6(who, &s6.sin6_addr);
	} else if (fam == AF_INET && p + sizeof(struct sockaddr_in) <= end) {
		struct sockaddr_in s4;

		memcpy(&s4, p, sizeof(s4));
		icmperr_addr4(who, &s4.sin_addr);
	}
}

static bool icmperr_same(const struct babel_addr *a, const struct babel_addr *b)
{
	size_t n = a->af == BABEL_AF_INET ? 4 : 16;

	return a->af == b->af && memcmp(a->addr, b->addr, n) == 0;
}

int icmperr_parse(const struct msghdr *msg, struct icmperr *out)
{
	struct sock_extended_err ee;
	struct babel_addr who = { .af = BABEL_AF_NONE };
	bool have_ee = false;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = icmperr_dest(msg, out)) < 0)
		return r;
	if (msg->msg_flags & MSG_CTRUNC)
		return -EINVAL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if ((c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)) {
			if (c->cmsg_len < CMSG_LEN(sizeof(ee)))
				return -EINVAL;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			icmperr_offender(c, (const struct sock_extended_err *)CMSG_DATA(c),
					 &who);
			have_ee = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (!out->ifindex)
				out->ifindex = (unsigned)pi.ipi6_ifindex;
		} else if (c->cmsg_level == IPPROTO_IP &&
			   c->cmsg_type == IP_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (!out->ifindex)
				out->ifindex = (unsigned)pi.ipi_ifindex;
		}
	}
	if (!have_ee)
		return -EINVAL;
	out->origin = ee.ee_origin;
	out->type = ee.ee_type;
	out->code = ee.ee_code;
	out->err = (int)ee.ee_errno;
	if (ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
		if (ee.ee_type != ICMP6_DST_UNREACH_T ||
		    ee.ee_code != ICMP6_PORT_UNREACH_C ||
		    out->addr.af != BABEL_AF_INET6)
			return -ENOMSG;
	} else if (ee.ee_origin == SO_EE_ORIGIN_ICMP) {
		if (ee.ee_type != ICMP4_DST_UNREACH_T ||
		    ee.ee_code != ICMP4_PORT_UNREACH_C ||
		    out->addr.af != BABEL_AF_INET)
			return -ENOMSG;
	} else {
		return -ENOMSG;		/* a local error, not from the wire */
	}
	if (out->port != BABEL_PORT)
		return -ENOMSG;
	/* Only the neighbour's own kernel speaks for it: a link-local
	 * destination is one hop away, the ICMP must come from it. */
	if (who.af != BABEL_AF_NONE && !icmperr_same(&who, &out->addr))
		return -ENOMSG;
	return 0;
}
