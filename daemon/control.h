/* SPDX-License-Identifier: MIT */
/*
 * daemon/control.h — the control socket: a UNIX stream socket speaking a
 * line protocol (wgbabelctl(8) documents it), with the subset of babeld's
 * local protocol that tools use (dump, monitor, add/change/flush lines).
 *
 * Never blocks the daemon: replies are queued with uv_write; a client whose
 * queue grows past a limit stops being read until it drains, and a
 * monitoring client that falls that far behind is disconnected. Identifiers
 * shown are hashes of what names an object, never pointers.
 */
#ifndef WGB_DAEMON_CONTROL_H
#define WGB_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "daemon/sbuf.h"
#include "proto/babel.h"

struct daemon;
struct cfg_socket;
struct d_iface;
struct ctl_walk;

#define CTL_LINE_MAX 1024
/* Replies of any size are queued; past this much unsent data a client is
 * not read any more, and a monitoring client is dropped. */
#define CTL_QUEUE_LIMIT (8u * 1024 * 1024)

struct ctl_client {
	uv_pipe_t pipe;
	struct ctl_server *srv;
	struct ctl_client *next, **pprev;
	uint64_t id;			/* for logs: a counter */
	char line[CTL_LINE_MAX];
	size_t linelen;
	bool monitor;			/* babeld-style change lines */
	bool monitor_json;		/* one JSON object per change */
	bool closing;
	bool reading;
	/* A reply streamed in chunks as the client reads (ctl_walk); its
	 * later command lines wait in line[] until it is done. */
	struct ctl_walk *walk;
	bool pumping;
	bool sndbuf_set;		/* ctl_stream_sndbuf done */
};

struct ctl_server {
	uv_pipe_t pipe;
	struct daemon *d;
	bool readonly;
	char path[108];
	struct ctl_client *clients;
	uint64_t next_id;
};

int ctl_server_open(struct daemon *d, const struct cfg_socket *s,
		    bool readonly, struct ctl_server **out);
void ctl_server_close(struct ctl_server *s);

/* Queues bytes to a client (copied). Drops a monitor that fell behind. */
void ctl_client_write(struct ctl_client *c, const char *buf, size_t len);
void ctl_client_write_sbuf(struct ctl_client *c, struct sbuf *b);
void ctl_client_close(struct ctl_client *c);

/* ctl_cmd.c: one command line from a client. */
void ctl_cmd_run(struct ctl_client *c, char *line);
/* The greeting babeld's local protocol starts with. */
void ctl_cmd_greeting(struct ctl_client *c);

/* ctl_monitor.c: events as they happen (see there). */
int ctl_monitor_count(struct daemon *d);
/* The engine's events are on while anyone monitors: after any change of
 * who does. */
void ctl_monitor_sync(struct daemon *d);
void ctl_monitor_start(struct ctl_client *c, bool json);
void ctl_monitor_stop(struct ctl_client *c);
/* babel_callbacks.route_event, neigh_event, xroute_event (ctx: daemon). */
void ctl_monitor_route_event(void *ctx, enum babel_event ev,
			     const struct babel_route_info *r);
void ctl_monitor_neigh_event(void *ctx, enum babel_event ev,
			     const struct babel_neighbour_info *n);
void ctl_monitor_xroute_event(void *ctx, enum babel_event ev,
			      const struct babel_xroute_info *x);
/* An interface appeared (add), went up or down or changed address
 * (change), or went away (flush). */
void ctl_monitor_iface(struct daemon *d, const struct d_iface *ifc,
		       enum babel_event ev);
/* A selected route changed (babel_callbacks.fib_change's arguments): an
 * "allowedip" event when a WireGuard peer gains or loses it. */
void ctl_monitor_fib(struct daemon *d, const struct babel_prefix *prefix,
		     const struct babel_nexthop *old_nh,
		     const struct babel_nexthop *new_nh);
const char *ctl_ev_name(enum babel_event ev);
/* One event as babeld's line into TEXT and as a typed JSON object into
 * JSON; either may be NULL. */
void ctl_ev_route(struct daemon *d, enum babel_event ev,
		  const struct babel_route_info *r, struct sbuf *text,
		  struct sbuf *json);
