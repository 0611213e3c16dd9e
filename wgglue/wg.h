/* SPDX-License-Identifier: MIT */
/*
 * wgglue/wg.h — the one interface to a WireGuard device, whatever implements
 * it: the kernel (generic netlink, wgglue/wg_kernel.c), a userspace
 * implementation such as wireguard-go (the UAPI text socket,
 * wgglue/wg_uapi.c), or the in-memory fake used by unit tests
 * (wgglue/wg_fake.c, linked only into tests).
 *
 * wgbabeld only reads a device and changes allowed IPs of peers that already
 * exist; it never creates, configures or removes real peers. Every change is
 * sent with "update only" semantics so that a peer removed underneath by
 * wg/wg-quick is never re-created by us (the kernel then silently ignores the
 * change: a later re-read of the device shows it).
 *
 * Functions return 0 or a negative errno.
 */
#ifndef WGB_WGGLUE_WG_H
#define WGB_WGGLUE_WG_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 45	/* 44 characters + NUL */
#define WG_KEY_HEX_LEN 65	/* 64 characters + NUL */
#define WG_IFNAME_LEN 16	/* IFNAMSIZ */
#define WG_PREFIX_STRLEN 50	/* "ffff:...:ffff/128" + NUL, with room */

struct wg_key {
	uint8_t b[WG_KEY_LEN];
};

/*
 * A prefix. family is AF_INET (4 address bytes used) or AF_INET6 (16).
 * Always normalised: bits past plen and unused bytes are zero, so two equal
 * prefixes compare equal with memcmp (the hash tables rely on it).
 */
struct wg_prefix {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

struct wg_peer {
	struct wg_key pubkey;
	struct wg_prefix *allowed_ips;
	size_t n_allowed_ips;
	size_t cap_allowed_ips;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} endpoint;			/* sa_family 0 when none */
	int64_t last_handshake_sec;	/* 0 when never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint16_t keepalive_interval;
};

struct wg_device {
	char ifname[WG_IFNAME_LEN];
	uint32_t ifindex;		/* 0 for userspace devices */
	struct wg_key pubkey;
	bool has_pubkey;
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer *peers;
	size_t n_peers;
	size_t cap_peers;
};

/* Frees what a get_device filled in and zeroes *dev. */
void wg_device_clear(struct wg_device *dev);
/* Linear; for tools and tests, not for per-prefix paths. */
struct wg_peer *wg_device_find_peer(const struct wg_device *dev,
				    const struct wg_key *key);
/* Helpers the backends share when building a wg_device. */
struct wg_peer *wg_device_add_peer(struct wg_device *dev,
				   const struct wg_key *key);
int wg_peer_add_allowed_ip(struct wg_peer *peer, const struct wg_prefix *p);

/* Prefix helpers. wg_prefix_make() normalises (zeroes host bits). */
int wg_prefix_make(struct wg_prefix *p, int family, const void *addr,
		   unsigned plen);
int wg_prefix_parse(struct wg_prefix *p, const char *s);	/* "a.b.c.d/n" */
const char *wg_prefix_str(const struct wg_prefix *p,
			  char buf[WG_PREFIX_STRLEN]);
bool wg_prefix_equal(const struct wg_prefix *a, const struct wg_prefix *b);

/* Key helpers: base64 as wg(8) shows keys, hex as the UAPI socket uses. */
int wg_key_from_base64(struct wg_key *k, const char *s);
void wg_key_to_base64(const struct wg_key *k, char out[WG_KEY_B64_LEN]);
int wg_key_from_hex(struct wg_key *k, const char *s);
void wg_key_to_hex(const struct wg_key *k, char out[WG_KEY_HEX_LEN]);
bool wg_key_equal(const struct wg_key *a, const struct wg_key *b);

/*
 * One allowed-IP change. ADD puts prefix on peer; if another peer holds the
 * same prefix the device moves it in one step (WireGuard's move semantics).
 * REMOVE takes prefix off peer and off the device, and never disturbs any
 * other allowed IP of that peer (see wg_backend_ops.apply for how).
 */
enum wg_aip_op {
	WG_AIP_ADD = 0,
	WG_AIP_REMOVE = 1,
	/* ADD, except that the first change of a run of SET changes for one
	 * peer replaces that peer's whole list (WGPEER_F_REPLACE_ALLOWEDIPS,
	 * UAPI replace_allowed_ips=true), as `wg setconf` does. For tools
	 * and benchmarks; the reconciler never uses it. */
	WG_AIP_SET = 2,
};

struct wg_aip_change {
	struct wg_key peer;
	struct wg_prefix prefix;
	uint8_t op;		/* enum wg_aip_op */
};

