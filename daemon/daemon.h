/* SPDX-License-Identifier: MIT */
/*
 * daemon/daemon.h — the state of one wgbabeld process, shared by the
 * daemon's files: the libuv loop and its handles, the Babel engine, the
 * interfaces (and for WireGuard ones their peers and reconciler), kernel
 * routes, the control socket.
 *
 * Every handle lives inside its owner and has handle->data = owner; nothing
 * here is global.
 */
#ifndef WGB_DAEMON_DAEMON_H
#define WGB_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/lladdr.h"
#include "daemon/log.h"
#include "fwd/plane.h"
#include "proto/babel.h"
#include "wgglue/hmap.h"
#include "wgglue/kroute.h"
#include "wgglue/krule.h"
#include "wgglue/reconcile.h"
#include "wgglue/wg.h"

struct check;
struct ctl_server;
struct mnl_socket;
struct redist;
struct net_sock;
struct httpd;
struct rtwatch_stats;

/* A WireGuard peer as the daemon knows it: its key and Babel addresses. */
struct d_peer {
	struct wg_key key;
	struct babel_addr addr;		/* af NONE: no usable allowed IP */
	struct babel_addr addr4;	/* IPv4 transport; af NONE: none */
	/* last read of the device, for "show neighbours" */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} endpoint;
	int64_t last_handshake_sec;
	bool seen;			/* mark for the refresh sweep */
	/* Silence (peerdiag.c): when a Babel packet last came from the peer,
	 * or when we started listening; warned once until one comes. */
	uint64_t heard_us;
	bool silence_warned;
	uint8_t send_errs;		/* PEERDIAG_ERR_* reported */
};

/* Send errors reported once per peer (kernel WireGuard, peerdiag.c). */
enum {
	PEERDIAG_ERR_NOKEY = 1u << 0,		/* ENOKEY: no peer has dst */
	PEERDIAG_ERR_NOENDPOINT = 1u << 1,	/* EDESTADDRREQ */
};

/* Our addresses on a link (ifaddr.c). */
#define IFADDR_MAX_V6 32
struct ifaddr_set {
	struct ll_cand v6[IFADDR_MAX_V6];
	size_t n_v6;
	bool truncated;			/* more IPv6 addresses than fit */
	struct babel_addr v4;		/* the first IPv4 address */
};

struct d_iface {
	struct daemon *d;
	char name[CFG_IFNAME_MAX];
	unsigned ifindex;
	enum cfg_iftype detected;
	char kind[16];			/* IFLA_INFO_KIND of the link */
	struct cfg_iface_params params;
	bool present;			/* the link exists */
	bool up;			/* IFF_UP */
	bool in_engine;
	bool joined;			/* ff02::1:6 joined (net.c) */
	bool joined4;			/* 224.0.0.111 joined (net.c) */
	/* transport in effect: the configured one less what the link
	 * lacks (no IPv4 address, no link-local, no IPv4 socket) */
	enum cfg_transport xport;
	bool xport_warned;		/* said once why, until addresses change */
	struct babel_addr ll6;		/* our link-local address */
	enum ll_reason ll_reason;	/* why that one (lladdr.h) */
	bool ll_missing;		/* the configured one is not there */
	bool ll_missing_logged;
	struct babel_addr v4;
	/* "type wireguard" on a link that is not WireGuard: Babel does not
	 * start; an error at start, logged once later (iface.c) */
	bool not_wg;
	bool not_wg_logged;

	/* WireGuard only */
	struct wg_rec *rec;
	/* The reconciler's backend: its allowed-IP writes run on a worker
	 * thread (iface_flush_dirty), one at a time, so that a hung
	 * wireguard-go never holds up the event loop. */
	struct wg_backend *wg_writer;
	/* Its reads' backend (iface_refresh_wg); NULL while a read holds it */
	struct wg_backend *wg_reader;
	struct iface_write *writing;	/* the write in flight, or NULL */
	/* main.c: held packets up to this one may go, as far as this
	 * interface's writes go (daemon_writes_done) */
	uint64_t covered_seq;
	struct d_peer *peers;
	size_t n_peers;
	struct wg_hmap peer_by_addr;	/* struct babel_addr -> size_t index */
	bool rec_dirty;
	int last_refresh_err;
	size_t n_send_err_peers;	/* peers with send_errs set */
	uint8_t send_errs;		/* for destinations that are no peer */

