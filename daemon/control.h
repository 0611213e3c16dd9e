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

struct daemon;
struct cfg_socket;

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

/* ctl_monitor.c */
struct ctl_monitor;
int ctl_monitor_count(struct daemon *d);
/* Compares the engine's state with the last look and sends the difference
 * to every monitoring client. Called from a 1 s timer while any monitors. */
void ctl_monitor_tick(struct daemon *d);
void ctl_monitor_start(struct ctl_client *c, bool json);
void ctl_monitor_free(struct daemon *d);
/* An event no snapshot shows (a health check's verdict, a drain): sent to
 * every monitoring client at once, as "change TYPE LINE" or as a JSON
 * object with that line. */
void ctl_monitor_event(struct daemon *d, const char *type, const char *line);

/* ctl_format.c: the lines and JSON objects of show, dump and monitor. */
void ctl_fmt_dump(struct daemon *d, struct sbuf *b, const char *verb);
int ctl_fmt_show(struct daemon *d, struct sbuf *b, const char *what,
		 bool json);

#endif
