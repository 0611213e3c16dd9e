/* SPDX-License-Identifier: MIT */
/*
 * daemon/httpd.c — the metrics endpoint's server (see httpd.h): accepts,
 * reads a request head into a fixed buffer under a deadline, answers once
 * with Connection: close, then lingers briefly reading what is left so the
 * answer is not lost to a reset. Each client is two handles (the TCP
 * stream and its timer) inside one allocation, freed when both closed.
 */
#include "daemon/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/httpreq.h"

enum httpd_state { HC_READING, HC_WRITING, HC_LINGER };

struct httpd_client {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sh;
	struct httpd *h;
	struct httpd_client *next, **pprev;
	enum httpd_state state;
	unsigned open_handles;
	bool closing;
	char *out;
	size_t len;
	char buf[HTTP_HEAD_MAX];
};

struct httpd {
	uv_tcp_t tcp;
	struct daemon *d;
	struct httpd_client *clients;
	struct metrics_http_stats st;
	bool listener_open;
	bool closing;
	char name[INET6_ADDRSTRLEN + 8];
};

static void httpd_maybe_free(struct httpd *h)
{
	if (h->closing && !h->listener_open && !h->clients)
		free(h);
}

static void hc_on_close(uv_handle_t *hd)
{
	struct httpd_client *c = hd->data;
	struct httpd *h = c->h;

	if (--c->open_handles)
		return;
	if ((*c->pprev = c->next))
		c->next->pprev = c->pprev;
	h->st.active--;
	free(c->out);
	free(c);
	httpd_maybe_free(h);
}

static void hc_close(struct httpd_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, hc_on_close);
	uv_close((uv_handle_t *)&c->timer, hc_on_close);
}

static void hc_drop(struct httpd_client *c, enum metrics_http_drop why)
{
	c->h->st.dropped[why]++;
	hc_close(c);
}

static void hc_on_timer(uv_timer_t *t)
{
	struct httpd_client *c = t->data;

	if (c->state == HC_READING)
		hc_drop(c, METRICS_DROP_TIMEOUT);
	else
		hc_close(c);
}

static size_t httpd_status_index(int status)
{
	static const int codes[METRICS_HTTP_MAX] = {
		200, 400, 404, 405, 413, 431, 503, 505
	};

	for (size_t i = 0; i < METRICS_HTTP_MAX; i++)
		if (codes[i] == status)
			return i;
	return METRICS_HTTP_400;
}

static void hc_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *b)
{
	struct httpd_client *c = hd->data;

	(void)suggested;
	if (c->state == HC_READING) {
		b->base = c->buf + c->len;
		b->len = sizeof(c->buf) - c->len;
	} else {
		/* lingering: read into the buffer and forget it */
		b->base = c->buf;
		b->len = sizeof(c->buf);
	}
}

static void hc_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void hc_on_shutdown(uv_shutdown_t *req, int status)
{
	struct httpd_client *c = req->data;

	if (status < 0 || c->closing) {
		hc_close(c);
		return;
	}
	c->state = HC_LINGER;
	uv_timer_start(&c->timer, hc_on_timer, HTTPD_LINGER_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, hc_alloc, hc_on_read) < 0)
		hc_close(c);
}

static void hc_on_write(uv_write_t *req, int status)
{
	struct httpd_client *c = req->data;

	free(c->out);
	c->out = NULL;
	if (c->closing)
		return;
	if (status < 0 || uv_shutdown(&c->sh, (uv_stream_t *)&c->tcp,
				      hc_on_shutdown) < 0)
		hc_close(c);
}

