/* SPDX-License-Identifier: MIT */
/*
 * daemon/control.c — the control socket's server side: listening, clients,
 * line framing and queued output. What the commands do is in ctl_cmd.c.
 */
#include "daemon/control.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
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
	if (c->closing)
		return;
	c->closing = true;
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
	c->next = NULL;
	c->pprev = &c->next;
	uv_close((uv_handle_t *)&c->pipe, ctl_on_close);
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
	/* A client that stopped being read because it did not read its
	 * replies is read again once they drained. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <
	    CTL_QUEUE_LIMIT / 2)
		ctl_set_reading(c, true);
}

/* Queues LEN bytes: copied from BUF, or OWNED itself (freed when written
 * or on failure; a 16 MB dump is not copied again). */
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
	b = uv_buf_init(owned ? owned : w->data, (unsigned)len);
	/* Try to write at once; uv_write queues whatever does not fit. */
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

static void ctl_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;
	size_t start = 0;

	if (n < 0) {
		ctl_client_close(c);
		return;
	}
	c->linelen += (size_t)n;
	for (size_t i = 0; i < c->linelen && !c->closing; i++) {
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
	if (c->linelen == sizeof(c->line)) {
		static const char msg[] = "error: line too long\n";

		ctl_client_write(c, msg, sizeof(msg) - 1);
		ctl_client_close(c);
	}
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

int ctl_server_open(struct daemon *d, const struct cfg_socket *cs,
		    bool readonly, struct ctl_server **out)
{
	struct ctl_server *s;
	struct stat st;
	int r;

	*out = NULL;
	if (!cs->path[0])
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->d = d;
	s->readonly = readonly;
	snprintf(s->path, sizeof(s->path), "%s", cs->path);
	/* A socket left by a daemon that died: remove it. Anything else at
	 * that path is not ours to delete. */
	if (lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			LOG_E(d, "%s exists and is not a socket", s->path);
			free(s);
			return -EEXIST;
		}
		unlink(s->path);
	}
	if ((r = uv_pipe_init(d->loop, &s->pipe, 0)) < 0) {
		free(s);
		return r;
	}
	s->pipe.data = s;
	if ((r = uv_pipe_bind(&s->pipe, s->path)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&s->pipe, 16, ctl_on_connect)) < 0)
		goto fail;
	if (chmod(s->path, cs->mode) < 0) {
		r = -errno;
		goto fail;
	}
	if (cs->group[0]) {
		struct group *g = getgrnam(cs->group);

		if (!g) {
			LOG_E(d, "%s: unknown group '%s'", s->path, cs->group);
			r = -ENOENT;
			goto fail;
		}
		if (chown(s->path, (uid_t)-1, g->gr_gid) < 0) {
			r = -errno;
			goto fail;
		}
	}
	LOG_I(d, "control socket %s (%s, mode %04o)", s->path,
	      readonly ? "read-only" : "read-write", (unsigned)cs->mode);
	*out = s;
	return 0;
fail:
	LOG_E(d, "cannot open the control socket %s: %s", s->path,
	      r < 0 && r > -4096 ? strerror(-r) : "error");
	uv_close((uv_handle_t *)&s->pipe, ctl_on_close);
	return r;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		ctl_client_close(s->clients);
	unlink(s->path);
	uv_close((uv_handle_t *)&s->pipe, ctl_on_close);
}
