/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_watch.c — the routes of others (kroute.h): a socket on the
 * route multicast groups that the kernel filters so that the notifications
 * of our own requests never reach it, its events read (rtmsg.h) and
 * handed to kr_foreign_event() (kroute_refused.c, what they mean for the
 * table), and the description of a foreign route for show commands.
 */
#include "wgglue/kroute_int.h"
#include "wgglue/rtmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

/*
 * Drops every message whose nlmsg_pid is our request socket's port id: the
 * kernel sends the notification of a route change with the port id of the
 * socket that asked for it. Classic BPF loads are big-endian, the header
 * field is in host order: compare with its byte-swapped value.
 */
static int kr_watch_filter(struct kroute *kr)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct nlmsghdr, nlmsg_pid)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(kr->portid), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]),
				   .filter = code };

	if (setsockopt(mnl_socket_get_fd(kr->watch), SOL_SOCKET,
		       SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int kr_watch_open(struct kroute *kr)
{
	int rcv = 1 << 20, r;

	if (!(kr->watch = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK)))
		return -errno;
	if ((r = kr_watch_filter(kr)) < 0)
		return r;
	if (mnl_socket_bind(kr->watch, RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
			    MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(kr->watch), SOL_SOCKET,
		       SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(kr->watch), SOL_SOCKET,
			   SO_RCVBUF, &rcv, sizeof(rcv));
	return 0;
}

int kroute_watch_fd(const struct kroute *kr)
{
	return kr->watch ? mnl_socket_get_fd(kr->watch) : -1;
}

/* A route message (rtmsg.h) for a route in our table and metric: its
 * prefix in *dst; false for any other route (another table or metric,
 * source-specific, cloned, malformed). */
static bool kr_route_parse(const struct kroute *kr, const struct nlmsghdr *nlh,
			   struct rtmsg_route *rt, struct wg_prefix *dst)
{
	uint32_t want;

	if (rtmsg_parse(nlh, rt) < 0 || rt->src_len ||
	    (rt->flags & RTM_F_CLONED))
		return false;
	/* IPv6 stores metric 0 as 1024 (IP6_RT_PRIO_USER). */
	want = kr->cfg.metric;
	if (rt->family == AF_INET6 && want == 0)
		want = 1024;
	if (rt->table != kr->cfg.table || rt->priority != want)
		return false;
	return wg_prefix_make(dst, rt->family, rt->dst, rt->dst_len) == 0;
}

void kroute_route_event(struct kroute *kr, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (; rtmsg_frame_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct rtmsg_route rt;
		struct wg_prefix dst;

		if ((nlh->nlmsg_type != RTM_NEWROUTE &&
		     nlh->nlmsg_type != RTM_DELROUTE) ||
		    nlh->nlmsg_pid == kr->portid ||
		    !kr_route_parse(kr, nlh, &rt, &dst))
			continue;
		kr_foreign_event(kr, &dst, rt.msg_type == RTM_DELROUTE,
				 (rt.msg_flags & NLM_F_REPLACE) != 0, rt.nh_id,
				 rt.protocol);
	}
}

int kroute_watch_dispatch(struct kroute *kr, kroute_error_fn *fn, void *arg)
{
	int fd = kroute_watch_fd(kr), ret = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = recv(fd, kr->rbuf, KR_RBUF, MSG_DONTWAIT);

		if (n > 0) {
			kroute_route_event(kr, kr->rbuf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* Events lost: a foreign route may have gone
			 * unseen. Only the refused are tried again, never
			 * a dump of the whole table. */
			kr_retry_all_refused(kr);
			ret = -ENOBUFS;
			continue;
		}
		break;
	}
	kroute_commit(kr, fn, arg);
	return ret;
}

struct kr_describe {
	struct kroute *kr;
	const struct wg_prefix *dst;
	struct kroute_foreign *out;
	bool found;
};

static int kr_describe_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kr_describe *d = data;
	struct rtmsg_route rt;
	struct wg_prefix dst;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    !kr_route_parse(d->kr, nlh, &rt, &dst) ||
	    !wg_prefix_equal(&dst, d->dst))
		return MNL_CB_OK;
	memset(d->out, 0, sizeof(*d->out));
	d->out->protocol = rt.protocol;
	d->out->type = rt.type;
	d->out->ifindex = (int)rt.oif;
	d->out->nh_id = rt.nh_id;
	if (rt.attrs & RTMSG_ATTR(RTA_GATEWAY)) {
		d->out->via_family = rt.family;
		memcpy(d->out->via, rt.gateway, sizeof(d->out->via));
	}
	d->found = true;
	return MNL_CB_OK;
}

/* RTM_F_FIB_MATCH: the kernel answers with the route a lookup of dst's
 * address in our table hits, which is dst's own when nothing more
 * specific covers that address. */
int kroute_describe(struct kroute *kr, const struct wg_prefix *dst,
		    struct kroute_foreign *out)
{
	uint8_t buf[KR_MSG_MAX];
	struct kr_describe d = { kr, dst, out, false };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	long n;
	int r;

	kr_commit(kr);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = kr_sync_seq(kr);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, kr->cfg.table);
	if ((r = kr->io.send(kr->io.ctx, nlh, nlh->nlmsg_len)) < 0)
		return r;
	while ((n = kr->io.recv(kr->io.ctx, kr->rbuf, KR_RBUF, true)) > 0) {
		r = mnl_cb_run(kr->rbuf, (size_t)n, nlh->nlmsg_seq, 0,
			       kr_describe_cb, &d);
		if (r == MNL_CB_ERROR)
			return errno == ENETUNREACH || errno == EHOSTUNREACH ||
			       errno == ESRCH ? -ENOENT : -errno;
		if (r == MNL_CB_STOP || d.found)
			break;
	}
	if (n < 0)
		return (int)n;
	return d.found ? 0 : -ENOENT;
}
