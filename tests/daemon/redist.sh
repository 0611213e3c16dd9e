#!/bin/bash
# tests/daemon/redist.sh [BUILDDIR]   (default $WGB_BUILD, else build-test)
# "redistribute" against the real kernel routing table, no WireGuard needed:
# one namespace with a veth (a wired interface for wgbabeld) and kernel
# routes made with ip(8). Checks which routes are redistributed at start
# (protocol, prefix, le, metric; never our own protocol, another table, a
# source-specific route), routes added, deleted and replaced at run time,
# several kernel routes for one prefix, events lost while the daemon is
# stopped (ENOBUFS: a new dump that withdraws what vanished meanwhile), and
# reloads. Ends with "N passed, N failed". Exit 77 (skipped) when not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/wgbabeld.sh
. "$top/tests/lib/wgbabeld.sh"
wgb_binaries redist "${1:-}"

# shellcheck source=../lib/netns.sh
. "$top/tests/lib/netns.sh"
wgt_init daemon-redist

DPID=
ctl() { "$WGBABELCTL" -s "$WGT_DIR/a.sock" "$@"; }
orig() { ctl show originated; }
has() { orig | grep -qx "$1"; }          # has "PREFIX metric M (redistributed)"
hasp() { orig | grep -q "^$1 "; }        # has PREFIX at all
n_orig() { ctl show status json | grep -o '"originated":[0-9]*' | cut -d: -f2; }
rt() { wgt_ip a "$@"; }

write_conf() { # write_conf REDISTRIBUTE-LINES
    cat >"$WGT_DIR/a.conf" <<EOF
interface ve-b type wired
router-id 02:00:00:00:00:00:00:0a
control-socket $WGT_DIR/a.sock
state-file $WGT_DIR/a.state
runtime-dir $WGT_DIR/a.run
log-level info
$1
EOF
}

LINES1="redistribute proto 4 prefix 2001:db8::/32 le 64 metric 20
redistribute proto 4 prefix 10.0.0.0/8 metric 30
redistribute prefix 2001:db8:42::/48 allow"

setup() {
    wgt_ns_add a b || return 1
    wgt_veth a - b - || return 1
    rt -6 route add blackhole 2001:db8:1::/48 proto static || return 1
    rt -6 route add blackhole 2001:db8:2::/48 proto boot           # not proto 4
    rt -6 route add blackhole 2001:db8:42::/48 proto 42            # our own
    rt -6 route add blackhole 2001:db8:4::/80 proto static         # longer than le 64
    rt -4 route add blackhole 10.5.0.0/16 proto static
    rt -6 route add blackhole 2001:db8:5::/48 proto static table 200
    rt -6 route add blackhole 2001:db8:6::/48 from 2001:db8:ff::/48 proto static
    write_conf "$LINES1"
    wgt_daemon a wgbabeld "$WGBABELD" -c "$WGT_DIR/a.conf" || return 1
    DPID=$WGT_LAST_PID
    wgt_wait_until "[ -S $WGT_DIR/a.sock ]" 10 || { cat "$WGT_DIR/wgbabeld.log"; wgt_fail "wgbabeld did not start"; }
}

t_start() {
    wgt_assert_wait "has '2001:db8:1::/48 metric 20 (redistributed)'" 5 "static IPv6 route, metric of its line" || { orig >&2; return 1; }
    wgt_assert_wait "has '10.5.0.0/16 metric 30 (redistributed)'" 5 "static IPv4 route, metric of its line"
    local o
    o=$(orig)
    wgt_assert_not_contains "$o" "2001:db8:2::/48"     # another protocol
    wgt_assert_not_contains "$o" "2001:db8:42::/48"    # route-protocol (ours)
    wgt_assert_not_contains "$o" "2001:db8:4::/80"     # le 64
    wgt_assert_not_contains "$o" "2001:db8:5::/48"     # table 200
    wgt_assert_not_contains "$o" "2001:db8:6::/48"     # source-specific
    wgt_assert_eq "$(n_orig)" 2
}