	/* net.c: the Babel sockets of this link, IPv6 and IPv4, each bound
	 * to it; NULL when closed or not in the transport */
	struct net_sock *sock6, *sock4;

	uint64_t refresh_last_us;	/* last read of the device */
	bool reading;			/* a read is in flight */
	bool read_again;		/* asked for meanwhile */
	bool wg_stalled;		/* timed out: no writes until a read */
	bool gone_after_write;		/* link deleted under a write */

	/* egress.c: the device's fwmark at its last read; a foreign one
	 * said once */
	uint32_t fwmark;
	bool fwmark_known, fwmark_warned;
	/* iface.c: a fwmark to set on the device, written by the
	 * interface's writer with its next write (off the loop); pending
	 * until egress_mark_done has the result */
	uint32_t mark_want;
	bool mark_queued, mark_pending;

	/* probe.c: next liveness probe; set while a round sends */
	uint64_t probe_next_us;
	bool probing;
};

#define D_MAX_IFACES 64

struct daemon {
	uv_loop_t *loop;
	struct cfg *cfg;
	char cfg_path[4096];
	struct d_log log;

	struct babel *babel;
	uint8_t router_id[8];
	uint16_t seqno;

	struct kroute *kr;
	struct kroute_monitor *mon;
	/* egress.c: the egress table's routes, its rules and the fwmarks
	 * set for them (doc/egress.md) */
	struct kroute *kr_egress;
	struct krule *krule;
	bool egress_active;		/* marks in place */
	uint8_t egress_fams;		/* rules in place: 1 IPv4, 2 IPv6 */
	char egress_ledger[4216];	/* nexthops-NAME-egress */
	char rules_ledger[8320];	/* rules-NAME */

	struct d_iface *ifaces[D_MAX_IFACES];
	size_t n_ifaces;
	struct wg_hmap iface_by_index;	/* unsigned -> struct d_iface * */
	char **cmdline_ifaces;		/* interface names given as arguments */
	int n_cmdline_ifaces;

	/* Prefixes we originate: config + control socket. */
	struct wg_hmap originated;	/* struct babel_prefix -> struct d_orig */
	struct check *checks;		/* check.c: checked or drained prefixes */
	/* fib.c: the forwarding plane, what the selected routes become */
	struct fwd fwd;
	/* --dry-run: learn, select and show, write nothing (fib.c) */
	bool dry_run;
	uint64_t dry_writes;		/* writes withheld */

	uv_poll_t mon_poll;
	uv_poll_t kwatch_poll;		/* route events of others */
	bool kwatch_init;
	char ledger_path[4200];		/* our nexthop objects (kroute.h) */
	struct redist *redist;
	uv_timer_t babel_timer;
	uv_timer_t refresh_timer;	/* re-read WireGuard devices */
	uv_timer_t check_timer;		/* iface_check_all, every 5 s */
	uv_timer_t grace_timer;		/* end of the restart grace period */
	uv_timer_t probe_timer;		/* probe.c: liveness probes */
	uv_timer_t shutdown_timer;	/* main.c: the shutdown delay */
	/* main.c: Babel packets held while allowed-IP writes are pending,
	 * sent once they are written (send_after_writes) */
	uv_check_t send_check;
	uv_idle_t send_idle;
	struct held_pkt *held, **held_tail;
	unsigned writes_in_flight;	/* iface.c: allowed-IP writes */
	uint64_t hold_seq;		/* the last packet held */
	uv_signal_t sigterm, sigint, sighup;

	struct ctl_server *ctl_rw;
	struct ctl_server *ctl_ro;

	uint64_t udp_received;
	uint64_t udp_bytes_received;
	uint64_t udp_sent, udp_bytes_sent;
	/* for metrics: WireGuard device reads and writes that failed, kernel
	 * route writes refused */
	uint64_t wg_read_errors, wg_write_errors, kroute_errors;
	struct httpd *httpd;		/* the metrics endpoint, if any */
	uint64_t udp_dropped_not_peer;
	uint64_t udp_send_errors;
	uint64_t wg_send_refused;	/* ENOKEY, EDESTADDRREQ from WireGuard */
	/* ifaddr.c: reads our addresses */
	struct mnl_socket *addr_nl;
	uint32_t addr_seq;
	uint64_t probes_sent;		/* probe.c */
	uint64_t neighbours_unreachable;	/* dropped on an ICMP */
	uint64_t icmp_ignored;		/* other error-queue entries */
	struct d_lograte refused_log;	/* fib.c: refused kernel routes */
	struct d_lograte rec_log;	/* iface.c: the reconcilers' warnings */
	bool in_grace;
	bool in_kick;
	bool stopping;
	/* SIGTERM with a shutdown delay: retracted, still forwarding;
	 * retire_repeated once the retractions went out a second time. */
	bool retiring, retire_repeated;
};

