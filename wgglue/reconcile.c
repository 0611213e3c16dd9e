/* SPDX-License-Identifier: MIT */
/*
 * wgglue/reconcile.c — see reconcile.h.
 *
 * One hash table entry per prefix the reconciler cares about: desired
 * (Babel's winner), seen on the device, or owned. Per entry the model holds
 * the desired peer, the peer holding it on the device and whether we own it.
 * rec_plan_entry() asks the whole policy (fwd_aip_plan, fwd/ledger.h), a
 * pure function of one entry; the rest feeds it (refresh: from the device, set/unset: from Babel) and
 * applies its answers through the backend in one batch.
 */
#include "wgglue/reconcile.h"
#include "fwd/ledger.h"
#include "wgglue/hmap.h"
#include "wgglue/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Peers are 16-bit indexes in an entry: at most 65,535 distinct keys. */
#define PEER_NONE UINT16_MAX
/* Queued prefixes are listed up to this many; past it the list is dropped
 * and the plan walks the table for ENT_DIRTY instead: a whole table's
 * worth (the first learning, a refresh after a restart) as a list was
 * 18 bytes a prefix more at the peak, 2.4 MB at 100,000. */
#define REC_DIRTY_KEEP 4096
/* Changes per backend apply: a batch is kept compact (struct rec_change)
 * and handed to the backend in slices of the form it takes. */
#define REC_APPLY_SLICE 16384

enum {
	ENT_OWNED = 1u << 0,	/* we installed it (or the state file says so) */
	ENT_DIRTY = 1u << 1,	/* queued (in r->dirty unless dirty_walk) */
	/* Owned at startup (state journal) and not set or unset since: only
	 * these wait for the end of the grace period. */
	ENT_ADOPTED = 1u << 2,
	/* On the device in the read being merged (rec_merge_device only;
	 * clear otherwise). */
	ENT_SEEN = 1u << 3,
};

/* 6 bytes beside the 18-byte prefix: 24 an entry in the table (32 with
 * 32-bit peer indexes: 0.8 MB more at 100,000 prefixes). */
struct rec_entry {
	uint16_t want;		/* desired peer index, or PEER_NONE */
	uint16_t dev;		/* holder on the device (model), or PEER_NONE */
	uint8_t flags;
	uint8_t conflict;	/* enum wg_rec_conflict_kind, 0 when none */
};

struct rec_peer {
	struct wg_key key;
	bool present;		/* on the device at the last refresh */
};

struct wg_rec {
	struct wg_backend *be;
	char ifname[WG_IFNAME_LEN];
	char *state_path;
	struct wg_state *state;
	wg_log_fn *log;
	void *log_arg;

	struct wg_hmap entries;		/* wg_prefix -> rec_entry */
	struct wg_hmap peer_idx;	/* wg_key -> uint32_t */
	struct rec_peer *peers;
	size_t n_peers, cap_peers;
	struct wg_prefix *dirty;	/* ENT_DIRTY prefixes, unless dirty_walk */
	size_t n_dirty, cap_dirty;
	bool dirty_walk;		/* more than REC_DIRTY_KEEP: walk */
	size_t n_queued;		/* entries with ENT_DIRTY */

	bool grace;
	bool device_present;
	bool probed;
	/* After a failed apply the model is unreliable: the next refresh
	 * accepts owned prefixes on whatever peer holds them. */
	bool trust_device;
	bool in_flight;		/* a batch planned, not done (wg_rec_plan) */
	unsigned caps;
	struct wg_rec_stats st;
};

