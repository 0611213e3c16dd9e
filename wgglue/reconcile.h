/* SPDX-License-Identifier: MIT */
/*
 * wgglue/reconcile.h — keeps one WireGuard interface's allowed IPs in line
 * with what Babel selected, touching only what wgbabeld owns.
 *
 * The daemon says, per prefix, which peer (public key) is the winner
 * (wg_rec_set_route) or that there is none (wg_rec_unset_route). The
 * reconciler keeps a model of the device (from the last wg_rec_refresh) and,
 * on wg_rec_flush, sends the smallest set of changes through the backend:
 *   - a new winner is one ADD to the new peer (the device moves the prefix);
 *     never remove-then-add;
 *   - a withdrawn prefix is one REMOVE that leaves the peer's other allowed
 *     IPs alone;
 *   - an allowed IP wgbabeld did not install (wg-quick, wg set) is never
 *     removed or moved: a learned prefix equal to such a foreign one is
 *     refused and listed as a conflict (wg_rec_foreach_conflict) and logged.
 *     More-specific learned prefixes inside a foreign one are allowed (that
 *     is ordinary longest-match routing, e.g. under a wg-quick 0.0.0.0/0).
 *
 * Ownership is persisted in a small journal (config.state_path, e.g.
 * /run/wgbabeld/wg0.state) so a restarted daemon neither leaves stale
 * entries behind nor withdraws live ones before Babel relearned them:
 * wg_rec_load_state() at start enters a grace period during which the
 * prefixes owned according to the journal are kept while not (yet)
 * desired; wg_rec_grace_over() ends it and the next flush withdraws what
 * was not relearned. The grace covers only those: a prefix the daemon sets
 * or unsets after the start (also one from the journal) is applied at
 * once, so a route learned and lost during the grace period goes away.
 *
 * The planning core is pure (no I/O, no clock); the only I/O is through the
 * wg_backend and the state file. Not thread-safe; one per interface.
 */
#ifndef WGB_WGGLUE_RECONCILE_H
#define WGB_WGGLUE_RECONCILE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgglue/wg.h"

enum wg_log_level {
	WG_LOG_ERR = 3,
	WG_LOG_WARNING = 4,
	WG_LOG_INFO = 6,
	WG_LOG_DEBUG = 7,
};

/* msg is a complete line without newline. */
typedef void wg_log_fn(void *arg, int level, const char *msg);

struct wg_rec_config {
	const char *ifname;
	const char *state_path;	/* NULL: no persistence */
	wg_log_fn *log;		/* NULL: silent */
	void *log_arg;
};

struct wg_rec;

int wg_rec_new(struct wg_rec **out, struct wg_backend *be,
	       const struct wg_rec_config *cfg);
/* Frees memory only; the device keeps what was installed. */
void wg_rec_free(struct wg_rec *r);
/* Another log callback (NULL: silent), e.g. before the reconciler is
 * handed to a thread where the old one may not be called. */
void wg_rec_set_log(struct wg_rec *r, wg_log_fn *log, void *arg);

/*
 * Reads config.state_path (a missing file is not an error: first start) and
 * marks the prefixes listed there as owned; enters the grace period, which
 * holds back the withdrawal of those prefixes only.
 * Call before the first wg_rec_refresh.
 */
int wg_rec_load_state(struct wg_rec *r);
/* Ends the grace period: owned prefixes not desired by then are withdrawn
 * on the next wg_rec_flush. */
void wg_rec_grace_over(struct wg_rec *r);

/* Desired state. Cheap (hash table); nothing is sent until wg_rec_flush.
 * The reconciler knows at most 65,535 distinct peer keys over its life:
 * past that, set (and a refresh or merge of a device with a new one)
 * returns -ENOSPC and changes nothing. */
int wg_rec_set_route(struct wg_rec *r, const struct wg_prefix *prefix,
		     const struct wg_key *peer);
int wg_rec_unset_route(struct wg_rec *r, const struct wg_prefix *prefix);

/* Sends what changed since the last flush; cost is O(changes). */
int wg_rec_flush(struct wg_rec *r);

