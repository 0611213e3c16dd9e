/* SPDX-License-Identifier: MIT */
/* wgglue/wg_fake.c — see wg_fake.h. Tests only. */
#include "wgglue/wg_fake.h"
#include "wgglue/hmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wg_fake {
	struct wg_backend be;
	char ifname[WG_IFNAME_LEN];
	bool present;
	unsigned caps;
	uint32_t fwmark;
	struct wg_hmap peers;	/* wg_key -> uint8_t (unused) */
	struct wg_hmap aips;	/* wg_prefix -> wg_key */
	size_t fail_after;
	int fail_err;
	struct wg_fake_stats st;
	struct wg_aip_change *log;
	size_t n_log, cap_log;
};

static struct wg_fake *fake_of(struct wg_backend *be)
{
	return (struct wg_fake *)be;
}

static int fake_get_device(struct wg_backend *be, const char *ifname,
			   struct wg_device *out)
{
	struct wg_fake *f = fake_of(be);
	const void *k;
	size_t it = 0;
	struct wg_key *holder;

	memset(out, 0, sizeof(*out));
	f->st.gets++;
	if (!f->present || strcmp(ifname, f->ifname) != 0)
		return -ENODEV;
	snprintf(out->ifname, sizeof(out->ifname), "%s", f->ifname);
	out->fwmark = f->fwmark;
	while (wg_hmap_next(&f->peers, &it, &k))
		if (!wg_device_add_peer(out, k))
			goto nomem;
	it = 0;
	while ((holder = wg_hmap_next(&f->aips, &it, &k))) {
		struct wg_peer *p = wg_device_find_peer(out, holder);
		if (!p || wg_peer_add_allowed_ip(p, k) < 0)
			goto nomem;
	}
	return 0;
nomem:
	wg_device_clear(out);
	return -ENOMEM;
}

