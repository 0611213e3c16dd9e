#!/bin/bash
# tests/e2e/egress.sh: anycast for egress (doc/egress.md).
#
#            e1* (0.0.0.0/0, ::/0)      * exits: announce the default routes,
#          /    \                         masquerade out of up0, count what
#        c        c4                      they forward to the "Internet"
#          \    /                       c: the client (IPv4 and IPv6)
#            e2* (metric 400)           c4: an IPv4-only client (denies ::/0)
#
# Every link is a WireGuard peering.  The clients' veths to the exits are
# deleted before the daemons start: the exits' WireGuard endpoints
# (198.51.100.i on their lo) are reachable only through the clients'
# default route via the underlay gateway "gw", which also stands for the
# Internet (203.0.113.1, 2001:db8:ff::1 on its lo).  So the learned default
# must not go into the main table over the host's: it goes into the egress
# table, behind rules that WireGuard's marked packets skip.  Checks: the
# tables, rules and fwmark; traffic to the Internet leaves through the
# nearest exit (e1) while the tunnel keeps working over the underlay; e1's
# daemon stops and traffic moves to e2 at once; e1 back, 400 better (more
# than egress-margin), the client moves back only after egress-hold (5 s
# here; a client that heard e2 first at its start does the same); the
# client crashes and restarts and adopts its rules; the
# clients' daemons stop and their rules, egress tables and fwmarks are
# byte-identical to before.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init egress

INET4=203.0.113.1
INET6=2001:db8:ff::1
TABLE=6696
MARK=0x1a28
HOLD=5

ep_addr() { echo "198.51.100.$(topo_i "$1")"; }
up_addr() { local i; i=$(topo_i "$1"); echo "100.64.$((i / 250)).$((i % 250 + 2))"; }

# What the test compares at the end: rules, the egress table, the fwmark.
policy_state() {
    wgt_ip "$1" -4 rule show
    wgt_ip "$1" -6 rule show
    # (a table once used stays in the kernel, empty: listing it is no
    # error any more; what it holds is what counts)
    wgt_ip "$1" -4 route show table "$TABLE" 2>/dev/null
    wgt_ip "$1" -6 route show table "$TABLE" 2>/dev/null
    topo_wg "$1" fwmark
}

# The exits: their endpoint address, masquerade and counters.
setup_exit() {
    local e=$1
    wgt_ip "$e" addr add "$(ep_addr "$e")/32" dev lo || return 1
    wgt_ip gw route add "$(ep_addr "$e")/32" via "$(up_addr "$e")" || return 1
    wgt_exec "$e" nft -f - <<NFT || { wgt_fail "nft on $e"; return 1; }
table inet egress {
    chain counted {
        type filter hook forward priority 0;
        ip daddr $INET4 counter
        ip6 daddr $INET6 counter
    }
    chain nat_out {
        type nat hook postrouting priority 100;
        oifname "up0" masquerade
    }
}
NFT
}

# A client: no veth to the exits, their endpoints behind the gateway; its
# uplink address a /32, so that even the exits' uplink addresses (which
# WireGuard may roam to) are reached only through the gateway.
setup_client() {
    local c=$1 e
    wgt_ip "$c" -b - <<IP || return 1
addr del $(up_addr "$c")/16 dev up0
addr add $(up_addr "$c")/32 dev up0
route add $TOPO_GW4/32 dev up0
route add default via $TOPO_GW4 dev up0
route add 10.9.9.0/24 via $TOPO_GW4 dev up0 proto static
IP
    for e in e1 e2; do
        wgt_ip "$c" link del "ve-$e" || return 1
        wgt_exec "$c" wg set "$(topo_if "$c")" peer "${WGT_PUB[$e/wg0]}" \
            endpoint "$(ep_addr "$e"):${WGT_PORT[$e/wg0]}" || return 1
        # The exit answers from its endpoint address, so the client keeps
        # that endpoint (WireGuard roams to the source it hears from).
        # Before the endpoint is set: kernel WireGuard keeps the source
        # address of its first send to it.
        wgt_ip "$e" route add "$(up_addr "$c")/32" dev up0 src "$(ep_addr "$e")" || return 1
        wgt_exec "$e" wg set "$(topo_if "$e")" peer "${WGT_PUB[$c/wg0]}" \
            endpoint "$(up_addr "$c"):${WGT_PORT[$c/wg0]}" || return 1
    done
    policy_state "$c" >"$WGT_DIR/policy.$c.before"
}

build() {
    topo_node c e1 e2 c4
    topo_link c e1
    topo_link c e2
    topo_link c4 e1
    topo_link c4 e2
    topo_announce e1 0.0.0.0/0
    topo_announce e1 ::/0
    topo_announce e2 0.0.0.0/0 metric 400
    topo_announce e2 ::/0 metric 400
    topo_conf c "egress-hold $HOLD"
    topo_conf c4 "egress-hold $HOLD"
    topo_conf c "route-source $(topo_addr4 c)"
    topo_conf c "route-source $(topo_addr6 c)"
    topo_conf c4 "in prefix ::/0 le 0 deny"
    topo_build || return 1
    wgt_exec gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
    wgt_ip gw addr add "$INET4/32" dev lo || return 1
    wgt_ip gw addr add "$INET6/128" dev lo nodad || return 1
    setup_exit e1 || return 1
    setup_exit e2 || return 1
    setup_client c || return 1
    setup_client c4 || return 1
    topo_launch || return 1
    topo_wait_converged 60
}

