/* SPDX-License-Identifier: MIT */
/*
 * proto/route.c — the route table: entries keyed by (prefix, src_prefix) in a
 * hash table, one candidate per neighbour, sources and feasibility distances
 * (§3.5.1, §3.7.3), update handling (§3.5.3, §3.5.4), route selection with
 * hysteresis (§3.6) and route expiry through each neighbour's refresh-ordered
 * route list (no scans).
 */
#include <errno.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

static size_t prefix_alen(const struct babel_prefix *p)
{
	return p->af == BABEL_AF_INET ? 4 : p->af == BABEL_AF_INET6 ? 16 : 0;
}

static bool prefix_same(const struct babel_prefix *a, const struct babel_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, prefix_alen(a)) == 0;
}

bool babel_src_equal(const struct babel_prefix *a, const struct babel_prefix *b)
{
	return prefix_same(a, b);
}

static void prefix_key(uint8_t *k, const struct babel_prefix *p)
{
	memset(k, 0, 18);
	k[0] = p->af;
	k[1] = p->plen;
	memcpy(k + 2, p->addr, prefix_alen(p));
}

uint32_t babel_prefix_hash(const struct babel *b, const struct babel_prefix *p,
			   const struct babel_prefix *src)
{
	uint8_t k[36];

	/* The common, not source-specific key is hashed alone: half the work
	 * for every update received. The length is part of the hash. */
	prefix_key(k, p);
	if (!src)
		return babel_hash_bytes(k, 18, b->hash_seed);
	prefix_key(k + 18, src);
	return babel_hash_bytes(k, sizeof(k), b->hash_seed);
}

uint32_t babel_entry_hnode_hash(const struct babel_hnode *n, const void *b)
{
	const struct babel_entry *e = babel_container_of(n, struct babel_entry, hnode);

	return babel_prefix_hash(b, &e->prefix, babel_entry_src(e));
}

uint32_t babel_source_hnode_hash(const struct babel_hnode *n, const void *b)
{
	return babel_entry_ptr_hash(b, babel_container_of(n, struct babel_source_node,
							  hnode)->e);
}

static bool entry_src_same(const struct babel_entry *e, const struct babel_prefix *src)
{
	return src ? e->has_src && prefix_same(&e->src[0], src) : !e->has_src;
}

struct babel_entry *babel_entry_find(struct babel *b, const struct babel_prefix *p,
				     const struct babel_prefix *src)
{
	uint32_t h;

	if (src && src->af == BABEL_AF_NONE)
		src = NULL;
	h = babel_prefix_hash(b, p, src);
	for (struct babel_hnode *n = babel_htable_bucket(&b->entries, h); n; n = n->next) {
		struct babel_entry *e = babel_container_of(n, struct babel_entry, hnode);

		if (prefix_same(&e->prefix, p) && entry_src_same(e, src))
			return e;
	}
	return NULL;
}

struct babel_entry *babel_entry_get(struct babel *b, const struct babel_prefix *p,
				    const struct babel_prefix *src)
{
	struct babel_entry *e;

	if (src && src->af == BABEL_AF_NONE)
		src = NULL;
	e = babel_entry_find(b, p, src);
	if (e)
		return e;
	e = babel_pool_alloc(src ? &b->entry_src_pool : &b->entry_pool);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->prefix = *p;
	babel_prefix_mask(&e->prefix);
	if (src) {
		e->has_src = true;
		e->src[0] = *src;
		babel_prefix_mask(&e->src[0]);
	}
	babel_timer_init(&e->timer, T_ENTRY);
	babel_htable_insert(&b->entries, &e->hnode, babel_prefix_hash(b, &e->prefix,
					babel_entry_src(e)));
	b->ctr.prefixes++;
	return e;
}

/*
 * Sources are only collected once their entry has no route left, so a stamp
 * could in principle age past the 49-day wrap of babel_ms32 and look young:
 * such a source is then kept up to another 49 days, which only keeps a
 * feasibility distance longer than needed (never shorter).
 */
