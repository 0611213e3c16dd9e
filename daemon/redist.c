/* SPDX-License-Identifier: MIT */
/*
 * daemon/redist.c — "redistribute": kernel routes that become Babel
 * announcements.
 *
 * wgglue/rtwatch.c reads the kernel's table (a dump) and follows route
 * changes; both sockets are watched by uv_poll, and each callback handles
 * at most RDS_SLICE routes, so a table of 1,000,000 routes is read across
 * many loop rounds while Hellos and the control socket go on. Each route
 * of the main table is run through the redistribute lines; a match is
 * originated (originate.c, source ORIG_REDIST) and withdrawn when the last
 * kernel route for that prefix goes away. Our own routes (route-protocol),
 * link-local, multicast, cached and source-specific routes are never
 * redistributed: re-announcing what Babel installed would make loops.
 *
 * A full pass (at start, after a reload, after lost events) is a mark and
 * sweep: every route it reports carries the pass's generation, and at its
 * end the routes it did not report are withdrawn.
 *
 * The log stays readable at a million prefixes: each prefix announced or
 * withdrawn is a debug line; info gets their counts, once at the end of a
 * pass and, for route events, at most once a minute (RDS_SUMMARY_MS).
 */
#include "daemon/daemon.h"
#include "wgglue/rtwatch.h"
#include "wgglue/shmap.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

/* Routes per loop callback: a slice of a large dump took 8 ms on average
 * on the development machine (1,000,000 routes in 8.4 s with 2048). */
#define RDS_SLICE 1024

/* Route events change prefixes one by one: their count is logged at most
 * this often. */
#define RDS_SUMMARY_MS 60000

/* A kernel route's identity: the kernel keys IPv4 routes by (table, dst,
 * tos, priority) and IPv6 ones by (table, dst, src, metric); the protocol
 * is not part of it ("ip route replace" may change it). */
struct redist_key {
	struct babel_prefix prefix;
	uint8_t tos;
	uint8_t pad;
	uint32_t table;
	uint32_t priority;
};

struct redist_route {
	uint32_t gen;			/* the last pass that saw it */
	uint16_t metric;
	uint8_t protocol;
};

struct redist_prefix {
	uint32_t routes;		/* matching kernel routes */
	uint32_t gen;			/* the pass that set metric */
	uint16_t metric;		/* announced with */
};

struct redist {
	struct daemon *d;
	struct rtwatch *w;
	uv_poll_t ev_poll;
	uv_poll_t dump_poll;
	unsigned polls_init;		/* handles to close */
	bool dump_polling;
	bool changed;			/* since the last kick */
	/* Sharded: 1,000,000 routes must not stall the loop as one table
	 * doubles (wgglue/shmap.h). */
	struct wg_shmap routes;		/* redist_key -> redist_route */
	struct wg_shmap prefixes;	/* babel_prefix -> redist_prefix */
	uint32_t gen;
	uint64_t bad_logged;
	uint64_t pass_start_ms;
	uint64_t n_announced;		/* prefixes, since the last summary */
	uint64_t n_withdrawn;
	uint64_t summary_ms;		/* when the last summary was logged */
};

/* The route's key, or false when it is not a route of the main table for
 * a whole destination (cached, source-specific, another table). */
static bool redist_route_key(const struct rtwatch_route *rt,
			     struct redist_key *k)
{
	unsigned bytes;

	if (rt->src_len > 0 || (rt->flags & RTM_F_CLONED) ||
	    rt->table != RT_TABLE_MAIN)
		return false;
	memset(k, 0, sizeof(*k));
	k->prefix.af = rt->family == AF_INET ? BABEL_AF_INET : BABEL_AF_INET6;
	k->prefix.plen = rt->dst_len;
	bytes = (rt->dst_len + 7u) / 8;
	memcpy(k->prefix.addr, rt->dst, bytes);
	if (rt->dst_len % 8)		/* host bits: never trust them */
		k->prefix.addr[bytes - 1] &=
			(uint8_t)(0xff00u >> (rt->dst_len % 8));
	k->tos = rt->tos;
	k->table = rt->table;
	k->priority = rt->priority;
	return true;
}

