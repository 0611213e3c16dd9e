/* SPDX-License-Identifier: MIT */
/*
 * proto/babel.h — the Babel routing engine (RFC 8966, with the RTT extension
 * of RFC 9616 and source-specific routing of RFC 9079).
 *
 * The engine is pure: it does no I/O, never reads a clock and has no
 * globals. The daemon feeds it received datagrams, interface and peer events
 * and the current time (always a uint64_t in microseconds, from a monotonic
 * clock); the engine answers through callbacks: datagrams to send, FIB
 * changes, seqno to persist. babel_run() fires due timers and returns the
 * next deadline, so the caller sleeps until then or until a packet arrives.
 *
 * No pointer leaks out as an identifier: introspection hands back plain
 * structs (ifindex + address name a neighbour, prefix + src_prefix a route).
 *
 * Rule for prefixes we originate (as babeld): an originated prefix is always
 * announced with our router-id and seqno; routes learned for the same
 * (prefix, src_prefix) are kept as candidates (visible in introspection, and
 * they keep their sources/feasibility state) but are never selected nor
 * installed while we originate it. When we withdraw it, the best learned
 * candidate is selected at once (fib_change with old = NULL). Anycast (the
 * same prefix originated by several routers) needs no special case: each
 * origin has its own router-id, so each is its own source.
 *
 * Loop freedom: the feasibility condition (§3.5.1) holds per source, so
 * routes of one origin never form a loop, also transiently. Between
 * sources of an anycast prefix, two routers switching at the same moment on
 * stale announcements can loop until the next update reaches them; the
 * engine narrows this (poisoned reverse while a change is fresh, urgent
 * updates sent twice, 300 ms apart) but cannot exclude it. A restarted
 * router has lost its feasibility distances: its neighbours drop what it
 * announced before (they see its Hello seqno jump) and it selects nothing
 * for startup_hold_ms from its first interface, and on until its
 * neighbours' links are up (at most startup_hold_max_ms). A router that
 * announced its restart (babel_shutdown_restart) kept its routes installed and forwarding, so
 * its neighbours keep what it announced: they hold their feasibility
 * distances, so a route it selects afterwards through one of them that
 * leads back to it comes back to them worse than their distance, is
 * unfeasible there, and cannot close a loop that lasts.
 */
#ifndef WGB_PROTO_BABEL_H
#define WGB_PROTO_BABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct babel;

/* A neighbour as the FIB sees it: the interface and its Babel address. For a
 * WireGuard interface the daemon maps addr to the peer that owns it. via is
 * the gateway for a kernel route: addr itself, except for an IPv6 prefix
 * learned from a neighbour heard over IPv4, which has no IPv6 gateway in
 * addr: via is then the IPv6 next hop it announced (§4.6.9). */
struct babel_nexthop {
	unsigned ifindex;
	struct babel_addr addr;
	struct babel_addr via;
};

enum babel_iface_type {
	BABEL_IFACE_WIRED = 0,
	BABEL_IFACE_WIRELESS,
	BABEL_IFACE_TUNNEL,
	BABEL_IFACE_WIREGUARD,
};

/* Link cost computation, RFC 8966 Appendix A. */
enum babel_link_cost {
	BABEL_LINK_COST_DEFAULT = 0,	/* ETX for wireless, 2-out-of-3 otherwise */
	BABEL_LINK_COST_2OF3,		/* Appendix A.2.1 */
	BABEL_LINK_COST_ETX,		/* Appendix A.2.2 */
};

/* Which transport Babel speaks on a link (RFC 8966 §4: IPv6 link-local
 * and/or IPv4). The default is IPv6, which carries IPv4 routes too. */
enum babel_transport {
	BABEL_TRANSPORT_IPV6 = 0,
	BABEL_TRANSPORT_IPV4,
	BABEL_TRANSPORT_BOTH,
};

enum babel_tristate {
	BABEL_DEFAULT = 0,	/* depends on the interface type */
	BABEL_OFF,
	BABEL_ON,
};

