/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_reconcile.c — the reconciler against the in-memory fake
 * device (wgglue/wg_fake.h), which models WireGuard's move semantics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wgglue/reconcile.h"
#include "wgglue/wg_fake.h"

#define IFN "wg0"

struct fx {
	struct wg_backend *be;
	struct wg_rec *r;
	struct wg_key a, b, c;
	char state[64];
	int n_warnings;
	char last_log[256];
};

static void fx_log(void *arg, int level, const char *msg)
{
	struct fx *f = arg;

	if (level <= WG_LOG_WARNING)
		f->n_warnings++;
	snprintf(f->last_log, sizeof(f->last_log), "%s", msg);
}

static struct wg_prefix P(const char *s)
{
	struct wg_prefix p;
	assert_int_equal(wg_prefix_parse(&p, s), 0);
	return p;
}

static void fx_rec_new(struct fx *f)
{
	struct wg_rec_config cfg = {
		.ifname = IFN,
		.state_path = f->state,
		.log = fx_log,
		.log_arg = f,
	};
	assert_int_equal(wg_rec_new(&f->r, f->be, &cfg), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	memset(f->a.b, 0xaa, WG_KEY_LEN);
	memset(f->b.b, 0xbb, WG_KEY_LEN);
	memset(f->c.b, 0xcc, WG_KEY_LEN);
	snprintf(f->state, sizeof(f->state), "/tmp/wgrec-test-XXXXXX");
	int fd = mkstemp(f->state);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->state);
	assert_int_equal(wg_fake_new(&f->be, IFN), 0);
	assert_int_equal(wg_fake_add_peer(f->be, &f->a), 0);
	assert_int_equal(wg_fake_add_peer(f->be, &f->b), 0);
	assert_int_equal(wg_fake_add_peer(f->be, &f->c), 0);
	fx_rec_new(f);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wg_rec_free(f->r);
	wg_backend_free(f->be);
	unlink(f->state);
	free(f);
	return 0;
}

static void assert_holder(struct fx *f, const char *pfx, const struct wg_key *k)
{
	struct wg_key h;
	struct wg_prefix p = P(pfx);

	if (!k) {
		assert_false(wg_fake_holder(f->be, &p, &h));
		return;
	}
	assert_true(wg_fake_holder(f->be, &p, &h));
	assert_memory_equal(h.b, k->b, WG_KEY_LEN);
}

static void test_new_winner_is_one_add(void **state)
{
	struct fx *f = *state;
	size_t n;
	struct wg_prefix p = P("10.1.0.0/16");

	assert_int_equal(wg_rec_set_route(f->r, &p, &f->a), 0);
	assert_int_equal(wg_rec_flush(f->r), 0);
	const struct wg_aip_change *log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 1);
	assert_int_equal(log[0].op, WG_AIP_ADD);
	assert_true(wg_prefix_equal(&log[0].prefix, &p));
	assert_holder(f, "10.1.0.0/16", &f->a);
	assert_true(wg_rec_owns(f->r, &p, NULL));
}

static void test_change_of_winner_is_one_add_to_new_peer(void **state)
{
	struct fx *f = *state;
	size_t n;
	struct wg_prefix p = P("2001:db8::/48");

	wg_rec_set_route(f->r, &p, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_fake_log_clear(f->be);
	wg_rec_set_route(f->r, &p, &f->b);
	assert_int_equal(wg_rec_flush(f->r), 0);
	const struct wg_aip_change *log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 1);
	assert_int_equal(log[0].op, WG_AIP_ADD);
	assert_memory_equal(log[0].peer.b, f->b.b, WG_KEY_LEN);
	assert_int_equal(wg_fake_stats(f->be)->moves, 1);
	assert_int_equal(wg_fake_stats(f->be)->removes, 0);
	assert_holder(f, "2001:db8::/48", &f->b);
}