/* The first of e's listed sources from h on in its bucket of b->source_tab. */
static struct babel_source_node *source_node_from(const struct babel_entry *e,
						  struct babel_hnode *h)
{
	for (; h; h = h->next) {
		struct babel_source_node *n = babel_container_of(h, struct babel_source_node,
								 hnode);

		if (n->e == e)
			return n;
	}
	return NULL;
}

static struct babel_source_node *source_node_first(struct babel *b,
						   const struct babel_entry *e)
{
	if (!e->more_sources)
		return NULL;
	return source_node_from(e, babel_htable_bucket(&b->source_tab,
						       babel_entry_ptr_hash(b, e)));
}

static void source_node_free(struct babel *b, struct babel_source_node *n)
{
	babel_htable_remove(&b->source_tab, &n->hnode);
	babel_pool_free(&b->source_pool, n);
}

struct babel_source *babel_source_next(struct babel *b, struct babel_entry *e,
				       struct babel_source *s)
{
	struct babel_source_node *n;

	if (s == &e->source)
		n = source_node_first(b, e);
	else
		n = source_node_from(e, babel_container_of(s, struct babel_source_node,
							   s)->hnode.next);
	return n ? &n->s : NULL;
}

static void source_free_old(struct babel *b, struct babel_entry *e, uint64_t now)
{
	uint64_t gc = (uint64_t)b->cfg.source_gc_ms * 1000;
	struct babel_source_node *n, *next;

	for (n = source_node_first(b, e); n; n = next) {
		next = source_node_from(e, n->hnode.next);
		if (babel_since_ms32(now, n->s.time_ms) >= gc) {
			source_node_free(b, n);
			b->nsources--;
		}
	}
	e->more_sources = source_node_first(b, e) != NULL;
	if (!e->has_source || babel_since_ms32(now, e->source.time_ms) < gc)
		return;
	b->nsources--;
	/* The inline place is taken by a listed source, if any. */
	n = source_node_first(b, e);
	e->has_source = n != NULL;
	if (n) {
		e->source = n->s;
		source_node_free(b, n);
		e->more_sources = source_node_first(b, e) != NULL;
	}
}

static void entry_hold_clear(struct babel *b, struct babel_entry *e);

static void entry_free(struct babel *b, struct babel_entry *e)
{
	entry_hold_clear(b, e);
	babel_pool_free(e->has_src ? &b->entry_src_pool : &b->entry_pool, e);
}

/*
 * An entry lives while it has candidates, is originated, or still holds
 * sources: a source is kept source_gc after its last use, so a feasibility
 * distance outlives every advertisement it bounds (§3.7.3). Sources of an
 * entry that still has routes are kept.
 */
void babel_entry_maybe_free(struct babel *b, struct babel_entry *e)
{
	uint64_t gc = (uint64_t)b->cfg.source_gc_ms * 1000, oldest = 0;

	if (e->routes || e->originated)
		return;
	source_free_old(b, e, b->now);
	for (struct babel_source *s = babel_source_first(e); s; s = babel_source_next(b, e, s))
		if (babel_since_ms32(b->now, s->time_ms) > oldest)
			oldest = babel_since_ms32(b->now, s->time_ms);
	if (e->has_source) {
		babel_heap_arm_before(&b->timers, &e->timer, b->now + gc - oldest);
		return;
	}
	babel_heap_cancel(&b->timers, &e->timer);
	babel_htable_remove(&b->entries, &e->hnode);
	b->ctr.prefixes--;
	entry_free(b, e);
}

struct babel_source *babel_source_find(struct babel *b, struct babel_entry *e,
				       const uint8_t rid[8])
{
	for (struct babel_source *s = babel_source_first(e); s; s = babel_source_next(b, e, s))
		if (memcmp(s->router_id, rid, 8) == 0)
			return s;
	return NULL;
}

/*
 * §3.7.3: before advertising (rid, seqno, metric), lower the FD. The source
 * goes to the entry's inline place, so that one is always the source we
 * announced last (babel_entry_sent_rid), and also the youngest: the source
 * collector takes it last.
 */
