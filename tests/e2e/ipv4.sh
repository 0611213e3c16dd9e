#!/bin/bash
# tests/e2e/ipv4.sh [BUILDDIR]   (default $WGB_BUILD, else build-test) —
# Babel over IPv4 transport ("transport ipv4", issue #5) end to end
# (topo.sh).
#
# 1. Plain veth a - b, both "transport ipv4": IPv4 and IPv6 prefixes travel
#    over Babel datagrams that are IPv4 only (tcpdump on the link says so),
#    kernel routes get an IPv4 gateway for IPv4 prefixes and the announced
#    IPv6 link-local for IPv6 ones, and `wgbabelctl --json show neighbours`
#    lists the IPv4 neighbour; traffic flows both ways.
#    a also has "transport both" on a second veth to c with no IPv4 address:
#    a warning, and c (default transport) still learns a's prefixes over
#    IPv6.
# 2. WireGuard d - e (backend per WGB_WG_BACKEND) with "transport ipv4":
#    each peer's Babel address is its IPv4 /32 allowed IP (no fe80 allowed
#    IPs at all: TOPO_STATIC_LL=0); prefixes of both families become
#    allowed IPs and routes, and only IPv4 Babel datagrams cross the tunnel.
# 3. Two wgbabeld instances on one host, both over IPv4: on d and on e a
#    second instance runs Babel on a veth i2 between them while the first
#    keeps wg0. Each instance keeps its own neighbours and learns what is
#    new on its own link: every IPv4 socket is bound to its device (one
#    unbound IPv4 socket per daemon let the instance started last take
#    all unicast, and the first lost its WireGuard neighbour).
# Both are built at the start; routes go to table 100 (route-table), which
# a rule of each host looks up.
#
# Ends with "N passed, N failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init daemon-v4 "${1:-}"
TOPO_LOG_LEVEL=debug
TOPO_STATIC_LL=0

# ll NODE DEV: the link-local address of DEV
ll() { wgt_ip "$1" -6 -o addr show dev "$2" scope link | awk '{ sub("/.*", "", $4); print $4; exit }'; }

# origin NODE NET4 NET6: NODE has NET4.0.1 and NET6::1 on lo and announces
# NET4.0.0/16 and NET6::/48.
origin() {
    topo_lo "$1" "$2.0.1/32" "$3::1/128"
    topo_announce "$1" "$2.0.0/16"
    topo_announce "$1" "$3::/48"
}

setup() {
    local n
    topo_node a b c d e
    # b and c keep an IPv6 link-local on the veth (IPv6 routes need it as
    # next hop); the a - c link has no IPv4 address at all.
    topo_wire a b 10.77.0.1/24 10.77.0.2/24
    topo_wire a c
    topo_ifopt a ve-b transport ipv4
    topo_ifopt a ve-c transport both
    topo_ifopt b ve-a transport ipv4
    origin a 10.201 2001:db8:a1
    origin b 10.202 2001:db8:b1
    # IPv4 on the tunnel, and a link-local only as the next hop of IPv6
    # routes: the peers' allowed IPs hold no fe80 address.
    topo_link d e
    topo_ifopt d wg0 transport ipv4
    topo_ifopt e wg0 transport ipv4
    origin d 10.211 2001:db8:d1
    origin e 10.212 2001:db8:e1
    for n in a b c d e; do topo_conf "$n" "route-table 100"; done
    topo_build || return 1
    for n in a b c d e; do
        wgt_ip "$n" -6 rule add lookup 100 pref 100 || return 1
        wgt_ip "$n" -4 rule add lookup 100 pref 100 || return 1
    done
    wgt_wait_until "[ -n \"\$(ll a ve-b)\" ] && [ -n \"\$(ll b ve-a)\" ] && [ -n \"\$(ll c ve-a)\" ]" 5 ||
        { wgt_fail "no link-local addresses on the veths"; return 1; }
    topo_launch
}

# route4 NODE PREFIX / route6 NODE PREFIX: the kernel route in table 100
route4() { wgt_ip "$1" -4 route show table 100 "$2"; }
route6() { wgt_ip "$1" -6 route show table 100 "$2"; }

# ll NODE DEV: the link-local address of DEV
ll() { wgt_ip "$1" -6 -o addr show dev "$2" scope link | awk '{ sub("/.*", "", $4); print $4; exit }'; }

