/* SPDX-License-Identifier: MIT */
/*
 * daemon/state.c — the state file: our router-id and seqno, kept across
 * restarts so that neighbours do not see a seqno go backwards (RFC 8966
 * §3.5.3: a restarted router must not reuse an old seqno with a smaller
 * metric). A missing file means a first start: a random router-id.
 * Written with write-to-temporary-then-rename so a crash leaves either
 * the old or the new file.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int state_random_id(uint8_t id[8])
{
	do {
		if (getrandom(id, 8, 0) != 8)
			return -errno;
	} while (!memcmp(id, "\0\0\0\0\0\0\0\0", 8) ||
		 !memcmp(id, "\xff\xff\xff\xff\xff\xff\xff\xff", 8));
	return 0;
}

int state_load(struct daemon *d)
{
	const char *path = d->cfg->state_file;
	unsigned id[8], seqno;
	bool have_id = false, have_seqno = false;
	char line[256];
	FILE *f;

	if (path[0])
		f = fopen(path, "r");
	else
		f = NULL;
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "router-id %2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x",
				   &id[0], &id[1], &id[2], &id[3], &id[4],
				   &id[5], &id[6], &id[7]) == 8) {
				for (int i = 0; i < 8; i++)
					d->router_id[i] = (uint8_t)id[i];
				have_id = true;
			} else if (sscanf(line, "seqno %u", &seqno) == 1 &&
				   seqno <= 0xFFFF) {
				d->seqno = (uint16_t)seqno;
				have_seqno = true;
			}
		}
		fclose(f);
		if (!have_id || !have_seqno)
			LOG_W(d, "%s: incomplete state file; starting afresh",
			      path);
	} else if (path[0] && errno != ENOENT) {
		LOG_W(d, "cannot read the state file %s: %s", path,
		      strerror(errno));
	}
	if (d->cfg->has_router_id) {
		if (have_id && memcmp(d->router_id, d->cfg->router_id, 8))
			have_seqno = false;	/* another identity */
		memcpy(d->router_id, d->cfg->router_id, 8);
		have_id = true;
	}
	if (!have_id) {
		int r = state_random_id(d->router_id);

		if (r < 0)
			return r;
		have_seqno = false;
	}
	if (!have_seqno) {
		uint16_t s;

		if (getrandom(&s, sizeof(s), 0) != sizeof(s))
			s = 0;
		d->seqno = s;
	} else {
		/* We may have sent seqnos after the last save reached disk. */
		d->seqno = (uint16_t)(d->seqno + 1);
	}
	return 0;
}

/* The engine's save_state callback. */
void state_save(void *ctx, const uint8_t router_id[8], uint16_t seqno)
{
	struct daemon *d = ctx;
	const char *path = d->cfg->state_file;
	char tmp[4200];
	FILE *f;

	d->seqno = seqno;
	if (!path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		LOG_W(d, "cannot write the state file %s: %s", tmp,
		      strerror(errno));
		return;
	}
	fprintf(f, "router-id %02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x\n"
		"seqno %u\n", router_id[0], router_id[1], router_id[2],
		router_id[3], router_id[4], router_id[5], router_id[6],
		router_id[7], seqno);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		LOG_W(d, "cannot write the state file %s: %s", path,
		      strerror(errno));
		unlink(tmp);
	}
}
