/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_graph.c — "graph": what this node knows of the mesh, as
 * Graphviz DOT. Nodes are routers named by router-id ("r" and 16 hex
 * digits), so that tests/merge_dot.py can join every node's picture into
 * one: this node (wgb="self"), its neighbours (an edge each, with cost and
 * RTT), the routers behind them (from the originators of the routes each
 * neighbour offers), and for every anycast prefix (originated by more than
 * one router) its origins and this node's choice among them. A neighbour's router-id is
 * that of a route it originates itself (refmetric 0); a neighbour that
 * originates nothing is named by its interface and address.
 *
 * One statement per line, attributes in brackets: simple to merge.
 */
#include "daemon/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

struct gr_neigh {
	struct babel_neighbour_info info;
	bool has_rid;
	uint8_t rid[8];
	char id[96];
};

struct gr_key {			/* (neighbour, router behind it) */
	size_t nb;
	uint8_t rid[8];
};

struct gr_origin {
	uint8_t rid[8];
	bool chosen;
	size_t nb;		/* SIZE_MAX: none (we originate it) */
	uint16_t metric;
};

#define GR_ORIGINS_MAX 16

struct graph {
	struct daemon *d;
	struct sbuf *b;
	struct gr_neigh *nb;
	size_t n_nb, cap;
	struct wg_hmap nb_by_addr;	/* (ifindex, addr) -> size_t */
	struct wg_hmap behind;		/* struct gr_key -> uint16_t metric */
	/* the current prefix's origins (routes come grouped by prefix) */
	struct babel_prefix cur;
	bool have_cur;
	struct gr_origin org[GR_ORIGINS_MAX];
	size_t n_org;
	int err;
};

struct gr_addr_key {
	unsigned ifindex;
	struct babel_addr addr;
};

static void gr_rid_id(const uint8_t rid[8], char *buf, size_t len)
{
	snprintf(buf, len, "r%02x%02x%02x%02x%02x%02x%02x%02x", rid[0], rid[1],
		 rid[2], rid[3], rid[4], rid[5], rid[6], rid[7]);
}

/* A quoted DOT string: '"' and '\' escaped, a newline as DOT's \n (the
 * output stays one statement per line). */
static void gr_str(struct sbuf *b, const char *s)
{
	sbuf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '\n') {
			sbuf_puts(b, "\\n");
			continue;
		}
		if (*s == '"' || *s == '\\')
			sbuf_putn(b, "\\", 1);
		sbuf_putn(b, s, 1);
	}
	sbuf_puts(b, "\"");
}

static struct gr_neigh *gr_find(struct graph *g, unsigned ifindex,
				const struct babel_addr *a, size_t *idx)
{
	struct gr_addr_key k;
	size_t *v;

	memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.addr = *a;
	if (!(v = wg_hmap_find(&g->nb_by_addr, &k)))
		return NULL;
	if (idx)
		*idx = *v;
	return &g->nb[*v];
}

static int gr_add_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct graph *g = arg;
	struct gr_addr_key k;
	size_t *v;
	bool created;

	if (g->n_nb == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		void *p = realloc(g->nb, cap * sizeof(*g->nb));

		if (!p)
			return g->err = -ENOMEM;
		g->nb = p;
		g->cap = cap;
	}
	memset(&g->nb[g->n_nb], 0, sizeof(g->nb[0]));
	g->nb[g->n_nb].info = *n;
	memset(&k, 0, sizeof(k));
	k.ifindex = n->ifindex;
	k.addr = n->addr;
	if (!(v = wg_hmap_get(&g->nb_by_addr, &k, &created)))
		return g->err = -ENOMEM;
	*v = g->n_nb++;
	return 0;
}

/* Pass 1: each neighbour's router-id, and the routers behind it. */
static int gr_learn(void *arg, const struct babel_route_info *r)
{
	struct graph *g = arg;
	struct gr_neigh *n;
	struct gr_key k;
	uint16_t *m;
	size_t idx;
	bool created;

	if (!(n = gr_find(g, r->neighbour.ifindex, &r->neighbour.addr, &idx)) ||
	    r->metric >= BABEL_INFINITY)
		return 0;
	if (r->refmetric == 0) {
		n->has_rid = true;
		memcpy(n->rid, r->router_id, 8);
	}
	memset(&k, 0, sizeof(k));
	k.nb = idx;
	memcpy(k.rid, r->router_id, 8);
	if (!(m = wg_hmap_get(&g->behind, &k, &created)))
		return g->err = -ENOMEM;
	if (created || r->metric < *m)
		*m = r->metric;
	return 0;
}

