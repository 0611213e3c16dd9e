/* SPDX-License-Identifier: MIT */
/*
 * fwd/ledger.h — who owns what in the kernel's routing table: the rules of
 * the kernel-route ledger, decided here and executed by wgglue/kroute*.c.
 *
 * The ledger is what this instance installed: one entry per prefix (kept
 * by the executor in its compact table, wgglue/kroute_tab.h) whose state
 * is the FWD_KR_* bits below, and the ids of the nexthop objects this
 * instance made (struct fwd_kr_ids), which is what tells its routes from
 * any other's after a restart. The rules:
 *   - ownership: a replace or a delete is only ever sent for an entry the
 *     kernel holds as ours (FWD_KR_KERNEL); anything else is a create with
 *     NLM_F_EXCL. The kernel matches a replace (and a delete) on table,
 *     destination and metric, not on protocol, so any other write would
 *     take another daemon's or the operator's route;
 *   - refusal: a create answered EEXIST means a foreign route holds the
 *     place (same table, destination and metric): the prefix is refused,
 *     never touched, and created when that route goes away; a route of
 *     ours that someone else replaces is theirs from then on. (A prefix
 *     that covers a WireGuard endpoint is refused before it gets here, by
 *     the plane: fwd/plane.h, fwd/endpoints.h.)
 *   - adoption: after a restart only the nexthop objects whose ids the
 *     recorded ledger lists (and, once after an upgrade, the ids an older
 *     version numbered from protocol << 24 | 1) are taken, and only the
 *     routes of our protocol in our table that use them: never "every route
 *     of protocol 42" (another instance, babeld). They are stale until
 *     installed again; the end of the grace period deletes the rest.
 * The executor does the netlink requests, the dumps, the file I/O of the
 * id ledger (in the text format below) and the bookkeeping of its indexes
 * (the refused list, the next-hop table).
 *
 * Pure: no I/O, no clock, no globals. Functions that return a verdict
 * change nothing but the flags they are given.
 */
#ifndef WGB_FWD_LEDGER_H
#define WGB_FWD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The state of one ledger entry (a prefix we want a kernel route for). */
enum {
	FWD_KR_USED = 1,	/* a live entry */
	FWD_KR_STALE = 2,	/* adopted at start, not installed again yet */
	FWD_KR_DELETING = 4,	/* removed; the kernel delete is still queued */
	/* The kernel holds our route for it (installed, adopted, or an
	 * install queued): only then is a replace or a delete ever sent. */
	FWD_KR_KERNEL = 8,
	/* A create (NLM_F_EXCL) is queued and unanswered: nothing else for
	 * this entry is queued behind it until the batch is sent. */
	FWD_KR_PENDING = 16,
	/* Wanted, but the kernel has a route of someone else's with the same
	 * table, destination and metric: not installed, never touched, and
	 * tried again when that route goes away. */
	FWD_KR_REFUSED = 32,
};

/* ---- writes: create or replace, and what a queued write leaves */

/* Whether the write of an entry's route is a create (NLM_F_EXCL): yes
 * unless the kernel holds ours (then NLM_F_REPLACE). */
bool fwd_kr_creates(uint8_t flags);
/* The flags once the entry's route is queued. */
uint8_t fwd_kr_queued(uint8_t flags);

/* ---- fwd_kr_install_*: the engine wants a route to the prefix */

/* Whether the answer to an unanswered create must come first (it decides
 * whether we may replace). */
bool fwd_kr_install_waits(uint8_t flags);
/* Whether nothing is to be done: the entry is ours (not stale, not being
 * deleted) with the same next hop (SAME_NH). */
bool fwd_kr_install_unchanged(uint8_t flags, bool same_nh);

enum fwd_kr_install {
	FWD_KR_WRITE = 1,	/* queue the route (fwd_kr_creates decides) */
	FWD_KR_REMEMBER,	/* refused: only keep the next hop for later */
	FWD_KR_CONFIRM,		/* stale through the same object: it is */
};
/* FLAGS: the entry's (0: none yet); SAME_OBJECT: its next hop is the
 * wanted one and is a kernel nexthop object. Sets *flags to what the
 * entry becomes. */
enum fwd_kr_install fwd_kr_install(uint8_t *flags, bool same_object);

/* ---- fwd_kr_remove: the engine withdrew the prefix */

