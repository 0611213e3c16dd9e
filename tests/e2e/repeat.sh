#!/bin/bash
# tests/e2e/repeat.sh [-n RUNS] [-o DIR] [SCENARIO...]: the end-to-end
# scenarios (default: the list tests/integration.sh runs for the backend)
# RUNS times in a row (default 10), to show the suite is not flaky.  Not
# part of CI (it takes an hour or more); run it by hand, as root, and
# record the result in tests/bench/README.md.  Each run's whole output is
# kept in DIR (default /tmp/wgb-repeat.XXXX) as run-N.log, with the
# failing checks listed at the end; the last line is the total, and the
# exit status is 0 only when every run passed.  The figures of all runs,
# as one table: python3 tests/e2e/repeat_table.py DIR.
#
#   WGB_WG_BACKEND=go bash tests/e2e/repeat.sh
#   WGB_WG_BACKEND=kernel bash tests/vm/run-in-guest.sh bash tests/e2e/repeat.sh -n 10
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=10 dir=''
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=${2:?-n needs a number}; shift 2 ;;
    -o) dir=${2:?-o needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "repeat.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
case $runs in ''|*[!0-9]*) echo "repeat.sh: -n wants a number" >&2; exit 2 ;; esac
if [ $# -eq 0 ]; then
    # The same lists as tests/integration.sh.
    if [ "${WGB_WG_BACKEND:-go}" = kernel ]; then
        set -- anycast failover linkcut multihop wgquick foreign dryrun egress rtt
    else
        set -- anycast failover linkcut check multihop wgquick foreign dryrun stall mesh20 interop egress rtt join
    fi
fi
[ -n "$dir" ] || dir=$(mktemp -d /tmp/wgb-repeat.XXXX)
mkdir -p "$dir"
echo "# repeat: $runs runs of: $*; backend ${WGB_WG_BACKEND:-go}; logs in $dir"
green=0
for i in $(seq "$runs"); do
    log=$dir/run-$i.log
    t0=$(date +%s)
    bash "$here/all.sh" "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    secs=$(( $(date +%s) - t0 ))
    if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
        green=$((green + 1))
        echo "run $i: ${line} (${secs} s)"
    else
        echo "run $i: ${line:-no result line} (${secs} s), failing:"
        grep -E '^not ok|^--- .*: exited' "$log" | sed 's/^/#   /'
    fi
done
echo "$green of $runs runs passed"
[ "$green" -eq "$runs" ]
