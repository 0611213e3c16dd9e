#!/bin/bash
# tests/e2e/foreign.sh: wgbabeld on a host with routes of its own, and
# next to other routing daemons on the same host:
#
#        n1 ---- n2 ---- n3        (n3 announces what n1 already routes)
#
# n1 looks like a real host: besides the harness's clutter on every node (a
# default route via its uplink's gateway, static routes), a static IPv4
# host route and an IPv6 static, and a route of protocol 42 as babeld
# installs them (the same protocol number as wgbabeld's).  n3
# announces 0.0.0.0/0, those three prefixes and a free one.  Then:
#  - n1 installs the free prefix, puts the learned default into the egress
#    table (doc/egress.md: it covers n2's endpoint, and n1 has a default of
#    its own) and refuses the other three: `show refused` names each with
#    the route that holds its place, and every foreign route is
#    byte-identical after the learning, a withdrawal, SIGTERM and a crash
#    restart of n1's wgbabeld (table all, IPv4 and IPv6);
#  - when the operator deletes the static host route, n1's own route takes
#    its place within seconds (route events, not a table re-read);
#  - a learned prefix that covers a peer's WireGuard endpoint (a learned
#    0.0.0.0/0 on n1 and n2; 172.16.0.0/12) goes into the egress table,
#    never the main one, and the tunnels keep working;
#  - `wg syncconf` of the operator's file on n2 wipes the learned allowed
#    IPs; they are back within the device read interval;
#  - a second wgbabeld instance on n1 (its own configuration, control
#    socket, state and runtime directory, another interface) starts, stops,
#    crashes and restarts without touching the first one's routes, and the
#    first one's restart leaves the second's alone;
#  - real babeld runs on n1 beside wgbabeld, learning a route from babeld on
#    n2 over the underlay: both bind UDP 6696, and wgbabeld still hears its
#    own neighbours (its sockets are bound to its devices); wgbabeld
#    learning the same prefix refuses it, and neither wgbabeld's start, stop
#    nor crash removes babeld's route.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init foreign

FREE=10.55.0.0/16
STATIC4=10.9.9.8/32
EGRESS_TABLE=6696	# egress-table's default (wgbabeld.conf(5))
STATIC6=2001:db8:99::/64
BABELD4=10.77.0.0/16

build() {
    topo_node n1 n2 n3
    topo_link n1 n2
    topo_link n2 n3
    topo_build || return 1
    local gw
    gw=$(topo_uaddr n2 n1)
    # What the host has before wgbabeld starts, beside the harness's
    # clutter (a default route via its uplink's gateway, static routes):
    # one command each, since in a batch iproute2 6.1 carries "proto 42"
    # over to the next line's route.
    wgt_ip n1 route add $STATIC4 via "$gw" dev ve-n2 proto static &&
        wgt_ip n1 -6 route add $STATIC6 dev ve-n2 proto static &&
        wgt_ip n1 route add $BABELD4 via "$gw" dev ve-n2 proto 42 ||
        { wgt_fail "n1's own routes"; return 1; }
    wgt_assert_contains "$(wgt_ip n1 route show default)" "default via" "n1 has a default route of its own"
    topo_launch || return 1
    topo_wait_converged 60
}

# n1's routes that are not wgbabeld's own (those use nexthop objects).
foreign_routes() {
    { wgt_ip n1 -4 route show table all; wgt_ip n1 -6 route show table all; } |
        grep -v ' nhid ' | grep -v '^local fe80::' | sort
}

# The prefixes NODE lists as refused for a foreign route.
refused_routes() {
    topo_json "$1" refused | tr '{' '\n' | grep '"reason":"foreign-route"' |
        sed 's/.*"prefix":"\([^"]*\)".*/\1/' | sort | tr '\n' ' '
}

n1_ours() { wgt_ip n1 -4 route show table all | grep ' nhid ' | sort; }

kernel_has_ours() {	# NODE PREFIX
    local fam=-4
    case $2 in *:*) fam=-6 ;; esac
    wgt_ip "$1" "$fam" route show "$2" | grep -q ' nhid .*proto babel'
}

