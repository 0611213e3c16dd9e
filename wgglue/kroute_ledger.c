/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_ledger.c — the ledger of the nexthop objects this instance
 * made (kroute.h): one id a line, rewritten whole (a temporary file renamed
 * over it) whenever the set changes. An id is written before its object is
 * made and removed after the object is deleted, so after a crash the
 * ledger lists every object of ours the kernel may still hold, and a few
 * it may not (dropped at the next adoption). Objects change with
 * neighbours, not with routes: the file stays small at any table size.
 */
#include "wgglue/kroute_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KR_LEDGER_MAGIC "wgbabeld-nexthops 1"
#define KR_LEDGER_MAX 65536	/* ids; more is a damaged file */

bool kr_ledger_has(const struct kroute *kr, uint32_t id)
{
	for (size_t i = 0; i < kr->n_ledger; i++)
		if (kr->ledger_ids[i] == id)
			return true;
	return false;
}

static int kr_ledger_put(struct kroute *kr, uint32_t id)
{
	if (kr_ledger_has(kr, id))
		return 0;
	if (kr->n_ledger == kr->cap_ledger) {
		size_t cap = kr->cap_ledger ? kr->cap_ledger * 2 : 16;
		uint32_t *a = realloc(kr->ledger_ids, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		kr->ledger_ids = a;
		kr->cap_ledger = cap;
	}
	kr->ledger_ids[kr->n_ledger++] = id;
	kr->ledger_dirty = true;
	return 0;
}

int kr_ledger_load(struct kroute *kr)
{
	const char *path = kr->cfg.ledger_path;
	char line[64];
	int ret = 0;
	FILE *f;

	if (!path)
		return 0;
	if (!(f = fopen(path, "re")))
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f) ||
	    strcmp(line, KR_LEDGER_MAGIC "\n") != 0) {
		ret = -EBADMSG;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(line, &end, 10);
		if (errno || end == line || *end != '\n' || v == 0 ||
		    v > UINT32_MAX || kr->n_ledger >= KR_LEDGER_MAX) {
			ret = -EBADMSG;
			goto out;
		}
		if ((ret = kr_ledger_put(kr, (uint32_t)v)) < 0)
			goto out;
	}
	if (ferror(f))
		ret = -EIO;
out:
	fclose(f);
	kr->ledger_dirty = false;
	if (ret < 0)
		kr->n_ledger = 0;
	return ret;
}

int kr_ledger_sync(struct kroute *kr)
{
	const char *path = kr->cfg.ledger_path;
	size_t plen;
	char *tmp;
	FILE *f;
	int ret = 0;

	if (!kr->ledger_dirty)
		return 0;
	kr->ledger_dirty = false;
	if (!path)
		return 0;
	plen = strlen(path);
	if (!(tmp = malloc(plen + 5)))
		return kr->ledger_err = -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	if (!(f = fopen(tmp, "we"))) {
		ret = -errno;
		goto out;
	}
	fputs(KR_LEDGER_MAGIC "\n", f);
	for (size_t i = 0; i < kr->n_ledger; i++)
		fprintf(f, "%" PRIu32 "\n", kr->ledger_ids[i]);
	if (ferror(f) | (fclose(f) != 0)) {
		ret = -EIO;
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		ret = -errno;
		remove(tmp);
	}
out:
	free(tmp);
	if (ret < 0)
		kr->ledger_dirty = true;	/* tried again at the next commit */
	kr->ledger_err = ret;
	return ret;
}

int kr_ledger_add(struct kroute *kr, uint32_t id)
{
	int r = kr_ledger_put(kr, id);

	if (r < 0)
		return r;
	r = kr_ledger_sync(kr);
	if (r < 0)
		kr_ledger_del(kr, id);
	return r;
}

void kr_ledger_del(struct kroute *kr, uint32_t id)
{
	for (size_t i = 0; i < kr->n_ledger; i++) {
		if (kr->ledger_ids[i] == id) {
			kr->ledger_ids[i] = kr->ledger_ids[--kr->n_ledger];
			kr->ledger_dirty = true;
			return;
		}
	}
}

void kr_ledger_free(struct kroute *kr)
{
	kr_ledger_sync(kr);
	free(kr->ledger_ids);
	kr->ledger_ids = NULL;
	kr->n_ledger = kr->cap_ledger = 0;
}
