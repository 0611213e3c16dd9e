/* SPDX-License-Identifier: MIT */
/*
 * proto/neighbour.c — neighbours: Hello histories (RFC 8966 §3.4.1,
 * Appendix A.1; unicast and multicast kept apart), IHU and txcost (§3.4.2),
 * link cost (Appendix A.2), RTT (RFC 9616), fast failure detection of
 * next hops, and neighbour loss, which drops the neighbour's routes in
 * O(its routes).
 */
#include <errno.h>
#include <string.h>

#include "proto/engine.h"
#include "proto/rules.h"

/* Damping of fast probes' false losses (see "Damping" below). */
#define PROBE_FALSE_US (10 * 1000000ull)
#define PROBE_DAMP_MAX 3
#define PROBE_DAMP_DECAY_US (60 * 1000000ull)

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
	babel_timer_init(&nb->probe_timer, T_NEIGH_PROBE);
	babel_timer_init(&nb->redump_timer, T_NEIGH_REDUMP);
	nb->probe_nonce = (uint16_t)b->hash_seed;
	babel_list_init(&nb->routes);
	babel_list_init(&nb->dump.link);
	nb->dump.ifp = ifp;
	nb->dump.nb = nb;
	babel_list_add_tail(&ifp->neighs, &nb->iface_link);
	babel_htable_insert(&b->neighs, &nb->hnode, neigh_hash(b, ifp->ifindex, addr));
	b->ctr.neighbours++;
	*created = true;
	babel_notify_neigh(b, nb, BABEL_EVENT_ADD);
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
	babel_heap_cancel(&b->timers, &nb->redump_timer);
	if (nb->ucast)
		babel_obuf_discard(b, nb->ucast);
	babel_heap_cancel(&b->timers, &nb->mc_timer);
	babel_heap_cancel(&b->timers, &nb->uc_timer);
	babel_heap_cancel(&b->timers, &nb->ihu_timer);
	babel_notify_neigh(b, nb, BABEL_EVENT_FLUSH);
	/* No route left, so no fast probe (babel_neigh_selected). */
	babel_heap_cancel(&b->timers, &nb->probe_timer);
	babel_neigh_set_cost(b, nb, BABEL_INFINITY);
	if (nb->is_peer)
		nb->ifp->npeers--;
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
	uint16_t rx = babel_neigh_rxcost(nb), tx = nb->txcost;
	uint16_t c;

	/*
	 * 2-out-of-3 (Appendix A.2.1) judges a link by its last three Hellos
	 * each way: 4 s apart, a link losing 10 % of packets fails it every
	 * few minutes (two of three lost: 2.8 % per Hello) and the routes
	 * flap. A next hop under fast probes (below) that is still heard
	 * within fast_probe_misses intervals has just proved the link works
	 * both ways, a far finer test; keep its nominal costs then. Its
	 * Hellos still carry the rest: a neighbour that answers probes but
	 * whose Hellos stop is lost by the Hello timeout.
	 */
	if (!etx && nb->fast && babel_neigh_alive(nb)) {
		if (rx == BABEL_INFINITY)
			rx = ifp->rxcost;
		if (tx == BABEL_INFINITY && nb->txcost_ok)
			tx = nb->txcost_ok;
	}
	c = etx ? babel_link_cost_etx(rx, tx) : babel_link_cost_2of3(rx, tx);

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
	babel_neigh_set_cost(b, nb, c);
	babel_notify_neigh(b, nb, BABEL_EVENT_CHANGE);
	babel_list_for_each_safe(pos, tmp, &nb->routes) {
		struct babel_route *r = babel_container_of(pos, struct babel_route, nlink);

		babel_entry_select(b, r->e, now);
	}
}

static uint64_t cs_to_us(uint16_t cs)
{
	return (uint64_t)cs * 10000;
}

