/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_cmd.c — control-socket commands. Every reply ends with one
 * line: "ok", or "error: WHY" for wgbabeld's own commands, or babeld's
 * "bad" for an unknown command. A connection starts with babeld's
 * greeting (BABEL 1.0, version, host, my-id, ok).
 */
#include "daemon/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/check.h"
#include "daemon/ctl_format.h"
#include "daemon/daemon.h"
#include "daemon/metrics.h"

#define CTL_MAX_WORDS 8

static const char ctl_help[] =
	"commands:\n"
	"  show interfaces|neighbours|routes|originated|allowedips|fib|"
	"refused|status|checks [json]\n"
	"  show route ADDRESS|PREFIX [json] the longest match, every candidate\n"
	"  announce PREFIX [metric N]     (read-write socket only)\n"
	"  withdraw PREFIX                (read-write socket only)\n"
	"  drain PREFIX                   raise its metric, withdraw it after "
	"drain-delay\n"
	"  undrain PREFIX                 (both read-write socket only)\n"
	"  monitor [json]                 stream changes; unmonitor stops\n"
	"  dump                           babeld's dump format\n"
	"  metrics                        Prometheus text format\n"
	"  graph                          Graphviz DOT of the mesh\n"
	"  quit\n";

void ctl_cmd_greeting(struct ctl_client *c)
{
	struct daemon *d = c->srv->d;
	struct sbuf b = { 0 };
	char host[256] = "unknown", rid[32];

	gethostname(host, sizeof(host) - 1);
	fmt_router_id(d->router_id, rid, sizeof(rid));
	sbuf_printf(&b, "BABEL 1.0\nversion wgbabeld-%s\nhost %s\nmy-id %s\n"
		    "ok\n", WGB_VERSION, host, rid);
	ctl_client_write_sbuf(c, &b);
}

static void ctl_reply(struct ctl_client *c, const char *line)
{
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);

	ctl_client_write(c, buf, (size_t)n < sizeof(buf) ? (size_t)n :
			 sizeof(buf) - 1);
}

static void ctl_errorf(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ctl_errorf(struct ctl_client *c, const char *fmt, ...)
{
	char msg[512], line[540];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "error: %s", msg);
	ctl_reply(c, line);
}

static size_t ctl_split(char *line, char *w[CTL_MAX_WORDS + 1])
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == CTL_MAX_WORDS)
			return CTL_MAX_WORDS + 1;
		w[n++] = t;
	}
	return n;
}

static bool ctl_is_json(const char *w)
{
	return !strcmp(w, "json") || !strcmp(w, "--json") || !strcmp(w, "-j");
}

/* The things "show" shows, for its usage line. */
#define CTL_SHOW_WHAT "interfaces|neighbours|routes|originated|allowedips|" \
	"fib|refused|status|checks"

static int ctl_parse_prefix(struct ctl_client *c, const char *cmd,
			    const char *s, struct babel_prefix *p);

/* "show route ADDRESS|PREFIX [json]". */
static void ctl_show_one_route(struct ctl_client *c, char **w, size_t n)
{
	struct sbuf b = { 0 };
	struct babel_prefix p;
	bool json = n == 4 && ctl_is_json(w[3]);

	if (n != 3 && !json) {
		ctl_errorf(c, "usage: show route ADDRESS|PREFIX [json]");
		return;
	}
	if (ctl_parse_prefix(c, "show route", w[2], &p) < 0)
		return;
	if (ctl_show_route_match(c->srv->d, &b, &p, json) == -ENOENT) {
		sbuf_free(&b);
		ctl_errorf(c, "show route: no route to %s", w[2]);
		return;
	}
	sbuf_puts(&b, "ok\n");
	ctl_client_write_sbuf(c, &b);
}

static void ctl_show(struct ctl_client *c, char **w, size_t n)
{
	struct sbuf b = { 0 };
	const char *what = NULL;
	bool json = false;

	for (size_t i = 1; i < n; i++) {
		if (ctl_is_json(w[i])) {
			json = true;
		} else if (!what) {
			what = w[i];
		} else {
			ctl_errorf(c, "usage: show %s [json]: unexpected '%s'",
				   CTL_SHOW_WHAT, w[i]);
			return;
		}
	}
	if (!what) {
		ctl_errorf(c, "usage: show %s [json]: show what?",
			   CTL_SHOW_WHAT);
		return;
	}
	if (!strcmp(what, "routes")) {
		ctl_walk_start(c, json ? CTL_WALK_ROUTES_JSON : CTL_WALK_ROUTES);
		return;
	}
	if (ctl_fmt_show(c->srv->d, &b, what, json) < 0) {
		sbuf_free(&b);
		ctl_errorf(c, "usage: show %s [json]: unknown '%s'",
			   CTL_SHOW_WHAT, what);
		return;
	}
	sbuf_puts(&b, "ok\n");
	ctl_client_write_sbuf(c, &b);
}

