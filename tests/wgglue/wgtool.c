/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/wgtool.c — drives wgglue against a real WireGuard device for
 * the integration tests and the benchmark. Not installed.
 *
 *   wgtool show IF                 peers and allowed IPs (backend "auto")
 *   wgtool probe IF                capabilities
 *   wgtool rec IF [STATE]          a reconciler session; commands on stdin:
 *       route PREFIX PEER_B64      unroute PREFIX
 *       range PEER_B64 A.B.C.D N   N consecutive /32s from A.B.C.D to PEER
 *       unrange A.B.C.D N
 *       flush | refresh | load-state | grace-over | withdraw-all
 *       stats | conflicts | owns PREFIX
 *     Each command answers one line "ok MS ..." or "err MS message".
 *   wgtool kr-add PREFIX IFNAME [VIA]   installs (proto 42, kept on exit)
 *   wgtool kr-clean                adopts the ledger's routes, deletes them
 *   wgtool kr [keep] [classic]     a kroute session (proto 42, table main);
 *                                  commands on stdin, one "ok ..." or
 *                                  "err message" line each:
 *       add PREFIX IFNAME [VIA]    del PREFIX     commit (shows refusals)
 *       adopt | grace | flush | count | objects (yes/no)
 *       forget IFNAME (the link was deleted)
 *       refused (count and prefixes) | describe PREFIX (the foreign route)
 *       watch (reads the route events of others, commits)
 *   The kr commands keep their ledger of nexthop objects in $WGTOOL_LEDGER
 *   (none when unset: nothing is adopted).
 *   wgtool set IF PEER_B64 A.B.C.D N [replace]
 *                                  N /32s through the backend directly
 *                                  (ADD, or SET = replace the peer's list)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "wgglue/kroute.h"
#include "wgglue/reconcile.h"
#include "wgglue/wg.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void log_cb(void *arg, int level, const char *msg)
{
	fprintf(stderr, "wgtool[%d]: %s\n", level, msg);
}

static int range_prefix(struct wg_prefix *p, const char *base, unsigned i)
{
	struct in_addr a;
	if (inet_pton(AF_INET, base, &a) != 1)
		return -EINVAL;
	uint32_t v = ntohl(a.s_addr) + i;
	a.s_addr = htonl(v);
	return wg_prefix_make(p, AF_INET, &a, 32);
}

static int cmd_show(struct wg_backend *be, const char *ifn)
{
	struct wg_device dev;
	char kb[WG_KEY_B64_LEN], pb[WG_PREFIX_STRLEN];
	int ret = wg_backend_get_device(be, ifn, &dev);

	if (ret < 0) {
		fprintf(stderr, "get %s: %s\n", ifn, strerror(-ret));
		return 1;
	}
	printf("device %s ifindex %u peers %zu\n", dev.ifname, dev.ifindex,
	       dev.n_peers);
	for (size_t i = 0; i < dev.n_peers; i++) {
		wg_key_to_base64(&dev.peers[i].pubkey, kb);
		printf("peer %s allowed %zu\n", kb, dev.peers[i].n_allowed_ips);
		for (size_t j = 0; j < dev.peers[i].n_allowed_ips && j < 20; j++)
			printf("  %s\n", wg_prefix_str(&dev.peers[i].allowed_ips[j], pb));
	}
	wg_device_clear(&dev);
	return 0;
}

static int cmd_set(struct wg_backend *be, int argc, char **argv)
{
	struct wg_key k;
	unsigned n = (unsigned)atoi(argv[5]);
	bool replace = argc > 6 && strcmp(argv[6], "replace") == 0;
	struct wg_aip_change *ch = calloc(n ? n : 1, sizeof(*ch));

	if (!ch || wg_key_from_base64(&k, argv[3]) < 0)
		return 2;
	for (unsigned i = 0; i < n; i++) {
		ch[i].peer = k;
		ch[i].op = replace ? WG_AIP_SET : WG_AIP_ADD;
		if (range_prefix(&ch[i].prefix, argv[4], i) < 0)
			return 2;
	}
	double t0 = now_ms();
	int ret = wg_backend_apply(be, argv[2], ch, n);
	printf("%s %.1f ms\n", ret < 0 ? strerror(-ret) : "ok", now_ms() - t0);
	free(ch);
	return ret < 0;
}

static void print_conflict(void *arg, const struct wg_rec_conflict *c)
{
	char pb[WG_PREFIX_STRLEN], kb[WG_KEY_B64_LEN];
	wg_key_to_base64(&c->holder, kb);
	printf(" %s:%s:%s", wg_prefix_str(&c->prefix, pb),
	       c->kind == WG_CONFLICT_FOREIGN ? "foreign" : "peer-missing", kb);
}

static int rec_command(struct wg_rec *r, char *line)
{
	char *argv[4] = { 0 };
	int argc = 0;
	struct wg_prefix p;
	struct wg_key k;
	int ret = 0;

	for (char *t = strtok(line, " \t\n"); t && argc < 4; t = strtok(NULL, " \t\n"))
		argv[argc++] = t;
	if (argc == 0)
		return 0;
	double t0 = now_ms();
	if (strcmp(argv[0], "route") == 0 && argc == 3) {
		ret = wg_prefix_parse(&p, argv[1]);
		if (ret == 0)
			ret = wg_key_from_base64(&k, argv[2]);
		if (ret == 0)
			ret = wg_rec_set_route(r, &p, &k);
	} else if (strcmp(argv[0], "unroute") == 0 && argc == 2) {
		ret = wg_prefix_parse(&p, argv[1]);
		if (ret == 0)
			ret = wg_rec_unset_route(r, &p);
	} else if (strcmp(argv[0], "range") == 0 && argc == 4) {
		ret = wg_key_from_base64(&k, argv[1]);
		for (unsigned i = 0, n = (unsigned)atoi(argv[3]); ret == 0 && i < n; i++) {
			ret = range_prefix(&p, argv[2], i);
			if (ret == 0)
				ret = wg_rec_set_route(r, &p, &k);
		}
	} else if (strcmp(argv[0], "unrange") == 0 && argc == 3) {
		for (unsigned i = 0, n = (unsigned)atoi(argv[2]); ret == 0 && i < n; i++) {
			ret = range_prefix(&p, argv[1], i);
			if (ret == 0)
				ret = wg_rec_unset_route(r, &p);
		}
	} else if (strcmp(argv[0], "flush") == 0) {
		ret = wg_rec_flush(r);
	} else if (strcmp(argv[0], "refresh") == 0) {
		ret = wg_rec_refresh(r);
	} else if (strcmp(argv[0], "load-state") == 0) {
		ret = wg_rec_load_state(r);
	} else if (strcmp(argv[0], "grace-over") == 0) {
		wg_rec_grace_over(r);
	} else if (strcmp(argv[0], "withdraw-all") == 0) {
		ret = wg_rec_withdraw_all(r);
	} else if (strcmp(argv[0], "stats") == 0) {
		struct wg_rec_stats st;
		wg_rec_get_stats(r, &st);
		printf("ok %.1f desired=%zu owned=%zu conflicts=%zu adds=%llu moves=%llu removes=%llu applies=%llu present=%d grace=%d caps=%u\n",
		       now_ms() - t0, st.desired, st.owned, st.conflicts,
		       (unsigned long long)st.adds, (unsigned long long)st.moves,
		       (unsigned long long)st.removes,
		       (unsigned long long)st.applies, st.device_present,
		       st.in_grace, wg_rec_caps(r));
		return 0;
	} else if (strcmp(argv[0], "conflicts") == 0) {
		printf("ok %.1f", now_ms() - t0);
		size_t n = wg_rec_foreach_conflict(r, print_conflict, NULL);
		printf(" n=%zu\n", n);
		return 0;
	} else if (strcmp(argv[0], "owns") == 0 && argc == 2) {
		ret = wg_prefix_parse(&p, argv[1]);
		if (ret == 0) {
			printf("ok %.1f %s\n", now_ms() - t0,
			       wg_rec_owns(r, &p, NULL) ? "yes" : "no");
			return 0;
		}
	} else {
		ret = -EINVAL;
	}
	if (ret < 0)
		printf("err %.1f %s\n", now_ms() - t0, strerror(-ret));
	else
		printf("ok %.1f\n", now_ms() - t0);
	return ret;
}

static int cmd_rec(struct wg_backend *be, const char *ifn, const char *state)
{
	struct wg_rec_config cfg = { .ifname = ifn, .state_path = state,
				     .log = log_cb };
	struct wg_rec *r;
	char line[256];
	int ret = wg_rec_new(&r, be, &cfg), failed = 0;

	if (ret < 0) {
		fprintf(stderr, "wg_rec_new: %s\n", strerror(-ret));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (rec_command(r, line) < 0)
			failed = 1;
		fflush(stdout);
	}
	wg_rec_free(r);
	return failed;
}

static void kr_refused(void *arg, const struct wg_prefix *dst, bool install,
		       int err)
{
	char b[WG_PREFIX_STRLEN];

	(void)arg;
	printf("refused %s %s: %s; ", install ? "install" : "delete",
	       wg_prefix_str(dst, b), strerror(-err));
}

static void kr_print_refused(void *arg, const struct wg_prefix *dst,
			     const struct kroute_nexthop *nh)
{
	char b[WG_PREFIX_STRLEN];

	(void)arg;
	(void)nh;
	printf("%s ", wg_prefix_str(dst, b));
}

static int kr_command(struct kroute *kr, char *line)
{
	char *cmd = strtok(line, " \t\n"), *a1 = strtok(NULL, " \t\n");
	char *a2 = strtok(NULL, " \t\n"), *a3 = strtok(NULL, " \t\n");
	struct kroute_nexthop nh = { 0 };
	struct wg_prefix p, via;
	size_t n = 0;
	int ret = -EINVAL;

	if (!cmd)
		return 0;
	if (strcmp(cmd, "add") == 0 && a2 && wg_prefix_parse(&p, a1) == 0) {
		nh.ifindex = (int)if_nametoindex(a2);
		if (a3 && wg_prefix_parse(&via, a3) == 0) {
			nh.via_family = via.family;
			memcpy(nh.via, via.addr, sizeof(nh.via));
		}
		ret = kroute_install(kr, &p, &nh);
	} else if (strcmp(cmd, "del") == 0 && a1 && wg_prefix_parse(&p, a1) == 0) {
		ret = kroute_remove(kr, &p);
	} else if (strcmp(cmd, "commit") == 0) {
		ret = kroute_commit(kr, kr_refused, NULL);
	} else if (strcmp(cmd, "adopt") == 0) {
		ret = kroute_adopt(kr, &n);
		printf("adopted %zu ", n);
	} else if (strcmp(cmd, "grace") == 0) {
		ret = kroute_grace_over(kr);
	} else if (strcmp(cmd, "flush") == 0) {
		ret = kroute_flush(kr);
	} else if (strcmp(cmd, "count") == 0) {
		printf("%zu ", kroute_count(kr));
		ret = 0;
	} else if (strcmp(cmd, "objects") == 0) {
		printf("%s ", kroute_nexthop_objects(kr) ? "yes" : "no");
		ret = 0;
	} else if (strcmp(cmd, "forget") == 0 && a1) {
		kroute_forget_ifindex(kr, (int)if_nametoindex(a1));
		ret = 0;
	} else if (strcmp(cmd, "refused") == 0) {
		printf("%zu ", kroute_refused_count(kr));
		kroute_foreach_refused(kr, kr_print_refused, NULL);
		ret = 0;
	} else if (strcmp(cmd, "describe") == 0 && a1 &&
		   wg_prefix_parse(&p, a1) == 0) {
		struct kroute_foreign f;

		if ((ret = kroute_describe(kr, &p, &f)) == 0)
			printf("proto %u dev %d type %u ", f.protocol, f.ifindex,
			       f.type);
	} else if (strcmp(cmd, "watch") == 0) {
		ret = kroute_watch_dispatch(kr, kr_refused, NULL);
	}
	if (ret < 0)
		printf("err %s\n", strerror(-ret));
	else
		printf("ok\n");
	fflush(stdout);
	return ret;
}

static int cmd_kr_session(int argc, char **argv)
{
	struct kroute_config cfg = { .ledger_path = getenv("WGTOOL_LEDGER"),
				     .watch = true };
	struct kroute *kr;
	char line[512];
	int failed = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "keep") == 0)
			cfg.keep_on_exit = true;
		else if (strcmp(argv[i], "classic") == 0)
			cfg.classic_routes = true;
	}
	if (kroute_new(&kr, &cfg) < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin))
		if (kr_command(kr, line) < 0)
			failed = 1;
	kroute_free(kr);
	return failed;
}

