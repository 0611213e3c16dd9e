/* SPDX-License-Identifier: MIT */
/*
 * tests/wire/test_wire_malformed.c — every malformed input has a defined
 * outcome: the TLV or the packet is dropped and exactly one counter moves;
 * what follows a dropped TLV is still parsed.
 */
#include "tests/wire/wire_test_util.h"

#include <errno.h>

#define HELLO_OK 4, 6, 0, 0, 0, 1, 0, 100
#define RID_OK 6, 10, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8
/* Update header: ae, flags, plen, omitted, interval 400, seqno 7, metric m */
#define UPD(len, ae, flags, plen, omit, metric) \
	8, len, ae, flags, plen, omit, 1, 144, 0, 7, (metric) >> 8, (metric) & 0xff

#define STAT(f) offsetof(struct babel_parse_stats, f)

static uint64_t stat_at(const struct babel_parse_stats *st, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)st + off, sizeof(v));
	return v;
}

/* All counters but packets, summed. */
static uint64_t drops(const struct babel_parse_stats *st)
{
	return st->bad_packets + st->bad_tlvs + st->unknown_tlvs +
	       st->mandatory_subtlv + st->updates_without_router_id +
	       st->updates_without_next_hop + st->bad_subtlvs + st->truncated;
}

/*
 * Parse prefix (good TLVs), then bad, then a good Hello, from src: bad must
 * be dropped with exactly the counter at off, and the Hello must come out.
 */
static void expect_dropped_after(const uint8_t *prefix, size_t plen,
				 const uint8_t *bad, size_t blen, size_t off,
				 const char *src)
{
	static const uint8_t hello[] = { HELLO_OK };
	uint8_t body[512];
	struct babel_parse_stats st = { 0 };
	struct babel_addr s = addr_of(src);
	struct babel_tlv out[MAX_TLVS];
	size_t n;

	if (plen)
		memcpy(body, prefix, plen);
	memcpy(body + plen, bad, blen);
	memcpy(body + plen + blen, hello, sizeof(hello));
	n = parse_body(body, plen + blen + sizeof(hello), &s, &st, out, MAX_TLVS);
	assert_true(n >= 1);
	assert_int_equal(out[n - 1].type, BABEL_TLV_HELLO);
	assert_int_equal(stat_at(&st, off), 1);
	assert_int_equal(drops(&st), 1);
}

#define DROPPED(off, ...) do { \
	static const uint8_t bad_[] = { __VA_ARGS__ }; \
	expect_dropped_after(NULL, 0, bad_, sizeof(bad_), off, "fe80::1"); \
} while (0)

#define DROPPED_AFTER(pre, off, ...) do { \
	static const uint8_t bad_[] = { __VA_ARGS__ }; \
	expect_dropped_after(pre, sizeof(pre), bad_, sizeof(bad_), off, "fe80::1"); \
} while (0)

static void test_bad_header_drops_the_packet(void **state)
{
	static const uint8_t magic[] = { 43, 2, 0, 0 }, version[] = { 42, 1, 0, 0 };
	static const uint8_t short_hdr[] = { 42, 2, 0 };
	static const uint8_t too_long[] = { 42, 2, 0, 9, HELLO_OK };
	struct babel_parse_stats st = { 0 };
	struct babel_parser p;

	(void)state;
	assert_int_equal(babel_parser_init(&p, magic, 4, NULL, &st), -EBADMSG);
	assert_int_equal(babel_parser_init(&p, version, 4, NULL, &st), -EBADMSG);
	assert_int_equal(babel_parser_init(&p, short_hdr, 3, NULL, &st), -EBADMSG);
	assert_int_equal(babel_parser_init(&p, NULL, 0, NULL, &st), -EBADMSG);
	/* a body length larger than the datagram */
	assert_int_equal(babel_parser_init(&p, too_long, sizeof(too_long), NULL, &st),
			 -EBADMSG);
	assert_int_equal(st.bad_packets, 5);
	assert_int_equal(st.packets, 5);
}

/* §4.2: bytes after the body are the trailer, not TLVs. */
static void test_packet_trailer_is_ignored(void **state)
{
	static const uint8_t pkt[] = { 42, 2, 0, 8, HELLO_OK, RID_OK };
	struct babel_parse_stats st = { 0 };
	struct babel_tlv out[4];

	(void)state;
	assert_int_equal(parse_packet(pkt, sizeof(pkt), NULL, &st, out, 4), 1);
	assert_int_equal(out[0].type, BABEL_TLV_HELLO);
	assert_int_equal(drops(&st), 0);
}

