/* SPDX-License-Identifier: MIT */
/*
 * daemon/net4.c — the Babel UDP socket over IPv4 (port 6696, group
 * 224.0.0.111; RFC 8966 §4), for interfaces configured with "transport
 * ipv4" or "both". IPv6 stays the default transport (daemon/net.c), so this
 * socket is opened only when the first such interface starts.
 *
 * As for IPv6: a plain non-blocking socket under uv_poll, drained with
 * recvmsg() to EAGAIN, a large receive buffer, IP_PKTINFO for the incoming
 * interface and destination, TTL 1 (link-local protocol) and no multicast
 * loop. Each datagram is sent with IP_PKTINFO naming the interface and our
 * IPv4 address on it: the receiver takes the source as the next hop of our
 * IPv4 routes (§4.6.9), and a WireGuard peer's allowed IPs must match it.
 */
#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NET4_RCVBUF (4 * 1024 * 1024)
#define NET4_SNDBUF (1 * 1024 * 1024)
#define NET4_MAX_DGRAM 65536

static const uint8_t net4_mcast[4] = BABEL_MCAST_V4;

static int net4_setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static void net4_on_readable(uv_poll_t *h, int status, int events)
{
	struct daemon *d = h->data;
	uint8_t buf[NET4_MAX_DGRAM];
	unsigned n = 0;

	(void)events;
	if (status < 0) {
		LOG_E(d, "UDP socket (IPv4): %s", uv_strerror(status));
		return;
	}
	for (;;) {
		struct sockaddr_in from;
		union {
			char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		struct in_pktinfo *pi = NULL;
		struct babel_addr src = { .af = BABEL_AF_INET };
		struct babel_addr dst = { .af = BABEL_AF_INET };
		ssize_t len = recvmsg(d->udp4_fd, &msg, MSG_DONTWAIT);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LOG_W(d, "recvmsg (IPv4): %s", strerror(errno));
			break;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO)
				pi = (struct in_pktinfo *)CMSG_DATA(c);
		}
		if (!pi || msg.msg_namelen < sizeof(from) ||
		    (msg.msg_flags & MSG_TRUNC))
			continue;
		memcpy(src.addr, &from.sin_addr, 4);
		/* ipi_addr: the header's destination (the group or us). */
		memcpy(dst.addr, &pi->ipi_addr, 4);
		d->udp_received++;
		n++;
		net_deliver(d, (unsigned)pi->ipi_ifindex, &src, &dst, buf,
			    (size_t)len, d_now_us(d));
	}
	if (n)
		daemon_kick(d);
}

int net_open4(struct daemon *d)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(BABEL_PORT),
		.sin_addr = { .s_addr = htonl(INADDR_ANY) },
	};
	int fd, r;

	if (d->udp4_open)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (net4_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 ||
	    net4_setopt(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0 ||
	    /* RFC 8966 §4: link-local only; never loop our own back. */
	    net4_setopt(fd, IPPROTO_IP, IP_TTL, 1) < 0 ||
	    net4_setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1) < 0 ||
	    net4_setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) {
		r = -errno;
		goto fail;
	}
	if (net4_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, NET4_RCVBUF) < 0 &&
	    net4_setopt(fd, SOL_SOCKET, SO_RCVBUF, NET4_RCVBUF) < 0)
		LOG_W(d, "cannot enlarge the IPv4 UDP receive buffer: %s",
		      strerror(errno));
	if (net4_setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, NET4_SNDBUF) < 0)
		net4_setopt(fd, SOL_SOCKET, SO_SNDBUF, NET4_SNDBUF);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		r = -errno;
		LOG_E(d, "cannot bind UDP port %d over IPv4: %s", BABEL_PORT,
		      strerror(-r));
		goto fail;
	}
	if ((r = uv_poll_init(d->loop, &d->udp4_poll, fd)) < 0)
		goto fail;
	d->udp4_fd = fd;
	d->udp4_open = true;
	d->udp4_poll.data = d;
	uv_poll_start(&d->udp4_poll, UV_READABLE, net4_on_readable);
	LOG_I(d, "Babel over IPv4: UDP port %d open", BABEL_PORT);
	return 0;
fail:
	close(fd);
	return r;
}

void net4_close(struct daemon *d)
{
	if (!d->udp4_open)
		return;
	uv_close((uv_handle_t *)&d->udp4_poll, NULL);
	close(d->udp4_fd);
	d->udp4_fd = -1;
	d->udp4_open = false;
}

int net_join4(struct daemon *d, struct d_iface *ifc, bool join)
{
	struct ip_mreqn mr = { .imr_ifindex = (int)ifc->ifindex };

	if (join == ifc->joined4)
		return 0;
	if (!d->udp4_open) {
		ifc->joined4 = false;
		return join ? -EBADF : 0;
	}
	memcpy(&mr.imr_multiaddr, net4_mcast, 4);
	if (setsockopt(d->udp4_fd, IPPROTO_IP,
		       join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0) {
		int r = -errno;

		/* Leaving fails harmlessly when the link is already gone. */
		if (join)
			LOG_W(d, "%s: cannot join 224.0.0.111: %s", ifc->name,
			      strerror(-r));
		ifc->joined4 = false;
		return r;
	}
	ifc->joined4 = join;
	return 0;
}

/* dst is an IPv4 address: a peer's or the group 224.0.0.111. */
void net4_send(struct daemon *d, struct d_iface *ifc,
	       const struct babel_addr *dst, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(BABEL_PORT),
	};
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct in_pktinfo pi = { .ipi_ifindex = (int)ifc->ifindex };
	int err;
	struct cmsghdr *c;

	if (!d->udp4_open)
		return;
	memcpy(&to.sin_addr, dst->addr, 4);
	/* The outgoing interface (multicast too: it overrides
	 * IP_MULTICAST_IF) and our address on it as the source. */
	if (ifc->v4.af == BABEL_AF_INET)
		memcpy(&pi.ipi_spec_dst, ifc->v4.addr, 4);
	memset(ctl.b, 0, sizeof(ctl.b));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	for (;;) {
		if (sendmsg(d->udp4_fd, &msg, MSG_DONTWAIT) >= 0) {
			if (ifc->n_send_err_peers || ifc->send_errs)
				peerdiag_send_ok(d, ifc, dst);
			return;
		}
		if (errno == EINTR)
			continue;
		err = errno;
		d->udp_send_errors++;
		LOG_D(d, "%s: sendmsg (IPv4): %s", ifc->name, strerror(err));
		peerdiag_send_failed(d, ifc, dst, err);
		if (err == EADDRNOTAVAIL && pi.ipi_spec_dst.s_addr) {
			/* Our address went away: let the kernel choose. */
			pi.ipi_spec_dst.s_addr = 0;
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			continue;
		}
		return;
	}
}
