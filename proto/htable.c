/* SPDX-License-Identifier: MIT */
/* proto/htable.c — intrusive chained hash table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/htable.h"

#define HTABLE_MIN 64

int babel_htable_init(struct babel_htable *t, size_t *mem, babel_hnode_hash_fn hash,
		      const void *ctx)
{
	t->hash = hash;
	t->ctx = ctx;
	t->b = calloc(HTABLE_MIN, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->mask = HTABLE_MIN - 1;
	t->n = 0;
	t->mem = mem;
	if (mem)
		*mem += HTABLE_MIN * sizeof(*t->b);
	return 0;
}

void babel_htable_fini(struct babel_htable *t)
{
	if (t->mem && t->b)
		*t->mem -= (size_t)(t->mask + 1) * sizeof(*t->b);
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

static void htable_grow(struct babel_htable *t)
{
	uint32_t nb = (t->mask + 1) * 2;
	struct babel_hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;		/* keep the longer chains; still correct */
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct babel_hnode *n = t->b[i];

		while (n) {
			struct babel_hnode *next = n->next;
			uint32_t j = t->hash(n, t->ctx) & (nb - 1);

			n->next = b[j];
			b[j] = n;
			n = next;
		}
	}
	if (t->mem)
		*t->mem += (size_t)(nb - (t->mask + 1)) * sizeof(*b);
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

void babel_htable_insert(struct babel_htable *t, struct babel_hnode *n, uint32_t h)
{
	if (t->n >= 2 * (t->mask + 1))
		htable_grow(t);
	n->next = t->b[h & t->mask];
	t->b[h & t->mask] = n;
	t->n++;
}

void babel_htable_remove(struct babel_htable *t, struct babel_hnode *n)
{
	struct babel_hnode **pp = &t->b[t->hash(n, t->ctx) & t->mask];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->n--;
	}
	n->next = NULL;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint32_t babel_hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *s = p;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		s += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;

		memcpy(&w, s, len);
		h = mix64(h ^ w ^ ((uint64_t)len << 56));
	}
	return (uint32_t)mix64(h);
}
