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
# wgbabeld: $WGBABELD if set, else the optimised build that run.sh makes in
# $WGB_BENCH_BUILD (default build-bench at the top of the repository).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "wgpath.sh: needs root (network namespaces)" >&2
	exit 1
fi
for tool in ip python3 cc wg wireguard-go tcpdump; do
	command -v "$tool" >/dev/null || {
		echo "wgpath.sh: $tool not found (tests/deps.sh installs it)" >&2
		exit 1
	}
done

tmp=$(mktemp -d /tmp/wgb-wgpath-bin.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -Wall -o "$tmp/routecount" "$here/lib/routecount.c"

wgb=${WGBABELD:-}
if [ -z "$wgb" ]; then
	bdir=${WGB_BENCH_BUILD:-$top/build-bench}
	[ -f "$bdir/build.ninja" ] ||
		meson setup "$bdir" "$top" --buildtype=release -Dtests=disabled \
			-Dbench=false >"$tmp/setup.log" 2>&1 ||
		{ tail -n 20 "$tmp/setup.log" >&2; exit 1; }
	ninja -C "$bdir" daemon/wgbabeld >"$tmp/build.log" 2>&1 ||
		{ tail -n 20 "$tmp/build.log" >&2; exit 1; }
	wgb=$bdir/daemon/wgbabeld
fi

export PYTHONDONTWRITEBYTECODE=1
# No exec: the EXIT trap removes $tmp after the run.
python3 "$here/wgpath.py" --wgbabeld "$wgb" --routecount "$tmp/routecount" "$@"
