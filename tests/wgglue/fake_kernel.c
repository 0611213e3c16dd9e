/* SPDX-License-Identifier: MIT */
/* tests/wgglue/fake_kernel.c — see fake_kernel.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "tests/wgglue/fake_kernel.h"

struct wg_prefix pfx(const char *s)
{
	struct wg_prefix p;

	assert_int_equal(wg_prefix_parse(&p, s), 0);
	return p;
}

struct kroute_nexthop nh_via(int ifindex, const char *addr)
{
	struct kroute_nexthop nh = { .ifindex = ifindex };
	struct wg_prefix p = pfx(addr);

	nh.via_family = p.family;
	memcpy(nh.via, p.addr, 16);
	return nh;
}

static void fk_reply(struct fake *f, const void *buf, size_t len)
{
	assert_true(f->n_replies < 256);
	f->replies[f->n_replies] = malloc(len);
	memcpy(f->replies[f->n_replies], buf, len);
	f->reply_len[f->n_replies++] = len;
}

static void fk_answer(struct fake *f, const struct nlmsghdr *req, int err)
{
	uint8_t buf[64];
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	if (err == 0 && !(req->nlmsg_flags & NLM_F_ACK))
		return;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	e->msg = *req;
	fk_reply(f, buf, nlh->nlmsg_len);
}

static struct fk_nh *fk_nh_find(struct fake *f, uint32_t id)
{
	for (size_t i = 0; i < f->n_nhs; i++)
		if (f->nhs[i].id == id)
			return &f->nhs[i];
	return NULL;
}

struct fk_route *fk_route_find(struct fake *f, const struct wg_prefix *p)
{
	for (size_t i = 0; i < f->n_routes; i++)
		if (wg_prefix_equal(&f->routes[i].dst, p))
			return &f->routes[i];
	return NULL;
}

void fk_route_del(struct fake *f, struct fk_route *r)
{
	*r = f->routes[--f->n_routes];
}

/* What the kernel does when a nexthop object goes: its routes go too. */
void fk_nh_del(struct fake *f, struct fk_nh *nh)
{
	for (size_t i = f->n_routes; i-- > 0;)
		if (f->routes[i].nhid == nh->id)
			fk_route_del(f, &f->routes[i]);
	*nh = f->nhs[--f->n_nhs];
}

static int fk_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= RTA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int fk_new_nh(struct fake *f, const struct nlmsghdr *nlh)
{
	const struct nhmsg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct fk_nh nh = { .family = m->nh_family, .protocol = m->nh_protocol };
	struct fk_nh *old;

	f->new_nh++;
	if (f->refuse_nh)
		return f->refuse_nh;
	mnl_attr_parse(nlh, sizeof(*m), fk_attr_cb, tb);
	assert_non_null(tb[NHA_ID]);
	assert_non_null(tb[NHA_OIF]);
	nh.id = mnl_attr_get_u32(tb[NHA_ID]);
	nh.oif = mnl_attr_get_u32(tb[NHA_OIF]);
	if (tb[NHA_GATEWAY]) {
		nh.gw = true;
		memcpy(nh.addr, mnl_attr_get_payload(tb[NHA_GATEWAY]),
		       mnl_attr_get_payload_len(tb[NHA_GATEWAY]));
	}
	if ((old = fk_nh_find(f, nh.id))) {
		if (nlh->nlmsg_flags & NLM_F_EXCL)
			return -EEXIST;
		*old = nh;
		return 0;
	}
	assert_true(f->n_nhs < FK_MAX);
	f->nhs[f->n_nhs++] = nh;
	return 0;
}

