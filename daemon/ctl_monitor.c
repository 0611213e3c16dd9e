/* SPDX-License-Identifier: MIT */
/*
 * daemon/ctl_monitor.c — "monitor": a stream of add/change/flush lines.
 *
 * The engine reports only selected-route changes, so the monitor keeps a
 * snapshot of interfaces, neighbours, originated and learned routes and,
 * once a second while anybody monitors, sends the difference. The snapshot
 * exists only while there are monitoring clients; its cost is O(routes)
 * per second then and nothing otherwise.
 */
#include "daemon/control.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl_format.h"
#include "daemon/daemon.h"

#define MON_INTERVAL_MS 1000

struct mon_route {
	struct babel_route_info info;
	uint64_t gen;
};

struct mon_neigh {
	struct babel_neighbour_info info;
	uint64_t gen;
};

struct mon_xroute {
	struct babel_xroute_info info;
	uint64_t gen;
};

struct mon_iface {
	bool up;
	struct babel_addr ll6;
	uint64_t gen;
};

struct ctl_monitor {
	struct wg_hmap routes;		/* mon_rkey -> mon_route */
	struct wg_hmap neigh;		/* mon_nkey -> mon_neigh */
	struct wg_hmap xroutes;		/* mon_xkey -> mon_xroute */
	struct wg_hmap ifaces;		/* name -> mon_iface */
	uint64_t gen;
	struct sbuf text;
	struct sbuf json;
	struct daemon *d;
};

struct mon_rkey {
	struct babel_prefix prefix;
	struct babel_prefix src;
	uint32_t ifindex;
	struct babel_addr addr;
};

struct mon_nkey {
	uint32_t ifindex;
	struct babel_addr addr;
};

struct mon_xkey {
	struct babel_prefix prefix;
	struct babel_prefix src;
};

static void mon_key_prefix(struct babel_prefix *k, const struct babel_prefix *p)
{
	k->af = p->af;
	k->plen = p->plen;
	memcpy(k->addr, p->addr, p->af == BABEL_AF_INET ? 4 : 16);
}

static void mon_key_addr(struct babel_addr *k, const struct babel_addr *a)
{
	k->af = a->af;
	memcpy(k->addr, a->addr, a->af == BABEL_AF_INET ? 4 : 16);
}

/* One event: a babeld line for "monitor", a JSON object for "monitor json". */
static void mon_emit(struct ctl_monitor *m, const char *type, const char *verb,
		     struct sbuf *line)
{
	size_t len;
	char *l = sbuf_take(line, &len);

	if (!l)
		return;
	sbuf_puts(&m->text, l);
	if (len && l[len - 1] == '\n')
		l[len - 1] = '\0';
	sbuf_printf(&m->json, "{\"event\":\"%s\",\"type\":\"%s\",\"line\":",
		    verb, type);
	sbuf_json_str(&m->json, l);
	sbuf_puts(&m->json, "}\n");
	free(l);
}

static int mon_route(void *arg, const struct babel_route_info *r)
{
	struct ctl_monitor *m = arg;
	struct mon_rkey k;
	struct mon_route *v;
	struct sbuf line = { 0 };
	const char *verb = NULL;
	bool created;

	memset(&k, 0, sizeof(k));
	mon_key_prefix(&k.prefix, &r->prefix);
	if (r->has_src_prefix)
		mon_key_prefix(&k.src, &r->src_prefix);
	k.ifindex = r->neighbour.ifindex;
	mon_key_addr(&k.addr, &r->neighbour.addr);
	v = wg_hmap_get(&m->routes, &k, &created);
	if (!v)
		return -1;
	if (created)
		verb = "add";
	else if (v->info.metric != r->metric ||
		 v->info.refmetric != r->refmetric ||
		 v->info.selected != r->selected ||
		 v->info.feasible != r->feasible ||
		 v->info.seqno != r->seqno ||
		 memcmp(v->info.router_id, r->router_id, 8))
		verb = "change";
	v->info = *r;
	v->gen = m->gen;
	if (verb) {
		fmt_route_line(m->d, &line, verb, r);
		mon_emit(m, "route", verb, &line);
	}
	return 0;
}

static int mon_neigh(void *arg, const struct babel_neighbour_info *n)
{
	struct ctl_monitor *m = arg;
	struct mon_nkey k;
	struct mon_neigh *v;
	struct sbuf line = { 0 };
	const char *verb = NULL;
	bool created;

	memset(&k, 0, sizeof(k));
	k.ifindex = n->ifindex;
	mon_key_addr(&k.addr, &n->addr);
	v = wg_hmap_get(&m->neigh, &k, &created);
	if (!v)
		return -1;
	if (created)
		verb = "add";
	else if (v->info.rxcost != n->rxcost || v->info.txcost != n->txcost ||
		 v->info.cost != n->cost ||
		 v->info.rtt_penalty != n->rtt_penalty)
		verb = "change";
	v->info = *n;
	v->gen = m->gen;
	if (verb) {
		fmt_neigh_line(m->d, &line, verb, n);
		mon_emit(m, "neighbour", verb, &line);
	}
	return 0;
}

