/* SPDX-License-Identifier: MIT */
/*
 * daemon/originate.c — the prefixes this node originates: "announce" lines
 * of the configuration and "announce"/"withdraw" on the control socket.
 * Several nodes may announce the same prefix (anycast): each is its own
 * source, and every router picks the nearest.
 */
#include "daemon/daemon.h"
#include "daemon/check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void orig_key(const struct babel_prefix *p, struct babel_prefix *k)
{
	memset(k, 0, sizeof(*k));
	k->af = p->af;
	k->plen = p->plen;
	memcpy(k->addr, p->addr, p->af == BABEL_AF_INET ? 4 : 16);
}

/*
 * Brings the engine in line with O: announced with the metric check.c's
 * gate gives (the configured one unless a check failed or a drain
 * runs), or withdrawn.
 */
static int orig_sync(struct daemon *d, const struct babel_prefix *k,
		     struct d_orig *o)
{
	uint16_t m;
	int r;

	if (check_gate_for(d, k, o->metric, &m)) {
		if (o->in_engine && o->announced == m)
			return 0;
		r = babel_originate(d->babel, k, NULL, m, d_now_us(d));
		if (r < 0)
			return r;
		o->in_engine = true;
		o->announced = m;
	} else if (o->in_engine) {
		r = babel_withdraw(d->babel, k, NULL, d_now_us(d));
		o->in_engine = false;
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

int orig_announce(struct daemon *d, const struct babel_prefix *p,
		  uint16_t metric, unsigned source, char *err, size_t errlen)
{
	struct babel_prefix k;
	struct d_orig *o, old;
	bool created = false;
	char pf[64];
	int r;

	orig_key(p, &k);
	o = wg_hmap_get(&d->originated, &k, &created);
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	old = *o;
	o->metric = metric;
	o->sources |= (uint8_t)source;
	r = orig_sync(d, &k, o);
	if (r < 0) {
		if (created)
			wg_hmap_remove(&d->originated, &k);
		else
			*o = old;
		snprintf(err, errlen, "cannot announce %s: %s",
			 cfg_prefix_str(p, pf, sizeof(pf)), strerror(-r));
		return r;
	}
	/* A redistributed table may be a million prefixes: redist.c logs
	 * their count, the prefixes themselves are debug lines. */
	if (source == ORIG_REDIST)
		LOG_D(d, "announcing %s metric %u",
		      cfg_prefix_str(p, pf, sizeof(pf)), metric);
	else if (o->in_engine && o->announced != metric)
		LOG_I(d, "announcing %s metric %u (%u: health check or drain)",
		      cfg_prefix_str(p, pf, sizeof(pf)), metric, o->announced);
	else if (o->in_engine)
		LOG_I(d, "announcing %s metric %u",
		      cfg_prefix_str(p, pf, sizeof(pf)), metric);
	else
		LOG_I(d, "%s metric %u held back: health check not up, or "
		      "drained", cfg_prefix_str(p, pf, sizeof(pf)), metric);
	daemon_kick(d);
	return 0;
}

void orig_regate(struct daemon *d, const struct babel_prefix *p)
{
	struct babel_prefix k;
	struct d_orig *o;
	bool was;
	uint16_t m;
	char pf[64];
	int r;

	orig_key(p, &k);
	o = wg_hmap_find(&d->originated, &k);
	if (!o)
		return;
	was = o->in_engine;
	m = o->announced;
	cfg_prefix_str(&k, pf, sizeof(pf));
	if ((r = orig_sync(d, &k, o)) < 0)
		LOG_W(d, "cannot announce %s: %s", pf, strerror(-r));
	else if (was && !o->in_engine)
		LOG_I(d, "withdrew %s (health check or drain)", pf);
	else if (o->in_engine && (!was || m != o->announced))
		LOG_I(d, "announcing %s metric %u", pf, o->announced);
	daemon_kick(d);
}

static int orig_remove(struct daemon *d, const struct babel_prefix *p,
		       bool quiet, char *err, size_t errlen)
{
	struct babel_prefix k;
	struct d_orig *o;
	char pf[64];
	int r = 0;

	orig_key(p, &k);
	cfg_prefix_str(p, pf, sizeof(pf));
	if (!(o = wg_hmap_find(&d->originated, &k))) {
		snprintf(err, errlen, "%s is not announced by this node", pf);
		return -ENOENT;
	}
	if (o->in_engine)
		r = babel_withdraw(d->babel, &k, NULL, d_now_us(d));
	wg_hmap_remove(&d->originated, &k);
	if (r < 0 && r != -ENOENT) {
		snprintf(err, errlen, "cannot withdraw %s: %s", pf,
			 strerror(-r));
		return r;
	}
	if (quiet)
		LOG_D(d, "withdrew %s", pf);
	else
		LOG_I(d, "withdrew %s", pf);
	daemon_kick(d);
	return 0;
}

int orig_withdraw(struct daemon *d, const struct babel_prefix *p, char *err,
		  size_t errlen)
{
	return orig_remove(d, p, false, err, errlen);
}

void orig_drop(struct daemon *d, const struct babel_prefix *p,
	       unsigned source)
{
	struct babel_prefix k;
	struct d_orig *o;
	char err[256];

	orig_key(p, &k);
	o = wg_hmap_find(&d->originated, &k);
	if (!o || !(o->sources & source))
		return;
	o->sources &= (uint8_t)~source;
	if (!o->sources && orig_remove(d, &k, source == ORIG_REDIST, err,
					sizeof(err)) < 0)
		LOG_W(d, "%s", err);
}

const char *orig_sources_str(unsigned sources, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 sources & ORIG_CONFIG ? "config" : "",
		 (sources & ORIG_CONFIG) && (sources & ~ORIG_CONFIG) ? ", " : "",
		 sources & ORIG_CONTROL ? "control socket" : "",
		 (sources & ORIG_CONTROL) && (sources & ORIG_REDIST) ? ", " : "",
		 sources & ORIG_REDIST ? "redistributed" : "");
	return buf;
}

/* Reload: lines removed from the file are withdrawn, new or changed lines
 * announced. Prefixes announced over the control socket stay. */
void orig_apply_config(struct daemon *d, const struct cfg *old,
		       const struct cfg *new_cfg)
{
	char err[256];

	for (size_t i = 0; old && i < old->n_announces; i++) {
		const struct babel_prefix *p = &old->announces[i].prefix;
		bool still = false;

		for (size_t j = 0; j < new_cfg->n_announces && !still; j++)
			still = cfg_prefix_equal(p, &new_cfg->announces[j].prefix);
		if (!still)
			orig_drop(d, p, ORIG_CONFIG);
	}
	for (size_t i = 0; i < new_cfg->n_announces; i++) {
		const struct cfg_announce *a = &new_cfg->announces[i];
		struct babel_prefix k;
		const struct d_orig *o;

		orig_key(&a->prefix, &k);
		o = wg_hmap_find(&d->originated, &k);
		if (o && o->metric == a->metric && (o->sources & ORIG_CONFIG))
			continue;
		if (orig_announce(d, &a->prefix, a->metric, ORIG_CONFIG, err,
				  sizeof(err)) < 0)
			LOG_E(d, "%s:%u: %s", new_cfg->source, a->line, err);
	}
}
