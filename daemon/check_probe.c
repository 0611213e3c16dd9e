/* SPDX-License-Identifier: MIT */
/*
 * daemon/check_probe.c — the probes of the health checks (check.c runs
 * them): an ICMP echo, a TCP connection, an HTTP GET over it, a command.
 * Non-blocking sockets watched by libuv, bound to the uplink ("bind":
 * SO_BINDTODEVICE, "fwmark": SO_MARK); a command in its own process group.
 *
 * ICMP: an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP, allowed by
 * net.ipv4.ping_group_range), else a raw socket (CAP_NET_RAW, which the
 * systemd unit keeps). New network namespaces start with an empty
 * ping_group_range, so the raw socket is the usual case for root there.
 */
#include "daemon/check_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon.h"

extern char **environ;

void check_probe_end_io(struct check *ck)
{
	if (ck->icmp_open) {
		ck->icmp_open = false;
		check_close(ck, (uv_handle_t *)&ck->icmp_poll);
		close(ck->icmp_fd);
		ck->icmp_fd = -1;
	}
	if (ck->tcp_open) {
		ck->tcp_open = false;
		check_close(ck, (uv_handle_t *)&ck->tcp);
	}
}

/* ----------------------------------------------------------- sockets */

static void check_sockaddr(const struct cfg_check *c, struct sockaddr_storage *ss,
			   socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (c->addr.af == BABEL_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(c->port);
		memcpy(&in->sin_addr, c->addr.addr, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(c->port);
		memcpy(&in6->sin6_addr, c->addr.addr, 16);
		*len = sizeof(*in6);
	}
}

/* A non-blocking socket bound to the uplink; -errno on failure. */
static int check_socket(const struct cfg_check *c, int type, int proto)
{
	int af = c->addr.af == BABEL_AF_INET ? AF_INET : AF_INET6;
	int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int e;

	if (fd < 0)
		return -errno;
	if (c->bind[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->bind,
				     (socklen_t)strlen(c->bind)) < 0)
		goto fail;
	if (c->fwmark && setsockopt(fd, SOL_SOCKET, SO_MARK, &c->fwmark,
				    sizeof(c->fwmark)) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	return -e;
}

/* -------------------------------------------------------------- icmp */

static void on_icmp_readable(uv_poll_t *h, int status, int events)
{
	struct check *ck = h->data;
	bool v6 = ck->cfg.check.addr.af == BABEL_AF_INET6;
	uint8_t buf[1500];
	ssize_t n;

	(void)events;
	if (status < 0) {
		check_probe_done(ck, false, "icmp: %s", uv_strerror(status));
		return;
	}
	while (ck->icmp_open &&
	       (n = recv(ck->icmp_fd, buf, sizeof(buf), 0)) >= 0) {
		/* A ping socket's replies are already ours (the kernel
		 * matches its identifier); a raw one sees every echo reply. */
		if (check_icmp_is_reply(v6, ck->icmp_raw && !v6, ck->icmp_id,
					ck->icmp_raw, ck->seq, buf, (size_t)n)) {
			check_probe_done(ck, true, "echo reply in %" PRIu64 " ms",
				   (d_now_us(ck->d) - ck->start_us) / 1000);
			return;
		}
	}
}

void check_probe_icmp(struct check *ck)
{
	const struct cfg_check *c = &ck->cfg.check;
	bool v6 = c->addr.af == BABEL_AF_INET6;
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[64];
	size_t n;
	int fd, r;

	fd = check_socket(c, SOCK_DGRAM, proto);
	ck->icmp_raw = false;
	if (fd == -EACCES || fd == -EPERM) {
		fd = check_socket(c, SOCK_RAW, proto);
		ck->icmp_raw = true;
	}
	if (fd < 0) {
		check_probe_done(ck, false, "icmp: cannot open a socket: %s",
			   strerror(-fd));
		return;
	}
	ck->icmp_fd = fd;
	if ((r = uv_poll_init_socket(ck->d->loop, &ck->icmp_poll, fd)) < 0) {
		close(fd);
		check_probe_done(ck, false, "icmp: %s", uv_strerror(r));
		return;
	}
	ck->handles++;
	ck->icmp_poll.data = ck;
	ck->icmp_open = true;
	uv_poll_start(&ck->icmp_poll, UV_READABLE, on_icmp_readable);
	n = check_icmp_echo(v6, ck->icmp_id, ++ck->seq, pkt, sizeof(pkt));
	check_sockaddr(c, &ss, &sl);
	if (sendto(fd, pkt, n, 0, (struct sockaddr *)&ss, sl) < 0)
		check_probe_done(ck, false, "icmp: send: %s", strerror(errno));
}

/* ---------------------------------------------------------- tcp, http */

static void on_http_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct check *ck = h->data;

	(void)hint;
	b->base = ck->resp + ck->resp_len;
	b->len = sizeof(ck->resp) - ck->resp_len;
}

static void on_http_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct check *ck = s->data;
	int code;

	(void)b;
	if (n == 0)
		return;
	if (n > 0)
		ck->resp_len += (size_t)n;
	code = check_http_status(ck->resp, ck->resp_len);
	if (code > 0) {
		check_probe_done(ck, code == ck->cfg.check.expect,
			   "http: status %d%s", code,
			   code == ck->cfg.check.expect ? "" : ", not expected");
	} else if (code < 0) {
		check_probe_done(ck, false, "http: not an HTTP/1 response");
	} else if (n < 0) {
		check_probe_done(ck, false, "http: %s before the status line",
			   n == UV_EOF ? "connection closed" :
			   uv_strerror((int)n));
	} else if (ck->resp_len == sizeof(ck->resp)) {
		check_probe_done(ck, false, "http: status line too long");
	}
}

