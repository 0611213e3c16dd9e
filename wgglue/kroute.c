/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute.c — kernel routes for learned prefixes (see kroute.h), over
 * one rtnetlink socket (libnl-route-3). What we installed is kept in a hash
 * table keyed by prefix; only those entries are ever replaced or deleted,
 * and every delete names our protocol, table and metric so the kernel
 * cannot match another daemon's route.
 */
#include "wgglue/kroute.h"
#include "wgglue/hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

struct kr_entry {
	struct kroute_nexthop nh;
	bool stale;		/* adopted at start, not installed again yet */
};

struct kroute {
	struct nl_sock *sk;
	struct kroute_config cfg;
	struct wg_hmap routes;	/* wg_prefix -> kr_entry */
};

static int kr_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND: return -ESRCH;
	case NLE_EXIST: return -EEXIST;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_NODEV: return -ENODEV;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	default: return -EIO;
	}
}

int kroute_new(struct kroute **out, const struct kroute_config *cfg)
{
	struct kroute *kr = calloc(1, sizeof(*kr));
	int ret;

	if (!kr)
		return -ENOMEM;
	kr->cfg = *cfg;
	if (!kr->cfg.protocol)
		kr->cfg.protocol = KROUTE_PROTO_BABEL;
	if (!kr->cfg.table)
		kr->cfg.table = RT_TABLE_MAIN;
	wg_hmap_init(&kr->routes, sizeof(struct wg_prefix), sizeof(struct kr_entry));
	kr->sk = nl_socket_alloc();
	if (!kr->sk) {
		ret = -ENOMEM;
		goto err;
	}
	ret = nl_connect(kr->sk, NETLINK_ROUTE);
	if (ret < 0) {
		ret = kr_errno(ret);
		goto err;
	}
	*out = kr;
	return 0;
err:
	if (kr->sk)
		nl_socket_free(kr->sk);
	wg_hmap_free(&kr->routes);
	free(kr);
	return ret;
}

static struct nl_addr *kr_addr(int family, const void *bytes, unsigned plen)
{
	struct nl_addr *a = nl_addr_build(family, bytes, family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, (int)plen);
	return a;
}

/* Builds the route object: ours by protocol, table and metric. (IPv6 turns
 * metric 0 into 1024; a v6 delete with metric 0 matches any metric.) */
static struct rtnl_route *kr_route(const struct kroute *kr,
				   const struct wg_prefix *dst,
				   const struct kroute_nexthop *nh)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *d = kr_addr(dst->family, dst->addr, dst->plen);

	if (!r || !d)
		goto err;
	rtnl_route_set_family(r, dst->family);
	if (rtnl_route_set_dst(r, d) < 0)
		goto err;
	nl_addr_put(d);
	d = NULL;
	rtnl_route_set_table(r, kr->cfg.table);
	rtnl_route_set_protocol(r, kr->cfg.protocol);
	rtnl_route_set_priority(r, kr->cfg.metric);
	rtnl_route_set_type(r, RTN_UNICAST);
	if (!nh)
		return r;
	rtnl_route_set_scope(r, nh->via_family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	struct rtnl_nexthop *n = rtnl_route_nh_alloc();
	if (!n)
		goto err;
	rtnl_route_nh_set_ifindex(n, nh->ifindex);
	if (nh->via_family) {
		struct nl_addr *gw = kr_addr(nh->via_family, nh->via,
					     nh->via_family == AF_INET ? 32 : 128);
		if (!gw) {
			rtnl_route_nh_free(n);
			goto err;
		}
		/* RFC 9229: an IPv4 prefix via an IPv6 next hop is RTA_VIA. */
		if (nh->via_family != dst->family)
			rtnl_route_nh_set_via(n, gw);
		else
			rtnl_route_nh_set_gateway(n, gw);
		nl_addr_put(gw);
	}
	rtnl_route_add_nexthop(r, n);
	return r;
err:
	if (d)
		nl_addr_put(d);
	if (r)
		rtnl_route_put(r);
	return NULL;
}

int kroute_install(struct kroute *kr, const struct wg_prefix *dst,
		   const struct kroute_nexthop *nh)
{
	struct kr_entry *e = wg_hmap_find(&kr->routes, dst);
	struct rtnl_route *r;
	int ret;

	if (nh->ifindex <= 0 ||
	    (nh->via_family && nh->via_family != AF_INET &&
	     nh->via_family != AF_INET6))
		return -EINVAL;
	if (e && !e->stale && memcmp(&e->nh, nh, sizeof(*nh)) == 0)
		return 0;
	r = kr_route(kr, dst, nh);
	if (!r)
		return -ENOMEM;
	ret = rtnl_route_add(kr->sk, r, NLM_F_REPLACE);
	rtnl_route_put(r);
	if (ret < 0)
		return kr_errno(ret);
	e = wg_hmap_get(&kr->routes, dst, NULL);
	if (!e)
		return -ENOMEM;
	e->nh = *nh;
	e->stale = false;
	return 0;
}

