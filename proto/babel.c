/* SPDX-License-Identifier: MIT */
/*
 * proto/babel.c — the engine's life cycle, interfaces and peers, packet
 * input (parse the whole datagram, then apply), the timer loop, and the
 * prefixes we originate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

/* A new neighbour's large first dump goes out again this much later. */
#define BABEL_REDUMP_US 1000000ULL

void *babel_alloc(struct babel *b, size_t size)
{
	void *p = malloc(size);

	if (p)
		b->mem += size;
	return p;
}

void babel_dealloc(struct babel *b, void *p, size_t size)
{
	if (!p)
		return;
	b->mem -= size;
	free(p);
}

void babel_logf(struct babel *b, enum babel_log_level lvl, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!b->cb.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->cb.log(b->cb.ctx, lvl, msg);
}

static uint32_t ifindex_hash(const struct babel *b, unsigned ifindex)
{
	return babel_hash_bytes(&ifindex, sizeof(ifindex), b->hash_seed);
}

static uint32_t iface_hnode_hash(const struct babel_hnode *n, const void *b)
{
	return ifindex_hash(b, babel_container_of(n, struct babel_iface, hnode)->ifindex);
}

/* xroute_tab and source_tab: keyed by their entry (by address: the key
 * lives only in this process, and is cheaper than the entry's prefix). */
uint32_t babel_entry_ptr_hash(const struct babel *b, const struct babel_entry *e)
{
	return babel_hash_bytes(&e, sizeof(e), b->hash_seed);
}

static uint32_t xroute_hnode_hash(const struct babel_hnode *n, const void *b)
{
	return babel_entry_ptr_hash(b, babel_container_of(n, struct babel_xroute, hnode)->e);
}

struct babel_iface *babel_iface_find(struct babel *b, unsigned ifindex)
{
	uint32_t h = ifindex_hash(b, ifindex);

	for (struct babel_hnode *n = babel_htable_bucket(&b->ifaces, h); n; n = n->next) {
		struct babel_iface *ifp = babel_container_of(n, struct babel_iface, hnode);

		if (ifp->ifindex == ifindex)
			return ifp;
	}
	return NULL;
}

/* The startup hold (babel.h, startup_hold_ms) runs from NOW. */
static void hold_begin(struct babel *b, uint64_t now_us)
{
	b->hold_start = now_us;
	b->hold_until = now_us + (uint64_t)b->cfg.startup_hold_ms * 1000;
	b->hold_max = now_us + (uint64_t)b->cfg.startup_hold_max_ms * 1000;
	b->hold_waited = false;
	babel_heap_arm(&b->timers, &b->startup, b->hold_until);
}

struct babel *babel_new(const struct babel_config *cfg,
			const struct babel_callbacks *cb, uint64_t now_us)
{
	struct babel *b;

	if (!cfg || !cb || !cb->send || !cb->fib_change)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->mem = sizeof(*b);
	b->cfg = *cfg;
	b->cb = *cb;
	if (!b->cfg.hello_interval_ms)
		b->cfg.hello_interval_ms = 4000;
	if (!b->cfg.update_interval_ms)
		b->cfg.update_interval_ms = 4 * b->cfg.hello_interval_ms;
	if (!b->cfg.smoothing_half_life_ms)
		b->cfg.smoothing_half_life_ms = 4000;
	if (!b->cfg.switch_threshold)
		b->cfg.switch_threshold = 128;
	if (!b->cfg.update_burst)
		b->cfg.update_burst = 1000;
	if (!b->cfg.unicast_burst)
		b->cfg.unicast_burst = 250;
	if (!b->cfg.update_scale_entries)
		b->cfg.update_scale_entries = 12500;
	if (!b->cfg.source_gc_ms)
		b->cfg.source_gc_ms = 180000;
	if (!b->cfg.fast_probe_max)
		b->cfg.fast_probe_max = 32;
	if (!b->cfg.fast_probe_rate)
		b->cfg.fast_probe_rate = 160;
	b->half_life_us = b->cfg.smoothing_half_life_ms == BABEL_NO_SMOOTHING
				  ? 0 : (uint64_t)b->cfg.smoothing_half_life_ms * 1000;
	memcpy(b->router_id, cfg->router_id, 8);
	b->seqno = cfg->seqno;
	/* Hash seed and initial Hello seqnos: a restarted router must not
	 * replay its previous Hello seqnos, so mix in the clock and seqno. */
	memcpy(&b->hash_seed, cfg->router_id, 8);
	b->hash_seed ^= 0x5bd1e9955bd1e995ULL ^ ((uint64_t)cfg->seqno << 48);
	b->hash_seed = babel_hash_bytes(&now_us, sizeof(now_us), b->hash_seed) |
		       ((uint64_t)babel_hash_bytes(&b->hash_seed, 8, now_us) << 32);
	b->now = now_us;
	babel_heap_init(&b->timers, &b->mem);
	babel_pool_init(&b->entry_pool, sizeof(struct babel_entry), &b->mem);
	babel_pool_init(&b->entry_src_pool, offsetof(struct babel_entry, src) +
			sizeof(struct babel_prefix), &b->mem);
	babel_pool_init(&b->route_pool, sizeof(struct babel_route), &b->mem);
	babel_pool_init(&b->route_nh_pool, offsetof(struct babel_route, nexthop) +
			sizeof(struct babel_addr), &b->mem);
	babel_pool_init(&b->source_pool, sizeof(struct babel_source_node), &b->mem);
	babel_list_init(&b->xroutes);
	babel_list_init(&b->iface_list);
	babel_list_init(&b->dumps);
	babel_list_init(&b->pending);
	babel_timer_init(&b->pace, T_PACE);
	babel_timer_init(&b->startup, T_STARTUP);
	if (babel_htable_init(&b->ifaces, &b->mem, iface_hnode_hash, b) < 0 ||
	    babel_htable_init(&b->neighs, &b->mem, babel_neigh_hnode_hash, b) < 0 ||
	    babel_htable_init(&b->entries, &b->mem, babel_entry_hnode_hash, b) < 0 ||
	    babel_htable_init(&b->requests, &b->mem, babel_request_hnode_hash, b) < 0 ||
	    babel_htable_init(&b->xroute_tab, &b->mem, xroute_hnode_hash, b) < 0 ||
	    babel_htable_init(&b->source_tab, &b->mem, babel_source_hnode_hash, b) < 0) {
		babel_free(b);
		return NULL;
	}
	if (b->cfg.startup_hold_ms != BABEL_NO_HOLD) {
		if (!b->cfg.startup_hold_ms)
			b->cfg.startup_hold_ms = 1000;
		if (!b->cfg.startup_hold_max_ms)
			b->cfg.startup_hold_max_ms = 3000;
		if (b->cfg.startup_hold_max_ms < b->cfg.startup_hold_ms)
			b->cfg.startup_hold_max_ms = b->cfg.startup_hold_ms;
		hold_begin(b, now_us);
	}
	return b;
}

