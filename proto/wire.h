/* SPDX-License-Identifier: MIT */
/*
 * proto/wire.h — the Babel packet format: RFC 8966 §4, address encoding 4
 * of RFC 9229, the Timestamp sub-TLVs of RFC 9616 and the Source Prefix
 * sub-TLV of RFC 9079.
 *
 * This layer only frames and unframes bytes. It holds no routing state: the
 * parser hands back one plain struct per TLV, already resolved against the
 * packet's parse state (default prefixes, Router-Id, Next Hop, §4.5), and the
 * writer packs such structs into a datagram that it never overruns.
 */
#ifndef WGB_PROTO_WIRE_H
#define WGB_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BABEL_MAGIC 42
#define BABEL_VERSION 2
#define BABEL_PORT 6696
#define BABEL_HEADER_LEN 4
/* RFC 8966 §4: ff02::1:6 and 224.0.0.111 */
#define BABEL_MCAST_V6 { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x06 }
#define BABEL_MCAST_V4 { 224, 0, 0, 111 }
#define BABEL_INFINITY 0xFFFF

enum babel_tlv_type {
	BABEL_TLV_PAD1 = 0,
	BABEL_TLV_PADN = 1,
	BABEL_TLV_ACK_REQ = 2,
	BABEL_TLV_ACK = 3,
	BABEL_TLV_HELLO = 4,
	BABEL_TLV_IHU = 5,
	BABEL_TLV_ROUTER_ID = 6,
	BABEL_TLV_NEXT_HOP = 7,
	BABEL_TLV_UPDATE = 8,
	BABEL_TLV_ROUTE_REQ = 9,
	BABEL_TLV_SEQNO_REQ = 10,
};

enum babel_subtlv_type {
	BABEL_SUBTLV_PAD1 = 0,
	BABEL_SUBTLV_PADN = 1,
	BABEL_SUBTLV_DIVERSITY = 2,	/* draft, parsed as unknown */
	BABEL_SUBTLV_TIMESTAMP = 3,	/* RFC 9616 §3 */
	/* Not standard: in the Experimental Use range of RFC 8966 §5
	 * (112-126, mandatory bit clear, so other implementations skip it).
	 * In a Hello, 2 bytes: "restarting, back within this many cs". */
	BABEL_SUBTLV_RESTART = 112,
	BABEL_SUBTLV_SOURCE_PREFIX = 128, /* RFC 9079 §7.1, mandatory bit set */
};
#define BABEL_SUBTLV_MANDATORY 0x80

/* Address encodings, RFC 8966 §4.1.4 and RFC 9229 §2.1. */
enum babel_ae {
	BABEL_AE_WILDCARD = 0,
	BABEL_AE_IPV4 = 1,
	BABEL_AE_IPV6 = 2,
	BABEL_AE_IPV6_LL = 3,
	BABEL_AE_IPV4_VIA_IPV6 = 4,
	BABEL_AE_MAX = 4,
};

/* Hello flags, RFC 8966 §4.6.5. */
#define BABEL_HELLO_F_UNICAST 0x8000
/* Update flags, RFC 8966 §4.6.9. */
#define BABEL_UPDATE_F_DEFAULT_PREFIX 0x80
#define BABEL_UPDATE_F_ROUTER_ID 0x40

enum babel_af {
	BABEL_AF_NONE = 0,	/* wildcard */
	BABEL_AF_INET = 4,
	BABEL_AF_INET6 = 6,
};

/*
 * A prefix. addr holds 4 bytes (INET) or 16 bytes (INET6), bits past plen
 * are zero after parsing and must be zero when writing.
 */
struct babel_prefix {
	uint8_t af;		/* enum babel_af */
	uint8_t plen;
	uint8_t addr[16];
};

/* A next-hop address: IPv4 (4 bytes) or IPv6 (16 bytes, link-local allowed). */
struct babel_addr {
	uint8_t af;		/* enum babel_af */
	uint8_t addr[16];
};

struct babel_ack_req {
	uint16_t nonce;
	uint16_t interval;	/* centiseconds */
};

struct babel_ack {
	uint16_t nonce;
};

struct babel_hello {
	uint16_t flags;
	uint16_t seqno;
	uint16_t interval;	/* centiseconds */
	bool has_timestamp;	/* RFC 9616 §3.1 */
	uint32_t timestamp;	/* microseconds, sender's clock */
	/* BABEL_SUBTLV_RESTART: the sender restarts keeping its installed
	 * routes and means to be heard again within this (cs; 0: none). */
	uint16_t restart_cs;
};

/*
 * AE 3 (link-local IPv6) addresses in IHU and Next Hop are expanded to the
 * full fe80::/64 address (af INET6); the writer sends AE 3 only for an
 * address in fe80::/64.
 */
struct babel_ihu {
	uint8_t ae;		/* WILDCARD, IPV4, IPV6 or IPV6_LL */
	uint16_t rxcost;
	uint16_t interval;	/* centiseconds */
	struct babel_addr addr;	/* af NONE for AE 0 */
	bool has_timestamp;	/* RFC 9616 §3.2 */
	uint32_t ts_origin;	/* the Hello's timestamp being echoed */
	uint32_t ts_receive;	/* when we received that Hello */
};

