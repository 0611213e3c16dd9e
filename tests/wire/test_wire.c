/* SPDX-License-Identifier: MIT */
/*
 * tests/wire/test_wire.c — proto/wire round trips (every TLV, every AE),
 * prefix compression, all-or-nothing writes, and the prefix helpers.
 */
#include "tests/wire/wire_test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const uint8_t RID[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* Write t alone into a fresh packet from src, parse it back, return the
 * last TLV out (after any Router-Id / Next Hop the writer had to add). */
static struct babel_tlv roundtrip(const struct babel_tlv *t, const char *src)
{
	uint8_t buf[512];
	struct babel_writer w;
	struct babel_addr s = addr_of(src);
	struct babel_tlv out[8];
	size_t n;

	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &s);
	assert_int_equal(babel_write_tlv(&w, t), 0);
	n = parse_packet(buf, babel_writer_finish(&w), &s, NULL, out, 8);
	assert_true(n >= 1);
	assert_true(babel_tlv_equal(t, &out[n - 1]));
	return out[n - 1];
}

static struct babel_tlv update_tlv(uint8_t ae, const char *prefix, const char *nh)
{
	struct babel_tlv t = { .type = BABEL_TLV_UPDATE };

	t.update.ae = ae;
	t.update.interval = 400;
	t.update.seqno = 969;
	t.update.metric = 96;
	t.update.prefix = prefix_of(prefix);
	t.update.has_router_id = true;
	memcpy(t.update.router_id, RID, 8);
	t.update.next_hop = addr_of(nh);
	return t;
}

static void test_ack_request_and_ack_round_trip(void **state)
{
	struct babel_tlv a = { .type = BABEL_TLV_ACK_REQ }, b = { .type = BABEL_TLV_ACK };
	struct babel_tlv r;

	(void)state;
	a.ack_req.nonce = 0xbeef;
	a.ack_req.interval = 250;
	r = roundtrip(&a, "fe80::1");
	assert_int_equal(r.ack_req.nonce, 0xbeef);
	assert_int_equal(r.ack_req.interval, 250);
	b.ack.nonce = 0xbeef;
	r = roundtrip(&b, "fe80::1");
	assert_int_equal(r.ack.nonce, 0xbeef);
}

static void test_hello_round_trip_keeps_unicast_flag_and_timestamp(void **state)
{
	struct babel_tlv h = { .type = BABEL_TLV_HELLO }, r;

	(void)state;
	h.hello.flags = BABEL_HELLO_F_UNICAST;
	h.hello.seqno = 65535;
	h.hello.interval = 0;	/* unscheduled */
	h.hello.has_timestamp = true;
	h.hello.timestamp = 0xdeadbeef;
	r = roundtrip(&h, "fe80::1");
	assert_int_equal(r.hello.flags, BABEL_HELLO_F_UNICAST);
	assert_int_equal(r.hello.seqno, 65535);
	assert_true(r.hello.has_timestamp);
	assert_int_equal(r.hello.timestamp, 0xdeadbeef);
	h.hello.flags = 0;
	h.hello.has_timestamp = false;
	h.hello.interval = 400;
	r = roundtrip(&h, "10.0.0.1");
	assert_false(r.hello.has_timestamp);
	assert_int_equal(r.hello.interval, 400);
}

/* Our experimental Restart sub-TLV (type 112, not mandatory), beside a
 * Timestamp or alone; 0 writes none. */
