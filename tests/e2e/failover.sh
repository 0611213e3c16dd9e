#!/bin/bash
# tests/e2e/failover.sh: what a client of an anycast prefix loses when the
# origin it uses goes away or stops being the best.  Same ring as
# anycast.sh; the client is n6, whose nearest origin is n1 (one hop), the
# other origin n4 is two hops away (n6 - n5 - n4).
#
#        n1* ~~~~ n2 ---- n3
#         |                |
#        n6 ---- n5 ---- n4*
#
# Traffic: ping from n6 to 2001:db8:ac::1 at 100 packets/s throughout.
#  - planned change: the n6-n1 link's delay is raised to 100 ms each way;
#    n1's metric grows past n4's and wgbabeld moves the prefix from peer n1
#    to peer n5 in one step: no echo request may be lost (counted at the
#    origins); replies in flight on the old, slow path are dropped by
#    WireGuard at n6 (their source is no longer peer n1's), at most RTT's
#    worth;
#  - graceful withdraw (wgbabelctl withdraw on n1): loss close to zero;
#  - graceful stop (SIGTERM of n1's wgbabeld): loss close to zero;
#  - crash (n1's wgbabeld SIGKILLed and n1's links cut at once): traffic
#    moves to n4 once n6 notices; the loss is measured and printed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init failover

DST=$TOPO_ANYCAST6
P6=$TOPO_ANYCAST6/128
P4=$TOPO_ANYCAST4/32
declare -A LOSS REQ_LOST

build() {
    topo_node n1 n2 n3 n4 n5 n6
    topo_link n1 n2 60
    topo_link n2 n3
    topo_link n3 n4
    topo_link n4 n5
    topo_link n5 n6
    topo_link n6 n1 0      # delayable: netem (0 ms) from the start, see topo.sh
    topo_anycast n1 n4
    topo_up || return 1
    topo_wait_converged 60 || return 1
    wgt_assert_wait "[ \"\$(topo_holders n6 $P6)\" = n1 ]" 20 "n6 uses n1"
}

holder_is() { [ "$(topo_holders "$1" "$2")" = "$3" ]; }

# run_event NAME SECONDS CMD...: ping from n6 for SECONDS, run CMD one
# second in, wait for the ping; the loss goes to LOSS[NAME].
run_event() {
    local name=$1 secs=$2 c1 c4
    shift 2
    c1=$(topo_echo_count n1)
    c4=$(topo_echo_count n4)
    PING_T0=$(date +%s.%N)
    topo_loss_bg n6 "$DST" "$secs"
    sleep 1
    "$@"
    topo_loss_wait n6
    LOSS[$name]=$TOPO_LOSS
    LOST=$TOPO_LOST
    ECHO_N4=$(($(topo_echo_count n4) - c4))
    # Echo requests that reached an origin: those lost on the way there.
    REQ_LOST[$name]=$((TOPO_SENT - ECHO_N4 - ($(topo_echo_count n1) - c1)))
    wgt_log "$name: ${LOSS[$name]}% of $TOPO_SENT pings lost ($LOST, i.e. about $((LOST * 10)) ms); requests lost on the way to an origin: ${REQ_LOST[$name]}"
    # When it happened (the event was about 1 s after the start).
    [ "$LOST" -gt 12 ] && wgt_log "$name: ping started $PING_T0; missing: $(topo_loss_gaps n6)"
}

# The move takes seconds: each RTT sample moves the smoothed RTT a sixth
# of the way (as babeld), and a route is replaced only once its smoothed
# metric (half-life 4 s) is worse too (RFC 8966 3.6).  With 60 ms each way
# (RTT 120 ms, just the full penalty) it took 12-15 s, once more than 25 s
# on wireguard-go; 100 ms each way gets there sooner.
ev_planned() {
    topo_delay n6 n1 100 || return 1
    wgt_wait_until "holder_is n6 $P6 n5" 25 || wgt_fail "n6 did not move the prefix to n5 after the delay rise"
}
t_planned_change() {
    run_event planned 28 ev_planned
    wgt_assert_wait "holder_is n6 $P6 n5" 10 "n6 on n5 after the planned move"
    wgt_assert_wait "holder_is n6 $P4 n5" 10 "n6 on n5 (IPv4) after the planned move"
    # The move is atomic: every echo request reaches an origin.  Replies
    # that are in flight on the old path when n6 moves the prefix arrive
    # from peer n1, which no longer holds the source address: WireGuard's
    # cryptokey routing drops them.  That is at most the old path's RTT
    # (200 ms) of traffic: 20 packets; allow twice that.
    wgt_assert_eq "${REQ_LOST[planned]}" 0 "echo requests lost in the planned move"
    [ "$LOST" -le 40 ] || wgt_fail "planned move: $LOST replies lost, more than 2 x RTT (40)"
    [ "$ECHO_N4" -gt 0 ] || wgt_fail "n4 got no echo request after the move"
    # Back to the fast link: n1 wins again, also without loss.
    run_event planned-back 12 eval 'topo_delay n6 n1 0 && wgt_wait_until "holder_is n6 $P6 n1" 10'
    wgt_assert holder_is n6 "$P6" n1
    wgt_assert_eq "${REQ_LOST[planned-back]}" 0 "echo requests lost moving back"
    [ "$LOST" -le 24 ] || wgt_fail "move back: $LOST replies lost, more than 24"
}

