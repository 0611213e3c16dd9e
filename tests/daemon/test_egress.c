/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/test_egress.c — daemon/egress.c over the fake rtnetlink
 * kernel (tests/wgglue/fake_kernel.c): the first egress route of a family
 * makes that family's two rules and marks the WireGuard devices that have
 * no fwmark, once; a device with someone else's mark is left alone and
 * its egress refused (said once); the end removes our rules and puts our
 * marks back, but not a mark someone changed since, nor a rule like ours
 * that someone else made. The WireGuard backend, the forwarding plane and
 * the log are stand-ins that record what egress.c asked of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "tests/wgglue/fake_kernel.h"

#include <sys/socket.h>
#include <linux/rtnetlink.h>

/* ------------------------------------------------------- stand-ins */

static char log_text[8192];

void d_logf(const struct d_log *l, enum cfg_log_level lvl, const char *fmt,
	    ...)
{
	size_t n = strlen(log_text);
	va_list ap;

	(void)l;
	(void)lvl;
	va_start(ap, fmt);
	if (n < sizeof(log_text) - 1) {
		vsnprintf(log_text + n, sizeof(log_text) - n, fmt, ap);
		n = strlen(log_text);
		if (n < sizeof(log_text) - 1)
			strcat(log_text, "\n");
	}
	va_end(ap);
}

