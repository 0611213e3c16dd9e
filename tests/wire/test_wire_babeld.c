/* SPDX-License-Identifier: MIT */
/*
 * tests/wire/test_wire_babeld.c — real packets sent by babeld 1.12
 * (tests/wire/vectors, captured by capture-babeld.sh), checked field by
 * field against what RFC 8966 says they carry, and against what tcpdump
 * decoded from the same capture.
 */
#include "tests/wire/wire_test_util.h"

#include <stdio.h>
#include <stdlib.h>

/* babeld A (sender of most vectors) and B, from vectors/index.txt */
#define SRC_A "fe80::c0e0:2bff:fe7a:8b03"
#define SRC_B "fe80::4a6:bdff:fe87:681"

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", WIRE_VECTORS_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static size_t parse_vector(const char *name, const char *src,
			   struct babel_parse_stats *st, struct babel_tlv *out)
{
	uint8_t buf[1500];
	struct babel_addr s = addr_of(src);
	size_t len = load(name, buf, sizeof(buf));

	memset(st, 0, sizeof(*st));
	return parse_packet(buf, len, &s, st, out, MAX_TLVS);
}

static void assert_no_drops(const struct babel_parse_stats *st)
{
	assert_int_equal(st->bad_packets + st->bad_tlvs + st->unknown_tlvs +
			 st->mandatory_subtlv + st->updates_without_router_id +
			 st->updates_without_next_hop + st->bad_subtlvs +
			 st->truncated, 0);
}

static void assert_update(const struct babel_tlv *t, uint8_t ae, const char *prefix,
			  const char *nh, uint16_t seqno)
{
	struct babel_prefix p = prefix_of(prefix);
	struct babel_addr a = addr_of(nh);

	assert_int_equal(t->type, BABEL_TLV_UPDATE);
	assert_int_equal(t->update.ae, ae);
	assert_true(babel_prefix_equal(&t->update.prefix, &p));
	assert_int_equal(t->update.metric, 0);	/* babeld's own routes */
	assert_int_equal(t->update.seqno, seqno);
	assert_int_equal(t->update.interval, 400);	/* update-interval 4 s */
	assert_true(t->update.has_router_id);
	assert_true(babel_addr_equal(&t->update.next_hop, &a));
}

/* Hello (seqno, 1 s interval, timestamp) and a wildcard Route Request. */
static void test_babeld_first_hello_and_wildcard_request(void **state)
{
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];

	(void)state;
	assert_int_equal(parse_vector("01-hello-rreq.bin", SRC_A, &st, t), 2);
	assert_no_drops(&st);
	assert_int_equal(t[0].type, BABEL_TLV_HELLO);
	assert_int_equal(t[0].hello.flags, 0);
	assert_int_equal(t[0].hello.seqno, 59772);
	assert_int_equal(t[0].hello.interval, 100);
	assert_true(t[0].hello.has_timestamp);
	assert_int_equal(t[0].hello.timestamp, 554075759);	/* 554.075759 s */
	assert_int_equal(t[1].type, BABEL_TLV_ROUTE_REQ);
	assert_int_equal(t[1].route_req.ae, BABEL_AE_WILDCARD);
	assert_int_equal(t[1].route_req.prefix.af, BABEL_AF_NONE);
}

/* §4.6.9: AE 0, plen 0, metric infinity: a wildcard retraction. */
static void test_babeld_wildcard_retraction(void **state)
{
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];

	(void)state;
	assert_int_equal(parse_vector("02-hello-retract.bin", SRC_A, &st, t), 2);
	assert_no_drops(&st);
	assert_int_equal(t[1].type, BABEL_TLV_UPDATE);
	assert_int_equal(t[1].update.ae, BABEL_AE_WILDCARD);
	assert_int_equal(t[1].update.metric, BABEL_INFINITY);
	assert_int_equal(t[1].update.seqno, 969);
	assert_int_equal(t[1].update.interval, 0xffff);
	assert_false(t[1].update.has_router_id);
}

/*
 * babeld's full dump: Router-Id, IPv6 Updates compressed against the
 * default prefix (next hop: the source), one with a Source Prefix, a Next
 * Hop TLV for IPv4 and IPv4 Updates via it, then a wildcard request.
 */