static int mon_xroute(void *arg, const struct babel_xroute_info *x)
{
	struct ctl_monitor *m = arg;
	struct mon_xkey k;
	struct mon_xroute *v;
	struct sbuf line = { 0 };
	const char *verb = NULL;
	bool created;

	memset(&k, 0, sizeof(k));
	mon_key_prefix(&k.prefix, &x->prefix);
	if (x->has_src_prefix)
		mon_key_prefix(&k.src, &x->src_prefix);
	v = wg_hmap_get(&m->xroutes, &k, &created);
	if (!v)
		return -1;
	if (created)
		verb = "add";
	else if (v->info.metric != x->metric)
		verb = "change";
	v->info = *x;
	v->gen = m->gen;
	if (verb) {
		fmt_xroute_line(&line, verb, x);
		mon_emit(m, "xroute", verb, &line);
	}
	return 0;
}

static void mon_ifaces(struct ctl_monitor *m)
{
	struct daemon *d = m->d;

	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];
		char key[CFG_IFNAME_MAX] = { 0 };
		struct sbuf line = { 0 };
		struct mon_iface *v;
		const char *verb = NULL;
		bool created;

		if (!ifc->present)
			continue;
		memcpy(key, ifc->name, strlen(ifc->name));
		v = wg_hmap_get(&m->ifaces, key, &created);
		if (!v)
			return;
		if (created)
			verb = "add";
		else if (v->up != ifc->in_engine ||
			 memcmp(&v->ll6, &ifc->ll6, sizeof(v->ll6)))
			verb = "change";
		v->up = ifc->in_engine;
		v->ll6 = ifc->ll6;
		v->gen = m->gen;
		if (verb) {
			fmt_iface_line(d, &line, verb, ifc);
			mon_emit(m, "interface", verb, &line);
		}
	}
}

/* Flushes every entry of MAP not seen in this round. GEN_OFF is where the
 * generation sits in the value; FMT writes the flush line. */
static void mon_sweep(struct ctl_monitor *m, struct wg_hmap *map,
		      size_t gen_off, const char *type,
		      void (*fmt)(struct ctl_monitor *, struct sbuf *,
				  const void *key, const void *val))
{
	size_t it = 0, n = 0, cap = 0;
	uint8_t *keys = NULL;
	const void *k;
	void *v;

	while ((v = wg_hmap_next(map, &it, &k))) {
		uint64_t gen;

		memcpy(&gen, (char *)v + gen_off, sizeof(gen));
		if (gen == m->gen)
			continue;
		struct sbuf line = { 0 };

		fmt(m, &line, k, v);
		mon_emit(m, type, "flush", &line);
		if (n == cap) {
			uint8_t *nk = realloc(keys, (cap ? cap * 2 : 16) *
					      map->key_size);

			if (!nk)
				break;
			keys = nk;
			cap = cap ? cap * 2 : 16;
		}
		memcpy(keys + n++ * map->key_size, k, map->key_size);
	}
	for (size_t i = 0; i < n; i++)
		wg_hmap_remove(map, keys + i * map->key_size);
	free(keys);
}

static void mon_fmt_route(struct ctl_monitor *m, struct sbuf *b,
			  const void *k, const void *v)
{
	fmt_route_line(m->d, b, "flush", &((const struct mon_route *)v)->info);
}

static void mon_fmt_neigh(struct ctl_monitor *m, struct sbuf *b,
			  const void *k, const void *v)
{
	fmt_neigh_line(m->d, b, "flush", &((const struct mon_neigh *)v)->info);
}

static void mon_fmt_xroute(struct ctl_monitor *m, struct sbuf *b,
			   const void *k, const void *v)
{
	fmt_xroute_line(b, "flush", &((const struct mon_xroute *)v)->info);
}

static void mon_fmt_iface(struct ctl_monitor *m, struct sbuf *b,
			  const void *k, const void *v)
{
	sbuf_printf(b, "flush interface %s\n", (const char *)k);
}

static struct ctl_monitor *mon_get(struct daemon *d)
{
	struct ctl_monitor *m = d->monitor;

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->d = d;
	wg_hmap_init(&m->routes, sizeof(struct mon_rkey), sizeof(struct mon_route));
	wg_hmap_init(&m->neigh, sizeof(struct mon_nkey), sizeof(struct mon_neigh));
	wg_hmap_init(&m->xroutes, sizeof(struct mon_xkey),
		     sizeof(struct mon_xroute));
	wg_hmap_init(&m->ifaces, CFG_IFNAME_MAX, sizeof(struct mon_iface));
	d->monitor = m;
	return m;
}

