/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute.h — kernel routes for learned prefixes, and link/address
 * events, over rtnetlink (libnl-route-3).
 *
 * Routes are installed with one protocol number (default 42, "babel" in
 * /etc/iproute2/rt_protos), in one table, with one metric. The module owns
 * exactly the routes it installed and tracks them in a compact table keyed
 * by prefix (the ledger of kernel routes, whose rules fwd/ledger.h decides
 * and this module executes):
 *   - a route is created with NLM_F_EXCL; a replace or a delete is only
 *     ever sent for a route of ours that the kernel holds. The kernel
 *     matches a replace on table, destination and metric, not on protocol,
 *     so a replace of anything else would take another daemon's or the
 *     operator's route;
 *   - a create that finds someone else's route with the same table,
 *     destination and metric (EEXIST) is *refused*: not installed, never
 *     touched, listed by kroute_foreach_refused(), and tried again when a
 *     route event says that route went away (kroute_watch_dispatch());
 *   - a route of ours that someone else replaces is no longer ours.
 * Deletes also name our protocol, table and metric.
 *
 * Next hops are kernel nexthop objects (RTM_NEWNEXTHOP, Linux >= 5.3), one
 * per distinct (ifindex, gateway), with our protocol and ids in a range
 * this instance picks at random (protocol << 24 | random << 12 | n, made
 * with NLM_F_EXCL, so two instances never share one). Each id is written
 * to the ledger file (cfg.ledger_path) before the object is made, and it
 * is what tells this instance's routes from any other's after a restart:
 * kroute_adopt() takes only the objects the ledger lists and the routes
 * that use them, never "every route of protocol 42". routes name them with RTA_NH_ID. An IPv6 route with a
 * next hop of its own costs the kernel a per-cpu allocation on every add and
 * a free on every delete, a shared object does not, and deleting the object
 * deletes all its routes in one request (withdrawing a whole neighbour).
 * A kernel that refuses nexthop objects gets classic routes (RTA_GATEWAY,
 * RTA_VIA for v4-via-v6, RTA_OIF), as does cfg.classic_routes. A nexthop
 * object no route of ours uses any more is deleted; the kernel itself
 * deletes the objects (and their routes) of a link that goes down.
 *
 * Changes are batched: kroute_install() and kroute_remove() queue requests
 * (without NLM_F_ACK: the kernel answers only errors) that go out when a
 * buffer fills and at kroute_commit(), which the caller runs after each
 * batch of route changes (and which every other call here runs first).
 * Errors of queued requests are reported by kroute_commit().
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
	/* Never use nexthop objects (tests; kernels that misbehave). */
	bool classic_routes;
	/* The ledger of nexthop ids this instance made (one line each); NULL:
	 * kept in memory only, nothing is adopted after a restart. */
	const char *ledger_path;
	/* Open a socket for the route events of others (kroute_watch_fd). */
	bool watch;
	/* Also adopt objects numbered as versions without a ledger did
	 * (protocol << 24 | 1 up, in order): for the first start after an
	 * upgrade, when the daemon finds no ledger but that version's
	 * journals. */
	bool adopt_legacy;
	/* The preferred source (RTA_PREFSRC) of the IPv4 / IPv6 routes, so
	 * that this host's own traffic into the mesh leaves from it; it must
	 * be an address of this host (the kernel refuses the route else). */
	bool prefsrc4, prefsrc6;
	uint8_t src4[4], src6[16];
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

/*
 * Tests: the netlink transport. send() hands the kernel one buffer of
 * requests (0 or -errno); recv() returns one datagram of answers: its
 * length, 0 when !wait and nothing is queued, or -errno.
 */
struct kroute_io {
	void *ctx;
	int (*send)(void *ctx, const void *buf, size_t len);
	long (*recv)(void *ctx, void *buf, size_t len, bool wait);
};

int kroute_new_io(struct kroute **out, const struct kroute_config *cfg,
		  const struct kroute_io *io);

/* Queues the install (NLM_F_EXCL) or, for a route of ours, the replace
 * (NLM_F_REPLACE) of the route for dst; a no-op when the same next hop is
 * already installed by us. For a refused dst it only remembers the next
 * hop: the route is made when the foreign one goes. Creates the
 * next hop's kernel object first (synchronously) when it is new. Errors of
 * the route itself come from kroute_commit(). */
