/* SPDX-License-Identifier: MIT */
/* daemon/log.c — see log.h. */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

void d_log_open(struct d_log *l, bool use_syslog)
{
	l->use_syslog = use_syslog;
	if (use_syslog)
		openlog("wgbabeld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void d_log_close(struct d_log *l)
{
	if (l->use_syslog)
		closelog();
}

void d_logf(const struct d_log *l, enum cfg_log_level lvl, const char *fmt, ...)
{
	static const int prio[] = {
		[CFG_LOG_ERROR] = LOG_ERR, [CFG_LOG_WARNING] = LOG_WARNING,
		[CFG_LOG_INFO] = LOG_INFO, [CFG_LOG_DEBUG] = LOG_DEBUG,
	};
	static const char *const tag[] = {
		[CFG_LOG_ERROR] = "error: ", [CFG_LOG_WARNING] = "warning: ",
		[CFG_LOG_INFO] = "", [CFG_LOG_DEBUG] = "debug: ",
	};
	char msg[1024];
	va_list ap;

	if (lvl > l->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->use_syslog) {
		syslog(prio[lvl], "%s", msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld wgbabeld: %s%s\n", when,
			ts.tv_nsec / 1000000, tag[lvl], msg);
	}
}