static int fake_log_append(struct wg_fake *f, const struct wg_aip_change *c)
{
	if (f->n_log == f->cap_log) {
		size_t ncap = f->cap_log ? f->cap_log * 2 : 64;
		struct wg_aip_change *nl = realloc(f->log, ncap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		f->log = nl;
		f->cap_log = ncap;
	}
	f->log[f->n_log++] = *c;
	return 0;
}

static int fake_apply_one(struct wg_fake *f, const struct wg_aip_change *c)
{
	struct wg_key *holder;

	if (!wg_hmap_find(&f->peers, &c->peer)) {
		f->st.ignored++;	/* update-only to a missing peer */
		return 0;
	}
	if (c->op == WG_AIP_ADD || c->op == WG_AIP_SET) {
		bool created;
		holder = wg_hmap_get(&f->aips, &c->prefix, &created);
		if (!holder)
			return -ENOMEM;
		if (created)
			f->st.adds++;
		else if (!wg_key_equal(holder, &c->peer))
			f->st.moves++;
		*holder = c->peer;
	} else if (c->op == WG_AIP_REMOVE) {
		holder = wg_hmap_find(&f->aips, &c->prefix);
		if (holder && wg_key_equal(holder, &c->peer)) {
			wg_hmap_remove(&f->aips, &c->prefix);
			f->st.removes++;
		} else {
			f->st.ignored++;
		}
	} else {
		return -EINVAL;
	}
	return fake_log_append(f, c);
}

static int fake_clear_peer_aips(struct wg_fake *f, const struct wg_key *peer)
{
	struct wg_prefix *del = calloc(f->aips.count + 1, sizeof(*del));
	size_t n = 0, it = 0;
	const void *k;
	struct wg_key *holder;

	if (!del)
		return -ENOMEM;
	while ((holder = wg_hmap_next(&f->aips, &it, &k)))
		if (wg_key_equal(holder, peer))
			memcpy(&del[n++], k, sizeof(*del));
	for (size_t i = 0; i < n; i++)
		wg_hmap_remove(&f->aips, &del[i]);
	free(del);
	return 0;
}

static int fake_apply(struct wg_backend *be, const char *ifname,
		      const struct wg_aip_change *changes, size_t n)
{
	struct wg_fake *f = fake_of(be);

	if (!f->present || strcmp(ifname, f->ifname) != 0)
		return -ENODEV;
	f->st.applies++;
	for (size_t i = 0; i < n; i++) {
		if (f->fail_err && i == f->fail_after) {
			int err = f->fail_err;
			f->fail_err = 0;
			return err;
		}
		const struct wg_aip_change *c = &changes[i];
		if (c->op == WG_AIP_SET &&
		    (i == 0 || changes[i - 1].op != WG_AIP_SET ||
		     !wg_key_equal(&changes[i - 1].peer, &c->peer)) &&
		    wg_hmap_find(&f->peers, &c->peer)) {
			/* first of a SET run: the peer's list is replaced */
			int r = fake_clear_peer_aips(f, &c->peer);
			if (r < 0)
				return r;
		}
		int r = fake_apply_one(f, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int fake_probe(struct wg_backend *be, const char *ifname,
		      unsigned *caps)
{
	struct wg_fake *f = fake_of(be);

	f->st.probes++;
	if (!f->present || strcmp(ifname, f->ifname) != 0)
		return -ENODEV;
	*caps = f->caps;
	return 0;
}

static int fake_set_fwmark(struct wg_backend *be, const char *ifname,
			   uint32_t mark)
{
	struct wg_fake *f = fake_of(be);

	if (!f->present || strcmp(ifname, f->ifname) != 0)
		return -ENODEV;
	f->fwmark = mark;
	return 0;
}

static void fake_destroy(struct wg_backend *be)
{
	struct wg_fake *f = fake_of(be);

	wg_hmap_free(&f->peers);
	wg_hmap_free(&f->aips);
	free(f->log);
	free(f);
}

static const struct wg_backend_ops fake_ops = {
	.name = "fake",
	.get_device = fake_get_device,
	.apply = fake_apply,
	.probe = fake_probe,
	.set_fwmark = fake_set_fwmark,
	.fd = NULL,
	.destroy = fake_destroy,
};

int wg_fake_new(struct wg_backend **out, const char *ifname)
{
	struct wg_fake *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->be.ops = &fake_ops;
	snprintf(f->ifname, sizeof(f->ifname), "%s", ifname);
	f->present = true;
	wg_hmap_init(&f->peers, sizeof(struct wg_key), 1);
	wg_hmap_init(&f->aips, sizeof(struct wg_prefix), sizeof(struct wg_key));
	*out = &f->be;
	return 0;
}

int wg_fake_add_peer(struct wg_backend *be, const struct wg_key *peer)
{
	return wg_hmap_get(&fake_of(be)->peers, peer, NULL) ? 0 : -ENOMEM;
}

int wg_fake_remove_peer(struct wg_backend *be, const struct wg_key *peer)
{
	struct wg_fake *f = fake_of(be);

	if (!wg_hmap_remove(&f->peers, peer))
		return -ENOENT;
	return fake_clear_peer_aips(f, peer);
}

int wg_fake_set_aip(struct wg_backend *be, const struct wg_key *peer,
		    const struct wg_prefix *p)
{
	struct wg_fake *f = fake_of(be);
	struct wg_key *holder;

	if (!wg_hmap_find(&f->peers, peer))
		return -ENOENT;
	holder = wg_hmap_get(&f->aips, p, NULL);
	if (!holder)
		return -ENOMEM;
	*holder = *peer;
	return 0;
}

int wg_fake_del_aip(struct wg_backend *be, const struct wg_prefix *p)
{
	return wg_hmap_remove(&fake_of(be)->aips, p) ? 0 : -ENOENT;
}

bool wg_fake_holder(struct wg_backend *be, const struct wg_prefix *p,
		    struct wg_key *peer)
{
	struct wg_key *holder = wg_hmap_find(&fake_of(be)->aips, p);

	if (holder && peer)
		*peer = *holder;
	return holder != NULL;
}

size_t wg_fake_aip_count(struct wg_backend *be)
{
	return fake_of(be)->aips.count;
}

void wg_fake_set_present(struct wg_backend *be, bool present)
{
	struct wg_fake *f = fake_of(be);

	if (!present) {
		wg_hmap_clear(&f->peers);
		wg_hmap_clear(&f->aips);
	}
	f->present = present;
}

void wg_fake_set_caps(struct wg_backend *be, unsigned caps)
{
	fake_of(be)->caps = caps;
}

void wg_fake_fail_after(struct wg_backend *be, size_t n, int err)
{
	fake_of(be)->fail_after = n;
	fake_of(be)->fail_err = err;
}

const struct wg_fake_stats *wg_fake_stats(struct wg_backend *be)
{
	return &fake_of(be)->st;
}

const struct wg_aip_change *wg_fake_log(struct wg_backend *be, size_t *n)
{
	*n = fake_of(be)->n_log;
	return fake_of(be)->log;
}

void wg_fake_log_clear(struct wg_backend *be)
{
	fake_of(be)->n_log = 0;
}