static int ctl_parse_prefix(struct ctl_client *c, const char *cmd,
			    const char *s, struct babel_prefix *p)
{
	char err[256];

	if (cfg_prefix_parse(s, p, err, sizeof(err)) < 0) {
		ctl_errorf(c, "%s: %s", cmd, err);
		return -1;
	}
	return 0;
}

static void ctl_announce(struct ctl_client *c, char **w, size_t n)
{
	struct babel_prefix p;
	unsigned long metric = 0;
	char err[256], *end;

	if (c->srv->readonly) {
		ctl_errorf(c, "announce: this socket is read-only");
		return;
	}
	if (n != 2 && !(n == 4 && !strcmp(w[2], "metric"))) {
		ctl_errorf(c, "usage: announce PREFIX [metric N]");
		return;
	}
	if (ctl_parse_prefix(c, "announce", w[1], &p) < 0)
		return;
	if (n == 4) {
		metric = strtoul(w[3], &end, 10);
		if (!*w[3] || *end || metric >= BABEL_INFINITY) {
			ctl_errorf(c, "announce: metric must be 0 to %u",
				   BABEL_INFINITY - 1);
			return;
		}
	}
	if (orig_announce(c->srv->d, &p, (uint16_t)metric, ORIG_CONTROL, err,
			  sizeof(err)) < 0) {
		ctl_errorf(c, "%s", err);
		return;
	}
	ctl_reply(c, "ok");
}

static void ctl_withdraw(struct ctl_client *c, char **w, size_t n)
{
	struct babel_prefix p;
	char err[256];

	if (c->srv->readonly) {
		ctl_errorf(c, "withdraw: this socket is read-only");
		return;
	}
	if (n != 2) {
		ctl_errorf(c, "usage: withdraw PREFIX");
		return;
	}
	if (ctl_parse_prefix(c, "withdraw", w[1], &p) < 0)
		return;
	if (orig_withdraw(c->srv->d, &p, err, sizeof(err)) < 0) {
		ctl_errorf(c, "%s", err);
		return;
	}
	ctl_reply(c, "ok");
}

/* "drain PREFIX" / "undrain PREFIX" (daemon/check.c). */
static void ctl_drain(struct ctl_client *c, char **w, size_t n, bool on)
{
	struct babel_prefix p;
	char err[256];

	if (c->srv->readonly) {
		ctl_errorf(c, "%s: this socket is read-only", w[0]);
		return;
	}
	if (n != 2) {
		ctl_errorf(c, "usage: %s PREFIX", w[0]);
		return;
	}
	if (ctl_parse_prefix(c, w[0], w[1], &p) < 0)
		return;
	if (check_drain(c->srv->d, &p, on, err, sizeof(err)) < 0) {
		ctl_errorf(c, "%s: %s", w[0], err);
		return;
	}
	ctl_reply(c, "ok");
}

void ctl_cmd_run(struct ctl_client *c, char *line)
{
	char *w[CTL_MAX_WORDS + 1];
	size_t n = ctl_split(line, w);
	struct sbuf b = { 0 };

	if (n == 0)
		return;
	if (n > CTL_MAX_WORDS) {
		ctl_errorf(c, "usage: too many words");
		return;
	}
	if (!strcmp(w[0], "show") && n >= 3 && !strcmp(w[1], "route")) {
		ctl_show_one_route(c, w, n);
	} else if (!strcmp(w[0], "show")) {
		ctl_show(c, w, n);
	} else if (!strcmp(w[0], "announce")) {
		ctl_announce(c, w, n);
	} else if (!strcmp(w[0], "withdraw")) {
		ctl_withdraw(c, w, n);
	} else if (!strcmp(w[0], "drain") || !strcmp(w[0], "undrain")) {
		ctl_drain(c, w, n, w[0][0] == 'd');
	} else if (!strcmp(w[0], "dump") && n == 1) {
		ctl_walk_start(c, CTL_WALK_DUMP);
	} else if ((!strcmp(w[0], "metrics") || !strcmp(w[0], "graph")) &&
		   n == 1) {
		if ((w[0][0] == 'm' ? metrics_write(c->srv->d, &b) :
		     ctl_graph(c->srv->d, &b)) < 0) {
			sbuf_free(&b);
			ctl_errorf(c, "%s: out of memory", w[0]);
			return;
		}
		sbuf_puts(&b, "ok\n");
		ctl_client_write_sbuf(c, &b);
	} else if (!strcmp(w[0], "monitor") &&
		   (n == 1 || (n == 2 && ctl_is_json(w[1])))) {
		ctl_monitor_start(c, n == 2);
	} else if (!strcmp(w[0], "unmonitor") && n == 1) {
		ctl_monitor_stop(c);
		ctl_reply(c, "ok");
	} else if (!strcmp(w[0], "help") && n == 1) {
		sbuf_puts(&b, ctl_help);
		sbuf_puts(&b, "ok\n");
		ctl_client_write_sbuf(c, &b);
	} else if (!strcmp(w[0], "quit") && n == 1) {
		ctl_client_close(c);
	} else {
		/* babeld's word for an unknown command. */
		ctl_reply(c, "bad");
	}
}
