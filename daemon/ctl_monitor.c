/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_monitor.c — "monitor": a stream of events as they happen.
 *
 * The engine calls back at each change (babel_callbacks.route_event,
 * neigh_event, xroute_event: babeld's local_notify_*), the daemon at each
 * interface change and each move of an allowed IP; each event is written
 * to every monitoring client within the same loop turn. Nothing is copied
 * or polled: the events are on in the engine only while someone monitors.
 *
 * A text monitor gets babeld's lines (add/change/flush interface,
 * neighbour, xroute, route: ctl_format.c); a JSON monitor one object per
 * event with typed fields, and events babeld has no line for (an allowed
 * IP moving between peers, a health check changing state: ctl_ev_*).
 *
 * A new monitor is first shown the current state as "add" events, streamed
 * like a dump (ctl_walk): an event about a route the walk has not reached
 * yet is not sent to it, since the walk will show that route as it is then.
 */
#include "daemon/control.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

static const char *const ev_names[] = {
	[BABEL_EVENT_ADD] = "add",
	[BABEL_EVENT_CHANGE] = "change",
	[BABEL_EVENT_FLUSH] = "flush",
};

const char *ctl_ev_name(enum babel_event ev)
{
	return ev <= BABEL_EVENT_FLUSH ? ev_names[ev] : "change";
}

static int mon_count_server(struct ctl_server *s)
{
	int n = 0;

	for (struct ctl_client *c = s ? s->clients : NULL; c; c = c->next)
		n += c->monitor || c->monitor_json;
	return n;
}

int ctl_monitor_count(struct daemon *d)
{
	return mon_count_server(d->ctl_rw) + mon_count_server(d->ctl_ro);
}

/* Which forms the monitoring clients want: an event is formatted only in
 * those (100,000 announces in a row make 100,000 events). */
static void mon_wanted(struct daemon *d, bool *text, bool *json)
{
	struct ctl_server *ss[2] = { d->ctl_rw, d->ctl_ro };

	*text = *json = false;
	for (int i = 0; i < 2; i++)
		for (struct ctl_client *c = ss[i] ? ss[i]->clients : NULL; c;
		     c = c->next) {
			*text |= c->monitor;
			*json |= c->monitor_json;
		}
}

void ctl_monitor_sync(struct daemon *d)
{
	if (d->babel)
		babel_set_events(d->babel, ctl_monitor_count(d) > 0);
}

/* ------------------------------------------------------ typed events */

void ctl_ev_begin(struct ctl_ev *ev, const char *event, const char *type)
{
	memset(ev, 0, sizeof(*ev));
	sbuf_puts(&ev->json, "{\"event\":");
	sbuf_json_str(&ev->json, event);
	sbuf_puts(&ev->json, ",\"type\":");
	sbuf_json_str(&ev->json, type);
}

void ctl_ev_str(struct ctl_ev *ev, const char *key, const char *val)
{
	sbuf_puts(&ev->json, ",");
	sbuf_json_str(&ev->json, key);
	sbuf_puts(&ev->json, ":");
	if (val)
		sbuf_json_str(&ev->json, val);
	else
		sbuf_puts(&ev->json, "null");
}

void ctl_ev_uint(struct ctl_ev *ev, const char *key, unsigned long long v)
{
	sbuf_puts(&ev->json, ",");
	sbuf_json_str(&ev->json, key);
	sbuf_puts(&ev->json, ":");
	sbuf_put_uint(&ev->json, v);
}

void ctl_ev_bool(struct ctl_ev *ev, const char *key, bool v)
{
	sbuf_puts(&ev->json, ",");
	sbuf_json_str(&ev->json, key);
	sbuf_puts(&ev->json, v ? ":true" : ":false");
}

/* What an event is about, when a walk shows it too. */
struct mon_key {
	bool xroute;
	const struct babel_prefix *p, *src;
};

/* Whether C is to get an event about K now (NULL: not a walked object). */
static bool mon_wants(struct daemon *d, const struct ctl_client *c,
		      const struct mon_key *k)
{
	if (!k || !c->walk)
		return true;
	return ctl_walk_passed(d, c->walk, k->xroute, k->p, k->src);
}

static void mon_send_server(struct daemon *d, struct ctl_server *s,
			    const struct sbuf *text, const struct sbuf *json,
			    const struct mon_key *route)
{
	struct ctl_client *c, *next;

	for (c = s ? s->clients : NULL; c; c = next) {
		next = c->next;		/* a slow client may be closed */
		if (!mon_wants(d, c, route))
			continue;
		if (c->monitor && text->len)
			ctl_client_write(c, text->p, text->len);
		else if (c->monitor_json && json->len)
			ctl_client_write(c, json->p, json->len);
	}
}

