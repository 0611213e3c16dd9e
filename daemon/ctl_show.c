/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_show.c — "show interfaces|neighbours|routes|originated|
 * allowedips|fib|refused|status", as aligned text for people or as one JSON
 * document for programs: each view is one description (ctl_view.h), its
 * fields in the order the text reads, rendered either way.
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
#include "daemon/ctl_view.h"
#include "daemon/daemon.h"

struct show {
	struct daemon *d;
	struct sbuf *b;
	bool json;
	bool first;
	/* show_is_refused(): the reconcilers' refused prefixes */
	bool ref_done;
	struct wg_hmap refused;
};

/* ------------------------------------------------------ interfaces */

enum { IF_NAME, IF_INDEX, IF_TYPE, IF_STATE, IF_LL, IF_WHY, IF_HELLO,
       IF_UPDATE, IF_RXCOST, IF_TS, IF_PEERS };

static const struct view_field if_fields[] = {
	[IF_NAME] = { "name", VIEW_STR, "%-15s", "interface" },
	[IF_INDEX] = { "ifindex", VIEW_UINT, " %5s", "index" },
	[IF_TYPE] = { "type", VIEW_STR, " %-9s", "type" },
	[IF_STATE] = { "state", VIEW_STR, " %-8s", "state" },
	[IF_LL] = { "link_local", VIEW_STR, " %-26s", "link-local" },
	[IF_WHY] = { "link_local_chosen_by", VIEW_STR, " %-12s", "chosen-by" },
	[IF_HELLO] = { "hello_interval_ms", VIEW_UINT, NULL, NULL },
	[IF_UPDATE] = { "update_interval_ms", VIEW_UINT, NULL, NULL },
	[IF_RXCOST] = { "rxcost", VIEW_UINT, NULL, NULL },
	[IF_TS] = { "timestamps", VIEW_BOOL, NULL, NULL },
	[IF_PEERS] = { "peers", VIEW_UINT, " %s\n", "peers" },
};
static const struct view if_view = VIEW(if_fields, true);

static void show_interfaces(struct show *s)
{
	struct daemon *d = s->d;
	char a[INET6_ADDRSTRLEN];

	if (s->json)
		sbuf_puts(s->b, "{\"interfaces\":[");
	view_header(s->b, s->json, &if_view);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];
		const char *state = !ifc->present ? "absent" :
				    !ifc->up ? "down" :
				    ifc->in_engine ? "running" : "waiting";
		/* Why this link-local (daemon/lladdr.h); "missing": the
		 * configured one is not on the link, shown in its place. */
		const char *why = ifc->ll_missing ? "missing" :
				  ifc->ll6.af ? ll_reason_name(ifc->ll_reason) :
				  "";
		bool has_ll = ifc->ll6.af || ifc->ll_missing;
		struct view_row r;

		if (ifc->ll_missing)
			inet_ntop(AF_INET6, ifc->params.link_local, a,
				  sizeof(a));
		else
			d_addr_str(&ifc->ll6, a, sizeof(a));
		if (ifc->not_wg)
			state = "not-wireguard";
		view_row_init(&r, &if_view);
		view_str(&r, IF_NAME, ifc->name);
		if (ifc->present) {
			view_uint(&r, IF_INDEX, ifc->ifindex);
		} else {
			view_null(&r, IF_INDEX);
			view_text(&r, IF_INDEX, "-");
		}
		view_str(&r, IF_TYPE, cfg_iftype_name(ifc->params.type));
		view_str(&r, IF_STATE, state);
		view_str(&r, IF_LL, has_ll ? a : "");
		view_text(&r, IF_LL, has_ll ? a : "-");
		view_str(&r, IF_WHY, why);
		view_text(&r, IF_WHY, why[0] ? why : "-");
		view_uint(&r, IF_HELLO, ifc->params.hello_interval_ms);
		view_uint(&r, IF_UPDATE, ifc->params.update_interval_ms);
		view_uint(&r, IF_RXCOST, ifc->params.rxcost);
		view_bool(&r, IF_TS, ifc->params.timestamps);
		if (ifc->params.type == CFG_IFTYPE_WIREGUARD)
			view_uint(&r, IF_PEERS, ifc->n_peers);
		else
			view_text_only(&r, IF_PEERS, "-");
		view_render(s->b, s->json, &s->first, &r);
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

enum { NB_ID, NB_ADDR, NB_IF, NB_RXCOST, NB_TXCOST, NB_RTT, NB_RTTPEN,
       NB_COST, NB_REACH, NB_UREACH, NB_ROUTES, NB_KEY, NB_EP, NB_HS };