static void test_unchanged_winner_sends_nothing(void **state)
{
	struct fx *f = *state;
	size_t n;
	struct wg_prefix p = P("10.2.0.0/16");

	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_flush(f->r);
	uint64_t applies = wg_fake_stats(f->be)->applies;
	wg_rec_set_route(f->r, &p, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_int_equal(wg_fake_stats(f->be)->applies, applies);
	wg_fake_log(f->be, &n);
	assert_int_equal(n, 1);
}

static void test_a_steady_refresh_plans_nothing_and_keeps_the_journal(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.0.0.0/24");
	struct stat before, after;
	uint64_t applies;

	for (unsigned i = 0; i < 1000; i++) {
		p.addr[1] = (uint8_t)(i >> 8);
		p.addr[2] = (uint8_t)i;
		assert_int_equal(wg_rec_set_route(f->r, &p, i & 1 ? &f->a : &f->b), 0);
	}
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	applies = wg_fake_stats(f->be)->applies;
	assert_int_equal(stat(f->state, &before), 0);
	/* Nothing changed underneath: no write to the device, no journal
	 * rewrite (a rewrite makes a new file: another inode). */
	for (int k = 0; k < 3; k++)
		assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_int_equal(wg_fake_stats(f->be)->applies, applies);
	assert_int_equal(stat(f->state, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_size, after.st_size);
	/* One prefix wiped underneath (wg syncconf): that one is repaired. */
	p.addr[1] = 0;
	p.addr[2] = 7;
	assert_int_equal(wg_fake_del_aip(f->be, &p), 0);
	f->last_log[0] = '\0';
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_int_equal(wg_fake_stats(f->be)->applies, applies + 1);
	assert_holder(f, "10.0.7.0/24", &f->a);
	/* and said, naming it */
	assert_non_null(strstr(f->last_log, "1 allowed IPs wgbabeld had installed "
				       "were removed by someone else (10.0.7.0/24)"));
	/* Two more: counted, the first named. */
	for (unsigned i = 8; i < 10; i++) {
		p.addr[2] = (uint8_t)i;
		assert_int_equal(wg_fake_del_aip(f->be, &p), 0);
	}
	f->last_log[0] = '\0';
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_non_null(strstr(f->last_log, ": 2 allowed IPs"));
	assert_non_null(strstr(f->last_log, "and others"));
	/* A read that finds everything in place says nothing. */
	f->last_log[0] = '\0';
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_string_equal(f->last_log, "");
}

static void test_withdraw_removes_only_that_prefix(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p1 = P("10.3.1.0/24"), p2 = P("10.3.2.0/24");

	wg_rec_set_route(f->r, &p1, &f->a);
	wg_rec_set_route(f->r, &p2, &f->a);
	wg_rec_flush(f->r);
	wg_fake_log_clear(f->be);
	assert_int_equal(wg_rec_unset_route(f->r, &p1), 0);
	assert_int_equal(wg_rec_flush(f->r), 0);
	size_t n;
	const struct wg_aip_change *log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 1);
	assert_int_equal(log[0].op, WG_AIP_REMOVE);
	assert_true(wg_prefix_equal(&log[0].prefix, &p1));
	assert_holder(f, "10.3.1.0/24", NULL);
	assert_holder(f, "10.3.2.0/24", &f->a);
	assert_false(wg_rec_owns(f->r, &p1, NULL));
}

static void test_learned_prefix_equal_to_foreign_is_refused_and_reported(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("192.168.7.0/24");
	struct wg_rec_stats st;

	assert_int_equal(wg_fake_set_aip(f->be, &f->c, &p), 0); /* wg-quick */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	wg_fake_log_clear(f->be);
	wg_rec_set_route(f->r, &p, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	size_t n;
	wg_fake_log(f->be, &n);
	assert_int_equal(n, 0);
	assert_holder(f, "192.168.7.0/24", &f->c);
	assert_int_equal(f->n_warnings, 1);
	assert_non_null(strstr(f->last_log, "192.168.7.0/24"));
	assert_int_equal(wg_rec_foreach_conflict(f->r, NULL, NULL), 1);
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.owned, 0);
	/* still refused after a re-read, and logged only once */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "192.168.7.0/24", &f->c);
	assert_int_equal(f->n_warnings, 1);
}

static void test_foreign_allowed_ips_survive_withdraw_all(void **state)
{
	struct fx *f = *state;
	struct wg_prefix mine = P("10.4.0.0/16"), theirs = P("10.5.0.0/16");

	wg_fake_set_aip(f->be, &f->a, &theirs);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	wg_rec_set_route(f->r, &mine, &f->a);
	wg_rec_flush(f->r);
	assert_int_equal(wg_rec_withdraw_all(f->r), 0);
	assert_holder(f, "10.4.0.0/16", NULL);
	assert_holder(f, "10.5.0.0/16", &f->a);
}

