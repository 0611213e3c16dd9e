/* SPDX-License-Identifier: MIT */
/*
 * wgglue/state.h — the reconciler's ownership journal (internal to wgglue).
 *
 * A text file, one prefix per line: "+ 10.1.0.0/16" (we are about to own
 * it: written before the change is sent) or "- 10.1.0.0/16" (no longer
 * ours: written after the removal succeeded). Writing intent before and
 * release after means a crash can only make us believe we own a prefix we
 * did not install yet (harmless: it is removed only if it is on the device
 * and not relearned), never forget one we did install. Appends are cheap;
 * the file is compacted (rewritten and renamed over) when it grows past
 * twice the owned set. It lives on /run (tmpfs): no fsync.
 */
#ifndef WGB_WGGLUE_STATE_H
#define WGB_WGGLUE_STATE_H

#include <stddef.h>

#include "wgglue/wg.h"

struct wg_state;

typedef int wg_state_load_fn(void *arg, const struct wg_prefix *p);

/* Replays path and calls fn once per prefix owned at the end. A missing
 * file is no error. -EBADMSG on a malformed line (with *line set). */
int wg_state_load(const char *path, wg_state_load_fn *fn, void *arg,
		  size_t *line);

int wg_state_open(struct wg_state **out, const char *path);
void wg_state_close(struct wg_state *st);
int wg_state_append(struct wg_state *st, char op, const struct wg_prefix *p);
int wg_state_sync(struct wg_state *st);
size_t wg_state_lines(const struct wg_state *st);

typedef const struct wg_prefix *wg_state_next_fn(void *arg);
/* Rewrites the file with the prefixes next() yields (NULL ends). */
int wg_state_compact(struct wg_state *st, wg_state_next_fn *next, void *arg);

#endif
