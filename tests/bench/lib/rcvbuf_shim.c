/*
 * LD_PRELOAD shim for the side-by-side benchmark (tests/bench/run.sh): gives
 * every UDP socket the process opens a large receive buffer, so that a Babel
 * daemon that never sizes its own buffer (babeld 1.12, BIRD 2.0.12) can be
 * measured with and without receive-buffer drops.
 *
 * The size comes from WGB_RCVBUF (bytes; default 33554432 = 32 MiB). It is
 * set with SO_RCVBUFFORCE, which needs CAP_NET_ADMIN and ignores
 * net.core.rmem_max; the kernel doubles the value for its bookkeeping, so
 * `ss -m` shows rb=2*WGB_RCVBUF. A later SO_RCVBUF request from the daemon
 * that asks for less is answered "done" without shrinking the buffer.
 * With WGB_RCVBUF_LOG set, every forced socket is reported on stderr.
 *
 * Build: cc -shared -fPIC -O2 -o rcvbuf_shim.so rcvbuf_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define SHIM_DEFAULT_RCVBUF (32 * 1024 * 1024)

typedef int (*socket_fn)(int, int, int);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

static int shim_wanted_size(void)
{
	const char *s = getenv("WGB_RCVBUF");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return SHIM_DEFAULT_RCVBUF;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > (1L << 30))
		return SHIM_DEFAULT_RCVBUF;
	return (int)v;
}

static setsockopt_fn shim_real_setsockopt(void)
{
	return (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
}

int socket(int domain, int type, int protocol)
{
	socket_fn real = (socket_fn)dlsym(RTLD_NEXT, "socket");
	int fd, size, saved;

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	fd = real(domain, type, protocol);
	if (fd < 0 || (domain != AF_INET && domain != AF_INET6) ||
	    (type & 0xff) != SOCK_DGRAM)
		return fd;
	saved = errno;
	size = shim_wanted_size();
	if (shim_real_setsockopt()(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				   sizeof(size)) != 0) {
		if (getenv("WGB_RCVBUF_LOG") != NULL)
			fprintf(stderr, "rcvbuf_shim: fd %d: SO_RCVBUFFORCE failed: errno %d\n",
				fd, errno);
	} else if (getenv("WGB_RCVBUF_LOG") != NULL) {
		fprintf(stderr, "rcvbuf_shim: fd %d: SO_RCVBUFFORCE %d\n", fd, size);
	}
	errno = saved;
	return fd;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	setsockopt_fn real = shim_real_setsockopt();

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_RCVBUFFORCE) &&
	    val != NULL && len >= sizeof(int)) {
		int cur = 0;
		socklen_t cl = sizeof(cur);

		/* getsockopt reports the doubled value; compare like with like. */
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &cl) == 0 &&
		    cur / 2 >= shim_wanted_size() && *(const int *)val < cur / 2)
			return 0;
	}
	return real(fd, level, name, val, len);
}