static size_t log_count(const char *needle)
{
	size_t n = 0;

	for (const char *p = log_text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

const char *fib_refused_hint(const struct daemon *d,
			     const struct wg_prefix *dst, int err,
			     char *buf, size_t len)
{
	(void)d;
	(void)dst;
	(void)err;
	(void)len;
	buf[0] = '\0';
	return buf;
}

/* fwd_iface_egress's last verdict per ifindex; fwd_egress_count's answer */
static int egress_ok[8];
static size_t egress_count;

int fwd_iface_egress(struct fwd *f, unsigned ifindex, bool ok)
{
	(void)f;
	assert_true(ifindex < 8);
	egress_ok[ifindex] = ok ? 1 : 0;
	return 0;
}

size_t fwd_egress_count(const struct fwd *f)
{
	(void)f;
	return egress_count;
}

/* The fwmarks egress asked to be written, in order (iface_mark_write);
 * each is pending until marks_written() gives the writer's result. */
static struct {
	char ifname[16];
	uint32_t mark;
} marks[16];
static size_t n_marks;
static struct d_iface *mark_ifc[16];
static size_t n_mark_done;

void iface_mark_write(struct daemon *d, struct d_iface *ifc, uint32_t mark)
{
	assert_true(n_marks < 16);
	snprintf(marks[n_marks].ifname, sizeof(marks[n_marks].ifname), "%s",
		 ifc->name);
	mark_ifc[n_marks] = ifc;
	marks[n_marks++].mark = mark;
	ifc->mark_want = mark;
	ifc->mark_pending = true;
	if (d->stopping)	/* written at once, as iface.c does then */
		while (n_mark_done < n_marks) {
			ifc = mark_ifc[n_mark_done];
			ifc->mark_pending = false;
			egress_mark_done(d, ifc, marks[n_mark_done++].mark, 0);
		}
}

/* The writer's result R for every mark asked for so far; then what the
 * daemon does after a write: the kernel routes. */
static void marks_written(struct daemon *d, int r)
{
	while (n_mark_done < n_marks) {
		struct d_iface *ifc = mark_ifc[n_mark_done];

		ifc->mark_pending = false;
		egress_mark_done(d, ifc, marks[n_mark_done++].mark, r);
	}
	egress_commit(d);
}

/* ------------------------------------------------------- fixture */

struct ex {
	struct fake *k;
	struct daemon *d;
	struct d_iface wg0, eth0;
};

#define TABLE 6696
#define MARK 0x1a28
#define PRIO 32700

static struct krule_spec spec(uint8_t family, int which)
{
	if (!which)
		return (struct krule_spec){ .family = family, .priority = PRIO,
			.table = RT_TABLE_MAIN, .suppress_default = true };
	return (struct krule_spec){ .family = family, .priority = PRIO + 1,
		.table = TABLE, .fwmark = MARK, .invert = true };
}

static size_t rules(struct ex *x, uint8_t family, int which)
{
	struct krule_spec s = spec(family, which);

	return fk_rule_count(x->k, &s, x->d->cfg->route_protocol);
}

static int setup(void **state)
{
	struct ex *x = calloc(1, sizeof(*x));
	struct kroute_config kc;
	struct krule_config rc;
	struct daemon *d;

	assert_non_null(x);
	assert_non_null(x->k = calloc(1, sizeof(*x->k)));
	assert_non_null(d = x->d = calloc(1, sizeof(*d)));
	assert_non_null(d->cfg = cfg_new());
	assert_int_equal(d->cfg->egress_table, TABLE);
	assert_int_equal(d->cfg->egress_fwmark, MARK);
	assert_int_equal(d->cfg->egress_priority, PRIO);
	d->log.level = CFG_LOG_DEBUG;
	memset(&kc, 0, sizeof(kc));
	kc.protocol = d->cfg->route_protocol;
	kc.table = TABLE;
	d->kr_egress = fk_kroute(x->k, &kc);
	memset(&rc, 0, sizeof(rc));
	rc.protocol = d->cfg->route_protocol;
	d->krule = fk_krule(x->k, &rc);
	snprintf(d->rules_ledger, sizeof(d->rules_ledger), "rules-test");
	snprintf(x->wg0.name, sizeof(x->wg0.name), "wg0");
	x->wg0.ifindex = 3;
	x->wg0.params.type = CFG_IFTYPE_WIREGUARD;
	snprintf(x->eth0.name, sizeof(x->eth0.name), "eth0");
	x->eth0.ifindex = 2;
	x->eth0.params.type = CFG_IFTYPE_WIRED;
	d->ifaces[d->n_ifaces++] = &x->eth0;
	d->ifaces[d->n_ifaces++] = &x->wg0;
	log_text[0] = '\0';
	memset(egress_ok, 0xff, sizeof(egress_ok));
	egress_count = 0;
	n_marks = 0;
	n_mark_done = 0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ex *x = *state;

	x->d->stopping = true;
	egress_stop(x->d);
	cfg_free(x->d->cfg);
	free(x->d);
	fk_free(x->k);
	free(x);
	return 0;
}

/* An egress route; a mark it asks for is not written yet */
static void route_set_unwritten(struct ex *x, const char *prefix)
{
	struct wg_prefix p = pfx(prefix);
	struct kroute_nexthop nh = { .ifindex = 3 };

	egress_route_set(x->d, &p, &nh);
	egress_count++;
	egress_commit(x->d);
}

/* An egress route, and the marks it asked for written */
static void route_set(struct ex *x, const char *prefix)
{
	route_set_unwritten(x, prefix);
	marks_written(x->d, 0);
}

/* ------------------------------------------------------- tests */

static void test_no_egress_route_makes_no_rule_and_no_mark(void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 0);
	assert_int_equal(egress_ok[3], 1);
	assert_int_equal(n_marks, 0);
	assert_int_equal(x->k->n_rules, 0);
	assert_false(x->d->egress_active);
}

static void test_first_ipv4_route_makes_ipv4_rules_and_the_mark_once(
	void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	assert_int_equal(n_marks, 1);
	assert_string_equal(marks[0].ifname, "wg0");
	assert_int_equal(marks[0].mark, MARK);
	assert_int_equal(rules(x, AF_INET, 0), 1);
	assert_int_equal(rules(x, AF_INET, 1), 1);
	/* an IPv4-only node gets no IPv6 rule */
	assert_int_equal(rules(x, AF_INET6, 0), 0);
	assert_int_equal(rules(x, AF_INET6, 1), 0);
	/* a second route: nothing made twice */
	route_set(x, "192.0.2.0/24");
	assert_int_equal(n_marks, 1);
	assert_int_equal(rules(x, AF_INET, 1), 1);
	assert_int_equal(x->k->n_rules, 2);
	assert_int_equal(log_count("fwmark 0x1a28 set (egress)"), 1);
	/* the device read back with our mark: egress through it works */
	egress_device_read(x->d, &x->wg0, MARK);
	assert_int_equal(egress_ok[3], 1);
	assert_int_equal(n_marks, 1);
}

static void test_ipv6_rules_come_with_the_first_ipv6_route(void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	route_set(x, "::/0");
	assert_int_equal(rules(x, AF_INET6, 0), 1);
	assert_int_equal(rules(x, AF_INET6, 1), 1);
	assert_int_equal(x->k->n_rules, 4);
	assert_int_equal(n_marks, 1);	/* the mark is per device */
}

static void test_foreign_fwmark_is_left_alone_and_refuses_egress(
	void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 51820);
	assert_int_equal(egress_ok[3], 0);
	route_set(x, "0.0.0.0/0");
	egress_device_read(x->d, &x->wg0, 51820);
	assert_int_equal(egress_ok[3], 0);
	assert_int_equal(n_marks, 0);
	assert_int_equal(log_count("has fwmark 0xca6c"), 1);	/* once */
	assert_int_equal(log_count("set egress-fwmark 0xca6c"), 1);
	/* the operator clears it: ours goes on, egress works */
	egress_device_read(x->d, &x->wg0, 0);
	assert_int_equal(egress_ok[3], 1);
	assert_int_equal(n_marks, 1);
	assert_int_equal(marks[0].mark, MARK);
}

