#!/bin/bash
# tests/e2e/uapi_stall.sh [BUILDDIR]   (default $WGB_BUILD, else build-test)
# — wgbabeld on a wireguard-go whose process is stopped (SIGSTOP) for 8 s
# (topo.sh, hosts with clutter):
#
#        a ==== b        (WireGuard; b announces 2001:db8:b::/48)
#
#  - the UAPI requests time out (WG_UAPI_TIMEOUT_MS, wgglue/wg.h) instead
#    of blocking the event loop: every control request to a answers, each
#    within 3 s, and a logs the timeout;
#  - the routes learned before stay: b's prefix is still in a's routes;
#  - after SIGCONT a reads the device again (and logs it), and b's prefix
#    is still an allowed IP of a's peer b.
# stall.sh is the same fault seen from the network (Hellos on a wired
# link go on, convergence after SIGCONT); this one is the daemon's side.
# Always on wireguard-go, whatever WGB_WG_BACKEND says (kernel WireGuard
# has no process to stop).  Ends with "N passed, N failed".
set -u
export WGB_WG_BACKEND=go
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init uapi-stall "${1:-}"
STOP_S=8
MAX_ANSWER_S=3

ctl() { local n=$1; shift; timeout 10 "$WGBABELCTL" -s "$WGT_DIR/$n.sock" "$@"; }
has_aip() { wgt_peer_allowed "$1" wg0 "$2" wg0 | grep -qx "$3"; }

setup() {
    topo_node a b
    topo_link a b
    topo_announce b 2001:db8:b::/48
    topo_up || return 1
    wgt_assert_wait "ctl a show routes | grep -q '2001:db8:b::/48'" 30 "a learned b's prefix" || return 1
    wgt_assert_wait "has_aip a b 2001:db8:b::/48" 10 "b's prefix on a's peer b"
}

t_stopped_wireguard_go() {
    local pid t0 t1 dt max=0 n=0 slow=0 failed=0 end
    pid=$(topo_wggo_pid a)
    [ -n "$pid" ] && kill -0 "$pid" || { wgt_fail "no wireguard-go pid for a"; return 1; }
    kill -STOP "$pid"
    end=$(($(date +%s) + STOP_S))
    while [ "$(date +%s)" -lt "$end" ]; do
        t0=$(wgt_now)
        ctl a show status >/dev/null || failed=$((failed + 1))
        t1=$(wgt_now)
        dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        n=$((n + 1))
        max=$(awk -v a="$max" -v b="$dt" 'BEGIN { print (b > a) ? b : a }')
        awk -v d="$dt" -v m="$MAX_ANSWER_S" 'BEGIN { exit !(d > m) }' && slow=$((slow + 1))
        sleep 0.2
    done
    kill -CONT "$pid"
    wgt_log "wireguard-go stopped ${STOP_S} s: $n control requests, slowest answer ${max} s"
    # At most one request every 0.2 s, each up to 3 s: at least 2 in 8 s
    # even when all are slow; fewer means the loop did not probe at all.
    [ "$n" -ge 2 ] || wgt_fail "only $n control requests while wireguard-go was stopped"
    wgt_assert_eq "$failed" 0 "control requests that failed"
    wgt_assert_eq "$slow" 0 "control requests slower than $MAX_ANSWER_S s"
    grep 'cannot read the WireGuard device' "$WGT_DIR/wgbabeld-a.log" >&2
    wgt_assert grep -q 'cannot read the WireGuard device: Connection timed out' "$WGT_DIR/wgbabeld-a.log"
    # Nothing was dropped for it, and the device is read again.
    wgt_assert_contains "$(ctl a show routes)" "2001:db8:b::/48" "a's routes after SIGCONT"
    wgt_assert_wait "grep -q 'WireGuard device answers again' $WGT_DIR/wgbabeld-a.log" 15 "device read again after SIGCONT"
    wgt_assert_wait "has_aip a b 2001:db8:b::/48" 10 "b's prefix still on a's peer b"
}

wgt_setup "setup: a and b on wireguard-go, b's prefix learned by a" setup
wgt_test "wireguard-go stopped: control socket answers, routes stay" t_stopped_wireguard_go
topo_done