void ctl_ev_send(struct daemon *d, struct ctl_ev *ev, const char *text_line)
{
	struct sbuf text = { 0 };

	sbuf_puts(&ev->json, "}\n");
	if (text_line)
		sbuf_puts(&text, text_line);
	if (!ev->json.oom && !text.oom) {
		mon_send_server(d, d->ctl_rw, &text, &ev->json, NULL);
		mon_send_server(d, d->ctl_ro, &text, &ev->json, NULL);
	}
	sbuf_free(&ev->json);
	sbuf_free(&text);
}

/* Ends EV's object into JSON (with "line": the babeld line LINE, for
 * readers of the first JSON monitor format) and frees it. */
static void mon_ev_end(struct ctl_ev *ev, struct sbuf *line,
		       struct sbuf *json)
{
	if (line->len && line->p[line->len - 1] == '\n') {
		sbuf_puts(&ev->json, ",\"line\":");
		/* the line without its newline, as a JSON string */
		line->p[line->len - 1] = '\0';
		sbuf_json_str(&ev->json, line->p);
		line->p[line->len - 1] = '\n';
	}
	sbuf_puts(&ev->json, "}\n");
	if (ev->json.oom)
		json->oom = true;
	else
		sbuf_putn(json, ev->json.p, ev->json.len);
	sbuf_free(&ev->json);
}

/* Each ctl_ev_OBJECT writes one event as babeld's line into TEXT and as
 * a typed JSON object into JSON, either of them NULL when not wanted. */
void ctl_ev_route(struct daemon *d, enum babel_event ev,
		  const struct babel_route_info *r, struct sbuf *text,
		  struct sbuf *json)
{
	struct sbuf line = { 0 };
	struct ctl_ev e;

	fmt_route_line(d, &line, ctl_ev_name(ev), r);
	if (json) {
		ctl_ev_begin(&e, ctl_ev_name(ev), "route");
		fmt_route_fields(d, &e, r);
		mon_ev_end(&e, &line, json);
	}
	if (text)
		sbuf_putn(text, line.p, line.len);
	sbuf_free(&line);
}

void ctl_ev_neigh(struct daemon *d, enum babel_event ev,
		  const struct babel_neighbour_info *n, struct sbuf *text,
		  struct sbuf *json)
{
	struct sbuf line = { 0 };
	struct ctl_ev e;

	fmt_neigh_line(d, &line, ctl_ev_name(ev), n);
	if (json) {
		ctl_ev_begin(&e, ctl_ev_name(ev), "neighbour");
		fmt_neigh_fields(d, &e, n);
		mon_ev_end(&e, &line, json);
	}
	if (text)
		sbuf_putn(text, line.p, line.len);
	sbuf_free(&line);
}

void ctl_ev_xroute(struct daemon *d, enum babel_event ev,
		   const struct babel_xroute_info *x, struct sbuf *text,
		   struct sbuf *json)
{
	struct sbuf line = { 0 };
	struct ctl_ev e;

	(void)d;
	fmt_xroute_line(&line, ctl_ev_name(ev), x);
	if (json) {
		ctl_ev_begin(&e, ctl_ev_name(ev), "xroute");
		fmt_xroute_fields(&e, x);
		mon_ev_end(&e, &line, json);
	}
	if (text)
		sbuf_putn(text, line.p, line.len);
	sbuf_free(&line);
}

void ctl_ev_iface(struct daemon *d, enum babel_event ev,
		  const struct d_iface *ifc, struct sbuf *text,
		  struct sbuf *json)
{
	struct sbuf line = { 0 };
	struct ctl_ev e;

	if (ev == BABEL_EVENT_FLUSH)
		sbuf_printf(&line, "flush interface %s\n", ifc->name);
	else
		fmt_iface_line(d, &line, ctl_ev_name(ev), ifc);
	if (json) {
		ctl_ev_begin(&e, ctl_ev_name(ev), "interface");
		fmt_iface_fields(d, &e, ifc, ev != BABEL_EVENT_FLUSH);
		mon_ev_end(&e, &line, json);
	}
	if (text)
		sbuf_putn(text, line.p, line.len);
	sbuf_free(&line);
}

/* ------------------------------------------------- engine and daemon */

static void mon_send_both(struct daemon *d, struct sbuf *text,
			  struct sbuf *json, const struct mon_key *r)
{
	if (!text->oom && !json->oom) {
		mon_send_server(d, d->ctl_rw, text, json, r);
		mon_send_server(d, d->ctl_ro, text, json, r);
	}
	sbuf_free(text);
	sbuf_free(json);
}

