/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_config.c — every wgbabeld.conf directive, and every
 * message the parser can give, pinned to the exact "FILE:LINE: text".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"

static struct cfg *parse_ok(const char *text)
{
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX] = "";
	int r = cfg_parse_string(text, "t.conf", &c, err, sizeof(err));

	if (r != 0)
		fail_msg("unexpected error: %s", err);
	assert_non_null(c);
	return c;
}

static void expect_error(const char *text, const char *message)
{
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX] = "";
	int r = cfg_parse_string(text, "t.conf", &c, err, sizeof(err));

	if (r == 0)
		fail_msg("'%s' parsed, expected '%s'", text, message);
	assert_null(c);
	assert_string_equal(err, message);
}

static struct babel_prefix pfx(const char *s)
{
	struct babel_prefix p;
	char err[CFG_ERR_MAX];

	assert_int_equal(cfg_prefix_parse(s, &p, err, sizeof(err)), 0);
	return p;
}

/* ------------------------------------------------------- egress */

static void test_egress_defaults_stay_apart_from_wg_quick(void **state)
{
	struct cfg *c = parse_ok("");

	assert_int_equal(c->egress_table, 6696);
	assert_int_equal(c->egress_fwmark, 0x1a28);
	assert_int_equal(c->egress_priority, 32700);
	assert_int_equal(c->egress_margin, 256);
	assert_int_equal(c->egress_hold_ms, 60000);
	assert_false(c->has_route_src4 || c->has_route_src6);
	cfg_free(c);
}

static void test_egress_and_route_source_keywords(void **state)
{
	struct cfg *c = parse_ok("egress-table 100\negress-fwmark 0xca6c\n"
				 "egress-priority 1000\negress-margin 0\n"
				 "egress-hold 2.5\negress-prefix 10.99.0.0/16\n"
				 "route-source 192.0.2.1\n"
				 "route-source 2001:db8::1\n");
	struct babel_prefix p = pfx("10.99.0.0/16");
	const uint8_t v4[4] = { 192, 0, 2, 1 };

	assert_int_equal(c->egress_table, 100);
	assert_int_equal(c->egress_fwmark, 51820);
	assert_int_equal(c->egress_priority, 1000);
	assert_int_equal(c->egress_margin, 0);
	assert_int_equal(c->egress_hold_ms, 2500);
	assert_int_equal(c->n_egress_prefixes, 1);
	assert_true(cfg_prefix_equal(&c->egress_prefixes[0], &p));
	assert_true(c->has_route_src4 && c->has_route_src6);
	assert_memory_equal(c->route_src4, v4, 4);
	assert_int_equal(c->route_src6[0], 0x20);
	cfg_free(c);
	c = parse_ok("egress-table off\n");
	assert_int_equal(c->egress_table, 0);
	cfg_free(c);
}

static void test_egress_bad_values_are_refused_with_a_reason(void **state)
{
	expect_error("egress-table 254\n", "t.conf:1: egress-table 254 is one "
		     "of the kernel's own tables (use another number, or off)");
	expect_error("route-table 100\negress-table 100\n", "t.conf: "
		     "egress-table and route-table are both 100: the egress "
		     "table must be a table of its own");
	expect_error("egress-fwmark 0\n", "t.conf:1: egress-fwmark: '0' is "
		     "not a mark from 1 to 0xffffffff");
	expect_error("egress-priority 32766\n", "t.conf:1: egress-priority "
		     "must be between 1 and 32764 (got 32766)");
	expect_error("route-source 10.0.0.0/8\n", "t.conf:1: route-source: "
		     "'10.0.0.0/8' is not an IPv4 or IPv6 address");
	expect_error("route-source 10.0.0.1\nroute-source 10.0.0.2\n",
		     "t.conf:2: route-source: an IPv4 address is already set");
	expect_error("route-source fe80::1\n", "t.conf:1: route-source: "
		     "fe80::1 is link-local; a source for routed traffic must "
		     "not be");
}

/* ------------------------------------------------------- defaults */

