/* SPDX-License-Identifier: MIT */
/*
 * tests/fwd/test_ledger.c — the ownership rules of the kernel-route ledger
 * (fwd/ledger.h): ownership (a replace or a delete only for a route the
 * kernel holds as ours), refusal (a foreign route in our place, one that
 * replaces ours), adoption (only the objects the ledger recorded, and the
 * routes of ours that use them), the id set and its file format; then the
 * same rules as wgglue/kroute executes them on the fake kernel
 * (tests/wgglue/fake_kernel.h). The allowed-IP rules (fwd_aip_plan) run
 * against the fake device in tests/wgglue/test_reconcile.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "fwd/ledger.h"
#include "tests/wgglue/fake_kernel.h"
#include "wgglue/kroute.h"

#define P42 42u

/* ------------------------------------------------------------ ownership */

static void test_a_route_not_in_the_ledger_is_only_ever_created(void **state)
{
	uint8_t flags = 0;

	(void)state;
	/* A new entry: a create (NLM_F_EXCL), never a replace. */
	assert_int_equal(fwd_kr_install(&flags, false), FWD_KR_WRITE);
	assert_int_equal(flags, FWD_KR_USED);
	assert_true(fwd_kr_creates(flags));
	flags = fwd_kr_queued(flags);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_KERNEL | FWD_KR_PENDING);
	/* Once the kernel holds ours, the next write replaces it. */
	flags &= (uint8_t)~FWD_KR_PENDING;
	assert_false(fwd_kr_creates(flags));
	assert_int_equal(fwd_kr_queued(flags), flags);
	assert_int_equal(fwd_kr_install(&flags, false), FWD_KR_WRITE);
	assert_false(fwd_kr_creates(flags));
}

static void test_a_failed_create_leaves_nothing_to_replace_or_delete(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_KERNEL | FWD_KR_PENDING;

	(void)state;
	assert_int_equal(fwd_kr_install_failed(&flags, true, false, true,
					       false, -EPERM), FWD_KR_DROP);
	assert_false(flags & FWD_KR_KERNEL);
	assert_true(fwd_kr_creates(flags));
	/* Removed now: the kernel holds nothing of ours, no delete. */
	assert_int_equal(fwd_kr_remove(&flags, true), FWD_KR_DELETE);
	assert_int_equal(fwd_kr_delete(flags, false), FWD_KR_DEL_NONE);
}

static void test_a_delete_waits_for_the_answer_to_its_create(void **state)
{
	uint8_t flags = fwd_kr_queued(FWD_KR_USED);

	(void)state;
	assert_true(fwd_kr_install_waits(flags));
	assert_int_equal(fwd_kr_remove(&flags, true), FWD_KR_DELETE);
	assert_true(fwd_kr_delete_waits(flags));
	/* Answered without refusal: the delete goes out... */
	flags &= (uint8_t)~FWD_KR_PENDING;
	assert_false(fwd_kr_delete_waits(flags));
	assert_int_equal(fwd_kr_delete(flags, false), FWD_KR_DEL_ROUTE);
	/* ... or with the object, which takes its routes along. */
	assert_int_equal(fwd_kr_delete(flags, true), FWD_KR_DEL_OBJECT);
}

static void test_removing_what_the_ledger_does_not_hold_is_unknown(void **state)
{
	uint8_t flags = 0;

	(void)state;
	assert_int_equal(fwd_kr_remove(&flags, false), FWD_KR_UNKNOWN);
	flags = FWD_KR_USED | FWD_KR_DELETING | FWD_KR_KERNEL;
	assert_int_equal(fwd_kr_remove(&flags, true), FWD_KR_UNKNOWN);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_DELETING | FWD_KR_KERNEL);
}

static void test_an_unchanged_route_is_not_written_again(void **state)
{
	(void)state;
	assert_true(fwd_kr_install_unchanged(FWD_KR_USED | FWD_KR_KERNEL,
					     true));
	assert_false(fwd_kr_install_unchanged(FWD_KR_USED | FWD_KR_KERNEL,
					      false));
	/* Stale or being deleted: it must be confirmed or made again. */
	assert_false(fwd_kr_install_unchanged(fwd_kr_adopted(), true));
	assert_false(fwd_kr_install_unchanged(FWD_KR_USED | FWD_KR_DELETING,
					      true));
	assert_false(fwd_kr_install_unchanged(0, true));
}