t_runtime_changes() {
    rt -6 route add blackhole 2001:db8:7::/48 proto static
    wgt_assert_wait "has '2001:db8:7::/48 metric 20 (redistributed)'" 5 "route added at run time" || return 1
    rt -6 route del blackhole 2001:db8:7::/48 proto static
    wgt_assert_wait "! hasp 2001:db8:7::/48" 5 "route deleted at run time"
    # Replaced by a route of another protocol: the kernel sends only the
    # new route (no delete); it no longer matches.
    rt -6 route replace blackhole 2001:db8:1::/48 proto boot
    wgt_assert_wait "! hasp 2001:db8:1::/48" 5 "route replaced by one of another protocol"
    rt -6 route replace blackhole 2001:db8:1::/48 proto static
    wgt_assert_wait "has '2001:db8:1::/48 metric 20 (redistributed)'" 5 "and back"
}

t_two_routes_one_prefix() {
    rt -6 route add blackhole 2001:db8:8::/48 proto static metric 100
    rt -6 route add blackhole 2001:db8:8::/48 proto static metric 200
    wgt_assert_wait "hasp 2001:db8:8::/48" 5 "prefix with two kernel routes" || return 1
    rt -6 route del blackhole 2001:db8:8::/48 proto static metric 100
    # Events come in order: once a later route is seen, so was the delete.
    rt -6 route add blackhole 2001:db8:7:1::/64 proto static
    wgt_assert_wait "hasp 2001:db8:7:1::/64" 5 "a later route seen" || return 1
    wgt_assert hasp 2001:db8:8::/48
    rt -6 route del blackhole 2001:db8:7:1::/64 proto static
    rt -6 route del blackhole 2001:db8:8::/48 proto static metric 200
    wgt_assert_wait "! hasp 2001:db8:8::/48" 5 "withdrawn with its last route"
}

# While the daemon is stopped, 20,000 routes are added (their events
# overflow its 4 MiB receive buffer) and then 10.5.0.0/16 is deleted: that
# delete's event is surely lost, only the new dump shows it is gone.
t_lost_events() {
    local before i batch=$WGT_DIR/flood.batch
    before=$(n_orig)
    : >"$batch"
    for ((i = 0; i < 20000; i++)); do
        printf 'route add blackhole 2001:db8:9:%x::/64 proto static\n' "$i"
    done >>"$batch"
    echo "route del blackhole 10.5.0.0/16 proto static" >>"$batch"
    kill -STOP "$DPID"
    rt -batch "$batch" || { kill -CONT "$DPID"; wgt_fail "ip -batch"; return 1; }
    kill -CONT "$DPID"
    wgt_assert_wait "grep -q 'route events were lost' $WGT_DIR/wgbabeld.log" 10 "ENOBUFS noticed" || return 1
    wgt_assert_wait "[ \"\$(n_orig)\" = $((before + 20000 - 1)) ]" 30 "20,000 added, 10.5.0.0/16 withdrawn" ||
        { n_orig >&2; return 1; }
    wgt_assert_not hasp 10.5.0.0/16
    wgt_assert has "2001:db8:9:4e1f::/64 metric 20 (redistributed)"
}

t_reload() {
    rt -4 route add blackhole 10.6.0.0/16 proto static
    wgt_assert_wait "has '10.6.0.0/16 metric 30 (redistributed)'" 5 "IPv4 route before the reload" || return 1
    write_conf "redistribute proto 4 prefix 2001:db8::/32 le 64 metric 25"
    kill -HUP "$DPID"
    wgt_assert_wait "grep -q 'configuration reloaded' $WGT_DIR/wgbabeld.log" 5 "reloaded" || return 1
    wgt_assert_wait "has '2001:db8:1::/48 metric 25 (redistributed)'" 10 "new metric after the reload"
    wgt_assert_wait "! hasp 10.6.0.0/16" 10 "a line removed: its routes withdrawn"
    write_conf ""
    kill -HUP "$DPID"
    wgt_assert_wait "[ \"\$(n_orig)\" = 0 ]" 10 "no redistribute line left: all withdrawn"
    write_conf "$LINES1"
    kill -HUP "$DPID"
    wgt_assert_wait "has '10.6.0.0/16 metric 30 (redistributed)'" 10 "lines back: routes back"
}

wgt_setup "setup: namespace, kernel routes, wgbabeld" setup
wgt_test "at start: protocol, prefix, le, metric; not ours, other tables, source-specific" t_start
wgt_test "routes added, deleted and replaced at run time" t_runtime_changes
wgt_test "a prefix with two kernel routes stays until the last goes" t_two_routes_one_prefix
wgt_test "events lost (ENOBUFS): a new dump adds and withdraws what changed" t_lost_events
wgt_test "reload: metric changed, lines removed, all removed, back" t_reload
wgt_done