static void test_empty_file_gives_documented_defaults(void **state)
{
	struct cfg *c = parse_ok("# nothing\n\n   \n");

	assert_int_equal(c->route_table, 254);
	assert_int_equal(c->route_protocol, 42);
	assert_int_equal(c->route_metric, 0);
	assert_false(c->keep_routes_on_exit);
	assert_int_equal(c->shutdown_delay_ms, 300);
	assert_string_equal(c->ctl_rw.path, "/run/wgbabeld.sock");
	assert_int_equal(c->ctl_rw.mode, 0600);
	assert_string_equal(c->ctl_ro.path, "");
	assert_string_equal(c->state_file, "/var/lib/wgbabeld/state");
	assert_string_equal(c->pid_file, "");
	assert_string_equal(c->runtime_dir, "/run/wgbabeld");
	assert_false(c->has_router_id);
	assert_int_equal(c->max_routes, 0);
	assert_int_equal(c->max_routes_per_neighbour, 0);
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->n_ifaces, 0);
	cfg_free(c);
}

/* ------------------------------------------------------ interfaces */

static void test_interface_glob_with_type_wireguard_matches_wg_names(void **state)
{
	struct cfg *c = parse_ok("interface wg* type wireguard\n");
	struct cfg_iface_params p;

	assert_true(cfg_iface_listed(c, "wg0"));
	assert_true(cfg_iface_listed(c, "wg-mesh"));
	assert_false(cfg_iface_listed(c, "eth0"));
	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIREGUARD);
	assert_int_equal(p.hello_interval_ms, 4000);
	assert_int_equal(p.update_interval_ms, 16000);
	assert_true(p.timestamps);
	assert_int_equal(p.max_rtt_penalty, 150);
	cfg_free(c);
}

static void test_interface_type_is_detected_when_not_given(void **state)
{
	struct cfg *c = parse_ok("interface eth0\ninterface wg0\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "eth0", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIRED);
	assert_false(p.timestamps);
	assert_int_equal(p.max_rtt_penalty, 0);
	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIREGUARD);
	cfg_free(c);
}

