/* SPDX-License-Identifier: MIT */
/*
 * daemon/cfgparse.h — the parser's internals shared by config.c (the
 * directives) and cfgvalue.c (words and values): one line's parse state
 * and the value readers that report "FILE:LINE: message".
 */
#ifndef WGB_DAEMON_CFGPARSE_H
#define WGB_DAEMON_CFGPARSE_H

#include "daemon/config.h"

#define CFG_MAX_WORDS 64
#define CFG_LINE_MAX 4096

struct cfg_words {
	char buf[CFG_LINE_MAX];
	char *w[CFG_MAX_WORDS];
	size_t n;
};

/* The parse state of one line: where errors go and which word is next. */
struct cfg_line {
	struct cfg *c;
	struct cfg_words *words;
	size_t i;
	unsigned lineno;
	char *err;
	size_t errlen;
};

int cfg_fail(struct cfg_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *cfg_next(struct cfg_line *l);
/* The value after keyword KW, or an error naming KW. */
int cfg_value(struct cfg_line *l, const char *kw, const char **out);
int cfg_split(const char *line, struct cfg_words *w, char *err,
	      size_t errlen);
int cfg_uint(struct cfg_line *l, const char *kw, const char *s,
	     unsigned long min, unsigned long max, unsigned long *out);
int cfg_seconds(struct cfg_line *l, const char *kw, const char *s,
		uint32_t min_ms, uint32_t max_ms, uint32_t *out);
int cfg_bool(struct cfg_line *l, const char *kw, bool *out);
int cfg_prefix(struct cfg_line *l, const char *kw, const char *s,
	       struct babel_prefix *p);
int cfg_metric(struct cfg_line *l, const char *kw, uint16_t *out);
int cfg_ifname(struct cfg_line *l, const char *kw, const char *s, char *out);
/* "prefix P", "le N", "ge N" at the current word; 1 if consumed. */
int cfg_match_word(struct cfg_line *l, const char *w,
		   struct cfg_prefix_match *m);
int cfg_match_check(struct cfg_line *l, struct cfg_prefix_match *m);
/* Appends a zeroed element to a growable array; NULL on ENOMEM. */
void *cfg_push(void **arr, size_t *n, size_t size);
int cfg_path(struct cfg_line *l, const char *kw, char *out, size_t outlen);

/* cfgcheck.c: the health-check and drain options of "announce". */
void cfg_announce_defaults(struct cfg_announce *a);
/* 1 if W (with its values) was one of them; SET collects which. */
int cfg_announce_word(struct cfg_line *l, const char *w,
		      struct cfg_announce *a, unsigned *set);
int cfg_announce_finish(struct cfg_line *l, struct cfg_announce *a,
			unsigned set);

#endif
