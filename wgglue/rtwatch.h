/* SPDX-License-Identifier: MIT */
/*
 * wgglue/rtwatch.h — follows the kernel's routing table (rtnetlink, libmnl)
 * for whoever needs every route, such as "redistribute": a dump read in
 * bounded slices, and route changes on a second socket subscribed to
 * RTNLGRP_IPV4_ROUTE and RTNLGRP_IPV6_ROUTE before the dump starts, so
 * nothing falls between the two.
 *
 * Nothing here blocks: the caller polls rtwatch_event_fd() and, while a
 * dump runs, rtwatch_dump_fd(), and each call reads at most about `budget`
 * route messages. A table of 1,000,000 routes is read across many loop
 * rounds, not in one; the messages of one datagram (at most 32 KiB) are
 * handled when it is read, never kept for later.
 *
 * Events lost to a full receive buffer (ENOBUFS) call for a new dump; the
 * caller tells a full pass by dump_begin/dump_done and withdraws what the
 * pass did not report (mark and sweep). For a route an event named during
 * the pass the event is the last word: the kernel fills dump datagrams
 * ahead, so the dump's report of it may be older, and is not passed on. A dump requested while one runs
 * starts when it ends: only a pass that began after the request is
 * complete.
 *
 * Functions return 0 or a negative errno. Not thread-safe.
 */
#ifndef WGB_WGGLUE_RTWATCH_H
#define WGB_WGGLUE_RTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* One route as rtnetlink describes it (struct rtmsg and attributes). */
struct rtwatch_route {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t dst_len;
	uint8_t src_len;
	uint8_t tos;
	uint8_t protocol;	/* RTPROT_* */
	uint8_t type;		/* RTN_* */
	uint8_t scope;
	uint32_t table;		/* RTA_TABLE, else rtm_table */
	uint32_t priority;	/* RTA_PRIORITY, 0 when absent */
	uint32_t flags;		/* rtm_flags (RTM_F_CLONED...) */
	uint32_t oif;		/* RTA_OIF, 0 when absent */
	uint8_t dst[16];	/* RTA_DST; zero when absent (a default) */
};

struct rtwatch_ops {
	/* A route added or changed (add) or deleted, from the dump or an
	 * event. */
	void (*route)(void *arg, const struct rtwatch_route *r, bool add);
	/* A full pass starts: every route present from now on will be
	 * reported before dump_done. */
	void (*dump_begin)(void *arg);
	/* The pass ended (err 0), or failed (err < 0: no sweep). */
	void (*dump_done)(void *arg, int err);
};

struct rtwatch_stats {
	uint64_t routes;	/* route messages reported */
	uint64_t bad;		/* malformed messages skipped */
	uint64_t lost;		/* ENOBUFS on the event socket */
	uint64_t dumps;		/* passes completed */
	uint64_t overtaken;	/* dump reports older than an event, ignored */
};

struct rtwatch;

/* Opens both sockets and subscribes to route events; no dump yet. */
int rtwatch_new(struct rtwatch **out, const struct rtwatch_ops *ops,
		void *arg);
/* Tests: the two sockets are given (an AF_UNIX pair stands in for the
 * kernel); they are closed by rtwatch_free. */
int rtwatch_new_fds(struct rtwatch **out, const struct rtwatch_ops *ops,
		    void *arg, int event_fd, int dump_fd);
void rtwatch_free(struct rtwatch *w);

int rtwatch_event_fd(const struct rtwatch *w);
int rtwatch_dump_fd(const struct rtwatch *w);
bool rtwatch_dumping(const struct rtwatch *w);

/* Starts a full pass now, or right after the one that runs. */
int rtwatch_dump_request(struct rtwatch *w);
/* Reads the dump: at most about budget routes. 1: more to read (poll the
 * dump socket again), 0: no dump runs any more, < 0: the dump failed
 * (dump_done had the error). */
int rtwatch_dump_run(struct rtwatch *w, unsigned budget);
/* Reads route events: at most about budget. 1: more may be queued, 0: none
 * left, -ENOBUFS: events were lost (a new pass has been requested),
 * other < 0: a socket error. */
int rtwatch_events_run(struct rtwatch *w, unsigned budget);

void rtwatch_get_stats(const struct rtwatch *w, struct rtwatch_stats *st);

/* Parses one RTM_NEWROUTE/RTM_DELROUTE: 1 (a route of AF_INET/AF_INET6,
 * *add set), 0 (another message or family: ignore), -EBADMSG. */
int rtwatch_parse(const struct nlmsghdr *nlh, struct rtwatch_route *r,
		  bool *add);

#endif
