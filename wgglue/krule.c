/* SPDX-License-Identifier: MIT */
/* wgglue/krule.c — see krule.h. */
#include "wgglue/krule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "wgglue/wg.h"

#define KRULE_MAGIC "wgbabeld-rules 1"
#define KRULE_MAX 64		/* rules or marks; more is a damaged ledger */
#define KRULE_RBUF 32768

struct krule_mark {
	char ifname[WG_IFNAME_LEN];
	uint32_t mark, prev;
};

struct krule {
	uint8_t protocol;
	char *ledger_path;
	struct kroute_io io;
	struct mnl_socket *nl;
	uint32_t seq;
	struct krule_spec rules[KRULE_MAX];
	size_t n_rules;
	struct krule_mark marks[KRULE_MAX];
	size_t n_marks;
	uint8_t rbuf[KRULE_RBUF];
};

/* ------------------------------------------------------------ transport */

static int krule_sock_send(void *ctx, const void *buf, size_t len)
{
	struct krule *k = ctx;

	return mnl_socket_sendto(k->nl, buf, len) < 0 ? -errno : 0;
}

static long krule_sock_recv(void *ctx, void *buf, size_t len, bool wait)
{
	struct krule *k = ctx;
	ssize_t n;

	do {
		n = recv(mnl_socket_get_fd(k->nl), buf, len,
			 wait ? 0 : MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return !wait && errno == EAGAIN ? 0 : -errno;
	return n;
}

/* ------------------------------------------------------------ ledger */

static bool krule_spec_equal(const struct krule_spec *a,
			     const struct krule_spec *b)
{
	return a->family == b->family && a->priority == b->priority &&
	       a->table == b->table && a->fwmark == b->fwmark &&
	       a->invert == b->invert &&
	       a->suppress_default == b->suppress_default;
}

static struct krule_spec *krule_find(const struct krule *k,
				     const struct krule_spec *s)
{
	for (size_t i = 0; i < k->n_rules; i++)
		if (krule_spec_equal(&k->rules[i], s))
			return (struct krule_spec *)&k->rules[i];
	return NULL;
}

static int krule_ledger_save(struct krule *k)
{
	char tmp[4200];
	FILE *f;
	int r = 0;

	if (!k->ledger_path)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", k->ledger_path);
	if (!(f = fopen(tmp, "we")))
		return -errno;
	fprintf(f, "%s\n", KRULE_MAGIC);
	for (size_t i = 0; i < k->n_rules; i++) {
		const struct krule_spec *s = &k->rules[i];

		fprintf(f, "rule %u %" PRIu32 " %" PRIu32 " %" PRIu32 " %d %d\n",
			s->family, s->priority, s->table, s->fwmark,
			s->invert, s->suppress_default);
	}
	for (size_t i = 0; i < k->n_marks; i++)
		fprintf(f, "mark %s %" PRIu32 " %" PRIu32 "\n",
			k->marks[i].ifname, k->marks[i].mark,
			k->marks[i].prev);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, k->ledger_path) < 0)
		r = -errno;
	if (r)
		remove(tmp);
	return r;
}

static int krule_ledger_line(struct krule *k, const char *line)
{
	struct krule_spec s = { 0 };
	unsigned fam;
	int inv, sup, n = 0;
	char name[WG_IFNAME_LEN + 1];
	uint32_t mark, prev;

	if (sscanf(line, "rule %u %" SCNu32 " %" SCNu32 " %" SCNu32
		   " %d %d%n", &fam, &s.priority, &s.table, &s.fwmark, &inv,
		   &sup, &n) == 6 && line[n] == '\n') {
		if ((fam != AF_INET && fam != AF_INET6) ||
		    k->n_rules == KRULE_MAX)
			return -EBADMSG;
		s.family = (uint8_t)fam;
		s.invert = inv != 0;
		s.suppress_default = sup != 0;
		if (!krule_find(k, &s))
			k->rules[k->n_rules++] = s;
		return 0;
	}
	if (sscanf(line, "mark %16s %" SCNu32 " %" SCNu32 "%n", name, &mark,
		   &prev, &n) == 3 && line[n] == '\n') {
		if (strlen(name) >= WG_IFNAME_LEN || k->n_marks == KRULE_MAX)
			return -EBADMSG;
		for (size_t i = 0; i < k->n_marks; i++)
			if (!strcmp(k->marks[i].ifname, name))
				return -EBADMSG;	/* listed twice */
		snprintf(k->marks[k->n_marks].ifname, WG_IFNAME_LEN, "%s",
			 name);
		k->marks[k->n_marks].mark = mark;
		k->marks[k->n_marks++].prev = prev;
		return 0;
	}
	return -EBADMSG;
}

