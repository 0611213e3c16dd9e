/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_check.c — health checks without a loop: the rise/fall
 * state machine and its intervals (time is a parameter), the gate that
 * turns a check state and a drain into an announcement, the HTTP and ICMP
 * wire bits, and the "announce ... check" options with their errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/check_sm.h"
#include "daemon/config.h"

static struct cfg_check chk(uint16_t rise, uint16_t fall)
{
	struct cfg_check c;

	memset(&c, 0, sizeof(c));
	c.kind = CFG_CHECK_TCP;
	c.rise = rise;
	c.fall = fall;
	c.interval_ms = 2000;
	c.fast_interval_ms = 500;
	return c;
}

/* ---------------------------------------------------- state machine */

static void test_first_result_decides_between_up_and_down(void **state)
{
	struct cfg_check c = chk(3, 2);
	struct check_sm a, b;

	(void)state;
	check_sm_init(&a);
	check_sm_init(&b);
	assert_int_equal(a.state, CHECK_INIT);
	assert_true(check_sm_result(&a, &c, true, 100));
	assert_int_equal(a.state, CHECK_UP);
	assert_int_equal(a.changed_us, 100);
	assert_true(check_sm_result(&b, &c, false, 100));
	assert_int_equal(b.state, CHECK_DOWN);
}

static void test_up_goes_down_after_fall_failures_in_a_row(void **state)
{
	struct cfg_check c = chk(3, 2);
	struct check_sm sm;

	(void)state;
	check_sm_init(&sm);
	check_sm_result(&sm, &c, true, 0);
	assert_false(check_sm_result(&sm, &c, false, 1));
	assert_int_equal(sm.run, 1);
	/* a success in between starts the count again */
	assert_false(check_sm_result(&sm, &c, true, 2));
	assert_int_equal(sm.run, 0);
	assert_false(check_sm_result(&sm, &c, false, 3));
	assert_true(check_sm_result(&sm, &c, false, 4));
	assert_int_equal(sm.state, CHECK_DOWN);
	assert_int_equal(sm.run, 0);
	assert_int_equal(sm.changed_us, 4);
	assert_int_equal(sm.n_ok, 2);
	assert_int_equal(sm.n_fail, 3);
}

static void test_down_goes_up_after_rise_successes_in_a_row(void **state)
{
	struct cfg_check c = chk(3, 2);
	struct check_sm sm;

	(void)state;
	check_sm_init(&sm);
	check_sm_result(&sm, &c, false, 0);
	assert_false(check_sm_result(&sm, &c, true, 1));
	assert_false(check_sm_result(&sm, &c, true, 2));
	assert_false(check_sm_result(&sm, &c, false, 3));
	assert_int_equal(sm.run, 0);
	assert_false(check_sm_result(&sm, &c, true, 4));
	assert_false(check_sm_result(&sm, &c, true, 5));
	assert_true(check_sm_result(&sm, &c, true, 6));
	assert_int_equal(sm.state, CHECK_UP);
}

static void test_fast_interval_while_the_state_is_changing(void **state)
{
	struct cfg_check c = chk(2, 2);
	struct check_sm sm;

	(void)state;
	check_sm_init(&sm);
	/* no result yet: fast */
	assert_int_equal(check_sm_next_us(&sm, &c, 1000000), 1500000);
	check_sm_result(&sm, &c, true, 0);
	/* settled up: the normal interval */
	assert_int_equal(check_sm_next_us(&sm, &c, 1000000), 3000000);
	check_sm_result(&sm, &c, false, 0);
	/* one failure of two: fast, to decide sooner */
	assert_int_equal(check_sm_next_us(&sm, &c, 1000000), 1500000);
	check_sm_result(&sm, &c, false, 0);
	assert_int_equal(sm.state, CHECK_DOWN);
	assert_int_equal(check_sm_next_us(&sm, &c, 1000000), 3000000);
	check_sm_result(&sm, &c, true, 0);
	assert_int_equal(check_sm_next_us(&sm, &c, 1000000), 1500000);
}