/* Datagrams the engine sends are at most 1232 bytes (IPv6 minimum MTU less
 * the IPv6 and UDP headers), so they fit every link, WireGuard included. */
struct babel_iface_config {
	enum babel_iface_type type;
	uint32_t hello_interval_ms;	/* 0: babel_config's default */
	uint32_t update_interval_ms;	/* 0: babel_config's default */
	uint16_t rxcost;		/* 0: 96 (256 for wireless) */
	enum babel_link_cost link_cost;
	/* RFC 9616 timestamps and RTT cost; DEFAULT = on for tunnel and
	 * wireguard, off otherwise. 0 in the numbers below means the RFC's
	 * defaults: rtt-min 10 ms, rtt-max 120 ms, max-rtt-penalty 150. */
	enum babel_tristate rtt;
	uint32_t rtt_min_ms;
	uint32_t rtt_max_ms;
	uint16_t max_rtt_penalty;
	/* Split horizon (§3.7.4); DEFAULT = on except for wireless. */
	enum babel_tristate split_horizon;
	/* No multicast on this link (WireGuard): the daemon registers every
	 * peer's Babel address with babel_iface_add_peer() and the engine sends
	 * Hellos (with the Unicast flag, §3.4.1), IHUs, updates and requests
	 * by unicast to each of them. */
	bool unicast_only;
	/* Our own addresses on this link, announced as next hop: an IPv6
	 * link-local (af INET6) and/or an IPv4 address (af INET); af NONE when
	 * absent. Packets are sent from the link-local by the daemon. */
	struct babel_addr ll6;
	struct babel_addr v4;
	/*
	 * Multicast links: Hellos, updates and requests to everyone go to
	 * ff02::1:6 (from ll6) and/or 224.0.0.111 (from v4, send callback
	 * with dst = BABEL_MCAST_V4). A neighbour heard over IPv4 is its own
	 * neighbour (§3.2.3: interface and address). Over IPv4, IPv4 routes
	 * take the source as next hop and IPv6 routes carry a Next Hop TLV
	 * with ll6; without ll6 they are not sent over IPv4, as a receiver
	 * must ignore an Update with no next hop for its family (§4.6.9).
	 * Unicast-only links: the families of the registered peers decide.
	 */
	enum babel_transport transport;
	/*
	 * Fast failure detection (neighbour.c): a neighbour that is the next
	 * hop of a selected route gets an Ack Request (§3.3, §4.6.3) at the
	 * end of every fast_probe_ms interval in which nothing was heard
	 * from it, and is lost (BABEL_LOSS_PROBE) after fast_probe_misses
	 * such intervals in a row. 0: 100 ms and 9 misses (lost 0.9-1.0 s
	 * after it went silent) on unicast_only links, off elsewhere;
	 * BABEL_NO_FAST_PROBE: off. The interval stretches when more
	 * neighbours are probed than babel_config.fast_probe_rate allows.
	 */
	uint32_t fast_probe_ms;
	uint8_t fast_probe_misses;
};
#define BABEL_NO_FAST_PROBE UINT32_MAX

