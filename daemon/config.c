/* SPDX-License-Identifier: MIT */
/*
 * daemon/config.c — the wgbabeld.conf(5) parser.
 *
 * A line is a directive followed by words; '#' starts a comment; a word may
 * be double-quoted to hold spaces. Each directive has one parse function that
 * fills struct cfg and reports the first problem as "FILE:LINE: message".
 */
#include "daemon/cfgparse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- directives */

static int cfg_iftype_parse(struct cfg_line *l, const char *s,
			    enum cfg_iftype *t)
{
	static const char *const names[] = {
		[CFG_IFTYPE_AUTO] = "auto",
		[CFG_IFTYPE_WIREGUARD] = "wireguard",
		[CFG_IFTYPE_WIRED] = "wired",
		[CFG_IFTYPE_WIRELESS] = "wireless",
		[CFG_IFTYPE_TUNNEL] = "tunnel",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*t = (enum cfg_iftype)i;
			return 0;
		}
	}
	return cfg_fail(l, "type: unknown interface type '%s' (expected "
			"wireguard, wired, wireless, tunnel or auto)", s);
}

static int cfg_transport_parse(struct cfg_line *l, const char *s,
			       enum cfg_transport *t)
{
	static const char *const names[] = {
		[CFG_TRANSPORT_IPV6] = "ipv6",
		[CFG_TRANSPORT_IPV4] = "ipv4",
		[CFG_TRANSPORT_BOTH] = "both",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*t = (enum cfg_transport)i;
			return 0;
		}
	}
	return cfg_fail(l, "transport: expected ipv6, ipv4 or both, got '%s'",
			s);
}

/* "babel-address-from allowed-ip PREFIX": one prefix per IP version. */
static int cfg_babel_addr_from(struct cfg_line *l, struct cfg_iface_params *p)
{
	struct babel_prefix pf;
	const char *s;
	int r;

	if ((r = cfg_value(l, "babel-address-from", &s)) < 0)
		return r;
	if (strcmp(s, "allowed-ip"))
		return cfg_fail(l, "babel-address-from: expected "
				"'allowed-ip PREFIX', got '%s'", s);
	if ((r = cfg_value(l, "babel-address-from allowed-ip", &s)) < 0 ||
	    (r = cfg_prefix(l, "babel-address-from", s, &pf)) < 0)
		return r;
	if (pf.af == BABEL_AF_INET) {
		p->babel_addr_from4 = pf;
		p->set |= CFG_IF_BABEL_ADDR4;
	} else {
		p->babel_addr_from = pf;
		p->set |= CFG_IF_BABEL_ADDR;
	}
	return 0;
}

/* "link-local ADDR": an IPv6 address in fe80::/10 (RFC 4291 §2.5.6). */
static int cfg_link_local(struct cfg_line *l, struct cfg_iface_params *p)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, "link-local", &s)) < 0)
		return r;
	if (inet_pton(AF_INET6, s, p->link_local) != 1 ||
	    p->link_local[0] != 0xfe || (p->link_local[1] & 0xc0) != 0x80)
		return cfg_fail(l, "link-local: '%s' is not an IPv6 link-local "
				"address (fe80::/10, without /length)", s);
	p->set |= CFG_IF_LINK_LOCAL;
	return 0;
}

