/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_format.c — how the control socket shows things: the text and
 * JSON of "show ...", and babeld's local-protocol lines
 *   add interface NAME up true ipv6 ADDR
 *   add neighbour ID address ADDR if NAME reach HHHH ureach HHHH rxcost N
 *       txcost N [rtt MS rttcost N] cost N
 *   add xroute PREFIX-SRC prefix PREFIX from SRC metric N
 *   add route ID prefix PREFIX from SRC installed yes|no id RID metric N
 *       refmetric N via ADDR if NAME
 * (verbs add, change, flush). IDs are hashes of what names the object,
 * never memory addresses.
 */
#include "daemon/control.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

/* FNV-1a, 64 bits: a stable short name for a key. */
static uint64_t fmt_hash(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

uint64_t fmt_neigh_id(unsigned ifindex, const struct babel_addr *a)
{
	uint64_t h = fmt_hash(&ifindex, sizeof(ifindex), 0xcbf29ce484222325ULL);

	return fmt_hash(a->addr, 16, fmt_hash(&a->af, 1, h));
}

/* A route's id from its neighbour's (fmt_neigh_id): the dump computes
 * that once per neighbour. */
static uint64_t fmt_route_id_from(uint64_t h, const struct babel_route_info *r)
{
	h = fmt_hash(&r->prefix.af, 1, h);
	h = fmt_hash(&r->prefix.plen, 1, h);
	h = fmt_hash(r->prefix.addr, 16, h);
	if (r->has_src_prefix) {
		h = fmt_hash(&r->src_prefix.plen, 1, h);
		h = fmt_hash(r->src_prefix.addr, 16, h);
	}
	return h;
}

uint64_t fmt_route_id(const struct babel_route_info *r)
{
	return fmt_route_id_from(fmt_neigh_id(r->neighbour.ifindex,
					      &r->neighbour.addr), r);
}

const char *fmt_ifname(struct daemon *d, unsigned ifindex, char *buf,
		       size_t len)
{
	struct d_iface *ifc = iface_find(d, ifindex);

	if (ifc)
		snprintf(buf, len, "%s", ifc->name);
	else
		snprintf(buf, len, "if%u", ifindex);
	return buf;
}

void fmt_router_id(const uint8_t id[8], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x", id[0],
		 id[1], id[2], id[3], id[4], id[5], id[6], id[7]);
}

/* "from" of a plain route: the default route of the same family. */
static void fmt_src(const struct babel_prefix *p, bool has_src,
		    const struct babel_prefix *src, char *buf, size_t len)
{
	struct babel_prefix any = { .af = p->af };

	cfg_prefix_str(has_src ? src : &any, buf, len);
}

void fmt_iface_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct d_iface *ifc)
{
	char a[INET6_ADDRSTRLEN];

	sbuf_printf(b, "%s interface %s up %s", verb, ifc->name,
		    ifc->in_engine ? "true" : "false");
	if (ifc->in_engine && ifc->ll6.af == BABEL_AF_INET6) {
		d_addr_str(&ifc->ll6, a, sizeof(a));
		sbuf_printf(b, " ipv6 %s", a);
	}
	if (ifc->in_engine && ifc->v4.af == BABEL_AF_INET) {
		d_addr_str(&ifc->v4, a, sizeof(a));
		sbuf_printf(b, " ipv4 %s", a);
	}
	sbuf_puts(b, "\n");
}

void fmt_neigh_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct babel_neighbour_info *n)
{
	char a[INET6_ADDRSTRLEN], ifn[CFG_IFNAME_MAX + 8];

	d_addr_str(&n->addr, a, sizeof(a));
	sbuf_printf(b, "%s neighbour %012llx address %s if %s reach %04x "
		    "ureach %04x rxcost %u txcost %u", verb,
		    (unsigned long long)(fmt_neigh_id(n->ifindex, &n->addr) &
					 0xffffffffffffULL),
		    a, fmt_ifname(d, n->ifindex, ifn, sizeof(ifn)),
		    n->mcast_history, n->ucast_history, n->rxcost, n->txcost);
	if (n->rtt_valid)
		sbuf_printf(b, " rtt %u.%03u rttcost %u", n->rtt_us / 1000,
			    n->rtt_us % 1000, n->rtt_penalty);
	sbuf_printf(b, " cost %u\n", n->cost);
}