static int krule_ledger_load(struct krule *k)
{
	char line[128];
	int r = 0;
	FILE *f;

	if (!k->ledger_path)
		return 0;
	if (!(f = fopen(k->ledger_path, "re")))
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f) ||
	    strcmp(line, KRULE_MAGIC "\n") != 0)
		r = -EBADMSG;
	while (!r && fgets(line, sizeof(line), f))
		r = krule_ledger_line(k, line);
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

/* ------------------------------------------------------------ requests */

/* One request with NLM_F_ACK, answered before we go on: 0 or -errno. */
static int krule_sync(struct krule *k, struct nlmsghdr *nlh)
{
	long n;
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++k->seq;
	if ((r = k->io.send(k->io.ctx, nlh, nlh->nlmsg_len)) < 0)
		return r;
	while ((n = k->io.recv(k->io.ctx, k->rbuf, sizeof(k->rbuf), true)) > 0) {
		const struct nlmsghdr *a = (const struct nlmsghdr *)k->rbuf;
		int left = (int)n;

		for (; mnl_nlmsg_ok(a, left); a = mnl_nlmsg_next(a, &left))
			if (a->nlmsg_type == NLMSG_ERROR &&
			    a->nlmsg_seq == nlh->nlmsg_seq &&
			    a->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				return ((const struct nlmsgerr *)
					mnl_nlmsg_get_payload(a))->error;
	}
	return n < 0 ? (int)n : -EIO;
}

static void krule_put(struct krule *k, struct nlmsghdr *nlh,
		      const struct krule_spec *s)
{
	struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));

	h->family = s->family;
	h->action = FR_ACT_TO_TBL;
	h->table = s->table < 256 ? (uint8_t)s->table : RT_TABLE_UNSPEC;
	h->flags = s->invert ? FIB_RULE_INVERT : 0;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, s->priority);
	mnl_attr_put_u32(nlh, FRA_TABLE, s->table);
	if (s->fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, s->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	}
	if (s->suppress_default)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, k->protocol);
}

static int krule_request(struct krule *k, uint16_t type, uint16_t flags,
			 const struct krule_spec *s)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	krule_put(k, nlh, s);
	return krule_sync(k, nlh);
}

struct krule_dump {
	struct krule *k;
	const struct krule_spec *want;	/* the ledger's rules */
	bool *present;
	size_t n;
};

static int krule_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= FRA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static uint32_t krule_attr_u32(const struct nlattr *a, uint32_t dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a)
						       : dflt;
}

/* One rule of a dump: is it one the ledger lists, made by us? */
static void krule_dump_one(struct krule_dump *d, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[FRA_MAX + 1] = { 0 };
	const struct fib_rule_hdr *h;
	struct krule_spec s = { 0 };

	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*h)))
		return;
	h = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*h), krule_attr_cb, tb) < 0 ||
	    h->action != FR_ACT_TO_TBL || !tb[FRA_PROTOCOL] ||
	    mnl_attr_get_payload_len(tb[FRA_PROTOCOL]) < 1 ||
	    mnl_attr_get_u8(tb[FRA_PROTOCOL]) != d->k->protocol)
		return;
	s.family = h->family;
	s.priority = krule_attr_u32(tb[FRA_PRIORITY], 0);
	s.table = krule_attr_u32(tb[FRA_TABLE], h->table);
	s.fwmark = krule_attr_u32(tb[FRA_FWMARK], 0);
	s.invert = (h->flags & FIB_RULE_INVERT) != 0;
	s.suppress_default = krule_attr_u32(tb[FRA_SUPPRESS_PREFIXLEN],
					    UINT32_MAX) == 0;
	for (size_t i = 0; i < d->n; i++)
		if (krule_spec_equal(&d->want[i], &s))
			d->present[i] = true;
}

