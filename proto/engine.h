/* SPDX-License-Identifier: MIT */
/*
 * proto/engine.h — the engine's internal state, shared by its modules:
 * babel.c (lifecycle, interfaces, receive, timers), neighbour.c (Hellos,
 * IHUs, link cost, RTT), route.c (route table, sources, selection), xroute.c
 * (originated prefixes), output.c (packet buffers, updates, paced dumps),
 * request.c (route and seqno requests), introspect.c.
 */
#ifndef WGB_PROTO_ENGINE_H
#define WGB_PROTO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/babel.h"
#include "proto/heap.h"
#include "proto/htable.h"
#include "proto/list.h"
#include "proto/pool.h"
#include "proto/wire.h"

/* A datagram fits the IPv6 minimum MTU: 1280 - 40 (IPv6) - 8 (UDP). */
#define BABEL_PACKET_MAX 1232
#define BABEL_HOP_COUNT 64

enum babel_timer_kind {
	T_IFACE_HELLO,
	T_IFACE_UPDATE,
	T_IFACE_SWEEP,
	T_NEIGH_MC_HELLO,
	T_NEIGH_UC_HELLO,
	T_NEIGH_IHU,
	T_NEIGH_ROUTES,
	T_NEIGH_PROBE,
	T_NEIGH_REDUMP,
	T_ENTRY,
	T_REQUEST,
	T_PACE,
	T_STARTUP,
};

struct babel_obuf;

/* A paced full dump: a cursor over the route table's buckets. */
struct babel_dump {
	bool active;
	struct babel_iface *ifp;
	struct babel_neigh *nb;		/* NULL: the interface's periodic dump */
	uint32_t bucket;
	struct babel_list link;		/* in b->dumps while active */
};

struct babel_iface {
	struct babel_hnode hnode;	/* b->ifaces, key ifindex */
	struct babel_list link;		/* b->iface_list */
	unsigned ifindex;
	struct babel_iface_config cfg;
	bool up;
	bool rtt;
	bool split_horizon;
	uint32_t hello_us;
	uint32_t update_us;		/* now: scaled with the table (babel.c) */
	uint32_t update_base_us;	/* configured */
	uint32_t npeers;		/* registered peers (unicast_only) */
	uint16_t rxcost;
	uint32_t rtt_min_us, rtt_max_us;
	uint16_t max_rtt_penalty;
	uint32_t probe_us;		/* fast probe interval, 0: off */
	uint8_t probe_misses;
	uint16_t hello_seqno;		/* multicast Hellos */
	uint64_t last_prompt;		/* last out-of-schedule Hello */
	struct babel_timer hello_timer;
	struct babel_timer update_timer;
	/* A large full update on a unicast_only interface goes to one peer
	 * after the other, spread over the interval (babel.c). */
	struct babel_timer sweep_timer;
	uint32_t sweep_left;		/* peers still to be sent it */
	struct babel_list neighs;
	struct babel_obuf *mcast;	/* pending multicast datagram (IPv6) */
	struct babel_obuf *mcast4;	/* pending multicast datagram (IPv4) */
	struct babel_dump dump;		/* periodic multicast (or all-peer) dump */
};

struct babel_hello_hist {
	uint16_t history;
	uint16_t expected;
	uint16_t first;		/* seqno of the Hello that began the history */
	uint16_t interval_cs;
	bool valid;
	/* The neighbour announced a restart (BABEL_SUBTLV_RESTART): the
	 * next Hello begins the seqnos of its new instance, and the history
	 * goes on from it (no restart flush). */
	bool resync;
};

