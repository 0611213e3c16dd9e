/* SPDX-License-Identifier: MIT */
/*
 * daemon/metrics_collect.c — fills the metrics snapshot (metrics.h) from
 * the daemon, its engine, the forwarding plane and the sockets, in one
 * pass over each: O(neighbours + routes + allowed IPs), no kernel request.
 */
#include "daemon/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/check.h"
#include "daemon/control.h"
#include "daemon/ctl_format.h"
#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "wgglue/rtwatch.h"

struct mc_key {
	unsigned ifindex;
	struct babel_addr addr;
};

struct mc {
	struct daemon *d;
	struct metrics_snap *s;
	size_t cap;
	struct wg_hmap by_addr;		/* struct mc_key -> size_t index */
	int err;
};

static void mc_key(struct mc_key *k, unsigned ifindex,
		   const struct babel_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->addr = *a;
}

/* Hellos missed since the oldest one received the history holds: bit 15
 * is the latest interval (RFC 8966 §3.4.1, Appendix A.1). */
static uint64_t mc_missed(uint16_t h)
{
	unsigned span;

	if (!h)
		return 0;
	span = 16u - (unsigned)__builtin_ctz(h);
	return span - (unsigned)__builtin_popcount(h);
}

static int mc_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct mc *m = arg;
	struct metrics_snap *s = m->s;
	struct metrics_neigh *e;
	struct mc_key k;
	size_t *idx;
	bool created;

	if (s->n_neigh == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		void *p = realloc(s->neigh, cap * sizeof(*s->neigh));

		if (!p)
			return m->err = -ENOMEM;
		s->neigh = p;
		m->cap = cap;
	}
	e = &s->neigh[s->n_neigh];
	memset(e, 0, sizeof(*e));
	fmt_ifname(m->d, n->ifindex, e->iface, sizeof(e->iface));
	d_addr_str(&n->addr, e->addr, sizeof(e->addr));
	e->cost = n->cost;
	e->rxcost = n->rxcost;
	e->txcost = n->txcost;
	e->rtt_valid = n->rtt_valid;
	e->rtt_us = n->rtt_us;
	e->hellos_missed[0] = mc_missed(n->mcast_history);
	e->hellos_missed[1] = mc_missed(n->ucast_history);
	e->routes = n->routes;
	mc_key(&k, n->ifindex, &n->addr);
	if (!(idx = wg_hmap_get(&m->by_addr, &k, &created)))
		return m->err = -ENOMEM;
	*idx = s->n_neigh++;
	return 0;
}

static int mc_route(void *arg, const struct babel_route_info *r)
{
	struct mc *m = arg;
	struct mc_key k;
	size_t *idx;

	if (!r->selected)
		return 0;
	mc_key(&k, r->neighbour.ifindex, &r->neighbour.addr);
	if ((idx = wg_hmap_find(&m->by_addr, &k)))
		m->s->neigh[*idx].selected++;
	return 0;
}

static void mc_conflict(void *arg, const struct wg_rec_conflict *c)
{
	struct metrics_snap *s = arg;

	s->allowed_ips[c->kind == WG_CONFLICT_FOREIGN ?
		       METRICS_AIP_REFUSED_FOREIGN :
		       METRICS_AIP_REFUSED_PEER_MISSING]++;
}

/* The states "show allowedips" gives (ctl_show.c). */
static void mc_allowed_ips(struct daemon *d, struct metrics_snap *s)
{
	const struct wg_prefix *k;
	const struct fwd_route *r;
	size_t it = 0;

	while ((r = fwd_route_next(&d->fwd, &it, &k))) {
		unsigned ifindex = fwd_route_nexthop(&d->fwd, r)->ifindex;
		struct d_iface *ifc = iface_find(d, ifindex);
		struct wg_key peer, holder;

		if (!ifc || !fwd_iface_wireguard(&d->fwd, ifindex))
			continue;
		if (!fwd_route_peer(&d->fwd, r, &peer))
			s->allowed_ips[METRICS_AIP_NO_PEER]++;
		else if (d->dry_run)
			s->allowed_ips[METRICS_AIP_DRY_RUN]++;
		else if (ifc->rec && wg_rec_owns(ifc->rec, k, &holder) &&
			 wg_key_equal(&holder, &peer))
			s->allowed_ips[METRICS_AIP_INSTALLED]++;
		else
			s->allowed_ips[METRICS_AIP_PENDING]++;
	}
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (d->ifaces[i]->rec)
			wg_rec_foreach_conflict(d->ifaces[i]->rec, mc_conflict,
						s);
}

