/* SPDX-License-Identifier: MIT */
/* daemon/check_sm.c — see check_sm.h. */
#include "daemon/check_sm.h"

#include <stdio.h>
#include <string.h>

void check_sm_init(struct check_sm *sm)
{
	memset(sm, 0, sizeof(*sm));
}

bool check_sm_result(struct check_sm *sm, const struct cfg_check *c, bool ok,
		     uint64_t now_us)
{
	enum check_state old = sm->state;

	if (ok)
		sm->n_ok++;
	else
		sm->n_fail++;
	switch (sm->state) {
	case CHECK_INIT:
		sm->state = ok ? CHECK_UP : CHECK_DOWN;
		sm->run = 0;
		break;
	case CHECK_UP:
		sm->run = ok ? 0 : sm->run + 1;
		if (sm->run >= c->fall) {
			sm->state = CHECK_DOWN;
			sm->run = 0;
		}
		break;
	case CHECK_DOWN:
		sm->run = ok ? sm->run + 1 : 0;
		if (sm->run >= c->rise) {
			sm->state = CHECK_UP;
			sm->run = 0;
		}
		break;
	}
	if (sm->state == old)
		return false;
	sm->changed_us = now_us;
	return true;
}

uint64_t check_sm_next_us(const struct check_sm *sm, const struct cfg_check *c,
			  uint64_t start_us)
{
	bool changing = sm->state == CHECK_INIT || sm->run > 0;

	return start_us + 1000ull * (changing ? c->fast_interval_ms :
				     c->interval_ms);
}

const char *check_state_name(enum check_state s)
{
	switch (s) {
	case CHECK_UP: return "up";
	case CHECK_DOWN: return "down";
	case CHECK_INIT: break;
	}
	return "init";
}

static uint16_t metric_add(uint16_t m, uint32_t add)
{
	uint32_t r = (uint32_t)m + add;

	if (m >= CHECK_METRIC_CEIL)
		return m;	/* configured that high: left alone */
	return (uint16_t)(r > CHECK_METRIC_CEIL ? CHECK_METRIC_CEIL : r);
}

bool check_gate(uint16_t metric, const struct cfg_check *c,
		enum check_state st, enum check_drain drain, uint16_t *out)
{
	bool checked = c && c->kind != CFG_CHECK_NONE;

	if (drain == CHECK_DRAINED)
		return false;
	/* No result yet counts as down: a check that has not passed does
	 * not attract traffic (or only as a last resort). */
	if (checked && st != CHECK_UP) {
		if (c->down == CFG_CHECK_DOWN_WITHDRAW)
			return false;
		metric = metric_add(metric, c->down_metric);
	}
	if (drain == CHECK_DRAINING)
		metric = metric_add(metric, CHECK_DRAIN_METRIC);
	*out = metric;
	return true;
}

int check_http_request(const struct cfg_check *c, char *buf, size_t len)
{
	/* HTTP/1.0 and "Connection: close": one response, then the end. */
	int n = snprintf(buf, len, "GET %s HTTP/1.0\r\nHost: %s\r\n"
			 "User-Agent: wgbabeld-check\r\nConnection: close\r\n"
			 "\r\n", c->path, c->host);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason] */
int check_http_status(const char *buf, size_t len)
{
	static const char v[] = "HTTP/1.";
	size_t n = len < 12 ? len : 12;
	int code = 0;

	if (memcmp(buf, v, n < sizeof(v) - 1 ? n : sizeof(v) - 1))
		return -1;
	if (len < 12)
		return 0;
	if (buf[7] < '0' || buf[7] > '9' || buf[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		code = code * 10 + (buf[i] - '0');
	}
	if (code < 100)
		return -1;
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r')
		return -1;
	return code;
}

static uint16_t icmp_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t check_icmp_echo(bool v6, uint16_t id, uint16_t seq, uint8_t *buf,
		       size_t len)
{
	static const char payload[] = "wgbabeld-check";
	size_t n = 8 + sizeof(payload) - 1;
	uint16_t cs;

	if (len < n)
		return 0;
	buf[0] = v6 ? 128 : 8;	/* echo request */
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	memcpy(buf + 8, payload, sizeof(payload) - 1);
	if (!v6) {
		cs = icmp_csum(buf, n);
		buf[2] = (uint8_t)(cs >> 8);
		buf[3] = (uint8_t)cs;
	}
	return n;
}

bool check_icmp_is_reply(bool v6, bool has_iphdr, uint16_t id, bool match_id,
			 uint16_t seq, const uint8_t *buf, size_t len)
{
	if (has_iphdr) {
		size_t ihl;

		if (len < 20 || (buf[0] >> 4) != 4)
			return false;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if (ihl < 20 || len < ihl)
			return false;
		buf += ihl;
		len -= ihl;
	}
	if (len < 8 || buf[0] != (v6 ? 129 : 0) || buf[1] != 0)
		return false;
	if (match_id && (uint16_t)(buf[4] << 8 | buf[5]) != id)
		return false;
	return (uint16_t)(buf[6] << 8 | buf[7]) == seq;
}