static void test_babeld_full_dump(void **state)
{
	static const uint8_t rid[8] = { 0xe0, 0x57, 0x41, 0x52, 0x69, 0x33, 0x8d, 0xa9 };
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];
	struct babel_prefix src = prefix_of("2001:db8:aaaa::/48");
	size_t n, i;

	(void)state;
	n = parse_vector("03-hello-retract-rid-upd-nh-upd-rreq.bin", SRC_A, &st, t);
	assert_no_drops(&st);
	assert_int_equal(n, 14);
	assert_int_equal(t[0].hello.seqno, 59774);
	assert_int_equal(t[1].update.ae, BABEL_AE_WILDCARD);
	assert_int_equal(t[2].type, BABEL_TLV_ROUTER_ID);
	assert_memory_equal(t[2].router_id.id, rid, 8);
	assert_update(&t[3], BABEL_AE_IPV6, "2001:db8:77::1/128", SRC_A, 969);
	assert_update(&t[4], BABEL_AE_IPV6, "2001:db8:50:1::/64", SRC_A, 969);
	assert_update(&t[5], BABEL_AE_IPV6, "2001:db8:50::/48", SRC_A, 969);
	assert_update(&t[6], BABEL_AE_IPV6, "2001:db8:51::/48", SRC_A, 969);
	assert_update(&t[7], BABEL_AE_IPV6, "2001:db8:52::/48", SRC_A, 969);
	for (i = 3; i <= 7; i++) {
		assert_memory_equal(t[i].update.router_id, rid, 8);
		assert_int_equal(t[i].update.flags, BABEL_UPDATE_F_DEFAULT_PREFIX);
		assert_int_equal(t[i].update.has_src_prefix, i == 7);
	}
	assert_true(babel_prefix_equal(&t[7].update.src_prefix, &src));
	assert_int_equal(t[8].type, BABEL_TLV_NEXT_HOP);
	assert_int_equal(t[8].next_hop.ae, BABEL_AE_IPV4);
	assert_update(&t[9], BABEL_AE_IPV4, "10.77.0.1/32", "10.99.0.1", 969);
	assert_update(&t[10], BABEL_AE_IPV4, "10.99.0.1/32", "10.99.0.1", 969);
	assert_update(&t[11], BABEL_AE_IPV4, "192.168.50.0/24", "10.99.0.1", 969);
	assert_update(&t[12], BABEL_AE_IPV4, "192.168.51.0/24", "10.99.0.1", 969);
	assert_int_equal(t[13].route_req.ae, BABEL_AE_WILDCARD);
}

/* The Omitted fields babeld chose, read straight off the wire. */
static void test_babeld_compresses_ipv6_prefixes(void **state)
{
	static const uint8_t want[] = { 0, 5, 6, 5, 5 };
	uint8_t buf[1500];
	size_t len = load("03-hello-retract-rid-upd-nh-upd-rreq.bin", buf, sizeof(buf));
	size_t i = 4, k = 0;

	(void)state;
	while (i + 1 < len) {
		if (buf[i] == BABEL_TLV_UPDATE && buf[i + 2] == BABEL_AE_IPV6) {
			assert_true(k < sizeof(want));
			assert_int_equal(buf[i + 5], want[k]);
			k++;
		}
		i += buf[i] == 0 ? 1 : 2u + buf[i + 1];
	}
	assert_int_equal(k, sizeof(want));
}

/*
 * Our writer, given the same Router-Id and IPv6 Updates, produces exactly
 * babeld's bytes: same TLVs, same default-prefix compression.
 */
static void test_writer_matches_babeld_bytes_for_ipv6_updates(void **state)
{
	uint8_t ref[1500], buf[1500];
	size_t len = load("03-hello-retract-rid-upd-nh-upd-rreq.bin", ref, sizeof(ref));
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];
	struct babel_writer w;
	struct babel_addr s = addr_of(SRC_A);
	size_t i, start = 4 + 14 + 12;	/* header, Hello + timestamp, wildcard retraction */

	(void)state;
	assert_true(len > start);
	assert_int_equal(parse_vector("03-hello-retract-rid-upd-nh-upd-rreq.bin",
				      SRC_A, &st, t), 14);
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &s);
	for (i = 3; i <= 7; i++)
		assert_int_equal(babel_write_update(&w, &t[i].update), 0);
	/* Router-Id TLV + 5 Updates, as babeld wrote them */
	assert_int_equal(ref[start], BABEL_TLV_ROUTER_ID);
	assert_memory_equal(buf + 4, ref + start, w.len - 4);
	assert_int_equal(ref[start + w.len - 4], BABEL_TLV_NEXT_HOP);
}

/* An unscheduled multicast Hello (interval 0) and IHUs with AE 3. */
static void test_babeld_ihu_with_link_local_address_and_timestamps(void **state)
{
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];
	struct babel_addr b = addr_of(SRC_B);

	(void)state;
	assert_int_equal(parse_vector("04-hello-ihu.bin", SRC_A, &st, t), 3);
	assert_no_drops(&st);
	assert_int_equal(t[0].hello.seqno, 59775);
	assert_int_equal(t[0].hello.interval, 0);
	assert_int_equal(t[0].hello.flags, 0);
	assert_int_equal(t[0].hello.timestamp, 554167392);
	assert_int_equal(t[1].type, BABEL_TLV_IHU);
	assert_int_equal(t[1].ihu.ae, BABEL_AE_IPV6_LL);
	assert_true(babel_addr_equal(&t[1].ihu.addr, &b));
	assert_int_equal(t[1].ihu.rxcost, BABEL_INFINITY);
	assert_int_equal(t[1].ihu.interval, 300);
	assert_true(t[1].ihu.has_timestamp);
	assert_int_equal(t[1].ihu.ts_origin, 554076152);
	assert_int_equal(t[1].ihu.ts_receive, 554086843);
	assert_int_equal(t[2].ihu.rxcost, 96);
	assert_int_equal(t[2].ihu.ts_origin, 554088829);
	assert_int_equal(t[2].ihu.ts_receive, 554088970);
}

