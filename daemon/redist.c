/* SPDX-License-Identifier: MIT */
/*
 * daemon/redist.c — "redistribute": kernel routes that become Babel
 * announcements.
 *
 * Routes of the main table are read once (a dump) and then followed through
 * rtnetlink's route multicast groups on a non-blocking socket watched by
 * uv_poll. Each route is run through the redistribute lines; a match is
 * originated (originate.c, source ORIG_REDIST) and withdrawn when the last
 * kernel route for that prefix goes away. Our own routes (route-protocol),
 * link-local, multicast, cached and source-specific routes are never
 * redistributed: re-announcing what Babel installed would make loops.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <stdlib.h>
#include <string.h>

/* One kernel route as far as redistribution cares. */
struct redist_key {
	struct babel_prefix prefix;
	uint32_t table;
	uint32_t priority;
	uint8_t protocol;
	uint8_t pad[3];
};

struct redist_route {
	uint16_t metric;
};

struct redist_prefix {
	uint32_t routes;		/* matching kernel routes */
};

struct redist {
	struct daemon *d;
	struct nl_sock *sk;
	uv_poll_t poll;
	bool poll_init;
	struct wg_hmap routes;		/* redist_key -> redist_route */
	struct wg_hmap prefixes;	/* babel_prefix -> redist_prefix */
	int msgtype;			/* of the message being parsed */
};

static bool redist_route_key(const struct daemon *d, struct rtnl_route *rt,
			     struct redist_key *k)
{
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct nl_addr *src = rtnl_route_get_src(rt);
	const uint8_t *a;
	int fam;

	if (!dst || (src && nl_addr_get_prefixlen(src) > 0))
		return false;
	if (rtnl_route_get_flags(rt) & RTM_F_CLONED)
		return false;
	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN)
		return false;
	if (rtnl_route_get_protocol(rt) == d->cfg->route_protocol)
		return false;
	switch (rtnl_route_get_type(rt)) {
	case RTN_UNICAST: case RTN_BLACKHOLE: case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		break;
	default:
		return false;
	}
	fam = nl_addr_get_family(dst);
	if (fam != AF_INET && fam != AF_INET6)
		return false;
	memset(k, 0, sizeof(*k));
	k->prefix.af = fam == AF_INET ? BABEL_AF_INET : BABEL_AF_INET6;
	k->prefix.plen = (uint8_t)nl_addr_get_prefixlen(dst);
	if (nl_addr_get_len(dst) > 0)
		memcpy(k->prefix.addr, nl_addr_get_binary_addr(dst),
		       fam == AF_INET ? 4 : 16);
	a = k->prefix.addr;
	/* RFC 4291 §2.5.6 link-local, §2.7 multicast; RFC 1122 loopback. */
	if (fam == AF_INET6 && ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
				a[0] == 0xff))
		return false;
	if (fam == AF_INET && (a[0] == 127 || (a[0] & 0xf0) == 0xe0))
		return false;
	k->table = rtnl_route_get_table(rt);
	k->priority = rtnl_route_get_priority(rt);
	k->protocol = rtnl_route_get_protocol(rt);
	return true;
}

static void redist_add(struct redist *r, const struct redist_key *k,
		       uint16_t metric)
{
	struct daemon *d = r->d;
	struct redist_route *rr;
	struct redist_prefix *rp;
	bool created;
	char err[256], pf[64];

	rr = wg_hmap_get(&r->routes, k, &created);
	if (!rr)
		return;
	rr->metric = metric;
	if (!created)
		return;
	rp = wg_hmap_get(&r->prefixes, &k->prefix, NULL);
	if (!rp)
		return;
	if (rp->routes++ == 0) {
		LOG_D(d, "redistributing %s (protocol %u)",
		      cfg_prefix_str(&k->prefix, pf, sizeof(pf)), k->protocol);
		if (orig_announce(d, &k->prefix, metric, ORIG_REDIST, err,
				  sizeof(err)) < 0)
			LOG_W(d, "%s", err);
	}
}

static void redist_del(struct redist *r, const struct redist_key *k)
{
	struct redist_prefix *rp;

	if (!wg_hmap_remove(&r->routes, k))
		return;
	rp = wg_hmap_find(&r->prefixes, &k->prefix);
	if (rp && --rp->routes == 0) {
		wg_hmap_remove(&r->prefixes, &k->prefix);
		orig_drop(r->d, &k->prefix, ORIG_REDIST);
	}
}

static void redist_route(struct redist *r, struct rtnl_route *rt, bool add)
{
	struct redist_key k;
	int metric;

	if (!redist_route_key(r->d, rt, &k))
		return;
	metric = add ? cfg_redistribute_eval(r->d->cfg, k.protocol, &k.prefix)
		     : -1;
	if (metric < 0)
		redist_del(r, &k);
	else
		redist_add(r, &k, (uint16_t)metric);
}