static void iface_free(struct babel *b, struct babel_iface *ifp)
{
	while (!babel_list_empty(&ifp->neighs))
		babel_neigh_free(b, babel_container_of(ifp->neighs.next,
						       struct babel_neigh, iface_link));
	babel_dump_stop(b, &ifp->dump);
	if (ifp->mcast)
		babel_obuf_discard(b, ifp->mcast);
	if (ifp->mcast4)
		babel_obuf_discard(b, ifp->mcast4);
	babel_heap_cancel(&b->timers, &ifp->hello_timer);
	babel_heap_cancel(&b->timers, &ifp->update_timer);
	babel_heap_cancel(&b->timers, &ifp->sweep_timer);
	babel_list_del(&ifp->link);
	babel_htable_remove(&b->ifaces, &ifp->hnode);
	babel_dealloc(b, ifp, sizeof(*ifp));
}

/* Tear down without callbacks: routes are dropped raw, not re-selected. */
void babel_free(struct babel *b)
{
	if (!b)
		return;
	b->events = false;
	b->shut = true;
	babel_heap_fini(&b->timers);	/* every timer idle before objects go */
	while (!babel_list_empty(&b->xroutes)) {
		struct babel_xroute *x = babel_container_of(b->xroutes.next,
							    struct babel_xroute, link);
		x->e->originated = false;
		babel_list_del(&x->link);
		babel_dealloc(b, x, sizeof(*x));
	}
	/* Entries, routes and sources go with their pools; the neighbours'
	 * route lists run through those routes, so they are emptied first. */
	for (struct babel_list *p = b->iface_list.next; p != &b->iface_list; p = p->next) {
		struct babel_iface *ifp = babel_container_of(p, struct babel_iface, link);

		for (struct babel_list *q = ifp->neighs.next; q != &ifp->neighs; q = q->next) {
			struct babel_neigh *nb = babel_container_of(q, struct babel_neigh,
								    iface_link);

			babel_list_init(&nb->routes);
			nb->nroutes = 0;
		}
	}
	if (b->entries.b)
		memset(b->entries.b, 0, babel_htable_buckets(&b->entries) * sizeof(*b->entries.b));
	babel_dealloc(b, b->holds, b->cap_holds * sizeof(*b->holds));
	babel_pool_fini(&b->entry_pool);
	babel_pool_fini(&b->entry_src_pool);
	babel_pool_fini(&b->route_pool);
	babel_pool_fini(&b->route_nh_pool);
	babel_pool_fini(&b->source_pool);
	for (uint32_t i = 0; b->requests.b && i < babel_htable_buckets(&b->requests); i++) {
		struct babel_hnode *n = b->requests.b[i];

		while (n) {
			struct babel_hnode *next = n->next;

			babel_dealloc(b, babel_container_of(n, struct babel_request, hnode),
				      sizeof(struct babel_request));
			n = next;
		}
		b->requests.b[i] = NULL;
	}
	b->entries.n = b->requests.n = 0;
	while (!babel_list_empty(&b->iface_list))
		iface_free(b, babel_container_of(b->iface_list.next,
						 struct babel_iface, link));
	babel_htable_fini(&b->ifaces);
	babel_htable_fini(&b->neighs);
	babel_htable_fini(&b->entries);
	babel_htable_fini(&b->requests);
	babel_htable_fini(&b->xroute_tab);
	babel_htable_fini(&b->source_tab);
	free(b->tlvs);
	free(b);
}

/* ---- interfaces ---- */

static bool rtt_default_on(enum babel_iface_type t)
{
	return t == BABEL_IFACE_TUNNEL || t == BABEL_IFACE_WIREGUARD;
}

