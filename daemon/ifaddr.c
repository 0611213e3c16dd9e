/* SPDX-License-Identifier: MIT */
/*
 * daemon/ifaddr.c — our addresses on one link, read over rtnetlink
 * (RTM_GETADDR, libmnl) on one long-lived socket.
 *
 * getifaddrs(3) hides what the choice of our link-local needs
 * (daemon/lladdr.h): the address flags beyond 8 bits (IFA_FLAGS, e.g.
 * IFA_F_STABLE_PRIVACY) and who made the address (IFA_PROTO, Linux >= 6.0).
 * The socket asks the kernel to filter by interface (NETLINK_GET_STRICT_CHK,
 * Linux >= 4.20); the answers are filtered here too, for older kernels.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef IFA_PROTO		/* uapi headers before Linux 5.18 */
#define IFA_PROTO 11
#endif
#define IFADDR_ATTR_MAX (IFA_PROTO > IFA_MAX ? IFA_PROTO : IFA_MAX)
/* MNL_SOCKET_DUMP_SIZE of newer libmnl: what the kernel fills per read. */
#define IFADDR_BUF 32768

struct ifaddr_walk {
	unsigned ifindex;
	struct ifaddr_set *out;
};

static int ifaddr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= IFADDR_ATTR_MAX)
		tb[t] = a;
	return MNL_CB_OK;
}

static int ifaddr_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifaddr_walk *w = data;
	const struct ifaddrmsg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFADDR_ATTR_MAX + 1] = { 0 };
	const struct nlattr *a;
	struct ifaddr_set *s = w->out;
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) ||
	    m->ifa_index != w->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*m), ifaddr_attr_cb, tb);
	/* IFA_LOCAL is ours on a point-to-point address, IFA_ADDRESS the
	 * peer's; without a peer only IFA_ADDRESS is there (if_addr.h). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	len = m->ifa_family == AF_INET6 ? 16 : m->ifa_family == AF_INET ? 4 : 0;
	if (!a || !len || mnl_attr_get_payload_len(a) != len)
		return MNL_CB_OK;
	if (m->ifa_family == AF_INET) {
		if (s->v4.af == BABEL_AF_NONE) {
			s->v4.af = BABEL_AF_INET;
			memcpy(s->v4.addr, mnl_attr_get_payload(a), 4);
		}
		return MNL_CB_OK;
	}
	if (s->n_v6 == IFADDR_MAX_V6) {
		s->truncated = true;
		return MNL_CB_OK;
	}
	struct ll_cand *c = &s->v6[s->n_v6++];

	memset(c, 0, sizeof(*c));
	memcpy(c->addr, mnl_attr_get_payload(a), 16);
	c->flags = m->ifa_flags;
	if (tb[IFA_FLAGS] && mnl_attr_get_payload_len(tb[IFA_FLAGS]) == 4)
		c->flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	if (tb[IFA_PROTO] && mnl_attr_get_payload_len(tb[IFA_PROTO]) == 1)
		c->proto = mnl_attr_get_u8(tb[IFA_PROTO]);
	return MNL_CB_OK;
}

static int ifaddr_open(struct daemon *d)
{
	int one = 1;

	if (d->addr_nl)
		return 0;
	d->addr_nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!d->addr_nl)
		return -errno;
	if (mnl_socket_bind(d->addr_nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		mnl_socket_close(d->addr_nl);
		d->addr_nl = NULL;
		return r;
	}
	/* Best effort: without it the kernel sends every link's addresses. */
	mnl_socket_setsockopt(d->addr_nl, NETLINK_GET_STRICT_CHK, &one,
			      sizeof(one));
	return 0;
}

void ifaddr_close(struct daemon *d)
{
	if (d->addr_nl)
		mnl_socket_close(d->addr_nl);
	d->addr_nl = NULL;
}

int ifaddr_read(struct daemon *d, unsigned ifindex, struct ifaddr_set *out)
{
	_Alignas(struct nlmsghdr) char buf[IFADDR_BUF];
	struct ifaddr_walk w = { .ifindex = ifindex, .out = out };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *m;
	unsigned portid;
	ssize_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = ifaddr_open(d)) < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->addr_seq;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->ifa_family = AF_UNSPEC;
	m->ifa_index = ifindex;
	portid = mnl_socket_get_portid(d->addr_nl);
	if (mnl_socket_sendto(d->addr_nl, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	while ((n = mnl_socket_recvfrom(d->addr_nl, buf, sizeof(buf))) > 0) {
		r = mnl_cb_run(buf, (size_t)n, d->addr_seq, portid,
			       ifaddr_msg_cb, &w);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0)
			goto fail;
	}
	errno = n < 0 ? errno : EIO;
fail:
	/* The rest of a broken dump must not answer the next request. */
	r = errno ? -errno : -EIO;
	ifaddr_close(d);
	return r;
}