# neigh_json NODE: "address interface" of each neighbour, from --json
neigh_json() {
    topo_json "$1" neighbours | python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in (d if isinstance(d, list) else d.get("neighbours", [])):
    print(n["address"], n["interface"])'
}

# pingq NODE PING-ARGS...: a quiet ping from NODE
pingq() { wgt_exec "$1" ping -q "${@:2}" >/dev/null; }

# capture NODE DEV SECONDS FILE: Babel datagrams (UDP 6696) on DEV
capture() {
    wgt_exec "$1" timeout "$3" tcpdump -i "$2" -n -nn -l -p 'udp port 6696' >"$4" 2>/dev/null
    return 0
}

t_veth_ipv4_neighbour() {
    wgt_assert_wait "neigh_json b | grep -qx '10.77.0.1 ve-a'" 15 "b: --json show neighbours has 10.77.0.1 on ve-a" || {
        topo_ctl b show neighbours
        return 1
    }
    wgt_assert_wait "neigh_json a | grep -qx '10.77.0.2 ve-b'" 5 "a: --json show neighbours has 10.77.0.2 on ve-b"
    # Over IPv4 only: no IPv6 neighbour on that link.
    wgt_assert_not eval "neigh_json b | grep -q '^fe80::'"
}

t_veth_routes() {
    local lla llb
    lla=$(ll a ve-b)
    llb=$(ll b ve-a)
    wgt_assert_wait "route4 b 10.201.0.0/16 | grep -q 'via 10.77.0.1 dev ve-a'" 15 \
        "b: 10.201.0.0/16 via 10.77.0.1 dev ve-a" || route4 b 10.201.0.0/16 >&2
    wgt_assert_wait "route6 b 2001:db8:a1::/48 | grep -q 'via $lla dev ve-a'" 5 \
        "b: 2001:db8:a1::/48 via $lla dev ve-a" || wgt_ip b -6 route show table 100 >&2
    wgt_assert_wait "route4 a 10.202.0.0/16 | grep -q 'via 10.77.0.2 dev ve-b'" 5 \
        "a: 10.202.0.0/16 via 10.77.0.2 dev ve-b"
    wgt_assert_wait "route6 a 2001:db8:b1::/48 | grep -q 'via $llb dev ve-b'" 5 \
        "a: 2001:db8:b1::/48 via $llb dev ve-b"
    wgt_assert pingq a -c 1 -W 2 -I 10.201.0.1 10.202.0.1
    wgt_assert pingq a -6 -c 1 -W 2 -I 2001:db8:a1::1 2001:db8:b1::1
}

# capture_ipv4_only NODE DEV WHAT N4_RE FROM_RE1 FROM_RE2: 4 s of Babel
# on NODE's DEV (WHAT, for the log): at least 4 IPv4 datagrams (lines
# matching N4_RE), lines matching FROM_RE1 and FROM_RE2 (one from each
# end), and no IPv6.
capture_ipv4_only() {
    local f=$WGT_DIR/cap-$2.txt n4 n6
    capture "$1" "$2" 4 "$f"
    n4=$(grep -c "$4" "$f")
    n6=$(grep -c ' IP6 ' "$f")
    wgt_log "$3, 4 s of udp port 6696: $n4 IPv4 datagrams, $n6 IPv6; first lines:"
    head -n 4 "$f" >&2
    wgt_assert [ "$n4" -ge 4 ]
    wgt_assert grep -q "$5" "$f"
    wgt_assert grep -q "$6" "$f"
    wgt_assert [ "$n6" = 0 ]
}

# Hellos and IHUs to the group, from both ends.
t_veth_capture_is_ipv4_only() {
    capture_ipv4_only b ve-a "veth a-b" \
        ' IP 10\.77\.0\.[12]\.6696 > \(224\.0\.0\.111\|10\.77\.0\.[12]\)\.6696: ' \
        'IP 10\.77\.0\.1\.6696 > 224\.0\.0\.111\.6696: .*hello ihu' \
        'IP 10\.77\.0\.2\.6696 > 224\.0\.0\.111\.6696: .*hello ihu'
}

