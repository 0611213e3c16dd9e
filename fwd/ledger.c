/* SPDX-License-Identifier: MIT */
/*
 * fwd/ledger.c — the ownership rules of the kernel-route ledger
 * (fwd/ledger.h). Each rule is one small function; wgglue/kroute*.c asks
 * them and executes the answer.
 */
#include "fwd/ledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool fwd_kr_creates(uint8_t flags)
{
	return !(flags & FWD_KR_KERNEL);
}

uint8_t fwd_kr_queued(uint8_t flags)
{
	/* From a create on, the kernel may hold ours: a later write is a
	 * replace, unless the answer says the create was refused. */
	if (fwd_kr_creates(flags))
		flags |= FWD_KR_KERNEL | FWD_KR_PENDING;
	return flags;
}

bool fwd_kr_install_waits(uint8_t flags)
{
	return (flags & FWD_KR_PENDING) != 0;
}

bool fwd_kr_install_unchanged(uint8_t flags, bool same_nh)
{
	return (flags & FWD_KR_USED) &&
	       !(flags & (FWD_KR_STALE | FWD_KR_DELETING)) && same_nh;
}

enum fwd_kr_install fwd_kr_install(uint8_t *flags, bool same_object)
{
	if (*flags & FWD_KR_REFUSED)
		return FWD_KR_REMEMBER;	/* not ours to write */
	if ((*flags & FWD_KR_STALE) && same_object) {
		/* Kept by the previous run through the same nexthop object:
		 * the kernel already has exactly this route. */
		*flags &= (uint8_t)~FWD_KR_STALE;
		return FWD_KR_CONFIRM;
	}
	/* What the kernel holds of ours decides create or replace. */
	*flags = FWD_KR_USED | (*flags & FWD_KR_KERNEL);
	return FWD_KR_WRITE;
}

enum fwd_kr_remove fwd_kr_remove(uint8_t *flags, bool exists)
{
	if (!exists || (*flags & FWD_KR_DELETING))
		return FWD_KR_UNKNOWN;
	if (*flags & FWD_KR_REFUSED)
		return FWD_KR_FORGET;
	*flags = fwd_kr_deleting(*flags);
	return FWD_KR_DELETE;
}

uint8_t fwd_kr_deleting(uint8_t flags)
{
	/* Refused or stale, it leaves its list; what the kernel holds of
	 * ours (and an unanswered create) decides the delete at commit. */
	return FWD_KR_USED | FWD_KR_DELETING |
	       (flags & (FWD_KR_KERNEL | FWD_KR_PENDING));
}

bool fwd_kr_delete_waits(uint8_t flags)
{
	return (flags & FWD_KR_PENDING) != 0;
}

enum fwd_kr_delete fwd_kr_delete(uint8_t flags, bool object_goes)
{
	if ((flags & (FWD_KR_USED | FWD_KR_DELETING)) !=
	    (FWD_KR_USED | FWD_KR_DELETING) || !(flags & FWD_KR_KERNEL))
		return FWD_KR_DEL_NONE;
	return object_goes ? FWD_KR_DEL_OBJECT : FWD_KR_DEL_ROUTE;
}

bool fwd_kr_sweep_takes(uint8_t flags, bool only_stale)
{
	return (flags & FWD_KR_USED) && !(flags & FWD_KR_DELETING) &&
	       (!only_stale || (flags & FWD_KR_STALE));
}

enum fwd_kr_failed fwd_kr_install_failed(uint8_t *flags, bool excl,
					 bool retried, bool object,
					 bool superseded, int err)
{
	/* A create that failed leaves nothing of ours in the kernel: no
	 * replace and no delete may follow it. */
	if (excl && (*flags & FWD_KR_USED))
		*flags &= (uint8_t)~FWD_KR_KERNEL;
	if (!(*flags & FWD_KR_USED) || (*flags & FWD_KR_DELETING) ||
	    superseded)
		return FWD_KR_IGNORE;
	/* Someone else's route with our table, destination and metric:
	 * theirs stays, ours waits for it to go. */
	if (err == -EEXIST && excl)
		return FWD_KR_REFUSE;
	/* The kernel deletes the nexthop objects of a link that goes down
	 * ("Nexthop id does not exist": EINVAL), and their routes with them:
	 * make it again and create the route once more. */
	if (object && !retried && (err == -EINVAL || err == -ENOENT))
		return FWD_KR_REMAKE;
	return FWD_KR_DROP;
}

bool fwd_kr_delete_failed(int err)
{
	return err != -ESRCH && err != -ENOENT;
}

bool fwd_kr_route_is_ours(uint8_t protocol, uint32_t nh_id,
			  uint8_t our_protocol, uint32_t our_nh_id)
{
	return protocol == our_protocol && nh_id && nh_id == our_nh_id;
}

