/* SPDX-License-Identifier: MIT */
/*
 * daemon/main.c — wgbabeld: command line, start-up, the libuv loop, signals
 * (SIGTERM/SIGINT: retract and exit; SIGHUP: reload) and shutdown.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/check.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/httpd.h"
#include "daemon/sdnotify.h"

#define DEFAULT_CONFIG "/etc/wgbabeld.conf"
#define REFRESH_MS 5000		/* re-read WireGuard devices, at least */
#define GRACE_MS 30000		/* keep restart leftovers this long */

static const char usage_text[] =
"Usage: wgbabeld [OPTIONS] [INTERFACE...]\n"
"\n"
"Babel routing daemon for WireGuard meshes (RFC 8966). It runs Babel with\n"
"the peers of each WireGuard interface, picks the best loop-free route for\n"
"every prefix (anycast included) and writes the winning peer into that\n"
"interface's AllowedIPs, plus a kernel route. Prefixes this node offers are\n"
"listed with 'announce' in the configuration or added at run time with\n"
"'wgbabelctl announce'.\n"
"\n"
"Interfaces are taken from 'interface' lines of the configuration and from\n"
"the command line; wgbabeld waits for them to appear and come up.\n"
"\n"
"Options:\n"
"  -c, --config FILE     configuration (default " DEFAULT_CONFIG "; a missing\n"
"                        default file is fine, a missing -c file is not)\n"
"  -t, --check           check the configuration, print problems, and exit\n"
"  -s, --socket PATH     read-write control socket (overrides control-socket)\n"
"  -S, --state-file PATH router-id and seqno kept across restarts\n"
"  -p, --pid-file PATH   write the process id there\n"
"  -n, --dry-run         observe only: learn and select routes, show what\n"
"                        would be written (wgbabelctl show fib), write no\n"
"                        allowed IP or kernel route, announce nothing\n"
"  -d, --debug           log everything (log-level debug)\n"
"  -l, --syslog          log to syslog instead of standard error\n"
"  -h, --help            this text\n"
"  -V, --version         print the version\n"
"\n"
"Signals: SIGHUP reloads the configuration (a file with errors is reported\n"
"and the running configuration kept); SIGTERM retracts our routes, removes\n"
"the routes and allowed IPs wgbabeld installed (unless keep-routes-on-exit)\n"
"and exits.\n"
"\n"
"Example, next to wg-quick (wg0 has 'Address = fe80::1/64' and each peer a\n"
"host address such as fe80::2/128 in AllowedIPs):\n"
"  wgbabeld -c /etc/wgbabeld/wg0.conf wg0\n"
"  wgbabelctl show routes\n"
"\n"
"See wgbabeld(8), wgbabeld.conf(5) and wgbabelctl(8).\n";

struct opts {
	const char *config;
	bool config_given;
	bool check;
	const char *socket;
	const char *state_file;
	const char *pid_file;
	bool debug;
	bool use_syslog;
	bool dry_run;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-file", required_argument, NULL, 'S' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "syslog", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->config = DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:ts:S:p:dnlhV", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; o->config_given = true; break;
		case 't': o->check = true; break;
		case 's': o->socket = optarg; break;
		case 'S': o->state_file = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'd': o->debug = true; break;
		case 'n': o->dry_run = true; break;
		case 'l': o->use_syslog = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': printf("wgbabeld %s\n", WGB_VERSION); exit(0);
		default:
			fprintf(stderr, "Try 'wgbabeld --help'.\n");
			return -1;
		}
	}
	return 0;
}

static int load_config(const struct opts *o, struct cfg **out)
{
	char err[CFG_ERR_MAX];
	struct stat st;
	struct cfg *c;
	int r;

	if (!o->config_given && stat(o->config, &st) < 0 && errno == ENOENT) {
		c = cfg_new();
		if (!c)
			return -ENOMEM;
	} else if ((r = cfg_parse_file(o->config, &c, err, sizeof(err))) < 0) {
		fprintf(stderr, "wgbabeld: %s\n", err);
		return r;
	}
	/* The command line wins over the file. */
	if (o->socket)
		snprintf(c->ctl_rw.path, sizeof(c->ctl_rw.path), "%s", o->socket);
	if (o->state_file)
		snprintf(c->state_file, sizeof(c->state_file), "%s",
			 o->state_file);
	if (o->pid_file)
		snprintf(c->pid_file, sizeof(c->pid_file), "%s", o->pid_file);
	*out = c;
	return 0;
}

/* ------------------------------------------------------------ loop */

static void on_babel_timer(uv_timer_t *t)
{
	daemon_kick(t->data);
}

