#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets with clang and run each for SECONDS.
# Usage: tests/fuzz/smoke.sh SECONDS [BUILDDIR]   (BUILDDIR: build-fuzz)
# Targets: fuzz_packet (Babel packets), fuzz_rtmsg (rtnetlink route
# messages) and fuzz_httpreq (metrics request heads), each with its committed corpus and regressions; WGB_FUZZ_TARGETS
# (space-separated) runs only some.
# Exits non-zero if the build fails or a fuzzer finds a crash, a leak or
# a broken invariant; the input is then in BUILDDIR/fuzz-artifacts/TARGET/.
# New inputs go to BUILDDIR/fuzz-corpus/TARGET; the committed corpus is only
# read.
set -eu
secs=${1:?usage: smoke.sh SECONDS [BUILDDIR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${2:-$top/build-fuzz}
targets=${WGB_FUZZ_TARGETS:-fuzz_packet fuzz_rtmsg fuzz_httpreq}

if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" "$top" -Dfuzz=true -Dbench=false
fi
for t in $targets; do
	ninja -C "$dir" "tests/fuzz/$t"
done

passed=0
failed=0
for t in $targets; do
	case $t in
	fuzz_packet) seeds="$top/tests/fuzz/corpus $top/tests/fuzz/regressions" ;;
	fuzz_rtmsg) seeds="$top/tests/fuzz/corpus-rtmsg $top/tests/fuzz/regressions-rtmsg" ;;
	fuzz_httpreq) seeds="$top/tests/fuzz/corpus-httpreq $top/tests/fuzz/regressions-httpreq" ;;
	*) echo "fuzz: unknown target $t"; exit 2 ;;
	esac
	mkdir -p "$dir/fuzz-corpus/$t" "$dir/fuzz-artifacts/$t"
	log=$dir/fuzz-smoke-$t.log
	status=0
	# shellcheck disable=SC2086 # seeds: two directories
	"$dir/tests/fuzz/$t" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/fuzz-artifacts/$t/" \
		"$dir/fuzz-corpus/$t" $seeds \
		>"$log" 2>&1 || status=$?
	# libFuzzer's progress lines are many; keep them in the log, show the end.
	grep -v '^#[0-9]' "$log" | grep -v '^"' | tail -n 25
	if [ "$status" -eq 0 ]; then
		echo "$t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log")"
		passed=$((passed + 1))
	else
		echo "$t: the fuzzer exited $status; the input is in $dir/fuzz-artifacts/$t/ (full log: $log)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
