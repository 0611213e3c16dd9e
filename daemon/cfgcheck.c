/* SPDX-License-Identifier: MIT */
/*
 * daemon/cfgcheck.c — the health-check and drain options of an "announce"
 * line (wgbabeld.conf(5)): "check icmp|tcp|http|exec ...", its timing,
 * "bind", "fwmark", "down", "drain-file", "drain-delay" and "on-change".
 * Parse only:
 * daemon/check.c runs the checks.
 *
 * Targets are numeric addresses: a name would need a resolver, and a
 * resolver that hangs or answers differently over the uplink than over the
 * mesh is one more way for a check to lie.
 */
#include "daemon/cfgparse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options given on the line, to say which need a check. */
enum {
	ANN_INTERVAL = 1u << 0,
	ANN_FAST = 1u << 1,
	ANN_RISE = 1u << 2,
	ANN_FALL = 1u << 3,
	ANN_TIMEOUT = 1u << 4,
	ANN_BIND = 1u << 5,
	ANN_FWMARK = 1u << 6,
	ANN_DOWN = 1u << 7,
	ANN_EXPECT = 1u << 8,
};

static const char *const ann_names[] = {
	"interval", "fast-interval", "rise", "fall", "timeout", "bind",
	"fwmark", "down", "expect",
};

const char *cfg_check_kind_name(enum cfg_check_kind k)
{
	switch (k) {
	case CFG_CHECK_ICMP: return "icmp";
	case CFG_CHECK_TCP: return "tcp";
	case CFG_CHECK_HTTP: return "http";
	case CFG_CHECK_EXEC: return "exec";
	case CFG_CHECK_NONE: break;
	}
	return "none";
}

