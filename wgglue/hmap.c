/* SPDX-License-Identifier: MIT */
/* wgglue/hmap.c — see hmap.h. Slot layout: u32 hash (0 = empty), key, value. */
#include "wgglue/hmap.h"

#include <stdlib.h>
#include <string.h>

#define HMAP_HDR 8	/* hash + padding, keeps keys 8-aligned */

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

static uint8_t *slot_at(const struct wg_hmap *m, size_t i)
{
	return m->slots + i * m->stride;
}

static uint32_t slot_hash(const uint8_t *s)
{
	uint32_t h;
	memcpy(&h, s, sizeof(h));
	return h;
}

void wg_hmap_init(struct wg_hmap *m, size_t key_size, size_t val_size)
{
	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	m->val_size = val_size;
	m->val_off = (HMAP_HDR + key_size + 7) & ~(size_t)7;
	m->stride = (m->val_off + val_size + 7) & ~(size_t)7;
}

void wg_hmap_free(struct wg_hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

void wg_hmap_clear(struct wg_hmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * m->stride);
	m->count = 0;
}

static size_t hmap_lookup(const struct wg_hmap *m, const void *key,
			  uint32_t h, bool *found)
{
	size_t mask = m->cap - 1;
	size_t i = h & mask;

	for (;;) {
		const uint8_t *s = slot_at(m, i);
		uint32_t sh = slot_hash(s);
		if (sh == 0) {
			*found = false;
			return i;
		}
		if (sh == h && memcmp(s + HMAP_HDR, key, m->key_size) == 0) {
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
	return found ? slot_at(m, i) + m->val_off : NULL;
}

static int hmap_grow(struct wg_hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	uint8_t *ns = calloc(ncap, m->stride);
	if (!ns)
		return -1;
	struct wg_hmap old = *m;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < old.cap; i++) {
		const uint8_t *s = slot_at(&old, i);
		uint32_t h = slot_hash(s);
		if (!h)
			continue;
		size_t j = h & (ncap - 1);
		while (slot_hash(slot_at(m, j)))
			j = (j + 1) & (ncap - 1);
		memcpy(slot_at(m, j), s, m->stride);
	}
	free(old.slots);
	return 0;
}

void *wg_hmap_get(struct wg_hmap *m, const void *key, bool *created)
{
	bool found = false;
	uint32_t h = hmap_hash(key, m->key_size);
	size_t i = 0;

	if (created)
		*created = false;
	if (m->cap) {
		i = hmap_lookup(m, key, h, &found);
		if (found)
			return slot_at(m, i) + m->val_off;
	}
	/* keep the load factor under 3/4 */
	if ((m->count + 1) * 4 > m->cap * 3) {
		if (hmap_grow(m) < 0)
			return NULL;
		i = hmap_lookup(m, key, h, &found);
	}
	uint8_t *s = slot_at(m, i);
	memset(s, 0, m->stride);
	memcpy(s, &h, sizeof(h));
	memcpy(s + HMAP_HDR, key, m->key_size);
	m->count++;
	if (created)
		*created = true;
	return s + m->val_off;
}

bool wg_hmap_remove(struct wg_hmap *m, const void *key)
{
	bool found;

	if (m->count == 0)
		return false;
	size_t mask = m->cap - 1;
	size_t i = hmap_lookup(m, key, hmap_hash(key, m->key_size), &found);
	if (!found)
		return false;
	/* Backward-shift: pull later entries of the cluster into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		uint8_t *sj = slot_at(m, j);
		uint32_t hj = slot_hash(sj);
		if (!hj)
			break;
		size_t home = hj & mask;
		bool in_range = (i <= j) ? (home > i && home <= j)
					 : (home > i || home <= j);
		if (in_range)
			continue;
		memcpy(slot_at(m, i), sj, m->stride);
		i = j;
	}
	memset(slot_at(m, i), 0, m->stride);
	m->count--;
	return true;
}

void *wg_hmap_next(const struct wg_hmap *m, size_t *it, const void **key)
{
	while (*it < m->cap) {
		uint8_t *s = slot_at(m, (*it)++);
		if (slot_hash(s)) {
			if (key)
				*key = s + HMAP_HDR;
			return s + m->val_off;
		}
	}
	return NULL;
}