t_both_without_ipv4_address_warns_and_keeps_ipv6() {
    wgt_assert grep -q 've-c: transport both: no Babel over IPv4 (the link has no IPv4 address); IPv6 keeps working' \
        "$WGT_DIR/wgbabeld-a.log"
    wgt_assert_wait "route6 c 2001:db8:a1::/48 | grep -q 'dev ve-a'" 15 "c: 2001:db8:a1::/48 over IPv6 from a" ||
        wgt_ip c -6 route show table 100 >&2
    # b's prefixes reach c through a (learned over IPv4, passed on over IPv6).
    wgt_assert_wait "route6 c 2001:db8:b1::/48 | grep -q 'dev ve-a'" 5 "c: 2001:db8:b1::/48 through a"
    wgt_assert_wait "route4 c 10.202.0.0/16 | grep -q 'dev ve-a'" 5 "c: 10.202.0.0/16 through a (v4-via-v6)"
    wgt_assert kill -0 "${TOPO_PID[a]}"
}

# c is told (SIGHUP) to speak IPv4 only on a link without an IPv4 address:
# a warning, Babel waits; once both ends have one, it runs over IPv4.
t_ipv4_without_address_waits_then_starts() {
    sed -i '/^interface ve-a /s/$/ transport ipv4/' "$WGT_DIR/c.conf"
    kill -HUP "${TOPO_PID[c]}"
    wgt_assert_wait "grep -q 've-a: transport ipv4: Babel does not start (the link has no IPv4 address)' '$WGT_DIR/wgbabeld-c.log'" 5 \
        "c: warning about transport ipv4 without an IPv4 address" || tail -n 5 "$WGT_DIR/wgbabeld-c.log" >&2
    wgt_assert kill -0 "${TOPO_PID[c]}"
    wgt_assert_wait "! neigh_json c | grep -q ." 10 "c: no neighbour while it waits"
    wgt_ip a addr add 10.78.0.1/24 dev ve-c
    wgt_ip c addr add 10.78.0.3/24 dev ve-a
    wgt_assert_wait "neigh_json c | grep -qx '10.78.0.1 ve-a'" 15 "c: 10.78.0.1 is a neighbour over IPv4" || {
        tail -n 5 "$WGT_DIR/wgbabeld-c.log" >&2
        return 1
    }
    # a (transport both on ve-c) now speaks IPv4 there too.
    wgt_assert_wait "neigh_json a | grep -qx '10.78.0.3 ve-c'" 5 "a: 10.78.0.3 on ve-c"
    wgt_assert_wait "route4 c 10.202.0.0/16 | grep -q 'via 10.78.0.1 dev ve-a'" 15 \
        "c: 10.202.0.0/16 via 10.78.0.1 dev ve-a" || wgt_ip c -4 route show table 100 >&2
    wgt_assert_wait "route6 c 2001:db8:b1::/48 | grep -q 'via $(ll a ve-c) dev ve-a'" 5 \
        "c: 2001:db8:b1::/48 via a's link-local (learned over IPv4)"
}

# The operator gave d and e each other's IPv4 (and IPv6) tunnel address
# as allowed IPs, no link-local address.
t_wg_static() {
    wgt_assert has_aip d e "$(topo_tun4 e)/32"
    wgt_assert has_aip e d "$(topo_tun4 d)/32"
    wgt_assert_not_contains "$(wgt_wg_allowed d wg0)" "fe80:" "d's allowed IPs"
    wgt_assert_not_contains "$(wgt_wg_allowed e wg0)" "fe80:" "e's allowed IPs"
}

has_aip() { wgt_peer_allowed "$1" wg0 "$2" wg0 | grep -qx "$3"; }

t_wg_ipv4_neighbour() {
    local wd we
    wd=$(topo_if d)
    we=$(topo_if e)
    wgt_assert_wait "neigh_json e | grep -qx '$(topo_tun4 d) $we'" 15 "e: --json show neighbours has $(topo_tun4 d) on $we" || {
        topo_ctl e show neighbours
        return 1
    }
    wgt_assert_wait "neigh_json d | grep -qx '$(topo_tun4 e) $wd'" 5 "d: --json show neighbours has $(topo_tun4 e)"
    wgt_assert_contains "$(topo_ctl e show neighbours)" "peer ${WGT_PUB[d/wg0]}"
}