/* A TLV running past the body ends the packet; what came before stays. */
static void test_truncated_tlv_ends_the_packet(void **state)
{
	static const uint8_t past[] = { HELLO_OK, 4, 6, 0, 0 };
	static const uint8_t lone_type[] = { HELLO_OK, 0, 0, 4 };
	struct babel_parse_stats st = { 0 };
	struct babel_tlv out[4];

	(void)state;
	assert_int_equal(parse_body(past, sizeof(past), NULL, &st, out, 4), 1);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(parse_body(lone_type, sizeof(lone_type), NULL, &st, out, 4), 1);
	assert_int_equal(st.truncated, 2);
	assert_int_equal(drops(&st), 2);
}

/* Every TLV one byte shorter than its fixed part (§4.6). */
static void test_tlvs_shorter_than_their_minimum_are_dropped(void **state)
{
	(void)state;
	DROPPED(STAT(bad_tlvs), 2, 5, 0, 0, 0, 0, 0);
	DROPPED(STAT(bad_tlvs), 3, 1, 0);
	DROPPED(STAT(bad_tlvs), 4, 5, 0, 0, 0, 1, 0);
	DROPPED(STAT(bad_tlvs), 5, 5, 0, 0, 0, 96, 1);
	DROPPED(STAT(bad_tlvs), 6, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7);
	DROPPED(STAT(bad_tlvs), 7, 1, 1);
	DROPPED(STAT(bad_tlvs), 8, 9, 2, 0, 0, 0, 1, 144, 0, 7, 0);
	DROPPED(STAT(bad_tlvs), 9, 1, 0);
	DROPPED(STAT(bad_tlvs), 10, 13, 2, 0, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7);
}

/* Address fields shorter than their AE, and AEs a TLV cannot carry. */
static void test_bad_address_encodings_are_dropped(void **state)
{
	(void)state;
	DROPPED(STAT(bad_tlvs), 5, 9, 1, 0, 0, 96, 1, 44, 10, 0, 0);	/* IHU AE 1, 3 bytes */
	DROPPED(STAT(bad_tlvs), 5, 21, 2, 0, 0, 96, 1, 44,
		0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);	/* AE 2, 15 bytes */
	DROPPED(STAT(bad_tlvs), 5, 13, 3, 0, 0, 96, 1, 44, 1, 2, 3, 4, 5, 6, 7);	/* AE 3, 7 */
	DROPPED(STAT(bad_tlvs), 5, 10, 4, 0, 0, 96, 1, 44, 10, 0, 0, 1);	/* IHU AE 4 */
	DROPPED(STAT(bad_tlvs), 5, 10, 9, 0, 0, 96, 1, 44, 10, 0, 0, 1);	/* unknown AE */
	DROPPED(STAT(bad_tlvs), 7, 2, 0, 0);				/* Next Hop AE 0 */
	DROPPED(STAT(bad_tlvs), 7, 6, 4, 0, 10, 0, 0, 1);		/* Next Hop AE 4 */
	DROPPED(STAT(bad_tlvs), 7, 5, 1, 0, 10, 0, 0);			/* AE 1, 3 bytes */
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(14, 5, 0, 32, 0, 96), 10, 0, 0, 1);	/* AE 5 */
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(11, 1, 0, 24, 0, 96), 10);	/* prefix cut */
}

static void test_prefix_lengths_over_32_or_128_are_dropped(void **state)
{
	(void)state;
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(15, 1, 0, 33, 0, 96), 10, 0, 0, 1, 0);
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(10, 2, 0, 129, 0, 96));
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(15, 4, 0, 40, 0, 96), 10, 0, 0, 1, 0);
	DROPPED(STAT(bad_tlvs), 9, 7, 1, 33, 10, 0, 0, 1, 0);		/* Route Request */
	DROPPED(STAT(bad_tlvs), 10, 14, 2, 129, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8);
	/* source prefix: plen 33 in an AE 1 Update, and plen 0 */
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(19, 1, 0, 8, 0, 96), 10,
		0x80, 6, 33, 10, 0, 0, 1, 0);
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(14, 1, 0, 8, 0, 96), 10, 0x80, 1, 0);
	/* source prefix field shorter than its plen */
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(16, 1, 0, 8, 0, 96), 10, 0x80, 3, 24, 10, 1);
}

static void test_bad_omitted_counts_are_dropped(void **state)
{
	/* a retraction setting the AE 1 default prefix (needs no next hop) */
	static const uint8_t dflt4[] = { UPD(14, 1, 0x80, 32, 0, 0xffff), 10, 0, 0, 1 };

	(void)state;
	/* Omitted without a default prefix */
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(12, 2, 0, 64, 6, 96), 0, 1);
	/* Omitted larger than the prefix (plen 16: 2 bytes) */
	DROPPED_AFTER(dflt4, STAT(bad_tlvs), UPD(10, 1, 0, 16, 3, 96));
	/* Omitted larger than an IPv4 address */
	DROPPED_AFTER(dflt4, STAT(bad_tlvs), UPD(10, 1, 0, 32, 5, 96));
	/* AE 4 has its own default prefix: AE 1's does not count */
	DROPPED_AFTER(dflt4, STAT(bad_tlvs), UPD(11, 4, 0, 32, 3, 96), 2);
}