int babel_iface_add(struct babel *b, unsigned ifindex,
		    const struct babel_iface_config *cfg, uint64_t now_us)
{
	struct babel_iface *ifp;

	b->now = now_us;
	if (!cfg || cfg->type > BABEL_IFACE_WIREGUARD || cfg->link_cost > BABEL_LINK_COST_ETX ||
	    cfg->transport > BABEL_TRANSPORT_BOTH ||
	    (cfg->fast_probe_ms > 60000 && cfg->fast_probe_ms != BABEL_NO_FAST_PROBE))
		return -EINVAL;
	if (babel_iface_find(b, ifindex))
		return -EEXIST;
	ifp = babel_alloc(b, sizeof(*ifp));
	if (!ifp)
		return -ENOMEM;
	memset(ifp, 0, sizeof(*ifp));
	ifp->ifindex = ifindex;
	ifp->cfg = *cfg;
	ifp->up = true;
	ifp->hello_us = (cfg->hello_interval_ms ? cfg->hello_interval_ms
						: b->cfg.hello_interval_ms) * 1000u;
	ifp->update_base_us = (cfg->update_interval_ms ? cfg->update_interval_ms
						       : b->cfg.update_interval_ms) * 1000u;
	ifp->update_us = ifp->update_base_us;
	ifp->rxcost = cfg->rxcost ? cfg->rxcost
				  : cfg->type == BABEL_IFACE_WIRELESS ? 256 : 96;
	ifp->rtt = cfg->rtt == BABEL_ON || (cfg->rtt == BABEL_DEFAULT && rtt_default_on(cfg->type));
	ifp->split_horizon = cfg->split_horizon == BABEL_ON ||
		(cfg->split_horizon == BABEL_DEFAULT && cfg->type != BABEL_IFACE_WIRELESS);
	/* RFC 9616 §4.3 defaults. */
	ifp->rtt_min_us = (cfg->rtt_min_ms ? cfg->rtt_min_ms : 10) * 1000u;
	ifp->rtt_max_us = (cfg->rtt_max_ms ? cfg->rtt_max_ms : 120) * 1000u;
	ifp->max_rtt_penalty = cfg->max_rtt_penalty ? cfg->max_rtt_penalty : 150;
	/* Fast probes (neighbour.c): by default on links without multicast,
	 * WireGuard: a tunnel whose peer dies says nothing. */
	if (cfg->fast_probe_ms == BABEL_NO_FAST_PROBE)
		ifp->probe_us = 0;
	else if (cfg->fast_probe_ms)
		ifp->probe_us = cfg->fast_probe_ms * 1000u;
	else
		ifp->probe_us = cfg->unicast_only ? 100000 : 0;
	ifp->probe_misses = cfg->fast_probe_misses ? cfg->fast_probe_misses : 9;
	ifp->hello_seqno = (uint16_t)(b->hash_seed >> 32);
	babel_list_init(&ifp->neighs);
	babel_timer_init(&ifp->hello_timer, T_IFACE_HELLO);
	babel_timer_init(&ifp->update_timer, T_IFACE_UPDATE);
	babel_timer_init(&ifp->sweep_timer, T_IFACE_SWEEP);
	babel_list_init(&ifp->dump.link);
	ifp->dump.ifp = ifp;
	babel_list_add_tail(&b->iface_list, &ifp->link);
	babel_htable_insert(&b->ifaces, &ifp->hnode, ifindex_hash(b, ifindex));
	babel_heap_arm(&b->timers, &ifp->hello_timer, now_us);
	babel_heap_arm(&b->timers, &ifp->update_timer, now_us + ifp->update_us);
	/*
	 * The startup hold counts from Babel's start on its first interface,
	 * not from babel_new(): a daemon adds its interfaces once the kernel
	 * has listed its links, and a WireGuard one's peers once the device
	 * has been read (0.1-0.3 s after the start in the qemu guest). Where
	 * that takes longer than the hold (a loaded host, an interface
	 * brought up after the daemon), the hold ran out before any
	 * neighbour could answer and held nothing. Nothing can have been
	 * learned before the first interface, so holding again is safe even
	 * after the hold ran out.
	 */
	if (!b->had_iface) {
		b->had_iface = true;
		if (b->cfg.startup_hold_ms != BABEL_NO_HOLD)
			hold_begin(b, now_us);
	}
	if (!cfg->unicast_only) {
		struct babel_tlv t;

		/* A wildcard request so the link's routers tell us everything. */
		memset(&t, 0, sizeof(t));
		t.type = BABEL_TLV_ROUTE_REQ;
		babel_out_tlv(b, ifp, NULL, &t);
	}
	return 0;
}

int babel_iface_del(struct babel *b, unsigned ifindex, uint64_t now_us)
{
	struct babel_iface *ifp = babel_iface_find(b, ifindex);

	struct babel_list *pos, *tmp;

	b->now = now_us;
	if (!ifp)
		return -ENOENT;
	babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
		struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
							    iface_link);
		if (babel_neigh_alive(nb))
			babel_neigh_lost(b, nb, BABEL_LOSS_IFACE_DOWN);
	}
	iface_free(b, ifp);
	babel_flush(b);
	return 0;
}

