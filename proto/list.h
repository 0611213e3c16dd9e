/* SPDX-License-Identifier: MIT */
/* proto/list.h — intrusive doubly linked lists (circular, with a head). */
#ifndef WGB_PROTO_LIST_H
#define WGB_PROTO_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct babel_list {
	struct babel_list *prev, *next;
};

#define babel_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void babel_list_init(struct babel_list *h)
{
	h->prev = h->next = h;
}

static inline bool babel_list_empty(const struct babel_list *h)
{
	return h->next == h;
}

static inline void babel_list_add_tail(struct babel_list *h, struct babel_list *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void babel_list_del(struct babel_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* Iterate allowing removal of the current node. */
#define babel_list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
