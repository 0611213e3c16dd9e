/* SPDX-License-Identifier: MIT */
/*
 * daemon/net.c — the Babel UDP sockets (port 6696, IPv6; RFC 8966 §4).
 *
 * One socket per interface Babel runs on, bound to that device
 * (SO_BINDTODEVICE), as BIRD does: the kernel hands a datagram to the
 * socket bound to the device it arrived on before any socket bound to no
 * device, so babeld (whose one socket is bound to no device) or a second
 * wgbabeld on other interfaces can run on the same host, each receiving
 * its own links' packets. With one unbound socket, whichever daemon bound
 * port 6696 last received every unicast packet of the host.
 *
 * libuv's uv_udp does not hand back IPV6_PKTINFO, and the engine needs the
 * destination of each datagram, so each is a plain non-blocking socket
 * watched with uv_poll and read with recvmsg() until EAGAIN. The receive buffer is made large (4 MiB, SO_RCVBUFFORCE when
 * allowed) because a neighbour's full table of 100k routes arrives as a
 * burst of thousands of datagrams.
 *
 * On a WireGuard interface a datagram is only accepted from the Babel
 * address of a current peer of that interface. The IPv4 socket, for
 * interfaces with "transport ipv4" or "both", is in daemon/net4.c.
 *
 * IPV6_RECVERR is on: an ICMP port unreachable from a neighbour whose Babel
 * process died lands on the error queue (daemon/probe.c reads it). It also
 * sets the socket's pending error, which the next recvmsg() or sendmsg()
 * returns once: both retry.
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

static const uint8_t net_mcast6[16] = BABEL_MCAST_V6;

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

/* Whether the link speaks Babel over the IP version of af ("transport"). */
static bool net_transport_has(const struct d_iface *ifc, uint8_t af)
{
	if (ifc->xport == CFG_TRANSPORT_BOTH)
		return true;
	return (ifc->xport == CFG_TRANSPORT_IPV4) == (af == BABEL_AF_INET);
}

/* A datagram from either socket (net.c, net4.c). */
void net_deliver(struct daemon *d, unsigned ifindex,
		 const struct babel_addr *src, const struct babel_addr *dsta,
		 const uint8_t *buf, size_t len, uint64_t now)
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
	r = babel_receive(d->babel, ifindex, src, dsta, buf, len, now);
	if (r < 0 && r != -EBADMSG)
		LOG_D(d, "%s: babel_receive: %s", ifc->name, strerror(-r));
}

static void net_on_readable(uv_poll_t *h, int status, int events)
{
	struct d_iface *ifc = h->data;
	struct daemon *d = ifc->d;
	unsigned ifindex = ifc->ifindex;
	uint8_t buf[NET_MAX_DGRAM];
	unsigned n = 0, async_errs = 0;

	if (status == UV_EBADF) {
		/* POLLERR: the error queue holds entries, and libuv stopped
		 * the handle. Drain it, watch again, read what is there. */
		probe_drain_errors(d, ifc->fd6);
		uv_poll_start(ifc->poll6, UV_READABLE, net_on_readable);
	} else if (status < 0) {
		LOG_E(d, "%s: UDP socket: %s", ifc->name, uv_strerror(status));
		return;
	}
	for (;;) {
		struct sockaddr_in6 from;
		union {
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct in6_pktinfo *pi = NULL;
		struct babel_addr src, dsta;
		ssize_t len = recvmsg(ifc->fd6, &msg, MSG_DONTWAIT);

		if (len < 0) {
			if (errno == EINTR ||
			    (probe_async_error(errno) && ++async_errs < 8))
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LOG_W(d, "recvmsg: %s", strerror(errno));
			break;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_PKTINFO)
				pi = (struct in6_pktinfo *)CMSG_DATA(c);
		}
		if (!pi || msg.msg_namelen < sizeof(from) ||
		    (msg.msg_flags & MSG_TRUNC))
			continue;
		d->udp_received++;
		n++;
		net_addr_from_in6(&src, &from.sin6_addr);
		net_addr_from_in6(&dsta, &pi->ipi6_addr);
		/* The engine may drop the interface (and close this
		 * socket) while it handles a datagram: stop then. */
		net_deliver(d, pi->ipi6_ifindex, &src, &dsta, buf,
			    (size_t)len, d_now_us(d));
		if (iface_find(d, ifindex) != ifc || ifc->fd6 < 0)
			break;
	}
	if (n)
		daemon_kick(d);
}

static int net_setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

int net_open(struct daemon *d)
{
	d->udp4_fd = -1;	/* net4.c opens it when an interface needs it */
	return 0;
}

