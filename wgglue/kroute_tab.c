/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_tab.c — kroute's compact table of installed routes: chunked
 * entries that never move, chained from a bucket array (kroute_tab.h).
 */
#include "wgglue/kroute_tab.h"

#include <stdlib.h>
#include <string.h>

void krt_init(struct krt_table *t)
{
	memset(t, 0, sizeof(*t));
	t->free_head = KRT_NONE;
}

void krt_free(struct krt_table *t)
{
	for (uint32_t i = 0; i < t->n_chunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->buckets);
	krt_init(t);
}

/* 64-bit mix of the 18 key bytes (the address is normalised, so equal
 * prefixes have equal bytes). */
static uint32_t krt_hash(const struct wg_prefix *p)
{
	uint64_t a, b, h;

	memcpy(&a, p->addr, 8);
	memcpy(&b, p->addr + 8, 8);
	h = a * 0x9E3779B97F4A7C15ULL;
	h ^= (b + ((uint64_t)p->family << 8 | p->plen)) * 0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 31;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

static bool krt_same(const struct wg_prefix *a, const struct wg_prefix *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

uint32_t krt_find(const struct krt_table *t, const struct wg_prefix *dst)
{
	uint32_t i;

	if (!t->buckets)
		return KRT_NONE;
	for (i = t->buckets[krt_hash(dst) & t->mask]; i != KRT_NONE;
	     i = krt_at(t, i)->next)
		if (krt_same(&krt_at(t, i)->dst, dst))
			return i;
	return KRT_NONE;
}

/* Doubles the bucket array (or makes the first) and re-chains every live
 * entry; the entries themselves stay where they are. */
static int krt_grow_buckets(struct krt_table *t)
{
	uint32_t n = t->buckets ? (t->mask + 1) * 2 : 64;
	uint32_t *b = malloc((size_t)n * sizeof(*b));

	if (!b)
		return -1;
	memset(b, 0xff, (size_t)n * sizeof(*b));	/* KRT_NONE */
	for (uint32_t i = 0; i < t->used; i++) {
		struct krt_entry *e = krt_at(t, i);
		uint32_t h;

		if (!(e->flags & KRT_F_USED))
			continue;
		h = krt_hash(&e->dst) & (n - 1);
		e->next = b[h];
		b[h] = i;
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
	return 0;
}

static uint32_t krt_alloc(struct krt_table *t)
{
	uint32_t i = t->free_head;

	if (i != KRT_NONE) {
		t->free_head = krt_at(t, i)->next;
		return i;
	}
	if ((t->used >> KRT_CHUNK_SHIFT) == t->n_chunks) {
		struct krt_entry **c, *chunk;

		if (t->n_chunks == (KRT_NONE >> KRT_CHUNK_SHIFT))
			return KRT_NONE;
		c = realloc(t->chunks, (t->n_chunks + 1) * sizeof(*c));
		if (!c)
			return KRT_NONE;
		t->chunks = c;
		chunk = calloc(KRT_CHUNK, sizeof(*chunk));
		if (!chunk)
			return KRT_NONE;
		t->chunks[t->n_chunks++] = chunk;
	}
	return t->used++;
}

uint32_t krt_add(struct krt_table *t, const struct wg_prefix *dst)
{
	struct krt_entry *e;
	uint32_t i, h;

	/* Load factor up to 1 with chaining: 4 bytes of buckets per route. */
	if ((!t->buckets || t->count > t->mask) && krt_grow_buckets(t) < 0 &&
	    !t->buckets)
		return KRT_NONE;
	i = krt_alloc(t);
	if (i == KRT_NONE)
		return KRT_NONE;
	e = krt_at(t, i);
	memset(e, 0, sizeof(*e));
	e->dst = *dst;
	e->flags = KRT_F_USED;
	h = krt_hash(dst) & t->mask;
	e->next = t->buckets[h];
	t->buckets[h] = i;
	t->count++;
	return i;
}

void krt_del(struct krt_table *t, uint32_t idx)
{
	struct krt_entry *e = krt_at(t, idx);
	uint32_t *link = &t->buckets[krt_hash(&e->dst) & t->mask];

	while (*link != KRT_NONE && *link != idx)
		link = &krt_at(t, *link)->next;
	if (*link == idx)
		*link = e->next;
	e->flags = 0;
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

size_t krt_memory(const struct krt_table *t)
{
	return (size_t)t->n_chunks * (KRT_CHUNK * sizeof(struct krt_entry) +
				      sizeof(struct krt_entry *)) +
	       (t->buckets ? ((size_t)t->mask + 1) * sizeof(uint32_t) : 0);
}
