/* SPDX-License-Identifier: MIT */
/*
 * proto/output.c — what the engine sends: per-destination packet buffers
 * flushed at the end of every API call (a full one is sent and a new one
 * started), Hellos and IHUs, updates with split horizon, triggered updates
 * (§3.7.2) and periodic full updates emitted in paced chunks (§3.7.1): a
 * cursor over the route table's buckets with a per-run budget.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

struct babel_obuf {
	struct babel_list link;		/* b->pending */
	struct babel_iface *ifp;
	struct babel_neigh *nb;		/* NULL: multicast */
	uint8_t af;			/* transport: BABEL_AF_INET or _INET6 */
	struct babel_writer w;
	uint8_t data[BABEL_PACKET_MAX];
};

/* Our address on the link for a transport: the datagram's source. */
static const struct babel_addr *our_source(const struct babel_iface *ifp, uint8_t af)
{
	const struct babel_addr *a = af == BABEL_AF_INET ? &ifp->cfg.v4 : &ifp->cfg.ll6;

	return a->af == af ? a : NULL;
}

static void obuf_start(struct babel_obuf *o)
{
	const struct babel_addr *src = our_source(o->ifp, o->af);

	babel_writer_init(&o->w, o->data, sizeof(o->data));
	if (src)
		babel_writer_set_source(&o->w, src);
}

static struct babel_obuf **obuf_slot(struct babel_iface *ifp, struct babel_neigh *nb,
				     uint8_t af)
{
	if (nb)
		return &nb->ucast;
	return af == BABEL_AF_INET ? &ifp->mcast4 : &ifp->mcast;
}

/* nb NULL: the multicast group of transport af. */
static struct babel_obuf *obuf_get_af(struct babel *b, struct babel_iface *ifp,
				      struct babel_neigh *nb, uint8_t af)
{
	struct babel_obuf **slot = obuf_slot(ifp, nb, af);
	struct babel_obuf *o = *slot;

	if (o)
		return o;
	o = babel_alloc(b, sizeof(*o));
	if (!o)
		return NULL;
	o->ifp = ifp;
	o->nb = nb;
	o->af = nb ? nb->addr.af : af;
	obuf_start(o);
	babel_list_add_tail(&b->pending, &o->link);
	*slot = o;
	return o;
}

struct babel_obuf *babel_obuf_get(struct babel *b, struct babel_iface *ifp,
				  struct babel_neigh *nb)
{
	return obuf_get_af(b, ifp, nb, BABEL_AF_INET6);
}

static void obuf_send(struct babel *b, struct babel_obuf *o)
{
	static const struct babel_addr mcast4 = { .af = BABEL_AF_INET,
						  .addr = BABEL_MCAST_V4 };
	const struct babel_addr *dst = o->nb ? &o->nb->addr : NULL;
	size_t len;

	if (babel_writer_empty(&o->w))
		return;
	if (!o->nb && o->af == BABEL_AF_INET)
		dst = &mcast4;
	len = babel_writer_finish(&o->w);
	b->cb.send(b->cb.ctx, o->ifp->ifindex, dst, o->data, len);
	b->ctr.packets_sent++;
}

void babel_obuf_discard(struct babel *b, struct babel_obuf *o)
{
	*obuf_slot(o->ifp, o->nb, o->af) = NULL;
	babel_list_del(&o->link);
	babel_dealloc(b, o, sizeof(*o));
}

void babel_batch_begin(struct babel *b)
{
	b->batch++;
}

void babel_batch_end(struct babel *b)
{
	if (b->batch && --b->batch == 0)
		babel_flush(b);
}

void babel_flush(struct babel *b)
{
	if (b->batch)
		return;		/* full buffers still go out as they fill */
	while (!babel_list_empty(&b->pending)) {
		struct babel_obuf *o = babel_container_of(b->pending.next,
							  struct babel_obuf, link);

		obuf_send(b, o);
		babel_obuf_discard(b, o);
	}
}

/*
 * §4.6.9: an Update whose next hop the receiver cannot resolve is ignored:
 * one with no next hop of its prefix's family (no IPv6 link-local of ours
 * for an IPv6 route over IPv4) is not sent over that transport.
 */