static void test_a_route_being_deleted_and_wanted_again_is_replaced(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_DELETING | FWD_KR_KERNEL;

	(void)state;
	assert_int_equal(fwd_kr_install(&flags, false), FWD_KR_WRITE);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_KERNEL);
	assert_false(fwd_kr_creates(flags));
}

static void test_deletes_that_find_nothing_did_what_was_wanted(void **state)
{
	(void)state;
	assert_false(fwd_kr_delete_failed(-ESRCH));
	assert_false(fwd_kr_delete_failed(-ENOENT));
	assert_true(fwd_kr_delete_failed(-EPERM));
	assert_true(fwd_kr_delete_failed(-EINVAL));
}

static void test_a_sweep_takes_stale_entries_or_all(void **state)
{
	uint8_t ours = FWD_KR_USED | FWD_KR_KERNEL;
	uint8_t refused = FWD_KR_USED | FWD_KR_REFUSED;
	uint8_t gone = FWD_KR_USED | FWD_KR_DELETING | FWD_KR_KERNEL;

	(void)state;
	assert_true(fwd_kr_sweep_takes(fwd_kr_adopted(), true));
	assert_false(fwd_kr_sweep_takes(ours, true));
	assert_true(fwd_kr_sweep_takes(ours, false));
	assert_false(fwd_kr_sweep_takes(gone, false));
	assert_false(fwd_kr_sweep_takes(0, false));
	/* A refused entry leaves the ledger with nothing to delete. */
	assert_true(fwd_kr_sweep_takes(refused, false));
	assert_int_equal(fwd_kr_delete(fwd_kr_deleting(refused), false),
			 FWD_KR_DEL_NONE);
	assert_int_equal(fwd_kr_delete(fwd_kr_deleting(ours), false),
			 FWD_KR_DEL_ROUTE);
}

/* ------------------------------------------------------------ refusal */

static void test_a_create_meeting_a_foreign_route_is_refused(void **state)
{
	uint8_t flags = fwd_kr_queued(FWD_KR_USED);

	(void)state;
	assert_int_equal(fwd_kr_install_failed(&flags, true, false, true,
					       false, -EEXIST), FWD_KR_REFUSE);
	assert_false(flags & FWD_KR_KERNEL);
	/* A replace answered EEXIST is no foreign route: an error. */
	flags = FWD_KR_USED | FWD_KR_KERNEL;
	assert_int_equal(fwd_kr_install_failed(&flags, false, false, false,
					       false, -EEXIST), FWD_KR_DROP);
}

static void test_a_refused_prefix_is_never_written_only_remembered(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_REFUSED;

	(void)state;
	assert_int_equal(fwd_kr_install(&flags, false), FWD_KR_REMEMBER);
	assert_int_equal(fwd_kr_install(&flags, true), FWD_KR_REMEMBER);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_REFUSED);
	assert_int_equal(fwd_kr_remove(&flags, true), FWD_KR_FORGET);
}

static void test_a_refused_prefix_is_tried_when_the_foreign_route_goes(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_REFUSED;
	uint8_t deleting = FWD_KR_USED | FWD_KR_DELETING;
	uint8_t ours = FWD_KR_USED | FWD_KR_KERNEL;

	(void)state;
	assert_int_equal(fwd_kr_foreign(&flags, true, false, false),
			 FWD_KR_FOREIGN_RETRY);
	assert_int_equal(fwd_kr_foreign(&deleting, true, false, false),
			 FWD_KR_FOREIGN_NONE);
	/* A delete of someone else's changes nothing of ours. */
	assert_int_equal(fwd_kr_foreign(&ours, true, false, false),
			 FWD_KR_FOREIGN_NONE);
}

static void test_a_route_of_ours_replaced_by_someone_else_is_theirs(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_KERNEL;
	uint8_t deleting = FWD_KR_USED | FWD_KR_DELETING | FWD_KR_KERNEL;
	uint8_t pending = FWD_KR_USED | FWD_KR_KERNEL | FWD_KR_PENDING;

	(void)state;
	assert_int_equal(fwd_kr_foreign(&flags, false, true, false),
			 FWD_KR_FOREIGN_TAKEN);
	/* Being deleted: its delete must not go out any more. */
	assert_int_equal(fwd_kr_foreign(&deleting, false, true, false),
			 FWD_KR_FOREIGN_LOST);
	assert_false(deleting & FWD_KR_KERNEL);
	assert_int_equal(fwd_kr_delete(deleting, false), FWD_KR_DEL_NONE);
	/* Our own replace, a new route beside ours, or our create still
	 * unanswered (the answer decides): nothing. */
	assert_int_equal(fwd_kr_foreign(&flags, false, true, true),
			 FWD_KR_FOREIGN_NONE);
	assert_int_equal(fwd_kr_foreign(&flags, false, false, false),
			 FWD_KR_FOREIGN_NONE);
	assert_int_equal(fwd_kr_foreign(&pending, false, true, false),
			 FWD_KR_FOREIGN_NONE);
}

