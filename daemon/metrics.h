/* SPDX-License-Identifier: MIT */
/*
 * daemon/metrics.h — the daemon's counters as Prometheus metrics.
 *
 * One snapshot (struct metrics_snap) is filled from the daemon and its
 * engine in one pass (metrics_collect.c); one table (metrics.c) names every
 * metric, its type, its help text and how to read it from the snapshot; one
 * renderer writes the table in the text exposition format 0.0.4 (HELP and
 * TYPE lines, names prefixed "wgbabeld_", counters suffixed "_total").
 * The HTTP endpoint (httpd.c) and the control command "metrics" both
 * serve what metrics_render() writes.
 */
#ifndef WGB_DAEMON_METRICS_H
#define WGB_DAEMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/sbuf.h"
#include "proto/babel.h"

struct daemon;

/* One neighbour: labels interface and address. */
struct metrics_neigh {
	char iface[24];
	char addr[48];
	uint64_t cost, rxcost, txcost;
	bool rtt_valid;
	uint32_t rtt_us;
	/* Hellos missed since the first one of the 16 the history holds
	 * (RFC 8966 §3.4.1): multicast, unicast */
	uint64_t hellos_missed[2];
	uint64_t routes, selected;
};

enum metrics_aip {
	METRICS_AIP_INSTALLED,
	METRICS_AIP_PENDING,
	METRICS_AIP_NO_PEER,
	METRICS_AIP_DRY_RUN,
	METRICS_AIP_REFUSED_FOREIGN,
	METRICS_AIP_REFUSED_PEER_MISSING,
	METRICS_AIP_MAX,
};

enum metrics_kroute {
	METRICS_KR_INSTALLED,
	METRICS_KR_REFUSED_FOREIGN,
	METRICS_KR_REFUSED_ENDPOINT,
	METRICS_KR_MAX,
};

/* Errors from the kernel. */
enum metrics_kerr {
	METRICS_KERR_WG_READ,		/* reading a WireGuard device */
	METRICS_KERR_WG_WRITE,		/* setting allowed IPs */
	METRICS_KERR_ROUTE,		/* a kernel route write refused */
	METRICS_KERR_RTNL_BAD,		/* malformed route messages */
	METRICS_KERR_RTNL_LOST,		/* ENOBUFS on the route events */
	METRICS_KERR_MAX,
};

/* HTTP answers of the metrics endpoint, by status. */
enum metrics_http {
	METRICS_HTTP_200, METRICS_HTTP_400, METRICS_HTTP_404,
	METRICS_HTTP_405, METRICS_HTTP_413, METRICS_HTTP_431,
	METRICS_HTTP_503, METRICS_HTTP_505, METRICS_HTTP_MAX,
};

/* Why a connection to the metrics endpoint ended without an answer. */
enum metrics_http_drop {
	METRICS_DROP_TIMEOUT,		/* no complete head in time */
	METRICS_DROP_CLOSED,		/* the client went away first */
	METRICS_DROP_OVERLOAD,		/* far past the cap: closed at once */
	METRICS_DROP_MAX,
};

struct metrics_http_stats {
	uint64_t connections;		/* accepted */
	uint64_t active;		/* connected now */
	uint64_t answers[METRICS_HTTP_MAX];
	uint64_t dropped[METRICS_DROP_MAX];
};

/* Origins of originated prefixes (ORIG_* in daemon.h, in bit order). */
#define METRICS_ORIG_MAX 3

struct metrics_snap {
	char version[32];
	char router_id[24];
	struct babel_counters eng;
	/* interfaces by state: running, waiting, down, absent */
	uint64_t ifaces[4];
	struct metrics_neigh *neigh;
	size_t n_neigh;
	uint64_t originated[METRICS_ORIG_MAX];	/* by reason */
	/* health-checked announcements (check.c): by state (unknown, up,
	 * down); drains (draining, drained); probe results (ok, failed) */
	uint64_t checks[3], drains[2], check_results[2];
	uint64_t allowed_ips[METRICS_AIP_MAX];
	uint64_t kernel_routes[METRICS_KR_MAX];
	/* UDP, at the socket */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_not_peer;
	uint64_t tx_errors, tx_refused_by_wg;
	uint64_t probes_sent, unreachable, icmp_ignored;
	uint64_t kernel_errors[METRICS_KERR_MAX];
	bool dry_run;
	uint64_t dry_writes;
	/* control sockets: read-write, read-only */
	uint64_t ctl_clients[2], ctl_accepted[2];
	struct metrics_http_stats http;
};

/* Fills S from the daemon (metrics_collect.c); free with metrics_snap_free.
 * Returns 0 or -ENOMEM. */
int metrics_collect(struct daemon *d, struct metrics_snap *s);
void metrics_snap_free(struct metrics_snap *s);

/* Appends S in the text exposition format to B. */
void metrics_render(const struct metrics_snap *s, struct sbuf *b);

/* Collects and renders; 0 or -ENOMEM. */
int metrics_write(struct daemon *d, struct sbuf *b);

/* The content type of what metrics_render() writes. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