static int addr_parse(const char *s, struct babel_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->af = BABEL_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->af = BABEL_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* "192.0.2.1:80" or "[2001:db8::1]:80"; *rest gets what follows the
 * address when PORT_OPTIONAL (the URL's path). */
static int hostport_parse(const char *s, struct babel_addr *a, uint16_t *port,
			  bool port_optional, const char **rest)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *p, *end;
	unsigned long v;
	char *e;

	if (*s == '[') {
		end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		p = end + 1;
		s++;
	} else {
		end = s + strcspn(s, ":/");
		p = end;
	}
	if ((size_t)(end - s) >= sizeof(host) || end == s)
		return -EINVAL;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	if (addr_parse(host, a) < 0)
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		v = strtoul(p, &e, 10);
		if (errno || v == 0 || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
		p = e;
	} else if (!port_optional) {
		return -EINVAL;
	}
	if (rest)
		*rest = p;
	else if (*p)
		return -EINVAL;
	return 0;
}

/* "http://ADDR[:PORT][/PATH]": the Host header is ADDR[:PORT] as written. */
static int url_parse(struct cfg_line *l, const char *s, struct cfg_check *c)
{
	const char *p, *hp;

	if (strncmp(s, "http://", 7))
		return cfg_fail(l, "check http: '%s' is not an http:// URL "
				"(https is not supported)", s);
	hp = s + 7;
	c->port = 80;
	if (hostport_parse(hp, &c->addr, &c->port, true, &p) < 0 ||
	    (*p && *p != '/'))
		return cfg_fail(l, "check http: '%s': expected http://ADDRESS"
				"[:PORT]/PATH with a numeric address", s);
	if ((size_t)(p - hp) >= sizeof(c->host) ||
	    strlen(*p ? p : "/") >= sizeof(c->path))
		return cfg_fail(l, "check http: URL '%s' is too long", s);
	memcpy(c->host, hp, (size_t)(p - hp));
	c->host[p - hp] = '\0';
	snprintf(c->path, sizeof(c->path), "%s", *p ? p : "/");
	for (const char *q = c->path; *q; q++) {
		/* RFC 9112 §3: the request target holds no space or control */
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return cfg_fail(l, "check http: URL '%s' has a space "
					"or control character", s);
	}
	return 0;
}

static int check_kind_parse(struct cfg_line *l, struct cfg_check *c)
{
	const char *k, *v;
	int r;

	if (c->kind != CFG_CHECK_NONE)
		return cfg_fail(l, "announce: more than one 'check'");
	if ((r = cfg_value(l, "check", &k)) < 0)
		return r;
	if (strcmp(k, "icmp") && strcmp(k, "tcp") && strcmp(k, "http") &&
	    strcmp(k, "exec"))
		return cfg_fail(l, "check: unknown kind '%s' (expected icmp, "
				"tcp, http or exec)", k);
	if ((r = cfg_value(l, k, &v)) < 0)
		return cfg_fail(l, "check %s needs %s", k,
				!strcmp(k, "icmp") ? "an address" :
				!strcmp(k, "tcp") ? "ADDRESS:PORT" :
				!strcmp(k, "http") ? "a URL" : "a command");
	if (!strcmp(k, "icmp")) {
		c->kind = CFG_CHECK_ICMP;
		if (addr_parse(v, &c->addr) < 0)
			return cfg_fail(l, "check icmp: '%s' is not an IPv4 or "
					"IPv6 address", v);
	} else if (!strcmp(k, "tcp")) {
		c->kind = CFG_CHECK_TCP;
		if (hostport_parse(v, &c->addr, &c->port, false, NULL) < 0)
			return cfg_fail(l, "check tcp: '%s': expected ADDRESS:"
					"PORT or [IPV6-ADDRESS]:PORT", v);
	} else if (!strcmp(k, "http")) {
		c->kind = CFG_CHECK_HTTP;
		c->expect = 200;
		if ((r = url_parse(l, v, c)) < 0)
			return r;
	} else {
		c->kind = CFG_CHECK_EXEC;
		if (!*v)
			return cfg_fail(l, "check exec: empty command");
		if (strlen(v) >= sizeof(c->cmd))
			return cfg_fail(l, "check exec: command longer than %zu "
					"characters", sizeof(c->cmd) - 1);
		strcpy(c->cmd, v);
	}
	return 0;
}

void cfg_announce_defaults(struct cfg_announce *a)
{
	struct cfg_check *c = &a->check;

	c->interval_ms = CFG_CHECK_INTERVAL_MS;
	c->fast_interval_ms = CFG_CHECK_FAST_INTERVAL_MS;
	c->timeout_ms = CFG_CHECK_TIMEOUT_MS;
	c->rise = CFG_CHECK_RISE;
	c->fall = CFG_CHECK_FALL;
	a->drain_delay_ms = CFG_DRAIN_DELAY_MS;
}

/* One option of an "announce" line at W; 1 if it is one of ours. */
int cfg_announce_word(struct cfg_line *l, const char *w,
		      struct cfg_announce *a, unsigned *set)
{
	struct cfg_check *c = &a->check;
	const char *s;
	unsigned long v;
	int r;

	if (!strcmp(w, "check"))
		return check_kind_parse(l, c) < 0 ? -EINVAL : 1;
	if (!strcmp(w, "interval") || !strcmp(w, "fast-interval") ||
	    !strcmp(w, "timeout")) {
		uint32_t *out = w[0] == 'i' ? &c->interval_ms :
				w[0] == 'f' ? &c->fast_interval_ms :
				&c->timeout_ms;

		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_seconds(l, w, s, 100, 3600000, out)) < 0)
			return r;
		*set |= w[0] == 'i' ? ANN_INTERVAL : w[0] == 'f' ? ANN_FAST :
			ANN_TIMEOUT;
		return 1;
	}
	if (!strcmp(w, "rise") || !strcmp(w, "fall")) {
		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_uint(l, w, s, 1, 100, &v)) < 0)
			return r;
		if (w[0] == 'r')
			c->rise = (uint16_t)v;
		else
			c->fall = (uint16_t)v;
		*set |= w[0] == 'r' ? ANN_RISE : ANN_FALL;
		return 1;
	}
	if (!strcmp(w, "bind")) {
		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_ifname(l, w, s, c->bind)) < 0)
			return r;
		*set |= ANN_BIND;
		return 1;
	}
	if (!strcmp(w, "fwmark")) {
		char *end;

		if ((r = cfg_value(l, w, &s)) < 0)
			return r;
		errno = 0;
		v = strtoul(s, &end, 0);
		if (!isdigit((unsigned char)*s) || *end || errno || v == 0 ||
		    v > UINT32_MAX)
			return cfg_fail(l, "fwmark: '%s' is not a mark from 1 "
					"to 0xffffffff", s);
		c->fwmark = (uint32_t)v;
		*set |= ANN_FWMARK;
		return 1;
	}
	if (!strcmp(w, "expect")) {
		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_uint(l, w, s, 100, 599, &v)) < 0)
			return r;
		c->expect = (uint16_t)v;
		*set |= ANN_EXPECT;
		return 1;
	}
	if (!strcmp(w, "down")) {
		if ((r = cfg_value(l, w, &s)) < 0)
			return r;
		if (!strcmp(s, "withdraw")) {
			c->down = CFG_CHECK_DOWN_WITHDRAW;
		} else if (!strcmp(s, "metric")) {
			if ((r = cfg_metric(l, "down metric", &c->down_metric)) < 0)
				return r;
			if (!c->down_metric)
				return cfg_fail(l, "down metric must be between "
						"1 and %u (got 0)",
						BABEL_INFINITY - 1);
			c->down = CFG_CHECK_DOWN_METRIC;
		} else {
			return cfg_fail(l, "down: expected 'withdraw' or "
					"'metric N', got '%s'", s);
		}
		*set |= ANN_DOWN;
		return 1;
	}
	if (!strcmp(w, "drain-file")) {
		if ((r = cfg_path(l, w, a->drain_file,
				  sizeof(a->drain_file))) < 0)
			return r;
		return 1;
	}
	if (!strcmp(w, "on-change")) {
		if ((r = cfg_value(l, w, &s)) < 0)
			return r;
		if (!*s)
			return cfg_fail(l, "on-change: empty command");
		if (strlen(s) >= sizeof(a->on_change))
			return cfg_fail(l, "on-change: command longer than %zu "
					"characters", sizeof(a->on_change) - 1);
		strcpy(a->on_change, s);
		return 1;
	}
	if (!strcmp(w, "drain-delay")) {
		if ((r = cfg_value(l, w, &s)) < 0 ||
		    (r = cfg_seconds(l, w, s, 0, 3600000,
				     &a->drain_delay_ms)) < 0)
			return r;
		return 1;
	}
	return 0;
}