/* Why we originate a prefix: any of these keeps it announced. */
enum {
	ORIG_CONFIG = 1u << 0,		/* an "announce" line */
	ORIG_CONTROL = 1u << 1,		/* "announce" on the control socket */
	ORIG_REDIST = 1u << 2,		/* a kernel route, "redistribute" */
};

struct d_orig {
	uint16_t metric;
	uint8_t sources;		/* ORIG_* */
	/* What the engine has (check.c may hold the prefix back or raise
	 * its metric): originated or not, and with which metric. */
	bool in_engine;
	uint16_t announced;
};

static inline uint64_t d_now_us(const struct daemon *d)
{
	return uv_hrtime() / 1000;
}

/* main.c */
void daemon_kick(struct daemon *d);
uint64_t refresh_interval_ms(const struct daemon *d);

/* net.c: the Babel sockets of a link, one per IP version of its transport
 * (net_iface_open: IPv6, net_iface_open4: IPv4); net_iface_close closes
 * both. net_join / net_join4: ff02::1:6 / 224.0.0.111 on a wired link. */
int net_iface_open(struct daemon *d, struct d_iface *ifc);
int net_iface_open4(struct daemon *d, struct d_iface *ifc);
void net_iface_close(struct daemon *d, struct d_iface *ifc);
int net_join(struct daemon *d, struct d_iface *ifc, bool join);
int net_join4(struct daemon *d, struct d_iface *ifc, bool join);
void net_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
	      const uint8_t *buf, size_t len);

/* probe.c: liveness probes and the UDP socket's error queue */
void probe_start(struct daemon *d);
void probe_run(struct daemon *d);
unsigned probe_drain_errors(struct daemon *d, unsigned ifindex, int fd);
bool probe_async_error(int err);

/* filter.c: the engine's filter_in / filter_out (proto/babel.h) */
int filter_in(void *ctx, const struct babel_prefix *prefix,
	      const struct babel_prefix *src_prefix, unsigned ifindex,
	      const struct babel_addr *neighbour, uint16_t metric);
int filter_out(void *ctx, const struct babel_prefix *prefix,
	       const struct babel_prefix *src_prefix, unsigned ifindex,
	       uint16_t metric);

/* ifaddr.c */
int ifaddr_read(struct daemon *d, unsigned ifindex, struct ifaddr_set *out);
void ifaddr_close(struct daemon *d);

/* iface.c */
struct d_iface *iface_find(struct daemon *d, unsigned ifindex);
/* After the first link dump: the configured interfaces that are missing
 * are listed as absent; -EINVAL when one declared "type wireguard" is
 * not WireGuard. */
int iface_start(struct daemon *d);
struct d_iface *iface_find_name(struct daemon *d, const char *name);
void iface_link_event(void *arg, const struct kroute_event *ev);
int iface_refresh_wg(struct daemon *d, struct d_iface *ifc);
void iface_refresh_all(struct daemon *d);
void iface_check_all(struct daemon *d);
void iface_unknown_source(struct daemon *d, struct d_iface *ifc);
void iface_reconfigure(struct daemon *d);
void iface_remove_all(struct daemon *d);
const struct d_peer *iface_peer_by_addr(const struct d_iface *ifc,
					const struct babel_addr *a);
struct d_peer *iface_peer_find(const struct d_iface *ifc,
			       const struct babel_addr *a);
/* Starts the queued allowed-IP writes (on worker threads) and commits
 * the kernel routes queued with them once no write is under way; the
 * Babel packets held for them go out then (main.c). */
void iface_flush_dirty(struct daemon *d);
/* MARK goes to IFC's device as its fwmark with the interface's next write
 * (on its worker thread; from here once the daemon is stopping); the
 * result goes to egress_mark_done. */
void iface_mark_write(struct daemon *d, struct d_iface *ifc, uint32_t mark);
/* main.c: allowed-IP writes ended; the packets held for them go out. */
void daemon_writes_done(struct daemon *d);

/* peerdiag.c: what WireGuard keeps quiet about its peers */
/* Per packet, O(1): a Babel packet came from SRC on WireGuard link IFC.
 * False when SRC is no peer's Babel address. */