struct babel_config {
	uint8_t router_id[8];
	uint16_t seqno;			/* starting seqno (saved state) */
	uint32_t hello_interval_ms;	/* 0: 4000 */
	uint32_t update_interval_ms;	/* 0: 4 * hello interval */
	/* Route limits; 0 = unlimited. At the limit an update for a new
	 * (prefix, neighbour) is refused and counted (refused_routes), and
	 * logged at most once a minute; existing routes are kept and keep
	 * being updated. Retracted routes count until they expire. */
	uint32_t max_routes_per_neighbour;
	uint32_t max_routes;
	/* Hysteresis (§3.6): the metric of every route is smoothed with this
	 * half-life (0: 4000; BABEL_NO_SMOOTHING disables). A route replaces
	 * the selected one when it is better both in metric and in smoothed
	 * metric, or at once when it is better by at least switch_threshold
	 * (0: 128). */
	uint32_t smoothing_half_life_ms;
	uint16_t switch_threshold;
	/* Pacing of full updates (periodic ones, and a neighbour's table):
	 * a dump sends at most this many Updates a millisecond (0: 1000),
	 * and at most unicast_burst (0: 250) on a unicast_only interface,
	 * where each Update crosses a tunnel to one peer. See output.c. */
	uint32_t update_burst;
	uint32_t unicast_burst;
	/* The periodic full update of a large table: its interval is the
	 * interface's update interval times (Updates a dump sends there /
	 * update_scale_entries) when that is more than 1, at most 8 times
	 * and 655 s (0: 12,500; BABEL_NO_UPDATE_SCALE: never scaled). A dump
	 * sends the table's entries once on a multicast interface, once to
	 * each registered peer on a unicast_only one. See babel.c. */
	uint32_t update_scale_entries;
	/* How long a source (feasibility distance) is kept after its last
	 * update (0: 180 s, babeld's value). */
	uint32_t source_gc_ms;
	/* From Babel's start on its first interface (babel_iface_add) no
	 * learned route is selected for this long (0: 1000 ms;
	 * BABEL_NO_HOLD: none). A restarted router has lost its
	 * feasibility distances; its first Hello makes the neighbours drop
	 * the routes it announced in its previous life (they see its Hello
	 * seqno jump), and the hold lets that Hello arrive before we route
	 * through anyone, so no loop forms through stale announcements. */
	uint32_t startup_hold_ms;
	/* The hold goes on past startup_hold_ms while a neighbour we know
	 * of (a registered peer, or one heard from) has no working link
	 * yet, or a WireGuard interface has no peer registered yet, up to
	 * this long after that start (0: 3000 ms): routes are
	 * selected once with every neighbour's, not first through the
	 * neighbours that answered first (see babel.c). */
	uint32_t startup_hold_max_ms;
	/* Act as a router that does not implement source-specific routing:
	 * an Update, Route Request or Seqno Request carrying a Source Prefix
	 * sub-TLV (RFC 9079 §7.1, mandatory bit set) is parsed, then ignored
	 * whole as RFC 8966 §4.4 has such a router do, and counted
	 * (source_specific_ignored). No source-specific route is then
	 * learned, selected, requested or announced, and babel_originate()
	 * refuses a source prefix. For a FIB that routes by destination only:
	 * announcing what it cannot install would attract traffic it then
	 * forwards by destination. */
	bool ignore_source_specific;
	/*
	 * Stable choice (for egress anycast; not in RFC 8966): for a default
	 * route (0.0.0.0/0, ::/0) and the prefixes cb.stable marks, a
	 * selected route that stays usable is left only for one better by at
	 * least stable_margin (in metric) all through stable_hold_ms; one
	 * that fails (retracted, infinite, unfeasible, its neighbour lost) is
	 * replaced at once. Every move of a default route breaks the NAT'd
	 * flows through the exit it left, so a slightly nearer exit is not
	 * worth it. stable_hold_ms 0: off, Babel's usual selection (§3.6).
	 */
	uint16_t stable_margin;
	uint32_t stable_hold_ms;
	/* At most this many neighbours are probed fast at once (0: 32), the
	 * first ones to become next hops; the bound on what fast detection
	 * costs a router with many peers (neighbour.c). */
	uint32_t fast_probe_max;
	/* The probe budget: at most this many probe intervals elapse a
	 * second over all probed neighbours (0: 160); with more neighbours
	 * than fast_probe_rate x fast_probe_ms / 1000 each one's interval
	 * stretches to nfast / fast_probe_rate seconds (neighbour.c). */
	uint32_t fast_probe_rate;
};
#define BABEL_NO_SMOOTHING UINT32_MAX
#define BABEL_NO_HOLD UINT32_MAX
#define BABEL_NO_UPDATE_SCALE UINT32_MAX

enum babel_log_level { BABEL_LOG_ERR, BABEL_LOG_WARN, BABEL_LOG_INFO, BABEL_LOG_DEBUG };