static int fk_route(struct fake *f, const struct nlmsghdr *nlh, bool add)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct fk_route r = { .protocol = rtm->rtm_protocol };
	struct fk_route *old;

	mnl_attr_parse(nlh, sizeof(*rtm), fk_attr_cb, tb);
	assert_non_null(tb[RTA_DST]);
	assert_non_null(tb[RTA_TABLE]);
	r.table = mnl_attr_get_u32(tb[RTA_TABLE]);
	assert_int_equal(wg_prefix_make(&r.dst, rtm->rtm_family,
					mnl_attr_get_payload(tb[RTA_DST]),
					rtm->rtm_dst_len), 0);
	old = fk_route_find(f, &r.dst);
	if (!add) {
		f->del_route++;
		if (!old || old->protocol != r.protocol)
			return -ESRCH;
		fk_route_del(f, old);
		return 0;
	}
	f->new_route++;
	if (f->fail_err && wg_prefix_equal(&r.dst, &f->fail_dst))
		return f->fail_err;
	if (tb[RTA_PREFSRC]) {
		size_t n = mnl_attr_get_payload_len(tb[RTA_PREFSRC]);

		assert_int_equal(n, rtm->rtm_family == AF_INET ? 4 : 16);
		r.prefsrc_family = rtm->rtm_family;
		memcpy(r.prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), n);
	}
	if (tb[RTA_NH_ID]) {
		r.nhid = mnl_attr_get_u32(tb[RTA_NH_ID]);
		if (!fk_nh_find(f, r.nhid))
			return -EINVAL;	/* "Nexthop id does not exist" */
	} else {
		assert_non_null(tb[RTA_OIF]);
		r.oif = mnl_attr_get_u32(tb[RTA_OIF]);
		if (tb[RTA_GATEWAY]) {
			r.gw_family = rtm->rtm_family;
			memcpy(r.gw, mnl_attr_get_payload(tb[RTA_GATEWAY]),
			       mnl_attr_get_payload_len(tb[RTA_GATEWAY]));
		} else if (tb[RTA_VIA]) {
			const uint8_t *v = mnl_attr_get_payload(tb[RTA_VIA]);
			uint16_t fam;

			memcpy(&fam, v, 2);
			r.gw_family = fam;
			r.via = true;
			memcpy(r.gw, v + 2, 16);
		}
	}
	if (old) {
		/* The kernel matches on table, destination and metric,
		 * whoever installed the route there. */
		if (nlh->nlmsg_flags & NLM_F_EXCL)
			return -EEXIST;
		assert_true(nlh->nlmsg_flags & NLM_F_REPLACE);
		f->replaced_protocol = old->protocol;
		*old = r;
	} else {
		assert_true(f->n_routes < FK_MAX);
		f->routes[f->n_routes++] = r;
	}
	return 0;
}

