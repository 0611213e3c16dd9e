/* SPDX-License-Identifier: MIT */
/* wgglue/shmap.c — see shmap.h. */
#include "wgglue/shmap.h"

/* The shard: a byte of a hash other than wg_hmap's (FNV-1a there), so that
 * the keys of one shard still spread over its slots. */
static unsigned shmap_shard(const struct wg_shmap *m, const void *key)
{
	const uint8_t *p = key;
	size_t len = m->shard[0].key_size;
	uint32_t h = 0x9e3779b9u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x01000193u + (h >> 15);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h % WG_SHMAP_SHARDS;
}

void wg_shmap_init(struct wg_shmap *m, size_t key_size, size_t val_size)
{
	for (unsigned i = 0; i < WG_SHMAP_SHARDS; i++)
		wg_hmap_init(&m->shard[i], key_size, val_size);
	m->count = 0;
}

void wg_shmap_free(struct wg_shmap *m)
{
	for (unsigned i = 0; i < WG_SHMAP_SHARDS; i++)
		wg_hmap_free(&m->shard[i]);
	m->count = 0;
}

void *wg_shmap_find(const struct wg_shmap *m, const void *key)
{
	return wg_hmap_find(&m->shard[shmap_shard(m, key)], key);
}

void *wg_shmap_get(struct wg_shmap *m, const void *key, bool *created)
{
	struct wg_hmap *s = &m->shard[shmap_shard(m, key)];
	size_t before = s->count;
	void *v = wg_hmap_get(s, key, created);

	m->count += s->count - before;
	return v;
}

bool wg_shmap_remove(struct wg_shmap *m, const void *key)
{
	if (!wg_hmap_remove(&m->shard[shmap_shard(m, key)], key))
		return false;
	m->count--;
	return true;
}

void *wg_shmap_next(const struct wg_shmap *m, struct wg_shmap_iter *it,
		    const void **key)
{
	for (; it->shard < WG_SHMAP_SHARDS; it->shard++, it->it = 0) {
		void *v = wg_hmap_next(&m->shard[it->shard], &it->it, key);

		if (v)
			return v;
	}
	return NULL;
}
