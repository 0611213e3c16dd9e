/* SPDX-License-Identifier: MIT */
/* daemon/ctl_format.h — line formats shared by dump, show and monitor. */
#ifndef WGB_DAEMON_CTL_FORMAT_H
#define WGB_DAEMON_CTL_FORMAT_H

#include <stdint.h>

#include "daemon/sbuf.h"
#include "proto/babel.h"

struct daemon;
struct d_iface;

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

#endif
