/* SPDX-License-Identifier: MIT */
/*
 * daemon/control.c — the control socket's server side: listening, clients,
 * line framing and queued output. What the commands do is in ctl_cmd.c.
 */
#include "daemon/control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"

struct ctl_wreq {
	uv_write_t req;
	struct ctl_client *c;
	char *owned;		/* a reply handed over whole (a dump), or NULL */
	char data[];
};

static void ctl_on_close(uv_handle_t *h)
{
	free(h->data);
}

void ctl_client_close(struct ctl_client *c)
{
	bool monitor = c->monitor || c->monitor_json;

	if (c->closing)
		return;
	c->closing = true;
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
	c->next = NULL;
	c->pprev = &c->next;
	ctl_walk_free(c->walk);
	c->walk = NULL;
	uv_close((uv_handle_t *)&c->pipe, ctl_on_close);
	if (monitor)
		ctl_monitor_sync(c->srv->d);
}

static void ctl_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void ctl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	size_t room = sizeof(c->line) - c->linelen;

	/* Read straight into the line buffer: a line that does not fit is
	 * an error, so no more than one line's worth is ever held. */
	buf->base = c->line + c->linelen;
	buf->len = room;
}

static void ctl_set_reading(struct ctl_client *c, bool on)
{
	if (c->closing || c->reading == on)
		return;
	c->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&c->pipe, ctl_alloc, ctl_on_read);
	else
		uv_read_stop((uv_stream_t *)&c->pipe);
}

static void ctl_pump(struct ctl_client *c);

static void ctl_on_written(uv_write_t *req, int status)
{
	struct ctl_wreq *w = (struct ctl_wreq *)req;
	struct ctl_client *c = w->c;

	free(w->owned);
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		ctl_client_close(c);
		return;
	}
	if (c->walk) {
		ctl_pump(c);
		return;
	}
	/* A client that stopped being read because it did not read its
	 * replies is read again once they drained. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <
	    CTL_QUEUE_LIMIT / 2)
		ctl_set_reading(c, true);
}

/* Writes LEN bytes at BUF, which is OWNED (freed when written or on
 * failure) or copied if it cannot all be written at once. */
static void ctl_client_queue(struct ctl_client *c, const char *buf,
			     size_t len, char *owned)
{
	struct daemon *d = c->srv->d;
	struct ctl_wreq *w;
	size_t queued;
	uv_buf_t b;
	int r;

	if (c->closing || len == 0) {
		free(owned);
		return;
	}
	queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
	if ((c->monitor || c->monitor_json) && queued > CTL_QUEUE_LIMIT) {
		LOG_W(d, "control client %llu: monitor fell behind (%zu bytes "
		      "unsent); disconnected", (unsigned long long)c->id,
		      queued);
		free(owned);
		ctl_client_close(c);
		return;
	}
	/* What the socket takes now is written now, and freed: a reply
	 * streamed in chunks to a client that keeps up holds one chunk. */
	if (queued == 0) {
		b = uv_buf_init((char *)buf, (unsigned)len);
		r = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
		if (r == (int)len) {
			free(owned);
			return;
		}
		if (r > 0) {
			buf += r;
			len -= (size_t)r;
		} else if (r != UV_EAGAIN) {
			free(owned);
			ctl_client_close(c);
			return;
		}
	}
	w = malloc(sizeof(*w) + (owned ? 0 : len));
	if (!w) {
		free(owned);
		ctl_client_close(c);
		return;
	}
	w->c = c;
	w->owned = owned;
	if (!owned)
		memcpy(w->data, buf, len);
	b = uv_buf_init(owned ? (char *)buf : w->data, (unsigned)len);
	r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, ctl_on_written);
	if (r < 0) {
		free(owned);
		free(w);
		ctl_client_close(c);
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    CTL_QUEUE_LIMIT)
		ctl_set_reading(c, false);
}

void ctl_client_write(struct ctl_client *c, const char *buf, size_t len)
{
	ctl_client_queue(c, buf, len, NULL);
}

void ctl_client_write_sbuf(struct ctl_client *c, struct sbuf *b)
{
	if (b->oom) {
		static const char msg[] = "error: out of memory\n";

		ctl_client_write(c, msg, sizeof(msg) - 1);
		sbuf_free(b);
	} else {
		size_t len;
		char *p = sbuf_take(b, &len);

		ctl_client_queue(c, p, len, p);
	}
}

/* Runs the complete lines received, up to one that starts a streamed
 * reply: the lines after it wait for its end (ctl_pump). */
