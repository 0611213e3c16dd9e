/* SPDX-License-Identifier: MIT */
/*
 * proto/wire_write.c — the Babel packet writer (RFC 8966 §4).
 *
 * Every babel_write_* function first checks what it is given and computes
 * the exact number of bytes it needs (the TLV plus any Router-Id / Next Hop
 * it must emit first); only if all of it fits does it write and update the
 * writer's state. So a call either writes everything or returns an error
 * having touched neither the buffer nor the state.
 */
#include "proto/wire.h"
#include "proto/bytes.h"
#include "proto/wire_internal.h"

#include <errno.h>
#include <string.h>

#define BABEL_MAX_BODY 0xFFFFu
#define TLV_HDR_LEN 2u
#define SUBTLV_TS_HELLO_LEN (2u + 4u)	/* RFC 9616 §3.1 */
#define SUBTLV_TS_IHU_LEN (2u + 8u)	/* RFC 9616 §3.2 */
#define SUBTLV_RESTART_LEN (2u + 2u)	/* BABEL_SUBTLV_RESTART */

void babel_writer_init(struct babel_writer *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	if (buf == NULL || cap < BABEL_HEADER_LEN)
		return;		/* cap 0: every write fails with -ENOSPC */
	if (cap > BABEL_HEADER_LEN + BABEL_MAX_BODY)
		cap = BABEL_HEADER_LEN + BABEL_MAX_BODY;
	w->cap = cap;
	buf[0] = BABEL_MAGIC;
	buf[1] = BABEL_VERSION;
	buf[2] = 0;
	buf[3] = 0;
	w->len = BABEL_HEADER_LEN;
}

/* §4.5: the receiver starts with our source address as next hop. */
void babel_writer_set_source(struct babel_writer *w, const struct babel_addr *src)
{
	w->source = *src;
	if (src->af == BABEL_AF_INET && !w->have_nh4) {
		w->nh4 = *src;
		w->have_nh4 = true;
	} else if (src->af == BABEL_AF_INET6 && !w->have_nh6) {
		w->nh6 = *src;
		w->have_nh6 = true;
	}
}

bool babel_writer_empty(const struct babel_writer *w)
{
	return w->len <= BABEL_HEADER_LEN;
}

size_t babel_writer_finish(struct babel_writer *w)
{
	size_t body;

	if (w->len < BABEL_HEADER_LEN)
		return 0;
	body = w->len - BABEL_HEADER_LEN;
	w->buf[2] = (uint8_t)(body >> 8);
	w->buf[3] = (uint8_t)body;
	return w->len;
}

/* A cursor over exactly need bytes at the end of the packet, or -ENOSPC. */
static int reserve(const struct babel_writer *w, size_t need, struct bytes_wr *out)
{
	if (w->len > w->cap || need > w->cap - w->len)
		return -ENOSPC;
	*out = bytes_wr_make(w->buf + w->len, need);
	return 0;
}

/* Commit what was reserved; the sizes were computed exactly beforehand. */
static int commit(struct babel_writer *w, const struct bytes_wr *c, size_t need,
		  bool ok)
{
	if (!ok || c->left != 0)
		return -EFAULT;	/* a size computation above is wrong */
	w->len += need;
	return 0;
}

static bool put_tlv_hdr(struct bytes_wr *c, uint8_t type, size_t body_len)
{
	return bytes_put_u8(c, type) && bytes_put_u8(c, (uint8_t)body_len);
}

/* Bytes an address takes with AE ae in IHU / Next Hop (§4.1.4). */
static unsigned addr_wire_len(uint8_t ae)
{
	return ae == BABEL_AE_IPV4 ? 4 : ae == BABEL_AE_IPV6 ? 16 :
	       ae == BABEL_AE_IPV6_LL ? 8 : 0;
}

static bool addr_fits_ae(uint8_t ae, const struct babel_addr *a)
{
	switch (ae) {
	case BABEL_AE_IPV4:
		return a->af == BABEL_AF_INET;
	case BABEL_AE_IPV6:
		return a->af == BABEL_AF_INET6;
	case BABEL_AE_IPV6_LL:
		return babel_addr_is_ll(a);
	default:
		return false;
	}
}

static bool put_addr(struct bytes_wr *c, uint8_t ae, const struct babel_addr *a)
{
	if (ae == BABEL_AE_IPV6_LL)
		return bytes_put_mem(c, a->addr + 8, 8);
	return bytes_put_mem(c, a->addr, addr_wire_len(ae));
}

