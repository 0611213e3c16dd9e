/* SPDX-License-Identifier: MIT */
/*
 * daemon/check.c — health-checked announcements and drain: runs the probes
 * of "announce ... check" lines on the loop, feeds their results to the
 * state machine (check_sm.c), and has originate.c re-announce a prefix
 * when its check state or its drain changes.
 *
 * Nothing here blocks the loop: the probes (check_probe.c) are
 * non-blocking sockets watched by libuv or child processes; every probe
 * has a deadline timer, and a command still running at its deadline is
 * killed with its process group. Probes are bound to the uplink ("bind
 * IFNAME": SO_BINDTODEVICE, "fwmark N": SO_MARK): an exit that withdrew
 * its prefix learns the other exit's route, and a probe that followed that
 * route would succeed and bring the prefix back, to flap.
 *
 * Also here: the drain (raised metric, then withdrawal), "on-change"
 * commands, and "show checks".
 */
#include "daemon/check_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/daemon.h"

static void check_free_maybe(struct check *ck)
{
	if (ck->dying && ck->handles == 0)
		free(ck);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct check *ck = h->data;

	ck->handles--;
	check_free_maybe(ck);
}

void check_close(struct check *ck, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

/* The form of the originated table's keys (originate.c). */
static void check_key(const struct babel_prefix *p, struct babel_prefix *k)
{
	memset(k, 0, sizeof(*k));
	k->af = p->af;
	k->plen = p->plen;
	memcpy(k->addr, p->addr, p->af == BABEL_AF_INET ? 4 : 16);
}

static struct check *check_find(struct daemon *d, const struct babel_prefix *k)
{
	for (struct check *ck = d->checks; ck; ck = ck->next)
		if (cfg_prefix_equal(&ck->prefix, k))
			return ck;
	return NULL;
}

bool check_gate_for(struct daemon *d, const struct babel_prefix *k,
		    uint16_t metric, uint16_t *out)
{
	const struct check *ck = check_find(d, k);

	if (!ck) {
		*out = metric;
		return true;
	}
	return check_gate(metric, &ck->cfg.check, ck->sm.state, ck->drain, out);
}

/* "none" for a prefix that only drains or runs a command */
static const char *check_ck_state(const struct check *ck)
{
	return ck->cfg.check.kind == CFG_CHECK_NONE ? "none" :
	       check_state_name(ck->sm.state);
}

static const char *check_drain_name(enum check_drain s)
{
	return s == CHECK_DRAINING ? "draining" : s == CHECK_DRAINED ?
	       "drained" : "no";
}

/* "icmp 192.0.2.1", "tcp [2001:db8::1]:80", "http http://...", "exec CMD" */
static void check_target_str(const struct cfg_check *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (c->kind == CFG_CHECK_NONE) {
		snprintf(buf, len, "none");
		return;
	}
	d_addr_str(&c->addr, a, sizeof(a));
	switch (c->kind) {
	case CFG_CHECK_ICMP:
		snprintf(buf, len, "icmp %s", a);
		break;
	case CFG_CHECK_TCP:
		snprintf(buf, len, c->addr.af == BABEL_AF_INET6 ? "tcp [%s]:%u" :
			 "tcp %s:%u", a, c->port);
		break;
	case CFG_CHECK_HTTP:
		snprintf(buf, len, "http http://%s%s", c->host, c->path);
		break;
	default:
		snprintf(buf, len, "exec %s", c->cmd);
		break;
	}
}

static void hook_run(struct check *ck, const char *event);

/* A change for the log, for monitors and for "on-change": one line. */
static void check_event(struct check *ck, const char *what)
{
	struct daemon *d = ck->d;
	char pf[64], tg[CFG_CHECK_CMD_MAX + 16], line[1536];

	cfg_prefix_str(&ck->prefix, pf, sizeof(pf));
	check_target_str(&ck->cfg.check, tg, sizeof(tg));
	snprintf(line, sizeof(line), "%s %s: state %s drain %s last %s (%s)",
		 pf, what, check_ck_state(ck), check_drain_name(ck->drain), ck->last[0] ? (ck->last_ok ?
		 "ok" : "fail") : "none", ck->last[0] ? ck->last : tg);
	LOG_I(d, "check %s", line);
	if (ctl_monitor_count(d)) {
		struct ctl_ev e;
		char text[1600], tl[1601];

		snprintf(text, sizeof(text), "change check %s", line);
		snprintf(tl, sizeof(tl), "%s\n", text);
		ctl_ev_begin(&e, "change", "check");
		ctl_ev_str(&e, "prefix", pf);
		ctl_ev_str(&e, "what", what);
		ctl_ev_str(&e, "state", check_ck_state(ck));
		ctl_ev_str(&e, "drain", check_drain_name(ck->drain));
		ctl_ev_str(&e, "last", ck->last[0] ? (ck->last_ok ? "ok" :
			   "fail") : "none");
		ctl_ev_str(&e, "detail", ck->last[0] ? ck->last : tg);
		ctl_ev_str(&e, "line", text);
		ctl_ev_send(d, &e, tl);
	}
	hook_run(ck, what);
}

/* ---------------------------------------------------------- results */

static void on_probe_timer(uv_timer_t *t);

void check_schedule(struct check *ck)
{
	uint64_t now = d_now_us(ck->d);
	uint64_t next = check_sm_next_us(&ck->sm, &ck->cfg.check, ck->start_us);

	/* A command killed at its timeout has not exited yet: the next run
	 * waits for that (on_proc_exit), rather than fail as "still
	 * running". */
	if (ck->proc_open) {
		ck->sched_on_exit = true;
		return;
	}
	ck->sched_on_exit = false;
	/* At least 1 ms: a timer due now would run in this same timers
	 * phase, before the last probe's handles have finished closing. */
	uv_timer_start(&ck->timer, on_probe_timer,
		       next > now + 1000 ? (next - now + 999) / 1000 : 1, 0);
}

void check_probe_done(struct check *ck, bool ok, const char *fmt, ...)
{
	uint64_t now = d_now_us(ck->d);
	va_list ap;

	if (!ck->running)
		return;
	ck->running = false;
	uv_timer_stop(&ck->deadline);
	check_probe_end_io(ck);
	va_start(ap, fmt);
	vsnprintf(ck->last, sizeof(ck->last), fmt, ap);
	va_end(ap);
	ck->last_ok = ok;
	ck->last_us = now;
	ck->last_ms = (uint32_t)((now - ck->start_us) / 1000);
	if (check_sm_result(&ck->sm, &ck->cfg.check, ok, now)) {
		check_event(ck, ck->sm.state == CHECK_UP ? "up" : "down");
		orig_regate(ck->d, &ck->prefix);
	} else {
		char pf[64];

		LOG_D(ck->d, "check %s: %s (%s), state %s",
		      cfg_prefix_str(&ck->prefix, pf, sizeof(pf)),
		      ok ? "ok" : "fail", ck->last,
		      check_state_name(ck->sm.state));
	}
	if (!ck->dying)
		check_schedule(ck);
}

/* ------------------------------------------------------------ hooks */

#define CHECK_HOOK_TIMEOUT_MS 10000

static void hook_run(struct check *ck, const char *event);

static void on_hook_exit(uv_process_t *p, int64_t status, int sig)
{
	struct check *ck = p->data;
	char pf[64];

	ck->hook_open = false;
	uv_timer_stop(&ck->hook_timer);
	check_close(ck, (uv_handle_t *)p);
	cfg_prefix_str(&ck->prefix, pf, sizeof(pf));
	if (sig)
		LOG_W(ck->d, "check %s: on-change command killed by signal %d",
		      pf, sig);
	else if (status)
		LOG_W(ck->d, "check %s: on-change command exited with status "
		      "%" PRId64, pf, status);
	if (ck->hook_next[0] && !ck->dying) {
		char ev[sizeof(ck->hook_next)];

		memcpy(ev, ck->hook_next, sizeof(ev));
		ck->hook_next[0] = '\0';
		hook_run(ck, ev);
	}
}

static void on_hook_timer(uv_timer_t *t)
{
	struct check *ck = t->data;

	if (ck->hook_open && ck->hook.pid > 0)
		kill(-ck->hook.pid, SIGKILL);
}

/* "on-change": EVENT (up, down, draining, drained, undrained) with the
 * state in the environment. */
static void hook_run(struct check *ck, const char *event)
{
	char e_prefix[96], e_event[48], e_state[48], e_drain[48];
	char e_result[CHECK_RESULT_MAX + 32], pf[64];
	char *extra[] = { e_prefix, e_event, e_state, e_drain, e_result, NULL };
	int r;

	if (!ck->cfg.on_change[0] || ck->dying)
		return;
	if (ck->hook_open) {
		snprintf(ck->hook_next, sizeof(ck->hook_next), "%s", event);
		return;
	}
	cfg_prefix_str(&ck->prefix, pf, sizeof(pf));
	snprintf(e_prefix, sizeof(e_prefix), "WGB_CHECK_PREFIX=%s", pf);
	snprintf(e_event, sizeof(e_event), "WGB_CHECK_EVENT=%s", event);
	snprintf(e_state, sizeof(e_state), "WGB_CHECK_STATE=%s",
		 check_ck_state(ck));
	snprintf(e_drain, sizeof(e_drain), "WGB_CHECK_DRAIN=%s",
		 check_drain_name(ck->drain));
	snprintf(e_result, sizeof(e_result), "WGB_CHECK_RESULT=%s", ck->last);
	r = check_spawn(ck, &ck->hook, ck->cfg.on_change, extra, on_hook_exit);
	if (r < 0) {
		LOG_W(ck->d, "check %s: cannot run the on-change command: %s",
		      pf, uv_strerror(r));
		return;
	}
	ck->hook_open = true;
	uv_timer_start(&ck->hook_timer, on_hook_timer, CHECK_HOOK_TIMEOUT_MS,
		       0);
}

/* ---------------------------------------------------------- timers */

static void on_deadline(uv_timer_t *t)
{
	struct check *ck = t->data;

	if (ck->cfg.check.kind == CFG_CHECK_EXEC && ck->proc_open) {
		check_proc_kill(ck);
		check_probe_done(ck, false, "exec: timed out after %u ms, killed",
			   ck->cfg.check.timeout_ms);
		return;
	}
	check_probe_done(ck, false, "%s: timed out after %u ms",
		   cfg_check_kind_name(ck->cfg.check.kind),
		   ck->cfg.check.timeout_ms);
}

static void on_probe_timer(uv_timer_t *t)
{
	struct check *ck = t->data;

	if (ck->running || ck->dying)
		return;
	ck->running = true;
	ck->start_us = d_now_us(ck->d);
	uv_timer_start(&ck->deadline, on_deadline, ck->cfg.check.timeout_ms, 0);
	switch (ck->cfg.check.kind) {
	case CFG_CHECK_ICMP:
		check_probe_icmp(ck);
		break;
	case CFG_CHECK_TCP:
	case CFG_CHECK_HTTP:
		check_probe_tcp(ck);
		break;
	case CFG_CHECK_EXEC:
		check_probe_exec(ck);
		break;
	case CFG_CHECK_NONE:
		ck->running = false;
		uv_timer_stop(&ck->deadline);
		break;
	}
}

/* ------------------------------------------------------------ drain */

static void on_drain_timer(uv_timer_t *t)
{
	struct check *ck = t->data;

	if (ck->drain != CHECK_DRAINING)
		return;
	ck->drain = CHECK_DRAINED;
	check_event(ck, "drained");
	orig_regate(ck->d, &ck->prefix);
}

static void check_drain_update(struct check *ck)
{
	bool want = ck->drain_ctl || ck->drain_file;

	if (want && ck->drain == CHECK_UNDRAINED) {
		ck->drain = ck->cfg.drain_delay_ms ? CHECK_DRAINING :
			    CHECK_DRAINED;
		ck->drain_since_us = d_now_us(ck->d);
		if (ck->drain == CHECK_DRAINING)
			uv_timer_start(&ck->drain_timer, on_drain_timer,
				       ck->cfg.drain_delay_ms, 0);
		check_event(ck, ck->drain == CHECK_DRAINING ? "draining" :
			    "drained");
		orig_regate(ck->d, &ck->prefix);
	} else if (!want && ck->drain != CHECK_UNDRAINED) {
		uv_timer_stop(&ck->drain_timer);
		ck->drain = CHECK_UNDRAINED;
		check_event(ck, "undrained");
		orig_regate(ck->d, &ck->prefix);
	}
}

static void on_drain_file(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
			  const uv_stat_t *cur)
{
	struct check *ck = h->data;

	(void)prev;
	(void)cur;
	ck->drain_file = status == 0;
	check_drain_update(ck);
}

static void check_file_start(struct check *ck)
{
	if (!ck->cfg.drain_file[0])
		return;
	/* uv_fs_poll stats on the thread pool; 1 s is its granularity
	 * here, and the first callback comes only on a change, so the
	 * file's presence at start is read now. */
	ck->drain_file = access(ck->cfg.drain_file, F_OK) == 0;
	if (uv_fs_poll_start(&ck->file_poll, on_drain_file, ck->cfg.drain_file,
			     1000) == 0)
		ck->file_polling = true;
}

static void check_file_stop(struct check *ck)
{
	if (ck->file_polling) {
		uv_fs_poll_stop(&ck->file_poll);
		ck->file_polling = false;
	}
}

/* ------------------------------------------------------- lifecycle */

static struct check *check_new(struct daemon *d, const struct babel_prefix *k)
{
	struct check *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return NULL;
	ck->d = d;
	ck->prefix = *k;
	ck->icmp_fd = -1;
	/* An identifier of our own for the raw socket's echo replies. */
	ck->icmp_id = (uint16_t)((uintptr_t)ck >> 4 ^ (uint64_t)getpid());
	check_sm_init(&ck->sm);
	uv_timer_init(d->loop, &ck->timer);
	uv_timer_init(d->loop, &ck->deadline);
	uv_timer_init(d->loop, &ck->drain_timer);
	uv_fs_poll_init(d->loop, &ck->file_poll);
	uv_timer_init(d->loop, &ck->hook_timer);
	ck->timer.data = ck->deadline.data = ck->drain_timer.data = ck;
	ck->file_poll.data = ck->hook_timer.data = ck;
	ck->handles = 5;
	ck->next = d->checks;
	d->checks = ck;
	return ck;
}

/* Stops the probes; the state machine starts again. */
static void check_stop_probes(struct check *ck)
{
	uv_timer_stop(&ck->timer);
	if (ck->running) {
		check_proc_kill(ck);
		ck->running = false;
		uv_timer_stop(&ck->deadline);
		check_probe_end_io(ck);
	}
	check_file_stop(ck);
}

static void check_configure(struct check *ck, const struct cfg_announce *a)
{
	ck->cfg = *a;
	check_sm_init(&ck->sm);
	ck->last[0] = '\0';
	ck->drain_file = false;		/* read again below, if a file */
	if (a->check.kind != CFG_CHECK_NONE) {
		uv_timer_start(&ck->timer, on_probe_timer, 0, 0);
	}
	check_file_start(ck);
}

static void check_destroy(struct daemon *d, struct check *ck)
{
	for (struct check **pp = &d->checks; *pp; pp = &(*pp)->next) {
		if (*pp == ck) {
			*pp = ck->next;
			break;
		}
	}
	check_stop_probes(ck);
	ck->dying = true;
	check_close(ck, (uv_handle_t *)&ck->timer);
	check_close(ck, (uv_handle_t *)&ck->deadline);
	check_close(ck, (uv_handle_t *)&ck->drain_timer);
	check_close(ck, (uv_handle_t *)&ck->file_poll);
	check_close(ck, (uv_handle_t *)&ck->hook_timer);
	if (ck->hook_open && ck->hook.pid > 0)
		kill(-ck->hook.pid, SIGKILL);
	/* A running command keeps its handle until it has exited (killed
	 * above): its exit callback closes it, then the check is freed. */
}

/* A line with a check, a drain file or a command has a struct check. */
static bool ann_managed(const struct cfg_announce *a)
{
	return a->check.kind != CFG_CHECK_NONE || a->drain_file[0] ||
	       a->on_change[0];
}

void check_apply_config(struct daemon *d, const struct cfg *c)
{
	struct check *ck, *next;

	for (ck = d->checks; ck; ck = next) {
		const struct cfg_announce *a = NULL;

		next = ck->next;
		for (size_t i = 0; i < c->n_announces && !a; i++)
			if (cfg_prefix_equal(&c->announces[i].prefix,
					     &ck->prefix))
				a = &c->announces[i];
		if (a && ann_managed(a))
			continue;	/* handled below */
		if (ck->drain_ctl) {
			/* drained on the control socket: stays drained */
			struct cfg_announce none;

			memset(&none, 0, sizeof(none));
			none.prefix = ck->prefix;
			none.drain_delay_ms = a ? a->drain_delay_ms :
					      ck->cfg.drain_delay_ms;
			check_stop_probes(ck);
			ck->drain_file = false;
			check_configure(ck, &none);
			check_drain_update(ck);
		} else {
			struct babel_prefix k = ck->prefix;

			check_destroy(d, ck);
			orig_regate(d, &k);
		}
	}
	for (size_t i = 0; i < c->n_announces; i++) {
		const struct cfg_announce *a = &c->announces[i];
		struct babel_prefix k;

		if (!ann_managed(a))
			continue;
		check_key(&a->prefix, &k);
		ck = check_find(d, &k);
		if (ck && cfg_announce_check_equal(&ck->cfg, a)) {
			ck->cfg.metric = a->metric;	/* state kept */
			ck->cfg.line = a->line;
			continue;
		}
		if (!ck && !(ck = check_new(d, &k))) {
			LOG_E(d, "%s:%u: out of memory for the check",
			      c->source, a->line);
			continue;
		}
		check_stop_probes(ck);
		check_configure(ck, a);
		check_drain_update(ck);
		orig_regate(d, &k);
	}
}

void check_stop(struct daemon *d)
{
	while (d->checks)
		check_destroy(d, d->checks);
}

int check_drain(struct daemon *d, const struct babel_prefix *p, bool on,
		char *err, size_t errlen)
{
	struct babel_prefix key, *k = &key;
	struct check *ck;
	char pf[64];

	check_key(p, k);
	ck = check_find(d, k);

	cfg_prefix_str(k, pf, sizeof(pf));
	if (!wg_hmap_find(&d->originated, k)) {
		snprintf(err, errlen, "%s is not announced by this node", pf);
		return -ENOENT;
	}
	if (!ck && !on)
		return 0;
	if (!ck) {
		struct cfg_announce none;

		memset(&none, 0, sizeof(none));
		none.prefix = *k;
		none.drain_delay_ms = CFG_DRAIN_DELAY_MS;
		for (size_t i = 0; i < d->cfg->n_announces; i++)
			if (cfg_prefix_equal(&d->cfg->announces[i].prefix, k))
				none.drain_delay_ms =
					d->cfg->announces[i].drain_delay_ms;
		if (!(ck = check_new(d, k))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		check_configure(ck, &none);
	}
	ck->drain_ctl = on;
	check_drain_update(ck);
	return 0;
}

/* ------------------------------------------------------------ show */

void check_show(struct daemon *d, struct sbuf *b, bool json)
{
	uint64_t now = d_now_us(d);
	bool first = true;

	if (json)
		sbuf_puts(b, "{\"checks\":[");
	else
		sbuf_printf(b, "%-20s %-5s %-8s %-9s %-8s %s\n", "prefix",
			    "state", "run", "drain", "age", "check: last result");
	for (const struct check *ck = d->checks; ck; ck = ck->next) {
		const struct cfg_check *c = &ck->cfg.check;
		char pf[64], tg[CFG_CHECK_CMD_MAX + 16], age[32], run[16];
		uint16_t m = 0;
		const struct d_orig *o = wg_hmap_find(&d->originated,
						      &ck->prefix);
		bool on = o && o->in_engine;

		cfg_prefix_str(&ck->prefix, pf, sizeof(pf));
		check_target_str(c, tg, sizeof(tg));
		if (o)
			m = o->announced;
		if (ck->last[0])
			snprintf(age, sizeof(age), "%.1fs",
				 (double)(now - ck->last_us) / 1e6);
		else
			snprintf(age, sizeof(age), "-");
		snprintf(run, sizeof(run), "%u/%u", ck->sm.run,
			 ck->sm.state == CHECK_UP ? c->fall : c->rise);
		if (json) {
			sbuf_puts(b, first ? "{" : ",{");
			first = false;
			sbuf_puts(b, "\"prefix\":");
			sbuf_json_str(b, pf);
			sbuf_puts(b, ",\"check\":");
			sbuf_json_str(b, tg);
			sbuf_printf(b, ",\"state\":\"%s\",\"run\":%u,"
				    "\"rise\":%u,\"fall\":%u,\"ok\":%" PRIu64
				    ",\"failed\":%" PRIu64 ",\"drain\":\"%s\","
				    "\"drain_ctl\":%s,\"drain_file\":%s,"
				    "\"announced\":%s",
				    check_ck_state(ck), ck->sm.run,
				    c->rise, c->fall, ck->sm.n_ok, ck->sm.n_fail,
				    check_drain_name(ck->drain),
				    ck->drain_ctl ? "true" : "false",
				    ck->drain_file ? "true" : "false",
				    on ? "true" : "false");
			if (on)
				sbuf_printf(b, ",\"metric\":%u", m);
			if (ck->last[0]) {
				sbuf_printf(b, ",\"last\":{\"ok\":%s,\"age_ms\":"
					    "%" PRIu64 ",\"duration_ms\":%u,"
					    "\"result\":",
					    ck->last_ok ? "true" : "false",
					    (now - ck->last_us) / 1000,
					    ck->last_ms);
				sbuf_json_str(b, ck->last);
				sbuf_puts(b, "}");
			}
			sbuf_puts(b, "}");
		} else {
			char ann[32];

			if (on)
				snprintf(ann, sizeof(ann), "metric %u", m);
			else
				snprintf(ann, sizeof(ann), "withdrawn");
			sbuf_printf(b, "%-20s %-5s %-8s %-9s %-8s %s: %s%s%s "
				    "[%s]\n", pf,
				    c->kind == CFG_CHECK_NONE ? "-" :
				    check_state_name(ck->sm.state), run,
				    check_drain_name(ck->drain), age, tg,
				    ck->last[0] ? (ck->last_ok ? "ok" : "fail") :
				    "none", ck->last[0] ? ", " : "", ck->last,
				    ann);
		}
	}
	if (json)
		sbuf_puts(b, "]}\n");
}

void check_stats(struct daemon *d, uint64_t by_state[3], uint64_t drain[2],
		 uint64_t results[2])
{
	for (const struct check *ck = d->checks; ck; ck = ck->next) {
		if (ck->dying)
			continue;
		if (ck->cfg.check.kind != CFG_CHECK_NONE) {
			by_state[ck->sm.state == CHECK_UP ? 1 :
				 ck->sm.state == CHECK_DOWN ? 2 : 0]++;
			results[0] += ck->sm.n_ok;
			results[1] += ck->sm.n_fail;
		}
		if (ck->drain == CHECK_DRAINING)
			drain[0]++;
		else if (ck->drain == CHECK_DRAINED)
			drain[1]++;
	}
}
