/* SPDX-License-Identifier: MIT */
/*
 * proto/heap.h — a binary min-heap of intrusive timers. Every timer knows its
 * slot, so re-arming or cancelling is O(log n) and nothing is ever scanned.
 * The deadline lives in the heap's slot, not in the timer: every route
 * entry embeds a timer that is idle nearly always, and a deadline next to
 * its slot is also what the sift loops compare.
 */
#ifndef WGB_PROTO_HEAP_H
#define WGB_PROTO_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Slots are 24 bits (one word with the kind): at most 2^24 - 1 armed. */
#define BABEL_TIMER_IDLE 0xFFFFFFu

struct babel_timer {
	uint32_t idx : 24;	/* slot in the heap, BABEL_TIMER_IDLE when not armed */
	uint32_t kind : 8;	/* what the owner is, for dispatch */
};

struct babel_heap_slot {
	uint64_t when;
	struct babel_timer *t;
};

struct babel_heap {
	struct babel_heap_slot *v;
	uint32_t n, cap;
	size_t *mem;		/* allocation accounting, may be NULL */
};

void babel_timer_init(struct babel_timer *t, uint8_t kind);
static inline bool babel_timer_armed(const struct babel_timer *t)
{
	return t->idx != BABEL_TIMER_IDLE;
}

void babel_heap_init(struct babel_heap *h, size_t *mem);
void babel_heap_fini(struct babel_heap *h);
/* Arm (or re-arm) t at when. Returns 0 or -ENOMEM (t unchanged). */
int babel_heap_arm(struct babel_heap *h, struct babel_timer *t, uint64_t when);
/* Arm t at when unless it is already armed earlier. */
int babel_heap_arm_before(struct babel_heap *h, struct babel_timer *t, uint64_t when);
void babel_heap_cancel(struct babel_heap *h, struct babel_timer *t);
/* The earliest timer, or NULL. */
static inline struct babel_timer *babel_heap_top(const struct babel_heap *h)
{
	return h->n ? h->v[0].t : NULL;
}
/* When the earliest timer is due, UINT64_MAX when none is armed. */
static inline uint64_t babel_heap_next(const struct babel_heap *h)
{
	return h->n ? h->v[0].when : UINT64_MAX;
}
/* When an armed timer is due. */
static inline uint64_t babel_timer_when(const struct babel_heap *h,
					const struct babel_timer *t)
{
	return h->v[t->idx].when;
}
/* Remove and return the earliest timer if it is due at now, else NULL. */
struct babel_timer *babel_heap_pop_due(struct babel_heap *h, uint64_t now);

#endif