/* ------------------------------------------------------------ gate */

static void test_gate_withdraws_a_check_that_is_not_up(void **state)
{
	struct cfg_check c = chk(1, 1);
	uint16_t m = 0;

	(void)state;
	assert_false(check_gate(10, &c, CHECK_INIT, CHECK_UNDRAINED, &m));
	assert_false(check_gate(10, &c, CHECK_DOWN, CHECK_UNDRAINED, &m));
	assert_true(check_gate(10, &c, CHECK_UP, CHECK_UNDRAINED, &m));
	assert_int_equal(m, 10);
}

static void test_gate_down_metric_keeps_a_last_resort(void **state)
{
	struct cfg_check c = chk(1, 1);
	uint16_t m = 0;

	(void)state;
	c.down = CFG_CHECK_DOWN_METRIC;
	c.down_metric = 1000;
	assert_true(check_gate(10, &c, CHECK_DOWN, CHECK_UNDRAINED, &m));
	assert_int_equal(m, 1010);
	assert_true(check_gate(10, &c, CHECK_INIT, CHECK_UNDRAINED, &m));
	assert_int_equal(m, 1010);
	/* saturates below infinity */
	c.down_metric = 65534;
	assert_true(check_gate(10, &c, CHECK_DOWN, CHECK_UNDRAINED, &m));
	assert_int_equal(m, CHECK_METRIC_CEIL);
}

static void test_gate_drain_raises_the_metric_then_withdraws(void **state)
{
	uint16_t m = 0;

	(void)state;
	/* no check at all */
	assert_true(check_gate(96, NULL, CHECK_INIT, CHECK_UNDRAINED, &m));
	assert_int_equal(m, 96);
	assert_true(check_gate(96, NULL, CHECK_INIT, CHECK_DRAINING, &m));
	assert_int_equal(m, 96 + CHECK_DRAIN_METRIC);
	assert_false(check_gate(96, NULL, CHECK_INIT, CHECK_DRAINED, &m));
	/* above the ceiling already: left as configured */
	assert_true(check_gate(0xF000, NULL, CHECK_INIT, CHECK_DRAINING, &m));
	assert_int_equal(m, 0xF000);
}

/* ------------------------------------------------------ http, icmp */

static void test_http_status_line(void **state)
{
	(void)state;
	assert_int_equal(check_http_status("HTTP/1.1 200 OK\r\n", 17), 200);
	assert_int_equal(check_http_status("HTTP/1.0 503\r\n", 14), 503);
	assert_int_equal(check_http_status("HTTP/1.1 204", 12), 204);
	assert_int_equal(check_http_status("HTTP/1.1 20", 11), 0);
	assert_int_equal(check_http_status("HTT", 3), 0);
	assert_int_equal(check_http_status("SSH-2.0-OpenSSH", 15), -1);
	assert_int_equal(check_http_status("HTTP/1.1 2x0 OK", 15), -1);
	assert_int_equal(check_http_status("HTTP/1.1 2000 OK", 16), -1);
	assert_int_equal(check_http_status("HTTP/2 200 OK\r\n", 15), -1);
}

static void test_http_request_is_bounded(void **state)
{
	struct cfg_check c = chk(1, 1);
	char buf[256], small[16];

	(void)state;
	strcpy(c.host, "192.0.2.1:8080");
	strcpy(c.path, "/health");
	assert_true(check_http_request(&c, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "GET /health HTTP/1.0\r\nHost: "
			       "192.0.2.1:8080\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\n"));
	assert_int_equal(check_http_request(&c, small, sizeof(small)), -1);
}