announce_all() {
    local p
    for p in 0.0.0.0/0 $STATIC4 $STATIC6 $BABELD4 $FREE; do
        topo_ctl n3 announce "$p" >/dev/null || return 1
    done
}

t_refused_and_untouched() {
    local before r
    before=$(foreign_routes)
    announce_all || { wgt_fail "announce on n3"; return 1; }
    wgt_assert_wait "kernel_has_ours n1 $FREE" 20 "n1 installs the free prefix $FREE" || return 1
    wgt_assert_wait "[ \"\$(refused_routes n1)\" = '$BABELD4 $STATIC4 $STATIC6 ' ]" 20 \
        "n1 refuses the three prefixes a foreign route holds" ||
        topo_ctl n1 show refused >&2
    # The learned default would also carry WireGuard's packets to n2's
    # endpoint, and n1 has a default of its own: it goes into the egress
    # table, never over n1's own default.
    wgt_assert_wait "topo_ctl n1 show fib | grep -q '^0.0.0.0/0 .* egress'" 20 \
        "n1 puts the learned default into the egress table"
    wgt_assert_wait "wgt_ip n1 -4 route show table $EGRESS_TABLE default | grep -q ' nhid .*proto babel'" 10 \
        "n1's egress table holds the learned default"
    wgt_assert_not_contains "$(topo_json n1 refused)" '"prefix":"0.0.0.0/0"' "the learned default is not refused"
    r=$(topo_ctl n1 show refused)
    wgt_log "n1 show refused:"$'\n'"$(sed 's/^/#   /' <<<"$r")"
    wgt_assert_contains "$r" "refused route $STATIC4 (table 254, metric 0): the kernel holds a route wgbabeld did not install (proto 4 dev ve-n2 via" \
        "the refusal names the static route"
    wgt_assert_contains "$r" "refused route $BABELD4 (table 254, metric 0): the kernel holds a route wgbabeld did not install (proto 42 dev ve-n2" \
        "the refusal names babeld's route"
    wgt_assert_contains "$(topo_ctl n1 show status)" "refused for a foreign route 3" "show status counts them"
    wgt_assert grep -q "route to $STATIC4 not installed: table 254 already has a route" "$WGT_DIR/wgbabeld-n1.log"
    wgt_assert_eq "$(foreign_routes)" "$before" "n1's own routes after learning"
    topo_ctl n3 withdraw $FREE >/dev/null
    topo_ctl n3 withdraw $STATIC6 >/dev/null
    wgt_assert_wait "! kernel_has_ours n1 $FREE" 20 "n1 removes $FREE after the withdrawal"
    wgt_assert_eq "$(foreign_routes)" "$before" "n1's own routes after a withdrawal"
    topo_ctl n3 announce $FREE >/dev/null
    topo_ctl n3 announce $STATIC6 >/dev/null
    wgt_assert_wait "kernel_has_ours n1 $FREE" 20 "n1 installs $FREE again"
}

t_installed_when_the_foreign_route_goes() {
    local t0
    t0=$(wgt_now)
    wgt_ip n1 route del $STATIC4 proto static || { wgt_fail "route del"; return 1; }
    wgt_assert_wait "kernel_has_ours n1 $STATIC4" 5 "n1 installs $STATIC4 once the static route is gone" ||
        return 1
    wgt_log "installed $(wgt_since "$t0") s after the static route was deleted"
    wgt_assert_not_contains "$(refused_routes n1)" "$STATIC4" "no longer refused"
    # Back as it was for the tests that follow.
    topo_ctl n3 withdraw $STATIC4 >/dev/null
    wgt_assert_wait "! kernel_has_ours n1 $STATIC4" 20 "n1 removes its $STATIC4 after the withdrawal"
    wgt_ip n1 route add $STATIC4 via "$(topo_uaddr n2 n1)" dev ve-n2 proto static
    topo_ctl n3 announce $STATIC4 >/dev/null
    wgt_assert_wait "[[ \"\$(refused_routes n1)\" == *$STATIC4* ]]" 20 "refused again once the static is back"
}

