/* SPDX-License-Identifier: MIT */
/* daemon/log.c: the per-minute cap on warnings of one kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/log.h"

#define SEC 1000000ull

static void test_at_most_max_a_minute_then_counted(void **state)
{
	struct d_log l = { .level = CFG_LOG_ERROR };	/* the summary unprinted */
	struct d_lograte r = { 0 };
	uint64_t t0 = 100 * SEC;

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		assert_true(d_lograte_take(&l, &r, t0 + i, 3, "x", "y"));
	assert_false(d_lograte_take(&l, &r, t0 + 10 * SEC, 3, "x", "y"));
	assert_false(d_lograte_take(&l, &r, t0 + 59 * SEC, 3, "x", "y"));
	assert_int_equal(r.quiet, 2);
	/* a minute on: a new minute, the count said and cleared */
	assert_true(d_lograte_take(&l, &r, t0 + 61 * SEC, 3, "x", "y"));
	assert_int_equal(r.quiet, 0);
	assert_int_equal(r.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_most_max_a_minute_then_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