/* Why a neighbour that was alive was lost (babel_callbacks.neigh_lost,
 * babel_counters.neighbours_lost). */
enum babel_neigh_loss {
	BABEL_LOSS_HELLO_TIMEOUT = 0,	/* no Hello in 16 intervals (App. A.1) */
	BABEL_LOSS_UNREACHABLE,		/* babel_neigh_unreachable (ICMP) */
	BABEL_LOSS_IFACE_DOWN,		/* its interface went down or away */
	BABEL_LOSS_PEER_REMOVED,	/* babel_iface_del_peer */
	BABEL_LOSS_PROBE,		/* fast probes unanswered (fast_probe_ms) */
	BABEL_LOSS_MAX,
};

/* "hello-timeout", "unreachable", "interface-down", "peer-removed",
 * "probe". */
const char *babel_neigh_loss_name(enum babel_neigh_loss cause);

/* What happened to a route candidate, a neighbour or an originated prefix:
 * babeld's add/change/flush (babel_callbacks.route_event and friends). */
enum babel_event { BABEL_EVENT_ADD = 0, BABEL_EVENT_CHANGE, BABEL_EVENT_FLUSH };

struct babel_route_info;
struct babel_neighbour_info;
struct babel_xroute_info;

struct babel_callbacks {
	void *ctx;
	/* Send a datagram on ifindex, to dst (unicast, or the IPv4 group
	 * BABEL_MCAST_V4 as an AF_INET babel_addr) or to the IPv6 Babel
	 * multicast group when dst is NULL. buf is valid only for the call. */
	void (*send)(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		     const uint8_t *buf, size_t len);
	/* The selected route for (prefix, src_prefix) changed. src_prefix is
	 * NULL for a plain destination route. old NULL: new route; new NULL:
	 * route lost; both: the selected neighbour changed (one call, so the
	 * daemon can move a WireGuard allowed-IP atomically). metric is the
	 * new route's (BABEL_INFINITY when lost); a metric change that keeps
	 * the neighbour is not reported (babel_route_selected() has it). */
	void (*fib_change)(void *ctx, const struct babel_prefix *prefix,
			   const struct babel_prefix *src_prefix,
			   const struct babel_nexthop *old_nh,
			   const struct babel_nexthop *new_nh, uint16_t metric);
	/* Optional: a neighbour that was alive (a Hello in its window) is
	 * lost, and why; its routes are already retracted or moved. */
	void (*neigh_lost)(void *ctx, unsigned ifindex,
			   const struct babel_addr *addr,
			   enum babel_neigh_loss cause);
	/* Persist (router_id, seqno); called whenever our seqno changes. */
	void (*save_state)(void *ctx, const uint8_t router_id[8], uint16_t seqno);
	/* Optional. */
	void (*log)(void *ctx, enum babel_log_level level, const char *msg);
	/*
	 * Optional route filters (NULL: everything allowed, at no cost).
	 * Each returns the metric to add (>= 0; the sum saturates at
	 * BABEL_INFINITY) or -1 to deny. src_prefix is NULL for a plain
	 * destination route.
	 *
	 * filter_in is asked for every finite Update from a neighbour (its
	 * link-local address on ifindex) with the metric as announced. A
	 * denied update counts as a retraction of that prefix by that
	 * neighbour: no route is created, an existing one goes to infinity
	 * and is dropped as retracted routes are. The added metric is added
	 * to the route's metric (refmetric + add + link cost); feasibility is
	 * still judged on the announced metric, as babeld does.
	 *
	 * filter_out is asked for every finite Update about to be written on
	 * ifindex, with the metric we would announce. Denied: a periodic or
	 * requested update is not sent there and a triggered one goes out as
	 * a retraction, so neighbours that had the route drop it.
	 *
	 * A changed filter (e.g. a reloaded configuration) takes effect with
	 * the next update in each direction.
	 */
	int (*filter_in)(void *ctx, const struct babel_prefix *prefix,
			 const struct babel_prefix *src_prefix, unsigned ifindex,
			 const struct babel_addr *neighbour, uint16_t metric);
	int (*filter_out)(void *ctx, const struct babel_prefix *prefix,
			  const struct babel_prefix *src_prefix, unsigned ifindex,
			  uint16_t metric);
	/*
	 * Optional events for monitors, as babeld's local_notify_*(): called
	 * at the change, while babel_set_events(b, true) (off by default: no
	 * cost at all when nobody watches). The info is the state after the
	 * change (before it for a flush) and valid only for the call; the
	 * callback must not call back into the engine except introspection.
	 *
	 * route_event: a candidate is learned (add), its seqno, refmetric,
	 * router-id or selection changes, it is retracted (change), or it
	 * is dropped (flush). A metric change that comes from its
	 * neighbour's link cost is not a route event: the neighbour's
	 * change event carries the new cost (babeld writes one line per
	 * route then; 100,000 of them per RTT wobble would drown a monitor).
	 * neigh_event: a neighbour appears, its link cost changes, it is
	 * dropped (after its routes). xroute_event: babel_originate() of a
	 * new prefix or a new metric, babel_withdraw()/babel_shutdown().
	 */
	void (*route_event)(void *ctx, enum babel_event ev,
			    const struct babel_route_info *r);
	void (*neigh_event)(void *ctx, enum babel_event ev,
			    const struct babel_neighbour_info *n);
	void (*xroute_event)(void *ctx, enum babel_event ev,
			     const struct babel_xroute_info *x);
	/* Optional: whether PREFIX (not a default route, which always is)
	 * has the stable choice of babel_config.stable_hold_ms. Asked at
	 * each selection of its entry; must be cheap. */
	bool (*stable)(void *ctx, const struct babel_prefix *prefix);
};