static void redist_parsed(struct nl_object *obj, void *arg)
{
	struct redist *r = arg;

	redist_route(r, (struct rtnl_route *)obj, r->msgtype == RTM_NEWROUTE);
}

static int redist_on_msg(struct nl_msg *msg, void *arg)
{
	struct redist *r = arg;

	r->msgtype = nlmsg_hdr(msg)->nlmsg_type;
	nl_msg_parse(msg, redist_parsed, r);
	daemon_kick(r->d);
	return NL_OK;
}

static void redist_dump_one(struct nl_object *obj, void *arg)
{
	redist_route(arg, (struct rtnl_route *)obj, true);
}

/* Reads every route now (a short-lived socket: the event socket stays
 * free for events). */
static int redist_dump(struct redist *r)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	int err;

	if (!sk)
		return -ENOMEM;
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0 ||
	    (err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache)) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	nl_cache_foreach(cache, redist_dump_one, r);
	nl_cache_free(cache);
	nl_socket_free(sk);
	daemon_kick(r->d);
	return 0;
}

static void redist_on_readable(uv_poll_t *h, int status, int events)
{
	struct redist *r = h->data;
	int err;

	for (;;) {
		err = nl_recvmsgs_default(r->sk);
		if (err >= 0)
			continue;
		if (err == -NLE_AGAIN)
			return;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: events were lost. Read everything again. */
			LOG_W(r->d, "route events were lost; re-reading the "
			      "routing table");
			redist_dump(r);
			return;
		}
		LOG_W(r->d, "route events: %s", nl_geterror(err));
		return;
	}
}

int redist_start(struct daemon *d)
{
	struct redist *r;
	int err;

	if (d->cfg->n_redist == 0 || d->redist)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->d = d;
	wg_hmap_init(&r->routes, sizeof(struct redist_key),
		     sizeof(struct redist_route));
	wg_hmap_init(&r->prefixes, sizeof(struct babel_prefix),
		     sizeof(struct redist_prefix));
	r->sk = nl_socket_alloc();
	if (!r->sk) {
		err = -ENOMEM;
		goto fail;
	}
	nl_socket_disable_seq_check(r->sk);
	nl_socket_modify_cb(r->sk, NL_CB_VALID, NL_CB_CUSTOM, redist_on_msg, r);
	if (nl_connect(r->sk, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(r->sk, RTNLGRP_IPV4_ROUTE,
				      RTNLGRP_IPV6_ROUTE, 0) < 0 ||
	    nl_socket_set_nonblocking(r->sk) < 0) {
		err = -EIO;
		goto fail;
	}
	nl_socket_set_buffer_size(r->sk, 4 * 1024 * 1024, 0);
	if ((err = uv_poll_init(d->loop, &r->poll,
				nl_socket_get_fd(r->sk))) < 0)
		goto fail;
	r->poll_init = true;
	r->poll.data = r;
	uv_poll_start(&r->poll, UV_READABLE, redist_on_readable);
	d->redist = r;
	/* Subscribed before the dump: nothing is missed in between. */
	if ((err = redist_dump(r)) < 0)
		LOG_W(d, "cannot read the routing table: %s", strerror(-err));
	return 0;
fail:
	LOG_E(d, "cannot follow kernel routes for redistribute");
	d->redist = r;
	redist_stop(d);
	return err;
}

static void redist_on_close(uv_handle_t *h)
{
	struct redist *r = h->data;

	nl_socket_free(r->sk);
	free(r);
}

/* Forgets everything without withdrawing (shutdown retracts all). */
void redist_stop(struct daemon *d)
{
	struct redist *r = d->redist;

	if (!r)
		return;
	d->redist = NULL;
	wg_hmap_free(&r->routes);
	wg_hmap_free(&r->prefixes);
	if (r->poll_init) {
		uv_close((uv_handle_t *)&r->poll, redist_on_close);
		return;
	}
	if (r->sk)
		nl_socket_free(r->sk);
	free(r);
}

/* After a reload: the lines may have changed, so start over. */
void redist_reload(struct daemon *d)
{
	struct redist *r = d->redist;
	const struct babel_prefix *k;
	size_t it = 0, n = 0;
	struct babel_prefix *drop = NULL;

	if (r) {
		drop = calloc(r->prefixes.count + 1, sizeof(*drop));
		while (drop && wg_hmap_next(&r->prefixes, &it,
					    (const void **)&k))
			drop[n++] = *k;
		wg_hmap_clear(&r->routes);
		wg_hmap_clear(&r->prefixes);
		if (d->cfg->n_redist)
			redist_dump(r);	/* what still matches is kept */
		for (size_t i = 0; i < n; i++)
			if (!wg_hmap_find(&r->prefixes, &drop[i]))
				orig_drop(d, &drop[i], ORIG_REDIST);
		free(drop);
		if (!d->cfg->n_redist)
			redist_stop(d);
		return;
	}
	redist_start(d);
}