static void test_hello_round_trip_keeps_restart_subtlv(void **state)
{
	struct babel_tlv h = { .type = BABEL_TLV_HELLO }, r;
	uint8_t buf[64];
	struct babel_writer w;
	size_t len;

	(void)state;
	h.hello.flags = BABEL_HELLO_F_UNICAST;
	h.hello.seqno = 7;
	h.hello.interval = 400;
	h.hello.restart_cs = 200;
	r = roundtrip(&h, "fe80::1");
	assert_int_equal(r.hello.restart_cs, 200);
	h.hello.has_timestamp = true;
	h.hello.timestamp = 12345;
	r = roundtrip(&h, "fe80::1");
	assert_int_equal(r.hello.restart_cs, 200);
	assert_int_equal(r.hello.timestamp, 12345);
	/* on the wire: Hello body 6 + Timestamp 6 + Restart 4 */
	babel_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(babel_write_tlv(&w, &h), 0);
	len = babel_writer_finish(&w);
	assert_int_equal(len, 4 + 2 + 16);
	assert_int_equal(buf[5], 16);
	assert_memory_equal(buf + 4 + 2 + 12, ((uint8_t[]){ 112, 2, 0, 200 }), 4);
	h.hello.restart_cs = 0;
	r = roundtrip(&h, "fe80::1");
	assert_int_equal(r.hello.restart_cs, 0);
}

static void test_ihu_round_trip_for_ae_0_1_2_3(void **state)
{
	static const struct { uint8_t ae; const char *addr; } cases[] = {
		{ BABEL_AE_WILDCARD, NULL },
		{ BABEL_AE_IPV4, "10.1.2.3" },
		{ BABEL_AE_IPV6, "2001:db8::7" },
		{ BABEL_AE_IPV6_LL, "fe80::4a6:bdff:fe87:681" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct babel_tlv t = { .type = BABEL_TLV_IHU }, r;

		t.ihu.ae = cases[i].ae;
		t.ihu.rxcost = 96;
		t.ihu.interval = 300;
		if (cases[i].addr)
			t.ihu.addr = addr_of(cases[i].addr);
		t.ihu.has_timestamp = i % 2;
		t.ihu.ts_origin = 554076152;
		t.ihu.ts_receive = 554086843;
		r = roundtrip(&t, "fe80::1");
		assert_int_equal(r.ihu.ae, cases[i].ae);
		assert_int_equal(r.ihu.rxcost, 96);
		assert_int_equal(r.ihu.has_timestamp, i % 2);
	}
}

static void test_router_id_and_next_hop_round_trip(void **state)
{
	struct babel_tlv t = { .type = BABEL_TLV_ROUTER_ID }, r;
	static const struct { uint8_t ae; const char *addr; } nhs[] = {
		{ BABEL_AE_IPV4, "10.99.0.1" },
		{ BABEL_AE_IPV6, "2001:db8::1" },
		{ BABEL_AE_IPV6_LL, "fe80::c0e0:2bff:fe7a:8b03" },
	};
	size_t i;

	(void)state;
	memcpy(t.router_id.id, RID, 8);
	r = roundtrip(&t, "fe80::1");
	assert_memory_equal(r.router_id.id, RID, 8);
	for (i = 0; i < 3; i++) {
		struct babel_tlv nh = { .type = BABEL_TLV_NEXT_HOP };

		nh.next_hop.ae = nhs[i].ae;
		nh.next_hop.addr = addr_of(nhs[i].addr);
		r = roundtrip(&nh, "10.0.0.9");
		assert_int_equal(r.next_hop.ae, nhs[i].ae);
		assert_true(babel_addr_equal(&r.next_hop.addr, &nh.next_hop.addr));
	}
}

/*
 * A retraction is written as babeld writes one: a Router-Id TLV naming the
 * source it retracts (FRR's babeld drops a non-wildcard Update without
 * one), its seqno and metric infinity; a second one of the same source in
 * the packet reuses the router-id in force. A wildcard retraction has none.
 */
static void test_retraction_carries_the_router_id_of_its_source(void **state)
{
	uint8_t buf[512];
	struct babel_writer w;
	struct babel_addr s = addr_of("fe80::1");
	struct babel_tlv t, wild = { .type = BABEL_TLV_UPDATE }, out[8];
	size_t n, len, len1;

	(void)state;
	t = update_tlv(BABEL_AE_IPV4, "10.77.0.0/16", "10.0.0.1");
	t.update.metric = BABEL_INFINITY;
	t.update.seqno = 4242;
	memset(&t.update.next_hop, 0, sizeof(t.update.next_hop));
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &s);
	assert_int_equal(babel_write_tlv(&w, &t), 0);
	len1 = babel_writer_finish(&w);
	/* 4-byte header, Router-Id TLV (12), Update (12 + 2 prefix bytes) */
	assert_int_equal(len1, 4 + 12 + 14);
	assert_int_equal(buf[4], BABEL_TLV_ROUTER_ID);
	assert_memory_equal(buf + 8, RID, 8);
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &s);
	assert_int_equal(babel_write_tlv(&w, &t), 0);
	t.update.prefix = prefix_of("10.78.0.0/16");
	assert_int_equal(babel_write_tlv(&w, &t), 0);
	wild.update.metric = BABEL_INFINITY;
	wild.update.has_router_id = true;	/* ignored for a wildcard */
	memcpy(wild.update.router_id, RID, 8);
	assert_int_equal(babel_write_tlv(&w, &wild), 0);
	len = babel_writer_finish(&w);
	/* no second Router-Id; 10.78/16 omits the byte shared with 10.77 */
	assert_int_equal(len, len1 + 13 + 12);
	n = parse_packet(buf, len, &s, NULL, out, 8);
	assert_int_equal(n, 4);
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(out[i].type, BABEL_TLV_UPDATE);
		assert_int_equal(out[i].update.metric, BABEL_INFINITY);
		assert_int_equal(out[i].update.seqno, 4242);
		assert_true(out[i].update.has_router_id);
		assert_memory_equal(out[i].update.router_id, RID, 8);
	}
	assert_int_equal(out[3].update.ae, BABEL_AE_WILDCARD);
	assert_false(out[3].update.has_router_id);
	/* an invalid router-id is refused, not written */
	memset(t.update.router_id, 0xff, 8);
	babel_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(babel_write_tlv(&w, &t), -EINVAL);
	assert_true(babel_writer_empty(&w));
}

