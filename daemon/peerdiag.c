/* SPDX-License-Identifier: MIT */
/*
 * daemon/peerdiag.c — what WireGuard keeps quiet about its peers, said
 * once in the log.
 *
 * WireGuard drops what it cannot deliver or accept: a packet from a source
 * outside the sender's AllowedIPs is dropped by the receiver without a
 * trace (wireguard-go: behind its TUN device, whose writes always
 * succeed), and kernel WireGuard refuses a send to an address no peer
 * holds, or to a peer without an endpoint. So:
 *   - a peer from which no Babel packet came for 30 s is warned about once,
 *     naming the addresses to check; the warning re-arms when its packets
 *     arrive again. Per packet this costs one store (the peer is looked up
 *     anyway); the check runs from the periodic device refresh.
 *   - a send kernel WireGuard refuses is reported once per peer and error,
 *     again only after a send to that peer worked.
 */
#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A WireGuard peer that sent no Babel packet for this long is warned
 * about: more than seven of its Hellos at the default 4 s. */
#define PEERDIAG_SILENCE_US (30ULL * 1000000)

/* A peer read again keeps what we know of its traffic; a new one (or one
 * with a new key) starts its 30 s of grace now. */
void peerdiag_carry(const struct d_iface *ifc, struct d_peer *q, uint64_t now)
{
	const struct d_peer *old = NULL;

	if (q->addr.af != BABEL_AF_NONE)
		old = iface_peer_find(ifc, &q->addr);
	if (!old && q->addr4.af != BABEL_AF_NONE)
		old = iface_peer_find(ifc, &q->addr4);
	if (old && wg_key_equal(&old->key, &q->key)) {
		q->heard_us = old->heard_us;
		q->silence_warned = old->silence_warned;
		q->send_errs = old->send_errs;
		return;
	}
	q->heard_us = now;
}

/* "fe80::2 (key AbC...=)" */
static const char *peerdiag_peer_str(const struct d_peer *p, char *buf,
				     size_t len)
{
	char a[INET6_ADDRSTRLEN], b64[WG_KEY_B64_LEN];

	d_addr_str(p->addr.af != BABEL_AF_NONE ? &p->addr : &p->addr4, a,
		   sizeof(a));
	wg_key_to_base64(&p->key, b64);
	snprintf(buf, len, "%s (key %s)", a, b64);
	return buf;
}

bool peerdiag_heard(struct daemon *d, struct d_iface *ifc,
		    const struct babel_addr *src, uint64_t now)
{
	struct d_peer *p = iface_peer_find(ifc, src);
	char ps[INET6_ADDRSTRLEN + WG_KEY_B64_LEN + 16];

	if (!p)
		return false;
	p->heard_us = now;
	if (p->silence_warned) {
		p->silence_warned = false;
		LOG_I(d, "%s: Babel packets from peer %s arrive again",
		      ifc->name, peerdiag_peer_str(p, ps, sizeof(ps)));
	}
	return true;
}

/*
 * Run from the periodic device refresh: one warning per peer that sent
 * nothing for PEERDIAG_SILENCE_US. On wireguard-go this is the only sign of a
 * peer that drops our packets (its AllowedIPs miss our source) or runs no
 * Babel: a TUN device accepts every packet we write.
 */
