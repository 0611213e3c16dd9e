/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/lib/dumpclient.c — times one full dump over a daemon's
 * control socket, in C so that the figure is the daemon's and not the
 * reader's (a Python reader of 15 MB costs as much as the dump itself).
 *
 *   dumpclient babel PATH            babeld's local interface, and
 *                                    wgbabeld's: a greeting ending in
 *                                    "ok", then "dump" answered up to a
 *                                    last line "ok"
 *   dumpclient bird PATH COMMAND     BIRD's control socket: a greeting
 *                                    "0001 ...", then COMMAND answered up
 *                                    to a line "NNNN text" (code, space)
 *
 * Prints "SECONDS LINES" (connect to the end of the reply; the reply's
 * lines, the last one included) and exits 0; on an error or after 60 s,
 * a message and exit 1. Reads in 1 MiB steps, keeps only what the end
 * test needs.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 60.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The line being read (its first 255 bytes: enough for the end test,
 * which looks at complete lines only). */
struct reader {
	int fd;
	double deadline;
	long lines;
	char cur[256];
	size_t curlen;
};

static bool babel_done(const char *line)
{
	return !strcmp(line, "ok");
}

static bool bird_done(const char *line)
{
	return strlen(line) >= 5 && line[0] >= '0' && line[0] <= '9' &&
	       line[1] >= '0' && line[1] <= '9' && line[2] >= '0' &&
	       line[2] <= '9' && line[3] >= '0' && line[3] <= '9' &&
	       line[4] == ' ';
}

/* Reads until a whole line satisfies DONE; counts the lines. */
static int read_until(struct reader *r, bool (*done)(const char *))
{
	static char buf[1 << 20];

	for (;;) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int left = (int)((r->deadline - now()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0) {
			fprintf(stderr, "dumpclient: no complete reply in %.0f s\n",
				LIMIT_S);
			return -1;
		}
		n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "dumpclient: %s\n",
				n ? strerror(errno) : "connection closed");
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (r->curlen < sizeof(r->cur) - 1)
					r->cur[r->curlen++] = buf[i];
				continue;
			}
			r->cur[r->curlen] = '\0';
			r->curlen = 0;
			r->lines++;
			if (done(r->cur)) {
				if (i + 1 != n) {
					fprintf(stderr, "dumpclient: data after "
						"the end of the reply\n");
					return -1;
				}
				return 0;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct reader r = { 0 };
	bool bird = argc == 4 && !strcmp(argv[1], "bird");
	bool (*done)(const char *) = bird ? bird_done : babel_done;
	const char *cmd = bird ? argv[3] : "dump";
	char line[512];
	double t0;
	int n;

	if (!bird && !(argc == 3 && !strcmp(argv[1], "babel"))) {
		fprintf(stderr, "usage: dumpclient babel PATH | "
			"dumpclient bird PATH COMMAND\n");
		return 2;
	}
	if (strlen(argv[2]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "dumpclient: socket path too long\n");
		return 1;
	}
	strcpy(sa.sun_path, argv[2]);
	t0 = now();
	r.deadline = t0 + LIMIT_S;
	r.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r.fd < 0 || connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dumpclient: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (read_until(&r, done) < 0)	/* the greeting */
		return 1;
	n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line) || write(r.fd, line, (size_t)n) != n) {
		fprintf(stderr, "dumpclient: cannot send the command\n");
		return 1;
	}
	r.lines = 0;
	if (read_until(&r, done) < 0)
		return 1;
	printf("%.6f %ld\n", now() - t0, r.lines);
	close(r.fd);
	return 0;
}
