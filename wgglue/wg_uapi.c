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
 */
#include "wgglue/wg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

struct wg_uapi {
	struct wg_backend be;
	char sockdir[PATH_MAX / 2];
};

static struct wg_uapi *wu_of(struct wg_backend *be)
{
	return (struct wg_uapi *)be;
}

static int wu_connect(struct wg_uapi *wu, const char *ifname, FILE **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, n;

	if (strchr(ifname, '/') || strlen(ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
		     wu->sockdir, ifname);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return (e == ENOENT || e == ECONNREFUSED) ? -ENODEV : -e;
	}
	*out = fdopen(fd, "r+");
	if (!*out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* Reads up to the blank line; returns the errno= value (negated) or an
 * error of our own. For get, every other line goes to on_line. */
static int wu_read_reply(FILE *f, int (*on_line)(void *, char *, char *),
			 void *arg)
{
	char line[512];
	int err = -EBADMSG, ret = 0;
	bool have_errno = false;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			return -EBADMSG;
		line[--len] = 0;
		if (len == 0)
			break;
		char *eq = strchr(line, '=');
		if (!eq)
			return -EBADMSG;
		*eq = 0;
		if (strcmp(line, "errno") == 0) {
			char *end;
			long v = strtol(eq + 1, &end, 10);
			if (*end || v < 0 || v > 4095)
				return -EBADMSG;
			err = -(int)v;
			have_errno = true;
			continue;
		}
		if (on_line && ret == 0)
			ret = on_line(arg, line, eq + 1);
	}
	if (!have_errno)
		return -EBADMSG;
	return err < 0 ? err : ret;
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
	FILE *f;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = wu_connect(wu_of(be), ifname, &f);
	if (ret < 0)
		return ret;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	if (fputs("get=1\n\n", f) < 0 || fflush(f) != 0)
		ret = -EIO;
	else
		ret = wu_read_reply(f, wu_get_line, &g);
	fclose(f);
	if (ret < 0)
		wg_device_clear(out);
	return ret;
}

/* ---- set --------------------------------------------------------------- */

static void wu_put_peer(FILE *f, const struct wg_key *k, const char *extra)
{
	char hex[WG_KEY_HEX_LEN];

	wg_key_to_hex(k, hex);
	fprintf(f, "public_key=%s\n%s", hex, extra);
}

static void wu_put_aip(FILE *f, const struct wg_prefix *p, bool remove)
{
	char buf[WG_PREFIX_STRLEN];

	fprintf(f, "allowed_ip=%s%s\n", remove ? "-" : "", wg_prefix_str(p, buf));
}

static int wu_finish(FILE *f)
{
	if (fputs("\n", f) < 0 || fflush(f) != 0)
		return -EIO;
	return wu_read_reply(f, NULL, NULL);
}

static int wu_apply(struct wg_backend *be, const char *ifname,
		    const struct wg_aip_change *ch, size_t n)
{
	bool remove_me = be->caps & WG_CAP_AIP_REMOVE;
	bool has_sink = false;
	struct wg_key sink;
	FILE *f;
	int ret;

	if (n == 0)
		return 0;
	if (getrandom(sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN)
		return -EIO;
	ret = wu_connect(wu_of(be), ifname, &f);
	if (ret < 0)
		return ret;
	fputs("set=1\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct wg_aip_change *c = &ch[i];
		bool via_sink = c->op == WG_AIP_REMOVE && !remove_me;
		bool new_group = i == 0 || c->op != ch[i - 1].op ||
				 !wg_key_equal(&c->peer, &ch[i - 1].peer);

		if (c->op > WG_AIP_SET) {
			fclose(f);
			return -EINVAL;
		}
		if (new_group) {
			if (via_sink)
				wu_put_peer(f, &sink, "");
			else if (c->op == WG_AIP_SET)
				wu_put_peer(f, &c->peer,
					    "update_only=true\nreplace_allowed_ips=true\n");
			else
				wu_put_peer(f, &c->peer, "update_only=true\n");
		}
		has_sink |= via_sink;
		wu_put_aip(f, &c->prefix, c->op == WG_AIP_REMOVE && remove_me);
	}
	if (has_sink)
		wu_put_peer(f, &sink, "remove=true\n");
	ret = wu_finish(f);
	fclose(f);
	return ret;
}

static int wu_probe(struct wg_backend *be, const char *ifname, unsigned *caps)
{
	struct wg_key sink;
	struct wg_prefix p;
	uint8_t addr[16];
	FILE *f;
	int ret;

	*caps = 0;
	if (getrandom(sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN ||
	    getrandom(addr, sizeof(addr), 0) != sizeof(addr))
		return -EIO;
	addr[0] = 0xfd;
	wg_prefix_make(&p, AF_INET6, addr, 128);
	ret = wu_connect(wu_of(be), ifname, &f);
	if (ret < 0)
		return ret;
	fputs("set=1\n", f);
	wu_put_peer(f, &sink, "");
	wu_put_aip(f, &p, false);
	wu_put_aip(f, &p, true);
	wu_put_peer(f, &sink, "remove=true\n");
	ret = wu_finish(f);
	fclose(f);
	if (ret == 0) {
		*caps |= WG_CAP_AIP_REMOVE;
		return 0;
	}
	/* Rejected part-way: remove the sink it left behind. */
	ret = wu_connect(wu_of(be), ifname, &f);
	if (ret < 0)
		return ret;
	fputs("set=1\n", f);
	wu_put_peer(f, &sink, "remove=true\n");
	ret = wu_finish(f);
	fclose(f);
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
	memcpy(wu->sockdir, sockdir, strlen(sockdir) + 1);
	*out = &wu->be;
	return 0;
}