void daemon_kick(struct daemon *d)
{
	static const uint64_t max_sleep_us = 60ULL * 1000000;
	uint64_t now, next, delay_ms;

	if (d->stopping || !d->babel || d->in_kick)
		return;
	d->in_kick = true;
	now = d_now_us(d);
	next = babel_run(d->babel, now);
	iface_flush_dirty(d);
	d->in_kick = false;
	if (next == UINT64_MAX || next > now + max_sleep_us)
		next = now + max_sleep_us;
	delay_ms = next > now ? (next - now + 999) / 1000 : 0;
	uv_timer_start(&d->babel_timer, on_babel_timer, delay_ms, 0);
}

/*
 * The safety re-read of the WireGuard devices: each read returns every
 * allowed IP, so its interval grows with what we installed there, 5 s
 * plus 1 ms a prefix, at most 300 s (100,000 prefixes: 105 s). It only
 * catches what changed underneath without a sign (wg syncconf, wg set
 * removing ours); a new peer is noticed at once by its first Babel packet
 * (iface_unknown_source) and a re-created link by its link event. A read
 * costs wireguard-go 0.3-2 us an allowed IP (it formats each one:
 * 0.03-0.19 s at 100,000, tests/bench/wgpath.sh), so at 1 ms a prefix
 * it takes about a thousandth of a core; at 0.5 ms it was a quarter of
 * wireguard-go's steady CPU at 100,000 prefixes.
 */
#define REFRESH_PER_PREFIX_US 1000
#define REFRESH_MAX_MS 300000
uint64_t refresh_interval_ms(const struct daemon *d)
{
	uint64_t ms = REFRESH_MS +
		      fwd_wg_route_count(&d->fwd) * REFRESH_PER_PREFIX_US / 1000;

	return ms < REFRESH_MAX_MS ? ms : REFRESH_MAX_MS;
}

static void on_check(uv_timer_t *t)
{
	iface_check_all(t->data);
}

static void on_refresh(uv_timer_t *t)
{
	struct daemon *d = t->data;

	iface_refresh_all(d);
	redist_tick(d);
	uv_timer_start(&d->refresh_timer, on_refresh, refresh_interval_ms(d), 0);
}

static void on_grace_over(uv_timer_t *t)
{
	struct daemon *d = t->data;
	int r;

	d->in_grace = false;
	for (size_t i = 0; i < d->n_ifaces; i++) {
		if (d->ifaces[i]->rec) {
			wg_rec_grace_over(d->ifaces[i]->rec);
			d->ifaces[i]->rec_dirty = true;
		}
	}
	iface_flush_dirty(d);
	if (d->kr && (r = kroute_grace_over(d->kr)) < 0)
		LOG_W(d, "removing routes left by a previous run: %s",
		      strerror(-r));
	egress_grace_over(d);
}

/* Route events of others: a foreign route that held a refused prefix's
 * place went away, or one replaced ours (wgglue/kroute.h). */
static void on_kwatch_readable(uv_poll_t *h, int status, int events)
{
	struct daemon *d = h->data;

	/* A socket error (ENOBUFS: events lost) raises POLLERR, and libuv
	 * stops the handle: watch again, then read (which sees ENOBUFS). */
	if (status < 0)
		uv_poll_start(h, UV_READABLE, on_kwatch_readable);
	if (kroute_watch_dispatch(d->kr, fib_kernel_refused, d) == -ENOBUFS)
		LOG_W(d, "route events were lost; the refused routes are "
		      "tried again");
}

static void on_link_readable(uv_poll_t *h, int status, int events)
{
	struct daemon *d = h->data;
	int r;

	if (status < 0)		/* as on_kwatch_readable */
		uv_poll_start(h, UV_READABLE, on_link_readable);
	r = kroute_monitor_dispatch(d->mon);

	if (r == -ENOBUFS) {
		LOG_W(d, "link events were lost; re-reading every link");
		kroute_monitor_request_dump(d->mon);
		iface_refresh_all(d);
	}
}

static void babel_log_cb(void *ctx, enum babel_log_level level,
			 const char *msg)
{
	static const enum cfg_log_level map[] = {
		[BABEL_LOG_ERR] = CFG_LOG_ERROR, [BABEL_LOG_WARN] = CFG_LOG_WARNING,
		[BABEL_LOG_INFO] = CFG_LOG_INFO, [BABEL_LOG_DEBUG] = CFG_LOG_DEBUG,
	};
	struct daemon *d = ctx;

	d_logf(&d->log, level <= BABEL_LOG_DEBUG ? map[level] : CFG_LOG_DEBUG,
	       "%s", msg);
}

/* A neighbour that was alive is gone: one line, with the cause and what
 * to check (the engine has moved or retracted its routes already). */
static void neigh_lost_cb(void *ctx, unsigned ifindex,
			  const struct babel_addr *addr,
			  enum babel_neigh_loss cause)
{
	static const char *const why[BABEL_LOSS_MAX] = {
		[BABEL_LOSS_HELLO_TIMEOUT] = "no Hello heard in 16 Hello "
			"intervals: the link, the peer's host or its daemon "
			"stopped answering",
		[BABEL_LOSS_UNREACHABLE] = "its host answered with ICMP port "
			"unreachable: no Babel daemon listens there any more",
		[BABEL_LOSS_IFACE_DOWN] = "the interface went down",
		[BABEL_LOSS_PEER_REMOVED] = "its peer was removed from the "
			"WireGuard device",
		[BABEL_LOSS_PROBE] = "nothing answered its fast probes "
			"(Ack Requests) for about a second: the link or the "
			"peer's host stopped answering",
	};
	struct daemon *d = ctx;
	struct d_iface *ifc = iface_find(d, ifindex);
	char a[INET6_ADDRSTRLEN];