static void test_conflict_clears_when_foreign_entry_goes_away(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.6.0.0/16");

	wg_fake_set_aip(f->be, &f->c, &p);
	wg_rec_refresh(f->r);
	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_flush(f->r);
	assert_holder(f, "10.6.0.0/16", &f->c);
	wg_fake_del_aip(f->be, &p);	/* operator removed it */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.6.0.0/16", &f->a);
	assert_int_equal(wg_rec_foreach_conflict(f->r, NULL, NULL), 0);
}

static void test_more_specific_inside_foreign_is_installed(void **state)
{
	struct fx *f = *state;
	struct wg_prefix def = P("0.0.0.0/0"), p = P("10.7.0.0/16");

	wg_fake_set_aip(f->be, &f->c, &def);
	wg_rec_refresh(f->r);
	wg_rec_set_route(f->r, &p, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.7.0.0/16", &f->a);
	assert_holder(f, "0.0.0.0/0", &f->c);
}

static void test_prefix_moved_by_operator_is_no_longer_managed(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.8.0.0/16");

	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_flush(f->r);
	wg_fake_set_aip(f->be, &f->c, &p);	/* wg set .. peer C */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.8.0.0/16", &f->c);
	assert_false(wg_rec_owns(f->r, &p, NULL));
	wg_rec_unset_route(f->r, &p);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.8.0.0/16", &f->c);
}

static void test_restart_keeps_owned_during_grace_then_withdraws_unlearned(void **state)
{
	struct fx *f = *state;
	struct wg_prefix keep = P("10.9.1.0/24"), stale = P("10.9.2.0/24");
	struct wg_prefix foreign = P("10.9.3.0/24");

	wg_rec_set_route(f->r, &keep, &f->a);
	wg_rec_set_route(f->r, &stale, &f->b);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_fake_set_aip(f->be, &f->c, &foreign);
	/* the daemon stops without withdrawing; a new one starts */
	wg_rec_free(f->r);
	fx_rec_new(f);
	assert_int_equal(wg_rec_load_state(f->r), 0);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.9.1.0/24", &f->a);
	assert_holder(f, "10.9.2.0/24", &f->b);
	assert_true(wg_rec_owns(f->r, &stale, NULL));
	/* Babel relearns one of them, moved to another peer */
	wg_rec_set_route(f->r, &keep, &f->c);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.1.0/24", &f->c);
	assert_holder(f, "10.9.2.0/24", &f->b);	/* grace: not yet */
	wg_rec_grace_over(f->r);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.1.0/24", &f->c);
	assert_holder(f, "10.9.2.0/24", NULL);
	assert_holder(f, "10.9.3.0/24", &f->c);
}

static void test_grace_holds_only_prefixes_adopted_from_the_journal(void **state)
{
	struct fx *f = *state;
	struct wg_prefix adopted = P("10.9.4.0/24"), redone = P("10.9.5.0/24");
	struct wg_prefix fresh = P("10.9.6.0/24");

	wg_rec_set_route(f->r, &adopted, &f->a);
	wg_rec_set_route(f->r, &redone, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	/* restart: both come back from the journal, grace begins */
	wg_rec_free(f->r);
	fx_rec_new(f);
	assert_int_equal(wg_rec_load_state(f->r), 0);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	/* a prefix learned and withdrawn during the grace period is removed */
	wg_rec_set_route(f->r, &fresh, &f->b);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.6.0/24", &f->b);
	wg_rec_unset_route(f->r, &fresh);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.6.0/24", NULL);
	assert_false(wg_rec_owns(f->r, &fresh, NULL));
	/* so is an adopted one once the daemon relearned and then lost it */
	wg_rec_set_route(f->r, &redone, &f->a);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_rec_unset_route(f->r, &redone);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.5.0/24", NULL);
	/* an adopted prefix nobody spoke about is held, also across a refresh */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.9.4.0/24", &f->a);
	wg_rec_grace_over(f->r);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.9.4.0/24", NULL);
}

static void test_damaged_state_file_owns_nothing(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.10.0.0/16");
	struct wg_rec_stats st;
	FILE *fp = fopen(f->state, "w");

	assert_non_null(fp);
	fputs("wgbabeld-owned 1\n+ 10.10.0.0/16\n+ not-a-prefix\n", fp);
	fclose(fp);
	wg_fake_set_aip(f->be, &f->a, &p);
	wg_rec_free(f->r);
	fx_rec_new(f);
	assert_int_equal(wg_rec_load_state(f->r), 0);
	assert_int_equal(f->n_warnings, 1);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	wg_rec_grace_over(f->r);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.owned, 0);
	assert_holder(f, "10.10.0.0/16", &f->a);
}

static void test_peer_removed_underneath_is_reported_and_served_when_back(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.11.0.0/16");

	wg_rec_set_route(f->r, &p, &f->b);
	wg_rec_flush(f->r);
	wg_fake_remove_peer(f->be, &f->b);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.11.0.0/16", NULL);
	assert_int_equal(wg_rec_foreach_conflict(f->r, NULL, NULL), 1);
	wg_fake_add_peer(f->be, &f->b);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.11.0.0/16", &f->b);
	assert_int_equal(wg_rec_foreach_conflict(f->r, NULL, NULL), 0);
}

static void test_winner_on_missing_peer_withdraws_old_holder(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.12.0.0/16");
	struct wg_key ghost;

	memset(ghost.b, 0x11, WG_KEY_LEN);
	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_flush(f->r);
	wg_rec_set_route(f->r, &p, &ghost);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.12.0.0/16", NULL);
	assert_int_equal(wg_fake_stats(f->be)->ignored, 0);
}

static void test_interface_recreated_gets_desired_again(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.13.0.0/16");
	struct wg_rec_stats st;

	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_flush(f->r);
	wg_fake_set_present(f->be, false);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	wg_rec_get_stats(f->r, &st);
	assert_false(st.device_present);
	assert_int_equal(st.owned, 0);
	assert_int_equal(st.desired, 1);
	/* re-created by wg-quick: empty, peers come back with their config */
	wg_fake_set_present(f->be, true);
	wg_fake_add_peer(f->be, &f->a);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.13.0.0/16", &f->a);
	wg_rec_get_stats(f->r, &st);
	assert_true(st.device_present);
	assert_int_equal(st.owned, 1);
}

static void test_failed_apply_converges_after_refresh(void **state)
{
	struct fx *f = *state;
	char buf[32];

	for (int i = 0; i < 10; i++) {
		struct wg_prefix p;
		snprintf(buf, sizeof(buf), "10.14.%d.0/24", i);
		p = P(buf);
		wg_rec_set_route(f->r, &p, &f->a);
	}
	wg_rec_flush(f->r);
	for (int i = 0; i < 10; i++) {
		struct wg_prefix p;
		snprintf(buf, sizeof(buf), "10.14.%d.0/24", i);
		p = P(buf);
		wg_rec_set_route(f->r, &p, &f->b);
	}
	wg_fake_fail_after(f->be, 4, -ENOBUFS);
	assert_int_equal(wg_rec_flush(f->r), -ENOBUFS);
	/* four moved, six not: the re-read must neither disown the moved
	 * ones nor leave the others behind */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "10.14.%d.0/24", i);
		assert_holder(f, buf, &f->b);
	}
	struct wg_rec_stats st;
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.owned, 10);
}

