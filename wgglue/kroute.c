/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute.c — kernel routes for learned prefixes (see kroute.h), over
 * one rtnetlink socket (libmnl). What we installed is kept in a compact
 * table (kroute_tab.h) whose entries point into a small table of next hops,
 * each one kernel nexthop object (or, where the kernel has none, the
 * gateway and interface of classic routes). Which routes are ours, and so
 * may be replaced or deleted, is decided by fwd/ledger.h; this file sends
 * the requests, and every delete names our protocol, table and metric so
 * the kernel cannot match another daemon's route.
 *
 * Requests are queued in one buffer and sent without NLM_F_ACK: rtnetlink
 * handles a sendmsg() synchronously, so when it returns, the error answers
 * (and only those) are already queued on our socket and are read at once.
 */
#include "wgglue/kroute.h"
#include "wgglue/kroute_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* ------------------------------------------------------------ transport */

static int kr_sock_send(void *ctx, const void *buf, size_t len)
{
	struct kroute *kr = ctx;

	return mnl_socket_sendto(kr->nl, buf, len) < 0 ? -errno : 0;
}

static long kr_sock_recv(void *ctx, void *buf, size_t len, bool wait)
{
	struct kroute *kr = ctx;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(kr->nl), buf, len,
				 wait ? 0 : MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (!wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -errno;
	}
}

