/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_refused.c — the prefixes refused because a foreign route
 * holds their place (kroute.h): the list of their entries, kept apart from
 * the table so that showing them and trying them all again cost
 * O(refused), not O(installed routes) (a million routes and a handful of
 * refusals is the usual case); the transitions in and out of refused; and
 * what a foreign route's event means for them (decided by fwd/ledger.h).
 *
 * The list is an array of entry indexes in no order, and a map from entry
 * index to place in it, so that an entry leaves in O(1) (the last one
 * takes its place). An entry has KRT_F_REFUSED exactly when it is in the
 * list, and kr->n_refused is the list's length.
 */
#include "wgglue/kroute_int.h"

#include <errno.h>
#include <stdlib.h>

static int kr_refused_add(struct kroute *kr, uint32_t idx)
{
	uint32_t *at;
	bool created;

	if (kr->n_refused == kr->cap_refused) {
		size_t cap = kr->cap_refused ? kr->cap_refused * 2 : 16;
		uint32_t *a = realloc(kr->refused, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		kr->refused = a;
		kr->cap_refused = cap;
	}
	if (!(at = wg_hmap_get(&kr->refused_at, &idx, &created)))
		return -ENOMEM;
	*at = (uint32_t)kr->n_refused;
	kr->refused[kr->n_refused++] = idx;
	return 0;
}

static void kr_refused_del(struct kroute *kr, uint32_t idx)
{
	uint32_t *at = wg_hmap_find(&kr->refused_at, &idx);
	uint32_t place, last;

	if (!at)
		return;		/* cannot happen: flag and list go together */
	place = *at;
	wg_hmap_remove(&kr->refused_at, &idx);
	last = kr->refused[--kr->n_refused];
	if (place != kr->n_refused) {
		kr->refused[place] = last;
		*(uint32_t *)wg_hmap_find(&kr->refused_at, &last) = place;
	}
}

void kr_refused_free(struct kroute *kr)
{
	free(kr->refused);
	kr->refused = NULL;
	kr->cap_refused = 0;
	kr->n_refused = 0;
	wg_hmap_free(&kr->refused_at);
}

/* Entry idx leaves the count it is in (installed or refused): it is being
 * dropped or deleted. */
void kr_entry_uncount(struct kroute *kr, uint32_t idx)
{
	struct krt_entry *e = krt_at(&kr->routes, idx);

	if (e->flags & KRT_F_REFUSED) {
		kr_refused_del(kr, idx);
		e->flags &= (uint8_t)~KRT_F_REFUSED;
	} else {
		kr->n_live--;
	}
}

/* Entry idx stays wanted but is not ours in the kernel: a foreign route
 * holds its place. It keeps its next hop for when that route goes. An
 * entry that cannot be listed (out of memory) is forgotten instead, as a
 * refusal of another kind would be: it must not be refused unlisted. */
void kr_entry_refuse(struct kroute *kr, uint32_t idx)
{
	struct krt_entry *e = krt_at(&kr->routes, idx);

	if (!(e->flags & KRT_F_REFUSED)) {
		if (kr_refused_add(kr, idx) < 0) {
			kr->last_err = -ENOMEM;
			kr_entry_drop(kr, idx);
			return;
		}
		kr->n_live--;
	}
	e->flags = KRT_F_USED | KRT_F_REFUSED;
}

/* A foreign route in a refused entry's place went away: try again. */
static void kr_retry_refused(struct kroute *kr, uint32_t idx)
{
	struct krt_entry *e = krt_at(&kr->routes, idx);

	kr_refused_del(kr, idx);
	e->flags = KRT_F_USED;
	kr->n_live++;
	kr_queue_install(kr, idx, false);
}

/*
 * Every refused entry is tried again (route events were lost). The list is
 * taken whole first: queuing can send a full batch, whose refusals list
 * entries again while this runs, and those must wait for the next loss of
 * events, not be tried again in this loop.
 */
void kr_retry_all_refused(struct kroute *kr)
{
	uint32_t *list = kr->refused;
	size_t n = kr->n_refused;

	kr->refused = NULL;
	kr->cap_refused = 0;
	kr->n_refused = 0;
	wg_hmap_clear(&kr->refused_at);
	for (size_t i = 0; i < n; i++) {
		struct krt_entry *e = krt_at(&kr->routes, list[i]);

		e->flags = KRT_F_USED;
		kr->n_live++;
	}
	for (size_t i = 0; i < n; i++) {
		const struct krt_entry *e = krt_at(&kr->routes, list[i]);

		/* Only a request of its own could have dropped it, and it
		 * has none queued yet: checked all the same. */
		if (e->flags == KRT_F_USED)
			kr_queue_install(kr, list[i], false);
	}
	free(list);
}

size_t kroute_refused_count(const struct kroute *kr)
{
	return kr->n_refused;
}

bool kroute_is_refused(const struct kroute *kr, const struct wg_prefix *dst)
{
	uint32_t idx = krt_find(&kr->routes, dst);

	return idx != KRT_NONE &&
	       (krt_at(&kr->routes, idx)->flags & KRT_F_REFUSED);
}

/* fn may commit (kroute_describe() does): an entry refused meanwhile is
 * added at the end and visited too; none leaves the list in a commit. */
void kroute_foreach_refused(const struct kroute *kr, kroute_refused_fn *fn,
			    void *arg)
{
	for (size_t i = 0; i < kr->n_refused; i++) {
		const struct krt_entry *e = krt_at(&kr->routes, kr->refused[i]);
		struct wg_prefix dst = e->dst;
		struct kroute_nexthop nh = kr->nhs[e->nh].key;

		fn(arg, &dst, &nh);
	}
}

/* The event of a foreign route at dst: gone (del) or put there in place
 * of what was there (replaced). */
void kr_foreign_event(struct kroute *kr, const struct wg_prefix *dst,
		      bool del, bool replaced, uint32_t nh_id, uint8_t protocol)
{
	uint32_t idx = krt_find(&kr->routes, dst);
	struct krt_entry *e;

	if (idx == KRT_NONE)
		return;
	e = krt_at(&kr->routes, idx);
	switch (fwd_kr_foreign(&e->flags, del, replaced,
			       fwd_kr_route_is_ours(protocol, nh_id,
						    kr->cfg.protocol,
						    kr->nhs[e->nh].id))) {
	case FWD_KR_FOREIGN_NONE:
	case FWD_KR_FOREIGN_LOST:
		return;
	case FWD_KR_FOREIGN_RETRY:
		kr_retry_refused(kr, idx);
		return;
	case FWD_KR_FOREIGN_TAKEN:
		kr_error_note(kr, dst, true, -EEXIST);
		kr_entry_refuse(kr, idx);
		return;
	}
}

/* Tests: whether the list and the table agree. O(table). 0 or -EUCLEAN. */
int kr_refused_check(const struct kroute *kr)
{
	size_t flagged = 0;

	if (kr->refused_at.count != kr->n_refused)
		return -EUCLEAN;
	for (size_t i = 0; i < kr->n_refused; i++) {
		const uint32_t *at = wg_hmap_find(&kr->refused_at,
						  &kr->refused[i]);

		if (kr->refused[i] >= kr->routes.used || !at || *at != i ||
		    (krt_at(&kr->routes, kr->refused[i])->flags &
		     (KRT_F_USED | KRT_F_REFUSED)) !=
		    (KRT_F_USED | KRT_F_REFUSED))
			return -EUCLEAN;
	}
	for (uint32_t i = 0; i < kr->routes.used; i++) {
		const struct krt_entry *e = krt_at(&kr->routes, i);

		if ((e->flags & KRT_F_USED) && (e->flags & KRT_F_REFUSED))
			flagged++;
	}
	return flagged == kr->n_refused ? 0 : -EUCLEAN;
}
