/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_ledger.c — the file of the ledger of the nexthop objects
 * this instance made (kroute.h; the set and its rules are fwd/ledger.h's):
 * one id a line, rewritten whole (a temporary file renamed
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
	    strcmp(line, FWD_KR_LEDGER_MAGIC "\n") != 0) {
		ret = -EBADMSG;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		uint32_t id;

		if (fwd_kr_ids_parse_line(line, &id) < 0 ||
		    kr->ledger.n >= FWD_KR_LEDGER_MAX) {
			ret = -EBADMSG;
			goto out;
		}
		if ((ret = fwd_kr_ids_put(&kr->ledger, id)) < 0)
			goto out;
	}
	if (ferror(f))
		ret = -EIO;
out:
	fclose(f);
	kr->ledger.dirty = false;
	if (ret < 0)
		kr->ledger.n = 0;
	return ret;
}

int kr_ledger_sync(struct kroute *kr)
{
	const char *path = kr->cfg.ledger_path;
	size_t plen;
	char *tmp;
	FILE *f;
	int ret = 0;

	if (!kr->ledger.dirty)
		return 0;
	kr->ledger.dirty = false;
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
	fputs(FWD_KR_LEDGER_MAGIC "\n", f);
	for (size_t i = 0; i < kr->ledger.n; i++)
		fprintf(f, "%" PRIu32 "\n", kr->ledger.ids[i]);
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
		kr->ledger.dirty = true;	/* tried again at the next commit */
	kr->ledger_err = ret;
	return ret;
}

/* Written down before the object is made: a crash right after the create
 * must not leave an object nobody owns. */
int kr_ledger_add(struct kroute *kr, uint32_t id)
{
	int r = fwd_kr_ids_put(&kr->ledger, id);

	if (r < 0)
		return r;
	r = kr_ledger_sync(kr);
	if (r < 0)
		fwd_kr_ids_del(&kr->ledger, id);
	return r;
}

void kr_ledger_free(struct kroute *kr)
{
	kr_ledger_sync(kr);
	fwd_kr_ids_free(&kr->ledger);
}
