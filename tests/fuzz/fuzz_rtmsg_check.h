/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_rtmsg_check.h — the invariants of the route-message
 * parser (wgglue/rtmsg.h) that the fuzz_rtmsg target and the corpus-replay
 * unit test both check on one input.
 */
#ifndef WGB_TESTS_FUZZ_RTMSG_CHECK_H
#define WGB_TESTS_FUZZ_RTMSG_CHECK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Input: one datagram as a netlink socket reads it (messages one after
 * another, framed as the daemon frames them, rtmsg_frame_ok). Returns 0
 * when every invariant holds, or -1 with a reason in why:
 *  - rtmsg_parse() answers 0, -EINVAL or -EAFNOSUPPORT, and -EINVAL for a
 *    message that is not RTM_NEWROUTE/RTM_DELROUTE;
 *  - a route it reads is sane: IPv4 or IPv6, prefix lengths within the
 *    address, address bytes past a v4 address zero, a field whose
 *    attribute was absent zero, RTA_VIA of a known family;
 *  - written back as a message (header, struct rtmsg, the attributes it
 *    read) and parsed again it is the same route.
 */
int fuzz_rtmsg_check_input(const uint8_t *data, size_t size, char *why,
			   size_t whylen);

#endif
