#!/bin/bash
# selftest.sh: proves the harness against real WireGuard.
#
#   A ==wg== B ==wg== C        (== : WireGuard over a veth underlay)
#
# B has one wg interface with two peers and forwards, so A reaches C through
# two encrypted hops.  Then the prefix 10.99.0.0/24 (on C's loopback) is moved
# between B's peers with `wg set`, showing WireGuard's move semantics: giving
# a prefix to another peer takes it away from the one that held it.
#
#   WGB_WG_BACKEND=go     bash tests/vm/selftest.sh               (host)
#   WGB_WG_BACKEND=kernel tests/vm/run-in-guest.sh tests/vm/selftest.sh
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

wgt_init selftest

# Underlay (veth) and overlay (wg) addresses; all live in our namespaces.
UA=10.250.1.1 UB1=10.250.1.2 UB2=10.250.2.2 UC=10.250.2.3
OA=10.0.0.1 OB=10.0.0.2 OC=10.0.0.3
MOVED=10.99.0.0/24 MOVED_HOST=10.99.0.1

setup_topology() {
    wgt_ns_add a b c || return 1
    wgt_veth a $UA/24 b $UB1/24 || return 1
    wgt_veth b $UB2/24 c $UC/24 || return 1
    wgt_assert_ping a $UB1 1 || return 1

    wgt_wg_add a wg0 || return 1
    wgt_wg_add b wg0 || return 1
    wgt_wg_add c wg0 || return 1
    # A and C send the whole overlay (and the moved prefix) to B.
    wgt_wg_connect a wg0 $UA "10.0.0.0/24,$MOVED,fe80::2/128" \
        b wg0 $UB1 "$OA/32,fe80::1/128" || return 1
    wgt_wg_connect c wg0 $UC "10.0.0.0/24,$MOVED,fe80::2/128" \
        b wg0 $UB2 "$OC/32,$MOVED,fe80::3/128" || return 1

    local ns o
    for ns in a b c; do
        case $ns in a) o=$OA ;; b) o=$OB ;; c) o=$OC ;; esac
        wgt_addr $ns "${WGT_IF[$ns/wg0]}" $o/32 || return 1
        wgt_ip $ns route add 10.0.0.0/24 dev "${WGT_IF[$ns/wg0]}" || return 1
    done
    wgt_ip a route add $MOVED dev "${WGT_IF[a/wg0]}" || return 1
    wgt_ip b route add $MOVED dev "${WGT_IF[b/wg0]}" || return 1
    wgt_ip c addr add $MOVED_HOST/24 dev lo || return 1
    wgt_exec b sysctl -qw net.ipv4.ip_forward=1 || return 1
    wgt_wg_ll a wg0 fe80::1/64 && wgt_wg_ll b wg0 fe80::2/64 && wgt_wg_ll c wg0 fe80::3/64
}

test_two_hops() {
    # The first packet waits for two handshakes; give it a few tries.
    wgt_assert_wait "wgt_ping a $OC 1" 10 "A reaches C" || return 1
    wgt_assert_ping a $OC
    # Both of B's peers must have completed a handshake: really encrypted.
    local hs
    hs=$(wgt_wg b show "${WGT_IF[b/wg0]}" latest-handshakes)
    wgt_assert_eq "$(awk '$2 > 0' <<<"$hs" | wc -l)" 2 "peers of B with a handshake"
}

test_link_local() {
    wgt_assert_ping a "fe80::2%${WGT_IF[a/wg0]}"
    wgt_assert_ping c "fe80::2%${WGT_IF[c/wg0]}"
}

test_loss() {
    wgt_assert_loss_max a $OC 2 5
}

test_prefix_on_c() {
    wgt_assert_eq "$(wgt_peer_allowed b wg0 c wg0 | grep -cx "$MOVED")" 1 "$MOVED on B's peer C"
    wgt_assert_eq "$(wgt_peer_allowed b wg0 a wg0 | grep -cx "$MOVED")" 0 "$MOVED on B's peer A"
    wgt_assert_ping a $MOVED_HOST
}

test_move_to_a() {
    # `wg set ... allowed-ips` replaces peer A's list; the kernel (and
    # wireguard-go) take the prefix away from peer C in the same step.
    wgt_wg_set b wg0 peer "${WGT_PUB[a/wg0]}" allowed-ips "$OA/32,fe80::1/128,$MOVED" || return 1
    local on_a on_c
    on_a=$(wgt_peer_allowed b wg0 a wg0)
    on_c=$(wgt_peer_allowed b wg0 c wg0)
    wgt_assert_contains "$on_a" "$MOVED" "B's peer A"
    wgt_assert_not_contains "$on_c" "$MOVED" "B's peer C"
    wgt_assert_contains "$on_c" "$OC/32" "B's peer C"
    # B now sends 10.99.0.1 back into A, which has no such address.
    wgt_assert_no_ping a $MOVED_HOST
}

test_move_back_to_c() {
    wgt_wg_set b wg0 peer "${WGT_PUB[c/wg0]}" allowed-ips "$OC/32,fe80::3/128,$MOVED" || return 1
    wgt_assert_eq "$(wgt_peer_allowed b wg0 a wg0 | grep -cx "$MOVED")" 0 "$MOVED on B's peer A"
    wgt_assert_eq "$(wgt_peer_allowed b wg0 c wg0 | grep -cx "$MOVED")" 1 "$MOVED on B's peer C"
    wgt_assert_ping a $MOVED_HOST
}

wgt_setup "set up A-B-C with $WGT_BACKEND WireGuard" setup_topology
wgt_test "A pings C through two encrypted hops" test_two_hops
wgt_test "IPv6 link-local over wg" test_link_local
wgt_test "A to C loss at 100 pkt/s for 2 s is at most 5%" test_loss
wgt_test "$MOVED is on B's peer C and reachable" test_prefix_on_c
wgt_test "wg set moves $MOVED from peer C to peer A" test_move_to_a
wgt_test "wg set moves $MOVED back to peer C" test_move_back_to_c
wgt_done
