/* SPDX-License-Identifier: MIT */
/*
 * daemon/net.c — the Babel UDP sockets (port 6696; RFC 8966 §4), over IPv6
 * and, on interfaces with "transport ipv4" or "both", over IPv4: one code
 * path for both, what differs kept in struct net_family and in the two
 * helpers that read and write socket addresses and pktinfo.
 *
 * One socket per interface and IP version, bound to that device
 * (SO_BINDTODEVICE), as BIRD does: the kernel hands a datagram to the
 * socket bound to the device it arrived on before any socket bound to no
 * device, so babeld (whose one socket is bound to no device) or a second
 * wgbabeld on other interfaces can run on the same host, each receiving
 * its own links' packets. With one unbound socket, whichever daemon bound
 * port 6696 last received every unicast packet of the host.
 *
 * libuv's uv_udp does not hand back IPV6_PKTINFO / IP_PKTINFO, and the
 * engine needs the destination of each datagram, so each is a plain
 * non-blocking socket watched with uv_poll and read with recvmsg() until
 * EAGAIN. The receive buffer is made large (4 MiB, SO_RCVBUFFORCE when
 * allowed) because a neighbour's full table of 100k routes arrives as a
 * burst of thousands of datagrams. Each datagram is sent with pktinfo
 * naming the interface and our address on it (the link-local, the IPv4
 * address): the receiver takes the source as the next hop of our routes
 * (§4.6.9), and a WireGuard peer's allowed IPs must match it.
 *
 * On a WireGuard interface a datagram is only accepted from the Babel
 * address of a current peer of that interface.
 *
 * IPV6_RECVERR / IP_RECVERR are on: an ICMP port unreachable from a
 * neighbour whose Babel process died lands on the error queue
 * (daemon/probe.c reads it). It also sets the socket's pending error,
 * which the next recvmsg() or sendmsg() returns once: both retry.
 */
#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NET_RCVBUF (4 * 1024 * 1024)
#define NET_SNDBUF (1 * 1024 * 1024)
#define NET_MAX_DGRAM 65536

struct net_opt {
	int level, name, val;
};

/* What differs between Babel over IPv6 and over IPv4. */
struct net_family {
	int family;			/* AF_INET6, AF_INET */
	uint8_t af;			/* BABEL_AF_* */
	const char *name;		/* for the log */
	const char *group_name;
	uint8_t group[16];		/* the Babel multicast group */
	int level;			/* IPPROTO_IPV6, IPPROTO_IP */
	int pktinfo;			/* its cmsg type */
	int recverr;
	/* RFC 8966 §4: link-local only (hop limit 1); never loop our own
	 * multicast back. */
	struct net_opt opts[5];
	size_t n_opts;
};

static const struct net_family net_v6 = {
	.family = AF_INET6, .af = BABEL_AF_INET6, .name = "IPv6",
	.group_name = "ff02::1:6", .group = BABEL_MCAST_V6,
	.level = IPPROTO_IPV6, .pktinfo = IPV6_PKTINFO,
	.recverr = IPV6_RECVERR,
	.opts = {
		{ IPPROTO_IPV6, IPV6_V6ONLY, 1 },
		{ IPPROTO_IPV6, IPV6_RECVPKTINFO, 1 },
		{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1 },
		{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1 },
		{ IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0 },
	},
	.n_opts = 5,
};

static const struct net_family net_v4 = {
	.family = AF_INET, .af = BABEL_AF_INET, .name = "IPv4",
	.group_name = "224.0.0.111", .group = BABEL_MCAST_V4,
	.level = IPPROTO_IP, .pktinfo = IP_PKTINFO, .recverr = IP_RECVERR,
	.opts = {
		{ IPPROTO_IP, IP_PKTINFO, 1 },
		{ IPPROTO_IP, IP_TTL, 1 },
		{ IPPROTO_IP, IP_MULTICAST_TTL, 1 },
		{ IPPROTO_IP, IP_MULTICAST_LOOP, 0 },
	},
	.n_opts = 4,
};

