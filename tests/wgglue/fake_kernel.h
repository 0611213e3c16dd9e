/* SPDX-License-Identifier: MIT */
/*
 * tests/wgglue/fake_kernel.h — a fake rtnetlink kernel behind kroute's
 * transport (struct kroute_io), for unit tests: it holds routes and
 * nexthop objects, answers creates, replaces, deletes and dumps as Linux
 * does (NLM_F_EXCL on an existing route is EEXIST; deleting an object
 * deletes its routes), and records what it was sent.
 */
#ifndef WGB_TESTS_WGGLUE_FAKE_KERNEL_H
#define WGB_TESTS_WGGLUE_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgglue/kroute.h"
#include "wgglue/krule.h"

#define FK_MAX 2048

struct fk_route {
	struct wg_prefix dst;
	uint32_t nhid;		/* 0: classic */
	uint32_t oif;
	int gw_family;		/* of RTA_GATEWAY or RTA_VIA */
	uint8_t gw[16];
	bool via;		/* RTA_VIA */
	uint8_t protocol;
	uint32_t table;
	int prefsrc_family;	/* of RTA_PREFSRC, 0: none */
	uint8_t prefsrc[16];
};

struct fk_nh {
	uint32_t id;
	uint32_t oif;
	int family;
	bool gw;
	uint8_t addr[16];
	uint8_t protocol;
};

struct fk_rule {
	struct krule_spec s;
	uint8_t protocol;
};

/* The fake kernel: what it holds, what it was sent, what it answers. */
struct fake {
	struct fk_route routes[FK_MAX];
	size_t n_routes;
	struct fk_nh nhs[FK_MAX];
	size_t n_nhs;
	struct fk_rule rules[64];	/* FIB rules, in no order */
	size_t n_rules;
	unsigned new_rule, del_rule;
	int refuse_nh;			/* error for RTM_NEWNEXTHOP, or 0 */
	struct wg_prefix fail_dst;	/* installs of it get fail_err */
	int fail_err;
	unsigned sends, new_nh, del_nh, new_route, del_route;
	uint8_t replaced_protocol;	/* of the last route replaced */
	uint8_t *replies[256];
	size_t reply_len[256];
	size_t n_replies, next_reply;
};

/* "10.1.0.0/16" (asserts it parses). */
struct wg_prefix pfx(const char *s);
/* A next hop via ADDR on IFINDEX. */
struct kroute_nexthop nh_via(int ifindex, const char *addr);
struct fk_route *fk_route_find(struct fake *f, const struct wg_prefix *p);
/* A kroute on the fake kernel (C NULL: the defaults). */
struct kroute *fk_kroute(struct fake *f, const struct kroute_config *c);
void fk_free(struct fake *f);
/* What the kernel does when a route or a nexthop object goes (with the
 * object, its routes). */
void fk_route_del(struct fake *f, struct fk_route *r);
void fk_nh_del(struct fake *f, struct fk_nh *nh);
/* The transport itself (struct kroute_io), for tests that build one. */
int fk_send(void *ctx, const void *buf, size_t len);
long fk_recv(void *ctx, void *buf, size_t len, bool wait);
/* A krule on the fake kernel. */
struct krule *fk_krule(struct fake *f, const struct krule_config *c);
/* Someone else's rule (PROTOCOL), e.g. wg-quick's. */
void fk_rule_foreign(struct fake *f, const struct krule_spec *s,
		     uint8_t protocol);
/* How many rules equal to S the kernel holds (with PROTOCOL). */
size_t fk_rule_count(const struct fake *f, const struct krule_spec *s,
		     uint8_t protocol);

/* Someone else's route to PREFIX (table main, dev 7, PROTOCOL). */
void fk_foreign(struct fake *f, const char *prefix, uint8_t protocol);

#endif