static void on_http_written(uv_write_t *w, int status)
{
	struct check *ck = w->data;

	if (status < 0 && status != UV_ECANCELED)
		check_probe_done(ck, false, "http: send: %s", uv_strerror(status));
}

static void on_tcp_connect(uv_connect_t *req, int status)
{
	struct check *ck = req->data;
	uv_buf_t b;
	int n;

	if (status == UV_ECANCELED || !ck->running)
		return;
	if (status < 0) {
		check_probe_done(ck, false, "%s: connect: %s",
			   cfg_check_kind_name(ck->cfg.check.kind),
			   uv_strerror(status));
		return;
	}
	if (ck->cfg.check.kind == CFG_CHECK_TCP) {
		check_probe_done(ck, true, "connected in %" PRIu64 " ms",
			   (d_now_us(ck->d) - ck->start_us) / 1000);
		return;
	}
	n = check_http_request(&ck->cfg.check, ck->req, sizeof(ck->req));
	if (n < 0) {
		check_probe_done(ck, false, "http: request too long");
		return;
	}
	b = uv_buf_init(ck->req, (unsigned)n);
	ck->resp_len = 0;
	ck->wreq.data = ck;
	if ((n = uv_write(&ck->wreq, (uv_stream_t *)&ck->tcp, &b, 1,
			  on_http_written)) < 0 ||
	    (n = uv_read_start((uv_stream_t *)&ck->tcp, on_http_alloc,
			       on_http_read)) < 0)
		check_probe_done(ck, false, "http: %s", uv_strerror(n));
}

void check_probe_tcp(struct check *ck)
{
	const struct cfg_check *c = &ck->cfg.check;
	const char *kind = cfg_check_kind_name(c->kind);
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, r;

	fd = check_socket(c, SOCK_STREAM, 0);
	if (fd < 0) {
		check_probe_done(ck, false, "%s: cannot open a socket: %s", kind,
			   strerror(-fd));
		return;
	}
	if ((r = uv_tcp_init(ck->d->loop, &ck->tcp)) < 0) {
		close(fd);
		check_probe_done(ck, false, "%s: %s", kind, uv_strerror(r));
		return;
	}
	ck->handles++;
	ck->tcp.data = ck;
	ck->tcp_open = true;
	if ((r = uv_tcp_open(&ck->tcp, fd)) < 0) {
		close(fd);
		check_probe_done(ck, false, "%s: %s", kind, uv_strerror(r));
		return;
	}
	check_sockaddr(c, &ss, &sl);
	ck->conn.data = ck;
	if ((r = uv_tcp_connect(&ck->conn, &ck->tcp, (struct sockaddr *)&ss,
				on_tcp_connect)) < 0)
		check_probe_done(ck, false, "%s: connect: %s", kind, uv_strerror(r));
}

