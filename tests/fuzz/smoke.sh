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
log=$dir/fuzz-smoke.log
status=0
"$dir/tests/fuzz/fuzz_packet" \
	-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$dir/fuzz-artifacts/" \
	"$dir/fuzz-corpus" "$top/tests/fuzz/corpus" "$top/tests/fuzz/regressions" \
	>"$log" 2>&1 || status=$?
# libFuzzer's progress lines are many; keep them in the log, show the end.
grep -v '^#[0-9]' "$log" | grep -v '^"' | tail -n 25
if [ "$status" -eq 0 ]; then
	echo "fuzz: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log")"
	echo "1 passed, 0 failed"
else
	echo "fuzz: the fuzzer exited $status; the input is in $dir/fuzz-artifacts/ (full log: $log)"
	echo "0 passed, 1 failed"
fi
exit "$status"
