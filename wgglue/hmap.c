/* SPDX-License-Identifier: MIT */
/*
 * wgglue/hmap.c — see hmap.h. An entry is the key then the value; a free
 * entry holds the next free one (+ 1) in its first 4 bytes. Which entries
 * are live is a bitmap (iteration); the index has each one's hash.
 */
#include "wgglue/hmap.h"

#include <stdlib.h>
#include <string.h>

/* Chunks 0..8 hold 16, 16, 32 ... 2048 entries (4096 in all), every
 * later one 4096. */
#define HMAP_BIG_SHIFT 12
#define HMAP_BIG (1u << HMAP_BIG_SHIFT)
#define HMAP_SMALL_CHUNKS 9
#define HMAP_MAX_ENTRIES (UINT32_MAX - HMAP_BIG)

static uint32_t hmap_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a, then a final mix */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	uint32_t r = (uint32_t)h;
	return r ? r : 1;
}

/* Which chunk holds entry e, and where in it. */
static uint32_t chunk_of(uint32_t e, uint32_t *off)
{
	if (e >= HMAP_BIG) {
		*off = e & (HMAP_BIG - 1);
		return HMAP_SMALL_CHUNKS - 1 + (e >> HMAP_BIG_SHIFT);
	}
	if (e < 16) {
		*off = e;
		return 0;
	}
	unsigned lg = 31 - (unsigned)__builtin_clz(e);	/* 4..11 */
	*off = e - (1u << lg);
	return lg - 3;
}

static size_t chunk_entries(uint32_t c)
{
	if (c == 0)
		return 16;
	return c < HMAP_SMALL_CHUNKS ? (size_t)1 << (c + 3) : HMAP_BIG;
}

/* Entries in chunks 0..c. */
static size_t entries_through(uint32_t c)
{
	if (c < HMAP_SMALL_CHUNKS)
		return (size_t)16 << c;
	return (size_t)(c - HMAP_SMALL_CHUNKS + 2) * HMAP_BIG;
}

static uint8_t *ent_at(const struct wg_hmap *m, uint32_t e)
{
	uint32_t off, c = chunk_of(e, &off);

	return m->chunks[c] + (size_t)off * m->stride;
}

static bool ent_live(const struct wg_hmap *m, uint32_t e)
{
	return m->live[e / 64] >> (e % 64) & 1;
}

static void ent_set_live(struct wg_hmap *m, uint32_t e, bool live)
{
	if (live)
		m->live[e / 64] |= 1ull << (e % 64);
	else
		m->live[e / 64] &= ~(1ull << (e % 64));
}

/* The alignment a type of this size may need: the largest power of two
 * that divides it, at most 8. */
static size_t size_align(size_t size)
{
	size_t a = 1;

	while (a < 8 && size % (a * 2) == 0)
		a *= 2;
	return a;
}

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

void wg_hmap_init(struct wg_hmap *m, size_t key_size, size_t val_size)
{
	size_t ka = size_align(key_size), va = size_align(val_size);

	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	m->val_size = val_size;
	m->val_off = round_up(key_size, va);
	m->stride = round_up(m->val_off + val_size, ka > va ? ka : va);
	if (m->stride < sizeof(uint32_t))	/* room for the free link */
		m->stride = sizeof(uint32_t);
}

void wg_hmap_free(struct wg_hmap *m)
{
	for (uint32_t c = 0; c < m->n_chunks; c++)
		free(m->chunks[c]);
	free(m->chunks);
	free(m->live);
	free(m->index);
	wg_hmap_init(m, m->key_size, m->val_size);
}

void wg_hmap_clear(struct wg_hmap *m)
{
	wg_hmap_free(m);
}