static void fk_dump(struct fake *f, const struct nlmsghdr *req)
{
	uint8_t buf[16384];
	size_t len = 0;
	struct nlmsghdr *nlh;

	if (req->nlmsg_type == RTM_GETNEXTHOP) {
		for (size_t i = 0; i < f->n_nhs; i++) {
			const struct fk_nh *n = &f->nhs[i];
			struct nhmsg *m;

			nlh = mnl_nlmsg_put_header(buf + len);
			nlh->nlmsg_type = RTM_NEWNEXTHOP;
			nlh->nlmsg_seq = req->nlmsg_seq;
			nlh->nlmsg_flags = NLM_F_MULTI;
			m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
			m->nh_family = (uint8_t)n->family;
			m->nh_protocol = n->protocol;
			mnl_attr_put_u32(nlh, NHA_ID, n->id);
			mnl_attr_put_u32(nlh, NHA_OIF, n->oif);
			if (n->gw)
				mnl_attr_put(nlh, NHA_GATEWAY,
					     n->family == AF_INET ? 4 : 16, n->addr);
			len += NLMSG_ALIGN(nlh->nlmsg_len);
		}
	} else {
		for (size_t i = 0; i < f->n_routes; i++) {
			const struct fk_route *r = &f->routes[i];
			struct rtmsg *rtm;

			nlh = mnl_nlmsg_put_header(buf + len);
			nlh->nlmsg_type = RTM_NEWROUTE;
			nlh->nlmsg_seq = req->nlmsg_seq;
			nlh->nlmsg_flags = NLM_F_MULTI;
			rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
			rtm->rtm_family = r->dst.family;
			rtm->rtm_dst_len = r->dst.plen;
			rtm->rtm_protocol = r->protocol;
			rtm->rtm_table = RT_TABLE_MAIN;
			mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
			mnl_attr_put(nlh, RTA_DST, r->dst.family == AF_INET ? 4 : 16,
				     r->dst.addr);
			if (r->nhid) {
				mnl_attr_put_u32(nlh, RTA_NH_ID, r->nhid);
				/* nexthop_compat_mode: the expansion too */
				mnl_attr_put_u32(nlh, RTA_OIF,
						 fk_nh_find(f, r->nhid)->oif);
			} else {
				mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
				if (r->gw_family && !r->via)
					mnl_attr_put(nlh, RTA_GATEWAY,
						     r->gw_family == AF_INET ? 4 : 16,
						     r->gw);
			}
			len += NLMSG_ALIGN(nlh->nlmsg_len);
		}
	}
	nlh = mnl_nlmsg_put_header(buf + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	fk_reply(f, buf, len);
}

/* ---- FIB rules ---- */

static bool fk_spec_eq(const struct krule_spec *a, const struct krule_spec *b)
{
	return a->family == b->family && a->priority == b->priority &&
	       a->table == b->table && a->fwmark == b->fwmark &&
	       a->invert == b->invert &&
	       a->suppress_default == b->suppress_default;
}

static void fk_rule_parse(const struct nlmsghdr *nlh, struct fk_rule *out,
			  bool *has_proto)
{
	/* fk_attr_cb keeps types up to RTA_MAX */
	const struct nlattr *tb[RTA_MAX + FRA_MAX + 1] = { 0 };
	const struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);

	memset(out, 0, sizeof(*out));
	mnl_attr_parse(nlh, sizeof(*h), fk_attr_cb, tb);
	out->s.family = h->family;
	out->s.table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : h->table;
	out->s.priority = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	out->s.fwmark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	out->s.invert = h->flags & FIB_RULE_INVERT;
	out->s.suppress_default = tb[FRA_SUPPRESS_PREFIXLEN] &&
		mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) == 0;
	*has_proto = tb[FRA_PROTOCOL] != NULL;
	out->protocol = *has_proto ? mnl_attr_get_u8(tb[FRA_PROTOCOL]) : 0;
}

/* As Linux: NLM_F_EXCL and an identical rule (whoever made it) is
 * EEXIST; a delete matches the attributes given, protocol included. */
static int fk_rule(struct fake *f, const struct nlmsghdr *nlh, bool add)
{
	struct fk_rule r;
	bool has_proto;

	fk_rule_parse(nlh, &r, &has_proto);
	for (size_t i = 0; i < f->n_rules; i++) {
		if (!fk_spec_eq(&f->rules[i].s, &r.s))
			continue;
		if (add && (nlh->nlmsg_flags & NLM_F_EXCL))
			return -EEXIST;
		if (!add && (!has_proto || f->rules[i].protocol == r.protocol)) {
			f->del_rule++;
			f->rules[i] = f->rules[--f->n_rules];
			return 0;
		}
	}
	if (!add)
		return -ENOENT;
	assert_true(f->n_rules < 64);
	f->new_rule++;
	f->rules[f->n_rules++] = r;
	return 0;
}