static void ctl_process_lines(struct ctl_client *c)
{
	size_t start = 0;

	for (size_t i = 0; i < c->linelen && !c->closing && !c->walk; i++) {
		if (c->line[i] != '\n')
			continue;
		c->line[i] = '\0';
		if (i > start && c->line[i - 1] == '\r')
			c->line[i - 1] = '\0';
		ctl_cmd_run(c, c->line + start);
		start = i + 1;
	}
	if (c->closing)
		return;
	memmove(c->line, c->line + start, c->linelen - start);
	c->linelen -= start;
	if (!c->walk && c->linelen == sizeof(c->line)) {
		static const char msg[] = "error: line too long\n";

		ctl_client_write(c, msg, sizeof(msg) - 1);
		ctl_client_close(c);
	}
}

/* Below this much unsent, the next chunk of a streamed reply is made: with
 * the socket's own buffer, what the daemon makes per wakeup. On a loaded
 * machine every wakeup waits for a CPU, so this is large (64 KB made a
 * 100,000-route dump 2-10 times slower than writing it whole, with six
 * busy loops on 2 CPUs) but well under a megabyte. */
#define CTL_STREAM_LOW (512u * 1024)

/*
 * Sends a streamed reply's chunks while the client keeps up (libuv writes
 * at once what the socket takes), and stops when it does not; the write
 * callback calls again. At the end the lines that waited are run.
 */
static void ctl_pump(struct ctl_client *c)
{
	if (c->pumping)
		return;
	c->pumping = true;
	while (!c->closing) {
		if (c->walk) {
			struct sbuf b = { 0 };

			if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >=
			    CTL_STREAM_LOW)
				break;
			if (ctl_walk_fill(c->walk, &b)) {
				ctl_walk_free(c->walk);
				c->walk = NULL;
			}
			ctl_client_write_sbuf(c, &b);
			continue;
		}
		ctl_process_lines(c);
		if (!c->walk)
			break;
	}
	c->pumping = false;
	if (!c->closing && !c->walk &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <
	    CTL_QUEUE_LIMIT / 2)
		ctl_set_reading(c, true);
}

/*
 * A streamed reply goes through a larger socket buffer than the default
 * (about 200 KB, net.core.wmem_default), so that each wakeup of the daemon
 * and of the client moves more of it: a dump of 100,000 routes is 15 MB,
 * about 75 round trips through the scheduler at the default, each waiting
 * for a CPU on a busy machine. The buffer is the kernel's, not ours; FORCE
 * (CAP_NET_ADMIN, which the daemon has) passes net.core.wmem_max, and
 * plain SO_SNDBUF is tried without it. Best effort: a refusal only means
 * smaller steps.
 */
#define CTL_STREAM_SNDBUF (2 * 1024 * 1024)

static void ctl_stream_sndbuf(struct ctl_client *c)
{
	int size = CTL_STREAM_SNDBUF;
	uv_os_fd_t fd;

	if (c->sndbuf_set || uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0)
		return;
	c->sndbuf_set = true;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

void ctl_client_stream(struct ctl_client *c, struct ctl_walk *w)
{
	if (c->closing || c->walk) {
		ctl_walk_free(w);
		return;
	}
	/* Not read meanwhile: what it sends next waits in the socket. */
	c->walk = w;
	ctl_set_reading(c, false);
	ctl_stream_sndbuf(c);
}

static void ctl_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;

	if (n < 0) {
		ctl_client_close(c);
		return;
	}
	c->linelen += (size_t)n;
	ctl_process_lines(c);
	if (c->walk)
		ctl_pump(c);
}

static void ctl_on_connect(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	struct ctl_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	if (uv_pipe_init(server->loop, &c->pipe, 0) < 0) {
		free(c);
		return;
	}
	c->pipe.data = c;
	c->srv = s;
	c->id = ++s->next_id;
	c->pprev = &s->clients;
	c->next = s->clients;
	if (c->next)
		c->next->pprev = &c->next;
	s->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		ctl_client_close(c);
		return;
	}
	ctl_cmd_greeting(c);
	ctl_set_reading(c, true);
}

/* A socket left by a daemon that died is replaced; anything else at PATH
 * is not ours to touch. */
