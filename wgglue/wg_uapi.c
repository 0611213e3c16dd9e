/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg_uapi.c — the userspace WireGuard backend (wireguard-go,
 * boringtun...): the cross-platform UAPI text protocol on a stream socket
 * SOCKDIR/IFNAME.sock. A request is "get=1" or "set=1", key=value lines and
 * a blank line; the answer ends with "errno=N" and a blank line. Keys are
 * hex. One connection per request (the implementation may restart).
 *
 * A set is one transaction from our side, but an implementation applies the
 * lines one by one, so packets may see intermediate states; we therefore
 * use the same order as the kernel backend: a move is one allowed_ip= line
 * on the new peer, and a REMOVE without support for single removal moves
 * the prefixes to a transient sink peer that the same request removes
 * (see wgglue/wg_kernel.c for the reasoning). Single removal is written as
 * "allowed_ip=-PREFIX" (the form wireguard-tools uses for
 * WGALLOWEDIP_F_REMOVE_ME over UAPI) and only after the probe saw the
 * implementation accept it; wireguard-go 0.0.20220316 rejects it.
 *
 * The other end is another process, and we are called from the event loop:
 * the socket is non-blocking, every wait is a poll() bounded by the
 * request's deadline (wg.h, WG_UAPI_TIMEOUT_MS), the request is written
 * from a fixed buffer and the reply parsed from one, line by line, each
 * line bounded (WG_UAPI_LINE_MAX) and the whole reply too
 * (WG_UAPI_REPLY_MAX). Unlike wireguard-tools' ipc-uapi.h, which may block
 * a CLI for as long as it likes, nothing here waits on a stopped peer.
 */
#include "wgglue/wg.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define WU_OBUF (64 * 1024)	/* request text, sent whenever it fills */
#define WU_IBUF (64 * 1024)	/* reply text not parsed yet */

/* One request: its socket, deadline and buffers. */
struct wu_conn {
	int fd;
	int err;		/* first error while writing (sticky) */
	unsigned timeout_ms;
	uint64_t start_ms;	/* CLOCK_MONOTONIC */
	uint64_t last_ms;	/* when a byte last moved */
	uint64_t moved;		/* bytes sent and received */
	uint64_t received;
	size_t out_len;
	size_t in_len;
	char out[WU_OBUF];
	char in[WU_IBUF];
};

struct wg_uapi {
	struct wg_backend be;
	unsigned timeout_ms;
	struct wu_conn conn;	/* one request at a time (not thread-safe) */
	char sockdir[PATH_MAX / 2];
};

static struct wg_uapi *wu_of(struct wg_backend *be)
{
	return (struct wg_uapi *)be;
}

static uint64_t wu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wu_moved(struct wu_conn *c, size_t n)
{
	c->moved += n;
	c->last_ms = wu_now_ms();
}

/*
 * Waits until the socket is ready for events, within the deadline of wg.h:
 * no byte moved for timeout_ms, or more time in all than timeout_ms plus a
 * second per WG_UAPI_MIN_RATE bytes moved. 0, -ETIMEDOUT or -errno.
 */