struct babel_neigh {
	struct babel_hnode hnode;	/* b->neighs, key (ifindex, addr) */
	struct babel_list iface_link;
	struct babel_iface *ifp;
	struct babel_addr addr;
	/* The same router's address of the other family, learned from the
	 * next hops it announces (an IPv6 prefix over IPv4 carries its IPv6
	 * link-local, an IPv4 one over IPv6 its IPv4 address): on a link
	 * with transport both it is one router heard as two neighbours. */
	struct babel_addr other_af;
	bool is_peer;			/* registered by babel_iface_add_peer */
	struct babel_hello_hist mc, uc;	/* §3.4.1: kept apart */
	struct babel_timer mc_timer, uc_timer;
	uint16_t uc_seqno;		/* our unicast Hellos to it */
	uint64_t last_prompt;		/* last out-of-schedule Hello */
	uint16_t txcost;		/* from its IHU, §3.4.2 */
	struct babel_timer ihu_timer;
	/* RFC 9616: the last timestamped Hello from it, echoed in our IHU. */
	bool have_ts;
	uint32_t ts_origin, ts_receive;
	bool rtt_valid;
	uint8_t rtt_samples;		/* since it (re)appeared: babel_rtt_update */
	uint32_t srtt;
	uint16_t cost;			/* cached link cost incl. RTT penalty */
	/* Its routes, oldest refresh first: the list is also the expiry queue. */
	struct babel_list routes;
	uint32_t nroutes;
	struct babel_timer routes_timer;
	struct babel_obuf *ucast;
	struct babel_dump dump;		/* unicast full dump (wildcard request) */
	/* The second copy of a large first dump (babel_receive). */
	struct babel_timer redump_timer;
	/* Fast failure detection (neighbour.c): selected routes through
	 * it, and the probe state while it is one of b->nfast. */
	uint32_t nselected;
	bool fast;
	bool heard;			/* a packet since the last probe tick */
	uint8_t misses;
	/* Damping (neighbour.c): it is lost after probe_misses << probe_damp
	 * silent intervals; probe_lost_us is when it was last lost by probe
	 * (0: not since it was last heard back), probe_damp_us when
	 * probe_damp last changed. */
	uint8_t probe_damp;
	uint64_t probe_lost_us, probe_damp_us;
	uint16_t probe_nonce;
	uint16_t txcost_ok;		/* its last finite IHU */
	struct babel_timer probe_timer;
	/* It announced a restart that keeps its forwarding state
	 * (BABEL_SUBTLV_RESTART): until then neither an ICMP unreachable nor
	 * missed probes lose it (0: no restart announced). */
	uint64_t restart_until;
};

/* A source of an entry and its feasibility distance (§3.5.1, §3.7.3). */
struct babel_source {
	uint8_t router_id[8];
	uint16_t seqno, metric;		/* feasibility distance */
	uint32_t time_ms;		/* last use (babel_ms32) */
};

/* A source beyond an entry's first (anycast, or a change of origin): in
 * b->source_tab keyed by its entry, so an entry holds no pointer. */
struct babel_source_node {
	struct babel_hnode hnode;
	struct babel_entry *e;
	struct babel_source s;
};

/*
 * Field order and widths below are a memory budget (issue 7: 100,000
 * prefixes in 20 MB); tests/engine/test_structs.c pins the sizes.
 * Stamps are ms modulo 2^32 (babel_ms32): a route is refreshed or expires
 * within its hold time, far less than the 24 days of half the wrap.
 */
struct babel_route {
	struct babel_route *next;	/* candidates of the entry */
	struct babel_list nlink;	/* neighbour's routes, refresh order */
	struct babel_entry *e;
	struct babel_neigh *nb;
	uint8_t router_id[8];
	uint16_t seqno;
	uint16_t refmetric;
	uint16_t smoothed;
	uint16_t add_metric;		/* from the in filter (babel.h) */
	uint32_t smoothed_ms;
	uint32_t expires_ms;		/* babel_route_expires */
	/*
	 * The announced next hop, stored only where it is used: an IPv6
	 * prefix from a neighbour heard over IPv4 (babel_route_nexthop). Such
	 * routes are allocated with room for it (babel_route_has_nexthop);
	 * every other route forwards to its neighbour's address.
	 */
	struct babel_addr nexthop[];
};

