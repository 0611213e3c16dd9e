#!/bin/bash
# tests/e2e/redist.sh [BUILDDIR]   (default $WGB_BUILD, else build-test)
# — "redistribute" against the real kernel routing table of a host with
# clutter (topo.sh):
#
#        a ==== b        (WireGuard; a redistributes, b listens)
#
# a's main table holds the hosts' clutter (default routes via the gateway,
# proto boot; 10.9.9.0/24 and fd09:9::/48 via it, proto static; routes to
# the peer's tunnel addresses; local addresses) and the kernel routes made
# here with ip(8).  a's redistribute lines:
#     proto 4 prefix 2001:db8::/32 le 64 metric 20
#     proto 4 prefix 10.0.0.0/8 metric 30
#     prefix 2001:db8:42::/48 allow
# so the host's own static 10.9.9.0/24 matches (metric 30) and its
# fd09:9::/48 does not.  Checks that exactly the routes a line allows are
# redistributed (compared as a whole set, clutter included) at start
# (protocol, prefix, le, metric; never our own protocol, another table, a
# source-specific route), for routes added, deleted and replaced at run
# time, several kernel routes for one prefix, events lost while the daemon
# is stopped (ENOBUFS: a new dump that withdraws what vanished meanwhile),
# and reloads; that b receives what a redistributes; and that nothing of
# the host's own is changed: a route of wgbabeld's protocol it did not
# install stays, and topo_done compares every node's routes and rules with
# what they were before the daemons started.
#
# Backend: WGB_WG_BACKEND=go (wireguard-go) or kernel.  Ends with "N
# passed, N failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init redist "${1:-}"

orig() { topo_ctl a show originated; }
has() { orig | grep -qx "$1"; }          # has "PREFIX metric M (redistributed)"
hasp() { orig | grep -q "^$1 "; }        # has PREFIX at all
n_orig() { topo_json a status | grep -o '"originated":[0-9]*' | cut -d: -f2; }
rt() { wgt_ip a "$@"; }
has_aip() { wgt_peer_allowed "$1" wg0 "$2" wg0 | grep -qx "$3"; }
# a's redistributed routes, sorted
redist() { orig | grep ' (redistributed)$' | LC_ALL=C sort; }

# want_redist TIMEOUT ["PREFIX metric M"...]: wait until a redistributes
# exactly these routes; a diff when it does not.
want_redist() {
    local t=$1 l
    shift
    REDIST_WANT=$(for l in "$@"; do echo "$l (redistributed)"; done | LC_ALL=C sort)
    wgt_wait_until '[ "$(redist)" = "$REDIST_WANT" ]' "$t" && return 0
    diff <(echo "$REDIST_WANT") <(redist) >"$WGT_DIR/redist.diff"
    sed -n '/^[<>]/{s/^/#   /;p}' "$WGT_DIR/redist.diff" | head -n 20 >&2
    wgt_fail "a's redistributed routes (< wanted, > got; $(grep -c '^[<>]' "$WGT_DIR/redist.diff") lines differ) after ${t} s"
}

LINES1=("redistribute proto 4 prefix 2001:db8::/32 le 64 metric 20"
    "redistribute proto 4 prefix 10.0.0.0/8 metric 30"
    "redistribute prefix 2001:db8:42::/48 allow")
# What LINES1 redistributes of the routes setup makes: the host's own
# static route to 10.9.9.0/24 (clutter) among them.
START=("2001:db8:1::/48 metric 20" "10.5.0.0/16 metric 30" "10.9.9.0/24 metric 30")
# The node addresses topo.sh announces (announce lines, not redistributed).
N_ANNOUNCED=2
OWN42=

# redist_lines LINE...: a's redistribute lines from now on (topo_reload).
redist_lines() {
    local l
    topo_conf_reset a
    for l in "$@"; do topo_conf a "$l"; done
}

