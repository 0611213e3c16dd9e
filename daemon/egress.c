/* SPDX-License-Identifier: MIT */
/*
 * daemon/egress.c — the egress table (doc/egress.md): where the forwarding
 * plane puts learned default routes, and routes that cover a WireGuard
 * endpoint, so that the host's own default and the path to every endpoint
 * stay intact, as wg-quick does for AllowedIPs = 0.0.0.0/0.
 *
 * Per family, two rules (wgglue/krule.h), made when the first egress route
 * of that family is installed (an IPv4-only client gets no IPv6 rule):
 *   egress-priority      from all lookup main suppress_prefixlength 0
 *   egress-priority + 1  from all not fwmark M lookup EGRESS-TABLE
 * The first lets the main table's routes win except its default (a host's
 * 10.0.0.0/8 route, its connected networks); the second sends the rest to
 * the egress table except WireGuard's own packets, which carry mark M (the
 * fwmark set on each WireGuard device Babel runs on) and so keep following
 * the main table to their endpoints. The table's routes are a kroute
 * instance of their own, with its own ledger of nexthop objects; the rules
 * and the marks are listed in the rules ledger. All of it is adopted after
 * a crash and removed at exit (kept with keep-routes-on-exit), and nothing
 * of anyone else's is touched: a device whose fwmark is already another
 * mark is left alone and its routes fall back to being refused.
 *
 * wgbabeld does not set net.ipv4.conf.all.src_valid_mark, nor any other
 * host-wide sysctl: the reverse-path filter is the one place this scheme
 * needs it, and only in strict mode, where wg-quick's own conntrack rules
 * are needed as well. Strict mode is reported at activation instead.
 */
#include "daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

bool egress_stable(void *ctx, const struct babel_prefix *prefix)
{
	const struct daemon *d = ctx;

	for (size_t i = 0; i < d->cfg->n_egress_prefixes; i++)
		if (cfg_prefix_equal(&d->cfg->egress_prefixes[i], prefix))
			return true;
	return false;
}

static void egress_refused(void *arg, const struct wg_prefix *dst,
			   bool install, int err)
{
	struct daemon *d = arg;
	char pf[WG_PREFIX_STRLEN], hint[96];

	LOG_W(d, "the kernel refused to %s the route to %s in the egress "
	      "table %u: %s%s", install ? "install" : "delete",
	      wg_prefix_str(dst, pf), d->cfg->egress_table, strerror(-err),
	      fib_refused_hint(d, dst, err, hint, sizeof(hint)));
}

/* Strict reverse-path filtering drops the replies from WireGuard
 * endpoints: their source routes into the egress table, not back out of
 * the underlay interface they came in on. */
static void egress_check_rp_filter(struct daemon *d)
{
	const char *base = "/proc/sys/net/ipv4/conf";
	struct dirent *de;
	DIR *dir = opendir(base);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char path[512];
		FILE *f;
		int v = 0;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "default"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/rp_filter", base,
			 de->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
		if (v == 1)
			LOG_W(d, "net.ipv4.conf.%s.rp_filter is 1 (strict): "
			      "with IPv4 egress routes, replies from WireGuard "
			      "endpoints that arrive there fail the reverse-path "
			      "check; set it to 2 (loose), or mark them back as "
			      "wg-quick does (conntrack and src_valid_mark)",
			      de->d_name);
	}
	closedir(dir);
}

static struct d_iface *egress_iface(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i]->name, name))
			return d->ifaces[i];
	return NULL;
}

/* IFC's device gets our mark (it has none): listed first, then written
 * with the interface's next write, off the loop (egress_mark_done);
 * egress routes wait for it (egress_commit). */
