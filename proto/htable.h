/* SPDX-License-Identifier: MIT */
/*
 * proto/htable.h — an intrusive chained hash table with power-of-two buckets
 * that doubles when the load passes 2: chains stay short, and the buckets of
 * 100,000 entries take 0.5 MB, not 1 MB (issue 7). A node is one pointer:
 * the table asks its owner for a node's hash when it grows or removes it
 * (8 bytes less in every route entry, which is worth a hash computed
 * again on those rarer paths). Lookups walk one bucket; the caller
 * compares keys.
 */
#ifndef WGB_PROTO_HTABLE_H
#define WGB_PROTO_HTABLE_H

#include <stddef.h>
#include <stdint.h>

struct babel_hnode {
	struct babel_hnode *next;
};

/* The hash a node was inserted with, computed again from its key. */
typedef uint32_t (*babel_hnode_hash_fn)(const struct babel_hnode *n, const void *ctx);

struct babel_htable {
	struct babel_hnode **b;
	uint32_t mask;		/* buckets - 1 */
	uint32_t n;
	size_t *mem;
	babel_hnode_hash_fn hash;
	const void *ctx;	/* for hash */
};

int babel_htable_init(struct babel_htable *t, size_t *mem, babel_hnode_hash_fn hash,
		      const void *ctx);
void babel_htable_fini(struct babel_htable *t);
/* Insert n with hash h, which must be t->hash(n) (duplicates are the
 * caller's business). The table grows when it can; an insert never fails. */
void babel_htable_insert(struct babel_htable *t, struct babel_hnode *n, uint32_t h);
void babel_htable_remove(struct babel_htable *t, struct babel_hnode *n);
/* First node of h's bucket; follow ->next and check the key. */
static inline struct babel_hnode *babel_htable_bucket(const struct babel_htable *t, uint32_t h)
{
	return t->b[h & t->mask];
}
static inline uint32_t babel_htable_buckets(const struct babel_htable *t)
{
	return t->mask + 1;
}

/* A keyed hash of a byte string (64-bit multiply-xorshift mixing). */
uint32_t babel_hash_bytes(const void *p, size_t len, uint64_t seed);

#endif