/* Capabilities, from wg_backend_probe(). */
enum wg_caps {
	/* Single allowed IPs can be removed (WGALLOWEDIP_F_REMOVE_ME, Linux
	 * 6.16+, or UAPI remove_allowed_ip=). Without it REMOVE is done with
	 * a transient sink peer; see wgglue/wg_kernel.c. */
	WG_CAP_AIP_REMOVE = 1u << 0,
};

struct wg_backend;

struct wg_backend_ops {
	const char *name;
	/* Reads the whole device into *out (cleared first). -ENODEV when the
	 * interface does not exist or is not a WireGuard device. */
	int (*get_device)(struct wg_backend *be, const char *ifname,
			  struct wg_device *out);
	/*
	 * Applies changes in order, batched into as few requests as fit.
	 * Consecutive changes for the same peer and op share one peer entry.
	 * Peers must exist (update-only). On error some changes may have been
	 * applied: the caller must re-read the device.
	 */
	int (*apply)(struct wg_backend *be, const char *ifname,
		     const struct wg_aip_change *changes, size_t n);
	/* Finds out what the device supports; *caps is enum wg_caps bits.
	 * May briefly create and delete a sink peer (no allowed IP of any
	 * real peer is touched). */
	int (*probe)(struct wg_backend *be, const char *ifname,
		     unsigned *caps);
	/* Sets the device's fwmark (the mark on its own UDP packets; 0:
	 * none), nothing else. NULL: not supported (-EOPNOTSUPP). */
	int (*set_fwmark)(struct wg_backend *be, const char *ifname,
			  uint32_t mark);
	/* The backend's long-lived socket, or -1 (libuv integration). */
	int (*fd)(struct wg_backend *be);
	void (*destroy)(struct wg_backend *be);
};

struct wg_backend {
	const struct wg_backend_ops *ops;
	/* Capabilities apply() may use, set by wg_backend_probe(). */
	unsigned caps;
};

/* Kernel backend: one generic netlink socket, "wireguard" family resolved on
 * first use and then cached. */
int wg_backend_kernel_new(struct wg_backend **out);
/*
 * UAPI backend over SOCKDIR/IFNAME.sock (NULL: /var/run/wireguard).
 *
 * The socket's other end is another process (wireguard-go, boringtun) that
 * may hang or be stopped, so no request may wait on it for long: the calls
 * are synchronous, made from wgbabeld's event loop. A request ends with
 * -ETIMEDOUT when the peer moved no byte in either direction for
 * WG_UAPI_TIMEOUT_MS (a stopped or hung process), or when the whole request
 * took longer than WG_UAPI_TIMEOUT_MS plus one second per WG_UAPI_MIN_RATE
 * bytes moved (a process that drips). The second part lets a large set or
 * get finish on a slow but working implementation: on wireguard-go
 * 0.0.20220316 here a set of 1,000,000 allowed IPs (27 MB of text) took
 * 1.3 s and reading them back 0.74 s; 100,000 took 0.14 s and 0.10 s. A reply longer than WG_UAPI_REPLY_MAX, or with a
 * line longer than WG_UAPI_LINE_MAX, ends the request with -EMSGSIZE; one
 * that is not key=value lines ending in errno=N and a blank line, with
 * -EBADMSG.
 */
#define WG_UAPI_TIMEOUT_MS 1000
#define WG_UAPI_MIN_RATE (1024 * 1024)
#define WG_UAPI_REPLY_MAX (256u * 1024 * 1024)
#define WG_UAPI_LINE_MAX 512
int wg_backend_uapi_new(struct wg_backend **out, const char *sockdir);
/* Tests: another stall deadline than WG_UAPI_TIMEOUT_MS for this backend. */
void wg_backend_uapi_set_timeout(struct wg_backend *be, unsigned ms);
/* Picks per interface: UAPI when SOCKDIR/IFNAME.sock exists, else kernel. */
int wg_backend_auto_new(struct wg_backend **out, const char *sockdir);

static inline int wg_backend_get_device(struct wg_backend *be,
					const char *ifname,
					struct wg_device *out)
{
	return be->ops->get_device(be, ifname, out);
}

static inline int wg_backend_apply(struct wg_backend *be, const char *ifname,
				   const struct wg_aip_change *changes,
				   size_t n)
{
	return be->ops->apply(be, ifname, changes, n);
}

static inline int wg_backend_set_fwmark(struct wg_backend *be,
					const char *ifname, uint32_t mark)
{
	return be->ops->set_fwmark ? be->ops->set_fwmark(be, ifname, mark)
				   : -EOPNOTSUPP;
}

/* Probes and stores the result in be->caps as well. */
int wg_backend_probe(struct wg_backend *be, const char *ifname,
		     unsigned *caps);

static inline int wg_backend_fd(struct wg_backend *be)
{
	return be->ops->fd ? be->ops->fd(be) : -1;
}

void wg_backend_free(struct wg_backend *be);

#endif