/* Whether such a route may be redistributed at all, whatever the lines
 * say. */
static bool redist_eligible(const struct daemon *d,
			    const struct rtwatch_route *rt,
			    const struct babel_prefix *p)
{
	const uint8_t *a = p->addr;

	if (rt->protocol == d->cfg->route_protocol)
		return false;
	switch (rt->type) {
	case RTN_UNICAST: case RTN_BLACKHOLE: case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		break;
	default:
		return false;
	}
	/* RFC 4291 §2.5.6 link-local, §2.7 multicast; RFC 1122 loopback. */
	if (p->af == BABEL_AF_INET6 && ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
					a[0] == 0xff))
		return false;
	if (p->af == BABEL_AF_INET && (a[0] == 127 || (a[0] & 0xf0) == 0xe0))
		return false;
	return true;
}

static void redist_announce(struct redist *r, const struct babel_prefix *p,
			    uint16_t metric, uint8_t protocol)
{
	struct daemon *d = r->d;
	char err[256], pf[64];

	LOG_D(d, "redistributing %s (protocol %u)",
	      cfg_prefix_str(p, pf, sizeof(pf)), protocol);
	if (orig_announce(d, p, metric, ORIG_REDIST, err, sizeof(err)) < 0)
		LOG_W(d, "%s", err);
	else
		r->n_announced++;
	r->changed = true;
}

static void redist_add(struct redist *r, const struct redist_key *k,
		       uint16_t metric, uint8_t protocol)
{
	struct redist_route *rr;
	struct redist_prefix *rp;
	bool created;

	rr = wg_shmap_get(&r->routes, k, &created);
	if (!rr)
		goto nomem;
	rr->gen = r->gen;
	rr->metric = metric;
	rr->protocol = protocol;
	if (created) {
		rp = wg_shmap_get(&r->prefixes, &k->prefix, NULL);
		if (!rp) {
			wg_shmap_remove(&r->routes, k);
			goto nomem;
		}
		if (rp->routes++ == 0) {
			rp->gen = r->gen;
			rp->metric = metric;
			redist_announce(r, &k->prefix, metric, protocol);
			return;
		}
	} else {
		rp = wg_shmap_find(&r->prefixes, &k->prefix);
		if (!rp)
			return;		/* cannot happen: routes > 0 */
	}
	/* A prefix's metric is its first route's of the pass: a reload may
	 * have changed it. */
	if (rp->gen != r->gen) {
		rp->gen = r->gen;
		if (rp->metric != metric) {
			rp->metric = metric;
			redist_announce(r, &k->prefix, metric, protocol);
		}
	}
	return;
nomem:
	LOG_W(r->d, "redistribute: out of memory");
}

static void redist_del(struct redist *r, const struct redist_key *k)
{
	struct redist_prefix *rp;

	if (!wg_shmap_remove(&r->routes, k))
		return;
	rp = wg_shmap_find(&r->prefixes, &k->prefix);
	if (rp && --rp->routes == 0) {
		wg_shmap_remove(&r->prefixes, &k->prefix);
		orig_drop(r->d, &k->prefix, ORIG_REDIST);
		r->n_withdrawn++;
		r->changed = true;
	}
}

static void redist_on_route(void *arg, const struct rtwatch_route *rt,
			    bool add)
{
	struct redist *r = arg;
	struct redist_key k;
	int metric = -1;

	if (!redist_route_key(rt, &k))
		return;
	if (add && redist_eligible(r->d, rt, &k.prefix))
		metric = cfg_redistribute_eval(r->d->cfg, rt->protocol,
					       &k.prefix);
	/* A route replaced by one that does not match is gone for us. */
	if (metric < 0)
		redist_del(r, &k);
	else
		redist_add(r, &k, (uint16_t)metric, rt->protocol);
}

static void redist_on_dump_begin(void *arg)
{
	struct redist *r = arg;

	r->gen++;
	r->pass_start_ms = uv_now(r->d->loop);
}

