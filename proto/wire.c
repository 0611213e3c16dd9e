/* SPDX-License-Identifier: MIT */
/*
 * proto/wire.c — the Babel packet parser (RFC 8966 §4, RFC 9229 AE 4,
 * RFC 9616 timestamps, RFC 9079 source prefixes) and the prefix helpers.
 *
 * One walker frames the TLVs of a packet and one frames the sub-TLVs of a
 * TLV; each TLV type has its own small parser that fills a plain struct,
 * resolved against the per-packet parse state of §4.5. Nothing here touches
 * routing state. The writer lives in wire_write.c.
 */
#include "proto/wire.h"
#include "proto/bytes.h"
#include "proto/wire_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAT_INC(p, field) do { if ((p)->stats) (p)->stats->field++; } while (0)

/* What became of one TLV. */
enum tlv_verdict {
	TLV_RETURN,		/* hand it to the caller */
	TLV_PAD,		/* padding, silently skipped */
	TLV_UNKNOWN,		/* unknown type (§4.3) */
	TLV_MALFORMED,		/* dropped */
	TLV_MANDATORY,		/* unknown mandatory sub-TLV (§4.4) */
	TLV_NO_ROUTER_ID,	/* Update with no router-id in force (§4.6.9) */
	TLV_NO_NEXT_HOP,	/* Update with no next hop for its family */
};

/* ---- address encodings (RFC 8966 §4.1.4, RFC 9229 §2.1) ---- */

uint8_t babel_ae_af(uint8_t ae)
{
	switch (ae) {
	case BABEL_AE_IPV4:
	case BABEL_AE_IPV4_VIA_IPV6:
		return BABEL_AF_INET;
	case BABEL_AE_IPV6:
	case BABEL_AE_IPV6_LL:
		return BABEL_AF_INET6;
	default:
		return BABEL_AF_NONE;
	}
}

unsigned babel_af_len(uint8_t af)
{
	return af == BABEL_AF_INET ? 4 : af == BABEL_AF_INET6 ? 16 : 0;
}

bool babel_addr_is_ll(const struct babel_addr *a)
{
	static const uint8_t ll[8] = { 0xfe, 0x80 };

	return a->af == BABEL_AF_INET6 && memcmp(a->addr, ll, 8) == 0;
}

/*
 * An address as carried by IHU and Next Hop: AE 1 is 4 bytes, AE 2 is 16,
 * AE 3 is the 8 low bytes of an fe80::/64 address (§4.1.4).
 */
static bool read_addr(struct bytes_rd *r, uint8_t ae, struct babel_addr *a)
{
	memset(a, 0, sizeof(*a));
	switch (ae) {
	case BABEL_AE_IPV4:
		a->af = BABEL_AF_INET;
		return bytes_get_mem(r, a->addr, 4);
	case BABEL_AE_IPV6:
		a->af = BABEL_AF_INET6;
		return bytes_get_mem(r, a->addr, 16);
	case BABEL_AE_IPV6_LL:
		a->af = BABEL_AF_INET6;
		a->addr[0] = 0xfe;
		a->addr[1] = 0x80;
		return bytes_get_mem(r, a->addr + 8, 8);
	default:
		return false;
	}
}

/*
 * A prefix of AE 1, 2 or 4: ceil(plen/8) bytes, of which the first omitted
 * are taken from the default prefix dflt (NULL when none is set). RFC 8966
 * §4.6.9: plen longer than the family allows, Omitted larger than the
 * prefix, or Omitted without a default prefix make the TLV malformed.
 */
static bool read_prefix(struct bytes_rd *r, uint8_t ae, uint8_t plen,
			uint8_t omitted, const uint8_t *dflt,
			struct babel_prefix *out)
{
	uint8_t af = babel_ae_af(ae);
	unsigned alen = babel_af_len(af);
	unsigned nbytes = (plen + 7u) / 8u;

