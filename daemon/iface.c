/* SPDX-License-Identifier: MIT */
/*
 * daemon/iface.c — which links wgbabeld runs Babel on, and for WireGuard
 * links, who the peers are.
 *
 * Links come from rtnetlink events (wgglue/kroute.h). A link named by an
 * "interface" line (or on the command line) is given to the engine once it
 * is up and, except on WireGuard, has an IPv6 link-local address. A
 * WireGuard link is unicast only: every peer's Babel address is the host
 * allowed IP inside babel-address-from (default fe80::/64) and is registered
 * with babel_iface_add_peer(). WireGuard sends no notification when peers
 * change, so devices are re-read periodically and on link events.
 *
 * "transport ipv4" or "both" (issue #5): Babel also or only over IPv4, from
 * our IPv4 address on the link (daemon/net4.c). On WireGuard a peer's IPv4
 * Babel address is its first /32 allowed IP inside the IPv4
 * babel-address-from (default 0.0.0.0/0), registered as a neighbour of its
 * own (RFC 8966 §3.2.3: neighbours are interface and address).
 *
 * Our link-local is chosen by daemon/lladdr.h from the addresses rtnetlink
 * lists (daemon/ifaddr.c); what WireGuard keeps quiet about its peers is
 * said by daemon/peerdiag.c. A configured interface that is missing is
 * listed as absent; one declared "type wireguard" that is not WireGuard
 * does not start (at start: the daemon exits).
 */
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/wgquick.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IFACE_UAPI_DIR "/var/run/wireguard"

/* Per packet: a hash lookup of the present links by ifindex. */
struct d_iface *iface_find(struct daemon *d, unsigned ifindex)
{
	struct d_iface **p = wg_hmap_find(&d->iface_by_index, &ifindex);

	return p ? *p : NULL;
}

static void iface_index_set(struct daemon *d, struct d_iface *ifc,
			    unsigned ifindex)
{
	struct d_iface **p;

	bool was = ifc->present;

	if (ifc->present)
		wg_hmap_remove(&d->iface_by_index, &ifc->ifindex);
	ifc->ifindex = ifindex;
	ifc->present = true;
	p = wg_hmap_get(&d->iface_by_index, &ifindex, NULL);
	if (p)
		*p = ifc;
	else
		LOG_E(d, "%s: out of memory", ifc->name);
	if (!was)
		ctl_monitor_iface(d, ifc, BABEL_EVENT_ADD);
}

static void iface_index_clear(struct daemon *d, struct d_iface *ifc)
{
	if (ifc->present) {
		wg_hmap_remove(&d->iface_by_index, &ifc->ifindex);
		ctl_monitor_iface(d, ifc, BABEL_EVENT_FLUSH);
	}
	ifc->present = false;
}

struct d_iface *iface_find_name(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i]->name, name))
			return d->ifaces[i];
	return NULL;
}

struct d_peer *iface_peer_find(const struct d_iface *ifc,
				const struct babel_addr *a)
{
	struct babel_addr key;
	const size_t *idx;

	memset(&key, 0, sizeof(key));
	key.af = a->af;
	memcpy(key.addr, a->addr, a->af == BABEL_AF_INET ? 4 : 16);
	idx = wg_hmap_find(&ifc->peer_by_addr, &key);
	return idx ? &ifc->peers[*idx] : NULL;
}

const struct d_peer *iface_peer_by_addr(const struct d_iface *ifc,
					const struct babel_addr *a)
{
	return iface_peer_find(ifc, a);
}

static bool iface_wanted(struct daemon *d, const char *name)
{
	if (cfg_iface_listed(d->cfg, name))
		return true;
	for (int i = 0; i < d->n_cmdline_ifaces; i++)
		if (!strcmp(d->cmdline_ifaces[i], name))
			return true;
	return false;
}

/* Kernel WireGuard says so in IFLA_INFO_KIND; wireguard-go is a "tun" with
 * a UAPI socket named after the interface. */
static enum cfg_iftype iface_detect(const char *name, const char *kind)
{
	char path[128];
	struct stat st;

	if (!strcmp(kind, "wireguard"))
		return CFG_IFTYPE_WIREGUARD;
	snprintf(path, sizeof(path), "%s/%s.sock", IFACE_UAPI_DIR, name);
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		return CFG_IFTYPE_WIREGUARD;
	if (!strcmp(kind, "tun") || !strcmp(kind, "gre") ||
	    !strcmp(kind, "ip6gre") || !strcmp(kind, "sit") ||
	    !strcmp(kind, "ipip") || !strcmp(kind, "ip6tnl"))
		return CFG_IFTYPE_TUNNEL;
	snprintf(path, sizeof(path), "/sys/class/net/%s/wireless", name);
	if (stat(path, &st) == 0)
		return CFG_IFTYPE_WIRELESS;
	return CFG_IFTYPE_WIRED;
}

static void iface_babel_config(const struct d_iface *ifc,
			       struct babel_iface_config *bc)
{
	const struct cfg_iface_params *p = &ifc->params;

	memset(bc, 0, sizeof(*bc));
	switch (p->type) {
	case CFG_IFTYPE_WIREGUARD: bc->type = BABEL_IFACE_WIREGUARD; break;
	case CFG_IFTYPE_WIRELESS: bc->type = BABEL_IFACE_WIRELESS; break;
	case CFG_IFTYPE_TUNNEL: bc->type = BABEL_IFACE_TUNNEL; break;
	default: bc->type = BABEL_IFACE_WIRED; break;
	}
	bc->hello_interval_ms = p->hello_interval_ms;
	bc->update_interval_ms = p->update_interval_ms;
	bc->rxcost = p->rxcost;
	bc->rtt = p->timestamps ? BABEL_ON : BABEL_OFF;
	bc->rtt_min_ms = p->rtt_min_ms;
	bc->rtt_max_ms = p->rtt_max_ms;
	bc->max_rtt_penalty = (uint16_t)p->max_rtt_penalty;
	bc->unicast_only = p->type == CFG_IFTYPE_WIREGUARD;
	if (p->set & CFG_IF_FAST_PROBE)
		bc->fast_probe_ms = p->fast_probe_ms ? p->fast_probe_ms :
						       BABEL_NO_FAST_PROBE;
	bc->ll6 = ifc->ll6;
	bc->v4 = ifc->v4;
	bc->transport = ifc->xport == CFG_TRANSPORT_BOTH ? BABEL_TRANSPORT_BOTH :
			ifc->xport == CFG_TRANSPORT_IPV4 ? BABEL_TRANSPORT_IPV4 :
							   BABEL_TRANSPORT_IPV6;
}

static bool iface_xport_has(const struct d_iface *ifc, enum cfg_transport t)
{
	return ifc->xport == CFG_TRANSPORT_BOTH || ifc->xport == t;
}

static void iface_ll_list(const struct ifaddr_set *s, char *buf, size_t len);