t_wg_allowed_ips_and_routes() {
    local wd we
    wd=$(topo_if d)
    we=$(topo_if e)
    wgt_assert_wait "has_aip e d 10.211.0.0/16" 15 "e: 10.211.0.0/16 on peer d" || wgt_wg_allowed e wg0 >&2
    wgt_assert_wait "has_aip e d 2001:db8:d1::/48" 5 "e: 2001:db8:d1::/48 on peer d"
    wgt_assert_wait "has_aip d e 10.212.0.0/16" 5 "d: 10.212.0.0/16 on peer e"
    wgt_assert_wait "has_aip d e 2001:db8:e1::/48" 5 "d: 2001:db8:e1::/48 on peer e"
    wgt_assert_wait "route4 e 10.211.0.0/16 | grep -q 'dev $we'" 5 "e: kernel route 10.211.0.0/16 dev $we"
    wgt_assert_wait "route6 e 2001:db8:d1::/48 | grep -q 'dev $we'" 5 "e: kernel route 2001:db8:d1::/48 dev $we"
    wgt_assert_wait "route6 d 2001:db8:e1::/48 | grep -q 'dev $wd'" 5 "d: kernel route 2001:db8:e1::/48 dev $wd"
    # The Babel addresses themselves are left alone.
    wgt_assert has_aip e d "$(topo_tun4 d)/32"
    wgt_assert has_aip d e "$(topo_tun4 e)/32"
    wgt_assert pingq d -c 1 -W 2 -I 10.211.0.1 10.212.0.1
    wgt_assert pingq d -6 -c 1 -W 2 -I 2001:db8:d1::1 2001:db8:e1::1
}