/* One Babel socket of a link, for one IP version. It outlives its close
 * until the poll handle's close callback frees it: a read callback that
 * closed it (the engine dropped the link) sees fd -1. */
struct net_sock {
	uv_poll_t poll;			/* data: this socket */
	struct daemon *d;
	const struct net_family *f;
	int fd;				/* -1: closed */
	unsigned ifindex;		/* the link it was opened for */
	bool bound;			/* SO_BINDTODEVICE took */
	char ifname[IFNAMSIZ];
};

union net_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

union net_pktinfo {
	struct in_pktinfo in;
	struct in6_pktinfo in6;
};

union net_cmsg {
	char b[CMSG_SPACE(sizeof(union net_pktinfo)) +
	       CMSG_SPACE(sizeof(struct timespec))];
	struct cmsghdr align;
};

static struct net_sock **net_slot(struct d_iface *ifc,
				  const struct net_family *f)
{
	return f == &net_v4 ? &ifc->sock4 : &ifc->sock6;
}

static bool *net_joined(struct d_iface *ifc, const struct net_family *f)
{
	return f == &net_v4 ? &ifc->joined4 : &ifc->joined;
}

static void net_addr_from_in6(struct babel_addr *a, const struct in6_addr *in)
{
	memset(a, 0, sizeof(*a));
	if (IN6_IS_ADDR_V4MAPPED(in)) {
		a->af = BABEL_AF_INET;
		memcpy(a->addr, &in->s6_addr[12], 4);
	} else {
		a->af = BABEL_AF_INET6;
		memcpy(a->addr, in->s6_addr, 16);
	}
}

static void net_addr_from_in(struct babel_addr *a, const struct in_addr *in)
{
	memset(a, 0, sizeof(*a));
	a->af = BABEL_AF_INET;
	memcpy(a->addr, &in->s_addr, 4);
}

/*
 * The source, the destination (the group or us: the header's, from
 * pktinfo) and the interface of a datagram read into MSG; false when the
 * kernel left something out.
 */
static bool net_rx_meta(const struct net_family *f, struct msghdr *msg,
			struct babel_addr *src, struct babel_addr *dst,
			unsigned *ifindex)
{
	const union net_sa *from = msg->msg_name;
	size_t pilen = f == &net_v4 ? sizeof(struct in_pktinfo) :
				      sizeof(struct in6_pktinfo);
	union net_pktinfo pi;
	bool have = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == f->level && c->cmsg_type == f->pktinfo &&
		    c->cmsg_len >= CMSG_LEN(pilen)) {
			memcpy(&pi, CMSG_DATA(c), pilen);
			have = true;
		}
	}
	if (!have)
		return false;
	if (f == &net_v4) {
		if (msg->msg_namelen < sizeof(from->in))
			return false;
		net_addr_from_in(src, &from->in.sin_addr);
		net_addr_from_in(dst, &pi.in.ipi_addr);
		*ifindex = (unsigned)pi.in.ipi_ifindex;
	} else {
		if (msg->msg_namelen < sizeof(from->in6))
			return false;
		net_addr_from_in6(src, &from->in6.sin6_addr);
		net_addr_from_in6(dst, &pi.in6.ipi6_addr);
		*ifindex = pi.in6.ipi6_ifindex;
	}
	return true;
}

/*
 * When the kernel received the datagram read into MSG, on the daemon's
 * clock (NOW, monotonic): its SO_TIMESTAMPNS stamp is on the realtime
 * clock, so the time it waited (realtime now less the stamp) is taken
 * from NOW. NOW when there is no stamp, or one that a step of the
 * realtime clock made absurd (in the future, or more than 2 s old).
 */
