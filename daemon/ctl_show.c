/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_show.c — "show interfaces|neighbours|routes|originated|
 * allowedips|fib|refused|status", as aligned text for people or as one JSON
 * document for programs.
 */
#include "daemon/control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/check.h"
#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

struct show {
	struct daemon *d;
	struct sbuf *b;
	bool json;
	bool first;
};

static void show_sep(struct show *s)
{
	if (s->json && !s->first)
		sbuf_puts(s->b, ",");
	s->first = false;
}

static void show_jstr(struct show *s, const char *key, const char *val,
		      bool comma)
{
	sbuf_printf(s->b, "%s\"%s\":", comma ? "," : "", key);
	sbuf_json_str(s->b, val);
}

/* ------------------------------------------------------ interfaces */

static void show_interfaces(struct show *s)
{
	struct daemon *d = s->d;
	char a[INET6_ADDRSTRLEN];

	if (s->json)
		sbuf_puts(s->b, "{\"interfaces\":[");
	else
		sbuf_printf(s->b, "%-15s %5s %-9s %-8s %-26s %-12s %s\n",
			    "interface", "index", "type", "state", "link-local",
			    "chosen-by", "peers");
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];
		const char *state = !ifc->present ? "absent" :
				    !ifc->up ? "down" :
				    ifc->in_engine ? "running" : "waiting";
		bool wg = ifc->params.type == CFG_IFTYPE_WIREGUARD;
		/* Why this link-local (daemon/lladdr.h); "missing": the
		 * configured one is not on the link, shown in its place. */
		const char *why = ifc->ll_missing ? "missing" :
				  ifc->ll6.af ? ll_reason_name(ifc->ll_reason) :
				  "";

		if (ifc->ll_missing)
			inet_ntop(AF_INET6, ifc->params.link_local, a,
				  sizeof(a));
		else
			d_addr_str(&ifc->ll6, a, sizeof(a));
		if (ifc->not_wg)
			state = "not-wireguard";
		if (s->json) {
			show_sep(s);
			sbuf_puts(s->b, "{");
			show_jstr(s, "name", ifc->name, false);
			if (ifc->present)
				sbuf_printf(s->b, ",\"ifindex\":%u",
					    ifc->ifindex);
			else
				sbuf_puts(s->b, ",\"ifindex\":null");
			show_jstr(s, "type", cfg_iftype_name(ifc->params.type),
				  true);
			show_jstr(s, "state", state, true);
			show_jstr(s, "link_local",
				  ifc->ll6.af || ifc->ll_missing ? a : "", true);
			show_jstr(s, "link_local_chosen_by", why, true);
			sbuf_printf(s->b, ",\"hello_interval_ms\":%u,"
				    "\"update_interval_ms\":%u,\"rxcost\":%u,"
				    "\"timestamps\":%s",
				    ifc->params.hello_interval_ms,
				    ifc->params.update_interval_ms,
				    ifc->params.rxcost,
				    ifc->params.timestamps ? "true" : "false");
			if (wg)
				sbuf_printf(s->b, ",\"peers\":%zu", ifc->n_peers);
			sbuf_puts(s->b, "}");
		} else {
			char peers[24] = "-";
			char idx[16] = "-";

			if (wg)
				snprintf(peers, sizeof(peers), "%zu",
					 ifc->n_peers);
			if (ifc->present)
				snprintf(idx, sizeof(idx), "%u", ifc->ifindex);
			sbuf_printf(s->b, "%-15s %5s %-9s %-8s %-26s %-12s %s\n",
				    ifc->name, idx,
				    cfg_iftype_name(ifc->params.type), state,
				    ifc->ll6.af || ifc->ll_missing ? a : "-",
				    why[0] ? why : "-", peers);
		}
	}
	if (s->json)
		sbuf_puts(s->b, "]}\n");
}

/* ------------------------------------------------------ neighbours */

static void show_endpoint(const struct d_peer *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (p->endpoint.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &p->endpoint.in6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a,
			 ntohs(p->endpoint.in6.sin6_port));
	} else if (p->endpoint.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &p->endpoint.in.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(p->endpoint.in.sin_port));
	} else {
		snprintf(buf, len, "(none)");
	}
}

