#!/usr/bin/env bash
# tests/daemon/unit_test.sh UNIT WGBABELD SBINDIR — the generated systemd unit
# (build/daemon/wgbabeld@.service): it runs wgbabeld from the configured
# sbindir; `systemd-analyze security --offline=true` rates its exposure at
# most 3.5 (issue 17); `systemd-analyze verify` has nothing to say about it
# (run on a copy whose Exec lines name the built wgbabeld, as verify checks
# that they are executable). Skipped (77) without systemd-analyze, which
# needs no running systemd: apt-get install systemd.
set -u
unit=$1 wgbabeld=$(realpath "$2") sbindir=$3
max=3.5
pass=0 fail=0
check() {	# NAME CONDITION-STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"
	else
		fail=$((fail + 1)); echo "not ok $((pass + fail)) - $1"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

grep -q "^ExecStart=$sbindir/wgbabeld " "$unit"
check "the unit runs $sbindir/wgbabeld" $? "$(grep ^Exec "$unit")"

if ! command -v systemd-analyze >/dev/null; then
	echo "unit_test: systemd-analyze not installed (Debian: apt-get install" \
	     "systemd; tests/deps.sh installs it); the security and verify" \
	     "checks are skipped"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$(systemd-analyze security --offline=true "$unit" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$level" ] && awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'
check "systemd-analyze security: exposure ${level:-?} <= $max" $? \
	"$(printf '%s\n' "$out" | grep -E '✗|Overall')"

sed "s|$sbindir/wgbabeld|$wgbabeld|g" "$unit" > "$tmp/wgbabeld@.service"
out=$(systemd-analyze verify --man=no "$tmp/wgbabeld@.service" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ]
check "systemd-analyze verify: no complaint" $? "$out"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
