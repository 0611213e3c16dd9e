/* SPDX-License-Identifier: MIT */
/* proto/rules.c — see rules.h; each function cites the rule it implements. */
#include <math.h>

#include "proto/rules.h"
#include "proto/wire.h"

bool babel_seqno_lt(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(b - a);

	return d != 0 && d < 0x8000;
}

uint16_t babel_metric_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return s >= BABEL_INFINITY ? BABEL_INFINITY : (uint16_t)s;
}

bool babel_distance_better(uint16_t s, uint16_t m, uint16_t s2, uint16_t m2)
{
	return babel_seqno_lt(s2, s) || (s == s2 && m < m2);
}

bool babel_feasible(bool has_fd, uint16_t fd_seqno, uint16_t fd_metric,
		    uint16_t seqno, uint16_t metric)
{
	if (metric == BABEL_INFINITY || !has_fd)
		return true;
	return babel_distance_better(seqno, metric, fd_seqno, fd_metric);
}

bool babel_hello_history_receive(uint16_t *history, uint16_t *expected,
				 bool *valid, uint16_t seqno)
{
	bool restarted = false;

	if (*valid) {
		uint16_t ahead = (uint16_t)(seqno - *expected);
		uint16_t behind = (uint16_t)(*expected - seqno);

		if (ahead <= 16) {
			/* Hellos expected..seqno-1 were lost. */
			*history = ahead >= 16 ? 0 : (uint16_t)(*history >> ahead);
		} else if (behind <= 16 && (*history & 0xE000)) {
			/* Reordered or duplicated while the link is alive:
			 * already accounted for. */
			return false;
		} else {
			/* Far away: the neighbour restarted. */
			*history = 0;
			restarted = true;
		}
	} else {
		*history = 0;
		*valid = true;
	}
	*history = (uint16_t)((*history >> 1) | 0x8000);
	*expected = (uint16_t)(seqno + 1);
	return restarted;
}

void babel_hello_history_miss(uint16_t *history, uint16_t *expected)
{
	*history >>= 1;
	*expected = (uint16_t)(*expected + 1);
}

static unsigned popcount16(uint16_t x)
{
	unsigned n = 0;

	while (x) {
		x &= (uint16_t)(x - 1);
		n++;
	}
	return n;
}

uint16_t babel_hello_history_span(uint16_t expected, uint16_t first)
{
	uint16_t span = (uint16_t)(expected - first);

	return span > 16 ? 16 : span;
}

uint16_t babel_rxcost_2of3(uint16_t history, uint16_t span, uint16_t nominal)
{
	if (span == 0)
		return BABEL_INFINITY;
	if (span < 3)	/* young: every Hello expected so far arrived */
		return popcount16(history & (uint16_t)(0xFFFF0000u >> span)) == span
			       ? nominal : BABEL_INFINITY;
	return popcount16(history & 0xE000) >= 2 ? nominal : BABEL_INFINITY;
}

uint16_t babel_rxcost_etx(uint16_t history)
{
	unsigned got = popcount16(history);

	if (got == 0)
		return BABEL_INFINITY;
	/* beta = got / 16 */
	return (uint16_t)((256u * 16u) / got);
}

uint16_t babel_link_cost_2of3(uint16_t rxcost, uint16_t txcost)
{
	if (rxcost == BABEL_INFINITY || txcost == BABEL_INFINITY)
		return BABEL_INFINITY;
	return txcost;
}

uint16_t babel_link_cost_etx(uint16_t rxcost, uint16_t txcost)
{
	uint32_t c;

	if (rxcost == BABEL_INFINITY || txcost == BABEL_INFINITY)
		return BABEL_INFINITY;
	c = ((uint32_t)(txcost > 256 ? txcost : 256) * rxcost) / 256;
	return c >= BABEL_INFINITY ? BABEL_INFINITY - 1 : (uint16_t)c;
}

bool babel_rtt_sample(uint32_t now, uint32_t origin, uint32_t receive,
		      uint32_t hello_ts, uint32_t *rtt)
{
	int64_t total = (int32_t)(now - origin);
	int64_t held = (int32_t)(hello_ts - receive);
	int64_t r = total - held;

	if (total < 0 || held < 0 || r < 0)
		return false;
	*rtt = (uint32_t)r;
	return true;
}

uint32_t babel_rtt_smooth(uint32_t srtt, bool have_srtt, uint32_t sample)
{
	if (!have_srtt)
		return sample;
	/* srtt = alpha * srtt + (1 - alpha) * sample, alpha = 214/256 */
	return (uint32_t)(((uint64_t)srtt * 214 + (uint64_t)sample * 42) / 256);
}

uint32_t babel_rtt_update(uint32_t srtt, uint8_t *nsamples, uint32_t sample)
{
	uint8_t n = *nsamples;

	if (n < BABEL_RTT_START_SAMPLES)
		*nsamples = (uint8_t)(n + 1);
	if (n == 0 || (n < BABEL_RTT_START_SAMPLES && sample < srtt))
		return sample;
	return babel_rtt_smooth(srtt, true, sample);
}

uint16_t babel_rtt_penalty(uint32_t srtt_us, uint32_t rtt_min_us,
			   uint32_t rtt_max_us, uint16_t max_penalty)
{
	if (srtt_us <= rtt_min_us)
		return 0;
	if (srtt_us >= rtt_max_us || rtt_max_us <= rtt_min_us)
		return max_penalty;
	return (uint16_t)((uint64_t)max_penalty * (srtt_us - rtt_min_us) /
			  (rtt_max_us - rtt_min_us));
}

uint16_t babel_metric_smooth(uint16_t smoothed, uint16_t metric, uint64_t dt_us,
			     uint64_t half_life_us)
{
	double f, s;

	if (metric == BABEL_INFINITY || smoothed == BABEL_INFINITY ||
	    half_life_us == 0)
		return metric;
	if (dt_us == 0 || smoothed == metric)
		return smoothed;
	f = exp2(-(double)dt_us / (double)half_life_us);
	s = metric + ((double)smoothed - metric) * f;
	/* round towards the target so that it is eventually reached */
	if (smoothed > metric)
		s = floor(s);
	else
		s = ceil(s);
	return (uint16_t)s;
}