static int show_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct show *s = arg;
	struct d_iface *ifc = iface_find(s->d, n->ifindex);
	const struct d_peer *p = ifc ? iface_peer_by_addr(ifc, &n->addr) : NULL;
	char a[INET6_ADDRSTRLEN], ifn[CFG_IFNAME_MAX + 8];
	char key[WG_KEY_B64_LEN] = "", ep[80] = "";

	d_addr_str(&n->addr, a, sizeof(a));
	fmt_ifname(s->d, n->ifindex, ifn, sizeof(ifn));
	if (p) {
		wg_key_to_base64(&p->key, key);
		show_endpoint(p, ep, sizeof(ep));
	}
	if (s->json) {
		show_sep(s);
		sbuf_printf(s->b, "{\"id\":\"%012" PRIx64 "\"",
			    (uint64_t)(fmt_neigh_id(n->ifindex, &n->addr) &
			    0xffffffffffffULL));
		show_jstr(s, "address", a, true);
		show_jstr(s, "interface", ifn, true);
		sbuf_printf(s->b, ",\"rxcost\":%u,\"txcost\":%u,\"cost\":%u,"
			    "\"rtt_ms\":", n->rxcost, n->txcost, n->cost);
		if (n->rtt_valid)
			sbuf_printf(s->b, "%.3f", n->rtt_us / 1000.0);
		else
			sbuf_puts(s->b, "null");
		sbuf_printf(s->b, ",\"rtt_penalty\":%u,\"reach\":\"%04x\","
			    "\"ureach\":\"%04x\",\"routes\":%u",
			    n->rtt_penalty, n->mcast_history, n->ucast_history,
			    n->routes);
		if (p) {
			sbuf_puts(s->b, ",\"peer\":{");
			show_jstr(s, "public_key", key, false);
			show_jstr(s, "endpoint", ep, true);
			sbuf_printf(s->b, ",\"last_handshake\":%lld}",
				    (long long)p->last_handshake_sec);
		}
		sbuf_puts(s->b, "}");
		return 0;
	}
	sbuf_printf(s->b, "%s on %s: rxcost %u txcost %u", a, ifn, n->rxcost,
		    n->txcost);
	if (n->rtt_valid)
		sbuf_printf(s->b, " rtt %u.%03ums (+%u)", n->rtt_us / 1000,
			    n->rtt_us % 1000, n->rtt_penalty);
	sbuf_printf(s->b, " cost %u reach %04x/%04x routes %u\n", n->cost,
		    n->mcast_history, n->ucast_history, n->routes);
	if (p) {
		long long ago = p->last_handshake_sec ?
			(long long)time(NULL) - p->last_handshake_sec : -1;

		sbuf_printf(s->b, "    peer %s endpoint %s ", key, ep);
		if (ago >= 0)
			sbuf_printf(s->b, "handshake %llds ago\n", ago);
		else
			sbuf_puts(s->b, "no handshake yet\n");
	}
	return 0;
}

/* ---------------------------------------------------------- routes */

static int show_route(void *arg, const struct babel_route_info *r)
{
	struct show *s = arg;
	char p[64], src[64] = "", rid[32], nh[INET6_ADDRSTRLEN];
	char ifn[CFG_IFNAME_MAX + 8];

	cfg_prefix_str(&r->prefix, p, sizeof(p));
	if (r->has_src_prefix)
		cfg_prefix_str(&r->src_prefix, src, sizeof(src));
	fmt_router_id(r->router_id, rid, sizeof(rid));
	d_addr_str(&r->neighbour.addr, nh, sizeof(nh));
	fmt_ifname(s->d, r->neighbour.ifindex, ifn, sizeof(ifn));
	if (s->json) {
		show_sep(s);
		sbuf_printf(s->b, "{\"id\":\"%012" PRIx64 "\"",
			    (uint64_t)(fmt_route_id(r) & 0xffffffffffffULL));
		show_jstr(s, "prefix", p, true);
		if (r->has_src_prefix)
			show_jstr(s, "from", src, true);
		show_jstr(s, "via", nh, true);
		show_jstr(s, "interface", ifn, true);
		show_jstr(s, "router_id", rid, true);
		sbuf_printf(s->b, ",\"metric\":%u,\"refmetric\":%u,"
			    "\"smoothed_metric\":%u,\"seqno\":%u,"
			    "\"feasible\":%s,\"selected\":%s}", r->metric,
			    r->refmetric, r->smoothed_metric, r->seqno,
			    r->feasible ? "true" : "false",
			    r->selected ? "true" : "false");
		return 0;
	}
	sbuf_printf(s->b, "%c %-24s%s%s via %s %s metric %u refmetric %u "
		    "seqno %u router-id %s%s\n", r->selected ? '*' : ' ', p,
		    src[0] ? " from " : "", src, nh, ifn, r->metric,
		    r->refmetric, r->seqno, rid,
		    r->feasible ? "" : " (unfeasible)");
	return 0;
}

