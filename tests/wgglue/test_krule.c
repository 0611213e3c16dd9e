/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/test_krule.c — the egress table's policy rules and the
 * fwmark records (wgglue/krule.h) over the fake kernel: made once, owned,
 * adopted after a crash, never a rule of someone else's deleted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/wgglue/fake_kernel.h"
#include "wgglue/krule.h"

#define TABLE 6696
#define MARK 6696

static const struct krule_spec suppress4 = {
	.family = AF_INET, .priority = 32000, .table = 254,
	.suppress_default = true,
};
static const struct krule_spec egress4 = {
	.family = AF_INET, .priority = 32001, .table = TABLE, .fwmark = MARK,
	.invert = true,
};
static const struct krule_spec egress6 = {
	.family = AF_INET6, .priority = 32001, .table = TABLE, .fwmark = MARK,
	.invert = true,
};

struct kx {
	struct fake *k;
	char ledger[64];
	struct krule_config cfg;
};

static int setup(void **state)
{
	struct kx *x = calloc(1, sizeof(*x));
	int fd;

	assert_non_null(x);
	assert_non_null(x->k = calloc(1, sizeof(*x->k)));
	snprintf(x->ledger, sizeof(x->ledger), "/tmp/wgb-krule-XXXXXX");
	assert_true((fd = mkstemp(x->ledger)) >= 0);
	close(fd);
	unlink(x->ledger);	/* a first start: no ledger yet */
	x->cfg.ledger_path = x->ledger;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct kx *x = *state;

	unlink(x->ledger);
	fk_free(x->k);
	free(x);
	return 0;
}

static struct krule *start(struct kx *x, size_t *adopted)
{
	struct krule *kr = fk_krule(x->k, &x->cfg);
	size_t n;

	assert_int_equal(krule_adopt(kr, adopted ? adopted : &n), 0);
	return kr;
}

static void test_rules_are_made_once_with_our_protocol(void **state)
{
	struct kx *x = *state;
	struct krule *kr = start(x, NULL);

	assert_int_equal(krule_add(kr, &suppress4), 0);
	assert_int_equal(krule_add(kr, &egress4), 0);
	assert_int_equal(krule_add(kr, &egress6), 0);
	assert_int_equal(krule_add(kr, &egress4), 0);	/* ours already */
	assert_int_equal(x->k->new_rule, 3);
	assert_int_equal(fk_rule_count(x->k, &egress4, KROUTE_PROTO_BABEL), 1);
	assert_int_equal(fk_rule_count(x->k, &suppress4, KROUTE_PROTO_BABEL), 1);
	assert_int_equal(krule_count(kr), 3);
	assert_int_equal(krule_flush(kr), 0);
	assert_int_equal(x->k->n_rules, 0);
	assert_int_equal(krule_count(kr), 0);
	krule_free(kr);
}

static void test_a_restart_after_a_crash_adopts_instead_of_duplicating(void **state)
{
	struct kx *x = *state;
	struct krule *kr = start(x, NULL);
	uint32_t mark, prev;
	size_t adopted;

	assert_int_equal(krule_add(kr, &suppress4), 0);
	assert_int_equal(krule_add(kr, &egress4), 0);
	assert_int_equal(krule_mark_note(kr, "wg0", MARK, 0), 0);
	krule_free(kr);		/* a crash: nothing deleted */
	kr = start(x, &adopted);
	assert_int_equal(adopted, 2);
	assert_true(krule_owned(kr, &egress4));
	assert_true(krule_mark_find(kr, "wg0", &mark, &prev));
	assert_int_equal(mark, MARK);
	assert_int_equal(prev, 0);
	assert_int_equal(krule_add(kr, &egress4), 0);
	assert_int_equal(x->k->new_rule, 2);		/* not made again */
	assert_int_equal(fk_rule_count(x->k, &egress4, KROUTE_PROTO_BABEL), 1);
	/* and removed at exit like the rules it made itself */
	assert_int_equal(krule_flush(kr), 0);
	assert_int_equal(x->k->n_rules, 0);
	krule_mark_forget(kr, "wg0");
	krule_free(kr);
	kr = start(x, &adopted);
	assert_int_equal(adopted, 0);
	assert_false(krule_mark_find(kr, "wg0", &mark, &prev));
	krule_free(kr);
}

static void test_an_identical_rule_of_someone_else_is_used_and_never_deleted(void **state)
{
	struct kx *x = *state;
	struct krule *kr = start(x, NULL);

	fk_rule_foreign(x->k, &egress4, 0);	/* `ip rule add ...` */
	assert_int_equal(krule_add(kr, &egress4), -EEXIST);
	assert_false(krule_owned(kr, &egress4));
	assert_int_equal(krule_flush(kr), 0);
	assert_int_equal(x->k->del_rule, 0);
	assert_int_equal(fk_rule_count(x->k, &egress4, 0), 1);
	krule_free(kr);
	/* Not in the ledger either: a restart does not take it. */
	kr = start(x, NULL);
	assert_int_equal(krule_count(kr), 0);
	krule_free(kr);
}

static void test_a_listed_rule_that_is_gone_or_not_ours_is_not_adopted(void **state)
{
	struct kx *x = *state;
	struct krule *kr = start(x, NULL);
	size_t adopted;

	assert_int_equal(krule_add(kr, &egress4), 0);
	assert_int_equal(krule_add(kr, &egress6), 0);
	krule_free(kr);
	/* While we were down the operator deleted one, and the other was
	 * replaced by an identical rule of another protocol. */
	x->k->n_rules = 0;
	fk_rule_foreign(x->k, &egress6, 4);
	kr = start(x, &adopted);
	assert_int_equal(adopted, 0);
	assert_int_equal(krule_flush(kr), 0);
	assert_int_equal(fk_rule_count(x->k, &egress6, 4), 1);
	krule_free(kr);
}

static void test_a_damaged_ledger_is_refused(void **state)
{
	struct kx *x = *state;
	struct krule *kr = fk_krule(x->k, &x->cfg);
	FILE *f = fopen(x->ledger, "w");
	size_t adopted = 99;

	assert_non_null(f);
	fputs("wgbabeld-rules 1\nrule 2 1 2 3 zero 0\n", f);
	fclose(f);
	assert_int_equal(krule_adopt(kr, &adopted), -EBADMSG);
	assert_int_equal(adopted, 0);
	assert_int_equal(krule_count(kr), 0);
	krule_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_rules_are_made_once_with_our_protocol),
		T(test_a_restart_after_a_crash_adopts_instead_of_duplicating),
		T(test_an_identical_rule_of_someone_else_is_used_and_never_deleted),
		T(test_a_listed_rule_that_is_gone_or_not_ours_is_not_adopted),
		T(test_a_damaged_ledger_is_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