/*
 * The same flush in three steps, for a caller that makes the write
 * elsewhere (a worker thread: wireguard-go may hang, and the event loop
 * must not wait on it):
 *  - wg_rec_plan() takes every queued change into a batch (*out NULL:
 *    nothing to write) and records the intent in the journal;
 *  - wg_rec_batch_apply() writes the batch through BE, probing the
 *    device's capabilities first if that was never done; it touches
 *    nothing of the reconciler, so any thread may call it;
 *  - wg_rec_done() takes the result back and frees the batch; returns the
 *    apply's error (-ETIMEDOUT: the device did not answer).
 * Between plan and done, set, unset and grace_over may be called (their
 * changes wait for the next batch); a refresh or merge may not (the read
 * could show the batch half done: -EBUSY), nor another plan (-EBUSY).
 * A batch that is never applied may be freed with wg_rec_batch_free()
 * only together with the reconciler.
 */
struct wg_rec_batch;
int wg_rec_plan(struct wg_rec *r, struct wg_rec_batch **out);
int wg_rec_batch_apply(struct wg_rec_batch *b, struct wg_backend *be);
int wg_rec_done(struct wg_rec *r, struct wg_rec_batch *b);
void wg_rec_batch_free(struct wg_rec_batch *b);
/* How many allowed-IP changes the batch holds (for the log). */
size_t wg_rec_batch_size(const struct wg_rec_batch *b);

/*
 * Re-reads the device and re-plans every prefix, then flushes. Call at
 * start, periodically (WireGuard sends no change notifications), on link
 * events (interface re-created) and after a failed flush. A missing
 * interface (-ENODEV from the backend) is not an error: the model becomes
 * empty, nothing is owned any more, and the desired routes are installed
 * again when the interface comes back and refresh is called.
 */
int wg_rec_refresh(struct wg_rec *r);
/* The same from a read the caller made (one read of the device serves
 * the daemon's peer list and the reconciler). Only the prefixes whose
 * state differs from the model are planned and sent. */
int wg_rec_refresh_from(struct wg_rec *r, const struct wg_device *dev);
/* The interface is known to be gone (a link event said so): what a
 * refresh reading -ENODEV does, without the read. -EBUSY while a batch is
 * out (call it after wg_rec_done). */
int wg_rec_device_gone(struct wg_rec *r);
/* refresh_from without the flush: what differs is queued for the next
 * one. */
int wg_rec_merge(struct wg_rec *r, const struct wg_device *dev);
/* How many writes the reconciler sent to the device so far: a read that
 * began before the last one may be stale (see wg_rec_refresh_from). */
uint64_t wg_rec_applies(const struct wg_rec *r);

/* Withdraws every owned prefix now (shutdown without keeping routes). */
int wg_rec_withdraw_all(struct wg_rec *r);

/* Probe result: enum wg_caps bits in use (set by wg_rec_refresh). */
unsigned wg_rec_caps(const struct wg_rec *r);

enum wg_rec_conflict_kind {
	/* Desired prefix is an allowed IP that wgbabeld does not own. */
	WG_CONFLICT_FOREIGN = 1,
	/* Desired peer is not on the device (removed underneath?). */
	WG_CONFLICT_PEER_MISSING = 2,
};

struct wg_rec_conflict {
	struct wg_prefix prefix;
	struct wg_key wanted;	/* the peer Babel selected */
	struct wg_key holder;	/* FOREIGN: who holds the prefix now */
	int kind;		/* enum wg_rec_conflict_kind */
};

typedef void wg_rec_conflict_fn(void *arg, const struct wg_rec_conflict *c);
/* For the control socket: calls fn for each refused prefix. O(prefixes). */
size_t wg_rec_foreach_conflict(const struct wg_rec *r, wg_rec_conflict_fn *fn,
			       void *arg);

struct wg_rec_stats {
	size_t desired;		/* prefixes with a winner */
	size_t owned;		/* prefixes wgbabeld installed */
	size_t conflicts;	/* refused (foreign or peer missing) */
	uint64_t adds;		/* ADD to a prefix nobody held */
	uint64_t moves;		/* ADD that moved a prefix between peers */
	uint64_t removes;
	uint64_t applies;	/* backend apply calls */
	uint64_t refreshes;
	bool in_grace;
	bool device_present;
};
void wg_rec_get_stats(const struct wg_rec *r, struct wg_rec_stats *st);

/* Whether the prefix is currently owned, and on which peer (may be NULL). */
bool wg_rec_owns(const struct wg_rec *r, const struct wg_prefix *prefix,
		 struct wg_key *peer);

#endif
