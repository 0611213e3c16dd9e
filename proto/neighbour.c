/* SPDX-License-Identifier: MIT */
/*
 * proto/neighbour.c — neighbours: Hello histories (RFC 8966 §3.4.1,
 * Appendix A.1; unicast and multicast kept apart), IHU and txcost (§3.4.2),
 * link cost (Appendix A.2), RTT (RFC 9616) and neighbour loss, which drops
 * the neighbour's routes in O(its routes).
 */
#include <errno.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

static uint32_t neigh_hash(const struct babel *b, unsigned ifindex,
			   const struct babel_addr *a)
{
	uint8_t key[4 + 1 + 16];
	size_t alen = a->af == BABEL_AF_INET ? 4 : 16;

	memcpy(key, &ifindex, 4);
	key[4] = a->af;
	memset(key + 5, 0, 16);
	memcpy(key + 5, a->addr, alen);
	return babel_hash_bytes(key, sizeof(key), b->hash_seed);
}

uint32_t babel_neigh_hnode_hash(const struct babel_hnode *n, const void *b)
{
	const struct babel_neigh *nb = babel_container_of(n, struct babel_neigh, hnode);

	return neigh_hash(b, nb->ifp->ifindex, &nb->addr);
}

static bool addr_same(const struct babel_addr *a, const struct babel_addr *b)
{
	size_t alen = a->af == BABEL_AF_INET ? 4 : 16;

	return a->af == b->af && memcmp(a->addr, b->addr, alen) == 0;
}

struct babel_neigh *babel_neigh_find(struct babel *b, unsigned ifindex,
				     const struct babel_addr *addr)
{
	uint32_t h = neigh_hash(b, ifindex, addr);

	for (struct babel_hnode *n = babel_htable_bucket(&b->neighs, h); n; n = n->next) {
		struct babel_neigh *nb = babel_container_of(n, struct babel_neigh, hnode);

		if (nb->ifp->ifindex == ifindex &&
		    addr_same(&nb->addr, addr))
			return nb;
	}
	return NULL;
}

struct babel_neigh *babel_neigh_get(struct babel *b, struct babel_iface *ifp,
				    const struct babel_addr *addr, bool *created)
{
	struct babel_neigh *nb = babel_neigh_find(b, ifp->ifindex, addr);

	*created = false;
	if (nb)
		return nb;
	nb = babel_alloc(b, sizeof(*nb));
	if (!nb)
		return NULL;
	memset(nb, 0, sizeof(*nb));
	nb->ifp = ifp;
	nb->addr = *addr;
	nb->txcost = BABEL_INFINITY;
	nb->cost = BABEL_INFINITY;
	nb->uc_seqno = (uint16_t)(b->hash_seed >> 16);
	babel_timer_init(&nb->mc_timer, T_NEIGH_MC_HELLO);
	babel_timer_init(&nb->uc_timer, T_NEIGH_UC_HELLO);
	babel_timer_init(&nb->ihu_timer, T_NEIGH_IHU);
	babel_timer_init(&nb->routes_timer, T_NEIGH_ROUTES);
	babel_list_init(&nb->routes);
	babel_list_init(&nb->dump.link);
	nb->dump.ifp = ifp;
	nb->dump.nb = nb;
	babel_list_add_tail(&ifp->neighs, &nb->iface_link);
	babel_htable_insert(&b->neighs, &nb->hnode, neigh_hash(b, ifp->ifindex, addr));
	b->ctr.neighbours++;
	*created = true;
	return nb;
}

void babel_neigh_flush_routes(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	struct babel_list *pos, *tmp;

	babel_list_for_each_safe(pos, tmp, &nb->routes) {
		struct babel_route *r = babel_container_of(pos, struct babel_route, nlink);
		struct babel_entry *e = r->e;

		babel_route_free(b, r, now);
		babel_entry_select(b, e, now);
		babel_entry_maybe_free(b, e);
	}
	babel_heap_cancel(&b->timers, &nb->routes_timer);
}

