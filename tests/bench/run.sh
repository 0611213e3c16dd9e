#!/usr/bin/env bash
# Side-by-side benchmark of Babel receivers (issue 7): wgbabeld, babeld 1.12
# and BIRD 2, each as shipped and with a forced large receive buffer, taking
# N IPv6 /64s from a BIRD sender (or, with --sender wgbabeld, a wgbabeld
# sender) over veth between two network namespaces.
#
#   tests/bench/run.sh [--quick] [--wg] [options] [N...]   (root)
#
# Default N: 1000 10000 100000. --quick: N=1000 only (checks the harness).
# --wg: also run tests/bench/wg_bench.sh (AllowedIPs programming, if present).
# wgbabeld: $WGBABELD if set, else an optimised build made here in
# $WGB_BENCH_BUILD (default build-bench at the top of the repository;
# buildtype=release, no sanitizers) — never someone's debug/ASan build.
# Other options go to sidebyside.py (--sender, --receivers, --timeout,
# --kill-timeout, --steady, --no-kill, --json FILE, --keep);
# see tests/bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (network namespaces)" >&2
	exit 1
fi
for tool in ip python3 cc bird; do
	command -v "$tool" >/dev/null || {
		echo "run.sh: $tool not found (tests/deps.sh installs it)" >&2
		exit 1
	}
done

wg=0
args=()
for a in "$@"; do
	case "$a" in
	--wg) wg=1 ;;
	*) args+=("$a") ;;
	esac
done

# The LD_PRELOAD shim that forces a large SO_RCVBUF (lib/rcvbuf_shim.c).
tmp=$(mktemp -d /tmp/wgbb-shim.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -shared -fPIC -O2 -Wall -o "$tmp/rcvbuf_shim.so" "$here/lib/rcvbuf_shim.c" -ldl
# The kernel route counter (lib/routecount.c): C, so that counting does not
# lag behind the kernel (lib/measure.py RouteCounter).
cc -O2 -Wall -o "$tmp/routecount" "$here/lib/routecount.c"

wgb=${WGBABELD:-}
if [ -z "$wgb" ]; then
	bdir=${WGB_BENCH_BUILD:-$top/build-bench}
	if command -v meson >/dev/null && command -v ninja >/dev/null; then
		if { [ -f "$bdir/build.ninja" ] ||
			meson setup "$bdir" "$top" --buildtype=release \
				-Dtests=disabled -Dbench=false >"$tmp/setup.log" 2>&1; } &&
			ninja -C "$bdir" daemon/wgbabeld daemon/wgbabelctl >"$tmp/build.log" 2>&1; then
			wgb=$bdir/daemon/wgbabeld
		else
			echo "run.sh: could not build wgbabeld in $bdir; measuring the others" >&2
			tail -n 20 "$tmp/setup.log" "$tmp/build.log" 2>/dev/null >&2 || true
		fi
	fi
fi
wgarg=()
if [ -n "$wgb" ]; then
	wgarg=(--wgbabeld "$wgb")
fi

export PYTHONDONTWRITEBYTECODE=1
rc=0
python3 "$here/sidebyside.py" --shim "$tmp/rcvbuf_shim.so" \
	--routecount "$tmp/routecount" "${wgarg[@]}" "${args[@]}" || rc=$?

if [ "$wg" = 1 ]; then
	# AllowedIPs programming of 100,000 prefixes and moving them all, wgglue
	# next to wg(8): wgglue's own benchmark, on kernel WireGuard (in a qemu
	# guest when this host has none; tests/vm/run-in-guest.sh decides).
	# WGB_WG_BENCH_ARGS: its arguments (BUILD_DIR N).
	echo
	echo "=== AllowedIPs programming: tests/bench/wg_bench.sh ${WGB_WG_BENCH_ARGS:-} ==="
	if [ ! -x "$here/wg_bench.sh" ]; then
		echo "run.sh: --wg: tests/bench/wg_bench.sh is missing" >&2
		rc=1
	else
		# shellcheck disable=SC2086 # word splitting of the arguments is wanted
		(cd "$top" && tests/vm/run-in-guest.sh tests/bench/wg_bench.sh ${WGB_WG_BENCH_ARGS:-}) || rc=$?
	fi
fi
exit "$rc"