void babel_source_note_sent(struct babel *b, struct babel_entry *e,
			    const uint8_t rid[8], uint16_t seqno, uint16_t metric,
			    uint64_t now)
{
	struct babel_source *s = babel_source_find(b, e, rid), tmp;

	if (metric == BABEL_INFINITY)
		return;
	if (!s) {
		if (e->has_source) {
			struct babel_source_node *n = babel_pool_alloc(&b->source_pool);

			/* Out of memory: the update goes out without an FD
			 * for rid, as it always did here; the inline source
			 * is then not the one announced, and entry_changed
			 * sees a new router-id until a source is recorded. */
			if (!n)
				return;
			n->e = e;
			n->s = e->source;
			babel_htable_insert(&b->source_tab, &n->hnode,
					    babel_entry_ptr_hash(b, e));
			e->more_sources = true;
		}
		s = &e->source;
		e->has_source = true;
		memcpy(s->router_id, rid, 8);
		s->seqno = seqno;
		s->metric = metric;
		b->nsources++;
	} else {
		if (s != &e->source) {
			tmp = e->source;
			e->source = *s;
			*s = tmp;
			s = &e->source;
		}
		if (babel_distance_better(seqno, metric, s->seqno, s->metric)) {
			s->seqno = seqno;
			s->metric = metric;
		}
	}
	s->time_ms = babel_ms32(now);
}

/* The in filter's addition counts like link cost: refmetric + add + cost. */
uint16_t babel_route_metric(const struct babel_route *r)
{
	return babel_metric_add(babel_metric_add(r->refmetric, r->add_metric),
				r->nb->cost);
}

/* §3.5.1, checked against the current FD: FDs only decrease, so a route
 * that was feasible when it arrived may no longer be. */
bool babel_route_feasible(struct babel *b, const struct babel_route *r)
{
	const struct babel_source *s = babel_source_find(b, r->e, r->router_id);

	return babel_feasible(s != NULL, s ? s->seqno : 0, s ? s->metric : 0,
			      r->seqno, r->refmetric);
}

uint16_t babel_route_smoothed(struct babel *b, struct babel_route *r, uint64_t now)
{
	r->smoothed = babel_metric_smooth(r->smoothed, babel_route_metric(r),
					  babel_since_ms32(now, r->smoothed_ms),
					  b->half_life_us);
	r->smoothed_ms = babel_ms32(now);
	return r->smoothed;
}

/*
 * §3.5.3: an update, a retraction too, resets the route's expiry to 3.5
 * times its interval (Appendix B); an update without one (interval 0)
 * counts with the interface's update interval.
 */
static void route_set_expiry(struct babel_route *r, uint16_t interval_cs, uint64_t now)
{
	uint64_t iv = interval_cs ? (uint64_t)interval_cs * 10000
				  : (uint64_t)r->nb->ifp->update_us;

	r->expires_ms = babel_ms32(now + iv * 7 / 2);
}

/* When r expires, now if it is due. The stamp is at most 3.5 times the
 * longest interval (38 minutes) ahead, far inside the 2^31 ms window. */
uint64_t babel_route_expires(const struct babel_route *r, uint64_t now)
{
	uint32_t ahead = r->expires_ms - babel_ms32(now);

	return ahead == 0 || ahead > INT32_MAX ? now : now + (uint64_t)ahead * 1000;
}

/* Refresh r (§3.5.3): it moves to the tail of its neighbour's expiry queue. */
static void route_touch(struct babel *b, struct babel_route *r, uint16_t interval_cs,
			uint64_t now)
{
	struct babel_neigh *nb = r->nb;
	struct babel_route *head;

	route_set_expiry(r, interval_cs, now);
	babel_list_del(&r->nlink);
	babel_list_add_tail(&nb->routes, &r->nlink);
	if (!babel_timer_armed(&nb->routes_timer)) {
		head = babel_container_of(nb->routes.next, struct babel_route, nlink);
		babel_heap_arm(&b->timers, &nb->routes_timer, babel_route_expires(head, now));
	}
}