static uint64_t net_rx_time(struct msghdr *msg, uint64_t now)
{
	struct timespec ts, rt;
	int64_t waited;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		if (clock_gettime(CLOCK_REALTIME, &rt) < 0)
			return now;
		waited = ((int64_t)rt.tv_sec - (int64_t)ts.tv_sec) * 1000000 +
			 ((int64_t)rt.tv_nsec - (int64_t)ts.tv_nsec) / 1000;
		if (waited < 0 || waited > 2000000 || (uint64_t)waited > now)
			return now;
		return now - (uint64_t)waited;
	}
	return now;
}

/*
 * Where a datagram to DST (NULL: the group) on IFC goes, and the pktinfo
 * that sends it from our address there. Returns the address's length.
 */
static socklen_t net_tx_meta(const struct net_family *f,
			     const struct d_iface *ifc,
			     const struct babel_addr *dst, union net_sa *to,
			     struct cmsghdr *c)
{
	const uint8_t *a = dst ? dst->addr : f->group;
	union net_pktinfo pi;

	memset(to, 0, sizeof(*to));
	memset(&pi, 0, sizeof(pi));
	c->cmsg_level = f->level;
	c->cmsg_type = f->pktinfo;
	if (f == &net_v4) {
		to->in.sin_family = AF_INET;
		to->in.sin_port = htons(BABEL_PORT);
		memcpy(&to->in.sin_addr, a, 4);
		/* The outgoing interface (multicast too: it overrides
		 * IP_MULTICAST_IF) and our address on it as the source. */
		pi.in.ipi_ifindex = (int)ifc->ifindex;
		if (ifc->v4.af == BABEL_AF_INET)
			memcpy(&pi.in.ipi_spec_dst, ifc->v4.addr, 4);
		c->cmsg_len = CMSG_LEN(sizeof(pi.in));
		memcpy(CMSG_DATA(c), &pi.in, sizeof(pi.in));
		return sizeof(to->in);
	}
	to->in6.sin6_family = AF_INET6;
	to->in6.sin6_port = htons(BABEL_PORT);
	to->in6.sin6_scope_id = ifc->ifindex;
	memcpy(&to->in6.sin6_addr, a, 16);
	/* From our link-local, so WireGuard peers' allowed IPs match. */
	pi.in6.ipi6_ifindex = ifc->ifindex;
	if (ifc->ll6.af == BABEL_AF_INET6)
		memcpy(&pi.in6.ipi6_addr, ifc->ll6.addr, 16);
	c->cmsg_len = CMSG_LEN(sizeof(pi.in6));
	memcpy(CMSG_DATA(c), &pi.in6, sizeof(pi.in6));
	return sizeof(to->in6);
}

/* Our source address in the pktinfo C, cleared: the kernel chooses.
 * False when it was clear already. */
static bool net_tx_clear_source(const struct net_family *f, struct cmsghdr *c)
{
	union net_pktinfo pi;
	static const uint8_t zero[16];

	if (f == &net_v4) {
		memcpy(&pi.in, CMSG_DATA(c), sizeof(pi.in));
		if (!pi.in.ipi_spec_dst.s_addr)
			return false;
		pi.in.ipi_spec_dst.s_addr = 0;
		memcpy(CMSG_DATA(c), &pi.in, sizeof(pi.in));
		return true;
	}
	memcpy(&pi.in6, CMSG_DATA(c), sizeof(pi.in6));
	if (!memcmp(&pi.in6.ipi6_addr, zero, 16))
		return false;
	memset(&pi.in6.ipi6_addr, 0, 16);
	memcpy(CMSG_DATA(c), &pi.in6, sizeof(pi.in6));
	return true;
}

static bool net_is_group(const struct net_family *f,
			 const struct babel_addr *a)
{
	return a->af == f->af &&
	       !memcmp(a->addr, f->group, f == &net_v4 ? 4 : 16);
}

/* Whether the link speaks Babel over the IP version of af ("transport"). */
static bool net_transport_has(const struct d_iface *ifc, uint8_t af)
{
	if (ifc->xport == CFG_TRANSPORT_BOTH)
		return true;
	return (ifc->xport == CFG_TRANSPORT_IPV4) == (af == BABEL_AF_INET);
}

