/* SPDX-License-Identifier: MIT */
/* daemon/sbuf.c — see sbuf.h. */
#include "daemon/sbuf.h"

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
