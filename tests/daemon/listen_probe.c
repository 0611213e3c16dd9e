/* SPDX-License-Identifier: MIT */
/*
 * tests/daemon/listen_probe.c — an LD_PRELOAD shim for ctl_perm_test.py.
 * It turns "could an unprivileged user reach the control socket before its
 * mode was set?" from a race into a certainty: the probe runs at the very
 * instant the socket starts listening, while the daemon is held there.
 *
 * After the real listen(2) succeeds on a UNIX socket bound to a path, a
 * child drops to uid and gid 65534 with no supplementary groups and tries
 * to connect to the path the socket is bound to, then to each path in
 * WGB_PROBE_PATHS (separated by ':'); the daemon waits for the child. One
 * line per listen() is appended to WGB_PROBE_OUT:
 *
 *   listen BOUND mode=0600 gid=0 BOUND=EACCES PATH=ENOENT ...
 *
 * mode and gid are those of the socket file at that instant; "ok" after a
 * path means uid 65534 got connected. WGB_PROBE_FAIL=1 makes every listen()
 * on a UNIX socket fail with EADDRINUSE instead, for the error paths.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_ID 65534

static const char *probe_errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENOTDIR: return "ENOTDIR";
	case EPERM: return "EPERM";
	default: return "error";
	}
}

/* 0 when connected, else the errno of socket() or connect(). */
static int probe_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		e = errno;
	close(fd);
	return e;
}

static void probe_child(int out, const char *bound)
{
	const char *paths = getenv("WGB_PROBE_PATHS");
	char buf[4096], *p, *save = NULL;

	if (setgroups(0, NULL) < 0 || setgid(PROBE_ID) < 0 ||
	    setuid(PROBE_ID) < 0) {
		dprintf(out, " cannot-drop-privileges\n");
		_exit(1);
	}
	dprintf(out, " %s=%s", bound, probe_errname(probe_connect(bound)));
	snprintf(buf, sizeof(buf), "%s", paths ? paths : "");
	for (p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save))
		dprintf(out, " %s=%s", p, probe_errname(probe_connect(p)));
	dprintf(out, "\n");
	_exit(0);
}

int listen(int fd, int backlog)
{
	void *sym = dlsym(RTLD_NEXT, "listen");
	int (*real_listen)(int, int);
	const char *outname = getenv("WGB_PROBE_OUT");
	const char *fail = getenv("WGB_PROBE_FAIL");
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	struct stat st;
	int r, out, saved;
	pid_t pid;

	/* POSIX dlsym(): a function comes back as a void *; ISO C has no
	 * cast between the two, a copy of the bytes is the portable way. */
	memcpy(&real_listen, &sym, sizeof(real_listen));
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    sa.sun_family != AF_UNIX || sa.sun_path[0] == '\0')
		return real_listen(fd, backlog);
	if (fail && !strcmp(fail, "1")) {
		errno = EADDRINUSE;
		return -1;
	}
	r = real_listen(fd, backlog);
	if (r < 0 || !outname)
		return r;
	saved = errno;
	out = open(outname, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0)
		return r;
	if (stat(sa.sun_path, &st) == 0)
		dprintf(out, "listen %s mode=%04o gid=%u", sa.sun_path,
			(unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
	else
		dprintf(out, "listen %s mode=none gid=none", sa.sun_path);
	pid = fork();
	if (pid == 0)
		probe_child(out, sa.sun_path);
	if (pid < 0)
		dprintf(out, " cannot-fork\n");
	else
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	close(out);
	errno = saved;
	return r;
}