	if (d->stopping)	/* shutdown takes every interface down */
		return;
	d_addr_str(addr, a, sizeof(a));
	LOG_W(d, "%s: neighbour %s lost (%s): %s; its routes moved to the next "
	      "best path or were retracted", ifc ? ifc->name : "?", a,
	      babel_neigh_loss_name(cause),
	      (unsigned)cause < BABEL_LOSS_MAX ? why[cause] : "");
}

/* ---------------------------------------------------------- signals */

/* The service manager is told when we are ready, reloading and stopping
 * (Type=notify in contrib/wgbabeld@.service.in); without $NOTIFY_SOCKET
 * this does nothing. A failure is only logged: the manager's timeout
 * says the rest. */
static void notify(struct daemon *d, const char *state)
{
	int r = sdnotify_send(state);

	if (r < 0)
		LOG_W(d, "cannot notify $NOTIFY_SOCKET: %s", strerror(-r));
}

/* route-source and egress-* are read at start (the kernel's tables and
 * rules, the engine's configuration): a reload keeps them. */
static bool egress_cfg_differs(const struct cfg *a, const struct cfg *b)
{
	if (a->n_egress_prefixes != b->n_egress_prefixes)
		return true;
	for (size_t i = 0; i < a->n_egress_prefixes; i++)
		if (!cfg_prefix_equal(&a->egress_prefixes[i],
				      &b->egress_prefixes[i]))
			return true;
	return a->egress_table != b->egress_table ||
	       a->egress_fwmark != b->egress_fwmark ||
	       a->egress_priority != b->egress_priority ||
	       a->egress_margin != b->egress_margin ||
	       a->egress_hold_ms != b->egress_hold_ms ||
	       a->has_route_src4 != b->has_route_src4 ||
	       a->has_route_src6 != b->has_route_src6 ||
	       memcmp(a->route_src4, b->route_src4, 4) ||
	       memcmp(a->route_src6, b->route_src6, 16);
}

static void egress_cfg_keep(struct cfg *nc, const struct cfg *old)
{
	struct babel_prefix *p = NULL;

	if (old->n_egress_prefixes &&
	    (p = malloc(old->n_egress_prefixes * sizeof(*p))))
		memcpy(p, old->egress_prefixes,
		       old->n_egress_prefixes * sizeof(*p));
	free(nc->egress_prefixes);
	nc->egress_prefixes = p;
	nc->n_egress_prefixes = p ? old->n_egress_prefixes : 0;
	nc->egress_table = old->egress_table;
	nc->egress_fwmark = old->egress_fwmark;
	nc->egress_priority = old->egress_priority;
	nc->egress_margin = old->egress_margin;
	nc->egress_hold_ms = old->egress_hold_ms;
	nc->has_route_src4 = old->has_route_src4;
	nc->has_route_src6 = old->has_route_src6;
	memcpy(nc->route_src4, old->route_src4, 4);
	memcpy(nc->route_src6, old->route_src6, 16);
}

/* Returns 0, or -1 when the file had errors and the running configuration
 * was kept. */
