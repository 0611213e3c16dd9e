/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg_kernel.c — the kernel WireGuard backend: generic netlink family
 * "wireguard" (include/uapi/linux/wireguard.h) over one long-lived libmnl
 * socket. The family id is resolved once (on first successful use),
 * sequence numbers increase, every attribute read is type- and
 * length-checked, a peer split over several dump messages is merged, an
 * interrupted dump (NLM_F_DUMP_INTR) is restarted, and set requests are
 * packed into as few messages as fit, each continued in the next.
 *
 * Withdrawing one allowed IP (REMOVE):
 *   - Linux >= 6.16: WGALLOWEDIP_A_FLAGS = WGALLOWEDIP_F_REMOVE_ME in the
 *     allowed-IP nest of the holding peer.
 *   - older kernels have no way to remove a single allowed IP. Re-sending
 *     the peer's list with WGPEER_F_REPLACE_ALLOWEDIPS is not atomic for the
 *     data path: set_peer() (drivers/net/wireguard/netlink.c) calls
 *     wg_allowedips_remove_by_peer() and then inserts the list one node at
 *     a time; device_update_lock only serialises writers, while packets
 *     look up the trie under RCU and see the peer without its prefixes in
 *     between (and across messages when the list needs several) — the
 *     "No route to host" window. Instead each request that withdraws
 *     carries a transient "sink" peer with a random public key: the
 *     withdrawn prefixes are ADDed to it (a move: one RCU pointer update
 *     each, the holder's other prefixes untouched), and the last entry of
 *     the same message removes the sink peer (WGPEER_F_REMOVE_ME), which
 *     drops exactly those prefixes. wg_set_device() processes the whole
 *     message under rtnl and device_update_lock, so no dump ever shows the
 *     sink. Trade-off: between the move and the removal (microseconds,
 *     inside one kernel call) packets to a withdrawn prefix go to a peer
 *     with no endpoint and are dropped, which is what a withdrawal means
 *     anyway; a sink peer costs one peer allocation and one
 *     synchronize_net() per message. Unlike REMOVE_ME, the sink takes the
 *     prefix from whichever peer holds it, so it relies on the caller's
 *     model being current (the reconciler re-reads the device on every
 *     refresh).
 *
 * Probing for WGALLOWEDIP_F_REMOVE_ME: every kernel since WireGuard's
 * merge (5.6) parses the allowed-IP nest with nla_parse_nested(), i.e.
 * strict validation, which rejects an attribute type above
 * WGALLOWEDIP_A_MAX with -EINVAL instead of ignoring it. The probe sends,
 * in one message: a new sink peer holding a random fd00::/8 /128, then the
 * same peer (update-only) removing that /128 with the flag, then the sink's
 * removal. 0 means supported; -EINVAL means not (the sink was created
 * before the failing entry, so a clean-up message removes it). No allowed
 * IP of a real peer is involved either way.
 */
#include "wgglue/wg.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

/* Linux 6.16 additions, not in older UAPI headers. */
#define WGB_WGALLOWEDIP_A_FLAGS 4
#define WGB_WGALLOWEDIP_F_REMOVE_ME 1u

#define KW_SEND_MAX 32768	/* one set message */
#define KW_RECV_MAX 262144	/* one recvmsg of a dump */
#define KW_SINK_RESERVE 128	/* room for the sink's removal entry */
#define KW_DUMP_TRIES 16

struct wg_kernel {
	struct wg_backend be;
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* 0 until resolved */
	uint8_t *sbuf;
	uint8_t *rbuf;
};

static struct wg_kernel *kw_of(struct wg_backend *be)
{
	return (struct wg_kernel *)be;
}

/* ---- request / response ------------------------------------------------ */

struct kw_reply {
	int (*on_msg)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool interrupted;	/* NLM_F_DUMP_INTR seen */
};

/*
 * Reads replies to sequence number seq until the ACK or NLMSG_DONE.
 * Messages with another sequence number are leftovers of an earlier,
 * abandoned request and are skipped.
 */
static int kw_wait(struct wg_kernel *kw, uint32_t seq, struct kw_reply *rep)
{
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(kw->nl, kw->rbuf, KW_RECV_MAX);
		if (len < 0)
			return errno == ENOSPC ? -EMSGSIZE : -errno;
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)kw->rbuf;
		int rem = (int)len;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != kw->portid)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				rep->interrupted = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -EBADMSG;
				return e->error;	/* 0: the ACK */
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
				return err < 0 ? err : 0;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (rep->on_msg) {
				int r = rep->on_msg(nlh, rep->arg);
				if (r < 0)
					return r;
			}
		}
		if (rem > 0)
			return -EBADMSG;
	}
}