static void mc_control(const struct ctl_server *srv, struct metrics_snap *s,
		       size_t i)
{
	if (!srv)
		return;
	for (const struct ctl_client *c = srv->clients; c; c = c->next)
		s->ctl_clients[i]++;
	s->ctl_accepted[i] = srv->next_id;
}

int metrics_collect(struct daemon *d, struct metrics_snap *s)
{
	struct mc m = { .d = d, .s = s };
	struct rtwatch_stats rs;
	const struct d_orig *o;
	const struct wg_prefix *wk;
	size_t it = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->version, sizeof(s->version), "%s", WGB_VERSION);
	fmt_router_id(d->router_id, s->router_id, sizeof(s->router_id));
	babel_get_counters(d->babel, &s->eng);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];

		s->ifaces[!ifc->present ? 3 : !ifc->up ? 2 :
			  ifc->in_engine ? 0 : 1]++;
	}
	wg_hmap_init(&m.by_addr, sizeof(struct mc_key), sizeof(size_t));
	babel_foreach_neighbour(d->babel, mc_neigh, &m);
	if (!m.err)
		babel_foreach_route(d->babel, mc_route, &m);
	wg_hmap_free(&m.by_addr);
	if (m.err) {
		metrics_snap_free(s);
		return m.err;
	}
	while ((o = wg_hmap_next(&d->originated, &it, NULL)))
		for (size_t b = 0; b < METRICS_ORIG_MAX; b++)
			if (o->sources & (1u << b))
				s->originated[b]++;
	check_stats(d, s->checks, s->drains, s->check_results);
	mc_allowed_ips(d, s);
	if (d->kr) {
		s->kernel_routes[METRICS_KR_INSTALLED] = kroute_count(d->kr);
		s->kernel_routes[METRICS_KR_REFUSED_FOREIGN] =
			kroute_refused_count(d->kr);
	}
	it = 0;
	while (fwd_covers_ep_next(&d->fwd, &it, &wk))
		s->kernel_routes[METRICS_KR_REFUSED_ENDPOINT]++;
	s->rx_packets = d->udp_received;
	s->rx_bytes = d->udp_bytes_received;
	s->tx_packets = d->udp_sent;
	s->tx_bytes = d->udp_bytes_sent;
	s->rx_not_peer = d->udp_dropped_not_peer;
	s->tx_errors = d->udp_send_errors;
	s->tx_refused_by_wg = d->wg_send_refused;
	s->probes_sent = d->probes_sent;
	s->unreachable = d->neighbours_unreachable;
	s->icmp_ignored = d->icmp_ignored;
	s->kernel_errors[METRICS_KERR_WG_READ] = d->wg_read_errors;
	s->kernel_errors[METRICS_KERR_WG_WRITE] = d->wg_write_errors;
	s->kernel_errors[METRICS_KERR_ROUTE] = d->kroute_errors;
	if (redist_get_stats(d, &rs)) {
		s->kernel_errors[METRICS_KERR_RTNL_BAD] = rs.bad;
		s->kernel_errors[METRICS_KERR_RTNL_LOST] = rs.lost;
	}
	s->dry_run = d->dry_run;
	s->dry_writes = d->dry_writes;
	mc_control(d->ctl_rw, s, 0);
	mc_control(d->ctl_ro, s, 1);
	if (d->httpd)
		httpd_get_stats(d->httpd, &s->http);
	return 0;
}

void metrics_snap_free(struct metrics_snap *s)
{
	free(s->neigh);
	s->neigh = NULL;
	s->n_neigh = 0;
}

int metrics_write(struct daemon *d, struct sbuf *b)
{
	struct metrics_snap s;
	int r;

	if ((r = metrics_collect(d, &s)) < 0)
		return r;
	metrics_render(&s, b);
	metrics_snap_free(&s);
	return b->oom ? -ENOMEM : 0;
}
