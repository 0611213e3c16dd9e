/* SPDX-License-Identifier: MIT */
/*
 * daemon/wgbabelctl.c — the command-line client of wgbabeld's control
 * socket. It sends one command and prints the reply up to its closing
 * "ok" (exit 0), "error: ..." (message on stderr, exit 1), or "bad" and
 * "error: usage: ..." (a command the daemon does not know or that has the
 * wrong words: exit 2, a usage error as wgbabelctl(8) says); "monitor"
 * prints changes until interrupted. Which socket: -s, -i IFACE (the
 * systemd unit's /run/wgbabeld/IFACE.sock), $WGBABELD_SOCKET, the default
 * socket, or else the only socket under /run/wgbabeld.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/wgbabeld.sock"
/* Where wgbabeld@.service puts each instance's socket (%i.sock). */
#define RUN_DIR "/run/wgbabeld"

static const char usage_text[] =
"Usage: wgbabelctl [-s SOCKET | -i IFACE] [--json] COMMAND [ARGS...]\n"
"\n"
"Asks a running wgbabeld what it knows, or tells it what to announce.\n"
"\n"
"Commands:\n"
"  show interfaces    interfaces Babel runs on, their type and state\n"
"  show neighbours    Babel neighbours with costs and RTT; for WireGuard\n"
"                     also the peer's public key, endpoint, last handshake\n"
"  show routes        every route learned (* = selected, installed)\n"
"  show route ADDRESS|PREFIX  the route used for it (longest match) and\n"
"                     every candidate\n"
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
"  show checks        health checks and drains: state, last result\n"
"  drain PREFIX       move traffic away first: announce PREFIX with a\n"
"                     raised metric, withdraw it after its drain-delay\n"
"  undrain PREFIX     announce PREFIX as before the drain\n"
"  monitor            print changes as they happen (Ctrl-C to stop)\n"
"  dump               everything in babeld's local-protocol format\n"
"  metrics            the counters in Prometheus' text format (what\n"
"                     metrics-listen serves over HTTP)\n"
"  graph              the mesh as this node knows it, as Graphviz DOT\n"
"                     (wgbabelctl graph | dot -Tsvg > mesh.svg)\n"
"\n"
"Options:\n"
"  -s, --socket PATH  control socket (default $WGBABELD_SOCKET, else\n"
"                     " DEFAULT_SOCKET ", else the only socket in\n"
"                     " RUN_DIR "/)\n"
"  -i, --interface IFACE  the instance of wgbabeld@IFACE.service:\n"
"                     " RUN_DIR "/IFACE.sock\n"
"  -j, --json         JSON output (show, monitor)\n"
"  -h, --help         this text\n"
"  -V, --version      print the version\n"
"\n"
"Examples:\n"
"  wgbabelctl show routes\n"
"  wgbabelctl --json show neighbours\n"
"  wgbabelctl announce 2001:db8:42::/48 metric 0\n"
"  wgbabelctl -i wg0 withdraw 2001:db8:42::/48\n"
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

/* $WGBABELCTL_RUN_DIR replaces /run/wgbabeld, for the tests only
 * (tests/daemon/ctl_discover_test.py): they cannot own /run. */
static const char *run_dir(void)
{
	const char *dir = getenv("WGBABELCTL_RUN_DIR");

	return dir && *dir ? dir : RUN_DIR;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * No socket named and none at the default path: under systemd each
 * instance listens on RUN_DIR/IFACE.sock, and when there is one, that is
 * the daemon meant. Returns 0 with @out set, 0 with @out empty when there
 * is none (the caller reports the default path), or CTL_EXIT_USAGE when
 * there are several, which are listed.
 */
static int discover_socket(char *out, size_t size)
{
	const char *dir = run_dir();
	char **names = NULL, path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int rc = 0;

	out[0] = '\0';
	if (!(dp = opendir(dir)))
		return 0;
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);

		if (len <= 5 || strcmp(de->d_name + len - 5, ".sock"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 8) *
					    sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(dp);
	/* IFACE-ro.sock next to IFACE.sock is that instance's read-only
	 * socket (control-socket-ro, as wgbabeld-wg0.conf names it): one
	 * instance, not two. */
	for (size_t i = 0; i < n;) {
		size_t len = strlen(names[i]);
		bool twin = false;

		if (len > 8 && !strcmp(names[i] + len - 8, "-ro.sock"))
			for (size_t j = 0; j < n && !twin; j++)
				twin = strlen(names[j]) == len - 3 &&
				       !strncmp(names[j], names[i], len - 8) &&
				       !strcmp(names[j] + len - 8, ".sock");
		if (twin) {
			free(names[i]);
			names[i] = names[--n];
		} else {
			i++;
		}
	}
	if (n == 1) {
		snprintf(out, size, "%s/%s", dir, names[0]);
	} else if (n > 1) {
		qsort(names, n, sizeof(*names), cmp_names);
		fprintf(stderr, "wgbabelctl: %zu wgbabeld sockets in %s:", n,
			dir);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %.*s", (int)(strlen(names[i]) - 5),
				names[i]);
		fprintf(stderr, "; say which with -i IFACE (or -s PATH)\n");
		rc = CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

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
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *iface = NULL;
	char cmd[1024] = "", found[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t len = 0;
	bool json = false, monitor;
	FILE *in;
	int ch, fd, rc;

	/* '+': options stop at the command (so "announce ... metric" works). */
	while ((ch = getopt_long(argc, argv, "+s:i:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'i': iface = optarg; break;
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
	if (path && iface) {
		fprintf(stderr, "wgbabelctl: -s and -i name the socket twice; "
			"give one\n");
		return CTL_EXIT_USAGE;
	}
	if (iface) {
		/* An interface name: IFNAMSIZ (16) with its NUL, no '/'. */
		if (!*iface || strlen(iface) >= 16 || strchr(iface, '/') ||
		    !strcmp(iface, ".") || !strcmp(iface, "..")) {
			fprintf(stderr, "wgbabelctl: '%s' is not an interface "
				"name\n", iface);
			return CTL_EXIT_USAGE;
		}
		if ((size_t)snprintf(found, sizeof(found), "%s/%s.sock",
				     run_dir(), iface) >= sizeof(found)) {
			fprintf(stderr, "wgbabelctl: socket path too long\n");
			return CTL_EXIT_USAGE;
		}
		path = found;
	}
	if (!path && (path = getenv("WGBABELD_SOCKET")) && !*path)
		path = NULL;
	if (!path && access(DEFAULT_SOCKET, F_OK) < 0 && errno == ENOENT) {
		if ((rc = discover_socket(found, sizeof(found))) != 0)
			return rc;
		if (found[0])
			path = found;
	}
	if (!path)
		path = DEFAULT_SOCKET;
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
			"routes, originated, allowedips, fib, refused, status, checks)\n");
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
