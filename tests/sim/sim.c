/* SPDX-License-Identifier: MIT */
/* tests/sim/sim.c — see sim.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/sim/sim.h"

#define SIM_MAX_EPS 512
#define SIM_MAX_LINKS 1024
#define SIM_MAX_IFS 32

enum { EV_PACKET, EV_TIMER };
enum { LINK_WG, LINK_LAN };

struct sim_ev {
	uint64_t t, seq;
	int type;
	unsigned router;
	unsigned gen;
	/* packets */
	int link;
	unsigned ifindex;
	struct babel_addr src, dst;
	bool mcast;
	size_t len;
	uint8_t *buf;
};

struct sim_ep {
	unsigned router;
	unsigned ifindex;
	struct babel_addr addr;
	int lan;			/* link id of its LAN, -1 for WireGuard */
};

struct sim_link {
	int type;
	struct sim_link_props p;
	bool up;
	int a, b;			/* WG: endpoints */
	int members[SIM_MAX_ROUTERS];	/* LAN: endpoints */
	unsigned nmembers;
};

struct sim_router {
	struct sim *s;
	unsigned idx;
	struct babel *b;
	bool up;
	unsigned gen;
	uint8_t rid[8];
	uint16_t saved_seqno;
	uint64_t sched;			/* deadline of the pending timer event */
	int fib_ep[SIM_MAX_PREFIXES];	/* endpoint of the next hop, -1 none */
	bool originates[SIM_MAX_PREFIXES];
	uint16_t orig_metric[SIM_MAX_PREFIXES];
	int eps[SIM_MAX_IFS];
	unsigned neps;
	int wg_ep;			/* endpoint of interface 1, or -1 */
};

struct sim {
	uint64_t now, seq, rng;
	unsigned n;
	uint32_t hello_ms, update_ms;
	struct sim_router r[SIM_MAX_ROUTERS];
	struct sim_ep eps[SIM_MAX_EPS];
	unsigned neps;
	struct sim_link links[SIM_MAX_LINKS];
	unsigned nlinks;
	int wgpair[SIM_MAX_ROUTERS][SIM_MAX_ROUTERS];
	struct babel_prefix prefixes[SIM_MAX_PREFIXES];
	unsigned nk;
	struct sim_ev **heap;
	size_t nheap, capheap;
	uint64_t delivered, steps, loop_checks;
	uint64_t loop_tolerance;	/* 0: any loop fails the test */
	uint64_t loop_since;		/* UINT64_MAX: no loop now */
	uint64_t longest_loop;
	unsigned loops_seen;
	int bad_router, bad_prefix;	/* what sim_converged() last objected to */
	char error[512];
};

