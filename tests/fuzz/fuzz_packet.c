/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_packet.c — libFuzzer target for the Babel parser and the
 * parse -> write -> parse round trip (tests/fuzz/fuzz_check.c). Our own
 * invariants failing is a bug: abort() so libFuzzer keeps the input.
 */
#include "tests/fuzz/fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (fuzz_check_input(data, size, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_packet: invariant broken: %s\n", why);
		abort();
	}
	return 0;
}