static int kw_send(struct wg_kernel *kw, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(kw->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static struct nlmsghdr *kw_msg_start(struct wg_kernel *kw, uint16_t type,
				     uint16_t flags, uint8_t cmd, uint8_t ver)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(kw->sbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++kw->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = ver;
	return nlh;
}

static int kw_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	uint16_t *family = arg;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != CTRL_ATTR_FAMILY_ID)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return -EBADMSG;
		*family = mnl_attr_get_u16(a);
	}
	return 0;
}

/* Resolves the "wireguard" family once; -ENODEV when the kernel has none. */
static int kw_resolve(struct wg_kernel *kw)
{
	struct nlmsghdr *nlh;
	uint16_t family = 0;
	struct kw_reply rep = { kw_family_cb, &family, false };
	int ret;

	if (kw->family)
		return 0;
	nlh = kw_msg_start(kw, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	ret = kw_send(kw, nlh);
	if (ret < 0)
		return ret;
	ret = kw_wait(kw, nlh->nlmsg_seq, &rep);
	if (ret == -ENOENT)
		return -ENODEV;	/* no WireGuard in this kernel */
	if (ret < 0)
		return ret;
	if (!family)
		return -EBADMSG;
	kw->family = family;
	return 0;
}

/* ---- WG_CMD_GET_DEVICE ------------------------------------------------- */

struct kw_dump {
	struct wg_device *dev;
	struct wg_peer *last;	/* continued when the next message repeats it */
};

static int kw_parse_aip(const struct nlattr *nest, struct wg_prefix *out)
{
	const struct nlattr *a;
	uint16_t family = 0;
	int cidr = -1;
	const void *ip = NULL;
	size_t iplen = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			family = mnl_attr_get_u16(a);
			break;
		case WGALLOWEDIP_A_IPADDR:
			iplen = mnl_attr_get_payload_len(a);
			if (iplen != 4 && iplen != 16)
				return -EBADMSG;
			ip = mnl_attr_get_payload(a);
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			cidr = mnl_attr_get_u8(a);
			break;
		case WGB_WGALLOWEDIP_A_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			break;
		default:
			break;	/* newer kernel: ignore */
		}
	}
	if (!ip || cidr < 0 ||
	    !((family == AF_INET && iplen == 4) ||
	      (family == AF_INET6 && iplen == 16)))
		return -EBADMSG;
	return wg_prefix_make(out, family, ip, (unsigned)cidr) < 0 ? -EBADMSG : 0;
}

