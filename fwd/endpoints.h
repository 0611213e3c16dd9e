/* SPDX-License-Identifier: MIT */
/*
 * fwd/endpoints.h — the WireGuard endpoints of this host's peers, and
 * which learned prefixes cover one of them.
 *
 * A kernel route to a prefix that covers a peer's endpoint, pointing into
 * the tunnel, would pull WireGuard's own UDP packets to that endpoint into
 * the tunnel itself: the peer becomes unreachable and every route through
 * it with it. Such a prefix is refused a kernel route (the forwarding
 * plane's rule; its allowed IP is unaffected, WireGuard routes its own
 * packets by the kernel's table, not by allowed IPs).
 *
 * The set is a sorted array per family: "does P/len cover an endpoint" is a
 * binary search for the first endpoint not below P's first address, so a
 * table of a million prefixes costs O(log peers) per route. Pure: no I/O,
 * no clock, no globals.
 */
#ifndef WGB_FWD_ENDPOINTS_H
#define WGB_FWD_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fwd_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, rest zero */
};

struct fwd_endpoints {
	struct fwd_addr *v;	/* sorted by family, then address */
	size_t n, cap;
};

void fwd_ep_init(struct fwd_endpoints *e);
void fwd_ep_free(struct fwd_endpoints *e);

/* Replaces the set with LIST (any order, duplicates allowed; entries of
 * another family are skipped). Returns 1 when the set changed, 0 when it
 * is the same, -ENOMEM (the old set kept). */
int fwd_ep_set(struct fwd_endpoints *e, const struct fwd_addr *list,
	       size_t n);

/* Whether FAMILY ADDR/PLEN covers an endpoint; the first such one in
 * *WHICH when not NULL. */
bool fwd_ep_covered(const struct fwd_endpoints *e, uint8_t family,
		    const uint8_t *addr, unsigned plen, struct fwd_addr *which);

#endif
