/* SPDX-License-Identifier: MIT */
/*
 * daemon/fib.c — what a selected Babel route becomes in the kernel.
 *
 * On a WireGuard interface the next hop is a peer, not an address the
 * kernel routes to: the engine's next-hop address is mapped to the peer
 * whose Babel address it is, the prefix goes into that peer's allowed IPs
 * (wgglue/reconcile.h: one ADD that moves it from the previous winner) and
 * the kernel gets a "dev wgX" route. On other interfaces the route is
 * "via NEXTHOP dev IF".
 *
 * The daemon keeps its own copy of the selected routes so that a peer that
 * shows up after its route was selected (the device is re-read every few
 * seconds) still gets its prefixes.
 */
#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void d_prefix_to_wg(const struct babel_prefix *p, struct wg_prefix *w)
{
	wg_prefix_make(w, p->af == BABEL_AF_INET ? AF_INET : AF_INET6,
		       p->addr, p->plen);
}

void d_addr_str(const struct babel_addr *a, char *buf, size_t len)
{
	if (a->af == BABEL_AF_INET6)
		inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len);
	else if (a->af == BABEL_AF_INET)
		inet_ntop(AF_INET, a->addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "none");
}

/* The hash key of a prefix: every byte past the address zeroed. */
static void fib_key(const struct babel_prefix *p, struct babel_prefix *k)
{
	memset(k, 0, sizeof(*k));
	k->af = p->af;
	k->plen = p->plen;
	memcpy(k->addr, p->addr, p->af == BABEL_AF_INET ? 4 : 16);
}

static void fib_wg_set(struct daemon *d, struct d_iface *ifc,
		       const struct babel_prefix *prefix,
		       const struct babel_addr *nh)
{
	const struct d_peer *peer = iface_peer_by_addr(ifc, nh);
	struct wg_prefix wp;
	char a[INET6_ADDRSTRLEN], pf[64];
	int r;

	if (!ifc->rec)
		return;
	d_prefix_to_wg(prefix, &wp);
	if (!peer) {
		/* Known again at the next device read (fib_reapply_iface). */
		d_addr_str(nh, a, sizeof(a));
		LOG_W(d, "%s: route %s via %s: no current peer has that Babel "
		      "address", ifc->name, cfg_prefix_str(prefix, pf,
							   sizeof(pf)), a);
		wg_rec_unset_route(ifc->rec, &wp);
		ifc->rec_dirty = true;
		return;
	}
	if ((r = wg_rec_set_route(ifc->rec, &wp, &peer->key)) < 0)
		LOG_W(d, "%s: %s: %s", ifc->name,
		      cfg_prefix_str(prefix, pf, sizeof(pf)), strerror(-r));
	ifc->rec_dirty = true;
}

static void fib_ep_str(const struct fwd_addr *a, char *buf, size_t len)
{
	inet_ntop(a->family, a->addr, buf, (socklen_t)len);
}

/* Refuses the kernel route to WP (remembering NH for later): it covers
 * the endpoint EP of a WireGuard peer of ours (fwd/endpoints.h). */
static void fib_ep_refuse(struct daemon *d, const struct wg_prefix *wp,
			  const struct kroute_nexthop *nh,
			  const struct fwd_addr *ep)
{
	struct d_ep_refused *r;
	bool created;
	char pf[WG_PREFIX_STRLEN], e[INET6_ADDRSTRLEN];

	if (kroute_lookup(d->kr, wp, NULL) || kroute_is_refused(d->kr, wp))
		kroute_remove(d->kr, wp);
	if (!(r = wg_hmap_get(&d->ep_refused, wp, &created))) {
		LOG_E(d, "out of memory");
		return;
	}
	r->nh = *nh;
	r->ep = *ep;
	if (created) {
		fib_ep_str(ep, e, sizeof(e));
		LOG_W(d, "route to %s not installed: it covers %s, the "
		      "WireGuard endpoint of a peer, and would carry "
		      "WireGuard's own packets into the tunnel "
		      "(wgbabelctl show refused)", wg_prefix_str(wp, pf), e);
	}
}

