/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_lladdr.c — which link-local Babel speaks from
 * (daemon/lladdr.h), and the "link-local ADDR" option that overrides it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/lladdr.h"

#define KERNEL_LL 3	/* IFAPROT_KERNEL_LL, Linux >= 6.0 */

static struct ll_cand cand(const char *a, uint32_t flags, uint8_t proto)
{
	struct ll_cand c = { .flags = flags, .proto = proto };

	assert_int_equal(inet_pton(AF_INET6, a, c.addr), 1);
	return c;
}

static void expect(const struct ll_cand *c, size_t n, const char *configured,
		   int index, enum ll_reason reason, size_t tied)
{
	uint8_t conf[16];
	struct ll_choice ch;

	if (configured)
		assert_int_equal(inet_pton(AF_INET6, configured, conf), 1);
	ll_choose(c, n, configured ? conf : NULL, &ch);
	assert_int_equal(ch.index, index);
	assert_int_equal(ch.reason, reason);
	assert_int_equal(ch.n_tied, tied);
}

/* wireguard-go on Linux >= 6.0: the kernel marks its stable-privacy one. */
static void test_configured_address_wins_over_kernel_marked_one(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::9c1f:2bd4:71e0:5a3c",
		     IFA_F_PERMANENT | IFA_F_STABLE_PRIVACY, KERNEL_LL),
		cand("fe80::1", IFA_F_PERMANENT, 0),
	};

	expect(c, 2, NULL, 1, LL_KERNEL_PROTO, 1);
}

/* Even when the kernel's is numerically lower and not flagged. */
static void test_kernel_proto_beats_a_lower_unflagged_address(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::5", IFA_F_PERMANENT, 0),
		cand("fe80::1", IFA_F_PERMANENT, KERNEL_LL),
	};

	expect(c, 2, NULL, 0, LL_KERNEL_PROTO, 1);
}

static void test_only_link_local_is_taken_whoever_made_it(void **state)
{
	const struct ll_cand c[] = {
		cand("2001:db8::1", IFA_F_PERMANENT, 0),
		cand("fe80::9c1f:2bd4:71e0:5a3c", IFA_F_STABLE_PRIVACY,
		     KERNEL_LL),
	};

	expect(c, 2, NULL, 1, LL_ONLY_ONE, 1);
}

static void test_no_link_local_gives_none(void **state)
{
	const struct ll_cand c[] = {
		cand("2001:db8::1", IFA_F_PERMANENT, 0),
	};

	expect(c, 1, NULL, -1, LL_NONE, 0);
	expect(c, 0, NULL, -1, LL_NONE, 0);
}

/* Kernels without IFA_PROTO: stable-privacy is flagged in IFA_FLAGS. */
static void test_fallback_skips_stable_privacy(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::1:0:0:1", IFA_F_PERMANENT | IFA_F_STABLE_PRIVACY, 0),
		cand("fe80::1", IFA_F_PERMANENT, 0),
	};

	expect(c, 2, NULL, 1, LL_FALLBACK, 1);
}

/* EUI-64 and random identifiers fill the upper half of the IID. */
static void test_fallback_skips_eui64_and_random_looking(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::216:3eff:fe12:3456", IFA_F_PERMANENT, 0),
		cand("fe80::8a2:11ff:1:2", IFA_F_PERMANENT, 0),
		cand("fe80::2", IFA_F_PERMANENT, 0),
	};

	expect(c, 3, NULL, 2, LL_FALLBACK, 1);
}

static void test_fallback_ties_take_the_lowest_and_say_so(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::3", IFA_F_PERMANENT, 0),
		cand("fe80::216:3eff:fe12:3456", IFA_F_PERMANENT, 0),
		cand("fe80::2", IFA_F_PERMANENT, 0),
	};

	expect(c, 3, NULL, 2, LL_FALLBACK, 2);
}

/* Several marked ones and several hand-made ones: a guess, said so. */
static void test_two_unmarked_beside_a_kernel_one_are_a_tie(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::9", IFA_F_PERMANENT, 0),
		cand("fe80::abcd:1:2:3", IFA_F_PERMANENT, KERNEL_LL),
		cand("fe80::7", IFA_F_PERMANENT, 0),
	};

	expect(c, 3, NULL, 2, LL_KERNEL_PROTO, 2);
}

static void test_all_kernel_looking_falls_back_to_all(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::216:3eff:fe12:3456", IFA_F_PERMANENT, 0),
		cand("fe80::116:3eff:fe12:3456", IFA_F_PERMANENT, 0),
	};

	expect(c, 2, NULL, 1, LL_FALLBACK, 2);
}

