/* SPDX-License-Identifier: MIT */
/* fwd/plane.c — see plane.h. */
#include "fwd/plane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void fwd_log(struct fwd *f, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fwd_log(struct fwd *f, int level, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (!f->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->ops.log(f->ops.ctx, level, msg);
}

static const char *fwd_addr_str(const struct fwd_addr *a, char *buf,
				size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "none");
	return buf;
}

void fwd_init(struct fwd *f, const struct fwd_ops *ops)
{
	memset(f, 0, sizeof(*f));
	if (ops)
		f->ops = *ops;
	wg_hmap_init(&f->routes, sizeof(struct wg_prefix),
		     sizeof(struct fwd_route));
	wg_hmap_init(&f->nh_idx, sizeof(struct fwd_nexthop), sizeof(uint16_t));
	wg_hmap_init(&f->covers_ep, sizeof(struct wg_prefix),
		     sizeof(struct fwd_addr));
	wg_hmap_init(&f->egress_ep, sizeof(struct wg_prefix),
		     sizeof(struct fwd_addr));
	fwd_ep_init(&f->eps);
}

void fwd_free(struct fwd *f)
{
	for (size_t i = 0; i < f->n_ifaces; i++)
		wg_hmap_free(&f->ifaces[i].peers);
	f->n_ifaces = 0;
	wg_hmap_free(&f->routes);
	wg_hmap_free(&f->nh_idx);
	free(f->nhs);
	f->nhs = NULL;
	f->n_nhs = f->cap_nhs = f->n_nhs_free = 0;
	wg_hmap_free(&f->covers_ep);
	wg_hmap_free(&f->egress_ep);
	fwd_ep_free(&f->eps);
}

/* ------------------------------------------------------- interfaces */

static struct fwd_iface *fwd_iface(const struct fwd *f, unsigned ifindex)
{
	for (size_t i = 0; i < f->n_ifaces; i++)
		if (f->ifaces[i].ifindex == ifindex)
			return (struct fwd_iface *)&f->ifaces[i];
	return NULL;
}

bool fwd_iface_wireguard(const struct fwd *f, unsigned ifindex)
{
	const struct fwd_iface *fi = fwd_iface(f, ifindex);

	return fi && fi->wireguard;
}

int fwd_iface_set(struct fwd *f, unsigned ifindex, bool wireguard)
{
	struct fwd_iface *fi = fwd_iface(f, ifindex);

	if (!fi) {
		if (f->n_ifaces == FWD_MAX_IFACES)
			return -ENOSPC;
		fi = &f->ifaces[f->n_ifaces++];
		memset(fi, 0, sizeof(*fi));
		fi->ifindex = ifindex;
		wg_hmap_init(&fi->peers, sizeof(struct fwd_addr),
			     sizeof(struct wg_key));
	}
	fi->wireguard = wireguard;
	return 0;
}

void fwd_egress_enable(struct fwd *f, bool on)
{
	f->egress = on;
}

static void fwd_kernel_write(struct fwd *f, const struct wg_prefix *p,
			     struct fwd_route *r);

int fwd_iface_egress(struct fwd *f, unsigned ifindex, bool ok)
{
	struct fwd_iface *fi = fwd_iface(f, ifindex);
	const struct wg_prefix *k;
	struct fwd_route *r;
	size_t it = 0;

	if (!fi || fi->no_egress == !ok)
		return 0;
	fi->no_egress = !ok;
	/* The kernel writes change no map but covers_ep/egress_ep. */
	while ((r = wg_hmap_next(&f->routes, &it, (const void **)&k))) {
		struct wg_prefix p = *k;

		if (fwd_route_nexthop(f, r)->ifindex == ifindex &&
		    (r->flags & (FWD_R_KERNEL | FWD_R_EGRESS | FWD_R_COVERS_EP)))
			fwd_kernel_write(f, &p, r);
	}
	return 1;
}