/*
 * The longest Restart window (sub-TLV 112) we honour. The sub-TLV is a
 * u16 in centiseconds, so a neighbour may ask for up to 655 s, and
 * during the window neither fast probes nor ICMP unreachables lose it:
 * a claim that long would suspend fast failure detection for ten
 * minutes while its routes black-hole. Our own window is 3 s
 * (RESTART_BACK_MS, daemon/main.c); a slow host (a TCG guest, a loaded
 * box) restarts well inside 30 s. A longer claim is cut to this and
 * logged; the neighbour is then lost as usual if it is not back.
 */
#define RESTART_MAX_CS 3000u

void babel_neigh_addr_str(const struct babel_neigh *nb, char *buf, size_t len)
{
	struct babel_prefix who = { .af = nb->addr.af };

	who.plen = nb->addr.af == BABEL_AF_INET ? 32 : 128;
	memcpy(who.addr, nb->addr.addr, sizeof(who.addr));
	babel_prefix_str(&who, buf, len);
	buf[strcspn(buf, "/")] = '\0';	/* an address, not a prefix */
}

static void neigh_log_restart(struct babel *b, const struct babel_neigh *nb,
			      uint16_t cs, uint16_t asked)
{
	char a[64];

	babel_neigh_addr_str(nb, a, sizeof(a));
	if (asked > cs)
		babel_logf(b, BABEL_LOG_INFO, "neighbour %s on interface %u "
			   "restarts keeping its routes: asked %u.%02u s, kept "
			   "for %u.%02u s at most (restart cap)", a,
			   nb->ifp->ifindex, asked / 100u, asked % 100u,
			   cs / 100u, cs % 100u);
	else
		babel_logf(b, BABEL_LOG_INFO, "neighbour %s on interface %u "
			   "restarts keeping its routes: kept for %u.%02u s",
			   a, nb->ifp->ifindex, cs / 100u, cs % 100u);
}

