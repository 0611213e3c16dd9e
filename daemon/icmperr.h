/* SPDX-License-Identifier: MIT */
/*
 * daemon/icmperr.h — reading one entry of a UDP socket's error queue
 * (IPV6_RECVERR / IP_RECVERR, ip(7), ipv6(7)): is it an ICMP "port
 * unreachable" that a Babel neighbour's own kernel sent back for a datagram
 * we sent to its Babel port, and which neighbour (interface, address)?
 *
 * Pure: no socket calls, so the decision is unit-tested on constructed
 * messages (tests/daemon/test_icmperr.c).
 */
#ifndef WGB_DAEMON_ICMPERR_H
#define WGB_DAEMON_ICMPERR_H

#include <stdint.h>
#include <sys/socket.h>

#include "proto/wire.h"

struct icmperr {
	unsigned ifindex;		/* where the ICMP arrived, 0: unknown */
	struct babel_addr addr;		/* the datagram's destination */
	uint16_t port;			/* its destination port */
	uint8_t origin;			/* SO_EE_ORIGIN_* */
	uint8_t type, code;		/* ICMP(v6) type and code */
	int err;			/* ee_errno */
};

/*
 * Parses a message read with recvmsg(MSG_ERRQUEUE) (msg_name = the original
 * destination, a cmsg IPV6_RECVERR or IP_RECVERR, optionally IPV6_PKTINFO /
 * IP_PKTINFO) into *out. Returns:
 *   0        a port unreachable from the destination itself for port
 *            BABEL_PORT: nothing listens there any more;
 *   -ENOMSG  a well-formed error of another kind (other ICMP, a local
 *            error, another port, sent by a router on the way); *out is
 *            filled as far as known;
 *   -EINVAL  no error record, a truncated one, or no destination.
 */
int icmperr_parse(const struct msghdr *msg, struct icmperr *out);

#endif