static int egress_mark_set(struct daemon *d, struct d_iface *ifc)
{
	uint32_t mark = d->cfg->egress_fwmark;
	int r;

	if (ifc->mark_pending && ifc->mark_want == mark)
		return 0;	/* on its way */
	if ((r = krule_mark_note(d->krule, ifc->name, mark, 0)) < 0) {
		LOG_E(d, "%s: cannot list its fwmark in %s: %s", ifc->name,
		      d->rules_ledger, strerror(-r));
		return r;
	}
	iface_mark_write(d, ifc, mark);
	return 0;
}

void egress_mark_done(struct daemon *d, struct d_iface *ifc, uint32_t mark,
		      int r)
{
	bool ours = mark == d->cfg->egress_fwmark;

	if (r == 0) {
		ifc->fwmark = mark;
		if (ours)
			LOG_I(d, "%s: fwmark 0x%x set (egress)", ifc->name,
			      mark);
		return;
	}
	if (!ours) {
		LOG_W(d, "%s: cannot put its fwmark back to 0x%x: %s",
		      ifc->name, mark, strerror(-r));
		return;
	}
	if (d->krule)
		krule_mark_forget(d->krule, ifc->name);
	LOG_E(d, "%s: cannot set the fwmark 0x%x that keeps WireGuard's own "
	      "packets out of the egress table: %s; no egress route through "
	      "it until a read of the device shows it answers", ifc->name,
	      mark, strerror(-r));
	fwd_iface_egress(&d->fwd, ifc->ifindex, false);
}

static void egress_rule_specs(const struct daemon *d, uint8_t family,
			      struct krule_spec rs[2])
{
	rs[0] = (struct krule_spec){ .family = family,
		.priority = d->cfg->egress_priority, .table = RT_TABLE_MAIN,
		.suppress_default = true };
	rs[1] = (struct krule_spec){ .family = family,
		.priority = d->cfg->egress_priority + 1,
		.table = d->cfg->egress_table,
		.fwmark = d->cfg->egress_fwmark, .invert = true };
}

static void egress_rules(struct daemon *d, uint8_t family)
{
	struct krule_spec rs[2];
	int v = family == AF_INET ? 4 : 6;

	egress_rule_specs(d, family, rs);
	for (size_t k = 0; k < 2; k++) {
		int r = krule_add(d->krule, &rs[k]);

		if (r == -EEXIST)
			LOG_W(d, "an IPv%d rule at priority %u like wgbabeld's "
			      "egress rule exists that wgbabeld did not make: "
			      "used as it is, and left alone", v,
			      rs[k].priority);
		else if (r < 0)
			LOG_E(d, "cannot add the IPv%d egress rule at priority "
			      "%u: %s", v, rs[k].priority, strerror(-r));
	}
	LOG_I(d, "egress: IPv%d table %u behind rules at priorities %u and "
	      "%u, fwmark 0x%x", v, d->cfg->egress_table,
	      d->cfg->egress_priority, d->cfg->egress_priority + 1,
	      d->cfg->egress_fwmark);
}

/* The first egress route (of FAMILY): the marks and the rules. */
static void egress_activate(struct daemon *d, uint8_t family)
{
	uint8_t bit = family == AF_INET ? 1 : 2;

	if (!d->krule || (d->egress_fams & bit))
		return;
	if (!d->egress_active) {
		d->egress_active = true;
		for (size_t i = 0; i < d->n_ifaces; i++) {
			struct d_iface *ifc = d->ifaces[i];

			/* its mark once what is being written is */
			uint32_t m = ifc->mark_pending ? ifc->mark_want :
				     ifc->fwmark;

			if (ifc->params.type == CFG_IFTYPE_WIREGUARD &&
			    ifc->fwmark_known && m == 0)
				egress_mark_set(d, ifc);
		}
	}
	d->egress_fams |= bit;
	egress_rules(d, family);
	if (family == AF_INET)
		egress_check_rp_filter(d);
}

/* The marks we set go back to what they were, unless someone changed
 * them since (then they are theirs). */
