#!/bin/bash
# tests/e2e/anycast.sh: one prefix originated by two of six nodes.
#
#        n1* ~~~~ n2 ---- n3           * origins of 10.200.0.1/32 and
#         |                |             2001:db8:ac::1/128 (on lo)
#        n6 ---- n5 ---- n4*          ~~ 60 ms each way (RTT 120 ms: the
#                                        full RTT penalty, metric 246)
# Every link is a WireGuard peering over its own veth.  n2 is one hop from
# n1, but the slow link makes n3 -> n4 (metric 192) better than n1 (246):
# RTT is part of the metric.  Expected winners: n2 -> n3 (towards n4),
# n3 -> n4, n5 -> n4, n6 -> n1.  Checks each node's AllowedIPs hold the
# prefix on exactly that one peer, wgbabelctl selects the same, and pings
# are answered by that origin (nft counters on the origins).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init anycast

# The expected winner of each non-origin node, stated (not computed):
# "NODE NEIGHBOUR" on its best path to the nearest origin.
EXPECT='n2 n3
n3 n4
n5 n4
n6 n1'

build() {
    topo_node n1 n2 n3 n4 n5 n6
    topo_link n1 n2 60
    topo_link n2 n3
    topo_link n3 n4
    topo_link n4 n5
    topo_link n5 n6
    topo_link n6 n1
    topo_anycast n1 n4
    topo_up || return 1
    topo_wait_converged 60
}

t_allowed_ips() {
    local n nb p h rtt
    # n2 sees the slow link's RTT (2 x 60 ms) on its neighbour n1.
    rtt=$(topo_ctl n2 show neighbours | grep "^$(topo_ll n1) " | grep -o 'rtt [0-9.]*' | cut -d' ' -f2)
    wgt_log "n2: RTT to n1 ${rtt}ms"
    awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 100) }' || wgt_fail "n2: RTT to n1 is '${rtt}' ms, want >= 100"
    while read -r n nb _; do
        for p in "$TOPO_ANYCAST4/32" "$TOPO_ANYCAST6/128"; do
            # Wait: the RTT penalty is smoothed, n2 may still prefer n1.
            # Usually seconds; once (CI, wireguard-go) n2 kept the IPv4
            # prefix on n1 for 30-36 s while the IPv6 one had moved (not
            # explained yet): log how long it took, allow 60 s.
            local t0
            t0=$(wgt_now)
            wgt_wait_until "[ \"\$(topo_holders $n $p)\" = $nb ]" 60 || true
            wgt_log "$n: $p on $nb after $(wgt_since "$t0") s more"
            h=$(topo_holders "$n" "$p" | tr '\n' ' ')
            wgt_assert_eq "$h" "$nb " "$n: peers holding $p"
        done
    done <<<"$EXPECT"
}

# The selected route in wgbabelctl --json show routes goes via the
# expected neighbour's link-local address.
t_wgbabelctl_agrees() {
    local n nb via
    while read -r n nb _; do
        via=$(topo_json "$n" routes | tr '}' '\n' | grep "\"prefix\":\"$TOPO_ANYCAST6/128\"" |
            grep '"selected":true' | grep -o '"via":"[^"]*"')
        wgt_assert_eq "$via" "\"via\":\"$(topo_ll "$nb")\"" "$n: selected route to $TOPO_ANYCAST6/128"
    done <<<"$EXPECT"
}

# Ping the anycast address 20 times from each node; the origin it goes to
# counts 20 echo requests, the other none.
t_answered_by_nearest() {
    local n nb dst o c1 c4 d1 d4 want
    for dst in $TOPO_ANYCAST6 $TOPO_ANYCAST4; do
        while read -r n nb _; do
            c1=$(topo_echo_count n1)
            c4=$(topo_echo_count n4)
            src=$(case $dst in *:*) topo_addr6 "$n" ;; *) topo_addr4 "$n" ;; esac)
            wgt_exec "$n" ping -q -n -c 20 -i 0.01 -W 1 -I "$src" "$dst" >/dev/null ||
                wgt_fail "$n: ping $dst failed"
            d1=$(($(topo_echo_count n1) - c1))
            d4=$(($(topo_echo_count n4) - c4))
            o=$(topo_origin_of "$n")
            [ "$o" = n1 ] && want="20 0" || want="0 20"
            wgt_assert_eq "$d1 $d4" "$want" "$n -> $dst: echo requests at n1 and n4 (nearest origin $o)"
            if [ "$d1 $d4" != "$want" ]; then
                # Say why: who holds it now, and the link costs (RTT
                # penalties) that chose it.
                local plen=32
                case $dst in *:*) plen=128 ;; esac
                wgt_log "$n: $dst/$plen now on: $(topo_holders "$n" "$dst/$plen" | tr '\n' ' ')"
                topo_ctl "$n" show neighbours | while read -r l; do wgt_log "$n: $l"; done
                topo_ctl "$n" show routes | grep -F "$dst/" | while read -r l; do wgt_log "$n: $l"; done
            fi
        done <<<"$EXPECT"
    done
}

# The origin at the end of NODE's best path (the topology is small).
topo_origin_of() {
    case $1 in n2 | n3 | n5) echo n4 ;; n6) echo n1 ;; esac
}

wgt_setup "six nodes, anycast from n1 and n4, converged ($WGT_BACKEND)" build
wgt_log "convergence time: ${TOPO_CONV_TIME}s"
wgt_test "each node holds the anycast prefix on exactly one peer, the nearest origin's" t_allowed_ips
wgt_test "wgbabelctl --json selects the same next hop" t_wgbabelctl_agrees
wgt_test "pings to the anycast address are answered by the nearest origin" t_answered_by_nearest
topo_done
