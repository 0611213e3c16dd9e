/* SPDX-License-Identifier: MIT */
/* daemon/ctl_format.h — line formats shared by dump, show and monitor. */
#ifndef WGB_DAEMON_CTL_FORMAT_H
#define WGB_DAEMON_CTL_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/sbuf.h"
#include "proto/babel.h"

struct daemon;
struct d_iface;
struct ctl_ev;

uint64_t fmt_neigh_id(unsigned ifindex, const struct babel_addr *a);
uint64_t fmt_route_id(const struct babel_route_info *r);
const char *fmt_ifname(struct daemon *d, unsigned ifindex, char *buf,
		       size_t len);
void fmt_router_id(const uint8_t id[8], char *buf, size_t len);
void fmt_iface_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct d_iface *ifc);
void fmt_neigh_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct babel_neighbour_info *n);
void fmt_xroute_line(struct sbuf *b, const char *verb,
		     const struct babel_xroute_info *x);
void fmt_route_line(struct daemon *d, struct sbuf *b, const char *verb,
		    const struct babel_route_info *r);
/*
 * Route lines are the bulk of a dump (100,000 and more), so they are built
 * with plain appends, not printf, and what consecutive lines share (the
 * neighbour's address and interface name) is formatted once per neighbour.
 */
struct fmt_nh_cache {
	bool valid;
	unsigned ifindex;
	struct babel_addr addr;
	char nh[46];			/* INET6_ADDRSTRLEN */
	char ifn[32];			/* CFG_IFNAME_MAX + 8 */
	size_t nh_len, ifn_len;
	uint64_t nb_id;			/* fmt_neigh_id */
	bool rid_valid;			/* the last router-id, formatted */
	uint8_t rid[8];
	char rid_s[24];
};
void fmt_route_line_cached(struct daemon *d, struct sbuf *b, const char *verb,
			   const struct babel_route_info *r,
			   struct fmt_nh_cache *nc);
/* The same objects as typed fields of a JSON event (monitor json). */
void fmt_iface_fields(struct daemon *d, struct ctl_ev *e,
		      const struct d_iface *ifc, bool present);
void fmt_neigh_fields(struct daemon *d, struct ctl_ev *e,
		      const struct babel_neighbour_info *n);
void fmt_xroute_fields(struct ctl_ev *e, const struct babel_xroute_info *x);
void fmt_route_fields(struct daemon *d, struct ctl_ev *e,
		      const struct babel_route_info *r);

#endif