/* ------------------------------------------------------ originated */

static void show_originated(struct show *s)
{
	const struct babel_prefix *k;
	const struct d_orig *o;
	size_t it = 0;
	char p[64], src[64];

	if (s->json)
		sbuf_puts(s->b, "{\"originated\":[");
	while ((o = wg_hmap_next(&s->d->originated, &it, (const void **)&k))) {
		cfg_prefix_str(k, p, sizeof(p));
		if (s->json) {
			show_sep(s);
			sbuf_puts(s->b, "{");
			show_jstr(s, "prefix", p, false);
			sbuf_printf(s->b, ",\"metric\":%u", o->metric);
			show_jstr(s, "source", orig_sources_str(o->sources, src,
								 sizeof(src)), true);
			/* what a health check or a drain left of it */
			sbuf_printf(s->b, ",\"announced\":%s", o->in_engine ?
				    "true" : "false");
			if (o->in_engine)
				sbuf_printf(s->b, ",\"announced_metric\":%u",
					    o->announced);
			sbuf_puts(s->b, "}");
		} else {
			char held[48] = "";

			if (!o->in_engine)
				snprintf(held, sizeof(held), " withdrawn "
					 "(check down or drained)");
			else if (o->announced != o->metric)
				snprintf(held, sizeof(held), " announced with "
					 "metric %u", o->announced);
			sbuf_printf(s->b, "%s metric %u (%s)%s\n", p, o->metric,
				    orig_sources_str(o->sources, src, sizeof(src)),
				    held);
		}
	}
	if (s->json)
		sbuf_puts(s->b, "]}\n");
}

/* ------------------------------------------------ allowed IPs, refused */

/* What the plane wants for R on the device: "installed" when the
 * reconciler holds it on that peer, "pending" until then, "dry-run" in an
 * observe-only daemon, "no-peer" when no peer has the next hop's address. */
static const char *show_aip_state(const struct show *s,
				  const struct d_iface *ifc,
				  const struct wg_prefix *p, bool has_peer,
				  const struct wg_key *peer)
{
	struct wg_key holder;

	if (!has_peer)
		return "no-peer";
	if (s->d->dry_run)
		return "dry-run";
	if (ifc && ifc->rec && wg_rec_owns(ifc->rec, p, &holder) &&
	    wg_key_equal(&holder, peer))
		return "installed";
	return "pending";
}

static void show_allowedips(struct show *s)
{
	const struct wg_prefix *k;
	const struct fwd_route *r;
	size_t it = 0;

	if (s->json)
		sbuf_puts(s->b, "{\"allowedips\":[");
	while ((r = fwd_route_next(&s->d->fwd, &it, &k))) {
		struct d_iface *ifc = iface_find(s->d, r->nh.ifindex);
		struct wg_key peer;
		char p[WG_PREFIX_STRLEN], key[WG_KEY_B64_LEN] = "";
		bool has_peer;
		const char *st;

		if (!ifc || !fwd_iface_wireguard(&s->d->fwd, r->nh.ifindex))
			continue;
		has_peer = fwd_route_peer(&s->d->fwd, r, &peer);
		if (has_peer)
			wg_key_to_base64(&peer, key);
		st = show_aip_state(s, ifc, k, has_peer, &peer);
		wg_prefix_str(k, p);
		if (s->json) {
			show_sep(s);
			sbuf_puts(s->b, "{");
			show_jstr(s, "interface", ifc->name, false);
			show_jstr(s, "prefix", p, true);
			show_jstr(s, "peer", key, true);
			sbuf_printf(s->b, ",\"installed\":%s",
				    strcmp(st, "installed") ? "false" : "true");
			show_jstr(s, "state", st, true);
			sbuf_puts(s->b, "}");
		} else {
			sbuf_printf(s->b, "%-15s %-28s %s %s\n", ifc->name, p,
				    key[0] ? key : "(no peer)", st);
		}
	}
	if (s->json)
		sbuf_puts(s->b, "]");
}

