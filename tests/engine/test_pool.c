/* SPDX-License-Identifier: MIT */
/* tests/engine/test_pool.c — the fixed-size object pool (proto/pool.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/pool.h"

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 24;
}

static void test_objects_are_distinct_aligned_and_hold_their_bytes(void **state)
{
	enum { N = 3000 };
	struct babel_pool p;
	unsigned char **v = calloc(N, sizeof(*v));

	(void)state;
	babel_pool_init(&p, 13, NULL);
	assert_int_equal(p.size, 16);
	for (int i = 0; i < N; i++) {
		v[i] = babel_pool_alloc(&p);
		assert_non_null(v[i]);
		assert_int_equal((uintptr_t)v[i] % 8, 0);
		memset(v[i], i & 0xff, 13);
	}
	assert_true(p.nchunks >= N * 16 / BABEL_POOL_CHUNK);
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 13; k++)
			assert_int_equal(v[i][k], i & 0xff);
	assert_int_equal(p.live, N);
	babel_pool_fini(&p);
	free(v);
}

static void test_a_freed_object_is_handed_out_again(void **state)
{
	struct babel_pool p;
	void *a, *b, *c;

	(void)state;
	babel_pool_init(&p, 40, NULL);
	a = babel_pool_alloc(&p);
	b = babel_pool_alloc(&p);
	babel_pool_free(&p, a);
	c = babel_pool_alloc(&p);
	assert_ptr_equal(c, a);
	assert_ptr_not_equal(c, b);
	babel_pool_free(&p, NULL);	/* ignored */
	assert_int_equal(p.live, 2);
	babel_pool_fini(&p);
}

static void test_empty_chunks_go_back_and_memory_is_accounted(void **state)
{
	enum { N = 20000 };
	struct babel_pool p;
	void **v = calloc(N, sizeof(*v));
	size_t mem = 0, chunks;

	(void)state;
	babel_pool_init(&p, 72, &mem);
	for (int i = 0; i < N; i++)
		v[i] = babel_pool_alloc(&p);
	chunks = (N + p.per_chunk - 1) / p.per_chunk;
	assert_int_equal(p.nchunks, chunks);
	assert_int_equal(mem, chunks * BABEL_POOL_CHUNK + p.cap * sizeof(void *));
	assert_true(mem < (size_t)N * 72 * 102 / 100 + p.cap * sizeof(void *));
	/* Every other object: no chunk is empty, none goes. */
	for (int i = 0; i < N; i += 2)
		babel_pool_free(&p, v[i]);
	assert_int_equal(p.nchunks, chunks);
	/* The rest: all but one empty chunk go back to malloc. */
	for (int i = 1; i < N; i += 2)
		babel_pool_free(&p, v[i]);
	assert_int_equal(p.live, 0);
	assert_int_equal(p.nchunks, 1);
	assert_int_equal(mem, BABEL_POOL_CHUNK + p.cap * sizeof(void *));
	babel_pool_fini(&p);
	assert_int_equal(mem, 0);
	free(v);
}

static void test_random_churn_never_hands_out_a_live_object(void **state)
{
	enum { N = 5000, ROUNDS = 200000 };
	struct babel_pool p;
	uint32_t **v = calloc(N, sizeof(*v));
	uint64_t seed = 3;
	size_t mem = 0, live = 0;

	(void)state;
	babel_pool_init(&p, 24, &mem);
	for (int r = 0; r < ROUNDS; r++) {
		uint32_t i = (uint32_t)(lcg(&seed) % N);

		if (v[i]) {
			assert_int_equal(v[i][0], i);
			assert_int_equal(v[i][5], ~i);
			babel_pool_free(&p, v[i]);
			v[i] = NULL;
			live--;
		} else {
			v[i] = babel_pool_alloc(&p);
			assert_non_null(v[i]);
			v[i][0] = i;
			v[i][5] = ~i;
			live++;
		}
		assert_int_equal(p.live, live);
	}
	for (uint32_t i = 0; i < N; i++)
		if (v[i])
			assert_int_equal(v[i][0], i);
	assert_true(p.nchunks <= (N + p.per_chunk - 1) / p.per_chunk + 1);
	babel_pool_fini(&p);
	assert_int_equal(mem, 0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects_are_distinct_aligned_and_hold_their_bytes),
		cmocka_unit_test(test_a_freed_object_is_handed_out_again),
		cmocka_unit_test(test_empty_chunks_go_back_and_memory_is_accounted),
		cmocka_unit_test(test_random_churn_never_hands_out_a_live_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
