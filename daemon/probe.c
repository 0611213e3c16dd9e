/* SPDX-License-Identifier: MIT */
/*
 * daemon/probe.c — fast detection of a dead Babel speaker whose host stays
 * up (a crash, SIGKILL, a restart): its kernel answers a unicast datagram to
 * port 6696 with an ICMP(v6) port unreachable. The Babel sockets have
 * IPV6_RECVERR / IP_RECVERR set (net.c), so those come back on their
 * error queues, over either transport; this
 * file drains that queue and tells the engine (babel_neigh_unreachable),
 * which handles the neighbour as a Hello timeout would, seconds earlier.
 *
 * Only a port unreachable sent by the neighbour itself, for our Babel
 * datagram, about a current neighbour on the interface it arrived on, is
 * acted upon (icmperr_parse() and the engine's neighbour lookup). One is
 * enough: it is that host's kernel saying nobody listens; an on-link
 * attacker who could forge it could as well forge a Babel retraction.
 *
 * Multicast draws no ICMP, so on links where we would send no unicast (or,
 * on WireGuard, no unicast Hello as often) the daemon sends a probe every
 * probe-interval: a Babel packet
 * holding one PadN TLV (RFC 8966 §4.6.2), which receivers parse and ignore
 * (babeld 1.12 and BIRD 2 included; no Hello, so no Hello history or
 * unicast-Hello state changes on their side).
 *
 * Only to a neighbour whose loss would move traffic: the next hop of a
 * selected route while another neighbour has a working link (the engine's
 * `failover`, the rule its fast probes follow). A router with a single
 * working link gains nothing from learning a second early that its only
 * way is dead: the host of a crashed daemon still forwards with the routes
 * it left, and the unicast Hellos and IHUs we send anyway draw the same
 * ICMP a few seconds later. A neighbour the engine probes fast gets no
 * PadN either: its Ack Requests, sent whenever it was silent, draw the
 * ICMP as well. Every probe wakes both ends' WireGuard (wireguard-go:
 * 0.5-1 ms of CPU a datagram on our machines, half of its steady CPU at
 * 100,000 prefixes in tests/bench/wgpath.sh), so one that buys nothing
 * is not sent.
 */
#include "daemon/daemon.h"
#include "daemon/icmperr.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define PROBE_IDLE_MS 1000	/* re-check interfaces (reload, new links) */

struct probe_walk {
	struct daemon *d;
	const uint8_t *pkt;
	size_t len;
	unsigned sent;
};

static int probe_one(void *ctx, const struct babel_neighbour_info *ni)
{
	struct probe_walk *w = ctx;
	struct d_iface *ifc = iface_find(w->d, ni->ifindex);

	if (!ifc || !ifc->probing)
		return 0;
	/* Nothing to gain (above), or probed by the engine already. */
	if (!ni->failover || ni->fast_probe)
		return 0;
	net_send(w->d, ni->ifindex, &ni->addr, w->pkt, w->len);
	w->sent++;
	return 0;
}

static void on_probe_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;

	probe_run(d);
}

