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
 *   hub_bench [peers] [seconds]     (defaults 1000 and 32: two periodic
 *                                    updates at the default 16 s)
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

static void run(unsigned n, bool dual, bool probes, unsigned secs)
{
	unsigned nodes = n + (dual ? 2 : 1);
	struct babel_addr hub = node_ll(n), hub2 = node_ll(n + 1);
	struct babel_counters c;
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
	for (unsigned i = 0; i < nodes; i++)
		B.nodes[i].b = new_engine(i);
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
	/* 1 ms steps: 20 s to converge, then the measured seconds. */
	end = B.now + (20 + (uint64_t)secs) * SEC;
	for (; B.now < end; B.now += MS) {
		if (!B.measuring && B.now >= end - (uint64_t)secs * SEC)
			B.measuring = true;
		for (unsigned i = 0; i < nodes; i++)
			if (B.nodes[i].next <= B.now)
				run_node(i);
		drain_all();
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
	unsigned secs = argc > 2 ? (unsigned)atoi(argv[2]) : 32;

	if (n < 1 || n > 60000 || secs < 1) {
		fprintf(stderr, "usage: hub_bench [peers (1-60000)] [seconds]\n");
		return 2;
	}
	run(n, false, false, secs);
	run(n, false, true, secs);
	run(n, true, false, secs);
	run(n, true, true, secs);
	return 0;
}