/* ------------------------------------------------------------ fib */

/* The kernel route the plane wants for P: "installed" (the kernel holds
 * ours), "refused" (a foreign route, or it covers an endpoint: show
 * refused says which), "pending" until the kernel answered, "dry-run".
 * R: the plane's entry (routes through WireGuard), or NULL. */
static const char *show_route_state(const struct show *s,
				    const struct wg_prefix *p,
				    const struct fwd_route *r)
{
	if (r && (r->flags & FWD_R_COVERS_EP))
		return "refused";
	if (s->d->dry_run)
		return "dry-run";
	if (!s->d->kr)
		return "pending";
	if (kroute_is_refused(s->d->kr, p))
		return "refused";
	return kroute_lookup(s->d->kr, p, NULL) ? "installed" : "pending";
}

/* One selected route of the engine, as the forwarding plane writes it. */
static int show_fib_route(void *arg, const struct babel_route_info *i)
{
	struct show *s = arg;
	unsigned ifindex = i->neighbour.ifindex;
	struct d_iface *ifc = iface_find(s->d, ifindex);
	bool wg = fwd_iface_wireguard(&s->d->fwd, ifindex);
	char p[WG_PREFIX_STRLEN], key[WG_KEY_B64_LEN] = "";
	char via[INET6_ADDRSTRLEN] = "";
	const char *ifname = ifc ? ifc->name : "?", *aip = "", *rt;
	const struct fwd_route *r = NULL;
	struct wg_prefix wp;
	struct wg_key peer;

	if (!i->selected || i->has_src_prefix)
		return 0;
	d_prefix_to_wg(&i->prefix, &wp);
	wg_prefix_str(&wp, p);
	if (wg && (r = fwd_route_find(&s->d->fwd, &wp))) {
		bool has = fwd_route_peer(&s->d->fwd, r, &peer);

		if (has)
			wg_key_to_base64(&peer, key);
		aip = show_aip_state(s, ifc, &wp, has, &peer);
	} else {
		d_addr_str(&i->next_hop, via, sizeof(via));
	}
	rt = show_route_state(s, &wp, r);
	if (s->json) {
		show_sep(s);
		sbuf_puts(s->b, "{");
		show_jstr(s, "prefix", p, false);
		show_jstr(s, "interface", ifname, true);
		if (r) {
			show_jstr(s, "peer", key, true);
			show_jstr(s, "allowed_ip", aip, true);
		} else {
			show_jstr(s, "via", via, true);
		}
		show_jstr(s, "route", rt, true);
		sbuf_printf(s->b, ",\"metric\":%u}", i->metric);
	} else if (r) {
		sbuf_printf(s->b, "%-28s %-12s peer %s allowed-ip %s route %s "
			    "metric %u\n", p, ifname, key[0] ? key : "(none)",
			    aip, rt, i->metric);
	} else {
		sbuf_printf(s->b, "%-28s %-12s via %s route %s metric %u\n",
			    p, ifname, via, rt, i->metric);
	}
	return 0;
}

/*
 * Every selected route as the forwarding plane writes it: the allowed IP
 * (WireGuard) and the kernel route, and how far each got. In an
 * observe-only daemon (--dry-run) this is all it does.
 */
