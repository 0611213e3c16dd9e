/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_adopt.c — restart support (kroute.h): the nexthop objects
 * that the ledger lists, and the routes in our table that use them, are
 * what a previous run of this instance left; they are read back and
 * tracked as stale until installed again or kroute_grace_over(). Nothing
 * else is taken: not another instance's objects, not babeld's routes (the
 * same protocol number), not classic routes, whose owner nothing records.
 * What is ours is decided by fwd/ledger.h; this file reads the dumps.
 */
#include "wgglue/kroute_int.h"
#include "wgglue/rtmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

struct kr_adopt {
	struct kroute *kr;
	uint32_t *found;	/* ledger ids the kernel still has */
	size_t n_found, cap_found;
	size_t n;
	int err;
};

/* Sends a dump request and hands every answer to cb: 0 or -errno. */
static int kr_dump(struct kroute *kr, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	int r;
	long n;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = kr_sync_seq(kr);
	if ((r = kr->io.send(kr->io.ctx, nlh, nlh->nlmsg_len)) < 0)
		return r;
	while ((n = kr->io.recv(kr->io.ctx, kr->rbuf, KR_RBUF, true)) > 0) {
		r = mnl_cb_run(kr->rbuf, (size_t)n, nlh->nlmsg_seq, 0, cb, data);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0)
			return errno ? -errno : -EIO;
	}
	return n < 0 ? (int)n : -EIO;
}

/* mnl_attr_parse() callback: nexthop attributes by type into
 * tb[NHA_MAX + 1]. */
static int kr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= NHA_MAX)
		tb[t] = a;
	return MNL_CB_OK;
}

static bool kr_attr_addr(const struct nlattr *a, int family, uint8_t *out)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (!a || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(out, mnl_attr_get_payload(a), len);
	return true;
}

static int kr_adopt_nh(const struct nlmsghdr *nlh, void *data)
{
	struct kr_adopt *a = data;
	struct kroute *kr = a->kr;
	const struct nhmsg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NHA_MAX + 1] = { 0 };
	struct kroute_nexthop key = { 0 };
	uint32_t *slot, i, id;

	if (nlh->nlmsg_type != RTM_NEWNEXTHOP ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*m), kr_attr_cb, tb);
	if (!tb[NHA_ID] || !tb[NHA_OIF] || tb[NHA_GROUP] ||
	    mnl_attr_get_payload_len(tb[NHA_ID]) != 4 ||
	    mnl_attr_get_payload_len(tb[NHA_OIF]) != 4)
		return MNL_CB_OK;
	id = mnl_attr_get_u32(tb[NHA_ID]);
	switch (fwd_kr_adopt_object(&kr->ledger, id, m->nh_protocol,
				    kr->cfg.protocol, kr->cfg.adopt_legacy)) {
	case FWD_KR_OBJ_FOREIGN:
		return MNL_CB_OK;	/* not made by this instance */
	case FWD_KR_OBJ_LEDGER:
		if (a->n_found < a->cap_found)
			a->found[a->n_found++] = id;
		break;
	case FWD_KR_OBJ_LEGACY:
		if (kr_ledger_add(kr, id) < 0) {
			a->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		break;
	}
	key.ifindex = (int)mnl_attr_get_u32(tb[NHA_OIF]);
	if (tb[NHA_GATEWAY]) {
		if (!kr_attr_addr(tb[NHA_GATEWAY], m->nh_family, key.via))
			return MNL_CB_OK;
		key.via_family = m->nh_family;
	}
	if (kr_nh_slot(kr, &key, &i) < 0) {
		a->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	kr->nhs[i].id = id;
	/* Deleted at the next commit unless an adopted route uses it. */
	kr->nh_unused = true;
	/* Go on in the previous run's range. */
	kr->next_id = fwd_kr_next_id_after(id, kr->cfg.protocol, kr->next_id);
	if (wg_hmap_find(&kr->nh_by_key, &key))
		return MNL_CB_OK;	/* a duplicate: only its routes use it */
	if (!(slot = wg_hmap_get(&kr->nh_by_key, &key, NULL))) {
		a->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	*slot = i;
	kr->nhs[i].in_map = true;
	return MNL_CB_OK;
}

/* The slot of the adopted object a route uses, or -ENOENT for any other
 * route: another instance's object, someone else's, or a classic route
 * (no RTA_NH_ID: ids start at 1). */
static long kr_adopt_route_nh(struct kr_adopt *a, uint32_t id)
{
	struct kroute *kr = a->kr;

	if (!id)
		return -ENOENT;
	for (uint32_t i = 0; i < kr->n_nhs; i++)
		if (kr->nhs[i].used && kr->nhs[i].id == id)
			return i;
	return -ENOENT;
}

static int kr_adopt_route(const struct nlmsghdr *nlh, void *data)
{
	struct kr_adopt *a = data;
	struct kroute *kr = a->kr;
	struct rtmsg_route rt;
	struct wg_prefix p;
	struct krt_entry *e;
	uint32_t idx;
	long nhi;

	/* The candidates first: a million routes of others cost a parse. */
	if (nlh->nlmsg_type != RTM_NEWROUTE || rtmsg_parse(nlh, &rt) < 0 ||
	    !fwd_kr_adopt_candidate(rt.protocol, rt.table,
				    (rt.flags & RTM_F_CLONED) != 0,
				    kr->cfg.protocol, kr->cfg.table) ||
	    wg_prefix_make(&p, rt.family, rt.dst, rt.dst_len) < 0)
		return MNL_CB_OK;
	nhi = kr_adopt_route_nh(a, rt.nh_id);
	if (!fwd_kr_adopt_route(krt_find(&kr->routes, &p) != KRT_NONE,
				nhi >= 0))
		return MNL_CB_OK;
	if ((idx = krt_add(&kr->routes, &p)) == KRT_NONE) {
		a->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	e = krt_at(&kr->routes, idx);
	e->flags = fwd_kr_adopted();
	e->nh = (uint32_t)nhi;
	kr->nhs[nhi].refs++;
	kr->n_live++;
	a->n++;
	return MNL_CB_OK;
}

int kroute_adopt(struct kroute *kr, size_t *adopted)
{
	uint8_t buf[KR_MSG_MAX];
	struct kr_adopt a = { .kr = kr };
	struct nlmsghdr *nlh;
	struct nhmsg *nhm;
	struct rtmsg *rtm;
	int r;

	kr_commit(kr);
	if ((!kr->ledger.n && !kr->cfg.adopt_legacy) || !kr->nh_objects) {
		if (adopted)
			*adopted = 0;
		return 0;
	}
	a.cap_found = kr->ledger.n;
	if (a.cap_found && !(a.found = calloc(a.cap_found, sizeof(*a.found))))
		return -ENOMEM;
	/* Our nexthop objects first, so that routes can name them. A kernel
	 * without them refuses the dump: nothing to adopt there. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEXTHOP;
	nhm = mnl_nlmsg_put_extra_header(nlh, sizeof(*nhm));
	nhm->nh_family = AF_UNSPEC;
	r = kr_dump(kr, nlh, kr_adopt_nh, &a);
	if (a.err < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	r = kr_dump(kr, nlh, kr_adopt_route, &a);
out:
	/* Ids the kernel no longer has are not ours to remember. */
	if (a.err == 0 && r == 0) {
		fwd_kr_ids_keep_found(&kr->ledger, a.found, a.n_found,
				      kr->cfg.protocol, kr->cfg.adopt_legacy);
		kr_ledger_sync(kr);
	}
	free(a.found);
	if (adopted)
		*adopted = a.n;
	return a.err < 0 ? a.err : r;
}