static bool update_has_next_hop(const struct babel_tlv *tlv, uint8_t af)
{
	const struct babel_update *u = &tlv->update;

	if (tlv->type != BABEL_TLV_UPDATE || u->metric == BABEL_INFINITY)
		return true;
	return u->next_hop.af != BABEL_AF_NONE || u->prefix.af == af;
}

static void out_one(struct babel *b, struct babel_iface *ifp,
		    struct babel_neigh *nb, uint8_t af, const struct babel_tlv *tlv)
{
	struct babel_obuf *o;
	int rc;

	if (!update_has_next_hop(tlv, nb ? nb->addr.af : af))
		return;
	o = obuf_get_af(b, ifp, nb, af);
	if (!o)
		return;
	rc = babel_write_tlv(&o->w, tlv);
	if (rc == -ENOSPC) {
		obuf_send(b, o);
		obuf_start(o);
		rc = babel_write_tlv(&o->w, tlv);
	}
	if (rc < 0)
		babel_logf(b, BABEL_LOG_WARN, "cannot write TLV type %u: %d",
			   tlv->type, rc);
}

/* nb NULL: to everyone on the link; on a unicast-only link that is every
 * registered peer. */
void babel_out_tlv(struct babel *b, struct babel_iface *ifp,
		   struct babel_neigh *nb, const struct babel_tlv *tlv)
{
	struct babel_list *pos, *tmp;

	if (!ifp->up || b->shut)
		return;
	if (nb) {
		out_one(b, ifp, nb, nb->addr.af, tlv);
		return;
	}
	if (!ifp->cfg.unicast_only) {
		if (babel_transport_has(ifp, BABEL_AF_INET6))
			out_one(b, ifp, NULL, BABEL_AF_INET6, tlv);
		if (babel_transport_has(ifp, BABEL_AF_INET))
			out_one(b, ifp, NULL, BABEL_AF_INET, tlv);
		return;
	}
	babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
		struct babel_neigh *p = babel_container_of(pos, struct babel_neigh, iface_link);

		if (p->is_peer)
			out_one(b, ifp, p, p->addr.af, tlv);
	}
}

static uint8_t addr_ae(const struct babel_addr *a)
{
	if (a->af == BABEL_AF_INET)
		return BABEL_AE_IPV4;
	if (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
		return BABEL_AE_IPV6_LL;
	return BABEL_AE_IPV6;
}

static uint16_t us_to_cs(uint64_t us)
{
	uint64_t cs = us / 10000;

	return cs > 0xFFFF ? 0xFFFF : (uint16_t)cs;
}

static void ihu_for(struct babel *b, struct babel_neigh *nb, struct babel_tlv *t)
{
	memset(t, 0, sizeof(*t));
	t->type = BABEL_TLV_IHU;
	t->ihu.ae = addr_ae(&nb->addr);
	t->ihu.addr = nb->addr;
	t->ihu.rxcost = babel_neigh_rxcost(nb);
	t->ihu.interval = us_to_cs(3 * (uint64_t)nb->ifp->hello_us);
	if (nb->ifp->rtt && nb->have_ts) {
		t->ihu.has_timestamp = true;
		t->ihu.ts_origin = nb->ts_origin;
		t->ihu.ts_receive = nb->ts_receive;
	}
}

static void hello_tlv(struct babel_iface *ifp, struct babel_tlv *t, bool unicast,
		      uint16_t seqno, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->type = BABEL_TLV_HELLO;
	t->hello.flags = unicast ? BABEL_HELLO_F_UNICAST : 0;
	t->hello.seqno = seqno;
	t->hello.interval = us_to_cs(ifp->hello_us);
	if (ifp->rtt) {
		t->hello.has_timestamp = true;
		t->hello.timestamp = babel_us32(now);
		if (t->hello.timestamp == 0)
			t->hello.timestamp = 1;
	}
}

/*
 * The last Hellos before we stop: on each interface, or to each peer of a
 * unicast_only one, a Hello (no IHU) with interval_cs as its interval and
 * restart_cs in a Restart sub-TLV when not 0.
 */
static void send_last_hellos(struct babel *b, struct babel_iface *ifp,
			     uint16_t interval_cs, uint16_t restart_cs, uint64_t now)
{
	struct babel_list *pos, *tmp;
	struct babel_tlv t;

	if (!ifp->cfg.unicast_only) {
		hello_tlv(ifp, &t, false, ifp->hello_seqno++, now);
		t.hello.interval = interval_cs ? interval_cs : t.hello.interval;
		t.hello.restart_cs = restart_cs;
		babel_out_tlv(b, ifp, NULL, &t);
		return;
	}
	babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
		struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
							    iface_link);
		if (!nb->is_peer)
			continue;
		hello_tlv(ifp, &t, true, nb->uc_seqno++, now);
		t.hello.interval = interval_cs ? interval_cs : t.hello.interval;
		t.hello.restart_cs = restart_cs;
		babel_out_tlv(b, ifp, nb, &t);
	}
}