void babel_neigh_routes_timer(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	while (!babel_list_empty(&nb->routes)) {
		struct babel_route *r = babel_container_of(nb->routes.next,
							   struct babel_route, nlink);
		struct babel_entry *e = r->e;
		uint64_t exp = babel_route_expires(r, now);

		if (exp > now) {
			babel_heap_arm(&b->timers, &nb->routes_timer, exp);
			return;
		}
		babel_route_free(b, r, now);
		babel_entry_select(b, e, now);
		babel_entry_maybe_free(b, e);
	}
}

static void entry_select(struct babel *b, struct babel_entry *e,
			 const struct babel_nexthop *lost, uint64_t now);

/* Unlink and free a route; losing the selected route re-selects at once, so
 * the FIB sees one change (old next hop -> new one, or -> none). */
void babel_route_free(struct babel *b, struct babel_route *r, uint64_t now)
{
	struct babel_entry *e = r->e;
	struct babel_route **pp = &e->routes;
	bool was_selected = babel_entry_selected(e) == r;
	struct babel_nexthop lost;

	babel_notify_route(b, r, BABEL_EVENT_FLUSH);
	babel_route_nexthop(r, &lost);
	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	if (was_selected) {
		e->has_selected = false;
		b->nselected--;
		babel_neigh_selected(b, r->nb, -1, now);
	}
	babel_list_del(&r->nlink);
	r->nb->nroutes--;
	b->nroutes--;
	babel_pool_free(babel_route_has_nexthop(e, r->nb) ? &b->route_nh_pool
							   : &b->route_pool, r);
	if (was_selected)
		entry_select(b, e, &lost, now);
}

void babel_route_refresh_metric(struct babel *b, struct babel_route *r,
				uint16_t new_refmetric, uint64_t now)
{
	uint16_t old = r->refmetric;

	babel_route_smoothed(b, r, now);
	r->refmetric = new_refmetric;
	if (new_refmetric == BABEL_INFINITY)
		r->smoothed = BABEL_INFINITY;
	if (old != new_refmetric)
		babel_notify_route(b, r, BABEL_EVENT_CHANGE);
}

/* The selected route goes first in the candidates (babel_entry_selected). */
static void entry_set_selected(struct babel_entry *e, struct babel_route *sel)
{
	struct babel_route **pp = &e->routes;

	e->has_selected = sel != NULL;
	if (!sel || e->routes == sel)
		return;
	while (*pp != sel)
		pp = &(*pp)->next;
	*pp = sel->next;
	sel->next = e->routes;
	e->routes = sel;
}

static struct babel_route *entry_route_of(struct babel_entry *e, struct babel_neigh *nb)
{
	for (struct babel_route *r = e->routes; r; r = r->next)
		if (r->nb == nb)
			return r;
	return NULL;
}

static bool route_usable(struct babel *b, const struct babel_route *r)
{
	return babel_route_metric(r) != BABEL_INFINITY && babel_route_feasible(b, r);
}

/*
 * The kernel's gateway is the neighbour's address, which serves its own
 * family and IPv4 prefixes from an IPv6 neighbour (RFC 9229 v4-via-v6). An
 * IPv6 prefix from a neighbour heard over IPv4 needs an IPv6 gateway: the
 * next hop it announced (§4.6.9; the parser only accepts an IPv6 one).
 */
void babel_route_nexthop(const struct babel_route *r, struct babel_nexthop *nh)
{
	nh->ifindex = r->nb->ifp->ifindex;
	nh->addr = r->nb->addr;
	nh->via = r->nb->addr;
	if (babel_route_has_nexthop(r->e, r->nb) && r->nexthop[0].af == BABEL_AF_INET6)
		nh->via = r->nexthop[0];
}

static struct babel_hold *entry_hold_find(struct babel *b,
					  const struct babel_entry *e)
{
	if (!e->in_hold)
		return NULL;
	for (size_t i = 0; i < b->n_holds; i++)
		if (b->holds[i].e == e)
			return &b->holds[i];
	return NULL;
}

static void entry_hold_clear(struct babel *b, struct babel_entry *e)
{
	struct babel_hold *h = entry_hold_find(b, e);

	if (h)
		*h = b->holds[--b->n_holds];
	e->in_hold = false;
}

