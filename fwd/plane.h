/* SPDX-License-Identifier: MIT */
/*
 * fwd/plane.h — the forwarding plane: what each route the engine selected
 * becomes in the kernel.
 *
 * Its inputs are the engine's route changes (fwd_route_set/unset), the
 * interfaces Babel runs on (fwd_iface_set/del), the peers of each
 * WireGuard device after a read (fwd_peers_set: Babel address -> public
 * key) and the WireGuard endpoints of those peers (fwd_endpoints_set).
 * Its output is the writes, through struct fwd_ops, which wgglue/
 * executes (or, in an observe-only daemon, counts and discards):
 *   - on a WireGuard interface the next hop is a peer: the prefix goes
 *     into the allowed IPs of the peer whose Babel address is the next
 *     hop (aip_set; the reconciler makes it one move from the previous
 *     winner), and the kernel gets a "dev wgX" route;
 *   - on any other interface the kernel route is "via GATEWAY dev IF";
 *   - egress (fwd_egress_enable): a default route through WireGuard, and
 *     any prefix through WireGuard whose kernel route would cover the
 *     WireGuard endpoint of one of our peers, goes into the egress table
 *     instead (egress_set): policy rules that the executor owns keep
 *     WireGuard's own (marked) packets and the main table's routes other
 *     than its default out of it, as wg-quick does for AllowedIPs =
 *     0.0.0.0/0. It goes back to the main table when it covers no
 *     endpoint any more (a default route stays);
 *   - without egress, or on an interface whose fwmark cannot be used
 *     (fwd_iface_egress), a prefix that covers an endpoint is refused
 *     its kernel route (it would carry WireGuard's own packets into the
 *     tunnel) and installed when it no longer covers one
 *     (fwd/endpoints.h); its allowed IP is unaffected.
 *
 * The plane keeps the routes through WireGuard (one compact entry per
 * prefix), so that a peer that appears after its route was selected, a
 * peer whose Babel address moved to another key, or an endpoint that
 * moved, gets the right writes without asking the engine. A route through
 * any other interface is written and forgotten: it needs no peer and
 * cannot pull WireGuard's packets into a tunnel (a wired table of a million
 * routes costs the plane nothing).
 *
 * Ownership and execution, what is decided in fwd/ and what wgglue/ does:
 *   - what each selected route becomes (allowed IP on which peer, kernel
 *     route, egress table, refused for covering an endpoint): this file;
 *   - which kernel routes are ours (fwd/ledger.h): a create with
 *     NLM_F_EXCL unless the kernel holds ours, a replace or delete only
 *     then, a create answered EEXIST refused (a foreign route with the same
 *     table, destination and metric) until a route event says it went, a
 *     route of ours replaced by someone else given up, and after a restart
 *     only the nexthop objects the recorded ledger lists, and the routes
 *     of ours through them, adopted; which ids are in that ledger;
 *   - executed by wgglue/kroute*.c: the netlink requests (batched, their
 *     answers matched back), the dumps that adoption reads, the route
 *     events of others, the ledger file (fwd/ledger.h's format), and the
 *     compact table and refused list that hold the entries' FWD_KR_*
 *     states;
 *   - which allowed IPs are ours, per prefix (fwd_aip_plan in
 *     fwd/ledger.h): one the journal does not record is never moved or
 *     removed, and a learned prefix equal to it is a conflict; a move is
 *     one add; an adopted one is held until the grace period ends;
 *   - executed by wgglue/reconcile.c and wgglue/state.c: the model of the
 *     device, the batched UAPI/genetlink writes, the journal file;
 *   - when: the daemon's timers and signals say when the grace period
 *     after a restart ends and when the daemon stops (daemon/main.c
 *     on_grace_over, shutdown_daemon); what goes then is what the rules
 *     above decide (fwd_kr_sweep_takes and fwd_aip_plan in fwd/ledger.h:
 *     adopted and not relearned; at a stop, everything of ours unless
 *     keep-routes-on-exit), executed by kroute_grace_over/kroute_flush
 *     and the reconciler.
 * daemon/fib.c drives both: plane writes go to wgglue/reconcile.h and
 * wgglue/kroute.h.
 *
 * Pure: no I/O, no clock, no globals. Not thread-safe.
 */