/* A prefix the AE can carry: right family, plen in range, host bits zero. */
static bool prefix_fits_ae(uint8_t ae, const struct babel_prefix *p)
{
	struct babel_prefix m = *p;

	if (ae != BABEL_AE_IPV4 && ae != BABEL_AE_IPV6 &&
	    ae != BABEL_AE_IPV4_VIA_IPV6)
		return false;
	if (p->af != babel_ae_af(ae) || p->plen > babel_af_len(p->af) * 8)
		return false;
	babel_prefix_mask(&m);
	return babel_prefix_equal(&m, p);
}

static unsigned prefix_bytes(const struct babel_prefix *p)
{
	return (p->plen + 7u) / 8u;
}

/* RFC 9079 §7.1: the Source Prefix sub-TLV; plen 0 is not allowed. */
static int src_prefix_len(uint8_t ae, bool has, const struct babel_prefix *src,
			  size_t *len)
{
	*len = 0;
	if (!has)
		return 0;
	if (ae == BABEL_AE_WILDCARD || src->plen == 0 || !prefix_fits_ae(ae, src))
		return -EINVAL;
	*len = TLV_HDR_LEN + 1u + prefix_bytes(src);
	return 0;
}

static bool put_src_prefix(struct bytes_wr *c, bool has,
			   const struct babel_prefix *src)
{
	if (!has)
		return true;
	return put_tlv_hdr(c, BABEL_SUBTLV_SOURCE_PREFIX, 1u + prefix_bytes(src)) &&
	       bytes_put_u8(c, src->plen) &&
	       bytes_put_mem(c, src->addr, prefix_bytes(src));
}

int babel_write_pad(struct babel_writer *w, size_t n)
{
	struct bytes_wr c;
	int rc;

	if (n == 0)
		return 0;
	if (n > TLV_HDR_LEN + 255u)
		return -EINVAL;
	rc = reserve(w, n, &c);
	if (rc < 0)
		return rc;
	if (n == 1)
		return commit(w, &c, n, bytes_put_u8(&c, BABEL_TLV_PAD1));
	/* §4.6.2: the PadN body must be zero. */
	return commit(w, &c, n, put_tlv_hdr(&c, BABEL_TLV_PADN, n - TLV_HDR_LEN) &&
			  bytes_put_zero(&c, n - TLV_HDR_LEN));
}

int babel_write_ack_req(struct babel_writer *w, const struct babel_ack_req *a)
{
	const size_t need = TLV_HDR_LEN + 6u;
	struct bytes_wr c;
	int rc = reserve(w, need, &c);

	if (rc < 0)
		return rc;
	return commit(w, &c, need, put_tlv_hdr(&c, BABEL_TLV_ACK_REQ, 6) &&
			  bytes_put_zero(&c, 2) && bytes_put_u16(&c, a->nonce) &&
			  bytes_put_u16(&c, a->interval));
}

int babel_write_ack(struct babel_writer *w, const struct babel_ack *a)
{
	const size_t need = TLV_HDR_LEN + 2u;
	struct bytes_wr c;
	int rc = reserve(w, need, &c);

	if (rc < 0)
		return rc;
	return commit(w, &c, need, put_tlv_hdr(&c, BABEL_TLV_ACK, 2) &&
			  bytes_put_u16(&c, a->nonce));
}

int babel_write_hello(struct babel_writer *w, const struct babel_hello *h)
{
	size_t body = 6u + (h->has_timestamp ? SUBTLV_TS_HELLO_LEN : 0) +
		      (h->restart_cs ? SUBTLV_RESTART_LEN : 0);
	size_t need = TLV_HDR_LEN + body;
	struct bytes_wr c;
	bool ok;
	int rc = reserve(w, need, &c);

	if (rc < 0)
		return rc;
	ok = put_tlv_hdr(&c, BABEL_TLV_HELLO, body) &&
	     bytes_put_u16(&c, h->flags) && bytes_put_u16(&c, h->seqno) &&
	     bytes_put_u16(&c, h->interval);
	if (h->has_timestamp)
		ok = ok && put_tlv_hdr(&c, BABEL_SUBTLV_TIMESTAMP, 4) &&
		     bytes_put_u32(&c, h->timestamp);
	if (h->restart_cs)
		ok = ok && put_tlv_hdr(&c, BABEL_SUBTLV_RESTART, 2) &&
		     bytes_put_u16(&c, h->restart_cs);
	return commit(w, &c, need, ok);
}