void fwd_iface_del(struct fwd *f, unsigned ifindex)
{
	struct fwd_iface *fi = fwd_iface(f, ifindex);

	if (!fi)
		return;
	wg_hmap_free(&fi->peers);
	*fi = f->ifaces[--f->n_ifaces];
}

/* ------------------------------------------------------------ writes */

/* The normalised form of an address: bytes past the family's zeroed, so
 * that it is a hash key. */
static struct fwd_addr fwd_addr_key(const struct fwd_addr *a)
{
	struct fwd_addr k;

	memset(&k, 0, sizeof(k));
	k.family = a->family;
	memcpy(k.addr, a->addr, a->family == AF_INET ? 4 : 16);
	return k;
}

static const struct wg_key *fwd_peer_of(const struct fwd_iface *fi,
					const struct fwd_addr *a)
{
	struct fwd_addr k = fwd_addr_key(a);

	return wg_hmap_find(&fi->peers, &k);
}

const struct fwd_nexthop *fwd_route_nexthop(const struct fwd *f,
					    const struct fwd_route *r)
{
	return &f->nhs[r->nh].nh;
}

/* The index of next hop NH for one more route (a slot found or made). */
static int fwd_nh_ref(struct fwd *f, const struct fwd_nexthop *nh,
		      uint16_t *idx)
{
	struct fwd_nexthop k;
	struct fwd_addr a = fwd_addr_key(&nh->addr);
	uint16_t *v;
	bool created;
	size_t i;

	memset(&k, 0, sizeof(k));	/* padding too: it is a hash key */
	k.ifindex = nh->ifindex;
	memcpy(&k.addr, &a, sizeof(a));
	if (!(v = wg_hmap_get(&f->nh_idx, &k, &created)))
		return -ENOMEM;
	if (!created) {
		f->nhs[*v].refs++;
		*idx = *v;
		return 0;
	}
	if (f->n_nhs_free) {	/* few: one per neighbour at most */
		for (i = 0; f->nhs[i].refs; i++)
			;
		f->n_nhs_free--;
	} else {
		if (f->n_nhs == FWD_MAX_NEXTHOPS) {
			wg_hmap_remove(&f->nh_idx, &k);
			return -ENOSPC;
		}
		if (f->n_nhs == f->cap_nhs) {
			size_t ncap = f->cap_nhs ? f->cap_nhs * 2 : 8;
			struct fwd_nh *nn = realloc(f->nhs, ncap * sizeof(*nn));

			if (!nn) {
				wg_hmap_remove(&f->nh_idx, &k);
				return -ENOMEM;
			}
			f->nhs = nn;
			f->cap_nhs = ncap;
		}
		i = f->n_nhs++;
	}
	f->nhs[i].nh = k;
	f->nhs[i].refs = 1;
	*v = (uint16_t)i;
	*idx = (uint16_t)i;
	return 0;
}

static void fwd_nh_unref(struct fwd *f, uint16_t idx)
{
	struct fwd_nh *n = &f->nhs[idx];

	if (--n->refs)
		return;
	wg_hmap_remove(&f->nh_idx, &n->nh);
	f->n_nhs_free++;
}

void fwd_route_kernel_nh(const struct fwd *f, const struct fwd_route *r,
			 struct kroute_nexthop *nh)
{
	/* "dev wgX": the peer is in the allowed IPs. */
	memset(nh, 0, sizeof(*nh));
	nh->ifindex = (int)fwd_route_nexthop(f, r)->ifindex;
}