static const struct view_field nb_fields[] = {
	[NB_ID] = { "id", VIEW_STR, NULL, NULL },
	[NB_ADDR] = { "address", VIEW_STR, "%s", NULL },
	[NB_IF] = { "interface", VIEW_STR, " on %s:", NULL },
	[NB_RXCOST] = { "rxcost", VIEW_UINT, " rxcost %s", NULL },
	[NB_TXCOST] = { "txcost", VIEW_UINT, " txcost %s", NULL },
	[NB_RTT] = { "rtt_ms", VIEW_NUM, " rtt %sms", NULL },
	[NB_RTTPEN] = { "rtt_penalty", VIEW_UINT, " (+%s)", NULL },
	[NB_COST] = { "cost", VIEW_UINT, " cost %s", NULL },
	[NB_REACH] = { "reach", VIEW_STR, " reach %s", NULL },
	[NB_UREACH] = { "ureach", VIEW_STR, "/%s", NULL },
	[NB_ROUTES] = { "routes", VIEW_UINT, " routes %s\n", NULL },
	[NB_KEY] = { "peer.public_key", VIEW_STR, "    peer %s", NULL },
	[NB_EP] = { "peer.endpoint", VIEW_STR, " endpoint %s ", NULL },
	[NB_HS] = { "peer.last_handshake", VIEW_UINT, "%s\n", NULL },
};
static const struct view nb_view = VIEW(nb_fields, false);

static int show_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct show *s = arg;
	struct d_iface *ifc = iface_find(s->d, n->ifindex);
	const struct d_peer *p = ifc ? iface_peer_by_addr(ifc, &n->addr) : NULL;
	char a[INET6_ADDRSTRLEN], ifn[CFG_IFNAME_MAX + 8];
	char key[WG_KEY_B64_LEN] = "", ep[80] = "", id[16], rtt[24], hs[40];
	char reach[8], ureach[8];
	struct view_row r;

	d_addr_str(&n->addr, a, sizeof(a));
	fmt_ifname(s->d, n->ifindex, ifn, sizeof(ifn));
	snprintf(id, sizeof(id), "%012" PRIx64,
		 (uint64_t)(fmt_neigh_id(n->ifindex, &n->addr) & 0xffffffffffffULL));
	snprintf(reach, sizeof(reach), "%04x", n->mcast_history);
	snprintf(ureach, sizeof(ureach), "%04x", n->ucast_history);
	view_row_init(&r, &nb_view);
	view_str(&r, NB_ID, id);
	view_str(&r, NB_ADDR, a);
	view_str(&r, NB_IF, ifn);
	view_uint(&r, NB_RXCOST, n->rxcost);
	view_uint(&r, NB_TXCOST, n->txcost);
	if (n->rtt_valid) {
		snprintf(rtt, sizeof(rtt), "%u.%03u", n->rtt_us / 1000,
			 n->rtt_us % 1000);
		view_num(&r, NB_RTT, rtt);
		view_uint(&r, NB_RTTPEN, n->rtt_penalty);
	} else {
		view_null(&r, NB_RTT);
		view_uint(&r, NB_RTTPEN, n->rtt_penalty);
		view_text(&r, NB_RTTPEN, NULL);
	}
	view_uint(&r, NB_COST, n->cost);
	view_str(&r, NB_REACH, reach);
	view_str(&r, NB_UREACH, ureach);
	view_uint(&r, NB_ROUTES, n->routes);
	if (p) {
		long long ago = p->last_handshake_sec ?
			(long long)time(NULL) - p->last_handshake_sec : -1;

		wg_key_to_base64(&p->key, key);
		show_endpoint(p, ep, sizeof(ep));
		view_str(&r, NB_KEY, key);
		view_str(&r, NB_EP, ep);
		view_uint(&r, NB_HS, (unsigned long long)p->last_handshake_sec);
		if (ago >= 0)
			snprintf(hs, sizeof(hs), "handshake %llds ago", ago);
		else
			snprintf(hs, sizeof(hs), "no handshake yet");
		view_text(&r, NB_HS, hs);
	}
	view_render(s->b, s->json, &s->first, &r);
	return 0;
}

/* ---------------------------------------------------------- routes */

enum { RT_ID, RT_SEL, RT_PREFIX, RT_FROM, RT_VIA, RT_IF, RT_METRIC,
       RT_REFMETRIC, RT_SMOOTHED, RT_SEQNO, RT_RID, RT_FEASIBLE };

