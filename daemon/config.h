/* SPDX-License-Identifier: MIT */
/*
 * daemon/config.h — wgbabeld's configuration: the parsed form of the
 * line-based file documented in wgbabeld.conf(5).
 *
 * Parse, then apply: cfg_parse_*() builds a fresh struct cfg and touches no
 * daemon state; on a SIGHUP the daemon swaps it in only when the whole file
 * parsed, so a bad reload leaves the running configuration alone. Every error
 * is reported as "FILE:LINE: what is wrong".
 */
#ifndef WGB_DAEMON_CONFIG_H
#define WGB_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/wire.h"

#define CFG_IFNAME_MAX 16	/* IFNAMSIZ, with the NUL */
#define CFG_SOCKPATH_MAX 108	/* sizeof(sun_path) */
#define CFG_ERR_MAX 512

enum cfg_iftype {
	CFG_IFTYPE_AUTO = 0,	/* detected: wireguard, else wired */
	CFG_IFTYPE_WIREGUARD,
	CFG_IFTYPE_WIRED,
	CFG_IFTYPE_WIRELESS,
	CFG_IFTYPE_TUNNEL,
};

enum cfg_log_level {
	CFG_LOG_ERROR = 0,
	CFG_LOG_WARNING,
	CFG_LOG_INFO,
	CFG_LOG_DEBUG,
};

/* Which fields of a struct cfg_iface_params a line has set. */
enum {
	CFG_IF_TYPE = 1u << 0,
	CFG_IF_HELLO = 1u << 1,
	CFG_IF_UPDATE = 1u << 2,
	CFG_IF_RTT_MIN = 1u << 3,
	CFG_IF_RTT_MAX = 1u << 4,
	CFG_IF_RTT_PENALTY = 1u << 5,
	CFG_IF_BABEL_ADDR = 1u << 6,
	CFG_IF_RXCOST = 1u << 7,
	CFG_IF_TIMESTAMPS = 1u << 8,
	CFG_IF_PROBE = 1u << 9,
	CFG_IF_TRANSPORT = 1u << 10,
	CFG_IF_BABEL_ADDR4 = 1u << 11,
	CFG_IF_LINK_LOCAL = 1u << 12,
	CFG_IF_FAST_PROBE = 1u << 13,
};

/* "transport": which IP version Babel's own datagrams use on a link. */
enum cfg_transport {
	CFG_TRANSPORT_IPV6 = 0,		/* the default; carries IPv4 routes too */
	CFG_TRANSPORT_IPV4,
	CFG_TRANSPORT_BOTH,
};

struct cfg_iface_params {
	uint32_t set;			/* CFG_IF_* */
	enum cfg_iftype type;
	uint32_t hello_interval_ms;
	uint32_t update_interval_ms;	/* 0: four hello intervals */
	uint32_t rtt_min_ms;
	uint32_t rtt_max_ms;
	uint32_t max_rtt_penalty;
	uint16_t rxcost;
	uint32_t probe_interval_ms;	/* liveness probes, 0: none */
	/* fast failure detection (proto/neighbour.c), 0: off; only when
	 * CFG_IF_FAST_PROBE is set, else proto's default */
	uint32_t fast_probe_ms;
	bool timestamps;
	enum cfg_transport transport;
	/* which of a WireGuard peer's allowed IPs is its Babel address, for
	 * IPv6 transport and for IPv4 transport */
	struct babel_prefix babel_addr_from;
	struct babel_prefix babel_addr_from4;
	/* "link-local ADDR": our Babel source on the link (CFG_IF_LINK_LOCAL) */
	uint8_t link_local[16];
};

/* "interface PATTERN ...": PATTERN is a name or an fnmatch(3) glob. */
struct cfg_iface {
	char pattern[CFG_IFNAME_MAX];
	struct cfg_iface_params p;
	unsigned line;
};

/* A prefix with optional le/ge bounds; any = no prefix given. */
struct cfg_prefix_match {
	bool any;
	struct babel_prefix prefix;
	int le;				/* -1: not given */
	int ge;				/* -1: not given */
};

/* "announce PREFIX check KIND ...": a health check (daemon/check.c). */
enum cfg_check_kind {
	CFG_CHECK_NONE = 0,
	CFG_CHECK_ICMP,			/* echo request to addr */
	CFG_CHECK_TCP,			/* connect to addr:port */
	CFG_CHECK_HTTP,			/* GET path from addr:port, status */
	CFG_CHECK_EXEC,			/* /bin/sh -c cmd, exit status 0 */
};

/* What a failed check does to the announcement. */
enum cfg_check_down {
	CFG_CHECK_DOWN_WITHDRAW = 0,	/* stop announcing (the default) */
	CFG_CHECK_DOWN_METRIC,		/* announce with down_metric added */
};

#define CFG_CHECK_CMD_MAX 1024
#define CFG_CHECK_PATH_MAX 512
#define CFG_CHECK_HOST_MAX 256