/* Route Requests for single prefixes, AE 1 and AE 2. */
static void test_babeld_route_requests_for_prefixes(void **state)
{
	static const char *const want[] = { "10.78.0.1/32", "10.99.0.2/32",
		"172.16.60.0/22", "2001:db8:60::/48", "2001:db8:78::1/128" };
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];
	size_t i;

	(void)state;
	assert_int_equal(parse_vector("09-hello-ihu-rreq.bin", SRC_A, &st, t), 7);
	assert_no_drops(&st);
	assert_int_equal(t[0].hello.seqno, 59790);
	assert_int_equal(t[1].ihu.rxcost, 96);
	for (i = 0; i < 5; i++) {
		struct babel_prefix p = prefix_of(want[i]);

		assert_int_equal(t[2 + i].type, BABEL_TLV_ROUTE_REQ);
		assert_int_equal(t[2 + i].route_req.ae,
				 i < 3 ? BABEL_AE_IPV4 : BABEL_AE_IPV6);
		assert_true(babel_prefix_equal(&t[2 + i].route_req.prefix, &p));
	}
}

/* The second daemon: its own Router-Id and routes, then its goodbye. */
static void test_babeld_other_daemon_packets(void **state)
{
	struct babel_parse_stats st;
	struct babel_tlv t[MAX_TLVS];

	(void)state;
	assert_int_equal(parse_vector("05-hello.bin", SRC_B, &st, t), 1);
	assert_int_equal(t[0].hello.seqno, 9019);
	assert_int_equal(t[0].hello.interval, 100);
	assert_int_equal(parse_vector("08-retract-hello.bin", SRC_B, &st, t), 2);
	assert_no_drops(&st);
	assert_int_equal(t[0].update.ae, BABEL_AE_WILDCARD);
	assert_int_equal(t[0].update.metric, BABEL_INFINITY);
	assert_int_equal(t[0].update.seqno, 31730);
	assert_int_equal(t[1].hello.seqno, 9034);
}

/* Every vector survives parse -> write -> parse unchanged. */
static void test_babeld_vectors_round_trip(void **state)
{
	static const char *const names[] = {
		"01-hello-rreq.bin", "02-hello-retract.bin",
		"03-hello-retract-rid-upd-nh-upd-rreq.bin", "04-hello-ihu.bin",
		"05-hello.bin", "06-hello-rid-upd-nh-upd.bin",
		"07-hello-ihu-rid-upd-nh-upd.bin", "08-retract-hello.bin",
		"09-hello-ihu-rreq.bin" };
	size_t i, j, n, m;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *src = i == 4 || i == 7 ? SRC_B : SRC_A;
		struct babel_addr s = addr_of(src);
		struct babel_parse_stats st;
		struct babel_tlv in[MAX_TLVS], out[MAX_TLVS];
		uint8_t buf[1500];
		struct babel_writer w;

		n = parse_vector(names[i], src, &st, in);
		assert_no_drops(&st);
		babel_writer_init(&w, buf, sizeof(buf));
		babel_writer_set_source(&w, &s);
		for (j = 0; j < n; j++)
			assert_int_equal(babel_write_tlv(&w, &in[j]), 0);
		m = parse_packet(buf, babel_writer_finish(&w), &s, &st, out, MAX_TLVS);
		assert_int_equal(m, n);
		for (j = 0; j < n; j++)
			assert_true(babel_tlv_equal(&in[j], &out[j]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_babeld_first_hello_and_wildcard_request),
		cmocka_unit_test(test_babeld_wildcard_retraction),
		cmocka_unit_test(test_babeld_full_dump),
		cmocka_unit_test(test_babeld_compresses_ipv6_prefixes),
		cmocka_unit_test(test_writer_matches_babeld_bytes_for_ipv6_updates),
		cmocka_unit_test(test_babeld_ihu_with_link_local_address_and_timestamps),
		cmocka_unit_test(test_babeld_route_requests_for_prefixes),
		cmocka_unit_test(test_babeld_other_daemon_packets),
		cmocka_unit_test(test_babeld_vectors_round_trip),
	};

	return cmocka_run_group_tests_name("wire vs babeld 1.12", tests, NULL, NULL);
}
