#!/bin/bash
# tests/daemon/uapi_stall.sh [BUILDDIR]   (default $WGB_BUILD, else build-test)
# wgbabeld on wireguard-go whose process is stopped (SIGSTOP) for 8 s: the
# UAPI requests time out (WG_UAPI_TIMEOUT_MS, wgglue/wg.h) instead of
# blocking the event loop, so the control socket keeps answering; the
# routes learned before stay; after SIGCONT the device is read again.
# Always on wireguard-go, whatever WGB_WG_BACKEND says (kernel WireGuard
# has no process to stop). Ends with "N passed, N failed". Exit 77 when
# not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/wgbabeld.sh
. "$top/tests/lib/wgbabeld.sh"
wgb_binaries uapi_stall "${1:-}"
STOP_S=8
MAX_ANSWER_S=3

# shellcheck source=../lib/netns.sh
. "$top/tests/lib/netns.sh"
export WGB_WG_BACKEND=go
wgt_init daemon-uapi-stall

declare -A LL=([a]=fe80::1 [b]=fe80::2) DPID WGPID
ctl() { local n=$1; shift; timeout 10 "$WGBABELCTL" -s "$WGT_DIR/$n.sock" "$@"; }

start_daemon() { # NODE [EXTRA CONFIG]
    local n=$1
    cat >"$WGT_DIR/$n.conf" <<EOF
interface $(wgt_if "$n" wg0) type wireguard hello-interval 1
control-socket $WGT_DIR/$n.sock
state-file $WGT_DIR/$n.state
runtime-dir $WGT_DIR/$n.run
route-table 100
log-level info
${2:-}
EOF
    wgt_daemon "$n" "wgbabeld-$n" "$WGBABELD" -c "$WGT_DIR/$n.conf" || return 1
    DPID[$n]=$WGT_LAST_PID
    wgt_wait_until "[ -S $WGT_DIR/$n.sock ]" 10 || { wgt_fail "wgbabeld on $n did not start"; return 1; }
}

setup() {
    wgt_ns_add a b || return 1
    wgt_veth a 192.0.2.1/24 b 192.0.2.2/24 || return 1
    for n in a b; do
        wgt_wg_add "$n" wg0 || return 1
        WGPID[$n]=$WGT_LAST_PID
        wgt_wg_ll "$n" wg0 "${LL[$n]}/64" || return 1
    done
    wgt_wg_connect a wg0 192.0.2.1 "${LL[b]}/128" b wg0 192.0.2.2 "${LL[a]}/128" || return 1
    start_daemon a || return 1
    start_daemon b "announce 2001:db8:b::/48" || return 1
    wgt_assert_wait "ctl a show routes | grep -q '2001:db8:b::/48'" 30 "a learned b's prefix" || return 1
    wgt_assert_wait "wgt_peer_allowed a wg0 b wg0 | grep -qx 2001:db8:b::/48" 10 "b's prefix on a's peer b"
}

t_stopped_wireguard_go() {
    local t0 t1 dt max=0 n=0 slow=0 end
    kill -STOP "${WGPID[a]}"
    end=$(($(date +%s) + STOP_S))
    while [ "$(date +%s)" -lt "$end" ]; do
        t0=$(wgt_now)
        if ! ctl a show status >/dev/null; then
            wgt_fail "control socket did not answer"
        fi
        t1=$(wgt_now)
        dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        n=$((n + 1))
        max=$(awk -v a="$max" -v b="$dt" 'BEGIN { print (b > a) ? b : a }')
        awk -v d="$dt" -v m="$MAX_ANSWER_S" 'BEGIN { exit !(d > m) }' && slow=$((slow + 1))
        sleep 0.2
    done
    kill -CONT "${WGPID[a]}"
    wgt_log "wireguard-go stopped ${STOP_S} s: $n control requests, slowest answer ${max} s"
    wgt_assert_eq "$slow" 0
    grep 'cannot read the WireGuard device' "$WGT_DIR/wgbabeld-a.log" >&2
    wgt_assert grep -q 'cannot read the WireGuard device: Connection timed out' "$WGT_DIR/wgbabeld-a.log"
    # Nothing was dropped for it, and the device is read again.
    wgt_assert_contains "$(ctl a show routes)" "2001:db8:b::/48"
    wgt_assert_wait "grep -q 'WireGuard device answers again' $WGT_DIR/wgbabeld-a.log" 15 "device read again after SIGCONT"
    wgt_assert_wait "wgt_peer_allowed a wg0 b wg0 | grep -qx 2001:db8:b::/48" 10 "b's prefix still on a's peer b"
}

wgt_setup "setup: a and b on wireguard-go, b's prefix learned by a" setup
wgt_test "wireguard-go stopped: control socket answers, routes stay" t_stopped_wireguard_go
wgt_done
