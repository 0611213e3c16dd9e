/* SPDX-License-Identifier: MIT */
/*
 * daemon/fib.c — drives the forwarding plane (fwd/plane.h) and executes
 * what it decides.
 *
 * The engine's route changes, the interfaces Babel runs on and the peers
 * read from each WireGuard device go into the plane; its writes go to
 * the allowed-IP reconciler of the interface (wgglue/reconcile.h) and to
 * the kernel routes (wgglue/kroute.h), which keep the ledgers of what the
 * devices and the kernel hold of ours. In an observe-only daemon
 * (--dry-run) the writes are counted and withheld: the plane still shows
 * what it would write (wgbabelctl show fib).
 */
#include "daemon/control.h"
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

static struct d_iface *fib_iface(struct daemon *d, unsigned ifindex)
{
	struct d_iface **p = wg_hmap_find(&d->iface_by_index, &ifindex);

	return p ? *p : NULL;
}

/* ---- the plane's writes, executed through wgglue (or withheld) ---- */

static void fib_aip_set(void *ctx, unsigned ifindex, const struct wg_prefix *p,
			const struct wg_key *peer)
{
	struct daemon *d = ctx;
	struct d_iface *ifc = fib_iface(d, ifindex);
	char pf[WG_PREFIX_STRLEN];
	int r;

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	if (!ifc || !ifc->rec)
		return;
	if ((r = wg_rec_set_route(ifc->rec, p, peer)) < 0)
		LOG_W(d, "%s: %s: %s", ifc->name, wg_prefix_str(p, pf),
		      strerror(-r));
	ifc->rec_dirty = true;
}

static void fib_aip_unset(void *ctx, unsigned ifindex,
			  const struct wg_prefix *p)
{
	struct daemon *d = ctx;
	struct d_iface *ifc = fib_iface(d, ifindex);

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	if (!ifc || !ifc->rec)
		return;
	wg_rec_unset_route(ifc->rec, p);
	ifc->rec_dirty = true;
}

static void fib_route_set(void *ctx, const struct wg_prefix *p,
			  const struct kroute_nexthop *nh)
{
	struct daemon *d = ctx;
	char pf[WG_PREFIX_STRLEN];
	int r;

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	/* Queued: what the kernel refuses is logged by fib_commit(). */
	if (d->kr && (r = kroute_install(d->kr, p, nh)) < 0)
		LOG_W(d, "cannot install the route to %s: %s",
		      wg_prefix_str(p, pf), strerror(-r));
}

static void fib_route_unset(void *ctx, const struct wg_prefix *p)
{
	struct daemon *d = ctx;

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	if (d->kr)
		kroute_remove(d->kr, p);	/* -ENOENT: nothing of ours */
}

static void fib_egress_set(void *ctx, const struct wg_prefix *p,
			   const struct kroute_nexthop *nh)
{
	struct daemon *d = ctx;

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	egress_route_set(d, p, nh);
}

static void fib_egress_unset(void *ctx, const struct wg_prefix *p)
{
	struct daemon *d = ctx;

	if (d->dry_run) {
		d->dry_writes++;
		return;
	}
	egress_route_unset(d, p);
}

static void fib_log(void *ctx, int level, const char *msg)
{
	struct daemon *d = ctx;

	d_logf(&d->log, level == FWD_LOG_WARNING ? CFG_LOG_WARNING :
			level == FWD_LOG_INFO ? CFG_LOG_INFO : CFG_LOG_DEBUG,
	       "%s", msg);
}

void fib_init(struct daemon *d)
{
	struct fwd_ops ops = {
		.ctx = d,
		.aip_set = fib_aip_set, .aip_unset = fib_aip_unset,
		.route_set = fib_route_set, .route_unset = fib_route_unset,
		.egress_set = fib_egress_set, .egress_unset = fib_egress_unset,
		.log = fib_log,
	};

	fwd_init(&d->fwd, &ops);
	fwd_egress_enable(&d->fwd, d->cfg->egress_table != 0);
}

/* ---- the plane's inputs ---- */

static void fib_addr(const struct babel_addr *a, struct fwd_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->af == BABEL_AF_INET) {
		out->family = AF_INET;
		memcpy(out->addr, a->addr, 4);
	} else if (a->af == BABEL_AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->addr, a->addr, 16);
	}
}

void fib_iface_up(struct daemon *d, struct d_iface *ifc)
{
	if (fwd_iface_set(&d->fwd, ifc->ifindex,
			  ifc->params.type == CFG_IFTYPE_WIREGUARD) < 0)
		LOG_E(d, "%s: too many interfaces for the forwarding plane",
		      ifc->name);
}

void fib_iface_down(struct daemon *d, struct d_iface *ifc)
{
	fwd_iface_del(&d->fwd, ifc->ifindex);
}

/*
 * After a read of IFC's device: its peers' Babel addresses (routes through
 * a peer unknown until now get their allowed IPs) and the WireGuard
 * endpoints of every peer of ours (a prefix covering one gets no kernel
 * route), then the kernel routes of it all go out.
 */
