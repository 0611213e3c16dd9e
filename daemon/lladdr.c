/* SPDX-License-Identifier: MIT */
/*
 * daemon/lladdr.c — the choice of our link-local address (lladdr.h).
 */
#include "daemon/lladdr.h"

#include <string.h>
#include <linux/if_addr.h>

#ifndef IFAPROT_KERNEL_LL	/* uapi headers before Linux 6.0 */
#define IFAPROT_KERNEL_LO 1
#define IFAPROT_KERNEL_RA 2
#define IFAPROT_KERNEL_LL 3
#endif

bool ll_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool ll_usable(const struct ll_cand *c)
{
	return ll_is_link_local(c->addr) && !(c->flags & IFA_F_DADFAILED);
}

static bool ll_kernel_proto(const struct ll_cand *c)
{
	return c->proto == IFAPROT_KERNEL_LO || c->proto == IFAPROT_KERNEL_RA ||
	       c->proto == IFAPROT_KERNEL_LL;
}

/* Rule 4: stable-privacy says so; EUI-64 (ff:fe in the middle, RFC 4291
 * appendix A) and random identifiers fill the upper half of the interface
 * identifier, which hand-written ones like fe80::1 leave zero. */
static bool ll_looks_kernel(const struct ll_cand *c)
{
	static const uint8_t zero[4];

	return (c->flags & IFA_F_STABLE_PRIVACY) ||
	       memcmp(c->addr + 8, zero, sizeof(zero)) != 0;
}

/* Whether A is better than B within one rule's set. */
static bool ll_better(const struct ll_cand *a, const struct ll_cand *b)
{
	bool ta = a->flags & IFA_F_TENTATIVE, tb = b->flags & IFA_F_TENTATIVE;

	if (ta != tb)
		return tb;
	return memcmp(a->addr, b->addr, 16) < 0;
}

/* The best of the usable candidates for which KEEP says yes (or all, when
 * KEEP is NULL); *n_out counts them. */
static int ll_pick(const struct ll_cand *c, size_t n,
		   bool (*keep)(const struct ll_cand *), bool keep_value,
		   size_t *n_out)
{
	int best = -1;

	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ll_usable(&c[i]) || (keep && keep(&c[i]) != keep_value))
			continue;
		++*n_out;
		if (best < 0 || ll_better(&c[i], &c[best]))
			best = (int)i;
	}
	return best;
}

void ll_choose(const struct ll_cand *c, size_t n, const uint8_t *configured,
	       struct ll_choice *out)
{
	bool marked = false;
	size_t k;

	memset(out, 0, sizeof(*out));
	out->index = -1;
	for (size_t i = 0; i < n; i++) {
		if (!ll_usable(&c[i]))
			continue;
		out->n_link_local++;
		marked |= ll_kernel_proto(&c[i]);
	}
	if (configured) {
		for (size_t i = 0; i < n; i++) {
			if (ll_usable(&c[i]) &&
			    !memcmp(c[i].addr, configured, 16)) {
				out->index = (int)i;
				out->reason = LL_CONFIGURED;
				out->n_tied = 1;
				return;
			}
		}
		return;
	}
	if (out->n_link_local == 0)
		return;
	if (out->n_link_local == 1) {
		out->index = ll_pick(c, n, NULL, false, &out->n_tied);
		out->reason = LL_ONLY_ONE;
		return;
	}
	if (marked) {
		out->index = ll_pick(c, n, ll_kernel_proto, false, &k);
		if (out->index >= 0) {
			out->reason = LL_KERNEL_PROTO;
			out->n_tied = k;
			return;
		}
	}
	out->reason = LL_FALLBACK;
	out->index = ll_pick(c, n, ll_looks_kernel, false, &k);
	if (out->index < 0)
		out->index = ll_pick(c, n, NULL, false, &k);
	out->n_tied = k;
}

const char *ll_reason_name(enum ll_reason r)
{
	switch (r) {
	case LL_NONE: return "none";
	case LL_CONFIGURED: return "configured";
	case LL_ONLY_ONE: return "only-one";
	case LL_KERNEL_PROTO: return "kernel-proto";
	case LL_FALLBACK: return "fallback";
	}
	return "?";
}