/* Once per episode, and only while the link is up (a link going down
 * loses its IPv6 addresses, which is no news). */
static void iface_ll_missing_log(struct daemon *d, struct d_iface *ifc)
{
	char a[INET6_ADDRSTRLEN], all[8 * (INET6_ADDRSTRLEN + 1)] = "?";
	struct ifaddr_set s;

	if (ifc->ll_missing_logged)
		return;
	ifc->ll_missing_logged = true;
	inet_ntop(AF_INET6, ifc->params.link_local, a, sizeof(a));
	if (ifaddr_read(d, ifc->ifindex, &s) == 0)
		iface_ll_list(&s, all, sizeof(all));
	LOG_E(d, "%s: the configured link-local %s is not on the link "
	      "(link-locals there: %s): no Babel over IPv6 on it until it is "
	      "added", ifc->name, a, all);
}

/*
 * The transport in effect on a link: the configured one less what the link
 * lacks. Over IPv4 we need our IPv4 address there (the source of every
 * datagram, and the next hop receivers take for our IPv4 routes, §4.6.9)
 * and the IPv4 socket; over IPv6 on a multicast link our link-local (the
 * kernel adds it shortly after the link comes up). False: nothing left yet.
 */
static bool iface_xport(struct daemon *d, struct d_iface *ifc)
{
	enum cfg_transport want = ifc->params.transport;
	bool wg = ifc->params.type == CFG_IFTYPE_WIREGUARD;
	bool v6 = want != CFG_TRANSPORT_IPV4, v4 = want != CFG_TRANSPORT_IPV6;
	const char *why = NULL;
	int r;

	if (v6 && !wg && ifc->ll6.af != BABEL_AF_INET6)
		v6 = false;
	if (v6 && ifc->ll_missing) {
		v6 = false;
		iface_ll_missing_log(d, ifc);
	}
	if (v4 && ifc->v4.af != BABEL_AF_INET) {
		v4 = false;
		why = "the link has no IPv4 address";
	} else if (v4 && (r = net_iface_open4(d, ifc)) < 0) {
		v4 = false;
		why = strerror(-r);
	}
	if (why && !ifc->xport_warned) {
		ifc->xport_warned = true;
		if (v6 || want == CFG_TRANSPORT_BOTH)
			LOG_W(d, "%s: transport %s: no Babel over IPv4 (%s); "
			      "IPv6 %s", ifc->name, cfg_transport_name(want),
			      why, v6 ? "keeps working" : "starts with the "
			      "link-local address");
		else
			LOG_W(d, "%s: transport ipv4: Babel does not start "
			      "(%s); it starts when the link has an IPv4 "
			      "address", ifc->name, why);
	}
	if (!v4 && !v6)
		return false;
	ifc->xport = v4 && v6 ? CFG_TRANSPORT_BOTH :
		     v4 ? CFG_TRANSPORT_IPV4 : CFG_TRANSPORT_IPV6;
	return true;
}

static void iface_peers_clear(struct d_iface *ifc);
static void iface_check_wg(struct daemon *d, struct d_iface *ifc, bool later);

static void iface_engine_del(struct daemon *d, struct d_iface *ifc)
{
	if (!ifc->in_engine)
		return;
	babel_iface_del(d->babel, ifc->ifindex, d_now_us(d));
	fib_iface_down(d, ifc);	/* after the engine withdrew its routes */
	ifc->in_engine = false;
	ctl_monitor_iface(d, ifc, BABEL_EVENT_CHANGE);
	/* The engine forgot the peers too: they are registered again on the
	 * next add. */
	iface_peers_clear(ifc);
	if (ifc->joined)
		net_join(d, ifc, false);
	if (ifc->joined4)
		net_join4(d, ifc, false);
	net_iface_close(d, ifc);
	LOG_I(d, "%s: Babel stopped", ifc->name);
}

static void iface_peers_clear(struct d_iface *ifc)
{
	free(ifc->peers);
	ifc->peers = NULL;
	ifc->n_peers = 0;
	ifc->n_send_err_peers = 0;
	wg_hmap_clear(&ifc->peer_by_addr);
}

/*
 * The reconciler's own lines (wgglue/reconcile.c): what it refuses and
 * why, allowed IPs of ours moved or removed by someone else, a state file
 * it cannot write. Called on the loop only (a retired reconciler goes to
 * a worker thread silent). A refusal is one line a prefix, once; a few
 * thousand of them would bury everything else, so past
 * REC_LOG_MAX warnings in a minute they are counted and summed up.
 */
#define REC_LOG_MAX 16
static void iface_rec_log(void *arg, int level, const char *msg)
{
	struct daemon *d = arg;
	uint64_t now = d_now_us(d);

	/* Its informational lines (a device read, state loaded, a device
	 * gone) say what the daemon's own say already. */
	if (level >= WG_LOG_INFO) {
		LOG_D(d, "%s", msg);
		return;
	}
	if (!d_lograte_take(&d->log, &d->rec_log, now, REC_LOG_MAX,
			    "allowed-IP warnings",
			    "wgbabelctl show refused lists what is refused"))
		return;
	if (level <= WG_LOG_ERR)
		LOG_E(d, "%s", msg);
	else
		LOG_W(d, "%s", msg);
}

static int iface_wg_setup(struct daemon *d, struct d_iface *ifc)
{
	struct wg_rec_config rc = { .ifname = ifc->name, .log = iface_rec_log,
				    .log_arg = d };
	struct wg_rec_stats st;
	char path[4200];
	int r;

	if (ifc->rec || d->dry_run)
		return 0;	/* dry run: no reconciler, nothing written */
	snprintf(path, sizeof(path), WGQUICK_CONF_DIR "/%s.conf", ifc->name);
	if (wgquick_saves_config(path))
		LOG_W(d, "%s: %s has SaveConfig = true: wg-quick down would "
		      "write the learned allowed IPs into it, and the next "
		      "wg-quick up would make them static ones that wgbabeld "
		      "must refuse to move; set SaveConfig = false", ifc->name,
		      path);
	snprintf(path, sizeof(path), "%s/%s.aip", d->cfg->runtime_dir,
		 ifc->name);
	rc.state_path = path;
	if ((!ifc->wg_writer &&
	     (r = wg_backend_auto_new(&ifc->wg_writer, NULL)) < 0) ||
	    (r = wg_rec_new(&ifc->rec, ifc->wg_writer, &rc)) < 0) {
		LOG_E(d, "%s: cannot create the allowed-IP reconciler: %s",
		      ifc->name, strerror(-r));
		return r;
	}
	if ((r = wg_rec_load_state(ifc->rec)) < 0)
		LOG_W(d, "%s: cannot read %s: %s", ifc->name, path,
		      strerror(-r));
	/* The grace period keeps what a previous run installed (and only
	 * that: wgglue/reconcile.h) until Babel relearns it. An interface
	 * that shows up after the daemon's grace period has none. */
	if (!d->in_grace) {
		wg_rec_grace_over(ifc->rec);
		return 0;
	}
	wg_rec_get_stats(ifc->rec, &st);
	if (st.owned)
		LOG_I(d, "%s: %zu allowed IPs installed by a previous run are "
		      "kept until relearned or the grace period ends",
		      ifc->name, st.owned);
	return 0;
}