static inline uint32_t babel_ms32(uint64_t now_us)
{
	return (uint32_t)(now_us / 1000);
}

/* Microseconds since a babel_ms32() stamp. */
static inline uint64_t babel_since_ms32(uint64_t now_us, uint32_t stamp)
{
	return (uint64_t)(uint32_t)(babel_ms32(now_us) - stamp) * 1000;
}

/* A prefix we originate; its entry is marked originated (babel_xroute_find). */
struct babel_xroute {
	struct babel_hnode hnode;	/* b->xroute_tab, keyed by its entry */
	struct babel_list link;		/* b->xroutes */
	struct babel_entry *e;
	uint16_t metric;
};

struct babel_entry {
	struct babel_hnode hnode;	/* b->entries, key (prefix, src) */
	struct babel_route *routes;	/* the selected one first */
	struct babel_timer timer;	/* hysteresis re-check, urgent resend, source GC */
	struct babel_prefix prefix;
	uint16_t sent_seqno, sent_metric;
	bool sent : 1;			/* last advertisement was finite */
	bool sent_own : 1;		/* and made as the origin (babel_entry_sent_rid) */
	bool resend : 1;		/* an urgent update is sent twice */
	bool has_src : 1;		/* source-specific: src[0] follows */
	bool has_selected : 1;		/* routes is the selected route */
	bool originated : 1;		/* an xroute is in b->xroute_tab */
	bool has_source : 1;		/* source holds one */
	bool more_sources : 1;		/* and b->source_tab more */
	/* The selection moved to a neighbour that may still hold what we
	 * announced it before: poisoned reverse towards it (output.c). */
	bool poison : 1;
	/* Stable choice: a candidate is better by the margin, since the
	 * time kept in b->holds (route.c) */
	bool in_hold : 1;
	uint32_t changed_ms;		/* last change of selection (babel_ms32) */
	/* The first source inline: a prefix nearly always has exactly one.
	 * It is the one announced last (babel_source_note_sent). */
	struct babel_source source;
	/*
	 * RFC 9079 source prefix, present only in source-specific entries
	 * (allocated from their own pool): babel_entry_src().
	 */
	struct babel_prefix src[];
};

/* The entry's source prefix, NULL when it is not source-specific. */
static inline const struct babel_prefix *babel_entry_src(const struct babel_entry *e)
{
	return e->has_src ? &e->src[0] : NULL;
}

/* Walk an entry's sources: for (s = first(e); s; s = next(b, e, s)). */
static inline struct babel_source *babel_source_first(struct babel_entry *e)
{
	return e->has_source ? &e->source : NULL;
}

/* The selected route (the head of the candidates), or NULL. */
static inline struct babel_route *babel_entry_selected(const struct babel_entry *e)
{
	return e->has_selected ? e->routes : NULL;
}

/* Whether a route of e from nb has room for an announced next hop
 * (struct babel_route). */
static inline bool babel_route_has_nexthop(const struct babel_entry *e,
					   const struct babel_neigh *nb)
{
	return e->prefix.af == BABEL_AF_INET6 && nb->addr.af == BABEL_AF_INET;
}

struct babel_request {
	struct babel_hnode hnode;	/* b->requests, key (prefix, src) */
	struct babel_prefix prefix, src;
	uint8_t router_id[8];
	uint16_t seqno;
	uint8_t hop_count;
	uint8_t sends;			/* how many times sent */
	bool satisfied;			/* kept only to suppress duplicates */
	struct babel_neigh *to;		/* unicast target, NULL = all */
	uint64_t forwarded_at;		/* for duplicate suppression */
	struct babel_timer timer;
};

/* An entry with the stable choice whose candidate is better by the
 * margin, and since when (babel_ms32). Few: default routes, and the
 * prefixes the daemon marks, during a hold. */
struct babel_hold {
	struct babel_entry *e;
	uint32_t since_ms;
};