/* The words after "interface NAME" or "default". */
static int cfg_iface_words(struct cfg_line *l, struct cfg_iface_params *p)
{
	const char *w, *s;
	unsigned long v;
	int r;

	while ((w = cfg_next(l))) {
		if (!strcmp(w, "type")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_iftype_parse(l, s, &p->type)) < 0)
				return r;
			p->set |= CFG_IF_TYPE;
		} else if (!strcmp(w, "hello-interval")) {
			/* RFC 8966 §4.6.5: centiseconds in 16 bits */
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_seconds(l, w, s, 10, 655350,
					     &p->hello_interval_ms)) < 0)
				return r;
			p->set |= CFG_IF_HELLO;
		} else if (!strcmp(w, "update-interval")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_seconds(l, w, s, 10, 655350,
					     &p->update_interval_ms)) < 0)
				return r;
			p->set |= CFG_IF_UPDATE;
		} else if (!strcmp(w, "rtt-min") || !strcmp(w, "rtt-max")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_uint(l, w, s, 0, 60000, &v)) < 0)
				return r;
			if (w[5] == 'i') {
				p->rtt_min_ms = (uint32_t)v;
				p->set |= CFG_IF_RTT_MIN;
			} else {
				p->rtt_max_ms = (uint32_t)v;
				p->set |= CFG_IF_RTT_MAX;
			}
		} else if (!strcmp(w, "max-rtt-penalty")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_uint(l, w, s, 0, BABEL_INFINITY - 1,
					  &v)) < 0)
				return r;
			p->max_rtt_penalty = (uint32_t)v;
			p->set |= CFG_IF_RTT_PENALTY;
		} else if (!strcmp(w, "rxcost")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_uint(l, w, s, 1, BABEL_INFINITY - 1,
					  &v)) < 0)
				return r;
			p->rxcost = (uint16_t)v;
			p->set |= CFG_IF_RXCOST;
		} else if (!strcmp(w, "probe-interval")) {
			/* daemon/probe.c; 0 disables */
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_seconds(l, w, s, 0, 3600000,
					     &p->probe_interval_ms)) < 0)
				return r;
			if (p->probe_interval_ms && p->probe_interval_ms < 50)
				return cfg_fail(l, "probe-interval: 0 (off) or "
						"at least 0.05 seconds, got %s", s);
			p->set |= CFG_IF_PROBE;
		} else if (!strcmp(w, "fast-probe-interval")) {
			/* proto/neighbour.c; 0 disables */
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_seconds(l, w, s, 0, 60000,
					     &p->fast_probe_ms)) < 0)
				return r;
			if (p->fast_probe_ms && p->fast_probe_ms < 10)
				return cfg_fail(l, "fast-probe-interval: 0 (off) "
						"or at least 0.01 seconds, got %s", s);
			p->set |= CFG_IF_FAST_PROBE;
		} else if (!strcmp(w, "enable-timestamps")) {
			if ((r = cfg_bool(l, w, &p->timestamps)) < 0)
				return r;
			p->set |= CFG_IF_TIMESTAMPS;
		} else if (!strcmp(w, "babel-address-from")) {
			if ((r = cfg_babel_addr_from(l, p)) < 0)
				return r;
		} else if (!strcmp(w, "link-local")) {
			if ((r = cfg_link_local(l, p)) < 0)
				return r;
		} else if (!strcmp(w, "transport")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_transport_parse(l, s, &p->transport)) < 0)
				return r;
			p->set |= CFG_IF_TRANSPORT;
		} else {
			return cfg_fail(l, "interface: unknown option '%s'", w);
		}
	}
	if ((p->set & CFG_IF_RTT_MIN) && (p->set & CFG_IF_RTT_MAX) &&
	    p->rtt_max_ms <= p->rtt_min_ms)
		return cfg_fail(l, "rtt-max (%u) must be greater than rtt-min "
				"(%u)", p->rtt_max_ms, p->rtt_min_ms);
	return 0;
}

