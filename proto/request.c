/* SPDX-License-Identifier: MIT */
/*
 * proto/request.c — route requests (§3.8.1.1) and seqno requests
 * (§3.8.1.2): answering, forwarding with a decremented hop count, duplicate
 * suppression, our own requests when starving (§3.8.2.1) resent with
 * exponential backoff until satisfied (§3.8.1.3). Pending requests live in a
 * hash table keyed by (prefix, src_prefix).
 */
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

#define REQ_RESEND_US 500000		/* first resend; doubles each time */
#define REQ_MAX_SENDS 4
#define REQ_DUP_US 2000000		/* identical forwards suppressed this long */

uint32_t babel_request_hnode_hash(const struct babel_hnode *n, const void *b)
{
	const struct babel_request *r = babel_container_of(n, struct babel_request, hnode);

	return babel_prefix_hash(b, &r->prefix, r->src.af ? &r->src : NULL);
}

static struct babel_request *request_find(struct babel *b, const struct babel_prefix *p,
					  const struct babel_prefix *src)
{
	uint32_t h;
	struct babel_prefix none = { .af = BABEL_AF_NONE };

	/* Every update received asks (babel_request_satisfy); there is
	 * nearly never a request outstanding. */
	if (!b->requests.n)
		return NULL;
	h = babel_prefix_hash(b, p, src && src->af ? src : NULL);
	for (struct babel_hnode *n = babel_htable_bucket(&b->requests, h); n; n = n->next) {
		struct babel_request *r = babel_container_of(n, struct babel_request, hnode);

		if (babel_src_equal(&r->prefix, p) &&
		    babel_src_equal(&r->src, src ? src : &none))
			return r;
	}
	return NULL;
}

static struct babel_request *request_get(struct babel *b, const struct babel_prefix *p,
					 const struct babel_prefix *src)
{
	struct babel_request *r = request_find(b, p, src);

	if (r)
		return r;
	r = babel_alloc(b, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->prefix = *p;
	if (src && src->af)
		r->src = *src;
	babel_timer_init(&r->timer, T_REQUEST);
	babel_htable_insert(&b->requests, &r->hnode,
			    babel_prefix_hash(b, p, src && src->af ? src : NULL));
	return r;
}

void babel_request_free(struct babel *b, struct babel_request *r)
{
	babel_heap_cancel(&b->timers, &r->timer);
	babel_htable_remove(&b->requests, &r->hnode);
	babel_dealloc(b, r, sizeof(*r));
}

/* Neighbour removal is rare and requests are few: a walk is fine here. */
void babel_requests_drop_neigh(struct babel *b, struct babel_neigh *nb)
{
	for (uint32_t i = 0; i < babel_htable_buckets(&b->requests); i++) {
		struct babel_hnode *n = b->requests.b[i];

		while (n) {
			struct babel_request *r = babel_container_of(n, struct babel_request,
								     hnode);
			n = n->next;
			if (r->to == nb)
				babel_request_free(b, r);
		}
	}
}

static void seqno_req_tlv(const struct babel_request *r, struct babel_tlv *t)
{
	memset(t, 0, sizeof(*t));
	t->type = BABEL_TLV_SEQNO_REQ;
	t->seqno_req.ae = r->prefix.af == BABEL_AF_INET ? BABEL_AE_IPV4 : BABEL_AE_IPV6;
	t->seqno_req.seqno = r->seqno;
	t->seqno_req.hop_count = r->hop_count;
	memcpy(t->seqno_req.router_id, r->router_id, 8);
	t->seqno_req.prefix = r->prefix;
	if (r->src.af) {
		t->seqno_req.has_src_prefix = true;
		t->seqno_req.src_prefix = r->src;
	}
}

static void request_send(struct babel *b, struct babel_request *r)
{
	struct babel_tlv t;
	struct babel_list *pos, *tmp;

	seqno_req_tlv(r, &t);
	if (r->to) {
		babel_out_tlv(b, r->to->ifp, r->to, &t);
		return;
	}
	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		babel_out_tlv(b, ifp, NULL, &t);
	}
}