static int do_reload(struct daemon *d)
{
	struct cfg *nc, *old = d->cfg;
	char err[CFG_ERR_MAX];

	if (cfg_parse_file(d->cfg_path, &nc, err, sizeof(err)) < 0) {
		LOG_E(d, "reload failed, keeping the running configuration: %s",
		      err);
		return -1;
	}
	/* What the command line set, and what needs a restart, stays. */
	memcpy(nc->ctl_rw.path, old->ctl_rw.path, sizeof(nc->ctl_rw.path));
	if (strcmp(nc->state_file, old->state_file) ||
	    strcmp(nc->pid_file, old->pid_file) ||
	    strcmp(nc->ctl_ro.path, old->ctl_ro.path) ||
	    memcmp(&nc->metrics, &old->metrics, sizeof(nc->metrics)) ||
	    nc->route_table != old->route_table ||
	    nc->route_protocol != old->route_protocol ||
	    nc->route_metric != old->route_metric ||
	    nc->max_routes != old->max_routes ||
	    nc->fast_probe_rate != old->fast_probe_rate ||
	    nc->max_routes_per_neighbour != old->max_routes_per_neighbour ||
	    nc->keep_routes_on_exit != old->keep_routes_on_exit ||
	    nc->has_router_id != old->has_router_id ||
	    memcmp(nc->router_id, old->router_id, 8) ||
	    egress_cfg_differs(nc, old))
		LOG_W(d, "reload: changes to sockets, metrics-listen, files, "
		      "route-*, keep-routes-on-exit, max-routes*, router-id, "
		      "fast-probe-rate or "
		      "egress-* "
		      "take effect at the next restart");
	memcpy(nc->state_file, old->state_file, sizeof(nc->state_file));
	memcpy(nc->pid_file, old->pid_file, sizeof(nc->pid_file));
	nc->ctl_ro = old->ctl_ro;
	nc->metrics = old->metrics;
	nc->route_table = old->route_table;
	nc->route_protocol = old->route_protocol;
	nc->route_metric = old->route_metric;
	nc->keep_routes_on_exit = old->keep_routes_on_exit;
	nc->max_routes = old->max_routes;
	nc->fast_probe_rate = old->fast_probe_rate;
	nc->max_routes_per_neighbour = old->max_routes_per_neighbour;
	nc->has_router_id = old->has_router_id;
	memcpy(nc->router_id, old->router_id, 8);
	egress_cfg_keep(nc, old);
	d->cfg = nc;
	if (!d->log.level_forced)
		d->log.level = nc->log_level;
	check_apply_config(d, nc);
	orig_apply_config(d, old, nc);
	redist_reload(d);
	iface_reconfigure(d);
	probe_run(d);	/* a changed probe-interval counts from now */
	cfg_free(old);
	LOG_I(d, "configuration reloaded from %s", d->cfg_path);
	daemon_kick(d);
	return 0;
}

/*
 * The engine's send callback. An Update that makes a neighbour choose us
 * must not reach it before we can forward what it sends: while
 * allowed-IP changes are queued (and the device answers), the packets
 * that carry Updates wait until those changes are written (on a worker
 * thread, iface.c) and their kernel routes committed. Otherwise a
 * restarted transit node announced its routes before holding them, and
 * a neighbour that moved to it at once lost what it sent (WireGuard
 * drops a packet to or from a peer that holds no allowed IP for it).
 */
struct held_pkt {
	struct held_pkt *next;
	uint64_t seq;		/* d->hold_seq when held */
	unsigned ifindex;
	bool has_dst;
	struct babel_addr dst;
	size_t len;
	uint8_t buf[];
};

/*
 * A held packet waits for the writes of what was queued before it, not
 * for every write: each held packet gets the next sequence number, each
 * write the number of the last packet held before it was planned, and a
 * packet goes once every interface that still has changes queued or a
 * write in flight has finished a write planned after the packet was held
 * (so steady churn, some write always under way, holds nothing for
 * long). A device that does not answer holds nothing: its writes wait
 * until it answers again.
 */
static bool iface_writes_owed(const struct d_iface *ifc)
{
	return ifc->rec && !ifc->wg_stalled && (ifc->rec_dirty || ifc->writing);
}

static bool aip_writes_pending(const struct daemon *d)
{
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (iface_writes_owed(d->ifaces[i]))
			return true;
	return false;
}

static void held_send(struct daemon *d, uint64_t upto)
{
	struct held_pkt *p;

	while ((p = d->held) && p->seq <= upto) {
		d->held = p->next;
		net_send(d, p->ifindex, p->has_dst ? &p->dst : NULL, p->buf,
			 p->len);
		free(p);
	}
	if (!d->held) {
		d->held_tail = &d->held;
		uv_idle_stop(&d->send_idle);
	}
}

static void held_send_all(struct daemon *d)
{
	held_send(d, UINT64_MAX);
}

void daemon_writes_done(struct daemon *d)
{
	uint64_t upto = UINT64_MAX;

	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct d_iface *ifc = d->ifaces[i];

		if (iface_writes_owed(ifc) && ifc->covered_seq < upto)
			upto = ifc->covered_seq;
	}
	held_send(d, upto);
}

static void on_send_idle(uv_idle_t *h)
{
	(void)h;
}

static void send_after_writes(void *ctx, unsigned ifindex,
			      const struct babel_addr *dst,
			      const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;
	struct held_pkt *p;

	/* Nothing held and no write owed: at once (held ones first, in
	 * order, when stopping). */
	if (d->stopping || (!d->held && !aip_writes_pending(d))) {
		held_send_all(d);
		net_send(d, ifindex, dst, buf, len);
		return;
	}
	/* A packet without an Update (Hello, IHU, Ack, a request) makes
	 * nobody choose us: it goes at once, even past held ones, so that
	 * a long write (a million allowed IPs take over a second on
	 * wireguard-go) never delays Hellos or the Acks of a neighbour's
	 * fast probes, which would take us for dead. Without memory to
	 * hold it, a packet goes too: Babel repairs an early Update. */
	if (!babel_packet_has_update(buf, len) ||
	    !(p = malloc(sizeof(*p) + len))) {
		net_send(d, ifindex, dst, buf, len);
		return;
	}
	p->next = NULL;
	p->seq = ++d->hold_seq;
	p->ifindex = ifindex;
	p->has_dst = dst != NULL;
	if (dst)
		p->dst = *dst;
	p->len = len;
	memcpy(p->buf, buf, len);
	/* No blocking poll before on_send_check. */
	uv_idle_start(&d->send_idle, on_send_idle);
	*d->held_tail = p;
	d->held_tail = &p->next;
}

