/* SPDX-License-Identifier: MIT */
/* daemon/log.c — see log.h. */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/*
 * Is standard error the journal's stream? systemd sets $JOURNAL_STREAM to
 * "DEVICE:INODE" of the stream it connected (systemd.exec(5)); comparing it
 * with stderr tells a redirection by the caller (2>file) from the journal.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!js || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    js[end] != '\0' || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void d_log_open(struct d_log *l, bool use_syslog)
{
	l->use_syslog = use_syslog;
	l->journal = !use_syslog && stderr_is_journal();
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
	} else if (l->journal) {
		/* "<N>" is sd-daemon.h's SD_ERR ... SD_DEBUG: the journal
		 * takes it as the line's priority and stamps the time. */
		fprintf(stderr, "<%d>%s\n", prio[lvl], msg);
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

bool d_lograte_take(const struct d_log *l, struct d_lograte *r, uint64_t now,
		    unsigned max, const char *what, const char *hint)
{
	if (now - r->start > 60 * 1000000ull) {
		if (r->quiet)
			d_logf(l, CFG_LOG_WARNING, "%u more %s in the last minute "
			       "were not logged (%s)", r->quiet, what, hint);
		r->start = now;
		r->n = 0;
		r->quiet = 0;
	}
	if (r->n >= max) {
		r->quiet++;
		return false;
	}
	r->n++;
	return true;
}