static void request_source(struct babel *b, struct babel_entry *e,
			   const struct babel_source *s, struct babel_neigh *to,
			   uint64_t now)
{
	uint16_t seqno = babel_seqno_plus(s->seqno, 1);
	struct babel_request *r = request_find(b, &e->prefix, babel_entry_src(e));

	/* Already asked (the resend timer runs), or answered so recently that
	 * the answer is still on its way through links coming up. */
	if (r && memcmp(r->router_id, s->router_id, 8) == 0 &&
	    babel_seqno_le(seqno, r->seqno) &&
	    (!r->satisfied || now < r->forwarded_at + REQ_DUP_US))
		return;
	r = request_get(b, &e->prefix, babel_entry_src(e));
	if (!r)
		return;
	memcpy(r->router_id, s->router_id, 8);
	r->seqno = seqno;
	r->hop_count = BABEL_HOP_COUNT;
	r->to = to;
	r->sends = 1;
	r->satisfied = false;
	r->forwarded_at = now;
	request_send(b, r);
	b->ctr.seqno_requests_sent++;
	babel_heap_arm(&b->timers, &r->timer, now + REQ_RESEND_US);
}

/*
 * §3.8.2.1: no usable route. Ask for the seqno after the feasibility
 * distance of the best unfeasible candidate's source (from its neighbour),
 * or, with no candidate left, of the last source we announced (from all).
 * The first is a MUST; the second a MAY, and when a neighbour withdraws or
 * loses a whole table it would be one request per prefix, each to every
 * neighbour and resent with backoff (100,000 on a full withdrawal): it is
 * made only while fewer than BABEL_REQ_MAY_MAX requests are outstanding.
 */
#define BABEL_REQ_MAY_MAX 256
void babel_request_starving(struct babel *b, struct babel_entry *e, uint64_t now)
{
	struct babel_route *best = NULL;
	struct babel_source *s = NULL;

	for (struct babel_route *rt = e->routes; rt; rt = rt->next) {
		if (rt->refmetric == BABEL_INFINITY || rt->nb->cost == BABEL_INFINITY)
			continue;
		if (!best || babel_route_metric(rt) < babel_route_metric(best))
			best = rt;
	}
	if (best)
		s = babel_source_find(b, e, best->router_id);
	else if (!e->sent_own && b->requests.n < BABEL_REQ_MAY_MAX)
		s = babel_source_first(e);	/* the one announced last */
	if (s)
		request_source(b, e, s, best ? best->nb : NULL, now);
}

/*
 * §3.8.2.2 (as babeld): an unfeasible update that would be better than
 * the selected route: ask its neighbour for a newer seqno of that source,
 * otherwise a better route of another source would never be taken.
 */
void babel_request_unfeasible(struct babel *b, struct babel_entry *e,
			      struct babel_neigh *nb, const uint8_t rid[8], uint64_t now)
{
	struct babel_source *s = babel_source_find(b, e, rid);

	if (s)
		request_source(b, e, s, nb, now);
}

/* §3.8.1.3: an update with the requested router-id and a seqno at least
 * the requested one satisfies the request. */
void babel_request_satisfy(struct babel *b, struct babel_entry *e,
			   const uint8_t rid[8], uint16_t seqno)
{
	struct babel_request *r = request_find(b, &e->prefix, babel_entry_src(e));

	if (r && !r->satisfied && memcmp(r->router_id, rid, 8) == 0 &&
	    babel_seqno_le(r->seqno, seqno)) {
		r->satisfied = true;
		babel_heap_arm(&b->timers, &r->timer, r->forwarded_at + REQ_DUP_US);
	}
}

/* §3.8.1: resend with exponential backoff while still starving. */
void babel_request_timer(struct babel *b, struct babel_request *r, uint64_t now)
{
	struct babel_entry *e = babel_entry_find(b, &r->prefix,
						 r->src.af ? &r->src : NULL);
	bool starving = e && !babel_entry_selected(e) && !e->originated;

	if (!r->satisfied && starving && r->sends < REQ_MAX_SENDS) {
		request_send(b, r);
		b->ctr.seqno_requests_sent++;
		babel_heap_arm(&b->timers, &r->timer,
			       now + ((uint64_t)REQ_RESEND_US << r->sends));
		r->sends++;
		return;
	}
	if (now < r->forwarded_at + REQ_DUP_US) {
		babel_heap_arm(&b->timers, &r->timer, r->forwarded_at + REQ_DUP_US);
		return;
	}
	babel_request_free(b, r);
}