int babel_iface_set_up(struct babel *b, unsigned ifindex, bool up, uint64_t now_us)
{
	struct babel_iface *ifp = babel_iface_find(b, ifindex);
	struct babel_list *pos, *tmp;

	b->now = now_us;
	if (!ifp)
		return -ENOENT;
	if (ifp->up == up)
		return 0;
	if (!up) {
		babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
			struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
								    iface_link);
			if (babel_neigh_alive(nb))
				babel_neigh_lost(b, nb, BABEL_LOSS_IFACE_DOWN);
			if (nb->is_peer) {
				memset(&nb->mc, 0, sizeof(nb->mc));
				memset(&nb->uc, 0, sizeof(nb->uc));
				babel_heap_cancel(&b->timers, &nb->mc_timer);
				babel_heap_cancel(&b->timers, &nb->uc_timer);
				babel_heap_cancel(&b->timers, &nb->ihu_timer);
				nb->txcost = BABEL_INFINITY;
				babel_neigh_set_cost(b, nb, BABEL_INFINITY);
				nb->rtt_valid = false;
				babel_neigh_flush_routes(b, nb, now_us);
				babel_dump_stop(b, &nb->dump);
			} else {
				babel_neigh_free(b, nb);
			}
		}
		babel_dump_stop(b, &ifp->dump);
		if (ifp->mcast)
			babel_obuf_discard(b, ifp->mcast);
		if (ifp->mcast4)
			babel_obuf_discard(b, ifp->mcast4);
		babel_heap_cancel(&b->timers, &ifp->hello_timer);
		babel_heap_cancel(&b->timers, &ifp->update_timer);
		babel_heap_cancel(&b->timers, &ifp->sweep_timer);
		ifp->sweep_left = 0;
		ifp->up = false;
	} else {
		ifp->up = true;
		babel_heap_arm(&b->timers, &ifp->hello_timer, now_us);
		babel_heap_arm(&b->timers, &ifp->update_timer, now_us + ifp->update_us);
		babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
			struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
								    iface_link);
			babel_send_wildcard_request(b, nb);
		}
		if (!ifp->cfg.unicast_only) {
			struct babel_tlv t;

			memset(&t, 0, sizeof(t));
			t.type = BABEL_TLV_ROUTE_REQ;
			babel_out_tlv(b, ifp, NULL, &t);
		}
	}
	babel_flush(b);
	return 0;
}

static bool addr_valid(const struct babel_addr *a)
{
	return a && (a->af == BABEL_AF_INET || a->af == BABEL_AF_INET6);
}

int babel_iface_add_peer(struct babel *b, unsigned ifindex,
			 const struct babel_addr *addr, uint64_t now_us)
{
	struct babel_iface *ifp = babel_iface_find(b, ifindex);
	struct babel_neigh *nb;
	bool created;

	b->now = now_us;
	if (!ifp)
		return -ENOENT;
	if (!addr_valid(addr))
		return -EINVAL;
	nb = babel_neigh_get(b, ifp, addr, &created);
	if (!nb)
		return -ENOMEM;
	if (nb->is_peer)
		return -EEXIST;
	nb->is_peer = true;
	ifp->npeers++;
	/* A new peer gets a Hello and a wildcard request at once. */
	babel_send_hello_to(b, nb, now_us);
	babel_send_wildcard_request(b, nb);
	babel_flush(b);
	return 0;
}

int babel_iface_del_peer(struct babel *b, unsigned ifindex,
			 const struct babel_addr *addr, uint64_t now_us)
{
	struct babel_neigh *nb;

	b->now = now_us;
	if (!addr_valid(addr))
		return -EINVAL;
	nb = babel_neigh_find(b, ifindex, addr);
	if (!nb || !nb->is_peer)
		return -ENOENT;
	if (babel_neigh_alive(nb))
		babel_neigh_lost(b, nb, BABEL_LOSS_PEER_REMOVED);
	babel_neigh_free(b, nb);
	babel_flush(b);
	return 0;
}

/* ---- input ---- */

