#!/bin/bash
# tests/daemon/e2e_v4.sh [BUILDDIR]   (default $WGB_BUILD, else build-test) —
# Babel over IPv4 transport ("transport ipv4", issue #5) end to end.
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
#    IPs at all); prefixes of both families become allowed IPs and routes,
#    and only IPv4 Babel datagrams cross the tunnel.
#
# Ends with "N passed, N failed". Exit 77 (skipped) when not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${WGB_BUILD:-$top/build-test}}
WGBABELD=$build/daemon/wgbabeld
WGBABELCTL=$build/daemon/wgbabelctl

if [ "$(id -u)" != 0 ]; then
    echo "e2e_v4: needs root (network namespaces); skipped"
    exit 77
fi
for b in "$WGBABELD" "$WGBABELCTL"; do
    [ -x "$b" ] || { echo "e2e_v4: $b not built (ninja -C $build)"; exit 1; }
done

# shellcheck source=../lib/netns.sh
. "$top/tests/lib/netns.sh"
wgt_init daemon-v4

declare -A DPID

ctl() { # ctl NODE ARGS...
    local n=$1
    shift
    "$WGBABELCTL" -s "$WGT_DIR/$n.sock" "$@"
}

start_daemon() { # start_daemon NODE CONFIG-LINES
    local n=$1 lines=$2
    cat >"$WGT_DIR/$n.conf" <<EOF
$lines
control-socket $WGT_DIR/$n.sock
state-file $WGT_DIR/$n.state
runtime-dir $WGT_DIR/$n.run
route-table 100
log-level debug
EOF
    # shellcheck disable=SC2086
    wgt_daemon "$n" "wgbabeld-$n" ${WGB_DAEMON_WRAP:-} "$WGBABELD" -c "$WGT_DIR/$n.conf" || return 1
    DPID[$n]=$WGT_LAST_PID
    wgt_wait_until "[ -S $WGT_DIR/$n.sock ]" 10 || { cat "$WGT_DIR/wgbabeld-$n.log"; wgt_fail "wgbabeld on $n did not start"; }
}

# route4 NODE PREFIX / route6 NODE PREFIX: the kernel route in table 100
route4() { wgt_ip "$1" -4 route show table 100 "$2"; }
route6() { wgt_ip "$1" -6 route show table 100 "$2"; }

# ll NODE DEV: the link-local address of DEV
ll() { wgt_ip "$1" -6 -o addr show dev "$2" scope link | awk '{ sub("/.*", "", $4); print $4; exit }'; }