/*
 * On exit, as babeld: a Hello (no IHU) announcing the next one within
 * BABEL_GOODBYE_HELLO_CS, which never comes; the neighbours count it
 * missed after 1.5 such intervals and lose us with our routes.
 */
void babel_send_goodbye_hellos(struct babel *b, struct babel_iface *ifp, uint64_t now)
{
	send_last_hellos(b, ifp, BABEL_GOODBYE_HELLO_CS, 0, now);
}

/* On a restart that keeps the installed state (babel_shutdown_restart): a
 * Hello at the usual interval that says when we mean to be back. */
void babel_send_restart_hellos(struct babel *b, struct babel_iface *ifp,
			       uint16_t restart_cs, uint64_t now)
{
	send_last_hellos(b, ifp, 0, restart_cs, now);
}

/* §3.4.1: a unicast Hello (own unicast seqno) and an IHU to one neighbour. */
void babel_send_hello_to(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	struct babel_tlv t;

	hello_tlv(nb->ifp, &t, true, nb->uc_seqno++, now);
	babel_out_tlv(b, nb->ifp, nb, &t);
	if (nb->mc.valid || nb->uc.valid) {
		ihu_for(b, nb, &t);
		babel_out_tlv(b, nb->ifp, nb, &t);
	}
}

void babel_prompt_hello(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	struct babel_iface *ifp = nb->ifp;
	uint64_t *last = ifp->cfg.unicast_only ? &nb->last_prompt : &ifp->last_prompt;

	if (*last && now < *last + ifp->hello_us / 4)
		return;
	*last = now;
	if (ifp->cfg.unicast_only)
		babel_send_hello_to(b, nb, now);
	else
		babel_heap_arm_before(&b->timers, &ifp->hello_timer, now);
}

void babel_send_hellos(struct babel *b, struct babel_iface *ifp, uint64_t now)
{
	struct babel_list *pos, *tmp;
	struct babel_tlv t;

	if (ifp->cfg.unicast_only) {
		babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
			struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
								    iface_link);
			if (nb->is_peer)
				babel_send_hello_to(b, nb, now);
		}
		return;
	}
	hello_tlv(ifp, &t, false, ifp->hello_seqno++, now);
	babel_out_tlv(b, ifp, NULL, &t);
	babel_list_for_each_safe(pos, tmp, &ifp->neighs) {
		struct babel_neigh *nb = babel_container_of(pos, struct babel_neigh,
							    iface_link);
		if (!nb->mc.valid && !nb->uc.valid)
			continue;
		/* The IHU goes to the group of the transport it was heard on. */
		if (!babel_transport_has(ifp, nb->addr.af) || !ifp->up || b->shut)
			continue;
		ihu_for(b, nb, &t);
		out_one(b, ifp, NULL, nb->addr.af, &t);
	}
}

void babel_send_wildcard_request(struct babel *b, struct babel_neigh *nb)
{
	struct babel_tlv t;

	memset(&t, 0, sizeof(t));
	t.type = BABEL_TLV_ROUTE_REQ;
	t.route_req.ae = BABEL_AE_WILDCARD;
	babel_out_tlv(b, nb->ifp, nb, &t);
}