static void test_stop_removes_our_rules_and_puts_the_mark_back(void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	route_set(x, "::/0");
	assert_int_equal(x->k->n_rules, 4);
	x->d->stopping = true;
	egress_stop(x->d);
	assert_int_equal(x->k->n_rules, 0);
	assert_int_equal(n_marks, 2);
	assert_string_equal(marks[1].ifname, "wg0");
	assert_int_equal(marks[1].mark, 0);
	assert_null(x->d->krule);
}

static void test_a_mark_changed_since_is_not_put_back(void **state)
{
	struct ex *x = *state;

	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	/* someone set another mark after ours: theirs now */
	egress_device_read(x->d, &x->wg0, 0x99);
	assert_int_equal(egress_ok[3], 0);
	x->d->stopping = true;
	egress_stop(x->d);
	assert_int_equal(n_marks, 1);	/* only ours, at activation */
	assert_int_equal(x->k->n_rules, 0);
}

static void test_a_rule_like_ours_made_by_another_is_used_and_kept(
	void **state)
{
	struct ex *x = *state;
	struct krule_spec s = spec(AF_INET, 1);

	fk_rule_foreign(x->k, &s, RTPROT_STATIC);
	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	assert_int_equal(log_count("wgbabeld did not make: used as it is"), 1);
	x->d->stopping = true;
	egress_stop(x->d);
	assert_int_equal(fk_rule_count(x->k, &s, RTPROT_STATIC), 1);
	assert_int_equal(x->k->n_rules, 1);
}

static void test_last_egress_route_gone_takes_rules_and_mark_down(
	void **state)
{
	struct ex *x = *state;
	struct wg_prefix p = pfx("0.0.0.0/0");

	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	/* still one egress route: nothing goes */
	egress_grace_over(x->d);
	assert_int_equal(x->k->n_rules, 2);
	egress_route_unset(x->d, &p);
	egress_count--;
	egress_commit(x->d);
	egress_grace_over(x->d);
	assert_int_equal(x->k->n_rules, 0);
	assert_false(x->d->egress_active);
	assert_int_equal(n_marks, 2);
	assert_int_equal(marks[1].mark, 0);
	/* and a new egress route makes them again, even before the mark
	 * was put back: ours is written after that */
	route_set(x, "0.0.0.0/0");
	assert_int_equal(x->k->n_rules, 2);
	assert_int_equal(n_marks, 3);
	assert_int_equal(marks[2].mark, MARK);
	assert_int_equal(x->wg0.fwmark, MARK);
}