static void iface_engine_add(struct daemon *d, struct d_iface *ifc)
{
	struct babel_iface_config bc;
	bool wg = ifc->params.type == CFG_IFTYPE_WIREGUARD;
	int r;

	if (ifc->in_engine || !ifc->present || !ifc->up || ifc->not_wg)
		return;
	if (!iface_xport(d, ifc))
		return;		/* e.g. wait for the kernel's link-local */
	if (iface_xport_has(ifc, CFG_TRANSPORT_IPV6) &&
	    net_iface_open(d, ifc) < 0)
		return;		/* logged; tried again at the next link event */
	iface_babel_config(ifc, &bc);
	r = babel_iface_add(d->babel, ifc->ifindex, &bc, d_now_us(d));
	if (r < 0) {
		LOG_E(d, "%s: cannot start Babel: %s", ifc->name, strerror(-r));
		net_iface_close(d, ifc);
		return;
	}
	ifc->in_engine = true;
	ctl_monitor_iface(d, ifc, BABEL_EVENT_CHANGE);
	fib_iface_up(d, ifc);
	LOG_I(d, "%s: Babel running (type %s, hello %u ms, over %s%s)",
	      ifc->name, cfg_iftype_name(ifc->params.type),
	      ifc->params.hello_interval_ms,
	      ifc->xport == CFG_TRANSPORT_BOTH ? "IPv6 and IPv4" :
	      ifc->xport == CFG_TRANSPORT_IPV4 ? "IPv4" : "IPv6",
	      wg ? ", unicast to WireGuard peers" : "");
	if (wg) {
		if (iface_wg_setup(d, ifc) == 0)
			iface_refresh_wg(d, ifc);
	} else {
		if (iface_xport_has(ifc, CFG_TRANSPORT_IPV6))
			net_join(d, ifc, true);
		if (iface_xport_has(ifc, CFG_TRANSPORT_IPV4))
			net_join4(d, ifc, true);
	}
	daemon_kick(d);
}

/* The Babel address of a peer: its host allowed IP inside FROM. */
static bool iface_peer_babel_addr(const struct wg_peer *p,
				  const struct babel_prefix *from,
				  struct babel_addr *out)
{
	int fam = from->af == BABEL_AF_INET ? AF_INET : AF_INET6;
	unsigned host = fam == AF_INET ? 32 : 128;

	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		const struct wg_prefix *a = &p->allowed_ips[i];
		bool inside = true;

		if (a->family != fam || a->plen != host)
			continue;
		for (unsigned b = 0; b < from->plen && inside; b++) {
			uint8_t m = (uint8_t)(0x80 >> (b % 8));

			inside = (a->addr[b / 8] & m) == (from->addr[b / 8] & m);
		}
		if (!inside)
			continue;
		memset(out, 0, sizeof(*out));
		out->af = fam == AF_INET ? BABEL_AF_INET : BABEL_AF_INET6;
		memcpy(out->addr, a->addr, fam == AF_INET ? 4 : 16);
		return true;
	}
	return false;
}

/*
 * One of peer P's Babel addresses (IPv4 when v4) into Q, peer number IDX,
 * when the link speaks that transport: its first host allowed IP inside
 * babel-address-from of that family, unless another peer claims it.
 * Returns 0 or -ENOMEM.
 */
static int iface_peer_take_addr(struct daemon *d, struct d_iface *ifc,
				const struct wg_peer *p, bool v4, size_t idx,
				struct wg_hmap *nmap, struct d_peer *q)
{
	const struct babel_prefix *from = v4 ? &ifc->params.babel_addr_from4 :
					       &ifc->params.babel_addr_from;
	struct babel_addr *a = v4 ? &q->addr4 : &q->addr;
	bool created;
	size_t *slot;

	if (!iface_xport_has(ifc, v4 ? CFG_TRANSPORT_IPV4 : CFG_TRANSPORT_IPV6))
		return 0;
	if (!iface_peer_babel_addr(p, from, a)) {
		char b64[WG_KEY_B64_LEN], pf[64];

		wg_key_to_base64(&p->pubkey, b64);
		LOG_D(d, "%s: peer %s has no host allowed IP in %s: not a "
		      "Babel neighbour over IPv%c", ifc->name, b64,
		      cfg_prefix_str(from, pf, sizeof(pf)), v4 ? '4' : '6');
		return 0;
	}
	slot = wg_hmap_get(nmap, a, &created);
	if (!slot)
		return -ENOMEM;
	if (!created) {
		char s[INET6_ADDRSTRLEN];

		d_addr_str(a, s, sizeof(s));
		LOG_W(d, "%s: two peers claim Babel address %s; using the "
		      "first", ifc->name, s);
		memset(a, 0, sizeof(*a));
		return 0;
	}
	*slot = idx;
	return 0;
}

/*
 * A read of a WireGuard device, made by a worker thread (iface_refresh_wg):
 * peers that appeared or whose Babel address changed are registered with
 * the engine, peers that went away are dropped, then the reconciler
 * compares the same read with what it installed. Returns the backend's
 * error.
 */
static int iface_read_apply(struct daemon *d, struct d_iface *ifc, int r,
			    struct wg_device *devp, uint64_t applies)
{
	struct wg_device dev = *devp;
	struct d_peer *np = NULL;
	struct wg_hmap nmap;
	uint64_t now = d_now_us(d);
	size_t n = 0;