static uint64_t rng_next(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(struct sim *s)
{
	return (double)(rng_next(s) >> 11) / (double)(1ULL << 53);
}

/* ---- event queue ---- */

static bool ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void ev_push(struct sim *s, struct sim_ev *e)
{
	size_t i;

	e->seq = s->seq++;
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 1024;
		s->heap = realloc(s->heap, s->capheap * sizeof(*s->heap));
		assert_non_null(s->heap);
	}
	i = s->nheap++;
	while (i > 0 && ev_before(e, s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct sim_ev *ev_pop(struct sim *s)
{
	struct sim_ev *top, *last;
	size_t i = 0;

	if (!s->nheap)
		return NULL;
	top = s->heap[0];
	last = s->heap[--s->nheap];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!ev_before(s->heap[c], last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

static void ev_free(struct sim_ev *e)
{
	free(e->buf);
	free(e);
}

/* ---- addresses ---- */

static struct babel_addr ep_addr(unsigned router, unsigned ifindex)
{
	struct babel_addr a;

	memset(&a, 0, sizeof(a));
	a.af = BABEL_AF_INET6;
	a.addr[0] = 0xfe;
	a.addr[1] = 0x80;
	a.addr[12] = (uint8_t)((router + 1) >> 8);
	a.addr[13] = (uint8_t)(router + 1);
	a.addr[15] = (uint8_t)ifindex;
	return a;
}

static int ep_by_addr(struct sim *s, const struct babel_addr *a)
{
	unsigned router, ifindex;

	if (a->af != BABEL_AF_INET6 || a->addr[0] != 0xfe)
		return -1;
	router = (unsigned)((a->addr[12] << 8) | a->addr[13]) - 1;
	ifindex = a->addr[15];
	if (router >= s->n)
		return -1;
	for (unsigned i = 0; i < s->r[router].neps; i++) {
		int e = s->r[router].eps[i];

		if (s->eps[e].ifindex == ifindex)
			return e;
	}
	return -1;
}

static int ep_of(struct sim *s, unsigned router, unsigned ifindex)
{
	for (unsigned i = 0; i < s->r[router].neps; i++) {
		int e = s->r[router].eps[i];

		if (s->eps[e].ifindex == ifindex)
			return e;
	}
	return -1;
}

static int track_index(struct sim *s, const struct babel_prefix *p)
{
	for (unsigned k = 0; k < s->nk; k++)
		if (babel_prefix_equal(&s->prefixes[k], p))
			return (int)k;
	return -1;
}

/* ---- callbacks ---- */

static void schedule_packet(struct sim *s, int link, const struct sim_ep *to,
			    const struct sim_ep *from, bool mcast,
			    const uint8_t *buf, size_t len)
{
	struct sim_link *l = &s->links[link];
	struct sim_ev *e;
	uint64_t jitter = 0;

	if (!l->up)
		return;
	if (l->p.loss > 0 && rng_unit(s) < l->p.loss)
		return;
	if (l->p.jitter_us)
		jitter = rng_next(s) % (l->p.jitter_us + 1);
	e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->t = s->now + l->p.delay_us + jitter;
	e->type = EV_PACKET;
	e->router = to->router;
	e->link = link;
	e->ifindex = to->ifindex;
	e->src = from->addr;
	e->dst = mcast ? (struct babel_addr){ .af = BABEL_AF_INET6,
					      .addr = BABEL_MCAST_V6 } : to->addr;
	e->mcast = mcast;
	e->len = len;
	e->buf = malloc(len);
	assert_non_null(e->buf);
	memcpy(e->buf, buf, len);
	ev_push(s, e);
}

static void cb_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct sim_router *r = ctx;
	struct sim *s = r->s;
	int from = ep_of(s, r->idx, ifindex);
	int to, link;

	if (from < 0) {
		snprintf(s->error, sizeof(s->error), "router %u sent on unknown ifindex %u",
			 r->idx, ifindex);
		return;
	}
	if (!dst) {
		struct sim_link *l;

		if (s->eps[from].lan < 0) {
			snprintf(s->error, sizeof(s->error),
				 "router %u multicast on a unicast-only interface", r->idx);
			return;
		}
		l = &s->links[s->eps[from].lan];
		for (unsigned i = 0; i < l->nmembers; i++)
			if (l->members[i] != from)
				schedule_packet(s, s->eps[from].lan, &s->eps[l->members[i]],
						&s->eps[from], true, buf, len);
		return;
	}
	to = ep_by_addr(s, dst);
	if (to < 0)
		return;
	if (s->eps[from].lan >= 0)
		link = s->eps[from].lan == s->eps[to].lan ? s->eps[from].lan : -1;
	else
		link = s->wgpair[r->idx][s->eps[to].router];
	if (link < 0)
		return;
	schedule_packet(s, link, &s->eps[to], &s->eps[from], false, buf, len);
}

static void cb_fib(void *ctx, const struct babel_prefix *prefix,
		   const struct babel_prefix *src, const struct babel_nexthop *old_nh,
		   const struct babel_nexthop *new_nh, uint16_t metric)
{
	struct sim_router *r = ctx;
	struct sim *s = r->s;
	int k = track_index(s, prefix);
	int old_ep;

	(void)src;
	(void)metric;
	if (k < 0)
		return;
	old_ep = old_nh ? ep_by_addr(s, &old_nh->addr) : -1;
	if (old_ep != r->fib_ep[k] && !s->error[0])
		snprintf(s->error, sizeof(s->error),
			 "router %u: fib_change old next hop %d but the FIB had %d",
			 r->idx, old_ep, r->fib_ep[k]);
	r->fib_ep[k] = new_nh ? ep_by_addr(s, &new_nh->addr) : -1;
	if (new_nh && r->fib_ep[k] < 0 && !s->error[0])
		snprintf(s->error, sizeof(s->error), "router %u: unknown next hop", r->idx);
}

static void cb_save(void *ctx, const uint8_t rid[8], uint16_t seqno)
{
	struct sim_router *r = ctx;

	(void)rid;
	r->saved_seqno = seqno;
}

/* ---- routers ---- */

static void reschedule(struct sim *s, struct sim_router *r, uint64_t deadline)
{
	struct sim_ev *e;

	if (deadline == UINT64_MAX || deadline == r->sched)
		return;
	if (deadline < s->now)
		deadline = s->now;
	r->sched = deadline;
	e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->t = deadline;
	e->type = EV_TIMER;
	e->router = r->idx;
	e->gen = r->gen;
	ev_push(s, e);
}

static void router_kick(struct sim *s, struct sim_router *r)
{
	if (r->up)
		reschedule(s, r, babel_run(r->b, s->now));
}

static void iface_cfg(struct sim *s, const struct sim_ep *ep, bool wg,
		      struct babel_iface_config *c)
{
	memset(c, 0, sizeof(*c));
	c->type = wg ? BABEL_IFACE_WIREGUARD : BABEL_IFACE_WIRED;
	c->unicast_only = wg;
	c->rtt = BABEL_OFF;	/* metrics stay hop counts: easy to check */
	c->ll6 = ep->addr;
	c->hello_interval_ms = s->hello_ms;
	c->update_interval_ms = s->update_ms;
}

static void router_add_ep_iface(struct sim *s, struct sim_router *r, int ep)
{
	struct babel_iface_config c;

	iface_cfg(s, &s->eps[ep], s->eps[ep].lan < 0, &c);
	assert_int_equal(babel_iface_add(r->b, s->eps[ep].ifindex, &c, s->now), 0);
}

static void router_add_peer(struct sim *s, struct sim_router *r, unsigned other)
{
	struct sim_ep *peer = &s->eps[s->r[other].wg_ep];

	assert_int_equal(babel_iface_add_peer(r->b, s->eps[r->wg_ep].ifindex,
						&peer->addr, s->now), 0);
}

void sim_boot(struct sim *s, unsigned i)
{
	struct sim_router *r = &s->r[i];
	struct babel_config cfg;
	struct babel_callbacks cb = {
		.ctx = r, .send = cb_send, .fib_change = cb_fib, .save_state = cb_save,
	};

	assert_false(r->up);
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.router_id, r->rid, 8);
	cfg.seqno = r->saved_seqno;
	cfg.hello_interval_ms = s->hello_ms;
	cfg.update_interval_ms = s->update_ms;
	cfg.smoothing_half_life_ms = 1000;
	cfg.source_gc_ms = 60000;
	r->b = babel_new(&cfg, &cb, s->now);
	assert_non_null(r->b);
	r->up = true;
	r->gen++;
	r->sched = UINT64_MAX;
	for (unsigned k = 0; k < SIM_MAX_PREFIXES; k++)
		r->fib_ep[k] = -1;
	for (unsigned e = 0; e < r->neps; e++)
		router_add_ep_iface(s, r, r->eps[e]);
	if (r->wg_ep >= 0)
		for (unsigned o = 0; o < s->n; o++)
			if (s->wgpair[i][o] >= 0)
				router_add_peer(s, r, o);
	for (unsigned k = 0; k < s->nk; k++)
		if (r->originates[k])
			assert_int_equal(babel_originate(r->b, &s->prefixes[k], NULL,
							 r->orig_metric[k], s->now), 0);
	router_kick(s, r);
}

void sim_crash(struct sim *s, unsigned i)
{
	struct sim_router *r = &s->r[i];

	assert_true(r->up);
	babel_free(r->b);
	r->b = NULL;
	r->up = false;
	for (unsigned k = 0; k < SIM_MAX_PREFIXES; k++)
		r->fib_ep[k] = -1;
}

void sim_stop(struct sim *s, unsigned i)
{
	babel_shutdown(s->r[i].b, s->now);
	sim_crash(s, i);
}

struct sim *sim_new(unsigned n, uint64_t seed)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_true(n <= SIM_MAX_ROUTERS);
	s->n = n;
	s->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	s->hello_ms = 1000;
	s->update_ms = 4000;
	s->loop_since = UINT64_MAX;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			s->wgpair[i][j] = -1;
	for (unsigned i = 0; i < n; i++) {
		struct sim_router *r = &s->r[i];

		r->s = s;
		r->idx = i;
		r->wg_ep = -1;
		r->rid[6] = (uint8_t)((i + 1) >> 8);
		r->rid[7] = (uint8_t)(i + 1);
		r->saved_seqno = (uint16_t)(rng_next(s) & 0xFFFF);
		sim_boot(s, i);
	}
	return s;
}

void sim_set_intervals(struct sim *s, uint32_t hello_ms, uint32_t update_ms)
{
	s->hello_ms = hello_ms;
	s->update_ms = update_ms;
}

void sim_free(struct sim *s)
{
	struct sim_ev *e;

	for (unsigned i = 0; i < s->n; i++)
		if (s->r[i].up)
			babel_free(s->r[i].b);
	while ((e = ev_pop(s)))
		ev_free(e);
	free(s->heap);
	free(s);
}

static int new_ep(struct sim *s, unsigned router, int lan)
{
	struct sim_router *r = &s->r[router];
	int ep = (int)s->neps++;

	assert_true(s->neps <= SIM_MAX_EPS);
	assert_true(r->neps < SIM_MAX_IFS);
	s->eps[ep].router = router;
	s->eps[ep].ifindex = r->neps + 1;
	s->eps[ep].addr = ep_addr(router, s->eps[ep].ifindex);
	s->eps[ep].lan = lan;
	r->eps[r->neps++] = ep;
	return ep;
}

static int wg_ep_get(struct sim *s, unsigned router)
{
	struct sim_router *r = &s->r[router];

	if (r->wg_ep < 0) {
		r->wg_ep = new_ep(s, router, -1);
		if (r->up)
			router_add_ep_iface(s, r, r->wg_ep);
	}
	return r->wg_ep;
}

int sim_link_wg(struct sim *s, unsigned a, unsigned b, struct sim_link_props p)
{
	int id = (int)s->nlinks++;
	struct sim_link *l = &s->links[id];

	assert_true(s->nlinks <= SIM_MAX_LINKS);
	l->type = LINK_WG;
	l->p = p;
	l->up = true;
	l->a = wg_ep_get(s, a);
	l->b = wg_ep_get(s, b);
	s->wgpair[a][b] = s->wgpair[b][a] = id;
	if (s->r[a].up) {
		router_add_peer(s, &s->r[a], b);
		router_kick(s, &s->r[a]);
	}
	if (s->r[b].up) {
		router_add_peer(s, &s->r[b], a);
		router_kick(s, &s->r[b]);
	}
	return id;
}

int sim_link_lan(struct sim *s, const unsigned *routers, unsigned n,
		 struct sim_link_props p)
{
	int id = (int)s->nlinks++;
	struct sim_link *l = &s->links[id];

	assert_true(s->nlinks <= SIM_MAX_LINKS);
	l->type = LINK_LAN;
	l->p = p;
	l->up = true;
	for (unsigned i = 0; i < n; i++) {
		int ep = new_ep(s, routers[i], id);

		l->members[l->nmembers++] = ep;
		if (s->r[routers[i]].up) {
			router_add_ep_iface(s, &s->r[routers[i]], ep);
			router_kick(s, &s->r[routers[i]]);
		}
	}
	return id;
}

void sim_link_set_up(struct sim *s, int link, bool up)
{
	s->links[link].up = up;
}

void sim_link_set_loss(struct sim *s, int link, double loss)
{
	s->links[link].p.loss = loss;
}

int sim_track(struct sim *s, const struct babel_prefix *p)
{
	assert_true(s->nk < SIM_MAX_PREFIXES);
	s->prefixes[s->nk] = *p;
	return (int)s->nk++;
}

void sim_originate(struct sim *s, unsigned r, const struct babel_prefix *p,
		   uint16_t metric)
{
	int k = track_index(s, p);

	if (k < 0)
		k = sim_track(s, p);
	s->r[r].originates[k] = true;
	s->r[r].orig_metric[k] = metric;
	if (s->r[r].up) {
		assert_int_equal(babel_originate(s->r[r].b, p, NULL, metric, s->now), 0);
		router_kick(s, &s->r[r]);
	}
}

void sim_withdraw(struct sim *s, unsigned r, const struct babel_prefix *p)
{
	int k = track_index(s, p);

	assert_true(k >= 0);
	s->r[r].originates[k] = false;
	if (s->r[r].up) {
		assert_int_equal(babel_withdraw(s->r[r].b, p, NULL, s->now), 0);
		router_kick(s, &s->r[r]);
	}
}

/* ---- checks ---- */

/* Follow the FIBs from router r for prefix k: the origin reached, -1 for a
 * dead end, -2 for a loop. */
static int follow(struct sim *s, unsigned r, int k)
{
	unsigned cur = r;

	for (unsigned hops = 0; hops <= s->n; hops++) {
		struct sim_router *x = &s->r[cur];

		if (!x->up)
			return -1;
		if (x->originates[k])
			return (int)cur;
		if (x->fib_ep[k] < 0)
			return -1;
		cur = s->eps[x->fib_ep[k]].router;
	}
	return -2;
}

int sim_next_hop(struct sim *s, unsigned r, int k)
{
	int ep = s->r[r].fib_ep[k];

	return ep >= 0 ? (int)s->eps[ep].router : -1;
}

int sim_reaches(struct sim *s, unsigned r, int k)
{
	int o = follow(s, r, k);

	return o >= 0 ? o : -1;
}

int sim_find_loop(struct sim *s, int *prefix)
{
	for (unsigned i = 0; i < s->n; i++) {
		for (unsigned k = 0; k < s->nk; k++) {
			s->loop_checks++;
			if (follow(s, i, (int)k) == -2) {
				if (prefix)
					*prefix = (int)k;
				return (int)i;
			}
		}
	}
	return -1;
}

void sim_force_next_hop(struct sim *s, unsigned r, int k, unsigned to)
{
	s->r[r].fib_ep[k] = s->r[to].eps[0];
}

struct dump_ctx {
	struct sim *s;
	const struct babel_prefix *p;
};

static int dump_route(void *ctx, const struct babel_route_info *i)
{
	struct dump_ctx *d = ctx;
	int ep = -1;

	for (unsigned e = 0; e < d->s->neps; e++)
		if (babel_addr_equal(&d->s->eps[e].addr, &i->neighbour.addr))
			ep = (int)e;
	print_message("    via router %d: metric %u refmetric %u seqno %u rid %u feasible %d selected %d\n",
		      ep >= 0 ? (int)d->s->eps[ep].router : -1, i->metric, i->refmetric,
		      i->seqno, i->router_id[7], i->feasible, i->selected);
	return 0;
}

static int dump_source(void *ctx, const struct babel_source_info *i)
{
	struct dump_ctx *d = ctx;

	if (babel_prefix_equal(&i->prefix, d->p))
		print_message("    source rid %u: fd seqno %u metric %u\n", i->router_id[7],
			      i->seqno, i->metric);
	return 0;
}

static int dump_neigh(void *ctx, const struct babel_neighbour_info *i)
{
	(void)ctx;
	print_message("    neighbour router %d: rxcost %u txcost %u cost %u history mc %04x uc %04x routes %u\n",
		      (int)((i->addr.addr[12] << 8) | i->addr.addr[13]) - 1, i->rxcost, i->txcost,
		      i->cost, i->mcast_history, i->ucast_history, i->routes);
	return 0;
}

/* What a router knows about a prefix, for a failure report. */
static void dump_router(struct sim *s, unsigned r, int k)
{
	struct dump_ctx d = { s, &s->prefixes[k] };

	print_message("  router %u (up %d):\n", r, s->r[r].up);
	if (!s->r[r].up)
		return;
	babel_route_lookup(s->r[r].b, &s->prefixes[k], NULL, dump_route, &d);
	babel_foreach_source(s->r[r].b, dump_source, &d);
	babel_foreach_neighbour(s->r[r].b, dump_neigh, NULL);
	print_message("    simulated links:");
	for (unsigned o = 0; o < s->n; o++)
		if (s->wgpair[r][o] >= 0)
			print_message(" %u%s", o, s->links[s->wgpair[r][o]].up ? "" : "(down)");
	print_message("\n");
}

/* After every step: the FIB callbacks were consistent, and following the
 * next hops from every router for every tracked prefix terminates. */
static void check_loops(struct sim *s)
{
	int r, k = 0;

	if (s->error[0])
		fail_msg("t=%.3fs: %s", (double)s->now / SIM_S, s->error);
	r = sim_find_loop(s, &k);
	if (r < 0) {
		s->loop_since = UINT64_MAX;
		return;
	}
	if (s->loop_since == UINT64_MAX) {
		s->loop_since = s->now;
		s->loops_seen++;
	}
	if (s->now - s->loop_since > s->longest_loop)
		s->longest_loop = s->now - s->loop_since;
	if (!s->loop_tolerance || s->now - s->loop_since > s->loop_tolerance) {
		char path[512];
		size_t off = 0;
		unsigned cur = (unsigned)r;

		for (unsigned h = 0; h <= s->n && off < sizeof(path) - 8; h++) {
			off += (size_t)snprintf(path + off, sizeof(path) - off, "%u ", cur);
			if (h < 4)
				dump_router(s, cur, k);
			cur = s->eps[s->r[cur].fib_ep[k]].router;
		}
		fail_msg("t=%.3fs: forwarding loop for prefix %d (for %.3f s): %s",
			 (double)s->now / SIM_S, k,
			 (double)(s->now - s->loop_since) / SIM_S, path);
	}
}

static bool step(struct sim *s, uint64_t until)
{
	struct sim_ev *e;
	struct sim_router *r;

	if (!s->nheap || s->heap[0]->t > until)
		return false;
	e = ev_pop(s);
	s->now = e->t;
	r = &s->r[e->router];
	if (e->type == EV_TIMER) {
		if (r->up && e->gen == r->gen && e->t == r->sched) {
			r->sched = UINT64_MAX;
			router_kick(s, r);
		}
	} else if (r->up && s->links[e->link].up) {
		if (getenv("SIM_TRACE")) {
			struct babel_parser ps;
			struct babel_tlv t;
			char types[512];
			size_t off = 0;

			babel_parser_init(&ps, e->buf, e->len, &e->src, NULL);
			while (babel_parser_next(&ps, &t) > 0 && off < sizeof(types) - 4)
				off += t.type == BABEL_TLV_UPDATE
					? (size_t)snprintf(types + off, sizeof(types) - off,
							   "U(p%u,r%u,s%u,m%u) ", t.update.prefix.addr[0],
							   t.update.router_id[7], t.update.seqno,
							   t.update.metric)
					: (size_t)snprintf(types + off, sizeof(types) - off, "%u ", t.type);
			fprintf(stderr, "%.4f %u<-%u %s: %s\n", (double)s->now / SIM_S,
				e->router, (unsigned)e->src.addr[13] - 1,
				e->mcast ? "m" : "u", types);
		}
		babel_receive(r->b, e->ifindex, &e->src, &e->dst, e->buf, e->len, s->now);
		s->delivered++;
		router_kick(s, r);
	}
	ev_free(e);
	s->steps++;
	check_loops(s);
	return true;
}

void sim_run_until(struct sim *s, uint64_t t)
{
	while (step(s, t))
		;
	s->now = t;
}

uint64_t sim_now(const struct sim *s)
{
	return s->now;
}

static bool live_adjacent(struct sim *s, unsigned a, unsigned b)
{
	int l = s->wgpair[a][b];

	if (l >= 0 && s->links[l].up)
		return true;
	for (unsigned i = 0; i < s->r[a].neps; i++) {
		int lan = s->eps[s->r[a].eps[i]].lan;

		if (lan < 0 || !s->links[lan].up)
			continue;
		for (unsigned m = 0; m < s->links[lan].nmembers; m++)
			if (s->eps[s->links[lan].members[m]].router == b)
				return true;
	}
	return false;
}

bool sim_converged(struct sim *s, uint16_t cost, char *why, size_t whylen)
{
	static const uint32_t INF = 0xFFFFFFFF;
	uint32_t dist[SIM_MAX_ROUTERS];
	bool done[SIM_MAX_ROUTERS];
	bool adj[SIM_MAX_ROUTERS][SIM_MAX_ROUTERS];

	for (unsigned a = 0; a < s->n; a++)
		for (unsigned b = 0; b < s->n; b++)
			adj[a][b] = a != b && s->r[a].up && s->r[b].up && live_adjacent(s, a, b);
	for (unsigned k = 0; k < s->nk; k++) {
		for (unsigned i = 0; i < s->n; i++) {
			dist[i] = s->r[i].up && s->r[i].originates[k] ? s->r[i].orig_metric[k] : INF;
			done[i] = false;
		}
		for (;;) {	/* Dijkstra, O(n^2) */
			int u = -1;

			for (unsigned i = 0; i < s->n; i++)
				if (!done[i] && dist[i] != INF && (u < 0 || dist[i] < dist[u]))
					u = (int)i;
			if (u < 0)
				break;
			done[u] = true;
			/* an origin announces its own metric and never routes
			 * through others for the prefix (babel.h): no relaxing */
			for (unsigned v = 0; v < s->n; v++)
				if (adj[u][v] && !s->r[v].originates[k] &&
				    dist[u] + cost < dist[v])
					dist[v] = dist[u] + cost;
		}
		for (unsigned i = 0; i < s->n; i++) {
			struct babel_nexthop nh;
			uint16_t m;
			int o;

			if (!s->r[i].up || s->r[i].originates[k])
				continue;
			if (dist[i] == INF) {
				if (s->r[i].fib_ep[k] >= 0 && follow(s, i, (int)k) >= 0) {
					/* unreachable yet a route: stale, not converged */
					snprintf(why, whylen, "router %u has a stale route for prefix %u",
						 i, k);
					{ s->bad_router = (int)i; s->bad_prefix = (int)k; return false; }
				}
				continue;
			}
			if (babel_route_selected(s->r[i].b, &s->prefixes[k], NULL, &nh, &m) < 0) {
				snprintf(why, whylen, "router %u has no route for prefix %u (expected metric %u)",
					 i, k, dist[i]);
				{ s->bad_router = (int)i; s->bad_prefix = (int)k; return false; }
			}
			if (m != dist[i] && getenv("SIM_DUMP_ALL")) {
				for (unsigned j = 0; j < s->n; j++) {
					uint16_t mj = 0;

					if (s->r[j].up && !s->r[j].originates[k] &&
					    babel_route_selected(s->r[j].b, &s->prefixes[k], NULL, NULL, &mj) == 0)
						print_message("  r%u: %u expected %u\n", j, mj, dist[j]);
					else
						print_message("  r%u: origin %d (metric %u)\n", j,
							      s->r[j].originates[k], s->r[j].orig_metric[k]);
				}
			}
			if (m != dist[i]) {
				snprintf(why, whylen, "router %u prefix %u metric %u, expected %u",
					 i, k, m, dist[i]);
				{ s->bad_router = (int)i; s->bad_prefix = (int)k; return false; }
			}
			o = follow(s, i, (int)k);
			if (o < 0) {
				snprintf(why, whylen, "router %u prefix %u: next hops reach no origin",
					 i, k);
				{ s->bad_router = (int)i; s->bad_prefix = (int)k; return false; }
			}
		}
	}
	return true;
}

uint64_t sim_run_until_converged(struct sim *s, uint16_t cost, uint64_t bound)
{
	uint64_t start = s->now;
	char why[256] = "";

	for (;;) {
		if (sim_converged(s, cost, why, sizeof(why)))
			return s->now - start;
		if (s->now - start >= bound)
			break;
		if (getenv("SIM_TRACE") && (s->now - start) % SIM_S == 0)
			fprintf(stderr, "not converged: %s\n", why);
		sim_run_until(s, s->now + 10 * SIM_MS);
	}
	print_message("not converged after %.2f s: %s\n", (double)bound / SIM_S, why);
	dump_router(s, (unsigned)s->bad_router, s->bad_prefix);
	if (s->r[s->bad_router].up && s->r[s->bad_router].fib_ep[s->bad_prefix] >= 0)
		dump_router(s, s->eps[s->r[s->bad_router].fib_ep[s->bad_prefix]].router,
			    s->bad_prefix);
	return UINT64_MAX;
}

struct babel *sim_router(struct sim *s, unsigned r)
{
	return s->r[r].b;
}

uint64_t sim_packets_delivered(const struct sim *s)
{
	return s->delivered;
}

uint64_t sim_steps(const struct sim *s)
{
	return s->steps;
}

void sim_tolerate_transient_loops(struct sim *s, uint64_t max_us)
{
	s->loop_tolerance = max_us;
}

unsigned sim_loops_seen(const struct sim *s, uint64_t *longest_us)
{
	if (longest_us)
		*longest_us = s->longest_loop;
	return s->loops_seen;
}

uint64_t sim_loop_checks(const struct sim *s)
{
	return s->loop_checks;
}

struct babel_prefix sim_prefix(const char *str)
{
	struct babel_prefix p;

	assert_int_equal(babel_prefix_parse(str, &p), 0);
	return p;
}
