# shellcheck shell=bash
# tests/bench/lib/bench.sh — what the benchmark scripts (run.sh, wgpath.sh)
# do before they measure: the root and tool checks, a scratch directory,
# the C helpers built, and the wgbabeld to measure.  Source it from bash
# (set -euo pipefail is fine):
#
#   . "$(dirname "$0")/lib/bench.sh"
#   bench_init NAME TOOL...        # root, tools, $BENCH_TMP (removed at exit)
#   bench_routecount               # $BENCH_TMP/routecount (lib/routecount.c)
#   bench_dumpclient               # $BENCH_TMP/dumpclient (lib/dumpclient.c)
#   bench_wgbabeld || exit 1       # $BENCH_WGBABELD

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOP=$(cd "$BENCH_LIB/../../.." && pwd)

# bench_init NAME TOOL...: exit unless root and every TOOL is installed;
# make $BENCH_TMP, removed when the script exits.
bench_init() {
	BENCH_NAME=$1
	shift
	if [ "$(id -u)" -ne 0 ]; then
		echo "$BENCH_NAME: needs root (network namespaces)" >&2
		exit 1
	fi
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			echo "$BENCH_NAME: $tool not found (tests/deps.sh installs it)" >&2
			exit 1
		}
	done
	BENCH_TMP=$(mktemp -d "/tmp/wgb-${BENCH_NAME%.sh}.XXXXXX")
	# shellcheck disable=SC2064 # the path is fixed now
	trap "rm -rf '$BENCH_TMP'" EXIT
}

# bench_routecount: the kernel route counter (lib/routecount.c), in C so
# that counting does not lag behind the kernel (lib/measure.py
# RouteCounter), as $BENCH_TMP/routecount.
bench_routecount() {
	cc -O2 -Wall -o "$BENCH_TMP/routecount" "$BENCH_LIB/routecount.c"
}

# bench_dumpclient: the control-socket dump timer (lib/dumpclient.c), in C
# so that the dump's figure is the daemon's, not a Python reader's;
# exported as WGB_BENCH_DUMPCLIENT for lib/measure.py.
bench_dumpclient() {
	cc -O2 -Wall -o "$BENCH_TMP/dumpclient" "$BENCH_LIB/dumpclient.c" &&
		export WGB_BENCH_DUMPCLIENT=$BENCH_TMP/dumpclient
}

# bench_wgbabeld: the wgbabeld to measure into BENCH_WGBABELD: $WGBABELD
# if set, else an optimised build (buildtype=release, no sanitizers, no
# tests) made here in $WGB_BENCH_BUILD (default build-bench at the top of
# the repository), never someone's debug or ASan build.  Returns 1 with
# the build's last lines on stderr when it cannot build.
bench_wgbabeld() {
	BENCH_WGBABELD=${WGBABELD:-}
	[ -z "$BENCH_WGBABELD" ] || return 0
	local bdir=${WGB_BENCH_BUILD:-$BENCH_TOP/build-bench}
	if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
		echo "$BENCH_NAME: meson and ninja are needed to build wgbabeld" >&2
		return 1
	fi
	if { [ -f "$bdir/build.ninja" ] ||
		meson setup "$bdir" "$BENCH_TOP" --buildtype=release \
			-Dtests=disabled -Dbench=false >"$BENCH_TMP/setup.log" 2>&1; } &&
		ninja -C "$bdir" daemon/wgbabeld daemon/wgbabelctl >"$BENCH_TMP/build.log" 2>&1; then
		BENCH_WGBABELD=$bdir/daemon/wgbabeld
		return 0
	fi
	echo "$BENCH_NAME: could not build wgbabeld in $bdir" >&2
	tail -n 20 "$BENCH_TMP/setup.log" "$BENCH_TMP/build.log" 2>/dev/null >&2 || true
	return 1
}
