/* SPDX-License-Identifier: MIT */
/* tests/wgglue/test_wgutil.c — prefixes, keys and the hash table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wgglue/hmap.h"
#include "wgglue/wg.h"

static void test_prefix_parse_zeroes_host_bits(void **state)
{
	struct wg_prefix a, b;
	char buf[WG_PREFIX_STRLEN];

	assert_int_equal(wg_prefix_parse(&a, "10.1.2.3/16"), 0);
	assert_int_equal(wg_prefix_parse(&b, "10.1.0.0/16"), 0);
	assert_true(wg_prefix_equal(&a, &b));
	assert_string_equal(wg_prefix_str(&a, buf), "10.1.0.0/16");
	assert_int_equal(wg_prefix_parse(&a, "2001:db8:ffff::1/33"), 0);
	assert_string_equal(wg_prefix_str(&a, buf), "2001:db8:8000::/33");
	assert_int_equal(wg_prefix_parse(&a, "192.0.2.1"), 0);
	assert_int_equal(a.plen, 32);
}

static void test_prefix_parse_rejects_bad_input(void **state)
{
	struct wg_prefix p;
	const char *bad[] = { "", "/8", "10.0.0.0/33", "::/129", "10.0.0.0/",
			      "10.0.0.0/8x", "10.0.0/8", "hello", "1.2.3.4/-1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(wg_prefix_parse(&p, bad[i]), 0);
}

static void test_key_base64_and_hex_round_trip(void **state)
{
	/* wg(8) style key: 32 bytes of 0..31 */
	struct wg_key k, k2;
	char b64[WG_KEY_B64_LEN], hex[WG_KEY_HEX_LEN];

	for (int i = 0; i < WG_KEY_LEN; i++)
		k.b[i] = (uint8_t)i;
	wg_key_to_base64(&k, b64);
	assert_string_equal(b64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	assert_int_equal(wg_key_from_base64(&k2, b64), 0);
	assert_true(wg_key_equal(&k, &k2));
	wg_key_to_hex(&k, hex);
	assert_int_equal(strncmp(hex, "000102", 6), 0);
	assert_int_equal(wg_key_from_hex(&k2, hex), 0);
	assert_true(wg_key_equal(&k, &k2));
	assert_int_not_equal(wg_key_from_base64(&k2, "AAEC"), 0);
	assert_int_not_equal(wg_key_from_hex(&k2, "zz"), 0);
}

static void test_hmap_survives_many_inserts_and_removals(void **state)
{
	struct wg_hmap m;
	struct wg_prefix p;
	uint8_t a[4] = { 10, 0, 0, 0 };

	wg_hmap_init(&m, sizeof(p), sizeof(uint32_t));
	for (uint32_t i = 0; i < 50000; i++) {
		a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		wg_prefix_make(&p, AF_INET, a, 32);
		uint32_t *v = wg_hmap_get(&m, &p, NULL);
		assert_non_null(v);
		*v = i;
	}
	/* remove the odd ones */
	for (uint32_t i = 1; i < 50000; i += 2) {
		a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		wg_prefix_make(&p, AF_INET, a, 32);
		assert_true(wg_hmap_remove(&m, &p));
	}
	assert_int_equal(m.count, 25000);
	for (uint32_t i = 0; i < 50000; i++) {
		a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		wg_prefix_make(&p, AF_INET, a, 32);
		uint32_t *v = wg_hmap_find(&m, &p);
		if (i & 1) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(*v, i);
		}
	}
	size_t it = 0, n = 0;
	while (wg_hmap_next(&m, &it, NULL))
		n++;
	assert_int_equal(n, 25000);
	wg_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_zeroes_host_bits),
		cmocka_unit_test(test_prefix_parse_rejects_bad_input),
		cmocka_unit_test(test_key_base64_and_hex_round_trip),
		cmocka_unit_test(test_hmap_survives_many_inserts_and_removals),
	};
	return cmocka_run_group_tests_name("wgglue_util", tests, NULL, NULL);
}