t_stop_and_crash_leave_the_host_intact() {
    local before
    before=$(foreign_routes)
    topo_stop n1 || return 1
    wgt_assert_eq "$(n1_ours)" "" "SIGTERM removed n1's own routes"
    wgt_assert_eq "$(foreign_routes)" "$before" "n1's own routes after SIGTERM"
    topo_start n1 || return 1
    wgt_assert_wait "kernel_has_ours n1 $FREE" 30 "n1 learns $FREE again after its restart"
    wgt_assert_eq "$(foreign_routes)" "$before" "n1's own routes after the restart"
    topo_kill n1
    topo_start n1 || return 1
    wgt_assert grep -q "routes kept by a previous run of this instance" "$WGT_DIR/wgbabeld-n1.log"
    wgt_assert_wait "kernel_has_ours n1 $FREE" 30 "n1 holds $FREE after a crash restart"
    wgt_assert_wait "[ \"\$(refused_routes n1)\" = '$BABELD4 $STATIC4 $STATIC6 ' ]" 20 \
        "the same three refused after the crash restart"
    wgt_assert_eq "$(foreign_routes)" "$before" "n1's own routes after a crash restart"
}

# A second instance on n1: Babel on the underlay veth (no neighbour there),
# announcing a prefix of its own.
second_conf() {
    cat <<EOF
interface ve-n2 type wired hello-interval 1
control-socket $WGT_DIR/n1b.sock
state-file $WGT_DIR/n1b.state
runtime-dir $WGT_DIR/n1b.run
pid-file $WGT_DIR/n1b.pid
log-level info
announce 10.66.0.0/16
EOF
}


t_two_instances() {
    local ours pid
    ours=$(n1_ours)
    wgt_assert_contains "$ours" "nhid" "the first instance has routes"
    second_conf >"$WGT_DIR/n1b.conf"
    wgt_daemon n1 wgbabeld-n1b "$WGBABELD" -c "$WGT_DIR/n1b.conf" || return 1
    pid=$WGT_LAST_PID
    wgt_assert_wait "$WGBABELCTL -s $WGT_DIR/n1b.sock show status" 10 "the second instance answers" ||
        { tail -n 20 "$WGT_DIR/wgbabeld-n1b.log" | sed 's/^/#   /' >&2; return 1; }
    wgt_assert_not grep -q "kept by a previous run" "$WGT_DIR/wgbabeld-n1b.log"
    wgt_assert_eq "$(n1_ours)" "$ours" "the first instance's routes after the second started"
    # The first still hears its neighbours (both bind UDP 6696).
    topo_ctl n3 withdraw $FREE >/dev/null
    wgt_assert_wait "! kernel_has_ours n1 $FREE" 20 "the first instance follows a withdrawal while the second runs"
    topo_ctl n3 announce $FREE >/dev/null
    wgt_assert_wait "kernel_has_ours n1 $FREE" 20 "and the announcement again"
    ours=$(n1_ours)
    kill -KILL "$pid"; wait "$pid" 2>/dev/null
    wgt_daemon n1 wgbabeld-n1b "$WGBABELD" -c "$WGT_DIR/n1b.conf" || return 1
    pid=$WGT_LAST_PID
    wgt_assert_wait "$WGBABELCTL -s $WGT_DIR/n1b.sock show status" 10 "the second instance restarts"
    wgt_stop "$pid" 10
    wgt_assert_eq "$(n1_ours)" "$ours" "the first instance's routes after the second's crash, restart and stop"
    wgt_assert_wait "topo_converged" 20 "the mesh still converged"
}