enum fwd_kr_remove {
	FWD_KR_UNKNOWN = 1,	/* no entry (or already removed): -ENOENT */
	FWD_KR_FORGET,		/* refused: nothing of ours to delete */
	FWD_KR_DELETE,		/* queue the delete at commit */
};
/* EXISTS: there is an entry. Sets *flags to what the entry becomes when
 * deleted. */
enum fwd_kr_remove fwd_kr_remove(uint8_t *flags, bool exists);

/* The flags of an entry removed (by fwd_kr_remove or a sweep). */
uint8_t fwd_kr_deleting(uint8_t flags);

/* Whether a removed entry's delete must wait for the answer to its
 * create: a delete names our protocol, table and metric, and if the
 * create was refused it could hit a foreign route of the same protocol. */
bool fwd_kr_delete_waits(uint8_t flags);

enum fwd_kr_delete {
	FWD_KR_DEL_NONE = 1,	/* nothing of ours in the kernel */
	FWD_KR_DEL_OBJECT,	/* its nexthop object goes, taking it along */
	FWD_KR_DEL_ROUTE,	/* send a route delete */
};
/* At commit, for an entry queued for deletion; OBJECT_GOES: its next hop
 * is a kernel object no route of ours uses any more. */
enum fwd_kr_delete fwd_kr_delete(uint8_t flags, bool object_goes);

/* Whether the entry is taken by a sweep: every entry (shutdown without
 * keep-on-exit) or only the stale ones (the grace period is over). */
bool fwd_kr_sweep_takes(uint8_t flags, bool only_stale);

/* ---- answers: the kernel refused a queued request */

enum fwd_kr_failed {
	FWD_KR_IGNORE = 1,	/* outdated (deleted, or installed again) */
	FWD_KR_REFUSE,		/* a foreign route holds the place */
	FWD_KR_REMAKE,		/* make the object again, then once more */
	FWD_KR_DROP,		/* report the error and forget the entry */
};
/* An install was refused with ERR. EXCL: it was a create; RETRIED: it was
 * already the second try; OBJECT: its next hop is a nexthop object;
 * SUPERSEDED: a later request of the same batch installs the entry. Sets
 * *flags (a create that failed leaves nothing of ours in the kernel).
 * FWD_KR_REMAKE: once the object is made again, clear FWD_KR_KERNEL and
 * queue the install as a retry; if it cannot be, FWD_KR_DROP. */
enum fwd_kr_failed fwd_kr_install_failed(uint8_t *flags, bool excl,
					 bool retried, bool object,
					 bool superseded, int err);
/* Whether a delete (of a route or an object) that failed with ERR failed
 * at all: one already gone (its interface deleted) is what we wanted. */
bool fwd_kr_delete_failed(int err);

/* ---- the routes of others (route events not caused by us) */

/* Whether a kernel route at our table, destination and metric is ours:
 * our protocol and our nexthop object (OUR_NH_ID, 0: classic route,
 * which is never recognised in an event). */
bool fwd_kr_route_is_ours(uint8_t protocol, uint32_t nh_id,
			  uint8_t our_protocol, uint32_t our_nh_id);

enum fwd_kr_foreign {
	FWD_KR_FOREIGN_NONE = 1,	/* nothing changes */
	FWD_KR_FOREIGN_RETRY,	/* refused and its place is free: install */
	FWD_KR_FOREIGN_LOST,	/* ours, being deleted, replaced meanwhile */
	FWD_KR_FOREIGN_TAKEN,	/* ours replaced by someone: refused now */
};
/* A route event at an entry's place: DEL (gone) or a new route that
 * REPLACED what was there, OURS by fwd_kr_route_is_ours. Sets *flags for
 * FWD_KR_FOREIGN_LOST; the executor moves the entry in or out of its
 * refused list for the others. */
enum fwd_kr_foreign fwd_kr_foreign(uint8_t *flags, bool del, bool replaced,
				   bool ours);

/* ---- the nexthop ids this instance made, and adoption */

#define FWD_KR_LEDGER_MAGIC "wgbabeld-nexthops 1"
#define FWD_KR_LEDGER_MAX 65536		/* ids; more is a damaged file */
#define FWD_KR_LEGACY_IDS 4096		/* ids an older version may have used */

struct fwd_kr_ids {
	uint32_t *ids;		/* in no order */
	size_t n, cap;
	bool dirty;		/* changed since the file was written */
};