/* The socket of one interface; 0 or -errno (logged). */
int net_iface_open(struct daemon *d, struct d_iface *ifc)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(BABEL_PORT),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, r;

	if (ifc->fd6 >= 0)
		return 0;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
	    net_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0 ||
	    net_setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0 ||
	    /* RFC 8966 §4: link-local only; never loop our own back. */
	    net_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1) < 0 ||
	    net_setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1) < 0 ||
	    net_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0 ||
	    net_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
		       (int)ifc->ifindex) < 0) {
		r = -errno;
		LOG_E(d, "%s: cannot set up the Babel socket: %s", ifc->name,
		      strerror(-r));
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifc->name,
		       (socklen_t)strlen(ifc->name)) < 0)
		LOG_W(d, "%s: cannot bind the Babel socket to the device (%s; "
		      "CAP_NET_RAW is needed): another Babel daemon on this "
		      "host, started later, would receive its packets",
		      ifc->name, strerror(errno));
	if (net_setopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1) < 0)
		LOG_W(d, "IPV6_RECVERR: %s: a dead neighbour is noticed only "
		      "when its Hellos stop", strerror(errno));
	if (net_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, NET_RCVBUF) < 0 &&
	    net_setopt(fd, SOL_SOCKET, SO_RCVBUF, NET_RCVBUF) < 0)
		LOG_W(d, "cannot enlarge the UDP receive buffer: %s",
		      strerror(errno));
	if (net_setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, NET_SNDBUF) < 0)
		net_setopt(fd, SOL_SOCKET, SO_SNDBUF, NET_SNDBUF);
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		r = -errno;
		LOG_E(d, "%s: cannot bind UDP port %d: %s", ifc->name,
		      BABEL_PORT, strerror(-r));
		goto fail;
	}
	/* Its own allocation: a socket closed and opened again (new
	 * addresses) must not reuse a handle whose close is pending. */
	if (!(ifc->poll6 = malloc(sizeof(*ifc->poll6)))) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = uv_poll_init(d->loop, ifc->poll6, fd)) < 0) {
		LOG_E(d, "%s: %s", ifc->name, uv_strerror(r));
		free(ifc->poll6);
		ifc->poll6 = NULL;
		goto fail;
	}
	ifc->fd6 = fd;
	ifc->poll6->data = ifc;
	uv_poll_start(ifc->poll6, UV_READABLE, net_on_readable);
	return 0;
fail:
	close(fd);
	return r;
}

static void net_free_on_close(uv_handle_t *h)
{
	free(h);
}

void net_iface_close(struct daemon *d, struct d_iface *ifc)
{
	if (ifc->fd6 < 0)
		return;
	ifc->joined = false;	/* the membership goes with the socket */
	uv_close((uv_handle_t *)ifc->poll6, net_free_on_close);
	ifc->poll6 = NULL;
	close(ifc->fd6);
	ifc->fd6 = -1;
}

void net_close(struct daemon *d)
{
	net4_close(d);
}

int net_join(struct daemon *d, struct d_iface *ifc, bool join)
{
	struct ipv6_mreq mr = { .ipv6mr_interface = ifc->ifindex };

	if (join == ifc->joined)
		return 0;
	memcpy(&mr.ipv6mr_multiaddr, net_mcast6, 16);
	if (ifc->fd6 < 0)
		return join ? -EBADF : 0;
	if (setsockopt(ifc->fd6, IPPROTO_IPV6,
		       join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mr,
		       sizeof(mr)) < 0) {
		int r = -errno;

		/* Leaving fails harmlessly when the link is already gone. */
		if (join)
			LOG_W(d, "%s: cannot join ff02::1:6: %s", ifc->name,
			      strerror(-r));
		ifc->joined = false;
		return r;
	}
	ifc->joined = join;
	return 0;
}

/* The engine's send callback. */
void net_send(void *ctx, unsigned ifindex, const struct babel_addr *dst,
	      const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;
	struct d_iface *ifc = iface_find(d, ifindex);
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(BABEL_PORT),
		.sin6_scope_id = ifindex,
	};
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *c;
	struct in6_pktinfo pi = { .ipi6_ifindex = ifindex };
	int err;

	if (!ifc)
		return;
	if (dst && dst->af == BABEL_AF_INET) {
		/* "transport ipv4" or "both" on this link: daemon/net4.c. */
		net4_send(d, ifc, dst, buf, len);
		return;
	}
	if (ifc->fd6 < 0)
		return;
	if (!dst) {
		memcpy(&to.sin6_addr, net_mcast6, 16);
	} else {
		memcpy(&to.sin6_addr, dst->addr, 16);
	}
	/* Send from our link-local so WireGuard peers' allowed IPs match. */
	if (ifc->ll6.af == BABEL_AF_INET6)
		memcpy(&pi.ipi6_addr, ifc->ll6.addr, 16);
	memset(ctl.b, 0, sizeof(ctl.b));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	for (bool retried = false;;) {
		if (sendmsg(ifc->fd6, &msg, MSG_DONTWAIT) >= 0) {
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
		LOG_D(d, "%s: sendmsg: %s", ifc->name, strerror(err));
		peerdiag_send_failed(d, ifc, dst, err);
		if (err == EADDRNOTAVAIL && pi.ipi6_addr.s6_addr[0]) {
			/* Our address went away: let the kernel choose. */
			memset(&pi.ipi6_addr, 0, sizeof(pi.ipi6_addr));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			continue;
		}
		return;
	}
}