static uint8_t prefix_ae(const struct babel_prefix *p)
{
	return p->af == BABEL_AF_INET ? BABEL_AE_IPV4 : BABEL_AE_IPV6;
}

static void update_tlv(struct babel_iface *ifp, struct babel_entry *e,
		       const uint8_t rid[8], uint16_t seqno, uint16_t metric,
		       struct babel_tlv *t)
{
	struct babel_update *u = &t->update;

	memset(t, 0, sizeof(*t));
	t->type = BABEL_TLV_UPDATE;
	u->interval = us_to_cs(ifp->update_us);
	u->seqno = seqno;
	u->metric = metric;
	u->prefix = e->prefix;
	if (e->has_src) {
		u->has_src_prefix = true;
		u->src_prefix = e->src[0];
	}
	u->has_router_id = true;
	memcpy(u->router_id, rid, 8);
	if (metric == BABEL_INFINITY) {
		/* An IPv4 retraction has an IPv4 next hop where we have one:
		 * FRR's babeld drops an AE 1 Update without one, retraction
		 * or not (babeld >= 1.10 does not). */
		u->ae = prefix_ae(&e->prefix);
		if (e->prefix.af == BABEL_AF_INET && ifp->cfg.v4.af == BABEL_AF_INET)
			u->next_hop = ifp->cfg.v4;
		return;
	}
	if (e->prefix.af == BABEL_AF_INET && ifp->cfg.v4.af == BABEL_AF_INET)
		u->next_hop = ifp->cfg.v4;
	else
		u->next_hop = ifp->cfg.ll6;
	u->ae = babel_ae_for(&e->prefix, &u->next_hop);
}

/* §3.7.4 split horizon: do not announce a route to where it came from. */
static bool split_horizon_holds(const struct babel_entry *e,
				const struct babel_iface *ifp,
				const struct babel_neigh *to)
{
	const struct babel_route *sel = babel_entry_selected(e);

	if (!ifp->split_horizon || !sel)
		return false;
	return to ? sel->nb == to : sel->nb->ifp == ifp;
}

/*
 * The out filter (babel.h): the metric to announce on ifp, BABEL_INFINITY
 * when denied (a triggered update then retracts, other updates are not
 * sent). The feasibility distance was lowered with the unfiltered metric,
 * which is at most what we announce anywhere (§3.7.3 only needs that).
 */
static uint16_t out_filter(struct babel *b, const struct babel_entry *e,
			   const struct babel_iface *ifp, uint16_t metric)
{
	int add = b->cb.filter_out(b->cb.ctx, &e->prefix, babel_entry_src(e),
				   ifp->ifindex, metric);

	if (add < 0 || add >= BABEL_INFINITY)
		return BABEL_INFINITY;
	return babel_metric_add(metric, (uint16_t)add);
}

/*
 * Poisoned reverse while the next hop may still hold what we announced
 * before the change (its hold time, 3.5 intervals): a lost poison would
 * otherwise leave it a stale route through us, and with several sources
 * for the prefix (anycast), whose feasibility distances are independent, a
 * loop through us. Only after a change that needs it (e->poison).
 */
static bool poison_due(const struct babel_entry *e, const struct babel_iface *ifp,
		       uint64_t now)
{
	return e->poison &&
	       babel_since_ms32(now, e->changed_ms) < (uint64_t)ifp->update_us * 7 / 2;
}

static void send_to(struct babel *b, struct babel_entry *e, struct babel_iface *ifp,
		    struct babel_neigh *to, bool have, const uint8_t rid[8],
		    uint16_t seqno, uint16_t metric, bool triggered)
{
	struct babel_tlv t;

	if (split_horizon_holds(e, ifp, to)) {
		if (!poison_due(e, ifp, b->now))
			return;
		metric = BABEL_INFINITY;
	} else if (!have) {
		metric = BABEL_INFINITY;
	} else if (b->cb.filter_out) {
		metric = out_filter(b, e, ifp, metric);
		if (metric == BABEL_INFINITY && !triggered)
			return;
	}
	update_tlv(ifp, e, rid, seqno, metric, &t);
	babel_out_tlv(b, ifp, to, &t);
	b->ctr.updates_sent++;
}