static void test_ten_thousand_moves_are_one_apply(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p;
	uint8_t a[4] = { 10, 200, 0, 0 };

	for (int i = 0; i < 10000; i++) {
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		wg_prefix_make(&p, AF_INET, a, 32);
		wg_rec_set_route(f->r, &p, &f->a);
	}
	assert_int_equal(wg_rec_flush(f->r), 0);
	uint64_t applies = wg_fake_stats(f->be)->applies;
	for (int i = 0; i < 10000; i++) {
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		wg_prefix_make(&p, AF_INET, a, 32);
		wg_rec_set_route(f->r, &p, &f->b);
	}
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_int_equal(wg_fake_stats(f->be)->applies, applies + 1);
	assert_int_equal(wg_fake_stats(f->be)->moves, 10000);
	assert_int_equal(wg_fake_stats(f->be)->removes, 0);
	assert_int_equal(wg_fake_aip_count(f->be), 10000);
}

static struct wg_prefix nth_prefix(int i)
{
	struct wg_prefix p;
	uint8_t a[4] = { 10, 201, (uint8_t)(i >> 8), (uint8_t)i };

	a[1] = (uint8_t)(201 + (i >> 16));
	wg_prefix_make(&p, AF_INET, a, 32);
	return p;
}

/* More changes queued than the reconciler lists (it then finds them by
 * a walk of its table): every one is planned once, a prefix set and
 * unset before the flush is written nowhere, and the changes reach the
 * device sorted (each peer's adds by prefix, then the removes). */
