/* SPDX-License-Identifier: MIT */
/*
 * proto/pool.h — fixed-size object pools for the engine's per-prefix objects
 * (entries, routes, sources). 100,000 prefixes are some 300,000 small
 * objects, and malloc's header and rounding alone cost 8 to 16 bytes on
 * each: a pool carves chunks of BABEL_POOL_CHUNK bytes into objects, keeps a
 * free list per chunk, and gives a chunk back to malloc when its last object
 * is freed (one empty chunk is kept while no other has room, so one object
 * coming and going does not allocate a chunk each time).
 */
#ifndef WGB_PROTO_POOL_H
#define WGB_PROTO_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/list.h"

#define BABEL_POOL_CHUNK 16384

struct babel_pool_chunk;

struct babel_pool {
	size_t size;			/* object size, rounded up to 8 */
	uint32_t per_chunk;
	uint32_t nchunks, cap;
	struct babel_pool_chunk **chunks;	/* by address: the chunk of an object */
	struct babel_list partial;		/* chunks with room */
	size_t live;				/* objects handed out */
	size_t *mem;				/* allocation accounting, may be NULL */
};

/* size at most BABEL_POOL_CHUNK / 4. */
void babel_pool_init(struct babel_pool *p, size_t size, size_t *mem);
/* Frees every chunk, live objects or not. */
void babel_pool_fini(struct babel_pool *p);
/* An object of p->size bytes, uninitialised, or NULL when out of memory. */
void *babel_pool_alloc(struct babel_pool *p);
/* o came from babel_pool_alloc(p); NULL is ignored. */
void babel_pool_free(struct babel_pool *p, void *o);

#endif