static void test_egress_routes_wait_for_the_mark(void **state)
{
	struct ex *x = *state;
	struct wg_prefix p = pfx("0.0.0.0/0");

	egress_device_read(x->d, &x->wg0, 0);
	route_set_unwritten(x, "0.0.0.0/0");
	assert_int_equal(n_marks, 1);
	assert_true(x->wg0.mark_pending);
	/* WireGuard's own packets do not carry the mark yet */
	assert_null(fk_route_find(x->k, &p));
	assert_int_equal(log_count("fwmark 0x1a28 set (egress)"), 0);
	/* a read that began before the write shows no mark: nothing is
	 * forgotten, nothing asked twice */
	egress_device_read(x->d, &x->wg0, 0);
	assert_int_equal(n_marks, 1);
	assert_int_equal(egress_ok[3], 1);
	marks_written(x->d, 0);
	assert_non_null(fk_route_find(x->k, &p));
	assert_int_equal(log_count("fwmark 0x1a28 set (egress)"), 1);
	assert_int_equal(x->wg0.fwmark, MARK);
}

static void test_a_mark_not_written_refuses_egress_until_it_is(void **state)
{
	struct ex *x = *state;
	uint32_t mark, prev;

	egress_device_read(x->d, &x->wg0, 0);
	route_set_unwritten(x, "0.0.0.0/0");
	marks_written(x->d, -ETIMEDOUT);
	assert_int_equal(egress_ok[3], 0);
	assert_int_equal(log_count("cannot set the fwmark 0x1a28"), 1);
	assert_false(krule_mark_find(x->d->krule, "wg0", &mark, &prev));
	/* the device answers again: asked again, egress through it again */
	egress_device_read(x->d, &x->wg0, 0);
	assert_int_equal(n_marks, 2);
	assert_int_equal(egress_ok[3], 1);
	assert_true(krule_mark_find(x->d->krule, "wg0", &mark, &prev));
	marks_written(x->d, 0);
	assert_int_equal(log_count("fwmark 0x1a28 set (egress)"), 1);
}

static void test_egress_table_off_makes_nothing(void **state)
{
	struct ex *x = *state;

	/* egress-table off: egress_start opens neither (no kroute, no krule) */
	kroute_free(x->d->kr_egress);
	x->d->kr_egress = NULL;
	krule_free(x->d->krule);
	x->d->krule = NULL;
	egress_device_read(x->d, &x->wg0, 0);
	route_set(x, "0.0.0.0/0");
	assert_int_equal(x->k->n_rules, 0);
	assert_int_equal(n_marks, 0);
	assert_int_equal(egress_ok[3], -1);	/* not consulted */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_no_egress_route_makes_no_rule_and_no_mark),
		T(test_first_ipv4_route_makes_ipv4_rules_and_the_mark_once),
		T(test_ipv6_rules_come_with_the_first_ipv6_route),
		T(test_foreign_fwmark_is_left_alone_and_refuses_egress),
		T(test_stop_removes_our_rules_and_puts_the_mark_back),
		T(test_a_mark_changed_since_is_not_put_back),
		T(test_a_rule_like_ours_made_by_another_is_used_and_kept),
		T(test_last_egress_route_gone_takes_rules_and_mark_down),
		T(test_egress_table_off_makes_nothing),
		T(test_egress_routes_wait_for_the_mark),
		T(test_a_mark_not_written_refuses_egress_until_it_is),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