int babel_write_ihu(struct babel_writer *w, const struct babel_ihu *ihu)
{
	size_t body, need;
	struct bytes_wr c;
	bool ok;
	int rc;

	if (ihu->ae != BABEL_AE_WILDCARD && !addr_fits_ae(ihu->ae, &ihu->addr))
		return -EINVAL;
	body = 6u + addr_wire_len(ihu->ae) +
	       (ihu->has_timestamp ? SUBTLV_TS_IHU_LEN : 0);
	need = TLV_HDR_LEN + body;
	rc = reserve(w, need, &c);
	if (rc < 0)
		return rc;
	ok = put_tlv_hdr(&c, BABEL_TLV_IHU, body) && bytes_put_u8(&c, ihu->ae) &&
	     bytes_put_u8(&c, 0) && bytes_put_u16(&c, ihu->rxcost) &&
	     bytes_put_u16(&c, ihu->interval);
	if (ihu->ae != BABEL_AE_WILDCARD)
		ok = ok && put_addr(&c, ihu->ae, &ihu->addr);
	if (ihu->has_timestamp)
		ok = ok && put_tlv_hdr(&c, BABEL_SUBTLV_TIMESTAMP, 8) &&
		     bytes_put_u32(&c, ihu->ts_origin) &&
		     bytes_put_u32(&c, ihu->ts_receive);
	return commit(w, &c, need, ok);
}