struct babel_router_id {
	uint8_t id[8];
};

struct babel_next_hop {
	uint8_t ae;		/* IPV4, IPV6 or IPV6_LL (AE 0 and 4 are malformed) */
	struct babel_addr addr;
};

/*
 * An Update, resolved against the packet state: router_id is the one in force
 * (from a Router-Id TLV or the 0x40 flag), next_hop the Next Hop in force for
 * its address family, or the packet's source address when none was given
 * (§4.6.9). For AE 4 the next hop is IPv6 and the prefix IPv4.
 *
 * A retraction (metric BABEL_INFINITY, including the AE 0 wildcard
 * retraction) needs neither: the parser gives it has_router_id false and
 * next_hop.af NONE, and the writer emits no Router-Id / Next Hop for it.
 * The 0x40 flag on AE 1/4 gives the router-id 0:0:0:0:a.b.c.d (as babeld).
 * AE 3 (link-local) is not allowed in an Update: such a TLV is malformed.
 */
struct babel_update {
	uint8_t ae;
	uint8_t flags;		/* as on the wire */
	uint16_t interval;	/* centiseconds */
	uint16_t seqno;
	uint16_t metric;
	struct babel_prefix prefix;	/* af NONE, plen 0 for a wildcard retraction */
	bool has_src_prefix;		/* RFC 9079 */
	struct babel_prefix src_prefix;
	bool has_router_id;	/* false only for retractions (§4.6.9 allows it) */
	uint8_t router_id[8];
	struct babel_addr next_hop;
};

struct babel_route_req {
	uint8_t ae;
	struct babel_prefix prefix;	/* af NONE for a wildcard request */
	bool has_src_prefix;
	struct babel_prefix src_prefix;
};

struct babel_seqno_req {
	uint8_t ae;
	uint16_t seqno;
	uint8_t hop_count;
	uint8_t router_id[8];
	struct babel_prefix prefix;
	bool has_src_prefix;
	struct babel_prefix src_prefix;
};

struct babel_tlv {
	uint8_t type;		/* enum babel_tlv_type */
	union {
		struct babel_ack_req ack_req;
		struct babel_ack ack;
		struct babel_hello hello;
		struct babel_ihu ihu;
		struct babel_router_id router_id;
		struct babel_next_hop next_hop;
		struct babel_update update;
		struct babel_route_req route_req;
		struct babel_seqno_req seqno_req;
	};
};

/* What the parser threw away, for counters on the control socket. */
struct babel_parse_stats {
	uint64_t packets;
	uint64_t bad_packets;		/* header or length wrong: whole packet dropped */
	uint64_t bad_tlvs;		/* malformed TLV or sub-TLV: TLV dropped */
	uint64_t unknown_tlvs;		/* skipped (§4.3) */
	uint64_t mandatory_subtlv;	/* TLV ignored for an unknown mandatory sub-TLV (§4.4) */
	uint64_t updates_without_router_id;	/* non-retraction, none in force */
	uint64_t updates_without_next_hop;	/* non-retraction, none for its family */
	uint64_t bad_subtlvs;		/* sub-TLV ignored (e.g. a short Timestamp) */
	uint64_t truncated;		/* a TLV ran past the body: rest of packet dropped */
};

/*
 * Parse state for one packet (§4.5): it lives for one packet only.
 */
struct babel_parser {
	const uint8_t *body;
	size_t body_len;
	size_t off;
	struct babel_addr source;	/* the packet's source address */
	bool have_router_id;
	uint8_t router_id[8];
	bool have_nh4, have_nh6;
	struct babel_addr nh4, nh6;
	/* default prefix per AE for compression; index by enum babel_ae */
	bool have_default[BABEL_AE_MAX + 1];
	uint8_t default_prefix[BABEL_AE_MAX + 1][16];
	struct babel_parse_stats *stats;
};

/*
 * Start parsing the datagram buf[0..len) received from source. Returns 0, or
 * -EBADMSG when the header is not Babel's (bad magic, version, or a body
 * length larger than the datagram); the packet must then be dropped.
 * Bytes after the body are the packet trailer (§4.2) and are ignored.
 * source may be NULL (no next hop in force); stats may be NULL.
 */
int babel_parser_init(struct babel_parser *p, const uint8_t *buf, size_t len,
		      const struct babel_addr *source,
		      struct babel_parse_stats *stats);

/*
 * Next TLV of interest. Returns 1 and fills *tlv, or 0 at the end of the
 * packet. Pad1/PadN, unknown TLVs, malformed TLVs and TLVs with an unknown
 * mandatory sub-TLV are skipped (and counted); Router-Id and Next Hop TLVs
 * are returned as well as folded into the parse state. A TLV that runs past
 * the body ends the packet (counted as truncated).
 */
int babel_parser_next(struct babel_parser *p, struct babel_tlv *tlv);

