/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_httpreq_check.h — the invariants of the metrics
 * endpoint's request-head parser (daemon/httpreq.h) that the fuzz_httpreq
 * target and the corpus-replay unit test both check on one input.
 */
#ifndef WGB_TESTS_FUZZ_HTTPREQ_CHECK_H
#define WGB_TESTS_FUZZ_HTTPREQ_CHECK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Input: the bytes a client sent so far. Returns 0 when every invariant
 * holds, or -1 with a reason in why:
 *  - the verdict is 0 (more needed), 200, 400, 404, 405, 413, 431 or 505;
 *    0 only below HTTP_HEAD_MAX bytes;
 *  - 200: the head ends in CRLF CRLF within the input and HTTP_HEAD_MAX,
 *    and the head alone (without what was pipelined after it) gets the
 *    same verdict and length;
 *  - a verdict once given does not change: the input less its last byte
 *    is either still undecided or decided the same.
 */
int fuzz_httpreq_check_input(const uint8_t *data, size_t size, char *why,
			     size_t whylen);

#endif
