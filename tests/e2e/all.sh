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
# shellcheck source=tests/lib/tally.sh
. "$here/../lib/tally.sh"
TALLY_KEEP='^# (failover loss|link cut|health check|transit restart|[0-9]+-node full mesh|convergence time|rtt after restart|node joined)'
TALLY_KEEP_FILE=${TMPDIR:-/tmp}/e2e-summary.$$
for s in "$@"; do
    s=${s%.sh}
    echo "--- tests/e2e/$s.sh (backend ${WGB_WG_BACKEND:-auto})"
    tally_run "$s" bash "$here/$s.sh"
done
if [ -s "$TALLY_KEEP_FILE" ]; then
    echo "--- measurements"
    cat "$TALLY_KEEP_FILE"
fi
rm -f "$TALLY_KEEP_FILE"
tally_end