/* E's hold, started NOW when it has none; NULL without memory. */
static struct babel_hold *entry_hold_get(struct babel *b,
					 struct babel_entry *e, uint64_t now)
{
	struct babel_hold *h = entry_hold_find(b, e);

	if (h)
		return h;
	if (b->n_holds == b->cap_holds) {
		size_t cap = b->cap_holds ? 2 * b->cap_holds : 4;

		if (!(h = babel_alloc(b, cap * sizeof(*h))))
			return NULL;
		if (b->n_holds)
			memcpy(h, b->holds, b->n_holds * sizeof(*h));
		babel_dealloc(b, b->holds, b->cap_holds * sizeof(*h));
		b->holds = h;
		b->cap_holds = cap;
	}
	h = &b->holds[b->n_holds++];
	h->e = e;
	h->since_ms = babel_ms32(now);
	e->in_hold = true;
	return h;
}

/* Whether E has the stable choice (babel_config.stable_hold_ms). */
static bool entry_stable(struct babel *b, const struct babel_entry *e)
{
	if (!b->cfg.stable_hold_ms || e->has_src)
		return false;
	return e->prefix.plen == 0 ||
	       (b->cb.stable && b->cb.stable(b->cb.ctx, &e->prefix));
}

/*
 * Stable choice: OLD, still usable, is left for a candidate with metric BM
 * only when some candidate has been better by stable_margin all through
 * stable_hold_ms. Returns true when the time has come; otherwise the entry
 * is re-checked when the hold ends (a metric that stops being better by
 * the margin resets it).
 */
static bool entry_stable_choice(struct babel *b, struct babel_entry *e,
				const struct babel_route *old, uint16_t bm,
				uint64_t now)
{
	uint16_t om = babel_route_metric(old);
	uint64_t hold_us = (uint64_t)b->cfg.stable_hold_ms * 1000;

	struct babel_hold *h;
	uint64_t held;

	if ((uint32_t)bm + b->cfg.stable_margin > om) {
		entry_hold_clear(b, e);
		return false;
	}
	if (!(h = entry_hold_get(b, e, now)))
		return false;	/* no memory: stay, try again later */
	held = babel_since_ms32(now, h->since_ms);
	if (held >= hold_us)
		return true;
	babel_heap_arm_before(&b->timers, &e->timer, now + hold_us - held + 1000);
	return false;
}

/*
 * §3.6 route selection. Among usable (finite, feasible) candidates the one
 * with the smallest metric is best. Hysteresis, as babeld: a usable selected
 * route is replaced only by a route better both in metric and in smoothed
 * metric, or at once by one better by switch_threshold; otherwise the entry
 * re-checks later, when the smoothed metrics have moved. An originated entry
 * selects nothing (see babel.h).
 */