/* After the whole line: options that need a check, and their coherence. */
int cfg_announce_finish(struct cfg_line *l, struct cfg_announce *a,
			unsigned set)
{
	const struct cfg_check *c = &a->check;

	if (c->kind == CFG_CHECK_NONE && set) {
		for (size_t i = 0; i < sizeof(ann_names) / sizeof(ann_names[0]);
		     i++)
			if (set & (1u << i))
				return cfg_fail(l, "announce: '%s' needs a "
						"'check'", ann_names[i]);
	}
	if ((set & ANN_EXPECT) && c->kind != CFG_CHECK_HTTP)
		return cfg_fail(l, "announce: 'expect' is for 'check http' only");
	if (c->kind == CFG_CHECK_NONE)
		return 0;
	if (c->fast_interval_ms > c->interval_ms)
		return cfg_fail(l, "fast-interval (%u.%03u s) must not be longer "
				"than interval (%u.%03u s)",
				c->fast_interval_ms / 1000,
				c->fast_interval_ms % 1000, c->interval_ms / 1000,
				c->interval_ms % 1000);
	if (c->timeout_ms > 60000)
		return cfg_fail(l, "timeout must be at most 60 seconds");
	return 0;
}

bool cfg_announce_check_equal(const struct cfg_announce *a,
			      const struct cfg_announce *b)
{
	const struct cfg_check *x = &a->check, *y = &b->check;

	return x->kind == y->kind && !memcmp(&x->addr, &y->addr,
					     sizeof(x->addr)) &&
	       x->port == y->port && !strcmp(x->host, y->host) &&
	       !strcmp(x->path, y->path) && x->expect == y->expect &&
	       !strcmp(x->cmd, y->cmd) && x->interval_ms == y->interval_ms &&
	       x->fast_interval_ms == y->fast_interval_ms &&
	       x->timeout_ms == y->timeout_ms && x->rise == y->rise &&
	       x->fall == y->fall && !strcmp(x->bind, y->bind) &&
	       x->fwmark == y->fwmark && x->down == y->down &&
	       x->down_metric == y->down_metric &&
	       !strcmp(a->drain_file, b->drain_file) &&
	       !strcmp(a->on_change, b->on_change) &&
	       a->drain_delay_ms == b->drain_delay_ms;
}