/* The allowed IP of P through R's next hop, on the peer holding it. */
static void fwd_aip_write(struct fwd *f, const struct wg_prefix *p,
			  struct fwd_route *r, const struct fwd_iface *fi,
			  bool warn)
{
	const struct fwd_addr *via = &fwd_route_nexthop(f, r)->addr;
	const struct wg_key *key = fwd_peer_of(fi, via);
	char pf[WG_PREFIX_STRLEN], a[INET6_ADDRSTRLEN];

	if (key) {
		r->flags |= FWD_R_AIP;
		if (f->ops.aip_set)
			f->ops.aip_set(f->ops.ctx, fi->ifindex, p, key);
		return;
	}
	/* Set again when a read of the device shows the peer. */
	if (warn)
		fwd_log(f, FWD_LOG_WARNING, "route %s via %s: no current peer "
			"has that Babel address", wg_prefix_str(p, pf),
			fwd_addr_str(via, a, sizeof(a)));
	r->flags &= (uint8_t)~FWD_R_AIP;
	if (f->ops.aip_unset)
		f->ops.aip_unset(f->ops.ctx, fi->ifindex, p);
}

static void fwd_main_unset(struct fwd *f, const struct wg_prefix *p,
			   struct fwd_route *r)
{
	if (r->flags & FWD_R_KERNEL) {
		r->flags &= (uint8_t)~FWD_R_KERNEL;
		if (f->ops.route_unset)
			f->ops.route_unset(f->ops.ctx, p);
	}
}

static void fwd_egress_unset(struct fwd *f, const struct wg_prefix *p,
			     struct fwd_route *r)
{
	if (r->flags & FWD_R_EGRESS) {
		r->flags &= (uint8_t)~FWD_R_EGRESS;
		f->n_egress--;
		if (f->ops.egress_unset)
			f->ops.egress_unset(f->ops.ctx, p);
	}
}

/* P's kernel route goes, from whichever table holds it. */
static void fwd_kernel_unset(struct fwd *f, const struct wg_prefix *p,
			     struct fwd_route *r)
{
	fwd_main_unset(f, p, r);
	fwd_egress_unset(f, p, r);
}

/* P is listed in neither map of prefixes that cover an endpoint. */
static void fwd_ep_unlist(struct fwd *f, const struct wg_prefix *p,
			  struct fwd_route *r)
{
	if (r->flags & FWD_R_COVERS_EP)
		wg_hmap_remove(&f->covers_ep, p);
	if (r->flags & FWD_R_EGRESS_EP)
		wg_hmap_remove(&f->egress_ep, p);
	r->flags &= (uint8_t)~(FWD_R_COVERS_EP | FWD_R_EGRESS_EP);
}

static void fwd_refuse_ep(struct fwd *f, const struct wg_prefix *p,
			  struct fwd_route *r, const struct fwd_addr *ep)
{
	char pf[WG_PREFIX_STRLEN], e[INET6_ADDRSTRLEN];
	struct fwd_addr *slot;
	bool created;

	fwd_kernel_unset(f, p, r);
	r->flags |= FWD_R_COVERS_EP;
	if (!(slot = wg_hmap_get(&f->covers_ep, p, &created)))
		return;		/* out of memory: refused, not listed */
	*slot = *ep;
	if (created)
		fwd_log(f, FWD_LOG_WARNING, "route to %s not installed: it "
			"covers %s, the WireGuard endpoint of a peer, and "
			"would carry WireGuard's own packets into the tunnel "
			"(wgbabelctl show refused)", wg_prefix_str(p, pf),
			fwd_addr_str(ep, e, sizeof(e)));
}

static bool fwd_egress_ok(const struct fwd *f, const struct fwd_route *r)
{
	const struct fwd_iface *fi = fwd_iface(f,
					       fwd_route_nexthop(f, r)->ifindex);

	return f->egress && fi && fi->wireguard && !fi->no_egress;
}

/* P covers EP and goes into the egress table: listed, so that it goes
 * back to the main table when it covers no endpoint any more. */
static void fwd_egress_list(struct fwd *f, const struct wg_prefix *p,
			    struct fwd_route *r, const struct fwd_addr *ep)
{
	char pf[WG_PREFIX_STRLEN], e[INET6_ADDRSTRLEN];
	struct fwd_addr *slot;
	bool created;