/* Later in the loop iteration that held packets: their writes start
 * (iface_flush_dirty); the packets go when those are done. */
static void on_send_check(uv_check_t *h)
{
	struct daemon *d = h->data;

	if (!d->held)
		return;
	if (d->stopping)
		held_send_all(d);
	else
		iface_flush_dirty(d);
	uv_idle_stop(&d->send_idle);	/* the writes' ends send the rest */
}

/*
 * The shutdown delay (shutdown-delay, as babeld's shutdown-delay-ms):
 * everything is retracted at once and again half-way (at most 300 ms
 * later), while Hellos, IHUs and the installed routes go on, so that
 * neighbours move before we stop forwarding; then the loop stops and
 * shutdown_daemon retracts a last time, says goodbye and flushes.
 */
static void on_shutdown_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	uint64_t half = d->cfg->shutdown_delay_ms / 2;

	if (d->retire_repeated || !d->babel) {
		uv_stop(d->loop);
		return;
	}
	d->retire_repeated = true;
	babel_retire(d->babel, d_now_us(d));
	daemon_kick(d);
	uv_timer_start(&d->shutdown_timer, on_shutdown_timer,
		       d->cfg->shutdown_delay_ms - (half > 300 ? 300 : half), 0);
}

/*
 * A stop with keep-routes-on-exit is a graceful restart: the kernel
 * routes and allowed IPs stay and keep forwarding as announced, and the
 * next instance adopts them (the ledger), so nothing is retracted and no
 * goodbye is said: a neighbour moving away to a detour and back would
 * lose what is in flight on the path it leaves, twice. The last Hellos
 * (shutdown_daemon, babel_shutdown_restart) ask wgbabeld neighbours to
 * keep us for RESTART_BACK_MS; a restart takes well under that (stop to
 * the new instance's first Hello: tests/bench/README.md).
 */
#define RESTART_BACK_MS 3000

static void shutdown_begin(struct daemon *d)
{
	uint64_t half = d->cfg->shutdown_delay_ms / 2;

	if (d->babel && d->cfg->keep_routes_on_exit) {
		LOG_I(d, "keep-routes-on-exit: stopping without retracting "
		      "anything; the routes and allowed IPs stay installed and "
		      "forwarding for the next instance, and neighbours are "
		      "asked to keep this router for %.1f s", RESTART_BACK_MS / 1000.0);
		uv_stop(d->loop);
		return;
	}
	if (!d->babel || d->cfg->shutdown_delay_ms == 0) {
		uv_stop(d->loop);
		return;
	}
	d->retiring = true;
	LOG_I(d, "retracting every route; stopping in %.3f s (shutdown-delay)",
	      d->cfg->shutdown_delay_ms / 1000.0);
	babel_retire(d->babel, d_now_us(d));
	daemon_kick(d);
	uv_timer_start(&d->shutdown_timer, on_shutdown_timer, half > 300 ? 300 : half, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		int r;

		if ((r = sdnotify_reloading()) < 0)
			LOG_W(d, "cannot notify $NOTIFY_SOCKET: %s",
			      strerror(-r));
		/* Ready again either way: a bad file leaves the old
		 * configuration running. */
		notify(d, do_reload(d) == 0 ?
		       "READY=1\nSTATUS=running, configuration reloaded" :
		       "READY=1\nSTATUS=running; the reloaded file had errors, "
		       "the previous configuration is kept");
		return;
	}
	if (d->retiring) {
		LOG_I(d, "%s again: stopping without waiting", strsignal(signum));
		uv_stop(d->loop);
		return;
	}
	LOG_I(d, "%s: shutting down", strsignal(signum));
	notify(d, d->cfg->keep_routes_on_exit ?
	       "STOPPING=1\nSTATUS=shutting down, routes kept" :
	       "STOPPING=1\nSTATUS=shutting down: retracting routes");
	shutdown_begin(d);
}

static void close_cb_noop(uv_handle_t *h)
{
}

static void shutdown_daemon(struct daemon *d)
{
	uint64_t now = d_now_us(d);

	if (d->babel && d->cfg->keep_routes_on_exit) {
		/* Nothing retracted: the installed state goes on forwarding
		 * (shutdown_begin); a Hello says we come back. */
		babel_shutdown_restart(d->babel, RESTART_BACK_MS, now);
	} else if (d->babel) {
		/* Retractions go out now, through net_send. */
		babel_shutdown(d->babel, now);
	}
	held_send_all(d);	/* before the sockets close */
	d->stopping = true;	/* fib_change ignores what follows */
	if (!d->cfg->keep_routes_on_exit)
		LOG_I(d, "removing the routes and allowed IPs wgbabeld "
		      "installed");
	egress_stop(d);		/* while the devices are known: the marks */
	iface_remove_all(d);
	if (d->kwatch_init) {
		uv_close((uv_handle_t *)&d->kwatch_poll, close_cb_noop);
		d->kwatch_init = false;
	}
	if (d->kr) {
		if (!d->cfg->keep_routes_on_exit)
			kroute_flush(d->kr);
		kroute_free(d->kr);
		d->kr = NULL;
	}
}