static void entry_select(struct babel *b, struct babel_entry *e,
			 const struct babel_nexthop *lost, uint64_t now)
{
	struct babel_route *old = babel_entry_selected(e), *best = NULL, *sel;
	uint16_t bm = BABEL_INFINITY;

	if (!e->originated && now >= b->hold_until) {
		for (struct babel_route *r = e->routes; r; r = r->next) {
			uint16_t m;

			if (!route_usable(b, r))
				continue;
			m = babel_route_metric(r);
			if (!best || m < bm || (m == bm && r == old)) {
				best = r;
				bm = m;
			}
		}
	}
	sel = best;
	if (old && best && best != old && route_usable(b, old) &&
	    entry_stable(b, e)) {
		sel = entry_stable_choice(b, e, old, bm, now) ? best : old;
	} else if (old && best && best != old && route_usable(b, old)) {
		uint16_t om = babel_route_metric(old);

		if ((uint32_t)bm + b->cfg.switch_threshold <= om) {
			sel = best;
		} else if (bm < om && babel_route_smoothed(b, best, now) <
					      babel_route_smoothed(b, old, now)) {
			sel = best;
		} else {
			sel = old;
			if (bm < om)
				babel_heap_arm_before(&b->timers, &e->timer,
						      now + b->half_life_us / 4 + 1000);
		}
	}
	if (e->in_hold && (sel != old || !sel || sel == best))
		entry_hold_clear(b, e);
	if (sel != old || lost) {
		struct babel_nexthop onh, nnh;

		if (old)
			babel_route_nexthop(old, &onh);
		else if (lost)
			onh = *lost;
		if (sel)
			babel_route_nexthop(sel, &nnh);
		/*
		 * What we announced before the change went everywhere split
		 * horizon allowed, so to the new next hop too unless it was
		 * already the next hop. A first selection (nothing finite
		 * announced) needs no poison: 100,000 routes learned from
		 * one neighbour are not sent back to it as retractions.
		 */
		if (!sel)
			e->poison = false;
		else if (!old || old->nb != sel->nb)
			e->poison = e->sent;
		entry_set_selected(e, sel);
		e->changed_ms = babel_ms32(now);
		if (old && old != sel)
			babel_notify_route(b, old, BABEL_EVENT_CHANGE);
		if (sel && sel != old)
			babel_notify_route(b, sel, BABEL_EVENT_CHANGE);
		b->nselected += (sel != NULL) - (old != NULL);
		if (sel != old && old)
			babel_neigh_selected(b, old->nb, -1, now);
		if (sel != old && sel)
			babel_neigh_selected(b, sel->nb, +1, now);
		b->cb.fib_change(b->cb.ctx, &e->prefix, babel_entry_src(e),
				 (old || lost) ? &onh : NULL, sel ? &nnh : NULL,
				 sel ? babel_route_metric(sel) : BABEL_INFINITY);
	}
	babel_entry_changed(b, e, sel != old || lost, now);
	if (!sel && !e->originated && (e->routes || e->has_source) && now >= b->hold_until)
		babel_request_starving(b, e, now);
}

void babel_entry_select(struct babel *b, struct babel_entry *e, uint64_t now)
{
	entry_select(b, e, NULL, now);
}

void babel_entry_timer(struct babel *b, struct babel_entry *e, uint64_t now)
{
	if (e->resend) {
		e->resend = false;
		babel_send_entry(b, e, NULL, NULL, true, now);
	}
	babel_entry_select(b, e, now);
	babel_entry_maybe_free(b, e);
}

bool babel_entry_advert(struct babel *b, struct babel_entry *e, uint8_t rid[8],
			uint16_t *seqno, uint16_t *metric)
{
	const struct babel_route *sel;

	if (b->retiring)	/* babel_retire: everything is retracted */
		return false;
	if (e->originated) {
		memcpy(rid, b->router_id, 8);
		*seqno = b->seqno;
		*metric = babel_xroute_find(b, e)->metric;
		return *metric != BABEL_INFINITY;
	}
	sel = babel_entry_selected(e);
	if (!sel)
		return false;
	memcpy(rid, sel->router_id, 8);
	*seqno = sel->seqno;
	*metric = babel_route_metric(sel);
	return *metric != BABEL_INFINITY;
}

static bool route_limit_global(const struct babel *b)
{
	return b->cfg.max_routes && b->nroutes >= b->cfg.max_routes;
}

static bool route_limit_reached(const struct babel *b, const struct babel_neigh *nb)
{
	return route_limit_global(b) ||
	       (b->cfg.max_routes_per_neighbour &&
		nb->nroutes >= b->cfg.max_routes_per_neighbour);
}

/*
 * A new route refused at a limit is counted (babel_counters.refused_routes)
 * and logged at most once per BABEL_LIMIT_LOG_US, with the number refused
 * since the previous line: a neighbour flooding prefixes must not flood
 * the log too.
 */