void ctl_monitor_route_event(void *ctx, enum babel_event ev,
			     const struct babel_route_info *r)
{
	struct daemon *d = ctx;
	struct sbuf text = { 0 }, json = { 0 };
	struct mon_key k = { false, &r->prefix,
			     r->has_src_prefix ? &r->src_prefix : NULL };
	bool wt, wj;

	mon_wanted(d, &wt, &wj);
	ctl_ev_route(d, ev, r, wt ? &text : NULL, wj ? &json : NULL);
	mon_send_both(d, &text, &json, &k);
}

void ctl_monitor_neigh_event(void *ctx, enum babel_event ev,
			     const struct babel_neighbour_info *n)
{
	struct daemon *d = ctx;
	struct sbuf text = { 0 }, json = { 0 };
	bool wt, wj;

	mon_wanted(d, &wt, &wj);
	ctl_ev_neigh(d, ev, n, wt ? &text : NULL, wj ? &json : NULL);
	mon_send_both(d, &text, &json, NULL);
}

void ctl_monitor_xroute_event(void *ctx, enum babel_event ev,
			      const struct babel_xroute_info *x)
{
	struct daemon *d = ctx;
	struct sbuf text = { 0 }, json = { 0 };
	struct mon_key k = { true, &x->prefix,
			     x->has_src_prefix ? &x->src_prefix : NULL };
	bool wt, wj;

	mon_wanted(d, &wt, &wj);
	ctl_ev_xroute(d, ev, x, wt ? &text : NULL, wj ? &json : NULL);
	mon_send_both(d, &text, &json, &k);
}

void ctl_monitor_iface(struct daemon *d, const struct d_iface *ifc,
		       enum babel_event ev)
{
	struct sbuf text = { 0 }, json = { 0 };
	bool wt, wj;

	mon_wanted(d, &wt, &wj);
	if (!wt && !wj)
		return;
	ctl_ev_iface(d, ev, ifc, wt ? &text : NULL, wj ? &json : NULL);
	mon_send_both(d, &text, &json, NULL);
}

/* The WireGuard peer a next hop names, or NULL. */
static const struct d_peer *mon_peer(struct daemon *d,
				     const struct babel_nexthop *nh)
{
	struct d_iface *ifc = nh ? iface_find(d, nh->ifindex) : NULL;

	if (!ifc || ifc->params.type != CFG_IFTYPE_WIREGUARD)
		return NULL;
	return iface_peer_by_addr(ifc, &nh->addr);
}

/*
 * A selected route changed (fib.c, before the plane applies it): on a
 * WireGuard interface its prefix is an allowed IP of the new peer, moved
 * from the old one in one step. Typed JSON only: babeld has no such line.
 */
void ctl_monitor_fib(struct daemon *d, const struct babel_prefix *prefix,
		     const struct babel_nexthop *old_nh,
		     const struct babel_nexthop *new_nh)
{
	const struct d_peer *op, *np;
	char p[64], k[WG_KEY_B64_LEN], ifn[CFG_IFNAME_MAX + 8];
	struct ctl_ev e;

	if (ctl_monitor_count(d) == 0)
		return;
	op = mon_peer(d, old_nh);
	np = mon_peer(d, new_nh);
	if ((!op && !np) || op == np)
		return;
	cfg_prefix_str(prefix, p, sizeof(p));
	ctl_ev_begin(&e, !op ? "add" : !np ? "flush" : "change", "allowedip");
	ctl_ev_str(&e, "prefix", p);
	ctl_ev_str(&e, "interface", fmt_ifname(d, (np ? new_nh : old_nh)->ifindex,
					       ifn, sizeof(ifn)));
	if (op)
		wg_key_to_base64(&op->key, k);
	ctl_ev_str(&e, "old_peer", op ? k : NULL);
	if (np)
		wg_key_to_base64(&np->key, k);
	ctl_ev_str(&e, "new_peer", np ? k : NULL);
	ctl_ev_send(d, &e, NULL);
}

/* ------------------------------------------------------------ start */

void ctl_monitor_start(struct ctl_client *c, bool json)
{
	struct daemon *d = c->srv->d;

	c->monitor = !json;
	c->monitor_json = json;
	ctl_monitor_sync(d);
	ctl_walk_start(c, json ? CTL_WALK_MONITOR_JSON : CTL_WALK_MONITOR);
}

void ctl_monitor_stop(struct ctl_client *c)
{
	c->monitor = c->monitor_json = false;
	ctl_monitor_sync(c->srv->d);
}