/* ------------------------------------------------------------ setup */

static int mkdir_for(struct daemon *d, const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		LOG_W(d, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

static int write_pid_file(struct daemon *d)
{
	const char *path = d->cfg->pid_file;
	char buf[32];
	FILE *f;
	long pid;

	if (!path[0])
		return 0;
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0 && pid != getpid() &&
		    kill((pid_t)pid, 0) == 0) {
			fclose(f);
			LOG_E(d, "%s: wgbabeld is already running as process %ld",
			      path, pid);
			return -EEXIST;
		}
		fclose(f);
	}
	f = fopen(path, "w");
	if (!f) {
		LOG_E(d, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	fputs(buf, f);
	fclose(f);
	return 0;
}

/*
 * The ledger of this instance's nexthop objects: in the runtime directory,
 * named after the configuration file (wg0.conf: nexthops-wg0), so that
 * instances with their own configuration never share one, even in one
 * runtime directory, and a restart finds its own.
 */
static void ledger_path(struct daemon *d)
{
	const char *base = strrchr(d->cfg_path, '/');
	size_t len;

	base = base ? base + 1 : d->cfg_path;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".conf"))
		len -= 5;
	snprintf(d->ledger_path, sizeof(d->ledger_path), "%s/nexthops-%.*s",
		 d->cfg->runtime_dir, (int)len, base);
}

/*
 * The first start after an upgrade from a version without the ledger:
 * no ledger yet, but that version's allowed-IP journals (*.aip) in the
 * runtime directory. Then the objects it numbered from protocol << 24 up
 * are taken as ours once, and from then on the ledger says.
 */
static bool upgrade_from_journals(const struct daemon *d)
{
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (access(d->ledger_path, F_OK) == 0 ||
	    !(dir = opendir(d->cfg->runtime_dir)))
		return false;
	while (!found && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		found = len > 4 && !strcmp(de->d_name + len - 4, ".aip");
	}
	closedir(dir);
	return found;
}

/* The kernel routes: the ledger of a previous run adopted, and the
 * route events of others watched. */
static int kroute_start(struct daemon *d, const struct kroute_config *kc)
{
	size_t adopted = 0;
	int r;

	if ((r = kroute_new(&d->kr, kc)) < 0) {
		if (r == -EBADMSG)
			LOG_E(d, "%s is not a wgbabeld ledger of nexthop "
			      "objects (damaged?); remove it to start afresh, "
			      "leaving what it listed to the operator",
			      d->ledger_path);
		else
			LOG_E(d, "cannot open rtnetlink or read %s: %s",
			      d->ledger_path, strerror(-r));
		return r;
	}
	if ((r = kroute_adopt(d->kr, &adopted)) < 0)
		LOG_W(d, "cannot read back the routes of a previous run: %s",
		      strerror(-r));
	else if (adopted)
		LOG_I(d, "%zu routes kept by a previous run of this instance "
		      "(%s); they stay until relearned or %d s pass",
		      adopted, d->ledger_path, GRACE_MS / 1000);
	if (kroute_watch_fd(d->kr) >= 0) {
		if ((r = uv_poll_init(d->loop, &d->kwatch_poll,
				      kroute_watch_fd(d->kr))) < 0)
			return r;
		d->kwatch_poll.data = d;
		d->kwatch_init = true;
		uv_poll_start(&d->kwatch_poll, UV_READABLE, on_kwatch_readable);
	}
	return 0;
}

/* An observe-only daemon announces nothing: neighbours must not send it
 * traffic that it would not forward the way its table says. */
static int filter_deny_all(void *ctx, const struct babel_prefix *prefix,
			   const struct babel_prefix *src_prefix,
			   unsigned ifindex, uint16_t metric)
{
	return -1;
}