/*
 * Whether a scheduled (not triggered) update of e to one interface or one
 * neighbour would send nothing at all because split horizon holds it back
 * and the poison window is over: the common case of a periodic dump back
 * towards the neighbour the routes came from, decided before anything else
 * of the entry is read (100,000 entries every update interval).
 */
static bool split_horizon_silences(const struct babel_entry *e,
				   const struct babel_iface *only_ifp,
				   const struct babel_neigh *nb, uint64_t now)
{
	const struct babel_iface *ifp = nb ? nb->ifp : only_ifp;

	if (!ifp || (!nb && ifp->cfg.unicast_only) || e->originated ||
	    !split_horizon_holds(e, ifp, nb))
		return false;
	return !poison_due(e, ifp, now);
}

/*
 * What a retraction of e carries when nothing is announced any more, as
 * babeld's do (message.c, flushupdates): the router-id and seqno of the
 * source we announced last, else ours and our current seqno; never seqno 0
 * without a router-id. A receiver looks the route's source up by router-id
 * (babeld's update_route), and FRR's babeld refuses a non-wildcard Update
 * that has none (§4.6.9 only makes it optional for retractions).
 */
static void retraction_origin(const struct babel *b, const struct babel_entry *e,
			      uint8_t rid[8], uint16_t *seqno)
{
	if (!e->sent_own && e->has_source) {
		memcpy(rid, e->source.router_id, 8);
		*seqno = e->source.seqno;
		return;
	}
	memcpy(rid, b->router_id, 8);
	*seqno = b->seqno;
}

void babel_send_entry(struct babel *b, struct babel_entry *e,
		      struct babel_iface *only_ifp, struct babel_neigh *nb,
		      bool triggered, uint64_t now)
{
	uint8_t rid[8] = { 0 };
	uint16_t seqno = 0, metric = BABEL_INFINITY;
	bool have;
	struct babel_list *pos, *tmp, *p2, *t2;

	if (!triggered && split_horizon_silences(e, only_ifp, nb, now))
		return;
	have = babel_entry_advert(b, e, rid, &seqno, &metric);
	if (!have && !triggered)
		return;
	if (have && !e->originated)
		babel_source_note_sent(b, e, rid, seqno, metric, now);
	if (!have)
		retraction_origin(b, e, rid, &seqno);
	if (nb) {
		send_to(b, e, nb->ifp, nb, have, rid, seqno, metric, triggered);
		return;
	}
	babel_list_for_each_safe(pos, tmp, &b->iface_list) {
		struct babel_iface *ifp = babel_container_of(pos, struct babel_iface, link);

		if (!ifp->up || (only_ifp && ifp != only_ifp))
			continue;
		if (!ifp->cfg.unicast_only) {
			send_to(b, e, ifp, NULL, have, rid, seqno, metric, triggered);
			continue;
		}
		babel_list_for_each_safe(p2, t2, &ifp->neighs) {
			struct babel_neigh *peer = babel_container_of(p2, struct babel_neigh,
								      iface_link);
			if (peer->is_peer)
				send_to(b, e, ifp, peer, have, rid, seqno, metric, triggered);
		}
	}
	if (!only_ifp) {
		e->sent = have;
		if (have) {
			e->sent_own = e->originated;
			e->sent_seqno = seqno;
			e->sent_metric = metric;
		}
	}
}

/*
 * §3.7.2: a triggered update when the router-id or seqno of what we
 * announce changes, when the route is lost (a retraction), on a change of
 * next hop (so split horizon poisons the right way) and when the metric
 * moved by at least BABEL_TRIGGER_METRIC. Retractions and router-id
 * changes are urgent (§3.7.2 suggests sending them reliably): they go out
 * a second time BABEL_RESEND_US later, so one lost packet does not leave
 * a neighbour with a stale route (a loop across sources with anycast).
 */
#define BABEL_TRIGGER_METRIC 64
#define BABEL_RESEND_US 300000
static void schedule_resend(struct babel *b, struct babel_entry *e, uint64_t now)
{
	e->resend = true;
	babel_heap_arm_before(&b->timers, &e->timer, now + BABEL_RESEND_US);
}