bool fwd_kr_ids_has(const struct fwd_kr_ids *l, uint32_t id);
/* 0 (also when already there; then nothing changes) or -ENOMEM. */
int fwd_kr_ids_put(struct fwd_kr_ids *l, uint32_t id);
void fwd_kr_ids_del(struct fwd_kr_ids *l, uint32_t id);
void fwd_kr_ids_free(struct fwd_kr_ids *l);
/* One line of the ledger file after the magic line ("123\n"): 0 and *id,
 * or -EBADMSG. */
int fwd_kr_ids_parse_line(const char *line, uint32_t *id);

/* Whether ID is numbered as versions without a ledger did (protocol << 24
 * | 1 up, in order), and those are to be taken (ADOPT_LEGACY: the first
 * start after an upgrade). */
bool fwd_kr_legacy_id(uint32_t id, uint8_t protocol, bool adopt_legacy);

enum fwd_kr_object {
	FWD_KR_OBJ_FOREIGN = 1,	/* not made by this instance: leave it */
	FWD_KR_OBJ_LEDGER,	/* the ledger lists it: ours */
	FWD_KR_OBJ_LEGACY,	/* an older version's: ours, add it */
};
/* A nexthop object found in the kernel at start: whose is it? */
enum fwd_kr_object fwd_kr_adopt_object(const struct fwd_kr_ids *l,
				       uint32_t id, uint8_t nh_protocol,
				       uint8_t protocol, bool adopt_legacy);

/* A route found in the kernel at start may be ours only when it is of our
 * protocol in our table and not a cached clone ... */
bool fwd_kr_adopt_candidate(uint8_t protocol, uint32_t table, bool cloned,
			    uint8_t our_protocol, uint32_t our_table);
/* ... and a candidate is adopted only when it is not in the ledger yet
 * (KNOWN) and uses an object adopted by fwd_kr_adopt_object (OUR_OBJECT;
 * a classic route names no object and is never ours to take: babeld and
 * other instances use protocol 42 too). */
bool fwd_kr_adopt_route(bool known, bool our_object);
/* The flags of an adopted entry. */
uint8_t fwd_kr_adopted(void);

/* After a complete dump: the ids the kernel no longer has (not in FOUND)
 * are not ours to remember, except legacy ones (taken as they appear). */
void fwd_kr_ids_keep_found(struct fwd_kr_ids *l, const uint32_t *found,
			   size_t n_found, uint8_t protocol, bool adopt_legacy);

/* The next id to try after ID, which a previous run of ours made: go on
 * in its range. Returns NEXT unchanged for an id of another protocol or
 * at the end of the range. */
uint32_t fwd_kr_next_id_after(uint32_t id, uint8_t protocol, uint32_t next);
/* The id after ID when making objects: ids stay within protocol << 24,
 * never 0 in the low 24 bits. */
uint32_t fwd_kr_id_step(uint32_t id);

/* ---- the allowed-IP ledger (executed by wgglue/reconcile.c) */

/*
 * An allowed IP is ours when the reconciler's journal (wgglue/state.h)
 * records that we installed it; one we did not install (wg-quick, wg set)
 * is never moved or removed, and a learned prefix equal to it is a
 * conflict. A move is one add to the new peer (WireGuard moves the prefix
 * itself), never remove-then-add; after a restart a prefix adopted from
 * the journal keeps its peer until the grace period ends (hold).
 */
enum fwd_aip_action {
	FWD_AIP_KEEP = 0,	/* nothing to write */
	FWD_AIP_ADD,		/* add it to the wanted peer (a move) */
	FWD_AIP_REMOVE,		/* remove it from the peer holding it */
};

/* Why a wanted prefix is not on the wanted peer (wg_rec_conflict_kind). */
enum {
	FWD_AIP_FOREIGN = 1,		/* someone else's allowed IP holds it */
	FWD_AIP_PEER_MISSING = 2,	/* the wanted peer is not on the device */
};

/* One prefix as the reconciler sees it. */
struct fwd_aip_entry {
	bool wanted;		/* Babel selected a peer for it */
	bool want_present;	/* that peer is on the device */
	bool on_device;		/* a peer holds it on the device */
	bool on_wanted;		/* ... the wanted one */
	bool owned;		/* the journal says we installed it */
	bool hold;		/* adopted, and the grace period is not over */
};

/* What to write for one prefix; *conflict: 0 or FWD_AIP_*. */
enum fwd_aip_action fwd_aip_plan(const struct fwd_aip_entry *e,
				 uint8_t *conflict);

#endif
