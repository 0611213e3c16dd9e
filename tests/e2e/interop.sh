#!/bin/bash
# tests/e2e/interop.sh: wgbabeld exchanges routes both ways with babeld
# 1.12 and BIRD 2 (Debian packages) over veth, multicast Babel on ordinary
# (wired) interfaces.
#
#   babeld (b) --ve-- wgbabeld (w) --ve-- BIRD (r)
#   IPv6 link-local only          IPv6 LL + 192.0.2.0/30
#
# w announces 2001:db8:1::/48 and 10.1.0.0/16 (w's own 2001:db8:1::1 and
# 10.1.0.1 on lo), babeld its local 2001:db8:2::1/128 and 10.2.0.1/32
# (redistribute local), BIRD 2001:db8:3::1/128 and 10.3.0.1/32 (direct);
# each its node address too (topo.sh).
# The w-b link has no IPv4 address: IPv4 goes as IPv4-via-IPv6 (RFC 9229),
# which babeld 1.12 supports.  BIRD 2.0.12 will not announce IPv4 on an
# interface without an IPv4 address, so w-r has one.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init interop

for b in babeld bird birdc; do
    command -v "$b" >/dev/null || { echo "interop: $b not installed (bash tests/deps.sh)" >&2; exit 1; }
done

build() {
    topo_node w
    topo_node b --babeld
    topo_node r --bird
    topo_wire w b
    topo_wire w r 192.0.2.1/30 192.0.2.2/30
    topo_lo w 2001:db8:1::1/128 10.1.0.1/32
    topo_lo b 2001:db8:2::1/128 10.2.0.1/32
    topo_lo r 2001:db8:3::1/128 10.3.0.1/32
    topo_announce w 2001:db8:1::/48
    topo_announce w 10.1.0.0/16
    topo_up
}

has_route() { # NS FAMILY PREFIX [PATTERN]
    wgt_ip "$1" "$2" route show "$3" | grep -q "${4:-.}"
}

t_w_learns_babeld() {
    wgt_assert_wait "has_route w -6 2001:db8:2::1 'dev ve-b'" 30 "w: kernel route to babeld's 2001:db8:2::1/128" || {
        topo_ctl w show routes >&2; topo_ctl w show neighbours >&2; }
    wgt_assert_wait "has_route w -4 10.2.0.1 'via inet6 fe80'" 20 "w: 10.2.0.1/32 via an IPv6 next hop" ||
        wgt_ip w -4 route >&2
    wgt_assert_contains "$(topo_ctl w show routes)" "10.2.0.1/32"
}

t_babeld_learns_w() {
    wgt_assert_wait "has_route b -6 2001:db8:1::/48 'proto babel'" 30 "babeld: route to 2001:db8:1::/48" ||
        wgt_ip b -6 route >&2
    wgt_assert_wait "has_route b -4 10.1.0.0/16 'via inet6 fe80'" 20 "babeld: 10.1.0.0/16 via an IPv6 next hop" ||
        wgt_ip b -4 route >&2
    wgt_assert_wait "topo_ping b 2001:db8:1::1 2>/dev/null || wgt_exec b ping -c1 -W1 -I 2001:db8:2::1 2001:db8:1::1" 10 "babeld's node pings w (IPv6)"
    wgt_assert_wait "wgt_exec b ping -c1 -W1 -I 10.2.0.1 10.1.0.1" 10 "babeld's node pings w (IPv4 via IPv6)"
}

t_w_learns_bird() {
    wgt_assert_wait "has_route w -6 2001:db8:3::1 'dev ve-r'" 30 "w: kernel route to BIRD's 2001:db8:3::1/128" ||
        topo_ctl w show routes >&2
    wgt_assert_wait "has_route w -4 10.3.0.1 'dev ve-r'" 20 "w: kernel route to BIRD's 10.3.0.1/32" ||
        wgt_ip w -4 route >&2
}

t_bird_learns_w() {
    wgt_assert_wait "has_route r -6 2001:db8:1::/48 'proto bird'" 30 "BIRD: route to 2001:db8:1::/48" ||
        birdc -s "$WGT_DIR/r.bird" show route >&2
    wgt_assert_wait "has_route r -4 10.1.0.0/16 'proto bird'" 20 "BIRD: route to 10.1.0.0/16" ||
        birdc -s "$WGT_DIR/r.bird" show route >&2
    wgt_assert_wait "wgt_exec r ping -c1 -W1 -I 2001:db8:3::1 2001:db8:1::1" 10 "BIRD's node pings w (IPv6)"
    wgt_assert_wait "wgt_exec r ping -c1 -W1 -I 10.3.0.1 10.1.0.1" 10 "BIRD's node pings w (IPv4)"
}

t_transit() {
    # wgbabeld passes babeld's routes on to BIRD and back.
    wgt_assert_wait "has_route r -6 2001:db8:2::1 'proto bird'" 30 "BIRD learns babeld's 2001:db8:2::1 through wgbabeld"
    wgt_assert_wait "has_route b -6 2001:db8:3::1 'proto babel'" 30 "babeld learns BIRD's 2001:db8:3::1 through wgbabeld"
    wgt_assert_wait "wgt_exec b ping -c1 -W1 -I 2001:db8:2::1 2001:db8:3::1" 10 "babeld's node pings BIRD's across wgbabeld"
    wgt_assert_wait "has_route r -4 10.2.0.1 'proto bird'" 20 "BIRD learns babeld's 10.2.0.1 through wgbabeld"
}

wgt_setup "wgbabeld between babeld $(babeld -V 2>&1 | head -1) and $(bird --version 2>&1 | head -1)" build
wgt_test "wgbabeld learns babeld's routes (IPv6, IPv4 via IPv6)" t_w_learns_babeld
wgt_test "babeld learns wgbabeld's routes (IPv6, IPv4 via IPv6), traffic both ways" t_babeld_learns_w
wgt_test "wgbabeld learns BIRD's routes (IPv6, IPv4)" t_w_learns_bird
wgt_test "BIRD learns wgbabeld's routes (IPv6, IPv4), traffic both ways" t_bird_learns_w
wgt_test "wgbabeld carries routes between babeld and BIRD" t_transit
topo_done
