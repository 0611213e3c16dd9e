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

			memset(&i, 0, sizeof(i));
			i.ifindex = ifp->ifindex;
			i.addr = nb->addr;
			i.rxcost = babel_neigh_rxcost(nb);
			i.txcost = nb->txcost;
			i.cost = nb->cost;
			i.rtt_valid = nb->rtt_valid;
			i.rtt_us = nb->rtt_valid ? nb->srtt : 0;
			i.rtt_penalty = ifp->rtt && nb->rtt_valid
				? babel_rtt_penalty(nb->srtt, ifp->rtt_min_us, ifp->rtt_max_us,
						    ifp->max_rtt_penalty) : 0;
			i.mcast_history = nb->mc.history;
			i.ucast_history = nb->uc.history;
			i.routes = nb->nroutes;
			i.selected = nb->nselected;
			i.fast_probe = nb->fast;
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

int babel_foreach_xroute(struct babel *b, babel_xroute_fn fn, void *ctx)
{
	struct babel_list *pos, *tmp;

	babel_list_for_each_safe(pos, tmp, &b->xroutes) {
		struct babel_xroute *x = babel_container_of(pos, struct babel_xroute, link);
		struct babel_xroute_info i;
		int rc;

		memset(&i, 0, sizeof(i));
		i.prefix = x->e->prefix;
		if (x->e->has_src) {
			i.has_src_prefix = true;
			i.src_prefix = x->e->src[0];
		}
		i.metric = x->metric;
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