	if (r->flags & FWD_R_COVERS_EP) {
		r->flags &= (uint8_t)~FWD_R_COVERS_EP;
		wg_hmap_remove(&f->covers_ep, p);
	}
	if (!(slot = wg_hmap_get(&f->egress_ep, p, &created)))
		return;		/* out of memory: not listed */
	*slot = *ep;
	r->flags |= FWD_R_EGRESS_EP;
	if (created && p->plen)
		fwd_log(f, FWD_LOG_INFO, "route to %s goes into the egress "
			"table: it covers %s, the WireGuard endpoint of a peer",
			wg_prefix_str(p, pf), fwd_addr_str(ep, e, sizeof(e)));
}

/*
 * The kernel route of P. Into the egress table when egress is on and P is
 * a default route or covers an endpoint; refused when it covers one
 * otherwise; into the main table else. A route that changes tables is
 * taken out of the old one first.
 */
static void fwd_kernel_write(struct fwd *f, const struct wg_prefix *p,
			     struct fwd_route *r)
{
	struct kroute_nexthop nh;
	struct fwd_addr ep;
	bool covers = fwd_ep_covered(&f->eps, p->family, p->addr, p->plen,
				     &ep);
	bool egress = fwd_egress_ok(f, r) && (covers || p->plen == 0);

	if (covers && !egress) {
		if (r->flags & FWD_R_EGRESS_EP) {
			r->flags &= (uint8_t)~FWD_R_EGRESS_EP;
			wg_hmap_remove(&f->egress_ep, p);
		}
		fwd_refuse_ep(f, p, r, &ep);
		return;
	}
	if (covers)
		fwd_egress_list(f, p, r, &ep);
	else
		fwd_ep_unlist(f, p, r);
	fwd_route_kernel_nh(f, r, &nh);
	if (egress) {
		fwd_main_unset(f, p, r);
		if (!(r->flags & FWD_R_EGRESS))
			f->n_egress++;
		r->flags |= FWD_R_EGRESS;
		if (f->ops.egress_set)
			f->ops.egress_set(f->ops.ctx, p, &nh);
		return;
	}
	fwd_egress_unset(f, p, r);
	r->flags |= FWD_R_KERNEL;
	if (f->ops.route_set)
		f->ops.route_set(f->ops.ctx, p, &nh);
}

/* Takes P out of the plane: its allowed IP (when its interface is still
 * there) and its kernel route go. */
static void fwd_route_drop(struct fwd *f, const struct wg_prefix *p,
			   struct fwd_route *r)
{
	const struct fwd_iface *fi = fwd_iface(f,
					       fwd_route_nexthop(f, r)->ifindex);

	if (fi && fi->wireguard && f->ops.aip_unset)
		f->ops.aip_unset(f->ops.ctx, fi->ifindex, p);
	fwd_kernel_unset(f, p, r);
	fwd_ep_unlist(f, p, r);
	fwd_nh_unref(f, r->nh);
	wg_hmap_remove(&f->routes, p);
}

/* A route through an interface that is not WireGuard: "via GATEWAY dev
 * IF", nothing to keep (it needs no peer and cannot carry WireGuard's
 * own packets into a tunnel). */
static void fwd_route_set_wired(struct fwd *f, const struct wg_prefix *p,
				const struct fwd_nexthop *nh)
{
	struct kroute_nexthop knh;

	memset(&knh, 0, sizeof(knh));
	knh.ifindex = (int)nh->ifindex;
	knh.via_family = nh->addr.family;
	memcpy(knh.via, nh->addr.addr, sizeof(knh.via));
	if (f->ops.route_set)
		f->ops.route_set(f->ops.ctx, p, &knh);
}