void fmt_xroute_line(struct sbuf *b, const char *verb,
		     const struct babel_xroute_info *x)
{
	char p[64], s[64];

	cfg_prefix_str(&x->prefix, p, sizeof(p));
	fmt_src(&x->prefix, x->has_src_prefix, &x->src_prefix, s, sizeof(s));
	sbuf_printf(b, "%s xroute %s-%s prefix %s from %s metric %u\n", verb, p,
		    s, p, s, x->metric);
}

/* Route lines: plain appends, not printf (fmt_nh_cache). */
static void fmt_put_str(struct sbuf *b, const char *s)
{
	sbuf_putn(b, s, strlen(s));
}

/* As cfg_prefix_str() writes it: "addr/len". */
static void fmt_put_prefix(struct sbuf *b, const struct babel_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	if (p->af == BABEL_AF_INET6) {
		sbuf_put_ip6(b, p->addr);
	} else if (p->af == BABEL_AF_INET) {
		for (int i = 0; i < 4; i++) {
			if (i)
				sbuf_putn(b, ".", 1);
			sbuf_put_uint(b, p->addr[i]);
		}
	} else {
		fmt_put_str(b, cfg_prefix_addr_str(p, a, sizeof(a)));
	}
	sbuf_putn(b, "/", 1);
	sbuf_put_uint(b, p->plen);
}

void fmt_route_line_cached(struct daemon *d, struct sbuf *b, const char *verb,
			   const struct babel_route_info *r,
			   struct fmt_nh_cache *nc)
{
	const struct babel_nexthop *n = &r->neighbour;

	if (!nc->valid || nc->ifindex != n->ifindex ||
	    memcmp(&nc->addr, &n->addr, sizeof(n->addr))) {
		nc->valid = true;
		nc->ifindex = n->ifindex;
		nc->addr = n->addr;
		d_addr_str(&n->addr, nc->nh, sizeof(nc->nh));
		fmt_ifname(d, n->ifindex, nc->ifn, sizeof(nc->ifn));
		nc->nh_len = strlen(nc->nh);
		nc->ifn_len = strlen(nc->ifn);
		nc->nb_id = fmt_neigh_id(n->ifindex, &n->addr);
	}
	if (!nc->rid_valid || memcmp(nc->rid, r->router_id, 8)) {
		nc->rid_valid = true;
		memcpy(nc->rid, r->router_id, 8);
		fmt_router_id(r->router_id, nc->rid_s, sizeof(nc->rid_s));
	}
	fmt_put_str(b, verb);
	sbuf_putn(b, " route ", 7);
	sbuf_put_hex(b, fmt_route_id_from(nc->nb_id, r), 12);
	sbuf_putn(b, " prefix ", 8);
	fmt_put_prefix(b, &r->prefix);
	sbuf_putn(b, " from ", 6);
	if (r->has_src_prefix)
		fmt_put_prefix(b, &r->src_prefix);
	else if (r->prefix.af == BABEL_AF_INET)
		sbuf_putn(b, "0.0.0.0/0", 9);
	else if (r->prefix.af == BABEL_AF_INET6)
		sbuf_putn(b, "::/0", 4);
	else
		sbuf_putn(b, "any/0", 5);
	fmt_put_str(b, r->selected ? " installed yes id " : " installed no id ");
	sbuf_putn(b, nc->rid_s, 23);
	sbuf_putn(b, " metric ", 8);
	sbuf_put_uint(b, r->metric);
	sbuf_putn(b, " refmetric ", 11);
	sbuf_put_uint(b, r->refmetric);
	sbuf_putn(b, " via ", 5);
	sbuf_putn(b, nc->nh, nc->nh_len);
	sbuf_putn(b, " if ", 4);
	sbuf_putn(b, nc->ifn, nc->ifn_len);
	sbuf_putn(b, "\n", 1);
}

void fmt_route_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct babel_route_info *r)
{
	struct fmt_nh_cache nc = { .valid = false };

	fmt_route_line_cached(d, b, verb, r, &nc);
}

/* ------------------------------------------------------ JSON events */

void fmt_iface_fields(struct daemon *d, struct ctl_ev *e,
		      const struct d_iface *ifc, bool present)
{
	char a[INET6_ADDRSTRLEN];

	(void)d;
	ctl_ev_str(e, "interface", ifc->name);
	ctl_ev_bool(e, "up", present && ifc->in_engine);
	if (present && ifc->in_engine && ifc->ll6.af == BABEL_AF_INET6)
		ctl_ev_str(e, "ipv6", (d_addr_str(&ifc->ll6, a, sizeof(a)), a));
	if (present && ifc->in_engine && ifc->v4.af == BABEL_AF_INET)
		ctl_ev_str(e, "ipv4", (d_addr_str(&ifc->v4, a, sizeof(a)), a));
}