static void gr_node(struct graph *g, const char *id, const char *label,
		    const char *attrs)
{
	sbuf_puts(g->b, "  ");
	gr_str(g->b, id);
	sbuf_puts(g->b, " [label=");
	gr_str(g->b, label);
	sbuf_printf(g->b, "%s];\n", attrs);
}

static void gr_edge(struct graph *g, const char *from, const char *to,
		    const char *label, const char *attrs)
{
	sbuf_puts(g->b, "  ");
	gr_str(g->b, from);
	sbuf_puts(g->b, " -> ");
	gr_str(g->b, to);
	sbuf_puts(g->b, " [label=");
	gr_str(g->b, label);
	sbuf_printf(g->b, "%s];\n", attrs);
}

/*
 * An anycast prefix: its node, an edge from each origin (the same in every
 * node's graph, so that merged graphs draw it once) and this node's choice:
 * an edge from itself, through which neighbour to which origin. A prefix
 * we originate ourselves is served locally: no choice edge.
 */
static void gr_flush_prefix(struct graph *g)
{
	char self[24], p[64], pid[72], oid[24], label[200], rid[32], a[64];
	char ifn[CFG_IFNAME_MAX + 8];
	bool ours = wg_hmap_find(&g->d->originated, &g->cur) != NULL;
	const struct gr_origin *chosen = NULL;

	if (!g->have_cur || g->n_org + (ours ? 1 : 0) < 2)
		goto out;
	gr_rid_id(g->d->router_id, self, sizeof(self));
	cfg_prefix_str(&g->cur, p, sizeof(p));
	snprintf(pid, sizeof(pid), "p:%s", p);
	gr_node(g, pid, p, ", shape=note, wgb=\"anycast\"");
	for (size_t i = 0; i < g->n_org; i++) {
		gr_rid_id(g->org[i].rid, oid, sizeof(oid));
		gr_edge(g, oid, pid, "originates", ", style=dotted, "
			"wgb=\"origin\"");
		if (g->org[i].chosen)
			chosen = &g->org[i];
	}
	if (ours)
		gr_edge(g, self, pid, "originates", ", style=dotted, "
			"wgb=\"origin\"");
	else if (chosen) {
		const struct babel_neighbour_info *n = &g->nb[chosen->nb].info;

		d_addr_str(&n->addr, a, sizeof(a));
		fmt_ifname(g->d, n->ifindex, ifn, sizeof(ifn));
		fmt_router_id(chosen->rid, rid, sizeof(rid));
		snprintf(label, sizeof(label), "via %s%%%s to %s, metric %u", a,
			 ifn, rid, chosen->metric);
		gr_edge(g, self, pid, label, ", color=blue, penwidth=2, "
			"wgb=\"choice\"");
	}
out:
	g->n_org = 0;
	g->have_cur = false;
}

/* Pass 2: origins of each prefix, grouped. */
static int gr_prefix(void *arg, const struct babel_route_info *r)
{
	struct graph *g = arg;
	size_t idx, i;

	if (r->has_src_prefix || r->metric >= BABEL_INFINITY ||
	    !gr_find(g, r->neighbour.ifindex, &r->neighbour.addr, &idx))
		return 0;
	if (g->have_cur && !cfg_prefix_equal(&g->cur, &r->prefix))
		gr_flush_prefix(g);
	g->cur = r->prefix;
	g->have_cur = true;
	for (i = 0; i < g->n_org; i++)
		if (!memcmp(g->org[i].rid, r->router_id, 8))
			break;
	if (i == g->n_org) {
		if (g->n_org == GR_ORIGINS_MAX)
			return 0;
		memset(&g->org[i], 0, sizeof(g->org[i]));
		memcpy(g->org[i].rid, r->router_id, 8);
		g->org[i].metric = r->metric;
		g->org[i].nb = idx;
		g->n_org++;
	}
	if (r->selected) {
		g->org[i].chosen = true;
		g->org[i].nb = idx;
		g->org[i].metric = r->metric;
	} else if (!g->org[i].chosen && r->metric < g->org[i].metric) {
		g->org[i].metric = r->metric;
		g->org[i].nb = idx;
	}
	return 0;
}

