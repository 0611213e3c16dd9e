/* SPDX-License-Identifier: MIT */
/*
 * proto/rules.h — the arithmetic rules of RFC 8966 and RFC 9616, one small
 * named function each: seqno comparison, metric addition, the feasibility
 * condition, hello histories and link costs, RTT cost, metric smoothing.
 */
#ifndef WGB_PROTO_RULES_H
#define WGB_PROTO_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* §3.2.1: seqnos are compared modulo 2^16; a < b iff 0 < (b - a) mod 2^16 < 32768. */
bool babel_seqno_lt(uint16_t a, uint16_t b);
static inline bool babel_seqno_le(uint16_t a, uint16_t b)
{
	return a == b || babel_seqno_lt(a, b);
}
static inline uint16_t babel_seqno_plus(uint16_t a, uint16_t n)
{
	return (uint16_t)(a + n);
}

/* §3.5.2 / §2.1: metrics add and saturate at infinity (0xFFFF). */
uint16_t babel_metric_add(uint16_t a, uint16_t b);

/*
 * §3.5.1: an update (seqno, metric) is feasible w.r.t. the source's
 * feasibility distance (fd_seqno, fd_metric) when it is a retraction, or
 * when seqno is newer, or equal with a strictly smaller metric. has_fd false
 * (no source entry) means every update is feasible.
 */
bool babel_feasible(bool has_fd, uint16_t fd_seqno, uint16_t fd_metric,
		    uint16_t seqno, uint16_t metric);

/*
 * §3.5.1: the distance (s, m) is better than (s', m') when s is newer, or
 * equal with a smaller metric. Used to lower a feasibility distance (§3.7.3).
 */
bool babel_distance_better(uint16_t s, uint16_t m, uint16_t s2, uint16_t m2);

/*
 * Appendix A.1: a Hello with seqno arrived; history (bit 15 = newest) and
 * the expected next seqno are updated. A seqno up to 16 behind the expected
 * one is ignored as reordering while one of the last 3 Hellos arrived; any
 * other jump restarts the history (the neighbour restarted): returns true
 * then.
 */
bool babel_hello_history_receive(uint16_t *history, uint16_t *expected,
				 bool *valid, uint16_t seqno);
/* Appendix A.1: a Hello interval passed without a Hello: shift in a 0. */
void babel_hello_history_miss(uint16_t *history, uint16_t *expected);

/*
 * Appendix A.2.1: 2-out-of-3: nominal rxcost when at least 2 of the last 3
 * Hellos arrived, else infinity. span is the number of Hello intervals the
 * history covers (expected seqno - first seqno heard, any value >= 3 for an
 * old history): a history younger than 3 Hellos is judged over the Hellos
 * expected so far, all of which must have arrived (k = min(2, span) of
 * j = min(3, span)), so a new neighbour is usable from its first Hello
 * instead of a Hello interval later. Link cost is a local matter (§3.4.3);
 * BIRD judges a young history over the Hellos expected so far too.
 */
uint16_t babel_rxcost_2of3(uint16_t history, uint16_t span, uint16_t nominal);
/* The span of a history for babel_rxcost_2of3(), capped at 16. */
uint16_t babel_hello_history_span(uint16_t expected, uint16_t first);
/* Appendix A.2.2: ETX: rxcost = 256/beta over the last 16 Hellos. */
uint16_t babel_rxcost_etx(uint16_t history);
/* Appendix A.2.1: link cost from rxcost and txcost (infinite if either is). */
uint16_t babel_link_cost_2of3(uint16_t rxcost, uint16_t txcost);
/* Appendix A.2.2: ETX cost = max(txcost, 256) * rxcost / 256. */
uint16_t babel_link_cost_etx(uint16_t rxcost, uint16_t txcost);

/*
 * RFC 9616 §4.1: the RTT sample from an IHU's echoed timestamps and the
 * timestamp of the Hello sent with it: (now - origin) - (hello_ts - receive),
 * 32-bit wrap-around microseconds. Returns false for a negative sample.
 */
bool babel_rtt_sample(uint32_t now, uint32_t origin, uint32_t receive,
		      uint32_t hello_ts, uint32_t *rtt);
/* RFC 9616 §4.2: exponential smoothing, alpha = 0.836 (babeld's decay 42/256). */
uint32_t babel_rtt_smooth(uint32_t srtt, bool have_srtt, uint32_t sample);
/*
 * The smoothed RTT after one more sample, *nsamples counting the samples
 * since the neighbour (re)appeared. Among the first BABEL_RTT_START_SAMPLES
 * a smaller sample is taken as it is: delays only ever add to a sample,
 * and the first ones after a neighbour's (re)start hold the time our Hello
 * waited in its socket while its daemon started (139.6 ms for a 1 ms link,
 * issue 16), which smoothing alone takes tens of seconds to forget.
 */
#define BABEL_RTT_START_SAMPLES 4
uint32_t babel_rtt_update(uint32_t srtt, uint8_t *nsamples, uint32_t sample);
/* RFC 9616 §4.3: 0 below rtt_min, max_penalty above rtt_max, linear between. */
uint16_t babel_rtt_penalty(uint32_t srtt_us, uint32_t rtt_min_us,
			   uint32_t rtt_max_us, uint16_t max_penalty);

/*
 * §3.6 hysteresis (as babeld): a smoothed metric following metric with an
 * exponential decay of half-life half_life_us over dt_us. Infinity is not
 * smoothed (it takes effect at once).
 */
uint16_t babel_metric_smooth(uint16_t smoothed, uint16_t metric, uint64_t dt_us,
			     uint64_t half_life_us);

#endif