static int kw_parse_peer(struct kw_dump *d, const struct nlattr *nest)
{
	const struct nlattr *a, *aips = NULL;
	const struct nlattr *key = NULL;
	struct wg_peer tmp = { 0 };
	struct wg_peer *p;

	mnl_attr_for_each_nested(a, nest) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (mnl_attr_validate2(a, MNL_TYPE_BINARY, WG_KEY_LEN) < 0 ||
			    len != WG_KEY_LEN)
				return -EBADMSG;
			key = a;
			break;
		case WGPEER_A_PRESHARED_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			break;
		case WGPEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in) ||
			    len == sizeof(struct sockaddr_in6))
				memcpy(&tmp.endpoint, mnl_attr_get_payload(a), len);
			else
				return -EBADMSG;
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			tmp.keepalive_interval = mnl_attr_get_u16(a);
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			int64_t ts[2];
			if (len != sizeof(ts))
				return -EBADMSG;
			memcpy(ts, mnl_attr_get_payload(a), sizeof(ts));
			tmp.last_handshake_sec = ts[0];
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			tmp.rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			tmp.tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				return -EBADMSG;
			aips = a;
			break;
		case WGPEER_A_FLAGS:
		case WGPEER_A_PROTOCOL_VERSION:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			break;
		default:
			break;
		}
	}
	if (!key)
		return -EBADMSG;
	memcpy(tmp.pubkey.b, mnl_attr_get_payload(key), WG_KEY_LEN);
	/* A peer with too many allowed IPs for one message is continued at
	 * the start of the next with only its key and more allowed IPs. */
	if (d->last && wg_key_equal(&d->last->pubkey, &tmp.pubkey)) {
		p = d->last;
	} else {
		p = wg_device_add_peer(d->dev, &tmp.pubkey);
		if (!p)
			return -ENOMEM;
		tmp.allowed_ips = NULL;
		*p = tmp;
		d->last = p;
	}
	if (aips) {
		mnl_attr_for_each_nested(a, aips) {
			struct wg_prefix pfx;
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
			    kw_parse_aip(a, &pfx) < 0)
				return -EBADMSG;
			if (wg_peer_add_allowed_ip(p, &pfx) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int kw_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kw_dump *d = arg;
	struct wg_device *dev = d->dev;
	const struct nlattr *a, *pa;
	int ret;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			dev->ifindex = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
			    len > WG_IFNAME_LEN)
				return -EBADMSG;
			memcpy(dev->ifname, mnl_attr_get_str(a), len);
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(dev->pubkey.b, mnl_attr_get_payload(a), WG_KEY_LEN);
			dev->has_pubkey = true;
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			break;	/* never kept */
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			dev->listen_port = mnl_attr_get_u16(a);
			break;
		case WGDEVICE_A_FWMARK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			dev->fwmark = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_PEERS:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				return -EBADMSG;
			mnl_attr_for_each_nested(pa, a) {
				if (mnl_attr_validate(pa, MNL_TYPE_NESTED) < 0)
					return -EBADMSG;
				ret = kw_parse_peer(d, pa);
				if (ret < 0)
					return ret;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

static int kw_get_device(struct wg_backend *be, const char *ifname,
			 struct wg_device *out)
{
	struct wg_kernel *kw = kw_of(be);
	int ret;

	memset(out, 0, sizeof(*out));
	if (strlen(ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	ret = kw_resolve(kw);
	if (ret < 0)
		return ret;
	for (int tries = 0; tries < KW_DUMP_TRIES; tries++) {
		struct kw_dump d = { out, NULL };
		struct kw_reply rep = { kw_dump_cb, &d, false };
		struct nlmsghdr *nlh = kw_msg_start(kw, kw->family, NLM_F_DUMP,
						    WG_CMD_GET_DEVICE,
						    WG_GENL_VERSION);

		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
		ret = kw_send(kw, nlh);
		if (ret == 0)
			ret = kw_wait(kw, nlh->nlmsg_seq, &rep);
		if (ret == 0 && !rep.interrupted)
			return 0;
		/* The peer list changed during the dump: restart it. */
		wg_device_clear(out);
		if (ret < 0)
			return ret == -EOPNOTSUPP ? -ENODEV : ret;
	}
	return -EAGAIN;
}

/* ---- WG_CMD_SET_DEVICE ------------------------------------------------- */

struct kw_set {
	struct wg_kernel *kw;
	const char *ifname;
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer, *aips;
	bool has_sink;
	struct wg_key sink;
	size_t limit;		/* KW_SEND_MAX minus the sink reserve */
	unsigned messages;
};

static void kw_set_begin(struct kw_set *s)
{
	s->nlh = kw_msg_start(s->kw, s->kw->family, 0, WG_CMD_SET_DEVICE,
			      WG_GENL_VERSION);
	mnl_attr_put_strz(s->nlh, WGDEVICE_A_IFNAME, s->ifname);
	s->peers = mnl_attr_nest_start(s->nlh, WGDEVICE_A_PEERS);
	s->peer = s->aips = NULL;
	s->has_sink = false;
}

static void kw_set_close_peer(struct kw_set *s)
{
	if (s->aips)
		mnl_attr_nest_end(s->nlh, s->aips);
	if (s->peer)
		mnl_attr_nest_end(s->nlh, s->peer);
	s->peer = s->aips = NULL;
}

/* Opens a peer entry; false when it does not fit in this message. */
static bool kw_set_open_peer(struct kw_set *s, const struct wg_key *key,
			     uint32_t flags, size_t limit)
{
	s->peer = mnl_attr_nest_start_check(s->nlh, limit, 0);
	if (!s->peer)
		return false;
	if (!mnl_attr_put_check(s->nlh, limit, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
				key->b) ||
	    !mnl_attr_put_u32_check(s->nlh, limit, WGPEER_A_FLAGS, flags))
		goto cancel;
	s->aips = mnl_attr_nest_start_check(s->nlh, limit, WGPEER_A_ALLOWEDIPS);
	if (!s->aips)
		goto cancel;
	return true;
cancel:
	mnl_attr_nest_cancel(s->nlh, s->peer);
	s->peer = s->aips = NULL;
	return false;
}

static bool kw_set_put_aip(struct kw_set *s, const struct wg_prefix *p,
			   bool remove_me)
{
	struct nlattr *n = mnl_attr_nest_start_check(s->nlh, s->limit, 0);

	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(s->nlh, s->limit, WGALLOWEDIP_A_FAMILY,
				    p->family) ||
	    !mnl_attr_put_check(s->nlh, s->limit, WGALLOWEDIP_A_IPADDR,
				p->family == AF_INET ? 4 : 16, p->addr) ||
	    !mnl_attr_put_u8_check(s->nlh, s->limit, WGALLOWEDIP_A_CIDR_MASK,
				   p->plen) ||
	    (remove_me &&
	     !mnl_attr_put_u32_check(s->nlh, s->limit, WGB_WGALLOWEDIP_A_FLAGS,
				     WGB_WGALLOWEDIP_F_REMOVE_ME))) {
		mnl_attr_nest_cancel(s->nlh, n);
		return false;
	}
	mnl_attr_nest_end(s->nlh, n);
	return true;
}

/* Closes the message (removing the sink if it was used), sends it and
 * waits for the kernel's answer. */
static int kw_set_send(struct kw_set *s)
{
	struct kw_reply rep = { NULL, NULL, false };
	int ret;

	kw_set_close_peer(s);
	if (s->has_sink) {
		/* the reserve guarantees room for this entry */
		if (!kw_set_open_peer(s, &s->sink, WGPEER_F_REMOVE_ME, KW_SEND_MAX))
			return -EMSGSIZE;
		kw_set_close_peer(s);
	}
	mnl_attr_nest_end(s->nlh, s->peers);
	ret = kw_send(s->kw, s->nlh);
	if (ret == 0)
		ret = kw_wait(s->kw, s->nlh->nlmsg_seq, &rep);
	s->messages++;
	return ret;
}

static int kw_apply(struct wg_backend *be, const char *ifname,
		    const struct wg_aip_change *ch, size_t n)
{
	struct wg_kernel *kw = kw_of(be);
	struct kw_set s = { .kw = kw, .ifname = ifname,
			    .limit = KW_SEND_MAX - KW_SINK_RESERVE };
	bool remove_me = be->caps & WG_CAP_AIP_REMOVE;
	int ret;

	if (strlen(ifname) >= WG_IFNAME_LEN)
		return -EINVAL;
	if (n == 0)
		return 0;
	ret = kw_resolve(kw);
	if (ret < 0)
		return ret;
	if (getrandom(s.sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN)
		return -EIO;
	kw_set_begin(&s);
	for (size_t i = 0; i < n; i++) {
		const struct wg_aip_change *c = &ch[i];
		bool via_sink = c->op == WG_AIP_REMOVE && !remove_me;
		const struct wg_key *key = via_sink ? &s.sink : &c->peer;
		bool new_group = i == 0 || c->op != ch[i - 1].op ||
				 !wg_key_equal(&c->peer, &ch[i - 1].peer);
		/* The sink is created by its first entry: no UPDATE_ONLY. */
		uint32_t flags = via_sink ? 0 : WGPEER_F_UPDATE_ONLY;

		if (c->op == WG_AIP_SET && new_group)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		if (c->op > WG_AIP_SET)
			return -EINVAL;
		if (new_group || !s.peer) {
			kw_set_close_peer(&s);
			if (!kw_set_open_peer(&s, key, flags, s.limit)) {
				ret = kw_set_send(&s);
				if (ret < 0)
					return ret;
				kw_set_begin(&s);
				if (!kw_set_open_peer(&s, key, flags, s.limit))
					return -EMSGSIZE;
			}
		}
		if (via_sink)
			s.has_sink = true;
		if (kw_set_put_aip(&s, &c->prefix,
				   c->op == WG_AIP_REMOVE && remove_me))
			continue;
		/* Full: send and continue this peer in a new message, without
		 * REPLACE (only the first fragment may replace). */
		ret = kw_set_send(&s);
		if (ret < 0)
			return ret;
		kw_set_begin(&s);
		flags &= ~(uint32_t)WGPEER_F_REPLACE_ALLOWEDIPS;
		if (!kw_set_open_peer(&s, key, flags, s.limit))
			return -EMSGSIZE;
		if (via_sink)
			s.has_sink = true;
		if (!kw_set_put_aip(&s, &c->prefix,
				    c->op == WG_AIP_REMOVE && remove_me))
			return -EMSGSIZE;
	}
	return kw_set_send(&s);
}

static int kw_probe(struct wg_backend *be, const char *ifname, unsigned *caps)
{
	struct wg_kernel *kw = kw_of(be);
	struct kw_set s = { .kw = kw, .ifname = ifname, .limit = KW_SEND_MAX };
	struct wg_prefix p;
	uint8_t addr[16];
	int ret;

	*caps = 0;
	ret = kw_resolve(kw);
	if (ret < 0)
		return ret;
	if (getrandom(s.sink.b, WG_KEY_LEN, 0) != WG_KEY_LEN ||
	    getrandom(addr, sizeof(addr), 0) != sizeof(addr))
		return -EIO;
	addr[0] = 0xfd;
	wg_prefix_make(&p, AF_INET6, addr, 128);
	kw_set_begin(&s);
	if (!kw_set_open_peer(&s, &s.sink, 0, s.limit) ||
	    !kw_set_put_aip(&s, &p, false))
		return -EMSGSIZE;
	kw_set_close_peer(&s);
	if (!kw_set_open_peer(&s, &s.sink, WGPEER_F_UPDATE_ONLY, s.limit) ||
	    !kw_set_put_aip(&s, &p, true))
		return -EMSGSIZE;
	s.has_sink = true;
	ret = kw_set_send(&s);
	if (ret == 0) {
		*caps |= WG_CAP_AIP_REMOVE;
		return 0;
	}
	/* Clean up the sink the failed message left behind. */
	kw_set_begin(&s);
	s.has_sink = true;
	int r2 = kw_set_send(&s);
	if (ret == -EINVAL)
		return r2;
	return ret;
}

static int kw_set_fwmark(struct wg_backend *be, const char *ifname,
			 uint32_t mark)
{
	struct wg_kernel *kw = kw_of(be);
	struct kw_reply rep = { NULL, NULL, false };
	struct nlmsghdr *nlh;
	int ret;

	if ((ret = kw_resolve(kw)) < 0)
		return ret;
	nlh = kw_msg_start(kw, kw->family, 0, WG_CMD_SET_DEVICE,
			   WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, mark);
	ret = kw_send(kw, nlh);
	if (ret == 0)
		ret = kw_wait(kw, nlh->nlmsg_seq, &rep);
	return ret;
}

static int kw_fd(struct wg_backend *be)
{
	return mnl_socket_get_fd(kw_of(be)->nl);
}

static void kw_destroy(struct wg_backend *be)
{
	struct wg_kernel *kw = kw_of(be);

	if (kw->nl)
		mnl_socket_close(kw->nl);
	free(kw->sbuf);
	free(kw->rbuf);
	free(kw);
}

static const struct wg_backend_ops kw_ops = {
	.name = "kernel",
	.get_device = kw_get_device,
	.apply = kw_apply,
	.probe = kw_probe,
	.set_fwmark = kw_set_fwmark,
	.fd = kw_fd,
	.destroy = kw_destroy,
};

int wg_backend_kernel_new(struct wg_backend **out)
{
	struct wg_kernel *kw = calloc(1, sizeof(*kw));
	int one = 1, ret;

	if (!kw)
		return -ENOMEM;
	kw->be.ops = &kw_ops;
	kw->sbuf = malloc(KW_SEND_MAX);
	kw->rbuf = malloc(KW_RECV_MAX);
	if (!kw->sbuf || !kw->rbuf) {
		ret = -ENOMEM;
		goto err;
	}
	kw->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!kw->nl) {
		ret = -errno;
		goto err;
	}
	/* Errors echo only the header, not our 32 KiB request. */
	mnl_socket_setsockopt(kw->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(kw->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(kw->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	kw->portid = mnl_socket_get_portid(kw->nl);
	/* Increasing from a per-process start, never reused on this socket. */
	kw->seq = (uint32_t)time(NULL);
	*out = &kw->be;
	return 0;
err:
	kw_destroy(&kw->be);
	return ret;
}