static int kr_sock_open(struct kroute *kr)
{
	int one = 1, rcv = 4 << 20;

	kr->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!kr->nl)
		return -errno;
	if (mnl_socket_bind(kr->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* Error answers carry only the header of the refused request. */
	mnl_socket_setsockopt(kr->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Room for the errors of a full batch (about 700 skbs at worst). */
	if (setsockopt(mnl_socket_get_fd(kr->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(kr->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcv, sizeof(rcv));
	kr->portid = mnl_socket_get_portid(kr->nl);
	kr->io = (struct kroute_io){ kr, kr_sock_send, kr_sock_recv };
	return 0;
}

/* ------------------------------------------------------------ batching */

void kr_error_note(struct kroute *kr, const struct wg_prefix *dst,
		   bool install, int err)
{
	if (kr->n_errs < KR_MAX_ERRS) {
		struct kr_err *e = &kr->errs[kr->n_errs++];

		e->dst = *dst;
		e->install = install;
		e->err = err;
	}
	kr->last_err = err;	/* past KR_MAX_ERRS only the last one */
}

/* Starts a queued request; kr_queued() closes it. The buffer is sent first
 * when the largest request might not fit. */
struct nlmsghdr *kr_queue(struct kroute *kr, uint8_t op, uint32_t ref)
{
	struct nlmsghdr *nlh;

	if (kr->len + KR_MSG_MAX > KR_BUF || kr->n_reqs == KR_MAX_REQS)
		kr_send(kr);
	nlh = mnl_nlmsg_put_header(kr->buf + kr->len);
	if (!kr->n_reqs)
		kr->base_seq = kr->seq;
	nlh->nlmsg_seq = kr->seq++;
	kr->reqs[kr->n_reqs++] = (struct kr_req){ .ref = ref, .op = op };
	return nlh;
}

void kr_queued(struct kroute *kr, struct nlmsghdr *nlh)
{
	kr->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Reads every answer queued now: for requests sent without NLM_F_ACK,
 * only refusals. Returns how many were stored in kr->fails. */
static size_t kr_drain(struct kroute *kr, size_t n_sent)
{
	size_t n_fails = 0;
	long n;

	while ((n = kr->io.recv(kr->io.ctx, kr->rbuf, KR_RBUF, false)) != 0) {
		const struct nlmsghdr *nlh;
		int left = (int)n;

		if (n < 0) {
			if (n == -ENOBUFS) {	/* answers lost */
				kr->last_err = -ENOBUFS;
				continue;
			}
			break;
		}
		for (nlh = (const struct nlmsghdr *)kr->rbuf;
		     mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;
			uint32_t k = nlh->nlmsg_seq - kr->sent_base;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0 || k >= n_sent || n_fails == KR_MAX_REQS)
				continue;
			kr->fails[n_fails].k = k;
			kr->fails[n_fails++].err = e->error;
		}
	}
	return n_fails;
}

/* Whether a later request of the same batch installs the same entry: then
 * that one decides what the kernel holds. */
static bool kr_installed_later(const struct kroute *kr, size_t k, size_t n)
{
	for (size_t j = k + 1; j < n; j++)
		if (kr->sent[j].op == KR_OP_INSTALL &&
		    kr->sent[j].ref == kr->sent[k].ref)
			return true;
	return false;
}

static void kr_failed(struct kroute *kr, size_t k, size_t n_sent, int err)
{
	const struct kr_req *q = &kr->sent[k];
	struct krt_entry *e;
	struct kr_nh *nh;

	switch (q->op) {
	case KR_OP_INSTALL:
		e = krt_at(&kr->routes, q->ref);
		nh = e->flags & KRT_F_USED ? &kr->nhs[e->nh] : NULL;
		switch (fwd_kr_install_failed(&e->flags, q->excl, q->retry,
					      nh && nh->id != 0,
					      kr_installed_later(kr, k, n_sent),
					      err)) {
		case FWD_KR_IGNORE:
			return;
		case FWD_KR_REFUSE:
			kr_error_note(kr, &e->dst, true, err);
			kr_entry_refuse(kr, q->ref);
			return;
		case FWD_KR_REMAKE:
			if (kr_nh_kernel_make(kr, nh, true) == 0) {
				e->flags &= (uint8_t)~KRT_F_KERNEL;
				kr_queue_install(kr, q->ref, true);
				return;
			}
			break;
		case FWD_KR_DROP:
			break;
		}
		kr_error_note(kr, &e->dst, true, err);
		kr_entry_drop(kr, q->ref);
		return;
	case KR_OP_DELETE:
		if (fwd_kr_delete_failed(err))
			kr_error_note(kr, &krt_at(&kr->routes, q->ref)->dst,
				      false, err);
		return;
	case KR_OP_NHDEL:
		if (fwd_kr_delete_failed(err))
			kr->last_err = err;
		return;
	}
}

/* Every create of the batch just sent has its answer now. */
static void kr_sent_answered(struct kroute *kr, size_t n_sent)
{
	for (size_t k = 0; k < n_sent; k++) {
		const struct kr_req *q = &kr->sent[k];

		if (q->op == KR_OP_INSTALL && q->excl)
			krt_at(&kr->routes, q->ref)->flags &=
				(uint8_t)~KRT_F_PENDING;
	}
}

/* Sends the queued requests and handles the refusals. */
void kr_send(struct kroute *kr)
{
	size_t n_sent = kr->n_reqs, n_fails;
	struct kr_req *t;
	int r;

	if (!kr->len)
		return;
	r = kr->io.send(kr->io.ctx, kr->buf, kr->len);
	/* The answers name requests of this batch: keep it aside while the
	 * handling of a refusal queues new ones. */
	t = kr->sent;
	kr->sent = kr->reqs;
	kr->reqs = t;
	kr->sent_base = kr->base_seq;
	kr->len = 0;
	kr->n_reqs = 0;
	if (r < 0) {
		for (size_t k = 0; k < n_sent; k++)
			kr_failed(kr, k, n_sent, r);
		kr_sent_answered(kr, n_sent);
		return;
	}
	n_fails = kr_drain(kr, n_sent);
	for (size_t i = 0; i < n_fails; i++)
		kr_failed(kr, kr->fails[i].k, n_sent, kr->fails[i].err);
	kr_sent_answered(kr, n_sent);
}

/* One request with NLM_F_ACK, answered before we go on: 0 or -errno. */
int kr_sync(struct kroute *kr, struct nlmsghdr *nlh)
{
	long n;
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = kr_sync_seq(kr);
	if ((r = kr->io.send(kr->io.ctx, nlh, nlh->nlmsg_len)) < 0)
		return r;
	while ((n = kr->io.recv(kr->io.ctx, kr->rbuf, KR_RBUF, true)) > 0) {
		const struct nlmsghdr *a;
		int left = (int)n;

		for (a = (const struct nlmsghdr *)kr->rbuf; mnl_nlmsg_ok(a, left);
		     a = mnl_nlmsg_next(a, &left)) {
			if (a->nlmsg_type == NLMSG_ERROR &&
			    a->nlmsg_seq == nlh->nlmsg_seq &&
			    a->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				return ((const struct nlmsgerr *)
					mnl_nlmsg_get_payload(a))->error;
		}
	}
	return n < 0 ? (int)n : -EIO;
}

/* ------------------------------------------------------------ next hops */

/* A next hop as a hash key: fields copied into zeroed bytes. */
void kr_nh_key(struct kroute_nexthop *k, const struct kroute_nexthop *nh)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = nh->ifindex;
	k->via_family = nh->via_family;
	memcpy(k->via, nh->via, nh->via_family == AF_INET ? 4 :
				nh->via_family == AF_INET6 ? 16 : 0);
}

/* The family of a nexthop object: its gateway's, and IPv6 for a device
 * only (IPv4 routes may use an IPv6 nexthop object, IPv6 routes may not
 * use an IPv4 one). */
static uint8_t kr_nh_family(const struct kr_nh *nh)
{
	return nh->key.via_family ? nh->key.via_family : AF_INET6;
}

static bool kr_nh_unsupported(int err)
{
	/* Before 5.3 RTM_NEWNEXTHOP is an unknown message type. */
	return err == -EOPNOTSUPP || err == -EAFNOSUPPORT ||
	       err == -EPROTONOSUPPORT || err == -ENOSYS;
}

/* Creates nh's kernel object: with a new id (NLM_F_EXCL, the next free one
 * from protocol << 24), or again with its id (replace, after the kernel
 * dropped it). */
int kr_nh_kernel_make(struct kroute *kr, struct kr_nh *nh, bool replace)
{
	uint8_t buf[KR_MSG_MAX];
	int r = -EEXIST;

	for (int tries = 0; tries < 64 && r == -EEXIST; tries++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct nhmsg *m;
		uint32_t id = nh->id;

		if (!replace) {
			id = kr->next_id;
			kr->next_id = fwd_kr_id_step(id);
			if ((r = kr_ledger_add(kr, id)) < 0)
				return r;
		}
		nlh->nlmsg_type = RTM_NEWNEXTHOP;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE |
				   (replace ? NLM_F_REPLACE : NLM_F_EXCL);
		m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
		m->nh_family = kr_nh_family(nh);
		m->nh_protocol = kr->cfg.protocol;
		mnl_attr_put_u32(nlh, NHA_ID, id);
		mnl_attr_put_u32(nlh, NHA_OIF, (uint32_t)nh->key.ifindex);
		if (nh->key.via_family)
			mnl_attr_put(nlh, NHA_GATEWAY,
				     nh->key.via_family == AF_INET ? 4 : 16,
				     nh->key.via);
		r = kr_sync(kr, nlh);
		if (r == 0)
			nh->id = id;
		else if (!replace)
			fwd_kr_ids_del(&kr->ledger, id); /* not made, or not ours */
		if (replace)
			break;
	}
	return r;
}

/* Index of the next hop for key (found or made), or -errno. */
static long kr_nh_get(struct kroute *kr, const struct kroute_nexthop *nh)
{
	struct kroute_nexthop key;
	uint32_t *slot, i;
	struct kr_nh *n;
	int r;

	kr_nh_key(&key, nh);
	if ((slot = wg_hmap_find(&kr->nh_by_key, &key)))
		return *slot;
	r = kr_nh_slot(kr, &key, &i);
	if (r < 0)
		return r;
	n = &kr->nhs[i];
	if (kr->nh_objects) {
		r = kr_nh_kernel_make(kr, n, false);
		if (r < 0 && kr_nh_unsupported(r)) {
			kr->nh_objects = false;	/* classic routes from now on */
		} else if (r < 0 && r != -EINVAL) {
			n->used = false;
			return r;
		}
		/* EINVAL: this next hop as classic routes, whose install
		 * then says what the kernel dislikes. */
	}
	if (!(slot = wg_hmap_get(&kr->nh_by_key, &key, NULL))) {
		kr_nh_release(kr, i);
		return -ENOMEM;
	}
	*slot = i;
	n->in_map = true;
	return i;
}

/* A free slot in the next-hop table for key (not yet in the map). */
int kr_nh_slot(struct kroute *kr, const struct kroute_nexthop *key,
	       uint32_t *out)
{
	uint32_t i;

	for (i = 0; i < kr->n_nhs && kr->nhs[i].used; i++)
		;
	if (i == kr->n_nhs) {
		if (kr->n_nhs == kr->cap_nhs) {
			uint32_t cap = kr->cap_nhs ? kr->cap_nhs * 2 : 16;
			struct kr_nh *a = realloc(kr->nhs, cap * sizeof(*a));

			if (!a)
				return -ENOMEM;
			kr->nhs = a;
			kr->cap_nhs = cap;
		}
		kr->n_nhs++;
	}
	memset(&kr->nhs[i], 0, sizeof(kr->nhs[i]));
	kr->nhs[i].key = *key;
	kr->nhs[i].used = true;
	*out = i;
	return 0;
}

/* Frees slot i, without telling the kernel. */
void kr_nh_release(struct kroute *kr, uint32_t i)
{
	struct kr_nh *n = &kr->nhs[i];

	if (n->in_map)
		wg_hmap_remove(&kr->nh_by_key, &n->key);
	n->used = false;
	n->in_map = false;
}

/* ------------------------------------------------------------ routes */

void kr_put_route(struct kroute *kr, struct nlmsghdr *nlh,
		  const struct krt_entry *e, const struct kr_nh *nh)
{
	const struct wg_prefix *dst = &e->dst;
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE |
			   (fwd_kr_creates(e->flags) ? NLM_F_EXCL : NLM_F_REPLACE);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->plen;
	rtm->rtm_table = kr->cfg.table < 256 ? (uint8_t)kr->cfg.table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = kr->cfg.protocol;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = nh->id || nh->key.via_family ? RT_SCOPE_UNIVERSE :
			 RT_SCOPE_LINK;
	mnl_attr_put(nlh, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, kr->cfg.table);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, kr->cfg.metric);
	if (dst->family == AF_INET && kr->cfg.prefsrc4)
		mnl_attr_put(nlh, RTA_PREFSRC, 4, kr->cfg.src4);
	else if (dst->family == AF_INET6 && kr->cfg.prefsrc6)
		mnl_attr_put(nlh, RTA_PREFSRC, 16, kr->cfg.src6);
	if (nh->id) {
		mnl_attr_put_u32(nlh, RTA_NH_ID, nh->id);
		return;
	}
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)nh->key.ifindex);
	if (!nh->key.via_family)
		return;
	if (nh->key.via_family != dst->family) {
		/* RFC 9229: an IPv4 prefix via an IPv6 next hop is RTA_VIA. */
		uint8_t via[2 + 16];
		uint16_t fam = nh->key.via_family;

		memcpy(via, &fam, 2);
		memcpy(via + 2, nh->key.via, 16);
		mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	} else {
		mnl_attr_put(nlh, RTA_GATEWAY,
			     nh->key.via_family == AF_INET ? 4 : 16, nh->key.via);
	}
}

static void kr_put_delete(struct kroute *kr, struct nlmsghdr *nlh,
			  const struct wg_prefix *dst)
{
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->plen;
	rtm->rtm_table = kr->cfg.table < 256 ? (uint8_t)kr->cfg.table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = kr->cfg.protocol;
	/* Any scope and type match (fib_table_delete() with
	 * RT_SCOPE_NOWHERE, as `ip route del` sends). IPv6 turns metric 0
	 * into 1024; a v6 delete with metric 0 matches any metric. */
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	mnl_attr_put(nlh, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, kr->cfg.table);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, kr->cfg.metric);
}

void kr_nh_unref(struct kroute *kr, uint32_t i)
{
	if (--kr->nhs[i].refs == 0)
		kr->nh_unused = true;
}

/* Forgets entry idx (refused or gone): no kernel request. */
void kr_entry_drop(struct kroute *kr, uint32_t idx)
{
	struct krt_entry *e = krt_at(&kr->routes, idx);

	if (!(e->flags & KRT_F_DELETING)) {
		kr_nh_unref(kr, e->nh);
		kr_entry_uncount(kr, idx);
	}
	krt_del(&kr->routes, idx);
}

/* Queues the route of entry idx: a create unless the kernel holds ours. */
void kr_queue_install(struct kroute *kr, uint32_t idx, bool retry)
{
	struct nlmsghdr *nlh = kr_queue(kr, KR_OP_INSTALL, idx);
	struct kr_req *q = &kr->reqs[kr->n_reqs - 1];
	struct krt_entry *e = krt_at(&kr->routes, idx);

	q->retry = retry;
	q->excl = fwd_kr_creates(e->flags);
	kr_put_route(kr, nlh, e, &kr->nhs[e->nh]);
	kr_queued(kr, nlh);
	e->flags = fwd_kr_queued(e->flags);
}

/* Where this instance's nexthop ids start: 4,096 blocks of 4,096 ids
 * under our protocol, one picked at random, so that two instances (or a
 * restart that lost its ledger) do not walk the same ids. */
static uint32_t kr_id_base(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8;
	return (v & 0xfff) << 12;
}

int kroute_new_io(struct kroute **out, const struct kroute_config *cfg,
		  const struct kroute_io *io)
{
	struct kroute *kr = calloc(1, sizeof(*kr));
	int ret = -ENOMEM;

	if (!kr)
		return -ENOMEM;
	kr->cfg = *cfg;
	if (!kr->cfg.protocol)
		kr->cfg.protocol = KROUTE_PROTO_BABEL;
	if (!kr->cfg.table)
		kr->cfg.table = RT_TABLE_MAIN;
	kr->nh_objects = !kr->cfg.classic_routes;
	kr->next_id = (uint32_t)kr->cfg.protocol << 24 | kr_id_base() | 1;
	kr->seq = 1;
	krt_init(&kr->routes);
	wg_hmap_init(&kr->nh_by_key, sizeof(struct kroute_nexthop),
		     sizeof(uint32_t));
	wg_hmap_init(&kr->refused_at, sizeof(uint32_t), sizeof(uint32_t));
	kr->buf = malloc(KR_BUF);
	kr->rbuf = malloc(KR_RBUF);
	kr->reqs = malloc(KR_MAX_REQS * sizeof(*kr->reqs));
	kr->sent = malloc(KR_MAX_REQS * sizeof(*kr->sent));
	kr->fails = malloc(KR_MAX_REQS * sizeof(*kr->fails));
	if (!kr->buf || !kr->rbuf || !kr->reqs || !kr->sent || !kr->fails)
		goto err;
	if (io)
		kr->io = *io;
	else if ((ret = kr_sock_open(kr)) < 0)
		goto err;
	if ((ret = kr_ledger_load(kr)) < 0)
		goto err;
	if (!io && kr->cfg.watch && (ret = kr_watch_open(kr)) < 0)
		goto err;
	*out = kr;
	return 0;
err:
	kr->cfg.keep_on_exit = true;
	kroute_free(kr);
	return ret;
}

int kroute_new(struct kroute **out, const struct kroute_config *cfg)
{
	return kroute_new_io(out, cfg, NULL);
}

int kroute_install(struct kroute *kr, const struct wg_prefix *dst,
		   const struct kroute_nexthop *nh)
{
	uint32_t idx = krt_find(&kr->routes, dst);
	struct krt_entry *e = idx == KRT_NONE ? NULL : krt_at(&kr->routes, idx);
	struct kroute_nexthop key;
	uint8_t flags;
	long nhi;

	if (nh->ifindex <= 0 ||
	    (nh->via_family && nh->via_family != AF_INET &&
	     nh->via_family != AF_INET6) ||
	    (dst->family != AF_INET && dst->family != AF_INET6))
		return -EINVAL;
	kr_nh_key(&key, nh);
	if (e && fwd_kr_install_waits(e->flags)) {
		kr_send(kr);
		idx = krt_find(&kr->routes, dst);
		e = idx == KRT_NONE ? NULL : krt_at(&kr->routes, idx);
	}
	if (e && fwd_kr_install_unchanged(e->flags,
					   memcmp(&kr->nhs[e->nh].key, &key,
						  sizeof(key)) == 0))
		return 0;
	if ((nhi = kr_nh_get(kr, &key)) < 0)
		return (int)nhi;
	flags = e ? e->flags : 0;
	switch (fwd_kr_install(&flags, e && e->nh == (uint32_t)nhi &&
					kr->nhs[nhi].id)) {
	case FWD_KR_REMEMBER:
		kr_nh_unref(kr, e->nh);
		e->nh = (uint32_t)nhi;
		kr->nhs[nhi].refs++;
		return 0;
	case FWD_KR_CONFIRM:
		e->flags = flags;
		return 0;
	case FWD_KR_WRITE:
		break;
	}
	if (!e) {
		if ((idx = krt_add(&kr->routes, dst)) == KRT_NONE) {
			if (kr->nhs[nhi].refs == 0)
				kr->nh_unused = true;
			return -ENOMEM;
		}
		e = krt_at(&kr->routes, idx);
		kr->n_live++;
	} else if (e->flags & KRT_F_DELETING) {
		kr->n_live++;		/* its queued delete is skipped */
	} else {
		kr_nh_unref(kr, e->nh);
	}
	e->flags = flags;
	e->nh = (uint32_t)nhi;
	kr->nhs[nhi].refs++;
	kr_queue_install(kr, idx, false);
	return 0;
}

/* Marks entry idx as removed (FLAGS: what fwd_kr_remove made of its
 * flags); the kernel delete goes out at commit. */
static int kr_mark_deleting(struct kroute *kr, uint32_t idx, uint8_t flags)
{
	struct krt_entry *e = krt_at(&kr->routes, idx);

	if (kr->n_dels == kr->cap_dels) {
		size_t cap = kr->cap_dels ? kr->cap_dels * 2 : 256;
		uint32_t *a = realloc(kr->dels, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		kr->dels = a;
		kr->cap_dels = cap;
	}
	kr->dels[kr->n_dels++] = idx;
	kr_entry_uncount(kr, idx);
	e->flags = flags;
	kr_nh_unref(kr, e->nh);
	return 0;
}

int kroute_remove(struct kroute *kr, const struct wg_prefix *dst)
{
	uint32_t idx = krt_find(&kr->routes, dst);
	uint8_t flags = idx == KRT_NONE ? 0 : krt_at(&kr->routes, idx)->flags;

	switch (fwd_kr_remove(&flags, idx != KRT_NONE)) {
	case FWD_KR_UNKNOWN:
		return -ENOENT;
	case FWD_KR_FORGET:
		kr_entry_drop(kr, idx);
		return 0;
	case FWD_KR_DELETE:
		break;
	}
	return kr_mark_deleting(kr, idx, flags);
}

/*
 * Sends what is queued, then the deletes: a route whose nexthop object no
 * route of ours uses any more is not deleted by itself, the object is, and
 * the kernel deletes its routes with it (one request for a neighbour's
 * whole table instead of one per route).
 */
int kroute_commit(struct kroute *kr, kroute_error_fn *fn, void *arg)
{
	int ret;

	if (fn) {
		kr->err_fn = fn;
		kr->err_arg = arg;
	}

	for (size_t i = 0; i < kr->n_dels; i++) {
		if (fwd_kr_delete_waits(krt_at(&kr->routes,
					       kr->dels[i])->flags)) {
			kr_send(kr);
			break;
		}
	}
	for (size_t i = 0; i < kr->n_dels; i++) {
		struct krt_entry *e = krt_at(&kr->routes, kr->dels[i]);
		const struct kr_nh *nh;
		struct nlmsghdr *nlh;

		nh = e->flags & KRT_F_USED ? &kr->nhs[e->nh] : NULL;
		if (fwd_kr_delete(e->flags, nh && nh->id && nh->refs == 0) !=
		    FWD_KR_DEL_ROUTE)
			continue;
		nlh = kr_queue(kr, KR_OP_DELETE, kr->dels[i]);
		kr_put_delete(kr, nlh, &e->dst);
		kr_queued(kr, nlh);
	}
	if (kr->nh_unused) {
		for (uint32_t i = 0; i < kr->n_nhs; i++) {
			struct kr_nh *nh = &kr->nhs[i];
			struct nlmsghdr *nlh;
			struct nhmsg *m;

			if (!nh->used || nh->refs || !nh->id)
				continue;
			nlh = kr_queue(kr, KR_OP_NHDEL, i);
			nlh->nlmsg_type = RTM_DELNEXTHOP;
			nlh->nlmsg_flags = NLM_F_REQUEST;
			m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
			m->nh_family = AF_UNSPEC;
			mnl_attr_put_u32(nlh, NHA_ID, nh->id);
			kr_queued(kr, nlh);
		}
	}
	/* A retried install may queue again while the batch is handled. */
	while (kr->len)
		kr_send(kr);
	for (size_t i = 0; i < kr->n_dels; i++) {
		struct krt_entry *e = krt_at(&kr->routes, kr->dels[i]);

		if ((e->flags & (KRT_F_USED | KRT_F_DELETING)) ==
		    (KRT_F_USED | KRT_F_DELETING))
			krt_del(&kr->routes, kr->dels[i]);
	}
	kr->n_dels = 0;
	if (kr->nh_unused) {
		for (uint32_t i = 0; i < kr->n_nhs; i++) {
			if (!kr->nhs[i].used || kr->nhs[i].refs)
				continue;
			if (kr->nhs[i].id)
				fwd_kr_ids_del(&kr->ledger, kr->nhs[i].id);
			kr_nh_release(kr, i);
		}
		kr->nh_unused = false;
	}
	kr_ledger_sync(kr);
	for (size_t i = 0; fn && i < kr->n_errs; i++)
		fn(arg, &kr->errs[i].dst, kr->errs[i].install, kr->errs[i].err);
	ret = kr->last_err;
	kr->n_errs = 0;
	kr->last_err = 0;
	return ret;
}

/* The commit another call makes first: its refusals go where those of
 * the caller's last commit went (kroute.h), not nowhere. */
int kr_commit(struct kroute *kr)
{
	return kroute_commit(kr, kr->err_fn, kr->err_arg);
}

/* Removes every entry (or every stale one), deleting the routes. */
static int kr_sweep(struct kroute *kr, bool only_stale)
{
	int ret = 0, err;

	for (uint32_t i = 0; i < kr->routes.used; i++) {
		struct krt_entry *e = krt_at(&kr->routes, i);

		if (!fwd_kr_sweep_takes(e->flags, only_stale))
			continue;
		if (kr_mark_deleting(kr, i, fwd_kr_deleting(e->flags)) < 0)
			ret = -ENOMEM;
	}
	if (!only_stale)
		kr->nh_unused = true;	/* also objects no route used */
	err = kr_commit(kr);
	return err ? err : ret;
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
	for (uint32_t i = 0; i < kr->routes.used; i++) {
		struct krt_entry *e = krt_at(&kr->routes, i);

		if ((e->flags & KRT_F_USED) &&
		    kr->nhs[e->nh].key.ifindex == ifindex)
			kr_entry_drop(kr, i);
	}
	/* The kernel deleted the link's nexthop objects with it. */
	for (uint32_t i = 0; i < kr->n_nhs; i++)
		if (kr->nhs[i].used && kr->nhs[i].key.ifindex == ifindex &&
		    kr->nhs[i].refs == 0)
			kr_nh_release(kr, i);
}

size_t kroute_count(const struct kroute *kr)
{
	return kr->n_live;
}

bool kroute_nexthop_objects(const struct kroute *kr)
{
	return kr->nh_objects;
}

size_t kroute_memory(const struct kroute *kr)
{
	return krt_memory(&kr->routes) + kr->cap_nhs * sizeof(struct kr_nh) +
	       kr->cap_dels * sizeof(uint32_t);
}

bool kroute_lookup(const struct kroute *kr, const struct wg_prefix *dst,
		   struct kroute_nexthop *nh)
{
	uint32_t idx = krt_find(&kr->routes, dst);
	const struct krt_entry *e;

	if (idx == KRT_NONE)
		return false;
	e = krt_at(&kr->routes, idx);
	if (e->flags & (KRT_F_DELETING | KRT_F_REFUSED))
		return false;
	if (nh)
		*nh = kr->nhs[e->nh].key;
	return true;
}

void kroute_free(struct kroute *kr)
{
	if (!kr)
		return;
	/* Whoever heard of refusals may be half gone: not from here on. */
	kr->err_fn = NULL;
	if (kr->io.send) {
		if (!kr->cfg.keep_on_exit)
			kroute_flush(kr);
		else
			kroute_commit(kr, NULL, NULL);
	}
	if (kr->nl)
		mnl_socket_close(kr->nl);
	if (kr->watch)
		mnl_socket_close(kr->watch);
	kr_ledger_free(kr);
	kr_refused_free(kr);
	krt_free(&kr->routes);
	wg_hmap_free(&kr->nh_by_key);
	free(kr->nhs);
	free(kr->dels);
	free(kr->buf);
	free(kr->rbuf);
	free(kr->reqs);
	free(kr->sent);
	free(kr->fails);
	free(kr);
}
