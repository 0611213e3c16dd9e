/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/test_corpus_replay.c — every input in a fuzz target's corpus
 * and regressions (crashes the fuzzer once found) goes through the
 * fuzzer's invariants in the normal build, under ASan/UBSan in CI. Built
 * once per target: fuzz_packet (tests/fuzz/corpus, regressions) and, with
 * FUZZ_RTMSG, fuzz_rtmsg (corpus-rtmsg, regressions-rtmsg), with
 * FUZZ_HTTPREQ, fuzz_httpreq (corpus-httpreq, regressions-httpreq).
 */
#if defined(FUZZ_HTTPREQ)
#include "tests/fuzz/fuzz_httpreq_check.h"
#define FUZZ_CHECK fuzz_httpreq_check_input
#define FUZZ_MIN_SEEDS 13	/* the hand-made request heads */
#define FUZZ_NAME "httpreq corpus replay"
#elif defined(FUZZ_RTMSG)
#include "tests/fuzz/fuzz_rtmsg_check.h"
#define FUZZ_CHECK fuzz_rtmsg_check_input
#define FUZZ_MIN_SEEDS 8	/* the hand-made route messages */
#define FUZZ_NAME "rtmsg corpus replay"
#else
#include "tests/fuzz/fuzz_check.h"
#define FUZZ_CHECK fuzz_check_input
#define FUZZ_MIN_SEEDS 9	/* the babeld seeds */
#define FUZZ_NAME "fuzz corpus replay"
#endif

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static size_t replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[4096], why[256];
		uint8_t *buf;
		long len;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		assert_true(len >= 0);
		rewind(f);
		buf = malloc((size_t)len + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		if (FUZZ_CHECK(buf, (size_t)len, why, sizeof(why)) != 0)
			fail_msg("%s: %s", path, why);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void test_corpus_inputs_keep_the_invariants(void **state)
{
	(void)state;
	assert_true(replay_dir(FUZZ_CORPUS_DIR) >= FUZZ_MIN_SEEDS);
}

static void test_fuzzer_regressions_keep_the_invariants(void **state)
{
	(void)state;
	replay_dir(FUZZ_REGRESSIONS_DIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_inputs_keep_the_invariants),
		cmocka_unit_test(test_fuzzer_regressions_keep_the_invariants),
	};

	return cmocka_run_group_tests_name(FUZZ_NAME, tests, NULL, NULL);
}