static void test_update_round_trip_for_every_ae(void **state)
{
	struct babel_tlv t, r;

	(void)state;
	/* AE 1 via an IPv4 next hop that is not the source: a Next Hop TLV */
	t = update_tlv(BABEL_AE_IPV4, "192.168.50.0/24", "10.99.0.1");
	r = roundtrip(&t, "fe80::1");
	assert_true(babel_addr_equal(&r.update.next_hop, &t.update.next_hop));
	assert_memory_equal(r.update.router_id, RID, 8);
	/* AE 2 via the source address, with a source prefix (RFC 9079) */
	t = update_tlv(BABEL_AE_IPV6, "2001:db8:52::/48", "fe80::1");
	t.update.has_src_prefix = true;
	t.update.src_prefix = prefix_of("2001:db8:aaaa::/48");
	r = roundtrip(&t, "fe80::1");
	assert_true(r.update.has_src_prefix);
	assert_true(babel_prefix_equal(&r.update.src_prefix, &t.update.src_prefix));
	/* AE 4: IPv4 prefix, IPv6 next hop (RFC 9229) */
	t = update_tlv(BABEL_AE_IPV4_VIA_IPV6, "10.77.0.0/16", "fe80::2");
	r = roundtrip(&t, "fe80::1");
	assert_int_equal(r.update.ae, BABEL_AE_IPV4_VIA_IPV6);
	assert_int_equal(r.update.prefix.af, BABEL_AF_INET);
	assert_int_equal(r.update.next_hop.af, BABEL_AF_INET6);
	/* AE 2 retraction: no router-id, no next hop */
	t = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "fe80::1");
	t.update.metric = BABEL_INFINITY;
	t.update.has_router_id = false;
	memset(t.update.router_id, 0, 8);
	memset(&t.update.next_hop, 0, sizeof(t.update.next_hop));
	r = roundtrip(&t, "fe80::1");
	assert_int_equal(r.update.metric, BABEL_INFINITY);
	/* AE 0: wildcard retraction */
	memset(&t, 0, sizeof(t));
	t.type = BABEL_TLV_UPDATE;
	t.update.metric = BABEL_INFINITY;
	t.update.interval = 0xffff;
	r = roundtrip(&t, "fe80::1");
	assert_int_equal(r.update.ae, BABEL_AE_WILDCARD);
	assert_int_equal(r.update.prefix.af, BABEL_AF_NONE);
	/* host routes: plen 32 and 128, and the default route plen 0 */
	t = update_tlv(BABEL_AE_IPV4, "10.77.0.1/32", "10.0.0.1");
	roundtrip(&t, "10.0.0.1");
	t = update_tlv(BABEL_AE_IPV6, "2001:db8:77::1/128", "fe80::1");
	roundtrip(&t, "fe80::1");
	t = update_tlv(BABEL_AE_IPV6, "::/0", "fe80::1");
	roundtrip(&t, "fe80::1");
}