static void rec_log(struct wg_rec *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rec_log(struct wg_rec *r, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!r->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->log(r->log_arg, level, msg);
}

void wg_rec_set_log(struct wg_rec *r, wg_log_fn *log, void *arg)
{
	r->log = log;
	r->log_arg = arg;
}

/* ---- the policy: one entry in, one action out ------------------------- */

enum rec_action {
	ACT_NONE = 0,
	ACT_ADD,
	ACT_REMOVE,
};

_Static_assert((int)FWD_AIP_FOREIGN == (int)WG_CONFLICT_FOREIGN &&
	       (int)FWD_AIP_PEER_MISSING == (int)WG_CONFLICT_PEER_MISSING,
	       "fwd/ledger.h's conflicts are wg_rec_conflict_kind");

/* What to do with one prefix (fwd_aip_plan) and on which peer. */
static enum rec_action rec_plan_entry(const struct rec_entry *e,
				      const struct rec_peer *peers, bool hold,
				      uint32_t *target, uint8_t *conflict)
{
	struct fwd_aip_entry in = {
		.wanted = e->want != PEER_NONE,
		.want_present = e->want != PEER_NONE && peers[e->want].present,
		.on_device = e->dev != PEER_NONE,
		.on_wanted = e->dev != PEER_NONE && e->dev == e->want,
		.owned = (e->flags & ENT_OWNED) != 0,
		.hold = hold,
	};

	switch (fwd_aip_plan(&in, conflict)) {
	case FWD_AIP_ADD:
		*target = e->want;
		return ACT_ADD;
	case FWD_AIP_REMOVE:
		*target = e->dev;
		return ACT_REMOVE;
	case FWD_AIP_KEEP:
		break;
	}
	*target = PEER_NONE;
	return ACT_NONE;
}

static bool rec_entry_idle(const struct rec_entry *e)
{
	return e->want == PEER_NONE && e->dev == PEER_NONE &&
	       !(e->flags & ENT_OWNED);
}

/* ---- tables ------------------------------------------------------------ */

static int rec_peer_intern(struct wg_rec *r, const struct wg_key *key,
			   uint32_t *idx)
{
	bool created;
	uint32_t *v = wg_hmap_get(&r->peer_idx, key, &created);

	if (!v)
		return -ENOMEM;
	if (!created) {
		*idx = *v;
		return 0;
	}
	if (r->n_peers == PEER_NONE) {
		wg_hmap_remove(&r->peer_idx, key);
		return -ENOSPC;
	}
	if (r->n_peers == r->cap_peers) {
		size_t ncap = r->cap_peers ? r->cap_peers * 2 : 16;
		struct rec_peer *np = realloc(r->peers, ncap * sizeof(*np));
		if (!np) {
			wg_hmap_remove(&r->peer_idx, key);
			return -ENOMEM;
		}
		r->peers = np;
		r->cap_peers = ncap;
	}
	*v = (uint32_t)r->n_peers;
	r->peers[r->n_peers].key = *key;
	r->peers[r->n_peers].present = false;
	*idx = (uint32_t)r->n_peers++;
	return 0;
}

static struct rec_entry *rec_entry_get(struct wg_rec *r,
				       const struct wg_prefix *p)
{
	bool created;
	struct rec_entry *e = wg_hmap_get(&r->entries, p, &created);

	if (e && created) {
		e->want = PEER_NONE;
		e->dev = PEER_NONE;
	}
	return e;
}

/* The list is gone until the next plan: ENT_DIRTY says it all. */
static void rec_dirty_drop_list(struct wg_rec *r)
{
	free(r->dirty);
	r->dirty = NULL;
	r->n_dirty = 0;
	r->cap_dirty = 0;
	r->dirty_walk = true;
}

static int rec_mark_dirty(struct wg_rec *r, const struct wg_prefix *p,
			  struct rec_entry *e)
{
	if (e->flags & ENT_DIRTY)
		return 0;
	if (!r->dirty_walk && r->n_dirty == r->cap_dirty) {
		size_t ncap = r->cap_dirty ? r->cap_dirty * 2 : 64;
		struct wg_prefix *nd = NULL;

		if (ncap <= REC_DIRTY_KEEP)
			nd = realloc(r->dirty, ncap * sizeof(*nd));
		if (nd) {
			r->dirty = nd;
			r->cap_dirty = ncap;
		} else {
			/* Too many, or no memory for the list: the plan
			 * finds them by their flag. */
			rec_dirty_drop_list(r);
		}
	}
	if (!r->dirty_walk)
		r->dirty[r->n_dirty++] = *p;
	e->flags |= ENT_DIRTY;
	r->n_queued++;
	return 0;
}

/* ---- state journal ----------------------------------------------------- */

struct owned_iter {
	struct wg_rec *r;
	size_t it;
};

static const struct wg_prefix *rec_next_owned(void *arg)
{
	struct owned_iter *oi = arg;
	const void *k;
	struct rec_entry *e;

	while ((e = wg_hmap_next(&oi->r->entries, &oi->it, &k)))
		if (e->flags & ENT_OWNED)
			return k;
	return NULL;
}

static size_t rec_count_owned(struct wg_rec *r)
{
	struct owned_iter oi = { r, 0 };
	size_t n = 0;

	while (rec_next_owned(&oi))
		n++;
	return n;
}

static int rec_state_compact(struct wg_rec *r)
{
	struct owned_iter oi = { r, 0 };

	if (!r->state)
		return 0;
	return wg_state_compact(r->state, rec_next_owned, &oi);
}

static void rec_state_append(struct wg_rec *r, char op,
			     const struct wg_prefix *p)
{
	if (r->state && wg_state_append(r->state, op, p) < 0)
		rec_log(r, WG_LOG_WARNING, "%s: cannot write state file %s",
			r->ifname, r->state_path);
}

static void rec_state_sync(struct wg_rec *r, size_t owned_hint)
{
	if (!r->state)
		return;
	if (wg_state_sync(r->state) < 0)
		rec_log(r, WG_LOG_WARNING, "%s: cannot write state file %s",
			r->ifname, r->state_path);
	if (wg_state_lines(r->state) > 2 * owned_hint + 1024)
		rec_state_compact(r);
}

/* ---- public API -------------------------------------------------------- */

int wg_rec_new(struct wg_rec **out, struct wg_backend *be,
	       const struct wg_rec_config *cfg)
{
	struct wg_rec *r;
	int ret;

	if (!cfg->ifname || strlen(cfg->ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->be = be;
	memcpy(r->ifname, cfg->ifname, strlen(cfg->ifname) + 1);
	r->log = cfg->log;
	r->log_arg = cfg->log_arg;
	wg_hmap_init(&r->entries, sizeof(struct wg_prefix),
		     sizeof(struct rec_entry));
	wg_hmap_init(&r->peer_idx, sizeof(struct wg_key), sizeof(uint32_t));
	if (cfg->state_path) {
		r->state_path = strdup(cfg->state_path);
		if (!r->state_path) {
			ret = -ENOMEM;
			goto err;
		}
		ret = wg_state_open(&r->state, cfg->state_path);
		if (ret < 0)
			goto err;
	}
	*out = r;
	return 0;
err:
	wg_rec_free(r);
	return ret;
}

void wg_rec_free(struct wg_rec *r)
{
	if (!r)
		return;
	wg_state_close(r->state);
	free(r->state_path);
	wg_hmap_free(&r->entries);
	wg_hmap_free(&r->peer_idx);
	free(r->peers);
	free(r->dirty);
	free(r);
}

static int rec_adopt_owned(void *arg, const struct wg_prefix *p)
{
	struct wg_rec *r = arg;
	struct rec_entry *e = rec_entry_get(r, p);

	if (!e)
		return -ENOMEM;
	e->flags |= ENT_OWNED | ENT_ADOPTED;
	return 0;
}

int wg_rec_load_state(struct wg_rec *r)
{
	size_t line;
	int ret;

	r->grace = true;
	if (!r->state_path)
		return 0;
	ret = wg_state_load(r->state_path, rec_adopt_owned, r, &line);
	if (ret == -EBADMSG) {
		/* A damaged file must not stop the daemon: we then own
		 * nothing, which can leave entries behind but never removes
		 * a foreign one. */
		rec_log(r, WG_LOG_ERR, "%s: state file %s: bad line %zu, ignored",
			r->ifname, r->state_path, line);
		ret = 0;
	}
	if (ret < 0)
		return ret;
	r->trust_device = true;
	rec_log(r, WG_LOG_INFO, "%s: %zu owned prefixes from %s, grace period",
		r->ifname, rec_count_owned(r), r->state_path);
	return rec_state_compact(r);
}

void wg_rec_grace_over(struct wg_rec *r)
{
	size_t it = 0;
	const void *k;
	struct rec_entry *e;

	if (!r->grace)
		return;
	r->grace = false;
	while ((e = wg_hmap_next(&r->entries, &it, &k)))
		if ((e->flags & ENT_OWNED) && e->want == PEER_NONE)
			if (rec_mark_dirty(r, k, e) < 0)
				break;
}

int wg_rec_set_route(struct wg_rec *r, const struct wg_prefix *prefix,
		     const struct wg_key *peer)
{
	uint32_t idx;
	struct rec_entry *e;
	int ret = rec_peer_intern(r, peer, &idx);

	if (ret < 0)
		return ret;
	e = rec_entry_get(r, prefix);
	if (!e)
		return -ENOMEM;
	e->flags &= (uint8_t)~ENT_ADOPTED;	/* the daemon decides now */
	if (e->want == idx)
		return 0;
	e->want = (uint16_t)idx;
	return rec_mark_dirty(r, prefix, e);
}

int wg_rec_unset_route(struct wg_rec *r, const struct wg_prefix *prefix)
{
	struct rec_entry *e = wg_hmap_find(&r->entries, prefix);

	if (!e || e->want == PEER_NONE)
		return 0;
	e->flags &= (uint8_t)~ENT_ADOPTED;
	e->want = PEER_NONE;
	return rec_mark_dirty(r, prefix, e);
}

/*
 * One planned change as a batch keeps it: 24 bytes, where the backend's
 * struct wg_aip_change (the peer's key in each) is 52; at 100,000
 * prefixes 2.4 MB instead of 5.2 at the peak. The peer is an index into
 * the batch's keys, which are sorted, so that sorting by index sorts by
 * key.
 */
struct rec_change {
	struct wg_prefix prefix;
	uint8_t op;		/* enum wg_aip_op */
	uint32_t peer;		/* index into wg_rec_batch.keys */
};

/* A peer as the batch knows it: its key, and its index in r->peers. */
struct rec_bkey {
	struct wg_key key;
	uint32_t idx;
};

/* Sorted by op, then peer, then prefix: the backend gives each run of
 * one op for one peer a single peer entry. */
static int rec_change_cmp(const void *a, const void *b)
{
	const struct rec_change *x = a, *y = b;

	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return memcmp(&x->prefix, &y->prefix, sizeof(x->prefix));
}

/*
 * Sorts in place (heapsort): glibc's qsort() is a merge sort with a
 * buffer as large as the array, 2.4 MB more at 100,000 changes.
 */
static void rec_sift_down(struct rec_change *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		struct rec_change t;

		if (c >= n)
			return;
		if (c + 1 < n && rec_change_cmp(&v[c], &v[c + 1]) < 0)
			c++;
		if (rec_change_cmp(&v[root], &v[c]) >= 0)
			return;
		t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

static void rec_sort_changes(struct rec_change *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		rec_sift_down(v, i, n);
	for (size_t end = n; end > 1; end--) {
		struct rec_change t = v[0];

		v[0] = v[end - 1];
		v[end - 1] = t;
		rec_sift_down(v, 0, end - 1);
	}
}

static int rec_bkey_cmp(const void *a, const void *b)
{
	const struct rec_bkey *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static void rec_note_conflict(struct wg_rec *r, const struct wg_prefix *p,
			      struct rec_entry *e, uint8_t conflict)
{
	char pb[WG_PREFIX_STRLEN], kb[WG_KEY_B64_LEN];

	if (conflict == e->conflict)
		return;
	e->conflict = conflict;
	if (conflict == WG_CONFLICT_FOREIGN) {
		wg_key_to_base64(&r->peers[e->dev].key, kb);
		rec_log(r, WG_LOG_WARNING,
			"%s: refusing %s: allowed IP of peer %s not installed by wgbabeld",
			r->ifname, wg_prefix_str(p, pb), kb);
	} else if (conflict == WG_CONFLICT_PEER_MISSING) {
		wg_key_to_base64(&r->peers[e->want].key, kb);
		rec_log(r, WG_LOG_WARNING, "%s: %s: peer %s is not on the device",
			r->ifname, wg_prefix_str(p, pb), kb);
	}
}

struct wg_rec_batch {
	char ifname[WG_IFNAME_LEN];
	struct rec_change *ch;
	size_t n;
	struct rec_bkey *keys;	/* every peer of the reconciler, by key */
	size_t n_keys;
	bool probe;		/* find out the device's capabilities first */
	unsigned caps;		/* probe's answer */
	int probe_err;
	int ret;		/* the apply's */
};

/* B's keys: every peer's, sorted; RANK[i] is r->peers[i]'s place. */
static int rec_batch_keys(struct wg_rec *r, struct wg_rec_batch *b,
			  uint32_t **rank)
{
	size_t n = r->n_peers ? r->n_peers : 1;

	b->keys = malloc(n * sizeof(*b->keys));
	*rank = malloc(n * sizeof(**rank));
	if (!b->keys || !*rank)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_peers; i++) {
		b->keys[i].key = r->peers[i].key;
		b->keys[i].idx = (uint32_t)i;
	}
	b->n_keys = r->n_peers;
	if (b->n_keys > 1)
		qsort(b->keys, b->n_keys, sizeof(*b->keys), rec_bkey_cmp);
	for (size_t i = 0; i < b->n_keys; i++)
		(*rank)[b->keys[i].idx] = (uint32_t)i;
	return 0;
}

/* Plans one queued prefix into B (its change, if any, at b->ch[b->n]). */
static void rec_plan_one(struct wg_rec *r, struct wg_rec_batch *b,
			 const uint32_t *rank, const struct wg_prefix *p,
			 struct rec_entry *e)
{
	uint32_t target;
	uint8_t conflict;
	enum rec_action a;

	e->flags &= (uint8_t)~ENT_DIRTY;
	a = rec_plan_entry(e, r->peers, r->grace && (e->flags & ENT_ADOPTED),
			   &target, &conflict);
	rec_note_conflict(r, p, e, conflict);
	if (a == ACT_NONE) {
		if (rec_entry_idle(e))
			wg_hmap_remove(&r->entries, p);
		return;
	}
	b->ch[b->n].prefix = *p;
	b->ch[b->n].op = a == ACT_ADD ? WG_AIP_ADD : WG_AIP_REMOVE;
	b->ch[b->n].peer = rank[target];
	b->n++;
}

/*
 * Plans every queued prefix into B (sorted, rec_change_cmp): from the
 * list, or, past REC_DIRTY_KEEP of them, by one walk of the table. One
 * compact array of the changes and nothing more (at 100,000 prefixes a
 * second copy was 5 MB more at the peak).
 */
static int rec_plan_dirty(struct wg_rec *r, struct wg_rec_batch *b)
{
	uint32_t *rank = NULL;
	int ret = 0;

	if (r->n_queued == 0)
		goto out;
	if ((ret = rec_batch_keys(r, b, &rank)) < 0)
		goto out;
	if (!(b->ch = malloc(r->n_queued * sizeof(*b->ch)))) {
		ret = -ENOMEM;
		goto out;
	}
	if (r->dirty_walk) {
		size_t it = 0;
		const void *k;
		struct rec_entry *e;

		while ((e = wg_hmap_next(&r->entries, &it, &k)))
			if (e->flags & ENT_DIRTY)
				rec_plan_one(r, b, rank, k, e);
	} else {
		for (size_t i = 0; i < r->n_dirty; i++) {
			const struct wg_prefix *p = &r->dirty[i];
			struct rec_entry *e = wg_hmap_find(&r->entries, p);

			if (e)
				rec_plan_one(r, b, rank, p, e);
		}
	}
	r->n_dirty = 0;
	r->n_queued = 0;
	r->dirty_walk = false;
	rec_sort_changes(b->ch, b->n);
out:
	free(rank);
	return ret;
}

int wg_rec_plan(struct wg_rec *r, struct wg_rec_batch **out)
{
	struct wg_rec_batch *b;
	int ret;

	*out = NULL;
	if (r->in_flight)
		return -EBUSY;
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	if ((ret = rec_plan_dirty(r, b)) < 0 || b->n == 0) {
		wg_rec_batch_free(b);
		return ret;
	}
	memcpy(b->ifname, r->ifname, sizeof(b->ifname));
	b->probe = !r->probed;
	/* Intent first: a crash after the change must not lose ownership. */
	for (size_t i = 0; i < b->n; i++) {
		if (b->ch[i].op == WG_AIP_ADD) {
			struct rec_entry *e = wg_hmap_find(&r->entries,
							   &b->ch[i].prefix);
			if (!(e->flags & ENT_OWNED))
				rec_state_append(r, '+', &b->ch[i].prefix);
		}
	}
	rec_state_sync(r, r->entries.count);
	/* A read that began before this write may show it half done. */
	r->st.applies++;
	r->in_flight = true;
	*out = b;
	return 0;
}

int wg_rec_batch_apply(struct wg_rec_batch *b, struct wg_backend *be)
{
	if (b->probe) {
		b->probe_err = wg_backend_probe(be, b->ifname, &b->caps);
		if (b->probe_err < 0)
			b->caps = 0;
		be->caps = b->caps;
	}
	b->ret = 0;
	if (b->n == 0)
		return 0;
	/* In slices of the backend's form: a change that moves a prefix is
	 * one ADD, whole in one slice, so a slice boundary splits nothing
	 * (the reconciler never plans WG_AIP_SET, whose group would). A
	 * failed slice ends the apply, as a failed message of a backend's
	 * own does: the caller re-reads the device. */
	size_t cap = b->n < REC_APPLY_SLICE ? b->n : REC_APPLY_SLICE;
	struct wg_aip_change *buf = malloc(cap * sizeof(*buf));

	if (!buf) {
		b->ret = -ENOMEM;
		return b->ret;
	}
	for (size_t i = 0; i < b->n && b->ret == 0; i += cap) {
		size_t k = b->n - i < cap ? b->n - i : cap;

		for (size_t j = 0; j < k; j++) {
			const struct rec_change *c = &b->ch[i + j];

			buf[j].peer = b->keys[c->peer].key;
			buf[j].prefix = c->prefix;
			buf[j].op = c->op;
		}
		b->ret = wg_backend_apply(be, b->ifname, buf, k);
	}
	free(buf);
	return b->ret;
}

size_t wg_rec_batch_size(const struct wg_rec_batch *b)
{
	return b->n;
}

void wg_rec_batch_free(struct wg_rec_batch *b)
{
	if (!b)
		return;
	free(b->ch);
	free(b->keys);
	free(b);
}

int wg_rec_done(struct wg_rec *r, struct wg_rec_batch *b)
{
	int ret = b->ret;

	r->in_flight = false;
	/* ... and so may one that began while it was under way. */
	r->st.applies++;
	if (b->probe) {
		if (b->probe_err < 0)
			rec_log(r, WG_LOG_WARNING,
				"%s: capability probe failed (%d)", r->ifname,
				b->probe_err);
		r->caps = b->caps;
		r->probed = true;
	}
	if (ret < 0) {
		char eb[64];
		snprintf(eb, sizeof(eb), "%s", strerror(-ret));
		rec_log(r, WG_LOG_ERR, "%s: applying %zu changes failed: %s",
			r->ifname, b->n, eb);
		/* Ownership of every ADD is kept (it may have happened); the
		 * next refresh re-reads the truth. */
		for (size_t i = 0; i < b->n; i++) {
			struct rec_entry *e;

			if (b->ch[i].op != WG_AIP_ADD)
				continue;
			if ((e = rec_entry_get(r, &b->ch[i].prefix)))
				e->flags |= ENT_OWNED;
		}
		r->trust_device = true;
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct wg_prefix *p = &b->ch[i].prefix;
		/* Set or unset may have run meanwhile (the entry is then
		 * queued again), never a refresh: it is still there. */
		struct rec_entry *e = rec_entry_get(r, p);

		if (!e) {
			ret = -ENOMEM;
			continue;
		}
		if (b->ch[i].op == WG_AIP_ADD) {
			if (e->dev == PEER_NONE)
				r->st.adds++;
			else
				r->st.moves++;
			/* The peer written, which is the wanted one unless
			 * Babel chose again meanwhile. */
			e->dev = (uint16_t)b->keys[b->ch[i].peer].idx;
			e->flags |= ENT_OWNED;
		} else {
			r->st.removes++;
			e->dev = PEER_NONE;
			e->flags &= (uint8_t)~ENT_OWNED;
			rec_state_append(r, '-', p);
			if (rec_entry_idle(e) && !(e->flags & ENT_DIRTY))
				wg_hmap_remove(&r->entries, p);
		}
	}
	rec_state_sync(r, r->entries.count);
out:
	wg_rec_batch_free(b);
	return ret;
}

int wg_rec_flush(struct wg_rec *r)
{
	struct wg_rec_batch *b;
	int ret;

	if ((ret = wg_rec_plan(r, &b)) < 0 || !b)
		return ret;
	wg_rec_batch_apply(b, r->be);
	return wg_rec_done(r, b);
}

/* The interface is gone: nothing is installed, nothing is owned. */
static int rec_device_gone(struct wg_rec *r)
{
	size_t it = 0;
	const void *k;
	struct rec_entry *e;

	if (r->device_present)
		rec_log(r, WG_LOG_INFO, "%s: interface is gone", r->ifname);
	r->device_present = false;
	r->probed = false;
	for (size_t i = 0; i < r->n_peers; i++)
		r->peers[i].present = false;
	while ((e = wg_hmap_next(&r->entries, &it, &k))) {
		e->dev = PEER_NONE;
		e->flags &= (uint8_t)~ENT_OWNED;
	}
	return rec_state_compact(r);
}

/* An owned prefix the device shows on another peer than the model says:
 * someone else moved it, it is theirs now (unless, after a failed apply,
 * the device is to be believed). */
static void rec_check_moved(struct wg_rec *r, const struct wg_prefix *p,
			    struct rec_entry *e, uint32_t holder, size_t *lost)
{
	char pb[WG_PREFIX_STRLEN];

	if (!(e->flags & ENT_OWNED) || e->dev == PEER_NONE ||
	    e->dev == holder || r->trust_device)
		return;
	e->flags &= (uint8_t)~ENT_OWNED;
	(*lost)++;
	rec_log(r, WG_LOG_WARNING,
		"%s: %s was moved by someone else; no longer managed",
		r->ifname, wg_prefix_str(p, pb));
}

/*
 * Merges what the device holds into the model (see wg_rec_refresh);
 * *lost counts the owned prefixes that are not ours any more. Two passes:
 * the device's allowed IPs (each entry marked ENT_SEEN), then the model's
 * entries the device did not show. Owned prefixes gone from the device
 * (`wg syncconf` or `wg set` underneath, a peer removed) are logged in one
 * line: they are installed again where a winner still wants them.
 */
static int rec_merge_device(struct wg_rec *r, const struct wg_device *dev,
			    size_t *lost)
{
	size_t it = 0, removed = 0;
	struct rec_entry *e;
	const void *k;
	char pb[WG_PREFIX_STRLEN] = "";
	int ret = 0;

	for (size_t i = 0; i < r->n_peers; i++)
		r->peers[i].present = false;
	for (size_t i = 0; i < dev->n_peers && ret == 0; i++) {
		const struct wg_peer *p = &dev->peers[i];
		uint32_t idx;

		if ((ret = rec_peer_intern(r, &p->pubkey, &idx)) < 0)
			break;
		r->peers[idx].present = true;
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			const struct wg_prefix *ap = &p->allowed_ips[j];

			if (!(e = rec_entry_get(r, ap))) {
				ret = -ENOMEM;
				break;
			}
			if (!(e->flags & ENT_SEEN))
				rec_check_moved(r, ap, e, idx, lost);
			e->flags |= ENT_SEEN;
			e->dev = (uint16_t)idx;
		}
	}
	while ((e = wg_hmap_next(&r->entries, &it, &k))) {
		if (e->flags & ENT_SEEN) {
			e->flags &= (uint8_t)~ENT_SEEN;
			continue;
		}
		if (ret < 0)
			continue;	/* not read to the end: unknown */
		if (e->flags & ENT_OWNED) {
			/* removed underneath (peer or prefix) */
			e->flags &= (uint8_t)~ENT_OWNED;
			(*lost)++;
			if (!removed++)
				wg_prefix_str(k, pb);
		}
		e->dev = PEER_NONE;
	}
	if (removed)
		rec_log(r, WG_LOG_WARNING,
			"%s: %zu allowed IPs wgbabeld had installed were removed "
			"by someone else (%s%s); installing again those still wanted",
			r->ifname, removed, pb, removed > 1 ? " and others" : "");
	return ret;
}

int wg_rec_refresh(struct wg_rec *r)
{
	struct wg_device dev;
	int ret;

	if (r->in_flight)
		return -EBUSY;

	ret = wg_backend_get_device(r->be, r->ifname, &dev);
	if (ret == -ENODEV)
		return wg_rec_device_gone(r);
	if (ret < 0)
		return ret;
	ret = wg_rec_refresh_from(r, &dev);
	wg_device_clear(&dev);
	return ret;
}

int wg_rec_device_gone(struct wg_rec *r)
{
	if (r->in_flight)
		return -EBUSY;
	r->st.refreshes++;
	return rec_device_gone(r);
}

/*
 * A read of the device is compared with the model, and only what differs
 * is planned: in a steady state (nothing changed underneath) this sends
 * nothing and writes no journal, whatever the table's size.
 */
int wg_rec_merge(struct wg_rec *r, const struct wg_device *dev)
{
	size_t it = 0, lost = 0;
	const void *k;
	struct rec_entry *e;
	int ret;

	if (r->in_flight)	/* the read may show the batch half done */
		return -EBUSY;

	r->st.refreshes++;
	if (!r->device_present)
		rec_log(r, WG_LOG_INFO, "%s: device with %zu peers", r->ifname,
			dev->n_peers);
	r->device_present = true;
	if ((ret = rec_merge_device(r, dev, &lost)) < 0)
		return ret;
	r->trust_device = false;
	/* Plan again only the entries whose plan is not "nothing" any more
	 * (or whose refusal changed, or that can go). */
	while ((e = wg_hmap_next(&r->entries, &it, &k))) {
		uint32_t target;
		uint8_t conflict;
		enum rec_action a = rec_plan_entry(e, r->peers,
						   r->grace && (e->flags & ENT_ADOPTED),
						   &target, &conflict);

		if (a == ACT_NONE && conflict == e->conflict &&
		    !rec_entry_idle(e))
			continue;
		if ((ret = rec_mark_dirty(r, k, e)) < 0)
			return ret;
	}
	if (lost && rec_state_compact(r) < 0)
		rec_log(r, WG_LOG_WARNING, "%s: cannot write state file %s",
			r->ifname, r->state_path);
	return 0;
}

int wg_rec_refresh_from(struct wg_rec *r, const struct wg_device *dev)
{
	int ret = wg_rec_merge(r, dev);

	return ret < 0 ? ret : wg_rec_flush(r);
}

int wg_rec_withdraw_all(struct wg_rec *r)
{
	size_t it = 0;
	const void *k;
	struct rec_entry *e;
	int ret;

	r->grace = false;
	while ((e = wg_hmap_next(&r->entries, &it, &k))) {
		e->want = PEER_NONE;
		if (e->flags & ENT_OWNED) {
			ret = rec_mark_dirty(r, k, e);
			if (ret < 0)
				return ret;
		}
	}
	return wg_rec_flush(r);
}

uint64_t wg_rec_applies(const struct wg_rec *r)
{
	return r->st.applies;
}

unsigned wg_rec_caps(const struct wg_rec *r)
{
	return r->caps;
}

size_t wg_rec_foreach_conflict(const struct wg_rec *r, wg_rec_conflict_fn *fn,
			       void *arg)
{
	size_t it = 0, n = 0;
	const void *k;
	struct rec_entry *e;

	while ((e = wg_hmap_next(&r->entries, &it, &k))) {
		struct wg_rec_conflict c;

		if (!e->conflict)
			continue;
		memset(&c, 0, sizeof(c));
		memcpy(&c.prefix, k, sizeof(c.prefix));
		c.kind = e->conflict;
		if (e->want != PEER_NONE)
			c.wanted = r->peers[e->want].key;
		if (e->dev != PEER_NONE)
			c.holder = r->peers[e->dev].key;
		n++;
		if (fn)
			fn(arg, &c);
	}
	return n;
}

void wg_rec_get_stats(const struct wg_rec *r, struct wg_rec_stats *st)
{
	size_t it = 0;
	struct rec_entry *e;

	*st = r->st;
	st->desired = st->owned = st->conflicts = 0;
	while ((e = wg_hmap_next(&r->entries, &it, NULL))) {
		st->desired += e->want != PEER_NONE;
		st->owned += (e->flags & ENT_OWNED) != 0;
		st->conflicts += e->conflict != 0;
	}
	st->in_grace = r->grace;
	st->device_present = r->device_present;
}

bool wg_rec_owns(const struct wg_rec *r, const struct wg_prefix *prefix,
		 struct wg_key *peer)
{
	const struct rec_entry *e = wg_hmap_find(&r->entries, prefix);

	if (!e || !(e->flags & ENT_OWNED))
		return false;
	if (peer && e->dev != PEER_NONE)
		*peer = r->peers[e->dev].key;
	return true;
}