static void test_tentative_and_dad_failed_addresses(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::1", IFA_F_PERMANENT | IFA_F_DADFAILED, 0),
		cand("fe80::2", IFA_F_PERMANENT | IFA_F_TENTATIVE, 0),
		cand("fe80::3", IFA_F_PERMANENT, 0),
	};

	/* DAD failed: not ours to use; tentative: only if nothing else. */
	expect(c, 3, NULL, 2, LL_FALLBACK, 2);
	expect(c, 2, NULL, 1, LL_ONLY_ONE, 1);
	expect(c, 1, NULL, -1, LL_NONE, 0);
}

static void test_configured_address_is_taken_or_none(void **state)
{
	const struct ll_cand c[] = {
		cand("fe80::1", IFA_F_PERMANENT, 0),
		cand("fe80::9c1f:2bd4:71e0:5a3c", IFA_F_STABLE_PRIVACY,
		     KERNEL_LL),
	};

	/* Named outright, even the kernel's. */
	expect(c, 2, "fe80::9c1f:2bd4:71e0:5a3c", 1, LL_CONFIGURED, 1);
	expect(c, 2, "fe80::1", 0, LL_CONFIGURED, 1);
	/* Not on the link: none, whatever else is there. */
	expect(c, 2, "fe80::2", -1, LL_NONE, 0);
}

static void test_reason_names(void **state)
{
	assert_string_equal(ll_reason_name(LL_CONFIGURED), "configured");
	assert_string_equal(ll_reason_name(LL_KERNEL_PROTO), "kernel-proto");
	assert_string_equal(ll_reason_name(LL_ONLY_ONE), "only-one");
	assert_string_equal(ll_reason_name(LL_FALLBACK), "fallback");
}

/* ------------------------------------------- the "link-local" option */

static void test_link_local_option_is_per_interface(void **state)
{
	struct cfg *c = NULL;
	struct cfg_iface_params p;
	char err[CFG_ERR_MAX] = "";
	uint8_t want[16];

	assert_int_equal(cfg_parse_string("interface wg* type wireguard\n"
					  "interface wg0 link-local fe80::1\n",
					  "t.conf", &c, err, sizeof(err)), 0);
	inet_pton(AF_INET6, "fe80::1", want);
	cfg_iface_resolve(c, "wg0", CFG_IFTYPE_WIREGUARD, &p);
	assert_true(p.set & CFG_IF_LINK_LOCAL);
	assert_memory_equal(p.link_local, want, 16);
	cfg_iface_resolve(c, "wg1", CFG_IFTYPE_WIREGUARD, &p);
	assert_false(p.set & CFG_IF_LINK_LOCAL);
	cfg_free(c);
}

static void test_link_local_option_rejects_other_addresses(void **state)
{
	static const char *const bad[] = {
		"2001:db8::1", "fe80::1/64", "10.0.0.1", "fec0::1", "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfg *c = NULL;
		char line[128], err[CFG_ERR_MAX] = "", want[CFG_ERR_MAX];

		snprintf(line, sizeof(line), "interface wg0 link-local \"%s\"\n",
			 bad[i]);
		snprintf(want, sizeof(want), "t.conf:1: link-local: '%s' is not "
			 "an IPv6 link-local address (fe80::/10, without "
			 "/length)", bad[i]);
		assert_int_not_equal(cfg_parse_string(line, "t.conf", &c, err,
						      sizeof(err)), 0);
		assert_null(c);
		assert_string_equal(err, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configured_address_wins_over_kernel_marked_one),
		cmocka_unit_test(test_kernel_proto_beats_a_lower_unflagged_address),
		cmocka_unit_test(test_only_link_local_is_taken_whoever_made_it),
		cmocka_unit_test(test_no_link_local_gives_none),
		cmocka_unit_test(test_fallback_skips_stable_privacy),
		cmocka_unit_test(test_fallback_skips_eui64_and_random_looking),
		cmocka_unit_test(test_fallback_ties_take_the_lowest_and_say_so),
		cmocka_unit_test(test_two_unmarked_beside_a_kernel_one_are_a_tie),
		cmocka_unit_test(test_all_kernel_looking_falls_back_to_all),
		cmocka_unit_test(test_tentative_and_dad_failed_addresses),
		cmocka_unit_test(test_configured_address_is_taken_or_none),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_link_local_option_is_per_interface),
		cmocka_unit_test(test_link_local_option_rejects_other_addresses),
	};

	return cmocka_run_group_tests_name("daemon_lladdr", tests, NULL, NULL);
}