static void net_deliver(struct daemon *d, unsigned ifindex,
			const struct babel_addr *src,
			const struct babel_addr *dsta, const uint8_t *buf,
			size_t len, uint64_t now, uint64_t rx)
{
	struct d_iface *ifc = iface_find(d, ifindex);
	int r;

	if (!ifc || !ifc->in_engine || !net_transport_has(ifc, src->af))
		return;
	if (ifc->params.type == CFG_IFTYPE_WIREGUARD &&
	    !peerdiag_heard(d, ifc, src, now)) {
		char a[INET6_ADDRSTRLEN];

		d->udp_dropped_not_peer++;
		d_addr_str(src, a, sizeof(a));
		LOG_D(d, "%s: dropped a packet from %s: not the Babel address "
		      "of any peer", ifc->name, a);
		/* A peer added since the last read is taken at once. */
		iface_unknown_source(d, ifc);
		if (iface_find(d, ifindex) != ifc || !ifc->in_engine ||
		    !iface_peer_by_addr(ifc, src))
			return;
	}
	r = babel_receive_at(d->babel, ifindex, src, dsta, buf, len, now, rx);
	if (r < 0 && r != -EBADMSG)
		LOG_D(d, "%s: babel_receive: %s", ifc->name, strerror(-r));
}

static void net_on_readable(uv_poll_t *h, int status, int events)
{
	struct net_sock *s = h->data;
	struct daemon *d = s->d;
	uint8_t buf[NET_MAX_DGRAM];
	unsigned n = 0, async_errs = 0;
	bool errs = false;

	(void)events;
	if (status == UV_EBADF) {
		/* POLLERR: the error queue holds entries, and libuv stopped
		 * the handle. Read what is there first, then drain it and
		 * watch again: a neighbour's last datagram (a Restart
		 * sub-TLV) arrives before the ICMP port unreachable of its
		 * restart and must be handled before it. */
		errs = true;
	} else if (status < 0) {
		LOG_E(d, "%s: UDP socket (%s): %s", s->ifname, s->f->name,
		      uv_strerror(status));
		return;
	}
	for (;;) {
		union net_sa from;
		union net_cmsg ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct babel_addr src, dsta;
		unsigned ifindex;
		uint64_t now;
		ssize_t len = recvmsg(s->fd, &msg, MSG_DONTWAIT);

		if (len < 0) {
			if (errno == EINTR ||
			    (probe_async_error(errno) && ++async_errs < 8))
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LOG_W(d, "%s: recvmsg (%s): %s", s->ifname,
				      s->f->name, strerror(errno));
			break;
		}
		if ((msg.msg_flags & MSG_TRUNC) ||
		    !net_rx_meta(s->f, &msg, &src, &dsta, &ifindex))
			continue;
		/* Not bound to its device (no CAP_NET_RAW), a socket also
		 * gets the group's datagrams of the other links, which
		 * their own sockets deliver. */
		if (!s->bound && ifindex != s->ifindex &&
		    net_is_group(s->f, &dsta))
			continue;
		d->udp_received++;
		d->udp_bytes_received += (uint64_t)len;
		n++;
		/* The engine may drop the interface (and close this
		 * socket) while it handles a datagram: stop then. */
		now = d_now_us(d);
		net_deliver(d, ifindex, &src, &dsta, buf, (size_t)len, now,
			    net_rx_time(&msg, now));
		if (s->fd < 0)
			break;
	}
	if (errs && s->fd >= 0) {
		probe_drain_errors(d, s->ifindex, s->fd);
		if (s->fd >= 0)
			uv_poll_start(&s->poll, UV_READABLE, net_on_readable);
	}
	if (n)
		daemon_kick(d);
}

static int net_setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static void net_free_on_close(uv_handle_t *h)
{
	free(h->data);
}