static int cfg_do_interface(struct cfg_line *l)
{
	struct cfg_iface *ifc;
	const char *name;
	char pattern[CFG_IFNAME_MAX];
	int r;

	if ((r = cfg_value(l, "interface", &name)) < 0 ||
	    (r = cfg_ifname(l, "interface", name, pattern)) < 0)
		return r;
	ifc = cfg_push((void **)&l->c->ifaces, &l->c->n_ifaces, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	strcpy(ifc->pattern, pattern);
	ifc->line = l->lineno;
	return cfg_iface_words(l, &ifc->p);
}

static int cfg_do_default(struct cfg_line *l)
{
	return cfg_iface_words(l, &l->c->defaults);
}

static int cfg_do_announce(struct cfg_line *l)
{
	struct cfg_announce a = { .metric = 0 };
	const char *s, *w;
	unsigned set = 0;
	int r;

	cfg_announce_defaults(&a);
	if ((r = cfg_value(l, "announce", &s)) < 0 ||
	    (r = cfg_prefix(l, "announce", s, &a.prefix)) < 0)
		return r;
	while ((w = cfg_next(l))) {
		if ((r = cfg_announce_word(l, w, &a, &set)) < 0)
			return r;
		if (r)
			continue;
		if (strcmp(w, "metric"))
			return cfg_fail(l, "announce: unknown option '%s'", w);
		if ((r = cfg_metric(l, "metric", &a.metric)) < 0)
			return r;
	}
	if ((r = cfg_announce_finish(l, &a, set)) < 0)
		return r;
	for (size_t i = 0; i < l->c->n_announces; i++) {
		if (cfg_prefix_equal(&l->c->announces[i].prefix,
					   &a.prefix))
			return cfg_fail(l, "announce %s: already announced on "
					"line %u", s, l->c->announces[i].line);
	}
	a.line = l->lineno;
	struct cfg_announce *p = cfg_push((void **)&l->c->announces,
					  &l->c->n_announces, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = a;
	return 0;
}

static int cfg_do_redistribute(struct cfg_line *l)
{
	struct cfg_redistribute rd = {
		.proto = -1, .match = { .any = true, .le = -1, .ge = -1 },
	};
	struct cfg_redistribute *p;
	const char *w, *s;
	unsigned long v;
	int r;

	while ((w = cfg_next(l))) {
		if ((r = cfg_match_word(l, w, &rd.match)) < 0)
			return r;
		if (r)
			continue;
		if (!strcmp(w, "proto")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_uint(l, w, s, 0, 255, &v)) < 0)
				return r;
			rd.proto = (int)v;
		} else if (!strcmp(w, "metric")) {
			if ((r = cfg_metric(l, w, &rd.metric)) < 0)
				return r;
		} else if (!strcmp(w, "allow")) {
			rd.deny = false;
		} else if (!strcmp(w, "deny")) {
			rd.deny = true;
		} else {
			return cfg_fail(l, "redistribute: unknown option '%s'",
					w);
		}
	}
	if ((r = cfg_match_check(l, &rd.match)) < 0)
		return r;
	if (rd.proto < 0 && rd.match.any && !rd.deny)
		return cfg_fail(l, "redistribute: give 'proto N' or 'prefix P' "
				"(redistributing every kernel route is almost "
				"never wanted)");
	rd.line = l->lineno;
	p = cfg_push((void **)&l->c->redist, &l->c->n_redist, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = rd;
	return 0;
}

/* "in ..." and "out ...": match words, then allow, deny or metric N. */
static int cfg_do_filter(struct cfg_line *l, const char *kw)
{
	struct cfg_filter f = { .match = { .any = true, .le = -1, .ge = -1 } };
	struct cfg_filter *p, **arr;
	size_t *n;
	bool have_action = false;
	const char *w, *s;
	char msg[CFG_ERR_MAX];
	int r;

	while ((w = cfg_next(l))) {
		if ((r = cfg_match_word(l, w, &f.match)) < 0)
			return r;
		if (r)
			continue;
		if (have_action)
			return cfg_fail(l, "%s: '%s' after the action (the "
					"action allow, deny or metric comes "
					"last)", kw, w);
		if (!strcmp(w, "neighbour") || !strcmp(w, "neighbor") ||
		    !strcmp(w, "neigh")) {
			if ((r = cfg_value(l, w, &s)) < 0)
				return r;
			if (cfg_prefix_parse(s, &f.neigh, msg, sizeof(msg)) < 0 ||
			    f.neigh.plen != (f.neigh.af == BABEL_AF_INET ? 32 :
					     128))
				return cfg_fail(l, "%s: '%s' is not an address",
						w, s);
			f.has_neigh = true;
		} else if (!strcmp(w, "interface") || !strcmp(w, "if")) {
			if ((r = cfg_value(l, w, &s)) < 0 ||
			    (r = cfg_ifname(l, w, s, f.ifpattern)) < 0)
				return r;
		} else if (!strcmp(w, "allow")) {
			f.action = CFG_FILTER_ALLOW;
			have_action = true;
		} else if (!strcmp(w, "deny")) {
			f.action = CFG_FILTER_DENY;
			have_action = true;
		} else if (!strcmp(w, "metric")) {
			if ((r = cfg_metric(l, w, &f.metric_add)) < 0)
				return r;
			f.action = CFG_FILTER_METRIC;
			have_action = true;
		} else {
			return cfg_fail(l, "%s: unknown option '%s'", kw, w);
		}
	}
	if (!have_action)
		return cfg_fail(l, "%s: missing action (allow, deny or "
				"metric N)", kw);
	if ((r = cfg_match_check(l, &f.match)) < 0)
		return r;
	f.line = l->lineno;
	if (kw[0] == 'i') {
		arr = &l->c->in;
		n = &l->c->n_in;
	} else {
		arr = &l->c->out;
		n = &l->c->n_out;
	}
	p = cfg_push((void **)arr, n, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = f;
	return 0;
}

static int cfg_do_in(struct cfg_line *l)
{
	return cfg_do_filter(l, "in");
}

static int cfg_do_out(struct cfg_line *l)
{
	return cfg_do_filter(l, "out");
}

static int cfg_one_uint(struct cfg_line *l, const char *kw,
			unsigned long min, unsigned long max, unsigned long *v)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, kw, &s)) < 0 ||
	    (r = cfg_uint(l, kw, s, min, max, v)) < 0)
		return r;
	return 0;
}

