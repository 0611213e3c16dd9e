/* SPDX-License-Identifier: MIT */
/*
 * wgglue/kroute_int.h — what the kroute*.c files share: the module's
 * state, its next-hop table, the request queue and the list of refused
 * entries. Not for other modules (tests excepted).
 */
#ifndef WGB_WGGLUE_KROUTE_INT_H
#define WGB_WGGLUE_KROUTE_INT_H

#include "wgglue/kroute.h"
#include "wgglue/kroute_tab.h"
#include "wgglue/hmap.h"

#include <linux/netlink.h>

struct mnl_socket;

#define KR_BUF (64 * 1024)	/* queued requests, sent in one sendmsg() */
#define KR_RBUF (64 * 1024)	/* answers and dump parts */
#define KR_MSG_MAX 160		/* our largest request */
#define KR_MAX_REQS (KR_BUF / 32)
#define KR_MAX_ERRS 64		/* refusals reported at one commit */

enum { KR_OP_INSTALL = 1, KR_OP_DELETE, KR_OP_NHDEL };

struct kr_req {
	uint32_t ref;		/* route entry, or next-hop slot (NHDEL) */
	uint8_t op;		/* KR_OP_* */
	uint8_t retry;		/* an install sent again after a refusal */
	uint8_t excl;		/* an install that creates (NLM_F_EXCL) */
};

struct kr_fail {
	uint32_t k;		/* index in the batch */
	int err;
};

struct kr_err {
	struct wg_prefix dst;
	bool install;
	int err;
};

/* One next hop: a kernel nexthop object (id != 0) or the gateway and
 * interface of classic routes (id == 0). */
struct kr_nh {
	struct kroute_nexthop key;	/* kr_nh_key() form */
	uint32_t id;
	uint32_t refs;		/* routes using it, not counting deleted ones */
	bool used;		/* slot taken */
	bool in_map;		/* found by key (an adopted duplicate is not) */
};

struct kroute {
	struct kroute_config cfg;
	struct kroute_io io;
	struct mnl_socket *nl;	/* NULL with a test transport */
	uint32_t seq;		/* of batched requests: one batch is contiguous */
	uint32_t sync_seq;	/* of requests answered at once, in between */
	bool nh_objects;	/* false: classic routes */
	uint32_t next_id;	/* next nexthop id to try */

	struct krt_table routes;
	size_t n_live;		/* entries installed or being installed */
	/* Entries refused for a foreign route (kroute_refused.c): their
	 * indexes in no order, n_refused of them, and each one's place. */
	uint32_t *refused;
	size_t n_refused, cap_refused;
	struct wg_hmap refused_at;	/* uint32_t entry -> uint32_t place */
	struct kr_nh *nhs;
	uint32_t n_nhs, cap_nhs;
	struct wg_hmap nh_by_key;	/* kroute_nexthop -> uint32_t slot */
	bool nh_unused;		/* a next hop may have no route left */
	uint32_t *dels;		/* entries whose delete is due at commit */
	size_t n_dels, cap_dels;

	uint8_t *buf;		/* queued requests */
	size_t len;
	struct kr_req *reqs;	/* one per queued request */
	size_t n_reqs;
	uint32_t base_seq;	/* sequence number of reqs[0] */
	struct kr_req *sent;	/* the batch being answered */
	uint32_t sent_base;
	struct kr_fail *fails;
	uint8_t *rbuf;

	struct kr_err errs[KR_MAX_ERRS];
	size_t n_errs;
	int last_err;
	/* The last refusal callback given to kroute_commit(), for the
	 * commits other calls make first (kr_commit). */
	kroute_error_fn *err_fn;
	void *err_arg;

	/* The ledger: the nexthop ids this instance made (fwd/ledger.h; its
	 * file in kroute_ledger.c). */
	struct fwd_kr_ids ledger;
	int ledger_err;		/* last write error, reported once */

	/* Route events of everyone but us (kroute_watch.c). */
	struct mnl_socket *watch;
	uint32_t portid;	/* of nl: our own writes, filtered out */
};

/* Requests answered before we go on (a nexthop object made while routes
 * are queued, dumps, lookups) number apart from batched ones: an answer's
 * place in its batch is its sequence number less the batch's first. */
static inline uint32_t kr_sync_seq(struct kroute *kr)
{
	return 0x80000000u | kr->sync_seq++;
}

struct nlmsghdr *kr_queue(struct kroute *kr, uint8_t op, uint32_t ref);
void kr_queued(struct kroute *kr, struct nlmsghdr *nlh);
void kr_send(struct kroute *kr);
int kr_sync(struct kroute *kr, struct nlmsghdr *nlh);
int kr_commit(struct kroute *kr);
void kr_put_route(struct kroute *kr, struct nlmsghdr *nlh,
		  const struct krt_entry *e, const struct kr_nh *nh);
void kr_entry_drop(struct kroute *kr, uint32_t idx);
void kr_nh_key(struct kroute_nexthop *k, const struct kroute_nexthop *nh);
int kr_nh_slot(struct kroute *kr, const struct kroute_nexthop *key,
	       uint32_t *out);
void kr_nh_release(struct kroute *kr, uint32_t i);
int kr_nh_kernel_make(struct kroute *kr, struct kr_nh *nh, bool replace);
void kr_nh_unref(struct kroute *kr, uint32_t i);
void kr_error_note(struct kroute *kr, const struct wg_prefix *dst,
		   bool install, int err);

/* kroute_refused.c */
void kr_entry_refuse(struct kroute *kr, uint32_t idx);
void kr_entry_uncount(struct kroute *kr, uint32_t idx);
void kr_retry_all_refused(struct kroute *kr);
void kr_foreign_event(struct kroute *kr, const struct wg_prefix *dst,
		      bool del, bool replaced, uint32_t nh_id, uint8_t protocol);
void kr_refused_free(struct kroute *kr);
int kr_refused_check(const struct kroute *kr);
int kr_watch_open(struct kroute *kr);
void kr_queue_install(struct kroute *kr, uint32_t idx, bool retry);

/* kroute_ledger.c */
int kr_ledger_load(struct kroute *kr);
int kr_ledger_add(struct kroute *kr, uint32_t id);
int kr_ledger_sync(struct kroute *kr);
void kr_ledger_free(struct kroute *kr);

#endif