static int cmd_kroute(int argc, char **argv)
{
	struct kroute_config cfg = { .keep_on_exit = true,
				     .ledger_path = getenv("WGTOOL_LEDGER") };
	struct kroute *kr;
	struct wg_prefix p;
	struct kroute_nexthop nh = { 0 };
	size_t n = 0;
	int ret = kroute_new(&kr, &cfg);

	if (ret < 0)
		return 1;
	if (strcmp(argv[1], "kr-add") == 0 && argc >= 4) {
		ret = wg_prefix_parse(&p, argv[2]);
		nh.ifindex = (int)if_nametoindex(argv[3]);
		if (ret == 0 && argc > 4) {
			struct wg_prefix via;
			ret = wg_prefix_parse(&via, argv[4]);
			nh.via_family = via.family;
			memcpy(nh.via, via.addr, sizeof(nh.via));
		}
		if (ret == 0)
			ret = kroute_install(kr, &p, &nh);
	} else {
		ret = kroute_adopt(kr, &n);
		if (ret == 0)
			ret = kroute_grace_over(kr);
		printf("adopted %zu\n", n);
	}
	printf("%s\n", ret < 0 ? strerror(-ret) : "ok");
	kroute_free(kr);
	return ret < 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "kr") == 0)
		return cmd_kr_session(argc, argv);
	if (argc >= 2 && strncmp(argv[1], "kr-", 3) == 0)
		return cmd_kroute(argc, argv);
	struct wg_backend *be;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: wgtool show|probe|rec|set IF ...\n");
		return 2;
	}
	ret = wg_backend_auto_new(&be, getenv("WGTOOL_SOCKDIR"));
	if (ret < 0) {
		fprintf(stderr, "backend: %s\n", strerror(-ret));
		return 1;
	}
	if (strcmp(argv[1], "show") == 0) {
		ret = cmd_show(be, argv[2]);
	} else if (strcmp(argv[1], "probe") == 0) {
		unsigned caps = 0;
		ret = wg_backend_probe(be, argv[2], &caps);
		printf("%s caps=%u remove_me=%s\n", ret < 0 ? strerror(-ret) : "ok",
		       caps, caps & WG_CAP_AIP_REMOVE ? "yes" : "no");
		ret = ret < 0;
	} else if (strcmp(argv[1], "rec") == 0) {
		ret = cmd_rec(be, argv[2], argc > 3 ? argv[3] : NULL);
	} else if (strcmp(argv[1], "set") == 0 && argc >= 6) {
		ret = cmd_set(be, argc, argv);
	} else {
		fprintf(stderr, "unknown command\n");
		ret = 2;
	}
	wg_backend_free(be);
	return ret;
}