static int cfg_do_route_table(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "route-table", 1, UINT32_MAX, &v);

	if (r == 0)
		l->c->route_table = (uint32_t)v;
	return r;
}

static int cfg_do_route_protocol(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "route-protocol", 0, 255, &v);

	if (r < 0)
		return r;
	/* rtnetlink.h: 0-4 are unspec/redirect/kernel/boot/static. We
	 * flush routes by protocol, so never claim the kernel's. */
	if (v <= 4)
		return cfg_fail(l, "route-protocol %lu is reserved for the "
				"kernel (use 5-255; the default is %d)", v,
				CFG_DEFAULT_ROUTE_PROTOCOL);
	l->c->route_protocol = (uint8_t)v;
	return 0;
}

static int cfg_do_route_metric(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "route-metric", 0, UINT32_MAX, &v);

	if (r == 0)
		l->c->route_metric = (uint32_t)v;
	return r;
}

/* "route-source ADDR": once per family. */
static int cfg_do_route_source(struct cfg_line *l)
{
	struct babel_prefix p;
	char buf[64];
	int r;
	const char *s;

	if ((r = cfg_value(l, "route-source", &s)) < 0)
		return r;
	if (strchr(s, '/') || cfg_prefix(l, "route-source", s, &p) < 0)
		return cfg_fail(l, "route-source: '%s' is not an IPv4 or IPv6 "
				"address", s);
	if (p.af == BABEL_AF_INET) {
		if (l->c->has_route_src4)
			return cfg_fail(l, "route-source: an IPv4 address is "
					"already set");
		memcpy(l->c->route_src4, p.addr, 4);
		l->c->has_route_src4 = true;
	} else {
		if (l->c->has_route_src6)
			return cfg_fail(l, "route-source: an IPv6 address is "
					"already set");
		if (p.addr[0] == 0xfe && (p.addr[1] & 0xc0) == 0x80)
			return cfg_fail(l, "route-source: %s is link-local; a "
					"source for routed traffic must not be",
					cfg_prefix_addr_str(&p, buf, sizeof(buf)));
		memcpy(l->c->route_src6, p.addr, 16);
		l->c->has_route_src6 = true;
	}
	return 0;
}

/* "egress-table N" or "egress-table off". */
static int cfg_do_egress_table(struct cfg_line *l)
{
	unsigned long v;
	int r;

	if (l->i < l->words->n && !strcmp(l->words->w[l->i], "off")) {
		l->i++;
		l->c->egress_table = 0;
		return 0;
	}
	if ((r = cfg_one_uint(l, "egress-table", 1, UINT32_MAX, &v)) < 0)
		return r;
	/* rtnetlink.h: 253-255 are default, main and local */
	if (v >= 253 && v <= 255)
		return cfg_fail(l, "egress-table %lu is one of the kernel's "
				"own tables (use another number, or off)", v);
	l->c->egress_table = (uint32_t)v;
	return 0;
}

