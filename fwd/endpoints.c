/* SPDX-License-Identifier: MIT */
/* fwd/endpoints.c — see endpoints.h. */
#include "fwd/endpoints.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t fwd_alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static int fwd_addr_cmp(const struct fwd_addr *a, const struct fwd_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

static int fwd_addr_qcmp(const void *a, const void *b)
{
	return fwd_addr_cmp(a, b);
}

void fwd_ep_init(struct fwd_endpoints *e)
{
	memset(e, 0, sizeof(*e));
}

void fwd_ep_free(struct fwd_endpoints *e)
{
	free(e->v);
	fwd_ep_init(e);
}

int fwd_ep_set(struct fwd_endpoints *e, const struct fwd_addr *list,
	       size_t n)
{
	struct fwd_addr *v = n ? malloc(n * sizeof(*v)) : NULL;
	size_t m = 0;

	if (n && !v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (list[i].family != AF_INET && list[i].family != AF_INET6)
			continue;
		memset(&v[m], 0, sizeof(v[m]));
		v[m].family = list[i].family;
		memcpy(v[m].addr, list[i].addr, fwd_alen(list[i].family));
		m++;
	}
	if (m)
		qsort(v, m, sizeof(*v), fwd_addr_qcmp);
	/* Duplicates: peers behind one NAT share an address. */
	if (m) {
		size_t k = 1;

		for (size_t i = 1; i < m; i++)
			if (fwd_addr_cmp(&v[i], &v[k - 1]) != 0)
				v[k++] = v[i];
		m = k;
	}
	if (m == e->n && (m == 0 || !memcmp(v, e->v, m * sizeof(*v)))) {
		free(v);
		return 0;
	}
	free(e->v);
	e->v = v;
	e->n = e->cap = m;
	return 1;
}

bool fwd_ep_covered(const struct fwd_endpoints *e, uint8_t family,
		    const uint8_t *addr, unsigned plen, struct fwd_addr *which)
{
	struct fwd_addr lo = { .family = family }, hi = { .family = family };
	size_t alen = fwd_alen(family), a = 0, b = e->n;

	if (plen > alen * 8)
		return false;
	/* The first and last address of ADDR/PLEN. */
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		lo.addr[i] = addr[i] & mask;
		hi.addr[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
	}
	while (a < b) {		/* first endpoint not below lo */
		size_t mid = a + (b - a) / 2;

		if (fwd_addr_cmp(&e->v[mid], &lo) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	if (a == e->n || fwd_addr_cmp(&e->v[a], &hi) > 0)
		return false;
	if (which)
		*which = e->v[a];
	return true;
}
