#!/usr/bin/env bash
# The whole wgbabeld test suite, as CI runs it (README: "Testing").
#
#   1. unit tests and the simulator (meson test), plain build with -Werror
#      at warning_level 3 (-Wall -Wextra -Wpedantic)
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer, and a
#      build with -Dtests=disabled (no cmocka), as a packager builds
#   3. a fuzz smoke run of the packet, route-message and HTTP request-head
#      parsers (libFuzzer, clang)
#   4. the Debian package (tests/pkg/deb.sh): dpkg-buildpackage in a copy
#      of the tree, lintian, dpkg -i, the installed daemon run over
#      wireguard-go, dpkg -r and purge; then the same package under
#      systemd as PID 1 in the qemu guest (tests/pkg/systemd.sh):
#      wgbabeld@wg0 started, reloaded, stopped
#   5. integration tests on real WireGuard: wireguard-go on this host, and
#      kernel WireGuard (on the host if it has it, else in one qemu guest)
#
# Environment: WGB_SKIP_DEPS=1 skips the package check; WGB_FUZZ_SECONDS
# (default 40 per target); WGB_SKIP_PKG=1 skips stage 4; WGB_SKIP_INTEGRATION=1
# skips stages 4 and 5.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

total_pass=0
total_fail=0
failed_stages=()

stage() { printf '\n=== %s ===\n' "$*"; }

# record NAME PASSED FAILED
record() {
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	if [ "$3" -ne 0 ]; then
		failed_stages+=("$1")
	fi
	printf '%s: %d passed, %d failed\n' "$1" "$2" "$3"
}

# shellcheck source=tests/lib/tally.sh
. "$top/tests/lib/tally.sh"

# run_counted NAME CMD [ARG...]: a script that ends with "N passed, N
# failed"; its results counted.
run_counted() {
	tally_run "$@"
	record "$1" "$tally_p" "$tally_f"
}

# meson_stage NAME BUILDDIR [meson setup args...]
meson_stage() {
	local name=$1 dir=$2
	shift 2
	stage "$name: build ($dir)"
	if ! { meson setup --wipe "$dir" -Dwerror=true -Dwarning_level=3 \
		"$@" >/dev/null 2>&1 ||
		meson setup "$dir" -Dwerror=true -Dwarning_level=3 "$@"; } ||
		! ninja -C "$dir"; then
		record "$name build" 0 1
		return
	fi
	stage "$name: meson test"
	local log=$dir/meson-logs/testlog.txt
	meson test -C "$dir" --print-errorlogs --num-processes 2
	local ok fail
	ok=$(grep -E '^Ok:' "$log" | awk '{print $2}')
	fail=$(grep -E '^(Fail|Unexpected Pass|Timeout):' "$log" | awk '{s+=$2} END {print s+0}')
	record "$name" "${ok:-0}" "${fail:-1}"
}

# build_stage NAME BUILDDIR [meson setup args...]: builds, runs nothing.
build_stage() {
	local name=$1 dir=$2
	shift 2
	stage "$name: build ($dir)"
	if { meson setup --wipe "$dir" -Dwerror=true "$@" >/dev/null 2>&1 ||
		meson setup "$dir" -Dwerror=true "$@"; } && ninja -C "$dir"; then
		record "$name" 1 0
	else
		record "$name" 0 1
	fi
}

if [ "${WGB_SKIP_DEPS:-0}" != 1 ]; then
	stage "dependencies"
	bash tests/deps.sh || { echo "dependency installation failed"; exit 1; }
fi

meson_stage "unit" build-test
meson_stage "unit-asan-ubsan" build-test-san \
	-Db_sanitize=address,undefined -Db_lundef=false

# A packager's build: no cmocka, no cmocka test programs.
build_stage "build-without-tests" build-notests -Dtests=disabled \
	-Dbench=false

stage "fuzz smoke"
run_counted "fuzz" bash tests/fuzz/smoke.sh "${WGB_FUZZ_SECONDS:-40}"

if [ "${WGB_SKIP_INTEGRATION:-0}" != 1 ] && [ "${WGB_SKIP_PKG:-0}" != 1 ]; then
	stage "Debian package"
	rm -rf "$top/build-pkg"
	run_counted "debian-package" \
		env WGB_DEB_KEEP="$top/build-pkg" bash tests/pkg/deb.sh
	stage "Debian package under systemd (qemu guest)"
	deb=$(ls "$top"/build-pkg/wgbabeld_*.deb 2>/dev/null | head -n 1)
	if [ -n "$deb" ]; then
		run_counted "debian-package-systemd" \
			env WGB_DEB="$deb" bash tests/pkg/systemd.sh
	else
		record "debian-package-systemd" 0 1
		echo "debian-package-systemd: no package was built"
	fi
fi

if [ "${WGB_SKIP_INTEGRATION:-0}" != 1 ]; then
	stage "integration: wireguard-go on the host"
	run_counted "integration-wireguard-go" \
		env WGB_BUILD="$top/build-test" WGB_WG_BACKEND=go \
		bash tests/integration.sh
	stage "integration: kernel WireGuard"
	run_counted "integration-kernel" \
		env WGB_BUILD="$top/build-test" WGB_WG_BACKEND=kernel \
		bash tests/vm/run-in-guest.sh bash tests/integration.sh
fi

echo
if [ ${#failed_stages[@]} -ne 0 ]; then
	echo "failed: ${failed_stages[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