static void show_fib(struct show *s)
{
	if (s->json)
		sbuf_printf(s->b, "{\"dry_run\":%s,\"writes_withheld\":%"
			    PRIu64 ",\"fib\":[", s->d->dry_run ? "true" :
			    "false", s->d->dry_writes);
	else if (s->d->dry_run)
		sbuf_printf(s->b, "dry run: nothing is written; %" PRIu64
			    " writes withheld so far\n", s->d->dry_writes);
	babel_foreach_route(s->d->babel, show_fib_route, s);
	if (s->json)
		sbuf_puts(s->b, "]}\n");
}

struct show_conflict {
	struct show *s;
	const char *ifname;
};

static void show_one_conflict(void *arg, const struct wg_rec_conflict *c)
{
	struct show_conflict *sc = arg;
	struct show *s = sc->s;
	char p[WG_PREFIX_STRLEN], want[WG_KEY_B64_LEN], held[WG_KEY_B64_LEN];
	const char *why = c->kind == WG_CONFLICT_FOREIGN ?
		"held by a peer wgbabeld does not manage" :
		"peer not on the device";

	wg_prefix_str(&c->prefix, p);
	wg_key_to_base64(&c->wanted, want);
	wg_key_to_base64(&c->holder, held);
	if (s->json) {
		show_sep(s);
		sbuf_puts(s->b, "{");
		show_jstr(s, "interface", sc->ifname, false);
		show_jstr(s, "prefix", p, true);
		show_jstr(s, "wanted_peer", want, true);
		if (c->kind == WG_CONFLICT_FOREIGN)
			show_jstr(s, "holder", held, true);
		show_jstr(s, "reason", c->kind == WG_CONFLICT_FOREIGN ?
			  "foreign" : "peer-missing", true);
		sbuf_puts(s->b, "}");
	} else {
		sbuf_printf(s->b, "refused %s %s for peer %s: %s%s%s\n",
			    sc->ifname, p, want, why,
			    c->kind == WG_CONFLICT_FOREIGN ? " " : "",
			    c->kind == WG_CONFLICT_FOREIGN ? held : "");
	}
}

/* Foreign routes described per show: each is one kernel request. */
#define SHOW_DESCRIBE_MAX 256

struct show_kref {
	struct show *s;
	unsigned described;
};

static void show_one_kernel_refusal(void *arg, const struct wg_prefix *dst,
				    const struct kroute_nexthop *wanted)
{
	struct show_kref *k = arg;
	struct show *s = k->s;
	const struct cfg *c = s->d->cfg;
	struct kroute_foreign f;
	char p[WG_PREFIX_STRLEN], dev[IF_NAMESIZE] = "", via[INET6_ADDRSTRLEN] = "";
	int r = -EAGAIN;

	if (k->described < SHOW_DESCRIBE_MAX) {
		k->described++;
		r = kroute_describe(s->d->kr, dst, &f);
	}
	if (r == 0) {
		if (f.ifindex && !if_indextoname((unsigned)f.ifindex, dev))
			snprintf(dev, sizeof(dev), "#%d", f.ifindex);
		if (f.via_family)
			inet_ntop(f.via_family, f.via, via, sizeof(via));
	}
	wg_prefix_str(dst, p);
	if (s->json) {
		show_sep(s);
		sbuf_puts(s->b, "{");
		show_jstr(s, "prefix", p, false);
		show_jstr(s, "reason", "foreign-route", true);
		sbuf_printf(s->b, ",\"table\":%" PRIu32 ",\"metric\":%" PRIu32,
			    c->route_table, c->route_metric);
		if (r == 0) {
			sbuf_printf(s->b, ",\"foreign\":{\"protocol\":%u",
				    f.protocol);
			if (dev[0])
				show_jstr(s, "dev", dev, true);
			if (via[0])
				show_jstr(s, "via", via, true);
			sbuf_puts(s->b, "}");
		}
		sbuf_puts(s->b, "}");
		return;
	}
	sbuf_printf(s->b, "refused route %s (table %" PRIu32 ", metric %" PRIu32
		    "): the kernel holds a route wgbabeld did not install",
		    p, c->route_table, c->route_metric);
	if (r == 0)
		sbuf_printf(s->b, " (proto %u%s%s%s%s)", f.protocol,
			    dev[0] ? " dev " : "", dev, via[0] ? " via " : "",
			    via);
	sbuf_puts(s->b, "; installed when it goes\n");
}