static void gr_emit(struct graph *g)
{
	char self[24], rid[32], host[64] = "", label[200], id[24], a[64];
	char ifn[CFG_IFNAME_MAX + 8];
	const struct gr_key *k;
	const uint16_t *m;
	size_t it = 0;

	gethostname(host, sizeof(host) - 1);
	gr_rid_id(g->d->router_id, self, sizeof(self));
	fmt_router_id(g->d->router_id, rid, sizeof(rid));
	sbuf_puts(g->b, "digraph wgbabeld {\n  graph [rankdir=LR];\n"
		  "  node [shape=box, fontsize=10];\n"
		  "  edge [fontsize=9];\n");
	snprintf(label, sizeof(label), "%s\n%s", host, rid);
	gr_node(g, self, label, ", peripheries=2, wgb=\"self\"");
	for (size_t i = 0; i < g->n_nb; i++) {
		struct gr_neigh *n = &g->nb[i];
		const struct babel_neighbour_info *ni = &n->info;

		d_addr_str(&ni->addr, a, sizeof(a));
		fmt_ifname(g->d, ni->ifindex, ifn, sizeof(ifn));
		if (n->has_rid) {
			gr_rid_id(n->rid, n->id, sizeof(n->id));
			fmt_router_id(n->rid, rid, sizeof(rid));
			snprintf(label, sizeof(label), "%s\n%s%%%s", rid, a,
				 ifn);
		} else {
			snprintf(n->id, sizeof(n->id), "n:%s:%s", ifn, a);
			snprintf(label, sizeof(label), "%s%%%s", a, ifn);
		}
		gr_node(g, n->id, label, ", wgb=\"neighbour\"");
		if (ni->rtt_valid)
			snprintf(label, sizeof(label), "%s cost %u rtt %u.%03ums",
				 ifn, ni->cost, ni->rtt_us / 1000,
				 ni->rtt_us % 1000);
		else
			snprintf(label, sizeof(label), "%s cost %u", ifn,
				 ni->cost);
		gr_edge(g, self, n->id, label, ", wgb=\"neighbour\"");
	}
	/* routers behind a neighbour; not the neighbour itself, nor us */
	while ((m = wg_hmap_next(&g->behind, &it, (const void **)&k))) {
		const struct gr_neigh *n = &g->nb[k->nb];

		if ((n->has_rid && !memcmp(n->rid, k->rid, 8)) ||
		    !memcmp(g->d->router_id, k->rid, 8))
			continue;
		gr_rid_id(k->rid, id, sizeof(id));
		fmt_router_id(k->rid, rid, sizeof(rid));
		gr_node(g, id, rid, ", wgb=\"router\"");
		snprintf(label, sizeof(label), "metric %u", *m);
		gr_edge(g, n->id, id, label, ", style=dashed, wgb=\"behind\"");
	}
	babel_foreach_route(g->d->babel, gr_prefix, g);
	gr_flush_prefix(g);
	sbuf_puts(g->b, "}\n");
}

int ctl_graph(struct daemon *d, struct sbuf *b)
{
	struct graph g = { .d = d, .b = b };

	wg_hmap_init(&g.nb_by_addr, sizeof(struct gr_addr_key), sizeof(size_t));
	wg_hmap_init(&g.behind, sizeof(struct gr_key), sizeof(uint16_t));
	babel_foreach_neighbour(d->babel, gr_add_neigh, &g);
	if (!g.err)
		babel_foreach_route(d->babel, gr_learn, &g);
	if (!g.err)
		gr_emit(&g);
	wg_hmap_free(&g.nb_by_addr);
	wg_hmap_free(&g.behind);
	free(g.nb);
	return g.err ? g.err : b->oom ? -ENOMEM : 0;
}
