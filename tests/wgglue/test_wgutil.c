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

static void hmap_key(struct wg_prefix *p, uint32_t i)
{
	uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

	wg_prefix_make(p, AF_INET, a, 32);
}

static void test_hmap_values_stay_put_while_the_table_grows(void **state)
{
	struct wg_hmap m;
	struct wg_prefix p;
	uint32_t *first[100];

	wg_hmap_init(&m, sizeof(p), sizeof(uint32_t));
	for (uint32_t i = 0; i < 20000; i++) {
		hmap_key(&p, i);
		uint32_t *v = wg_hmap_get(&m, &p, NULL);
		assert_non_null(v);
		*v = i;
		if (i < 100)
			first[i] = v;
	}
	for (uint32_t i = 0; i < 100; i++) {
		hmap_key(&p, i);
		assert_ptr_equal(wg_hmap_find(&m, &p), first[i]);
		assert_int_equal(*first[i], i);
	}
	wg_hmap_free(&m);
}

static void test_hmap_reuses_removed_entries(void **state)
{
	struct wg_hmap m;
	struct wg_prefix p;
	uint32_t used;

	wg_hmap_init(&m, sizeof(p), sizeof(uint32_t));
	for (uint32_t i = 0; i < 5000; i++) {
		hmap_key(&p, i);
		*(uint32_t *)wg_hmap_get(&m, &p, NULL) = 7;
	}
	used = m.used;
	for (uint32_t i = 0; i < 5000; i++) {
		hmap_key(&p, i);
		assert_true(wg_hmap_remove(&m, &p));
	}
	for (uint32_t i = 5000; i < 10000; i++) {
		bool created;
		uint32_t *v;

		hmap_key(&p, i);
		v = wg_hmap_get(&m, &p, &created);
		assert_non_null(v);
		assert_true(created);
		assert_int_equal(*v, 0);	/* zeroed, also when reused */
		*v = i;
	}
	assert_int_equal(m.used, used);	/* no new entry was handed out */
	assert_int_equal(m.count, 5000);
	for (uint32_t i = 0; i < 10000; i++) {
		uint32_t *v;

		hmap_key(&p, i);
		v = wg_hmap_find(&m, &p);
		if (i < 5000) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(*v, i);
		}
	}
	wg_hmap_free(&m);
}

static void test_hmap_iteration_skips_what_was_removed_meanwhile(void **state)
{
	struct wg_hmap m;
	struct wg_prefix p;
	const void *k;
	uint32_t *v;
	size_t it = 0, n = 0;

	wg_hmap_init(&m, sizeof(p), sizeof(uint32_t));
	for (uint32_t i = 0; i < 1000; i++) {
		hmap_key(&p, i);
		v = wg_hmap_get(&m, &p, NULL);
		*v = i;
	}
	/* Each visit removes itself and the entry with the next value. */
	while ((v = wg_hmap_next(&m, &it, &k))) {
		uint32_t i = *v;

		assert_int_equal(i % 2, 0);
		memcpy(&p, k, sizeof(p));
		assert_true(wg_hmap_remove(&m, &p));
		hmap_key(&p, i + 1);
		assert_true(wg_hmap_remove(&m, &p));
		n++;
	}
	assert_int_equal(n, 500);
	assert_int_equal(m.count, 0);
	wg_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_zeroes_host_bits),
		cmocka_unit_test(test_prefix_parse_rejects_bad_input),
		cmocka_unit_test(test_key_base64_and_hex_round_trip),
		cmocka_unit_test(test_hmap_survives_many_inserts_and_removals),
		cmocka_unit_test(test_hmap_values_stay_put_while_the_table_grows),
		cmocka_unit_test(test_hmap_reuses_removed_entries),
		cmocka_unit_test(test_hmap_iteration_skips_what_was_removed_meanwhile),
	};
	return cmocka_run_group_tests_name("wgglue_util", tests, NULL, NULL);
}
