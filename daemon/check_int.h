/* SPDX-License-Identifier: MIT */
/*
 * daemon/check_int.h — what check.c (state, drain, hooks, lifecycle) and
 * check_probe.c (the probes: ICMP, TCP, HTTP, commands) share: one struct
 * check per checked, drained or hooked prefix.
 */
#ifndef WGB_DAEMON_CHECK_INT_H
#define WGB_DAEMON_CHECK_INT_H

#include <uv.h>

#include "daemon/check.h"

#define CHECK_RESULT_MAX 160
#define CHECK_HTTP_MAX 512	/* what is read of a response */

struct check {
	struct daemon *d;
	struct check *next;
	struct babel_prefix prefix;	/* orig_key form */
	struct cfg_announce cfg;	/* check kind NONE: drain only */
	struct check_sm sm;

	/* the last result */
	char last[CHECK_RESULT_MAX];
	bool last_ok;
	uint64_t last_us;		/* when it came */
	uint32_t last_ms;		/* how long the probe took */

	/* drain: "wgbabelctl drain" or the drain file */
	bool drain_ctl, drain_file;
	enum check_drain drain;
	uint64_t drain_since_us;

	uv_timer_t timer;		/* the next probe */
	uv_timer_t deadline;		/* the running probe's timeout */
	uv_timer_t drain_timer;		/* end of the raised-metric phase */
	uv_fs_poll_t file_poll;		/* the drain file */
	bool file_polling;

	/* the probe in flight */
	bool running;
	uint64_t start_us;
	uint16_t seq;
	uint16_t icmp_id;
	bool icmp_raw;
	int icmp_fd;
	uv_poll_t icmp_poll;
	bool icmp_open;
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wreq;
	bool tcp_open;
	char req[CFG_CHECK_PATH_MAX + CFG_CHECK_HOST_MAX + 128];
	char resp[CHECK_HTTP_MAX];
	size_t resp_len;
	uv_process_t proc;
	bool proc_open;			/* until its exit callback */
	bool sched_on_exit;		/* next probe once the killed one exited */

	/* "on-change": one command at a time; a change while it runs is
	 * run after it (the latest one only) */
	uv_process_t hook;
	bool hook_open;
	uv_timer_t hook_timer;		/* kills a hook that hangs */
	char hook_next[16];		/* the event waiting, "" = none */

	unsigned handles;		/* initialised, not yet closed */
	bool dying;
};

/* check.c */
/* Closes a handle of CK; CK is freed when it dies and none is left. */
void check_close(struct check *ck, uv_handle_t *h);
/* The running probe's result: recorded, fed to the state machine, the
 * next probe scheduled. Nothing when no probe runs (a late callback). */
void check_probe_done(struct check *ck, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Starts the timer of the next probe (after a killed command's exit). */
void check_schedule(struct check *ck);

/* check_probe.c: each starts a probe, which ends in check_probe_done */
void check_probe_icmp(struct check *ck);
void check_probe_tcp(struct check *ck);		/* tcp and http */
void check_probe_exec(struct check *ck);
/* Closes the running probe's sockets. */
void check_probe_end_io(struct check *ck);
/* SIGKILL to a running command's process group. */
void check_proc_kill(struct check *ck);
/* /bin/sh -c CMD with EXTRA (NULL-terminated "NAME=value") added to our
 * environment; P is counted in CK's handles, even when it failed. */
int check_spawn(struct check *ck, uv_process_t *p, const char *cmd,
		char *const *extra, uv_exit_cb cb);

#endif