static void fib_kernel_install(struct daemon *d, struct d_iface *ifc,
			       const struct babel_prefix *prefix,
			       const struct babel_addr *nh)
{
	struct kroute_nexthop knh = { .ifindex = (int)ifc->ifindex };
	struct fwd_addr ep;
	struct wg_prefix wp;
	char pf[64];
	int r;

	if (ifc->params.type != CFG_IFTYPE_WIREGUARD) {
		knh.via_family = nh->af == BABEL_AF_INET ? AF_INET : AF_INET6;
		memcpy(knh.via, nh->addr, nh->af == BABEL_AF_INET ? 4 : 16);
	}
	d_prefix_to_wg(prefix, &wp);
	if (fwd_ep_covered(&d->endpoints, wp.family, wp.addr, wp.plen, &ep)) {
		fib_ep_refuse(d, &wp, &knh, &ep);
		return;
	}
	wg_hmap_remove(&d->ep_refused, &wp);
	/* Queued: what the kernel refuses is logged by fib_commit(). */
	if ((r = kroute_install(d->kr, &wp, &knh)) < 0)
		LOG_W(d, "cannot install the route to %s on %s: %s",
		      cfg_prefix_str(prefix, pf, sizeof(pf)), ifc->name,
		      strerror(-r));
}

/*
 * The WireGuard endpoints of every peer of ours, after a device read:
 * a refused prefix that no longer covers one is installed, and an
 * installed route that now covers one is taken out (found by a lookup of
 * the endpoint's every prefix length, not a walk of the table).
 */
void fib_endpoints_update(struct daemon *d)
{
	struct fwd_addr *list = NULL;
	size_t n = 0, cap = 0, it = 0;
	const struct wg_prefix *k;
	struct d_ep_refused *r;
	int changed;

	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];

		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct d_peer *p = &ifc->peers[j];
			struct fwd_addr *a;

			if (p->endpoint.sa.sa_family != AF_INET &&
			    p->endpoint.sa.sa_family != AF_INET6)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				if (!(a = realloc(list, cap * sizeof(*a)))) {
					free(list);
					return;
				}
				list = a;
			}
			a = &list[n++];
			memset(a, 0, sizeof(*a));
			a->family = (uint8_t)p->endpoint.sa.sa_family;
			if (a->family == AF_INET)
				memcpy(a->addr, &p->endpoint.in.sin_addr, 4);
			else
				memcpy(a->addr, &p->endpoint.in6.sin6_addr, 16);
		}
	}
	changed = fwd_ep_set(&d->endpoints, list, n);
	if (changed <= 0) {
		free(list);
		return;
	}
	while ((r = wg_hmap_next(&d->ep_refused, &it, (const void **)&k))) {
		struct wg_prefix wp = *k;
		struct kroute_nexthop nh = r->nh;
		char pf[WG_PREFIX_STRLEN];

		if (fwd_ep_covered(&d->endpoints, wp.family, wp.addr, wp.plen,
				   &r->ep))
			continue;
		wg_hmap_remove(&d->ep_refused, &wp);
		it = 0;		/* the map changed under the iteration */
		LOG_I(d, "route to %s installed: it covers no WireGuard "
		      "endpoint any more", wg_prefix_str(&wp, pf));
		kroute_install(d->kr, &wp, &nh);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned max = list[i].family == AF_INET ? 32 : 128;

		for (unsigned plen = 0; plen <= max; plen++) {
			struct kroute_nexthop nh;
			struct wg_prefix wp;

			if (wg_prefix_make(&wp, list[i].family, list[i].addr,
					   plen) < 0 ||
			    !(kroute_lookup(d->kr, &wp, &nh)))
				continue;
			fib_ep_refuse(d, &wp, &nh, &list[i]);
		}
	}
	free(list);
	fib_commit(d);
}