struct babel {
	struct babel_config cfg;
	struct babel_hold *holds;
	size_t n_holds, cap_holds;
	struct babel_callbacks cb;
	unsigned batch;			/* babel_batch_begin() depth */
	bool events;			/* babel_set_events() */
	uint8_t router_id[8];
	uint16_t seqno;
	uint64_t hash_seed;
	uint64_t now;
	/* When the datagram being handled arrived (babel_receive_at): the
	 * RTT's receive stamps, which the time it waited to be read must
	 * not inflate. */
	uint64_t rx;
	uint64_t half_life_us;
	size_t mem;
	/* entries, source-specific entries, routes, routes with a next hop,
	 * sources: most of the engine's memory (pool.h) */
	struct babel_pool entry_pool, entry_src_pool, route_pool, route_nh_pool,
		source_pool;
	struct babel_heap timers;
	struct babel_htable ifaces, neighs, entries, requests;
	struct babel_list xroutes;
	struct babel_htable xroute_tab;
	struct babel_htable source_tab;		/* babel_source_node */
	struct babel_list iface_list;
	bool shut;
	bool retiring;			/* babel_retire: announce nothing finite */
	struct babel_list dumps;
	struct babel_list pending;	/* obufs waiting to be sent */
	struct babel_timer pace;
	struct babel_timer startup;	/* end of the startup hold */
	uint64_t hold_until;
	uint64_t hold_max;		/* it waits for late links until then */
	uint64_t hold_start;
	bool hold_waited;		/* logged that it waits */
	bool had_iface;			/* the hold restarted at the first */
	uint32_t nroutes, nsources, nselected;
	uint32_t nfast;			/* neighbours probed fast */
	uint32_t nlinks;		/* neighbours with a finite link cost */
	struct babel_counters ctr;
	/* route limits: one log line per BABEL_LIMIT_LOG_US at most */
	bool limit_logged;
	uint64_t limit_log_us;
	uint64_t limit_refused_at_log;
	/* scratch for parse-then-apply */
	struct babel_tlv *tlvs;
	size_t ntlv_cap;
};

/* The router-id of the last finite announcement of e: ours when we
 * originated it, else its source, held inline. NULL if there was none. */
static inline const uint8_t *babel_entry_sent_rid(const struct babel *b,
						  const struct babel_entry *e)
{
	if (e->sent_own)
		return b->router_id;
	return e->has_source ? e->source.router_id : NULL;
}