static void test_a_whole_table_of_changes_is_planned_by_a_walk(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p;
	size_t n;

	for (int i = 0; i < 6000; i++) {
		p = nth_prefix(i);
		assert_int_equal(wg_rec_set_route(f->r, &p, &f->a), 0);
	}
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_int_equal(wg_fake_aip_count(f->be), 6000);
	wg_fake_log_clear(f->be);
	const struct wg_fake_stats st0 = *wg_fake_stats(f->be);
	for (int i = 0; i < 6000; i++) {
		p = nth_prefix(i);
		if (i % 2) {
			assert_int_equal(wg_rec_unset_route(f->r, &p), 0);
		} else {
			/* chosen twice before the flush: one move */
			assert_int_equal(wg_rec_set_route(f->r, &p, &f->c), 0);
			assert_int_equal(wg_rec_set_route(f->r, &p, &f->b), 0);
		}
	}
	for (int i = 6000; i < 7000; i++) {
		p = nth_prefix(i);
		assert_int_equal(wg_rec_set_route(f->r, &p, &f->a), 0);
		assert_int_equal(wg_rec_unset_route(f->r, &p), 0);
	}
	assert_int_equal(wg_rec_flush(f->r), 0);
	const struct wg_fake_stats *st = wg_fake_stats(f->be);
	assert_int_equal(st->applies, st0.applies + 1);
	assert_int_equal(st->moves - st0.moves, 3000);
	assert_int_equal(st->removes - st0.removes, 3000);
	assert_int_equal(st->adds - st0.adds, 0);
	assert_int_equal(st->ignored - st0.ignored, 0);
	const struct wg_aip_change *log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 6000);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(log[i].op, i < 3000 ? WG_AIP_ADD : WG_AIP_REMOVE);
		if (i % 3000)
			assert_true(memcmp(&log[i - 1].prefix, &log[i].prefix,
					   sizeof(log[i].prefix)) < 0);
		if (log[i].op == WG_AIP_ADD)
			assert_memory_equal(log[i].peer.b, f->b.b, WG_KEY_LEN);
	}
	assert_int_equal(wg_fake_aip_count(f->be), 3000);
	for (int i = 0; i < 7000; i++) {
		struct wg_key h;

		p = nth_prefix(i);
		assert_int_equal(wg_fake_holder(f->be, &p, &h),
				 i < 6000 && i % 2 == 0);
		assert_int_equal(wg_rec_owns(f->r, &p, NULL),
				 i < 6000 && i % 2 == 0);
	}
	struct wg_rec_stats rs;
	wg_rec_get_stats(f->r, &rs);
	assert_int_equal(rs.desired, 3000);
	assert_int_equal(rs.owned, 3000);
	/* and the next change is listed again: one add, nothing else */
	wg_fake_log_clear(f->be);
	p = nth_prefix(1);
	assert_int_equal(wg_rec_set_route(f->r, &p, &f->a), 0);
	assert_int_equal(wg_rec_flush(f->r), 0);
	log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(&log[0].prefix, &p, sizeof(p));
	assert_memory_equal(log[0].peer.b, f->a.b, WG_KEY_LEN);
}

/* A batch larger than one slice of the backend's form is written in
 * several applies, in order, all of it; a failed slice ends the write
 * and the re-read after it converges. */
static void test_a_large_batch_is_written_in_slices(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p;
	size_t n;

	for (int i = 0; i < 40000; i++) {
		p = nth_prefix(i);
		assert_int_equal(wg_rec_set_route(f->r, &p, &f->a), 0);
	}
	uint64_t applies = wg_fake_stats(f->be)->applies;
	wg_fake_log_clear(f->be);
	assert_int_equal(wg_rec_flush(f->r), 0);
	/* 16,384 a slice */
	assert_int_equal(wg_fake_stats(f->be)->applies, applies + 3);
	const struct wg_aip_change *log = wg_fake_log(f->be, &n);
	assert_int_equal(n, 40000);
	for (size_t i = 1; i < n; i++)
		assert_true(memcmp(&log[i - 1].prefix, &log[i].prefix,
				   sizeof(log[i].prefix)) < 0);
	assert_int_equal(wg_fake_aip_count(f->be), 40000);

	/* all to b; the first slice fails after 100 moves */
	for (int i = 0; i < 40000; i++) {
		p = nth_prefix(i);
		assert_int_equal(wg_rec_set_route(f->r, &p, &f->b), 0);
	}
	applies = wg_fake_stats(f->be)->applies;
	wg_fake_fail_after(f->be, 100, -ENOBUFS);
	assert_int_equal(wg_rec_flush(f->r), -ENOBUFS);
	assert_int_equal(wg_fake_stats(f->be)->applies, applies + 1);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	for (int i = 0; i < 40000; i++) {
		struct wg_key h;

		p = nth_prefix(i);
		assert_true(wg_fake_holder(f->be, &p, &h));
		assert_memory_equal(h.b, f->b.b, WG_KEY_LEN);
	}
	struct wg_rec_stats rs;
	wg_rec_get_stats(f->r, &rs);
	assert_int_equal(rs.owned, 40000);
	assert_int_equal(wg_fake_aip_count(f->be), 40000);
}

