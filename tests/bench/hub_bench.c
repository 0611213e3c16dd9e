/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/hub_bench.c — what a WireGuard hub with many peers spends on
 * Babel, fast failure detection included (issue 16): CPU of the hub and
 * bytes on the wire, with the engine's fast probes on and off.
 *
 * Every router is a real engine (proto/) in this process, on simulated
 * time, so a minute of a hub with 1,000 peers runs in seconds and the
 * figures do not depend on the machine's load. What the hub does goes
 * through real sockets: each datagram it sends is a sendto() on a UDP
 * socket over loopback and each one it receives a recvfrom(), so its CPU
 * figure is its engine plus one system call per datagram, measured with
 * CLOCK_THREAD_CPUTIME_ID around the hub's work only (the peers' work and
 * the harness's are outside). The daemon adds libuv, the peer lookup and
 * the kernel's (or wireguard-go's) encryption, none of which is here; the
 * wire bytes are computed for WireGuard over IPv4: inner IPv6 (40) + UDP
 * (8) + Babel, padded to 16, + WireGuard's 32, + outer UDP (8) and
 * IPv4 (20).
 *
 * Scenarios:
 *   single  N spokes with only the hub: every spoke routes everything
 *           through the hub, the hub each spoke's prefix through it.
 *   dual    N spokes with two hubs, all preferring the measured one (the
 *           other link costs more): every spoke has somewhere else to go,
 *           so every spoke probes the hub (the worst case for it).
 *
 * Spokes take in only the hubs' own prefixes (no transit): the hub still
 * sends each of them its whole table, and learns each spoke's prefix.
 *
 * What the hub's datagrams carry is counted by class (classify(), off
 * the hub's clock) and printed under each scenario, with the Updates
 * that came from full dumps (the engine's dump_updates_sent).
 *
 *   hub_bench [peers] [seconds] [warm-up seconds]
 *
 * Defaults 1000, 256 and 120: the full update of a hub of 1,000 peers
 * comes every 128 s once settled (proto/babel.c, update_interval_us():
 * 16, 32, 64, then 128 s, settled after 112 s), so 256 s hold two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto/babel.h"

#define MS 1000ULL
#define SEC 1000000ULL
#define HDR 4			/* from, to: which engine a datagram is for */
#define MAXPKT 1232

struct mpkt {
	uint16_t from, to;
	uint16_t len;
	uint8_t buf[MAXPKT];
};

struct node {
	struct babel *b;
	uint64_t next;
	uint64_t next_pad;	/* its daemon's next ICMP probe round */
};

/*
 * What the hub's datagrams carry, each datagram counted once, in the
 * first class that fits: an Update (with the Router-Id and Next Hop TLVs
 * that go with it, and whatever else shares the datagram), a route or
 * seqno request, an Ack Request (a fast probe), an Ack, a Hello and/or
 * IHU, a PadN only (the daemon's ICMP probe, modelled below).
 */
enum dclass { C_UPDATE, C_REQUEST, C_PROBE, C_ACK, C_HELLO, C_PAD, C_OTHER, C_MAX };
static const char *const dclass_name[C_MAX] = {
	[C_UPDATE] = "Update", [C_REQUEST] = "request", [C_PROBE] = "Ack Request",
	[C_ACK] = "Ack", [C_HELLO] = "Hello/IHU", [C_PAD] = "ICMP probe (PadN)",
	[C_OTHER] = "other",
};

struct tally {
	uint64_t pkts[2][C_MAX];	/* [0] in, [1] out */
	uint64_t wire[2][C_MAX];
	uint64_t hello_ihu_together;	/* out: datagrams with both */
};

struct bench {
	unsigned n;		/* spokes; node n is the hub, n + 1 the second hub */
	bool dual, probes;
	struct node *nodes;
	uint64_t now;
	int hub_fd, spoke_fd;
	struct sockaddr_in6 hub_sa, spoke_sa;
	/* datagrams between engines other than the hub, and those read
	 * off spoke_fd: in memory */
	struct mpkt *q;
	size_t qn, qcap, qhead;
	unsigned hub_pending;	/* datagrams queued on hub_fd */
	unsigned spoke_pending;	/* sent to spoke_fd */
	bool in_hub;
	bool measuring;
	struct timespec t0;
	double hub_cpu;
	uint64_t hub_pkts_in, hub_pkts_out, hub_wire_in, hub_wire_out;
	struct tally t;
	double pad_cpu;		/* of hub_cpu, in the ICMP probe rounds */
	double update_s;	/* the interval the hub's last Update announced */
	unsigned last_update_cs;	/* of the last Update classified */
	uint64_t burst_max;	/* most datagrams the hub sent in one 1 ms step */
};

static struct bench B;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The hub's CPU: only between hub_enter() and hub_leave(). */
static double hub_since;
static void hub_enter(void)
{
	B.in_hub = true;
	hub_since = thread_cpu();
}

static void hub_leave(void)
{
	if (B.measuring)
		B.hub_cpu += thread_cpu() - hub_since;
	B.in_hub = false;
}

static uint64_t wire_bytes(size_t babel_len)
{
	return 20 + 8 + 32 + ((40 + 8 + babel_len + 15) / 16) * 16;
}

/* Walks the raw TLVs (RFC 8966 §4.2-4.3): the bench does not trust its
 * own parser to classify what that parser's writer wrote. */
static enum dclass classify(const uint8_t *buf, size_t len, bool *hello_ihu)
{
	bool seen[256] = { false };
	size_t body, off = 4;

	*hello_ihu = false;
	if (len < 4)
		return C_OTHER;
	body = ((size_t)buf[2] << 8) | buf[3];
	if (body + 4 < len)
		len = body + 4;
	while (off < len) {
		if (buf[off] == BABEL_TLV_PAD1) {
			off++;
			continue;
		}
		if (off + 2 > len)
			break;
		seen[buf[off]] = true;
		/* An Update's interval (§4.6.9: after AE, flags, plen, omitted) */
		if (buf[off] == BABEL_TLV_UPDATE && buf[off + 1] >= 6 && off + 8 <= len)
			B.last_update_cs = ((unsigned)buf[off + 6] << 8) | buf[off + 7];
		off += 2 + (size_t)buf[off + 1];
	}
	*hello_ihu = seen[BABEL_TLV_HELLO] && seen[BABEL_TLV_IHU];
	if (seen[BABEL_TLV_UPDATE])
		return C_UPDATE;
	if (seen[BABEL_TLV_ROUTE_REQ] || seen[BABEL_TLV_SEQNO_REQ])
		return C_REQUEST;
	if (seen[BABEL_TLV_ACK_REQ])
		return C_PROBE;
	if (seen[BABEL_TLV_ACK])
		return C_ACK;
	if (seen[BABEL_TLV_HELLO] || seen[BABEL_TLV_IHU])
		return C_HELLO;
	if (seen[BABEL_TLV_PADN])
		return C_PAD;
	return C_OTHER;
}

static void tally(int out, const uint8_t *buf, size_t len, uint64_t wire)
{
	bool both;
	enum dclass c = classify(buf, len, &both);

	if (out && c == C_UPDATE)
		B.update_s = B.last_update_cs / 100.0;
	B.t.pkts[out][c]++;
	B.t.wire[out][c] += wire;
	if (out && both)
		B.t.hello_ihu_together++;
}

static struct babel_addr node_ll(unsigned i)
{
	struct babel_addr a = { .af = BABEL_AF_INET6 };

	a.addr[0] = 0xfe;
	a.addr[1] = 0x80;
	a.addr[13] = (uint8_t)(i >> 16);
	a.addr[14] = (uint8_t)(i >> 8);
	a.addr[15] = (uint8_t)i;
	return a;
}

static unsigned node_of(const struct babel_addr *a)
{
	return ((unsigned)a->addr[13] << 16) | ((unsigned)a->addr[14] << 8) | a->addr[15];
}

static void q_push(uint16_t from, uint16_t to, const uint8_t *buf, size_t len)
{
	struct mpkt *p;

	if (B.qn == B.qcap) {
		B.qcap = B.qcap ? B.qcap * 2 : 4096;
		B.q = realloc(B.q, B.qcap * sizeof(*B.q));
		if (!B.q)
			die("realloc");
	}
	p = &B.q[B.qn++];
	p->from = from;
	p->to = to;
	p->len = (uint16_t)len;
	memcpy(p->buf, buf, len);
}

/* What the hub sent, read off the spokes' socket into memory (not the
 * hub's work: the hub's timer is paused). */
static void spoke_fd_drain(void)
{
	uint8_t buf[HDR + MAXPKT];
	ssize_t r;

	while ((r = recv(B.spoke_fd, buf, sizeof(buf), MSG_DONTWAIT)) >= HDR) {
		uint16_t from, to;

		memcpy(&from, buf, 2);
		memcpy(&to, buf + 2, 2);
		/* Classified here, off the hub's clock. */
		if (B.measuring)
			tally(1, buf + HDR, (size_t)r - HDR, wire_bytes((size_t)r - HDR));
		q_push(from, to, buf + HDR, (size_t)r - HDR);
	}
}

static void hub_fd_drain(void);

static void cb_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
		    const uint8_t *buf, size_t len)
{
	unsigned from = (unsigned)(uintptr_t)ctx, to;
	uint8_t pkt[HDR + MAXPKT];
	uint16_t f, t;

	(void)ifindex;
	if (!dst || len > MAXPKT)
		return;
	to = node_of(dst);
	if (to > B.n + 1)
		return;
	f = (uint16_t)from;
	t = (uint16_t)to;
	memcpy(pkt, &f, 2);
	memcpy(pkt + 2, &t, 2);
	memcpy(pkt + HDR, buf, len);
	if (from == B.n) {
		if (sendto(B.hub_fd, pkt, HDR + len, 0, (struct sockaddr *)&B.spoke_sa,
			   sizeof(B.spoke_sa)) < 0)
			die("sendto (hub)");
		if (B.measuring) {
			B.hub_pkts_out++;
			B.hub_wire_out += wire_bytes(len);
		}
		/* Keep the spokes' socket from filling up, off the hub's clock. */
		if ((++B.spoke_pending & 255) == 0) {
			hub_leave();
			spoke_fd_drain();
			hub_enter();
		}
		return;
	}
	if (to == B.n) {
		if (sendto(B.spoke_fd, pkt, HDR + len, 0, (struct sockaddr *)&B.hub_sa,
			   sizeof(B.hub_sa)) < 0)
			die("sendto (spoke)");
		if (B.measuring) {
			B.hub_pkts_in++;
			B.hub_wire_in += wire_bytes(len);
			tally(0, buf, len, wire_bytes(len));
		}
		if (++B.hub_pending >= 512 && !B.in_hub)
			hub_fd_drain();
		return;
	}
	q_push(f, t, buf, len);
}