void babel_neigh_handle_hello(struct babel *b, struct babel_neigh *nb,
			      const struct babel_hello *h, uint64_t now)
{
	bool unicast = h->flags & BABEL_HELLO_F_UNICAST;
	struct babel_hello_hist *hist = unicast ? &nb->uc : &nb->mc;
	struct babel_timer *t = unicast ? &nb->uc_timer : &nb->mc_timer;
	uint16_t old_rx = babel_neigh_rxcost(nb);
	bool was_valid = hist->valid;
	bool restarted, answer = false;

	if (hist->resync && was_valid) {
		/* The first Hello of the instance that announced its restart:
		 * its seqnos start anew, the link's history goes on. It has
		 * heard nobody yet and holds its own routes until its startup
		 * hold ends: answer at once with a Hello and an IHU (below), as
		 * a new neighbour is answered, or its link to us comes up only
		 * with our next periodic Hello, maybe after that hold, and it
		 * would announce routes chosen without ours (multihop.sh: it
		 * moved a neighbour's traffic to a detour and back within
		 * 12 ms). */
		hist->expected = h->seqno;
		hist->first = h->seqno;
		answer = true;
	}
	if (hist->resync && !h->restart_cs) {
		hist->resync = false;
		if (!nb->mc.resync && !nb->uc.resync && nb->restart_until) {
			if (now <= nb->restart_until)
				b->ctr.restarts_resumed++;
			nb->restart_until = 0;
		}
	}
	restarted = babel_hello_history_receive(&hist->history, &hist->expected,
						&hist->valid, h->seqno);

	if (!was_valid || restarted)
		hist->first = h->seqno;
	/* Back soon after fast probes gave it up: that loss was false
	 * (damping, below). */
	if (!was_valid && nb->probe_lost_us) {
		if (now - nb->probe_lost_us < PROBE_FALSE_US &&
		    nb->probe_damp < PROBE_DAMP_MAX) {
			nb->probe_damp++;
			nb->probe_damp_us = now;
		}
		nb->probe_lost_us = 0;
	}
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
	if (h->restart_cs && hist->valid) {
		/* A graceful restart: it leaves its routes installed and
		 * forwarding, and means to be back within restart_cs. Until
		 * then the gap is no loss (babel_neigh_unreachable, probes);
		 * its Hello timeout still runs. At most RESTART_MAX_CS. */
		uint16_t cs = h->restart_cs < RESTART_MAX_CS ? h->restart_cs :
			      (uint16_t)RESTART_MAX_CS;

		nb->restart_until = now + cs_to_us(cs);
		if (nb->mc.valid)
			nb->mc.resync = true;
		if (nb->uc.valid)
			nb->uc.resync = true;
		b->ctr.restarts_announced++;
		neigh_log_restart(b, nb, cs, h->restart_cs);
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
		nb->ts_receive = babel_us32(b->rx);	/* its arrival */
	}
	babel_neigh_update_cost(b, nb, now);
	/*
	 * The link just came up on our side, or a restarted instance said
	 * its first Hello (above): tell the neighbour promptly. Only now,
	 * with this Hello counted: an IHU sent before it was (so until
	 * 2026-12-06) said rxcost infinite, as the history since the new
	 * seqnos was still empty, and echoed the timestamp of the previous
	 * instance's last Hello. The restarted router's link to us then
	 * came up only with our next periodic Hello, up to a Hello
	 * interval later; in the qemu guest that was after its startup
	 * hold, and it chose routes without ours.
	 */
	if (answer ||
	    (old_rx == BABEL_INFINITY && babel_neigh_rxcost(nb) != BABEL_INFINITY))
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
	if (ihu->rxcost != BABEL_INFINITY)
		nb->txcost_ok = ihu->rxcost;
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
	    babel_rtt_sample(babel_us32(b->rx), ihu->ts_origin, ihu->ts_receive,
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
		[BABEL_LOSS_PROBE] = "probe",
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
		nb->txcost_ok = 0;
		nb->rtt_valid = false;
		nb->have_ts = false;
		babel_heap_cancel(&b->timers, &nb->ihu_timer);
		babel_neigh_flush_routes(b, nb, now);
		babel_neigh_set_cost(b, nb, BABEL_INFINITY);
		return;
	}
	babel_neigh_free(b, nb);
}

/*
 * Lose a neighbour now, for cause: what missed Hellos would do later
 * (Appendix A.1). Both Hello histories are lost, the link cost goes to
 * infinity (routes through it fail over or are retracted, §3.5.4 /
 * §3.7.2) and the neighbour is dropped, or for a WireGuard peer kept
 * without routes until it speaks again. nb may be freed.
 */
static void neigh_kill(struct babel *b, struct babel_neigh *nb,
		       enum babel_neigh_loss cause, uint64_t now)
{
	if (babel_neigh_alive(nb))
		babel_neigh_lost(b, nb, cause);
	nb->mc.history = nb->uc.history = 0;
	/* Its next Hello starts a new history, as after a restart. */
	nb->mc.valid = nb->uc.valid = false;
	nb->mc.resync = nb->uc.resync = false;
	nb->restart_until = 0;
	babel_heap_cancel(&b->timers, &nb->mc_timer);
	babel_heap_cancel(&b->timers, &nb->uc_timer);
	babel_neigh_update_cost(b, nb, now);
	neigh_check_dead(b, nb, now);
}