void fib_peers_update(struct daemon *d, struct d_iface *ifc)
{
	struct fwd_peer *pl = NULL;
	struct fwd_addr *el = NULL;
	size_t np = 0, ne = 0, cap = 0;

	if (ifc->n_peers && !(pl = calloc(2 * ifc->n_peers, sizeof(*pl))))
		goto oom;
	for (size_t i = 0; i < ifc->n_peers; i++) {
		const struct d_peer *q = &ifc->peers[i];

		for (int k = 0; k < 2; k++) {
			const struct babel_addr *a = k ? &q->addr4 : &q->addr;

			if (a->af == BABEL_AF_NONE)
				continue;
			fib_addr(a, &pl[np].addr);
			pl[np++].key = q->key;
		}
	}
	if (fwd_peers_set(&d->fwd, ifc->ifindex, pl, np) < 0)
		goto oom;
	for (size_t i = 0; i < d->n_ifaces; i++)
		cap += d->ifaces[i]->n_peers;
	if (cap && !(el = calloc(cap, sizeof(*el))))
		goto oom;
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *x = d->ifaces[i];

		for (size_t j = 0; j < x->n_peers; j++) {
			const struct d_peer *q = &x->peers[j];
			struct fwd_addr *a = &el[ne];

			if (q->endpoint.sa.sa_family == AF_INET) {
				a->family = AF_INET;
				memcpy(a->addr, &q->endpoint.in.sin_addr, 4);
			} else if (q->endpoint.sa.sa_family == AF_INET6) {
				a->family = AF_INET6;
				memcpy(a->addr, &q->endpoint.in6.sin6_addr, 16);
			} else {
				continue;
			}
			ne++;
		}
	}
	if (fwd_endpoints_set(&d->fwd, el, ne) < 0)
		goto oom;
	free(pl);
	free(el);
	fib_commit(d);
	return;
oom:
	LOG_E(d, "%s: out of memory updating the forwarding plane", ifc->name);
	free(pl);
	free(el);
}

void fib_change(void *ctx, const struct babel_prefix *prefix,
		const struct babel_prefix *src_prefix,
		const struct babel_nexthop *old_nh,
		const struct babel_nexthop *new_nh, uint16_t metric)
{
	struct daemon *d = ctx;
	struct fwd_nexthop nh = { 0 };
	struct wg_prefix wp;
	char pf[64];

	if (d->stopping)	/* shutdown removes (or keeps) everything itself */
		return;
	if (!src_prefix)	/* the plane knows what it had: this is for monitors */
		ctl_monitor_fib(d, prefix, old_nh, new_nh);
	if (src_prefix) {
		/* Allowed IPs and our kernel routes key on the destination
		 * only. The engine ignores source-specific updates
		 * (ignore_source_specific, main.c), so none should come. */
		LOG_D(d, "source-specific route to %s not installed",
		      cfg_prefix_str(prefix, pf, sizeof(pf)));
		return;
	}
	d_prefix_to_wg(prefix, &wp);
	if (!new_nh) {
		fwd_route_unset(&d->fwd, &wp);
		LOG_D(d, "route to %s lost",
		      cfg_prefix_str(prefix, pf, sizeof(pf)));
		return;
	}
	nh.ifindex = new_nh->ifindex;
	/* On WireGuard the neighbour's address names the peer; elsewhere
	 * the gateway is "via" (an IPv6 one for an IPv6 prefix learned from
	 * an IPv4 neighbour, RFC 9229). */
	fib_addr(fwd_iface_wireguard(&d->fwd, new_nh->ifindex) ?
		 &new_nh->addr : &new_nh->via, &nh.addr);
	fwd_route_set(&d->fwd, &wp, &nh, metric);
}

/* Refusals logged one by one per minute; the rest are counted and
 * summed up with the next one logged. */
#define FIB_REFUSED_LOG_MAX 16

/* The kernel refuses a route whose preferred source is not an address of
 * this host with a bare EINVAL: name that likely cause when route-source
 * is set for the route's family. */
const char *fib_refused_hint(const struct daemon *d,
			     const struct wg_prefix *dst, int err,
			     char *buf, size_t len)
{
	const uint8_t *a = NULL;
	char s[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (err != -EINVAL)
		return buf;
	if (dst->family == AF_INET && d->cfg->has_route_src4)
		a = d->cfg->route_src4;
	else if (dst->family == AF_INET6 && d->cfg->has_route_src6)
		a = d->cfg->route_src6;
	if (a && inet_ntop(dst->family, a, s, sizeof(s)))
		snprintf(buf, len, " (is route-source %s an address of this "
			 "host?)", s);
	return buf;
}

void fib_kernel_refused(void *arg, const struct wg_prefix *dst, bool install,
			int err)
{
	struct daemon *d = arg;
	char pf[WG_PREFIX_STRLEN], hint[96];
	uint64_t now = d_now_us(d);

	d->kroute_errors++;
	if (!d_lograte_take(&d->log, &d->refused_log, now, FIB_REFUSED_LOG_MAX,
			    "refused routes", "wgbabelctl show refused"))
		return;
	wg_prefix_str(dst, pf);
	if (install && err == -EEXIST)
		LOG_W(d, "route to %s not installed: table %u already has a "
		      "route to it with metric %u that wgbabeld did not "
		      "install; it stays, and ours is installed when it goes "
		      "(wgbabelctl show refused)", pf, d->cfg->route_table,
		      d->cfg->route_metric);
	else
		LOG_W(d, "the kernel refused to %s the route to %s: %s%s",
		      install ? "install" : "delete", pf, strerror(-err),
		      fib_refused_hint(d, dst, err, hint, sizeof(hint)));
}

/* Sends the kernel route changes queued since the last call (kroute.h
 * batches them); run after every batch of engine work. */
void fib_commit(struct daemon *d)
{
	if (d->kr)
		kroute_commit(d->kr, fib_kernel_refused, d);
	egress_commit(d);
}
