/* SPDX-License-Identifier: MIT */
/*
 * wgglue/krule.h — the policy-routing rules (FIB rules, RTM_NEWRULE) of the
 * egress table, and the WireGuard fwmarks set for them: what this instance
 * created, and nothing else.
 *
 * A rule is created with NLM_F_EXCL and FRA_PROTOCOL = our route protocol
 * (so `ip rule` shows it as ours), and deleted naming every attribute it
 * was made with, protocol included: a rule of the operator, of wg-quick or
 * of another instance is never deleted, even one that looks the same. An
 * identical rule that is not ours (EEXIST) is used as it is and left alone.
 *
 * The ledger (cfg.ledger_path) lists the rules made and the fwmarks set on
 * WireGuard devices (with the mark each had before), written before each
 * is made and rewritten after each goes, the way kroute's ledger lists
 * nexthop objects. After a crash krule_adopt() takes the listed rules the
 * kernel still holds as ours, so a restart neither duplicates them nor
 * leaves them behind; the fwmarks are the caller's to check against the
 * devices (krule_mark_find).
 *
 * Requests are answered before the call returns (a few at start and at
 * exit; nothing per route). Functions return 0 or a negative errno.
 */
#ifndef WGB_WGGLUE_KRULE_H
#define WGB_WGGLUE_KRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgglue/kroute.h"

struct krule_spec {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint32_t priority;
	uint32_t table;		/* the lookup */
	uint32_t fwmark;	/* matched with mask 0xffffffff; 0: no match */
	bool invert;		/* "not fwmark": FIB_RULE_INVERT */
	bool suppress_default;	/* suppress_prefixlength 0 */
};

struct krule_config {
	uint8_t protocol;	/* 0: KROUTE_PROTO_BABEL */
	const char *ledger_path;	/* NULL: kept in memory only */
};

struct krule;

int krule_new(struct krule **out, const struct krule_config *cfg);
/* Tests: the transport (as kroute's). */
int krule_new_io(struct krule **out, const struct krule_config *cfg,
		 const struct kroute_io *io);
/* Frees memory only: the rules stay (krule_flush deletes them). */
void krule_free(struct krule *k);

/* -EBADMSG when the ledger is not one. Reads the ledger and the kernel's
 * rules: the listed ones the kernel holds with our protocol are ours
 * (*adopted of them), the others are forgotten. Once, at start. */
int krule_adopt(struct krule *k, size_t *adopted);

/* Makes the rule (0), or finds it is ours already (0), or finds an
 * identical one that is not ours (-EEXIST: it is left alone, and not
 * deleted by krule_flush), or the kernel's error. */
int krule_add(struct krule *k, const struct krule_spec *s);
/* Whether the rule is one of ours. */
bool krule_owned(const struct krule *k, const struct krule_spec *s);
size_t krule_count(const struct krule *k);
/* Deletes every rule of ours (one already gone is forgotten); returns
 * the last error. The ledger keeps its fwmarks. */
int krule_flush(struct krule *k);

/* The fwmark of WireGuard device IFNAME is about to be set to MARK (it
 * was PREV): listed first, so that a crash leaves a record. */
int krule_mark_note(struct krule *k, const char *ifname, uint32_t mark,
		    uint32_t prev);
/* It was put back (or the device is gone). */
void krule_mark_forget(struct krule *k, const char *ifname);
/* The mark we set on IFNAME and the one it had before; false: none. */
bool krule_mark_find(const struct krule *k, const char *ifname,
		     uint32_t *mark, uint32_t *prev);
/* Iteration over the marks listed (*it from 0); NULL at the end. */
const char *krule_mark_next(const struct krule *k, size_t *it,
			    uint32_t *mark, uint32_t *prev);

#endif
