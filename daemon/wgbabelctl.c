/* SPDX-License-Identifier: MIT */
/*
 * daemon/wgbabelctl.c — the command-line client of wgbabeld's control
 * socket. It sends one command and prints the reply up to its closing
 * "ok" (exit 0), "error: ..." (message on stderr, exit 1), or "bad" and
 * "error: usage: ..." (a command the daemon does not know or that has the
 * wrong words: exit 2, a usage error as wgbabelctl(8) says); "monitor"
 * prints changes until interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/wgbabeld.sock"

static const char usage_text[] =
"Usage: wgbabelctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
"\n"
"Asks a running wgbabeld what it knows, or tells it what to announce.\n"
"\n"
"Commands:\n"
"  show interfaces    interfaces Babel runs on, their type and state\n"
"  show neighbours    Babel neighbours with costs and RTT; for WireGuard\n"
"                     also the peer's public key, endpoint, last handshake\n"
"  show routes        every route learned (* = selected, installed)\n"
"  show originated    prefixes this node announces\n"
"  show allowedips    prefixes wgbabeld put into WireGuard AllowedIPs, and\n"
"                     the ones it refused (held by a peer it does not manage)\n"
"  show fib           every selected route as wgbabeld writes it: the\n"
"                     allowed IP, the kernel route, and how far each got\n"
"                     (with --dry-run: what it would write)\n"
"  show refused       only the refused prefixes\n"
"  show status        router-id, seqno, counters\n"
"  announce PREFIX [metric N]   start announcing PREFIX (anycast: several\n"
"                     nodes may announce the same prefix)\n"
"  withdraw PREFIX    stop announcing PREFIX\n"
"  monitor            print changes as they happen (Ctrl-C to stop)\n"
"  dump               everything in babeld's local-protocol format\n"
"\n"
"Options:\n"
"  -s, --socket PATH  control socket (default $WGBABELD_SOCKET or\n"
"                     " DEFAULT_SOCKET ")\n"
"  -j, --json         JSON output (show, monitor)\n"
"  -h, --help         this text\n"
"  -V, --version      print the version\n"
"\n"
"Examples:\n"
"  wgbabelctl show routes\n"
"  wgbabelctl --json show neighbours\n"
"  wgbabelctl announce 2001:db8:42::/48 metric 0\n"
"  wgbabelctl -s /run/wgbabeld/wg0.sock withdraw 2001:db8:42::/48\n"
"\n"
"Exit status: 0 on success, 1 when wgbabeld refused the command, 2 for a\n"
"usage error (also a command wgbabeld does not know), 3 when the daemon\n"
"cannot be reached.\n";

static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "wgbabelctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		const char *hint = "";

		if (e == ENOENT || e == ECONNREFUSED)
			hint = " — is wgbabeld running?";
		else if (e == EACCES || e == EPERM)
			hint = " — the control socket is for root (try sudo, or "
			       "-s a read-only socket for show and monitor)";
		fprintf(stderr, "wgbabelctl: cannot connect to %s: %s%s\n", path,
			strerror(e), hint);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The exit statuses of wgbabelctl(8), EXIT STATUS. */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1,
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,
};

/* Reads lines up to the closing one; returns the exit status it means. */
static int read_reply(FILE *in, bool print, bool forever)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = CTL_EXIT_UNREACHABLE;

	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strcmp(line, "ok")) {
			rc = CTL_EXIT_OK;
			if (!forever)
				break;
			continue;
		}
		if (!strcmp(line, "bad") || !strcmp(line, "no")) {
			fprintf(stderr, "wgbabelctl: wgbabeld did not understand "
				"the command (see wgbabelctl --help)\n");
			rc = CTL_EXIT_USAGE;
			break;
		}
		if (!strncmp(line, "error: ", 7)) {
			fprintf(stderr, "wgbabelctl: %s\n", line + 7);
			rc = strncmp(line + 7, "usage: ", 7) ? CTL_EXIT_REFUSED :
							       CTL_EXIT_USAGE;
			break;
		}
		if (print) {
			puts(line);
			if (forever)
				fflush(stdout);
		}
	}
	if (rc == CTL_EXIT_UNREACHABLE && !forever)
		fprintf(stderr, "wgbabelctl: wgbabeld closed the connection\n");
	free(line);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("WGBABELD_SOCKET");
	char cmd[1024] = "";
	size_t len = 0;
	bool json = false, monitor;
	FILE *in;
	int ch, fd, rc;

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	/* '+': options stop at the command (so "announce ... metric" works). */
	while ((ch = getopt_long(argc, argv, "+s:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return CTL_EXIT_OK;
		case 'V': printf("wgbabelctl %s\n", WGB_VERSION);
			return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'wgbabelctl --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return CTL_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "json")) {
			json = true;
			continue;
		}
		if (strchr(argv[i], '\n') ||
		    len + strlen(argv[i]) + 8 >= sizeof(cmd)) {
			fprintf(stderr, "wgbabelctl: bad argument\n");
			return CTL_EXIT_USAGE;
		}
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s",
					len ? " " : "", argv[i]);
	}
	if (!len) {	/* only "json" words */
		fputs(usage_text, stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(cmd, "show")) {
		fprintf(stderr, "wgbabelctl: show what? (interfaces, neighbours, "
			"routes, originated, allowedips, fib, refused, status)\n");
		return CTL_EXIT_USAGE;
	}
	monitor = !strcmp(cmd, "monitor");
	if (json && (monitor || !strncmp(cmd, "show ", 5)))
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " json");
	snprintf(cmd + len, sizeof(cmd) - len, "\n");
	signal(SIGPIPE, SIG_IGN);
	if ((fd = connect_to(path)) < 0)
		return CTL_EXIT_UNREACHABLE;
	in = fdopen(fd, "r");
	if (!in)
		return CTL_EXIT_UNREACHABLE;
	/* The greeting (babeld's: BABEL 1.0 ... ok). */
	if (read_reply(in, false, false) != 0) {
		fprintf(stderr, "wgbabelctl: %s does not speak the wgbabeld "
			"protocol\n", path);
		return CTL_EXIT_UNREACHABLE;
	}
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fprintf(stderr, "wgbabelctl: write to %s: %s\n", path,
			strerror(errno));
		return CTL_EXIT_UNREACHABLE;
	}
	rc = read_reply(in, true, monitor);
	if (rc == 0 && !monitor) {
		static const char quit[] = "quit\n";

		if (write(fd, quit, sizeof(quit) - 1) < 0)
			rc = 0;	/* the reply was complete anyway */
	}
	fclose(in);
	return rc == 3 ? 3 : rc;
}