static void fk_rule_dump(struct fake *f, const struct nlmsghdr *req)
{
	const struct fib_rule_hdr *q = mnl_nlmsg_get_payload(req);
	uint8_t buf[16384];
	size_t len = 0;
	struct nlmsghdr *nlh;

	for (size_t i = 0; i < f->n_rules; i++) {
		const struct fk_rule *r = &f->rules[i];
		struct fib_rule_hdr *h;

		if (q->family && q->family != r->s.family)
			continue;
		nlh = mnl_nlmsg_put_header(buf + len);
		nlh->nlmsg_type = RTM_NEWRULE;
		nlh->nlmsg_seq = req->nlmsg_seq;
		nlh->nlmsg_flags = NLM_F_MULTI;
		h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->family = r->s.family;
		h->action = FR_ACT_TO_TBL;
		h->table = r->s.table < 256 ? (uint8_t)r->s.table : 0;
		h->flags = r->s.invert ? FIB_RULE_INVERT : 0;
		mnl_attr_put_u32(nlh, FRA_TABLE, r->s.table);
		if (r->s.priority)
			mnl_attr_put_u32(nlh, FRA_PRIORITY, r->s.priority);
		if (r->s.fwmark) {
			mnl_attr_put_u32(nlh, FRA_FWMARK, r->s.fwmark);
			mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
		}
		if (r->s.suppress_default)
			mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, r->protocol);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	nlh = mnl_nlmsg_put_header(buf + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	fk_reply(f, buf, len);
}

struct krule *fk_krule(struct fake *f, const struct krule_config *c)
{
	struct kroute_io io = { f, fk_send, fk_recv };
	struct krule *k;

	assert_int_equal(krule_new_io(&k, c, &io), 0);
	return k;
}

void fk_rule_foreign(struct fake *f, const struct krule_spec *s,
		     uint8_t protocol)
{
	assert_true(f->n_rules < 64);
	f->rules[f->n_rules++] = (struct fk_rule){ *s, protocol };
}

size_t fk_rule_count(const struct fake *f, const struct krule_spec *s,
		     uint8_t protocol)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_rules; i++)
		n += fk_spec_eq(&f->rules[i].s, s) &&
		     f->rules[i].protocol == protocol;
	return n;
}

int fk_send(void *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx;
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	f->sends++;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		int err = 0;

		if (nlh->nlmsg_type == RTM_GETNEXTHOP ||
		    nlh->nlmsg_type == RTM_GETROUTE) {
			fk_dump(f, nlh);
			continue;
		}
		if (nlh->nlmsg_type == RTM_GETRULE) {
			fk_rule_dump(f, nlh);
			continue;
		}
		switch (nlh->nlmsg_type) {
		case RTM_NEWRULE:
			err = fk_rule(f, nlh, true);
			break;
		case RTM_DELRULE:
			err = fk_rule(f, nlh, false);
			break;
		case RTM_NEWNEXTHOP:
			err = fk_new_nh(f, nlh);
			break;
		case RTM_DELNEXTHOP: {
			const struct nlattr *tb[RTA_MAX + 1] = { 0 };
			struct fk_nh *n;

			f->del_nh++;
			mnl_attr_parse(nlh, sizeof(struct nhmsg), fk_attr_cb, tb);
			n = fk_nh_find(f, mnl_attr_get_u32(tb[NHA_ID]));
			if (n)
				fk_nh_del(f, n);
			else
				err = -ENOENT;
			break;
		}
		case RTM_NEWROUTE:
			err = fk_route(f, nlh, true);
			break;
		case RTM_DELROUTE:
			err = fk_route(f, nlh, false);
			break;
		default:
			err = -EOPNOTSUPP;
		}
		fk_answer(f, nlh, err);
	}
	return 0;
}

long fk_recv(void *ctx, void *buf, size_t len, bool wait)
{
	struct fake *f = ctx;
	size_t n;

	if (f->next_reply == f->n_replies)
		return wait ? -EIO : 0;	/* a wait would block forever */
	n = f->reply_len[f->next_reply];
	assert_true(n <= len);
	memcpy(buf, f->replies[f->next_reply], n);
	free(f->replies[f->next_reply++]);
	return (long)n;
}

struct kroute *fk_kroute(struct fake *f, const struct kroute_config *c)
{
	struct kroute_io io = { f, fk_send, fk_recv };
	struct kroute_config dflt = { 0 };
	struct kroute *kr;

	assert_int_equal(kroute_new_io(&kr, c ? c : &dflt, &io), 0);
	return kr;
}

void fk_free(struct fake *f)
{
	while (f->next_reply < f->n_replies)
		free(f->replies[f->next_reply++]);
	free(f);
}


void fk_foreign(struct fake *f, const char *prefix, uint8_t protocol)
{
	f->routes[f->n_routes++] = (struct fk_route){ .dst = pfx(prefix),
		.oif = 7, .protocol = protocol, .table = RT_TABLE_MAIN };
}
