/* SPDX-License-Identifier: MIT */
/* proto/pool.c — fixed-size object pools (see pool.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pool.h"

/*
 * Under AddressSanitizer free and never used objects are poisoned, so a use
 * after free is still caught although the memory stays in its chunk.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct babel_pool_chunk {
	struct babel_list link;		/* in pool->partial while it has room */
	void *free;			/* freed objects, linked by their first word */
	uint32_t used;			/* live objects */
	uint32_t fresh;			/* objects [fresh, per_chunk) never handed out */
	/* the objects follow, 8-aligned */
};

#define CHUNK_HDR ((sizeof(struct babel_pool_chunk) + 7) & ~(size_t)7)

static char *chunk_obj(struct babel_pool_chunk *c, size_t size, uint32_t i)
{
	return (char *)c + CHUNK_HDR + (size_t)i * size;
}

void babel_pool_init(struct babel_pool *p, size_t size, size_t *mem)
{
	memset(p, 0, sizeof(*p));
	p->size = (size < sizeof(void *) ? sizeof(void *) : size + 7) & ~(size_t)7;
	assert(p->size <= BABEL_POOL_CHUNK / 4);
	p->per_chunk = (uint32_t)((BABEL_POOL_CHUNK - CHUNK_HDR) / p->size);
	babel_list_init(&p->partial);
	p->mem = mem;
}

static void account(struct babel_pool *p, size_t add, size_t sub)
{
	if (p->mem)
		*p->mem = *p->mem + add - sub;
}

void babel_pool_fini(struct babel_pool *p)
{
	for (uint32_t i = 0; i < p->nchunks; i++) {
		UNPOISON(p->chunks[i], BABEL_POOL_CHUNK);
		free(p->chunks[i]);
	}
	account(p, 0, (size_t)p->nchunks * BABEL_POOL_CHUNK +
		      (size_t)p->cap * sizeof(*p->chunks));
	free(p->chunks);
	babel_pool_init(p, p->size, p->mem);
}

/* The index of the last chunk starting at or below o (chunks are sorted). */
static uint32_t chunk_index(const struct babel_pool *p, const void *o)
{
	uintptr_t a = (uintptr_t)o;
	uint32_t lo = 0, hi = p->nchunks;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)p->chunks[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int pool_grow(struct babel_pool *p)
{
	struct babel_pool_chunk *c;
	uint32_t i;

	if (p->nchunks == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 8;
		struct babel_pool_chunk **v = realloc(p->chunks, cap * sizeof(*v));

		if (!v)
			return -1;
		account(p, (size_t)(cap - p->cap) * sizeof(*v), 0);
		p->chunks = v;
		p->cap = cap;
	}
	c = malloc(BABEL_POOL_CHUNK);
	if (!c)
		return -1;
	account(p, BABEL_POOL_CHUNK, 0);
	c->free = NULL;
	c->used = c->fresh = 0;
	POISON(chunk_obj(c, p->size, 0), BABEL_POOL_CHUNK - CHUNK_HDR);
	i = p->nchunks ? chunk_index(p, c) : 0;
	if (p->nchunks && (uintptr_t)p->chunks[i] < (uintptr_t)c)
		i++;
	memmove(&p->chunks[i + 1], &p->chunks[i], (p->nchunks - i) * sizeof(*p->chunks));
	p->chunks[i] = c;
	p->nchunks++;
	babel_list_add_tail(&p->partial, &c->link);
	return 0;
}

void *babel_pool_alloc(struct babel_pool *p)
{
	struct babel_pool_chunk *c;
	void *o;

	if (babel_list_empty(&p->partial) && pool_grow(p) < 0)
		return NULL;
	c = babel_container_of(p->partial.next, struct babel_pool_chunk, link);
	if (c->free) {
		o = c->free;
		UNPOISON(o, p->size);
		memcpy(&c->free, o, sizeof(void *));
	} else {
		o = chunk_obj(c, p->size, c->fresh++);
		UNPOISON(o, p->size);
	}
	if (++c->used == p->per_chunk)
		babel_list_del(&c->link);
	p->live++;
	return o;
}

void babel_pool_free(struct babel_pool *p, void *o)
{
	struct babel_pool_chunk *c;
	uint32_t i;

	if (!o)
		return;
	i = chunk_index(p, o);
	c = p->chunks[i];
	assert((char *)o >= chunk_obj(c, p->size, 0) &&
	       (char *)o < chunk_obj(c, p->size, c->fresh));
	if (c->used == p->per_chunk)
		babel_list_add_tail(&p->partial, &c->link);
	memcpy(o, &c->free, sizeof(void *));
	POISON(o, p->size);
	c->free = o;
	c->used--;
	p->live--;
	/* An empty chunk goes back to malloc unless it is the only one with
	 * room: the next allocation would want it again at once. */
	if (c->used == 0 && p->partial.next->next != &p->partial) {
		babel_list_del(&c->link);
		memmove(&p->chunks[i], &p->chunks[i + 1],
			(p->nchunks - i - 1) * sizeof(*p->chunks));
		p->nchunks--;
		UNPOISON(c, BABEL_POOL_CHUNK);
		free(c);
		account(p, 0, BABEL_POOL_CHUNK);
	}
}