static void egress_marks_restore(struct daemon *d)
{
	const char *name;
	uint32_t mark, prev;
	size_t it = 0;

	while ((name = krule_mark_next(d->krule, &it, &mark, &prev))) {
		struct d_iface *ifc = egress_iface(d, name);
		char n[WG_IFNAME_LEN];

		/* Off the loop; from here when stopping. A later
		 * activation marks it again. */
		if (ifc && ifc->fwmark_known && ifc->fwmark == mark)
			iface_mark_write(d, ifc, prev);
		snprintf(n, sizeof(n), "%s", name);
		krule_mark_forget(d->krule, n);
		it = 0;		/* the list changed */
	}
}

static void egress_deactivate(struct daemon *d)
{
	int r;

	if ((r = krule_flush(d->krule)) < 0)
		LOG_W(d, "removing the egress rules: %s", strerror(-r));
	egress_marks_restore(d);
	d->egress_active = false;
	d->egress_fams = 0;
}

int egress_start(struct daemon *d)
{
	struct kroute_config kc = {
		.protocol = d->cfg->route_protocol,
		.table = d->cfg->egress_table,
		.metric = d->cfg->route_metric,
		.keep_on_exit = d->cfg->keep_routes_on_exit,
		.ledger_path = d->egress_ledger,
		.prefsrc4 = d->cfg->has_route_src4,
		.prefsrc6 = d->cfg->has_route_src6,
	};
	struct krule_config rc = {
		.protocol = d->cfg->route_protocol,
		.ledger_path = d->rules_ledger,
	};
	size_t adopted = 0, it = 0;
	uint32_t mark, prev;
	int r;

	if (!d->cfg->egress_table)
		return 0;
	memcpy(kc.src4, d->cfg->route_src4, 4);
	memcpy(kc.src6, d->cfg->route_src6, 16);
	/* The other ledgers are named after the configuration; these too. */
	snprintf(d->egress_ledger, sizeof(d->egress_ledger), "%s-egress",
		 d->ledger_path);
	snprintf(d->rules_ledger, sizeof(d->rules_ledger), "%s/rules-%s",
		 d->cfg->runtime_dir, strrchr(d->ledger_path, '/') ?
		 strrchr(d->ledger_path, '/') + strlen("/nexthops-") :
		 "wgbabeld");
	if ((r = kroute_new(&d->kr_egress, &kc)) < 0) {
		LOG_E(d, "cannot open the egress table's routes (%s): %s",
		      d->egress_ledger, strerror(-r));
		return r;
	}
	if ((r = kroute_adopt(d->kr_egress, &adopted)) < 0)
		LOG_W(d, "cannot read back the egress routes of a previous "
		      "run: %s", strerror(-r));
	else if (adopted)
		LOG_I(d, "%zu egress routes kept by a previous run", adopted);
	if ((r = krule_new(&d->krule, &rc)) < 0) {
		LOG_E(d, "cannot open rtnetlink for the egress rules: %s",
		      strerror(-r));
		return r;
	}
	if ((r = krule_adopt(d->krule, &adopted)) < 0) {
		if (r == -EBADMSG)
			LOG_E(d, "%s is not a wgbabeld ledger of rules "
			      "(damaged?); remove it to start afresh, leaving "
			      "what it listed to the operator", d->rules_ledger);
		else
			LOG_E(d, "cannot read back the egress rules: %s",
			      strerror(-r));
		return r;
	}
	/* Rules or marks of a previous run: in place already, and taken
	 * down at the end of the grace period if no egress route came. */
	if (adopted || krule_mark_next(d->krule, &it, &mark, &prev)) {
		struct krule_spec rs[2];

		LOG_I(d, "%zu egress rules kept by a previous run (%s)",
		      adopted, d->rules_ledger);
		d->egress_active = true;
		egress_rule_specs(d, AF_INET, rs);
		if (krule_owned(d->krule, &rs[1]))
			d->egress_fams |= 1;
		egress_rule_specs(d, AF_INET6, rs);
		if (krule_owned(d->krule, &rs[1]))
			d->egress_fams |= 2;
	}
	return 0;
}

