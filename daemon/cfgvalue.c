/* SPDX-License-Identifier: MIT */
/*
 * daemon/cfgvalue.c — splitting a configuration line into words and
 * reading its values (numbers, seconds, booleans, prefixes, names, paths),
 * each with the exact message an operator sees.
 */
#include "daemon/cfgparse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_fail(struct cfg_line *l, const char *fmt, ...)
{
	char msg[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s:%u: %s", l->c->source,
			 l->lineno, msg);
	return -EINVAL;
}

const char *cfg_next(struct cfg_line *l)
{
	return l->i < l->words->n ? l->words->w[l->i++] : NULL;
}

/* The value after keyword KW, or an error naming KW. */
int cfg_value(struct cfg_line *l, const char *kw, const char **out)
{
	*out = cfg_next(l);
	if (!*out)
		return cfg_fail(l, "'%s' needs a value", kw);
	return 0;
}

int cfg_split(const char *line, struct cfg_words *w, char *err,
		     size_t errlen)
{
	size_t len = strlen(line), o = 0;
	const char *s = line;

	w->n = 0;
	if (len >= sizeof(w->buf)) {
		snprintf(err, errlen, "line longer than %zu characters",
			 sizeof(w->buf) - 1);
		return -EINVAL;
	}
	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			return 0;
		if (w->n == CFG_MAX_WORDS) {
			snprintf(err, errlen, "more than %d words on a line",
				 CFG_MAX_WORDS);
			return -EINVAL;
		}
		w->w[w->n++] = &w->buf[o];
		if (*s == '"') {
			s++;
			while (*s && *s != '"')
				w->buf[o++] = *s++;
			if (*s != '"') {
				snprintf(err, errlen, "unterminated quote");
				return -EINVAL;
			}
			s++;
		} else {
			while (*s && !isspace((unsigned char)*s) && *s != '#')
				w->buf[o++] = *s++;
		}
		w->buf[o++] = '\0';
	}
}

/* ------------------------------------------------------------ values */

int cfg_uint(struct cfg_line *l, const char *kw, const char *s,
		    unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return cfg_fail(l, "%s: '%s' is not a number", kw, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return cfg_fail(l, "%s: '%s' is not a number", kw, s);
	if (errno == ERANGE || v < min || v > max)
		return cfg_fail(l, "%s must be between %lu and %lu (got %s)",
				kw, min, max, s);
	*out = v;
	return 0;
}

/*
 * Seconds with up to three decimals, as babeld writes them ("4", "0.5"),
 * turned into milliseconds within [min_ms, max_ms].
 */
int cfg_seconds(struct cfg_line *l, const char *kw, const char *s,
		       uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	unsigned long whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (unsigned long)(*p++ - '0');
		if (whole > 1000000)
			goto range;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			if (scale == 1)
				return cfg_fail(l, "%s: '%s' has more than "
						"millisecond precision", kw, s);
			scale /= 10;
			frac += (unsigned long)(*p++ - '0') * scale;
		}
	}
	if (*p)
		goto bad;
	whole = whole * 1000 + frac;
	if (whole < min_ms || whole > max_ms)
		goto range;
	*out = (uint32_t)whole;
	return 0;
bad:
	return cfg_fail(l, "%s: '%s' is not a number of seconds", kw, s);
range:
	return cfg_fail(l, "%s must be between %u.%03u and %u.%03u seconds "
			"(got %s)", kw, min_ms / 1000, min_ms % 1000,
			max_ms / 1000, max_ms % 1000, s);
}

int cfg_bool(struct cfg_line *l, const char *kw, bool *out)
{
	const char *s;

	/* A bare flag ("keep-routes-on-exit") means true. */
	if (l->i >= l->words->n) {
		*out = true;
		return 0;
	}
	s = cfg_next(l);
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return cfg_fail(l, "%s: '%s' is not true or false", kw, s);
	return 0;
}