static int cfg_do_egress_fwmark(struct cfg_line *l)
{
	unsigned long v;
	const char *s;
	char *end;
	int r;

	if ((r = cfg_value(l, "egress-fwmark", &s)) < 0)
		return r;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v == 0 ||
	    v > UINT32_MAX)
		return cfg_fail(l, "egress-fwmark: '%s' is not a mark from 1 "
				"to 0xffffffff", s);
	l->c->egress_fwmark = (uint32_t)v;
	return 0;
}

static int cfg_do_egress_priority(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "egress-priority", 1, 32764, &v);

	if (r == 0)
		l->c->egress_priority = (uint32_t)v;
	return r;
}

static int cfg_do_egress_margin(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "egress-margin", 0, 0xfffe, &v);

	if (r == 0)
		l->c->egress_margin = (uint16_t)v;
	return r;
}

static int cfg_do_egress_hold(struct cfg_line *l)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, "egress-hold", &s)) < 0)
		return r;
	return cfg_seconds(l, "egress-hold", s, 0, 86400 * 1000,
			   &l->c->egress_hold_ms);
}

static int cfg_do_egress_prefix(struct cfg_line *l)
{
	struct babel_prefix p, *slot;
	const char *s;
	int r;

	if ((r = cfg_value(l, "egress-prefix", &s)) < 0 ||
	    (r = cfg_prefix(l, "egress-prefix", s, &p)) < 0)
		return r;
	if (!(slot = cfg_push((void **)&l->c->egress_prefixes,
			      &l->c->n_egress_prefixes, sizeof(*slot))))
		return -ENOMEM;
	*slot = p;
	return 0;
}

static int cfg_do_max_routes_per_neighbour(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "max-routes-per-neighbour", 0, UINT32_MAX, &v);

	if (r == 0)
		l->c->max_routes_per_neighbour = (uint32_t)v;
	return r;
}

static int cfg_do_max_routes(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "max-routes", 0, UINT32_MAX, &v);

	if (r == 0)
		l->c->max_routes = (uint32_t)v;
	return r;
}

static int cfg_do_fast_probe_rate(struct cfg_line *l)
{
	unsigned long v;
	int r = cfg_one_uint(l, "fast-probe-rate", 1, 100000, &v);

	if (r == 0)
		l->c->fast_probe_rate = (uint32_t)v;
	return r;
}

static int cfg_do_keep_routes(struct cfg_line *l)
{
	return cfg_bool(l, "keep-routes-on-exit", &l->c->keep_routes_on_exit);
}

static int cfg_do_shutdown_delay(struct cfg_line *l)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, "shutdown-delay", &s)) < 0)
		return r;
	return cfg_seconds(l, "shutdown-delay", s, 0, CFG_MAX_SHUTDOWN_DELAY_MS,
			   &l->c->shutdown_delay_ms);
}

static int cfg_do_state_file(struct cfg_line *l)
{
	return cfg_path(l, "state-file", l->c->state_file,
			sizeof(l->c->state_file));
}

static int cfg_do_runtime_dir(struct cfg_line *l)
{
	return cfg_path(l, "runtime-dir", l->c->runtime_dir,
			sizeof(l->c->runtime_dir));
}

static int cfg_do_pid_file(struct cfg_line *l)
{
	return cfg_path(l, "pid-file", l->c->pid_file, sizeof(l->c->pid_file));
}