static void test_interface_types_wired_wireless_tunnel_auto(void **state)
{
	struct cfg *c = parse_ok("interface a type wired\n"
				 "interface b type wireless\n"
				 "interface c type tunnel\n"
				 "interface d type auto\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "a", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIRED);
	cfg_iface_resolve(c, "b", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIRELESS);
	assert_int_equal(p.rxcost, 256);
	cfg_iface_resolve(c, "c", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.type, CFG_IFTYPE_TUNNEL);
	assert_true(p.timestamps);
	cfg_iface_resolve(c, "d", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.type, CFG_IFTYPE_WIREGUARD);
	cfg_free(c);
}

static void test_interface_intervals_and_rtt_options(void **state)
{
	struct cfg *c = parse_ok(
		"interface wg0 hello-interval 0.5 update-interval 20 "
		"rtt-min 5 rtt-max 200 max-rtt-penalty 300 rxcost 128 "
		"enable-timestamps false\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.hello_interval_ms, 500);
	assert_int_equal(p.update_interval_ms, 20000);
	assert_int_equal(p.rtt_min_ms, 5);
	assert_int_equal(p.rtt_max_ms, 200);
	assert_int_equal(p.max_rtt_penalty, 300);
	assert_int_equal(p.rxcost, 128);
	assert_false(p.timestamps);
	cfg_free(c);
}

static void test_update_interval_follows_hello_interval_when_unset(void **state)
{
	struct cfg *c = parse_ok("interface wg0 hello-interval 2\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.update_interval_ms, 8000);
	cfg_free(c);
}

static void test_probe_interval_defaults_to_1s_except_wireless_and_0_disables(void **state)
{
	struct cfg *c = parse_ok("interface eth0\n"
				 "interface wlan0 type wireless\n"
				 "interface wg0 type wireguard\n"
				 "interface wg1 type wireguard probe-interval 0\n"
				 "interface eth1 probe-interval 0.25\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "eth0", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.probe_interval_ms, 1000);
	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.probe_interval_ms, 1000);
	cfg_iface_resolve(c, "wlan0", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.probe_interval_ms, 0);
	cfg_iface_resolve(c, "wg1", CFG_IFTYPE_WIREGUARD, &p);
	assert_int_equal(p.probe_interval_ms, 0);
	cfg_iface_resolve(c, "eth1", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.probe_interval_ms, 250);
	cfg_free(c);
	expect_error("interface eth0 probe-interval 0.01\n",
		     "t.conf:1: probe-interval: 0 (off) or at least 0.05 "
		     "seconds, got 0.01");
	expect_error("interface eth0 probe-interval soon\n",
		     "t.conf:1: probe-interval: 'soon' is not a number of seconds");
	(void)state;
}

static void test_fast_probe_interval_and_rate_are_parsed(void **state)
{
	struct cfg *c = parse_ok("fast-probe-rate 40\n"
				 "interface wg0 type wireguard\n"
				 "interface wg1 type wireguard fast-probe-interval 0\n"
				 "interface wg2 type wireguard fast-probe-interval 0.25\n");
	struct cfg_iface_params p;

	assert_int_equal(c->fast_probe_rate, 40);
	/* Not given: proto's default (100 ms on WireGuard). */
	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_false(p.set & CFG_IF_FAST_PROBE);
	cfg_iface_resolve(c, "wg1", CFG_IFTYPE_WIREGUARD, &p);
	assert_true(p.set & CFG_IF_FAST_PROBE);
	assert_int_equal(p.fast_probe_ms, 0);
	cfg_iface_resolve(c, "wg2", CFG_IFTYPE_WIREGUARD, &p);
	assert_true(p.set & CFG_IF_FAST_PROBE);
	assert_int_equal(p.fast_probe_ms, 250);
	cfg_free(c);
	expect_error("interface wg0 fast-probe-interval 0.005\n",
		     "t.conf:1: fast-probe-interval: 0 (off) or at least 0.01 "
		     "seconds, got 0.005");
	expect_error("interface wg0 fast-probe-interval 61\n",
		     "t.conf:1: fast-probe-interval must be between 0.000 and 60.000 "
		     "seconds (got 61)");
	expect_error("fast-probe-rate 0\n",
		     "t.conf:1: fast-probe-rate must be between 1 and 100000 "
		     "(got 0)");
	(void)state;
}

static void test_later_interface_lines_override_earlier_and_default(void **state)
{
	struct cfg *c = parse_ok("default hello-interval 6 rxcost 200\n"
				 "interface wg* type wireguard hello-interval 3\n"
				 "interface wg1 hello-interval 1\n");
	struct cfg_iface_params p;

	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.hello_interval_ms, 3000);
	assert_int_equal(p.rxcost, 200);
	cfg_iface_resolve(c, "wg1", CFG_IFTYPE_AUTO, &p);
	assert_int_equal(p.hello_interval_ms, 1000);
	assert_int_equal(p.type, CFG_IFTYPE_WIREGUARD);
	cfg_free(c);
}

static void test_babel_address_defaults_to_link_local_space(void **state)
{
	struct cfg *c = parse_ok("interface wg0\n");
	struct cfg_iface_params p;
	struct babel_prefix ll = pfx("fe80::/64");

	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_true(cfg_prefix_equal(&p.babel_addr_from, &ll));
	cfg_free(c);
}

static void test_babel_address_from_allowed_ip_prefix(void **state)
{
	struct cfg *c = parse_ok(
		"interface wg0 babel-address-from allowed-ip fd00:1::/64\n");
	struct cfg_iface_params p;
	struct babel_prefix want = pfx("fd00:1::/64");

	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_true(cfg_prefix_equal(&p.babel_addr_from, &want));
	cfg_free(c);
}

/* ----------------------------------------------- announce, filters */

static void test_announce_with_and_without_metric(void **state)
{
	struct cfg *c = parse_ok("announce 2001:db8:1::/48\n"
				 "announce 10.1.0.0/16 metric 100\n"
				 "announce 192.0.2.1\n");
	struct babel_prefix a = pfx("2001:db8:1::/48");
	struct babel_prefix h = pfx("192.0.2.1/32");

	assert_int_equal(c->n_announces, 3);
	assert_true(cfg_prefix_equal(&c->announces[0].prefix, &a));
	assert_int_equal(c->announces[0].metric, 0);
	assert_int_equal(c->announces[1].metric, 100);
	assert_true(cfg_prefix_equal(&c->announces[2].prefix, &h));
	assert_int_equal(c->announces[2].line, 3);
	cfg_free(c);
}

static void test_redistribute_matches_proto_prefix_and_bounds(void **state)
{
	struct cfg *c = parse_ok(
		"redistribute proto 4 prefix 10.0.0.0/8 le 24 ge 16 metric 64\n"
		"redistribute prefix 2001:db8::/32 deny\n"
		"redistribute prefix 2001::/16 le 64\n");
	struct babel_prefix in = pfx("10.1.2.0/24");
	struct babel_prefix too_long = pfx("10.1.2.0/25");
	struct babel_prefix too_short = pfx("10.0.0.0/8");
	struct babel_prefix denied = pfx("2001:db8:5::/48");
	struct babel_prefix other = pfx("2001:1::/48");

	assert_int_equal(cfg_redistribute_eval(c, 4, &in), 64);
	assert_int_equal(cfg_redistribute_eval(c, 3, &in), -1);
	assert_int_equal(cfg_redistribute_eval(c, 4, &too_long), -1);
	assert_int_equal(cfg_redistribute_eval(c, 4, &too_short), -1);
	assert_int_equal(cfg_redistribute_eval(c, 186, &denied), -1);
	assert_int_equal(cfg_redistribute_eval(c, 186, &other), 0);
	cfg_free(c);
}

static void test_in_filter_first_match_wins_with_all_criteria(void **state)
{
	struct cfg *c = parse_ok(
		"in prefix 2001:db8::/32 le 64 neighbour fe80::2 interface wg0 deny\n"
		"in if wg* metric +256\n"
		"in ip 0.0.0.0/0 le 32 allow\n");
	struct babel_prefix p = pfx("2001:db8:1::/48");
	struct babel_prefix n2 = pfx("fe80::2");
	struct babel_prefix n3 = pfx("fe80::3");
	struct babel_prefix v4 = pfx("10.0.0.0/8");
	struct cfg_filter_input in = { .prefix = &p, .neigh = &n2,
				       .ifname = "wg0" };

	assert_int_equal(c->n_in, 3);
	assert_int_equal(cfg_filter_eval(c->in, c->n_in, &in), -1);
	in.neigh = &n3;
	assert_int_equal(cfg_filter_eval(c->in, c->n_in, &in), 256);
	in.ifname = "eth0";
	assert_int_equal(cfg_filter_eval(c->in, c->n_in, &in), 0);
	in.prefix = &v4;
	assert_int_equal(cfg_filter_eval(c->in, c->n_in, &in), 0);
	cfg_free(c);
}

static void test_out_filter_deny_and_metric(void **state)
{
	struct cfg *c = parse_ok("out prefix fd00::/8 le 128 deny\n"
				 "out metric 10\n");
	struct babel_prefix ula = pfx("fd00:1::/64");
	struct babel_prefix g = pfx("2001:db8::/32");
	struct cfg_filter_input in = { .prefix = &ula };

	assert_int_equal(c->n_out, 2);
	assert_int_equal(cfg_filter_eval(c->out, c->n_out, &in), -1);
	in.prefix = &g;
	assert_int_equal(cfg_filter_eval(c->out, c->n_out, &in), 10);
	cfg_free(c);
}

static void test_no_filter_allows(void **state)
{
	struct babel_prefix p = pfx("2001:db8::/32");
	struct cfg_filter_input in = { .prefix = &p };

	assert_int_equal(cfg_filter_eval(NULL, 0, &in), 0);
}

/* ---------------------------------------------- global directives */

static void test_global_directives_are_stored(void **state)
{
	struct cfg *c = parse_ok(
		"route-table 100\nroute-protocol 186\nroute-metric 1024\n"
		"keep-routes-on-exit\nstate-file /var/lib/x/state\n"
		"control-socket /run/x.sock mode 0660 group wheel\n"
		"control-socket-ro \"/run/x ro.sock\" mode 0666\n"
		"pid-file /run/x.pid\nruntime-dir /run/xx\n"
		"router-id 02:11:22:ff:fe:33:44:55\n"
		"max-routes-per-neighbour 1000\nmax-routes 200000\n"
		"log-level debug\n");
	static const uint8_t id[8] = { 0x02, 0x11, 0x22, 0xff,
				       0xfe, 0x33, 0x44, 0x55 };

	assert_int_equal(c->route_table, 100);
	assert_int_equal(c->route_protocol, 186);
	assert_int_equal(c->route_metric, 1024);
	assert_true(c->keep_routes_on_exit);
	assert_string_equal(c->state_file, "/var/lib/x/state");
	assert_string_equal(c->ctl_rw.path, "/run/x.sock");
	assert_int_equal(c->ctl_rw.mode, 0660);
	assert_string_equal(c->ctl_rw.group, "wheel");
	assert_string_equal(c->ctl_ro.path, "/run/x ro.sock");
	assert_int_equal(c->ctl_ro.mode, 0666);
	assert_string_equal(c->pid_file, "/run/x.pid");
	assert_string_equal(c->runtime_dir, "/run/xx");
	assert_true(c->has_router_id);
	assert_memory_equal(c->router_id, id, 8);
	assert_int_equal(c->max_routes_per_neighbour, 1000);
	assert_int_equal(c->max_routes, 200000);
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	cfg_free(c);
}

/* shutdown-delay: seconds to the millisecond, 0 to 30 (TimeoutStopSec). */
static void test_shutdown_delay_is_seconds_up_to_thirty(void **state)
{
	struct cfg *c = parse_ok("shutdown-delay 2.25\n");

	(void)state;
	assert_int_equal(c->shutdown_delay_ms, 2250);
	cfg_free(c);
	c = parse_ok("shutdown-delay 0\n");
	assert_int_equal(c->shutdown_delay_ms, 0);
	cfg_free(c);
	c = parse_ok("shutdown-delay 30\n");
	assert_int_equal(c->shutdown_delay_ms, 30000);
	cfg_free(c);
	expect_error("shutdown-delay 30.001\n",
		     "t.conf:1: shutdown-delay must be between 0.000 and 30.000 seconds (got 30.001)");
	expect_error("shutdown-delay\n", "t.conf:1: 'shutdown-delay' needs a value");
	expect_error("shutdown-delay soon\n",
		     "t.conf:1: shutdown-delay: 'soon' is not a number of seconds");
}

static void test_router_id_plain_hex_and_booleans(void **state)
{
	struct cfg *c = parse_ok("router-id 021122fffe334455\n"
				 "keep-routes-on-exit false\n"
				 "log-level warn\n"
				 "control-socket none\n"
				 "max-routes-per-neighbor 5\n");

	assert_int_equal(c->router_id[7], 0x55);
	assert_false(c->keep_routes_on_exit);
	assert_int_equal(c->log_level, CFG_LOG_WARNING);
	assert_string_equal(c->ctl_rw.path, "");
	assert_int_equal(c->max_routes_per_neighbour, 5);
	cfg_free(c);
}

static void test_comments_quotes_and_crlf_are_handled(void **state)
{
	struct cfg *c = parse_ok("# comment\r\n"
				 "announce 2001:db8::/32 # trailing\r\n"
				 "state-file \"/tmp/a b\"\n");

	assert_int_equal(c->n_announces, 1);
	assert_string_equal(c->state_file, "/tmp/a b");
	cfg_free(c);
}

static void test_parse_file_reads_a_real_file(void **state)
{
	char path[] = "/tmp/wgbcfgXXXXXX";
	int fd = mkstemp(path);
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX];

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "route-table 7\nbogus\n", 20), 20);
	close(fd);
	assert_int_equal(cfg_parse_file(path, &c, err, sizeof(err)), -22);
	char want[128];
	snprintf(want, sizeof(want), "%s:2: unknown directive 'bogus'", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_true(cfg_parse_file(path, &c, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory",
		 path);
	assert_string_equal(err, want);
}

/* ---------------------------------------------------------- errors */

static const struct {
	const char *text;
	const char *message;
} bad_lines[] = {
	{ "frobnicate 1", "t.conf:1: unknown directive 'frobnicate'" },
	{ "\n\nroute-table", "t.conf:3: 'route-table' needs a value" },
	{ "route-table x", "t.conf:1: route-table: 'x' is not a number" },
	{ "route-table 12x", "t.conf:1: route-table: '12x' is not a number" },
	{ "route-table 0",
	  "t.conf:1: route-table must be between 1 and 4294967295 (got 0)" },
	{ "route-table 5 6",
	  "t.conf:1: route-table: unexpected '6' after the value" },
	{ "route-protocol 2", "t.conf:1: route-protocol 2 is reserved for the "
	  "kernel (use 5-255; the default is 42)" },
	{ "route-protocol 256",
	  "t.conf:1: route-protocol must be between 0 and 255 (got 256)" },
	{ "route-metric -1", "t.conf:1: route-metric: '-1' is not a number" },
	{ "max-routes many", "t.conf:1: max-routes: 'many' is not a number" },
	{ "max-routes-per-neighbour 99999999999", "t.conf:1: "
	  "max-routes-per-neighbour must be between 0 and 4294967295 "
	  "(got 99999999999)" },
	{ "keep-routes-on-exit maybe",
	  "t.conf:1: keep-routes-on-exit: 'maybe' is not true or false" },
	{ "interface", "t.conf:1: 'interface' needs a value" },
	{ "interface averyveryverylongname",
	  "t.conf:1: interface: 'averyveryverylongname' is longer than 15 "
	  "characters" },
	{ "interface a/b", "t.conf:1: interface: 'a/b' is not an interface name" },
	{ "interface wg0 type bogus", "t.conf:1: type: unknown interface type "
	  "'bogus' (expected wireguard, wired, wireless, tunnel or auto)" },
	{ "interface wg0 speed 10", "t.conf:1: interface: unknown option 'speed'" },
	{ "interface wg0 hello-interval", "t.conf:1: 'hello-interval' needs a value" },
	{ "interface wg0 hello-interval fast",
	  "t.conf:1: hello-interval: 'fast' is not a number of seconds" },
	{ "interface wg0 hello-interval 4.",
	  "t.conf:1: hello-interval: '4.' is not a number of seconds" },
	{ "interface wg0 hello-interval 0.0001",
	  "t.conf:1: hello-interval: '0.0001' has more than millisecond precision" },
	{ "interface wg0 hello-interval 1000", "t.conf:1: hello-interval must "
	  "be between 0.010 and 655.350 seconds (got 1000)" },
	{ "default update-interval 0", "t.conf:1: update-interval must be "
	  "between 0.010 and 655.350 seconds (got 0)" },
	{ "interface wg0 rtt-min 50 rtt-max 20",
	  "t.conf:1: rtt-max (20) must be greater than rtt-min (50)" },
	{ "interface wg0 rtt-max 70000",
	  "t.conf:1: rtt-max must be between 0 and 60000 (got 70000)" },
	{ "interface wg0 max-rtt-penalty 65535",
	  "t.conf:1: max-rtt-penalty must be between 0 and 65534 (got 65535)" },
	{ "interface wg0 rxcost 0",
	  "t.conf:1: rxcost must be between 1 and 65534 (got 0)" },
	{ "interface wg0 enable-timestamps sometimes",
	  "t.conf:1: enable-timestamps: 'sometimes' is not true or false" },
	{ "interface wg0 babel-address-from peer",
	  "t.conf:1: babel-address-from: expected 'allowed-ip PREFIX', got 'peer'" },
	{ "interface wg0 babel-address-from allowed-ip",
	  "t.conf:1: 'babel-address-from allowed-ip' needs a value" },
	{ "interface wg0 babel-address-from allowed-ip fe80::1/10",
	  "t.conf:1: babel-address-from: 'fe80::1/10' has bits set past /10 "
	  "(did you mean fe80::/10?)" },
	{ "announce", "t.conf:1: 'announce' needs a value" },
	{ "announce 2001:db8::/129",
	  "t.conf:1: announce: '2001:db8::/129': prefix length must be 0 to 128" },
	{ "announce 10.0.0.0/33",
	  "t.conf:1: announce: '10.0.0.0/33': prefix length must be 0 to 32" },
	{ "announce 10.0.0.0/x",
	  "t.conf:1: announce: '10.0.0.0/x' is not an IPv6 or IPv4 prefix" },
	{ "announce example.com",
	  "t.conf:1: announce: 'example.com' is not an IPv6 or IPv4 prefix" },
	{ "announce 10.1.2.3/16", "t.conf:1: announce: '10.1.2.3/16' has bits "
	  "set past /16 (did you mean 10.1.0.0/16?)" },
	{ "announce 10.0.0.0/8 metric 65535",
	  "t.conf:1: metric must be between 0 and 65534 (got 65535)" },
	{ "announce 10.0.0.0/8 metric", "t.conf:1: 'metric' needs a value" },
	{ "announce 10.0.0.0/8 via x", "t.conf:1: announce: unknown option 'via'" },
	{ "announce 10.0.0.0/8\nannounce 10.0.0.0/8", "t.conf:2: announce "
	  "10.0.0.0/8: already announced on line 1" },
	{ "redistribute", "t.conf:1: redistribute: give 'proto N' or 'prefix P' "
	  "(redistributing every kernel route is almost never wanted)" },
	{ "redistribute proto 300",
	  "t.conf:1: proto must be between 0 and 255 (got 300)" },
	{ "redistribute proto 4 local",
	  "t.conf:1: redistribute: unknown option 'local'" },
	{ "redistribute le 24 proto 4", "t.conf:1: 'le' and 'ge' need a 'prefix'" },
	{ "redistribute prefix 10.0.0.0/8 le 33",
	  "t.conf:1: le/ge must not exceed 32 for IPv4" },
	{ "redistribute prefix 10.0.0.0/16 le 8",
	  "t.conf:1: le 8 is shorter than the prefix length 16" },
	{ "redistribute prefix 10.0.0.0/16 ge 8",
	  "t.conf:1: ge 8 is shorter than the prefix length 16" },
	{ "redistribute prefix 10.0.0.0/16 ge 24 le 20",
	  "t.conf:1: ge 24 is greater than le 20" },
	{ "redistribute prefix 10.0.0.0/16 le 200",
	  "t.conf:1: le must be between 0 and 128 (got 200)" },
	{ "in prefix 2001:db8::/32", "t.conf:1: in: missing action (allow, "
	  "deny or metric N)" },
	{ "out deny neighbour fe80::1", "t.conf:1: out: 'neighbour' after the "
	  "action (the action allow, deny or metric comes last)" },
	{ "in neighbour fe80::/64 deny",
	  "t.conf:1: neighbour: 'fe80::/64' is not an address" },
	{ "in neigh banana deny", "t.conf:1: neigh: 'banana' is not an address" },
	{ "in interface", "t.conf:1: 'interface' needs a value" },
	{ "out colour red deny", "t.conf:1: out: unknown option 'colour'" },
	{ "in metric +x", "t.conf:1: metric: 'x' is not a number" },
	{ "state-file relative/path",
	  "t.conf:1: state-file: 'relative/path' is not an absolute path" },
	{ "pid-file", "t.conf:1: 'pid-file' needs a value" },
	{ "runtime-dir run", "t.conf:1: runtime-dir: 'run' is not an absolute path" },
	{ "control-socket /run/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
	  "t.conf:1: control-socket: path longer than 107 characters" },
	{ "control-socket /run/a.sock mode 0999", "t.conf:1: control-socket: "
	  "mode '0999' is not an octal permission like 0660" },
	{ "control-socket /run/a.sock mode 0755",
	  "t.conf:1: control-socket: mode 0755: execute bits mean nothing on a "
	  "socket" },
	{ "control-socket-ro /run/a.sock group "
	  "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
	  "t.conf:1: control-socket-ro: group name too long" },
	{ "control-socket /run/a.sock owner root",
	  "t.conf:1: control-socket: unknown option 'owner'" },
	{ "control-socket /run/a.sock\ncontrol-socket-ro /run/a.sock",
	  "t.conf: control-socket and control-socket-ro are the same path "
	  "/run/a.sock" },
	{ "router-id 0211", "t.conf:1: router-id: '0211' is not 8 bytes of hex "
	  "(like 02:11:22:ff:fe:33:44:55)" },
	{ "router-id 02:11:22:ff:fe:33:44:55:66", "t.conf:1: router-id: "
	  "'02:11:22:ff:fe:33:44:55:66' is not 8 bytes of hex "
	  "(like 02:11:22:ff:fe:33:44:55)" },
	{ "router-id 0000000000000000", "t.conf:1: router-id: all-zeros and "
	  "all-ones are reserved (RFC 8966 §4.1.3)" },
	{ "router-id ffffffffffffffff", "t.conf:1: router-id: all-zeros and "
	  "all-ones are reserved (RFC 8966 §4.1.3)" },
	{ "log-level chatty", "t.conf:1: log-level: unknown level 'chatty' "
	  "(expected error, warning, info or debug)" },
	{ "state-file \"/tmp/x", "t.conf:1: unterminated quote" },
};

static void test_every_bad_line_gives_its_exact_message(void **state)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
		expect_error(bad_lines[i].text, bad_lines[i].message);
}