static void test_requests_round_trip_for_every_ae(void **state)
{
	static const struct { uint8_t ae; const char *p; } cases[] = {
		{ BABEL_AE_IPV4, "172.16.60.0/22" },
		{ BABEL_AE_IPV6, "2001:db8:60::/48" },
		{ BABEL_AE_IPV4_VIA_IPV6, "10.0.0.0/8" },
	};
	struct babel_tlv t, r;
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.type = BABEL_TLV_ROUTE_REQ;	/* AE 0: full dump */
	r = roundtrip(&t, "fe80::1");
	assert_int_equal(r.route_req.ae, BABEL_AE_WILDCARD);
	for (i = 0; i < 3; i++) {
		memset(&t, 0, sizeof(t));
		t.type = BABEL_TLV_ROUTE_REQ;
		t.route_req.ae = cases[i].ae;
		t.route_req.prefix = prefix_of(cases[i].p);
		t.route_req.has_src_prefix = true;
		t.route_req.src_prefix = prefix_of(cases[i].ae == BABEL_AE_IPV6 ?
						   "2001:db8:aaaa::/48" : "10.1.0.0/16");
		r = roundtrip(&t, "fe80::1");
		assert_true(babel_prefix_equal(&r.route_req.prefix, &t.route_req.prefix));
		assert_true(r.route_req.has_src_prefix);

		memset(&t, 0, sizeof(t));
		t.type = BABEL_TLV_SEQNO_REQ;
		t.seqno_req.ae = cases[i].ae;
		t.seqno_req.seqno = 4242;
		t.seqno_req.hop_count = 64;
		memcpy(t.seqno_req.router_id, RID, 8);
		t.seqno_req.prefix = prefix_of(cases[i].p);
		r = roundtrip(&t, "fe80::1");
		assert_int_equal(r.seqno_req.seqno, 4242);
		assert_int_equal(r.seqno_req.hop_count, 64);
		assert_memory_equal(r.seqno_req.router_id, RID, 8);
	}
}

static void test_tlv_equal_sees_a_changed_field(void **state)
{
	struct babel_tlv a = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "fe80::1");
	struct babel_tlv b = a;

	(void)state;
	assert_true(babel_tlv_equal(&a, &b));
	b.update.flags = 0x80;	/* flags are the writer's choice */
	assert_true(babel_tlv_equal(&a, &b));
	b.update.seqno++;
	assert_false(babel_tlv_equal(&a, &b));
	b = a;
	b.update.next_hop = addr_of("fe80::2");
	assert_false(babel_tlv_equal(&a, &b));
	b = a;
	b.update.prefix.plen = 33;
	assert_false(babel_tlv_equal(&a, &b));
}

/*
 * 100 consecutive /64s that differ in byte 7 only: after the first, each
 * Update omits 7 bytes (§4.5), and the whole run parses back unchanged.
 */