static void test_a_route_is_ours_only_by_protocol_and_object(void **state)
{
	(void)state;
	assert_true(fwd_kr_route_is_ours(P42, 7, P42, 7));
	assert_false(fwd_kr_route_is_ours(P42, 8, P42, 7));
	/* babeld and classic routes: protocol 42, no object of ours. */
	assert_false(fwd_kr_route_is_ours(P42, 0, P42, 0));
	assert_false(fwd_kr_route_is_ours(3, 7, P42, 7));
}

static void test_an_object_the_kernel_dropped_is_made_again_once(void **state)
{
	uint8_t flags = FWD_KR_USED | FWD_KR_KERNEL;

	(void)state;
	assert_int_equal(fwd_kr_install_failed(&flags, false, false, true,
					       false, -EINVAL), FWD_KR_REMAKE);
	assert_int_equal(fwd_kr_install_failed(&flags, false, true, true,
					       false, -EINVAL), FWD_KR_DROP);
	/* Classic routes have no object to make again. */
	assert_int_equal(fwd_kr_install_failed(&flags, false, false, false,
					       false, -ENOENT), FWD_KR_DROP);
	/* Outdated answers change nothing. */
	assert_int_equal(fwd_kr_install_failed(&flags, false, false, true,
					       true, -EEXIST), FWD_KR_IGNORE);
	flags = FWD_KR_USED | FWD_KR_DELETING;
	assert_int_equal(fwd_kr_install_failed(&flags, true, false, true,
					       false, -EEXIST), FWD_KR_IGNORE);
}

/* ------------------------------------------------------------ adoption */

static void test_only_objects_the_ledger_recorded_are_adopted(void **state)
{
	struct fwd_kr_ids l = { 0 };

	(void)state;
	assert_int_equal(fwd_kr_ids_put(&l, P42 << 24 | 0x5001), 0);
	assert_int_equal(fwd_kr_adopt_object(&l, P42 << 24 | 0x5001, P42, P42,
					     false), FWD_KR_OBJ_LEDGER);
	/* Another instance's object, with our protocol and next to ours. */
	assert_int_equal(fwd_kr_adopt_object(&l, P42 << 24 | 0x5002, P42, P42,
					     false), FWD_KR_OBJ_FOREIGN);
	/* Our id, but made under another protocol: not ours. */
	assert_int_equal(fwd_kr_adopt_object(&l, P42 << 24 | 0x5001, 3, P42,
					     false), FWD_KR_OBJ_FOREIGN);
	/* An older version's numbering, only when asked for. */
	assert_int_equal(fwd_kr_adopt_object(&l, P42 << 24 | 1, P42, P42,
					     false), FWD_KR_OBJ_FOREIGN);
	assert_int_equal(fwd_kr_adopt_object(&l, P42 << 24 | 1, P42, P42,
					     true), FWD_KR_OBJ_LEGACY);
	assert_false(fwd_kr_legacy_id(P42 << 24 | FWD_KR_LEGACY_IDS, P42,
				      true));
	assert_false(fwd_kr_legacy_id(P42 << 24, P42, true));
	fwd_kr_ids_free(&l);
}

static void test_only_our_routes_through_our_objects_are_adopted(void **state)
{
	(void)state;
	assert_true(fwd_kr_adopt_candidate(P42, 254, false, P42, 254));
	assert_false(fwd_kr_adopt_candidate(P42, 100, false, P42, 254));
	assert_false(fwd_kr_adopt_candidate(4, 254, false, P42, 254));
	assert_false(fwd_kr_adopt_candidate(P42, 254, true, P42, 254));
	assert_true(fwd_kr_adopt_route(false, true));
	/* No object of ours (babeld, a classic route, another instance). */
	assert_false(fwd_kr_adopt_route(false, false));
	/* Already in the ledger (a duplicate in the dump). */
	assert_false(fwd_kr_adopt_route(true, true));
	/* Adopted: stale, ours in the kernel (a replace may follow). */
	assert_true(fwd_kr_adopted() & FWD_KR_STALE);
	assert_false(fwd_kr_creates(fwd_kr_adopted()));
}