static void test_too_many_words_and_too_long_lines_are_errors(void **state)
{
	char text[8192];
	size_t o = 0;

	o += (size_t)snprintf(text, sizeof(text), "interface wg0");
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, " x");
	expect_error(text, "t.conf:1: more than 64 words on a line");
	memset(text, 'a', 5000);
	text[5000] = '\0';
	expect_error(text, "t.conf:1: line longer than 4095 characters");
}

static void test_error_on_later_line_reports_that_line(void **state)
{
	expect_error("interface wg0\nannounce 2001:db8::/48\n# ok\n"
		     "hello-interval 4\n",
		     "t.conf:4: unknown directive 'hello-interval'");
}

static void test_prefix_str_round_trips(void **state)
{
	struct babel_prefix p = pfx("2001:db8:0:1::/64");
	char buf[64];

	assert_string_equal(cfg_prefix_str(&p, buf, sizeof(buf)),
			    "2001:db8:0:1::/64");
	p = pfx("10.1.0.0/16");
	assert_string_equal(cfg_prefix_str(&p, buf, sizeof(buf)), "10.1.0.0/16");
	assert_string_equal(cfg_iftype_name(CFG_IFTYPE_WIREGUARD), "wireguard");
	assert_string_equal(cfg_log_level_name(CFG_LOG_WARNING), "warning");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_gives_documented_defaults),
		cmocka_unit_test(test_egress_defaults_stay_apart_from_wg_quick),
		cmocka_unit_test(test_egress_and_route_source_keywords),
		cmocka_unit_test(test_egress_bad_values_are_refused_with_a_reason),
		cmocka_unit_test(test_shutdown_delay_is_seconds_up_to_thirty),
		cmocka_unit_test(test_interface_glob_with_type_wireguard_matches_wg_names),
		cmocka_unit_test(test_interface_type_is_detected_when_not_given),
		cmocka_unit_test(test_interface_types_wired_wireless_tunnel_auto),
		cmocka_unit_test(test_interface_intervals_and_rtt_options),
		cmocka_unit_test(test_update_interval_follows_hello_interval_when_unset),
		cmocka_unit_test(test_later_interface_lines_override_earlier_and_default),
		cmocka_unit_test(test_probe_interval_defaults_to_1s_except_wireless_and_0_disables),
		cmocka_unit_test(test_fast_probe_interval_and_rate_are_parsed),
		cmocka_unit_test(test_babel_address_defaults_to_link_local_space),
		cmocka_unit_test(test_babel_address_from_allowed_ip_prefix),
		cmocka_unit_test(test_announce_with_and_without_metric),
		cmocka_unit_test(test_redistribute_matches_proto_prefix_and_bounds),
		cmocka_unit_test(test_in_filter_first_match_wins_with_all_criteria),
		cmocka_unit_test(test_out_filter_deny_and_metric),
		cmocka_unit_test(test_no_filter_allows),
		cmocka_unit_test(test_global_directives_are_stored),
		cmocka_unit_test(test_router_id_plain_hex_and_booleans),
		cmocka_unit_test(test_comments_quotes_and_crlf_are_handled),
		cmocka_unit_test(test_parse_file_reads_a_real_file),
		cmocka_unit_test(test_every_bad_line_gives_its_exact_message),
		cmocka_unit_test(test_too_many_words_and_too_long_lines_are_errors),
		cmocka_unit_test(test_error_on_later_line_reports_that_line),
		cmocka_unit_test(test_prefix_str_round_trips),
	};

	return cmocka_run_group_tests_name("daemon_config", tests, NULL, NULL);
}