/* Peers are 16-bit indexes in the reconciler's entries: the 65,536th
 * distinct key is refused and changes nothing; known keys still work. */
static void test_more_than_65535_peer_keys_are_refused(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p;
	struct wg_key k;
	struct wg_rec_stats st;

	memset(&k, 0x11, sizeof(k));
	/* a, b and c are known from the first refresh */
	for (int i = 0; i < 65535 - 3; i++) {
		k.b[0] = (uint8_t)i;
		k.b[1] = (uint8_t)(i >> 8);
		p = nth_prefix(i);
		assert_int_equal(wg_rec_set_route(f->r, &p, &k), 0);
	}
	k.b[2] = 0x22;
	p = nth_prefix(70000);
	assert_int_equal(wg_rec_set_route(f->r, &p, &k), -ENOSPC);
	assert_false(wg_rec_owns(f->r, &p, NULL));
	assert_int_equal(wg_rec_set_route(f->r, &p, &f->b), 0);
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.desired, 65535 - 3 + 1);
	assert_int_equal(wg_rec_flush(f->r), 0);
	assert_holder(f, "10.202.17.112/32", &f->b);	/* nth_prefix(70000) */
}

/* A write made elsewhere (wg_rec_plan / batch_apply / done): Babel may
 * choose again while it is under way; the model records what was
 * written, and the next write carries the new choice. */
static void test_choice_changed_during_a_write_goes_in_the_next(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.20.0.0/16"), q = P("10.21.0.0/16");
	struct wg_rec_batch *b, *b2;
	struct wg_device dev = { 0 };
	size_t n;

	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_set_route(f->r, &q, &f->a);
	assert_int_equal(wg_rec_plan(f->r, &b), 0);
	assert_non_null(b);
	/* while it is under way: another winner for p, q withdrawn; no
	 * second batch, no merge of a read (it may show this one half
	 * done) */
	wg_rec_set_route(f->r, &p, &f->b);
	wg_rec_unset_route(f->r, &q);
	assert_int_equal(wg_rec_plan(f->r, &b2), -EBUSY);
	assert_null(b2);
	assert_int_equal(wg_rec_merge(f->r, &dev), -EBUSY);
	assert_int_equal(wg_rec_refresh(f->r), -EBUSY);
	assert_int_equal(wg_rec_batch_apply(b, f->be), 0);
	assert_int_equal(wg_rec_done(f->r, b), 0);
	assert_holder(f, "10.20.0.0/16", &f->a);
	assert_holder(f, "10.21.0.0/16", &f->a);
	assert_true(wg_rec_owns(f->r, &q, NULL));
	wg_fake_log_clear(f->be);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_fake_log(f->be, &n);
	assert_int_equal(n, 2);
	assert_holder(f, "10.20.0.0/16", &f->b);
	assert_holder(f, "10.21.0.0/16", NULL);
	assert_false(wg_rec_owns(f->r, &q, NULL));
	/* and a read now agrees with the model: nothing to write */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	wg_fake_log_clear(f->be);
	assert_int_equal(wg_rec_flush(f->r), 0);
	wg_fake_log(f->be, &n);
	assert_int_equal(n, 0);
}

/* A device that does not answer: the write ends with -ETIMEDOUT, what it
 * may have added stays ours (in the journal before it was sent), and the
 * next read puts the model right. */