void babel_neigh_free(struct babel *b, struct babel_neigh *nb)
{
	babel_neigh_flush_routes(b, nb, b->now);
	babel_requests_drop_neigh(b, nb);
	babel_dump_stop(b, &nb->dump);
	if (nb->ucast)
		babel_obuf_discard(b, nb->ucast);
	babel_heap_cancel(&b->timers, &nb->mc_timer);
	babel_heap_cancel(&b->timers, &nb->uc_timer);
	babel_heap_cancel(&b->timers, &nb->ihu_timer);
	babel_list_del(&nb->iface_link);
	babel_htable_remove(&b->neighs, &nb->hnode);
	b->ctr.neighbours--;
	babel_dealloc(b, nb, sizeof(*nb));
}

/*
 * The rxcost we announce in IHUs. Each history gives a cost by the
 * interface's algorithm (Appendix A.2); with both kinds of Hellos in use
 * (§3.4.1) the better one counts, so a link is up when either works.
 */
uint16_t babel_neigh_rxcost(const struct babel_neigh *nb)
{
	const struct babel_iface *ifp = nb->ifp;
	bool etx = ifp->cfg.link_cost == BABEL_LINK_COST_ETX ||
		   (ifp->cfg.link_cost == BABEL_LINK_COST_DEFAULT &&
		    ifp->cfg.type == BABEL_IFACE_WIRELESS);
	uint16_t best = BABEL_INFINITY;
	const struct babel_hello_hist *hs[2] = { &nb->mc, &nb->uc };

	for (int i = 0; i < 2; i++) {
		uint16_t c;

		if (!hs[i]->valid)
			continue;
		if (etx) {
			c = babel_rxcost_etx(hs[i]->history);
			if (c != BABEL_INFINITY)
				c = babel_metric_add(c, ifp->rxcost > 256 ? ifp->rxcost - 256 : 0);
		} else {
			c = babel_rxcost_2of3(hs[i]->history,
					      babel_hello_history_span(hs[i]->expected,
								       hs[i]->first),
					      ifp->rxcost);
		}
		if (c < best)
			best = c;
	}
	return best;
}

static uint16_t neigh_compute_cost(const struct babel_neigh *nb)
{
	const struct babel_iface *ifp = nb->ifp;
	bool etx = ifp->cfg.link_cost == BABEL_LINK_COST_ETX ||
		   (ifp->cfg.link_cost == BABEL_LINK_COST_DEFAULT &&
		    ifp->cfg.type == BABEL_IFACE_WIRELESS);
	uint16_t rx = babel_neigh_rxcost(nb);
	uint16_t c = etx ? babel_link_cost_etx(rx, nb->txcost)
			 : babel_link_cost_2of3(rx, nb->txcost);

	if (c != BABEL_INFINITY && ifp->rtt && nb->rtt_valid) {
		c = babel_metric_add(c, babel_rtt_penalty(nb->srtt, ifp->rtt_min_us,
							  ifp->rtt_max_us,
							  ifp->max_rtt_penalty));
		if (c == BABEL_INFINITY)
			c = BABEL_INFINITY - 1;
	}
	return c;
}

/* A link cost change re-evaluates every route through the neighbour. */
void babel_neigh_update_cost(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	uint16_t c = neigh_compute_cost(nb);
	struct babel_list *pos, *tmp;

	if (c == nb->cost)
		return;
	/* Smoothed metrics advance with the old cost up to now. */
	babel_list_for_each_safe(pos, tmp, &nb->routes)
		babel_route_smoothed(b, babel_container_of(pos, struct babel_route, nlink), now);
	nb->cost = c;
	babel_list_for_each_safe(pos, tmp, &nb->routes) {
		struct babel_route *r = babel_container_of(pos, struct babel_route, nlink);

		babel_entry_select(b, r->e, now);
	}
}

static uint64_t cs_to_us(uint16_t cs)
{
	return (uint64_t)cs * 10000;
}

