#!/usr/bin/env bash
# Side-by-side benchmark of Babel receivers (issue 7): wgbabeld, babeld 1.12
# and BIRD 2, each as shipped and with a forced large receive buffer, taking
# N IPv6 /64s from a BIRD sender over veth between two network namespaces.
#
#   tests/bench/run.sh [--quick] [--wg] [options] [N...]   (root)
#
# Default N: 1000 10000 100000. --quick: N=1000 only (checks the harness).
# --wg: also run tests/bench/wg_bench.sh (AllowedIPs programming, if present).
# Other options go to sidebyside.py (--receivers, --timeout, --kill-timeout,
# --steady, --rcvbuf-method shim|sysctl, --no-kill, --json FILE, --keep);
# see tests/bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

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

rc=0
python3 "$here/sidebyside.py" --shim "$tmp/rcvbuf_shim.so" "${args[@]}" || rc=$?

if [ "$wg" = 1 ]; then
	if [ -x "$here/wg_bench.sh" ]; then
		echo
		echo "=== AllowedIPs programming (tests/bench/wg_bench.sh) ==="
		"$here/wg_bench.sh" || rc=$?
	else
		echo "run.sh: --wg: tests/bench/wg_bench.sh does not exist yet" >&2
		rc=1
	fi
fi
exit "$rc"