/* "control-socket[-ro] PATH [mode OCTAL] [group NAME]", or "none". */
static int cfg_socket(struct cfg_line *l, const char *kw, struct cfg_socket *s)
{
	const char *w, *v;
	char *end;
	unsigned long mode;
	int r;

	if (l->i < l->words->n && !strcmp(l->words->w[l->i], "none")) {
		l->i++;
		s->path[0] = '\0';
	} else if ((r = cfg_path(l, kw, s->path, sizeof(s->path))) < 0) {
		return r;
	}
	while ((w = cfg_next(l))) {
		if (!strcmp(w, "mode")) {
			if ((r = cfg_value(l, w, &v)) < 0)
				return r;
			errno = 0;
			mode = strtoul(v, &end, 8);
			if (!*v || *end || errno || mode > 0777)
				return cfg_fail(l, "%s: mode '%s' is not an octal "
						"permission like 0660", kw, v);
			if (mode & 0111)
				return cfg_fail(l, "%s: mode %04lo: execute bits "
						"mean nothing on a socket", kw,
						mode);
			s->mode = (mode_t)mode;
		} else if (!strcmp(w, "group")) {
			if ((r = cfg_value(l, w, &v)) < 0)
				return r;
			if (strlen(v) >= sizeof(s->group))
				return cfg_fail(l, "%s: group name too long", kw);
			strcpy(s->group, v);
		} else {
			return cfg_fail(l, "%s: unknown option '%s'", kw, w);
		}
	}
	return 0;
}

static int cfg_do_control_socket(struct cfg_line *l)
{
	return cfg_socket(l, "control-socket", &l->c->ctl_rw);
}

static int cfg_do_control_socket_ro(struct cfg_line *l)
{
	return cfg_socket(l, "control-socket-ro", &l->c->ctl_ro);
}

/* "metrics-listen ADDR:PORT" (an IPv6 address in brackets), or "none". */
static int cfg_do_metrics_listen(struct cfg_line *l)
{
	struct cfg_listen m = { 0 };
	char host[INET6_ADDRSTRLEN + 2];
	const char *s, *arg, *colon;
	unsigned long port;
	bool bracketed;
	size_t hl;
	int r;

	if ((r = cfg_value(l, "metrics-listen", &arg)) < 0)
		return r;
	s = arg;
	if (!strcmp(s, "none")) {
		l->c->metrics = m;
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || colon == s)
		goto bad;
	hl = (size_t)(colon - s);
	bracketed = s[0] == '[';
	if (bracketed) {
		if (hl < 3 || s[hl - 1] != ']')
			goto bad;
		s++;
		hl -= 2;
	} else if (memchr(s, ':', hl)) {
		goto bad;	/* an IPv6 address without brackets */
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET6, host, m.addr) == 1)
		m.family = AF_INET6;
	else if (!bracketed && inet_pton(AF_INET, host, m.addr) == 1)
		m.family = AF_INET;
	else
		goto bad;
	if ((r = cfg_uint(l, "metrics-listen", colon + 1, 1, 65535, &port)) < 0)
		return r;
	m.port = (uint16_t)port;
	l->c->metrics = m;
	return 0;
bad:
	return cfg_fail(l, "metrics-listen: '%s' is not ADDRESS:PORT (an IPv6 "
			"address in brackets: [::1]:9436)", arg);
}