int cfg_prefix_parse(const char *s, struct babel_prefix *p, char *err,
		     size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned maxlen;
	char *end;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		p->af = BABEL_AF_INET6;
		maxlen = 128;
	} else if (inet_pton(AF_INET, addr, p->addr) == 1) {
		p->af = BABEL_AF_INET;
		maxlen = 32;
	} else {
		goto bad;
	}
	if (!slash) {
		p->plen = (uint8_t)maxlen;
		return 0;
	}
	if (!isdigit((unsigned char)slash[1]))
		goto bad;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (*end || errno || plen > maxlen) {
		snprintf(err, errlen, "'%s': prefix length must be 0 to %u", s,
			 maxlen);
		return -EINVAL;
	}
	p->plen = (uint8_t)plen;
	for (unsigned b = p->plen; b < maxlen; b++) {
		if (p->addr[b / 8] & (0x80 >> (b % 8))) {
			struct babel_prefix m = *p;
			char buf[64];

			for (unsigned k = m.plen; k < maxlen; k++)
				m.addr[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
			snprintf(err, errlen, "'%s' has bits set past /%u "
				 "(did you mean %s?)", s, p->plen,
				 cfg_prefix_str(&m, buf, sizeof(buf)));
			return -EINVAL;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an IPv6 or IPv4 prefix", s);
	return -EINVAL;
}

const char *cfg_prefix_addr_str(const struct babel_prefix *p, char *a,
				size_t len)
{
	if (p->af == BABEL_AF_INET6)
		inet_ntop(AF_INET6, p->addr, a, (socklen_t)len);
	else if (p->af == BABEL_AF_INET)
		inet_ntop(AF_INET, p->addr, a, (socklen_t)len);
	else
		snprintf(a, len, "any");
	return a;
}

const char *cfg_prefix_str(const struct babel_prefix *p, char *buf,
			   size_t len)
{
	char a[INET6_ADDRSTRLEN];

	cfg_prefix_addr_str(p, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
	return buf;
}

int cfg_prefix(struct cfg_line *l, const char *kw, const char *s,
		      struct babel_prefix *p)
{
	char msg[CFG_ERR_MAX];

	if (cfg_prefix_parse(s, p, msg, sizeof(msg)) < 0)
		return cfg_fail(l, "%s: %s", kw, msg);
	return 0;
}

int cfg_metric(struct cfg_line *l, const char *kw, uint16_t *out)
{
	const char *s;
	unsigned long v;
	int r;

	if ((r = cfg_value(l, kw, &s)) < 0)
		return r;
	if (*s == '+')
		s++;
	if ((r = cfg_uint(l, kw, s, 0, BABEL_INFINITY - 1, &v)) < 0)
		return r;
	*out = (uint16_t)v;
	return 0;
}

int cfg_ifname(struct cfg_line *l, const char *kw, const char *s,
		      char *out)
{
	if (strlen(s) >= CFG_IFNAME_MAX)
		return cfg_fail(l, "%s: '%s' is longer than %d characters",
				kw, s, CFG_IFNAME_MAX - 1);
	if (strchr(s, '/'))
		return cfg_fail(l, "%s: '%s' is not an interface name", kw, s);
	strcpy(out, s);
	return 0;
}

/* "prefix P", "le N", "ge N" at the current word; returns 1 if consumed. */
int cfg_match_word(struct cfg_line *l, const char *w,
			  struct cfg_prefix_match *m)
{
	const char *s;
	unsigned long v;
	int r;

	if (!strcmp(w, "prefix") || !strcmp(w, "ip")) {
		if ((r = cfg_value(l, w, &s)) < 0)
			return r;
		if ((r = cfg_prefix(l, w, s, &m->prefix)) < 0)
			return r;
		m->any = false;
		return 1;
	}
	if (!strcmp(w, "le") || !strcmp(w, "ge")) {
		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_uint(l, w, s, 0, 128, &v)) < 0)
			return r;
		if (w[0] == 'l')
			m->le = (int)v;
		else
			m->ge = (int)v;
		return 1;
	}
	return 0;
}

int cfg_match_check(struct cfg_line *l, struct cfg_prefix_match *m)
{
	unsigned maxlen = m->prefix.af == BABEL_AF_INET ? 32 : 128;

	if (m->any && (m->le >= 0 || m->ge >= 0))
		return cfg_fail(l, "'le' and 'ge' need a 'prefix'");
	if (m->any)
		return 0;
	if (m->le > (int)maxlen || m->ge > (int)maxlen)
		return cfg_fail(l, "le/ge must not exceed %u for %s", maxlen,
				m->prefix.af == BABEL_AF_INET ? "IPv4" : "IPv6");
	if (m->le >= 0 && m->le < m->prefix.plen)
		return cfg_fail(l, "le %d is shorter than the prefix length %u",
				m->le, m->prefix.plen);
	if (m->ge >= 0 && m->ge < m->prefix.plen)
		return cfg_fail(l, "ge %d is shorter than the prefix length %u",
				m->ge, m->prefix.plen);
	if (m->le >= 0 && m->ge >= 0 && m->ge > m->le)
		return cfg_fail(l, "ge %d is greater than le %d", m->ge, m->le);
	return 0;
}

void *cfg_push(void **arr, size_t *n, size_t size)
{
	void *a = realloc(*arr, (*n + 1) * size);

	if (!a)
		return NULL;
	*arr = a;
	memset((char *)a + *n * size, 0, size);
	return (char *)a + (*n)++ * size;
}

int cfg_path(struct cfg_line *l, const char *kw, char *out,
		    size_t outlen)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, kw, &s)) < 0)
		return r;
	if (s[0] != '/')
		return cfg_fail(l, "%s: '%s' is not an absolute path", kw, s);
	if (strlen(s) >= outlen)
		return cfg_fail(l, "%s: path longer than %zu characters", kw,
				outlen - 1);
	strcpy(out, s);
	return 0;
}

