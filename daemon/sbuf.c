/* SPDX-License-Identifier: MIT */
/* daemon/sbuf.c — see sbuf.h. */
#include "daemon/sbuf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Format straight into the spare room; only a line that does not
	 * fit is formatted a second time, after growing. */
	if (!sbuf_reserve(b, 128))
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		if (!sbuf_reserve(b, (size_t)n)) {
			b->p[b->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sbuf_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!sbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_put_uint(struct sbuf *b, unsigned long long v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sbuf_putn(b, t + i, sizeof(t) - i);
}

void sbuf_put_hex(struct sbuf *b, unsigned long long v, unsigned digits)
{
	static const char hx[] = "0123456789abcdef";
	char t[16];

	if (digits > sizeof(t))
		digits = sizeof(t);
	for (unsigned i = digits; i-- > 0; v >>= 4)
		t[i] = hx[v & 15];
	sbuf_putn(b, t, digits);
}

/*
 * inet_ntop's text of an IPv6 address without its cost (it formats each
 * group with sprintf; a dump writes 100,000 prefixes): RFC 5952, lowercase
 * hex without leading zeros, the longest run of two or more zero groups
 * (the first of equal runs) as "::". The forms with a dotted IPv4 tail
 * (::a.b.c.d, ::ffff:a.b.c.d) are left to inet_ntop. The unit test
 * compares the two on random and edge addresses.
 */
void sbuf_put_ip6(struct sbuf *b, const uint8_t a[16])
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, bestlen = 0;
	char out[40], *o = out;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (bestlen < 2)
		best = -1;
	/* glibc's inet_ntop6: an IPv4-compatible or -mapped address */
	if (best == 0 && (bestlen == 6 || (bestlen == 7 && w[7] != 1) ||
			  (bestlen == 5 && w[5] == 0xffff))) {
		char t[46];

		sbuf_puts(b, inet_ntop(AF_INET6, a, t, sizeof(t)) ? t : "?");
		return;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*o++ = ':';
			*o++ = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			*o++ = ':';
		for (int sh = 12, started = 0; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 0xf;

			if (d || started || sh == 0) {
				*o++ = hex[d];
				started = 1;
			}
		}
	}
	sbuf_putn(b, out, (size_t)(o - out));
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (!sbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void sbuf_json_str(struct sbuf *b, const char *s)
{
	sbuf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sbuf_printf(b, "\\%c", c);
		else if (c < 0x20)
			sbuf_printf(b, "\\u%04x", c);
		else
			sbuf_printf(b, "%c", c);
	}
	sbuf_puts(b, "\"");
}

char *sbuf_take(struct sbuf *b, size_t *len)
{
	char *p = b->p;

	*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