/* Prefixes refused a kernel route: they cover a WireGuard endpoint. */
static void show_endpoint_refusals(struct show *s)
{
	const struct wg_prefix *k;
	const struct fwd_addr *ep;
	size_t it = 0;

	while ((ep = fwd_covers_ep_next(&s->d->fwd, &it, &k))) {
		char p[WG_PREFIX_STRLEN], e[INET6_ADDRSTRLEN];

		wg_prefix_str(k, p);
		inet_ntop(ep->family, ep->addr, e, sizeof(e));
		if (s->json) {
			show_sep(s);
			sbuf_puts(s->b, "{");
			show_jstr(s, "prefix", p, false);
			show_jstr(s, "reason", "covers-endpoint", true);
			show_jstr(s, "endpoint", e, true);
			sbuf_puts(s->b, "}");
		} else {
			sbuf_printf(s->b, "refused route %s: it covers %s, the "
				    "WireGuard endpoint of a peer (a route into "
				    "the tunnel would carry WireGuard's own "
				    "packets)\n", p, e);
		}
	}
}

static void show_refused(struct show *s)
{
	struct show_kref k = { s, 0 };

	for (size_t i = 0; i < s->d->n_ifaces; i++) {
		struct show_conflict sc = { s, s->d->ifaces[i]->name };

		if (s->d->ifaces[i]->rec)
			wg_rec_foreach_conflict(s->d->ifaces[i]->rec,
						show_one_conflict, &sc);
	}
	if (s->d->kr)
		kroute_foreach_refused(s->d->kr, show_one_kernel_refusal, &k);
	show_endpoint_refusals(s);
}

/* ---------------------------------------------------------- status */