/* Returns NULL on allocation failure or a NULL send/fib_change callback. */
struct babel *babel_new(const struct babel_config *cfg,
			const struct babel_callbacks *cb, uint64_t now_us);
void babel_free(struct babel *b);
/* Turn the route/neigh/xroute event callbacks on (a monitor is watching)
 * or off. */
void babel_set_events(struct babel *b, bool on);

/* Interfaces. Return 0 or a negative errno (-EEXIST, -ENOENT, -EINVAL,
 * -ENOMEM). An interface starts up. */
int babel_iface_add(struct babel *b, unsigned ifindex,
		    const struct babel_iface_config *cfg, uint64_t now_us);
int babel_iface_del(struct babel *b, unsigned ifindex, uint64_t now_us);
/* Down: its neighbours and their routes are dropped, nothing is sent. */
int babel_iface_set_up(struct babel *b, unsigned ifindex, bool up,
		       uint64_t now_us);
/* unicast_only interfaces: the peers to talk to. */
int babel_iface_add_peer(struct babel *b, unsigned ifindex,
			 const struct babel_addr *addr, uint64_t now_us);
int babel_iface_del_peer(struct babel *b, unsigned ifindex,
			 const struct babel_addr *addr, uint64_t now_us);

/* A datagram received on ifindex from src (a link-local or IPv4 address)
 * sent to dst (our address or the multicast group; NULL = unknown). The
 * packet is parsed whole and then applied. Returns 0, or -EBADMSG for a
 * datagram that is not Babel (counted), -ENOENT for an unknown interface. */
int babel_receive(struct babel *b, unsigned ifindex,
		  const struct babel_addr *src, const struct babel_addr *dst,
		  const uint8_t *buf, size_t len, uint64_t now_us);
/* The same, for a datagram the kernel received at RX_US (at most NOW_US;
 * its socket timestamp, on the same clock): RFC 9616 RTT samples use it
 * as the receive time of Hellos and IHUs, so that a wait in the socket
 * buffer or for the CPU is not counted as delay on the link. */
int babel_receive_at(struct babel *b, unsigned ifindex,
		     const struct babel_addr *src, const struct babel_addr *dst,
		     const uint8_t *buf, size_t len, uint64_t now_us,
		     uint64_t rx_us);

