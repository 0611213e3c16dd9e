/* SPDX-License-Identifier: MIT */
/* wgglue/state.c — see state.h. */
#include "wgglue/state.h"
#include "wgglue/hmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "wgbabeld-owned 1"

struct wg_state {
	char *path;
	FILE *f;
	size_t lines;
};

int wg_state_load(const char *path, wg_state_load_fn *fn, void *arg,
		  size_t *line)
{
	struct wg_hmap set;
	char buf[128];
	size_t ln = 0;
	int ret = 0;
	FILE *f = fopen(path, "re");

	if (line)
		*line = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	wg_hmap_init(&set, sizeof(struct wg_prefix), 1);
	while (fgets(buf, sizeof(buf), f)) {
		struct wg_prefix p;
		size_t len = strlen(buf);

		ln++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = 0;
		else if (!feof(f))
			goto bad;
		if (ln == 1) {
			if (strcmp(buf, STATE_MAGIC) != 0)
				goto bad;
			continue;
		}
		if (len < 3 || buf[1] != ' ' || wg_prefix_parse(&p, buf + 2) < 0)
			goto bad;
		if (buf[0] == '+') {
			if (!wg_hmap_get(&set, &p, NULL)) {
				ret = -ENOMEM;
				goto out;
			}
		} else if (buf[0] == '-') {
			wg_hmap_remove(&set, &p);
		} else {
			goto bad;
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		goto out;
	}
	size_t it = 0;
	const void *k;
	while (wg_hmap_next(&set, &it, &k)) {
		ret = fn(arg, k);
		if (ret < 0)
			goto out;
	}
	ret = 0;
	goto out;
bad:
	ret = -EBADMSG;
	if (line)
		*line = ln;
out:
	wg_hmap_free(&set);
	fclose(f);
	return ret;
}

int wg_state_open(struct wg_state **out, const char *path)
{
	struct wg_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->path = strdup(path);
	if (!st->path) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

void wg_state_close(struct wg_state *st)
{
	if (!st)
		return;
	if (st->f)
		fclose(st->f);
	free(st->path);
	free(st);
}

int wg_state_append(struct wg_state *st, char op, const struct wg_prefix *p)
{
	char buf[WG_PREFIX_STRLEN];

	if (!st->f) {
		st->f = fopen(st->path, "ae");
		if (!st->f)
			return -errno;
		if (ftell(st->f) == 0) {
			fputs(STATE_MAGIC "\n", st->f);
			st->lines = 1;
		}
	}
	if (fprintf(st->f, "%c %s\n", op, wg_prefix_str(p, buf)) < 0)
		return -EIO;
	st->lines++;
	return 0;
}

int wg_state_sync(struct wg_state *st)
{
	if (st->f && fflush(st->f) != 0)
		return -errno;
	return 0;
}

size_t wg_state_lines(const struct wg_state *st)
{
	return st->lines;
}

int wg_state_compact(struct wg_state *st, wg_state_next_fn *next, void *arg)
{
	char buf[WG_PREFIX_STRLEN];
	size_t plen = strlen(st->path);
	char *tmp = malloc(plen + 5);
	const struct wg_prefix *p;
	size_t lines = 1;
	int ret = 0;
	FILE *f;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, st->path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		goto out;
	}
	fputs(STATE_MAGIC "\n", f);
	while ((p = next(arg))) {
		fprintf(f, "+ %s\n", wg_prefix_str(p, buf));
		lines++;
	}
	if (ferror(f) | (fclose(f) != 0)) {
		ret = -EIO;
		goto remove_tmp;
	}
	if (rename(tmp, st->path) < 0) {
		ret = -errno;
		goto remove_tmp;
	}
	if (st->f) {
		fclose(st->f);
		st->f = NULL;
	}
	st->lines = lines;
	goto out;
remove_tmp:
	remove(tmp);
out:
	free(tmp);
	return ret;
}