setup() {
    topo_node a b
    topo_link a b
    redist_lines "${LINES1[@]}"
    # b takes the 20,000 of t_lost_events only to drop them: they are a's
    # test, not b's.
    topo_conf b "in prefix 2001:db8:9::/48 deny"
    topo_build || return 1
    rt -6 route add blackhole 2001:db8:1::/48 proto static || return 1
    rt -6 route add blackhole 2001:db8:2::/48 proto boot           # not proto 4
    rt -6 route add blackhole 2001:db8:42::/48 proto 42            # our own
    rt -6 route add blackhole 2001:db8:4::/80 proto static         # longer than le 64
    rt -4 route add blackhole 10.5.0.0/16 proto static
    rt -6 route add blackhole 2001:db8:5::/48 proto static table 200
    rt -6 route add blackhole 2001:db8:6::/48 from 2001:db8:ff::/48 proto static
    OWN42=$(rt -6 route show 2001:db8:42::/48)
    # The clutter this test counts on.
    [ -n "$(rt -4 route show 10.9.9.0/24 proto static)" ] &&
        [ -n "$(rt -6 route show fd09:9::/48 proto static)" ] ||
        { wgt_fail "a lacks the static routes of topo.sh's clutter"; return 1; }
    topo_launch
}

t_start() {
    wgt_assert_wait "has '2001:db8:1::/48 metric 20 (redistributed)'" 5 "static IPv6 route, metric of its line" || { orig >&2; return 1; }
    wgt_assert_wait "has '10.5.0.0/16 metric 30 (redistributed)'" 5 "static IPv4 route, metric of its line"
    wgt_assert_wait "has '10.9.9.0/24 metric 30 (redistributed)'" 5 "the host's own static route, matched by a line"
    local o
    o=$(orig)
    wgt_assert_not_contains "$o" "2001:db8:2::/48"     # another protocol
    wgt_assert_not_contains "$o" "2001:db8:42::/48"    # route-protocol (ours)
    wgt_assert_not_contains "$o" "2001:db8:4::/80"     # le 64
    wgt_assert_not_contains "$o" "2001:db8:5::/48"     # table 200
    wgt_assert_not_contains "$o" "2001:db8:6::/48"     # source-specific
    wgt_assert_not_contains "$o" "fd09:9::/48"         # the host's, no line
    # And nothing else of the host's: its default routes, tunnel routes,
    # local addresses, what wgbabeld learned from b.
    want_redist 5 "${START[@]}"
    wgt_assert_eq "$(n_orig)" $((${#START[@]} + N_ANNOUNCED)) "originated (status)"
    # What a redistributes reaches b.
    wgt_assert_wait "has_aip b a 2001:db8:1::/48 && has_aip b a 10.5.0.0/16" 20 "b: a's redistributed routes on peer a"
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
    want_redist 5 "${START[@]}"
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
    want_redist 5 "${START[@]}"
}

# While the daemon is stopped, 20,000 routes are added (their events
# overflow its 4 MiB receive buffer) and then 10.5.0.0/16 is deleted: that
# delete's event is surely lost, only the new dump shows it is gone.
# Then the host is put back as it was: the 20,000 go, 10.5.0.0/16 returns.
t_lost_events() {
    local before i batch=$WGT_DIR/flood.batch pid=${TOPO_PID[a]}
    before=$(n_orig)
    for ((i = 0; i < 20000; i++)); do
        printf 'route add blackhole 2001:db8:9:%x::/64 proto static\n' "$i"
    done >"$batch"
    echo "route del blackhole 10.5.0.0/16 proto static" >>"$batch"
    kill -STOP "$pid"
    rt -batch "$batch" || { kill -CONT "$pid"; wgt_fail "ip -batch"; return 1; }
    kill -CONT "$pid"
    wgt_assert_wait "grep -q 'route events were lost' $WGT_DIR/wgbabeld-a.log" 10 "ENOBUFS noticed" || return 1
    wgt_assert_wait "[ \"\$(n_orig)\" = $((before + 20000 - 1)) ]" 30 "20,000 added, 10.5.0.0/16 withdrawn" ||
        { n_orig >&2; return 1; }
    wgt_assert_not hasp 10.5.0.0/16
    wgt_assert has "2001:db8:9:4e1f::/64 metric 20 (redistributed)"
    # The clutter's static route was in the table all along.
    wgt_assert has "10.9.9.0/24 metric 30 (redistributed)"
    # With the daemon running.  On the host all are withdrawn within
    # about 1 s, after a loss of route events or two.  In the emulated
    # guest (kernel 6.1 under TCG, 2026-12-05) about 5,900 of them were
    # still redistributed 30 s and 120 s after they were deleted, after 5
    # losses; a reload's new read of the table cleared them.  A daemon
    # issue, not the test's, and not explained yet: the last pass of the
    # table read 5,153 routes that were being deleted, and no event or
    # later pass withdrew them (a race of dump datagrams and events was
    # found and fixed in wgglue/rtwatch.c; the failure stayed).  redist.sh
    # runs on the host only (tests/integration.sh).
    local t0 lost lim
    lim=$(topo_bound redist.withdraw)
    lost=$(grep -c 'route events were lost' "$WGT_DIR/wgbabeld-a.log")
    sed -e 's/^route add /route del /' -e '$s/.*/route add blackhole 10.5.0.0\/16 proto static/' "$batch" >"$batch.undo"
    t0=$(wgt_now)
    rt -batch "$batch.undo" || { wgt_fail "ip -batch (undo)"; return 1; }
    want_redist "$lim" "${START[@]}"
    wgt_log "the 20,000 withdrawn $(wgt_since "$t0") s after they were deleted ($(($(grep -c 'route events were lost' "$WGT_DIR/wgbabeld-a.log") - lost)) more losses of route events)"
    wgt_assert_eq "$(n_orig)" "$before" "originated after the 20,000 went"
}

t_reload() {
    rt -4 route add blackhole 10.6.0.0/16 proto static
    wgt_assert_wait "has '10.6.0.0/16 metric 30 (redistributed)'" 5 "IPv4 route before the reload" || return 1
    redist_lines "redistribute proto 4 prefix 2001:db8::/32 le 64 metric 25"
    topo_reload a || return 1
    wgt_assert_wait "has '2001:db8:1::/48 metric 25 (redistributed)'" 10 "new metric after the reload"
    wgt_assert_wait "! hasp 10.6.0.0/16" 10 "a line removed: its routes withdrawn"
    # The host's own static route went with that line.
    want_redist 10 "2001:db8:1::/48 metric 25"
    redist_lines
    topo_reload a || return 1
    want_redist 10
    wgt_assert_wait "[ \"\$(n_orig)\" = $N_ANNOUNCED ]" 10 "no redistribute line left: all withdrawn (announces stay)"
    redist_lines "${LINES1[@]}"
    topo_reload a || return 1
    wgt_assert_wait "has '10.6.0.0/16 metric 30 (redistributed)'" 10 "lines back: routes back"
    want_redist 10 "${START[@]}" "10.6.0.0/16 metric 30"
    # The operator takes it back.
    rt -4 route del blackhole 10.6.0.0/16 proto static
    want_redist 5 "${START[@]}"
}

t_own_protocol_route_kept() {
    # wgbabeld's protocol, but not installed by it: never removed (not
    # part of the clutter check, which leaves out protocol 42).
    # ip(8) names protocol 42 "babel" (/etc/iproute2/rt_protos).
    grep -Eq ' proto (42|babel) ' <<<"$OWN42" ||
        wgt_fail "a's route to 2001:db8:42::/48 at the start is not of protocol 42: $OWN42"
    wgt_assert_eq "$(rt -6 route show 2001:db8:42::/48)" "$OWN42" \
        "a's protocol-42 route that wgbabeld did not install"
}

wgt_setup "setup: a and b on WireGuard ($WGT_BACKEND), kernel routes, wgbabeld" setup
wgt_test "at start: protocol, prefix, le, metric, the host's own; not ours, other tables, source-specific" t_start
wgt_test "routes added, deleted and replaced at run time" t_runtime_changes
wgt_test "a prefix with two kernel routes stays until the last goes" t_two_routes_one_prefix
wgt_test "events lost (ENOBUFS): a new dump adds and withdraws what changed" t_lost_events
wgt_test "reload: metric changed, lines removed, all removed, back" t_reload
wgt_test "a route of wgbabeld's protocol that it did not install stays" t_own_protocol_route_kept
topo_done
