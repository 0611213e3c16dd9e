/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg_fake.h — an in-memory WireGuard device behind the wg_backend
 * interface, for unit tests only (wgglue_fake_dep). It models what the
 * reconciler depends on: one trie entry per prefix, ADD moves a prefix
 * between peers in one step, update-only changes to a missing peer are
 * silently ignored (as the kernel does), REMOVE only when supported, and
 * the interface can vanish and come back empty. Every applied change is
 * logged so tests can assert exactly what was sent.
 */
#ifndef WGB_WGGLUE_WG_FAKE_H
#define WGB_WGGLUE_WG_FAKE_H

#include "wgglue/wg.h"

struct wg_fake_stats {
	uint64_t applies;	/* apply() calls that reached the device */
	uint64_t gets;
	uint64_t probes;
	uint64_t adds;		/* ADD of a prefix nobody held */
	uint64_t moves;		/* ADD that moved a prefix */
	uint64_t removes;	/* REMOVE that removed something */
	uint64_t ignored;	/* changes to a missing peer / not held */
};

int wg_fake_new(struct wg_backend **out, const char *ifname);

int wg_fake_add_peer(struct wg_backend *be, const struct wg_key *peer);
/* Removes the peer and its allowed IPs (like `wg set .. peer X remove`). */
int wg_fake_remove_peer(struct wg_backend *be, const struct wg_key *peer);
/* What `wg set wg0 peer X allowed-ips +P` would do: add or move. */
int wg_fake_set_aip(struct wg_backend *be, const struct wg_key *peer,
		    const struct wg_prefix *p);
int wg_fake_del_aip(struct wg_backend *be, const struct wg_prefix *p);
/* Who holds p; false when nobody. */
bool wg_fake_holder(struct wg_backend *be, const struct wg_prefix *p,
		    struct wg_key *peer);
size_t wg_fake_aip_count(struct wg_backend *be);
/* false: the interface is gone (-ENODEV); true again: re-created empty. */
void wg_fake_set_present(struct wg_backend *be, bool present);
void wg_fake_set_caps(struct wg_backend *be, unsigned caps);
/* The next apply() applies n changes, then fails with err. */
void wg_fake_fail_after(struct wg_backend *be, size_t n, int err);
const struct wg_fake_stats *wg_fake_stats(struct wg_backend *be);
/* Changes applied since the last clear, in order. */
const struct wg_aip_change *wg_fake_log(struct wg_backend *be, size_t *n);
void wg_fake_log_clear(struct wg_backend *be);

#endif