#define BABEL_LIMIT_LOG_US (60 * 1000000ULL)
static void route_limit_refuse(struct babel *b, const struct babel_neigh *nb,
			       const struct babel_update *u, uint64_t now)
{
	struct babel_prefix who = { .af = nb->addr.af };
	char pb[64], nbuf[64];

	b->ctr.refused_routes++;
	if (b->limit_logged && now < b->limit_log_us + BABEL_LIMIT_LOG_US)
		return;
	who.plen = nb->addr.af == BABEL_AF_INET ? 32 : 128;
	memcpy(who.addr, nb->addr.addr, sizeof(who.addr));
	babel_prefix_str(&who, nbuf, sizeof(nbuf));
	nbuf[strcspn(nbuf, "/")] = '\0';	/* an address, not a prefix */
	babel_logf(b, BABEL_LOG_WARN,
		   "route limit reached (%s %u): refusing new routes, e.g. %s "
		   "from %s on interface %u; %llu refused since the last report",
		   route_limit_global(b) ? "max-routes" : "max-routes-per-neighbour",
		   route_limit_global(b) ? b->cfg.max_routes
					 : b->cfg.max_routes_per_neighbour,
		   babel_prefix_str(&u->prefix, pb, sizeof(pb)),
		   nbuf, nb->ifp->ifindex,
		   (unsigned long long)(b->ctr.refused_routes - b->limit_refused_at_log));
	b->limit_logged = true;
	b->limit_log_us = now;
	b->limit_refused_at_log = b->ctr.refused_routes;
}

/* §4.6.9 wildcard retraction: every route from nb is retracted. */
static void retract_all(struct babel *b, struct babel_neigh *nb, uint16_t interval_cs,
			uint64_t now)
{
	struct babel_list *pos, *tmp;
	struct babel_list done;

	babel_list_init(&done);
	/* route_touch moves routes to the tail: walk a detached copy. */
	babel_list_for_each_safe(pos, tmp, &nb->routes) {
		struct babel_route *r = babel_container_of(pos, struct babel_route, nlink);

		babel_route_refresh_metric(b, r, BABEL_INFINITY, now);
		babel_list_del(&r->nlink);
		babel_list_add_tail(&done, &r->nlink);
		route_set_expiry(r, interval_cs, now);
	}
	babel_list_for_each_safe(pos, tmp, &done) {
		babel_list_del(pos);
		babel_list_add_tail(&nb->routes, pos);
	}
	babel_list_for_each_safe(pos, tmp, &nb->routes) {
		struct babel_route *r = babel_container_of(pos, struct babel_route, nlink);

		babel_entry_select(b, r->e, now);
	}
}

/* A retraction (§3.5.4) of one prefix by nb: its route goes to infinity. */
static void route_retract(struct babel *b, struct babel_neigh *nb,
			  const struct babel_prefix *prefix,
			  const struct babel_prefix *src, uint16_t interval_cs,
			  uint64_t now)
{
	struct babel_entry *e = babel_entry_find(b, prefix, src);
	struct babel_route *r = e ? entry_route_of(e, nb) : NULL;

	if (!r)
		return;
	babel_route_refresh_metric(b, r, BABEL_INFINITY, now);
	route_touch(b, r, interval_cs, now);
	babel_entry_select(b, e, now);
}

/*
 * The in filter (babel.h): the metric to add, or -1 when the update is
 * denied. An addition that makes the metric infinite denies too: such a
 * route could never be used, and keeping it would only hold memory.
 */
static int route_filter_in(struct babel *b, struct babel_neigh *nb,
			   const struct babel_update *u,
			   const struct babel_prefix *src)
{
	int add = b->cb.filter_in(b->cb.ctx, &u->prefix, src, nb->ifp->ifindex,
				  &nb->addr, u->metric);

	if (add < 0 || add >= BABEL_INFINITY ||
	    babel_metric_add(u->metric, (uint16_t)add) == BABEL_INFINITY)
		return -1;
	return add;
}