static const struct view_field rt_fields[] = {
	[RT_ID] = { "id", VIEW_STR, NULL, NULL },
	[RT_SEL] = { "selected", VIEW_BOOL, "%s ", NULL },
	[RT_PREFIX] = { "prefix", VIEW_STR, "%-24s", NULL },
	[RT_FROM] = { "from", VIEW_STR, " from %s", NULL },
	[RT_VIA] = { "via", VIEW_STR, " via %s", NULL },
	[RT_IF] = { "interface", VIEW_STR, " %s", NULL },
	[RT_METRIC] = { "metric", VIEW_UINT, " metric %s", NULL },
	[RT_REFMETRIC] = { "refmetric", VIEW_UINT, " refmetric %s", NULL },
	[RT_SMOOTHED] = { "smoothed_metric", VIEW_UINT, NULL, NULL },
	[RT_SEQNO] = { "seqno", VIEW_UINT, " seqno %s", NULL },
	[RT_RID] = { "router_id", VIEW_STR, " router-id %s", NULL },
	[RT_FEASIBLE] = { "feasible", VIEW_BOOL, "%s\n", NULL },
};
static const struct view rt_view = VIEW(rt_fields, false);

static int show_route(void *arg, const struct babel_route_info *r)
{
	struct show *s = arg;
	char p[64], src[64], rid[32], nh[INET6_ADDRSTRLEN], id[16];
	char ifn[CFG_IFNAME_MAX + 8];
	struct view_row v;

	cfg_prefix_str(&r->prefix, p, sizeof(p));
	fmt_router_id(r->router_id, rid, sizeof(rid));
	d_addr_str(&r->neighbour.addr, nh, sizeof(nh));
	fmt_ifname(s->d, r->neighbour.ifindex, ifn, sizeof(ifn));
	snprintf(id, sizeof(id), "%012" PRIx64,
		 (uint64_t)(fmt_route_id(r) & 0xffffffffffffULL));
	view_row_init(&v, &rt_view);
	view_str(&v, RT_ID, id);
	view_bool(&v, RT_SEL, r->selected);
	view_text(&v, RT_SEL, r->selected ? "*" : " ");
	view_str(&v, RT_PREFIX, p);
	if (r->has_src_prefix)
		view_str(&v, RT_FROM, cfg_prefix_str(&r->src_prefix, src,
						     sizeof(src)));
	view_str(&v, RT_VIA, nh);
	view_str(&v, RT_IF, ifn);
	view_uint(&v, RT_METRIC, r->metric);
	view_uint(&v, RT_REFMETRIC, r->refmetric);
	view_uint(&v, RT_SMOOTHED, r->smoothed_metric);
	view_uint(&v, RT_SEQNO, r->seqno);
	view_str(&v, RT_RID, rid);
	view_bool(&v, RT_FEASIBLE, r->feasible);
	view_text(&v, RT_FEASIBLE, r->feasible ? "" : " (unfeasible)");
	view_render(s->b, s->json, &s->first, &v);
	return 0;
}

void ctl_show_route(struct daemon *d, struct sbuf *b, bool json, bool *first,
		    const struct babel_route_info *r)
{
	struct show s = { .d = d, .b = b, .json = json, .first = *first };

	show_route(&s, r);
	*first = s.first;
}

/*
 * "show route 10.1.2.3" or "show route 10.1.0.0/16": the route the
 * daemon forwards by (the longest prefix that covers it), the selected
 * candidate first, then the others.
 */
int ctl_show_route_match(struct daemon *d, struct sbuf *b,
			 const struct babel_prefix *p, bool json)
{
	struct show s = { .d = d, .b = b, .json = json, .first = true };
	struct babel_prefix m;
	struct sbuf rows = { 0 };
	char q[64], mp[64];
	int r;

	s.b = &rows;
	r = babel_route_match(d->babel, p, &m, show_route, &s);
	if (r < 0) {
		sbuf_free(&rows);
		return r;
	}
	cfg_prefix_str(p, q, sizeof(q));
	cfg_prefix_str(&m, mp, sizeof(mp));
	if (json) {
		sbuf_puts(b, "{\"query\":");
		sbuf_json_str(b, q);
		sbuf_puts(b, ",\"prefix\":");
		sbuf_json_str(b, mp);
		sbuf_puts(b, ",\"routes\":[");
	} else {
		sbuf_printf(b, "%s: longest match %s\n", q, mp);
	}
	if (rows.oom)
		b->oom = true;
	else
		sbuf_putn(b, rows.p ? rows.p : "", rows.len);
	sbuf_free(&rows);
	if (json)
		sbuf_puts(b, "]}\n");
	return 0;
}

/* ------------------------------------------------------ originated */

