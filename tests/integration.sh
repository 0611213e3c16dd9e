#!/usr/bin/env bash
# Integration tests on real WireGuard, one script after the other, with the
# backend given by WGB_WG_BACKEND (kernel or go). Each script prints
# "N passed, N failed" as its last result line; this adds them up.
# Run as root. WGB_BUILD names the build directory (default build-test).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export WGB_BUILD=${WGB_BUILD:-$top/build-test}
export WGB_WG_BACKEND=${WGB_WG_BACKEND:-go}

scripts=(
	tests/vm/selftest.sh
	tests/wgglue/integration.sh
	tests/daemon/e2e.sh
)

pass=0
fail=0
for s in "${scripts[@]}"; do
	echo "--- $s (backend $WGB_WG_BACKEND)"
	log=$(mktemp)
	bash "$s" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "--- $s: exited $rc without a result line"
		fail=$((fail + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#* passed, }
	f=${f%% failed*}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