/* §4.6.9 and §4.6.11: what the AE 0 and AE 3 encodings may not do. */
static void test_misused_wildcard_and_link_local_aes_are_dropped(void **state)
{
	(void)state;
	DROPPED(STAT(bad_tlvs), UPD(10, 0, 0, 0, 0, 96));	/* finite metric */
	DROPPED(STAT(bad_tlvs), UPD(10, 0, 0, 8, 0, 0xffff));	/* plen 8 */
	DROPPED(STAT(bad_tlvs), UPD(10, 0, 0, 0, 1, 0xffff));	/* omitted */
	DROPPED(STAT(bad_tlvs), UPD(14, 0, 0, 0, 0, 0xffff), 0x80, 2, 8, 10);
	DROPPED(STAT(bad_tlvs), RID_OK, UPD(18, 3, 0, 64, 0, 96), 1, 2, 3, 4, 5, 6, 7, 8);
	DROPPED(STAT(bad_tlvs), 9, 3, 0, 8, 10);		/* wildcard request plen 8 */
	DROPPED(STAT(bad_tlvs), 9, 3, 3, 8, 10);		/* Route Request AE 3 */
	DROPPED(STAT(bad_tlvs), 10, 14, 0, 0, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8);
	DROPPED(STAT(bad_tlvs), 10, 15, 3, 8, 0, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xfe);
	DROPPED(STAT(bad_tlvs), 10, 15, 1, 8, 0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10);
	/* Router-Id all zeroes or all ones (§4.6.7) */
	DROPPED(STAT(bad_tlvs), 6, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	DROPPED(STAT(bad_tlvs), 6, 10, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255);
}

static void test_update_without_router_id_is_dropped(void **state)
{
	static const uint8_t retract[] = { UPD(11, 1, 0, 8, 0, 0xffff), 10, HELLO_OK };
	struct babel_parse_stats st = { 0 };
	struct babel_addr src = addr_of("10.0.0.1");
	struct babel_tlv out[4];

	(void)state;
	DROPPED(STAT(updates_without_router_id), UPD(11, 1, 0, 8, 0, 96), 10);
	/* but a retraction needs none */
	assert_int_equal(parse_body(retract, sizeof(retract), &src, &st, out, 4), 2);
	assert_int_equal(out[0].update.metric, BABEL_INFINITY);
	assert_false(out[0].update.has_router_id);
	assert_int_equal(drops(&st), 0);
}

static void test_malformed_router_id_clears_the_one_in_force(void **state)
{
	static const uint8_t body[] = { RID_OK, 6, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					UPD(11, 1, 0, 8, 0, 96), 10 };
	struct babel_parse_stats st = { 0 };
	struct babel_addr src = addr_of("10.0.0.1");
	struct babel_tlv out[4];

	(void)state;
	assert_int_equal(parse_body(body, sizeof(body), &src, &st, out, 4), 1);
	assert_int_equal(out[0].type, BABEL_TLV_ROUTER_ID);
	assert_int_equal(st.bad_tlvs, 1);
	assert_int_equal(st.updates_without_router_id, 1);
}

static void test_update_without_next_hop_is_dropped(void **state)
{
	(void)state;
	/* AE 1 from an IPv6 source with no IPv4 Next Hop */
	DROPPED(STAT(updates_without_next_hop), RID_OK, UPD(11, 1, 0, 8, 0, 96), 10);
	/* a malformed IPv6 Next Hop leaves no IPv6 next hop in force */
	{
		static const uint8_t body[] = { RID_OK, 7, 3, 2, 0, 0,
						UPD(11, 2, 0, 8, 0, 96), 0x20 };
		struct babel_parse_stats st = { 0 };
		struct babel_addr src = addr_of("fe80::1");
		struct babel_tlv out[4];

		assert_int_equal(parse_body(body, sizeof(body), &src, &st, out, 4), 1);
		assert_int_equal(st.bad_tlvs, 1);
		assert_int_equal(st.updates_without_next_hop, 1);
	}
}

static void test_unknown_tlvs_and_subtlvs(void **state)
{
	static const uint8_t optional[] = { 4, 10, 0, 0, 0, 1, 0, 100, 0x05, 2, 9, 9 };
	struct babel_parse_stats st = { 0 };
	struct babel_tlv out[4];

	(void)state;
	DROPPED(STAT(unknown_tlvs), 42, 3, 1, 2, 3);
	DROPPED(STAT(unknown_tlvs), 11, 0);
	/* §4.4: unknown mandatory sub-TLV: the whole TLV is ignored */
	DROPPED(STAT(mandatory_subtlv), 4, 8, 0, 0, 0, 1, 0, 100, 0x85, 0);
	DROPPED(STAT(mandatory_subtlv), 3, 5, 0, 1, 0xc0, 1, 0);
	/* Source Prefix in a Hello is not understood there: mandatory */
	DROPPED(STAT(mandatory_subtlv), 4, 11, 0, 0, 0, 1, 0, 100, 0x80, 3, 8, 10, 0);
	/* an unknown optional sub-TLV is skipped, the TLV kept */
	assert_int_equal(parse_body(optional, sizeof(optional), NULL, &st, out, 4), 1);
	assert_int_equal(out[0].hello.seqno, 1);
	assert_int_equal(drops(&st), 0);
	/* a Restart sub-TLV (ours) too short for its 2 bytes: skipped and
	 * counted, the Hello kept without it */
	{
		static const uint8_t short_restart[] = { 4, 9, 0, 0, 0, 1, 0, 100,
							 112, 1, 5 };
		struct babel_parse_stats st2 = { 0 };

		assert_int_equal(parse_body(short_restart, sizeof(short_restart), NULL,
					    &st2, out, 4), 1);
		assert_int_equal(out[0].hello.restart_cs, 0);
		assert_int_equal(st2.bad_subtlvs, 1);
	}
	/* a sub-TLV running past its TLV makes the TLV malformed */
	DROPPED(STAT(bad_tlvs), 4, 9, 0, 0, 0, 1, 0, 100, 3, 4, 1);
	/* a second Source Prefix makes the TLV ignored */
	DROPPED(STAT(bad_tlvs), 9, 11, 1, 8, 10, 0x80, 2, 8, 11, 0x80, 2, 8, 12);
}

static void test_short_timestamp_is_ignored_not_the_hello(void **state)
{
	static const uint8_t body[] = { 4, 11, 0, 0, 0, 1, 0, 100, 3, 3, 1, 2, 3 };
	struct babel_parse_stats st = { 0 };
	struct babel_tlv out[4];

	(void)state;
	assert_int_equal(parse_body(body, sizeof(body), NULL, &st, out, 4), 1);
	assert_false(out[0].hello.has_timestamp);
	assert_int_equal(st.bad_subtlvs, 1);
	assert_int_equal(drops(&st), 1);
}

/* §4.6.5: Interval 0 marks an unscheduled Hello, multicast or unicast. */
static void test_hello_with_interval_zero_is_valid(void **state)
{
	static const uint8_t body[] = { 4, 6, 0, 0, 0, 1, 0, 0, 4, 6, 0x80, 0, 0, 2, 0, 0 };
	struct babel_parse_stats st = { 0 };
	struct babel_tlv out[4];

	(void)state;
	assert_int_equal(parse_body(body, sizeof(body), NULL, &st, out, 4), 2);
	assert_int_equal(out[0].hello.interval, 0);
	assert_int_equal(out[1].hello.flags, BABEL_HELLO_F_UNICAST);
	assert_int_equal(drops(&st), 0);
}

/* 0x40 must not produce an all-zero router-id (found by the fuzzer). */
static void test_router_id_flag_giving_zero_id_is_dropped(void **state)
{
	(void)state;
	DROPPED(STAT(bad_tlvs), UPD(26, 2, 0x40, 128, 0, 96),
		0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_header_drops_the_packet),
		cmocka_unit_test(test_packet_trailer_is_ignored),
		cmocka_unit_test(test_truncated_tlv_ends_the_packet),
		cmocka_unit_test(test_tlvs_shorter_than_their_minimum_are_dropped),
		cmocka_unit_test(test_bad_address_encodings_are_dropped),
		cmocka_unit_test(test_prefix_lengths_over_32_or_128_are_dropped),
		cmocka_unit_test(test_bad_omitted_counts_are_dropped),
		cmocka_unit_test(test_misused_wildcard_and_link_local_aes_are_dropped),
		cmocka_unit_test(test_update_without_router_id_is_dropped),
		cmocka_unit_test(test_malformed_router_id_clears_the_one_in_force),
		cmocka_unit_test(test_update_without_next_hop_is_dropped),
		cmocka_unit_test(test_unknown_tlvs_and_subtlvs),
		cmocka_unit_test(test_short_timestamp_is_ignored_not_the_hello),
		cmocka_unit_test(test_hello_with_interval_zero_is_valid),
		cmocka_unit_test(test_router_id_flag_giving_zero_id_is_dropped),
	};

	return cmocka_run_group_tests_name("wire malformed input", tests, NULL, NULL);
}
