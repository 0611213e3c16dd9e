/* SPDX-License-Identifier: MIT */
/*
 * wgglue/hmap.h — a small open-addressing hash table with fixed-size keys
 * and values (linear probing, backward-shift deletion, no tombstones).
 * Keys are compared with memcmp, so they must be normalised (struct
 * wg_prefix is). Values are zeroed when created. Pointers into the table
 * are invalidated by any insertion or removal; do not insert or remove
 * while iterating.
 */
#ifndef WGB_WGGLUE_HMAP_H
#define WGB_WGGLUE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_hmap {
	uint8_t *slots;
	size_t cap;		/* power of two, or 0 */
	size_t count;
	size_t key_size;
	size_t val_size;
	size_t val_off;		/* 8-aligned */
	size_t stride;
};

void wg_hmap_init(struct wg_hmap *m, size_t key_size, size_t val_size);
void wg_hmap_free(struct wg_hmap *m);
/* The value for key, or NULL. */
void *wg_hmap_find(const struct wg_hmap *m, const void *key);
/* Finds or creates; NULL only when out of memory. */
void *wg_hmap_get(struct wg_hmap *m, const void *key, bool *created);
bool wg_hmap_remove(struct wg_hmap *m, const void *key);
/* Iteration: size_t it = 0; while ((v = wg_hmap_next(m, &it, &k))) ... */
void *wg_hmap_next(const struct wg_hmap *m, size_t *it, const void **key);
void wg_hmap_clear(struct wg_hmap *m);

#endif
