/* SPDX-License-Identifier: MIT */
/* proto/heap.c — binary min-heap of intrusive timers. */
#include <errno.h>
#include <stdlib.h>

#include "proto/heap.h"

void babel_timer_init(struct babel_timer *t, uint8_t kind)
{
	t->idx = BABEL_TIMER_IDLE;
	t->kind = kind;
}

void babel_heap_init(struct babel_heap *h, size_t *mem)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->mem = mem;
}

void babel_heap_fini(struct babel_heap *h)
{
	for (uint32_t i = 0; i < h->n; i++)
		h->v[i].t->idx = BABEL_TIMER_IDLE;
	if (h->mem)
		*h->mem -= (size_t)h->cap * sizeof(*h->v);
	free(h->v);
	babel_heap_init(h, h->mem);
}

static void heap_place(struct babel_heap *h, uint32_t i, struct babel_heap_slot s)
{
	h->v[i] = s;
	s.t->idx = i;
}

static void heap_up(struct babel_heap *h, uint32_t i)
{
	struct babel_heap_slot s = h->v[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (h->v[parent].when <= s.when)
			break;
		heap_place(h, i, h->v[parent]);
		i = parent;
	}
	heap_place(h, i, s);
}

static void heap_down(struct babel_heap *h, uint32_t i)
{
	struct babel_heap_slot s = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].when < h->v[c].when)
			c++;
		if (s.when <= h->v[c].when)
			break;
		heap_place(h, i, h->v[c]);
		i = c;
	}
	heap_place(h, i, s);
}

static int heap_grow(struct babel_heap *h)
{
	uint32_t cap = h->cap ? h->cap * 2 : 64;
	struct babel_heap_slot *v = realloc(h->v, (size_t)cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (h->mem)
		*h->mem += (size_t)(cap - h->cap) * sizeof(*v);
	h->v = v;
	h->cap = cap;
	return 0;
}

int babel_heap_arm(struct babel_heap *h, struct babel_timer *t, uint64_t when)
{
	if (babel_timer_armed(t)) {
		uint64_t old = h->v[t->idx].when;

		h->v[t->idx].when = when;
		if (when < old)
			heap_up(h, t->idx);
		else
			heap_down(h, t->idx);
		return 0;
	}
	if (h->n == BABEL_TIMER_IDLE || (h->n == h->cap && heap_grow(h) < 0))
		return -ENOMEM;
	h->v[h->n] = (struct babel_heap_slot){ .when = when, .t = t };
	t->idx = h->n++;
	heap_up(h, t->idx);
	return 0;
}

int babel_heap_arm_before(struct babel_heap *h, struct babel_timer *t, uint64_t when)
{
	if (babel_timer_armed(t) && h->v[t->idx].when <= when)
		return 0;
	return babel_heap_arm(h, t, when);
}

void babel_heap_cancel(struct babel_heap *h, struct babel_timer *t)
{
	uint32_t i = t->idx;

	if (i == BABEL_TIMER_IDLE)
		return;
	t->idx = BABEL_TIMER_IDLE;
	h->n--;
	if (i == h->n)
		return;
	heap_place(h, i, h->v[h->n]);
	if (i > 0 && h->v[(i - 1) / 2].when > h->v[i].when)
		heap_up(h, i);
	else
		heap_down(h, i);
}

struct babel_timer *babel_heap_pop_due(struct babel_heap *h, uint64_t now)
{
	struct babel_timer *t = babel_heap_top(h);

	if (!t || h->v[0].when > now)
		return NULL;
	babel_heap_cancel(h, t);
	return t;
}
