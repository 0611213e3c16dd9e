/* SPDX-License-Identifier: MIT */
/*
 * tests/engine/test_structs.c — the timer heap, the hash table, and the
 * sizes of the per-prefix structs (the memory budget of issue 7).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/engine.h"
#include "proto/heap.h"
#include "proto/htable.h"
#include "proto/list.h"

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 24;
}

static void test_heap_pops_timers_in_deadline_order(void **state)
{
	enum { N = 2000 };
	struct babel_timer *t = calloc(N, sizeof(*t));
	uint64_t *when = calloc(N, sizeof(*when));
	struct babel_heap h;
	size_t mem = 0;
	uint64_t seed = 1, last = 0;

	(void)state;
	babel_heap_init(&h, &mem);
	for (int i = 0; i < N; i++) {
		babel_timer_init(&t[i], 0);
		when[i] = lcg(&seed) % 100000;
		assert_int_equal(babel_heap_arm(&h, &t[i], when[i]), 0);
		assert_int_equal(babel_timer_when(&h, &t[i]), when[i]);
	}
	assert_true(mem >= N * sizeof(void *));
	for (int i = 0; i < N; i++) {
		uint64_t next = babel_heap_next(&h);
		struct babel_timer *x = babel_heap_pop_due(&h, UINT64_MAX);

		assert_non_null(x);
		assert_int_equal(when[x - t], next);
		assert_true(next >= last);
		assert_false(babel_timer_armed(x));
		last = next;
	}
	assert_int_equal(babel_heap_next(&h), UINT64_MAX);
	assert_null(babel_heap_pop_due(&h, UINT64_MAX));
	babel_heap_fini(&h);
	assert_int_equal(mem, 0);
	free(t);
	free(when);
}

static void test_heap_rearm_and_cancel_keep_the_order(void **state)
{
	enum { N = 500 };
	struct babel_timer *t = calloc(N, sizeof(*t));
	struct babel_heap h;
	uint64_t seed = 7, last = 0;
	unsigned popped = 0;

	(void)state;
	babel_heap_init(&h, NULL);
	for (int i = 0; i < N; i++) {
		babel_timer_init(&t[i], 0);
		babel_heap_arm(&h, &t[i], lcg(&seed) % 10000);
	}
	for (int i = 0; i < N; i += 3)
		babel_heap_arm(&h, &t[i], lcg(&seed) % 10000);	/* earlier or later */
	for (int i = 1; i < N; i += 5)
		babel_heap_cancel(&h, &t[i]);
	babel_heap_arm_before(&h, &t[2], 0);	/* pulls it to the front */
	assert_ptr_equal(babel_heap_top(&h), &t[2]);
	assert_int_equal(babel_heap_next(&h), 0);
	assert_int_equal(babel_timer_when(&h, &t[2]), 0);
	babel_heap_cancel(&h, &t[2]);
	while (babel_heap_top(&h)) {
		uint64_t next = babel_heap_next(&h);

		assert_non_null(babel_heap_pop_due(&h, UINT64_MAX));
		assert_true(next >= last);
		last = next;
		popped++;
	}
	assert_int_equal(popped, N - 1 - N / 5);
	babel_heap_fini(&h);
	free(t);
}

struct item {
	struct babel_hnode node;
	uint32_t key;
};

static uint32_t item_hash(const struct babel_hnode *n, const void *ctx)
{
	(void)ctx;
	return babel_hash_bytes(&babel_container_of(n, struct item, node)->key, 4, 99);
}

static struct item *find(struct babel_htable *t, uint32_t key)
{
	uint32_t h = babel_hash_bytes(&key, 4, 99);

	for (struct babel_hnode *n = babel_htable_bucket(t, h); n; n = n->next) {
		struct item *it = babel_container_of(n, struct item, node);

		if (it->key == key)
			return it;
	}
	return NULL;
}

static void test_hash_table_finds_every_node_after_growing_and_removals(void **state)
{
	enum { N = 10000 };
	struct item *items = calloc(N, sizeof(*items));
	struct babel_htable t;
	size_t mem = 0;
	uint32_t longest = 0;

	(void)state;
	assert_int_equal(babel_htable_init(&t, &mem, item_hash, NULL), 0);
	for (uint32_t i = 0; i < N; i++) {
		items[i].key = i * 16;	/* prefix-like keys with low zero bits */
		babel_htable_insert(&t, &items[i].node, babel_hash_bytes(&items[i].key, 4, 99));
	}
	assert_true(babel_htable_buckets(&t) >= N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(find(&t, i * 16), &items[i]);
	for (uint32_t b = 0; b < babel_htable_buckets(&t); b++) {
		uint32_t len = 0;

		for (struct babel_hnode *n = t.b[b]; n; n = n->next)
			len++;
		if (len > longest)
			longest = len;
	}
	assert_true(longest <= 12);	/* the hash spreads the keys */
	for (uint32_t i = 0; i < N; i += 2)
		babel_htable_remove(&t, &items[i].node);
	assert_int_equal(t.n, N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_true((find(&t, i * 16) != NULL) == (i % 2 == 1));
	babel_htable_fini(&t);
	assert_int_equal(mem, 0);
	free(items);
}

static void test_list_removal_during_iteration_is_safe(void **state)
{
	struct node {
		struct babel_list l;
		int v;
	} n[5];
	struct babel_list head, *pos, *tmp;
	int sum = 0;

	(void)state;
	babel_list_init(&head);
	for (int i = 0; i < 5; i++) {
		n[i].v = i;
		babel_list_add_tail(&head, &n[i].l);
	}
	babel_list_for_each_safe(pos, tmp, &head)
		if (babel_container_of(pos, struct node, l)->v % 2 == 0)
			babel_list_del(pos);
	babel_list_for_each_safe(pos, tmp, &head)
		sum += babel_container_of(pos, struct node, l)->v;
	assert_int_equal(sum, 1 + 3);
}

/*
 * 100,000 prefixes in 20 MB (issue 7): an entry, a route and a source are
 * most of it. A field added to one of them must fit its padding or be
 * paid for here, on purpose. Sizes for LP64.
 */
static void test_per_prefix_structs_keep_their_size(void **state)
{
	(void)state;
	if (sizeof(void *) != 8)
		skip();
	assert_int_equal(sizeof(struct babel_timer), 4);
	/* with its first source inline */
	assert_int_equal(sizeof(struct babel_entry), 64);
	assert_int_equal(offsetof(struct babel_entry, src) + sizeof(struct babel_prefix), 82);
	assert_int_equal(sizeof(struct babel_route), 64);
	assert_int_equal(offsetof(struct babel_route, nexthop) + sizeof(struct babel_addr), 81);
	assert_int_equal(sizeof(struct babel_source), 16);
	assert_int_equal(sizeof(struct babel_source_node), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_pops_timers_in_deadline_order),
		cmocka_unit_test(test_heap_rearm_and_cancel_keep_the_order),
		cmocka_unit_test(test_hash_table_finds_every_node_after_growing_and_removals),
		cmocka_unit_test(test_list_removal_during_iteration_is_safe),
		cmocka_unit_test(test_per_prefix_structs_keep_their_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
