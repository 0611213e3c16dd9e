/* SPDX-License-Identifier: MIT */
/*
 * tests/fwd/test_endpoints.c — which learned prefixes cover a WireGuard
 * endpoint of this host's peers (fwd/endpoints.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "fwd/endpoints.h"

static struct fwd_addr addr(const char *s)
{
	struct fwd_addr a = { 0 };

	if (strchr(s, ':')) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, a.addr), 1);
	}
	return a;
}

static bool covered(const struct fwd_endpoints *e, const char *p,
		    unsigned plen, struct fwd_addr *which)
{
	struct fwd_addr a = addr(p);

	return fwd_ep_covered(e, a.family, a.addr, plen, which);
}

static void test_a_default_route_covers_every_endpoint_of_its_family(void **state)
{
	struct fwd_endpoints e;
	struct fwd_addr list[] = { addr("192.0.2.2"), addr("2001:db8::7") };
	struct fwd_addr w;

	fwd_ep_init(&e);
	assert_int_equal(fwd_ep_set(&e, list, 2), 1);
	assert_true(covered(&e, "0.0.0.0", 0, &w));
	assert_memory_equal(w.addr, list[0].addr, 4);
	assert_true(covered(&e, "::", 0, &w));
	assert_int_equal(w.family, AF_INET6);
	fwd_ep_free(&e);
}

static void test_only_prefixes_that_contain_an_endpoint_are_covered(void **state)
{
	struct fwd_endpoints e;
	struct fwd_addr list[] = { addr("198.51.100.7"), addr("192.0.2.2"),
				   addr("2001:db8:5::1") };

	fwd_ep_init(&e);
	assert_int_equal(fwd_ep_set(&e, list, 3), 1);
	assert_true(covered(&e, "192.0.2.0", 24, NULL));
	assert_true(covered(&e, "192.0.2.2", 32, NULL));
	assert_true(covered(&e, "198.51.100.0", 25, NULL));
	assert_true(covered(&e, "192.0.0.0", 8, NULL));
	assert_false(covered(&e, "192.0.2.3", 32, NULL));
	assert_false(covered(&e, "192.0.3.0", 24, NULL));
	assert_false(covered(&e, "198.51.100.128", 25, NULL));
	assert_false(covered(&e, "10.0.0.0", 8, NULL));
	assert_true(covered(&e, "2001:db8::", 32, NULL));
	assert_true(covered(&e, "2001:db8:5::", 64, NULL));
	assert_false(covered(&e, "2001:db8:6::", 48, NULL));
	/* An IPv4 prefix never covers an IPv6 endpoint and the other way. */
	assert_false(covered(&e, "::", 1, NULL) && covered(&e, "8000::", 1, NULL));
	/* Host bits set in the prefix do not matter. */
	assert_true(covered(&e, "192.0.2.77", 24, NULL));
	fwd_ep_free(&e);
}

static void test_an_empty_set_covers_nothing(void **state)
{
	struct fwd_endpoints e;

	fwd_ep_init(&e);
	assert_false(covered(&e, "0.0.0.0", 0, NULL));
	assert_int_equal(fwd_ep_set(&e, NULL, 0), 0);
	assert_false(covered(&e, "::", 0, NULL));
	fwd_ep_free(&e);
}

static void test_setting_the_same_endpoints_again_is_no_change(void **state)
{
	struct fwd_endpoints e;
	struct fwd_addr a[] = { addr("192.0.2.2"), addr("192.0.2.9"), addr("192.0.2.2") };
	struct fwd_addr b[] = { addr("192.0.2.9"), addr("192.0.2.2") };
	struct fwd_addr c[] = { addr("192.0.2.9") };

	fwd_ep_init(&e);
	assert_int_equal(fwd_ep_set(&e, a, 3), 1);
	assert_int_equal(e.n, 2);		/* duplicates behind one NAT */
	assert_int_equal(fwd_ep_set(&e, b, 2), 0);	/* order does not count */
	assert_int_equal(fwd_ep_set(&e, c, 1), 1);	/* one roamed away */
	assert_false(covered(&e, "192.0.2.2", 32, NULL));
	assert_true(covered(&e, "192.0.2.9", 32, NULL));
	assert_int_equal(fwd_ep_set(&e, NULL, 0), 1);
	assert_false(covered(&e, "192.0.2.9", 32, NULL));
	fwd_ep_free(&e);
}

static void test_many_endpoints_are_found_by_search(void **state)
{
	struct fwd_endpoints e;
	struct fwd_addr list[1000];

	for (unsigned i = 0; i < 1000; i++) {
		memset(&list[i], 0, sizeof(list[i]));
		list[i].family = AF_INET;
		list[i].addr[0] = 10;
		list[i].addr[1] = (uint8_t)(i >> 8);
		list[i].addr[2] = (uint8_t)i;
		list[i].addr[3] = 1;
	}
	fwd_ep_init(&e);
	assert_int_equal(fwd_ep_set(&e, list, 1000), 1);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t p[4] = { 10, (uint8_t)(i >> 8), (uint8_t)i, 0 };

		assert_true(fwd_ep_covered(&e, AF_INET, p, 24, NULL));
		p[3] = 2;
		assert_false(fwd_ep_covered(&e, AF_INET, p, 32, NULL));
	}
	fwd_ep_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_default_route_covers_every_endpoint_of_its_family),
		cmocka_unit_test(test_only_prefixes_that_contain_an_endpoint_are_covered),
		cmocka_unit_test(test_an_empty_set_covers_nothing),
		cmocka_unit_test(test_setting_the_same_endpoints_again_is_no_change),
		cmocka_unit_test(test_many_endpoints_are_found_by_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