/* §4.6.7: neither all zeroes nor all ones. */
static bool router_id_ok(const uint8_t id[8])
{
	static const uint8_t zeroes[8], ones[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(id, zeroes, 8) != 0 && memcmp(id, ones, 8) != 0;
}

#define ROUTER_ID_TLV_LEN (TLV_HDR_LEN + 10u)

static bool put_router_id(struct bytes_wr *c, const uint8_t id[8])
{
	return put_tlv_hdr(c, BABEL_TLV_ROUTER_ID, 10) && bytes_put_zero(c, 2) &&
	       bytes_put_mem(c, id, 8);
}

static void set_router_id(struct babel_writer *w, const uint8_t id[8])
{
	memcpy(w->router_id, id, 8);
	w->have_router_id = true;
}

int babel_write_router_id(struct babel_writer *w, const struct babel_router_id *r)
{
	struct bytes_wr c;
	int rc;

	if (!router_id_ok(r->id))
		return -EINVAL;
	rc = reserve(w, ROUTER_ID_TLV_LEN, &c);
	if (rc < 0)
		return rc;
	rc = commit(w, &c, ROUTER_ID_TLV_LEN, put_router_id(&c, r->id));
	if (rc == 0)
		set_router_id(w, r->id);
	return rc;
}

static size_t next_hop_tlv_len(uint8_t ae)
{
	return TLV_HDR_LEN + 2u + addr_wire_len(ae);
}

static bool put_next_hop(struct bytes_wr *c, uint8_t ae, const struct babel_addr *a)
{
	return put_tlv_hdr(c, BABEL_TLV_NEXT_HOP, 2u + addr_wire_len(ae)) &&
	       bytes_put_u8(c, ae) && bytes_put_u8(c, 0) && put_addr(c, ae, a);
}

static void set_next_hop(struct babel_writer *w, const struct babel_addr *a)
{
	if (a->af == BABEL_AF_INET) {
		w->nh4 = *a;
		w->have_nh4 = true;
	} else {
		w->nh6 = *a;
		w->have_nh6 = true;
	}
}

int babel_write_next_hop(struct babel_writer *w, const struct babel_next_hop *nh)
{
	size_t need = next_hop_tlv_len(nh->ae);
	struct bytes_wr c;
	int rc;

	if (!addr_fits_ae(nh->ae, &nh->addr))
		return -EINVAL;
	rc = reserve(w, need, &c);
	if (rc < 0)
		return rc;
	rc = commit(w, &c, need, put_next_hop(&c, nh->ae, &nh->addr));
	if (rc == 0)
		set_next_hop(w, &nh->addr);
	return rc;
}

/*
 * Which Next Hop TLV (if any) must precede a non-retraction Update so the
 * receiver resolves the next hop we mean (§4.5, §4.6.9). Sets *emit to the
 * address to send, or leaves it NULL when the one in force is right.
 */
static int update_next_hop(const struct babel_writer *w, const struct babel_update *u,
			   const struct babel_addr **emit)
{
	uint8_t fam = u->ae == BABEL_AE_IPV4 ? BABEL_AF_INET : BABEL_AF_INET6;
	bool have = fam == BABEL_AF_INET ? w->have_nh4 : w->have_nh6;
	const struct babel_addr *cur = fam == BABEL_AF_INET ? &w->nh4 : &w->nh6;
	const struct babel_addr *want = NULL;

	*emit = NULL;
	if (u->next_hop.af != BABEL_AF_NONE) {
		if (u->next_hop.af != fam)
			return -EINVAL;
		want = &u->next_hop;
	} else if (w->source.af == fam) {
		want = &w->source;
	} else if (have || w->source.af != BABEL_AF_NONE) {
		/* "our source address" is not what the receiver would use */
		return -EINVAL;
	} else {
		return 0;	/* source unknown, nothing in force: it applies */
	}
	if (!have || !babel_addr_equal(cur, want))
		*emit = want;
	return 0;
}

/* §4.5: Omitted = leading bytes shared with the default prefix (babeld
 * stops at whole bytes of the prefix: at most plen/8). */
static unsigned update_omitted(const struct babel_writer *w,
			       const struct babel_update *u)
{
	unsigned n = 0, max = u->prefix.plen / 8u;

	if (!w->have_default[u->ae])
		return 0;
	while (n < max && w->default_prefix[u->ae][n] == u->prefix.addr[n])
		n++;
	return n;
}

static int update_check(const struct babel_update *u)
{
	if (u->ae == BABEL_AE_WILDCARD)
		return u->prefix.af == BABEL_AF_NONE && u->prefix.plen == 0 &&
		       u->metric == BABEL_INFINITY && !u->has_src_prefix ? 0 : -EINVAL;
	if (!prefix_fits_ae(u->ae, &u->prefix))
		return -EINVAL;
	/* A retraction's router-id is optional (§4.6.9) but checked too. */
	if ((u->metric != BABEL_INFINITY || u->has_router_id) &&
	    (!u->has_router_id || !router_id_ok(u->router_id)))
		return -EINVAL;
	return 0;
}

int babel_write_update(struct babel_writer *w, const struct babel_update *u)
{
	bool retraction = u->metric == BABEL_INFINITY;
	const struct babel_addr *nh = NULL;
	uint8_t nh_ae = 0, flags = 0;
	size_t rid_len = 0, nh_len = 0, src_len, body, need;
	unsigned omitted = 0, pbytes = 0;
	struct bytes_wr c;
	bool ok;
	int rc;

	rc = update_check(u);
	if (rc == 0)
		rc = src_prefix_len(u->ae, u->has_src_prefix, &u->src_prefix, &src_len);
	if (rc < 0)
		return rc;
	/* A retraction names its source too, when it has one (babeld does:
	 * receivers find the route's source by router-id). */
	if (u->has_router_id && u->ae != BABEL_AE_WILDCARD &&
	    (!w->have_router_id || memcmp(w->router_id, u->router_id, 8)))
		rid_len = ROUTER_ID_TLV_LEN;
	/* A retraction's next hop is optional: written when given. */
	if (!retraction || (u->next_hop.af != BABEL_AF_NONE && u->ae != BABEL_AE_WILDCARD)) {
		rc = update_next_hop(w, u, &nh);
		if (rc < 0)
			return rc;
		if (nh) {
			nh_ae = nh->af == BABEL_AF_INET ? BABEL_AE_IPV4 :
				babel_addr_is_ll(nh) ? BABEL_AE_IPV6_LL : BABEL_AE_IPV6;
			nh_len = next_hop_tlv_len(nh_ae);
		}
	}
	if (u->ae != BABEL_AE_WILDCARD) {
		pbytes = prefix_bytes(&u->prefix);
		omitted = update_omitted(w, u);
		flags = BABEL_UPDATE_F_DEFAULT_PREFIX;
	}
	body = 10u + pbytes - omitted + src_len;
	need = rid_len + nh_len + TLV_HDR_LEN + body;
	rc = reserve(w, need, &c);
	if (rc < 0)
		return rc;

	ok = true;
	if (rid_len)
		ok = put_router_id(&c, u->router_id);
	if (nh)
		ok = ok && put_next_hop(&c, nh_ae, nh);
	ok = ok && put_tlv_hdr(&c, BABEL_TLV_UPDATE, body) &&
	     bytes_put_u8(&c, u->ae) && bytes_put_u8(&c, flags) &&
	     bytes_put_u8(&c, u->prefix.plen) && bytes_put_u8(&c, (uint8_t)omitted) &&
	     bytes_put_u16(&c, u->interval) && bytes_put_u16(&c, u->seqno) &&
	     bytes_put_u16(&c, u->metric) &&
	     bytes_put_mem(&c, u->prefix.addr + omitted, pbytes - omitted) &&
	     put_src_prefix(&c, u->has_src_prefix, &u->src_prefix);
	rc = commit(w, &c, need, ok);
	if (rc < 0)
		return rc;
	if (rid_len)
		set_router_id(w, u->router_id);
	if (nh)
		set_next_hop(w, nh);
	if (flags & BABEL_UPDATE_F_DEFAULT_PREFIX) {
		memcpy(w->default_prefix[u->ae], u->prefix.addr, 16);
		w->have_default[u->ae] = true;
	}
	return 0;
}

int babel_write_route_req(struct babel_writer *w, const struct babel_route_req *r)
{
	size_t src_len, body, need;
	unsigned pbytes = 0;
	struct bytes_wr c;
	int rc;

	if (r->ae == BABEL_AE_WILDCARD) {
		if (r->prefix.af != BABEL_AF_NONE || r->prefix.plen != 0)
			return -EINVAL;
	} else if (!prefix_fits_ae(r->ae, &r->prefix)) {
		return -EINVAL;
	} else {
		pbytes = prefix_bytes(&r->prefix);
	}
	rc = src_prefix_len(r->ae, r->has_src_prefix, &r->src_prefix, &src_len);
	if (rc < 0)
		return rc;
	body = 2u + pbytes + src_len;
	need = TLV_HDR_LEN + body;
	rc = reserve(w, need, &c);
	if (rc < 0)
		return rc;
	return commit(w, &c, need, put_tlv_hdr(&c, BABEL_TLV_ROUTE_REQ, body) &&
			  bytes_put_u8(&c, r->ae) && bytes_put_u8(&c, r->prefix.plen) &&
			  bytes_put_mem(&c, r->prefix.addr, pbytes) &&
			  put_src_prefix(&c, r->has_src_prefix, &r->src_prefix));
}

int babel_write_seqno_req(struct babel_writer *w, const struct babel_seqno_req *r)
{
	size_t src_len, body, need;
	unsigned pbytes;
	struct bytes_wr c;
	int rc;

	/* §4.6.11: never a wildcard, and a Hop Count of 0 is malformed. */
	if (!prefix_fits_ae(r->ae, &r->prefix) || r->hop_count == 0)
		return -EINVAL;
	rc = src_prefix_len(r->ae, r->has_src_prefix, &r->src_prefix, &src_len);
	if (rc < 0)
		return rc;
	pbytes = prefix_bytes(&r->prefix);
	body = 14u + pbytes + src_len;
	need = TLV_HDR_LEN + body;
	rc = reserve(w, need, &c);
	if (rc < 0)
		return rc;
	return commit(w, &c, need, put_tlv_hdr(&c, BABEL_TLV_SEQNO_REQ, body) &&
			  bytes_put_u8(&c, r->ae) && bytes_put_u8(&c, r->prefix.plen) &&
			  bytes_put_u16(&c, r->seqno) && bytes_put_u8(&c, r->hop_count) &&
			  bytes_put_u8(&c, 0) && bytes_put_mem(&c, r->router_id, 8) &&
			  bytes_put_mem(&c, r->prefix.addr, pbytes) &&
			  put_src_prefix(&c, r->has_src_prefix, &r->src_prefix));
}

int babel_write_tlv(struct babel_writer *w, const struct babel_tlv *tlv)
{
	switch (tlv->type) {
	case BABEL_TLV_PAD1:
		return babel_write_pad(w, 1);
	case BABEL_TLV_PADN:
		return babel_write_pad(w, TLV_HDR_LEN);
	case BABEL_TLV_ACK_REQ:
		return babel_write_ack_req(w, &tlv->ack_req);
	case BABEL_TLV_ACK:
		return babel_write_ack(w, &tlv->ack);
	case BABEL_TLV_HELLO:
		return babel_write_hello(w, &tlv->hello);
	case BABEL_TLV_IHU:
		return babel_write_ihu(w, &tlv->ihu);
	case BABEL_TLV_ROUTER_ID:
		return babel_write_router_id(w, &tlv->router_id);
	case BABEL_TLV_NEXT_HOP:
		return babel_write_next_hop(w, &tlv->next_hop);
	case BABEL_TLV_UPDATE:
		return babel_write_update(w, &tlv->update);
	case BABEL_TLV_ROUTE_REQ:
		return babel_write_route_req(w, &tlv->route_req);
	case BABEL_TLV_SEQNO_REQ:
		return babel_write_seqno_req(w, &tlv->seqno_req);
	default:
		return -EINVAL;
	}
}