	memset(devp, 0, sizeof(*devp));	/* ours to clear now */
	if (!ifc->in_engine || ifc->params.type != CFG_IFTYPE_WIREGUARD) {
		wg_device_clear(&dev);
		return 0;
	}
	if (r < 0) {
		d->wg_read_errors++;
		if (r != ifc->last_refresh_err)
			LOG_W(d, "%s: cannot read the WireGuard device: %s",
			      ifc->name, strerror(-r));
		ifc->last_refresh_err = r;
		if (r == -ETIMEDOUT) {
			/* Stopped or hung: no writes from the loop, and
			 * read again (off the loop) until it answers. */
			ifc->wg_stalled = true;
			ifc->read_again = true;
		}
		return r;
	}
	if (ifc->last_refresh_err || ifc->wg_stalled)
		LOG_I(d, "%s: WireGuard device answers again", ifc->name);
	ifc->last_refresh_err = 0;
	ifc->wg_stalled = false;
	wg_hmap_init(&nmap, sizeof(struct babel_addr), sizeof(size_t));
	if (dev.n_peers) {
		np = calloc(dev.n_peers, sizeof(*np));
		if (!np) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < dev.n_peers; i++) {
		const struct wg_peer *p = &dev.peers[i];
		struct d_peer *q = &np[n];

		q->key = p->pubkey;
		memcpy(&q->endpoint, &p->endpoint, sizeof(q->endpoint));
		q->last_handshake_sec = p->last_handshake_sec;
		for (int k = 0; k < 2; k++) {
			if ((r = iface_peer_take_addr(d, ifc, p, k == 1, n,
						      &nmap, q)) < 0)
				goto out;
		}
		n++;
	}
	/* Peers gone or readdressed: tell the engine before the map moves. */
	for (size_t i = 0; i < ifc->n_peers; i++) {
		for (int k = 0; k < 2; k++) {
			const struct d_peer *op = &ifc->peers[i];
			const struct babel_addr *a = k ? &op->addr4 : &op->addr;
			const size_t *j;

			if (a->af == BABEL_AF_NONE)
				continue;
			j = wg_hmap_find(&nmap, a);
			if (!j || !wg_key_equal(&np[*j].key, &op->key)) {
				char s[INET6_ADDRSTRLEN];

				d_addr_str(a, s, sizeof(s));
				LOG_I(d, "%s: peer at %s gone", ifc->name, s);
				babel_iface_del_peer(d->babel, ifc->ifindex, a,
						     now);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		peerdiag_carry(ifc, &np[i], now);
		for (int k = 0; k < 2; k++) {
			const struct babel_addr *a = k ? &np[i].addr4 : &np[i].addr;
			const struct d_peer *old;

			if (a->af == BABEL_AF_NONE)
				continue;
			old = iface_peer_by_addr(ifc, a);
			if (!old || !wg_key_equal(&old->key, &np[i].key)) {
				char s[INET6_ADDRSTRLEN];

				d_addr_str(a, s, sizeof(s));
				LOG_I(d, "%s: peer at %s is a Babel neighbour",
				      ifc->name, s);
				babel_iface_add_peer(d->babel, ifc->ifindex, a,
						     now);
			}
		}
	}
	iface_peers_clear(ifc);
	wg_hmap_free(&ifc->peer_by_addr);
	ifc->peers = np;
	ifc->n_peers = n;
	for (size_t i = 0; i < n; i++)
		ifc->n_send_err_peers += np[i].send_errs != 0;
	ifc->peer_by_addr = nmap;
	np = NULL;
	wg_hmap_init(&nmap, sizeof(struct babel_addr), sizeof(size_t));
	/* The forwarding plane diffs the peers itself: routes through a peer
	 * unknown until now get their allowed IPs, and a moved endpoint its
	 * refusals (fwd/plane.h). */
	egress_device_read(d, ifc, dev.fwmark);
	fib_peers_update(d, ifc);
	if (ifc->rec && (ifc->writing || wg_rec_applies(ifc->rec) != applies)) {
		/* We wrote to the device while it was being read (or are
		 * writing now): the read may show a move of ours undone,
		 * which the reconciler would take for someone else's doing.
		 * Read again once the write is done. */
		LOG_D(d, "%s: the device read overlapped a write; reading again",
		      ifc->name);
		ifc->read_again = true;
	} else if (ifc->rec) {
		/* The same read: the reconciler compares, it does not read
		 * the device again; what differs is written by the next
		 * flush, off the loop (daemon_kick below). */
		int rr = wg_rec_merge(ifc->rec, &dev);

		LOG_D(d, "%s: device read: %zu peers", ifc->name, dev.n_peers);
		if (rr < 0)
			LOG_W(d, "%s: allowed-IP refresh: %s", ifc->name,
			      strerror(-rr));
		ifc->rec_dirty = true;
	}
	r = 0;
out:
	free(np);
	wg_hmap_free(&nmap);
	wg_device_clear(&dev);
	daemon_kick(d);
	return r;
}

/* One read of a device, in flight on libuv's thread pool. */
struct iface_read {
	uv_work_t req;
	struct daemon *d;
	struct wg_backend *be;
	char name[CFG_IFNAME_MAX];
	unsigned ifindex;
	struct wg_device dev;
	uint64_t applies;	/* the reconciler's writes when it began */
	int r;
};

/* In a worker thread: only the read, on the reader's own backend. */
static void iface_read_work(uv_work_t *req)
{
	struct iface_read *j = req->data;

	j->r = wg_backend_get_device(j->be, j->name, &j->dev);
}

static void iface_read_done(uv_work_t *req, int status)
{
	struct iface_read *j = req->data;
	struct daemon *d = j->d;
	struct d_iface *ifc = iface_find_name(d, j->name);

	if (ifc) {
		/* The link may have gone, or come back as another one,
		 * meanwhile: then the read is of no use, but it is over (a
		 * read left "in flight" would stop every later one), and the
		 * new link is read afresh. */
		bool same = ifc->present && ifc->ifindex == j->ifindex;

		ifc->reading = false;
		if (same && status == 0 && !d->stopping)
			iface_read_apply(d, ifc, j->r, &j->dev, j->applies);
		if (!same)
			ifc->read_again = true;
		if (ifc->read_again && !d->stopping && !ifc->writing) {
			ifc->read_again = false;
			iface_refresh_wg(d, ifc);
		}
	}
	/* The interface's reader back, unless it went (or has another). */
	if (ifc && !ifc->wg_reader)
		ifc->wg_reader = j->be;
	else
		wg_backend_free(j->be);
	wg_device_clear(&j->dev);
	free(j);
}

/*
 * Re-reads a WireGuard device without waiting for it: the read runs on a
 * worker thread with the interface's own reader backend (a stopped
 * wireguard-go holds up that thread, never the event loop: Hellos and the
 * control socket go on; and two interfaces never share a netlink socket
 * from two threads), which the read holds until it is done;
 * iface_read_apply() takes the result on the loop. A read asked for while
 * one is in flight is made once that one is done.
 */
int iface_refresh_wg(struct daemon *d, struct d_iface *ifc)
{
	struct iface_read *j;
	int r;

	if (!ifc->in_engine || ifc->params.type != CFG_IFTYPE_WIREGUARD)
		return 0;
	if (ifc->reading) {
		ifc->read_again = true;
		return 0;
	}
	if (!ifc->wg_reader &&
	    (r = wg_backend_auto_new(&ifc->wg_reader, NULL)) < 0)
		return r;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	j->req.data = j;
	j->d = d;
	j->be = ifc->wg_reader;
	snprintf(j->name, sizeof(j->name), "%s", ifc->name);
	j->ifindex = ifc->ifindex;
	j->applies = ifc->rec ? wg_rec_applies(ifc->rec) : 0;
	if ((r = uv_queue_work(d->loop, &j->req, iface_read_work,
			       iface_read_done)) < 0) {
		free(j);
		return r;
	}
	ifc->wg_reader = NULL;	/* the read's until it is done */
	ifc->reading = true;
	ifc->refresh_last_us = d_now_us(d);
	return 0;
}

/*
 * A Babel packet from an address no peer of IFC holds: most likely a peer
 * added with `wg set` since the last read. The device is read now, at most
 * once per tenth of the periodic interval (one second at least), so that
 * a stream of such packets cannot keep us reading a large device.
 */
void iface_unknown_source(struct daemon *d, struct d_iface *ifc)
{
	uint64_t gap = refresh_interval_ms(d) * 100;	/* a tenth, in us */

	if (gap < 1000000)
		gap = 1000000;
	if (d_now_us(d) - ifc->refresh_last_us < gap)
		return;
	LOG_D(d, "%s: a Babel packet from an unknown address: reading the "
	      "device for new peers", ifc->name);
	iface_refresh_wg(d, ifc);
}

void iface_refresh_all(struct daemon *d)
{
	for (size_t i = 0; i < d->n_ifaces; i++)
		iface_refresh_wg(d, d->ifaces[i]);
}

/* Every few seconds, whatever the size of the table (the device re-read's
 * interval grows with it): a link said to be WireGuard that is not, and
 * peers gone silent. */
void iface_check_all(struct daemon *d)
{
	uint64_t now = d_now_us(d);

	for (size_t i = 0; i < d->n_ifaces; i++) {
		struct d_iface *ifc = d->ifaces[i];

		if (ifc->not_wg)
			iface_check_wg(d, ifc, true);
		if (ifc->in_engine && ifc->params.type == CFG_IFTYPE_WIREGUARD)
			peerdiag_check_silence(d, ifc, now);
	}
}

/*
 * One write to a device, in flight on libuv's thread pool: the worker
 * sets the fwmark egress asked for, if any, and applies the reconciler's
 * batch, if any, through the interface's own backend (a stopped
 * wireguard-go holds up that thread for at most the backend's deadline,
 * never the event loop), and the loop takes the result back
 * (iface_write_end). The reconciler accepts new changes meanwhile; they
 * go in the next write.
 */
struct iface_write {
	uv_work_t req;
	struct daemon *d;
	struct d_iface *ifc;	/* NULL once the result was taken back */
	struct wg_backend *be;
	struct wg_rec_batch *b;	/* or NULL: only a mark */
	char name[CFG_IFNAME_MAX];
	unsigned ifindex;	/* of the link it was for */
	bool has_mark;
	uint32_t mark;
	int mark_r;
	uint64_t seq;		/* the last packet held before it (main.c) */
	uint64_t start_us;	/* when it was queued (for the log) */
	struct iface_retire *retire;	/* its interface went meanwhile */
	/* iface_write_wait: the worker is done with be and b */
	uv_mutex_t mu;
	uv_cond_t cv;
	bool finished;
};

/* What a write does, in whichever thread runs it. */
static void iface_write_apply(struct iface_write *j)
{
	if (j->has_mark)
		j->mark_r = wg_backend_set_fwmark(j->be, j->name, j->mark);
	if (j->b)
		wg_rec_batch_apply(j->b, j->be);
}

static void iface_write_work(uv_work_t *req)
{
	struct iface_write *j = req->data;

	iface_write_apply(j);
	uv_mutex_lock(&j->mu);
	j->finished = true;
	uv_cond_signal(&j->cv);
	uv_mutex_unlock(&j->mu);
}

/* IFC's device stopped answering: a mark still to be written cannot be
 * counted on; egress hears so now rather than holding its routes. */
static void iface_mark_drop(struct daemon *d, struct d_iface *ifc, int r)
{
	if (!ifc->mark_queued)
		return;
	ifc->mark_queued = false;
	ifc->mark_pending = false;
	egress_mark_done(d, ifc, ifc->mark_want, r);
}

/* On the loop: the reconciler takes the result; a timeout stops writes
 * to the device until a read shows it answers again. */
static void iface_write_end(struct daemon *d, struct d_iface *ifc,
			    struct iface_write *j)
{
	size_t n = j->b ? wg_rec_batch_size(j->b) : 0;
	int r = j->b ? wg_rec_done(ifc->rec, j->b) : 0;

	j->b = NULL;
	j->ifc = NULL;
	ifc->writing = NULL;
	ifc->covered_seq = j->seq;
	d->writes_in_flight--;
	if (ifc->gone_after_write) {
		ifc->gone_after_write = false;
		wg_rec_device_gone(ifc->rec);
	}
	if (j->has_mark) {
		if (!ifc->mark_queued)
			ifc->mark_pending = false;
		/* not for a link that went meanwhile */
		if (ifc->present && ifc->ifindex == j->ifindex)
			egress_mark_done(d, ifc, j->mark, j->mark_r);
		if (j->mark_r == -ETIMEDOUT && r == 0)
			r = j->mark_r;
	}
	if (n || r < 0)
		LOG_D(d, "%s: %zu allowed-IP changes written in %.1f ms%s%s",
		      ifc->name, n,
		      (double)(d_now_us(d) - j->start_us) / 1000.0,
		      r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
	if (r >= 0)
		return;
	d->wg_write_errors++;
	if (r == -ETIMEDOUT) {
		ifc->wg_stalled = true;
		ifc->rec_dirty = true;
		iface_mark_drop(d, ifc, r);
		LOG_W(d, "%s: the WireGuard device does not answer; "
		      "allowed-IP changes wait until it does", ifc->name);
	} else {
		LOG_W(d, "%s: setting allowed IPs failed (%s); re-reading the "
		      "device", ifc->name, strerror(-r));
	}
	ifc->read_again = true;
}

/*
 * An interface a reload removed: what wgbabeld installed on its device is
 * taken back on a worker thread (a stopped wireguard-go must not hold up
 * the loop), after the write in flight, if any, whose batch the
 * reconciler takes back first. The reconciler and its backend are the
 * job's alone by then (and log nothing: the daemon's log is the loop's).
 */
struct iface_retire {
	uv_work_t req;
	uv_timer_t retry;	/* a device that did not answer: again */
	struct daemon *d;
	struct wg_rec *rec;
	struct wg_backend *be;
	struct wg_rec_batch *b;	/* a write's, to take back first */
	bool withdraw;
	unsigned tries;
	char name[CFG_IFNAME_MAX];
	int r;
};

#define IFACE_RETIRE_TRIES 30	/* a second apart */

static void iface_retire_work(uv_work_t *req)
{
	struct iface_retire *rt = req->data;

	if (rt->b) {
		wg_rec_done(rt->rec, rt->b);
		rt->b = NULL;
	}
	/* After a timeout, what the device holds now first (the write
	 * may have gone half way). */
	rt->r = rt->tries++ ? wg_rec_refresh(rt->rec) : 0;
	if (rt->r >= 0)
		rt->r = rt->withdraw ? wg_rec_withdraw_all(rt->rec) :
				       wg_rec_flush(rt->rec);
}

static void iface_retire_free(uv_handle_t *h)
{
	struct iface_retire *rt = h->data;

	wg_rec_free(rt->rec);
	wg_backend_free(rt->be);
	free(rt);
}

static void iface_retire_start(struct daemon *d, struct iface_retire *rt);

static void iface_retire_again(uv_timer_t *t)
{
	struct iface_retire *rt = t->data;

	iface_retire_start(rt->d, rt);
}

static void iface_retire_done(uv_work_t *req, int status)
{
	struct iface_retire *rt = req->data;
	struct daemon *d = rt->d;

	(void)status;
	if (rt->r == -ETIMEDOUT && rt->tries < IFACE_RETIRE_TRIES &&
	    !d->stopping) {
		uv_timer_start(&rt->retry, iface_retire_again, 1000, 0);
		return;
	}
	if (rt->r < 0)
		LOG_W(d, "%s: taking back the allowed IPs wgbabeld installed "
		      "failed after %u tries: %s; they stay listed in its "
		      "journal and go if the interface is configured again",
		      rt->name, rt->tries, strerror(-rt->r));
	else
		LOG_I(d, "%s: allowed IPs taken back", rt->name);
	uv_close((uv_handle_t *)&rt->retry, iface_retire_free);
}

static void iface_retire_start(struct daemon *d, struct iface_retire *rt)
{
	if (uv_queue_work(d->loop, &rt->req, iface_retire_work,
			  iface_retire_done) < 0) {
		iface_retire_work(&rt->req);	/* no job to be had */
		iface_retire_done(&rt->req, 0);
	}
}

/* IFC goes (a reload): its reconciler and writer go to a retire job.
 * -ENOMEM: nothing changed (the caller takes them back from here). */
static int iface_retire(struct daemon *d, struct d_iface *ifc, bool withdraw)
{
	struct iface_retire *rt = calloc(1, sizeof(*rt));
	struct iface_write *j = ifc->writing;

	if (!rt)
		return -ENOMEM;
	rt->req.data = rt;
	uv_timer_init(d->loop, &rt->retry);
	rt->retry.data = rt;
	rt->d = d;
	rt->rec = ifc->rec;
	rt->be = ifc->wg_writer;
	rt->withdraw = withdraw;
	wg_rec_set_log(rt->rec, NULL, NULL);	/* it works on a worker thread */
	snprintf(rt->name, sizeof(rt->name), "%s", ifc->name);
	ifc->rec = NULL;
	ifc->wg_writer = NULL;
	if (j) {	/* iface_write_done starts it */
		j->ifc = NULL;
		j->retire = rt;
		ifc->writing = NULL;
		d->writes_in_flight--;
	} else {
		iface_retire_start(d, rt);
	}
	return 0;
}

static void iface_write_done(uv_work_t *req, int status)
{
	struct iface_write *j = req->data;
	struct daemon *d = j->d;
	struct d_iface *ifc = j->ifc;

	(void)status;	/* never cancelled: a queued write always runs */
	if (j->retire) {
		j->retire->b = j->b;
		iface_retire_start(d, j->retire);
	} else if (ifc) {
		iface_write_end(d, ifc, j);
		if (ifc->read_again && !ifc->reading && !d->stopping) {
			ifc->read_again = false;
			iface_refresh_wg(d, ifc);
		}
	}
	uv_cond_destroy(&j->cv);
	uv_mutex_destroy(&j->mu);
	free(j);
	if (d->stopping)
		return;
	/* The kernel routes queued so far (those of this write with them:
	 * under steady churn some write is always under way, and the
	 * routes must not wait for a moment with none), then what queued
	 * meanwhile. */
	fib_commit(d);
	iface_flush_dirty(d);
}

/* Waits for IFC's write in flight, if any, and takes its result: before
 * a synchronous write (interface removed, shutdown). At most the
 * backend's deadline. */
static void iface_write_wait(struct daemon *d, struct d_iface *ifc)
{
	struct iface_write *j = ifc->writing;

	if (!j)
		return;
	uv_mutex_lock(&j->mu);
	while (!j->finished)
		uv_cond_wait(&j->cv, &j->mu);
	uv_mutex_unlock(&j->mu);
	iface_write_end(d, ifc, j);	/* iface_write_done only frees it */
}

static int iface_write_start(struct daemon *d, struct d_iface *ifc)
{
	struct iface_write *j;
	struct wg_rec_batch *b = NULL;
	int r;

	if (ifc->rec && (r = wg_rec_plan(ifc->rec, &b)) < 0)
		return r;
	if (!b && !ifc->mark_queued)
		return 0;
	if (!(j = calloc(1, sizeof(*j)))) {
		wg_rec_batch_free(b);
		return -ENOMEM;
	}
	j->req.data = j;
	j->d = d;
	j->ifc = ifc;
	j->be = ifc->wg_writer;
	j->b = b;
	snprintf(j->name, sizeof(j->name), "%s", ifc->name);
	j->ifindex = ifc->ifindex;
	j->has_mark = ifc->mark_queued;
	j->mark = ifc->mark_want;
	ifc->mark_queued = false;
	j->seq = d->hold_seq;
	j->start_us = d_now_us(d);
	ifc->writing = j;
	d->writes_in_flight++;
	if (!d->stopping && uv_mutex_init(&j->mu) == 0) {
		if (uv_cond_init(&j->cv) == 0) {
			if (uv_queue_work(d->loop, &j->req, iface_write_work,
					  iface_write_done) == 0)
				return 0;
			uv_cond_destroy(&j->cv);
		}
		uv_mutex_destroy(&j->mu);
	}
	/* Stopping, or no job to be had: written from here. */
	iface_write_apply(j);
	iface_write_end(d, ifc, j);
	free(j);
	if (ifc->read_again && !ifc->reading && !d->stopping) {
		ifc->read_again = false;
		iface_refresh_wg(d, ifc);
	}
	return 0;
}

void iface_mark_write(struct daemon *d, struct d_iface *ifc, uint32_t mark)
{
	if (!ifc->wg_writer) {	/* never set up (dry run, no memory) */
		egress_mark_done(d, ifc, mark, -ENODEV);
		return;
	}
	ifc->mark_want = mark;
	ifc->mark_queued = true;
	ifc->mark_pending = true;
	if (d->stopping) {	/* the loop runs no more: now */
		iface_write_wait(d, ifc);
		iface_write_start(d, ifc);
	}
}

/* Now, on the loop: what is queued for IFC, after the write in flight. */
static int iface_write_now(struct daemon *d, struct d_iface *ifc)
{
	iface_write_wait(d, ifc);
	ifc->rec_dirty = false;
	return wg_rec_flush(ifc->rec);
}

void iface_flush_dirty(struct daemon *d)
{
	for (size_t i = 0; i < d->n_ifaces; i++) {
		struct d_iface *ifc = d->ifaces[i];
		int r;

		/* A device that stopped answering is not written to
		 * until a read (off the loop) shows it answers again; a
		 * mark for it fails now (egress must not wait for it). */
		if (ifc->wg_stalled)
			iface_mark_drop(d, ifc, -ETIMEDOUT);
		if ((!ifc->rec_dirty && !ifc->mark_queued) ||
		    !ifc->wg_writer || ifc->wg_stalled || ifc->writing)
			continue;
		ifc->rec_dirty = false;
		if ((r = iface_write_start(d, ifc)) < 0) {
			d->wg_write_errors++;
			LOG_W(d, "%s: setting allowed IPs failed (%s); "
			      "re-reading the device", ifc->name,
			      strerror(-r));
			iface_refresh_wg(d, ifc);
		}
	}
	/* The kernel routes of the same changes, after their allowed IPs
	 * (a route to the device before the peer holds the prefix would
	 * drop what it carries); the packets held for them. */
	if (!d->writes_in_flight)
		fib_commit(d);
	daemon_writes_done(d);
}

static struct d_iface *iface_get(struct daemon *d, const char *name)
{
	struct d_iface *ifc = iface_find_name(d, name);

	if (ifc)
		return ifc;
	if (d->n_ifaces == D_MAX_IFACES) {
		LOG_E(d, "%s: more than %d interfaces; ignored", name,
		      D_MAX_IFACES);
		return NULL;
	}
	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return NULL;
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->d = d;
	wg_hmap_init(&ifc->peer_by_addr, sizeof(struct babel_addr),
		     sizeof(size_t));
	d->ifaces[d->n_ifaces++] = ifc;
	return ifc;
}

static void iface_destroy(struct daemon *d, size_t i, bool withdraw)
{
	struct d_iface *ifc = d->ifaces[i];

	iface_engine_del(d, ifc);
	/* From here at exit (the loop runs no more), or without memory for
	 * the job. */
	if (ifc->rec && (d->stopping || iface_retire(d, ifc, withdraw) < 0)) {
		iface_write_now(d, ifc);
		if (withdraw)
			wg_rec_withdraw_all(ifc->rec);
		wg_rec_free(ifc->rec);
		ifc->rec = NULL;
	}
	if (ifc->wg_writer)
		wg_backend_free(ifc->wg_writer);
	ifc->wg_writer = NULL;
	if (ifc->wg_reader)	/* a read in flight frees its own */
		wg_backend_free(ifc->wg_reader);
	ifc->wg_reader = NULL;
	if (!d->stopping)	/* the rest of the engine's changes */
		iface_flush_dirty(d);
	iface_peers_clear(ifc);
	wg_hmap_free(&ifc->peer_by_addr);
	iface_index_clear(d, ifc);
	net_iface_close(d, ifc);
	free(ifc);
	d->ifaces[i] = d->ifaces[--d->n_ifaces];
}

void iface_remove_all(struct daemon *d)
{
	while (d->n_ifaces)
		iface_destroy(d, d->n_ifaces - 1,
			      !d->cfg->keep_routes_on_exit);
	ifaddr_close(d);
}

/* "fe80::1 fe80::2" from the link-locals in S, for messages. */
static void iface_ll_list(const struct ifaddr_set *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_v6 && o + INET6_ADDRSTRLEN + 2 < len; i++) {
		char a[INET6_ADDRSTRLEN];

		if (!ll_is_link_local(s->v6[i].addr))
			continue;
		inet_ntop(AF_INET6, s->v6[i].addr, a, sizeof(a));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", a);
	}
	if (!o)
		snprintf(buf, len, "none");
}

/* Says which link-local Babel uses when there was a choice to make. */
static void iface_ll_log(struct daemon *d, const struct d_iface *ifc,
			 const struct ifaddr_set *s,
			 const struct ll_choice *ch)
{
	char a[INET6_ADDRSTRLEN], all[8 * (INET6_ADDRSTRLEN + 1)];

	if (ch->index < 0 || ch->n_link_local < 2)
		return;
	inet_ntop(AF_INET6, s->v6[ch->index].addr, a, sizeof(a));
	iface_ll_list(s, all, sizeof(all));
	if (ch->n_tied > 1 && ifc->params.type == CFG_IFTYPE_WIREGUARD)
		LOG_W(d, "%s: %zu link-local addresses could be ours (on the "
		      "link: %s); Babel uses %s, the lowest. WireGuard peers "
		      "accept only the one in their AllowedIPs: name it with "
		      "'link-local ADDR' on the interface line "
		      "(wgbabeld.conf(5))", ifc->name, ch->n_tied, all, a);
	else
		LOG_I(d, "%s: Babel speaks from link-local %s (%s; on the "
		      "link: %s)", ifc->name, a, ll_reason_name(ch->reason),
		      all);
}

/*
 * Our addresses on a link, read over rtnetlink when the link appears and
 * at every address event on it (kroute events carry the prefix with its
 * host bits cleared, and neither flags nor protocol).
 */
static void iface_scan_addrs(struct daemon *d, struct d_iface *ifc)
{
	const struct cfg_iface_params *p = &ifc->params;
	bool want = p->set & CFG_IF_LINK_LOCAL;
	struct babel_addr ll6 = { 0 };
	struct ifaddr_set s;
	struct ll_choice ch;
	bool missing;
	int r;

	if ((r = ifaddr_read(d, ifc->ifindex, &s)) < 0) {
		LOG_W(d, "%s: cannot read its addresses: %s", ifc->name,
		      strerror(-r));
		return;
	}
	ll_choose(s.v6, s.n_v6, want ? p->link_local : NULL, &ch);
	if (ch.index >= 0) {
		ll6.af = BABEL_AF_INET6;
		memcpy(ll6.addr, s.v6[ch.index].addr, 16);
	}
	missing = want && ch.index < 0;
	if (!missing && ifc->ll_missing_logged) {
		ifc->ll_missing_logged = false;
		LOG_I(d, "%s: the configured link-local is on the link now",
		      ifc->name);
	}
	if (!memcmp(&ll6, &ifc->ll6, sizeof(ll6)) &&
	    !memcmp(&s.v4, &ifc->v4, sizeof(s.v4)) &&
	    missing == ifc->ll_missing && ch.reason == ifc->ll_reason)
		return;
	if (memcmp(&ll6, &ifc->ll6, sizeof(ll6)))
		iface_ll_log(d, ifc, &s, &ch);
	ifc->ll6 = ll6;
	ifc->ll_reason = ch.reason;
	ifc->ll_missing = missing;
	ifc->v4 = s.v4;
	ifc->xport_warned = false;
	/* The engine takes our addresses at iface_add: re-add it. */
	if (ifc->in_engine)
		iface_engine_del(d, ifc);
	iface_engine_add(d, ifc);
}

static void iface_not_wg_log(struct daemon *d, struct d_iface *ifc)
{
	ifc->not_wg_logged = true;
	LOG_E(d, "%s: declared 'type wireguard' but it is not a WireGuard "
	      "interface (kind '%s', and no wireguard-go socket %s/%s.sock): "
	      "Babel does not run on it; correct the type or the interface",
	      ifc->name, ifc->kind[0] ? ifc->kind : "none", IFACE_UAPI_DIR,
	      ifc->name);
}

/*
 * Whether a link taken as WireGuard by its configuration really is one.
 * wireguard-go creates its TUN device before its UAPI socket, so a link
 * that appears while we run is looked at again from the refresh timer
 * (LATER) before it is reported.
 */
static void iface_check_wg(struct daemon *d, struct d_iface *ifc, bool later)
{
	bool was = ifc->not_wg;

	if (!ifc->present) {
		ifc->not_wg = false;
		return;
	}
	if (later)
		ifc->detected = iface_detect(ifc->name, ifc->kind);
	ifc->not_wg = ifc->params.type == CFG_IFTYPE_WIREGUARD &&
		      ifc->detected != CFG_IFTYPE_WIREGUARD;
	if (!ifc->not_wg) {
		ifc->not_wg_logged = false;
		if (was) {
			LOG_I(d, "%s: is a WireGuard interface now", ifc->name);
			iface_engine_add(d, ifc);
		}
	} else if (later && !ifc->not_wg_logged) {
		iface_not_wg_log(d, ifc);
	}
}

static bool iface_is_pattern(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A configured interface that does not exist is listed as absent. */
static void iface_add_absent(struct daemon *d, const char *name)
{
	struct d_iface *ifc;

	if (iface_find_name(d, name) || !(ifc = iface_get(d, name)))
		return;
	cfg_iface_resolve(d->cfg, name, CFG_IFTYPE_AUTO, &ifc->params);
	LOG_W(d, "%s: no such interface; Babel starts on it when it appears",
	      name);
}

static void iface_add_configured(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->n_ifaces; i++)
		if (!iface_is_pattern(d->cfg->ifaces[i].pattern))
			iface_add_absent(d, d->cfg->ifaces[i].pattern);
	for (int i = 0; i < d->n_cmdline_ifaces; i++)
		iface_add_absent(d, d->cmdline_ifaces[i]);
}

int iface_start(struct daemon *d)
{
	int r = 0;

	iface_add_configured(d);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		if (!d->ifaces[i]->not_wg)
			continue;
		iface_not_wg_log(d, d->ifaces[i]);
		r = -EINVAL;
	}
	return r;
}

void iface_link_event(void *arg, const struct kroute_event *ev)
{
	struct daemon *d = arg;
	struct d_iface *ifc;
	bool fresh;

	switch (ev->type) {
	case KROUTE_EV_LINK_NEW:
		ifc = iface_find_name(d, ev->ifname);
		if (!ifc && !iface_wanted(d, ev->ifname))
			return;
		if (!ifc && !(ifc = iface_get(d, ev->ifname)))
			return;
		fresh = !ifc->present || ifc->ifindex != (unsigned)ev->ifindex;
		if (ifc->present && fresh) {
			/* Re-created under the same name. */
			iface_engine_del(d, ifc);
			if (d->kr)
				kroute_forget_ifindex(d->kr, (int)ifc->ifindex);
			egress_link_gone(d, ifc, (int)ifc->ifindex);
		}
		if (fresh) {
			snprintf(ifc->kind, sizeof(ifc->kind), "%s", ev->kind);
			ifc->detected = iface_detect(ev->ifname, ev->kind);
			cfg_iface_resolve(d->cfg, ifc->name, ifc->detected,
					  &ifc->params);
			memset(&ifc->ll6, 0, sizeof(ifc->ll6));
			memset(&ifc->v4, 0, sizeof(ifc->v4));
			ifc->ll_reason = LL_NONE;
			ifc->ll_missing = false;
			ifc->ll_missing_logged = false;
			iface_index_set(d, ifc, (unsigned)ev->ifindex);
			iface_check_wg(d, ifc, false);
			iface_scan_addrs(d, ifc);
		}
		if (ifc->up != ev->up) {
			ifc->up = ev->up;
			if (!ev->up)
				iface_engine_del(d, ifc);
		}
		iface_engine_add(d, ifc);
		if (ifc->in_engine && ifc->params.type == CFG_IFTYPE_WIREGUARD)
			iface_refresh_wg(d, ifc);
		break;
	case KROUTE_EV_LINK_DEL:
		ifc = iface_find(d, (unsigned)ev->ifindex);
		if (!ifc)
			return;
		LOG_I(d, "%s: link removed", ifc->name);
		iface_engine_del(d, ifc);
		if (d->kr)
			kroute_forget_ifindex(d->kr, ev->ifindex);
		egress_link_gone(d, ifc, ev->ifindex);
		iface_index_clear(d, ifc);
		ifc->up = false;
		iface_peers_clear(ifc);
		/* Nothing of ours is on a device that is gone: the model
		 * empties now, or when the write in flight to it ends (a
		 * stopped wireguard-go's takes up to its deadline; the loop
		 * does not wait). No read: it could only say so. */
		ifc->mark_queued = false;
		ifc->mark_pending = ifc->writing && ifc->writing->has_mark;
		if (ifc->rec && !ifc->writing)
			wg_rec_device_gone(ifc->rec);
		else if (ifc->rec)
			ifc->gone_after_write = true;
		break;
	case KROUTE_EV_ADDR_NEW:
	case KROUTE_EV_ADDR_DEL:
		ifc = iface_find(d, (unsigned)ev->ifindex);
		if (ifc)
			iface_scan_addrs(d, ifc);
		break;
	}
	daemon_kick(d);
}

/* After a reload: links no longer listed stop, changed ones restart, newly
 * listed ones are found by a fresh link dump. */
void iface_reconfigure(struct daemon *d)
{
	int r;

	for (size_t i = d->n_ifaces; i-- > 0;) {
		struct d_iface *ifc = d->ifaces[i];
		struct cfg_iface_params p;

		if (!iface_wanted(d, ifc->name)) {
			LOG_I(d, "%s: no longer configured", ifc->name);
			iface_destroy(d, i, true);
			continue;
		}
		cfg_iface_resolve(d->cfg, ifc->name, ifc->detected, &p);
		if (!memcmp(&p, &ifc->params, sizeof(p)))
			continue;
		ifc->params = p;
		if (ifc->in_engine)
			LOG_I(d, "%s: parameters changed, restarting Babel on it",
			      ifc->name);
		iface_engine_del(d, ifc);
		iface_check_wg(d, ifc, true);
		if (ifc->present) {
			/* "link-local" may have changed: choose again. */
			memset(&ifc->ll6, 0, sizeof(ifc->ll6));
			ifc->ll_missing = false;
			ifc->ll_missing_logged = false;
			iface_scan_addrs(d, ifc);
		}
		iface_engine_add(d, ifc);
	}
	if ((r = kroute_monitor_request_dump(d->mon)) < 0)
		LOG_W(d, "cannot list links: %s", strerror(-r));
	iface_add_configured(d);
}