/* End of a full pass: what it did not report is gone. */
static void redist_sweep(struct redist *r)
{
	const struct redist_key *k;
	struct redist_route *rr;
	struct redist_key *gone = NULL;
	struct wg_shmap_iter it = { 0 };
	size_t n = 0, cap = 0;

	while ((rr = wg_shmap_next(&r->routes, &it, (const void **)&k))) {
		if (rr->gen == r->gen)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct redist_key *g = realloc(gone, nc * sizeof(*g));

			if (!g)
				break;	/* the next pass sweeps the rest */
			gone = g;
			cap = nc;
		}
		gone[n++] = *k;
	}
	for (size_t i = 0; i < n; i++)
		redist_del(r, &gone[i]);
	free(gone);
	if (n)
		LOG_I(r->d, "redistribute: %zu kernel routes gone while "
		      "events were not followed", n);
}

static void redist_on_dump_done(void *arg, int err)
{
	struct redist *r = arg;

	if (err < 0) {
		LOG_W(r->d, "cannot read the routing table: %s",
		      strerror(-err));
		return;
	}
	redist_sweep(r);
	LOG_I(r->d, "redistribute: routing table read (%zu routes, %zu "
	      "prefixes, %llu ms): %llu prefixes announced, %llu withdrawn",
	      r->routes.count, r->prefixes.count,
	      (unsigned long long)(uv_now(r->d->loop) - r->pass_start_ms),
	      (unsigned long long)r->n_announced,
	      (unsigned long long)r->n_withdrawn);
	r->n_announced = r->n_withdrawn = 0;
	r->summary_ms = uv_now(r->d->loop);
}

/* What route events changed since the last summary, at most once per
 * RDS_SUMMARY_MS; a pass in progress reports at its end instead. */
static void redist_summary(struct redist *r)
{
	uint64_t now = uv_now(r->d->loop);

	if ((!r->n_announced && !r->n_withdrawn) || rtwatch_dumping(r->w) ||
	    (r->summary_ms && now - r->summary_ms < RDS_SUMMARY_MS))
		return;
	LOG_I(r->d, "redistribute: kernel route changes: %llu prefixes "
	      "announced, %llu withdrawn", (unsigned long long)r->n_announced,
	      (unsigned long long)r->n_withdrawn);
	r->n_announced = r->n_withdrawn = 0;
	r->summary_ms = now;
}

void redist_tick(struct daemon *d)
{
	if (d->redist)
		redist_summary(d->redist);
}

static const struct rtwatch_ops redist_ops = {
	.route = redist_on_route,
	.dump_begin = redist_on_dump_begin,
	.dump_done = redist_on_dump_done,
};

static void redist_on_dump_readable(uv_poll_t *h, int status, int events);

/* The dump socket is polled only while a pass runs. */
static void redist_sync_dump_poll(struct redist *r)
{
	bool want = rtwatch_dumping(r->w);

	if (want == r->dump_polling)
		return;
	if (want)
		uv_poll_start(&r->dump_poll, UV_READABLE,
			      redist_on_dump_readable);
	else
		uv_poll_stop(&r->dump_poll);
	r->dump_polling = want;
}

/* After each slice: malformed messages logged, the engine told. */
static void redist_after_slice(struct redist *r)
{
	struct rtwatch_stats st;

	rtwatch_get_stats(r->w, &st);
	if (st.bad != r->bad_logged) {
		LOG_W(r->d, "redistribute: %llu malformed route messages "
		      "from the kernel skipped",
		      (unsigned long long)(st.bad - r->bad_logged));
		r->bad_logged = st.bad;
	}
	redist_sync_dump_poll(r);
	redist_summary(r);
	if (r->changed) {
		r->changed = false;
		daemon_kick(r->d);
	}
}

static void redist_on_dump_readable(uv_poll_t *h, int status, int events)
{
	struct redist *r = h->data;

	/* A slice's announcements go out packed, not one datagram each. */
	babel_batch_begin(r->d->babel);
	rtwatch_dump_run(r->w, RDS_SLICE);
	babel_batch_end(r->d->babel);
	if (status < 0)		/* stopped by libuv, as above */
		r->dump_polling = false;
	redist_after_slice(r);
}

