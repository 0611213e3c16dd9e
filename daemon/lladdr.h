/* SPDX-License-Identifier: MIT */
/*
 * daemon/lladdr.h — which of a link's IPv6 link-local addresses Babel
 * speaks from: a pure function over the addresses rtnetlink lists, so that
 * the rule is unit-tested without a kernel.
 *
 * Why it matters: a WireGuard peer accepts a packet only from a source
 * inside our entry of its AllowedIPs, which wg-quick set-ups write as the
 * configured link-local (fe80::1/128). wireguard-go's TUN device also gets
 * a link-local the kernel generates (stable-privacy, EUI-64 or random);
 * Babel sent from that one is dropped by every peer without a trace.
 *
 * The rule, first match wins:
 *   1. "link-local ADDR" configured: that address, or none while it is not
 *      on the link (Babel then waits for it).
 *   2. Only one link-local: that one.
 *   3. The kernel marks the ones it made (IFA_PROTO = IFAPROT_KERNEL_LL,
 *      Linux >= 6.0; include/uapi/linux/if_addr.h): the others.
 *   4. Otherwise (older kernels, or none marked): the ones that do not look
 *      kernel-made, i.e. neither IFA_F_STABLE_PRIVACY nor an interface
 *      identifier with any of its upper 32 bits set (EUI-64 and random ones
 *      have them, fe80::1 does not); if none is left, all of them.
 * Within the set a rule leaves, a usable address (not tentative) before a
 * tentative one, then the numerically lowest. When that set held more than
 * one address, the choice was a guess: the caller says so once.
 */
#ifndef WGB_DAEMON_LLADDR_H
#define WGB_DAEMON_LLADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One IPv6 address of the link as rtnetlink gives it. */
struct ll_cand {
	uint8_t addr[16];
	uint32_t flags;		/* IFA_F_* (IFA_FLAGS, else ifa_flags) */
	uint8_t proto;		/* IFA_PROTO; 0 when absent (IFAPROT_UNSPEC) */
};

enum ll_reason {
	LL_NONE = 0,		/* no link-local, or not the configured one */
	LL_CONFIGURED,		/* rule 1 */
	LL_ONLY_ONE,		/* rule 2 */
	LL_KERNEL_PROTO,	/* rule 3 */
	LL_FALLBACK,		/* rule 4 */
};

struct ll_choice {
	int index;		/* into the list; -1: none */
	enum ll_reason reason;
	size_t n_tied;		/* addresses the rule could not tell apart */
	size_t n_link_local;	/* usable link-locals on the link */
};

/* RFC 4291 §2.5.6: fe80::/10. */
bool ll_is_link_local(const uint8_t a[16]);

/* Chooses among C[0..N) (any addresses; non-link-locals are skipped);
 * CONFIGURED is the "link-local" option's address or NULL. */
void ll_choose(const struct ll_cand *c, size_t n, const uint8_t *configured,
	       struct ll_choice *out);

/* "configured", "kernel-proto", "only-one", "fallback", "none". */
const char *ll_reason_name(enum ll_reason r);

#endif
