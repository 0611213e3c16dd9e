#!/bin/bash
# tests/e2e/wgquick.sh: a node whose interface wg-quick brings up from a
# generated configuration (Address = fe80::2/64, 10.99.0.2/32, fd99::2/128;
# each peer's AllowedIPs = its fe80::X/128 and tunnel addresses), under a
# running wgbabeld:
#
#        n1 ---- n2(wg-quick) ---- n3 ---- n4
#
#  - static allowed IPs are never moved: n3 announces exactly n1's tunnel
#    address fd99::1/128; n2 holds it statically on peer n1, so n2 refuses
#    (wgbabelctl shows it) and keeps it on n1; n4 installs it towards n3;
#  - wg-quick down and up on n2 while wgbabeld runs: routes through n2 go
#    and come back, and n2's static allowed IPs are exactly wg-quick's.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init wgquick

HIJACK=fd99::1/128

build() {
    topo_node n1
    topo_node n2 --wg-quick
    topo_node n3 n4
    topo_link n1 n2
    topo_link n2 n3
    topo_link n3 n4
    topo_up || return 1
    topo_wait_converged 60
}

t_wg_quick_made_it() {
    local out
    out=$(wgt_ip n2 -6 addr show dev "$(topo_if n2)")
    wgt_assert_contains "$out" "inet6 fe80::2/64" "n2's wg-quick interface"
    # With TOPO_AUTO_LL=1 wireguard-go's TUN keeps the one the kernel makes.
    [ "${TOPO_AUTO_LL:-1}" = 1 ] ||
        wgt_assert_not_contains "$out" "stable-privacy" "n2's wg-quick interface (no kernel-made link-local)"
    wgt_assert_contains "$(wgt_ip n2 -4 addr show dev "$(topo_if n2)")" "inet 10.99.0.2/32"
    wgt_assert topo_ping n1 "$(topo_addr6 n4)"
    wgt_assert topo_ping n4 "$(topo_addr4 n1)"
    wgt_assert_eq "$(topo_holders n2 "$(topo_addr6 n4)/128")" n3 "n2: n4's address on peer n3"
}

static_n1() {
    topo_wg n2 allowed-ips | grep "^${WGT_PUB[n1/wg0]}" | cut -f2 | tr ' ' '\n' | grep -E '^(10\.99\.|fd99:|fe80:)' | sort | tr '\n' ' '
}

t_static_never_moved() {
    local before
    before=$(static_n1)
    wgt_assert_eq "$before" "10.99.0.1/32 fd99::1/128 fe80::1/128 " "n2's static allowed IPs for n1" || return 1
    topo_ctl n3 announce "$HIJACK" >/dev/null || { wgt_fail "announce on n3"; return 1; }
    wgt_assert_wait "[ \"\$(topo_holders n4 $HIJACK)\" = n3 ]" 20 "n4 routes $HIJACK towards n3 (not static there)"
    wgt_assert_wait "topo_json n2 refused | grep -q '\"prefix\":\"$HIJACK\"'" 20 "n2 lists $HIJACK as refused" ||
        topo_ctl n2 show allowedips >&2
    local r
    r=$(topo_json n2 refused)
    wgt_log "n2 refused: $r"
    wgt_assert_contains "$r" "\"holder\":\"${WGT_PUB[n1/wg0]}\"" "n2's refusal names the static holder n1"
    wgt_assert_contains "$r" "\"wanted_peer\":\"${WGT_PUB[n3/wg0]}\"" "n2's refusal names n3"
    wgt_assert_eq "$(static_n1)" "$before" "n2's static allowed IPs for n1 after the announce"
    wgt_assert_eq "$(topo_holders n2 $HIJACK)" n1 "peers holding $HIJACK on n2"
    wgt_assert topo_ping n2 fd99::1
    topo_ctl n3 withdraw "$HIJACK" >/dev/null
    wgt_assert_wait "! topo_json n2 refused | grep -q '\"prefix\":\"$HIJACK\"'" 20 "refusal cleared after the withdraw"
    wgt_assert_eq "$(static_n1)" "$before" "n2's static allowed IPs for n1 after the withdraw"
}

t_down_up() {
    local before
    before=$(static_n1)
    topo_wg_quick n2 down || return 1
    wgt_assert_wait "[ -z \"\$(topo_holders n1 $(topo_addr6 n4)/128)\" ]" 30 "n1 drops n4's address once n2 is down"
    wgt_assert kill -0 "${TOPO_PID[n2]}"
    topo_mark
    topo_wg_quick n2 up || return 1
    wgt_assert_wait topo_converged 60 "converged again after wg-quick up" || return 1
    wgt_log "converged $(wgt_since "$TOPO_T0")s after wg-quick up"
    wgt_assert_eq "$(static_n1)" "$before" "n2's static allowed IPs for n1 after down/up"
    wgt_assert topo_ping n1 "$(topo_addr6 n4)"
    wgt_assert topo_ping n1 "$(topo_addr4 n4)"
    wgt_assert kill -0 "${TOPO_PID[n2]}"
}

wgt_setup "four nodes, n2 brought up by wg-quick, converged ($WGT_BACKEND)" build
wgt_test "wg-quick's interface works in the namespace" t_wg_quick_made_it
wgt_test "a static allowed IP is refused, not moved, when a neighbour announces it" t_static_never_moved
wgt_test "wg-quick down and up under a running wgbabeld" t_down_up
topo_done
