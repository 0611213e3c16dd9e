/* SPDX-License-Identifier: MIT */
/*
 * daemon/log.h — wgbabeld's logging: to stderr (with a level prefix, or a
 * "<N>" priority when stderr is the journal's stream) or to syslog, filtered
 * by level. The state is a plain struct the caller owns.
 */
#ifndef WGB_DAEMON_LOG_H
#define WGB_DAEMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"

struct d_log {
	enum cfg_log_level level;
	bool use_syslog;
	bool journal;			/* stderr is $JOURNAL_STREAM: "<N>" */
	bool level_forced;		/* -d on the command line wins over config */
};

void d_log_open(struct d_log *l, bool use_syslog);
void d_log_close(struct d_log *l);
void d_logf(const struct d_log *l, enum cfg_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * At most MAX warnings of one kind a minute: a burst of thousands (routes
 * the kernel refuses, allowed IPs refused) would bury everything else.
 * Lines past MAX are counted, and the count is logged as "N more WHAT in
 * the last minute were not logged (HINT)" at the next call after the
 * minute. Returns whether this one may be logged. NOW in µs.
 */
struct d_lograte {
	uint64_t start;
	unsigned n, quiet;
};
bool d_lograte_take(const struct d_log *l, struct d_lograte *r, uint64_t now,
		    unsigned max, const char *what, const char *hint);

#define LOG_E(d, ...) d_logf(&(d)->log, CFG_LOG_ERROR, __VA_ARGS__)
#define LOG_W(d, ...) d_logf(&(d)->log, CFG_LOG_WARNING, __VA_ARGS__)
/* Info and debug lines check the level before their arguments are
 * evaluated: a per-route debug line (fib.c) formats a prefix for nothing
 * otherwise, 100,000 times when a large table is withdrawn. */
#define LOG_I(d, ...) do { if ((d)->log.level >= CFG_LOG_INFO) \
	d_logf(&(d)->log, CFG_LOG_INFO, __VA_ARGS__); } while (0)
#define LOG_D(d, ...) do { if ((d)->log.level >= CFG_LOG_DEBUG) \
	d_logf(&(d)->log, CFG_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