ev_withdraw() {
    topo_ctl n1 withdraw "$P6" >/dev/null && topo_ctl n1 withdraw "$P4" >/dev/null ||
        { wgt_fail "wgbabelctl withdraw on n1"; return 1; }
    wgt_wait_until "holder_is n6 $P6 n5" 10 || wgt_fail "n6 did not move the prefix to n5 after the withdraw"
}
t_withdraw() {
    run_event withdraw 6 ev_withdraw
    wgt_assert holder_is n6 "$P6" n5
    loss_max withdraw 1
    [ "$ECHO_N4" -gt 0 ] || wgt_fail "n4 got no echo request after the withdraw"
    topo_ctl n1 announce "$P6" >/dev/null && topo_ctl n1 announce "$P4" >/dev/null
    wgt_assert_wait "holder_is n6 $P6 n1" 15 "n6 back on n1 after n1 announces again"
}

ev_sigterm() {
    topo_stop n1 || return 1
    wgt_wait_until "holder_is n6 $P6 n5" 10 || wgt_fail "n6 did not move the prefix to n5 after n1's SIGTERM"
}
t_sigterm() {
    run_event sigterm 6 ev_sigterm
    wgt_assert holder_is n6 "$P6" n5
    loss_max sigterm 1
    # n6 says why it lost n1 (issue 16: every loss with its cause).  Its
    # host stays up, so the next packet to it brings an ICMP port
    # unreachable; but n1's goodbye Hello (shutdown-delay) announces a
    # 10 ms interval, so the Hello timeout may come first: in the guest
    # it did (n6's log in a CI run of 1f11f85: hello-timeout 19 ms before
    # the ICMP), on the host the ICMP came first.
    wgt_assert_wait "grep -Eq 'neighbour $(topo_ll n1) lost \((unreachable|hello-timeout)\)' $WGT_DIR/wgbabeld-n6.log" 10 \
        "n6 logs n1's loss with its cause"
    wgt_log "n6: $(grep -o "neighbour $(topo_ll n1) lost ([a-z-]*)" "$WGT_DIR/wgbabeld-n6.log" | head -n 1)"
    topo_start n1 || return 1
    wgt_assert_wait "holder_is n6 $P6 n1" 20 "n6 back on n1 after n1's wgbabeld restarts"
}

ev_crash() {
    CRASH_LOGN=$(wc -l <"$WGT_DIR/wgbabeld-n6.log")
    CRASH_T0=$(wgt_now)
    topo_crash n1 || return 1
    wgt_wait_until "holder_is n6 $P6 n5" 30 || wgt_fail "n6 did not move the prefix to n5 after n1 crashed"
    CRASH_DT=$(wgt_since "$CRASH_T0")
}
t_crash() {
    run_event crash 15 ev_crash
    wgt_log "crash: n6 moved the prefix to n5 ${CRASH_DT}s after the crash"
    wgt_assert holder_is n6 "$P6" n5
    wgt_assert holder_is n6 "$P4" n5
    [ "$ECHO_N4" -gt 0 ] || wgt_fail "n4 got no echo request after the crash"
    awk -v l="${LOSS[crash]}" 'BEGIN { exit !(l < 100) }' || wgt_fail "no traffic after the crash"
    wgt_assert topo_ping n6 "$DST" 3
    wgt_assert topo_ping n6 "$TOPO_ANYCAST4" 3
    # The links were cut right after the kill: the Hellos stop (an ICMP
    # may still come back in between, from a Hello sent before the cut).
    wgt_assert_wait "tail -n +$((CRASH_LOGN + 1)) $WGT_DIR/wgbabeld-n6.log | grep -Eq 'neighbour $(topo_ll n1) lost \((hello-timeout|unreachable|probe)\)'" 30 \
        "n6 logs n1's loss after the crash, with its cause"
    wgt_log "n6: $(tail -n +$((CRASH_LOGN + 1)) "$WGT_DIR/wgbabeld-n6.log" | grep -o "neighbour $(topo_ll n1) lost ([a-z-]*)" | head -n 1)"
    # n1's links come back (its wgbabeld stays dead): a link that goes
    # down loses its routes, and the kernel puts them back when it comes
    # up, so the hosts' clutter compares with its state at the start.
    topo_restore n1 n2 && topo_restore n1 n6
}

loss_max() {
    awk -v l="${LOSS[$1]}" -v m="$2" 'BEGIN { exit !(l <= m) }' ||
        wgt_fail "$1: ${LOSS[$1]}% lost, more than $2%"
}

wgt_setup "six nodes, anycast from n1 and n4, n6 uses n1 ($WGT_BACKEND)" build
wgt_test "planned change (delay raised on n6-n1): atomic move, no request lost" t_planned_change
wgt_test "graceful withdraw (wgbabelctl withdraw): loss <= 1%" t_withdraw
wgt_test "graceful stop (SIGTERM): loss <= 1%" t_sigterm
wgt_test "crash (SIGKILL + links cut): traffic moves to the other origin" t_crash
echo "# failover loss at 100 pkt/s ($WGT_BACKEND): planned ${LOSS[planned]:-?}% (requests lost ${REQ_LOST[planned]:-?}; back ${LOSS[planned-back]:-?}%), withdraw ${LOSS[withdraw]:-?}%, SIGTERM ${LOSS[sigterm]:-?}%, crash ${LOSS[crash]:-?}% over 15 s (moved after ${CRASH_DT:-?} s)"
topo_done
