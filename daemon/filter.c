/* SPDX-License-Identifier: MIT */
/*
 * daemon/filter.c — the engine's route filter callbacks (proto/babel.h
 * filter_in / filter_out), answered by the "in" and "out" lines of the
 * running configuration (cfg_filter_eval). They read d->cfg at every call,
 * so a reload applies to the next update in each direction. A filter line
 * matches the destination prefix; source-specific routes never get here, as
 * the engine ignores them (ignore_source_specific, main.c).
 */
#include "daemon/daemon.h"

#include <string.h>

static const char *filter_ifname(struct daemon *d, unsigned ifindex)
{
	const struct d_iface *ifc = iface_find(d, ifindex);

	return ifc ? ifc->name : NULL;
}

int filter_in(void *ctx, const struct babel_prefix *prefix,
	      const struct babel_prefix *src_prefix, unsigned ifindex,
	      const struct babel_addr *neighbour, uint16_t metric)
{
	struct daemon *d = ctx;
	struct babel_prefix host = { .af = neighbour->af };
	struct cfg_filter_input in = { .prefix = prefix, .neigh = &host };

	(void)src_prefix;
	(void)metric;
	if (!d->cfg->n_in)
		return 0;
	host.plen = neighbour->af == BABEL_AF_INET ? 32 : 128;
	memcpy(host.addr, neighbour->addr, sizeof(host.addr));
	in.ifname = filter_ifname(d, ifindex);
	return cfg_filter_eval(d->cfg->in, d->cfg->n_in, &in);
}

int filter_out(void *ctx, const struct babel_prefix *prefix,
	       const struct babel_prefix *src_prefix, unsigned ifindex,
	       uint16_t metric)
{
	struct daemon *d = ctx;
	struct cfg_filter_input in = { .prefix = prefix };

	(void)src_prefix;
	(void)metric;
	if (!d->cfg->n_out)
		return 0;
	in.ifname = filter_ifname(d, ifindex);
	return cfg_filter_eval(d->cfg->out, d->cfg->n_out, &in);
}