bool peerdiag_heard(struct daemon *d, struct d_iface *ifc,
		    const struct babel_addr *src, uint64_t now);
/* A peer read again from the device keeps what we know of it. */
void peerdiag_carry(const struct d_iface *ifc, struct d_peer *q, uint64_t now);
/* Periodic: warns once about each peer silent for 30 s. */
void peerdiag_check_silence(struct daemon *d, struct d_iface *ifc,
			    uint64_t now);
/* A send to DST (NULL: multicast) on IFC failed with ERR, or worked. */
void peerdiag_send_failed(struct daemon *d, struct d_iface *ifc,
			  const struct babel_addr *dst, int err);
void peerdiag_send_ok(struct daemon *d, struct d_iface *ifc,
		      const struct babel_addr *dst);

/* fib.c: drives the forwarding plane (d->fwd) and executes its writes */
void fib_init(struct daemon *d);
/* IFC joined the engine / left it. */
void fib_iface_up(struct daemon *d, struct d_iface *ifc);
void fib_iface_down(struct daemon *d, struct d_iface *ifc);
/* After a read of IFC's device: its peers and every peer's endpoint. */
void fib_peers_update(struct daemon *d, struct d_iface *ifc);
void fib_commit(struct daemon *d);

/* egress.c */
int egress_start(struct daemon *d);
void egress_route_set(struct daemon *d, const struct wg_prefix *p,
		      const struct kroute_nexthop *nh);
void egress_route_unset(struct daemon *d, const struct wg_prefix *p);
void egress_commit(struct daemon *d);
void egress_device_read(struct daemon *d, struct d_iface *ifc,
			uint32_t fwmark);
/* IFC's link was deleted (or re-created): its routes and its mark went
 * with it. */
void egress_link_gone(struct daemon *d, struct d_iface *ifc, int ifindex);
/* The write of MARK to IFC's device ended with R (iface_mark_write). */
void egress_mark_done(struct daemon *d, struct d_iface *ifc, uint32_t mark,
		      int r);
void egress_grace_over(struct daemon *d);
void egress_stop(struct daemon *d);
bool egress_stable(void *ctx, const struct babel_prefix *prefix);
void fib_kernel_refused(void *arg, const struct wg_prefix *dst, bool install,
			int err);
const char *fib_refused_hint(const struct daemon *d,
			     const struct wg_prefix *dst, int err,
			     char *buf, size_t len);
void fib_change(void *ctx, const struct babel_prefix *prefix,
		const struct babel_prefix *src_prefix,
		const struct babel_nexthop *old_nh,
		const struct babel_nexthop *new_nh, uint16_t metric);

/* state.c */
int state_load(struct daemon *d);
void state_save(void *ctx, const uint8_t router_id[8], uint16_t seqno);

/* originate.c */
int orig_announce(struct daemon *d, const struct babel_prefix *p,
		  uint16_t metric, unsigned source, char *err, size_t errlen);
/* Stops announcing P whatever announced it (the control socket). */
int orig_withdraw(struct daemon *d, const struct babel_prefix *p, char *err,
		  size_t errlen);
/* Drops one reason; P is withdrawn when none is left. */
void orig_drop(struct daemon *d, const struct babel_prefix *p,
	       unsigned source);
/* "config", "control socket", "redistributed", joined by ", ". */
const char *orig_sources_str(unsigned sources, char *buf, size_t len);
void orig_apply_config(struct daemon *d, const struct cfg *old,
		       const struct cfg *new_cfg);
/* P's check state or drain changed: announce, re-announce or withdraw it
 * in the engine as check_gate_for() says. */
void orig_regate(struct daemon *d, const struct babel_prefix *p);

/* redist.c: "redistribute" lines applied to kernel routes */
int redist_start(struct daemon *d);
void redist_stop(struct daemon *d);
void redist_reload(struct daemon *d);
/* Logs the count of prefixes route events changed, at most once a minute
 * (a periodic timer calls it so that a quiet table's last count shows). */
void redist_tick(struct daemon *d);
/* The route-event reader's counters; false when nothing is redistributed. */
bool redist_get_stats(struct daemon *d, struct rtwatch_stats *st);

/* Conversions between the engine's and wgglue's prefix types. */
void d_prefix_to_wg(const struct babel_prefix *p, struct wg_prefix *w);
void d_addr_str(const struct babel_addr *a, char *buf, size_t len);

#endif