static int start(struct daemon *d)
{
	struct babel_config bc = { 0 };
	struct babel_callbacks cb = {
		.ctx = d, .send = send_after_writes, .fib_change = fib_change,
		.save_state = state_save, .log = babel_log_cb,
		.filter_in = filter_in, .filter_out = filter_out,
		.neigh_lost = neigh_lost_cb, .stable = egress_stable,
		.route_event = ctl_monitor_route_event,
		.neigh_event = ctl_monitor_neigh_event,
		.xroute_event = ctl_monitor_xroute_event,
	};
	struct kroute_config kc = {
		.protocol = d->cfg->route_protocol,
		.table = d->cfg->route_table,
		.metric = d->cfg->route_metric,
		.keep_on_exit = d->cfg->keep_routes_on_exit,
		.ledger_path = d->ledger_path,
		.watch = true,
		.prefsrc4 = d->cfg->has_route_src4,
		.prefsrc6 = d->cfg->has_route_src6,
	};
	char dir[4096], err[256];
	int r;

	if ((r = write_pid_file(d)) < 0)
		return r;
	mkdir_for(d, d->cfg->runtime_dir);
	ledger_path(d);
	memcpy(kc.src4, d->cfg->route_src4, 4);
	memcpy(kc.src6, d->cfg->route_src6, 16);
	kc.adopt_legacy = upgrade_from_journals(d);
	if (kc.adopt_legacy)
		LOG_I(d, "no %s yet, but journals of an older wgbabeld: "
		      "adopting its nexthop objects once", d->ledger_path);
	if (d->cfg->state_file[0]) {
		snprintf(dir, sizeof(dir), "%s", d->cfg->state_file);
		mkdir_for(d, dirname(dir));
	}
	if ((r = state_load(d)) < 0) {
		LOG_E(d, "cannot make a router-id: %s", strerror(-r));
		return r;
	}
	if (d->dry_run) {
		LOG_I(d, "dry run: routes are learned, selected and shown "
		      "(wgbabelctl show fib); no allowed IP and no kernel route "
		      "is written, and nothing is announced");
		cb.filter_out = filter_deny_all;
	} else if ((r = kroute_start(d, &kc)) < 0 ||
		   (r = egress_start(d)) < 0) {
		return r;
	}
	memcpy(bc.router_id, d->router_id, 8);
	bc.seqno = d->seqno;
	bc.max_routes = d->cfg->max_routes;
	bc.fast_probe_rate = d->cfg->fast_probe_rate;
	bc.max_routes_per_neighbour = d->cfg->max_routes_per_neighbour;
	bc.stable_margin = d->cfg->egress_margin;
	bc.stable_hold_ms = d->cfg->egress_hold_ms;
	/* Allowed IPs and our kernel routes match the destination only, so
	 * we act as a router without source-specific routing (RFC 9079):
	 * selecting and re-announcing such a route would attract traffic we
	 * then forward by destination. */
	bc.ignore_source_specific = true;
	d->babel = babel_new(&bc, &cb, d_now_us(d));
	if (!d->babel)
		return -ENOMEM;
	state_save(d, d->router_id, d->seqno);
	if ((r = ctl_server_open(d, &d->cfg->ctl_rw, false, &d->ctl_rw)) < 0 ||
	    (r = ctl_server_open(d, &d->cfg->ctl_ro, true, &d->ctl_ro)) < 0)
		return r;
	if (d->cfg->metrics.family &&
	    (r = httpd_open(d, &d->cfg->metrics, &d->httpd)) < 0)
		return r;
	check_apply_config(d, d->cfg);	/* before: a checked prefix waits */
	for (size_t i = 0; i < d->cfg->n_announces; i++) {
		const struct cfg_announce *a = &d->cfg->announces[i];

		if (orig_announce(d, &a->prefix, a->metric, ORIG_CONFIG, err,
				  sizeof(err)) < 0)
			LOG_E(d, "%s:%u: %s", d->cfg->source, a->line, err);
	}
	if ((r = redist_start(d)) < 0)
		return r;
	if ((r = kroute_monitor_new(&d->mon, iface_link_event, d)) < 0) {
		LOG_E(d, "cannot watch links: %s", strerror(-r));
		return r;
	}
	if ((r = uv_poll_init(d->loop, &d->mon_poll,
			      kroute_monitor_fd(d->mon))) < 0)
		return r;
	d->mon_poll.data = d;
	uv_poll_start(&d->mon_poll, UV_READABLE, on_link_readable);
	if ((r = kroute_monitor_request_dump(d->mon)) < 0)
		LOG_W(d, "cannot list links: %s", strerror(-r));
	if ((r = iface_start(d)) < 0)
		return r;
	uv_timer_start(&d->refresh_timer, on_refresh, REFRESH_MS, 0);
	uv_timer_start(&d->check_timer, on_check, REFRESH_MS, REFRESH_MS);
	uv_timer_start(&d->grace_timer, on_grace_over, GRACE_MS, 0);
	daemon_kick(d);
	probe_start(d);
	/* Ready: the control sockets listen and the interfaces are set up
	 * (or awaited), so wgbabelctl works from here on. */
	notify(d, "READY=1\nSTATUS=running");
	return 0;
}