/* The slot holding key (*found) or the empty slot that ends its probe. */
static size_t hmap_lookup(const struct wg_hmap *m, const void *key,
			  uint32_t h, bool *found)
{
	size_t mask = m->cap - 1;
	size_t i = h & mask;

	for (;;) {
		const struct wg_hmap_slot *s = &m->index[i];

		if (s->ent == 0) {
			*found = false;
			return i;
		}
		if (s->hash == h &&
		    memcmp(ent_at(m, s->ent - 1), key, m->key_size) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

void *wg_hmap_find(const struct wg_hmap *m, const void *key)
{
	bool found;

	if (m->count == 0)
		return NULL;
	size_t i = hmap_lookup(m, key, hmap_hash(key, m->key_size), &found);
	return found ? ent_at(m, m->index[i].ent - 1) + m->val_off : NULL;
}

/* Doubles the index; the entries stay where they are. */
static int hmap_grow(struct wg_hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct wg_hmap_slot *ni = calloc(ncap, sizeof(*ni));

	if (!ni)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		const struct wg_hmap_slot *s = &m->index[i];
		size_t j;

		if (!s->ent)
			continue;
		j = s->hash & (ncap - 1);
		while (ni[j].ent)
			j = (j + 1) & (ncap - 1);
		ni[j] = *s;
	}
	free(m->index);
	m->index = ni;
	m->cap = ncap;
	return 0;
}

/* One more chunk, and the live bits for it. */
static int hmap_add_chunk(struct wg_hmap *m)
{
	uint32_t c = m->n_chunks;
	size_t words = (entries_through(c) + 63) / 64;
	size_t old_words = c ? (entries_through(c - 1) + 63) / 64 : 0;
	uint8_t **nc = realloc(m->chunks, (c + 1) * sizeof(*nc));
	uint64_t *nl;

	if (!nc)
		return -1;
	m->chunks = nc;
	if (!(nl = realloc(m->live, words * sizeof(*nl))))
		return -1;
	m->live = nl;
	memset(nl + old_words, 0, (words - old_words) * sizeof(*nl));
	if (!(nc[c] = malloc(chunk_entries(c) * m->stride)))
		return -1;
	m->n_chunks = c + 1;
	return 0;
}

/* A free entry (from the free list, or the next unused one); UINT32_MAX
 * when out of memory. */
static uint32_t hmap_ent_alloc(struct wg_hmap *m)
{
	uint32_t e, off;

	if (m->free_head) {
		e = m->free_head - 1;
		memcpy(&m->free_head, ent_at(m, e), sizeof(m->free_head));
		return e;
	}
	if (m->used >= HMAP_MAX_ENTRIES)
		return UINT32_MAX;
	e = m->used;
	if (chunk_of(e, &off) >= m->n_chunks && hmap_add_chunk(m) < 0)
		return UINT32_MAX;
	m->used++;
	return e;
}

void *wg_hmap_get(struct wg_hmap *m, const void *key, bool *created)
{
	bool found = false;
	uint32_t h = hmap_hash(key, m->key_size);
	size_t i = 0;
	uint32_t e;
	uint8_t *s;

	if (created)
		*created = false;
	if (m->cap) {
		i = hmap_lookup(m, key, h, &found);
		if (found)
			return ent_at(m, m->index[i].ent - 1) + m->val_off;
	}
	/* keep the index's load at most 7/8 */
	if ((m->count + 1) * 8 > m->cap * 7) {
		if (hmap_grow(m) < 0)
			return NULL;
		i = hmap_lookup(m, key, h, &found);
	}
	if ((e = hmap_ent_alloc(m)) == UINT32_MAX)
		return NULL;
	s = ent_at(m, e);
	memset(s, 0, m->stride);
	memcpy(s, key, m->key_size);
	ent_set_live(m, e, true);
	m->index[i].hash = h;
	m->index[i].ent = e + 1;
	m->count++;
	if (created)
		*created = true;
	return s + m->val_off;
}

bool wg_hmap_remove(struct wg_hmap *m, const void *key)
{
	bool found;
	uint32_t e;

	if (m->count == 0)
		return false;
	size_t mask = m->cap - 1;
	size_t i = hmap_lookup(m, key, hmap_hash(key, m->key_size), &found);
	if (!found)
		return false;
	e = m->index[i].ent - 1;
	/* Backward-shift: pull later slots of the cluster into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		const struct wg_hmap_slot *sj = &m->index[j];
		if (!sj->ent)
			break;
		size_t home = sj->hash & mask;
		bool in_range = (i <= j) ? (home > i && home <= j)
					 : (home > i || home <= j);
		if (in_range)
			continue;
		m->index[i] = *sj;
		i = j;
	}
	m->index[i].hash = 0;
	m->index[i].ent = 0;
	ent_set_live(m, e, false);
	memcpy(ent_at(m, e), &m->free_head, sizeof(m->free_head));
	m->free_head = e + 1;
	m->count--;
	return true;
}

void *wg_hmap_next(const struct wg_hmap *m, size_t *it, const void **key)
{
	while (*it < m->used) {
		uint32_t e = (uint32_t)(*it)++;
		uint8_t *s;

		if (!ent_live(m, e))
			continue;
		s = ent_at(m, e);
		if (key)
			*key = s;
		return s + m->val_off;
	}
	return NULL;
}