/* -------------------------------------------------------------- exec */

static void on_proc_exit(uv_process_t *p, int64_t status, int sig)
{
	struct check *ck = p->data;

	ck->proc_open = false;
	check_close(ck, (uv_handle_t *)p);
	if (ck->sched_on_exit && !ck->dying && !ck->running)
		check_schedule(ck);
	if (sig)
		check_probe_done(ck, false, "exec: killed by signal %d", sig);
	else
		check_probe_done(ck, status == 0, "exec: exit status %" PRId64,
			   status);
}

#define CHECK_ENV_MAX 8

/* Our environment without WGB_CHECK_*, then EXTRA (NULL-terminated). */
static char **check_env(char *const *extra)
{
	size_t n = 0, i = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + CHECK_ENV_MAX + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t j = 0; j < n; j++)
		if (strncmp(environ[j], "WGB_CHECK_", 10))
			env[i++] = environ[j];
	for (size_t j = 0; extra[j] && j < CHECK_ENV_MAX; j++)
		env[i++] = extra[j];
	return env;
}

/* /bin/sh -c CMD in its own process group (a command killed at its
 * timeout goes with whatever it started), stdin and stdout on /dev/null,
 * stderr ours. */
int check_spawn(struct check *ck, uv_process_t *p, const char *cmd,
		char *const *extra, uv_exit_cb cb)
{
	char *args[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	uv_stdio_container_t io[3] = {
		{ .flags = UV_IGNORE }, { .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 },
	};
	uv_process_options_t o = { 0 };
	char **env = check_env(extra);
	int r;

	if (!env)
		return UV_ENOMEM;
	o.file = args[0];
	o.args = args;
	o.env = env;
	o.exit_cb = cb;
	o.stdio = io;
	o.stdio_count = 3;
	o.flags = UV_PROCESS_DETACHED;
	r = uv_spawn(ck->d->loop, p, &o);
	free(env);
	/* libuv wants the handle closed even when spawn failed. */
	ck->handles++;
	p->data = ck;
	if (r < 0)
		check_close(ck, (uv_handle_t *)p);
	return r;
}

void check_probe_exec(struct check *ck)
{
	const struct cfg_check *c = &ck->cfg.check;
	char e_prefix[96], e_bind[64], e_mark[48], pf[64];
	char *extra[] = { e_prefix, e_bind, e_mark, NULL };
	int r;

	if (ck->proc_open) {
		check_probe_done(ck, false, "exec: the previous command is still "
			   "running");
		return;
	}
	/* What the command needs to probe the same way as the built-in
	 * checks: the prefix, and how to reach the uplink. */
	snprintf(e_prefix, sizeof(e_prefix), "WGB_CHECK_PREFIX=%s",
		 cfg_prefix_str(&ck->prefix, pf, sizeof(pf)));
	snprintf(e_bind, sizeof(e_bind), "WGB_CHECK_BIND=%s", c->bind);
	snprintf(e_mark, sizeof(e_mark), "WGB_CHECK_FWMARK=%" PRIu32,
		 c->fwmark);
	r = check_spawn(ck, &ck->proc, c->cmd, extra, on_proc_exit);
	if (r < 0) {
		check_probe_done(ck, false, "exec: %s", uv_strerror(r));
		return;
	}
	ck->proc_open = true;
}

void check_proc_kill(struct check *ck)
{
	if (ck->proc_open && ck->proc.pid > 0)
		kill(-ck->proc.pid, SIGKILL);
}