struct cfg_check {
	enum cfg_check_kind kind;
	struct babel_addr addr;		/* icmp, tcp, http: numeric only */
	uint16_t port;			/* tcp, http */
	char host[CFG_CHECK_HOST_MAX];	/* http: the Host header */
	char path[CFG_CHECK_PATH_MAX];	/* http: the request target */
	uint16_t expect;		/* http: the status that means up */
	char cmd[CFG_CHECK_CMD_MAX];	/* exec */
	uint32_t interval_ms;
	uint32_t fast_interval_ms;	/* while the state is changing */
	uint32_t timeout_ms;
	uint16_t rise, fall;
	char bind[CFG_IFNAME_MAX];	/* SO_BINDTODEVICE, "" = none */
	uint32_t fwmark;		/* SO_MARK, 0 = none */
	enum cfg_check_down down;
	uint16_t down_metric;
};

#define CFG_CHECK_INTERVAL_MS 5000
#define CFG_CHECK_FAST_INTERVAL_MS 1000
#define CFG_CHECK_TIMEOUT_MS 2000
#define CFG_CHECK_RISE 3
#define CFG_CHECK_FALL 3
#define CFG_DRAIN_DELAY_MS 10000

struct cfg_announce {
	struct babel_prefix prefix;
	uint16_t metric;
	unsigned line;
	struct cfg_check check;		/* kind NONE: no check */
	char drain_file[CFG_CHECK_PATH_MAX];	/* "" = none */
	uint32_t drain_delay_ms;	/* drained: raised metric, then withdraw */
	char on_change[CFG_CHECK_CMD_MAX];	/* run at each change, "" = none */
};

struct cfg_redistribute {
	int proto;			/* kernel route protocol, -1: any */
	struct cfg_prefix_match match;
	bool deny;
	uint16_t metric;
	unsigned line;
};

enum cfg_filter_action {
	CFG_FILTER_ALLOW,
	CFG_FILTER_DENY,
	CFG_FILTER_METRIC,	/* add metric_add to the metric */
};

struct cfg_filter {
	struct cfg_prefix_match match;
	bool has_neigh;
	struct babel_prefix neigh;	/* a host prefix: /32 or /128 */
	char ifpattern[CFG_IFNAME_MAX];	/* "" = any interface */
	enum cfg_filter_action action;
	uint16_t metric_add;
	unsigned line;
};

struct cfg_socket {
	char path[CFG_SOCKPATH_MAX];	/* "" = none */
	mode_t mode;
	char group[64];			/* "" = the daemon's own group */
};

/* "metrics-listen ADDR:PORT": the Prometheus endpoint (daemon/httpd.c). */
struct cfg_listen {
	int family;			/* AF_INET, AF_INET6; 0: off */
	uint8_t addr[16];
	uint16_t port;
};

struct cfg {
	char source[256];		/* file name used in messages */

	struct cfg_iface_params defaults;	/* "default ..." */
	struct cfg_iface *ifaces;
	size_t n_ifaces;
	struct cfg_announce *announces;
	size_t n_announces;
	struct cfg_redistribute *redist;
	size_t n_redist;
	struct cfg_filter *in;
	size_t n_in;
	struct cfg_filter *out;
	size_t n_out;

	uint32_t route_table;
	uint8_t route_protocol;
	uint32_t route_metric;
	bool keep_routes_on_exit;
	/* "route-source ADDR": RTA_PREFSRC of our IPv4 / IPv6 routes */
	bool has_route_src4, has_route_src6;
	uint8_t route_src4[4], route_src6[16];

	/* Egress (doc/egress.md): default routes, and routes that cover a
	 * WireGuard endpoint, in a table of their own behind two rules per
	 * family; egress_table 0: off ("egress-table off"). */
	uint32_t egress_table;
	uint32_t egress_fwmark;
	uint32_t egress_priority;	/* suppress rule; the egress rule +1 */
	/* Stable choice (proto/babel.h): margin and hold (0: off) */
	uint16_t egress_margin;
	uint32_t egress_hold_ms;
	/* "egress-prefix": more prefixes with the stable choice */
	struct babel_prefix *egress_prefixes;
	size_t n_egress_prefixes;
	uint32_t shutdown_delay_ms;	/* main.c: retract, wait, then stop */

	char state_file[4096];
	char pid_file[4096];
	char runtime_dir[4096];		/* allowed-IP ownership journals */
	struct cfg_socket ctl_rw;
	struct cfg_socket ctl_ro;
	struct cfg_listen metrics;

	bool has_router_id;
	uint8_t router_id[8];

	uint32_t max_routes_per_neighbour;	/* 0: unlimited */
	uint32_t max_routes;			/* 0: unlimited */
	uint32_t fast_probe_rate;		/* 0: proto's default */
	enum cfg_log_level log_level;
	bool has_log_level;
};

