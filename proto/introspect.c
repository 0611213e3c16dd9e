/* SPDX-License-Identifier: MIT */
/*
 * proto/introspect.c — read-only views for the control socket: neighbours,
 * every route candidate, sources, originated prefixes, counters. Items are
 * named by ifindex/address and prefix, never by pointer.
 */
#include <errno.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

static void neigh_info(const struct babel *b, struct babel_neigh *nb,
		       struct babel_neighbour_info *i)
{
	struct babel_iface *ifp = nb->ifp;

	memset(i, 0, sizeof(*i));
	i->ifindex = ifp->ifindex;
	i->addr = nb->addr;
	i->rxcost = babel_neigh_rxcost(nb);
	i->txcost = nb->txcost;
	i->cost = nb->cost;
	i->rtt_valid = nb->rtt_valid;
	i->rtt_us = nb->rtt_valid ? nb->srtt : 0;
	i->rtt_penalty = ifp->rtt && nb->rtt_valid
		? babel_rtt_penalty(nb->srtt, ifp->rtt_min_us, ifp->rtt_max_us,
				    ifp->max_rtt_penalty) : 0;
	i->mcast_history = nb->mc.history;
	i->ucast_history = nb->uc.history;
	i->routes = nb->nroutes;
	i->selected = nb->nselected;
	i->fast_probe = nb->fast;
	i->failover = nb->nselected && b->nlinks >= 2;
}