void fib_change(void *ctx, const struct babel_prefix *prefix,
		const struct babel_prefix *src_prefix,
		const struct babel_nexthop *old_nh,
		const struct babel_nexthop *new_nh, uint16_t metric)
{
	struct daemon *d = ctx;
	struct d_iface *oldifc = old_nh ? iface_find(d, old_nh->ifindex) : NULL;
	struct d_iface *newifc = new_nh ? iface_find(d, new_nh->ifindex) : NULL;
	struct babel_prefix key;
	struct wg_prefix wp;
	char pf[64];

	if (d->stopping)	/* shutdown removes (or keeps) everything itself */
		return;
	if (src_prefix) {
		/* Allowed IPs and our kernel routes key on the destination
		 * only. The engine ignores source-specific updates
		 * (ignore_source_specific, main.c), so none should come. */
		LOG_D(d, "source-specific route to %s not installed",
		      cfg_prefix_str(prefix, pf, sizeof(pf)));
		return;
	}
	fib_key(prefix, &key);
	d_prefix_to_wg(prefix, &wp);
	if (oldifc && oldifc != newifc && oldifc->rec) {
		wg_rec_unset_route(oldifc->rec, &wp);
		oldifc->rec_dirty = true;
	}
	if (!new_nh) {
		wg_hmap_remove(&d->selected, &key);
		wg_hmap_remove(&d->ep_refused, &wp);
		kroute_remove(d->kr, &wp);
		LOG_D(d, "route to %s lost",
		      cfg_prefix_str(prefix, pf, sizeof(pf)));
		return;
	}
	/* Only a WireGuard interface needs the selected next hop again
	 * (fib_reapply_iface, show allowedips): a wired or tunnel table does
	 * not keep a second copy (about 15 MB at 100,000 prefixes). */
	if (newifc && newifc->rec) {
		struct d_selected *s = wg_hmap_get(&d->selected, &key, NULL);

		if (s) {
			s->nh = *new_nh;
			s->metric = metric;
		}
	} else {
		wg_hmap_remove(&d->selected, &key);
	}
	if (!newifc) {
		LOG_W(d, "route to %s on unknown interface %u",
		      cfg_prefix_str(prefix, pf, sizeof(pf)), new_nh->ifindex);
		return;
	}
	if (newifc->params.type == CFG_IFTYPE_WIREGUARD)
		fib_wg_set(d, newifc, prefix, &new_nh->addr);
	/* via: an IPv6 gateway for an IPv6 prefix from an IPv4 neighbour. */
	fib_kernel_install(d, newifc, prefix, &new_nh->via);
}

void fib_reapply_iface(struct daemon *d, struct d_iface *ifc)
{
	const struct babel_prefix *k;
	struct d_selected *s;
	size_t it = 0;

	if (!ifc->rec)
		return;
	while ((s = wg_hmap_next(&d->selected, &it, (const void **)&k))) {
		if (s->nh.ifindex != ifc->ifindex)
			continue;
		if (iface_peer_by_addr(ifc, &s->nh.addr))
			fib_wg_set(d, ifc, k, &s->nh.addr);
	}
}

/* Refusals logged one by one per minute; the rest are counted and
 * summed up with the next one logged. */
#define FIB_REFUSED_LOG_MAX 16

void fib_kernel_refused(void *arg, const struct wg_prefix *dst, bool install,
			int err)
{
	struct daemon *d = arg;
	char pf[WG_PREFIX_STRLEN];
	uint64_t now = d_now_us(d);

	if (now - d->refused_log_start > 60 * 1000000ull) {
		if (d->refused_log_quiet)
			LOG_W(d, "%u more routes were refused in the last "
			      "minute without a log line each "
			      "(wgbabelctl show refused)", d->refused_log_quiet);
		d->refused_log_start = now;
		d->refused_log_n = 0;
		d->refused_log_quiet = 0;
	}
	if (d->refused_log_n >= FIB_REFUSED_LOG_MAX) {
		d->refused_log_quiet++;
		return;
	}
	d->refused_log_n++;
	wg_prefix_str(dst, pf);
	if (install && err == -EEXIST)
		LOG_W(d, "route to %s not installed: table %u already has a "
		      "route to it with metric %u that wgbabeld did not "
		      "install; it stays, and ours is installed when it goes "
		      "(wgbabelctl show refused)", pf, d->cfg->route_table,
		      d->cfg->route_metric);
	else
		LOG_W(d, "the kernel refused to %s the route to %s: %s",
		      install ? "install" : "delete", pf, strerror(-err));
}

/* Sends the kernel route changes queued since the last call (kroute.h
 * batches them); run after every batch of engine work. */
void fib_commit(struct daemon *d)
{
	if (d->kr)
		kroute_commit(d->kr, fib_kernel_refused, d);
}

void fib_forget_all(struct daemon *d)
{
	wg_hmap_clear(&d->selected);
}