enum fwd_kr_foreign fwd_kr_foreign(uint8_t *flags, bool del, bool replaced,
				   bool ours)
{
	if (del)
		return (*flags & (FWD_KR_REFUSED | FWD_KR_DELETING)) ==
		       FWD_KR_REFUSED ? FWD_KR_FOREIGN_RETRY :
					FWD_KR_FOREIGN_NONE;
	if (!replaced || !(*flags & FWD_KR_KERNEL) ||
	    (*flags & FWD_KR_PENDING) || ours)
		return FWD_KR_FOREIGN_NONE;
	/* Someone replaced our route: it is theirs now. */
	if (*flags & FWD_KR_DELETING) {
		*flags &= (uint8_t)~FWD_KR_KERNEL;
		return FWD_KR_FOREIGN_LOST;
	}
	return FWD_KR_FOREIGN_TAKEN;
}

bool fwd_kr_ids_has(const struct fwd_kr_ids *l, uint32_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

int fwd_kr_ids_put(struct fwd_kr_ids *l, uint32_t id)
{
	if (fwd_kr_ids_has(l, id))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint32_t *a = realloc(l->ids, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		l->ids = a;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	l->dirty = true;
	return 0;
}

void fwd_kr_ids_del(struct fwd_kr_ids *l, uint32_t id)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->ids[i] == id) {
			l->ids[i] = l->ids[--l->n];
			l->dirty = true;
			return;
		}
	}
}

void fwd_kr_ids_free(struct fwd_kr_ids *l)
{
	free(l->ids);
	l->ids = NULL;
	l->n = l->cap = 0;
}

int fwd_kr_ids_parse_line(const char *line, uint32_t *id)
{
	unsigned long long v = 0;
	const char *c = line;

	/* Decimal digits and a newline, nothing else: not strtoul, which
	 * takes signs and blanks. */
	for (; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (unsigned)(*c - '0');
		if (v > UINT32_MAX)
			return -EBADMSG;
	}
	if (c == line || c[0] != '\n' || c[1] || v == 0)
		return -EBADMSG;
	*id = (uint32_t)v;
	return 0;
}

bool fwd_kr_legacy_id(uint32_t id, uint8_t protocol, bool adopt_legacy)
{
	return adopt_legacy && (id >> 24) == protocol &&
	       (id & 0xffffff) != 0 && (id & 0xffffff) < FWD_KR_LEGACY_IDS;
}

enum fwd_kr_object fwd_kr_adopt_object(const struct fwd_kr_ids *l,
				       uint32_t id, uint8_t nh_protocol,
				       uint8_t protocol, bool adopt_legacy)
{
	if (nh_protocol != protocol)
		return FWD_KR_OBJ_FOREIGN;
	if (fwd_kr_ids_has(l, id))
		return FWD_KR_OBJ_LEDGER;
	if (fwd_kr_legacy_id(id, protocol, adopt_legacy))
		return FWD_KR_OBJ_LEGACY;
	return FWD_KR_OBJ_FOREIGN;
}

bool fwd_kr_adopt_candidate(uint8_t protocol, uint32_t table, bool cloned,
			    uint8_t our_protocol, uint32_t our_table)
{
	return protocol == our_protocol && !cloned && table == our_table;
}

bool fwd_kr_adopt_route(bool known, bool our_object)
{
	return !known && our_object;
}

uint8_t fwd_kr_adopted(void)
{
	return FWD_KR_USED | FWD_KR_STALE | FWD_KR_KERNEL;
}

void fwd_kr_ids_keep_found(struct fwd_kr_ids *l, const uint32_t *found,
			   size_t n_found, uint8_t protocol, bool adopt_legacy)
{
	for (size_t i = l->n; i-- > 0;) {
		bool seen = fwd_kr_legacy_id(l->ids[i], protocol, adopt_legacy);

		for (size_t j = 0; j < n_found && !seen; j++)
			seen = found[j] == l->ids[i];
		if (!seen)
			fwd_kr_ids_del(l, l->ids[i]);
	}
}

uint32_t fwd_kr_next_id_after(uint32_t id, uint8_t protocol, uint32_t next)
{
	if ((id >> 24) == protocol && (id & 0xffffff) != 0xffffff)
		return id + 1;
	return next;
}

enum fwd_aip_action fwd_aip_plan(const struct fwd_aip_entry *e,
				 uint8_t *conflict)
{
	*conflict = 0;
	if (e->on_device && !e->owned) {
		if (e->wanted)
			*conflict = FWD_AIP_FOREIGN;
		return FWD_AIP_KEEP;
	}
	if (e->wanted && e->want_present)
		return e->on_wanted ? FWD_AIP_KEEP : FWD_AIP_ADD;
	if (e->wanted)
		*conflict = FWD_AIP_PEER_MISSING;
	/* Nothing to install: withdraw what we hold, unless Babel may still
	 * relearn it after a restart. A missing winner also withdraws: the
	 * old holder is no longer the best route. */
	if (e->on_device && !e->hold)
		return FWD_AIP_REMOVE;
	return FWD_AIP_KEEP;
}

uint32_t fwd_kr_id_step(uint32_t id)
{
	id++;
	if ((id & 0xffffff) == 0)
		id -= 0xffffff;
	return id;
}
