/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_icmperr.c — icmperr_parse(): which error-queue entries
 * say "a neighbour's Babel port is unreachable". Constructed messages laid
 * out as the kernel writes them (ipv6_recv_error(), ip_recv_error()), and
 * one real port unreachable from the loopback for each IP version.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/icmperr.h"

/* An error-queue message: the destination, the record with its offender,
 * optionally IPV6_PKTINFO. */
struct fake {
	struct sockaddr_in6 dst;
	struct sockaddr_in dst4;
	/* Aligned for CMSG_FIRSTHDR; not a union with struct cmsghdr, whose
	 * flexible array member ISO C forbids inside another struct. */
	struct {
		_Alignas(struct cmsghdr) char b[512];
	} ctl;
	struct msghdr msg;
};

static void fake6(struct fake *f, const char *dst, uint16_t port,
		  unsigned scope, uint8_t origin, uint8_t type, uint8_t code,
		  const char *offender, unsigned pktinfo_ifindex)
{
	struct sock_extended_err ee = {
		.ee_errno = ECONNREFUSED, .ee_origin = origin,
		.ee_type = type, .ee_code = code,
	};
	struct sockaddr_in6 off = { .sin6_family = AF_INET6 };
	struct cmsghdr *c;

	memset(f, 0, sizeof(*f));
	f->dst.sin6_family = AF_INET6;
	f->dst.sin6_port = htons(port);
	f->dst.sin6_scope_id = scope;
	assert_int_equal(inet_pton(AF_INET6, dst, &f->dst.sin6_addr), 1);
	f->msg.msg_name = &f->dst;
	f->msg.msg_namelen = sizeof(f->dst);
	f->msg.msg_control = f->ctl.b;
	f->msg.msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(off)) +
				(pktinfo_ifindex ? CMSG_SPACE(sizeof(struct in6_pktinfo)) : 0);
	c = CMSG_FIRSTHDR(&f->msg);
	if (pktinfo_ifindex) {
		struct in6_pktinfo pi = { .ipi6_ifindex = pktinfo_ifindex };

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		c = CMSG_NXTHDR(&f->msg, c);
	}
	if (offender)
		assert_int_equal(inet_pton(AF_INET6, offender, &off.sin6_addr), 1);
	else
		off.sin6_family = AF_UNSPEC;	/* SO_EE_ORIGIN_LOCAL: none */
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(off));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &off, sizeof(off));
}

/* The same over IPv4 (ip_recv_error()): IP_PKTINFO comes first when the
 * socket asked for it, then IP_RECVERR with the offender. */
static void fake4(struct fake *f, const char *dst, uint16_t port,
		  uint8_t origin, uint8_t type, uint8_t code,
		  const char *offender, unsigned pktinfo_ifindex)
{
	struct sock_extended_err ee = {
		.ee_errno = ECONNREFUSED, .ee_origin = origin,
		.ee_type = type, .ee_code = code,
	};
	struct sockaddr_in off = { .sin_family = AF_INET };
	struct cmsghdr *c;

	memset(f, 0, sizeof(*f));
	f->dst4.sin_family = AF_INET;
	f->dst4.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, dst, &f->dst4.sin_addr), 1);
	f->msg.msg_name = &f->dst4;
	f->msg.msg_namelen = sizeof(f->dst4);
	f->msg.msg_control = f->ctl.b;
	f->msg.msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(off)) +
				(pktinfo_ifindex ? CMSG_SPACE(sizeof(struct in_pktinfo)) : 0);
	c = CMSG_FIRSTHDR(&f->msg);
	if (pktinfo_ifindex) {
		struct in_pktinfo pi = { .ipi_ifindex = (int)pktinfo_ifindex };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		c = CMSG_NXTHDR(&f->msg, c);
	}
	if (offender)
		assert_int_equal(inet_pton(AF_INET, offender, &off.sin_addr), 1);
	else
		off.sin_family = AF_UNSPEC;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(off));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &off, sizeof(off));
}