static int collect_tlvs(struct babel *b, struct babel_parser *p, size_t *count)
{
	size_t n = 0;
	int rc;

	for (;;) {
		if (n == b->ntlv_cap) {
			size_t cap = b->ntlv_cap ? b->ntlv_cap * 2 : 64;
			struct babel_tlv *v = realloc(b->tlvs, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			b->tlvs = v;
			b->ntlv_cap = cap;
		}
		rc = babel_parser_next(p, &b->tlvs[n]);
		if (rc <= 0)
			break;
		n++;
	}
	*count = n;
	return 0;
}

/* An IHU is for us when it names one of our addresses on the link (or none). */
static bool ihu_is_for_us(const struct babel_iface *ifp, const struct babel_ihu *ihu)
{
	const struct babel_addr *a = &ihu->addr;

	if (ihu->ae == BABEL_AE_WILDCARD || a->af == BABEL_AF_NONE)
		return true;
	if (ifp->cfg.ll6.af == BABEL_AF_NONE && ifp->cfg.v4.af == BABEL_AF_NONE)
		return true;
	return babel_addr_equal(a, &ifp->cfg.ll6) || babel_addr_equal(a, &ifp->cfg.v4);
}

/*
 * ignore_source_specific (babel.h): a TLV with a Source Prefix sub-TLV
 * (RFC 9079 §7.1) is ignored whole, as by a router that does not implement
 * source-specific routing (RFC 8966 §4.4, the sub-TLV's mandatory bit). It
 * was parsed, so the parser state and the TLVs around it are unaffected.
 */
static bool tlv_ignored_source_specific(struct babel *b, const struct babel_tlv *t)
{
	bool ss;

	if (!b->cfg.ignore_source_specific)
		return false;
	switch (t->type) {
	case BABEL_TLV_UPDATE:
		ss = t->update.has_src_prefix;
		break;
	case BABEL_TLV_ROUTE_REQ:
		ss = t->route_req.has_src_prefix;
		break;
	case BABEL_TLV_SEQNO_REQ:
		ss = t->seqno_req.has_src_prefix;
		break;
	default:
		return false;
	}
	if (ss)
		b->ctr.source_specific_ignored++;
	return ss;
}

int babel_receive(struct babel *b, unsigned ifindex,
		  const struct babel_addr *src, const struct babel_addr *dst,
		  const uint8_t *buf, size_t len, uint64_t now_us)
{
	return babel_receive_at(b, ifindex, src, dst, buf, len, now_us,
				now_us);
}

int babel_receive_at(struct babel *b, unsigned ifindex,
		     const struct babel_addr *src, const struct babel_addr *dst,
		     const uint8_t *buf, size_t len, uint64_t now_us,
		     uint64_t rx_us)
{
	struct babel_iface *ifp = babel_iface_find(b, ifindex);
	const struct babel_hello *hello = NULL;
	struct babel_parser p;
	struct babel_neigh *nb;
	bool created = false, ihu_for_us = false, silent;
	size_t n = 0;
	int rc;

	b->now = now_us;
	b->rx = rx_us <= now_us ? rx_us : now_us;
	if (!ifp)
		return -ENOENT;
	if (!ifp->up || b->shut || !addr_valid(src))
		return 0;
	rc = babel_parser_init(&p, buf, len, src, &b->ctr.parse);
	if (rc < 0)
		return rc;
	rc = collect_tlvs(b, &p, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (b->tlvs[i].type == BABEL_TLV_HELLO && !hello)
			hello = &b->tlvs[i].hello;
		else if (b->tlvs[i].type == BABEL_TLV_IHU &&
			 ihu_is_for_us(ifp, &b->tlvs[i].ihu))
			ihu_for_us = true;
	}
	nb = babel_neigh_find(b, ifindex, src);
	if (!nb) {
		/*
		 * §3.4: neighbours are discovered through their Hellos, and
		 * through an IHU about us: a neighbour answers our first Hello
		 * with an IHU at once (BIRD does) but may send its own next
		 * Hello only an interval later, and its next IHU three
		 * intervals later. Dropping that IHU would leave its link
		 * cost infinite until then. babeld and BIRD keep it too.
		 */
		if (!hello && !ihu_for_us)
			return 0;
		nb = babel_neigh_get(b, ifp, src, &created);
		if (!nb)
			return -ENOMEM;
	}
	/* No Hello heard from it yet, or none since it was found dead (both
	 * histories empty, Appendix A.1): a WireGuard peer is a neighbour
	 * from the moment it is registered and stays one when it dies, so
	 * "created" alone would miss it. */
	silent = !nb->mc.history && !nb->uc.history;
	nb->heard = true;	/* any packet answers a fast probe */
	for (size_t i = 0; i < n; i++) {
		const struct babel_tlv *t = &b->tlvs[i];

		if (tlv_ignored_source_specific(b, t))
			continue;
		switch (t->type) {
		case BABEL_TLV_HELLO:
			babel_neigh_handle_hello(b, nb, &t->hello, now_us);
			break;
		case BABEL_TLV_IHU:
			if (ihu_is_for_us(ifp, &t->ihu))
				babel_neigh_handle_ihu(b, nb, &t->ihu, hello, now_us);
			break;
		case BABEL_TLV_UPDATE:
			babel_route_handle_update(b, nb, &t->update, now_us);
			break;
		case BABEL_TLV_ROUTE_REQ:
			babel_handle_route_req(b, nb, &t->route_req, now_us);
			break;
		case BABEL_TLV_SEQNO_REQ:
			babel_handle_seqno_req(b, nb, &t->seqno_req, now_us);
			break;
		case BABEL_TLV_ACK_REQ: {
			/* §3.3: answer with an Ack, unicast. */
			struct babel_tlv a = { .type = BABEL_TLV_ACK };

			a.ack.nonce = t->ack_req.nonce;
			babel_out_tlv(b, ifp, nb, &a);
			break;
		}
		default:
			break;
		}
		/* A Hello may have found the neighbour dead (history reset).
		 * Nothing else here frees a neighbour, and a lookup after
		 * each of the ~40 updates of a packet costs a hash each. */
		if ((t->type == BABEL_TLV_HELLO || t->type == BABEL_TLV_IHU) &&
		    !babel_neigh_find(b, ifindex, src))
			break;
	}
	if (babel_neigh_find(b, ifindex, src) == nb &&
	    (created || (silent && (nb->mc.history || nb->uc.history)))) {
		/* A new neighbour, or a registered peer heard for the first
		 * time (it may have started after us, when our request to it
		 * was lost): Hellos, an IHU and a full table promptly, and a
		 * unicast wildcard request so it sends us its table. Without
		 * this a peer that starts second waits for the first periodic
		 * update, 16 s by default. */
		babel_prompt_hello(b, nb, now_us);
		babel_send_wildcard_request(b, nb);
		babel_dump_start(b, &nb->dump, now_us);
		/*
		 * A table of more than one pacing step goes out as a burst of
		 * datagrams (100,000 prefixes: about 1,000 in 0.4 s to a
		 * WireGuard peer) that a busy receiver may not take in time,
		 * even paced (output.c): wireguard-go's UDP
		 * socket has the 208 KiB default, and under load it dropped
		 * a dozen of them (tests/bench/wgpath.sh, receiver-first),
		 * which left their routes to the first periodic update, 16 s
		 * later. So it is sent once more, a second on: duplicates
		 * change nothing at the receiver, and this costs one more
		 * dump per new neighbour, only for large tables.
		 */
		if (b->entries.n > babel_dump_burst(b, nb->ifp))
			babel_heap_arm(&b->timers, &nb->redump_timer,
				       now_us + BABEL_REDUMP_US);
	}
	(void)dst;
	babel_flush(b);
	return 0;
}

/* ---- timers ---- */

/*
 * The interval of ifp's next periodic full update (RFC 8966 §3.7.1 leaves
 * it to the implementation, per interface). A dump costs in proportion to
 * the Updates it sends: our walk of the table, the packets (each one
 * encrypted and decrypted on a WireGuard link: one full update of 100,000
 * prefixes, about 1,000 datagrams, took the receiving wireguard-go 0.06-
 * 0.1 CPU-s in tests/bench/wgpath.sh), every receiver's processing of an
 * update it already has. That is the table's entries on
 * a multicast link, where one datagram reaches every neighbour, but
 * entries times peers on a unicast-only one, where each peer gets its own
 * copy: a WireGuard hub with 1,000 peers and 1,000 prefixes sent a
 * million Updates every 16 s, 1.8 MB/s (tests/bench/README.md, "The
 * hub"), for what a multicast link pays once. So the interval is the
 * configured one up to update_scale_entries Updates per dump and grows
 * in proportion beyond (8 times at 100,000: 128 s by default), at most 8
 * times and 655 s (the TLV's field): a multicast link or a small mesh
 * keeps the configured interval; a hub of 1,000 peers and 1,000 prefixes
 * gets 128 s. Between 12,500 and 100,000 Updates a dump the periodic
 * updates cost the same per minute whatever the table (47,000 Updates a
 * minute at the default 16 s); at 25,000 they were a third of
 * wireguard-go's steady CPU at 100,000 prefixes.
 *
 * What the periodic update is for stays served. Every Update carries the
 * interval it was sent with and its receivers hold the route 3.5 such
 * intervals (§3.5.3, Appendix B), so the hold time grows along; and from
 * one dump to the next the interval at most doubles, so what was
 * announced with the previous one is refreshed in time. A new neighbour,
 * or one that restarted, gets the whole table at once (babel_receive),
 * and one that asks (a wildcard request) too; changes of seqno or
 * router-id, retractions and large metric changes are triggered updates
 * (§3.7.2), sent at once and none of them delayed by this; liveness is
 * the Hellos', IHUs' and fast probes' (neighbour.c). What waits for the
 * next dump is a small metric change (under BABEL_TRIGGER_METRIC) and the
 * repair of a triggered update lost twice (retractions are sent twice).
 */
#define BABEL_UPDATE_SCALE_MAX 8
#define BABEL_UPDATE_MAX_US 655000000ULL
static uint32_t update_interval_us(const struct babel *b,
				   const struct babel_iface *ifp)
{
	uint64_t base = ifp->update_base_us, us = base;
	uint64_t scale = b->cfg.update_scale_entries;
	uint64_t sends = b->entries.n;

	if (ifp->cfg.unicast_only && ifp->npeers)
		sends *= ifp->npeers;
	if (scale != BABEL_NO_UPDATE_SCALE && sends > scale) {
		us = base * sends / scale;
		if (us > base * BABEL_UPDATE_SCALE_MAX)
			us = base * BABEL_UPDATE_SCALE_MAX;
	}
	if (us > 2ULL * ifp->update_us)
		us = 2ULL * ifp->update_us;
	if (us > BABEL_UPDATE_MAX_US)
		us = BABEL_UPDATE_MAX_US > base ? BABEL_UPDATE_MAX_US : base;
	return (uint32_t)us;
}

/*
 * Sending a full update to every peer of a unicast-only interface at once
 * is a burst of the table times the peers: a hub of 1,000 peers and 1,000
 * prefixes put 23,000 datagrams (about 28 MB on the wire) on its socket
 * within a millisecond (hub_bench), more than a socket buffer or a
 * WireGuard queue holds. When
 * it is more than update_burst Updates, the peers get
 * it one after the other instead, spread evenly over the interval, each
 * from its own paced dump: the same Updates, at a steady rate. A peer's
 * refresh then comes at most one interval plus one spacing after the last
 * (at most two intervals when the interval doubles), well within the 3.5
 * intervals its routes are held.
 */
static bool update_staggered(const struct babel *b, const struct babel_iface *ifp)
{
	return ifp->cfg.unicast_only && ifp->npeers > 1 &&
	       (uint64_t)b->entries.n * ifp->npeers > b->cfg.update_burst;
}

/* The next peer's turn: the first peer in the list, moved to its tail, so
 * that npeers turns visit each peer once (ones added meanwhile got the
 * table when they were first heard). */
static void update_sweep(struct babel *b, struct babel_iface *ifp, uint64_t now)
{
	struct babel_list *pos;

	for (pos = ifp->neighs.next; pos != &ifp->neighs; pos = pos->next) {
		struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
							    iface_link);
		if (!nb->is_peer)
			continue;
		babel_list_del(&nb->iface_link);
		babel_list_add_tail(&ifp->neighs, &nb->iface_link);
		babel_dump_start(b, &nb->dump, now);
		break;
	}
	if (ifp->sweep_left)
		ifp->sweep_left--;
	if (ifp->sweep_left && ifp->npeers)
		babel_heap_arm(&b->timers, &ifp->sweep_timer,
			       now + ifp->update_us / ifp->npeers);
}