static int ctl_check_path(struct daemon *d, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		LOG_E(d, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	return 0;
}

#define CTL_TMP_NAME "/.wgbabeld-XXXXXX"
#define CTL_TMP_SOCK "/s"

/* Makes the private directory next to PATH, DIR = "PATHDIR/.wgbabeld-XXXXXX"
 * (mkdtemp: mode 0700, ours), and names the socket in it SOCK = "DIR/s".
 * Both buffers have CFG_SOCKPATH_MAX bytes. */
static int ctl_tmp_make(struct daemon *d, const char *path, char *dir,
			char *sock)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) : 1;
	size_t need = dirlen + strlen(CTL_TMP_NAME CTL_TMP_SOCK);

	if (need >= CFG_SOCKPATH_MAX) {
		LOG_E(d, "%s: directory name too long: the socket is bound in "
		      "a new directory next to it first, a name of %zu bytes "
		      "where a socket's may have %d", path, need,
		      CFG_SOCKPATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	memcpy(dir, slash ? path : ".", dirlen);
	memcpy(dir + dirlen, CTL_TMP_NAME, sizeof(CTL_TMP_NAME));
	if (!mkdtemp(dir)) {
		int r = -errno;

		LOG_E(d, "cannot open the control socket %s: cannot create a "
		      "directory next to it: %s", path, strerror(-r));
		return r;
	}
	memcpy(sock, dir, need - strlen(CTL_TMP_SOCK));
	memcpy(sock + need - strlen(CTL_TMP_SOCK), CTL_TMP_SOCK,
	       sizeof(CTL_TMP_SOCK));
	return 0;
}

/* Binds S as SOCK in its private directory, gives the socket file MODE and
 * GID there, starts listening, and renames it onto S->path. STEP names
 * the step that failed. */
static int ctl_server_listen(struct ctl_server *s, const char *sock,
			     mode_t mode, gid_t gid, const char **step)
{
	int r;

	*step = "bind";
	if ((r = uv_pipe_bind(&s->pipe, sock)) < 0)
		return r;
	*step = "chmod";
	if (chmod(sock, mode) < 0)
		return -errno;
	*step = "chown";
	if (gid != (gid_t)-1 && chown(sock, (uid_t)-1, gid) < 0)
		return -errno;
	*step = "listen";
	if ((r = uv_listen((uv_stream_t *)&s->pipe, 16, ctl_on_connect)) < 0)
		return r;
	*step = "rename";
	if (rename(sock, s->path) < 0)
		return -errno;
	return 0;
}

/*
 * The socket is bound in a directory of its own, given its mode and group
 * there, set listening, and only then renamed onto its path: from the first
 * instant anyone else can reach it, only those the configuration lets in
 * can connect, whatever the umask. The rename also replaces a stale socket
 * atomically. (A restrictive umask around bind() would do as well, but the
 * umask is the whole process's.)
 */
int ctl_server_open(struct daemon *d, const struct cfg_socket *cs,
		    bool readonly, struct ctl_server **out)
{
	char dir[CFG_SOCKPATH_MAX], sock[CFG_SOCKPATH_MAX];
	struct ctl_server *s;
	gid_t gid = (gid_t)-1;
	const char *step;
	int r;

	*out = NULL;
	if (!cs->path[0])
		return 0;
	if ((r = ctl_check_path(d, cs->path)) < 0)
		return r;
	if (cs->group[0]) {
		struct group *g = getgrnam(cs->group);

		if (!g) {
			LOG_E(d, "%s: unknown group '%s'", cs->path, cs->group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	if ((r = ctl_tmp_make(d, cs->path, dir, sock)) < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s) {
		rmdir(dir);
		return -ENOMEM;
	}
	s->d = d;
	s->readonly = readonly;
	snprintf(s->path, sizeof(s->path), "%s", cs->path);
	if ((r = uv_pipe_init(d->loop, &s->pipe, 0)) < 0) {
		free(s);
		rmdir(dir);
		return r;
	}
	s->pipe.data = s;
	if ((r = ctl_server_listen(s, sock, cs->mode, gid, &step)) < 0) {
		/* s is freed by the close callback. */
		uv_close((uv_handle_t *)&s->pipe, ctl_on_close);
		unlink(sock);
	}
	rmdir(dir);
	if (r < 0) {
		LOG_E(d, "cannot open the control socket %s: %s: %s", cs->path,
		      step, r > -4096 ? strerror(-r) : "error");
		return r;
	}
	LOG_I(d, "control socket %s (%s, mode %04o)", cs->path,
	      readonly ? "read-only" : "read-write", (unsigned)cs->mode);
	*out = s;
	return 0;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		ctl_client_close(s->clients);
	/* libuv unlinks the name it bound, in the directory since removed. */
	unlink(s->path);
	uv_close((uv_handle_t *)&s->pipe, ctl_on_close);
}
