/* SPDX-License-Identifier: MIT */
/* daemon/sdnotify.c — see sdnotify.h. */
#include "daemon/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int sdnotify_send(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len, state_len = strlen(state);
	socklen_t alen;
	ssize_t n;
	int fd, e;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	/* A path or, with '@', a name in the abstract namespace; anything
	 * else (vsock:, a relative path) is not ours to guess at. */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EAFNOSUPPORT;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	/* An abstract name is exactly its bytes, without a terminator. */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			   (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, state_len, MSG_NOSIGNAL,
		   (const struct sockaddr *)&sun, alen);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == state_len ? 1 : -EMSGSIZE;
}

int sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
		 (unsigned long long)ts.tv_nsec / 1000);
	return sdnotify_send(msg);
}