/*
 * The end of the startup hold waits for late links, up to hold_max. At
 * its end every route learned so far is selected at once; a neighbour
 * whose link comes up only after that sends its routes into a table
 * already chosen without them, and each better route it brings is a
 * change announced on. A restarted transit router (multihop.sh) chose
 * 2001:db8:100::5 via a 60 ms detour first, then the direct way 12 ms
 * later when its last neighbour's link came up: what it announced on the
 * way moved a neighbour's traffic to another detour and back, and what
 * was in flight on the detour was lost. Neighbours answer a new or
 * restarted instance's first Hello at once, so this waits milliseconds,
 * unless an answer was lost (then until the neighbour's next Hello) or a
 * peer is down (then until hold_max). Meanwhile the kernel keeps what a
 * previous instance installed (the daemon's adoption and
 * keep-routes-on-exit).
 */
#define BABEL_HOLD_POLL_US 20000ULL
static bool hold_waits(struct babel *b, uint64_t now)
{
	const struct babel_neigh *first = NULL;
	unsigned late = 0, bare = 0, bare_if = 0;
	uint64_t next;

	for (struct babel_list *p = b->iface_list.next; p != &b->iface_list; p = p->next) {
		struct babel_iface *ifp = babel_container_of(p, struct babel_iface, link);

		if (!ifp->up)
			continue;
		/* A WireGuard interface whose peers are not registered yet
		 * (the daemon reads the device after adding it). */
		if (ifp->cfg.unicast_only && !ifp->npeers && !bare++)
			bare_if = ifp->ifindex;
		for (struct babel_list *q = ifp->neighs.next; q != &ifp->neighs;
		     q = q->next) {
			struct babel_neigh *nb = babel_container_of(q, struct babel_neigh,
								    iface_link);

			if ((nb->is_peer || babel_neigh_alive(nb)) &&
			    nb->cost == BABEL_INFINITY && !late++)
				first = nb;
		}
	}
	if ((!late && !bare) || now >= b->hold_max) {
		if (b->hold_waited && bare)
			babel_logf(b, BABEL_LOG_INFO, "startup hold over after "
				   "%.2f s, %u neighbour(s) still without a link, "
				   "%u WireGuard interface(s) without a peer",
				   (double)(now - b->hold_start) / 1e6, late, bare);
		else if (b->hold_waited)
			babel_logf(b, BABEL_LOG_INFO, "startup hold over after "
				   "%.2f s, %u neighbour(s) still without a link",
				   (double)(now - b->hold_start) / 1e6, late);
		return false;
	}
	if (!b->hold_waited && late) {
		char a[64];

		babel_neigh_addr_str(first, a, sizeof(a));
		babel_logf(b, BABEL_LOG_INFO, "startup hold: waiting up to %.1f s "
			   "for the link to %u neighbour(s) (%s on interface %u%s)",
			   (double)(b->hold_max - b->hold_start) / 1e6, late, a,
			   first->ifp->ifindex, late > 1 ? " and others" : "");
	} else if (!b->hold_waited) {
		babel_logf(b, BABEL_LOG_INFO, "startup hold: waiting up to %.1f s "
			   "for the peers of WireGuard interface %u%s",
			   (double)(b->hold_max - b->hold_start) / 1e6, bare_if,
			   bare > 1 ? " and others" : "");
	}
	b->hold_waited = true;
	next = now + BABEL_HOLD_POLL_US;
	if (next > b->hold_max)
		next = b->hold_max;
	b->hold_until = next;
	babel_heap_arm(&b->timers, &b->startup, next);
	return true;
}