#ifndef WGB_FWD_PLANE_H
#define WGB_FWD_PLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/endpoints.h"
#include "wgglue/hmap.h"
#include "wgglue/kroute.h"
#include "wgglue/wg.h"

enum fwd_log_level {
	FWD_LOG_WARNING = 4,
	FWD_LOG_INFO = 6,
	FWD_LOG_DEBUG = 7,
};

/* What the plane writes. Every callback may be NULL. */
struct fwd_ops {
	void *ctx;
	/* The prefix's allowed IP is to be on PEER of the WireGuard
	 * interface IFINDEX (a move when another peer holds it). */
	void (*aip_set)(void *ctx, unsigned ifindex, const struct wg_prefix *p,
			const struct wg_key *peer);
	/* ... on no peer of IFINDEX any more. */
	void (*aip_unset)(void *ctx, unsigned ifindex,
			  const struct wg_prefix *p);
	/* The kernel route to P is to be NH (created or replaced). */
	void (*route_set)(void *ctx, const struct wg_prefix *p,
			  const struct kroute_nexthop *nh);
	/* ... is to go. */
	void (*route_unset)(void *ctx, const struct wg_prefix *p);
	/* The route to P in the egress table is to be NH; ... is to go. */
	void (*egress_set)(void *ctx, const struct wg_prefix *p,
			   const struct kroute_nexthop *nh);
	void (*egress_unset)(void *ctx, const struct wg_prefix *p);
	/* A decision worth a log line; MSG is a line without newline. */
	void (*log)(void *ctx, int level, const char *msg);
};

/* A selected route's next hop. */
struct fwd_nexthop {
	unsigned ifindex;
	/* On a WireGuard interface: the neighbour's Babel address (it names
	 * the peer). Elsewhere: the gateway of the kernel route. */
	struct fwd_addr addr;
};

/* One peer of a WireGuard device: a Babel address it holds. A peer with
 * an IPv6 and an IPv4 Babel address is two entries. */
struct fwd_peer {
	struct fwd_addr addr;
	struct wg_key key;
};

enum {
	FWD_R_AIP = 1u << 0,		/* aip_set went out, to a known peer */
	FWD_R_KERNEL = 1u << 1,		/* route_set went out */
	FWD_R_COVERS_EP = 1u << 2,	/* refused: covers an endpoint */
	FWD_R_EGRESS = 1u << 3,		/* egress_set went out */
	FWD_R_EGRESS_EP = 1u << 4,	/* in the egress table: covers one */
};

/* One selected route through WireGuard, as the plane keeps it: 6 bytes
 * beside its prefix. Its next hop is shared with the other routes through
 * the same neighbour (fwd_route_nexthop): 24 bytes in each route were
 * 2.4 MB at 100,000 routes. */
struct fwd_route {
	uint16_t nh;			/* index into fwd.nhs */
	uint16_t metric;
	uint8_t flags;			/* FWD_R_* */
};

/* A next hop of routes through WireGuard (addr: the peer's Babel
 * address), and how many routes use it; a slot with none is free. */
struct fwd_nh {
	struct fwd_nexthop nh;
	uint32_t refs;
};

/* Distinct next hops in use at once (fwd_route.nh is 16 bits). */
#define FWD_MAX_NEXTHOPS 65535

struct fwd_iface {
	unsigned ifindex;
	bool wireguard;
	bool no_egress;			/* fwd_iface_egress(false) */
	struct wg_hmap peers;		/* struct fwd_addr -> struct wg_key */
};

#define FWD_MAX_IFACES 64

struct fwd {
	struct fwd_ops ops;
	struct wg_hmap routes;		/* WireGuard: wg_prefix -> fwd_route */
	struct fwd_nh *nhs;		/* the routes' next hops */
	size_t n_nhs, cap_nhs, n_nhs_free;
	struct wg_hmap nh_idx;		/* struct fwd_nexthop -> uint16_t */
	struct fwd_iface ifaces[FWD_MAX_IFACES];
	size_t n_ifaces;
	struct fwd_endpoints eps;
	/* Prefixes refused a kernel route, and the endpoint each covers. */
	struct wg_hmap covers_ep;	/* struct wg_prefix -> fwd_addr */
	/* Prefixes in the egress table because they cover an endpoint. */
	struct wg_hmap egress_ep;	/* struct wg_prefix -> fwd_addr */
	bool egress;			/* fwd_egress_enable */
	size_t n_egress;		/* routes with FWD_R_EGRESS */
};