	memset(out, 0, sizeof(*out));
	if (af == BABEL_AF_NONE || ae == BABEL_AE_IPV6_LL)
		return false;
	if (plen > alen * 8 || omitted > nbytes)
		return false;
	if (omitted > 0 && dflt == NULL)
		return false;
	out->af = af;
	out->plen = plen;
	if (omitted)
		memcpy(out->addr, dflt, omitted);
	if (!bytes_get_mem(r, out->addr + omitted, nbytes - omitted))
		return false;
	babel_prefix_mask(out);
	return true;
}

/* ---- sub-TLVs (RFC 8966 §4.4) ---- */

struct subtlvs {
	bool has_ts;
	uint32_t ts[2];
	bool has_src;
	struct babel_prefix src;
	uint16_t restart_cs;
};

/*
 * RFC 9079 §7.1: the Source Prefix sub-TLV carries Source Plen and
 * ceil(plen/8) bytes in the family of the enclosing TLV. Plen 0 is
 * malformed; a second one or one on a wildcard makes the TLV ignored.
 */
static enum tlv_verdict parse_src_prefix(struct bytes_rd *r, uint8_t ae,
					 struct subtlvs *out)
{
	uint8_t splen;

	if (out->has_src || ae == BABEL_AE_WILDCARD)
		return TLV_MALFORMED;
	if (!bytes_get_u8(r, &splen) || splen == 0)
		return TLV_MALFORMED;
	if (!read_prefix(r, ae, splen, 0, NULL, &out->src))
		return TLV_MALFORMED;
	out->has_src = true;
	return TLV_RETURN;
}

/*
 * The one sub-TLV walker. Which sub-TLVs are understood depends on the
 * enclosing TLV type: Timestamp in Hello (4 bytes) and IHU (8 bytes), RFC
 * 9616 §3; our experimental Restart in Hello (2 bytes); Source Prefix in
 * Update, Route Request and Seqno Request. Any other sub-TLV is skipped
 * unless its mandatory bit is set (§4.4).
 */
static enum tlv_verdict parse_subtlvs(struct babel_parser *p, uint8_t tlv_type,
				      uint8_t ae, struct bytes_rd r,
				      struct subtlvs *out)
{
	memset(out, 0, sizeof(*out));
	while (r.left > 0) {
		uint8_t type, len;
		struct bytes_rd body;
		enum tlv_verdict v;

		if (!bytes_get_u8(&r, &type))
			return TLV_MALFORMED;
		if (type == BABEL_SUBTLV_PAD1)
			continue;
		if (!bytes_get_u8(&r, &len))
			return TLV_MALFORMED;
		body = bytes_rd_make(r.p, len);
		if (!bytes_skip(&r, len))
			return TLV_MALFORMED;

		if (type == BABEL_SUBTLV_PADN)
			continue;
		if (type == BABEL_SUBTLV_TIMESTAMP && tlv_type == BABEL_TLV_HELLO) {
			if (bytes_get_u32(&body, &out->ts[0]))
				out->has_ts = true;
			else
				STAT_INC(p, bad_subtlvs);
			continue;
		}
		if (type == BABEL_SUBTLV_RESTART && tlv_type == BABEL_TLV_HELLO) {
			if (!bytes_get_u16(&body, &out->restart_cs))
				STAT_INC(p, bad_subtlvs);
			continue;
		}
		if (type == BABEL_SUBTLV_TIMESTAMP && tlv_type == BABEL_TLV_IHU) {
			if (body.left >= 8) {
				bytes_get_u32(&body, &out->ts[0]);
				bytes_get_u32(&body, &out->ts[1]);
				out->has_ts = true;
			} else {
				STAT_INC(p, bad_subtlvs);
			}
			continue;
		}
		if (type == BABEL_SUBTLV_SOURCE_PREFIX &&
		    (tlv_type == BABEL_TLV_UPDATE ||
		     tlv_type == BABEL_TLV_ROUTE_REQ ||
		     tlv_type == BABEL_TLV_SEQNO_REQ)) {
			v = parse_src_prefix(&body, ae, out);
			if (v != TLV_RETURN)
				return v;
			continue;
		}
		if (type & BABEL_SUBTLV_MANDATORY)
			return TLV_MANDATORY;
	}
	return TLV_RETURN;
}

