/* SPDX-License-Identifier: MIT */
/*
 * wgglue/hmap.h — a hash table with fixed-size keys and values. Keys are
 * compared with memcmp, so they must be normalised (struct wg_prefix is).
 * Values are zeroed when created.
 *
 * The entries (key, value) live in chunks that never move: 16, 16, 32 ...
 * 2048 entries, then 4096 at a time, so a table holds at most 4095 unused
 * entries and growing it copies no entry. They are found through an index
 * of (hash, entry) pairs, 8 bytes a slot, open addressing with linear
 * probing and backward-shift deletion, load at most 7/8: only the index
 * doubles. An entry is the key then the value, each aligned as its size
 * allows (a type's alignment divides its size; none here needs more than
 * 8), without padding beyond that. At 100,000 entries of an 18-byte key
 * and a 44-byte value that is 6.6 MB of entries and 1 MB of index, where
 * a table of whole 80-byte entries in the slots took 21 MB, and 31 MB for
 * the moment it doubled.
 *
 * A pointer to a value stays valid until that entry is removed (or the
 * table cleared). Iteration is in entry order; an entry removed while
 * iterating is not visited, one inserted may or may not be.
 */
#ifndef WGB_WGGLUE_HMAP_H
#define WGB_WGGLUE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_hmap_slot {
	uint32_t hash;
	uint32_t ent;		/* entry index + 1; 0: an empty slot */
};

struct wg_hmap {
	struct wg_hmap_slot *index;
	size_t cap;		/* index slots: a power of two, or 0 */
	size_t count;
	size_t key_size;
	size_t val_size;
	size_t val_off;
	size_t stride;
	uint8_t **chunks;
	uint64_t *live;		/* a bit per entry handed out */
	uint32_t n_chunks;
	uint32_t used;		/* entries handed out: free or live */
	uint32_t free_head;	/* entry index + 1 of a free entry, or 0 */
};

void wg_hmap_init(struct wg_hmap *m, size_t key_size, size_t val_size);
/* Frees the memory; the table is empty and can be used again. */
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