static void test_icmp_echo_and_its_reply(void **state)
{
	uint8_t pkt[64], reply[84];
	size_t n;

	(void)state;
	n = check_icmp_echo(false, 0x1234, 7, pkt, sizeof(pkt));
	assert_true(n >= 8);
	assert_int_equal(pkt[0], 8);
	/* the checksum of a correct packet sums to 0xffff */
	{
		uint32_t s = 0;

		for (size_t i = 0; i + 1 < n; i += 2)
			s += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
		if (n & 1)
			s += (uint32_t)pkt[n - 1] << 8;
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		assert_int_equal(s, 0xffff);
	}
	/* the reply from a raw IPv4 socket: an IP header first */
	memset(reply, 0, sizeof(reply));
	reply[0] = 0x45;
	memcpy(reply + 20, pkt, n);
	reply[20] = 0;	/* echo reply */
	assert_true(check_icmp_is_reply(false, true, 0x1234, true, 7, reply,
					20 + n));
	assert_false(check_icmp_is_reply(false, true, 0x1234, true, 8, reply,
					 20 + n));
	assert_false(check_icmp_is_reply(false, true, 0x4321, true, 7, reply,
					 20 + n));
	/* a ping socket: no header, the kernel owns the identifier */
	assert_true(check_icmp_is_reply(false, false, 0x4321, false, 7,
					reply + 20, n));
	/* an echo request is no reply; truncated is no reply */
	assert_false(check_icmp_is_reply(false, false, 0, false, 7, pkt, n));
	assert_false(check_icmp_is_reply(false, true, 0x1234, true, 7, reply,
					 24));
	n = check_icmp_echo(true, 1, 2, pkt, sizeof(pkt));
	assert_int_equal(pkt[0], 128);
	pkt[0] = 129;
	assert_true(check_icmp_is_reply(true, false, 1, true, 2, pkt, n));
	assert_int_equal(check_icmp_echo(false, 1, 1, pkt, 8), 0);
}

/* ---------------------------------------------------------- config */

static struct cfg *parse_ok(const char *text)
{
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX] = "";

	if (cfg_parse_string(text, "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	return c;
}

static void expect_error(const char *text, const char *message)
{
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX] = "";

	if (cfg_parse_string(text, "t.conf", &c, err, sizeof(err)) == 0)
		fail_msg("'%s' parsed, expected '%s'", text, message);
	assert_null(c);
	assert_string_equal(err, message);
}

static void test_announce_without_check_has_documented_defaults(void **state)
{
	struct cfg *c = parse_ok("announce 10.0.0.0/8 metric 5\n");

	(void)state;
	assert_int_equal(c->announces[0].check.kind, CFG_CHECK_NONE);
	assert_int_equal(c->announces[0].drain_delay_ms, 10000);
	assert_string_equal(c->announces[0].drain_file, "");
	cfg_free(c);
}

static void test_announce_icmp_check_with_every_option(void **state)
{
	struct cfg *c = parse_ok(
		"announce 0.0.0.0/0 check icmp 192.0.2.1 interval 2 "
		"fast-interval 0.5 rise 3 fall 2 timeout 1 bind eth0 "
		"fwmark 0x42 down metric 1000 drain-file /run/drain "
		"drain-delay 3 metric 7\n");
	const struct cfg_announce *a = &c->announces[0];

	(void)state;
	assert_int_equal(a->metric, 7);
	assert_int_equal(a->check.kind, CFG_CHECK_ICMP);
	assert_int_equal(a->check.addr.af, BABEL_AF_INET);
	assert_memory_equal(a->check.addr.addr, "\xc0\x00\x02\x01", 4);
	assert_int_equal(a->check.interval_ms, 2000);
	assert_int_equal(a->check.fast_interval_ms, 500);
	assert_int_equal(a->check.rise, 3);
	assert_int_equal(a->check.fall, 2);
	assert_int_equal(a->check.timeout_ms, 1000);
	assert_string_equal(a->check.bind, "eth0");
	assert_int_equal(a->check.fwmark, 0x42);
	assert_int_equal(a->check.down, CFG_CHECK_DOWN_METRIC);
	assert_int_equal(a->check.down_metric, 1000);
	assert_string_equal(a->drain_file, "/run/drain");
	assert_int_equal(a->drain_delay_ms, 3000);
	cfg_free(c);
}