static void test_consecutive_updates_are_compressed_against_default_prefix(void **state)
{
	uint8_t buf[4096];
	struct babel_writer w;
	struct babel_addr src = addr_of("fe80::1");
	struct babel_tlv in[100], out[MAX_TLVS];
	size_t len, n, i, uncompressed;

	(void)state;
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	for (i = 0; i < 100; i++) {
		char p[64];

		snprintf(p, sizeof(p), "2001:db8:0:%zx::/64", i);
		in[i] = update_tlv(BABEL_AE_IPV6, p, "fe80::1");
		assert_int_equal(babel_write_update(&w, &in[i].update), 0);
	}
	len = babel_writer_finish(&w);
	/* Router-Id (12) + first Update (12 + 8) + 99 x (12 + 1) */
	assert_int_equal(len, 4 + 12 + 20 + 99 * 13);
	uncompressed = 4 + 12 + 100 * 20;
	assert_int_equal(uncompressed - len, 99 * 7);

	n = parse_packet(buf, len, &src, NULL, out, MAX_TLVS);
	assert_int_equal(n, 101);	/* Router-Id + 100 Updates */
	assert_int_equal(out[0].type, BABEL_TLV_ROUTER_ID);
	for (i = 0; i < 100; i++) {
		assert_true(babel_tlv_equal(&in[i], &out[i + 1]));
		assert_true(out[i + 1].update.flags & BABEL_UPDATE_F_DEFAULT_PREFIX);
	}
}

/* AE 1 and AE 4 keep separate default prefixes (RFC 9229 §2.1). */
static void test_ipv4_and_v4_via_v6_compress_independently(void **state)
{
	uint8_t buf[1024];
	struct babel_writer w;
	struct babel_addr src = addr_of("fe80::1");
	struct babel_tlv in[6], out[MAX_TLVS];
	static const char *const pfx[6] = {
		"10.1.1.0/24", "172.16.1.0/24", "10.1.2.0/24",
		"172.16.2.0/24", "10.1.3.0/24", "172.16.3.0/24" };
	size_t n, i, j;

	(void)state;
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	for (i = 0; i < 6; i++) {
		in[i] = i % 2 ? update_tlv(BABEL_AE_IPV4_VIA_IPV6, pfx[i], "fe80::1")
			      : update_tlv(BABEL_AE_IPV4, pfx[i], "10.99.0.1");
		assert_int_equal(babel_write_update(&w, &in[i].update), 0);
	}
	n = parse_packet(buf, babel_writer_finish(&w), &src, NULL, out, MAX_TLVS);
	for (i = 0, j = 0; i < n; i++) {
		if (out[i].type != BABEL_TLV_UPDATE)
			continue;
		assert_true(babel_tlv_equal(&in[j], &out[i]));
		j++;
	}
	assert_int_equal(j, 6);
	/* RID + NH4 + 2 x 15 bytes + 4 x 13 bytes */
	assert_int_equal(w.len, 4 + 12 + 8 + 2 * 15 + 4 * 13);
}

/* -ENOSPC leaves both the bytes and the writer state as they were. */
static void test_write_that_does_not_fit_changes_nothing(void **state)
{
	uint8_t buf[128], before[128];
	struct babel_writer w, wbefore;
	struct babel_addr src = addr_of("fe80::1");
	struct babel_tlv u = update_tlv(BABEL_AE_IPV4, "192.168.50.0/24", "10.99.0.1");
	struct babel_tlv h = { .type = BABEL_TLV_HELLO };
	size_t need = 12 + 8 + 15;	/* Router-Id + Next Hop + Update */
	size_t cap;

	(void)state;
	for (cap = 4 + 8; cap < 4 + 8 + need; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		babel_writer_init(&w, buf, cap);
		babel_writer_set_source(&w, &src);
		assert_int_equal(babel_write_hello(&w, &h.hello), 0);
		memcpy(before, buf, sizeof(buf));
		wbefore = w;
		assert_int_equal(babel_write_update(&w, &u.update), -ENOSPC);
		assert_memory_equal(buf, before, sizeof(buf));
		assert_memory_equal(&w, &wbefore, sizeof(w));
	}
	babel_writer_init(&w, buf, cap);
	babel_writer_set_source(&w, &src);
	assert_int_equal(babel_write_hello(&w, &h.hello), 0);
	assert_int_equal(babel_write_update(&w, &u.update), 0);
	assert_int_equal(w.len, cap);
	assert_int_equal(babel_writer_finish(&w), cap);
}