#define CFG_DEFAULT_CONTROL_SOCKET "/run/wgbabeld.sock"
#define CFG_DEFAULT_RUNTIME_DIR "/run/wgbabeld"
#define CFG_DEFAULT_STATE_FILE "/var/lib/wgbabeld/state"
#define CFG_DEFAULT_ROUTE_TABLE 254	/* main */
#define CFG_DEFAULT_ROUTE_PROTOCOL 42	/* RTPROT_BABEL, rtnetlink.h */
/* Table and mark apart from wg-quick's 51820 (and the 51821 up it tries
 * when that is taken): the Babel port, 6696. The rules go just before the
 * main table's, as wg-quick's do (32765 and 32764), so that an operator's
 * own rules keep their precedence. */
#define CFG_DEFAULT_EGRESS_TABLE 6696
#define CFG_DEFAULT_EGRESS_FWMARK 0x1a28	/* 6696 */
#define CFG_DEFAULT_EGRESS_PRIORITY 32700	/* just before main (32766) */
#define CFG_DEFAULT_EGRESS_MARGIN 256
#define CFG_DEFAULT_EGRESS_HOLD_MS 60000
/*
 * shutdown-delay: long enough for neighbours to hear the retractions (sent
 * twice) and move, short enough that the last Hello makes babeld and FRR,
 * which hold a retracted route as unreachable until its neighbour is lost,
 * drop ours within a second of the stop: FRR's babeld needs about 0.5 s
 * after that Hello (its zebra adds 0.2-0.3 s to every change), and with
 * 0.5 s here took 1.01-1.08 s in one run. The maximum is what the systemd
 * unit's TimeoutStopSec leaves room for (contrib/wgbabeld@.service.in).
 */
#define CFG_DEFAULT_SHUTDOWN_DELAY_MS 300
#define CFG_MAX_SHUTDOWN_DELAY_MS 30000

/* A configuration holding only the defaults. NULL on ENOMEM. */
struct cfg *cfg_new(void);
void cfg_free(struct cfg *c);

/*
 * Parses TEXT (named NAME in messages) into a new configuration. Returns 0
 * and sets *out, or a negative errno with "NAME:LINE: message" in err.
 */
int cfg_parse_string(const char *text, const char *name, struct cfg **out,
		     char *err, size_t errlen);
int cfg_parse_file(const char *path, struct cfg **out, char *err,
		   size_t errlen);

/*
 * Parses one line into C (line number LINENO for messages). Used by the
 * parsers above and by tests; on error C may hold part of the line.
 */
int cfg_parse_line(struct cfg *c, const char *line, unsigned lineno,
		   char *err, size_t errlen);

/* True when some "interface" line names or matches IFNAME. */
bool cfg_iface_listed(const struct cfg *c, const char *ifname);

/*
 * The parameters that apply to IFNAME: the built-in defaults for its type
 * (the configured type, else DETECTED), then "default", then every matching
 * "interface" line in file order, later lines overriding earlier ones.
 */
void cfg_iface_resolve(const struct cfg *c, const char *ifname,
		       enum cfg_iftype detected, struct cfg_iface_params *out);

/* Filters: the metric to add (0 = allow unchanged), or -1 to deny. */
struct cfg_filter_input {
	const struct babel_prefix *prefix;
	const struct babel_prefix *neigh;	/* NULL: none (local) */
	const char *ifname;			/* NULL: none */
};
int cfg_filter_eval(const struct cfg_filter *f, size_t n,
		    const struct cfg_filter_input *in);

/*
 * Redistribution of a kernel route (protocol PROTO): -1 when no line allows
 * it, else the metric to announce it with.
 */
int cfg_redistribute_eval(const struct cfg *c, int proto,
			  const struct babel_prefix *p);

/* The same check and drain options (prefix and metric aside). */
bool cfg_announce_check_equal(const struct cfg_announce *a,
			      const struct cfg_announce *b);
const char *cfg_check_kind_name(enum cfg_check_kind k);

bool cfg_prefix_equal(const struct babel_prefix *a,
		      const struct babel_prefix *b);
/* P lies within M's prefix (or M is any), and its length within le/ge. */
bool cfg_prefix_match(const struct cfg_prefix_match *m,
		      const struct babel_prefix *p);

/*
 * "2001:db8::/32", "10.0.0.0/8" or a bare address (a host prefix). Host bits
 * past the length are an error. Returns 0 or -EINVAL with a message.
 */
int cfg_prefix_parse(const char *s, struct babel_prefix *p, char *err,
		     size_t errlen);
/* Formats P as "addr/len"; buf should hold 64 bytes. */
/* The address part alone ("any" for no family); LEN >= INET6_ADDRSTRLEN. */
const char *cfg_prefix_addr_str(const struct babel_prefix *p, char *a,
				size_t len);
const char *cfg_prefix_str(const struct babel_prefix *p, char *buf,
			   size_t len);

const char *cfg_iftype_name(enum cfg_iftype t);
const char *cfg_transport_name(enum cfg_transport t);
const char *cfg_log_level_name(enum cfg_log_level l);

#endif