/* The neighbour at addr on ifindex is gone now (the daemon saw an ICMP
 * port unreachable from it for the Babel port): handled as if its Hellos had
 * timed out (RFC 8966 Appendix A.1): its routes fail over to other
 * neighbours or are retracted, and it is forgotten (a unicast_only peer is
 * kept, without routes, until it speaks again). Returns 0, 1 when that
 * neighbour was already dropped and has not been heard since (nothing
 * changes), 2 when it announced a restart that is not yet due
 * (babel_shutdown_restart; nothing changes), or -ENOENT when no such
 * neighbour exists on that interface (nothing changes). */
int babel_neigh_unreachable(struct babel *b, unsigned ifindex,
			    const struct babel_addr *addr, uint64_t now_us);

/* The daemon has other evidence that the neighbour at addr on ifindex is
 * alive now (its WireGuard peer's rx counter rose): counts as a packet
 * heard from it for fast failure detection. It cannot prove the contrary:
 * only missed probes or Hellos lose a neighbour. Returns 0 or -ENOENT. */
int babel_neigh_heard(struct babel *b, unsigned ifindex,
		      const struct babel_addr *addr, uint64_t now_us);

/* Fire every timer due at now_us and flush pending output. Returns the next
 * deadline (absolute, µs); UINT64_MAX when nothing is scheduled. */
uint64_t babel_run(struct babel *b, uint64_t now_us);

/*
 * Many changes in a row (a kernel table read by "redistribute"): between
 * babel_batch_begin() and babel_batch_end() the updates the calls trigger
 * are packed into full datagrams, not sent at the end of each call (one
 * datagram per originated prefix: 100,000 of them in 3 s, most lost in
 * the receiver's socket buffer). Pairs nest; the outermost end sends.
 */
void babel_batch_begin(struct babel *b);
void babel_batch_end(struct babel *b);

/* Originate (or change the metric of) a prefix, optionally source-specific.
 * Returns 0, -EINVAL (bad prefix), -ENOMEM, -EOPNOTSUPP (a source prefix
 * with ignore_source_specific). */
int babel_originate(struct babel *b, const struct babel_prefix *prefix,
		    const struct babel_prefix *src_prefix, uint16_t metric,
		    uint64_t now_us);
/* Stop originating: a retraction is sent. -ENOENT when not originated. */
int babel_withdraw(struct babel *b, const struct babel_prefix *prefix,
		   const struct babel_prefix *src_prefix, uint64_t now_us);
/*
 * The start of a planned stop (the daemon's shutdown delay): from now on
 * nothing finite is announced. Every originated prefix is retracted by name
 * and everything else by one wildcard retraction (§4.6.9); Hellos, IHUs
 * and the routes in the FIB go on, so traffic already on its way through
 * us is still forwarded while neighbours move. Calling it again repeats
 * the retractions (a lost packet must not leave a neighbour on us).
 */
void babel_retire(struct babel *b, uint64_t now_us);
/*
 * The end: retract every originated prefix and everything else again, and
 * send a last Hello with a short interval (BABEL_GOODBYE_HELLO_CS) so that
 * neighbours drop us at once, as babeld does on exit: babeld and FRR keep
 * a retracted route as an unreachable one until it expires or its
 * neighbour is lost. 1 cs as babeld 1.12's last Hello: babeld loses a
 * neighbour once 16 Hellos are missed, 0.16 s at that interval (1.6 s at
 * babeld 1.13's 10 cs). Nothing is sent afterwards.
 */
#define BABEL_GOODBYE_HELLO_CS 1
void babel_shutdown(struct babel *b, uint64_t now_us);
/*
 * The end of an instance that leaves its routes installed to be adopted
 * by the next one (the daemon's keep-routes-on-exit): nothing is
 * retracted and no goodbye is said, since the kernel keeps forwarding as
 * announced. One Hello per neighbour (or per multicast interface) at the
 * usual interval carries a Restart sub-TLV (BABEL_SUBTLV_RESTART, not
 * standard) saying we mean to be heard again within back_ms: a wgbabeld
 * neighbour then loses us neither on the ICMP port unreachable of the gap
 * nor on missed fast probes until that time has passed, and takes the new
 * instance's Hello seqnos as ours (no restart flush, no reset of the link
 * cost). Other implementations skip the sub-TLV and, as for any silence,
 * keep us until their Hello timeout. Nothing is sent afterwards.
 */
