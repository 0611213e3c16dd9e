/* SPDX-License-Identifier: MIT */
/*
 * daemon/sbuf.h — a growable output buffer for control-socket replies, with
 * a JSON string escaper. An allocation failure sets oom and later appends
 * do nothing, so callers check once at the end.
 */
#ifndef WGB_DAEMON_SBUF_H
#define WGB_DAEMON_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_puts(struct sbuf *b, const char *s);
/* Fast appends for output of many lines (the 100,000-route dump): no
 * format string to interpret. */
void sbuf_putn(struct sbuf *b, const char *s, size_t n);
void sbuf_put_uint(struct sbuf *b, unsigned long long v);
/* The low DIGITS hex digits of V, zero-padded (at most 16). */
void sbuf_put_hex(struct sbuf *b, unsigned long long v, unsigned digits);
/* An IPv6 address as inet_ntop() writes it, faster. */
void sbuf_put_ip6(struct sbuf *b, const uint8_t a[16]);
/* Appends S as a JSON string, quotes included. */
void sbuf_json_str(struct sbuf *b, const char *s);
/* Hands the bytes over (the caller frees them); B is empty afterwards. */
char *sbuf_take(struct sbuf *b, size_t *len);
void sbuf_free(struct sbuf *b);

#endif