void babel_neigh_handle_hello(struct babel *b, struct babel_neigh *nb,
			      const struct babel_hello *h, uint64_t now)
{
	bool unicast = h->flags & BABEL_HELLO_F_UNICAST;
	struct babel_hello_hist *hist = unicast ? &nb->uc : &nb->mc;
	struct babel_timer *t = unicast ? &nb->uc_timer : &nb->mc_timer;
	uint16_t old_rx = babel_neigh_rxcost(nb);
	bool was_valid = hist->valid;
	bool restarted = babel_hello_history_receive(&hist->history, &hist->expected,
						     &hist->valid, h->seqno);

	if (!was_valid || restarted)
		hist->first = h->seqno;
	if (restarted) {
		/*
		 * The neighbour restarted: the routes it announced before are
		 * from its previous life, bounded by feasibility distances it
		 * no longer has. Keeping them could loop through it.
		 */
		babel_neigh_flush_routes(b, nb, now);
		nb->have_ts = false;
		nb->rtt_samples = 0;	/* its RTT starts again too */
	}
	hist->interval_cs = h->interval;
	/* Appendix A.1: a Hello is missed when none came within 1.5 intervals. */
	if (h->interval)
		babel_heap_arm(&b->timers, t, now + cs_to_us(h->interval) * 3 / 2);
	else
		babel_heap_cancel(&b->timers, t);
	if (h->has_timestamp) {
		nb->have_ts = true;
		nb->ts_origin = h->timestamp;
		nb->ts_receive = babel_us32(now);
	}
	babel_neigh_update_cost(b, nb, now);
	/* The link just came up on our side: tell the neighbour promptly. */
	if (old_rx == BABEL_INFINITY && babel_neigh_rxcost(nb) != BABEL_INFINITY)
		babel_prompt_hello(b, nb, now);
}

void babel_neigh_handle_ihu(struct babel *b, struct babel_neigh *nb,
			    const struct babel_ihu *ihu,
			    const struct babel_hello *hello, uint64_t now)
{
	uint64_t interval = ihu->interval ? cs_to_us(ihu->interval)
					  : 3 * (uint64_t)nb->ifp->hello_us;
	uint32_t sample;

	nb->txcost = ihu->rxcost;
	/* §3.4.2: the IHU hold time is 3.5 times its interval. */
	babel_heap_arm(&b->timers, &nb->ihu_timer, now + interval * 7 / 2);
	/* Heard only through IHUs so far (babel_receive): no Hello timer
	 * runs, so one is armed to forget it when the IHU expires unless a
	 * Hello comes first (it re-arms the timer). */
	if (!nb->mc.valid && !nb->uc.valid && !nb->is_peer)
		babel_heap_arm(&b->timers, &nb->mc_timer, now + interval * 7 / 2);
	/* RFC 9616 §4.1: needs the Hello timestamped in the same packet. */
	if (nb->ifp->rtt && ihu->has_timestamp && hello && hello->has_timestamp &&
	    ihu->ts_origin != 0 &&
	    babel_rtt_sample(babel_us32(now), ihu->ts_origin, ihu->ts_receive,
			     hello->timestamp, &sample)) {
		if (!nb->rtt_valid)
			nb->rtt_samples = 0;
		nb->srtt = babel_rtt_update(nb->srtt, &nb->rtt_samples, sample);
		nb->rtt_valid = true;
	}
	babel_neigh_update_cost(b, nb, now);
}

bool babel_neigh_alive(const struct babel_neigh *nb)
{
	return nb->mc.history || nb->uc.history;
}

const char *babel_neigh_loss_name(enum babel_neigh_loss cause)
{
	static const char *const names[BABEL_LOSS_MAX] = {
		[BABEL_LOSS_HELLO_TIMEOUT] = "hello-timeout",
		[BABEL_LOSS_UNREACHABLE] = "unreachable",
		[BABEL_LOSS_IFACE_DOWN] = "interface-down",
		[BABEL_LOSS_PEER_REMOVED] = "peer-removed",
	};

	return (unsigned)cause < BABEL_LOSS_MAX ? names[cause] : "unknown";
}