static void test_an_adopted_route_installed_again_is_confirmed(void **state)
{
	uint8_t flags = fwd_kr_adopted();

	(void)state;
	assert_int_equal(fwd_kr_install(&flags, true), FWD_KR_CONFIRM);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_KERNEL);
	/* Through another next hop: a replace of ours. */
	flags = fwd_kr_adopted();
	assert_int_equal(fwd_kr_install(&flags, false), FWD_KR_WRITE);
	assert_int_equal(flags, FWD_KR_USED | FWD_KR_KERNEL);
}

static void test_ids_the_kernel_no_longer_has_are_forgotten(void **state)
{
	struct fwd_kr_ids l = { 0 };
	uint32_t found[] = { P42 << 24 | 0x7002 };

	(void)state;
	assert_int_equal(fwd_kr_ids_put(&l, P42 << 24 | 0x7001), 0);
	assert_int_equal(fwd_kr_ids_put(&l, P42 << 24 | 0x7002), 0);
	assert_int_equal(fwd_kr_ids_put(&l, P42 << 24 | 3), 0);	/* legacy */
	l.dirty = false;
	fwd_kr_ids_keep_found(&l, found, 1, P42, true);
	assert_int_equal(l.n, 2);
	assert_true(l.dirty);
	assert_false(fwd_kr_ids_has(&l, P42 << 24 | 0x7001));
	assert_true(fwd_kr_ids_has(&l, P42 << 24 | 0x7002));
	assert_true(fwd_kr_ids_has(&l, P42 << 24 | 3));
	fwd_kr_ids_keep_found(&l, NULL, 0, P42, false);
	assert_int_equal(l.n, 0);
	fwd_kr_ids_free(&l);
}

static void test_the_id_set_holds_each_id_once(void **state)
{
	struct fwd_kr_ids l = { 0 };

	(void)state;
	for (uint32_t i = 1; i <= 100; i++)
		assert_int_equal(fwd_kr_ids_put(&l, i), 0);
	l.dirty = false;
	assert_int_equal(fwd_kr_ids_put(&l, 50), 0);
	assert_int_equal(l.n, 100);
	assert_false(l.dirty);			/* nothing changed */
	fwd_kr_ids_del(&l, 50);
	fwd_kr_ids_del(&l, 50);
	assert_int_equal(l.n, 99);
	assert_false(fwd_kr_ids_has(&l, 50));
	assert_true(fwd_kr_ids_has(&l, 100));
	fwd_kr_ids_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.ids);
}

static void test_a_ledger_line_is_a_decimal_id_and_nothing_else(void **state)
{
	static const char *bad[] = {
		"0\n", "\n", "12", "12 \n", " 12\n", "+12\n", "-12\n", "1x\n",
		"4294967296\n", "99999999999999999999999\n", "12\n3",
	};
	uint32_t id = 0;

	(void)state;
	assert_int_equal(fwd_kr_ids_parse_line("704643073\n", &id), 0);
	assert_int_equal(id, 704643073u);
	assert_int_equal(fwd_kr_ids_parse_line("4294967295\n", &id), 0);
	assert_int_equal(id, UINT32_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = 7;
		assert_int_equal(fwd_kr_ids_parse_line(bad[i], &id), -EBADMSG);
		assert_int_equal(id, 7);
	}
}

static void test_ids_stay_in_our_protocols_range(void **state)
{
	(void)state;
	assert_int_equal(fwd_kr_id_step(P42 << 24 | 5), P42 << 24 | 6);
	assert_int_equal(fwd_kr_id_step(P42 << 24 | 0xffffff), P42 << 24 | 1);
	assert_int_equal(fwd_kr_next_id_after(P42 << 24 | 9, P42, 77),
			 P42 << 24 | 10);
	assert_int_equal(fwd_kr_next_id_after(P42 << 24 | 0xffffff, P42, 77),
			 77);
	assert_int_equal(fwd_kr_next_id_after(3u << 24 | 9, P42, 77), 77);
}

/* ------------------------------------------------------- allowed IPs */

