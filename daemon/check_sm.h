/* SPDX-License-Identifier: MIT */
/*
 * daemon/check_sm.h — the decisions of a health check, without I/O or a
 * clock (daemon/check.c runs the probes and feeds the results in):
 *
 *  - the state machine, as ExaBGP's healthcheck: the first result decides
 *    between up and down; then "fall" failures in a row take an up check
 *    down and "rise" successes in a row take a down check up;
 *  - the interval: "fast-interval" while the state is changing (at start
 *    and while a run of results disagrees with the state), else "interval";
 *  - the gate: what an announcement becomes for a check state and a drain.
 */
#ifndef WGB_DAEMON_CHECK_SM_H
#define WGB_DAEMON_CHECK_SM_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"

enum check_state {
	CHECK_INIT = 0,		/* no result yet: gated as down */
	CHECK_UP,
	CHECK_DOWN,
};

struct check_sm {
	enum check_state state;
	unsigned run;		/* results in a row against the state */
	uint64_t n_ok, n_fail;
	uint64_t changed_us;	/* when the state last changed */
};

void check_sm_init(struct check_sm *sm);
/* One probe's result at NOW_US; true when the state changed. */
bool check_sm_result(struct check_sm *sm, const struct cfg_check *c, bool ok,
		     uint64_t now_us);
/* When the next probe starts, for a probe that started at START_US. */
uint64_t check_sm_next_us(const struct check_sm *sm, const struct cfg_check *c,
			  uint64_t start_us);
const char *check_state_name(enum check_state s);

/*
 * A drained announcement is first kept with this much more metric, so
 * that every router moves to another origin while ours is still there to
 * fall back on, then withdrawn after drain-delay. More than the engine's
 * switch threshold (128): routers switch at once, no smoothing wait.
 */
#define CHECK_DRAIN_METRIC 0x4000
/* Raised metrics stop here, below infinity (0xFFFF), so that the route
 * stays finite for a path of many hops after it. */
#define CHECK_METRIC_CEIL 0xEFFF

enum check_drain {
	CHECK_UNDRAINED = 0,
	CHECK_DRAINING,		/* raised metric, until drain-delay ends */
	CHECK_DRAINED,		/* withdrawn */
};

/*
 * The announcement of a prefix with base METRIC: true and *out = the
 * metric to announce, or false to withdraw it. C is NULL or a check of
 * kind NONE when the prefix has no check.
 */
bool check_gate(uint16_t metric, const struct cfg_check *c,
		enum check_state st, enum check_drain drain, uint16_t *out);

/*
 * HTTP (RFC 9112): the request of "check http" into BUF (its length, or
 * -1 when it does not fit), and the status of a response's first bytes:
 * the code, 0 while the status line is incomplete, -1 when BUF is not an
 * HTTP/1.x status line.
 */
int check_http_request(const struct cfg_check *c, char *buf, size_t len);
int check_http_status(const char *buf, size_t len);

/*
 * ICMP echo (RFC 792, RFC 4443 §4): an echo request with ID and SEQ into
 * BUF (its length), and whether a received datagram is the reply to it.
 * V6: ICMPv6; HAS_IPHDR: the datagram starts with an IPv4 header (a raw
 * IPv4 socket). The IPv4 checksum is filled in; for ICMPv6 the kernel
 * computes it (RFC 3542 §3.1).
 */
size_t check_icmp_echo(bool v6, uint16_t id, uint16_t seq, uint8_t *buf,
		       size_t len);
bool check_icmp_is_reply(bool v6, bool has_iphdr, uint16_t id, bool match_id,
			 uint16_t seq, const uint8_t *buf, size_t len);

#endif