/*
 * Fast failure detection (issue 16). A neighbour that stops answering
 * without a word (a host loses power, a path breaks) is otherwise lost
 * after 16 missed Hellos; meanwhile the routes through it black-hole.
 *
 * The detector must not depend on how often the other end chooses to
 * speak, so it asks: an Ack Request (§3.3, §4.6.3), which every RFC 8966
 * receiver answers with an Ack at once (babeld and BIRD do, as we do in
 * babel_receive). Unicast Hellos at a short interval (§3.4.1 allows a
 * per-neighbour interval) would make the *other* end detect us fast, not
 * us it. Any packet from the neighbour counts as an answer, as does the
 * daemon's evidence (babel_neigh_heard: the WireGuard rx counter rose).
 *
 * The neighbour is lost when nothing was heard from it in fast_probe_misses
 * (M, 9) consecutive probe intervals (I): 9 I to 10 I after its last
 * packet.
 *
 * A probe goes out only at a tick that ends a silent interval: a
 * neighbour heard since the last tick has just proved itself alive, and
 * asking it again buys nothing. Where both ends probe each other (a
 * mesh: each is the other's next hop), each one's Ack Requests are the
 * other's evidence, so the pair exchanges about one probe and one Ack per
 * interval instead of two of each; a neighbour that only answers gets a
 * probe every other interval (probe, Ack heard, skip, probe). The caveat
 * is a one-way failure: a neighbour whose packets still reach us while
 * ours no longer reach it is kept. That was so before (any packet counts
 * as an answer, so its own probes would answer ours), it loses us within
 * a second by its own probes (and its routes through us move), and its
 * IHUs about us stop, so our routes through it go when its last IHU
 * expires (3.5 Hello intervals). On WireGuard, whose sessions need
 * handshakes both ways every two minutes, that failure is rare.
 *
 * The budget. Every node spends at most fast_probe_rate (R, 160) probe
 * intervals a second over all its probed neighbours: with nfast of them
 * each one's interval is I = max(fast_probe_ms, nfast / R), recomputed
 * at every tick; M stays, so the false-loss rate below does not grow,
 * and the detection time grows with nfast instead, bounded by
 * fast_probe_max: at the defaults (100 ms, R 160, at most 32) I is
 * 100 ms up to 16 probed neighbours (lost 0.9-1.0 s after the last
 * packet), 119 ms at 19 (a 20-node full mesh: 1.07-1.19 s) and 200 ms at
 * 32 (1.8-2.0 s, the 2 s bound). So a node sends at most R Ack
 * Requests a second whatever its fan-out, and answers its neighbours'
 * own; before the budget, a node of a 20-node mesh sent 190 probes and
 * 190 Acks a second and received as many, 15,200 WireGuard packets a
 * second over the mesh, more than an emulated CPU (the qemu guest of
 * tests/vm) encrypts in time: Acks came late, neighbours were lost by
 * probe, routes flapped and the mesh never converged.
 *
 * False losses. A link with loss p each way loses a probe round trip
 * with q = 1-(1-p)^2: 0.19 at 10 %. A false loss needs M silent
 * intervals in a row; the first of them held no probe of ours (the tick
 * before it had heard the neighbour), so M-1 = 8 probes failed in a row:
 * q^8 = 1.7e-6. Such a window opens at most at every other tick (a
 * probe, then a heard interval): 5 a second at 100 ms, 3,000 in 10
 * minutes, so at most 3000 * 1.7e-6 = 5e-3 false losses per link per 10
 * minutes, one in 33 hours, fewer still where the neighbour's own probes,
 * Hellos and updates also arrive (10 % lost one way only, q = 0.1:
 * 3e-5).
 *
 * Cost: a probe and its Ack are about 124 bytes each on the wire (inner
 * IPv6 + UDP + 12 or 8 bytes of Babel, padded to 16, plus WireGuard's 32
 * and the outer UDP/IPv4): at most R probes and their R Acks a second
 * per node, 320 packets and 40 kB/s at the defaults, half that when the
 * probed neighbours only answer. So probes go only where they buy
 * something: to neighbours
 * that are next hops of selected routes (only there does a silent death
 * black-hole traffic that could move), and to at most fast_probe_max of
 * them; every other neighbour keeps the slow Hellos. And only while
 * there is somewhere else to go: a router with a single working link (a
 * spoke with one hub) gains nothing from knowing its only way is dead a
 * few seconds sooner, so it does not probe (a hub with 1,000 such spokes
 * probes 32 of them, at most R probes a second, and is asked nothing).
 *
 * Damping. The arithmetic above assumes packets are late only when lost.
 * A host that cannot run its daemon or encrypt for a second (a 20-node
 * mesh on the two emulated CPUs of the qemu guest: thousands of probe
 * losses in 18 minutes, every one false, the routes never settled) breaks
 * that, and then every false loss moves routes twice. So a neighbour lost
 * by probe and heard again within PROBE_FALSE_US was not dead: its
 * allowance doubles (M << probe_damp intervals, at most PROBE_DAMP_MAX
 * doublings: 7.2-8 s at 100 ms, still faster than the Hello timeout),
 * and halves again after each PROBE_DAMP_DECAY_US in which it was probed
 * without a loss. A real death is still found at the first try (the
 * allowance only grows after a loss that proved false), and a link that
 * keeps failing and coming back within seconds is kept off the fast path
 * rather than moved back and forth ten times a minute. A neighbour that
 * restarted (its daemon's socket closed) is normally lost by ICMP
 * ("unreachable") before the probes give up, so its return does not
 * count; one that comes back from a reboot does not come back within
 * PROBE_FALSE_US. (The constants are at the top of this file.)
 */