/* §3.8.1.1 */
void babel_handle_route_req(struct babel *b, struct babel_neigh *nb,
			    const struct babel_route_req *rq, uint64_t now)
{
	struct babel_entry *e;

	b->ctr.route_requests_received++;
	if (rq->prefix.af == BABEL_AF_NONE) {
		/* A wildcard request: a full table, unicast, paced. */
		babel_dump_start(b, &nb->dump, now);
		return;
	}
	e = babel_entry_find(b, &rq->prefix, rq->has_src_prefix ? &rq->src_prefix : NULL);
	if (e) {
		/* Triggered semantics: a retraction when we have nothing. */
		babel_send_entry(b, e, NULL, nb, true, now);
	} else {
		struct babel_tlv t;

		memset(&t, 0, sizeof(t));
		t.type = BABEL_TLV_UPDATE;
		t.update.ae = rq->prefix.af == BABEL_AF_INET ? BABEL_AE_IPV4 : BABEL_AE_IPV6;
		t.update.metric = BABEL_INFINITY;
		t.update.interval = (uint16_t)(nb->ifp->update_us / 10000);
		t.update.prefix = rq->prefix;
		t.update.has_src_prefix = rq->has_src_prefix;
		t.update.src_prefix = rq->src_prefix;
		babel_out_tlv(b, nb->ifp, nb, &t);
		b->ctr.updates_sent++;
	}
}

/*
 * Whether a and b are one router: the same neighbour, or on a link with
 * transport both its IPv6 and IPv4 selves (babel_neigh.other_af). §3.8.1.2
 * forwards a request to a neighbour other than the one it came from, and
 * that router is the requester whatever address or transport it used.
 */
static bool same_router(const struct babel_neigh *a, const struct babel_neigh *b)
{
	if (a == b)
		return true;
	if (a->ifp != b->ifp || a->addr.af == b->addr.af)
		return false;
	return babel_addr_equal(&a->other_af, &b->addr) ||
	       babel_addr_equal(&b->other_af, &a->addr);
}

/* The neighbour to forward a seqno request to: the selected route's, or
 * any other with a finite metric; never the requester. */
static struct babel_neigh *forward_target(struct babel_entry *e, struct babel_neigh *from)
{
	if (babel_entry_selected(e) && !same_router(babel_entry_selected(e)->nb, from))
		return babel_entry_selected(e)->nb;
	for (struct babel_route *r = e->routes; r; r = r->next)
		if (!same_router(r->nb, from) && r->refmetric != BABEL_INFINITY &&
		    r->nb->cost != BABEL_INFINITY)
			return r->nb;
	return NULL;
}

/* §3.8.1.2 */
void babel_handle_seqno_req(struct babel *b, struct babel_neigh *nb,
			    const struct babel_seqno_req *rq, uint64_t now)
{
	const struct babel_prefix *src = rq->has_src_prefix ? &rq->src_prefix : NULL;
	struct babel_entry *e = babel_entry_find(b, &rq->prefix, src);
	struct babel_route *sel;
	struct babel_request *r;
	struct babel_neigh *to;
	struct babel_tlv t;

	if (!e)
		return;
	if (e->originated) {
		if (memcmp(rq->router_id, b->router_id, 8) == 0 &&
		    babel_seqno_lt(b->seqno, rq->seqno)) {
			/* We are the source: one step newer, announced to all. */
			babel_seqno_bump(b, babel_seqno_plus(b->seqno, 1), now);
		} else {
			babel_send_entry(b, e, NULL, nb, false, now);
		}
		return;
	}
	sel = babel_entry_selected(e);
	if (sel && babel_route_metric(sel) != BABEL_INFINITY &&
	    (memcmp(sel->router_id, rq->router_id, 8) != 0 ||
	     babel_seqno_le(rq->seqno, sel->seqno))) {
		babel_send_entry(b, e, NULL, nb, false, now);
		return;
	}
	if (rq->hop_count < 2)
		return;
	r = request_find(b, &rq->prefix, src);
	if (r && memcmp(r->router_id, rq->router_id, 8) == 0 &&
	    babel_seqno_le(rq->seqno, r->seqno) && now < r->forwarded_at + REQ_DUP_US) {
		b->ctr.seqno_requests_duplicate++;
		return;
	}
	to = forward_target(e, nb);
	if (!to)
		return;
	r = request_get(b, &rq->prefix, src);
	if (!r)
		return;
	memcpy(r->router_id, rq->router_id, 8);
	r->seqno = rq->seqno;
	r->hop_count = (uint8_t)(rq->hop_count - 1);
	r->to = to;
	r->sends = REQ_MAX_SENDS;	/* forwarded requests are not resent */
	r->satisfied = false;
	r->forwarded_at = now;
	seqno_req_tlv(r, &t);
	babel_out_tlv(b, to->ifp, to, &t);
	b->ctr.seqno_requests_forwarded++;
	babel_heap_arm(&b->timers, &r->timer, now + REQ_DUP_US);
}