static void cb_fib(void *ctx, const struct babel_prefix *p, const struct babel_prefix *s,
		   const struct babel_nexthop *o, const struct babel_nexthop *n, uint16_t m)
{
	(void)ctx; (void)p; (void)s; (void)o; (void)n; (void)m;
}

/*
 * The daemon's ICMP probes (daemon/probe.c, probe-interval, default 1 s):
 * on a WireGuard interface whose Hellos are less frequent than that, a
 * neighbour whose loss would move traffic (the engine's `failover`: a
 * next hop of a selected route while another link works) and that the
 * engine does not probe fast gets a datagram holding one PadN each
 * second, so that a dead Babel process behind a live host answers with a
 * port unreachable. Not the engine's work, but the daemon's: modelled
 * here as the daemon does it (one round over the neighbours, the same
 * rule), the hub's on its clock.
 */
#define PAD_INTERVAL (1000 * MS)
static uint8_t pad_pkt[8];
static size_t pad_len;

static int pad_one(void *ctx, const struct babel_neighbour_info *ni)
{
	if (!ni->failover || ni->fast_probe)
		return 0;
	cb_send(ctx, ni->ifindex, &ni->addr, pad_pkt, pad_len);
	return 0;
}

static void pad_round(unsigned i)
{
	double t0 = 0;

	if (i == B.n) {
		hub_enter();
		t0 = hub_since;
	}
	babel_foreach_neighbour(B.nodes[i].b, pad_one, (void *)(uintptr_t)i);
	if (i == B.n) {
		if (B.measuring)
			B.pad_cpu += thread_cpu() - t0;
		hub_leave();
	}
	B.nodes[i].next_pad += PAD_INTERVAL;
}