static void test_aip_an_allowed_ip_we_did_not_install_is_never_touched(void **state)
{
	struct fwd_aip_entry e = { .wanted = true, .want_present = true,
				   .on_device = true };
	uint8_t conflict = 0;

	(void)state;
	/* Wanted on another peer than the operator's: a conflict, no move. */
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	assert_int_equal(conflict, FWD_AIP_FOREIGN);
	/* Not wanted (a withdraw): not removed either, and no conflict. */
	e.wanted = e.want_present = false;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	assert_int_equal(conflict, 0);
	/* Even when it is on the very peer Babel wants: not ours. */
	e = (struct fwd_aip_entry){ .wanted = true, .want_present = true,
				    .on_device = true, .on_wanted = true };
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	assert_int_equal(conflict, FWD_AIP_FOREIGN);
}

static void test_aip_a_move_between_peers_is_one_add(void **state)
{
	struct fwd_aip_entry e = { .wanted = true, .want_present = true,
				   .on_device = true, .owned = true };
	uint8_t conflict = 9;

	(void)state;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_ADD);
	assert_int_equal(conflict, 0);
	e.on_wanted = true;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	/* New: an add, owned or not yet. */
	e = (struct fwd_aip_entry){ .wanted = true, .want_present = true };
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_ADD);
}

static void test_aip_an_adopted_prefix_waits_for_the_grace_period(void **state)
{
	struct fwd_aip_entry e = { .on_device = true, .owned = true,
				   .hold = true };
	uint8_t conflict;

	(void)state;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	e.hold = false;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_REMOVE);
	assert_int_equal(conflict, 0);
}

static void test_aip_a_winner_missing_from_the_device_withdraws_ours(void **state)
{
	struct fwd_aip_entry e = { .wanted = true, .on_device = true,
				   .owned = true };
	uint8_t conflict;

	(void)state;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_REMOVE);
	assert_int_equal(conflict, FWD_AIP_PEER_MISSING);
	e.on_device = false;
	assert_int_equal(fwd_aip_plan(&e, &conflict), FWD_AIP_KEEP);
	assert_int_equal(conflict, FWD_AIP_PEER_MISSING);
}

/* ------------------------------------- executed by wgglue on the fake */

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fake));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fk_free(*state);
	return 0;
}

static void test_kernel_a_foreign_route_is_never_replaced_or_deleted(void **state)
{
	struct fake *f = *state;
	struct kroute *kr = fk_kroute(f, NULL);
	struct kroute_nexthop a = nh_via(3, "fe80::2/128");
	struct kroute_nexthop b = nh_via(4, "fe80::3/128");
	struct wg_prefix p = pfx("10.9.9.8/32");
	struct fk_route *r;

	f->routes[f->n_routes++] = (struct fk_route){ .dst = p, .oif = 7,
		.protocol = RTPROT_STATIC, .table = RT_TABLE_MAIN };
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), -EEXIST);
	assert_true(kroute_is_refused(kr, &p));
	assert_int_equal(kroute_count(kr), 0);
	/* Another next hop, a withdraw, a new create, a flush: nothing
	 * reaches it. */
	assert_int_equal(kroute_install(kr, &p, &b), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(kroute_remove(kr, &p), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), 0);
	assert_int_equal(kroute_install(kr, &p, &a), 0);
	assert_int_equal(kroute_commit(kr, NULL, NULL), -EEXIST);
	assert_int_equal(kroute_flush(kr), 0);
	kroute_free(kr);
	assert_int_equal(f->del_route, 0);
	assert_int_equal(f->n_routes, 1);
	r = fk_route_find(f, &p);
	assert_non_null(r);
	assert_int_equal(r->protocol, RTPROT_STATIC);
	assert_int_equal(r->oif, 7);
	assert_int_equal(f->replaced_protocol, 0);	/* no replace hit it */
}

