/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kmonitor.c — link and address events from rtnetlink multicast
 * groups (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR) on a
 * non-blocking libnl socket, handed to a callback as struct kroute_event.
 * WireGuard itself sends no change notifications; a link event for a
 * WireGuard interface is the daemon's cue to call wg_rec_refresh().
 */
#include "wgglue/kroute.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>

struct kroute_monitor {
	struct nl_sock *sk;
	kroute_event_fn *fn;
	void *arg;
	int msgtype;		/* of the message being parsed */
};

static void km_from_link(struct kroute_event *ev, struct rtnl_link *l)
{
	const char *name = rtnl_link_get_name(l);
	const char *kind = rtnl_link_get_type(l);
	unsigned flags = rtnl_link_get_flags(l);

	ev->ifindex = rtnl_link_get_ifindex(l);
	if (name)
		snprintf(ev->ifname, sizeof(ev->ifname), "%s", name);
	if (kind)
		snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	ev->up = flags & IFF_UP;
	ev->running = flags & IFF_RUNNING;
}

static bool km_from_addr(struct kroute_event *ev, struct rtnl_addr *a)
{
	struct nl_addr *local = rtnl_addr_get_local(a);

	ev->ifindex = rtnl_addr_get_ifindex(a);
	if (!local)
		return false;
	return wg_prefix_make(&ev->addr, nl_addr_get_family(local),
			      nl_addr_get_binary_addr(local),
			      (unsigned)rtnl_addr_get_prefixlen(a)) == 0;
}

static void km_object(struct nl_object *obj, void *arg)
{
	struct kroute_monitor *m = arg;
	const char *type = nl_object_get_type(obj);
	struct kroute_event ev;

	memset(&ev, 0, sizeof(ev));
	if (strcmp(type, "route/link") == 0) {
		ev.type = m->msgtype == RTM_DELLINK ? KROUTE_EV_LINK_DEL
						    : KROUTE_EV_LINK_NEW;
		km_from_link(&ev, (struct rtnl_link *)obj);
	} else if (strcmp(type, "route/addr") == 0) {
		ev.type = m->msgtype == RTM_DELADDR ? KROUTE_EV_ADDR_DEL
						    : KROUTE_EV_ADDR_NEW;
		if (!km_from_addr(&ev, (struct rtnl_addr *)obj))
			return;
	} else {
		return;
	}
	m->fn(m->arg, &ev);
}

static int km_valid(struct nl_msg *msg, void *arg)
{
	struct kroute_monitor *m = arg;

	m->msgtype = nlmsg_hdr(msg)->nlmsg_type;
	nl_msg_parse(msg, km_object, m);	/* unparsable: skipped */
	return NL_OK;
}

int kroute_monitor_new(struct kroute_monitor **out, kroute_event_fn *fn,
		       void *arg)
{
	struct kroute_monitor *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	m->fn = fn;
	m->arg = arg;
	m->sk = nl_socket_alloc();
	if (!m->sk) {
		free(m);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(m->sk);
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, km_valid, m);
	ret = nl_connect(m->sk, NETLINK_ROUTE);
	if (ret == 0)
		ret = nl_socket_add_memberships(m->sk, RTNLGRP_LINK,
						RTNLGRP_IPV4_IFADDR,
						RTNLGRP_IPV6_IFADDR, 0);
	if (ret == 0)
		ret = nl_socket_set_nonblocking(m->sk);
	if (ret == 0)
		/* a burst of link events must not overflow silently */
		ret = nl_socket_set_buffer_size(m->sk, 1 << 20, 0);
	if (ret < 0) {
		nl_socket_free(m->sk);
		free(m);
		return -EIO;
	}
	*out = m;
	return 0;
}

void kroute_monitor_free(struct kroute_monitor *m)
{
	if (!m)
		return;
	nl_socket_free(m->sk);
	free(m);
}

int kroute_monitor_fd(const struct kroute_monitor *m)
{
	return nl_socket_get_fd(m->sk);
}

int kroute_monitor_dispatch(struct kroute_monitor *m)
{
	for (;;) {
		int ret = nl_recvmsgs_default(m->sk);
		if (ret >= 0)
			continue;
		if (ret == -NLE_AGAIN)
			return 0;
		if (ret == -NLE_NOMEM)	/* ENOBUFS: events were lost */
			return -ENOBUFS;
		return -EIO;
	}
}

static void km_dump_one(struct nl_object *obj, void *arg)
{
	struct kroute_monitor *m = arg;

	m->msgtype = 0;		/* NEW */
	km_object(obj, m);
}

int kroute_monitor_request_dump(struct kroute_monitor *m)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *links = NULL, *addrs = NULL;
	int ret = -ENOMEM;

	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0 ||
	    rtnl_addr_alloc_cache(sk, &addrs) < 0) {
		ret = -EIO;
		goto out;
	}
	nl_cache_foreach(links, km_dump_one, m);
	nl_cache_foreach(addrs, km_dump_one, m);
	ret = 0;
out:
	if (links)
		nl_cache_free(links);
	if (addrs)
		nl_cache_free(addrs);
	nl_socket_free(sk);
	return ret;
}
