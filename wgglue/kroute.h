/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute.h — kernel routes for learned prefixes, and link/address
 * events, over rtnetlink (libnl-route-3).
 *
 * Routes are installed with one protocol number (default 42, "babel" in
 * /etc/iproute2/rt_protos), in one table, with one metric. The module tracks
 * every route it installed in a hash table keyed by prefix and only ever
 * replaces or deletes those; a route of another protocol is never touched
 * (deletes also match on protocol, table and metric in the kernel).
 *
 * A route is either
 *   - "dev wgX" (via.family == 0): on WireGuard interfaces the next hop is
 *     chosen by allowed IPs, not by the route; or
 *   - "via NEXTHOP dev IF": an IPv6 next hop for an IPv4 prefix is sent as
 *     RTA_VIA (RFC 9229 v4-via-v6; Linux >= 5.2), other cases as RTA_GATEWAY.
 *
 * Functions return 0 or a negative errno. Not thread-safe.
 */
#ifndef WGB_WGGLUE_KROUTE_H
#define WGB_WGGLUE_KROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgglue/wg.h"

#define KROUTE_PROTO_BABEL 42

struct kroute_config {
	uint8_t protocol;	/* 0: KROUTE_PROTO_BABEL */
	uint32_t table;		/* 0: RT_TABLE_MAIN (254) */
	uint32_t metric;	/* RTA_PRIORITY; 0 is a valid metric */
	/* kroute_free() leaves installed routes in place (restart without a
	 * traffic gap); otherwise it deletes them. */
	bool keep_on_exit;
};

struct kroute_nexthop {
	int ifindex;		/* required */
	uint8_t via_family;	/* 0 (dev route), AF_INET or AF_INET6 */
	uint8_t via[16];
};

struct kroute;

int kroute_new(struct kroute **out, const struct kroute_config *cfg);
/* Deletes installed routes unless keep_on_exit, then frees. */
void kroute_free(struct kroute *kr);

/* Installs or replaces (NLM_F_REPLACE) the route for dst. A no-op when the
 * same next hop is already installed by us. */
int kroute_install(struct kroute *kr, const struct wg_prefix *dst,
		   const struct kroute_nexthop *nh);
/* Deletes our route for dst; -ENOENT when we did not install one. */
int kroute_remove(struct kroute *kr, const struct wg_prefix *dst);
/* Deletes every route we installed. */
int kroute_flush(struct kroute *kr);
/* Forgets every route on ifindex (interface gone: the kernel deleted them). */
void kroute_forget_ifindex(struct kroute *kr, int ifindex);

/*
 * Restart support: routes with our protocol in our table that exist now
 * (kept by a previous run) are adopted as "stale" and tracked; installing
 * the same prefix again makes them current; kroute_grace_over() deletes the
 * ones still stale. Call kroute_adopt() once at start.
 */
int kroute_adopt(struct kroute *kr, size_t *adopted);
int kroute_grace_over(struct kroute *kr);

size_t kroute_count(const struct kroute *kr);
bool kroute_lookup(const struct kroute *kr, const struct wg_prefix *dst,
		   struct kroute_nexthop *nh);

/* ---- link and address events (separate socket, non-blocking) ---- */

enum kroute_event_type {
	KROUTE_EV_LINK_NEW = 1,		/* created or changed (flags) */
	KROUTE_EV_LINK_DEL = 2,
	KROUTE_EV_ADDR_NEW = 3,
	KROUTE_EV_ADDR_DEL = 4,
};

struct kroute_event {
	int type;			/* enum kroute_event_type */
	int ifindex;
	char ifname[WG_IFNAME_LEN];	/* links only */
	char kind[16];			/* IFLA_INFO_KIND: "wireguard", "tun".. */
	bool up;			/* IFF_UP */
	bool running;			/* IFF_RUNNING */
	struct wg_prefix addr;		/* addresses only */
};

typedef void kroute_event_fn(void *arg, const struct kroute_event *ev);

struct kroute_monitor;

int kroute_monitor_new(struct kroute_monitor **out, kroute_event_fn *fn,
		       void *arg);
void kroute_monitor_free(struct kroute_monitor *m);
/* Non-blocking socket to poll (uv_poll_t) for readability. */
int kroute_monitor_fd(const struct kroute_monitor *m);
/* Reads and dispatches every pending event; returns without blocking.
 * -ENOBUFS means events were lost: re-read everything (refresh). */
int kroute_monitor_dispatch(struct kroute_monitor *m);
/* Calls fn now (blocking dump on a short-lived socket) with a NEW event for
 * every existing link and address: the initial state. */
int kroute_monitor_request_dump(struct kroute_monitor *m);

#endif