/* Marks present[i] for each listed rule the kernel holds as ours. */
static int krule_dump(struct krule *k, uint8_t family, struct krule_dump *d)
{
	uint8_t buf[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *h;
	long n;
	int r;

	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++k->seq;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = family;
	if ((r = k->io.send(k->io.ctx, nlh, nlh->nlmsg_len)) < 0)
		return r;
	while ((n = k->io.recv(k->io.ctx, k->rbuf, sizeof(k->rbuf), true)) > 0) {
		const struct nlmsghdr *a = (const struct nlmsghdr *)k->rbuf;
		int left = (int)n;

		for (; mnl_nlmsg_ok(a, left); a = mnl_nlmsg_next(a, &left)) {
			if (a->nlmsg_seq != nlh->nlmsg_seq)
				continue;
			if (a->nlmsg_type == NLMSG_DONE)
				return 0;
			if (a->nlmsg_type == NLMSG_ERROR)
				return a->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
				       ((const struct nlmsgerr *)
					mnl_nlmsg_get_payload(a))->error : -EIO;
			krule_dump_one(d, a);
		}
	}
	return n < 0 ? (int)n : -EIO;
}

/* ------------------------------------------------------------ API */

int krule_new_io(struct krule **out, const struct krule_config *cfg,
		 const struct kroute_io *io)
{
	struct krule *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->protocol = cfg->protocol ? cfg->protocol : KROUTE_PROTO_BABEL;
	if (cfg->ledger_path && !(k->ledger_path = strdup(cfg->ledger_path))) {
		free(k);
		return -ENOMEM;
	}
	if (io) {
		k->io = *io;
	} else {
		if (!(k->nl = mnl_socket_open(NETLINK_ROUTE)) ||
		    mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			int r = -errno;

			krule_free(k);
			return r;
		}
		k->io = (struct kroute_io){ k, krule_sock_send,
					    krule_sock_recv };
	}
	*out = k;
	return 0;
}

int krule_new(struct krule **out, const struct krule_config *cfg)
{
	return krule_new_io(out, cfg, NULL);
}

void krule_free(struct krule *k)
{
	if (!k)
		return;
	if (k->nl)
		mnl_socket_close(k->nl);
	free(k->ledger_path);
	free(k);
}

int krule_adopt(struct krule *k, size_t *adopted)
{
	bool present[KRULE_MAX] = { false };
	struct krule_dump d = { k, k->rules, present, 0 };
	size_t kept = 0;
	int r;

	*adopted = 0;
	k->n_rules = k->n_marks = 0;
	if ((r = krule_ledger_load(k)) < 0) {
		k->n_rules = k->n_marks = 0;
		return r;
	}
	if (!k->n_rules)
		return 0;
	d.n = k->n_rules;
	if ((r = krule_dump(k, AF_INET, &d)) < 0 ||
	    (r = krule_dump(k, AF_INET6, &d)) < 0)
		return r;	/* the ledger's rules stay listed */
	for (size_t i = 0; i < k->n_rules; i++)
		if (present[i])
			k->rules[kept++] = k->rules[i];
	if (kept != k->n_rules) {
		k->n_rules = kept;
		krule_ledger_save(k);
	}
	*adopted = kept;
	return 0;
}

bool krule_owned(const struct krule *k, const struct krule_spec *s)
{
	return krule_find(k, s) != NULL;
}

size_t krule_count(const struct krule *k)
{
	return k->n_rules;
}

int krule_add(struct krule *k, const struct krule_spec *s)
{
	int r;

	if (krule_find(k, s))
		return 0;
	if (k->n_rules == KRULE_MAX)
		return -ENOSPC;
	/* Listed before it is made: a crash in between leaves a line that
	 * the next adoption drops, never a rule nobody knows is ours. */
	k->rules[k->n_rules++] = *s;
	if ((r = krule_ledger_save(k)) < 0) {
		k->n_rules--;
		return r;
	}
	r = krule_request(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, s);
	if (r < 0) {
		k->n_rules--;
		krule_ledger_save(k);
	}
	return r;
}

int krule_flush(struct krule *k)
{
	int last = 0;

	while (k->n_rules) {
		const struct krule_spec *s = &k->rules[k->n_rules - 1];
		int r = krule_request(k, RTM_DELRULE, 0, s);

		if (r < 0 && r != -ENOENT)
			last = r;
		k->n_rules--;
	}
	krule_ledger_save(k);
	return last;
}

int krule_mark_note(struct krule *k, const char *ifname, uint32_t mark,
		    uint32_t prev)
{
	struct krule_mark *m;

	if (strlen(ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	krule_mark_forget(k, ifname);
	if (k->n_marks == KRULE_MAX)
		return -ENOSPC;
	m = &k->marks[k->n_marks++];
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	m->mark = mark;
	m->prev = prev;
	return krule_ledger_save(k);
}

void krule_mark_forget(struct krule *k, const char *ifname)
{
	for (size_t i = 0; i < k->n_marks; i++) {
		if (strcmp(k->marks[i].ifname, ifname))
			continue;
		k->marks[i] = k->marks[--k->n_marks];
		krule_ledger_save(k);
		return;
	}
}

bool krule_mark_find(const struct krule *k, const char *ifname,
		     uint32_t *mark, uint32_t *prev)
{
	for (size_t i = 0; i < k->n_marks; i++) {
		if (strcmp(k->marks[i].ifname, ifname))
			continue;
		*mark = k->marks[i].mark;
		*prev = k->marks[i].prev;
		return true;
	}
	return false;
}

const char *krule_mark_next(const struct krule *k, size_t *it,
			    uint32_t *mark, uint32_t *prev)
{
	const struct krule_mark *m;

	if (*it >= k->n_marks)
		return NULL;
	m = &k->marks[(*it)++];
	*mark = m->mark;
	*prev = m->prev;
	return m->ifname;
}
