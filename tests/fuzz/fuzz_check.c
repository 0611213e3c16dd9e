/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_check.c — parse -> write -> parse invariants of proto/wire
 * (see fuzz_check.h). Shared by fuzz_packet.c and test_corpus_replay.c.
 */
#include "tests/fuzz/fuzz_check.h"
#include "proto/wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tlv_list {
	struct babel_tlv *v;
	size_t n, cap;
};

static int list_push(struct tlv_list *l, const struct babel_tlv *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct babel_tlv *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (why && whylen)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool prefix_sane(const struct babel_prefix *p)
{
	struct babel_prefix m = *p;

	if (p->af == BABEL_AF_NONE)
		return p->plen == 0;
	if (p->af != BABEL_AF_INET && p->af != BABEL_AF_INET6)
		return false;
	if (p->plen > (p->af == BABEL_AF_INET ? 32 : 128))
		return false;
	babel_prefix_mask(&m);
	return memcmp(m.addr, p->addr, sizeof(m.addr)) == 0;
}

static const char *tlv_insane(const struct babel_tlv *t)
{
	const struct babel_update *u = &t->update;

	switch (t->type) {
	case BABEL_TLV_UPDATE:
		if (!prefix_sane(&u->prefix) ||
		    (u->has_src_prefix && !prefix_sane(&u->src_prefix)))
			return "update prefix not sane";
		if (u->ae == BABEL_AE_WILDCARD)
			return u->prefix.af == BABEL_AF_NONE &&
			       u->metric == BABEL_INFINITY ? NULL : "bad wildcard";
		if (u->ae == BABEL_AE_IPV6_LL || u->ae > BABEL_AE_MAX)
			return "update with AE 3 or unknown";
		/* A retraction carries no next hop; it names its source by the
		 * router-id in force when there is one (as babeld's do). */
		if (u->metric == BABEL_INFINITY)
			return u->next_hop.af ? "retraction with a next hop" : NULL;
		if (!u->has_router_id)
			return "update without router-id";
		if (u->next_hop.af != (u->ae == BABEL_AE_IPV4 ? BABEL_AF_INET : BABEL_AF_INET6))
			return "update next hop of the wrong family";
		return NULL;
	case BABEL_TLV_ROUTE_REQ:
		return prefix_sane(&t->route_req.prefix) ? NULL : "route req prefix";
	case BABEL_TLV_SEQNO_REQ:
		if (t->seqno_req.hop_count == 0 || t->seqno_req.ae == BABEL_AE_WILDCARD)
			return "seqno req hop count 0 or wildcard";
		return prefix_sane(&t->seqno_req.prefix) ? NULL : "seqno req prefix";
	case BABEL_TLV_NEXT_HOP:
		return t->next_hop.addr.af != BABEL_AF_NONE ? NULL : "next hop without address";
	case BABEL_TLV_PAD1:
	case BABEL_TLV_PADN:
		return "padding returned";
	default:
		return NULL;
	}
}

static bool is_state_tlv(const struct babel_tlv *t)
{
	return t->type == BABEL_TLV_ROUTER_ID || t->type == BABEL_TLV_NEXT_HOP;
}

static int parse_all(const uint8_t *buf, size_t len, const struct babel_addr *src,
		     struct tlv_list *out, bool skip_state)
{
	struct babel_parser p;
	struct babel_tlv t;

	if (babel_parser_init(&p, buf, len, src, NULL) < 0)
		return -EBADMSG;
	while (babel_parser_next(&p, &t) == 1) {
		if (skip_state && is_state_tlv(&t))
			continue;
		if (list_push(out, &t) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Write one TLV into a fresh packet and parse it back: the last TLV out
 * (after any Router-Id / Next Hop the writer added) must equal it. */
static int check_alone(const struct babel_tlv *t, const struct babel_addr *src,
		       char *why, size_t whylen)
{
	uint8_t buf[256];
	struct babel_writer w;
	struct babel_parser p;
	struct babel_tlv back, last;
	size_t len;
	int rc, n = 0;

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, src);
	rc = babel_write_tlv(&w, t);
	if (rc < 0)
		return fail(why, whylen, "writer refused a parsed TLV type %u: %d",
			    t->type, rc);
	len = babel_writer_finish(&w);
	if (babel_parser_init(&p, buf, len, src, NULL) < 0)
		return fail(why, whylen, "writer output has a bad header");
	while (babel_parser_next(&p, &back) == 1) {
		last = back;
		n++;
	}
	if (n == 0 || !babel_tlv_equal(t, &last))
		return fail(why, whylen, "TLV type %u changed in a round trip", t->type);
	return 0;
}

/* Write the whole sequence with one writer, starting a new packet on
 * -ENOSPC as a sender does, and parse every packet back. */
static int check_sequence(const struct tlv_list *in, const struct babel_addr *src,
			  char *why, size_t whylen)
{
	enum { CAP = 1400 };
	uint8_t buf[CAP];
	struct babel_writer w;
	struct tlv_list out = { 0 }, want = { 0 };
	size_t i, len;
	int rc = 0;

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, src);
	for (i = 0; i < in->n && rc == 0; i++) {
		int wr = babel_write_tlv(&w, &in->v[i]);

		if (wr == -ENOSPC && !babel_writer_empty(&w)) {
			len = babel_writer_finish(&w);
			rc = parse_all(buf, len, src, &out, true);
			babel_writer_init(&w, buf, sizeof(buf));
			babel_writer_set_source(&w, src);
			wr = babel_write_tlv(&w, &in->v[i]);
		}
		if (wr < 0 && rc == 0)
			rc = fail(why, whylen, "sequence writer refused TLV %zu: %d", i, wr);
		if (!is_state_tlv(&in->v[i]) && list_push(&want, &in->v[i]) < 0)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		len = babel_writer_finish(&w);
		rc = parse_all(buf, len, src, &out, true);
	}
	if (rc == 0 && out.n != want.n)
		rc = fail(why, whylen, "sequence: %zu TLVs in, %zu out", want.n, out.n);
	for (i = 0; rc == 0 && i < want.n; i++)
		if (!babel_tlv_equal(&want.v[i], &out.v[i]))
			rc = fail(why, whylen, "sequence: TLV %zu (type %u) differs",
				  i, want.v[i].type);
	free(out.v);
	free(want.v);
	return rc;
}

int fuzz_check_input(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	struct babel_addr src = { 0 };
	struct babel_parse_stats st = { 0 };
	struct babel_parser p;
	struct babel_tlv t;
	struct tlv_list all = { 0 };
	const char *bad;
	int rc = 0;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		src.af = BABEL_AF_INET6;
		src.addr[0] = 0xfe;
		src.addr[1] = 0x80;
		src.addr[15] = 1;
	} else {
		src.af = BABEL_AF_INET;
		src.addr[0] = 10;
		src.addr[3] = 1;
	}
	if (babel_parser_init(&p, data + 1, size - 1, &src, &st) < 0)
		return 0;
	while (rc == 0 && babel_parser_next(&p, &t) == 1) {
		bad = tlv_insane(&t);
		if (bad)
			rc = fail(why, whylen, "parsed TLV type %u: %s", t.type, bad);
		if (rc == 0)
			rc = check_alone(&t, &src, why, whylen);
		if (rc == 0 && list_push(&all, &t) < 0)
			rc = fail(why, whylen, "out of memory");
	}
	if (rc == 0)
		rc = check_sequence(&all, &src, why, whylen);
	free(all.v);
	return rc;
}