void babel_entry_changed(struct babel *b, struct babel_entry *e, bool force,
			 uint64_t now)
{
	uint8_t rid[8];
	uint16_t seqno, metric;
	bool have = babel_entry_advert(b, e, rid, &seqno, &metric);
	const uint8_t *sent_rid = babel_entry_sent_rid(b, e);
	bool rid_changed;
	int dm;

	if (!have) {
		if (e->sent) {
			babel_send_entry(b, e, NULL, NULL, true, now);
			schedule_resend(b, e, now);
		}
		return;
	}
	rid_changed = e->sent && (!sent_rid || memcmp(rid, sent_rid, 8) != 0);
	dm = (int)metric - (int)e->sent_metric;
	if (force || !e->sent || rid_changed || seqno != e->sent_seqno ||
	    dm >= BABEL_TRIGGER_METRIC || dm <= -BABEL_TRIGGER_METRIC)
		babel_send_entry(b, e, NULL, NULL, true, now);
	if (rid_changed)
		schedule_resend(b, e, now);
}

void babel_dump_start(struct babel *b, struct babel_dump *d, uint64_t now)
{
	d->bucket = 0;
	if (!d->active) {
		d->active = true;
		babel_list_add_tail(&b->dumps, &d->link);
	}
	babel_heap_arm_before(&b->timers, &b->pace, now);
}

void babel_dump_stop(struct babel *b, struct babel_dump *d)
{
	if (!d->active)
		return;
	d->active = false;
	babel_list_del(&d->link);
}

/*
 * One chunk of every active dump, a millisecond apart. The cursor is a
 * bucket index: when the table doubles, entries of old bucket i move to i
 * or i + old size, so keeping the index misses nothing (a few entries may
 * be sent twice).
 *
 * A chunk is update_burst Updates (1,000: about 10 datagrams), but
 * unicast_burst (250) on a unicast_only interface. There every datagram
 * goes to one peer through a tunnel, and lands in that peer's WireGuard
 * first: wireguard-go reads it from a UDP socket with the 208 KiB
 * default, about 90 datagrams. A receiver started first, beside two busy
 * loops, dropped 27 to 316 datagrams of a 100,000-prefix table there
 * (tests/bench/wgpath.sh, receiver-first), in 3 of 6 runs: its reader
 * fell 90 datagrams behind, which at 10 a millisecond takes 9 ms.
 * A quarter of the rate leaves it four times as long to catch up, and
 * the same table takes 0.4 s instead of 0.1: about 28 Mbit/s instead of
 * 113, a rate a tunnel across the Internet is likelier to carry too.
 * With every process at nice 19 beside a busy qemu guest, it dropped
 * 0-132 datagrams instead of 0-300, and the table's second copy
 * (babel_receive) was never hit as well (tests/bench/README.md).
 */
#define BABEL_PACE_US 1000
uint32_t babel_dump_burst(const struct babel *b, const struct babel_iface *ifp)
{
	return ifp->cfg.unicast_only ? b->cfg.unicast_burst : b->cfg.update_burst;
}

void babel_dumps_run(struct babel *b, uint64_t now)
{
	struct babel_list *pos, *tmp;

	babel_list_for_each_safe(pos, tmp, &b->dumps) {
		struct babel_dump *d = babel_container_of(pos, struct babel_dump, link);
		uint32_t budget = babel_dump_burst(b, d->ifp);
		uint64_t sent = b->ctr.updates_sent;

		while (budget > 0 && d->bucket < babel_htable_buckets(&b->entries)) {
			for (struct babel_hnode *n = b->entries.b[d->bucket]; n; n = n->next) {
				struct babel_entry *e = babel_container_of(n, struct babel_entry,
									   hnode);
				babel_send_entry(b, e, d->ifp, d->nb, false, now);
				if (budget)
					budget--;
			}
			d->bucket++;
		}
		b->ctr.dump_updates_sent += b->ctr.updates_sent - sent;
		if (d->bucket >= babel_htable_buckets(&b->entries))
			babel_dump_stop(b, d);
	}
	if (!babel_list_empty(&b->dumps))
		babel_heap_arm_before(&b->timers, &b->pace, now + BABEL_PACE_US);
}