static void net_sock_close(struct d_iface *ifc, const struct net_family *f)
{
	struct net_sock **slot = net_slot(ifc, f), *s = *slot;

	if (!s)
		return;
	*net_joined(ifc, f) = false;	/* the membership goes with it */
	uv_close((uv_handle_t *)&s->poll, net_free_on_close);
	close(s->fd);
	s->fd = -1;
	*slot = NULL;
}

/* The socket of IFC for F; 0 or -errno (logged). */
static int net_sock_open(struct daemon *d, struct d_iface *ifc,
			 const struct net_family *f)
{
	struct net_sock **slot = net_slot(ifc, f), *s;
	union net_sa sa = { .sa.sa_family = (sa_family_t)f->family };
	socklen_t salen;
	int fd, r;

	if (*slot && (*slot)->ifindex == ifc->ifindex)
		return 0;
	/* One opened for a link since re-created under the same name. */
	net_sock_close(ifc, f);
	if (f == &net_v4) {
		sa.in.sin_port = htons(BABEL_PORT);
		sa.in.sin_addr.s_addr = htonl(INADDR_ANY);
		salen = sizeof(sa.in);
	} else {
		sa.in6.sin6_port = htons(BABEL_PORT);
		sa.in6.sin6_addr = in6addr_any;
		salen = sizeof(sa.in6);
	}
	fd = socket(f->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		LOG_E(d, "%s: cannot open the Babel socket (%s): %s",
		      ifc->name, f->name, strerror(-r));
		return r;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < f->n_opts; i++) {
		if (net_setopt(fd, f->opts[i].level, f->opts[i].name,
			       f->opts[i].val) < 0)
			goto fail_errno;
	}
	if (net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
	    (f == &net_v6 && net_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					(int)ifc->ifindex) < 0))
		goto fail_errno;
	/* Before bind(): a port bound on another device is no conflict. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifc->name,
		       (socklen_t)strlen(ifc->name)) < 0)
		LOG_W(d, "%s: cannot bind the Babel socket (%s) to the device "
		      "(%s; CAP_NET_RAW is needed): another Babel daemon on "
		      "this host, started later, would receive its packets",
		      ifc->name, f->name, strerror(errno));
	else
		s->bound = true;
	if (net_setopt(fd, f->level, f->recverr, 1) < 0)
		LOG_W(d, "%s: %s_RECVERR: %s: a dead neighbour is noticed "
		      "only when its Hellos stop", ifc->name,
		      f == &net_v4 ? "IP" : "IPV6", strerror(errno));
	/* The kernel's receive time of each datagram, for RTT samples
	 * (net_rx_time); without it, the time it is read. */
	if (net_setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) < 0)
		LOG_D(d, "%s: SO_TIMESTAMPNS: %s", ifc->name, strerror(errno));
	if (net_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, NET_RCVBUF) < 0 &&
	    net_setopt(fd, SOL_SOCKET, SO_RCVBUF, NET_RCVBUF) < 0)
		LOG_W(d, "%s: cannot enlarge the UDP receive buffer: %s",
		      ifc->name, strerror(errno));
	if (net_setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, NET_SNDBUF) < 0)
		net_setopt(fd, SOL_SOCKET, SO_SNDBUF, NET_SNDBUF);
	if (bind(fd, &sa.sa, salen) < 0) {
		r = -errno;
		LOG_E(d, "%s: cannot bind UDP port %d over %s: %s", ifc->name,
		      BABEL_PORT, f->name, strerror(-r));
		goto fail;
	}
	if ((r = uv_poll_init(d->loop, &s->poll, fd)) < 0) {
		LOG_E(d, "%s: %s", ifc->name, uv_strerror(r));
		goto fail;
	}
	s->poll.data = s;
	s->d = d;
	s->f = f;
	s->fd = fd;
	s->ifindex = ifc->ifindex;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifc->name);
	*slot = s;
	uv_poll_start(&s->poll, UV_READABLE, net_on_readable);
	return 0;
fail_errno:
	r = -errno;
	LOG_E(d, "%s: cannot set up the Babel socket (%s): %s", ifc->name,
	      f->name, strerror(-r));