enum { OR_PREFIX, OR_METRIC, OR_SOURCE, OR_ANNOUNCED, OR_ANN_METRIC,
       OR_HELD };

static const struct view_field or_fields[] = {
	[OR_PREFIX] = { "prefix", VIEW_STR, "%s", NULL },
	[OR_METRIC] = { "metric", VIEW_UINT, " metric %s", NULL },
	[OR_SOURCE] = { "source", VIEW_STR, " (%s)", NULL },
	[OR_ANNOUNCED] = { "announced", VIEW_BOOL, NULL, NULL },
	[OR_ANN_METRIC] = { "announced_metric", VIEW_UINT,
			    " announced with metric %s", NULL },
	[OR_HELD] = { NULL, VIEW_STR, "%s\n", NULL },
};
static const struct view or_view = VIEW(or_fields, false);

static void show_originated(struct show *s)
{
	const struct babel_prefix *k;
	const struct d_orig *o;
	size_t it = 0;
	char p[64], src[64];

	if (s->json)
		sbuf_puts(s->b, "{\"originated\":[");
	while ((o = wg_hmap_next(&s->d->originated, &it, (const void **)&k))) {
		struct view_row r;

		view_row_init(&r, &or_view);
		view_str(&r, OR_PREFIX, cfg_prefix_str(k, p, sizeof(p)));
		view_uint(&r, OR_METRIC, o->metric);
		view_str(&r, OR_SOURCE, orig_sources_str(o->sources, src,
							 sizeof(src)));
		/* what a health check or a drain left of it */
		view_bool(&r, OR_ANNOUNCED, o->in_engine);
		if (o->in_engine) {
			view_uint(&r, OR_ANN_METRIC, o->announced);
			if (o->announced == o->metric)
				view_text(&r, OR_ANN_METRIC, NULL);
		}
		view_text_only(&r, OR_HELD, o->in_engine ? "" :
			       " withdrawn (check down or drained)");
		view_render(s->b, s->json, &s->first, &r);
	}
	if (s->json)
		sbuf_puts(s->b, "]}\n");
}

/* ------------------------------------------------ allowed IPs, refused */

/* What the plane wants for R on the device: "installed" when the
 * reconciler holds it on that peer, "refused" when it refuses it (listed by
 * show refused: REFUSED holds those of the interface, NULL for none),
 * "pending" until then, "dry-run" in an observe-only daemon, "no-peer"
 * when no peer has the next hop's address. */
static const char *show_aip_state(const struct show *s,
				  const struct d_iface *ifc,
				  const struct wg_prefix *p, bool has_peer,
				  const struct wg_key *peer, bool refused)
{
	struct wg_key holder;

	if (!has_peer)
		return "no-peer";
	if (s->d->dry_run)
		return "dry-run";
	if (ifc && ifc->rec && wg_rec_owns(ifc->rec, p, &holder) &&
	    wg_key_equal(&holder, peer))
		return "installed";
	if (refused)
		return "refused";
	return "pending";
}

/* The prefixes the reconcilers refuse, keyed (ifindex, prefix). */
struct show_refkey {
	unsigned ifindex;
	struct wg_prefix p;
};

struct show_note {
	struct wg_hmap *m;
	unsigned ifindex;
};

static void show_note_refused(void *arg, const struct wg_rec_conflict *c)
{
	struct show_note *n = arg;
	struct show_refkey k;

	memset(&k, 0, sizeof(k));
	k.ifindex = n->ifindex;
	k.p = c->prefix;
	wg_hmap_get(n->m, &k, NULL);
}

/* Whether the reconciler of IFC refuses P: the refused prefixes are
 * collected once per show (a reconciler lists them in O(its prefixes)),
 * so that show allowedips says "refused" exactly where show refused
 * lists a prefix. */
static bool show_is_refused(struct show *s, const struct d_iface *ifc,
			    const struct wg_prefix *p)
{
	struct show_refkey k;

	if (!s->ref_done) {
		s->ref_done = true;
		wg_hmap_init(&s->refused, sizeof(struct show_refkey), 1);
		for (size_t i = 0; i < s->d->n_ifaces; i++) {
			struct show_note n = { &s->refused, s->d->ifaces[i]->ifindex };

			if (s->d->ifaces[i]->rec)
				wg_rec_foreach_conflict(s->d->ifaces[i]->rec,
							show_note_refused, &n);
		}
	}
	memset(&k, 0, sizeof(k));
	k.ifindex = ifc->ifindex;
	k.p = *p;
	return wg_hmap_find(&s->refused, &k) != NULL;
}

enum { AIP_IF, AIP_PREFIX, AIP_PEER, AIP_INSTALLED, AIP_STATE };

