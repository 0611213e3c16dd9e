/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_rtmsg.c — libFuzzer target for the rtnetlink route
 * message parser (wgglue/rtmsg.c) and its parse -> write -> parse round
 * trip (tests/fuzz/fuzz_rtmsg_check.c). An invariant failing is a bug:
 * abort() so libFuzzer keeps the input.
 */
#include "tests/fuzz/fuzz_rtmsg_check.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (fuzz_rtmsg_check_input(data, size, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_rtmsg: invariant broken: %s\n", why);
		abort();
	}
	return 0;
}
