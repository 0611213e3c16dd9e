/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_tab.h — kroute's table of installed routes (internal).
 *
 * One 28-byte entry per route: the prefix, a few flag bits and the index of
 * its next hop in kroute's next-hop table. Entries live in fixed chunks of
 * 4096 that never move, chained from a bucket array of 32-bit indexes: the
 * table grows a chunk (112 KiB) at a time, and only the bucket array
 * (4 bytes per bucket) is doubled and rehashed, so growing costs no second
 * copy of the routes (an open-addressing table of whole entries needs the
 * old and the new array at once: 3x its size for a moment).
 * Indexes stay valid until the entry is deleted.
 */
#ifndef WGB_WGGLUE_KROUTE_TAB_H
#define WGB_WGGLUE_KROUTE_TAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/ledger.h"
#include "wgglue/wg.h"

#define KRT_NONE UINT32_MAX
#define KRT_CHUNK_SHIFT 12
#define KRT_CHUNK (1u << KRT_CHUNK_SHIFT)

/* An entry's state: the ledger's (fwd/ledger.h, where the rules that
 * move an entry between them are). KRT_F_USED also means "not on the free
 * list". */
enum {
	KRT_F_USED = FWD_KR_USED,
	KRT_F_STALE = FWD_KR_STALE,
	KRT_F_DELETING = FWD_KR_DELETING,
	KRT_F_KERNEL = FWD_KR_KERNEL,
	KRT_F_PENDING = FWD_KR_PENDING,
	KRT_F_REFUSED = FWD_KR_REFUSED,
};

struct krt_entry {
	struct wg_prefix dst;	/* 18 bytes, normalised */
	uint8_t flags;		/* KRT_F_* */
	uint8_t spare;
	uint32_t nh;		/* index in kroute's next-hop table */
	uint32_t next;		/* bucket chain, or the free list */
};

struct krt_table {
	struct krt_entry **chunks;
	uint32_t n_chunks;
	uint32_t used;		/* entries ever handed out (high-water mark) */
	uint32_t free_head;	/* KRT_NONE: empty */
	uint32_t count;		/* live entries */
	uint32_t *buckets;
	uint32_t mask;		/* bucket count - 1; buckets == NULL: none */
};

void krt_init(struct krt_table *t);
void krt_free(struct krt_table *t);
/* Index of the entry for dst, or KRT_NONE. */
uint32_t krt_find(const struct krt_table *t, const struct wg_prefix *dst);
/* Adds an entry for dst (which must not be there yet): its index, or
 * KRT_NONE when out of memory. The entry has flags KRT_F_USED, nh 0. */
uint32_t krt_add(struct krt_table *t, const struct wg_prefix *dst);
void krt_del(struct krt_table *t, uint32_t idx);

static inline struct krt_entry *krt_at(const struct krt_table *t,
				       uint32_t idx)
{
	return &t->chunks[idx >> KRT_CHUNK_SHIFT][idx & (KRT_CHUNK - 1)];
}

/* Iteration over live entries: for (i = 0; i < t->used; i++) if
 * (krt_at(t, i)->flags & KRT_F_USED) ...; deleting the current entry while
 * iterating is allowed, adding is not. */

/* Bytes held, for tests and show commands. */
size_t krt_memory(const struct krt_table *t);

#endif
