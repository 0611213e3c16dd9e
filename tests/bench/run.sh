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
# shellcheck source=lib/bench.sh
. "$here/lib/bench.sh"
bench_init run.sh ip python3 cc bird

wg=0
args=()
for a in "$@"; do
	case "$a" in
	--wg) wg=1 ;;
	*) args+=("$a") ;;
	esac
done

# The LD_PRELOAD shim that forces a large SO_RCVBUF (lib/rcvbuf_shim.c).
cc -shared -fPIC -O2 -Wall -o "$BENCH_TMP/rcvbuf_shim.so" "$here/lib/rcvbuf_shim.c" -ldl
bench_routecount
bench_dumpclient

wgb=
if bench_wgbabeld; then
	wgb=$BENCH_WGBABELD
else
	echo "run.sh: measuring the others" >&2
fi
wgarg=()
if [ -n "$wgb" ]; then
	wgarg=(--wgbabeld "$wgb")
fi

export PYTHONDONTWRITEBYTECODE=1
rc=0
python3 "$here/sidebyside.py" --shim "$BENCH_TMP/rcvbuf_shim.so" \
	--routecount "$BENCH_TMP/routecount" "${wgarg[@]}" "${args[@]}" || rc=$?

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
		(cd "$BENCH_TOP" && tests/vm/run-in-guest.sh tests/bench/wg_bench.sh ${WGB_WG_BENCH_ARGS:-}) || rc=$?
	fi
fi
exit "$rc"