static int kr_delete(struct kroute *kr, const struct wg_prefix *dst)
{
	struct rtnl_route *r = kr_route(kr, dst, NULL);
	int ret;

	if (!r)
		return -ENOMEM;
	/* Any scope matches (fib_table_delete() with RT_SCOPE_NOWHERE, as
	 * `ip route del` sends); libnl would otherwise guess "link". */
	rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
	ret = rtnl_route_delete(kr->sk, r, 0);
	rtnl_route_put(r);
	/* already gone (interface deleted): that is what we wanted */
	if (ret < 0 && ret != -NLE_OBJ_NOTFOUND)
		return kr_errno(ret);
	return 0;
}

int kroute_remove(struct kroute *kr, const struct wg_prefix *dst)
{
	int ret;

	if (!wg_hmap_find(&kr->routes, dst))
		return -ENOENT;
	ret = kr_delete(kr, dst);
	if (ret == 0)
		wg_hmap_remove(&kr->routes, dst);
	return ret;
}

/* Removes every entry for which keep() is false, deleting the route. */
static int kr_sweep(struct kroute *kr, bool only_stale)
{
	struct wg_prefix *del;
	size_t n = 0, it = 0;
	const void *k;
	struct kr_entry *e;
	int ret = 0;

	del = malloc((kr->routes.count + 1) * sizeof(*del));
	if (!del)
		return -ENOMEM;
	while ((e = wg_hmap_next(&kr->routes, &it, &k)))
		if (!only_stale || e->stale)
			memcpy(&del[n++], k, sizeof(*del));
	for (size_t i = 0; i < n; i++) {
		int r = kr_delete(kr, &del[i]);
		if (r < 0)
			ret = r;
		else
			wg_hmap_remove(&kr->routes, &del[i]);
	}
	free(del);
	return ret;
}

int kroute_flush(struct kroute *kr)
{
	return kr_sweep(kr, false);
}

int kroute_grace_over(struct kroute *kr)
{
	return kr_sweep(kr, true);
}

void kroute_forget_ifindex(struct kroute *kr, int ifindex)
{
	struct wg_prefix *del;
	size_t n = 0, it = 0;
	const void *k;
	struct kr_entry *e;

	del = malloc((kr->routes.count + 1) * sizeof(*del));
	if (!del)
		return;
	while ((e = wg_hmap_next(&kr->routes, &it, &k)))
		if (e->nh.ifindex == ifindex)
			memcpy(&del[n++], k, sizeof(*del));
	for (size_t i = 0; i < n; i++)
		wg_hmap_remove(&kr->routes, &del[i]);
	free(del);
}

struct kr_adopt {
	struct kroute *kr;
	size_t n;
	int err;
};

static void kr_adopt_one(struct nl_object *obj, void *arg)
{
	struct kr_adopt *a = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct wg_prefix p;
	struct kr_entry *e;
	bool created;

	if (rtnl_route_get_protocol(r) != a->kr->cfg.protocol ||
	    rtnl_route_get_table(r) != a->kr->cfg.table || !dst)
		return;
	if (wg_prefix_make(&p, nl_addr_get_family(dst),
			   nl_addr_get_binary_addr(dst),
			   nl_addr_get_prefixlen(dst)) < 0)
		return;
	e = wg_hmap_get(&a->kr->routes, &p, &created);
	if (!e) {
		a->err = -ENOMEM;
		return;
	}
	if (!created)
		return;
	e->stale = true;
	if (rtnl_route_get_nnexthops(r) > 0)
		e->nh.ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
	a->n++;
}

int kroute_adopt(struct kroute *kr, size_t *adopted)
{
	struct nl_cache *cache;
	struct kr_adopt a = { kr, 0, 0 };
	int ret = rtnl_route_alloc_cache(kr->sk, AF_UNSPEC, 0, &cache);

	if (ret < 0)
		return kr_errno(ret);
	nl_cache_foreach(cache, kr_adopt_one, &a);
	nl_cache_free(cache);
	if (adopted)
		*adopted = a.n;
	return a.err;
}

size_t kroute_count(const struct kroute *kr)
{
	return kr->routes.count;
}

bool kroute_lookup(const struct kroute *kr, const struct wg_prefix *dst,
		   struct kroute_nexthop *nh)
{
	const struct kr_entry *e = wg_hmap_find(&kr->routes, dst);

	if (e && nh)
		*nh = e->nh;
	return e != NULL;
}

void kroute_free(struct kroute *kr)
{
	if (!kr)
		return;
	if (!kr->cfg.keep_on_exit)
		kroute_flush(kr);
	nl_socket_free(kr->sk);
	wg_hmap_free(&kr->routes);
	free(kr);
}