void babel_shutdown_restart(struct babel *b, uint32_t back_ms, uint64_t now_us);

/* ---- introspection (control socket) ---- */

struct babel_neighbour_info {
	unsigned ifindex;
	struct babel_addr addr;
	uint16_t rxcost;		/* what we would send in an IHU */
	uint16_t txcost;		/* from its IHU */
	uint16_t cost;			/* link cost incl. RTT penalty */
	uint16_t rtt_penalty;
	uint32_t rtt_us;		/* smoothed RTT; 0 when unknown */
	bool rtt_valid;
	uint16_t mcast_history;		/* bit 15 = most recent Hello */
	uint16_t ucast_history;
	uint32_t routes;		/* routes learned from it */
	uint32_t selected;		/* selected routes through it */
	bool fast_probe;		/* probed fast (fast_probe_ms) */
	/* A next hop of selected routes while another neighbour has a working
	 * link: losing it soon moves traffic (what fast detection is for). */
	bool failover;
};

struct babel_route_info {
	struct babel_prefix prefix;
	bool has_src_prefix;
	struct babel_prefix src_prefix;
	struct babel_nexthop neighbour;
	/* As announced for an IPv6 prefix from a neighbour heard over IPv4
	 * (the only next hop the engine uses); otherwise the neighbour's
	 * address, where the route forwards to. */
	struct babel_addr next_hop;
	uint16_t metric;		/* refmetric + link cost, saturated */
	uint16_t refmetric;
	uint16_t smoothed_metric;
	uint16_t seqno;
	uint8_t router_id[8];
	bool feasible;
	bool selected;
	uint64_t expires_us;
};

struct babel_source_info {
	struct babel_prefix prefix;
	bool has_src_prefix;
	struct babel_prefix src_prefix;
	uint8_t router_id[8];
	uint16_t seqno;			/* feasibility distance (§3.5.1) */
	uint16_t metric;
	uint64_t expires_us;
};

struct babel_xroute_info {
	struct babel_prefix prefix;
	bool has_src_prefix;
	struct babel_prefix src_prefix;
	uint16_t metric;
};

struct babel_counters {
	struct babel_parse_stats parse;
	uint64_t packets_sent;
	uint64_t updates_received;
	uint64_t updates_sent;
	uint64_t dump_updates_sent;	/* of which in full dumps (periodic,
					 * new neighbour, wildcard request) */
	uint64_t redumps;		/* second copies of a new neighbour's
					 * first dump (a large table) */
	uint64_t unfeasible_updates;	/* accepted as unfeasible candidates */
	uint64_t refused_routes;	/* new routes refused at a route limit */
	uint64_t source_specific_ignored; /* TLVs (ignore_source_specific) */
	uint64_t seqno_requests_sent;	/* originated by starvation */
	uint64_t seqno_requests_forwarded;
	uint64_t seqno_requests_duplicate;
	uint64_t route_requests_received;
	uint64_t seqno_bumps;		/* own seqno increased on request */
	uint64_t neighbours_lost[BABEL_LOSS_MAX];	/* by cause */
	uint64_t fast_probes_sent;	/* Ack Requests (fast_probe_ms) */
	uint64_t fast_probe_refused;	/* times a next hop was left slow (fast_probe_max) */
	uint64_t restarts_announced;	/* Restart sub-TLVs heard (neighbour.c) */
	uint64_t restarts_resumed;	/* ... whose sender was heard in time */
	uint32_t fast_probed;		/* neighbours probed fast now */
	uint32_t neighbours;
	uint32_t prefixes;		/* (prefix, src_prefix) entries */
	uint32_t routes;		/* (prefix, neighbour) candidates */
	uint32_t selected;
	uint32_t sources;
	uint32_t xroutes;
	uint16_t seqno;			/* our current seqno */
	size_t mem_bytes;		/* bytes the engine holds (its own accounting) */
};