static void init_handles(struct daemon *d)
{
	uv_timer_init(d->loop, &d->babel_timer);
	uv_timer_init(d->loop, &d->refresh_timer);
	uv_timer_init(d->loop, &d->grace_timer);
	uv_timer_init(d->loop, &d->probe_timer);
	uv_timer_init(d->loop, &d->check_timer);
	uv_timer_init(d->loop, &d->shutdown_timer);
	d->probe_timer.data = d->check_timer.data = d->shutdown_timer.data = d;
	d->babel_timer.data = d->refresh_timer.data = d->grace_timer.data = d;
	uv_check_init(d->loop, &d->send_check);
	uv_idle_init(d->loop, &d->send_idle);
	d->send_check.data = d->send_idle.data = d;
	d->held_tail = &d->held;
	uv_check_start(&d->send_check, on_send_check);
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_init(d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
}

static void close_handles(struct daemon *d)
{
	uv_handle_t *hs[] = {
		(uv_handle_t *)&d->babel_timer, (uv_handle_t *)&d->refresh_timer,
		(uv_handle_t *)&d->grace_timer,
		(uv_handle_t *)&d->probe_timer, (uv_handle_t *)&d->check_timer,
		(uv_handle_t *)&d->shutdown_timer,
		(uv_handle_t *)&d->send_check, (uv_handle_t *)&d->send_idle,
		(uv_handle_t *)&d->sigterm, (uv_handle_t *)&d->sigint,
		(uv_handle_t *)&d->sighup,
	};

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		uv_close(hs[i], close_cb_noop);
	if (d->mon) {
		uv_close((uv_handle_t *)&d->mon_poll, close_cb_noop);
	}
	redist_stop(d);
	check_stop(d);
	ctl_server_close(d->ctl_rw);
	ctl_server_close(d->ctl_ro);
	d->ctl_rw = d->ctl_ro = NULL;
	httpd_close(d->httpd);
	d->httpd = NULL;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct opts o = { 0 };
	uv_loop_t loop;
	int r, status = 1;

	/* One malloc arena: the device reads and writes run on libuv's
	 * worker threads, and glibc would give each its own arena, which
	 * keeps what a read of the whole device took (about 1.8 MB more
	 * resident per read at 100,000 prefixes; tests/bench/README.md). */
	mallopt(M_ARENA_MAX, 1);
	/* Large transient buffers (a device read: 1.8 MB at 100,000
	 * prefixes; a write's batch; a table's next size) mapped and
	 * unmapped on their own, not kept resident in the heap after they
	 * are freed (glibc otherwise raises this threshold to the largest
	 * block freed so far). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (load_config(&o, &d.cfg) < 0)
		return 1;
	if (o.check) {
		printf("%s: configuration OK\n", o.config);
		cfg_free(d.cfg);
		return 0;
	}
	snprintf(d.cfg_path, sizeof(d.cfg_path), "%s", o.config);
	d.cmdline_ifaces = argv + optind;
	d.n_cmdline_ifaces = argc - optind;
	for (int i = 0; i < d.n_cmdline_ifaces; i++) {
		if (strlen(d.cmdline_ifaces[i]) >= CFG_IFNAME_MAX) {
			fprintf(stderr, "wgbabeld: '%s' is not an interface name\n",
				d.cmdline_ifaces[i]);
			cfg_free(d.cfg);
			return 2;
		}
	}
	d.log.level = o.debug ? CFG_LOG_DEBUG : d.cfg->log_level;
	d.log.level_forced = o.debug;
	d_log_open(&d.log, o.use_syslog);
	if (d.cfg->n_ifaces == 0 && d.n_cmdline_ifaces == 0)
		LOG_W(&d, "no interfaces configured: Babel runs nowhere until an "
		      "'interface' line is added and the daemon reloaded");
	signal(SIGPIPE, SIG_IGN);
	wg_hmap_init(&d.originated, sizeof(struct babel_prefix),
		     sizeof(struct d_orig));
	d.dry_run = o.dry_run;
	fib_init(&d);
	wg_hmap_init(&d.iface_by_index, sizeof(unsigned),
		     sizeof(struct d_iface *));
	d.in_grace = true;
	if ((r = uv_loop_init(&loop)) < 0) {
		fprintf(stderr, "wgbabeld: %s\n", uv_strerror(r));
		return 1;
	}
	d.loop = &loop;
	init_handles(&d);
	if (start(&d) == 0) {
		LOG_I(&d, "wgbabeld %s started", WGB_VERSION);
		uv_run(&loop, UV_RUN_DEFAULT);
		status = 0;
	}
	shutdown_daemon(&d);
	close_handles(&d);
	uv_run(&loop, UV_RUN_DEFAULT);	/* let the closes finish */
	if (uv_loop_close(&loop) < 0)
		LOG_D(&d, "libuv loop still had handles at exit");
	if (d.mon)
		kroute_monitor_free(d.mon);
	if (d.babel)
		babel_free(d.babel);
	wg_hmap_free(&d.originated);
	fwd_free(&d.fwd);
	wg_hmap_free(&d.iface_by_index);
	if (d.cfg->pid_file[0] && status == 0)
		unlink(d.cfg->pid_file);
	LOG_I(&d, "exited");
	d_log_close(&d.log);
	cfg_free(d.cfg);
	return status;
}