static void run_node(unsigned i)
{
	bool hub = i == B.n;

	if (hub)
		hub_enter();
	B.nodes[i].next = babel_run(B.nodes[i].b, B.now);
	if (hub)
		hub_leave();
}

/* The hub takes in what its socket holds: recvfrom + babel_receive. */
static void hub_fd_drain(void)
{
	uint8_t buf[HDR + MAXPKT];
	struct babel *h = B.nodes[B.n].b;
	ssize_t r;

	hub_enter();
	while ((r = recv(B.hub_fd, buf, sizeof(buf), MSG_DONTWAIT)) >= HDR) {
		uint16_t from;
		struct babel_addr src;

		memcpy(&from, buf, 2);
		src = node_ll(from);
		babel_receive(h, 1, &src, NULL, buf + HDR, (size_t)r - HDR, B.now);
	}
	B.hub_pending = 0;
	B.nodes[B.n].next = babel_run(h, B.now);
	hub_leave();
}

static void deliver_queue(void)
{
	static struct mpkt p;	/* a copy: delivering may grow B.q */

	while (B.qhead < B.qn) {
		struct babel_addr src;
		unsigned ifindex = 1;

		memcpy(&p, &B.q[B.qhead++], sizeof(p));
		src = node_ll(p.from);
		/* A spoke's second hub is on its interface 2. */
		if (p.from == B.n + 1 && p.to < B.n)
			ifindex = 2;
		babel_receive(B.nodes[p.to].b, ifindex, &src, NULL, p.buf, p.len, B.now);
		B.nodes[p.to].next = babel_run(B.nodes[p.to].b, B.now);
	}
	B.qn = B.qhead = 0;
}