static void show_status(struct show *s)
{
	struct babel_counters c;
	char rid[32];

	babel_get_counters(s->d->babel, &c);
	fmt_router_id(s->d->router_id, rid, sizeof(rid));
	if (s->json) {
		sbuf_printf(s->b, "{\"router_id\":\"%s\",\"seqno\":%u,"
			    "\"neighbours\":%u,\"prefixes\":%u,\"routes\":%u,"
			    "\"selected\":%u,\"sources\":%u,\"originated\":%u,"
			    "\"refused_routes\":%" PRIu64 ","
			    "\"source_specific_ignored\":%" PRIu64 ","
			    "\"packets_received\":%" PRIu64 ","
			    "\"packets_sent\":%" PRIu64 ","
			    "\"dropped_not_a_peer\":%" PRIu64 ","
			    "\"send_errors\":%" PRIu64 ","
			    "\"send_refused_by_wireguard\":%" PRIu64 ","
			    "\"probes_sent\":%" PRIu64 ","
			    "\"neighbours_unreachable\":%" PRIu64 ","
			    "\"icmp_ignored\":%" PRIu64 ","
			    "\"kernel_routes\":%zu,"
			    "\"kernel_routes_refused\":%zu,"
			    "\"dry_run\":%s,\"writes_withheld\":%" PRIu64 ","
			    "\"neighbours_lost\":{\"hello-timeout\":%" PRIu64
			    ",\"unreachable\":%" PRIu64 ",\"interface-down\":%"
			    PRIu64 ",\"peer-removed\":%" PRIu64 "},"
			    "\"engine_bytes\":%zu}\n",
			    rid, c.seqno, c.neighbours, c.prefixes, c.routes,
			    c.selected, c.sources, c.xroutes, c.refused_routes,
			    c.source_specific_ignored,
			    s->d->udp_received, c.packets_sent,
			    s->d->udp_dropped_not_peer, s->d->udp_send_errors,
			    s->d->wg_send_refused,
			    s->d->probes_sent, s->d->neighbours_unreachable,
			    s->d->icmp_ignored,
			    s->d->kr ? kroute_count(s->d->kr) : 0,
			    s->d->kr ? kroute_refused_count(s->d->kr) : 0,
			    s->d->dry_run ? "true" : "false", s->d->dry_writes,
			    c.neighbours_lost[BABEL_LOSS_HELLO_TIMEOUT],
			    c.neighbours_lost[BABEL_LOSS_UNREACHABLE],
			    c.neighbours_lost[BABEL_LOSS_IFACE_DOWN],
			    c.neighbours_lost[BABEL_LOSS_PEER_REMOVED],
			    c.mem_bytes);
		return;
	}
	sbuf_printf(s->b, "router-id %s seqno %u\n"
		    "neighbours %u, prefixes %u, routes %u (selected %u), "
		    "sources %u, originated %u\n"
		    "routes refused at a limit %" PRIu64 "\n"
		    "source-specific updates and requests ignored %" PRIu64 "\n"
		    "packets received %" PRIu64 ", sent %" PRIu64
		    ", dropped (not from a peer) %" PRIu64 ", send errors %"
		    PRIu64 " (%" PRIu64 " refused by WireGuard: no peer or no "
		    "endpoint)\nprobes sent %" PRIu64 ", neighbours found gone by "
		    "ICMP %" PRIu64 ", other ICMP errors %" PRIu64 "\n"
		    "kernel routes %zu (refused for a foreign route %zu), "
		    "engine memory %zu bytes\n",
		    rid, c.seqno, c.neighbours, c.prefixes, c.routes,
		    c.selected, c.sources, c.xroutes, c.refused_routes,
		    c.source_specific_ignored,
		    s->d->udp_received, c.packets_sent,
		    s->d->udp_dropped_not_peer, s->d->udp_send_errors,
		    s->d->wg_send_refused,
		    s->d->probes_sent, s->d->neighbours_unreachable,
		    s->d->icmp_ignored,
		    s->d->kr ? kroute_count(s->d->kr) : 0,
		    s->d->kr ? kroute_refused_count(s->d->kr) : 0,
		    c.mem_bytes);
	sbuf_printf(s->b, "neighbours lost: hello-timeout %" PRIu64
		    ", unreachable %" PRIu64 ", interface-down %" PRIu64
		    ", peer-removed %" PRIu64 "\n",
		    c.neighbours_lost[BABEL_LOSS_HELLO_TIMEOUT],
		    c.neighbours_lost[BABEL_LOSS_UNREACHABLE],
		    c.neighbours_lost[BABEL_LOSS_IFACE_DOWN],
		    c.neighbours_lost[BABEL_LOSS_PEER_REMOVED]);
	if (s->d->dry_run)
		sbuf_printf(s->b, "dry run: %" PRIu64 " writes withheld "
			    "(wgbabelctl show fib)\n", s->d->dry_writes);
}

int ctl_fmt_show(struct daemon *d, struct sbuf *b, const char *what,
		 bool json)
{
	struct show s = { .d = d, .b = b, .json = json, .first = true };

	if (!strcmp(what, "interfaces")) {
		show_interfaces(&s);
	} else if (!strcmp(what, "neighbours") || !strcmp(what, "neighbors")) {
		if (json)
			sbuf_puts(b, "{\"neighbours\":[");
		babel_foreach_neighbour(d->babel, show_neigh, &s);
		if (json)
			sbuf_puts(b, "]}\n");
	} else if (!strcmp(what, "routes")) {
		if (json)
			sbuf_puts(b, "{\"routes\":[");
		babel_foreach_route(d->babel, show_route, &s);
		if (json)
			sbuf_puts(b, "]}\n");
	} else if (!strcmp(what, "originated")) {
		show_originated(&s);
	} else if (!strcmp(what, "allowedips")) {
		show_allowedips(&s);
		if (json) {
			sbuf_puts(b, ",\"refused\":[");
			s.first = true;
		}
		show_refused(&s);
		if (json)
			sbuf_puts(b, "]}\n");
	} else if (!strcmp(what, "fib")) {
		show_fib(&s);
	} else if (!strcmp(what, "refused")) {
		if (json)
			sbuf_puts(b, "{\"refused\":[");
		show_refused(&s);
		if (json)
			sbuf_puts(b, "]}\n");
	} else if (!strcmp(what, "status")) {
		show_status(&s);
	} else if (!strcmp(what, "checks")) {
		check_show(d, b, json);
	} else {
		return -1;
	}
	return 0;
}
