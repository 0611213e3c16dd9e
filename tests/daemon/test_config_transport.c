/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_config_transport.c — the "transport" interface option
 * (Babel over IPv4, issue #5) and "babel-address-from" with an IPv4 prefix:
 * defaults, overrides in file order, and the exact error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/config.h"

static struct cfg *parse_ok(const char *text)
{
	struct cfg *c = NULL;
	char err[CFG_ERR_MAX] = "";

	if (cfg_parse_string(text, "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	assert_non_null(c);
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

static struct babel_prefix pfx(const char *s)
{
	struct babel_prefix p;
	char err[CFG_ERR_MAX];

	assert_int_equal(cfg_prefix_parse(s, &p, err, sizeof(err)), 0);
	return p;
}

static struct cfg_iface_params resolve(const char *text, const char *ifname,
				       enum cfg_iftype detected)
{
	struct cfg *c = parse_ok(text);
	struct cfg_iface_params p;

	cfg_iface_resolve(c, ifname, detected, &p);
	cfg_free(c);
	return p;
}

static void test_transport_defaults_to_ipv6(void **state)
{
	struct cfg_iface_params p = resolve("interface eth0\n", "eth0",
					    CFG_IFTYPE_WIRED);

	(void)state;
	assert_int_equal(p.transport, CFG_TRANSPORT_IPV6);
	assert_string_equal(cfg_transport_name(p.transport), "ipv6");
}

static void test_transport_ipv4_ipv6_and_both_are_parsed(void **state)
{
	struct cfg_iface_params p;

	(void)state;
	p = resolve("interface eth0 transport ipv4\n", "eth0", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_IPV4);
	p = resolve("interface eth0 transport both\n", "eth0", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_BOTH);
	assert_string_equal(cfg_transport_name(p.transport), "both");
	p = resolve("interface eth0 transport ipv6\n", "eth0", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_IPV6);
}

static void test_transport_follows_default_and_later_lines(void **state)
{
	const char *text = "default transport both\n"
			   "interface eth*\n"
			   "interface eth1 transport ipv4\n"
			   "interface eth2 hello-interval 2\n";
	struct cfg_iface_params p;

	(void)state;
	p = resolve(text, "eth0", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_BOTH);
	p = resolve(text, "eth1", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_IPV4);
	/* a later line that does not name transport keeps the earlier one */
	p = resolve(text, "eth2", CFG_IFTYPE_WIRED);
	assert_int_equal(p.transport, CFG_TRANSPORT_BOTH);
}

static void test_ipv4_babel_address_defaults_to_any_host_allowed_ip(void **state)
{
	struct cfg_iface_params p = resolve("interface wg0\n", "wg0",
					    CFG_IFTYPE_WIREGUARD);
	struct babel_prefix any = pfx("0.0.0.0/0");

	(void)state;
	assert_true(cfg_prefix_equal(&p.babel_addr_from4, &any));
}

/* One babel-address-from per IP version: an IPv4 prefix leaves the IPv6
 * one alone, and the other way round. */
static void test_babel_address_from_sets_the_family_of_its_prefix(void **state)
{
	struct cfg_iface_params p = resolve(
		"interface wg0 transport both "
		"babel-address-from allowed-ip 10.99.0.0/24 "
		"babel-address-from allowed-ip fd00:1::/64\n",
		"wg0", CFG_IFTYPE_WIREGUARD);
	struct babel_prefix v4 = pfx("10.99.0.0/24"), v6 = pfx("fd00:1::/64");

	(void)state;
	assert_true(cfg_prefix_equal(&p.babel_addr_from4, &v4));
	assert_true(cfg_prefix_equal(&p.babel_addr_from, &v6));
	p = resolve("interface wg0 babel-address-from allowed-ip 10.99.0.0/24\n",
		    "wg0", CFG_IFTYPE_WIREGUARD);
	v6 = pfx("fe80::/64");
	assert_true(cfg_prefix_equal(&p.babel_addr_from, &v6));
	assert_true(cfg_prefix_equal(&p.babel_addr_from4, &v4));
}

static void test_bad_transport_lines_give_exact_messages(void **state)
{
	(void)state;
	expect_error("interface eth0 transport",
		     "t.conf:1: 'transport' needs a value");
	expect_error("interface eth0 transport ip4",
		     "t.conf:1: transport: expected ipv6, ipv4 or both, got 'ip4'");
	expect_error("default transport IPv4",
		     "t.conf:1: transport: expected ipv6, ipv4 or both, got 'IPv4'");
	expect_error("interface eth0\ninterface eth1 transport all",
		     "t.conf:2: transport: expected ipv6, ipv4 or both, got 'all'");
	expect_error("interface wg0 babel-address-from allowed-ip 10.0.0.1/8",
		     "t.conf:1: babel-address-from: '10.0.0.1/8' has bits set "
		     "past /8 (did you mean 10.0.0.0/8?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_defaults_to_ipv6),
		cmocka_unit_test(test_transport_ipv4_ipv6_and_both_are_parsed),
		cmocka_unit_test(test_transport_follows_default_and_later_lines),
		cmocka_unit_test(test_ipv4_babel_address_defaults_to_any_host_allowed_ip),
		cmocka_unit_test(test_babel_address_from_sets_the_family_of_its_prefix),
		cmocka_unit_test(test_bad_transport_lines_give_exact_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