static void drain_all(void)
{
	for (;;) {
		spoke_fd_drain();
		if (B.qhead == B.qn && !B.hub_pending)
			break;
		deliver_queue();
		hub_fd_drain();
	}
}

static void bind_lo(int *fd, struct sockaddr_in6 *sa)
{
	socklen_t l = sizeof(*sa);
	int sz = 64 << 20;

	*fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (*fd < 0)
		die("socket");
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_addr = in6addr_loopback;
	if (bind(*fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    getsockname(*fd, (struct sockaddr *)sa, &l) < 0)
		die("bind");
	if (setsockopt(*fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* Spokes are no transit: they take in the hubs' prefixes only (each
 * spoke would otherwise hold and re-announce the whole table, which costs
 * this harness minutes and a real deployment filters out the same way). */
static int spoke_filter_in(void *ctx, const struct babel_prefix *p,
			   const struct babel_prefix *src, unsigned ifindex,
			   const struct babel_addr *nb, uint16_t metric)
{
	unsigned i = ((unsigned)p->addr[13] << 16) | ((unsigned)p->addr[14] << 8) | p->addr[15];

	(void)ctx; (void)src; (void)ifindex; (void)nb; (void)metric;
	return i >= B.n ? 0 : -1;
}

static struct babel *new_engine(unsigned i)
{
	struct babel_config cfg = { .hello_interval_ms = 0 };
	struct babel_callbacks cb = { .ctx = (void *)(uintptr_t)i, .send = cb_send,
				      .fib_change = cb_fib };
	struct babel *b;

	if (i < B.n)
		cb.filter_in = spoke_filter_in;

	cfg.router_id[0] = 2;
	cfg.router_id[5] = (uint8_t)(i >> 16);
	cfg.router_id[6] = (uint8_t)(i >> 8);
	cfg.router_id[7] = (uint8_t)i;
	cfg.seqno = (uint16_t)(i * 7919);
	b = babel_new(&cfg, &cb, B.now);
	if (!b)
		die("babel_new");
	return b;
}

static void add_iface(struct babel *b, unsigned ifindex, unsigned self, uint16_t rxcost)
{
	struct babel_iface_config ic = { .type = BABEL_IFACE_WIREGUARD, .unicast_only = true,
					 .rxcost = rxcost, .ll6 = node_ll(self) };

	if (!B.probes)
		ic.fast_probe_ms = BABEL_NO_FAST_PROBE;
	if (babel_iface_add(b, ifindex, &ic, B.now) < 0)
		die("babel_iface_add");
}

static void originate(struct babel *b, unsigned i)
{
	struct babel_prefix p = { .af = BABEL_AF_INET6, .plen = 128 };

	p.addr[0] = 0x20;
	p.addr[1] = 0x01;
	p.addr[2] = 0x0d;
	p.addr[3] = 0xb8;
	p.addr[13] = (uint8_t)(i >> 16);
	p.addr[14] = (uint8_t)(i >> 8);
	p.addr[15] = (uint8_t)i;
	babel_originate(b, &p, NULL, 0, B.now);
}

static void report(const struct babel_counters *c0, const struct babel_counters *c,
		   unsigned secs)
{
	uint64_t upd = c->updates_sent - c0->updates_sent;
	uint64_t dump = c->dump_updates_sent - c0->dump_updates_sent;

	printf("       %-18s %10s %10s %11s %11s\n", "carrying", "dgrams/s in", "out",
	       "B/s in", "out");
	for (int k = 0; k < C_MAX; k++) {
		if (!B.t.pkts[0][k] && !B.t.pkts[1][k])
			continue;
		printf("       %-18s %10.1f %10.1f %11.0f %11.0f\n", dclass_name[k],
		       (double)B.t.pkts[0][k] / secs, (double)B.t.pkts[1][k] / secs,
		       (double)B.t.wire[0][k] / secs, (double)B.t.wire[1][k] / secs);
	}
	printf("       Update TLVs out: %.0f/s, %.0f/s of them in full dumps "
	       "(%.0f triggered or requested); %.1f Updates a datagram; "
	       "Hello and IHU in one datagram: %.0f/s; the hub's update "
	       "interval now %.0f s\n",
	       (double)upd / secs, (double)dump / secs, (double)(upd - dump) / secs,
	       B.t.pkts[1][C_UPDATE] ? (double)upd / (double)B.t.pkts[1][C_UPDATE] : 0.0,
	       (double)B.t.hello_ihu_together / secs, B.update_s);
	printf("       at most %llu datagrams out in one millisecond\n",
	       (unsigned long long)B.burst_max);
	printf("       without the daemon's ICMP probes: CPU %.2f %%, %.0f B/s, "
	       "%.0f datagrams/s\n",
	       100.0 * (B.hub_cpu - B.pad_cpu) / secs,
	       (double)(B.hub_wire_in + B.hub_wire_out - B.t.wire[0][C_PAD] -
			B.t.wire[1][C_PAD]) / secs,
	       (double)(B.hub_pkts_in + B.hub_pkts_out - B.t.pkts[0][C_PAD] -
			B.t.pkts[1][C_PAD]) / secs);
}

static void run(unsigned n, bool dual, bool probes, unsigned secs, unsigned warm)
{
	unsigned nodes = n + (dual ? 2 : 1);
	struct babel_addr hub = node_ll(n), hub2 = node_ll(n + 1);
	struct babel_counters c, c0;
	uint64_t end;
	double wall;
	struct timespec w0, w1;

	memset(&B, 0, sizeof(B));
	B.n = n;
	B.dual = dual;
	B.probes = probes;
	B.now = 1000 * SEC;
	bind_lo(&B.hub_fd, &B.hub_sa);
	bind_lo(&B.spoke_fd, &B.spoke_sa);
	B.nodes = calloc(n + 2, sizeof(*B.nodes));
	if (!B.nodes)
		die("calloc");
	for (unsigned i = 0; i < nodes; i++) {
		B.nodes[i].b = new_engine(i);
		/* Spokes' daemons started at different moments. */
		B.nodes[i].next_pad = B.now + (i % 1000) * MS;
	}
	for (unsigned h = n; h < nodes; h++)
		add_iface(B.nodes[h].b, 1, h, 96);
	for (unsigned i = 0; i < n; i++) {
		add_iface(B.nodes[i].b, 1, i, 96);
		if (dual)
			add_iface(B.nodes[i].b, 2, i, 256);
	}
	for (unsigned i = 0; i < nodes; i++)
		originate(B.nodes[i].b, i);
	for (unsigned i = 0; i < n; i++) {
		struct babel_addr s = node_ll(i);

		babel_iface_add_peer(B.nodes[i].b, 1, &hub, B.now);
		babel_iface_add_peer(B.nodes[n].b, 1, &s, B.now);
		if (dual) {
			babel_iface_add_peer(B.nodes[i].b, 2, &hub2, B.now);
			babel_iface_add_peer(B.nodes[n + 1].b, 1, &s, B.now);
		}
	}
	drain_all();
	clock_gettime(CLOCK_MONOTONIC, &w0);
	/* 1 ms steps: warm seconds to converge (and for the hub's update
	 * interval to settle: it at most doubles from one full update to the
	 * next), then the measured seconds. */
	end = B.now + ((uint64_t)warm + secs) * SEC;
	for (; B.now < end; B.now += MS) {
		if (!B.measuring && B.now >= end - (uint64_t)secs * SEC) {
			B.measuring = true;
			babel_get_counters(B.nodes[n].b, &c0);
		}
		uint64_t out0 = B.hub_pkts_out;

		for (unsigned i = 0; i < nodes; i++) {
			if (B.nodes[i].next <= B.now)
				run_node(i);
			if (B.nodes[i].next_pad <= B.now)
				pad_round(i);
		}
		drain_all();
		if (B.hub_pkts_out - out0 > B.burst_max)
			B.burst_max = B.hub_pkts_out - out0;
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
	babel_get_counters(B.nodes[n].b, &c);
	printf("%-6s %5u peers  probes %-3s  hub: CPU %5.2f %% of a core, "
	       "%7.0f B/s on the wire (in %.0f, out %.0f), %6.0f datagrams/s, "
	       "%u routes selected, %u neighbours probed  (%.1f s wall)\n",
	       dual ? "dual" : "single", n, probes ? "on" : "off",
	       100.0 * B.hub_cpu / secs,
	       (double)(B.hub_wire_in + B.hub_wire_out) / secs,
	       (double)B.hub_wire_in / secs, (double)B.hub_wire_out / secs,
	       (double)(B.hub_pkts_in + B.hub_pkts_out) / secs,
	       c.selected, c.fast_probed, wall);
	report(&c0, &c, secs);
	fflush(stdout);
	for (unsigned i = 0; i < nodes; i++)
		babel_free(B.nodes[i].b);
	free(B.nodes);
	free(B.q);
	close(B.hub_fd);
	close(B.spoke_fd);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned secs = argc > 2 ? (unsigned)atoi(argv[2]) : 256;
	unsigned warm = argc > 3 ? (unsigned)atoi(argv[3]) : 120;
	struct babel_writer w;

	if (n < 1 || n > 60000 || secs < 1) {
		fprintf(stderr, "usage: hub_bench [peers (1-60000)] [seconds] "
			"[warm-up seconds]\n");
		return 2;
	}
	babel_writer_init(&w, pad_pkt, sizeof(pad_pkt));
	if (babel_write_pad(&w, 2) < 0)
		return 1;
	pad_len = babel_writer_finish(&w);
	run(n, false, false, secs, warm);
	run(n, false, true, secs, warm);
	run(n, true, false, secs, warm);
	run(n, true, true, secs, warm);
	return 0;
}