/* Filling a packet stops at cap exactly: the bytes past it stay intact. */
static void test_writer_never_writes_past_cap(void **state)
{
	uint8_t buf[300];
	struct babel_writer w;
	struct babel_addr src = addr_of("fe80::1");
	size_t i, cap = 200, written = 0;
	int rc = 0;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	babel_writer_init(&w, buf, cap);
	babel_writer_set_source(&w, &src);
	for (i = 0; rc == 0; i++) {
		char p[64];
		struct babel_tlv u;

		snprintf(p, sizeof(p), "2001:db8:%zx::/48", i * 977);
		u = update_tlv(BABEL_AE_IPV6, p, i % 2 ? "fe80::1" : "fe80::2");
		rc = babel_write_update(&w, &u.update);
		if (rc == 0)
			written++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(written > 3);
	assert_true(w.len <= cap);
	for (i = cap; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
	assert_false(babel_writer_empty(&w));
}

/* What the daemon holds back while allowed IPs are written: packets with
 * an Update; a Hello, IHU or Ack goes at once. */
static void test_packet_has_update_only_with_an_update(void **state)
{
	uint8_t buf[512];
	struct babel_writer w;
	struct babel_addr src = addr_of("fe80::1");
	struct babel_tlv hello = { .type = BABEL_TLV_HELLO };
	struct babel_tlv ack = { .type = BABEL_TLV_ACK };
	struct babel_tlv u = update_tlv(BABEL_AE_IPV6, "2001:db8::/48",
					"fe80::1");
	size_t n;

	(void)state;
	hello.hello.seqno = 7;
	hello.hello.interval = 400;
	ack.ack.nonce = 1;
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	assert_int_equal(babel_write_tlv(&w, &hello), 0);
	assert_int_equal(babel_write_pad(&w, 1), 0);
	assert_int_equal(babel_write_tlv(&w, &ack), 0);
	n = babel_writer_finish(&w);
	assert_false(babel_packet_has_update(buf, n));
	/* the same with an Update after them */
	babel_writer_init(&w, buf, sizeof(buf));
	babel_writer_set_source(&w, &src);
	assert_int_equal(babel_write_tlv(&w, &hello), 0);
	assert_int_equal(babel_write_update(&w, &u.update), 0);
	n = babel_writer_finish(&w);
	assert_true(babel_packet_has_update(buf, n));
	/* bytes past the body (a trailer) are not looked at */
	babel_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(babel_write_tlv(&w, &hello), 0);
	n = babel_writer_finish(&w);
	buf[n] = BABEL_TLV_UPDATE;
	buf[n + 1] = 0;
	assert_false(babel_packet_has_update(buf, n + 2));
	/* malformed: short, body longer than the datagram, a TLV that runs
	 * past the body */
	assert_true(babel_packet_has_update(buf, 3));
	buf[3] = (uint8_t)(buf[3] + 10);
	assert_true(babel_packet_has_update(buf, n));
	buf[3] = (uint8_t)(buf[3] - 10);
	buf[BABEL_HEADER_LEN + 1] = 200;	/* the Hello's length */
	assert_true(babel_packet_has_update(buf, n));
}

static void test_writer_refuses_what_cannot_be_encoded(void **state)
{
	uint8_t buf[256];
	struct babel_writer w;
	struct babel_tlv u;
	struct babel_next_hop nh = { .ae = BABEL_AE_IPV6_LL };

	(void)state;
	babel_writer_init(&w, buf, sizeof(buf));
	u = update_tlv(BABEL_AE_IPV6_LL, "2001:db8::/32", "fe80::1");
	u.update.prefix.af = BABEL_AF_INET6;
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	u = update_tlv(BABEL_AE_IPV4, "2001:db8::/32", "fe80::1");
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	u = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "10.0.0.1");
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	u = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "fe80::1");
	u.update.has_router_id = false;
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	u = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "fe80::1");
	u.update.prefix.addr[15] = 1;	/* bits past plen */
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	/* next hop "source" after an explicit Next Hop, source unknown */
	u = update_tlv(BABEL_AE_IPV6, "2001:db8::/32", "fe80::2");
	assert_int_equal(babel_write_update(&w, &u.update), 0);
	memset(&u.update.next_hop, 0, sizeof(u.update.next_hop));
	assert_int_equal(babel_write_update(&w, &u.update), -EINVAL);
	nh.addr = addr_of("2001:db8::1");	/* not link-local: no AE 3 */
	assert_int_equal(babel_write_next_hop(&w, &nh), -EINVAL);
	assert_int_equal(babel_write_pad(&w, 258), -EINVAL);
}