fail:
	free(s);
	close(fd);
	return r;
}

int net_iface_open(struct daemon *d, struct d_iface *ifc)
{
	return net_sock_open(d, ifc, &net_v6);
}

int net_iface_open4(struct daemon *d, struct d_iface *ifc)
{
	return net_sock_open(d, ifc, &net_v4);
}

void net_iface_close(struct daemon *d, struct d_iface *ifc)
{
	(void)d;
	net_sock_close(ifc, &net_v6);
	net_sock_close(ifc, &net_v4);
}

static int net_sock_join(struct daemon *d, struct d_iface *ifc,
			 const struct net_family *f, bool join)
{
	struct net_sock *s = *net_slot(ifc, f);
	bool *joined = net_joined(ifc, f);
	struct ipv6_mreq mr6 = { .ipv6mr_interface = ifc->ifindex };
	struct ip_mreqn mr4 = { .imr_ifindex = (int)ifc->ifindex };
	int r;

	if (join == *joined)
		return 0;
	if (!s)
		return join ? -EBADF : 0;
	memcpy(&mr6.ipv6mr_multiaddr, f->group, 16);
	memcpy(&mr4.imr_multiaddr, f->group, 4);
	if (f == &net_v4)
		r = setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP :
			       IP_DROP_MEMBERSHIP, &mr4, sizeof(mr4));
	else
		r = setsockopt(s->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP :
			       IPV6_LEAVE_GROUP, &mr6, sizeof(mr6));
	if (r < 0) {
		r = -errno;
		/* Leaving fails harmlessly when the link is already gone. */
		if (join)
			LOG_W(d, "%s: cannot join %s: %s", ifc->name,
			      f->group_name, strerror(-r));
		*joined = false;
		return r;
	}
	*joined = join;
	return 0;
}

int net_join(struct daemon *d, struct d_iface *ifc, bool join)
{
	return net_sock_join(d, ifc, &net_v6, join);
}

int net_join4(struct daemon *d, struct d_iface *ifc, bool join)
{
	return net_sock_join(d, ifc, &net_v4, join);
}

/*
 * The engine's send callback: dst is a neighbour, the IPv4 group as an
 * AF_INET address, or NULL for the IPv6 group.
 */
void net_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
	      const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;
	struct d_iface *ifc = iface_find(d, ifindex);
	const struct net_family *f =
		dst && dst->af == BABEL_AF_INET ? &net_v4 : &net_v6;
	struct net_sock *s;
	union net_sa to;
	union net_cmsg ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b,
	};
	struct cmsghdr *c;
	int err;

	if (!ifc || !(s = *net_slot(ifc, f)))
		return;
	memset(ctl.b, 0, sizeof(ctl.b));
	msg.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&msg);
	msg.msg_namelen = net_tx_meta(f, ifc, dst, &to, c);
	msg.msg_controllen = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
	for (bool retried = false;;) {
		if (sendmsg(s->fd, &msg, MSG_DONTWAIT) >= 0) {
			d->udp_sent++;
			d->udp_bytes_sent += len;
			if (ifc->n_send_err_peers || ifc->send_errs)
				peerdiag_send_ok(d, ifc, dst);
			return;
		}
		if (errno == EINTR)
			continue;
		if (!retried && probe_async_error(errno)) {
			retried = true;	/* an earlier datagram's ICMP */
			continue;
		}
		/* A full send buffer loses this datagram; Babel recovers
		 * (periodic updates, requests). Counted, logged at debug;
		 * what kernel WireGuard refuses is reported once per peer. */
		err = errno;
		d->udp_send_errors++;
		LOG_D(d, "%s: sendmsg (%s): %s", ifc->name, f->name,
		      strerror(err));
		peerdiag_send_failed(d, ifc, dst, err);
		/* Our address went away: let the kernel choose. */
		if (err == EADDRNOTAVAIL && net_tx_clear_source(f, c))
			continue;
		return;
	}
}