/*
 * Packet writer. It emits Router-Id and Next Hop TLVs itself when an Update
 * needs a different one than the last it wrote, and compresses consecutive
 * Update prefixes against the default prefix it last set (§4.5), as babeld
 * does. Every babel_write_* call either writes the whole TLV (and whatever
 * Router-Id/Next Hop it needs) or nothing, returning -ENOSPC: the caller then
 * finishes the packet, sends it, and starts a new one.
 */
struct babel_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool have_router_id;
	uint8_t router_id[8];
	bool have_nh4, have_nh6;
	struct babel_addr nh4, nh6;
	bool have_default[BABEL_AE_MAX + 1];
	uint8_t default_prefix[BABEL_AE_MAX + 1][16];
	struct babel_addr source;	/* af NONE unless babel_writer_set_source() */
};

/*
 * cap should be at least BABEL_HEADER_LEN (a smaller cap gives a writer
 * where every write fails with -ENOSPC) and is clamped to the largest body
 * length a header can state; the header is written at once.
 */
void babel_writer_init(struct babel_writer *w, uint8_t *buf, size_t cap);
/*
 * Optional: the source address the datagram will be sent from. The receiver
 * starts with it as the Next Hop of its family (§4.5), so Updates whose next
 * hop is the source need no Next Hop TLV, and next_hop.af NONE can be
 * resolved after an explicit Next Hop was written. Call right after init.
 */
void babel_writer_set_source(struct babel_writer *w, const struct babel_addr *src);
/* True when nothing but the header has been written. */
bool babel_writer_empty(const struct babel_writer *w);
/* Fill in the body length; returns the datagram's length. */
size_t babel_writer_finish(struct babel_writer *w);

int babel_write_pad(struct babel_writer *w, size_t n);
int babel_write_ack_req(struct babel_writer *w, const struct babel_ack_req *a);
int babel_write_ack(struct babel_writer *w, const struct babel_ack *a);
int babel_write_hello(struct babel_writer *w, const struct babel_hello *h);
int babel_write_ihu(struct babel_writer *w, const struct babel_ihu *ihu);
int babel_write_router_id(struct babel_writer *w, const struct babel_router_id *r);
int babel_write_next_hop(struct babel_writer *w, const struct babel_next_hop *nh);
/*
 * u->router_id and u->next_hop are written as Router-Id / Next Hop TLVs when
 * they differ from the ones in force (next_hop.af NONE: none, the receiver
 * uses our source address). u->ae selects the encoding; u->flags is ignored
 * (the writer sets the default-prefix flag itself). Returns -EINVAL for an
 * Update that cannot be encoded (AE 3, a family that does not match the AE,
 * plen too long, no router-id on a non-retraction, next_hop NONE when a
 * different Next Hop is in force and the source is unknown).
 */
int babel_write_update(struct babel_writer *w, const struct babel_update *u);
int babel_write_route_req(struct babel_writer *w, const struct babel_route_req *r);
int babel_write_seqno_req(struct babel_writer *w, const struct babel_seqno_req *r);

/* Any TLV by type: dispatches to the functions above. */
int babel_write_tlv(struct babel_writer *w, const struct babel_tlv *tlv);

/*
 * What a parse -> write -> parse round trip preserves: every field, except
 * Update flags (the writer chooses its own compression) and a retraction's
 * router-id. A retraction names no source of its own: the parser reports
 * the router-id in force, if any, which depends on what came before it in
 * the packet (a writer cannot say "none in force" once it has written
 * one), and the engine retracts by prefix and neighbour whatever it is.
 */
bool babel_tlv_equal(const struct babel_tlv *a, const struct babel_tlv *b);

/*
 * Whether the packet's body (the BUF of LEN bytes as sent, header
 * included) holds an Update TLV: what can make a neighbour choose a route
 * through us. Hellos, IHUs, Acks and requests never do. A malformed body
 * counts as holding one (the caller then takes the careful path).
 */
bool babel_packet_has_update(const uint8_t *buf, size_t len);

/* Helpers shared by the engine and the glue. */
bool babel_prefix_equal(const struct babel_prefix *a, const struct babel_prefix *b);
/* Zero the bits of addr past plen. */
void babel_prefix_mask(struct babel_prefix *p);
/* The AE that fits prefix p with next hop nh (IPv4 over IPv6 gives AE 4). */
uint8_t babel_ae_for(const struct babel_prefix *p, const struct babel_addr *nh);
bool babel_addr_equal(const struct babel_addr *a, const struct babel_addr *b);
/* "2001:db8::/32", "10.0.0.0/8", "*" into buf (at least 64 bytes). */
const char *babel_prefix_str(const struct babel_prefix *p, char *buf, size_t len);
/*
 * "10.0.0.0/8", "2001:db8::/32", a bare address (full length) or "*".
 * Returns 0 or -EINVAL (bad address, plen out of range, bits set past plen).
 */
int babel_prefix_parse(const char *s, struct babel_prefix *p);

#endif
