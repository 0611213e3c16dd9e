#!/bin/bash
# tests/bench/wg_bench.sh [BUILD_DIR] [N] — not a test: programs N (default
# 100000) /32 allowed IPs on peer A and moves them all to peer B, once with
# wgglue (the reconciler, as the daemon uses it) and once with wg(8)
# (addconf files), on the same interface type in the same run. Run it where
# kernel WireGuard exists: tests/vm/run-in-guest.sh tests/bench/wg_bench.sh
# (WGB_WG_BACKEND=go measures wireguard-go instead).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build-wgglue}
case $build in /*) ;; *) build=$repo/$build ;; esac
N=${2:-100000}
WGTOOL=$build/tests/wgglue/wgtool
. "$repo/tests/lib/netns.sh"
wgt_init wgbench

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%8.0f ms", (b - a) * 1000 }'; }
count() { wgt_peer_allowed x "$1" "$2" wg0 | wc -l; }

wgt_ns_add x p q
for i in p q; do wgt_wg_add $i wg0 >/dev/null; done
wgt_wg_add x w1 >/dev/null; wgt_wg_add x w2 >/dev/null
for w in w1 w2; do
    wgt_wg_peer x $w p wg0 - - && wgt_wg_peer x $w q wg0 - - || exit 1
done
A=${WGT_PUB[p/wg0]} B=${WGT_PUB[q/wg0]}

# wgglue, through the reconciler on w1
coproc REC { ip netns exec "$(wgt_ns x)" "$WGTOOL" rec "$(wgt_if x w1)" 2>/dev/null; }
recw() { echo "$*" >&"${REC[1]}"; read -r line <&"${REC[0]}"; [[ $line == ok* ]] || echo "# $* -> $line" >&2; }
recw refresh
recw range "$A" 10.0.0.0 "$N"
t0=$(wgt_now); recw flush; t1=$(wgt_now)
g_add=$(ms "$t0" "$t1"); g_addn=$(count w1 p)
recw range "$B" 10.0.0.0 "$N"
t0=$(wgt_now); recw flush; t1=$(wgt_now)
g_mv=$(ms "$t0" "$t1"); g_mvn=$(count w1 q)
exec {REC[1]}>&-

# wg(8) on w2: addconf with one AllowedIPs line per prefix
conf() {
    echo "[Peer]"; echo "PublicKey = $1"
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "AllowedIPs = 10.%d.%d.%d/32\n", int(i / 65536), int(i / 256) % 256, i % 256 }'
}
conf "$A" >"$WGT_DIR/a.conf"; conf "$B" >"$WGT_DIR/b.conf"
W2=$(wgt_if x w2)
t0=$(wgt_now); wgt_wg x addconf "$W2" "$WGT_DIR/a.conf"; t1=$(wgt_now)
w_add=$(ms "$t0" "$t1"); w_addn=$(count w2 p)
t0=$(wgt_now); wgt_wg x addconf "$W2" "$WGT_DIR/b.conf"; t1=$(wgt_now)
w_mv=$(ms "$t0" "$t1"); w_mvn=$(count w2 q)
# and `wg set` with the whole list replaced (what a naive daemon would do)
wgt_wg x showconf "$W2" >"$WGT_DIR/full.conf"
t0=$(wgt_now); wgt_wg x setconf "$W2" "$WGT_DIR/full.conf"; t1=$(wgt_now)
w_set=$(ms "$t0" "$t1")

echo "# backend $WGT_BACKEND, kernel $(uname -r), N=$N"
printf '%-34s %-14s %-14s\n' "" "wgglue" "wg(8)"
printf '%-34s %-14s %-14s\n' "install N on peer A" "$g_add" "$w_add"
printf '%-34s %-14s %-14s\n' "move all N to peer B" "$g_mv" "$w_mv"
printf '%-34s %-14s %-14s\n' "setconf (replace whole config)" "-" "$w_set"
printf '%-34s %-14s %-14s\n' "allowed IPs counted after install" "$g_addn" "$w_addn"
printf '%-34s %-14s %-14s\n' "allowed IPs counted after move" "$g_mvn" "$w_mvn"
wgt_cleanup