static int cfg_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* 16 hex digits, optionally in colon-separated pairs as babeld shows them. */
static int cfg_do_router_id(struct cfg_line *l)
{
	const char *s, *p;
	uint8_t id[8];
	size_t n = 0;
	int r, hi, lo;

	if ((r = cfg_value(l, "router-id", &s)) < 0)
		return r;
	for (p = s; *p;) {
		if (*p == ':' && p != s) {
			p++;
			continue;
		}
		if (n == 8 || (hi = cfg_hexval((unsigned char)p[0])) < 0 ||
		    (lo = cfg_hexval((unsigned char)p[1])) < 0)
			goto bad;
		id[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (n != 8)
		goto bad;
	if (!memcmp(id, "\0\0\0\0\0\0\0\0", 8) ||
	    !memcmp(id, "\xff\xff\xff\xff\xff\xff\xff\xff", 8))
		return cfg_fail(l, "router-id: all-zeros and all-ones are "
				"reserved (RFC 8966 §4.1.3)");
	memcpy(l->c->router_id, id, 8);
	l->c->has_router_id = true;
	return 0;
bad:
	return cfg_fail(l, "router-id: '%s' is not 8 bytes of hex "
			"(like 02:11:22:ff:fe:33:44:55)", s);
}

static int cfg_do_log_level(struct cfg_line *l)
{
	const char *s;
	int r;

	if ((r = cfg_value(l, "log-level", &s)) < 0)
		return r;
	for (int i = CFG_LOG_ERROR; i <= CFG_LOG_DEBUG; i++) {
		if (!strcmp(s, cfg_log_level_name((enum cfg_log_level)i)) ||
		    (i == CFG_LOG_WARNING && !strcmp(s, "warn"))) {
			l->c->log_level = (enum cfg_log_level)i;
			l->c->has_log_level = true;
			return 0;
		}
	}
	return cfg_fail(l, "log-level: unknown level '%s' (expected error, "
			"warning, info or debug)", s);
}

static const struct {
	const char *name;
	int (*parse)(struct cfg_line *l);
	bool takes_rest;	/* parses its own trailing words */
} cfg_directives[] = {
	{ "interface", cfg_do_interface, true },
	{ "default", cfg_do_default, true },
	{ "announce", cfg_do_announce, true },
	{ "redistribute", cfg_do_redistribute, true },
	{ "in", cfg_do_in, true },
	{ "out", cfg_do_out, true },
	{ "route-table", cfg_do_route_table, false },
	{ "route-protocol", cfg_do_route_protocol, false },
	{ "route-metric", cfg_do_route_metric, false },
	{ "keep-routes-on-exit", cfg_do_keep_routes, false },
	{ "route-source", cfg_do_route_source, false },
	{ "egress-table", cfg_do_egress_table, false },
	{ "egress-fwmark", cfg_do_egress_fwmark, false },
	{ "egress-priority", cfg_do_egress_priority, false },
	{ "egress-margin", cfg_do_egress_margin, false },
	{ "egress-hold", cfg_do_egress_hold, false },
	{ "egress-prefix", cfg_do_egress_prefix, false },
	{ "shutdown-delay", cfg_do_shutdown_delay, false },
	{ "state-file", cfg_do_state_file, false },
	{ "control-socket", cfg_do_control_socket, true },
	{ "control-socket-ro", cfg_do_control_socket_ro, true },
	{ "pid-file", cfg_do_pid_file, false },
	{ "runtime-dir", cfg_do_runtime_dir, false },
	{ "router-id", cfg_do_router_id, false },
	{ "max-routes-per-neighbour", cfg_do_max_routes_per_neighbour, false },
	{ "max-routes-per-neighbor", cfg_do_max_routes_per_neighbour, false },
	{ "max-routes", cfg_do_max_routes, false },
	{ "fast-probe-rate", cfg_do_fast_probe_rate, false },
	{ "log-level", cfg_do_log_level, false },
	{ "metrics-listen", cfg_do_metrics_listen, false },
};

int cfg_parse_line(struct cfg *c, const char *line, unsigned lineno,
		   char *err, size_t errlen)
{
	struct cfg_words words;
	struct cfg_line l = {
		.c = c, .words = &words, .lineno = lineno,
		.err = err, .errlen = errlen,
	};
	char msg[CFG_ERR_MAX];
	const char *kw;
	int r;

	if (cfg_split(line, &words, msg, sizeof(msg)) < 0)
		return cfg_fail(&l, "%s", msg);
	if (words.n == 0)
		return 0;
	kw = cfg_next(&l);
	for (size_t i = 0; i < sizeof(cfg_directives) / sizeof(cfg_directives[0]);
	     i++) {
		if (strcmp(kw, cfg_directives[i].name))
			continue;
		if ((r = cfg_directives[i].parse(&l)) < 0) {
			if (r == -ENOMEM)
				cfg_fail(&l, "out of memory");
			return r;
		}
		if (!cfg_directives[i].takes_rest && l.i < words.n)
			return cfg_fail(&l, "%s: unexpected '%s' after the "
					"value", kw, words.w[l.i]);
		return 0;
	}
	return cfg_fail(&l, "unknown directive '%s'", kw);
}

struct cfg *cfg_new(void)
{
	struct cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->source, sizeof(c->source), "(config)");
	c->route_table = CFG_DEFAULT_ROUTE_TABLE;
	c->route_protocol = CFG_DEFAULT_ROUTE_PROTOCOL;
	c->egress_table = CFG_DEFAULT_EGRESS_TABLE;
	c->egress_fwmark = CFG_DEFAULT_EGRESS_FWMARK;
	c->egress_priority = CFG_DEFAULT_EGRESS_PRIORITY;
	c->egress_margin = CFG_DEFAULT_EGRESS_MARGIN;
	c->egress_hold_ms = CFG_DEFAULT_EGRESS_HOLD_MS;
	c->shutdown_delay_ms = CFG_DEFAULT_SHUTDOWN_DELAY_MS;
	snprintf(c->state_file, sizeof(c->state_file), "%s",
		 CFG_DEFAULT_STATE_FILE);
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s",
		 CFG_DEFAULT_RUNTIME_DIR);
	snprintf(c->ctl_rw.path, sizeof(c->ctl_rw.path), "%s",
		 CFG_DEFAULT_CONTROL_SOCKET);
	c->ctl_rw.mode = 0600;
	c->ctl_ro.mode = 0660;
	c->log_level = CFG_LOG_INFO;
	return c;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->ifaces);
	free(c->announces);
	free(c->egress_prefixes);
	free(c->redist);
	free(c->in);
	free(c->out);
	free(c);
}

