/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_httpreq.c — libFuzzer target for the metrics endpoint's
 * request-head parser (daemon/httpreq.c) and its invariants
 * (tests/fuzz/fuzz_httpreq_check.c). An invariant failing is a bug:
 * abort() so libFuzzer keeps the input.
 */
#include "tests/fuzz/fuzz_httpreq_check.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (fuzz_httpreq_check_input(data, size, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_httpreq: invariant broken: %s\n", why);
		abort();
	}
	return 0;
}