static void test_prefix_parse_and_str(void **state)
{
	struct babel_prefix p;
	char s[64];

	(void)state;
	assert_int_equal(babel_prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(p.af, BABEL_AF_INET);
	assert_int_equal(p.plen, 8);
	assert_string_equal(babel_prefix_str(&p, s, sizeof(s)), "10.0.0.0/8");
	assert_int_equal(babel_prefix_parse("2001:db8::/32", &p), 0);
	assert_string_equal(babel_prefix_str(&p, s, sizeof(s)), "2001:db8::/32");
	assert_int_equal(babel_prefix_parse("2001:db8::1", &p), 0);
	assert_int_equal(p.plen, 128);
	assert_int_equal(babel_prefix_parse("*", &p), 0);
	assert_string_equal(babel_prefix_str(&p, s, sizeof(s)), "*");
	assert_int_equal(babel_prefix_parse("10.0.0.1/8", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("10.0.0.0/33", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("::/129", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("10.0.0.0/", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("10.0.0.0/8x", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("nonsense", &p), -EINVAL);
	assert_int_equal(babel_prefix_parse("", &p), -EINVAL);
}

static void test_ae_for_picks_v4_via_v6_for_ipv4_over_ipv6(void **state)
{
	struct babel_prefix v4 = prefix_of("10.0.0.0/8"), v6 = prefix_of("2001:db8::/32");
	struct babel_prefix any = prefix_of("*");
	struct babel_addr nh4 = addr_of("10.0.0.1"), nh6 = addr_of("fe80::1");

	(void)state;
	assert_int_equal(babel_ae_for(&v4, &nh4), BABEL_AE_IPV4);
	assert_int_equal(babel_ae_for(&v4, &nh6), BABEL_AE_IPV4_VIA_IPV6);
	assert_int_equal(babel_ae_for(&v6, &nh6), BABEL_AE_IPV6);
	assert_int_equal(babel_ae_for(&any, &nh6), BABEL_AE_WILDCARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_request_and_ack_round_trip),
		cmocka_unit_test(test_hello_round_trip_keeps_unicast_flag_and_timestamp),
		cmocka_unit_test(test_hello_round_trip_keeps_restart_subtlv),
		cmocka_unit_test(test_ihu_round_trip_for_ae_0_1_2_3),
		cmocka_unit_test(test_router_id_and_next_hop_round_trip),
		cmocka_unit_test(test_update_round_trip_for_every_ae),
		cmocka_unit_test(test_retraction_carries_the_router_id_of_its_source),
		cmocka_unit_test(test_requests_round_trip_for_every_ae),
		cmocka_unit_test(test_tlv_equal_sees_a_changed_field),
		cmocka_unit_test(test_consecutive_updates_are_compressed_against_default_prefix),
		cmocka_unit_test(test_ipv4_and_v4_via_v6_compress_independently),
		cmocka_unit_test(test_write_that_does_not_fit_changes_nothing),
		cmocka_unit_test(test_writer_never_writes_past_cap),
		cmocka_unit_test(test_writer_refuses_what_cannot_be_encoded),
		cmocka_unit_test(test_packet_has_update_only_with_an_update),
		cmocka_unit_test(test_prefix_parse_and_str),
		cmocka_unit_test(test_ae_for_picks_v4_via_v6_for_ipv4_over_ipv6),
	};

	return cmocka_run_group_tests_name("wire round trips", tests, NULL, NULL);
}