static void test_port_unreachable_from_the_neighbour_itself_names_it(void **state)
{
	struct fake f;
	struct icmperr e;
	uint8_t want[16] = { 0xfe, 0x80, [15] = 2 };

	(void)state;
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), 0);
	assert_int_equal(e.ifindex, 7);
	assert_int_equal(e.addr.af, BABEL_AF_INET6);
	assert_memory_equal(e.addr.addr, want, 16);
	assert_int_equal(e.port, 6696);
	assert_int_equal(e.err, ECONNREFUSED);
}

static void test_interface_comes_from_pktinfo_when_the_address_has_no_scope(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake6(&f, "2001:db8::2", 6696, 0, SO_EE_ORIGIN_ICMP6, 1, 4, "2001:db8::2", 9);
	assert_int_equal(icmperr_parse(&f.msg, &e), 0);
	assert_int_equal(e.ifindex, 9);
}

static void test_port_unreachable_sent_by_a_router_on_the_way_is_not_the_neighbour(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::99", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
}

static void test_other_port_or_other_icmp_is_not_a_dead_babel_speaker(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake6(&f, "fe80::2", 53, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* address unreachable (neighbour discovery failed: a dead host,
	 * reported by our own kernel) */
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 3, "fe80::1", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	assert_int_equal(e.type, 1);
	assert_int_equal(e.code, 3);
	/* administratively prohibited (a firewall) */
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 1, "fe80::2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* packet too big */
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 2, 0, "fe80::2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* a local error (no ICMP at all) */
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_LOCAL, 0, 0, NULL, 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
}

static void test_missing_or_truncated_record_is_rejected(void **state)
{
	struct fake f;
	struct icmperr e;
	struct cmsghdr *c;

	(void)state;
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	f.msg.msg_flags = MSG_CTRUNC;
	assert_int_equal(icmperr_parse(&f.msg, &e), -EINVAL);
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	c = CMSG_FIRSTHDR(&f.msg);
	c->cmsg_len = CMSG_LEN(4);	/* shorter than sock_extended_err */
	assert_int_equal(icmperr_parse(&f.msg, &e), -EINVAL);
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	f.msg.msg_controllen = 0;
	assert_int_equal(icmperr_parse(&f.msg, &e), -EINVAL);
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP6, 1, 4, "fe80::2", 0);
	f.msg.msg_namelen = 0;
	assert_int_equal(icmperr_parse(&f.msg, &e), -EINVAL);
}

static void test_ipv4_port_unreachable_with_ip_pktinfo(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 3, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), 0);
	assert_int_equal(e.ifindex, 4);
	assert_int_equal(e.addr.af, BABEL_AF_INET);
	assert_memory_equal(e.addr.addr, "\xc0\x00\x02\x02", 4);
	assert_int_equal(e.port, 6696);
	assert_int_equal(e.err, ECONNREFUSED);
}

/* No IP_PKTINFO (the socket did not ask): the interface is left unknown
 * for the caller, who knows which link's socket it read. */
static void test_ipv4_without_pktinfo_leaves_the_interface_unknown(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 3, "192.0.2.2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), 0);
	assert_int_equal(e.ifindex, 0);
}

static void test_ipv4_port_unreachable_sent_by_a_router_is_not_the_neighbour(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 3, "192.0.2.99", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
}