static void test_announce_check_defaults(void **state)
{
	struct cfg *c = parse_ok("announce 2001:db8::/32 check tcp "
				 "[2001:db8::1]:443\n");
	const struct cfg_announce *a = &c->announces[0];

	(void)state;
	assert_int_equal(a->check.kind, CFG_CHECK_TCP);
	assert_int_equal(a->check.addr.af, BABEL_AF_INET6);
	assert_int_equal(a->check.port, 443);
	assert_int_equal(a->check.interval_ms, 5000);
	assert_int_equal(a->check.fast_interval_ms, 1000);
	assert_int_equal(a->check.timeout_ms, 2000);
	assert_int_equal(a->check.rise, 3);
	assert_int_equal(a->check.fall, 3);
	assert_int_equal(a->check.down, CFG_CHECK_DOWN_WITHDRAW);
	cfg_free(c);
}

static void test_announce_http_and_exec_checks(void **state)
{
	struct cfg *c = parse_ok(
		"announce 10.1.0.0/16 check http http://192.0.2.9:8080/health "
		"expect 204\n"
		"announce 10.2.0.0/16 check http http://[2001:db8::9]\n"
		"announce 10.3.0.0/16 check exec \"curl -sf http://x/ >/dev/null\" "
		"down withdraw\n"
		"announce 10.4.0.0/16 on-change \"logger $WGB_CHECK_EVENT\"\n");

	(void)state;
	assert_int_equal(c->announces[0].check.kind, CFG_CHECK_HTTP);
	assert_int_equal(c->announces[0].check.port, 8080);
	assert_string_equal(c->announces[0].check.host, "192.0.2.9:8080");
	assert_string_equal(c->announces[0].check.path, "/health");
	assert_int_equal(c->announces[0].check.expect, 204);
	assert_int_equal(c->announces[1].check.port, 80);
	assert_string_equal(c->announces[1].check.host, "[2001:db8::9]");
	assert_string_equal(c->announces[1].check.path, "/");
	assert_int_equal(c->announces[1].check.expect, 200);
	assert_int_equal(c->announces[2].check.kind, CFG_CHECK_EXEC);
	assert_string_equal(c->announces[2].check.cmd,
			    "curl -sf http://x/ >/dev/null");
	/* on-change without a check: drains run it */
	assert_int_equal(c->announces[3].check.kind, CFG_CHECK_NONE);
	assert_string_equal(c->announces[3].on_change, "logger $WGB_CHECK_EVENT");
	cfg_free(c);
}