int fwd_route_set(struct fwd *f, const struct wg_prefix *p,
		  const struct fwd_nexthop *nh, uint16_t metric)
{
	const struct fwd_iface *fi = fwd_iface(f, nh->ifindex);
	struct fwd_route *r = wg_hmap_find(&f->routes, p);
	char pf[WG_PREFIX_STRLEN];
	uint16_t idx = 0;
	int ret;

	if (!fi) {
		fwd_log(f, FWD_LOG_WARNING, "route to %s on interface %u, "
			"which Babel does not run on: not installed",
			wg_prefix_str(p, pf), nh->ifindex);
		fwd_route_unset(f, p);
		return -ENODEV;
	}
	if (fi->wireguard && (ret = fwd_nh_ref(f, nh, &idx)) < 0)
		return ret;
	if (r && fwd_route_nexthop(f, r)->ifindex != nh->ifindex) {
		/* Another interface: the old one's allowed IP goes now (a
		 * move within one device is the new peer's aip_set). */
		const struct fwd_iface *old =
			fwd_iface(f, fwd_route_nexthop(f, r)->ifindex);

		if (old && old->wireguard && f->ops.aip_unset)
			f->ops.aip_unset(f->ops.ctx, old->ifindex, p);
		r->flags &= (uint8_t)~FWD_R_AIP;
	}
	if (!fi->wireguard) {
		if (r) {	/* the kernel route is replaced, not removed */
			fwd_egress_unset(f, p, r);	/* but not in egress */
			fwd_ep_unlist(f, p, r);
			fwd_nh_unref(f, r->nh);
			wg_hmap_remove(&f->routes, p);
		}
		fwd_route_set_wired(f, p, nh);
		return 0;
	}
	if (r) {
		fwd_nh_unref(f, r->nh);
	} else if (!(r = wg_hmap_get(&f->routes, p, NULL))) {
		fwd_nh_unref(f, idx);
		return -ENOMEM;
	}
	r->nh = idx;
	r->metric = metric;
	fwd_aip_write(f, p, r, fi, true);
	fwd_kernel_write(f, p, r);
	return 0;
}

void fwd_route_unset(struct fwd *f, const struct wg_prefix *p)
{
	struct fwd_route *r = wg_hmap_find(&f->routes, p);

	if (r)
		fwd_route_drop(f, p, r);
	else if (f->ops.route_unset)	/* a wired route, or none */
		f->ops.route_unset(f->ops.ctx, p);
}

/* ------------------------------------------------------------ peers */

int fwd_peers_set(struct fwd *f, unsigned ifindex,
		  const struct fwd_peer *list, size_t n)
{
	struct fwd_iface *fi = fwd_iface(f, ifindex);
	struct wg_hmap next;
	const struct wg_prefix *k;
	struct fwd_route *r;
	bool changed = false;
	size_t it = 0;

	if (!fi)
		return 0;
	wg_hmap_init(&next, sizeof(struct fwd_addr), sizeof(struct wg_key));
	for (size_t i = 0; i < n; i++) {
		struct fwd_addr a = fwd_addr_key(&list[i].addr);
		const struct wg_key *old = wg_hmap_find(&fi->peers, &a);
		struct wg_key *slot = wg_hmap_get(&next, &a, NULL);

		if (!slot) {
			wg_hmap_free(&next);
			return -ENOMEM;
		}
		*slot = list[i].key;
		if (!old || !wg_key_equal(old, &list[i].key))
			changed = true;
	}
	/* An address gone counts too; one added was counted above. */
	if (next.count != fi->peers.count)
		changed = true;
	wg_hmap_free(&fi->peers);
	fi->peers = next;
	if (!changed || !fi->wireguard)
		return changed;
	/* Routes through a peer unknown until now, or whose address is now
	 * another key's: one walk, only because the peers changed. A route
	 * whose peer is gone keeps its allowed IP where it is: the
	 * reconciler reports the peer as missing, and the engine moves the
	 * route when the neighbour goes. */
	while ((r = wg_hmap_next(&f->routes, &it, (const void **)&k))) {
		const struct fwd_nexthop *nh = fwd_route_nexthop(f, r);

		if (nh->ifindex != ifindex || !fwd_peer_of(fi, &nh->addr))
			continue;
		fwd_aip_write(f, k, r, fi, false);
	}
	return 1;
}

/* -------------------------------------------------------- endpoints */