void peerdiag_check_silence(struct daemon *d, struct d_iface *ifc,
			    uint64_t now)
{
	char ps[INET6_ADDRSTRLEN + WG_KEY_B64_LEN + 16];
	char ours[INET6_ADDRSTRLEN + 8], its[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < ifc->n_peers; i++) {
		struct d_peer *p = &ifc->peers[i];
		bool v6 = p->addr.af != BABEL_AF_NONE;
		const struct babel_addr *our = v6 ? &ifc->ll6 : &ifc->v4;

		if (p->silence_warned ||
		    now - p->heard_us < PEERDIAG_SILENCE_US ||
		    (!v6 && p->addr4.af == BABEL_AF_NONE))
			continue;
		p->silence_warned = true;
		d_addr_str(our, its, sizeof(its));
		snprintf(ours, sizeof(ours), "%s/%d",
			 our->af != BABEL_AF_NONE ? its : "(none)",
			 v6 ? 128 : 32);
		d_addr_str(v6 ? &p->addr : &p->addr4, its, sizeof(its));
		LOG_W(d, "%s: no Babel packet from peer %s in %llu s: check "
		      "that it runs Babel, that its AllowedIPs include our %s "
		      "%s, and that it sends from %s (its address in our "
		      "AllowedIPs)", ifc->name,
		      peerdiag_peer_str(p, ps, sizeof(ps)),
		      (unsigned long long)(PEERDIAG_SILENCE_US / 1000000),
		      v6 ? "link-local" : "address", ours, its);
	}
}

static unsigned peerdiag_err_bit(int err)
{
	switch (err) {
	case ENOKEY: return PEERDIAG_ERR_NOKEY;
	case EDESTADDRREQ: return PEERDIAG_ERR_NOENDPOINT;
	default: return 0;
	}
}

/*
 * Kernel WireGuard refuses at once what it cannot send (wg_xmit() in
 * drivers/net/wireguard/device.c): ENOKEY when no peer's allowed IPs hold
 * the destination, EDESTADDRREQ when the peer has no endpoint. Every Hello
 * would fail the same way, so each is reported once per peer and error,
 * and again only after a send to that peer worked.
 */
void peerdiag_send_failed(struct daemon *d, struct d_iface *ifc,
			  const struct babel_addr *dst, int err)
{
	unsigned bit = peerdiag_err_bit(err);
	struct d_peer *p;
	char ps[INET6_ADDRSTRLEN + WG_KEY_B64_LEN + 16], a[INET6_ADDRSTRLEN];

	if (!bit || ifc->params.type != CFG_IFTYPE_WIREGUARD)
		return;
	d->wg_send_refused++;
	p = dst ? iface_peer_find(ifc, dst) : NULL;
	if (!p) {
		if (ifc->send_errs & bit)
			return;
		ifc->send_errs |= (uint8_t)bit;
		if (dst)
			d_addr_str(dst, a, sizeof(a));
		LOG_W(d, "%s: cannot send Babel to %s: %s", ifc->name,
		      dst ? a : "the multicast group", strerror(err));
		return;
	}
	if (p->send_errs & bit)
		return;
	if (!p->send_errs)
		ifc->n_send_err_peers++;
	p->send_errs |= (uint8_t)bit;
	peerdiag_peer_str(p, ps, sizeof(ps));
	if (bit == PEERDIAG_ERR_NOENDPOINT)
		LOG_W(d, "%s: cannot send Babel to peer %s: WireGuard has no "
		      "endpoint for it (%s); it is reached once it connects "
		      "to us or is given an Endpoint", ifc->name, ps,
		      strerror(err));
	else
		LOG_W(d, "%s: cannot send Babel to peer %s: no WireGuard peer's "
		      "AllowedIPs hold that address (%s); check the device's "
		      "peers (wg show %s allowed-ips)", ifc->name, ps,
		      strerror(err), ifc->name);
}

void peerdiag_send_ok(struct daemon *d, struct d_iface *ifc,
		      const struct babel_addr *dst)
{
	struct d_peer *p = dst ? iface_peer_find(ifc, dst) : NULL;
	char ps[INET6_ADDRSTRLEN + WG_KEY_B64_LEN + 16];

	if (!p) {
		ifc->send_errs = 0;
		return;
	}
	if (!p->send_errs)
		return;
	p->send_errs = 0;
	ifc->n_send_err_peers--;
	LOG_I(d, "%s: sending Babel to peer %s works again", ifc->name,
	      peerdiag_peer_str(p, ps, sizeof(ps)));
}
