#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the libFuzzer target with clang and run it for SECONDS.
# Usage: tests/fuzz/smoke.sh SECONDS [BUILDDIR]   (BUILDDIR: build-fuzz)
# Exits non-zero if the build fails or the fuzzer finds a crash, a leak or
# a broken invariant; the input is then in BUILDDIR/fuzz-artifacts/.
# New inputs go to BUILDDIR/fuzz-corpus; the committed corpus is only read.
set -eu
secs=${1:?usage: smoke.sh SECONDS [BUILDDIR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${2:-$top/build-fuzz}

if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" "$top" -Dfuzz=true -Dbench=false
fi
ninja -C "$dir" tests/fuzz/fuzz_packet

mkdir -p "$dir/fuzz-corpus" "$dir/fuzz-artifacts"
exec "$dir/tests/fuzz/fuzz_packet" \
	-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$dir/fuzz-artifacts/" \
	"$dir/fuzz-corpus" "$top/tests/fuzz/corpus" "$top/tests/fuzz/regressions"