# neigh_json NODE: "address interface" of each neighbour, from --json
neigh_json() {
    ctl "$1" --json show neighbours | python3 -c '
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

setup_veth() {
    wgt_ns_add a b c || return 1
    # b and c keep an IPv6 link-local on the veth (IPv6 routes need it as
    # next hop); the a - c link has no IPv4 address at all.
    wgt_veth a 10.77.0.1/24 b 10.77.0.2/24 || return 1
    wgt_veth a - c - || return 1
    wgt_ip a addr add 10.201.0.1/32 dev lo
    wgt_ip a addr add 2001:db8:a1::1/128 dev lo
    wgt_ip b addr add 10.202.0.1/32 dev lo
    wgt_ip b addr add 2001:db8:b1::1/128 dev lo
    for n in a b c; do
        wgt_ip "$n" -6 rule add lookup 100 pref 100
        wgt_ip "$n" -4 rule add lookup 100 pref 100
    done
    wgt_wait_until "[ -n \"\$(ll a ve-b)\" ] && [ -n \"\$(ll b ve-a)\" ] && [ -n \"\$(ll c ve-a)\" ]" 5 ||
        { wgt_fail "no link-local addresses on the veths"; return 1; }
    start_daemon a "interface ve-b transport ipv4 hello-interval 1
interface ve-c transport both hello-interval 1
announce 10.201.0.0/16
announce 2001:db8:a1::/48" || return 1
    start_daemon b "interface ve-a transport ipv4 hello-interval 1
announce 10.202.0.0/16
announce 2001:db8:b1::/48" || return 1
    start_daemon c "interface ve-a hello-interval 1" || return 1
}

t_veth_ipv4_neighbour() {
    wgt_assert_wait "neigh_json b | grep -qx '10.77.0.1 ve-a'" 15 "b: --json show neighbours has 10.77.0.1 on ve-a" || {
        ctl b show neighbours
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

t_veth_capture_is_ipv4_only() {
    local f=$WGT_DIR/cap-veth.txt n4 n6
    capture b ve-a 4 "$f"
    n4=$(grep -c ' IP 10\.77\.0\.[12]\.6696 > \(224\.0\.0\.111\|10\.77\.0\.[12]\)\.6696: ' "$f")
    n6=$(grep -c ' IP6 ' "$f")
    wgt_log "veth a-b, 4 s of udp port 6696: $n4 IPv4 datagrams, $n6 IPv6; first lines:"
    head -n 4 "$f" >&2
    wgt_assert [ "$n4" -ge 4 ]
    # Hellos and IHUs to the group, from both ends.
    wgt_assert grep -q 'IP 10\.77\.0\.1\.6696 > 224\.0\.0\.111\.6696: .*hello ihu' "$f"
    wgt_assert grep -q 'IP 10\.77\.0\.2\.6696 > 224\.0\.0\.111\.6696: .*hello ihu' "$f"
    wgt_assert [ "$n6" = 0 ]
}

t_both_without_ipv4_address_warns_and_keeps_ipv6() {
    wgt_assert grep -q 've-c: transport both: no Babel over IPv4 (the link has no IPv4 address); IPv6 keeps working' \
        "$WGT_DIR/wgbabeld-a.log"
    wgt_assert_wait "route6 c 2001:db8:a1::/48 | grep -q 'dev ve-a'" 15 "c: 2001:db8:a1::/48 over IPv6 from a" ||
        wgt_ip c -6 route show table 100 >&2
    # b's prefixes reach c through a (learned over IPv4, passed on over IPv6).
    wgt_assert_wait "route6 c 2001:db8:b1::/48 | grep -q 'dev ve-a'" 5 "c: 2001:db8:b1::/48 through a"
    wgt_assert_wait "route4 c 10.202.0.0/16 | grep -q 'dev ve-a'" 5 "c: 10.202.0.0/16 through a (v4-via-v6)"
    wgt_assert kill -0 "${DPID[a]}"
}

# c is told (SIGHUP) to speak IPv4 only on a link without an IPv4 address:
# a warning, Babel waits; once both ends have one, it runs over IPv4.
t_ipv4_without_address_waits_then_starts() {
    sed -i 's/^interface ve-a hello-interval 1$/interface ve-a transport ipv4 hello-interval 1/' "$WGT_DIR/c.conf"
    kill -HUP "${DPID[c]}"
    wgt_assert_wait "grep -q 've-a: transport ipv4: Babel does not start (the link has no IPv4 address)' '$WGT_DIR/wgbabeld-c.log'" 5 \
        "c: warning about transport ipv4 without an IPv4 address" || tail -n 5 "$WGT_DIR/wgbabeld-c.log" >&2
    wgt_assert kill -0 "${DPID[c]}"
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

setup_wg() {
    wgt_ns_add d e || return 1
    wgt_veth d 10.88.0.1/24 e 10.88.0.2/24 || return 1
    wgt_wg_add d wg0 || return 1
    wgt_wg_add e wg0 || return 1
    # IPv4 on the tunnel, and a link-local only as the next hop of IPv6
    # routes: the peers' allowed IPs hold no fe80 address.
    wgt_ip d addr add 10.99.0.1/24 dev "$(wgt_if d wg0)"
    wgt_ip e addr add 10.99.0.2/24 dev "$(wgt_if e wg0)"
    wgt_wg_ll d wg0 fe80::d/64 || return 1
    wgt_wg_ll e wg0 fe80::e/64 || return 1
    wgt_wg_connect d wg0 10.88.0.1 10.99.0.2/32 e wg0 10.88.0.2 10.99.0.1/32 || return 1
    wgt_ip d addr add 10.211.0.1/32 dev lo
    wgt_ip d addr add 2001:db8:d1::1/128 dev lo
    wgt_ip e addr add 10.212.0.1/32 dev lo
    wgt_ip e addr add 2001:db8:e1::1/128 dev lo
    for n in d e; do
        wgt_ip "$n" -6 rule add lookup 100 pref 100
        wgt_ip "$n" -4 rule add lookup 100 pref 100
    done
    start_daemon d "interface $(wgt_if d wg0) type wireguard transport ipv4 hello-interval 1
announce 10.211.0.0/16
announce 2001:db8:d1::/48" || return 1
    start_daemon e "interface $(wgt_if e wg0) type wireguard transport ipv4 hello-interval 1
announce 10.212.0.0/16
announce 2001:db8:e1::/48" || return 1
}

has_aip() { wgt_peer_allowed "$1" wg0 "$2" wg0 | grep -qx "$3"; }

t_wg_ipv4_neighbour() {
    local wd we
    wd=$(wgt_if d wg0)
    we=$(wgt_if e wg0)
    wgt_assert_wait "neigh_json e | grep -qx '10.99.0.1 $we'" 15 "e: --json show neighbours has 10.99.0.1 on $we" || {
        ctl e show neighbours
        return 1
    }
    wgt_assert_wait "neigh_json d | grep -qx '10.99.0.2 $wd'" 5 "d: --json show neighbours has 10.99.0.2"
    wgt_assert_contains "$(ctl e show neighbours)" "peer ${WGT_PUB[d/wg0]}"
}

t_wg_allowed_ips_and_routes() {
    local wd we
    wd=$(wgt_if d wg0)
    we=$(wgt_if e wg0)
    wgt_assert_wait "has_aip e d 10.211.0.0/16" 15 "e: 10.211.0.0/16 on peer d" || wgt_wg_allowed e wg0 >&2
    wgt_assert_wait "has_aip e d 2001:db8:d1::/48" 5 "e: 2001:db8:d1::/48 on peer d"
    wgt_assert_wait "has_aip d e 10.212.0.0/16" 5 "d: 10.212.0.0/16 on peer e"
    wgt_assert_wait "has_aip d e 2001:db8:e1::/48" 5 "d: 2001:db8:e1::/48 on peer e"
    wgt_assert_wait "route4 e 10.211.0.0/16 | grep -q 'dev $we'" 5 "e: kernel route 10.211.0.0/16 dev $we"
    wgt_assert_wait "route6 e 2001:db8:d1::/48 | grep -q 'dev $we'" 5 "e: kernel route 2001:db8:d1::/48 dev $we"
    wgt_assert_wait "route6 d 2001:db8:e1::/48 | grep -q 'dev $wd'" 5 "d: kernel route 2001:db8:e1::/48 dev $wd"
    # The Babel addresses themselves are left alone.
    wgt_assert has_aip e d 10.99.0.1/32
    wgt_assert has_aip d e 10.99.0.2/32
    wgt_assert pingq d -c 1 -W 2 -I 10.211.0.1 10.212.0.1
    wgt_assert pingq d -6 -c 1 -W 2 -I 2001:db8:d1::1 2001:db8:e1::1
}

t_wg_capture_is_ipv4_only() {
    local f=$WGT_DIR/cap-wg.txt n4 n6 we
    we=$(wgt_if e wg0)
    capture e "$we" 4 "$f"
    n4=$(grep -c ' IP 10\.99\.0\.[12]\.6696 > 10\.99\.0\.[12]\.6696: ' "$f")
    n6=$(grep -c ' IP6 ' "$f")
    wgt_log "WireGuard d-e ($WGT_BACKEND), 4 s of udp port 6696 inside the tunnel: $n4 IPv4 datagrams, $n6 IPv6; first lines:"
    head -n 4 "$f" >&2
    wgt_assert [ "$n4" -ge 4 ]
    wgt_assert grep -q 'IP 10\.99\.0\.1\.6696 > 10\.99\.0\.2\.6696: .*hello' "$f"
    wgt_assert grep -q 'IP 10\.99\.0\.2\.6696 > 10\.99\.0\.1\.6696: .*hello' "$f"
    wgt_assert [ "$n6" = 0 ]
}

t_clean_exit() {
    local n
    for n in a b c d e; do
        [ -n "${DPID[$n]:-}" ] || continue
        wgt_stop "${DPID[$n]}" 10
        if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$WGT_DIR/wgbabeld-$n.log" >&2; then
            wgt_fail "sanitizer report in wgbabeld-$n.log"
        fi
        wgt_assert grep -q 'wgbabeld: exited' "$WGT_DIR/wgbabeld-$n.log"
    done
}

wgt_setup "veth a - b with transport ipv4, a - c with both (no IPv4 there)" setup_veth
wgt_test "veth: the neighbour is heard over IPv4 (--json show neighbours)" t_veth_ipv4_neighbour
wgt_test "veth: IPv4 and IPv6 prefixes over IPv4 Babel, kernel routes and pings" t_veth_routes
wgt_test "veth: tcpdump sees Babel over IPv4 only" t_veth_capture_is_ipv4_only
wgt_test "transport both on a link without IPv4: a warning, IPv6 keeps working" t_both_without_ipv4_address_warns_and_keeps_ipv6
wgt_test "transport ipv4 without an IPv4 address: a warning, Babel starts with the address" t_ipv4_without_address_waits_then_starts
wgt_setup "WireGuard ($WGT_BACKEND) d - e with transport ipv4, Babel addresses are IPv4 /32 allowed IPs" setup_wg
wgt_test "WireGuard: the IPv4 Babel address is the neighbour" t_wg_ipv4_neighbour
wgt_test "WireGuard: IPv4 and IPv6 prefixes become allowed IPs and routes, pings" t_wg_allowed_ips_and_routes
wgt_test "WireGuard: tcpdump in the tunnel sees Babel over IPv4 only" t_wg_capture_is_ipv4_only
wgt_test "the daemons exit cleanly, with no sanitizer report" t_clean_exit
wgt_done