void fwd_init(struct fwd *f, const struct fwd_ops *ops);
/* Frees memory only: nothing is written. */
void fwd_free(struct fwd *f);

/* Egress routing on or off (before the first route; off after fwd_init). */
void fwd_egress_enable(struct fwd *f, bool on);
/* Whether routes through WireGuard interface IFINDEX may go into the
 * egress table (true after fwd_iface_set): false when its fwmark cannot
 * keep WireGuard's own packets out of it. A change re-decides the
 * interface's routes (one walk); returns 1 when it changed, else 0. */
int fwd_iface_egress(struct fwd *f, unsigned ifindex, bool ok);

/* An interface Babel runs on (again); -ENOSPC past FWD_MAX_IFACES. */
int fwd_iface_set(struct fwd *f, unsigned ifindex, bool wireguard);
/* It stopped: its peers are forgotten. The engine withdraws its routes
 * itself (fwd_route_unset); they need no allowed-IP write any more. */
void fwd_iface_del(struct fwd *f, unsigned ifindex);

/*
 * The peers of WireGuard interface IFINDEX after a read of the device
 * (all of them, any order). When a Babel address appeared or moved to
 * another key, the routes through that interface are walked once and
 * their allowed IPs set on the peer that now holds the address: O(routes)
 * only when the peers changed, O(peers) otherwise. Returns 1 when the
 * peers changed, 0 when not, -ENOMEM (nothing changed).
 */
int fwd_peers_set(struct fwd *f, unsigned ifindex,
		  const struct fwd_peer *list, size_t n);

/* The WireGuard endpoints of every peer of ours (any order). A refused
 * prefix that covers none any more gets its kernel route; a route that
 * now covers one is taken out (found by a lookup per prefix length of
 * each endpoint, not by a walk). 1: the set changed, 0: not, -ENOMEM. */
int fwd_endpoints_set(struct fwd *f, const struct fwd_addr *list, size_t n);

/* The engine selected NH for P (new route or another next hop); -ENODEV
 * (and P's old writes undone) when Babel does not run on NH's interface,
 * -ENOSPC (nothing changed) when it would be a next hop through WireGuard
 * past FWD_MAX_NEXTHOPS. */
int fwd_route_set(struct fwd *f, const struct wg_prefix *p,
		  const struct fwd_nexthop *nh, uint16_t metric);
/* P has no route any more. */
void fwd_route_unset(struct fwd *f, const struct wg_prefix *p);

/* Reading the plane (show commands): the routes through WireGuard.
 * Iteration as wg_hmap_next; no change to the plane while iterating. */
const struct fwd_route *fwd_route_next(const struct fwd *f, size_t *it,
				       const struct wg_prefix **p);
const struct fwd_route *fwd_route_find(const struct fwd *f,
				       const struct wg_prefix *p);
/* R's next hop (interface, the neighbour's Babel address). */
const struct fwd_nexthop *fwd_route_nexthop(const struct fwd *f,
					    const struct fwd_route *r);
/* Whether IFINDEX is a WireGuard interface the plane knows. */
bool fwd_iface_wireguard(const struct fwd *f, unsigned ifindex);
/* The peer whose Babel address is R's next hop; false when none (yet). */
bool fwd_route_peer(const struct fwd *f, const struct fwd_route *r,
		    struct wg_key *key);
/* The kernel route R is to have ("dev wgX"). */
void fwd_route_kernel_nh(const struct fwd *f, const struct fwd_route *r,
			 struct kroute_nexthop *nh);
/* Prefixes refused a kernel route because they cover an endpoint. */
size_t fwd_covers_ep_count(const struct fwd *f);
const struct fwd_addr *fwd_covers_ep_next(const struct fwd *f, size_t *it,
					  const struct wg_prefix **p);
/* Routes through WireGuard. */
size_t fwd_wg_route_count(const struct fwd *f);
/* Routes in the egress table. */
size_t fwd_egress_count(const struct fwd *f);

#endif
