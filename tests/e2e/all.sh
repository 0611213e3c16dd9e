#!/bin/bash
# tests/e2e/all.sh [SCRIPT...]: the end-to-end scenarios one after the
# other (default: all of them; hub, ipv4, deadpeer, linklocal, redist,
# uapi_stall and metrics, the daemon's own checks, run from
# tests/integration.sh, or when named here), each ending with "N passed,
# N failed"; prints the sum as one such line.  Backend from WGB_WG_BACKEND
# (go or kernel; run through tests/vm/run-in-guest.sh for kernel WireGuard
# on a host without it), build directory from WGB_BUILD (default
# build-test).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -eq 0 ]; then
    set -- anycast failover linkcut check multihop wgquick foreign dryrun stall mesh20 interop egress rtt join
fi
pass=0 fail=0
for s in "$@"; do
    s=${s%.sh}
    echo "--- tests/e2e/$s.sh (backend ${WGB_WG_BACKEND:-auto})"
    log=$(mktemp)
    bash "$here/$s.sh" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    grep -E '^# (failover loss|link cut|health check|transit restart|[0-9]+-node full mesh|convergence time|rtt after restart|node joined)' "$log" >>"${TMPDIR:-/tmp}/e2e-summary.$$"
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
if [ -s "${TMPDIR:-/tmp}/e2e-summary.$$" ]; then
    echo "--- measurements"
    cat "${TMPDIR:-/tmp}/e2e-summary.$$"
fi
rm -f "${TMPDIR:-/tmp}/e2e-summary.$$"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