static void dispatch(struct babel *b, struct babel_timer *t, uint64_t now)
{
	struct babel_iface *ifp;

	switch (t->kind) {
	case T_IFACE_HELLO:
		ifp = babel_container_of(t, struct babel_iface, hello_timer);
		babel_send_hellos(b, ifp, now);
		babel_heap_arm(&b->timers, t, now + ifp->hello_us);
		break;
	case T_IFACE_UPDATE:
		ifp = babel_container_of(t, struct babel_iface, update_timer);
		ifp->update_us = update_interval_us(b, ifp);
		if (update_staggered(b, ifp)) {
			ifp->sweep_left = ifp->npeers;
			update_sweep(b, ifp, now);
		} else {
			ifp->sweep_left = 0;
			babel_heap_cancel(&b->timers, &ifp->sweep_timer);
			babel_dump_start(b, &ifp->dump, now);
		}
		babel_heap_arm(&b->timers, t, now + ifp->update_us);
		break;
	case T_IFACE_SWEEP:
		ifp = babel_container_of(t, struct babel_iface, sweep_timer);
		update_sweep(b, ifp, now);
		break;
	case T_NEIGH_MC_HELLO:
	case T_NEIGH_UC_HELLO:
	case T_NEIGH_IHU:
	case T_NEIGH_ROUTES:
	case T_NEIGH_PROBE:
	case T_NEIGH_REDUMP:
		babel_neigh_timer(b, t, now);
		break;
	case T_ENTRY:
		babel_entry_timer(b, babel_container_of(t, struct babel_entry, timer), now);
		break;
	case T_REQUEST:
		babel_request_timer(b, babel_container_of(t, struct babel_request, timer), now);
		break;
	case T_PACE:
		babel_dumps_run(b, now);
		break;
	case T_STARTUP:
		if (hold_waits(b, now))
			break;
		/* The hold is over: select everything learned so far (once). */
		for (uint32_t i = 0; i < babel_htable_buckets(&b->entries); i++) {
			struct babel_hnode *n = b->entries.b[i];

			while (n) {
				struct babel_entry *e = babel_container_of(n, struct babel_entry,
									   hnode);
				n = n->next;
				babel_entry_select(b, e, now);
			}
		}
		break;
	default:
		break;
	}
}

uint64_t babel_run(struct babel *b, uint64_t now_us)
{
	struct babel_timer *t;

	b->now = now_us;
	while ((t = babel_heap_pop_due(&b->timers, now_us)))
		dispatch(b, t, now_us);
	babel_flush(b);
	return babel_heap_next(&b->timers);
}

/* ---- originated prefixes ---- */

static bool prefix_ok(const struct babel_prefix *p)
{
	if (p->af == BABEL_AF_INET)
		return p->plen <= 32;
	if (p->af == BABEL_AF_INET6)
		return p->plen <= 128;
	return false;
}