static const struct view_field aip_fields[] = {
	[AIP_IF] = { "interface", VIEW_STR, "%-15s", NULL },
	[AIP_PREFIX] = { "prefix", VIEW_STR, " %-28s", NULL },
	[AIP_PEER] = { "peer", VIEW_STR, " %s", NULL },
	[AIP_INSTALLED] = { "installed", VIEW_BOOL, NULL, NULL },
	[AIP_STATE] = { "state", VIEW_STR, " %s\n", NULL },
};
static const struct view aip_view = VIEW(aip_fields, false);

static void show_allowedips(struct show *s)
{
	const struct wg_prefix *k;
	const struct fwd_route *r;
	size_t it = 0;

	if (s->json)
		sbuf_puts(s->b, "{\"allowedips\":[");
	while ((r = fwd_route_next(&s->d->fwd, &it, &k))) {
		unsigned ifindex = fwd_route_nexthop(&s->d->fwd, r)->ifindex;
		struct d_iface *ifc = iface_find(s->d, ifindex);
		struct wg_key peer;
		char p[WG_PREFIX_STRLEN], key[WG_KEY_B64_LEN] = "";
		bool has_peer;
		const char *st;
		struct view_row v;

		if (!ifc || !fwd_iface_wireguard(&s->d->fwd, ifindex))
			continue;
		has_peer = fwd_route_peer(&s->d->fwd, r, &peer);
		if (has_peer)
			wg_key_to_base64(&peer, key);
		st = show_aip_state(s, ifc, k, has_peer, &peer,
				    show_is_refused(s, ifc, k));
		wg_prefix_str(k, p);
		view_row_init(&v, &aip_view);
		view_str(&v, AIP_IF, ifc->name);
		view_str(&v, AIP_PREFIX, p);
		view_str(&v, AIP_PEER, key);
		if (!key[0])
			view_text(&v, AIP_PEER, "(no peer)");
		view_bool(&v, AIP_INSTALLED, !strcmp(st, "installed"));
		view_str(&v, AIP_STATE, st);
		view_render(s->b, s->json, &s->first, &v);
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
	if (r && (r->flags & FWD_R_EGRESS))	/* the egress table */
		return s->d->kr_egress &&
		       kroute_lookup(s->d->kr_egress, p, NULL) ?
		       "egress" : "pending";
	if (!s->d->kr)
		return "pending";
	if (kroute_is_refused(s->d->kr, p))
		return "refused";
	return kroute_lookup(s->d->kr, p, NULL) ? "installed" : "pending";
}

enum { FIB_PREFIX, FIB_IF, FIB_PEER, FIB_AIP, FIB_VIA, FIB_ROUTE,
       FIB_METRIC };

static const struct view_field fib_fields[] = {
	[FIB_PREFIX] = { "prefix", VIEW_STR, "%-28s", NULL },
	[FIB_IF] = { "interface", VIEW_STR, " %-12s", NULL },
	[FIB_PEER] = { "peer", VIEW_STR, " peer %s", NULL },
	[FIB_AIP] = { "allowed_ip", VIEW_STR, " allowed-ip %s", NULL },
	[FIB_VIA] = { "via", VIEW_STR, " via %s", NULL },
	[FIB_ROUTE] = { "route", VIEW_STR, " route %s", NULL },
	[FIB_METRIC] = { "metric", VIEW_UINT, " metric %s\n", NULL },
};
static const struct view fib_view = VIEW(fib_fields, false);

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
	struct view_row v;

	if (!i->selected || i->has_src_prefix)
		return 0;
	d_prefix_to_wg(&i->prefix, &wp);
	wg_prefix_str(&wp, p);
	if (wg && (r = fwd_route_find(&s->d->fwd, &wp))) {
		bool has = fwd_route_peer(&s->d->fwd, r, &peer);

		if (has)
			wg_key_to_base64(&peer, key);
		aip = show_aip_state(s, ifc, &wp, has, &peer,
				     ifc && show_is_refused(s, ifc, &wp));
	} else {
		d_addr_str(&i->next_hop, via, sizeof(via));
	}
	rt = show_route_state(s, &wp, r);
	view_row_init(&v, &fib_view);
	view_str(&v, FIB_PREFIX, p);
	view_str(&v, FIB_IF, ifname);
	if (r) {
		view_str(&v, FIB_PEER, key);
		if (!key[0])
			view_text(&v, FIB_PEER, "(none)");
		view_str(&v, FIB_AIP, aip);
	} else {
		view_str(&v, FIB_VIA, via);
	}
	view_str(&v, FIB_ROUTE, rt);
	view_uint(&v, FIB_METRIC, i->metric);
	view_render(s->b, s->json, &s->first, &v);
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

/* An allowed IP the reconciler refuses. */
enum { RC_TAG, RC_IF, RC_PREFIX, RC_WANTED, RC_WHY, RC_HOLDER, RC_REASON };

static const struct view_field rc_fields[] = {
	[RC_TAG] = { NULL, VIEW_STR, "refused", NULL },
	[RC_IF] = { "interface", VIEW_STR, " %s", NULL },
	[RC_PREFIX] = { "prefix", VIEW_STR, " %s", NULL },
	[RC_WANTED] = { "wanted_peer", VIEW_STR, " for peer %s", NULL },
	[RC_WHY] = { NULL, VIEW_STR, ": %s", NULL },
	[RC_HOLDER] = { "holder", VIEW_STR, " %s", NULL },
	[RC_REASON] = { "reason", VIEW_STR, "\n", NULL },
};
static const struct view rc_view = VIEW(rc_fields, false);

static void show_one_conflict(void *arg, const struct wg_rec_conflict *c)
{
	struct show_conflict *sc = arg;
	struct show *s = sc->s;
	char p[WG_PREFIX_STRLEN], want[WG_KEY_B64_LEN], held[WG_KEY_B64_LEN];
	bool foreign = c->kind == WG_CONFLICT_FOREIGN;
	struct view_row v;

	wg_prefix_str(&c->prefix, p);
	wg_key_to_base64(&c->wanted, want);
	wg_key_to_base64(&c->holder, held);
	view_row_init(&v, &rc_view);
	view_text_only(&v, RC_TAG, "");
	view_str(&v, RC_IF, sc->ifname);
	view_str(&v, RC_PREFIX, p);
	view_str(&v, RC_WANTED, want);
	view_text_only(&v, RC_WHY, foreign ?
		       "held by a peer wgbabeld does not manage" :
		       "peer not on the device");
	if (foreign)
		view_str(&v, RC_HOLDER, held);
	view_str(&v, RC_REASON, foreign ? "foreign" : "peer-missing");
	view_text(&v, RC_REASON, "");
	view_render(s->b, s->json, &s->first, &v);
}

/* Foreign routes described per show: each is one kernel request. */
#define SHOW_DESCRIBE_MAX 256

struct show_kref {
	struct show *s;
	unsigned described;
};

/* A kernel route refused: a route wgbabeld did not install holds its
 * place (kroute.h). */
enum { RK_PREFIX, RK_REASON, RK_TABLE, RK_METRIC, RK_WHAT, RK_PROTO, RK_DEV,
       RK_VIA, RK_END };

static const struct view_field rk_fields[] = {
	[RK_PREFIX] = { "prefix", VIEW_STR, "refused route %s", NULL },
	[RK_REASON] = { "reason", VIEW_STR, NULL, NULL },
	[RK_TABLE] = { "table", VIEW_UINT, " (table %s", NULL },
	[RK_METRIC] = { "metric", VIEW_UINT, ", metric %s)", NULL },
	[RK_WHAT] = { NULL, VIEW_STR, ": the kernel holds a route wgbabeld did "
		      "not install", NULL },
	[RK_PROTO] = { "foreign.protocol", VIEW_UINT, " (proto %s", NULL },
	[RK_DEV] = { "foreign.dev", VIEW_STR, " dev %s", NULL },
	[RK_VIA] = { "foreign.via", VIEW_STR, " via %s", NULL },
	[RK_END] = { NULL, VIEW_STR, "%s; installed when it goes\n", NULL },
};
static const struct view rk_view = VIEW(rk_fields, false);

static void show_one_kernel_refusal(void *arg, const struct wg_prefix *dst,
				    const struct kroute_nexthop *wanted)
{
	struct show_kref *k = arg;
	struct show *s = k->s;
	const struct cfg *c = s->d->cfg;
	struct kroute_foreign f;
	char p[WG_PREFIX_STRLEN], dev[IF_NAMESIZE] = "", via[INET6_ADDRSTRLEN] = "";
	struct view_row v;
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
	view_row_init(&v, &rk_view);
	view_str(&v, RK_PREFIX, p);
	view_str(&v, RK_REASON, "foreign-route");
	view_uint(&v, RK_TABLE, c->route_table);
	view_uint(&v, RK_METRIC, c->route_metric);
	view_text_only(&v, RK_WHAT, "");
	if (r == 0) {
		view_uint(&v, RK_PROTO, f.protocol);
		if (dev[0])
			view_str(&v, RK_DEV, dev);
		if (via[0])
			view_str(&v, RK_VIA, via);
	}
	view_text_only(&v, RK_END, r == 0 ? ")" : "");
	view_render(s->b, s->json, &s->first, &v);
}

/* Prefixes refused a kernel route: they cover a WireGuard endpoint. */
enum { RE_PREFIX, RE_REASON, RE_EP };

static const struct view_field re_fields[] = {
	[RE_PREFIX] = { "prefix", VIEW_STR, "refused route %s", NULL },
	[RE_REASON] = { "reason", VIEW_STR, NULL, NULL },
	[RE_EP] = { "endpoint", VIEW_STR, ": it covers %s, the WireGuard "
		    "endpoint of a peer (a route into the tunnel would carry "
		    "WireGuard's own packets)\n", NULL },
};
static const struct view re_view = VIEW(re_fields, false);

static void show_endpoint_refusals(struct show *s)
{
	const struct wg_prefix *k;
	const struct fwd_addr *ep;
	size_t it = 0;

	while ((ep = fwd_covers_ep_next(&s->d->fwd, &it, &k))) {
		char p[WG_PREFIX_STRLEN], e[INET6_ADDRSTRLEN];
		struct view_row v;

		wg_prefix_str(k, p);
		inet_ntop(ep->family, ep->addr, e, sizeof(e));
		view_row_init(&v, &re_view);
		view_str(&v, RE_PREFIX, p);
		view_str(&v, RE_REASON, "covers-endpoint");
		view_str(&v, RE_EP, e);
		view_render(s->b, s->json, &s->first, &v);
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

enum { ST_RID, ST_SEQNO, ST_NB, ST_PFX, ST_ROUTES, ST_SEL, ST_SRC, ST_ORIG,
       ST_REFUSED, ST_SSI, ST_RX, ST_TX, ST_DROP, ST_SENDERR, ST_WGREF,
       ST_PROBES, ST_UNREACH, ST_ICMP, ST_KR, ST_KRREF, ST_MEM, ST_LOST_HT,
       ST_LOST_UR, ST_LOST_ID, ST_LOST_PR, ST_LOST_PROBE, ST_FP, ST_FPS, ST_FPR,
       ST_DRY, ST_WITHHELD };

static const struct view_field st_fields[] = {
	[ST_RID] = { "router_id", VIEW_STR, "router-id %s", NULL },
	[ST_SEQNO] = { "seqno", VIEW_UINT, " seqno %s\n", NULL },
	[ST_NB] = { "neighbours", VIEW_UINT, "neighbours %s", NULL },
	[ST_PFX] = { "prefixes", VIEW_UINT, ", prefixes %s", NULL },
	[ST_ROUTES] = { "routes", VIEW_UINT, ", routes %s", NULL },
	[ST_SEL] = { "selected", VIEW_UINT, " (selected %s)", NULL },
	[ST_SRC] = { "sources", VIEW_UINT, ", sources %s", NULL },
	[ST_ORIG] = { "originated", VIEW_UINT, ", originated %s\n", NULL },
	[ST_REFUSED] = { "refused_routes", VIEW_UINT,
			 "routes refused at a limit %s\n", NULL },
	[ST_SSI] = { "source_specific_ignored", VIEW_UINT,
		     "source-specific updates and requests ignored %s\n", NULL },
	[ST_RX] = { "packets_received", VIEW_UINT, "packets received %s", NULL },
	[ST_TX] = { "packets_sent", VIEW_UINT, ", sent %s", NULL },
	[ST_DROP] = { "dropped_not_a_peer", VIEW_UINT,
		      ", dropped (not from a peer) %s", NULL },
	[ST_SENDERR] = { "send_errors", VIEW_UINT, ", send errors %s", NULL },
	[ST_WGREF] = { "send_refused_by_wireguard", VIEW_UINT,
		       " (%s refused by WireGuard: no peer or no endpoint)\n",
		       NULL },
	[ST_PROBES] = { "probes_sent", VIEW_UINT, "probes sent %s", NULL },
	[ST_UNREACH] = { "neighbours_unreachable", VIEW_UINT,
			 ", neighbours found gone by ICMP %s", NULL },
	[ST_ICMP] = { "icmp_ignored", VIEW_UINT, ", other ICMP errors %s\n",
		      NULL },
	[ST_KR] = { "kernel_routes", VIEW_UINT, "kernel routes %s", NULL },
	[ST_KRREF] = { "kernel_routes_refused", VIEW_UINT,
		       " (refused for a foreign route %s)", NULL },
	[ST_MEM] = { "engine_bytes", VIEW_UINT, ", engine memory %s bytes\n",
		     NULL },
	[ST_LOST_HT] = { "neighbours_lost.hello-timeout", VIEW_UINT,
			 "neighbours lost: hello-timeout %s", NULL },
	[ST_LOST_UR] = { "neighbours_lost.unreachable", VIEW_UINT,
			 ", unreachable %s", NULL },
	[ST_LOST_ID] = { "neighbours_lost.interface-down", VIEW_UINT,
			 ", interface-down %s", NULL },
	[ST_LOST_PR] = { "neighbours_lost.peer-removed", VIEW_UINT,
			 ", peer-removed %s", NULL },
	[ST_LOST_PROBE] = { "neighbours_lost.probe", VIEW_UINT,
			    ", probe %s\n", NULL },
	[ST_FP] = { "fast_probed", VIEW_UINT,
		    "fast probes: %s neighbours probed", NULL },
	[ST_FPS] = { "fast_probes_sent", VIEW_UINT, ", %s sent", NULL },
	[ST_FPR] = { "fast_probe_refused", VIEW_UINT,
		     ", %s times a next hop was left slow (at the limit)\n",
		     NULL },
	[ST_DRY] = { "dry_run", VIEW_BOOL, "dry run: ", NULL },
	[ST_WITHHELD] = { "writes_withheld", VIEW_UINT,
			  "%s writes withheld (wgbabelctl show fib)\n", NULL },
};
static const struct view st_view = VIEW(st_fields, false);

static void show_status(struct show *s)
{
	const struct daemon *d = s->d;
	struct babel_counters c;
	struct view_row v;
	char rid[32];

	babel_get_counters(d->babel, &c);
	fmt_router_id(d->router_id, rid, sizeof(rid));
	view_row_init(&v, &st_view);
	view_str(&v, ST_RID, rid);
	view_uint(&v, ST_SEQNO, c.seqno);
	view_uint(&v, ST_NB, c.neighbours);
	view_uint(&v, ST_PFX, c.prefixes);
	view_uint(&v, ST_ROUTES, c.routes);
	view_uint(&v, ST_SEL, c.selected);
	view_uint(&v, ST_SRC, c.sources);
	view_uint(&v, ST_ORIG, c.xroutes);
	view_uint(&v, ST_REFUSED, c.refused_routes);
	view_uint(&v, ST_SSI, c.source_specific_ignored);
	view_uint(&v, ST_RX, d->udp_received);
	view_uint(&v, ST_TX, c.packets_sent);
	view_uint(&v, ST_DROP, d->udp_dropped_not_peer);
	view_uint(&v, ST_SENDERR, d->udp_send_errors);
	view_uint(&v, ST_WGREF, d->wg_send_refused);
	view_uint(&v, ST_PROBES, d->probes_sent);
	view_uint(&v, ST_UNREACH, d->neighbours_unreachable);
	view_uint(&v, ST_ICMP, d->icmp_ignored);
	view_uint(&v, ST_KR, d->kr ? kroute_count(d->kr) : 0);
	view_uint(&v, ST_KRREF, d->kr ? kroute_refused_count(d->kr) : 0);
	view_uint(&v, ST_MEM, c.mem_bytes);
	view_uint(&v, ST_LOST_HT, c.neighbours_lost[BABEL_LOSS_HELLO_TIMEOUT]);
	view_uint(&v, ST_LOST_UR, c.neighbours_lost[BABEL_LOSS_UNREACHABLE]);
	view_uint(&v, ST_LOST_ID, c.neighbours_lost[BABEL_LOSS_IFACE_DOWN]);
	view_uint(&v, ST_LOST_PR, c.neighbours_lost[BABEL_LOSS_PEER_REMOVED]);
	view_uint(&v, ST_LOST_PROBE, c.neighbours_lost[BABEL_LOSS_PROBE]);
	view_uint(&v, ST_FP, c.fast_probed);
	view_uint(&v, ST_FPS, c.fast_probes_sent);
	view_uint(&v, ST_FPR, c.fast_probe_refused);
	view_bool(&v, ST_DRY, d->dry_run);
	view_uint(&v, ST_WITHHELD, d->dry_writes);
	/* The dry-run line only in a dry run. */
	view_text(&v, ST_DRY, d->dry_run ? "" : NULL);
	if (!d->dry_run)
		view_text(&v, ST_WITHHELD, NULL);
	view_render(s->b, s->json, &s->first, &v);
	if (s->json)
		sbuf_puts(s->b, "\n");
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
	if (s.ref_done)
		wg_hmap_free(&s.refused);
	return 0;
}