static void test_kernel_adoption_reads_the_ledger_file_and_no_more(void **state)
{
	struct fake *f = *state;
	char ledger[] = "/tmp/wgb-test-fwdledger-XXXXXX";
	int fd = mkstemp(ledger);
	struct kroute_config cfg = { .ledger_path = ledger };
	struct kroute *kr;
	struct wg_prefix ours = pfx("10.1.0.0/16"), theirs = pfx("10.2.0.0/16");
	size_t n = 99;
	FILE *fp;

	assert_true(fd >= 0);
	close(fd);
	/* A ledger that records object 0x2a000101: ours. 0x2a000102, with
	 * our protocol too, is another instance's. */
	fp = fopen(ledger, "w");
	assert_non_null(fp);
	fputs(FWD_KR_LEDGER_MAGIC "\n704643329\n", fp);
	fclose(fp);
	f->nhs[f->n_nhs++] = (struct fk_nh){ .id = 0x2a000101, .oif = 3,
		.protocol = 42, .family = AF_INET6 };
	f->nhs[f->n_nhs++] = (struct fk_nh){ .id = 0x2a000102, .oif = 3,
		.protocol = 42, .family = AF_INET6 };
	f->routes[f->n_routes++] = (struct fk_route){ .dst = ours,
		.nhid = 0x2a000101, .protocol = 42, .table = RT_TABLE_MAIN };
	f->routes[f->n_routes++] = (struct fk_route){ .dst = theirs,
		.nhid = 0x2a000102, .protocol = 42, .table = RT_TABLE_MAIN };

	kr = fk_kroute(f, &cfg);
	assert_int_equal(kroute_adopt(kr, &n), 0);
	assert_int_equal(n, 1);
	assert_true(kroute_lookup(kr, &ours, NULL));
	assert_false(kroute_lookup(kr, &theirs, NULL));
	/* Nothing relearned: the grace period ends with ours deleted. */
	assert_int_equal(kroute_grace_over(kr), 0);
	kroute_free(kr);
	assert_null(fk_route_find(f, &ours));
	assert_non_null(fk_route_find(f, &theirs));
	assert_int_equal(f->n_nhs, 1);
	assert_int_equal(f->nhs[0].id, 0x2a000102);
	unlink(ledger);
}

static void test_kernel_a_damaged_ledger_line_adopts_nothing(void **state)
{
	struct fake *f = *state;
	char ledger[] = "/tmp/wgb-test-fwdledger-XXXXXX";
	int fd = mkstemp(ledger);
	struct kroute_config cfg = { .ledger_path = ledger };
	struct kroute *kr = NULL;
	FILE *fp;

	assert_true(fd >= 0);
	close(fd);
	fp = fopen(ledger, "w");
	assert_non_null(fp);
	fputs(FWD_KR_LEDGER_MAGIC "\n704643329\n 704643330\n", fp);
	fclose(fp);
	assert_int_equal(kroute_new_io(&kr, &cfg,
				       &(struct kroute_io){ f, fk_send, fk_recv }),
			 -EBADMSG);
	assert_null(kr);
	unlink(ledger);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_route_not_in_the_ledger_is_only_ever_created),
		cmocka_unit_test(test_a_failed_create_leaves_nothing_to_replace_or_delete),
		cmocka_unit_test(test_a_delete_waits_for_the_answer_to_its_create),
		cmocka_unit_test(test_removing_what_the_ledger_does_not_hold_is_unknown),
		cmocka_unit_test(test_an_unchanged_route_is_not_written_again),
		cmocka_unit_test(test_a_route_being_deleted_and_wanted_again_is_replaced),
		cmocka_unit_test(test_deletes_that_find_nothing_did_what_was_wanted),
		cmocka_unit_test(test_a_sweep_takes_stale_entries_or_all),
		cmocka_unit_test(test_a_create_meeting_a_foreign_route_is_refused),
		cmocka_unit_test(test_a_refused_prefix_is_never_written_only_remembered),
		cmocka_unit_test(test_a_refused_prefix_is_tried_when_the_foreign_route_goes),
		cmocka_unit_test(test_a_route_of_ours_replaced_by_someone_else_is_theirs),
		cmocka_unit_test(test_a_route_is_ours_only_by_protocol_and_object),
		cmocka_unit_test(test_an_object_the_kernel_dropped_is_made_again_once),
		cmocka_unit_test(test_only_objects_the_ledger_recorded_are_adopted),
		cmocka_unit_test(test_only_our_routes_through_our_objects_are_adopted),
		cmocka_unit_test(test_an_adopted_route_installed_again_is_confirmed),
		cmocka_unit_test(test_ids_the_kernel_no_longer_has_are_forgotten),
		cmocka_unit_test(test_the_id_set_holds_each_id_once),
		cmocka_unit_test(test_a_ledger_line_is_a_decimal_id_and_nothing_else),
		cmocka_unit_test(test_ids_stay_in_our_protocols_range),
		cmocka_unit_test(test_aip_an_allowed_ip_we_did_not_install_is_never_touched),
		cmocka_unit_test(test_aip_a_move_between_peers_is_one_add),
		cmocka_unit_test(test_aip_an_adopted_prefix_waits_for_the_grace_period),
		cmocka_unit_test(test_aip_a_winner_missing_from_the_device_withdraws_ours),
		cmocka_unit_test_setup_teardown(test_kernel_a_foreign_route_is_never_replaced_or_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_adoption_reads_the_ledger_file_and_no_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_a_damaged_ledger_line_adopts_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
