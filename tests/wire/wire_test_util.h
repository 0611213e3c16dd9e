/* SPDX-License-Identifier: MIT */
/*
 * tests/wire/wire_test_util.h — small helpers for the proto/wire tests:
 * addresses and prefixes from strings, packets from TLV bytes, parsing a
 * whole packet into an array.
 */
#ifndef WGB_TESTS_WIRE_UTIL_H
#define WGB_TESTS_WIRE_UTIL_H

#include "proto/wire.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define MAX_TLVS 256

static inline struct babel_addr addr_of(const char *s)
{
	struct babel_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.af = BABEL_AF_INET;
	else if (inet_pton(AF_INET6, s, a.addr) == 1)
		a.af = BABEL_AF_INET6;
	else
		fail_msg("bad address %s", s);
	return a;
}

static inline struct babel_prefix prefix_of(const char *s)
{
	struct babel_prefix p;

	if (babel_prefix_parse(s, &p) != 0)
		fail_msg("bad prefix %s", s);
	return p;
}

/* A datagram: header with the body length, then body. */
static inline size_t make_packet(uint8_t *out, const uint8_t *body, size_t len)
{
	out[0] = BABEL_MAGIC;
	out[1] = BABEL_VERSION;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, body, len);
	return len + 4;
}

/* Parse everything; returns how many TLVs came out (asserts the header). */
static inline size_t parse_packet(const uint8_t *buf, size_t len,
				  const struct babel_addr *src,
				  struct babel_parse_stats *st,
				  struct babel_tlv *out, size_t max)
{
	struct babel_parser p;
	struct babel_tlv t;
	size_t n = 0;

	assert_int_equal(babel_parser_init(&p, buf, len, src, st), 0);
	while (babel_parser_next(&p, &t) == 1) {
		assert_true(n < max);
		out[n++] = t;
	}
	return n;
}

/* Parse a body; returns how many TLVs came out. */
static inline size_t parse_body(const uint8_t *body, size_t len,
				const struct babel_addr *src,
				struct babel_parse_stats *st,
				struct babel_tlv *out, size_t max)
{
	uint8_t buf[2048];

	assert_true(len + 4 <= sizeof(buf));
	return parse_packet(buf, make_packet(buf, body, len), src, st, out, max);
}

#endif