# Packets each exit forwarded to the Internet (both families).
fwd_count() {
    wgt_exec "$1" nft list chain inet egress counted |
        awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# NODE pings DST 10 times (its own choice of source address); the exit
# WANT must have forwarded the 10, the other none.
ping_via() {
    local n=$1 dst=$2 want=$3 a1 a2 d1 d2
    a1=$(fwd_count e1)
    a2=$(fwd_count e2)
    wgt_exec "$n" ping -q -n -c 10 -i 0.05 -W 1 "$dst" >/dev/null ||
        { wgt_fail "$n: ping $dst failed"; return 1; }
    d1=$(($(fwd_count e1) - a1))
    d2=$(($(fwd_count e2) - a2))
    [ "$want" = e1 ] && want="10 0" || want="0 10"
    wgt_assert_eq "$d1 $d2" "$want" "$n -> $dst: echo requests forwarded by e1 and e2"
}

t_tables() {
    local r
    wgt_assert_wait "topo_ctl c show fib | grep -q '^0.0.0.0/0 .* egress'" 10 "c: 0.0.0.0/0 in the egress table"
    wgt_assert_wait "topo_ctl c show fib | grep -q '^::/0 .* egress'" 10 "c: ::/0 in the egress table"
    r=$(wgt_ip c -4 rule show)
    wgt_assert_contains "$r" "32700:	from all lookup main suppress_prefixlength 0 proto babel" "c: IPv4 rules"
    wgt_assert_contains "$r" "32701:	not from all fwmark $MARK lookup $TABLE proto babel" "c: IPv4 rules"
    r=$(wgt_ip c -6 rule show)
    wgt_assert_contains "$r" "32701:	not from all fwmark $MARK lookup $TABLE proto babel" "c: IPv6 rules"
    r=$(wgt_ip c -4 route show table "$TABLE")
    wgt_log "c: table $TABLE: $r"
    grep -Eq "^default (nhid [0-9]+ )?dev $(topo_if c) proto babel" <<<"$r" ||
        wgt_fail "c: IPv4 egress table: '$r'"
    wgt_assert_contains "$r" "src $(topo_addr4 c)" "c: the egress route's source (route-source)"
    r=$(wgt_ip c -6 route show table "$TABLE")
    wgt_assert_contains "$r" "src $(topo_addr6 c)" "c: IPv6 egress table"
    # The host's own default stays the main table's only one.
    wgt_assert_eq "$(wgt_ip c -4 route show default | tr -s ' ')" "default via $TOPO_GW4 dev up0 " "c: main table's default"
    wgt_assert_eq "$(topo_wg c fwmark)" "$MARK" "c: WireGuard fwmark"
    # The IPv4-only client: IPv4 rules, no IPv6 rule, nothing in its
    # IPv6 egress table.
    wgt_assert_wait "wgt_ip c4 -4 rule show | grep -q 'lookup $TABLE'" 10 "c4: IPv4 egress rule"
    wgt_assert_not_contains "$(wgt_ip c4 -6 rule show)" "lookup $TABLE" "c4: IPv6 rules"
    wgt_assert_eq "$(wgt_ip c4 -6 route show table "$TABLE" 2>/dev/null)" "" "c4: IPv6 egress table"
    # An exit originates the default: no egress rule, no mark.
    wgt_assert_not_contains "$(wgt_ip e1 -4 rule show; wgt_ip e1 -6 rule show)" "lookup $TABLE" "e1: rules"
    wgt_assert_eq "$(topo_wg e1 fwmark)" off "e1: WireGuard fwmark"
}

# Until every client is on e1 (one that heard e2 first moves after the hold).
on_e1() {
    [ "$(topo_holder c 0.0.0.0/0)" = e1 ] && [ "$(topo_holder c ::/0)" = e1 ] &&
        [ "$(topo_holder c4 0.0.0.0/0)" = e1 ]
}

t_nearest_exit() {
    local t0
    t0=$(wgt_now)
    wgt_assert_wait on_e1 $((HOLD * 4)) "the clients' defaults on e1"
    wgt_log "clients on e1 $(wgt_since "$t0") s after convergence"
    ping_via c "$INET4" e1
    ping_via c "$INET6" e1
    ping_via c4 "$INET4" e1
}

# WireGuard's own packets (marked) take the main table to the endpoint,
# through the gateway; anything else to that address takes the egress
# table.  The tunnel to each exit carries traffic, so its packets do reach
# the endpoint.  (The endpoint is the one set, or the exit's uplink address
# when WireGuard roamed to it: both only behind the gateway.)
t_endpoints_stay_on_the_underlay() {
    local e r ep
    for e in e1 e2; do
        wgt_assert_ping c "$(topo_addr4 "$e")" 3
        ep=$(topo_wg c endpoints | awk -v k="${WGT_PUB[$e/wg0]}" '$1 == k { print $2 }')
        ep=${ep%:*}
        wgt_log "c: endpoint of $e: $ep"
        [ "$ep" = "$(ep_addr "$e")" ] || [ "$ep" = "$(up_addr "$e")" ] ||
            wgt_fail "c: endpoint of $e is '$ep'"
        r=$(wgt_ip c route get "$ep" mark "$MARK")
        wgt_assert_contains "$r" "via $TOPO_GW4 dev up0" "c: route to $e's endpoint, marked"
        r=$(wgt_ip c route get "$ep")
        wgt_assert_contains "$r" "dev $(topo_if c) table $TABLE" "c: route to $e's endpoint, unmarked"
    done
}

t_exit_stops() {
    local t0
    t0=$(wgt_now)
    topo_stop e1 || return 1
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e2 ]" 10 "c: 0.0.0.0/0 on e2"
    wgt_log "c: default route on e2 $(wgt_since "$t0") s after e1's daemon was told to stop"
    wgt_assert_wait "[ \"\$(topo_holder c ::/0)\" = e2 ]" 10 "c: ::/0 on e2"
    ping_via c "$INET4" e2
    ping_via c "$INET6" e2
    wgt_assert_wait "[ \"\$(topo_holder c4 0.0.0.0/0)\" = e2 ]" 10 "c4: 0.0.0.0/0 on e2"
    ping_via c4 "$INET4" e2
}

