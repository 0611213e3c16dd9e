/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_walk.c — long replies in chunks: "dump", "show routes
 * [json]" and the state a new monitor is shown first. The head (interfaces
 * and neighbours: tens of lines) is made at the start; the originated
 * prefixes, then the routes follow in chunks of CTL_WALK_CHUNK from the
 * engine's cursors,
 * each made when the client has read the last (control.c), so the reply
 * never sits whole in memory and a client that reads slowly only slows
 * itself. The cursor is the last prefix sent, not a pointer: routes
 * deleted or added between two chunks do not disturb it (babel.h).
 */
#include "daemon/control.h"

#include <stdlib.h>

#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

/* Routes per chunk: about 150 KB of dump lines. */
#define CTL_WALK_CHUNK 1024

struct ctl_walk {
	struct daemon *d;
	enum ctl_walk_kind kind;
	bool head_sent;
	bool first;			/* JSON: no route object yet */
	struct sbuf head;
	struct babel_route_cursor xcur;	/* originated prefixes, first */
	struct babel_route_cursor cur;	/* then routes */
	struct fmt_nh_cache nc;
	struct sbuf *out;		/* during ctl_walk_fill */
};

static int walk_route(void *arg, const struct babel_route_info *r)
{
	struct ctl_walk *w = arg;

	switch (w->kind) {
	case CTL_WALK_DUMP:
	case CTL_WALK_MONITOR:
		fmt_route_line_cached(w->d, w->out, "add", r, &w->nc);
		break;
	case CTL_WALK_MONITOR_JSON:
		ctl_ev_route(w->d, BABEL_EVENT_ADD, r, NULL, w->out);
		break;
	case CTL_WALK_ROUTES:
	case CTL_WALK_ROUTES_JSON:
		ctl_show_route(w->d, w->out, w->kind == CTL_WALK_ROUTES_JSON,
			       &w->first, r);
		break;
	}
	return 0;
}

static int walk_head_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct ctl_walk *w = arg;

	ctl_ev_neigh(w->d, BABEL_EVENT_ADD, n, NULL, &w->head);
	return 0;
}

static int walk_xroute(void *arg, const struct babel_xroute_info *x)
{
	struct ctl_walk *w = arg;

	if (w->kind != CTL_WALK_MONITOR_JSON)
		fmt_xroute_line(w->out, "add", x);
	else
		ctl_ev_xroute(w->d, BABEL_EVENT_ADD, x, NULL, w->out);
	return 0;
}

static void walk_head(struct ctl_walk *w)
{
	struct daemon *d = w->d;

	switch (w->kind) {
	case CTL_WALK_DUMP:
	case CTL_WALK_MONITOR:
		ctl_fmt_dump_head(d, &w->head, "add");
		break;
	case CTL_WALK_MONITOR_JSON:
		for (size_t i = 0; i < d->n_ifaces; i++)
			if (d->ifaces[i]->present)
				ctl_ev_iface(d, BABEL_EVENT_ADD, d->ifaces[i],
					     NULL, &w->head);
		babel_foreach_neighbour(d->babel, walk_head_neigh, w);
		break;
	case CTL_WALK_ROUTES:
		w->xcur.done = true;
		break;
	case CTL_WALK_ROUTES_JSON:
		w->xcur.done = true;
		sbuf_puts(&w->head, "{\"routes\":[");
		break;
	}
}

bool ctl_walk_fill(struct ctl_walk *w, struct sbuf *b)
{
	int r;

	if (!w->head_sent) {
		size_t len;
		char *p = sbuf_take(&w->head, &len);

		w->head_sent = true;
		sbuf_putn(b, p ? p : "", len);
		free(p);
	}
	w->out = b;
	if (!w->xcur.done) {
		/* Routes follow in the next chunk. */
		babel_xroute_walk(w->d->babel, &w->xcur, CTL_WALK_CHUNK,
				  walk_xroute, w);
		r = 0;
	} else
		r = babel_route_walk(w->d->babel, &w->cur, CTL_WALK_CHUNK,
				     walk_route, w);
	w->out = NULL;
	if (r == 0)
		return false;
	if (w->kind == CTL_WALK_ROUTES_JSON)
		sbuf_puts(b, "]}\n");
	sbuf_puts(b, "ok\n");
	return true;
}

bool ctl_walk_passed(struct daemon *d, const struct ctl_walk *w, bool xroute,
		     const struct babel_prefix *p, const struct babel_prefix *src)
{
	if (w->kind != CTL_WALK_MONITOR && w->kind != CTL_WALK_MONITOR_JSON)
		return true;
	return babel_route_cursor_passed(d->babel, xroute ? &w->xcur : &w->cur,
					 p, src);
}

void ctl_walk_free(struct ctl_walk *w)
{
	if (!w)
		return;
	sbuf_free(&w->head);
	free(w);
}

void ctl_walk_start(struct ctl_client *c, enum ctl_walk_kind kind)
{
	struct ctl_walk *w = calloc(1, sizeof(*w));

	if (!w) {
		static const char msg[] = "error: out of memory\n";

		ctl_client_write(c, msg, sizeof(msg) - 1);
		return;
	}
	w->d = c->srv->d;
	w->kind = kind;
	w->first = true;
	walk_head(w);
	ctl_client_stream(c, w);
}