static int wu_wait(struct wu_conn *c, short events)
{
	for (;;) {
		uint64_t now = wu_now_ms();
		uint64_t stall = c->last_ms + c->timeout_ms;
		uint64_t total = c->start_ms + c->timeout_ms +
				 c->moved * 1000 / WG_UAPI_MIN_RATE;
		uint64_t end = stall < total ? stall : total;
		struct pollfd pfd = { .fd = c->fd, .events = events };
		int n;

		if (now >= end)
			return -ETIMEDOUT;
		/* end - now <= timeout_ms: fits an int. */
		n = poll(&pfd, 1, (int)(end - now));
		if (n > 0)
			return 0;	/* also POLLHUP/POLLERR: the I/O says */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int wu_connect(struct wg_uapi *wu, const char *ifname,
		      struct wu_conn **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct wu_conn *c = &wu->conn;
	int fd, n;

	if (strchr(ifname, '/') || strlen(ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
		     wu->sockdir, ifname);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return -ENODEV;
		/* A full listen backlog: the process has not accepted
		 * connections for a while (stopped or hung). */
		if (e == EAGAIN)
			return -ETIMEDOUT;
		return -e;
	}
	c->fd = fd;
	c->err = 0;
	c->timeout_ms = wu->timeout_ms;
	c->start_ms = c->last_ms = wu_now_ms();
	c->moved = c->received = 0;
	c->out_len = c->in_len = 0;
	*out = c;
	return 0;
}

static void wu_close(struct wu_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Sends what is buffered; the error stays in c->err. */
static int wu_flush(struct wu_conn *c)
{
	size_t off = 0;

	while (c->err == 0 && off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off += (size_t)n;
			wu_moved(c, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->err = wu_wait(c, POLLOUT);
		} else {
			c->err = n < 0 ? -errno : -EIO;
		}
	}
	c->out_len = 0;
	return c->err;
}

/* Appends one formatted line (or part) to the request. */
__attribute__((format(printf, 2, 3)))
static void wu_put(struct wu_conn *c, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && c->err == 0; tries++) {
		size_t room = WU_OBUF - c->out_len;
		va_list ap;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(c->out + c->out_len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			c->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			c->out_len += (size_t)n;
			return;
		}
		wu_flush(c);
	}
	if (c->err == 0)
		c->err = -EMSGSIZE;	/* longer than the buffer: a bug */
}

typedef int wu_line_fn(void *arg, char *key, char *val);

/* One reply line (NUL-terminated, no newline): errno=N sets *status,
 * anything else goes to on_line. */
static int wu_reply_line(char *line, size_t len, int *status, bool *have,
			 wu_line_fn *on_line, void *arg)
{
	char *eq, *end;
	long v;

	if (memchr(line, 0, len))
		return -EBADMSG;
	eq = strchr(line, '=');
	if (!eq || eq == line)
		return -EBADMSG;
	*eq = 0;
	if (strcmp(line, "errno") != 0)
		return on_line ? on_line(arg, line, eq + 1) : 0;
	/* wireguard-go writes the negative code ("errno=-22"), the
	 * cross-platform protocol text a positive one: accept both. */
	errno = 0;
	v = strtol(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || v < -4095 || v > 4095 ||
	    !(eq[1] == '-' || (eq[1] >= '0' && eq[1] <= '9')))
		return -EBADMSG;
	*status = v < 0 ? (int)v : -(int)v;
	*have = true;
	return 0;
}

/*
 * Reads the reply up to its blank line; returns the errno= value (negated)
 * or an error of our own. For get, every other line goes to on_line; the
 * first error on_line returns is kept, the reply still read to its end.
 */
static int wu_read_reply(struct wu_conn *c, wu_line_fn *on_line, void *arg)
{
	size_t off = 0;
	int status = 0, ret = 0, r;
	bool have_errno = false;

	c->in_len = 0;
	for (;;) {
		char *line = c->in + off;
		char *nl = memchr(line, '\n', c->in_len - off);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - line);

			off += len + 1;
			if (len > WG_UAPI_LINE_MAX)
				return -EMSGSIZE;
			if (len == 0)
				break;
			*nl = 0;
			r = wu_reply_line(line, len, &status, &have_errno,
					  ret == 0 ? on_line : NULL, arg);
			if (r == -EBADMSG)
				return r;
			if (ret == 0)
				ret = r;
			continue;
		}
		if (c->in_len - off > WG_UAPI_LINE_MAX)
			return -EMSGSIZE;
		memmove(c->in, line, c->in_len - off);
		c->in_len -= off;
		off = 0;
		n = recv(c->fd, c->in + c->in_len, WU_IBUF - c->in_len,
			 MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->received += (size_t)n;
			wu_moved(c, (size_t)n);
			if (c->received > WG_UAPI_REPLY_MAX)
				return -EMSGSIZE;
		} else if (n == 0) {
			return -EBADMSG;	/* closed before the blank line */
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((r = wu_wait(c, POLLIN)) < 0)
				return r;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	if (!have_errno)
		return -EBADMSG;
	return status < 0 ? status : ret;
}

/* Ends a request and reads its answer. A write that failed because the
 * process answered early and closed (it stops at the first line it
 * rejects) still has that answer to read. */
static int wu_finish(struct wu_conn *c, wu_line_fn *on_line, void *arg)
{
	int ret;

	wu_put(c, "\n");
	ret = wu_flush(c);
	if (ret == -ETIMEDOUT)
		return ret;
	if (ret < 0) {
		int r = wu_read_reply(c, on_line, arg);

		return r == -EBADMSG || r == -ECONNRESET ? ret : r;
	}
	return wu_read_reply(c, on_line, arg);
}

/* ---- get --------------------------------------------------------------- */

struct wu_get {
	struct wg_device *dev;
	struct wg_peer *peer;
};

static int wu_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

static int wu_parse_endpoint(struct wg_peer *p, const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (!colon || (size_t)(colon - s) >= sizeof(host) ||
	    wu_parse_u64(colon + 1, 65535, &port) < 0)
		return -EBADMSG;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	if (host[0] == '[') {
		size_t hl = strlen(host);
		if (hl < 2 || host[hl - 1] != ']')
			return -EBADMSG;
		host[hl - 1] = 0;
		p->endpoint.in6.sin6_family = AF_INET6;
		p->endpoint.in6.sin6_port = htons((uint16_t)port);
		char *pct = strchr(host + 1, '%');	/* scope: not kept */
		if (pct)
			*pct = 0;
		return inet_pton(AF_INET6, host + 1,
				 &p->endpoint.in6.sin6_addr) == 1 ? 0 : -EBADMSG;
	}
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &p->endpoint.in.sin_addr) == 1 ?
	       0 : -EBADMSG;
}

static int wu_get_line(void *arg, char *key, char *val)
{
	struct wu_get *g = arg;
	uint64_t v;

	if (strcmp(key, "public_key") == 0) {
		struct wg_key k;
		if (wg_key_from_hex(&k, val) < 0)
			return -EBADMSG;
		g->peer = wg_device_add_peer(g->dev, &k);
		return g->peer ? 0 : -ENOMEM;
	}
	if (strcmp(key, "listen_port") == 0) {
		if (wu_parse_u64(val, 65535, &v) < 0)
			return -EBADMSG;
		g->dev->listen_port = (uint16_t)v;
		return 0;
	}
	if (strcmp(key, "fwmark") == 0) {
		if (wu_parse_u64(val, UINT32_MAX, &v) < 0)
			return -EBADMSG;
		g->dev->fwmark = (uint32_t)v;
		return 0;
	}
	if (!g->peer)
		return 0;	/* private_key and unknown device keys */
	if (strcmp(key, "allowed_ip") == 0) {
		struct wg_prefix p;
		if (wg_prefix_parse(&p, val) < 0 || !strchr(val, '/'))
			return -EBADMSG;
		return wg_peer_add_allowed_ip(g->peer, &p);
	}
	if (strcmp(key, "endpoint") == 0)
		return wu_parse_endpoint(g->peer, val);
	if (strcmp(key, "last_handshake_time_sec") == 0) {
		if (wu_parse_u64(val, INT64_MAX, &v) < 0)
			return -EBADMSG;
		g->peer->last_handshake_sec = (int64_t)v;
		return 0;
	}
	if (strcmp(key, "rx_bytes") == 0)
		return wu_parse_u64(val, UINT64_MAX, &g->peer->rx_bytes);
	if (strcmp(key, "tx_bytes") == 0)
		return wu_parse_u64(val, UINT64_MAX, &g->peer->tx_bytes);
	if (strcmp(key, "persistent_keepalive_interval") == 0) {
		if (wu_parse_u64(val, 65535, &v) < 0)
			return -EBADMSG;
		g->peer->keepalive_interval = (uint16_t)v;
		return 0;
	}
	return 0;	/* preshared_key, protocol_version, newer keys */
}

static int wu_get_device(struct wg_backend *be, const char *ifname,
			 struct wg_device *out)
{
	struct wu_get g = { out, NULL };
	struct wu_conn *c;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = wu_connect(wu_of(be), ifname, &c);
	if (ret < 0)
		return ret;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	wu_put(c, "get=1\n");
	ret = wu_finish(c, wu_get_line, &g);
	wu_close(c);
	if (ret < 0)
		wg_device_clear(out);
	return ret;
}

/* ---- set --------------------------------------------------------------- */

static void wu_put_peer(struct wu_conn *c, const struct wg_key *k,
			const char *extra)
{
	char hex[WG_KEY_HEX_LEN];

	wg_key_to_hex(k, hex);
	wu_put(c, "public_key=%s\n%s", hex, extra);
}

static void wu_put_aip(struct wu_conn *c, const struct wg_prefix *p,
		       bool remove)
{
	char buf[WG_PREFIX_STRLEN];

	wu_put(c, "allowed_ip=%s%s\n", remove ? "-" : "",
	       wg_prefix_str(p, buf));
}

static int wu_apply(struct wg_backend *be, const char *ifname,
		    const struct wg_aip_change *ch, size_t n)
{
	bool remove_me = be->caps & WG_CAP_AIP_REMOVE;
	bool has_sink = false;
	struct wg_key sink;
	struct wu_conn *c;
	int ret;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ch[i].op > WG_AIP_SET)
			return -EINVAL;
	if (getrandom(sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN)
		return -EIO;
	ret = wu_connect(wu_of(be), ifname, &c);
	if (ret < 0)
		return ret;
	wu_put(c, "set=1\n");
	for (size_t i = 0; i < n; i++) {
		const struct wg_aip_change *a = &ch[i];
		bool via_sink = a->op == WG_AIP_REMOVE && !remove_me;
		bool new_group = i == 0 || a->op != ch[i - 1].op ||
				 !wg_key_equal(&a->peer, &ch[i - 1].peer);

		if (new_group) {
			if (via_sink)
				wu_put_peer(c, &sink, "");
			else if (a->op == WG_AIP_SET)
				wu_put_peer(c, &a->peer,
					    "update_only=true\nreplace_allowed_ips=true\n");
			else
				wu_put_peer(c, &a->peer, "update_only=true\n");
		}
		has_sink |= via_sink;
		wu_put_aip(c, &a->prefix, a->op == WG_AIP_REMOVE && remove_me);
	}
	if (has_sink)
		wu_put_peer(c, &sink, "remove=true\n");
	ret = wu_finish(c, NULL, NULL);
	wu_close(c);
	return ret;
}

/*
 * Whether "allowed_ip=-PREFIX" (single removal) is understood, asked of a
 * peer that does not exist: with update_only the implementation makes it
 * a dummy and changes nothing, but it still parses the line, and one that
 * does not know the form rejects it (wireguard-go 0.0.20220316: errno
 * -22, checked by hand). So the probe leaves nothing on the device, not
 * even for a moment: the old probe made a peer with a prefix and removed
 * it in a second request, and a device read in between (a test's, an
 * operator's `wg show`) saw a stranger's allowed IP. The closing
 * remove=true only matters to an implementation that would make the peer
 * despite update_only.
 */
static int wu_probe(struct wg_backend *be, const char *ifname, unsigned *caps)
{
	struct wg_key sink;
	struct wg_prefix p;
	uint8_t addr[16];
	struct wu_conn *c;
	int ret;

	*caps = 0;
	if (getrandom(sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN ||
	    getrandom(addr, sizeof(addr), 0) != sizeof(addr))
		return -EIO;
	addr[0] = 0xfd;
	wg_prefix_make(&p, AF_INET6, addr, 128);
	ret = wu_connect(wu_of(be), ifname, &c);
	if (ret < 0)
		return ret;
	wu_put(c, "set=1\n");
	wu_put_peer(c, &sink, "update_only=true\n");
	wu_put_aip(c, &p, true);
	wu_put_peer(c, &sink, "update_only=true\nremove=true\n");
	ret = wu_finish(c, NULL, NULL);
	wu_close(c);
	if (ret == 0)
		*caps |= WG_CAP_AIP_REMOVE;
	if (ret == -ETIMEDOUT)
		return ret;	/* not a refusal: probe again later */
	return 0;
}

static int wu_set_fwmark(struct wg_backend *be, const char *ifname,
			 uint32_t mark)
{
	struct wu_conn *c;
	int ret;

	if ((ret = wu_connect(wu_of(be), ifname, &c)) < 0)
		return ret;
	wu_put(c, "set=1\nfwmark=%u\n", (unsigned)mark);
	ret = wu_finish(c, NULL, NULL);
	wu_close(c);
	return ret;
}

static void wu_destroy(struct wg_backend *be)
{
	free(wu_of(be));
}

static const struct wg_backend_ops wu_ops = {
	.name = "uapi",
	.get_device = wu_get_device,
	.apply = wu_apply,
	.probe = wu_probe,
	.set_fwmark = wu_set_fwmark,
	.fd = NULL,
	.destroy = wu_destroy,
};

int wg_backend_uapi_new(struct wg_backend **out, const char *sockdir)
{
	struct wg_uapi *wu;

	if (!sockdir)
		sockdir = "/var/run/wireguard";
	if (strlen(sockdir) >= sizeof(wu->sockdir))
		return -ENAMETOOLONG;
	wu = calloc(1, sizeof(*wu));
	if (!wu)
		return -ENOMEM;
	wu->be.ops = &wu_ops;
	wu->timeout_ms = WG_UAPI_TIMEOUT_MS;
	wu->conn.fd = -1;
	memcpy(wu->sockdir, sockdir, strlen(sockdir) + 1);
	*out = &wu->be;
	return 0;
}

void wg_backend_uapi_set_timeout(struct wg_backend *be, unsigned ms)
{
	if (be->ops == &wu_ops)
		wu_of(be)->timeout_ms = ms;
}