/* babel.c */
void *babel_alloc(struct babel *b, size_t size);
void babel_dealloc(struct babel *b, void *p, size_t size);
void babel_logf(struct babel *b, enum babel_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct babel_iface *babel_iface_find(struct babel *b, unsigned ifindex);
struct babel_xroute *babel_xroute_find(struct babel *b, const struct babel_entry *e);
uint32_t babel_entry_ptr_hash(const struct babel *b, const struct babel_entry *e);
static inline uint32_t babel_us32(uint64_t now)
{
	return (uint32_t)now;
}

/* neighbour.c */
struct babel_neigh *babel_neigh_find(struct babel *b, unsigned ifindex,
				     const struct babel_addr *addr);
struct babel_neigh *babel_neigh_get(struct babel *b, struct babel_iface *ifp,
				    const struct babel_addr *addr, bool *created);
void babel_neigh_free(struct babel *b, struct babel_neigh *nb);
/* A Hello in either history's window (Appendix A.1). */
bool babel_neigh_alive(const struct babel_neigh *nb);
/* Its address as text (no prefix length), for log lines. */
void babel_neigh_addr_str(const struct babel_neigh *nb, char *buf, size_t len);
/* NB, alive until now, is lost for CAUSE: counted, and the daemon told. */
void babel_neigh_lost(struct babel *b, const struct babel_neigh *nb,
		      enum babel_neigh_loss cause);
uint32_t babel_neigh_hnode_hash(const struct babel_hnode *n, const void *b);
void babel_neigh_handle_hello(struct babel *b, struct babel_neigh *nb,
			      const struct babel_hello *h, uint64_t now);
void babel_neigh_handle_ihu(struct babel *b, struct babel_neigh *nb,
			    const struct babel_ihu *ihu,
			    const struct babel_hello *hello_in_packet, uint64_t now);
void babel_neigh_timer(struct babel *b, struct babel_timer *t, uint64_t now);
uint16_t babel_neigh_rxcost(const struct babel_neigh *nb);
void babel_neigh_update_cost(struct babel *b, struct babel_neigh *nb, uint64_t now);
/* Set nb's cached link cost (b->nlinks follows). */
void babel_neigh_set_cost(struct babel *b, struct babel_neigh *nb, uint16_t c);
void babel_neigh_flush_routes(struct babel *b, struct babel_neigh *nb, uint64_t now);
/* A selected route through nb appeared (+1) or went (-1): starts or stops
 * its fast probes. */
void babel_neigh_selected(struct babel *b, struct babel_neigh *nb, int delta,
			  uint64_t now);

/* route.c */
struct babel_entry *babel_entry_find(struct babel *b, const struct babel_prefix *p,
				     const struct babel_prefix *src);
struct babel_entry *babel_entry_get(struct babel *b, const struct babel_prefix *p,
				    const struct babel_prefix *src);
void babel_entry_maybe_free(struct babel *b, struct babel_entry *e);
uint32_t babel_entry_hnode_hash(const struct babel_hnode *n, const void *b);
uint32_t babel_source_hnode_hash(const struct babel_hnode *n, const void *b);
struct babel_source *babel_source_next(struct babel *b, struct babel_entry *e,
				       struct babel_source *s);
struct babel_source *babel_source_find(struct babel *b, struct babel_entry *e,
				       const uint8_t rid[8]);
uint16_t babel_route_metric(const struct babel_route *r);
/* What the FIB is told about a route: babel_nexthop in babel.h. */
void babel_route_nexthop(const struct babel_route *r, struct babel_nexthop *nh);
bool babel_route_feasible(struct babel *b, const struct babel_route *r);
uint16_t babel_route_smoothed(struct babel *b, struct babel_route *r, uint64_t now);
uint64_t babel_route_expires(const struct babel_route *r, uint64_t now);
void babel_route_handle_update(struct babel *b, struct babel_neigh *nb,
			       const struct babel_update *u, uint64_t now);
void babel_route_free(struct babel *b, struct babel_route *r, uint64_t now);
void babel_route_refresh_metric(struct babel *b, struct babel_route *r,
				uint16_t new_refmetric, uint64_t now);
void babel_entry_select(struct babel *b, struct babel_entry *e, uint64_t now);
void babel_entry_timer(struct babel *b, struct babel_entry *e, uint64_t now);
void babel_neigh_routes_timer(struct babel *b, struct babel_neigh *nb, uint64_t now);
void babel_source_note_sent(struct babel *b, struct babel_entry *e,
			    const uint8_t rid[8], uint16_t seqno, uint16_t metric,
			    uint64_t now);
/* The announcement of an entry: false when there is nothing to announce. */
bool babel_entry_advert(struct babel *b, struct babel_entry *e, uint8_t rid[8],
			uint16_t *seqno, uint16_t *metric);
void babel_seqno_bump(struct babel *b, uint16_t to, uint64_t now);

/* Whether a multicast link speaks Babel over transport af (babel.h). */
static inline bool babel_transport_has(const struct babel_iface *ifp, uint8_t af)
{
	enum babel_transport t = ifp->cfg.transport;

	if (t == BABEL_TRANSPORT_BOTH)
		return true;
	return af == (t == BABEL_TRANSPORT_IPV4 ? BABEL_AF_INET : BABEL_AF_INET6);
}

/* output.c */
struct babel_obuf *babel_obuf_get(struct babel *b, struct babel_iface *ifp,
				  struct babel_neigh *nb);
void babel_out_tlv(struct babel *b, struct babel_iface *ifp,
		   struct babel_neigh *nb, const struct babel_tlv *tlv);
void babel_flush(struct babel *b);
void babel_obuf_discard(struct babel *b, struct babel_obuf *o);
void babel_send_hellos(struct babel *b, struct babel_iface *ifp, uint64_t now);
void babel_send_hello_to(struct babel *b, struct babel_neigh *nb, uint64_t now);
void babel_send_goodbye_hellos(struct babel *b, struct babel_iface *ifp, uint64_t now);
void babel_send_restart_hellos(struct babel *b, struct babel_iface *ifp,
			       uint16_t restart_cs, uint64_t now);
/* An out-of-schedule Hello (+IHU) to a new or newly reachable neighbour,
 * at most one per quarter Hello interval. */
void babel_prompt_hello(struct babel *b, struct babel_neigh *nb, uint64_t now);
/* Send the entry's update to one neighbour (unicast) or, nb NULL, on every
 * interface (multicast or to every peer), honouring split horizon.
 * triggered: also poison (retract) where split horizon holds it back. */
void babel_send_entry(struct babel *b, struct babel_entry *e,
		      struct babel_iface *only_ifp, struct babel_neigh *nb,
		      bool triggered, uint64_t now);
/* A triggered update after a selection change (§3.7.2), if warranted. */
void babel_entry_changed(struct babel *b, struct babel_entry *e, bool force,
			 uint64_t now);
void babel_dump_start(struct babel *b, struct babel_dump *d, uint64_t now);
void babel_dump_stop(struct babel *b, struct babel_dump *d);
/* Updates a dump sends on ifp each pacing step (output.c). */
uint32_t babel_dump_burst(const struct babel *b, const struct babel_iface *ifp);
void babel_dumps_run(struct babel *b, uint64_t now);
void babel_send_wildcard_request(struct babel *b, struct babel_neigh *nb);

/* request.c */
void babel_handle_route_req(struct babel *b, struct babel_neigh *nb,
			    const struct babel_route_req *r, uint64_t now);
void babel_handle_seqno_req(struct babel *b, struct babel_neigh *nb,
			    const struct babel_seqno_req *r, uint64_t now);
/* An entry is starving: ask for a newer seqno (§3.8.2.1). */
void babel_request_starving(struct babel *b, struct babel_entry *e, uint64_t now);
/* An unfeasible update better than the selected route (§3.8.2.2). */
void babel_request_unfeasible(struct babel *b, struct babel_entry *e,
			      struct babel_neigh *nb, const uint8_t rid[8], uint64_t now);
/* An update arrived: satisfied requests are dropped (§3.8.1.3). */
void babel_request_satisfy(struct babel *b, struct babel_entry *e,
			   const uint8_t rid[8], uint16_t seqno);
void babel_request_timer(struct babel *b, struct babel_request *r, uint64_t now);
void babel_requests_drop_neigh(struct babel *b, struct babel_neigh *nb);
void babel_request_free(struct babel *b, struct babel_request *r);
uint32_t babel_request_hnode_hash(const struct babel_hnode *n, const void *b);

/* introspect.c / helpers */
/* Tell the daemon (babel_callbacks.route_event ...) while events are on. */
void babel_notify_route(struct babel *b, struct babel_route *r,
			enum babel_event ev);
void babel_notify_neigh(struct babel *b, struct babel_neigh *nb,
			enum babel_event ev);
void babel_notify_xroute(struct babel *b, struct babel_xroute *x,
			 enum babel_event ev);
uint32_t babel_prefix_hash(const struct babel *b, const struct babel_prefix *p,
			   const struct babel_prefix *src);
bool babel_src_equal(const struct babel_prefix *a, const struct babel_prefix *b);

#endif