static void test_write_that_timed_out_keeps_ownership(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.22.0.0/16"), p2 = P("10.23.0.0/16");
	struct wg_rec_batch *b;
	struct wg_rec_stats st;

	wg_rec_set_route(f->r, &p, &f->a);
	wg_rec_set_route(f->r, &p2, &f->a);
	assert_int_equal(wg_rec_plan(f->r, &b), 0);
	assert_non_null(b);
	/* the first change reached the device, the second did not */
	wg_fake_fail_after(f->be, 1, -ETIMEDOUT);
	assert_int_equal(wg_rec_batch_apply(b, f->be), -ETIMEDOUT);
	assert_int_equal(wg_rec_done(f->r, b), -ETIMEDOUT);
	assert_true(wg_rec_owns(f->r, &p, NULL));
	assert_true(wg_rec_owns(f->r, &p2, NULL));
	assert_holder(f, "10.22.0.0/16", &f->a);
	assert_holder(f, "10.23.0.0/16", NULL);
	/* the next read puts the model right and writes what is missing */
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.22.0.0/16", &f->a);
	assert_holder(f, "10.23.0.0/16", &f->a);
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.owned, 2);
	assert_int_equal(st.conflicts, 0);
	/* a restart after the timeout still owns both */
	wg_rec_free(f->r);
	fx_rec_new(f);
	assert_int_equal(wg_rec_load_state(f->r), 0);
	assert_true(wg_rec_owns(f->r, &p, NULL));
	assert_true(wg_rec_owns(f->r, &p2, NULL));
}

/* The link event says the device is gone while a write to it is under
 * way: the model empties once the write is taken back, without a read,
 * and the device re-created gets what is wanted again. */
static void test_device_gone_under_a_write_empties_after_it(void **state)
{
	struct fx *f = *state;
	struct wg_prefix p = P("10.24.0.0/16");
	struct wg_rec_batch *b;
	struct wg_rec_stats st;

	wg_rec_set_route(f->r, &p, &f->a);
	assert_int_equal(wg_rec_plan(f->r, &b), 0);
	assert_non_null(b);
	assert_int_equal(wg_rec_device_gone(f->r), -EBUSY);
	wg_fake_set_present(f->be, false);
	assert_int_equal(wg_rec_batch_apply(b, f->be), -ENODEV);
	wg_rec_done(f->r, b);
	assert_int_equal(wg_rec_device_gone(f->r), 0);
	wg_rec_get_stats(f->r, &st);
	assert_false(st.device_present);
	assert_int_equal(st.owned, 0);
	assert_int_equal(st.desired, 1);
	wg_fake_set_present(f->be, true);
	wg_fake_add_peer(f->be, &f->a);
	assert_int_equal(wg_rec_refresh(f->r), 0);
	assert_holder(f, "10.24.0.0/16", &f->a);
	wg_rec_get_stats(f->r, &st);
	assert_int_equal(st.owned, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_new_winner_is_one_add),
		T(test_change_of_winner_is_one_add_to_new_peer),
		T(test_unchanged_winner_sends_nothing),
		T(test_a_steady_refresh_plans_nothing_and_keeps_the_journal),
		T(test_withdraw_removes_only_that_prefix),
		T(test_learned_prefix_equal_to_foreign_is_refused_and_reported),
		T(test_foreign_allowed_ips_survive_withdraw_all),
		T(test_conflict_clears_when_foreign_entry_goes_away),
		T(test_more_specific_inside_foreign_is_installed),
		T(test_prefix_moved_by_operator_is_no_longer_managed),
		T(test_restart_keeps_owned_during_grace_then_withdraws_unlearned),
		T(test_grace_holds_only_prefixes_adopted_from_the_journal),
		T(test_damaged_state_file_owns_nothing),
		T(test_peer_removed_underneath_is_reported_and_served_when_back),
		T(test_winner_on_missing_peer_withdraws_old_holder),
		T(test_interface_recreated_gets_desired_again),
		T(test_failed_apply_converges_after_refresh),
		T(test_ten_thousand_moves_are_one_apply),
		T(test_a_whole_table_of_changes_is_planned_by_a_walk),
		T(test_a_large_batch_is_written_in_slices),
		T(test_more_than_65535_peer_keys_are_refused),
		T(test_choice_changed_during_a_write_goes_in_the_next),
		T(test_write_that_timed_out_keeps_ownership),
		T(test_device_gone_under_a_write_empties_after_it),
#undef T
	};
	return cmocka_run_group_tests_name("wgglue_reconcile", tests, NULL, NULL);
}