static void test_bad_check_options_are_clear_errors(void **state)
{
	(void)state;
	expect_error("announce 10.0.0.0/8 check ping 1.2.3.4\n",
		     "t.conf:1: check: unknown kind 'ping' (expected icmp, tcp, "
		     "http or exec)");
	expect_error("announce 10.0.0.0/8 check icmp\n",
		     "t.conf:1: check icmp needs an address");
	expect_error("announce 10.0.0.0/8 check icmp gateway.example\n",
		     "t.conf:1: check icmp: 'gateway.example' is not an IPv4 or "
		     "IPv6 address");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1\n",
		     "t.conf:1: check tcp: '192.0.2.1': expected ADDRESS:PORT or "
		     "[IPV6-ADDRESS]:PORT");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:70000\n",
		     "t.conf:1: check tcp: '192.0.2.1:70000': expected "
		     "ADDRESS:PORT or [IPV6-ADDRESS]:PORT");
	expect_error("announce 10.0.0.0/8 check http https://192.0.2.1/\n",
		     "t.conf:1: check http: 'https://192.0.2.1/' is not an "
		     "http:// URL (https is not supported)");
	expect_error("announce 10.0.0.0/8 check http http://example.org/\n",
		     "t.conf:1: check http: 'http://example.org/': expected "
		     "http://ADDRESS[:PORT]/PATH with a numeric address");
	expect_error("announce 10.0.0.0/8 check exec \"\"\n",
		     "t.conf:1: check exec: empty command");
	expect_error("announce 10.0.0.0/8 rise 3\n",
		     "t.conf:1: announce: 'rise' needs a 'check'");
	expect_error("announce 10.0.0.0/8 down withdraw\n",
		     "t.conf:1: announce: 'down' needs a 'check'");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 expect 200\n",
		     "t.conf:1: announce: 'expect' is for 'check http' only");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 rise 0\n",
		     "t.conf:1: rise must be between 1 and 100 (got 0)");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 interval 1 "
		     "fast-interval 2\n",
		     "t.conf:1: fast-interval (2.000 s) must not be longer than "
		     "interval (1.000 s)");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 timeout 0.05\n",
		     "t.conf:1: timeout must be between 0.100 and 3600.000 "
		     "seconds (got 0.05)");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 timeout 61\n",
		     "t.conf:1: timeout must be at most 60 seconds");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 down metric 0\n",
		     "t.conf:1: down metric must be between 1 and 65534 (got 0)");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 down later\n",
		     "t.conf:1: down: expected 'withdraw' or 'metric N', got "
		     "'later'");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 check icmp "
		     "192.0.2.1\n",
		     "t.conf:1: announce: more than one 'check'");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 fwmark 0\n",
		     "t.conf:1: fwmark: '0' is not a mark from 1 to 0xffffffff");
	expect_error("announce 10.0.0.0/8 on-change \"\"\n",
		     "t.conf:1: on-change: empty command");
	expect_error("announce 10.0.0.0/8 drain-file run/drain\n",
		     "t.conf:1: drain-file: 'run/drain' is not an absolute path");
	expect_error("announce 10.0.0.0/8 check tcp 192.0.2.1:80 bind "
		     "averyveryverylongname\n",
		     "t.conf:1: bind: 'averyveryverylongname' is longer than 15 "
		     "characters");
}

static void test_check_options_compare_for_reload(void **state)
{
	struct cfg *a = parse_ok("announce 10.0.0.0/8 check tcp 192.0.2.1:80\n"
				 "announce 10.1.0.0/16 check tcp 192.0.2.1:80\n"
				 "announce 10.2.0.0/16 check tcp 192.0.2.1:80 "
				 "rise 2\n"
				 "announce 10.3.0.0/16 check tcp 192.0.2.1:80 "
				 "on-change true\n");

	(void)state;
	assert_true(cfg_announce_check_equal(&a->announces[0],
					     &a->announces[1]));
	assert_false(cfg_announce_check_equal(&a->announces[0],
					      &a->announces[2]));
	assert_false(cfg_announce_check_equal(&a->announces[0],
					      &a->announces[3]));
	cfg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_result_decides_between_up_and_down),
		cmocka_unit_test(test_up_goes_down_after_fall_failures_in_a_row),
		cmocka_unit_test(test_down_goes_up_after_rise_successes_in_a_row),
		cmocka_unit_test(test_fast_interval_while_the_state_is_changing),
		cmocka_unit_test(test_gate_withdraws_a_check_that_is_not_up),
		cmocka_unit_test(test_gate_down_metric_keeps_a_last_resort),
		cmocka_unit_test(test_gate_drain_raises_the_metric_then_withdraws),
		cmocka_unit_test(test_http_status_line),
		cmocka_unit_test(test_http_request_is_bounded),
		cmocka_unit_test(test_icmp_echo_and_its_reply),
		cmocka_unit_test(test_announce_without_check_has_documented_defaults),
		cmocka_unit_test(test_announce_icmp_check_with_every_option),
		cmocka_unit_test(test_announce_check_defaults),
		cmocka_unit_test(test_announce_http_and_exec_checks),
		cmocka_unit_test(test_bad_check_options_are_clear_errors),
		cmocka_unit_test(test_check_options_compare_for_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