/* ---- TLV parsers, one per type (RFC 8966 §4.6) ---- */

/* §4.6.3 */
static enum tlv_verdict parse_ack_req(struct babel_parser *p, struct bytes_rd r,
				      struct babel_tlv *t)
{
	struct subtlvs st;

	if (!bytes_skip(&r, 2) || !bytes_get_u16(&r, &t->ack_req.nonce) ||
	    !bytes_get_u16(&r, &t->ack_req.interval))
		return TLV_MALFORMED;
	return parse_subtlvs(p, t->type, 0, r, &st);
}

/* §4.6.4 */
static enum tlv_verdict parse_ack(struct babel_parser *p, struct bytes_rd r,
				  struct babel_tlv *t)
{
	struct subtlvs st;

	if (!bytes_get_u16(&r, &t->ack.nonce))
		return TLV_MALFORMED;
	return parse_subtlvs(p, t->type, 0, r, &st);
}

/*
 * §4.6.5. An Interval of 0 is valid for both multicast and unicast Hellos:
 * it marks an unscheduled Hello.
 */
static enum tlv_verdict parse_hello(struct babel_parser *p, struct bytes_rd r,
				    struct babel_tlv *t)
{
	struct babel_hello *h = &t->hello;
	struct subtlvs st;
	enum tlv_verdict v;

	if (!bytes_get_u16(&r, &h->flags) || !bytes_get_u16(&r, &h->seqno) ||
	    !bytes_get_u16(&r, &h->interval))
		return TLV_MALFORMED;
	v = parse_subtlvs(p, t->type, 0, r, &st);
	h->has_timestamp = st.has_ts;
	h->timestamp = st.ts[0];
	h->restart_cs = st.restart_cs;
	return v;
}

/*
 * §4.6.6: AE 0 (no address), 1, 2 or 3; no compression. AE 4 names a
 * prefix family, not an address: malformed here.
 */
static enum tlv_verdict parse_ihu(struct babel_parser *p, struct bytes_rd r,
				  struct babel_tlv *t)
{
	struct babel_ihu *ihu = &t->ihu;
	struct subtlvs st;
	enum tlv_verdict v;

	if (!bytes_get_u8(&r, &ihu->ae) || !bytes_skip(&r, 1) ||
	    !bytes_get_u16(&r, &ihu->rxcost) || !bytes_get_u16(&r, &ihu->interval))
		return TLV_MALFORMED;
	if (ihu->ae != BABEL_AE_WILDCARD && (ihu->ae > BABEL_AE_IPV6_LL ||
					     !read_addr(&r, ihu->ae, &ihu->addr)))
		return TLV_MALFORMED;
	v = parse_subtlvs(p, t->type, ihu->ae, r, &st);
	ihu->has_timestamp = st.has_ts;
	ihu->ts_origin = st.ts[0];
	ihu->ts_receive = st.ts[1];
	return v;
}