int babel_originate(struct babel *b, const struct babel_prefix *prefix,
		    const struct babel_prefix *src_prefix, uint16_t metric,
		    uint64_t now_us)
{
	struct babel_entry *e;
	struct babel_xroute *x;
	bool created;

	b->now = now_us;
	if (!prefix || !prefix_ok(prefix) || (src_prefix && src_prefix->af &&
					      !prefix_ok(src_prefix)))
		return -EINVAL;
	if (src_prefix && src_prefix->af && b->cfg.ignore_source_specific)
		return -EOPNOTSUPP;
	e = babel_entry_get(b, prefix, src_prefix);
	if (!e)
		return -ENOMEM;
	x = babel_xroute_find(b, e);
	created = !x;
	if (!x) {
		x = babel_alloc(b, sizeof(*x));
		if (!x) {
			babel_entry_maybe_free(b, e);
			return -ENOMEM;
		}
		x->e = e;
		e->originated = true;
		babel_htable_insert(&b->xroute_tab, &x->hnode, babel_entry_ptr_hash(b, e));
		babel_list_add_tail(&b->xroutes, &x->link);
		b->ctr.xroutes++;
	}
	if (created || x->metric != metric) {
		x->metric = metric;
		babel_notify_xroute(b, x, created ? BABEL_EVENT_ADD : BABEL_EVENT_CHANGE);
	}
	babel_entry_select(b, e, now_us);
	babel_entry_changed(b, e, false, now_us);
	babel_flush(b);
	return 0;
}

/* The entry's xroute, found by the entry: an entry keeps no pointer to it,
 * as nearly no entry is originated (memory, issue 7). */
struct babel_xroute *babel_xroute_find(struct babel *b, const struct babel_entry *e)
{
	if (!e->originated)
		return NULL;
	for (struct babel_hnode *n = babel_htable_bucket(&b->xroute_tab,
							 babel_entry_ptr_hash(b, e));
	     n; n = n->next) {
		struct babel_xroute *x = babel_container_of(n, struct babel_xroute, hnode);

		if (x->e == e)
			return x;
	}
	return NULL;
}

static void xroute_free(struct babel *b, struct babel_entry *e)
{
	struct babel_xroute *x = babel_xroute_find(b, e);

	babel_notify_xroute(b, x, BABEL_EVENT_FLUSH);
	e->originated = false;
	babel_htable_remove(&b->xroute_tab, &x->hnode);
	babel_list_del(&x->link);
	b->ctr.xroutes--;
	babel_dealloc(b, x, sizeof(*x));
}

int babel_withdraw(struct babel *b, const struct babel_prefix *prefix,
		   const struct babel_prefix *src_prefix, uint64_t now_us)
{
	struct babel_entry *e;

	b->now = now_us;
	if (!prefix || !prefix_ok(prefix))
		return -EINVAL;
	e = babel_entry_find(b, prefix, src_prefix);
	if (!e || !e->originated)
		return -ENOENT;
	xroute_free(b, e);
	/* The best learned route takes over, or a retraction goes out. */
	babel_entry_select(b, e, now_us);
	babel_entry_maybe_free(b, e);
	babel_flush(b);
	return 0;
}

/* §4.6.9: one wildcard retraction on every interface. */
static void retract_everything(struct babel *b)
{
	struct babel_list *pos, *tmp;
	struct babel_tlv t;

	memset(&t, 0, sizeof(t));
	t.type = BABEL_TLV_UPDATE;
	t.update.ae = BABEL_AE_WILDCARD;
	t.update.metric = BABEL_INFINITY;
	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		t.update.interval = (uint16_t)(ifp->update_us / 10000);
		babel_out_tlv(b, ifp, NULL, &t);
	}
}

void babel_retire(struct babel *b, uint64_t now_us)
{
	struct babel_list *pos, *tmp;

	b->now = now_us;
	if (b->shut)
		return;
	b->retiring = true;
	babel_list_for_each_safe(pos, tmp, &b->xroutes) {
		struct babel_xroute *x = babel_container_of(pos, struct babel_xroute, link);

		babel_send_entry(b, x->e, NULL, NULL, true, now_us);
	}
	retract_everything(b);
	babel_flush(b);
}

void babel_shutdown(struct babel *b, uint64_t now_us)
{
	struct babel_list *pos, *tmp;

	b->now = now_us;
	if (b->shut)
		return;
	b->retiring = true;
	babel_list_for_each_safe(pos, tmp, &b->xroutes) {
		struct babel_xroute *x = babel_container_of(pos, struct babel_xroute, link);
		struct babel_entry *e = x->e;

		xroute_free(b, e);
		/* an explicit retraction, whatever we learned for it */
		e->sent = true;
		babel_send_entry(b, e, NULL, NULL, true, now_us);
	}
	/* and one wildcard retraction for everything else we announced */
	retract_everything(b);
	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		if (ifp->up)
			babel_send_goodbye_hellos(b, ifp, now_us);
	}
	babel_flush(b);
	b->shut = true;
}

void babel_shutdown_restart(struct babel *b, uint32_t back_ms, uint64_t now_us)
{
	uint32_t cs = back_ms / 10;
	struct babel_list *pos, *tmp;

	b->now = now_us;
	if (b->shut)
		return;
	if (cs == 0)
		cs = 1;
	if (cs > UINT16_MAX)
		cs = UINT16_MAX;
	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		if (ifp->up)
			babel_send_restart_hellos(b, ifp, (uint16_t)cs, now_us);
	}
	babel_flush(b);
	b->shut = true;
}
