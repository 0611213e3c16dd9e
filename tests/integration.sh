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

# The end-to-end scenarios: all of them with wireguard-go on the host; under
# kernel WireGuard in the emulated guest (every process start costs 50-120
# ms there) anycast and wg-quick. failover.sh also runs there by hand
# (WGB_E2E="failover") but loses one echo request in the planned move on
# kernel WireGuard 6.1 in the guest, not yet explained: it stays out of CI
# until it is. WGB_E2E overrides the list.
if [ "$WGB_WG_BACKEND" = kernel ]; then
	e2e=${WGB_E2E:-anycast wgquick}
else
	e2e=${WGB_E2E:-anycast failover multihop wgquick mesh20 interop}
fi

scripts=(
	tests/vm/selftest.sh
	tests/wgglue/integration.sh
	tests/daemon/e2e.sh
	tests/daemon/deadpeer.sh
	"tests/e2e/all.sh $e2e"
)

pass=0
fail=0
for s in "${scripts[@]}"; do
	echo "--- $s (backend $WGB_WG_BACKEND)"
	log=$(mktemp)
	# shellcheck disable=SC2086 # "script args" are split on purpose
	bash $s 2>&1 | tee "$log"
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