/* Queues the answer with STATUS; BODY (taken) may be NULL. */
static void hc_answer(struct httpd_client *c, int status, bool head_only,
		      char *body, size_t body_len)
{
	static const char fmt[] =
		"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"%sConnection: close\r\n\r\n";
	const char *ctype = status == 200 ? METRICS_CONTENT_TYPE :
			    "text/plain; charset=utf-8";
	const char *reason = http_status_reason(status);
	char err[96];
	size_t hl, n;
	uv_buf_t ub;
	int r;

	c->h->st.answers[httpd_status_index(status)]++;
	if (!body) {
		n = (size_t)snprintf(err, sizeof(err), "%d %s\n", status,
				     reason);
		body = err;
		body_len = n;
	}
	hl = (size_t)snprintf(NULL, 0, fmt, status, reason, ctype, body_len,
			      status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->out = malloc(hl + 1 + body_len);
	if (c->out) {
		snprintf(c->out, hl + 1, fmt, status, reason, ctype, body_len,
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");
		if (!head_only)
			memcpy(c->out + hl, body, body_len);
	}
	if (body != err)
		free(body);
	if (!c->out) {
		hc_close(c);
		return;
	}
	c->state = HC_WRITING;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_start(&c->timer, hc_on_timer, HTTPD_WRITE_TIMEOUT_MS, 0);
	ub = uv_buf_init(c->out, (unsigned)(hl + (head_only ? 0 : body_len)));
	if ((r = uv_write(&c->wr, (uv_stream_t *)&c->tcp, &ub, 1,
			  hc_on_write)) < 0) {
		free(c->out);
		c->out = NULL;
		hc_close(c);
	}
}

static void hc_serve(struct httpd_client *c, const struct http_req *req)
{
	struct sbuf b = { 0 };
	size_t len;
	char *p;

	if (metrics_write(c->h->d, &b) < 0) {
		sbuf_free(&b);
		hc_close(c);
		return;
	}
	p = sbuf_take(&b, &len);
	hc_answer(c, 200, req->head, p, len);
}

static void hc_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct httpd_client *c = s->data;
	struct http_req req;
	int st;

	(void)b;
	if (c->closing)
		return;
	if (n < 0) {
		if (c->state == HC_READING)
			hc_drop(c, METRICS_DROP_CLOSED);
		else
			hc_close(c);	/* EOF after the answer: done */
		return;
	}
	if (c->state != HC_READING || n == 0)
		return;
	c->len += (size_t)n;
	if (!(st = http_req_parse(c->buf, c->len, &req)))
		return;
	if (st == 200)
		hc_serve(c, &req);
	else
		hc_answer(c, st, false, NULL, 0);
}

static void httpd_on_connection(uv_stream_t *server, int status)
{
	struct httpd *h = server->data;
	struct httpd_client *c;

	if (status < 0 || h->closing)
		return;
	if (!(c = calloc(1, sizeof(*c)))) {
		/* accept nothing: libuv retries on the next loop turn */
		return;
	}
	c->h = h;
	uv_tcp_init(h->d->loop, &c->tcp);
	uv_timer_init(h->d->loop, &c->timer);
	c->tcp.data = c->timer.data = c->wr.data = c->sh.data = c;
	c->open_handles = 2;
	c->pprev = &h->clients;
	if ((c->next = h->clients))
		c->next->pprev = &c->next;
	h->clients = c;
	h->st.active++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		hc_close(c);
		return;
	}
	h->st.connections++;
	if (h->st.active > 4 * HTTPD_MAX_CLIENTS) {
		hc_drop(c, METRICS_DROP_OVERLOAD);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (h->st.active > HTTPD_MAX_CLIENTS) {
		hc_answer(c, 503, false, NULL, 0);
		return;
	}
	uv_timer_start(&c->timer, hc_on_timer, HTTPD_HEAD_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, hc_alloc, hc_on_read) < 0)
		hc_close(c);
}

static void httpd_on_listener_close(uv_handle_t *hd)
{
	struct httpd *h = hd->data;

	h->listener_open = false;
	httpd_maybe_free(h);
}

int httpd_open(struct daemon *d, const struct cfg_listen *l,
	       struct httpd **out)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	struct httpd *h;
	char a[INET6_ADDRSTRLEN];
	int r;

	memset(&sa, 0, sizeof(sa));
	if (l->family == AF_INET6) {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(l->port);
		memcpy(&sa.in6.sin6_addr, l->addr, 16);
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(l->port);
		memcpy(&sa.in.sin_addr, l->addr, 4);
	}
	inet_ntop(l->family, l->addr, a, sizeof(a));
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	h->d = d;
	snprintf(h->name, sizeof(h->name), l->family == AF_INET6 ?
		 "[%s]:%u" : "%s:%u", a, l->port);
	if ((r = uv_tcp_init(d->loop, &h->tcp)) < 0) {
		free(h);
		return r;
	}
	h->tcp.data = h;
	h->listener_open = true;
	if ((r = uv_tcp_bind(&h->tcp, &sa.sa, 0)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&h->tcp, 16,
			   httpd_on_connection)) < 0) {
		LOG_E(d, "metrics-listen %s: %s", h->name, uv_strerror(r));
		h->closing = true;
		uv_close((uv_handle_t *)&h->tcp, httpd_on_listener_close);
		return r;
	}
	LOG_I(d, "metrics on http://%s/metrics", h->name);
	*out = h;
	return 0;
}

void httpd_close(struct httpd *h)
{
	if (!h)
		return;
	h->closing = true;
	for (struct httpd_client *c = h->clients; c; c = c->next)
		hc_close(c);
	uv_close((uv_handle_t *)&h->tcp, httpd_on_listener_close);
}

void httpd_get_stats(const struct httpd *h, struct metrics_http_stats *st)
{
	*st = h->st;
}
