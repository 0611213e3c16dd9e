/* SPDX-License-Identifier: MIT */
/*
 * wgglue/shmap.h — a wg_hmap split into WG_SHMAP_SHARDS independent tables,
 * the shard picked by a hash of the key. Same semantics as hmap.h.
 *
 * Why: a wg_hmap doubles in one step. At 786,432 entries of 48 bytes that
 * is a 96 MB array allocated, faulted in and filled at once: 742 ms on the
 * development machine (a nested VM, where the page faults alone take
 * 238 ms), during which the event loop stands still. Here each shard
 * doubles on its own, moving 1/256 of the entries (a few ms at 1,000,000),
 * and the shards fill evenly, so their growth is spread over the load.
 */
#ifndef WGB_WGGLUE_SHMAP_H
#define WGB_WGGLUE_SHMAP_H

#include "wgglue/hmap.h"

#define WG_SHMAP_SHARDS 256

struct wg_shmap {
	struct wg_hmap shard[WG_SHMAP_SHARDS];
	size_t count;
};

/* Iteration: struct wg_shmap_iter it = { 0 };
 * while ((v = wg_shmap_next(m, &it, &k))) ... */
struct wg_shmap_iter {
	unsigned shard;
	size_t it;
};

void wg_shmap_init(struct wg_shmap *m, size_t key_size, size_t val_size);
void wg_shmap_free(struct wg_shmap *m);
void *wg_shmap_find(const struct wg_shmap *m, const void *key);
void *wg_shmap_get(struct wg_shmap *m, const void *key, bool *created);
bool wg_shmap_remove(struct wg_shmap *m, const void *key);
void *wg_shmap_next(const struct wg_shmap *m, struct wg_shmap_iter *it,
		    const void **key);

#endif