static bool neigh_probe_wanted(const struct babel *b, const struct babel_neigh *nb)
{
	return nb->nselected && b->nlinks >= 2 && nb->ifp->probe_us && nb->ifp->up &&
	       !b->shut;
}

static void neigh_probe_start(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	nb->fast = true;
	b->nfast++;
	/* The first tick is now and counts nothing missed: the neighbour
	 * was just heard (its update made it a next hop). */
	nb->heard = true;
	nb->misses = 0;
	babel_heap_arm(&b->timers, &nb->probe_timer, now);
}

/* A slot came free under fast_probe_max: the first waiting next hop. Rare
 * (a next hop changes while at the cap), so a walk over the neighbours. */
static void neigh_probe_promote(struct babel *b, uint64_t now)
{
	for (struct babel_list *p = b->iface_list.next; p != &b->iface_list; p = p->next) {
		struct babel_iface *ifp = babel_container_of(p, struct babel_iface, link);

		for (struct babel_list *q = ifp->neighs.next; q != &ifp->neighs;
		     q = q->next) {
			struct babel_neigh *nb = babel_container_of(q, struct babel_neigh,
								    iface_link);

			if (!nb->fast && neigh_probe_wanted(b, nb)) {
				neigh_probe_start(b, nb, now);
				return;
			}
		}
	}
}

static void neigh_probe_check(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	bool want = neigh_probe_wanted(b, nb);

	if (want == nb->fast)
		return;
	if (want) {
		if (b->nfast >= b->cfg.fast_probe_max) {
			b->ctr.fast_probe_refused++;
			return;
		}
		neigh_probe_start(b, nb, now);
		return;
	}
	nb->fast = false;
	b->nfast--;
	babel_heap_cancel(&b->timers, &nb->probe_timer);
	if (b->nfast + 1 == b->cfg.fast_probe_max && b->ctr.fast_probe_refused)
		neigh_probe_promote(b, now);
}

/* The number of working links crossed 2 (neigh_probe_wanted): every next
 * hop is looked at again. Rare, so a walk over the neighbours. */
static void neigh_probe_recheck_all(struct babel *b, uint64_t now)
{
	for (struct babel_list *p = b->iface_list.next; p != &b->iface_list; p = p->next) {
		struct babel_iface *ifp = babel_container_of(p, struct babel_iface, link);
		struct babel_list *q, *tmp;

		babel_list_for_each_safe(q, tmp, &ifp->neighs)
			neigh_probe_check(b, babel_container_of(q, struct babel_neigh,
								iface_link), now);
	}
}

void babel_neigh_set_cost(struct babel *b, struct babel_neigh *nb, uint16_t c)
{
	bool was = nb->cost != BABEL_INFINITY, is = c != BABEL_INFINITY;
	uint32_t before = b->nlinks;

	nb->cost = c;
	if (was == is)
		return;
	b->nlinks += is ? 1 : (uint32_t)-1;
	if ((before >= 2) != (b->nlinks >= 2) && !b->shut)
		neigh_probe_recheck_all(b, b->now);
}

