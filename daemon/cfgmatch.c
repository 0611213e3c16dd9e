/* SPDX-License-Identifier: MIT */
/*
 * daemon/cfgmatch.c — questions asked of a parsed configuration at run time:
 * which interface lines apply to an interface, what the in/out filters and
 * redistribute lines say about a route.
 */
#include "daemon/config.h"

#include <fnmatch.h>
#include <string.h>

bool cfg_prefix_equal(const struct babel_prefix *a,
		      const struct babel_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

bool cfg_iface_listed(const struct cfg *c, const char *ifname)
{
	for (size_t i = 0; i < c->n_ifaces; i++)
		if (!fnmatch(c->ifaces[i].pattern, ifname, 0))
			return true;
	return false;
}

static void cfg_iface_overlay(struct cfg_iface_params *o,
			      const struct cfg_iface_params *p)
{
	if (p->set & CFG_IF_HELLO)
		o->hello_interval_ms = p->hello_interval_ms;
	if (p->set & CFG_IF_UPDATE)
		o->update_interval_ms = p->update_interval_ms;
	if (p->set & CFG_IF_RTT_MIN)
		o->rtt_min_ms = p->rtt_min_ms;
	if (p->set & CFG_IF_RTT_MAX)
		o->rtt_max_ms = p->rtt_max_ms;
	if (p->set & CFG_IF_RTT_PENALTY)
		o->max_rtt_penalty = p->max_rtt_penalty;
	if (p->set & CFG_IF_RXCOST)
		o->rxcost = p->rxcost;
	if (p->set & CFG_IF_TIMESTAMPS)
		o->timestamps = p->timestamps;
	if (p->set & CFG_IF_PROBE)
		o->probe_interval_ms = p->probe_interval_ms;
	if (p->set & CFG_IF_FAST_PROBE)
		o->fast_probe_ms = p->fast_probe_ms;
	if (p->set & CFG_IF_BABEL_ADDR)
		o->babel_addr_from = p->babel_addr_from;
	if (p->set & CFG_IF_BABEL_ADDR4)
		o->babel_addr_from4 = p->babel_addr_from4;
	if (p->set & CFG_IF_TRANSPORT)
		o->transport = p->transport;
	if (p->set & CFG_IF_LINK_LOCAL)
		memcpy(o->link_local, p->link_local, sizeof(o->link_local));
	o->set |= p->set;
}

void cfg_iface_resolve(const struct cfg *c, const char *ifname,
		       enum cfg_iftype detected, struct cfg_iface_params *out)
{
	enum cfg_iftype t = detected == CFG_IFTYPE_AUTO ? CFG_IFTYPE_WIRED :
							 detected;
	bool tunnel_like;

	if (c->defaults.set & CFG_IF_TYPE && c->defaults.type != CFG_IFTYPE_AUTO)
		t = c->defaults.type;
	for (size_t i = 0; i < c->n_ifaces; i++) {
		const struct cfg_iface_params *p = &c->ifaces[i].p;

		if (!fnmatch(c->ifaces[i].pattern, ifname, 0) &&
		    (p->set & CFG_IF_TYPE) && p->type != CFG_IFTYPE_AUTO)
			t = p->type;
	}
	/*
	 * Built-in defaults, after babeld: 4 s Hellos; WireGuard and tunnels
	 * are lossless links whose cost is dominated by latency, so they get
	 * timestamps and an RTT penalty (RFC 9616), rxcost 96 like wired.
	 */
	tunnel_like = t == CFG_IFTYPE_WIREGUARD || t == CFG_IFTYPE_TUNNEL;
	memset(out, 0, sizeof(*out));
	out->type = t;
	out->hello_interval_ms = 4000;
	out->update_interval_ms = 16000;
	out->rxcost = t == CFG_IFTYPE_WIRELESS ? 256 : 96;
	out->timestamps = tunnel_like;
	out->rtt_min_ms = 10;
	out->rtt_max_ms = 120;
	out->max_rtt_penalty = tunnel_like ? 150 : 0;
	/* A dead neighbour within 1 s + RTT (daemon/probe.c); not on
	 * wireless, where an unanswered unicast costs MAC retries. */
	out->probe_interval_ms = t == CFG_IFTYPE_WIRELESS ? 0 : 1000;
	/* RFC 4291 §2.5.6: fe80::/64 holds the link-local addresses. */
	out->babel_addr_from.af = BABEL_AF_INET6;
	out->babel_addr_from.plen = 64;
	out->babel_addr_from.addr[0] = 0xfe;
	out->babel_addr_from.addr[1] = 0x80;
	/* Over IPv4: the first /32 allowed IP of the peer. */
	out->babel_addr_from4.af = BABEL_AF_INET;
	out->transport = CFG_TRANSPORT_IPV6;

	cfg_iface_overlay(out, &c->defaults);
	for (size_t i = 0; i < c->n_ifaces; i++)
		if (!fnmatch(c->ifaces[i].pattern, ifname, 0))
			cfg_iface_overlay(out, &c->ifaces[i].p);
	/* An update interval that was not given follows the Hello interval. */
	if (!(out->set & CFG_IF_UPDATE))
		out->update_interval_ms = out->hello_interval_ms * 4;
	out->type = t;
}

static bool cfg_prefix_covers(const struct babel_prefix *outer,
			      const struct babel_prefix *inner)
{
	if (outer->af != inner->af || outer->plen > inner->plen)
		return false;
	for (unsigned b = 0; b < outer->plen; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		if ((outer->addr[b / 8] & m) != (inner->addr[b / 8] & m))
			return false;
	}
	return true;
}

bool cfg_prefix_match(const struct cfg_prefix_match *m,
		      const struct babel_prefix *p)
{
	if (m->any)
		return true;
	if (!cfg_prefix_covers(&m->prefix, p))
		return false;
	if (m->le >= 0 && p->plen > m->le)
		return false;
	if (m->ge >= 0 && p->plen < m->ge)
		return false;
	return true;
}

int cfg_filter_eval(const struct cfg_filter *f, size_t n,
		    const struct cfg_filter_input *in)
{
	for (size_t i = 0; i < n; i++) {
		if (!cfg_prefix_match(&f[i].match, in->prefix))
			continue;
		if (f[i].has_neigh &&
		    (!in->neigh || !cfg_prefix_equal(&f[i].neigh, in->neigh)))
			continue;
		if (f[i].ifpattern[0] &&
		    (!in->ifname || fnmatch(f[i].ifpattern, in->ifname, 0)))
			continue;
		switch (f[i].action) {
		case CFG_FILTER_ALLOW:
			return 0;
		case CFG_FILTER_DENY:
			return -1;
		case CFG_FILTER_METRIC:
			return f[i].metric_add;
		}
	}
	return 0;
}

int cfg_redistribute_eval(const struct cfg *c, int proto,
			  const struct babel_prefix *p)
{
	for (size_t i = 0; i < c->n_redist; i++) {
		const struct cfg_redistribute *rd = &c->redist[i];

		if (rd->proto >= 0 && rd->proto != proto)
			continue;
		if (!cfg_prefix_match(&rd->match, p))
			continue;
		return rd->deny ? -1 : rd->metric;
	}
	return -1;
}