void babel_neigh_lost(struct babel *b, const struct babel_neigh *nb,
		      enum babel_neigh_loss cause)
{
	b->ctr.neighbours_lost[cause]++;
	if (b->cb.neigh_lost)
		b->cb.neigh_lost(b->cb.ctx, nb->ifp->ifindex, &nb->addr, cause);
}

/* Both histories empty: the neighbour is gone (Appendix A.1). */
static void neigh_check_dead(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	if (nb->mc.history || nb->uc.history)
		return;
	if (nb->is_peer) {
		nb->txcost = BABEL_INFINITY;
		nb->rtt_valid = false;
		nb->have_ts = false;
		babel_heap_cancel(&b->timers, &nb->ihu_timer);
		babel_neigh_flush_routes(b, nb, now);
		nb->cost = BABEL_INFINITY;
		return;
	}
	babel_neigh_free(b, nb);
}

void babel_neigh_timer(struct babel *b, struct babel_timer *t, uint64_t now)
{
	struct babel_neigh *nb;
	struct babel_hello_hist *hist;
	bool alive;

	switch (t->kind) {
	case T_NEIGH_MC_HELLO:
	case T_NEIGH_UC_HELLO:
		if (t->kind == T_NEIGH_MC_HELLO) {
			nb = babel_container_of(t, struct babel_neigh, mc_timer);
			hist = &nb->mc;
		} else {
			nb = babel_container_of(t, struct babel_neigh, uc_timer);
			hist = &nb->uc;
		}
		alive = babel_neigh_alive(nb);
		babel_hello_history_miss(&hist->history, &hist->expected);
		if (alive && !babel_neigh_alive(nb))
			babel_neigh_lost(b, nb, BABEL_LOSS_HELLO_TIMEOUT);
		if (hist->history)
			babel_heap_arm(&b->timers, t, now + cs_to_us(hist->interval_cs));
		babel_neigh_update_cost(b, nb, now);
		neigh_check_dead(b, nb, now);
		break;
	case T_NEIGH_IHU:
		nb = babel_container_of(t, struct babel_neigh, ihu_timer);
		nb->txcost = BABEL_INFINITY;
		babel_neigh_update_cost(b, nb, now);
		break;
	case T_NEIGH_ROUTES:
		nb = babel_container_of(t, struct babel_neigh, routes_timer);
		babel_neigh_routes_timer(b, nb, now);
		break;
	default:
		break;
	}
}

/*
 * The neighbour's host told us that nothing listens on the Babel port any
 * more (an ICMP port unreachable for a datagram we sent it: the Babel
 * process died or restarted while its host stayed up). That is what missed
 * Hellos would tell us later (Appendix A.1), so the same path runs now: both
 * Hello histories are lost, the link cost goes to infinity (routes through
 * it fail over or are retracted, §3.5.4 / §3.7.2) and the neighbour is
 * dropped, or for a WireGuard peer kept without routes until it speaks
 * again.
 */
int babel_neigh_unreachable(struct babel *b, unsigned ifindex,
			    const struct babel_addr *addr, uint64_t now)
{
	struct babel_neigh *nb = babel_neigh_find(b, ifindex, addr);

	b->now = now;
	if (!nb)
		return -ENOENT;
	/* Already dropped (a peer kept since the last ICMP, not heard
	 * again): each packet we still send it brings another ICMP. */
	if (!nb->mc.valid && !nb->uc.valid && !nb->mc.history &&
	    !nb->uc.history && !nb->nroutes)
		return 1;
	if (babel_neigh_alive(nb))
		babel_neigh_lost(b, nb, BABEL_LOSS_UNREACHABLE);
	nb->mc.history = nb->uc.history = 0;
	/* Its next Hello starts a new history, as after a restart. */
	nb->mc.valid = nb->uc.valid = false;
	babel_heap_cancel(&b->timers, &nb->mc_timer);
	babel_heap_cancel(&b->timers, &nb->uc_timer);
	babel_neigh_update_cost(b, nb, now);
	neigh_check_dead(b, nb, now);
	babel_flush(b);
	return 0;
}