/* §4.6.7: the Router-Id must be neither all zeroes nor all ones. */
static bool router_id_valid(const uint8_t id[8])
{
	static const uint8_t zeroes[8], ones[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(id, zeroes, 8) != 0 && memcmp(id, ones, 8) != 0;
}

/*
 * §4.6.7. A malformed Router-Id leaves no router-id in force: the Updates
 * after it must not be attributed to the previous one.
 */
static enum tlv_verdict parse_router_id(struct babel_parser *p, struct bytes_rd r,
					struct babel_tlv *t)
{
	struct subtlvs st;
	enum tlv_verdict v;

	if (!bytes_skip(&r, 2) || !bytes_get_mem(&r, t->router_id.id, 8) ||
	    !router_id_valid(t->router_id.id)) {
		p->have_router_id = false;
		return TLV_MALFORMED;
	}
	v = parse_subtlvs(p, t->type, 0, r, &st);
	if (v != TLV_RETURN)
		return v;
	memcpy(p->router_id, t->router_id.id, 8);
	p->have_router_id = true;
	return TLV_RETURN;
}

/*
 * §4.6.8: AE 1, 2 or 3 (AE 0 has no address; AE 4 is invalid in a Next Hop,
 * RFC 9229 §2.4). A malformed Next Hop of a known family leaves no next hop
 * in force for that family.
 */
static enum tlv_verdict parse_next_hop(struct babel_parser *p, struct bytes_rd r,
				       struct babel_tlv *t)
{
	struct babel_next_hop *nh = &t->next_hop;
	struct subtlvs st;
	enum tlv_verdict v;

	if (!bytes_get_u8(&r, &nh->ae) || !bytes_skip(&r, 1))
		return TLV_MALFORMED;
	if (nh->ae == BABEL_AE_WILDCARD || nh->ae > BABEL_AE_IPV6_LL)
		return TLV_MALFORMED;
	if (!read_addr(&r, nh->ae, &nh->addr)) {
		if (nh->ae == BABEL_AE_IPV4)
			p->have_nh4 = false;
		else
			p->have_nh6 = false;
		return TLV_MALFORMED;
	}
	v = parse_subtlvs(p, t->type, nh->ae, r, &st);
	if (v != TLV_RETURN)
		return v;
	if (nh->addr.af == BABEL_AF_INET) {
		p->nh4 = nh->addr;
		p->have_nh4 = true;
	} else {
		p->nh6 = nh->addr;
		p->have_nh6 = true;
	}
	return TLV_RETURN;
}

/*
 * §4.6.9, flag 0x40: the router-id is the low 8 bytes of the prefix. An
 * IPv4 prefix has only 4: like babeld, they are preceded by 4 zero bytes.
 */
static void router_id_from_prefix(const struct babel_prefix *pfx, uint8_t id[8])
{
	if (pfx->af == BABEL_AF_INET) {
		memset(id, 0, 4);
		memcpy(id + 4, pfx->addr, 4);
	} else {
		memcpy(id, pfx->addr + 8, 8);
	}
}

/* §4.6.9: AE 0 is only a wildcard retraction: plen 0, metric infinity. */
static enum tlv_verdict parse_wildcard_update(struct babel_parser *p,
					      struct bytes_rd r,
					      struct babel_tlv *t)
{
	struct babel_update *u = &t->update;
	struct subtlvs st;
	enum tlv_verdict v;

	if (u->prefix.plen != 0 || u->metric != BABEL_INFINITY)
		return TLV_MALFORMED;
	v = parse_subtlvs(p, t->type, u->ae, r, &st);
	memset(&u->prefix, 0, sizeof(u->prefix));
	return v;
}

static enum tlv_verdict parse_update(struct babel_parser *p, struct bytes_rd r,
				     struct babel_tlv *t)
{
	struct babel_update *u = &t->update;
	uint8_t omitted;
	struct subtlvs st;
	enum tlv_verdict v;
	bool ok;

	if (!bytes_get_u8(&r, &u->ae) || !bytes_get_u8(&r, &u->flags) ||
	    !bytes_get_u8(&r, &u->prefix.plen) || !bytes_get_u8(&r, &omitted) ||
	    !bytes_get_u16(&r, &u->interval) || !bytes_get_u16(&r, &u->seqno) ||
	    !bytes_get_u16(&r, &u->metric)) {
		/* The sender meant to set a default prefix we cannot know. */
		if ((u->flags & BABEL_UPDATE_F_DEFAULT_PREFIX) && u->ae <= BABEL_AE_MAX)
			p->have_default[u->ae] = false;
		return TLV_MALFORMED;
	}
	if (u->ae == BABEL_AE_WILDCARD) {
		if (omitted != 0)
			return TLV_MALFORMED;
		return parse_wildcard_update(p, r, t);
	}
	/* AE 3 is for link-local addresses, which are never routed. */
	if (u->ae > BABEL_AE_MAX || u->ae == BABEL_AE_IPV6_LL)
		return TLV_MALFORMED;

	ok = read_prefix(&r, u->ae, u->prefix.plen, omitted,
			 p->have_default[u->ae] ? p->default_prefix[u->ae] : NULL,
			 &u->prefix);
	if (!ok) {
		if (u->flags & BABEL_UPDATE_F_DEFAULT_PREFIX)
			p->have_default[u->ae] = false;
		return TLV_MALFORMED;
	}
	/*
	 * The default prefix and router-id flags change the parse state even
	 * if the TLV is then ignored for its sub-TLVs: the sender compressed
	 * what follows against them.
	 */
	if (u->flags & BABEL_UPDATE_F_DEFAULT_PREFIX) {
		memcpy(p->default_prefix[u->ae], u->prefix.addr, 16);
		p->have_default[u->ae] = true;
	}
	if (u->flags & BABEL_UPDATE_F_ROUTER_ID) {
		/* An all-zeroes or all-ones result is no router-id (§4.6.7). */
		router_id_from_prefix(&u->prefix, p->router_id);
		p->have_router_id = router_id_valid(p->router_id);
		if (!p->have_router_id)
			return TLV_MALFORMED;
	}

	v = parse_subtlvs(p, t->type, u->ae, r, &st);
	if (v != TLV_RETURN)
		return v;
	u->has_src_prefix = st.has_src;
	u->src_prefix = st.src;

	if (u->metric == BABEL_INFINITY) {
		/* A retraction needs neither; the router-id in force, if
		 * any, names the source it retracts. */
		if (p->have_router_id && u->ae != BABEL_AE_WILDCARD) {
			u->has_router_id = true;
			memcpy(u->router_id, p->router_id, 8);
		}
		return TLV_RETURN;
	}
	if (!p->have_router_id)
		return TLV_NO_ROUTER_ID;
	u->has_router_id = true;
	memcpy(u->router_id, p->router_id, 8);
	if (u->ae == BABEL_AE_IPV4) {
		if (!p->have_nh4)
			return TLV_NO_NEXT_HOP;
		u->next_hop = p->nh4;
	} else {
		/* AE 2 and AE 4 (RFC 9229 §2.2) both use the IPv6 next hop. */
		if (!p->have_nh6)
			return TLV_NO_NEXT_HOP;
		u->next_hop = p->nh6;
	}
	return TLV_RETURN;
}

/* §4.6.10: AE 0 asks for a full dump and has plen 0; no compression. */
static enum tlv_verdict parse_route_req(struct babel_parser *p, struct bytes_rd r,
					struct babel_tlv *t)
{
	struct babel_route_req *rq = &t->route_req;
	struct subtlvs st;
	uint8_t plen;
	enum tlv_verdict v;

	if (!bytes_get_u8(&r, &rq->ae) || !bytes_get_u8(&r, &plen))
		return TLV_MALFORMED;
	if (rq->ae == BABEL_AE_WILDCARD) {
		if (plen != 0)
			return TLV_MALFORMED;
	} else if (!read_prefix(&r, rq->ae, plen, 0, NULL, &rq->prefix)) {
		return TLV_MALFORMED;
	}
	v = parse_subtlvs(p, t->type, rq->ae, r, &st);
	rq->has_src_prefix = st.has_src;
	rq->src_prefix = st.src;
	return v;
}

/* §4.6.11: AE 0 is malformed, and so is a Hop Count of 0. */
static enum tlv_verdict parse_seqno_req(struct babel_parser *p, struct bytes_rd r,
					struct babel_tlv *t)
{
	struct babel_seqno_req *rq = &t->seqno_req;
	struct subtlvs st;
	uint8_t plen;
	enum tlv_verdict v;

	if (!bytes_get_u8(&r, &rq->ae) || !bytes_get_u8(&r, &plen) ||
	    !bytes_get_u16(&r, &rq->seqno) || !bytes_get_u8(&r, &rq->hop_count) ||
	    !bytes_skip(&r, 1) || !bytes_get_mem(&r, rq->router_id, 8))
		return TLV_MALFORMED;
	if (rq->hop_count == 0)
		return TLV_MALFORMED;
	if (!read_prefix(&r, rq->ae, plen, 0, NULL, &rq->prefix))
		return TLV_MALFORMED;
	v = parse_subtlvs(p, t->type, rq->ae, r, &st);
	rq->has_src_prefix = st.has_src;
	rq->src_prefix = st.src;
	return v;
}

static enum tlv_verdict parse_tlv(struct babel_parser *p, struct bytes_rd r,
				  struct babel_tlv *t)
{
	switch (t->type) {
	case BABEL_TLV_PADN:
		return TLV_PAD;
	case BABEL_TLV_ACK_REQ:
		return parse_ack_req(p, r, t);
	case BABEL_TLV_ACK:
		return parse_ack(p, r, t);
	case BABEL_TLV_HELLO:
		return parse_hello(p, r, t);
	case BABEL_TLV_IHU:
		return parse_ihu(p, r, t);
	case BABEL_TLV_ROUTER_ID:
		return parse_router_id(p, r, t);
	case BABEL_TLV_NEXT_HOP:
		return parse_next_hop(p, r, t);
	case BABEL_TLV_UPDATE:
		return parse_update(p, r, t);
	case BABEL_TLV_ROUTE_REQ:
		return parse_route_req(p, r, t);
	case BABEL_TLV_SEQNO_REQ:
		return parse_seqno_req(p, r, t);
	default:
		return TLV_UNKNOWN;
	}
}

/* ---- the packet walker (§4.2, §4.3) ---- */

int babel_parser_init(struct babel_parser *p, const uint8_t *buf, size_t len,
		      const struct babel_addr *source,
		      struct babel_parse_stats *stats)
{
	struct bytes_rd r = bytes_rd_make(buf, len);
	uint8_t magic, version;
	uint16_t body_len;

	memset(p, 0, sizeof(*p));
	p->stats = stats;
	STAT_INC(p, packets);
	if (buf == NULL || !bytes_get_u8(&r, &magic) ||
	    !bytes_get_u8(&r, &version) || !bytes_get_u16(&r, &body_len) ||
	    magic != BABEL_MAGIC || version != BABEL_VERSION ||
	    body_len > r.left) {
		STAT_INC(p, bad_packets);
		return -EBADMSG;
	}
	p->body = r.p;
	p->body_len = body_len;
	/* §4.5: the source address is the initial next hop of its family. */
	if (source) {
		p->source = *source;
		if (source->af == BABEL_AF_INET) {
			p->nh4 = *source;
			p->have_nh4 = true;
		} else if (source->af == BABEL_AF_INET6) {
			p->nh6 = *source;
			p->have_nh6 = true;
		}
	}
	return 0;
}

int babel_parser_next(struct babel_parser *p, struct babel_tlv *tlv)
{
	while (p->off < p->body_len) {
		struct bytes_rd r = bytes_rd_make(p->body + p->off,
						  p->body_len - p->off);
		uint8_t type = 0, len = 0;
		struct bytes_rd body;

		bytes_get_u8(&r, &type);	/* off < body_len: one byte is there */
		if (type == BABEL_TLV_PAD1) {
			p->off++;
			continue;
		}
		if (!bytes_get_u8(&r, &len) || len > r.left) {
			STAT_INC(p, truncated);
			p->off = p->body_len;
			return 0;
		}
		body = bytes_rd_make(r.p, len);
		p->off += 2u + len;

		memset(tlv, 0, sizeof(*tlv));
		tlv->type = type;
		switch (parse_tlv(p, body, tlv)) {
		case TLV_RETURN:
			return 1;
		case TLV_PAD:
			break;
		case TLV_UNKNOWN:
			STAT_INC(p, unknown_tlvs);
			break;
		case TLV_MALFORMED:
			STAT_INC(p, bad_tlvs);
			break;
		case TLV_MANDATORY:
			STAT_INC(p, mandatory_subtlv);
			break;
		case TLV_NO_ROUTER_ID:
			STAT_INC(p, updates_without_router_id);
			break;
		case TLV_NO_NEXT_HOP:
			STAT_INC(p, updates_without_next_hop);
			break;
		}
	}
	return 0;
}

/* ---- comparisons and prefix helpers ---- */

bool babel_addr_equal(const struct babel_addr *a, const struct babel_addr *b)
{
	return a->af == b->af &&
	       memcmp(a->addr, b->addr, babel_af_len(a->af)) == 0;
}

bool babel_prefix_equal(const struct babel_prefix *a, const struct babel_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, babel_af_len(a->af)) == 0;
}