/* §3.5.3 / §3.5.4: apply one (already parsed) Update from nb. */
void babel_route_handle_update(struct babel *b, struct babel_neigh *nb,
			       const struct babel_update *u, uint64_t now)
{
	const struct babel_prefix *src = u->has_src_prefix ? &u->src_prefix : NULL;
	struct babel_entry *e;
	struct babel_route *r, **pp;
	struct babel_source *s;
	bool feasible, created = false, changed;
	int add = 0;

	b->ctr.updates_received++;
	if (u->next_hop.af != BABEL_AF_NONE && u->next_hop.af != nb->addr.af &&
	    !babel_addr_equal(&nb->other_af, &u->next_hop))
		nb->other_af = u->next_hop;
	if (u->prefix.af == BABEL_AF_NONE) {
		if (u->metric == BABEL_INFINITY)
			retract_all(b, nb, u->interval, now);
		return;
	}
	if (u->metric == BABEL_INFINITY) {
		route_retract(b, nb, &u->prefix, src, u->interval, now);
		return;
	}
	if (!u->has_router_id)
		return;
	/* Our own routes coming back. */
	if (memcmp(u->router_id, b->router_id, 8) == 0)
		return;
	if (b->cb.filter_in && (add = route_filter_in(b, nb, u, src)) < 0) {
		route_retract(b, nb, &u->prefix, src, u->interval, now);
		return;
	}
	e = babel_entry_get(b, &u->prefix, src);
	if (!e)
		return;
	r = entry_route_of(e, nb);
	s = babel_source_find(b, e, u->router_id);
	feasible = babel_feasible(s != NULL, s ? s->seqno : 0, s ? s->metric : 0,
				  u->seqno, u->metric);
	if (!feasible) {
		b->ctr.unfeasible_updates++;
		struct babel_route *sel = babel_entry_selected(e);

		if (sel && !e->originated && now >= b->hold_until &&
		    (sel == r ||
		     babel_metric_add(babel_metric_add(u->metric, (uint16_t)add), nb->cost) <
			     babel_route_metric(sel)))
			babel_request_unfeasible(b, e, nb, u->router_id, now);
	}
	if (!r) {
		if (!feasible) {
			/* §3.5.4: an unfeasible update for a route we do not
			 * have is ignored; if we are starving, it tells us
			 * whom to ask for a newer seqno (§3.8.2.1). */
			if (!e->has_selected && !e->originated)
				babel_request_starving(b, e, now);
			babel_entry_maybe_free(b, e);
			return;
		}
		if (route_limit_reached(b, nb)) {
			route_limit_refuse(b, nb, u, now);
			babel_entry_maybe_free(b, e);
			return;
		}
		r = babel_pool_alloc(babel_route_has_nexthop(e, nb) ? &b->route_nh_pool
								    : &b->route_pool);
		if (!r) {
			babel_entry_maybe_free(b, e);
			return;
		}
		memset(r, 0, sizeof(*r));
		r->e = e;
		r->nb = nb;
		babel_list_init(&r->nlink);
		/* behind the selected route, which stays first */
		pp = e->has_selected ? &e->routes->next : &e->routes;
		r->next = *pp;
		*pp = r;
		nb->nroutes++;
		b->nroutes++;
		created = true;
	}
	if (!created)
		babel_route_smoothed(b, r, now);
	changed = created || r->seqno != u->seqno || r->refmetric != u->metric ||
		  r->add_metric != add || memcmp(r->router_id, u->router_id, 8);
	memcpy(r->router_id, u->router_id, 8);
	r->seqno = u->seqno;
	r->refmetric = u->metric;
	r->add_metric = (uint16_t)add;
	if (babel_route_has_nexthop(e, nb))
		r->nexthop[0] = u->next_hop;
	if (created || r->smoothed == BABEL_INFINITY) {
		r->smoothed = babel_route_metric(r);
		r->smoothed_ms = babel_ms32(now);
	}
	route_touch(b, r, u->interval, now);
	if (changed)
		babel_notify_route(b, r, created ? BABEL_EVENT_ADD : BABEL_EVENT_CHANGE);
	babel_request_satisfy(b, e, u->router_id, u->seqno);
	babel_entry_select(b, e, now);
}

void babel_seqno_bump(struct babel *b, uint16_t to, uint64_t now)
{
	struct babel_list *pos, *tmp;

	b->seqno = to;
	b->ctr.seqno_bumps++;
	if (b->cb.save_state)
		b->cb.save_state(b->cb.ctx, b->router_id, b->seqno);
	babel_list_for_each_safe(pos, tmp, &b->xroutes) {
		struct babel_xroute *x = babel_container_of(pos, struct babel_xroute, link);

		babel_entry_changed(b, x->e, true, now);
	}
}