int kroute_install(struct kroute *kr, const struct wg_prefix *dst,
		   const struct kroute_nexthop *nh);
/* Queues the delete of our route for dst (forgets it when refused: there
 * is nothing of ours to delete); -ENOENT when we did not install one. */
int kroute_remove(struct kroute *kr, const struct wg_prefix *dst);
/* Deletes every route (and nexthop object) we installed. */
int kroute_flush(struct kroute *kr);

/* Called for each queued request the kernel refused (the route is then
 * no longer tracked as installed). install: it was an install. err
 * -EEXIST: a foreign route holds the place; dst is now refused (see
 * kroute_foreach_refused) and is made when that route goes away. */
typedef void kroute_error_fn(void *arg, const struct wg_prefix *dst,
			     bool install, int err);
/* Sends every queued request; fn (may be NULL) hears of refusals. Returns
 * 0, or the last error. The last fn given (not NULL) also hears of the
 * refusals of the commit that other calls make first (kroute_describe,
 * kroute_adopt, kroute_flush, kroute_grace_over; not kroute_free), so
 * none goes unreported: its arg must stay valid until kroute_free() or
 * another fn is given. */
int kroute_commit(struct kroute *kr, kroute_error_fn *fn, void *arg);
/* Forgets every route on ifindex (interface gone: the kernel deleted them). */
void kroute_forget_ifindex(struct kroute *kr, int ifindex);

/*
 * Restart support: the nexthop objects the ledger lists (made by a previous
 * run of this instance) and the routes in our table that use them are
 * adopted as "stale" and tracked; installing the same prefix again makes
 * them current; kroute_grace_over() deletes the ones still stale. Routes
 * of another instance, of babeld (also protocol 42) or classic routes are
 * never adopted. Call kroute_adopt() once at start.
 */
int kroute_adopt(struct kroute *kr, size_t *adopted);
int kroute_grace_over(struct kroute *kr);

size_t kroute_count(const struct kroute *kr);
/* Prefixes refused because a foreign route holds their place. They are
 * listed apart from the table: the walk costs O(refused), however many
 * routes are installed. fn may call kroute_describe(), whose commit can
 * refuse more: those are visited too. */
size_t kroute_refused_count(const struct kroute *kr);
bool kroute_is_refused(const struct kroute *kr, const struct wg_prefix *dst);
typedef void kroute_refused_fn(void *arg, const struct wg_prefix *dst,
			       const struct kroute_nexthop *wanted);
void kroute_foreach_refused(const struct kroute *kr, kroute_refused_fn *fn,
			    void *arg);

/* What holds a refused prefix's place, for show commands. */
struct kroute_foreign {
	uint8_t protocol;
	int ifindex;		/* 0: none (blackhole, unreachable, ...) */
	uint8_t type;		/* RTN_* */
	uint8_t via_family;	/* 0: none */
	uint8_t via[16];
	uint32_t nh_id;		/* 0: none */
};
/* Asks the kernel for the route with dst's exact prefix in our table and
 * metric: 0, -ENOENT when there is none (any more), or -errno. */
int kroute_describe(struct kroute *kr, const struct wg_prefix *dst,
		    struct kroute_foreign *out);

/*
 * Route events of everyone but this instance (cfg.watch): a socket on the
 * IPv4 and IPv6 route groups whose filter drops the notifications of our
 * own requests in the kernel, so installing a million routes costs the
 * watcher nothing. A foreign route that goes away makes the refused prefix
 * in its place installed; a foreign route that replaces one of ours makes
 * that prefix refused. -1 when there is no such socket.
 */
int kroute_watch_fd(const struct kroute *kr);
/* Reads every pending event, then commits what they caused (fn hears of
 * refusals as in kroute_commit). -ENOBUFS (events lost) is handled here:
 * every refused prefix is tried again (O(refused)). Returns 0 or -errno. */
int kroute_watch_dispatch(struct kroute *kr, kroute_error_fn *fn, void *arg);
/* One route event (RTM_NEWROUTE / RTM_DELROUTE message), as the watcher
 * reads them; for tests. */
void kroute_route_event(struct kroute *kr, const void *nlh, size_t len);
/* Whether routes go through nexthop objects (false: classic routes). */
bool kroute_nexthop_objects(const struct kroute *kr);
/* Bytes of the route and next-hop tables. */
size_t kroute_memory(const struct kroute *kr);
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