int fwd_endpoints_set(struct fwd *f, const struct fwd_addr *list, size_t n)
{
	const struct wg_prefix *k;
	struct fwd_addr *ep;
	size_t it = 0;
	int changed;

	if ((changed = fwd_ep_set(&f->eps, list, n)) <= 0)
		return changed;
	/* Refused prefixes that cover no endpoint any more. */
	while ((ep = wg_hmap_next(&f->covers_ep, &it, (const void **)&k))) {
		struct wg_prefix p = *k;
		struct fwd_route *r;
		char pf[WG_PREFIX_STRLEN];

		if (fwd_ep_covered(&f->eps, p.family, p.addr, p.plen, ep))
			continue;
		wg_hmap_remove(&f->covers_ep, &p);
		it = 0;		/* the map changed under the iteration */
		if (!(r = wg_hmap_find(&f->routes, &p)))
			continue;
		r->flags &= (uint8_t)~FWD_R_COVERS_EP;
		fwd_log(f, FWD_LOG_INFO, "route to %s installed: it covers no "
			"WireGuard endpoint any more", wg_prefix_str(&p, pf));
		fwd_kernel_write(f, &p, r);
	}
	/* Egress prefixes that cover none any more: back to the main
	 * table (a default route stays in the egress table). */
	it = 0;
	while ((ep = wg_hmap_next(&f->egress_ep, &it, (const void **)&k))) {
		struct wg_prefix p = *k;
		struct fwd_route *r;

		if (fwd_ep_covered(&f->eps, p.family, p.addr, p.plen, ep))
			continue;
		wg_hmap_remove(&f->egress_ep, &p);
		it = 0;
		if (!(r = wg_hmap_find(&f->routes, &p)))
			continue;
		r->flags &= (uint8_t)~FWD_R_EGRESS_EP;
		fwd_kernel_write(f, &p, r);
	}
	/* Routes that now cover an endpoint: a lookup per prefix length. */
	for (size_t i = 0; i < f->eps.n; i++) {
		const struct fwd_addr *e = &f->eps.v[i];
		unsigned max = e->family == AF_INET ? 32 : 128;

		for (unsigned plen = 0; plen <= max; plen++) {
			struct fwd_route *r;
			struct wg_prefix p;

			if (wg_prefix_make(&p, e->family, e->addr, plen) < 0 ||
			    !(r = wg_hmap_find(&f->routes, &p)) ||
			    (r->flags & (FWD_R_COVERS_EP | FWD_R_EGRESS_EP)))
				continue;
			fwd_kernel_write(f, &p, r);
		}
	}
	return 1;
}

/* ---------------------------------------------------------- reading */

const struct fwd_route *fwd_route_next(const struct fwd *f, size_t *it,
				       const struct wg_prefix **p)
{
	return wg_hmap_next(&f->routes, it, (const void **)p);
}

const struct fwd_route *fwd_route_find(const struct fwd *f,
				       const struct wg_prefix *p)
{
	return wg_hmap_find(&f->routes, p);
}

bool fwd_route_peer(const struct fwd *f, const struct fwd_route *r,
		    struct wg_key *key)
{
	const struct fwd_nexthop *nh = fwd_route_nexthop(f, r);
	const struct fwd_iface *fi = fwd_iface(f, nh->ifindex);
	const struct wg_key *k;

	if (!fi || !fi->wireguard || !(k = fwd_peer_of(fi, &nh->addr)))
		return false;
	*key = *k;
	return true;
}

size_t fwd_covers_ep_count(const struct fwd *f)
{
	return f->covers_ep.count;
}

const struct fwd_addr *fwd_covers_ep_next(const struct fwd *f, size_t *it,
					  const struct wg_prefix **p)
{
	return wg_hmap_next(&f->covers_ep, it, (const void **)p);
}

size_t fwd_wg_route_count(const struct fwd *f)
{
	return f->routes.count;
}

size_t fwd_egress_count(const struct fwd *f)
{
	return f->n_egress;
}