void babel_prefix_mask(struct babel_prefix *p)
{
	unsigned alen = babel_af_len(p->af);
	unsigned plen = p->plen > alen * 8 ? alen * 8 : p->plen;
	unsigned i;

	for (i = 0; i < sizeof(p->addr); i++) {
		if (i * 8 >= plen)
			p->addr[i] = 0;
		else if (i * 8 + 8 > plen)
			p->addr[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
}

uint8_t babel_ae_for(const struct babel_prefix *p, const struct babel_addr *nh)
{
	if (p->af == BABEL_AF_INET)
		return nh && nh->af == BABEL_AF_INET6 ? BABEL_AE_IPV4_VIA_IPV6
						      : BABEL_AE_IPV4;
	if (p->af == BABEL_AF_INET6)
		return BABEL_AE_IPV6;
	return BABEL_AE_WILDCARD;
}

static bool src_equal(bool ha, const struct babel_prefix *a,
		      bool hb, const struct babel_prefix *b)
{
	return ha == hb && (!ha || babel_prefix_equal(a, b));
}

static bool update_equal(const struct babel_update *a, const struct babel_update *b)
{
	return a->ae == b->ae && a->interval == b->interval &&
	       a->seqno == b->seqno && a->metric == b->metric &&
	       babel_prefix_equal(&a->prefix, &b->prefix) &&
	       src_equal(a->has_src_prefix, &a->src_prefix,
			 b->has_src_prefix, &b->src_prefix) &&
	       (a->metric == BABEL_INFINITY ||
		(a->has_router_id == b->has_router_id &&
		 (!a->has_router_id ||
		  memcmp(a->router_id, b->router_id, 8) == 0))) &&
	       babel_addr_equal(&a->next_hop, &b->next_hop);
}

bool babel_packet_has_update(const uint8_t *buf, size_t len)
{
	size_t body, off = BABEL_HEADER_LEN;

	if (len < BABEL_HEADER_LEN)
		return true;
	body = (size_t)buf[2] << 8 | buf[3];
	if (body > len - BABEL_HEADER_LEN)
		return true;
	while (off < BABEL_HEADER_LEN + body) {
		uint8_t type = buf[off];

		if (type == BABEL_TLV_PAD1) {
			off++;
			continue;
		}
		if (type == BABEL_TLV_UPDATE)
			return true;
		if (off + 2 > BABEL_HEADER_LEN + body)
			return true;
		off += 2 + (size_t)buf[off + 1];
	}
	return off != BABEL_HEADER_LEN + body;
}

bool babel_tlv_equal(const struct babel_tlv *a, const struct babel_tlv *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case BABEL_TLV_ACK_REQ:
		return a->ack_req.nonce == b->ack_req.nonce &&
		       a->ack_req.interval == b->ack_req.interval;
	case BABEL_TLV_ACK:
		return a->ack.nonce == b->ack.nonce;
	case BABEL_TLV_HELLO:
		return a->hello.flags == b->hello.flags &&
		       a->hello.seqno == b->hello.seqno &&
		       a->hello.interval == b->hello.interval &&
		       a->hello.has_timestamp == b->hello.has_timestamp &&
		       (!a->hello.has_timestamp ||
			a->hello.timestamp == b->hello.timestamp) &&
		       a->hello.restart_cs == b->hello.restart_cs;
	case BABEL_TLV_IHU:
		return a->ihu.ae == b->ihu.ae && a->ihu.rxcost == b->ihu.rxcost &&
		       a->ihu.interval == b->ihu.interval &&
		       babel_addr_equal(&a->ihu.addr, &b->ihu.addr) &&
		       a->ihu.has_timestamp == b->ihu.has_timestamp &&
		       (!a->ihu.has_timestamp ||
			(a->ihu.ts_origin == b->ihu.ts_origin &&
			 a->ihu.ts_receive == b->ihu.ts_receive));
	case BABEL_TLV_ROUTER_ID:
		return memcmp(a->router_id.id, b->router_id.id, 8) == 0;
	case BABEL_TLV_NEXT_HOP:
		return a->next_hop.ae == b->next_hop.ae &&
		       babel_addr_equal(&a->next_hop.addr, &b->next_hop.addr);
	case BABEL_TLV_UPDATE:
		return update_equal(&a->update, &b->update);
	case BABEL_TLV_ROUTE_REQ:
		return a->route_req.ae == b->route_req.ae &&
		       babel_prefix_equal(&a->route_req.prefix, &b->route_req.prefix) &&
		       src_equal(a->route_req.has_src_prefix, &a->route_req.src_prefix,
				 b->route_req.has_src_prefix, &b->route_req.src_prefix);
	case BABEL_TLV_SEQNO_REQ:
		return a->seqno_req.ae == b->seqno_req.ae &&
		       a->seqno_req.seqno == b->seqno_req.seqno &&
		       a->seqno_req.hop_count == b->seqno_req.hop_count &&
		       memcmp(a->seqno_req.router_id, b->seqno_req.router_id, 8) == 0 &&
		       babel_prefix_equal(&a->seqno_req.prefix, &b->seqno_req.prefix) &&
		       src_equal(a->seqno_req.has_src_prefix, &a->seqno_req.src_prefix,
				 b->seqno_req.has_src_prefix, &b->seqno_req.src_prefix);
	default:
		return true;	/* Pad1/PadN carry nothing */
	}
}

const char *babel_prefix_str(const struct babel_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int fam = p->af == BABEL_AF_INET ? AF_INET : AF_INET6;

	if (len == 0)
		return buf;
	if (p->af != BABEL_AF_INET && p->af != BABEL_AF_INET6) {
		snprintf(buf, len, "*");
		return buf;
	}
	if (!inet_ntop(fam, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, (unsigned)p->plen);
	return buf;
}

int babel_prefix_parse(const char *s, struct babel_prefix *p)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned long plen;
	struct babel_prefix masked;

	memset(p, 0, sizeof(*p));
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "*") == 0)
		return 0;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, p->addr) == 1)
		p->af = BABEL_AF_INET;
	else if (inet_pton(AF_INET6, tmp, p->addr) == 1)
		p->af = BABEL_AF_INET6;
	else
		goto invalid;
	plen = babel_af_len(p->af) * 8;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			goto invalid;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > babel_af_len(p->af) * 8)
			goto invalid;
	}
	p->plen = (uint8_t)plen;
	masked = *p;
	babel_prefix_mask(&masked);
	if (!babel_prefix_equal(&masked, p))
		goto invalid;
	return 0;
invalid:
	memset(p, 0, sizeof(*p));
	return -EINVAL;
}