/* The foreach functions call fn for each item and stop early when fn
 * returns non-zero (which they then return); otherwise they return 0.
 * Routes come grouped by (prefix, src_prefix). */
typedef int (*babel_neighbour_fn)(void *ctx, const struct babel_neighbour_info *);
typedef int (*babel_route_fn)(void *ctx, const struct babel_route_info *);
typedef int (*babel_source_fn)(void *ctx, const struct babel_source_info *);
typedef int (*babel_xroute_fn)(void *ctx, const struct babel_xroute_info *);

int babel_foreach_neighbour(struct babel *b, babel_neighbour_fn fn, void *ctx);
int babel_foreach_route(struct babel *b, babel_route_fn fn, void *ctx);
/* Every candidate of one (prefix, src_prefix); -ENOENT when none. */
int babel_route_lookup(struct babel *b, const struct babel_prefix *prefix,
		       const struct babel_prefix *src_prefix,
		       babel_route_fn fn, void *ctx);
/*
 * The route whose prefix covers P most specifically (longest-prefix match;
 * destination routes only, as the FIB forwards by destination): P itself
 * when it has routes, else the longest shorter prefix that has. *MATCHED
 * is that prefix; fn gets every candidate, the selected one first.
 * -ENOENT when no prefix covers P.
 */
int babel_route_match(struct babel *b, const struct babel_prefix *p,
		      struct babel_prefix *matched, babel_route_fn fn,
		      void *ctx);

/*
 * Walking the routes in chunks (a dump that goes out as fast as a client
 * reads it). The cursor is a key, not a pointer: the position in an order
 * fixed by each (prefix, src_prefix)'s hash, so whatever is added or
 * deleted between two chunks, and however the table grows, every entry
 * present from the start to the end of the walk is visited exactly once,
 * its candidates together; one added or deleted meanwhile may or may not
 * be. Zero the cursor to start.
 */
struct babel_route_cursor {	/* also for babel_xroute_walk */
	uint32_t pos;			/* order key of the last entry walked */
	bool started, done;
	bool has_src;
	struct babel_prefix prefix, src_prefix;	/* that entry */
};
/* Walks entries after the cursor until fn has seen at least max_routes
 * routes (whole entries: one may go past) or the end; returns 1 at the
 * end (cur->done), 0 when more remain, or fn's non-zero value (the entry
 * fn stopped in is then not walked again: fn sees whole entries only when
 * it returns 0). */
int babel_route_walk(struct babel *b, struct babel_route_cursor *cur,
		     size_t max_routes, babel_route_fn fn, void *ctx);
/* The same over originated prefixes (a router may originate 100,000). */
int babel_xroute_walk(struct babel *b, struct babel_route_cursor *cur,
		      size_t max, babel_xroute_fn fn, void *ctx);
/* Whether the walk has gone past (prefix, src_prefix): an event about it
 * is news to a client that is shown the walk; one ahead of the cursor is
 * not (the walk will show its state when it gets there). */
bool babel_route_cursor_passed(struct babel *b,
			       const struct babel_route_cursor *cur,
			       const struct babel_prefix *prefix,
			       const struct babel_prefix *src_prefix);

int babel_foreach_source(struct babel *b, babel_source_fn fn, void *ctx);
int babel_foreach_xroute(struct babel *b, babel_xroute_fn fn, void *ctx);
void babel_get_counters(const struct babel *b, struct babel_counters *c);

/* The selected route of (prefix, src_prefix): 0 and *nh, *metric filled;
 * -ENOENT when there is none (originated prefixes included: they have no
 * next hop). */
int babel_route_selected(struct babel *b, const struct babel_prefix *prefix,
			 const struct babel_prefix *src_prefix,
			 struct babel_nexthop *nh, uint16_t *metric);

#endif