int babel_foreach_neighbour(struct babel *b, babel_neighbour_fn fn, void *ctx)
{
	struct babel_list *pos, *tmp, *p2, *t2;

	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		babel_list_for_each_safe(p2, t2, &ifp->neighs) {
			struct babel_neigh *nb = babel_container_of(p2, struct babel_neigh,
								    iface_link);
			struct babel_neighbour_info i;
			int rc;

			neigh_info(b, nb, &i);
			rc = fn(ctx, &i);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static void route_info(struct babel *b, struct babel_entry *e, struct babel_route *r,
		       struct babel_route_info *i)
{
	memset(i, 0, sizeof(*i));
	i->prefix = e->prefix;
	if (e->has_src) {
		i->has_src_prefix = true;
		i->src_prefix = e->src[0];
	}
	babel_route_nexthop(r, &i->neighbour);
	i->next_hop = babel_route_has_nexthop(e, r->nb) ? r->nexthop[0] : r->nb->addr;
	i->metric = babel_route_metric(r);
	i->refmetric = r->refmetric;
	i->smoothed_metric = babel_metric_smooth(r->smoothed, i->metric,
						 babel_since_ms32(b->now, r->smoothed_ms),
						 b->half_life_us);
	i->seqno = r->seqno;
	memcpy(i->router_id, r->router_id, 8);
	i->feasible = babel_route_feasible(b, r);
	i->selected = babel_entry_selected(e) == r;
	i->expires_us = babel_route_expires(r, b->now);
}

static int entry_routes(struct babel *b, struct babel_entry *e, babel_route_fn fn,
			void *ctx)
{
	for (struct babel_route *r = e->routes; r; r = r->next) {
		struct babel_route_info i;
		int rc;

		route_info(b, e, r, &i);
		rc = fn(ctx, &i);
		if (rc)
			return rc;
	}
	return 0;
}

int babel_foreach_route(struct babel *b, babel_route_fn fn, void *ctx)
{
	for (uint32_t k = 0; k < babel_htable_buckets(&b->entries); k++) {
		for (struct babel_hnode *n = b->entries.b[k]; n; n = n->next) {
			int rc = entry_routes(b, babel_container_of(n, struct babel_entry, hnode),
					      fn, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int babel_route_lookup(struct babel *b, const struct babel_prefix *prefix,
		       const struct babel_prefix *src_prefix,
		       babel_route_fn fn, void *ctx)
{
	struct babel_entry *e = babel_entry_find(b, prefix, src_prefix);

	if (!e || !e->routes)
		return -ENOENT;
	return entry_routes(b, e, fn, ctx);
}

int babel_route_selected(struct babel *b, const struct babel_prefix *prefix,
			 const struct babel_prefix *src_prefix,
			 struct babel_nexthop *nh, uint16_t *metric)
{
	struct babel_entry *e = babel_entry_find(b, prefix, src_prefix);

	if (!e || !babel_entry_selected(e))
		return -ENOENT;
	if (nh)
		babel_route_nexthop(babel_entry_selected(e), nh);
	if (metric)
		*metric = babel_route_metric(babel_entry_selected(e));
	return 0;
}

int babel_foreach_source(struct babel *b, babel_source_fn fn, void *ctx)
{
	for (uint32_t k = 0; k < babel_htable_buckets(&b->entries); k++) {
		for (struct babel_hnode *n = b->entries.b[k]; n; n = n->next) {
			struct babel_entry *e = babel_container_of(n, struct babel_entry, hnode);

			for (struct babel_source *s = babel_source_first(e); s;
			     s = babel_source_next(b, e, s)) {
				struct babel_source_info i;
				int rc;

				memset(&i, 0, sizeof(i));
				i.prefix = e->prefix;
				if (e->has_src) {
					i.has_src_prefix = true;
					i.src_prefix = e->src[0];
				}
				memcpy(i.router_id, s->router_id, 8);
				i.seqno = s->seqno;
				i.metric = s->metric;
				i.expires_us = b->now + (uint64_t)b->cfg.source_gc_ms * 1000 -
					       babel_since_ms32(b->now, s->time_ms);
				rc = fn(ctx, &i);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

static void xroute_info(const struct babel_xroute *x, struct babel_xroute_info *i)
{
	memset(i, 0, sizeof(*i));
	i->prefix = x->e->prefix;
	if (x->e->has_src) {
		i->has_src_prefix = true;
		i->src_prefix = x->e->src[0];
	}
	i->metric = x->metric;
}

int babel_foreach_xroute(struct babel *b, babel_xroute_fn fn, void *ctx)
{
	struct babel_list *pos, *tmp;

	babel_list_for_each_safe(pos, tmp, &b->xroutes) {
		struct babel_xroute_info i;
		int rc;

		xroute_info(babel_container_of(pos, struct babel_xroute, link), &i);
		rc = fn(ctx, &i);
		if (rc)
			return rc;
	}
	return 0;
}

void babel_get_counters(const struct babel *b, struct babel_counters *c)
{
	*c = b->ctr;
	c->routes = b->nroutes;
	c->fast_probed = b->nfast;
	c->selected = b->nselected;
	c->sources = b->nsources;
	c->seqno = b->seqno;
	c->mem_bytes = b->mem;
}

/* ------------------------------------------------------------ events */

void babel_set_events(struct babel *b, bool on)
{
	b->events = on;
}

void babel_notify_route(struct babel *b, struct babel_route *r,
			enum babel_event ev)
{
	struct babel_route_info i;

	if (!b->events || !b->cb.route_event)
		return;
	route_info(b, r->e, r, &i);
	b->cb.route_event(b->cb.ctx, ev, &i);
}

void babel_notify_neigh(struct babel *b, struct babel_neigh *nb,
			enum babel_event ev)
{
	struct babel_neighbour_info i;

	if (!b->events || !b->cb.neigh_event)
		return;
	neigh_info(b, nb, &i);
	b->cb.neigh_event(b->cb.ctx, ev, &i);
}

void babel_notify_xroute(struct babel *b, struct babel_xroute *x,
			 enum babel_event ev)
{
	struct babel_xroute_info i;

	if (!b->events || !b->cb.xroute_event)
		return;
	xroute_info(x, &i);
	b->cb.xroute_event(b->cb.ctx, ev, &i);
}

/* ------------------------------------------------ longest-prefix match */

static void prefix_truncate(struct babel_prefix *p, uint8_t plen)
{
	size_t alen = p->af == BABEL_AF_INET ? 4 : 16;

	p->plen = plen;
	for (size_t k = 0; k < alen; k++) {
		unsigned bits = k * 8 >= plen ? 0 : plen - k * 8;

		p->addr[k] &= bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
	}
}

/* One hash lookup per prefix length: O(address bits), no scan. */
int babel_route_match(struct babel *b, const struct babel_prefix *p,
		      struct babel_prefix *matched, babel_route_fn fn,
		      void *ctx)
{
	struct babel_prefix q;

	if (p->af != BABEL_AF_INET && p->af != BABEL_AF_INET6)
		return -EINVAL;
	if (p->plen > (p->af == BABEL_AF_INET ? 32 : 128))
		return -EINVAL;
	for (int len = p->plen; len >= 0; len--) {
		struct babel_entry *e;

		memset(&q, 0, sizeof(q));
		q.af = p->af;
		memcpy(q.addr, p->addr, p->af == BABEL_AF_INET ? 4 : 16);
		prefix_truncate(&q, (uint8_t)len);
		e = babel_entry_find(b, &q, NULL);
		if (!e || !e->routes)
			continue;
		if (matched)
			*matched = q;
		return entry_routes(b, e, fn, ctx);
	}
	return -ENOENT;
}

/* --------------------------------------------------- walk with a cursor */

/*
 * The order: an entry's hash with its bits reversed, then its key. The
 * table puts an entry in bucket (hash & mask), so the buckets taken in
 * bit-reversed order hold ascending, disjoint ranges of that order, also
 * after the table doubled (a bucket splits into two neighbours in it):
 * resuming is finding the cursor's bucket and going on, whatever changed.
 */
static uint32_t bitrev32(uint32_t x)
{
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
	x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
	x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
	return (x >> 16) | (x << 16);
}

static int prefix_cmp(const struct babel_prefix *a, const struct babel_prefix *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return memcmp(a->addr, b->addr, a->af == BABEL_AF_INET ? 4 : 16);
}

/* Where (pos, prefix, src) stands against the cursor: < 0 before it. */
static int cursor_cmp(const struct babel_route_cursor *c, uint32_t pos,
		      const struct babel_prefix *p, const struct babel_prefix *src)
{
	int r;

	if (pos != c->pos)
		return pos < c->pos ? -1 : 1;
	if ((r = prefix_cmp(p, &c->prefix)))
		return r;
	if (!src != !c->has_src)
		return !src ? -1 : 1;
	return src ? prefix_cmp(src, &c->src_prefix) : 0;
}

static uint32_t entry_pos(struct babel *b, const struct babel_entry *e)
{
	return bitrev32(babel_prefix_hash(b, &e->prefix, babel_entry_src(e)));
}

bool babel_route_cursor_passed(struct babel *b,
			       const struct babel_route_cursor *cur,
			       const struct babel_prefix *prefix,
			       const struct babel_prefix *src_prefix)
{
	if (src_prefix && src_prefix->af == BABEL_AF_NONE)
		src_prefix = NULL;
	if (cur->done)
		return true;
	if (!cur->started)
		return false;
	return cursor_cmp(cur, bitrev32(babel_prefix_hash(b, prefix, src_prefix)),
			  prefix, src_prefix) <= 0;
}

#define WALK_AHEAD 4
#if defined(__GNUC__)
#define WALK_PREFETCH(p) __builtin_prefetch(p)
#else
#define WALK_PREFETCH(p) ((void)(p))
#endif

/* A bucket's entries after the cursor, in the walk's order. Chains are
 * short (the table doubles at a load of 2); a longer one is walked in
 * parts of WALK_BATCH. */
#define WALK_BATCH 16

struct walk_item {
	uint32_t pos;
	struct babel_entry *e;
};

static bool item_before(const struct walk_item *a, const struct walk_item *b)
{
	struct babel_route_cursor c = {
		.pos = b->pos, .started = true, .has_src = b->e->has_src,
		.prefix = b->e->prefix,
	};

	if (a->pos != b->pos)
		return a->pos < b->pos;
	if (b->e->has_src)
		c.src_prefix = b->e->src[0];
	return cursor_cmp(&c, a->pos, &a->e->prefix, babel_entry_src(a->e)) < 0;
}

/* The (at most WALK_BATCH) first entries of the bucket after the cursor,
 * sorted; returns how many. */
static size_t bucket_batch(struct babel *b, struct babel_hnode *n,
			   const struct babel_route_cursor *cur,
			   struct walk_item *it)
{
	size_t k = 0;

	for (; n; n = n->next) {
		struct walk_item x = {
			.e = babel_container_of(n, struct babel_entry, hnode),
		};
		size_t i;

		WALK_PREFETCH(x.e->routes);
		x.pos = entry_pos(b, x.e);
		if (cur->started && cursor_cmp(cur, x.pos, &x.e->prefix,
					       babel_entry_src(x.e)) <= 0)
			continue;
		/* insertion into the sorted batch, the last one dropped */
		for (i = k; i > 0 && item_before(&x, &it[i - 1]); i--)
			if (i < WALK_BATCH)
				it[i] = it[i - 1];
		if (i < WALK_BATCH) {
			it[i] = x;
			if (k < WALK_BATCH)
				k++;
		}
	}
	return k;
}

/*
 * Visits the entries after the cursor in the walk's order, moving the
 * cursor onto each; VISIT adds what an entry showed to *spent and returns
 * 0, or non-zero to stop. Returns 1 at the end, 0 when the budget is
 * spent, or VISIT's stop value.
 */
typedef int (*walk_visit_fn)(struct babel *b, struct babel_entry *e,
			     void *arg, size_t *spent);

static int walk_entries(struct babel *b, struct babel_route_cursor *cur,
			size_t budget, walk_visit_fn visit, void *arg)
{
	uint32_t nb = babel_htable_buckets(&b->entries);
	unsigned bits = 0;
	size_t spent = 0, visited = 0;
	uint32_t j;

	if (cur->done)
		return 1;
	while ((1u << bits) < nb)
		bits++;
	/* The cursor's bucket: the top bits of its position. */
	j = cur->started && bits ? cur->pos >> (32 - bits) : 0;
	for (; j < nb; j++) {
		struct babel_hnode *head = b->entries.b[bits ? bitrev32(j) >> (32 - bits) : 0];
		struct walk_item it[WALK_BATCH];
		size_t k;

		/* The buckets come in a scattered order and so do their
		 * entries: ask for the memory a few buckets ahead (a dump
		 * of 100,000 routes otherwise waits on it most of its time). */
		if (bits && j + WALK_AHEAD < nb) {
			struct babel_hnode *ahead =
				b->entries.b[bitrev32(j + WALK_AHEAD) >> (32 - bits)];

			struct babel_hnode *near =
				b->entries.b[bitrev32(j + WALK_AHEAD / 2) >> (32 - bits)];

			WALK_PREFETCH(&b->entries.b[bitrev32(j + 2 * WALK_AHEAD) >>
						    (32 - bits)]);
			if (ahead)
				WALK_PREFETCH(ahead);
			/* its entry asked for two buckets ago: now its routes */
			if (near)
				WALK_PREFETCH(babel_container_of(near, struct babel_entry,
								 hnode)->routes);
		}

		while ((k = bucket_batch(b, head, cur, it)) > 0) {
			for (size_t i = 0; i < k; i++) {
				struct babel_entry *e = it[i].e;
				int rc;

				cur->pos = it[i].pos;
				cur->started = true;
				cur->prefix = e->prefix;
				cur->has_src = e->has_src;
				if (e->has_src)
					cur->src_prefix = e->src[0];
				if ((rc = visit(b, e, arg, &spent)))
					return rc;
				/* Entries with nothing to show cost a little
				 * too, so a chunk of a sparse walk stays short. */
				if (spent >= budget || ++visited / 16 >= budget)
					return 0;
			}
			if (k < WALK_BATCH)
				break;
		}
	}
	cur->done = true;
	return 1;
}

struct walk_arg {
	babel_route_fn rfn;
	babel_xroute_fn xfn;
	void *ctx;
};

static int walk_routes_visit(struct babel *b, struct babel_entry *e, void *arg,
			     size_t *spent)
{
	struct walk_arg *w = arg;

	for (struct babel_route *r = e->routes; r; r = r->next)
		(*spent)++;
	return entry_routes(b, e, w->rfn, w->ctx);
}

int babel_route_walk(struct babel *b, struct babel_route_cursor *cur,
		     size_t max_routes, babel_route_fn fn, void *ctx)
{
	struct walk_arg w = { .rfn = fn, .ctx = ctx };

	return walk_entries(b, cur, max_routes, walk_routes_visit, &w);
}

static int walk_xroutes_visit(struct babel *b, struct babel_entry *e, void *arg,
			      size_t *spent)
{
	struct walk_arg *w = arg;
	struct babel_xroute_info i;
	struct babel_xroute *x;

	if (!e->originated || !(x = babel_xroute_find(b, e)))
		return 0;
	(*spent)++;
	xroute_info(x, &i);
	return w->xfn(w->ctx, &i);
}

int babel_xroute_walk(struct babel *b, struct babel_route_cursor *cur,
		      size_t max, babel_xroute_fn fn, void *ctx)
{
	struct walk_arg w = { .xfn = fn, .ctx = ctx };

	/* Most routers originate a handful: no need to visit every entry. */
	if (!cur->started && b->ctr.xroutes == 0) {
		cur->done = true;
		return 1;
	}
	return walk_entries(b, cur, max, walk_xroutes_visit, &w);
}
