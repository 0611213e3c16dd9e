/* SPDX-License-Identifier: MIT */
/*
 * daemon/check.h — health-checked announcements and drain (check.c): the
 * probes of "announce ... check" on the loop, and the drain of an
 * announced prefix ("wgbabelctl drain", "drain-file").
 */
#ifndef WGB_DAEMON_CHECK_H
#define WGB_DAEMON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/check_sm.h"
#include "daemon/config.h"
#include "daemon/sbuf.h"
#include "proto/wire.h"

struct daemon;

/* Starts, keeps (unchanged options) or restarts the checks of C's
 * announce lines; stops the ones no line has any more. */
void check_apply_config(struct daemon *d, const struct cfg *c);
/* Kills running commands and closes every handle (shutdown). */
void check_stop(struct daemon *d);
/* What the engine should announce for K at base METRIC (check_gate). */
bool check_gate_for(struct daemon *d, const struct babel_prefix *k,
		    uint16_t metric, uint16_t *out);
/* "wgbabelctl drain|undrain K": K must be announced by this node. */
int check_drain(struct daemon *d, const struct babel_prefix *k, bool on,
		char *err, size_t errlen);
/* "show checks [json]" */
void check_show(struct daemon *d, struct sbuf *b, bool json);
/* For the metrics: checked announcements by state (no result yet, up,
 * down), prefixes draining and drained, and probe results (ok, failed)
 * since start, added to the arrays. */
void check_stats(struct daemon *d, uint64_t by_state[3], uint64_t drain[2],
		 uint64_t results[2]);

#endif