t_next_to_babeld() {
    local gw1 before
    command -v babeld >/dev/null || { wgt_log "no babeld"; return 1; }
    # babeld on n2 announces 10.78.0.1/32 over the underlay; babeld on n1
    # installs it (protocol 42, table main, metric 0, like wgbabeld).
    wgt_ip n2 addr add 10.78.0.1/32 dev lo
    cat >"$WGT_DIR/babeld-n2.conf" <<EOF
interface ve-n1 type wired hello-interval 1
redistribute local ip 10.78.0.1/32 allow
redistribute local deny
EOF
    cat >"$WGT_DIR/babeld-n1.conf" <<EOF
interface ve-n2 type wired hello-interval 1
redistribute local deny
EOF
    # babeld speaks Babel over IPv6 link-local: the underlay veths have none.
    wgt_ip n1 -6 addr add fe80::a1/64 dev ve-n2
    wgt_ip n2 -6 addr add fe80::a2/64 dev ve-n1
    wgt_daemon n2 babeld-n2 babeld -c "$WGT_DIR/babeld-n2.conf" -I "$WGT_DIR/babeld-n2.pid" \
        -S "$WGT_DIR/babeld-n2.state" || return 1
    wgt_daemon n1 babeld-n1 babeld -c "$WGT_DIR/babeld-n1.conf" -I "$WGT_DIR/babeld-n1.pid" \
        -S "$WGT_DIR/babeld-n1.state" || return 1
    wgt_assert_wait "wgt_ip n1 route show 10.78.0.1 | grep -q 'via .* proto babel'" 30 "babeld on n1 installs 10.78.0.1" ||
        return 1
    before=$(foreign_routes)
    wgt_log "babeld's route: $(wgt_ip n1 route show 10.78.0.1)"
    # wgbabeld still hears its neighbours with babeld bound to UDP 6696.
    topo_ctl n3 withdraw $FREE >/dev/null
    wgt_assert_wait "! kernel_has_ours n1 $FREE" 20 "wgbabeld follows a withdrawal with babeld running"
    topo_ctl n3 announce $FREE >/dev/null
    wgt_assert_wait "kernel_has_ours n1 $FREE" 20 "and the announcement again"
    topo_ctl n3 announce 10.78.0.1/32 >/dev/null
    wgt_assert_wait "[[ \"\$(refused_routes n1)\" == *10.78.0.1/32* ]]" 20 \
        "wgbabeld refuses the prefix babeld's route holds"
    wgt_assert_eq "$(foreign_routes)" "$before" "babeld's route after wgbabeld learned the same prefix"
    topo_stop n1 || return 1
    wgt_assert_eq "$(foreign_routes)" "$before" "babeld's route after wgbabeld's SIGTERM"
    topo_start n1 || return 1
    topo_kill n1
    topo_start n1 || return 1
    wgt_assert_wait "kernel_has_ours n1 $FREE" 30 "wgbabeld back after a crash"
    wgt_assert_eq "$(foreign_routes)" "$before" "babeld's route after wgbabeld's crash restart"
    topo_ctl n3 withdraw 10.78.0.1/32 >/dev/null
    # As it was before, for the harness's check of the hosts' clutter.
    wgt_stop "$(awk '$2 == "babeld-n1" { print $1 }' "$WGT_DIR/pids" | tail -n 1)" 10
    wgt_stop "$(awk '$2 == "babeld-n2" { print $1 }' "$WGT_DIR/pids" | tail -n 1)" 10
    wgt_ip n2 addr del 10.78.0.1/32 dev lo
    wgt_ip n1 -6 addr del fe80::a1/64 dev ve-n2
    wgt_ip n2 -6 addr del fe80::a2/64 dev ve-n1
}

