/* SPDX-License-Identifier: MIT */
/*
 * wgglue/rtmsg.h — the one parser of rtnetlink route messages
 * (RTM_NEWROUTE / RTM_DELROUTE, linux/rtnetlink.h) that wgglue reads: the
 * route events and dumps of rtwatch.c, the events of others and the lookup
 * answers of kroute_watch.c, the dump read back by kroute_adopt.c.
 *
 * It fills a plain struct and touches no state: whoever reads it decides
 * what a route means to them. Every length is checked and none is trusted:
 * nlmsg_len against struct rtmsg, each attribute against the bytes left,
 * each attribute this parser knows against the size its type has in the
 * route's family, each next hop of RTA_MULTIPATH against the attribute.
 * Attributes it does not know are only framed.
 */
#ifndef WGB_WGGLUE_RTMSG_H
#define WGB_WGGLUE_RTMSG_H

#include <stdbool.h>
#include <stdint.h>

struct nlmsghdr;

/* The bit of attribute type t (< 64) in rtmsg_route.attrs. */
#define RTMSG_ATTR(t) (UINT64_C(1) << (t))

/* One route as one message describes it. */
struct rtmsg_route {
	/* The netlink header: RTM_NEWROUTE or RTM_DELROUTE, NLM_F_*, and
	 * the port id of the socket whose request caused the event. */
	uint16_t msg_type;
	uint16_t msg_flags;
	uint32_t msg_pid;
	/* struct rtmsg */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t dst_len;	/* at most the family's address bits */
	uint8_t src_len;	/* likewise */
	uint8_t tos;
	uint8_t table8;		/* rtm_table, as it was */
	uint8_t protocol;	/* RTPROT_* */
	uint8_t scope;
	uint8_t type;		/* RTN_* */
	uint32_t flags;		/* RTM_F_* */
	/* Attributes: zero when absent (attrs says which were there). */
	uint64_t attrs;		/* RTMSG_ATTR(RTA_*) of those seen, < 64 */
	uint32_t table;		/* RTA_TABLE, else rtm_table */
	uint32_t priority;	/* RTA_PRIORITY (the metric) */
	uint32_t oif;		/* RTA_OIF */
	uint32_t nh_id;		/* RTA_NH_ID (nexthop objects, Linux >= 5.3) */
	uint8_t dst[16];	/* RTA_DST: family's length */
	uint8_t src[16];	/* RTA_SRC: likewise */
	uint8_t gateway[16];	/* RTA_GATEWAY: likewise */
	/* RTA_VIA (RFC 9229: an IPv4 route via an IPv6 next hop):
	 * AF_INET or AF_INET6, 0 when absent. */
	uint8_t via_family;
	uint8_t via[16];
	uint16_t n_multipath;	/* next hops in RTA_MULTIPATH */
};

/*
 * Whether nlh, with left bytes read from it on, holds a whole message: for
 * walking a datagram with mnl_nlmsg_next(). libmnl's mnl_nlmsg_ok() takes
 * an nlmsg_len of 2^31 or more (its compare is signed), and the next step
 * then leaves the buffer.
 */
bool rtmsg_frame_ok(const struct nlmsghdr *nlh, int left);

/*
 * Parses one route message. nlh must be framed (rtmsg_frame_ok(): nlmsg_len
 * fits what was read). Returns 0 with *out filled; -EAFNOSUPPORT for a
 * well-formed header of another family (IPMR, MPLS...: not a route we
 * know); -EINVAL for anything else: another message type, a message
 * shorter than its headers, a prefix length beyond the address, an
 * attribute that overruns the message or has the wrong size for its type
 * and family, a malformed RTA_MULTIPATH. *out is unspecified on error.
 */
int rtmsg_parse(const struct nlmsghdr *nlh, struct rtmsg_route *out);

#endif
