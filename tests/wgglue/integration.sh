#!/bin/bash
# tests/wgglue/integration.sh — wgglue against real WireGuard (kernel or
# wireguard-go, per WGB_WG_BACKEND; see tests/lib/netns.sh).
#
#   tests/wgglue/integration.sh [BUILD_DIR]            (host: wireguard-go)
#   tests/vm/run-in-guest.sh tests/wgglue/integration.sh BUILD_DIR   (kernel)
#
# Topology: namespace a runs the reconciler (tests/wgglue/wgtool rec) on its
# wg0, with peers b and c. b and c both carry the anycast addresses
# 10.99.0.1 and 10.99.0.2 on lo; a routes 10.99.0.0/24 into wg0, so whichever
# peer holds an address in a's allowed IPs answers. 10.20.0.2/32 (b) and
# 10.20.0.3/32 (c) are "wg-quick" allowed IPs wgglue does not own.
# The last line is "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-${WGB_BUILD:-${WGB_BUILD_DIR:-$repo/build-wgglue}}}
case $build in /*) ;; *) build=$repo/$build ;; esac
WGTOOL=$build/tests/wgglue/wgtool
. "$repo/tests/lib/netns.sh"
wgt_init wgglue
[ -x "$WGTOOL" ] || { wgt_log "no $WGTOOL (build first)"; wgt_test "wgtool built" false; wgt_done; }

A_PID=
rec_start() {
    local state=$1
    coproc REC { ip netns exec "$(wgt_ns a)" "$WGTOOL" rec "$(wgt_if a wg0)" "$state" 2>>"$WGT_DIR/rec.log"; }
    REC_PID=$REC_PID
}
# rec CMD: send one command to the reconciler session, print its answer,
# fail unless it starts with "ok".
rec() {
    local line
    echo "$*" >&"${REC[1]}"
    if ! read -r -t 120 line <&"${REC[0]}"; then
        wgt_fail "reconciler did not answer '$*'"
        return 1
    fi
    REC_OUT=$line
    wgt_log "rec $*: $line"
    case $line in ok*) return 0 ;; *) wgt_fail "rec $*: $line"; return 1 ;; esac
}
rec_stop() {
    exec {REC[1]}>&-
    wait "$REC_PID" 2>/dev/null
}

holder_of() { # NS NAME PREFIX: the peer (b|c|none) holding PREFIX on NS/NAME
    local out
    out=$(wgt_wg_allowed "$1" "$2") || return 1
    local pk
    pk=$(awk -v p="$3" '{ for (i = 2; i <= NF; i++) if ($i == p) print $1 }' <<<"$out")
    case $pk in
    "${WGT_PUB[b/wg0]}") echo b ;;
    "${WGT_PUB[c/wg0]}") echo c ;;
    '') echo none ;;
    *) echo "other:$pk" ;;
    esac
}
assert_holder() { # PREFIX EXPECTED
    local h
    h=$(holder_of a wg0 "$1")
    [ "$h" = "$2" ] || wgt_fail "$1 is held by $h, expected $2"
}
count_on() { # PEER: allowed IPs a/wg0 has for PEER
    wgt_peer_allowed a wg0 "$1" wg0 | wc -l
}

peers_of_a() {
    wgt_wg_peer a wg0 b wg0 192.0.2.2 10.20.0.2/32 persistent-keepalive 1 &&
        wgt_wg_peer a wg0 c wg0 198.51.100.3 10.20.0.3/32 persistent-keepalive 1 &&
        wgt_ip a -b - <<EOF
addr add 10.10.0.1/32 dev $(wgt_if a wg0)
route add 10.20.0.0/24 dev $(wgt_if a wg0)
route add 10.99.0.0/24 dev $(wgt_if a wg0)
EOF
}

setup() {
    wgt_ns_add a b c || return 1
    wgt_veth a 192.0.2.1/24 b 192.0.2.2/24 || return 1
    wgt_veth a 198.51.100.1/24 c 198.51.100.3/24 || return 1
    wgt_wg_add a wg0 || return 1
    A_PID=${WGT_LAST_PID:-}
    wgt_wg_add b wg0 || return 1
    wgt_wg_add c wg0 || return 1
    peers_of_a || return 1
    local n
    for n in b c; do
        local ip=10.20.0.2 ua=192.0.2.1
        [ $n = c ] && ip=10.20.0.3 && ua=198.51.100.1
        wgt_wg_peer $n wg0 a wg0 $ua 10.10.0.1/32 || return 1
        wgt_ip $n -b - <<EOF || return 1
addr add $ip/32 dev $(wgt_if $n wg0)
addr add 10.99.0.1/32 dev lo
addr add 10.99.0.2/32 dev lo
route add 10.10.0.1/32 dev $(wgt_if $n wg0)
EOF
    done
    wgt_assert_wait "wgt_ping a 10.20.0.2 1" 10 "a reaches b through the tunnel" || return 1
    wgt_assert_wait "wgt_ping a 10.20.0.3 1" 10 "a reaches c through the tunnel" || return 1
    STATE=$WGT_DIR/wg.state
    rec_start "$STATE"
    # first start: nothing to relearn, so the grace period ends at once
    rec load-state && rec refresh && rec grace-over && rec stats
}

t_install() {
    rec route 10.99.0.1/32 "${WGT_PUB[b/wg0]}" && rec flush || return 1
    assert_holder 10.99.0.1/32 b
    wgt_assert_ping a 10.99.0.1
    rec owns 10.99.0.1/32 && [[ $REC_OUT == *yes ]] || wgt_fail "not owned"
}

# Echo requests NS has received so far (IcmpInEchos of its own netns).
in_echos() {
    wgt_exec "$1" awk '/^Icmp: [A-Z]/ { for (i = 2; i <= NF; i++) if ($i == "InEchos") f = i }
        /^Icmp: [0-9]/ { print $f }' /proc/net/snmp
}

# The move must lose no packet on the way *to* the prefix: every echo request
# a sends reaches b or c. Round-trip loss is reported too but is not what the
# move controls: a reply b already sent arrives after the move from a peer
# that no longer holds 10.99.0.1, and WireGuard's source check (cryptokey
# routing) drops it. That is inherent to anycast over WireGuard.
t_move_under_ping() {
    local out=$WGT_DIR/ping-move b0 c0 b1 c1 sent recvd
    b0=$(in_echos b) && c0=$(in_echos c) || return 1
    wgt_exec a ping -q -n -i 0.01 -W 1 -c 400 -w 8 10.99.0.1 >"$out" 2>&1 &
    local pid=$!
    sleep 1.5
    rec route 10.99.0.1/32 "${WGT_PUB[c/wg0]}" && rec flush
    wait $pid
    assert_holder 10.99.0.1/32 c
    b1=$(in_echos b) && c1=$(in_echos c) || return 1
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
    recvd=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out")
    [ -n "$sent" ] || { wgt_fail "ping gave no statistics: $(cat "$out")"; return 1; }
    local fwd=$(((b1 - b0) + (c1 - c0)))
    wgt_log "move: $fwd of $sent echo requests delivered (b $((b1 - b0)), c $((c1 - c0))); $recvd replies came back"
    [ "$fwd" -eq "$sent" ] || wgt_fail "$((sent - fwd)) echo requests lost during the move"
    [ $((b1 - b0)) -gt 0 ] && [ $((c1 - c0)) -gt 0 ] ||
        wgt_fail "the move did not happen during the ping"
    rec stats
    [[ $REC_OUT == *removes=0* ]] || wgt_fail "a move sent a removal: $REC_OUT"
}

t_withdraw() {
    # 10.99.0.2 on c stays pinged while 10.99.0.1 is withdrawn from c.
    rec route 10.99.0.2/32 "${WGT_PUB[c/wg0]}" && rec flush || return 1
    local lossf=$WGT_DIR/loss2
    wgt_ping_loss a 10.99.0.2 3 >"$lossf" &
    local pid=$!
    sleep 1
    rec unroute 10.99.0.1/32 && rec flush
    wait $pid
    assert_holder 10.99.0.1/32 none
    assert_holder 10.99.0.2/32 c
    assert_holder 10.20.0.3/32 c
    assert_holder 10.20.0.2/32 b
    wgt_assert_no_ping a 10.99.0.1
    [ "$(cat "$lossf")" = 0 ] || wgt_fail "loss $(cat "$lossf")% on 10.99.0.2 while withdrawing 10.99.0.1"
    [ "$(wgt_wg a show "$(wgt_if a wg0)" peers | wc -l)" = 2 ] || wgt_fail "peer count changed (sink left behind?)"
}

t_foreign_untouched() {
    rec route 10.20.0.2/32 "${WGT_PUB[c/wg0]}" && rec flush || return 1
    assert_holder 10.20.0.2/32 b
    rec conflicts || return 1
    [[ $REC_OUT == *"10.20.0.2/32:foreign"*"n=1" ]] || wgt_fail "conflict not listed: $REC_OUT"
    rec unroute 10.20.0.2/32 && rec flush && rec withdraw-all
    assert_holder 10.20.0.2/32 b
    assert_holder 10.20.0.3/32 c
    wgt_assert_ping a 10.20.0.2
}

t_10k() {
    local t0
    t0=$(wgt_now)
    rec range "${WGT_PUB[b/wg0]}" 10.100.0.0 10000 && rec flush || return 1
    wgt_log "10000 installed in $(wgt_since "$t0") s (flush: $REC_OUT)"
    [ "$(count_on b)" = 10001 ] || wgt_fail "b has $(count_on b) allowed IPs, expected 10001"
    t0=$(wgt_now)
    rec range "${WGT_PUB[c/wg0]}" 10.100.0.0 10000 && rec flush || return 1
    wgt_log "10000 moved in $(wgt_since "$t0") s (flush: $REC_OUT)"
    [ "$(count_on b)" = 1 ] || wgt_fail "b still has $(count_on b)"
    [ "$(count_on c)" = 10001 ] || wgt_fail "c has $(count_on c), expected 10001"
    t0=$(wgt_now)
    rec unrange 10.100.0.0 10000 && rec flush || return 1
    wgt_log "10000 withdrawn in $(wgt_since "$t0") s (flush: $REC_OUT)"
    [ "$(count_on c)" = 1 ] || wgt_fail "c still has $(count_on c)"
    wgt_assert_ping a 10.20.0.3
}

t_restart() {
    rec route 10.99.0.1/32 "${WGT_PUB[b/wg0]}" && rec route 10.99.0.2/32 "${WGT_PUB[c/wg0]}" && rec flush || return 1
    rec_stop
    rec_start "$STATE"
    rec load-state && rec refresh || return 1
    assert_holder 10.99.0.1/32 b
    assert_holder 10.99.0.2/32 c
    rec route 10.99.0.2/32 "${WGT_PUB[c/wg0]}" && rec flush || return 1
    assert_holder 10.99.0.1/32 b	# grace: not relearned yet, kept
    rec grace-over && rec flush || return 1
    assert_holder 10.99.0.1/32 none
    assert_holder 10.99.0.2/32 c
    assert_holder 10.20.0.2/32 b
    assert_holder 10.20.0.3/32 c
}

t_recreate() {
    if [ "$WGT_BACKEND" = kernel ]; then
        wgt_ip a link del "$(wgt_if a wg0)" || return 1
    else
        wgt_stop "$A_PID" 10
    fi
    rec refresh && rec stats || return 1
    [[ $REC_OUT == *present=0* && $REC_OUT == *owned=0* ]] || wgt_fail "gone not noticed: $REC_OUT"
    wgt_wg_add a wg0 || return 1
    A_PID=${WGT_LAST_PID:-}
    peers_of_a || return 1
    rec refresh && rec stats || return 1
    assert_holder 10.99.0.2/32 c
    assert_holder 10.20.0.3/32 c
    [[ $REC_OUT == *present=1* && $REC_OUT == *owned=1* ]] || wgt_fail "not reinstalled: $REC_OUT"
}

wgt_setup "setup: a with peers b and c, reconciler started" setup
wgt_test "install: a learned prefix goes to its peer" t_install
wgt_test "move under 100 pkt/s ping: no request lost, no removal" t_move_under_ping
wgt_test "withdraw: prefix gone, the peer's other allowed IPs undisturbed" t_withdraw
wgt_test "foreign allowed IPs: refused, listed, never removed" t_foreign_untouched
wgt_test "10,000 prefixes installed, moved and withdrawn" t_10k
wgt_test "restart: state file, grace period, then stale withdrawn" t_restart
wgt_test "interface deleted and re-created" t_recreate
rec_stop
wgt_done
