/* SPDX-License-Identifier: MIT */
/*
 * wgglue/rtwatch.c — the kernel's routing table, dumped in slices and
 * followed by events (see rtwatch.h). Two long-lived rtnetlink sockets:
 * one subscribed to the route groups, one for dumps. Messages are framed
 * with libmnl and parsed by rtmsg.h, which checks every length; a
 * malformed message is counted and skipped, never trusted.
 */
#include "wgglue/rtwatch.h"
#include "wgglue/hmap.h"
#include "wgglue/rtmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

/* A dump datagram is at most 32 KiB (the kernel's cap on a dump skb);
 * events are smaller. Twice that leaves no room for MSG_TRUNC. */
#define RTW_RBUF (64 * 1024)
#define RTW_EVENT_RCVBUF (4 << 20)

/* What tells one kernel route from another in its table. */
struct rtw_key {
	uint8_t family, dst_len, tos, pad;
	uint32_t table, priority;
	uint8_t dst[16];
};

struct rtwatch {
	const struct rtwatch_ops *ops;
	void *arg;
	int ev_fd;
	int dump_fd;
	uint32_t seq;
	uint32_t dump_seq;	/* of the dump that runs */
	bool dumping;
	bool again;		/* another pass was asked for meanwhile */
	/* The routes an event named since the pass began: the dump's word on
	 * them is ignored (see rtw_walk). struct rtw_key -> nothing. */
	struct wg_hmap evented;
	struct rtwatch_stats st;
	uint8_t buf[RTW_RBUF];
};

static int rtw_socket(unsigned groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd, rcv = RTW_EVENT_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	/* A burst of changes (a daemon installing a full table) must not
	 * overflow at once; beyond this, ENOBUFS and a new pass. */
	if (groups && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
				 sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	return fd;
}

int rtwatch_new_fds(struct rtwatch **out, const struct rtwatch_ops *ops,
		    void *arg, int event_fd, int dump_fd)
{
	struct rtwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->ops = ops;
	w->arg = arg;
	w->ev_fd = event_fd;
	w->dump_fd = dump_fd;
	w->seq = 1;
	wg_hmap_init(&w->evented, sizeof(struct rtw_key), 1);
	*out = w;
	return 0;
}

int rtwatch_new(struct rtwatch **out, const struct rtwatch_ops *ops,
		void *arg)
{
	int ev, dump, r;

	/* RTMGRP_IPV4_ROUTE / RTMGRP_IPV6_ROUTE are the group bits of
	 * RTNLGRP_IPV4_ROUTE and RTNLGRP_IPV6_ROUTE (linux/rtnetlink.h). */
	ev = rtw_socket(RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE);
	if (ev < 0)
		return ev;
	dump = rtw_socket(0);
	if (dump < 0) {
		close(ev);
		return dump;
	}
	r = rtwatch_new_fds(out, ops, arg, ev, dump);
	if (r < 0) {
		close(ev);
		close(dump);
	}
	return r;
}

void rtwatch_free(struct rtwatch *w)
{
	if (!w)
		return;
	close(w->ev_fd);
	close(w->dump_fd);
	wg_hmap_free(&w->evented);
	free(w);
}

int rtwatch_event_fd(const struct rtwatch *w)
{
	return w->ev_fd;
}

int rtwatch_dump_fd(const struct rtwatch *w)
{
	return w->dump_fd;
}

bool rtwatch_dumping(const struct rtwatch *w)
{
	return w->dumping;
}

void rtwatch_get_stats(const struct rtwatch *w, struct rtwatch_stats *st)
{
	*st = w->st;
}

/* ------------------------------------------------------------ parsing */

int rtwatch_parse(const struct nlmsghdr *nlh, struct rtwatch_route *r,
		  bool *add)
{
	struct rtmsg_route rt;
	int k;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return 0;
	k = rtmsg_parse(nlh, &rt);
	if (k == -EAFNOSUPPORT)
		return 0;	/* IPMR, MPLS...: not ours to report */
	if (k < 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = rt.family;
	r->dst_len = rt.dst_len;
	r->src_len = rt.src_len;
	r->tos = rt.tos;
	r->protocol = rt.protocol;
	r->type = rt.type;
	r->scope = rt.scope;
	r->table = rt.table;
	r->priority = rt.priority;
	r->flags = rt.flags;
	r->oif = rt.oif;
	memcpy(r->dst, rt.dst, sizeof(r->dst));
	*add = nlh->nlmsg_type == RTM_NEWROUTE;
	return 1;
}

/* --------------------------------------------------------------- reading */

/*
 * Hands the route messages of one datagram to ops->route. seq: the dump's
 * sequence number (0 for events, which have none). Returns 1 at the end of
 * the dump (NLMSG_DONE), 0 to go on, or the error of an NLMSG_ERROR.
 * NLM_F_DUMP_INTR (the table changed during the dump) is not an error
 * here: the event socket, subscribed before the dump, reports the changes.
 */
/*
 * During a pass, whether the dump's report of R comes too late. The kernel
 * fills the next dump datagram ahead, as soon as the last one is read, so
 * a datagram read now may be older than an event already handled: a
 * route deleted meanwhile would come back from it, and the pass that was
 * to clean up after lost events would keep it. Events are in order and
 * never older than the pass's data for the routes they name, so for
 * those the dump is ignored; EVENT: R comes from an event (remember it).
 */
static bool rtw_overtaken(struct rtwatch *w, const struct rtwatch_route *r,
			  bool event)
{
	struct rtw_key k;

	memset(&k, 0, sizeof(k));
	k.family = r->family;
	k.dst_len = r->dst_len;
	k.tos = r->tos;
	k.table = r->table;
	k.priority = r->priority;
	memcpy(k.dst, r->dst, sizeof(k.dst));
	if (event) {
		/* Out of memory: the dump's word is taken, as before. */
		wg_hmap_get(&w->evented, &k, NULL);
		return false;
	}
	if (!wg_hmap_find(&w->evented, &k))
		return false;
	w->st.overtaken++;
	return true;
}

static int rtw_walk(struct rtwatch *w, size_t len, uint32_t seq,
		    unsigned *done)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->buf;
	int left = (int)len;

	for (; rtmsg_frame_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct rtwatch_route r;
		bool add;
		int k;

		if (seq && nlh->nlmsg_seq != seq)
			continue;	/* an older request's answer */
		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* Its payload, when there, is the dump's status. */
			int status = 0;

			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(status)))
				memcpy(&status, mnl_nlmsg_get_payload(nlh),
				       sizeof(status));
			return status < 0 ? status : 1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			if (e->error == 0)
				continue;
			return e->error < 0 ? e->error : -EPROTO;
		}
		k = rtwatch_parse(nlh, &r, &add);
		if (k < 0) {
			w->st.bad++;
			continue;
		}
		if (k == 0)
			continue;
		if (w->dumping && rtw_overtaken(w, &r, seq == 0))
			continue;
		w->st.routes++;
		(*done)++;
		w->ops->route(w->arg, &r, add);
	}
	if (left != 0)
		w->st.bad++;	/* a truncated message ends the datagram */
	return 0;
}

