/* SPDX-License-Identifier: MIT */
/*
 * proto/wire_internal.h — address-encoding helpers shared by the parser
 * (wire.c) and the writer (wire_write.c); not part of the wire.h contract.
 */
#ifndef WGB_PROTO_WIRE_INTERNAL_H
#define WGB_PROTO_WIRE_INTERNAL_H

#include "proto/wire.h"

/* The family of the prefix or address an AE carries (NONE for 0 / unknown). */
uint8_t babel_ae_af(uint8_t ae);
/* 4, 16, or 0 for BABEL_AF_NONE. */
unsigned babel_af_len(uint8_t af);
/* True for an IPv6 address in fe80::/64 (encodable as AE 3). */
bool babel_addr_is_ll(const struct babel_addr *a);

#endif
