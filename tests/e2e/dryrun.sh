#!/bin/bash
# tests/e2e/dryrun.sh: an observe-only wgbabeld (--dry-run), as an operator
# would first start it on a production host:
#
#        n1 ==== n2 ==== n3        (n2 runs --dry-run)
#
#  - n2 learns and selects n1's and n3's prefixes, and `show fib` lists
#    what it would write: the allowed IP on the right peer and the kernel
#    route, both "dry-run";
#  - n2 writes nothing: its kernel routes, rules and allowed IPs are
#    byte-identical to before it started, and its runtime directory holds
#    no ledger and no journal;
#  - n2 announces nothing: n1 keeps n2 as a neighbour but learns neither
#    n2's own prefix nor n3's through it;
#  - restarted without --dry-run, n2 installs exactly what `show fib`
#    listed (the plan was the real one).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init dryrun

snap() {
    local n=$1
    {
        wgt_exec "$n" ip route show table all
        wgt_exec "$n" ip -6 route show table all
        wgt_exec "$n" ip rule
        wgt_exec "$n" ip -6 rule
        # wireguard-go lists its peers in no fixed order.
        wgt_exec "$n" wg show "$(topo_if "$n")" allowed-ips | LC_ALL=C sort
    } 2>&1
}

build() {
    topo_node n1 n2 n3
    topo_link n1 n2
    topo_link n2 n3
    topo_announce n1 10.51.0.0/16
    topo_announce n3 2001:db8:53::/48
    topo_announce n2 10.52.0.0/16
    topo_args n2 --dry-run
    topo_build || return 1
    BEFORE=$(snap n2)
    topo_launch || return 1
    wgt_assert_wait "topo_ctl n2 show fib | grep -q '2001:db8:53::/48'" 30 \
        "n2 selected n3's prefix" || return 1
    wgt_assert_wait "topo_ctl n2 show fib | grep -q '10.51.0.0/16'" 30 \
        "n2 selected n1's prefix"
}

# The "peer" column of PREFIX in n2's show fib.
fib_peer() { topo_ctl n2 show fib | awk -v p="$1" '$1 == p { print $4 }'; }
fib_line() { topo_ctl n2 show fib | awk -v p="$1" '$1 == p'; }
# NODE's public key, as n2's device shows the peer of NODE's tunnel address.
peer_of() {
    wgt_exec n2 wg show "$(topo_if n2)" allowed-ips |
        awk -v a="$(topo_tun4 "$1")/32" '{ for (i = 2; i <= NF; i++) if ($i == a) print $1 }'
}

t_plan() {
    local l
    l=$(fib_line 10.51.0.0/16)
    wgt_assert_contains "$l" "allowed-ip dry-run" "n2's plan for 10.51.0.0/16"
    wgt_assert_contains "$l" "route dry-run" "n2's plan for 10.51.0.0/16"
    wgt_assert_eq "$(fib_peer 10.51.0.0/16)" "$(peer_of n1)" "the peer n2 would give 10.51.0.0/16"
    wgt_assert_eq "$(fib_peer 2001:db8:53::/48)" "$(peer_of n3)" "the peer n2 would give 2001:db8:53::/48"
    wgt_assert_contains "$(topo_ctl n2 show fib)" "dry run: nothing is written" "show fib's header"
    l=$(topo_json n2 fib)
    wgt_assert_contains "$l" '"dry_run":true' "show fib json"
    wgt_assert python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["writes_withheld"] > 0, d; assert all(r["route"] == "dry-run" for r in d["fib"]), d' "$l"
    wgt_assert_contains "$(topo_ctl n2 show status)" "writes withheld" "show status"
}

t_writes_nothing() {
    local after
    after=$(snap n2)
    wgt_assert_eq "$after" "$BEFORE" "n2's routes, rules and allowed IPs after the dry run"
    wgt_assert_eq "$(find "$WGT_DIR/n2.run" -type f \( -name 'nexthops-*' -o -name '*.aip' \) 2>/dev/null | wc -l)" 0 \
        "ledgers and journals in n2's runtime directory"
}

t_announces_nothing() {
    local r1
    wgt_assert_contains "$(topo_ctl n1 show neighbours)" "$(topo_ll n2)" "n1's neighbours"
    r1=$(topo_ctl n1 show routes)
    wgt_assert_not_contains "$r1" "10.52.0.0/16" "n1's routes (n2's own prefix)"
    wgt_assert_not_contains "$r1" "2001:db8:53::/48" "n1's routes (n3's prefix through n2)"
}

t_then_for_real() {
    local l
    topo_args n2
    topo_restart n2 || return 1
    wgt_assert_wait "topo_ctl n2 show fib | awk '\$1 == \"10.51.0.0/16\"' | grep -q 'allowed-ip installed route installed'" 30 \
        "n2 installed 10.51.0.0/16 without --dry-run" || return 1
    wgt_assert_wait "topo_ctl n2 show fib | awk '\$1 == \"2001:db8:53::/48\"' | grep -q 'allowed-ip installed route installed'" 30 \
        "n2 installed 2001:db8:53::/48" || return 1
    wgt_assert_eq "$(peer_of n1)" "$(wgt_exec n2 wg show "$(topo_if n2)" allowed-ips | awk '/10\.51\.0\.0\/16/ { print $1 }')" \
        "the peer holding 10.51.0.0/16"
    l=$(wgt_exec n2 ip -6 route show 2001:db8:53::/48)
    wgt_assert_contains "$l" "dev $(topo_if n2)" "n2's kernel route to 2001:db8:53::/48"
    wgt_assert_wait "topo_ctl n1 show routes | grep -q '2001:db8:53::/48'" 30 "n1 learns n3's prefix through n2"
}

wgt_setup "three nodes, n2 observe-only, selected its routes ($WGT_BACKEND)" build
wgt_test "show fib lists the writes n2 would make, on the right peers" t_plan
wgt_test "the dry run wrote nothing" t_writes_nothing
wgt_test "the dry run announced nothing" t_announces_nothing
wgt_test "without --dry-run n2 installs what show fib listed" t_then_for_real
topo_done