void ctl_monitor_free(struct daemon *d)
{
	struct ctl_monitor *m = d->monitor;

	if (!m)
		return;
	wg_hmap_free(&m->routes);
	wg_hmap_free(&m->neigh);
	wg_hmap_free(&m->xroutes);
	wg_hmap_free(&m->ifaces);
	sbuf_free(&m->text);
	sbuf_free(&m->json);
	free(m);
	d->monitor = NULL;
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

static void mon_send(struct ctl_server *s, struct ctl_monitor *m)
{
	struct ctl_client *c, *next;

	for (c = s ? s->clients : NULL; c; c = next) {
		next = c->next;		/* a slow client may be closed */
		if (c->monitor && m->text.len)
			ctl_client_write(c, m->text.p, m->text.len);
		else if (c->monitor_json && m->json.len)
			ctl_client_write(c, m->json.p, m->json.len);
	}
}

/* Brings the snapshot up to date, leaving the events in m->text/json. */
static void mon_diff(struct ctl_monitor *m)
{
	struct daemon *d = m->d;

	m->gen++;
	mon_ifaces(m);
	babel_foreach_neighbour(d->babel, mon_neigh, m);
	babel_foreach_xroute(d->babel, mon_xroute, m);
	babel_foreach_route(d->babel, mon_route, m);
	mon_sweep(m, &m->routes, offsetof(struct mon_route, gen), "route",
		  mon_fmt_route);
	mon_sweep(m, &m->neigh, offsetof(struct mon_neigh, gen), "neighbour",
		  mon_fmt_neigh);
	mon_sweep(m, &m->xroutes, offsetof(struct mon_xroute, gen), "xroute",
		  mon_fmt_xroute);
	mon_sweep(m, &m->ifaces, offsetof(struct mon_iface, gen), "interface",
		  mon_fmt_iface);
}

void ctl_monitor_tick(struct daemon *d)
{
	struct ctl_monitor *m;

	if (ctl_monitor_count(d) == 0) {
		ctl_monitor_free(d);
		uv_timer_stop(&d->monitor_timer);
		return;
	}
	if (!(m = mon_get(d)))
		return;
	mon_diff(m);
	mon_send(d->ctl_rw, m);
	mon_send(d->ctl_ro, m);
	sbuf_free(&m->text);
	sbuf_free(&m->json);
}

static void mon_on_timer(uv_timer_t *t)
{
	ctl_monitor_tick(t->data);
}

void ctl_monitor_event(struct daemon *d, const char *type, const char *line)
{
	struct ctl_server *srv[] = { d->ctl_rw, d->ctl_ro };
	struct sbuf text = { 0 }, json = { 0 };

	if (ctl_monitor_count(d) == 0)
		return;
	sbuf_printf(&text, "change %s %s", type, line);
	sbuf_printf(&json, "{\"event\":\"change\",\"type\":\"%s\","
		    "\"line\":", type);
	if (text.p)
		sbuf_json_str(&json, text.p);
	sbuf_puts(&json, "}\n");
	sbuf_puts(&text, "\n");
	for (size_t i = 0; i < 2; i++) {
		struct ctl_client *c, *next;

		for (c = srv[i] ? srv[i]->clients : NULL; c; c = next) {
			next = c->next;	/* a slow client may be closed */
			if (c->monitor && text.len)
				ctl_client_write(c, text.p, text.len);
			else if (c->monitor_json && json.len)
				ctl_client_write(c, json.p, json.len);
		}
	}
	sbuf_free(&text);
	sbuf_free(&json);
}

/*
 * A new monitor gets the current state as "add" lines (babeld does the
 * same), then changes. The shared snapshot is brought up to date first so
 * that its next difference starts from what this client was shown.
 */
void ctl_monitor_start(struct ctl_client *c, bool json)
{
	struct daemon *d = c->srv->d;
	struct sbuf b = { 0 };

	ctl_monitor_tick(d);		/* older monitors get their changes */
	c->monitor = !json;
	c->monitor_json = json;
	if (!json) {
		ctl_fmt_dump(d, &b, "add");
	} else {
		struct ctl_monitor *m = mon_get(d);

		/* Replay the snapshot as JSON "add" events. */
		if (m) {
			ctl_fmt_dump(d, &m->text, "add");
			size_t len;
			char *all = sbuf_take(&m->text, &len);

			for (char *l = all, *nl; l && *l; l = nl + 1) {
				nl = strchr(l, '\n');
				if (!nl)
					break;
				*nl = '\0';
				sbuf_printf(&b, "{\"event\":\"add\",\"type\":"
					    "\"%s\",\"line\":",
					    strncmp(l, "add route", 9) == 0 ?
					    "route" : strncmp(l, "add neighbour", 13) == 0 ?
					    "neighbour" : strncmp(l, "add xroute", 10) == 0 ?
					    "xroute" : "interface");
				sbuf_json_str(&b, l);
				sbuf_puts(&b, "}\n");
			}
			free(all);
		}
	}
	sbuf_puts(&b, "ok\n");
	ctl_client_write_sbuf(c, &b);
	/* The snapshot now matches what everybody was shown. */
	struct ctl_monitor *m = mon_get(d);

	if (m) {
		mon_diff(m);
		sbuf_free(&m->text);
		sbuf_free(&m->json);
	}
	if (!uv_is_active((uv_handle_t *)&d->monitor_timer))
		uv_timer_start(&d->monitor_timer, mon_on_timer, MON_INTERVAL_MS,
			       MON_INTERVAL_MS);
}
