#!/usr/bin/env bash
# The WireGuard-path benchmark (issue 14): a wgbabeld sender announcing N
# IPv6 /64s to a wgbabeld receiver over wireguard-go, in two network
# namespaces, in both start orders; the floor is `wg addconf` of the same N
# allowed IPs on a fresh wireguard-go device. Not a test: it prints figures
# and fails only when it cannot run. See tests/bench/README.md.
#
#   tests/bench/wgpath.sh [options] [N]        (root; N default 10000)
#
# Options go to wgpath.py: --orders, --timeout S, --steady S, --settle S,
# --lead S, --floor-runs K, --json FILE, --keep.
# wgbabeld: $WGBABELD if set, else the optimised build lib/bench.sh makes in
# $WGB_BENCH_BUILD (default build-bench at the top of the repository).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/bench.sh
. "$here/lib/bench.sh"
bench_init wgpath.sh ip python3 cc wg wireguard-go tcpdump
bench_routecount
bench_wgbabeld || exit 1

export PYTHONDONTWRITEBYTECODE=1
# No exec: the EXIT trap removes $BENCH_TMP after the run.
python3 "$here/wgpath.py" --wgbabeld "$BENCH_WGBABELD" --routecount "$BENCH_TMP/routecount" "$@"
