/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_check.h — the wire-format invariants that the libFuzzer
 * target and the corpus-replay unit test both check on one input.
 */
#ifndef WGB_TESTS_FUZZ_CHECK_H
#define WGB_TESTS_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Input layout: byte 0 picks the packet's source address (bit 0 set:
 * fe80::1, clear: 10.0.0.1); the rest is the UDP payload. Returns 0 when
 * every invariant holds, or -1 with a reason in why:
 *  - every TLV the parser returns is sane (family, plen, masked bits, a
 *    non-retraction Update has a router-id and a next hop of its family);
 *  - written alone into a fresh packet and parsed again it is equal
 *    (babel_tlv_equal);
 *  - the whole sequence written with one writer (split into several packets
 *    on -ENOSPC) parses back to the same sequence, Router-Id and Next Hop
 *    TLVs aside (the writer emits its own).
 */
int fuzz_check_input(const uint8_t *data, size_t size, char *why, size_t whylen);

#endif