/* Checks that need the whole file. */
static int cfg_check(struct cfg *c, char *err, size_t errlen)
{
	if (c->ctl_rw.path[0] && !strcmp(c->ctl_rw.path, c->ctl_ro.path)) {
		snprintf(err, errlen, "%s: control-socket and control-socket-ro "
			 "are the same path %s", c->source, c->ctl_rw.path);
		return -EINVAL;
	}
	if (c->egress_table && c->egress_table == c->route_table) {
		snprintf(err, errlen, "%s: egress-table and route-table are "
			 "both %u: the egress table must be a table of its own",
			 c->source, c->route_table);
		return -EINVAL;
	}
	return 0;
}

int cfg_parse_string(const char *text, const char *name, struct cfg **out,
		     char *err, size_t errlen)
{
	struct cfg *c = cfg_new();
	char line[CFG_LINE_MAX + 2];
	unsigned lineno = 0;
	const char *p = text;
	int r;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(c->source, sizeof(c->source), "%s", name);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		if (len > CFG_LINE_MAX)
			len = CFG_LINE_MAX + 1;	/* reported as too long */
		memcpy(line, p, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if ((r = cfg_parse_line(c, line, lineno, err, errlen)) < 0)
			goto fail;
		p = nl ? nl + 1 : p + strlen(p);
	}
	if ((r = cfg_check(c, err, errlen)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	cfg_free(c);
	return r;
}

int cfg_parse_file(const char *path, struct cfg **out, char *err,
		   size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	do {
		if (cap - len < 4096) {
			char *t = realloc(text, cap + 65536);

			if (!t) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			text = t;
			cap += 65536;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		r = -EIO;
		snprintf(err, errlen, "cannot read %s", path);
		goto out;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: contains a NUL byte; not a text file",
			 path);
		goto out;
	}
	r = cfg_parse_string(text, path, out, err, errlen);
out:
	free(text);
	fclose(f);
	return r;
}

const char *cfg_iftype_name(enum cfg_iftype t)
{
	switch (t) {
	case CFG_IFTYPE_AUTO: return "auto";
	case CFG_IFTYPE_WIREGUARD: return "wireguard";
	case CFG_IFTYPE_WIRED: return "wired";
	case CFG_IFTYPE_WIRELESS: return "wireless";
	case CFG_IFTYPE_TUNNEL: return "tunnel";
	}
	return "?";
}

const char *cfg_transport_name(enum cfg_transport t)
{
	switch (t) {
	case CFG_TRANSPORT_IPV6: return "ipv6";
	case CFG_TRANSPORT_IPV4: return "ipv4";
	case CFG_TRANSPORT_BOTH: return "both";
	}
	return "?";
}

const char *cfg_log_level_name(enum cfg_log_level l)
{
	switch (l) {
	case CFG_LOG_ERROR: return "error";
	case CFG_LOG_WARNING: return "warning";
	case CFG_LOG_INFO: return "info";
	case CFG_LOG_DEBUG: return "debug";
	}
	return "?";
}