static void redist_on_event_readable(uv_poll_t *h, int status, int events)
{
	struct redist *r = h->data;
	int err;

	babel_batch_begin(r->d->babel);
	err = rtwatch_events_run(r->w, RDS_SLICE);
	babel_batch_end(r->d->babel);

	/* A socket error (ENOBUFS is one: POLLERR) makes libuv stop the
	 * handle and report UV_EBADF; the read above consumed the error, so
	 * watch again. */
	if (status < 0)
		uv_poll_start(&r->ev_poll, UV_READABLE,
			      redist_on_event_readable);
	if (err == -ENOBUFS)
		LOG_W(r->d, "route events were lost; re-reading the "
		      "routing table");
	else if (err < 0)
		LOG_W(r->d, "route events: %s", strerror(-err));
	redist_after_slice(r);
}

int redist_start(struct daemon *d)
{
	struct redist *r;
	int err;

	if (d->cfg->n_redist == 0 || d->redist)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->d = d;
	wg_shmap_init(&r->routes, sizeof(struct redist_key),
		     sizeof(struct redist_route));
	wg_shmap_init(&r->prefixes, sizeof(struct babel_prefix),
		     sizeof(struct redist_prefix));
	d->redist = r;
	if ((err = rtwatch_new(&r->w, &redist_ops, r)) < 0)
		goto fail;
	if ((err = uv_poll_init(d->loop, &r->ev_poll,
				rtwatch_event_fd(r->w))) < 0)
		goto fail;
	r->ev_poll.data = r;
	r->polls_init++;
	if ((err = uv_poll_init(d->loop, &r->dump_poll,
				rtwatch_dump_fd(r->w))) < 0)
		goto fail;
	r->dump_poll.data = r;
	r->polls_init++;
	uv_poll_start(&r->ev_poll, UV_READABLE, redist_on_event_readable);
	/* Subscribed before the dump: nothing is missed in between. The
	 * dump is read by the loop, in slices. */
	if ((err = rtwatch_dump_request(r->w)) < 0)
		LOG_W(d, "cannot read the routing table: %s", strerror(-err));
	redist_sync_dump_poll(r);
	return 0;
fail:
	LOG_E(d, "cannot follow kernel routes for redistribute: %s",
	      strerror(err < 0 ? -err : err));
	redist_stop(d);
	return err;
}

static void redist_on_close(uv_handle_t *h)
{
	struct redist *r = h->data;

	if (--r->polls_init == 0) {
		rtwatch_free(r->w);
		free(r);
	}
}

bool redist_get_stats(struct daemon *d, struct rtwatch_stats *st)
{
	if (!d->redist || !d->redist->w)
		return false;
	rtwatch_get_stats(d->redist->w, st);
	return true;
}

/* Forgets everything without withdrawing (shutdown retracts all). */
void redist_stop(struct daemon *d)
{
	struct redist *r = d->redist;

	if (!r)
		return;
	d->redist = NULL;
	wg_shmap_free(&r->routes);
	wg_shmap_free(&r->prefixes);
	if (r->polls_init >= 1)
		uv_close((uv_handle_t *)&r->ev_poll, redist_on_close);
	if (r->polls_init >= 2)
		uv_close((uv_handle_t *)&r->dump_poll, redist_on_close);
	if (r->polls_init)
		return;
	rtwatch_free(r->w);
	free(r);
}

/* After a reload: the lines may have changed. A new pass evaluates every
 * route again; what no longer matches is withdrawn as it is seen, the
 * rest at the end of the pass. */
void redist_reload(struct daemon *d)
{
	struct redist *r = d->redist;
	const struct babel_prefix *k;
	struct wg_shmap_iter it = { 0 };
	int err;

	if (!r) {
		redist_start(d);
		return;
	}
	if (d->cfg->n_redist) {
		if ((err = rtwatch_dump_request(r->w)) < 0)
			LOG_W(d, "cannot read the routing table: %s",
			      strerror(-err));
		redist_sync_dump_poll(r);
		return;
	}
	while (wg_shmap_next(&r->prefixes, &it, (const void **)&k))
		orig_drop(d, k, ORIG_REDIST);
	LOG_I(d, "redistribute: no redistribute line left, %zu prefixes "
	      "withdrawn", r->prefixes.count);
	redist_stop(d);
	daemon_kick(d);
}
