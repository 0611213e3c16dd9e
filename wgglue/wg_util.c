/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg_util.c — the backend-independent parts of wg.h: prefixes, keys,
 * building a struct wg_device, and the generic backend wrappers.
 */
#include "wgglue/wg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void wg_device_clear(struct wg_device *dev)
{
	for (size_t i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].allowed_ips);
	free(dev->peers);
	memset(dev, 0, sizeof(*dev));
}

struct wg_peer *wg_device_find_peer(const struct wg_device *dev,
				    const struct wg_key *key)
{
	for (size_t i = 0; i < dev->n_peers; i++)
		if (wg_key_equal(&dev->peers[i].pubkey, key))
			return &dev->peers[i];
	return NULL;
}

struct wg_peer *wg_device_add_peer(struct wg_device *dev,
				   const struct wg_key *key)
{
	if (dev->n_peers == dev->cap_peers) {
		size_t ncap = dev->cap_peers ? dev->cap_peers * 2 : 8;
		struct wg_peer *np = realloc(dev->peers, ncap * sizeof(*np));
		if (!np)
			return NULL;
		dev->peers = np;
		dev->cap_peers = ncap;
	}
	struct wg_peer *p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	p->pubkey = *key;
	return p;
}

int wg_peer_add_allowed_ip(struct wg_peer *peer, const struct wg_prefix *pfx)
{
	if (peer->n_allowed_ips == peer->cap_allowed_ips) {
		size_t ncap = peer->cap_allowed_ips ? peer->cap_allowed_ips * 2 : 8;
		struct wg_prefix *na = realloc(peer->allowed_ips,
					       ncap * sizeof(*na));
		if (!na)
			return -ENOMEM;
		peer->allowed_ips = na;
		peer->cap_allowed_ips = ncap;
	}
	peer->allowed_ips[peer->n_allowed_ips++] = *pfx;
	return 0;
}

int wg_prefix_make(struct wg_prefix *p, int family, const void *addr,
		   unsigned plen)
{
	unsigned alen;

	if (family == AF_INET)
		alen = 4;
	else if (family == AF_INET6)
		alen = 16;
	else
		return -EAFNOSUPPORT;
	if (plen > alen * 8)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->plen = (uint8_t)plen;
	memcpy(p->addr, addr, alen);
	for (unsigned bit = plen; bit < alen * 8; bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

int wg_prefix_parse(struct wg_prefix *p, const char *s)
{
	char buf[WG_PREFIX_STRLEN];
	uint8_t addr[16];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int family;
	unsigned long plen;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		family = AF_INET6;
	else
		return -EINVAL;
	if (slash) {
		char *end;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end)
			return -EINVAL;
	} else {
		plen = family == AF_INET ? 32 : 128;
	}
	if (plen > (family == AF_INET ? 32u : 128u))
		return -EINVAL;
	return wg_prefix_make(p, family, addr, (unsigned)plen);
}

const char *wg_prefix_str(const struct wg_prefix *p, char buf[WG_PREFIX_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, WG_PREFIX_STRLEN, "%s/%u", a, p->plen);
	return buf;
}

bool wg_prefix_equal(const struct wg_prefix *a, const struct wg_prefix *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool wg_key_equal(const struct wg_key *a, const struct wg_key *b)
{
	return memcmp(a->b, b->b, WG_KEY_LEN) == 0;
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

int wg_key_from_base64(struct wg_key *k, const char *s)
{
	/* 32 bytes = 43 characters + one '=' */
	if (strlen(s) != 44 || s[43] != '=')
		return -EINVAL;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (int i = 0; i < 43; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			k->b[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* the 2 leftover bits must be zero */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	return o == WG_KEY_LEN ? 0 : -EINVAL;
}

void wg_key_to_base64(const struct wg_key *k, char out[WG_KEY_B64_LEN])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		acc = (acc << 8) | k->b[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64chars[(acc >> bits) & 63];
		}
	}
	out[o++] = b64chars[(acc << (6 - bits)) & 63];
	out[o++] = '=';
	out[o] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wg_key_from_hex(struct wg_key *k, const char *s)
{
	if (strlen(s) != 2 * WG_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		k->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void wg_key_to_hex(const struct wg_key *k, char out[WG_KEY_HEX_LEN])
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		out[2 * i] = hx[k->b[i] >> 4];
		out[2 * i + 1] = hx[k->b[i] & 15];
	}
	out[2 * WG_KEY_LEN] = 0;
}

int wg_backend_probe(struct wg_backend *be, const char *ifname,
		     unsigned *caps)
{
	unsigned c = 0;
	int r = be->ops->probe ? be->ops->probe(be, ifname, &c) : 0;
	if (r < 0)
		return r;
	be->caps = c;
	if (caps)
		*caps = c;
	return 0;
}

void wg_backend_free(struct wg_backend *be)
{
	if (be)
		be->ops->destroy(be);
}