# A learned prefix that covers a peer's WireGuard endpoint never goes into
# the main table, where it would carry WireGuard's own packets into the
# tunnel: it goes into the egress table, which WireGuard's marked packets
# skip (doc/egress.md).
t_endpoint_cover() {
    topo_ctl n3 announce 172.16.0.0/12 >/dev/null || return 1
    wgt_assert_wait "wgt_ip n1 -4 route show table $EGRESS_TABLE 172.16.0.0/12 | grep -q ' nhid .*proto babel'" 20 \
        "n1 puts 172.16.0.0/12 (it covers n2's endpoint) into the egress table" ||
        { topo_ctl n1 show fib >&2; return 1; }
    wgt_assert_eq "$(wgt_ip n1 -4 route show table main 172.16.0.0/12 | grep nhid)" "" \
        "n1's main table has no learned 172.16.0.0/12"
    wgt_assert grep -q "route to 172.16.0.0/12 goes into the egress table: it covers $(topo_uaddr n2 n1), the WireGuard endpoint of a peer" \
        "$WGT_DIR/wgbabeld-n1.log"
    # The learned 0.0.0.0/0 covers n2's peers' endpoints too.
    wgt_assert_wait "wgt_ip n2 -4 route show table $EGRESS_TABLE default | grep -q ' nhid .*proto babel'" 20 \
        "n2 puts the learned 0.0.0.0/0 into the egress table"
    wgt_assert_eq "$(wgt_ip n2 -4 route show table main 0.0.0.0/0 | grep nhid)" "" "n2's main table has no learned default route"
    wgt_assert topo_ping n1 "$(topo_addr4 n3)"
    topo_ctl n3 withdraw 172.16.0.0/12 >/dev/null
    wgt_assert_wait "! wgt_ip n1 -4 route show table $EGRESS_TABLE 172.16.0.0/12 | grep -q nhid" 20 \
        "the egress route goes with the withdrawal"
}

# `wg syncconf` with the operator's file underneath a running wgbabeld
# wipes every learned allowed IP; the periodic device read repairs it,
# and says so. The wipe is not looked for in the device: the read comes
# every 5 s, and in the guest one look at it takes 0.3-0.6 s, so the
# repair came first once (0.65 s after the syncconf, 2026-12-06); the
# daemon's warning is what shows the wipe happened.
t_syncconf() {
    local ifn conf t0 log=$WGT_DIR/wgbabeld-n2.log before
    ifn=$(topo_if n2)
    conf=$WGT_DIR/n2.syncconf
    # The operator's configuration: only the static allowed IPs.
    wgt_exec n2 wg showconf "$ifn" |
        sed -E '/^AllowedIPs/{s/ //g;s/^AllowedIPs=//;s/,/\n/g}' |
        awk '/^(fe80:|10\.99\.|fd99:)/ { a = a (a ? ", " : "") $0; next }
             /^\[Peer\]/ && a { print "AllowedIPs = " a; a = "" }
             /^[0-9a-f:.]+\/[0-9]+$/ { next }
             { print }
             END { if (a) print "AllowedIPs = " a }' >"$conf"
    wgt_assert_not grep -q "$(topo_addr6 n3)/128" "$conf"
    wgt_assert_eq "$(topo_holders n2 "$(topo_addr6 n3)/128")" n3 "n2 holds n3's address on peer n3" || return 1
    before=$(grep -c "removed by someone else" "$log")
    t0=$(wgt_now)
    wgt_exec n2 wg syncconf "$ifn" "$conf" || { wgt_fail "wg syncconf"; return 1; }
    wgt_assert_wait "[ \$(grep -c 'allowed IPs wgbabeld had installed were removed by someone else' $log) -gt $before ]" 15 \
        "n2's wgbabeld saw its allowed IPs removed" || return 1
    wgt_assert_wait "[ \"\$(topo_holders n2 $(topo_addr6 n3)/128)\" = n3 ]" 15 \
        "n2's learned allowed IPs are back" || return 1
    wgt_log "repaired $(wgt_since "$t0") s after wg syncconf"
    wgt_assert_wait topo_converged 15 "converged again"
}

wgt_setup "three nodes, n1 with routes of its own, converged ($WGT_BACKEND)" build
wgt_test "learned prefixes equal to foreign routes are refused and never touched; the learned default goes to the egress table" t_refused_and_untouched
wgt_test "a refused prefix is installed when the foreign route goes" t_installed_when_the_foreign_route_goes
wgt_test "SIGTERM, restart and crash restart leave the host's routes intact" t_stop_and_crash_leave_the_host_intact
wgt_test "a learned prefix covering a WireGuard endpoint goes into the egress table, not main" t_endpoint_cover
wgt_test "wg syncconf underneath: learned allowed IPs are repaired" t_syncconf
wgt_test "two wgbabeld instances on one host keep to their own routes" t_two_instances
wgt_test "wgbabeld next to babeld on one host" t_next_to_babeld
topo_done