void egress_route_set(struct daemon *d, const struct wg_prefix *p,
		      const struct kroute_nexthop *nh)
{
	char pf[WG_PREFIX_STRLEN];
	int r;

	if (!d->kr_egress)
		return;
	egress_activate(d, p->family);
	if ((r = kroute_install(d->kr_egress, p, nh)) < 0)
		LOG_W(d, "cannot install the egress route to %s: %s",
		      wg_prefix_str(p, pf), strerror(-r));
}

void egress_route_unset(struct daemon *d, const struct wg_prefix *p)
{
	if (d->kr_egress)
		kroute_remove(d->kr_egress, p);
}

/* Held while our mark is on its way to a device: until WireGuard's own
 * packets carry it, an egress route could take them into the tunnel. */
void egress_commit(struct daemon *d)
{
	if (!d->kr_egress)
		return;
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (d->ifaces[i]->mark_pending &&
		    d->ifaces[i]->mark_want == d->cfg->egress_fwmark)
			return;
	kroute_commit(d->kr_egress, egress_refused, d);
}

/*
 * A read of IFC's device showed FWMARK. Ours (set by us, by wg-quick's
 * FwMark or by the operator): egress through it works. None: it gets ours
 * once egress is active. Another: someone else's, left alone, and the
 * routes through IFC that would need egress are refused instead.
 */
void egress_device_read(struct daemon *d, struct d_iface *ifc,
			uint32_t fwmark)
{
	uint32_t ours = d->cfg->egress_fwmark, mark, prev;
	bool ok = true;

	if (!d->krule)
		return;
	if (ifc->mark_pending) {
		/* A mark is being written: the read may predate it. */
		ifc->fwmark_known = true;
		return;
	}
	ifc->fwmark = fwmark;
	ifc->fwmark_known = true;
	if (fwmark != ours && krule_mark_find(d->krule, ifc->name, &mark,
					      &prev))
		krule_mark_forget(d->krule, ifc->name);	/* not ours now */
	if (fwmark == 0 && d->egress_active) {
		ok = egress_mark_set(d, ifc) == 0;
	} else if (fwmark != 0 && fwmark != ours) {
		ok = false;
		if (!ifc->fwmark_warned)
			LOG_W(d, "%s: the WireGuard device has fwmark 0x%x, set "
			      "by wg-quick or the operator, not egress-fwmark "
			      "0x%x: no egress route through it (routes that "
			      "cover an endpoint are refused); set egress-fwmark "
			      "0x%x to share that mark, or clear it", ifc->name,
			      fwmark, ours, fwmark);
		ifc->fwmark_warned = true;
	} else {
		ifc->fwmark_warned = false;
	}
	fwd_iface_egress(&d->fwd, ifc->ifindex, ok);
}

void egress_link_gone(struct daemon *d, struct d_iface *ifc, int ifindex)
{
	if (d->kr_egress)
		kroute_forget_ifindex(d->kr_egress, ifindex);
	if (d->krule)
		krule_mark_forget(d->krule, ifc->name);
	ifc->fwmark_known = false;
	ifc->fwmark = 0;
}

void egress_grace_over(struct daemon *d)
{
	int r;

	if (d->kr_egress && (r = kroute_grace_over(d->kr_egress)) < 0)
		LOG_W(d, "removing egress routes left by a previous run: %s",
		      strerror(-r));
	if (d->egress_active && !fwd_egress_count(&d->fwd))
		egress_deactivate(d);
}

void egress_stop(struct daemon *d)
{
	if (d->kr_egress) {
		if (!d->cfg->keep_routes_on_exit)
			kroute_flush(d->kr_egress);
		kroute_free(d->kr_egress);
		d->kr_egress = NULL;
	}
	if (d->krule) {
		if (!d->cfg->keep_routes_on_exit && d->egress_active)
			egress_deactivate(d);
		krule_free(d->krule);
		d->krule = NULL;
	}
}