static void fmt_ev_id(struct ctl_ev *e, uint64_t id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%012llx",
		 (unsigned long long)(id & 0xffffffffffffULL));
	ctl_ev_str(e, "id", buf);
}

void fmt_neigh_fields(struct daemon *d, struct ctl_ev *e,
		      const struct babel_neighbour_info *n)
{
	char a[INET6_ADDRSTRLEN], ifn[CFG_IFNAME_MAX + 8], h[8];

	fmt_ev_id(e, fmt_neigh_id(n->ifindex, &n->addr));
	d_addr_str(&n->addr, a, sizeof(a));
	ctl_ev_str(e, "address", a);
	ctl_ev_str(e, "interface", fmt_ifname(d, n->ifindex, ifn, sizeof(ifn)));
	snprintf(h, sizeof(h), "%04x", n->mcast_history);
	ctl_ev_str(e, "reach", h);
	snprintf(h, sizeof(h), "%04x", n->ucast_history);
	ctl_ev_str(e, "ureach", h);
	ctl_ev_uint(e, "rxcost", n->rxcost);
	ctl_ev_uint(e, "txcost", n->txcost);
	if (n->rtt_valid) {
		ctl_ev_uint(e, "rtt_us", n->rtt_us);
		ctl_ev_uint(e, "rttcost", n->rtt_penalty);
	}
	ctl_ev_uint(e, "cost", n->cost);
	ctl_ev_uint(e, "routes", n->routes);
}

void fmt_xroute_fields(struct ctl_ev *e, const struct babel_xroute_info *x)
{
	char p[64], s[64];

	ctl_ev_str(e, "prefix", cfg_prefix_str(&x->prefix, p, sizeof(p)));
	fmt_src(&x->prefix, x->has_src_prefix, &x->src_prefix, s, sizeof(s));
	ctl_ev_str(e, "from", s);
	ctl_ev_uint(e, "metric", x->metric);
}

void fmt_route_fields(struct daemon *d, struct ctl_ev *e,
		      const struct babel_route_info *r)
{
	char p[64], a[INET6_ADDRSTRLEN], ifn[CFG_IFNAME_MAX + 8], rid[32];

	fmt_ev_id(e, fmt_route_id(r));
	ctl_ev_str(e, "prefix", cfg_prefix_str(&r->prefix, p, sizeof(p)));
	fmt_src(&r->prefix, r->has_src_prefix, &r->src_prefix, p, sizeof(p));
	ctl_ev_str(e, "from", p);
	ctl_ev_bool(e, "installed", r->selected);
	fmt_router_id(r->router_id, rid, sizeof(rid));
	ctl_ev_str(e, "router_id", rid);
	ctl_ev_uint(e, "metric", r->metric);
	ctl_ev_uint(e, "refmetric", r->refmetric);
	ctl_ev_uint(e, "seqno", r->seqno);
	ctl_ev_bool(e, "feasible", r->feasible);
	d_addr_str(&r->neighbour.addr, a, sizeof(a));
	ctl_ev_str(e, "neighbour", a);
	ctl_ev_str(e, "interface",
		   fmt_ifname(d, r->neighbour.ifindex, ifn, sizeof(ifn)));
	d_addr_str(&r->next_hop, a, sizeof(a));
	ctl_ev_str(e, "via", a);
}

/* ------------------------------------------------------------ dump */

struct fmt_ctx {
	struct daemon *d;
	struct sbuf *b;
	const char *verb;
};

static int fmt_dump_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct fmt_ctx *f = arg;

	fmt_neigh_line(f->d, f->b, f->verb, n);
	return 0;
}

void ctl_fmt_dump_head(struct daemon *d, struct sbuf *b, const char *verb)
{
	struct fmt_ctx f = { .d = d, .b = b, .verb = verb };

	for (size_t i = 0; i < d->n_ifaces; i++)
		if (d->ifaces[i]->present)
			fmt_iface_line(d, b, verb, d->ifaces[i]);
	babel_foreach_neighbour(d->babel, fmt_dump_neigh, &f);
}