t_wg_capture_is_ipv4_only() {
    local td te
    td=$(topo_tun4 d)
    te=$(topo_tun4 e)
    td=${td//./\\.}
    te=${te//./\\.}
    capture_ipv4_only e "$(topo_if e)" "WireGuard d-e ($WGT_BACKEND), inside the tunnel" \
        " IP \\($td\\|$te\\)\\.6696 > \\($td\\|$te\\)\\.6696: " \
        "IP $td\\.6696 > $te\\.6696: .*hello" \
        "IP $te\\.6696 > $td\\.6696: .*hello"
}

# second_conf NODE PREFIX: NODE's second instance, Babel over IPv4 on i2.
second_conf() {
    cat <<EOF
interface i2 type wired hello-interval 1 transport ipv4
control-socket $WGT_DIR/$1-2.sock
state-file $WGT_DIR/$1-2.state
runtime-dir $WGT_DIR/$1-2.run
pid-file $WGT_DIR/$1-2.pid
log-level debug
route-table 100
announce $2
EOF
}

declare -A SECOND_PID=()
ctl2() { "$WGBABELCTL" -s "$WGT_DIR/$1-2.sock" "${@:2}"; }
neigh2_json() { ctl2 "$1" --json show neighbours | python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in (d if isinstance(d, list) else d.get("neighbours", [])):
    print(n["address"], n["interface"])'; }

t_second_instances_start() {
    local n
    ip link add i2 netns "${WGT_NS[d]}" type veth peer name i2 netns "${WGT_NS[e]}" &&
        wgt_ip d addr add 10.79.0.1/24 dev i2 && wgt_ip d link set i2 up &&
        wgt_ip e addr add 10.79.0.2/24 dev i2 && wgt_ip e link set i2 up ||
        { wgt_fail "veth i2 between d and e"; return 1; }
    second_conf d 10.221.0.0/16 >"$WGT_DIR/d-2.conf"
    second_conf e 10.222.0.0/16 >"$WGT_DIR/e-2.conf"
    for n in d e; do
        wgt_daemon "$n" "wgbabeld-$n-2" "$WGBABELD" -c "$WGT_DIR/$n-2.conf" || return 1
        SECOND_PID[$n]=$WGT_LAST_PID
    done
    for n in d e; do
        wgt_assert_wait "ctl2 $n show status" 10 "$n's second instance answers" ||
            { tail -n 20 "$WGT_DIR/wgbabeld-$n-2.log" | sed 's/^/#   /' >&2; return 1; }
    done
}

t_two_instances_keep_their_own_neighbours() {
    local wd
    wd=$(topo_if d)
    wgt_assert_wait "neigh2_json d | grep -qx '10.79.0.2 i2'" 15 "d's second instance: 10.79.0.2 on i2" ||
        { tail -n 20 "$WGT_DIR/wgbabeld-d-2.log" | sed 's/^/#   /' >&2; return 1; }
    wgt_assert_wait "neigh2_json e | grep -qx '10.79.0.1 i2'" 5 "e's second instance: 10.79.0.1 on i2"
    wgt_assert_wait "route4 d 10.222.0.0/16 | grep -q 'via 10.79.0.2 dev i2'" 15 \
        "d's second instance: 10.222.0.0/16 via 10.79.0.2 dev i2" || wgt_ip d -4 route show table 100 >&2
    # The first instances still hear each other on wg0 (unicast only):
    # what e announces now reaches d's first instance.
    topo_ctl e announce 10.213.0.0/16 >/dev/null || { wgt_fail "announce on e"; return 1; }
    wgt_assert_wait "has_aip d e 10.213.0.0/16" 15 "d's first instance learns e's new 10.213.0.0/16 over wg0" ||
        { topo_ctl d show neighbours >&2; return 1; }
    wgt_assert_wait "route4 d 10.213.0.0/16 | grep -q 'dev $wd'" 5 "d: kernel route 10.213.0.0/16 dev $wd"
    wgt_assert_wait "neigh_json d | grep -qx '$(topo_tun4 e) $wd'" 5 "d's first instance: e on wg0"
    wgt_assert_wait "neigh_json e | grep -qx '$(topo_tun4 d) $(topo_if e)'" 5 "e's first instance: d on wg0"
    # Neither took the other's link or neighbour.
    wgt_assert_not eval "neigh_json d | grep -q ' i2\$'"
    wgt_assert_not eval "neigh2_json d | grep -q '^$(topo_tun4 e) '"
    wgt_assert_eq "$(route4 d 10.213.0.0/16 | grep -c i2)" 0 "d: 10.213.0.0/16 not over i2"
    topo_ctl e withdraw 10.213.0.0/16 >/dev/null
    wgt_assert_wait "! has_aip d e 10.213.0.0/16" 15 "d's first instance follows the withdrawal"
}

t_second_instances_stop() {
    local n
    for n in d e; do
        wgt_stop "${SECOND_PID[$n]}" 10
        if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$WGT_DIR/wgbabeld-$n-2.log" >&2; then
            wgt_fail "sanitizer report in wgbabeld-$n-2.log"
        fi
        wgt_assert grep -q 'wgbabeld: exited' "$WGT_DIR/wgbabeld-$n-2.log"
    done
    wgt_assert_eq "$(route4 d 10.222.0.0/16)" "" "d's second instance took its route away"
    wgt_ip d link del i2
}

t_clean_exit() {
    local n
    for n in a b c d e; do
        topo_stop "$n" 10
        if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$WGT_DIR/wgbabeld-$n.log" >&2; then
            wgt_fail "sanitizer report in wgbabeld-$n.log"
        fi
        wgt_assert grep -q 'wgbabeld: exited' "$WGT_DIR/wgbabeld-$n.log"
    done
}

wgt_setup "veth a - b with transport ipv4, a - c with both (no IPv4 there)" setup
wgt_test "veth: the neighbour is heard over IPv4 (--json show neighbours)" t_veth_ipv4_neighbour
wgt_test "veth: IPv4 and IPv6 prefixes over IPv4 Babel, kernel routes and pings" t_veth_routes
wgt_test "veth: tcpdump sees Babel over IPv4 only" t_veth_capture_is_ipv4_only
wgt_test "transport both on a link without IPv4: a warning, IPv6 keeps working" t_both_without_ipv4_address_warns_and_keeps_ipv6
wgt_test "transport ipv4 without an IPv4 address: a warning, Babel starts with the address" t_ipv4_without_address_waits_then_starts
wgt_setup "WireGuard ($WGT_BACKEND) d - e with transport ipv4, Babel addresses are IPv4 /32 allowed IPs" t_wg_static
wgt_test "WireGuard: the IPv4 Babel address is the neighbour" t_wg_ipv4_neighbour
wgt_test "WireGuard: IPv4 and IPv6 prefixes become allowed IPs and routes, pings" t_wg_allowed_ips_and_routes
wgt_test "WireGuard: tcpdump in the tunnel sees Babel over IPv4 only" t_wg_capture_is_ipv4_only
wgt_setup "a second wgbabeld on d and on e, over IPv4 on a veth i2 between them" t_second_instances_start
wgt_test "two instances on one host over IPv4 keep their own neighbours" t_two_instances_keep_their_own_neighbours
wgt_test "the second instances exit cleanly" t_second_instances_stop
wgt_test "the daemons exit cleanly, with no sanitizer report" t_clean_exit
# The operator takes back the addresses t_ipv4_without_address_waits_then_starts
# added, so that the routes compare with what they were at the start.
wgt_ip a addr del 10.78.0.1/24 dev ve-c
wgt_ip c addr del 10.78.0.3/24 dev ve-a
topo_done