void probe_run(struct daemon *d)
{
	uint8_t pkt[8];
	struct babel_writer wr;
	struct probe_walk w = { .d = d, .pkt = pkt };
	uint64_t now = d_now_us(d);
	uint64_t next = now + PROBE_IDLE_MS * 1000ULL;
	bool any = false;

	if (d->stopping || !d->babel)
		return;
	babel_writer_init(&wr, pkt, sizeof(pkt));
	if (babel_write_pad(&wr, 2) < 0)
		return;
	w.len = babel_writer_finish(&wr);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		struct d_iface *ifc = d->ifaces[i];
		uint64_t iv = (uint64_t)ifc->params.probe_interval_ms * 1000;

		ifc->probing = false;
		if (!iv || !ifc->in_engine || !ifc->up)
			continue;
		/* On WireGuard every neighbour gets a unicast Hello each
		 * hello-interval: when that is as often, it is the probe. */
		if (ifc->params.type == CFG_IFTYPE_WIREGUARD &&
		    ifc->params.hello_interval_ms <= ifc->params.probe_interval_ms)
			continue;
		/* 1 ms early is on time: the timer has millisecond steps. */
		if (ifc->probe_next_us <= now + 1000) {
			ifc->probing = any = true;
			ifc->probe_next_us = now + iv;
		} else if (ifc->probe_next_us > now + iv) {
			ifc->probe_next_us = now + iv;	/* interval shortened */
		}
		if (ifc->probe_next_us < next)
			next = ifc->probe_next_us;
	}
	if (any) {
		babel_foreach_neighbour(d->babel, probe_one, &w);
		d->probes_sent += w.sent;
		for (size_t i = 0; i < d->n_ifaces; i++)
			d->ifaces[i]->probing = false;
	}
	uv_timer_start(&d->probe_timer, on_probe_timer,
		       next > now ? (next - now + 999) / 1000 : 0, 0);
}

void probe_start(struct daemon *d)
{
	d->probe_timer.data = d;
	probe_run(d);
}

static void probe_handle(struct daemon *d, const struct icmperr *e)
{
	struct d_iface *ifc = e->ifindex ? iface_find(d, e->ifindex) : NULL;
	char a[INET6_ADDRSTRLEN];
	int r;

	d_addr_str(&e->addr, a, sizeof(a));
	if (!ifc || !ifc->in_engine) {
		d->icmp_ignored++;
		return;
	}
	r = babel_neigh_unreachable(d->babel, e->ifindex, &e->addr,
				    d_now_us(d));
	if (r < 0) {
		d->icmp_ignored++;
		LOG_D(d, "%s: port unreachable from %s, not a neighbour: "
		      "ignored", ifc->name, a);
		return;
	}
	if (r == 2) {
		/* Its Babel port is closed for the restart it announced. */
		d->icmp_ignored++;
		LOG_D(d, "%s: port unreachable from %s, restarting as it "
		      "announced: kept", ifc->name, a);
		return;
	}
	if (r == 1) {
		/* Dropped already; our packets to it bring more ICMP. */
		LOG_D(d, "%s: port unreachable from %s, dropped already",
		      ifc->name, a);
		return;
	}
	d->neighbours_unreachable++;
	LOG_I(d, "%s: neighbour %s: its Babel port is unreachable (ICMP); "
	      "dropped it and its routes", ifc->name, a);
}

/*
 * Reads the error queue of FD, the Babel socket of link IFINDEX (IPv6 or
 * IPv4), until it is empty: an error left there keeps the socket in
 * POLLERR (libuv would stop the poll handle or spin). Returns how many
 * neighbours were found gone.
 */
unsigned probe_drain_errors(struct daemon *d, unsigned ifindex, int fd)
{
	unsigned gone = 0;

	for (;;) {
		union {
			struct sockaddr_in6 in6;
			struct sockaddr_in in;
		} dst;
		union {
			char b[512];
			struct cmsghdr align;
		} ctl;
		uint8_t data[64];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = {
			.msg_name = &dst, .msg_namelen = sizeof(dst),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct icmperr e;
		uint64_t before = d->neighbours_unreachable;
		ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LOG_W(d, "reading the UDP error queue: %s",
				      strerror(errno));
			break;
		}
		r = icmperr_parse(&msg, &e);
		if (r < 0) {
			d->icmp_ignored++;
			continue;
		}
		if (!e.ifindex)
			e.ifindex = ifindex;	/* the socket's own link */
		probe_handle(d, &e);
		gone += d->neighbours_unreachable != before;
	}
	if (gone)
		daemon_kick(d);
	return gone;
}

/* An error sendmsg() or recvmsg() may report for an earlier datagram
 * (the socket's pending sk_err, set with the error queue entry): the call
 * itself did nothing wrong and is worth one retry. */
bool probe_async_error(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EPROTO:
	case EACCES:
	case EMSGSIZE:
		return true;
	default:
		return false;
	}
}