static void test_ipv4_other_port_or_other_icmp_is_not_a_dead_babel_speaker(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake4(&f, "192.0.2.2", 53, SO_EE_ORIGIN_ICMP, 3, 3, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* host unreachable (ARP failed: a dead host, said by our kernel) */
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 1, "192.0.2.1", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	assert_int_equal(e.type, 3);
	assert_int_equal(e.code, 1);
	/* fragmentation needed, communication administratively prohibited */
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 4, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 3, 13, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* time exceeded */
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 11, 0, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* a local error */
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_LOCAL, 0, 0, NULL, 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	/* ICMPv6's "port unreachable" numbers (1, 4) are not ICMP's */
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP, 1, 4, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
}

/* A record whose origin does not match the destination's family. */
static void test_icmp_origin_for_the_other_family_is_rejected(void **state)
{
	struct fake f;
	struct icmperr e;

	(void)state;
	fake4(&f, "192.0.2.2", 6696, SO_EE_ORIGIN_ICMP6, 1, 4, "192.0.2.2", 4);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
	fake6(&f, "fe80::2", 6696, 7, SO_EE_ORIGIN_ICMP, 3, 3, "fe80::2", 0);
	assert_int_equal(icmperr_parse(&f.msg, &e), -ENOMSG);
}

/* The kernel's own record: a datagram to [::1]:6696, where nothing listens
 * (skipped if something does), read back from the error queue. */
static void test_real_icmpv6_port_unreachable_from_the_loopback_parses(void **state)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int one = 1;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(6696),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 dst;
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	uint8_t data[64], pkt[6] = { 42, 2, 0, 2, 1, 0 };
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_name = &dst, .msg_namelen = sizeof(dst),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct pollfd p = { .events = POLLERR };
	struct icmperr e;
	int probe;

	(void)state;
	assert_true(fd >= 0);
	/* Is the port free? Then nothing answers but the kernel. */
	probe = socket(AF_INET6, SOCK_DGRAM, 0);
	if (bind(probe, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(probe);
		close(fd);
		skip();
	}
	close(probe);
	assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)), 0);
	assert_int_equal(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(pkt));
	p.fd = fd;
	assert_int_equal(poll(&p, 1, 2000), 1);	/* the kernel's own answer */
	assert_true(p.revents & POLLERR);
	assert_true(recvmsg(fd, &msg, MSG_ERRQUEUE) >= 0);
	assert_int_equal(icmperr_parse(&msg, &e), 0);
	assert_int_equal(e.origin, SO_EE_ORIGIN_ICMP6);
	assert_int_equal(e.port, 6696);
	assert_int_equal(e.addr.af, BABEL_AF_INET6);
	assert_memory_equal(e.addr.addr, in6addr_loopback.s6_addr, 16);
	/* Drained: no POLLERR any more, and the pending error is gone too. */
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 0);
	close(fd);
}

/* The same over IPv4: 127.0.0.1:6696, IP_RECVERR and IP_PKTINFO as
 * daemon/net.c sets them; the loopback's index comes back. */
static void test_real_icmp_port_unreachable_from_127_0_0_1_parses(void **state)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int one = 1;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6696),
				  .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
	struct sockaddr_in dst;
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	uint8_t data[64], pkt[6] = { 42, 2, 0, 2, 1, 0 };
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_name = &dst, .msg_namelen = sizeof(dst),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct pollfd p = { .events = POLLERR };
	struct icmperr e;
	int probe;

	(void)state;
	assert_true(fd >= 0);
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(probe, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(probe);
		close(fd);
		skip();
	}
	close(probe);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
	assert_int_equal(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(pkt));
	p.fd = fd;
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_true(p.revents & POLLERR);
	assert_true(recvmsg(fd, &msg, MSG_ERRQUEUE) >= 0);
	assert_int_equal(icmperr_parse(&msg, &e), 0);
	assert_int_equal(e.origin, SO_EE_ORIGIN_ICMP);
	assert_int_equal(e.port, 6696);
	assert_int_equal(e.ifindex, if_nametoindex("lo"));
	assert_int_equal(e.addr.af, BABEL_AF_INET);
	assert_memory_equal(e.addr.addr, "\x7f\x00\x00\x01", 4);
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_unreachable_from_the_neighbour_itself_names_it),
		cmocka_unit_test(test_interface_comes_from_pktinfo_when_the_address_has_no_scope),
		cmocka_unit_test(test_port_unreachable_sent_by_a_router_on_the_way_is_not_the_neighbour),
		cmocka_unit_test(test_other_port_or_other_icmp_is_not_a_dead_babel_speaker),
		cmocka_unit_test(test_missing_or_truncated_record_is_rejected),
		cmocka_unit_test(test_ipv4_port_unreachable_with_ip_pktinfo),
		cmocka_unit_test(test_ipv4_without_pktinfo_leaves_the_interface_unknown),
		cmocka_unit_test(test_ipv4_port_unreachable_sent_by_a_router_is_not_the_neighbour),
		cmocka_unit_test(test_ipv4_other_port_or_other_icmp_is_not_a_dead_babel_speaker),
		cmocka_unit_test(test_icmp_origin_for_the_other_family_is_rejected),
		cmocka_unit_test(test_real_icmpv6_port_unreachable_from_the_loopback_parses),
		cmocka_unit_test(test_real_icmp_port_unreachable_from_127_0_0_1_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