void ctl_ev_neigh(struct daemon *d, enum babel_event ev,
		  const struct babel_neighbour_info *n, struct sbuf *text,
		  struct sbuf *json);
void ctl_ev_xroute(struct daemon *d, enum babel_event ev,
		   const struct babel_xroute_info *x, struct sbuf *text,
		   struct sbuf *json);
void ctl_ev_iface(struct daemon *d, enum babel_event ev,
		  const struct d_iface *ifc, struct sbuf *text,
		  struct sbuf *json);

/*
 * A typed event for JSON monitors, for any part of the daemon:
 *	struct ctl_ev e;
 *	if (ctl_monitor_count(d)) {
 *		ctl_ev_begin(&e, "change", "check");
 *		ctl_ev_str(&e, "name", name);
 *		ctl_ev_str(&e, "old_state", "up");
 *		ctl_ev_str(&e, "state", "down");
 *		ctl_ev_send(d, &e, NULL);
 *	}
 * gives JSON monitors {"event":"change","type":"check","name":...} on one
 * line; TEXT_LINE ("...\n"), when not NULL, goes to text monitors
 * (babeld's tools read those: only lines of babeld's kinds belong there).
 * ctl_ev_send frees what ctl_ev_begin allocated.
 */
struct ctl_ev {
	struct sbuf json;
};
void ctl_ev_begin(struct ctl_ev *ev, const char *event, const char *type);
void ctl_ev_str(struct ctl_ev *ev, const char *key, const char *val);
void ctl_ev_uint(struct ctl_ev *ev, const char *key, unsigned long long v);
void ctl_ev_bool(struct ctl_ev *ev, const char *key, bool v);
void ctl_ev_send(struct daemon *d, struct ctl_ev *ev, const char *text_line);

/*
 * ctl_walk.c: a long reply (dump, show routes, a new monitor's state)
 * streamed in chunks of a few hundred routes: the next chunk is made when
 * the client has read the last, from the engine's cursor
 * (babel_route_walk), so a dump of any size holds about one chunk.
 */
enum ctl_walk_kind {
	CTL_WALK_DUMP,			/* babeld's "add" lines, then ok */
	CTL_WALK_MONITOR,		/* the same, a new monitor's state */
	CTL_WALK_MONITOR_JSON,		/* the same as typed JSON events */
	CTL_WALK_ROUTES,		/* show routes */
	CTL_WALK_ROUTES_JSON,		/* show routes json */
};
void ctl_walk_start(struct ctl_client *c, enum ctl_walk_kind kind);
/* Makes the next chunk into B; true when it was the last. */
bool ctl_walk_fill(struct ctl_walk *w, struct sbuf *b);
void ctl_walk_free(struct ctl_walk *w);
/* Whether an event about the route (or, XROUTE, the originated prefix) P
 * from SRC is news to a monitor that is shown the walk: the state a new
 * monitor is shown has passed it already (ctl_monitor.c). True for any
 * other walk (a monitor that asked for a dump gets every event). */
bool ctl_walk_passed(struct daemon *d, const struct ctl_walk *w, bool xroute,
		     const struct babel_prefix *p, const struct babel_prefix *src);
/* control.c: sends the walk's chunks as the client reads them. */
void ctl_client_stream(struct ctl_client *c, struct ctl_walk *w);

/* ctl_graph.c: "graph", Graphviz DOT of the mesh; 0 or -ENOMEM. */
int ctl_graph(struct daemon *d, struct sbuf *b);

/* ctl_format.c: the lines and JSON objects of show, dump and monitor. */
/* Interfaces and neighbours as babeld's lines (the head of a dump: the
 * originated prefixes and routes follow from the walk). */
void ctl_fmt_dump_head(struct daemon *d, struct sbuf *b, const char *verb);
int ctl_fmt_show(struct daemon *d, struct sbuf *b, const char *what,
		 bool json);
/* ctl_show.c: one route of "show routes" (FIRST: no JSON object yet). */
void ctl_show_route(struct daemon *d, struct sbuf *b, bool json, bool *first,
		    const struct babel_route_info *r);
/* "show route ADDR|PREFIX": the longest match, its selected route and
 * every candidate; -ENOENT when no route covers it. */
int ctl_show_route_match(struct daemon *d, struct sbuf *b,
			 const struct babel_prefix *p, bool json);

#endif