# e1 is back, better by more than egress-margin: the client stays on e2
# for the hold, then moves (Babel's usual selection would move at once).
t_stable_choice() {
    local t0
    topo_start e1 || return 1
    wgt_assert_wait "topo_ctl c show routes | grep -E '^. 0\.0\.0\.0/0 +via $(topo_ll e1) .* metric [0-9]+ refmetric 0 '" 20 "c: e1's default heard again"
    t0=$(wgt_now)
    wgt_assert_eq "$(topo_holder c 0.0.0.0/0)" e2 "c: 0.0.0.0/0 still on e2 when e1 is heard"
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e1 ]" $((HOLD * 3)) "c: 0.0.0.0/0 back on e1"
    wgt_log "c: back on e1 $(wgt_since "$t0") s after e1's default was seen (egress-hold $HOLD s)"
    awk -v t="$(wgt_since "$t0")" -v h="$HOLD" 'BEGIN { exit !(t >= h - 1.5) }' ||
        wgt_fail "c moved back to e1 before the hold"
    ping_via c "$INET4" e1
}

# The client crashes (SIGKILL): its rules, mark and egress routes stay;
# started again it adopts them from its ledgers: one rule of each, not two.
t_crash_adopts() {
    local f n
    topo_kill c || return 1
    wgt_assert_contains "$(wgt_ip c -4 rule show)" "lookup $TABLE" "c: IPv4 rules after the crash"
    topo_start c || return 1
    wgt_assert_wait "topo_ctl c show fib | grep -q '^0.0.0.0/0 .* egress'" 15 "c: 0.0.0.0/0 in the egress table again"
    for f in -4 -6; do
        n=$(wgt_ip c "$f" rule show | grep -c "proto babel")
        wgt_assert_eq "$n" 2 "c: rules of ours (ip $f rule)"
    done
    wgt_assert_eq "$(topo_wg c fwmark)" "$MARK" "c: WireGuard fwmark"
    wgt_assert_contains "$(cat "$WGT_DIR/wgbabeld-c.log")" "egress rules kept by a previous run" "c's log"
    # A new process selects afresh: the nearest exit again (after the
    # hold if it heard e2 first).
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e1 ]" $((HOLD * 4)) "c: 0.0.0.0/0 on e1"
    ping_via c "$INET4" e1
}

t_cleanup() {
    local c
    for c in c c4; do
        topo_stop "$c" || return 1
        policy_state "$c" >"$WGT_DIR/policy.$c.after"
        diff -u "$WGT_DIR/policy.$c.before" "$WGT_DIR/policy.$c.after" >&2 ||
            wgt_fail "$c: rules, egress table or fwmark differ from before"
    done
}

wgt_setup "client and IPv4-only client, two exits, endpoints behind the gateway ($WGT_BACKEND)" build
wgt_test "learned defaults in the egress table behind our rules, main's default intact" t_tables
wgt_test "Internet traffic leaves through the nearest exit" t_nearest_exit
wgt_test "the endpoints stay on the underlay (fwmark), the tunnel works" t_endpoints_stay_on_the_underlay
wgt_test "the nearest exit's daemon stops: traffic moves to the other at once" t_exit_stops
wgt_test "the first exit back, better by the margin: a move only after the hold" t_stable_choice
wgt_test "the client crashes and restarts: its rules adopted, not made twice" t_crash_adopts
wgt_test "the clients stop: rules, tables and fwmarks as before" t_cleanup
topo_done