void babel_neigh_selected(struct babel *b, struct babel_neigh *nb, int delta,
			  uint64_t now)
{
	nb->nselected += (uint32_t)delta;
	if (!nb->nselected || nb->nselected == 1)
		neigh_probe_check(b, nb, now);
}

/* The probe budget (above): nfast neighbours share fast_probe_rate
 * intervals a second. */
static uint64_t neigh_probe_interval(const struct babel *b,
				     const struct babel_neigh *nb)
{
	uint64_t shared = (uint64_t)b->nfast * 1000000u / b->cfg.fast_probe_rate;

	return shared > nb->ifp->probe_us ? shared : nb->ifp->probe_us;
}

static void neigh_probe_timer(struct babel *b, struct babel_neigh *nb, uint64_t now)
{
	struct babel_iface *ifp = nb->ifp;
	uint64_t iv = neigh_probe_interval(b, nb);
	struct babel_tlv t;

	if (b->shut) {		/* babel_shutdown: nothing is sent any more */
		nb->fast = false;
		b->nfast--;
		return;
	}
	if (nb->heard) {
		/* Alive since the last tick: no probe needed. */
		nb->heard = false;
		nb->misses = 0;
		if (nb->probe_damp && now - nb->probe_damp_us >= PROBE_DAMP_DECAY_US) {
			nb->probe_damp--;
			nb->probe_damp_us = now;
		}
	} else {
		if (nb->misses < UINT8_MAX)
			nb->misses++;
		/* Lost after M silent intervals, but not in the gap of a
		 * restart it announced (restart_until): at its end, at once. */
		if (nb->misses >= (uint32_t)ifp->probe_misses << nb->probe_damp &&
		    now >= nb->restart_until) {
			/* Its routes move now; that stops the probes (nselected 0). */
			nb->probe_lost_us = now;
			neigh_kill(b, nb, BABEL_LOSS_PROBE, now);
			return;
		}
		memset(&t, 0, sizeof(t));
		t.type = BABEL_TLV_ACK_REQ;
		t.ack_req.nonce = nb->probe_nonce++;
		t.ack_req.interval = (uint16_t)(iv / 10000 > 65535 ? 65535 :
						 iv / 10000 ? iv / 10000 : 1);
		babel_out_tlv(b, ifp, nb, &t);
		b->ctr.fast_probes_sent++;
	}
	babel_heap_arm(&b->timers, &nb->probe_timer, now + iv);
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
	case T_NEIGH_PROBE:
		neigh_probe_timer(b, babel_container_of(t, struct babel_neigh, probe_timer),
				  now);
		break;
	case T_NEIGH_REDUMP:
		nb = babel_container_of(t, struct babel_neigh, redump_timer);
		b->ctr.redumps++;
		babel_dump_start(b, &nb->dump, now);
		break;
	default:
		break;
	}
}

/*
 * The neighbour's host told us that nothing listens on the Babel port any
 * more (an ICMP port unreachable for a datagram we sent it: the Babel
 * process died or restarted while its host stayed up). That is what missed
 * Hellos would tell us later, so the same path runs now (neigh_kill).
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
	/* It announced a restart: nothing listens in the gap, by design. */
	if (now < nb->restart_until)
		return 2;
	neigh_kill(b, nb, BABEL_LOSS_UNREACHABLE, now);
	babel_flush(b);
	return 0;
}

int babel_neigh_heard(struct babel *b, unsigned ifindex,
		      const struct babel_addr *addr, uint64_t now)
{
	struct babel_neigh *nb = babel_neigh_find(b, ifindex, addr);

	b->now = now;
	if (!nb)
		return -ENOENT;
	nb->heard = true;
	return 0;
}