static int rtw_dump_send(struct rtwatch *w)
{
	char req[NLMSG_SPACE(sizeof(struct rtmsg))];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = w->dump_seq = w->seq++;
	if (w->seq == 0)
		w->seq = 1;	/* 0 means "no sequence" to rtw_walk */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;	/* IPv4 and IPv6 in one dump */
	for (;;) {
		if (send(w->dump_fd, nlh, nlh->nlmsg_len, 0) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int rtw_dump_start(struct rtwatch *w)
{
	int r = rtw_dump_send(w);

	if (r < 0)
		return r;
	w->dumping = true;
	w->again = false;
	wg_hmap_clear(&w->evented);
	w->ops->dump_begin(w->arg);
	return 0;
}

int rtwatch_dump_request(struct rtwatch *w)
{
	if (w->dumping) {
		w->again = true;
		return 0;
	}
	return rtw_dump_start(w);
}

/* The dump ended (r == 0) or failed: report it, or start the next pass. */
static int rtw_dump_end(struct rtwatch *w, int r)
{
	w->dumping = false;
	wg_hmap_free(&w->evented);	/* its memory too: passes are rare */
	if (r == 0 && w->again) {
		r = rtw_dump_start(w);
		if (r == 0)
			return 1;
	}
	if (r == 0)
		w->st.dumps++;
	w->ops->dump_done(w->arg, r);
	return r;
}

int rtwatch_dump_run(struct rtwatch *w, unsigned budget)
{
	unsigned done = 0;

	while (w->dumping && done < budget) {
		ssize_t n = recv(w->dump_fd, w->buf, sizeof(w->buf),
				 MSG_DONTWAIT);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return rtw_dump_end(w, n < 0 ? -errno : -EPIPE);
		r = rtw_walk(w, (size_t)n, w->dump_seq, &done);
		if (r != 0 && (r = rtw_dump_end(w, r < 0 ? r : 0)) < 0)
			return r;
	}
	return w->dumping ? 1 : 0;
}

int rtwatch_events_run(struct rtwatch *w, unsigned budget)
{
	unsigned done = 0;

	while (done < budget) {
		ssize_t n = recv(w->ev_fd, w->buf, sizeof(w->buf),
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* The kernel dropped events: only a new full pass
			 * tells what changed. */
			w->st.lost++;
			rtwatch_dump_request(w);
			return -ENOBUFS;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		rtw_walk(w, (size_t)n, 0, &done);
	}
	return 1;
}
