/* SPDX-License-Identifier: MIT */
/*
 * daemon/httpreq.c — the metrics endpoint's request-head parser (see
 * httpreq.h). RFC 9112 §3 (request line), §5 (field lines), §6.3 (a body
 * is announced by Content-Length or Transfer-Encoding); token characters
 * from RFC 9110 §5.6.2.
 */
#include "daemon/httpreq.h"

#include <string.h>

#define HTTP_METHOD_MAX 16

static bool http_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte that may appear in a line at all: VCHAR, SP, HT, obs-text. */
static bool http_line_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool http_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* "METHOD SP request-target SP HTTP/1.x" (§3): 200, or the status. */
static int http_request_line(const char *s, size_t n, struct http_req *req)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *t, *v;
	size_t ml, tl, i;

	if (!sp1 || sp1 == s || (ml = (size_t)(sp1 - s)) > HTTP_METHOD_MAX)
		return 400;
	for (i = 0; i < ml; i++)
		if (!http_tchar((unsigned char)s[i]))
			return 400;
	t = sp1 + 1;
	sp2 = memchr(t, ' ', n - (size_t)(t - s));
	if (!sp2 || sp2 == t)
		return 400;
	tl = (size_t)(sp2 - t);
	for (i = 0; i < tl; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 400;
	v = sp2 + 1;
	if ((size_t)(s + n - v) != 8 || memcmp(v, "HTTP/", 5) ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	req->minor = v[7] - '0';
	if (ml == 4 && !memcmp(s, "HEAD", 4))
		req->head = true;
	else if (ml != 3 || memcmp(s, "GET", 3))
		return 405;
	/* absolute-form (§3.2.2): the authority is ours, whatever it says */
	if (tl > 7 && http_ieq(t, 7, "http://")) {
		const char *p = memchr(t + 7, '/', tl - 7);

		if (!p)
			return 404;
		tl -= (size_t)(p - t);
		t = p;
	}
	if (t[0] != '/')
		return 400;
	if (tl < 8 || memcmp(t, "/metrics", 8) || (tl > 8 && t[8] != '?'))
		return 404;
	return 200;
}

/* "name: value" (§5): 200, or 400 / 413. */
static int http_field_line(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v, *e;
	size_t nl, i;

	if (!colon || colon == s)
		return 400;	/* also obs-fold: a line starting with SP/HT */
	nl = (size_t)(colon - s);
	for (i = 0; i < nl; i++)
		if (!http_tchar((unsigned char)s[i]))
			return 400;
	v = colon + 1;
	e = s + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (http_ieq(s, nl, "transfer-encoding"))
		return 413;
	if (http_ieq(s, nl, "content-length")) {
		bool zero = true;

		if (v == e)
			return 400;
		for (const char *p = v; p < e; p++) {
			if (*p < '0' || *p > '9')
				return 400;
			if (*p != '0')
				zero = false;
		}
		if (!zero)
			return 413;
	}
	return 200;
}

int http_req_parse(const char *buf, size_t len, struct http_req *req)
{
	size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	size_t off = 0, eol;
	unsigned line = 0;
	int st;

	memset(req, 0, sizeof(*req));
	for (;;) {
		/* the next line: bytes allowed in one, up to CRLF */
		for (eol = off; eol < lim; eol++) {
			unsigned char c = (unsigned char)buf[eol];

			if (c == '\r') {
				if (eol + 1 == lim)
					break;	/* its LF may follow */
				if (buf[eol + 1] != '\n')
					return 400;
				break;
			}
			if (!http_line_char(c))
				return 400;	/* a bare LF too (§2.2) */
		}
		if (eol + 1 >= lim)	/* no CRLF yet */
			return len >= HTTP_HEAD_MAX ? 431 : 0;
		if (line == 0) {
			if ((st = http_request_line(buf, eol, req)) != 200)
				return st;
		} else if (eol == off) {
			req->head_len = eol + 2;
			return 200;
		} else if ((st = http_field_line(buf + off, eol - off)) != 200) {
			return st;
		}
		off = eol + 2;
		line++;
	}
}

const char *http_status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}
