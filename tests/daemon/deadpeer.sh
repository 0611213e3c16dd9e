#!/bin/bash
# tests/daemon/deadpeer.sh [BUILDDIR] — a Babel speaker killed with SIGKILL
# while its host stays up is noticed through the ICMP port unreachable its
# kernel sends back (daemon/probe.c), with default timers (4 s Hellos; a
# Hello timeout alone takes about 4.6-6 s), on wired links (wgbabeld,
# BIRD 2 and babeld 1.12 as the dead speaker; probes are what draws the
# ICMP there) and over WireGuard (wireguard-go, or kernel with
# WGB_WG_BACKEND=kernel).
#
#        s1 (wgbabeld)   s2 (wgbabeld)   bd (BIRD)   bb (babeld)
#             \ ve          | ve          / ve        / ve
#              '----------- r (wgbabeld) ------------'
#                           | wg0 (WireGuard)
#                           w (wgbabeld)
#
# Each kill asserts the receiver r lost (or moved) the routes within
# DEADPEER_BOUND seconds (default 3: a functional bound, the mechanism
# gives about 1 s; the figure is printed). Also: r does not spin on its
# error queue (CPU time over the seconds after an ICMP) and still receives
# (the killed speaker restarted is relearned); BIRD and babeld keep r as a
# neighbour while probed. Ends with "N passed, N failed".
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${WGB_BUILD:-$top/build-test}}
WGBABELD=$build/daemon/wgbabeld
WGBABELCTL=$build/daemon/wgbabelctl
BOUND=${DEADPEER_BOUND:-3}

if [ "$(id -u)" != 0 ]; then
    echo "deadpeer: needs root (network namespaces); skipped"
    exit 77
fi
for b in "$WGBABELD" "$WGBABELCTL"; do
    [ -x "$b" ] || { echo "deadpeer: $b not built (ninja -C $build)"; exit 1; }
done

# shellcheck source=../lib/netns.sh
. "$top/tests/lib/netns.sh"
wgt_init deadpeer

declare -A DPID
HAVE_BIRD=0
HAVE_BABELD=0
command -v bird >/dev/null && command -v birdc >/dev/null && HAVE_BIRD=1
command -v babeld >/dev/null && HAVE_BABELD=1

ctl() { local n=$1; shift; "$WGBABELCTL" -s "$WGT_DIR/$n.sock" "$@"; }

start_wgbabeld() { # NODE CONFIG-LINES
    local n=$1
    cat >"$WGT_DIR/$n.conf" <<EOF
control-socket $WGT_DIR/$n.sock
state-file $WGT_DIR/$n.state
runtime-dir $WGT_DIR/$n.run
log-level info
$2
EOF
    wgt_daemon "$n" "wgbabeld-$n" "$WGBABELD" -c "$WGT_DIR/$n.conf" || return 1
    DPID[$n]=$WGT_LAST_PID
    wgt_wait_until "[ -S $WGT_DIR/$n.sock ]" 10 || wgt_fail "wgbabeld on $n did not start"
}

route_dev() { # NODE PREFIX: the device of NODE's kernel route, or nothing
    wgt_ip "$1" -6 route show "$2" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
}

cpu_ticks() { # PID: utime + stime, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# kill_and_time NODE-PID CHECK: SIGKILL, then seconds until CHECK holds
# (polled every 0.05 s), printed; returns 1 past BOUND + 2.
kill_and_time() {
    local pid=$1 check=$2 t0
    t0=$(wgt_now)
    kill -KILL "$pid"
    while ! eval "$check" >/dev/null 2>&1; do
        if awk -v s="$(wgt_since "$t0")" -v b="$BOUND" 'BEGIN { exit !(s > b + 2) }'; then
            echo "timeout"
            return 1
        fi
        sleep 0.05
    done
    wgt_since "$t0"
}

within_bound() { awk -v s="$1" -v b="$BOUND" 'BEGIN { exit !(s != "timeout" && s < b) }'; }

setup() {
    wgt_ns_add r s1 s2 || return 1
    wgt_veth r - s1 - || return 1
    wgt_veth r - s2 - || return 1
    local ifs="interface ve-s1 type wired
interface ve-s2 type wired"
    if [ "$HAVE_BIRD" = 1 ]; then
        wgt_ns_add bd || return 1
        wgt_veth r 192.0.2.1/30 bd 192.0.2.2/30 || return 1
        ifs+=$'\n'"interface ve-bd type wired"
    fi
    if [ "$HAVE_BABELD" = 1 ]; then
        wgt_ns_add bb || return 1
        wgt_veth r - bb - || return 1
        ifs+=$'\n'"interface ve-bb type wired"
    fi
    start_wgbabeld r "$ifs" || return 1
    # s1 is the better way to the anycast 2001:db8:99::/48, and the only
    # one to 2001:db8:91::/48.
    start_wgbabeld s1 "interface ve-r type wired
announce 2001:db8:99::/48 metric 0
announce 2001:db8:91::/48" || return 1
    start_wgbabeld s2 "interface ve-r type wired
announce 2001:db8:99::/48 metric 300" || return 1
    if [ "$HAVE_BIRD" = 1 ]; then
        wgt_ip bd addr add 2001:db8:93::1/128 dev lo
        cat >"$WGT_DIR/bird.conf" <<EOF
router id 192.0.2.2;
protocol device { }
protocol direct { ipv6; interface "lo"; }
protocol babel {
    interface "ve-r" { type wired; };
    ipv6 { import all; export where source = RTS_DEVICE; };
}
EOF
        wgt_daemon bd bird bird -f -c "$WGT_DIR/bird.conf" -s "$WGT_DIR/bird.ctl" -P "$WGT_DIR/bird.pid" || return 1
        DPID[bd]=$WGT_LAST_PID
    fi
    if [ "$HAVE_BABELD" = 1 ]; then
        wgt_ip bb addr add 2001:db8:95::1/128 dev lo
        cat >"$WGT_DIR/babeld.conf" <<EOF
interface ve-r type wired
redistribute local ip 2001:db8:95::1/128 allow
redistribute local deny
EOF
        wgt_daemon bb babeld babeld -c "$WGT_DIR/babeld.conf" -I "$WGT_DIR/babeld.pid" \
            -S "$WGT_DIR/babeld.state" || return 1
        DPID[bb]=$WGT_LAST_PID
    fi
}

t_wired_wgbabeld_killed_fails_over() {
    wgt_assert_wait "[ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s1 ] && [ -n \"\$(route_dev r 2001:db8:91::/48)\" ]" 40 \
        "r: 2001:db8:99::/48 and 2001:db8:91::/48 via s1" || { ctl r show routes >&2; return 1; }
    sleep 2	# a few probes answered by a live s1: nothing happens
    wgt_assert_eq "$(route_dev r 2001:db8:99::/48)" ve-s1 "2001:db8:99::/48 before the kill"
    local t c0 c1
    c0=$(cpu_ticks "${DPID[r]}")
    t=$(kill_and_time "${DPID[s1]}" "[ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s2 ] && [ -z \"\$(route_dev r 2001:db8:91::/48)\" ]")
    wgt_log "s1 (wgbabeld) SIGKILLed: r failed over 2001:db8:99::/48 to s2 and dropped 2001:db8:91::/48 after ${t} s"
    within_bound "$t" || wgt_fail "failover took ${t} s (bound ${BOUND} s)"
    grep -q "ve-s1: neighbour fe80::.*Babel port is unreachable" "$WGT_DIR/wgbabeld-r.log" ||
        wgt_fail "r did not log the unreachable neighbour"
    # The error queue must be drained: POLLERR left pending would spin
    # (or, with libuv, stop the socket). 3 s of a quiet daemon.
    sleep 3
    c1=$(cpu_ticks "${DPID[r]}")
    wgt_log "r used $((c1 - c0)) clock ticks of CPU in the 3+ s after the kill"
    [ $((c1 - c0)) -lt 50 ] || wgt_fail "r used $((c1 - c0)) ticks (>= 0.5 s) of CPU: spinning?"
}

t_receiver_still_hears_after_icmp() {
    # s1 back (its host never went away): r relearns it over the same socket.
    start_wgbabeld s1 "interface ve-r type wired
announce 2001:db8:99::/48 metric 0
announce 2001:db8:91::/48" || return 1
    wgt_assert_wait "[ -n \"\$(route_dev r 2001:db8:91::/48)\" ] && [ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s1 ]" 30 \
        "r relearns s1's routes after its restart" || ctl r show routes >&2
    local st
    st=$(ctl r show status)
    wgt_assert_contains "$st" "probes sent"
}

t_bird_killed() {
    wgt_assert_wait "[ -n \"\$(route_dev r 2001:db8:93::1)\" ]" 40 "r learns BIRD's 2001:db8:93::1" ||
        { ctl r show routes >&2; return 1; }
    # Probed for a while, BIRD still counts r as a neighbour and logs nothing.
    sleep 3
    local nb
    nb=$(birdc -s "$WGT_DIR/bird.ctl" show babel neighbors 2>&1)
    wgt_assert_contains "$nb" "fe80::" "BIRD's neighbour list"
    if grep -Ei "bad packet|bad tlv|error" "$WGT_DIR/bird.log"; then
        wgt_fail "BIRD logged errors while probed"
    fi
    local t
    t=$(kill_and_time "${DPID[bd]}" "[ -z \"\$(route_dev r 2001:db8:93::1)\" ]")
    wgt_log "BIRD SIGKILLed: r dropped 2001:db8:93::1 after ${t} s"
    within_bound "$t" || wgt_fail "dropping BIRD's route took ${t} s (bound ${BOUND} s)"
}

t_babeld_killed() {
    wgt_assert_wait "[ -n \"\$(route_dev r 2001:db8:95::1)\" ]" 40 "r learns babeld's 2001:db8:95::1" ||
        { ctl r show routes >&2; return 1; }
    sleep 3
    if grep -Ei "couldn't parse|malformed|truncated" "$WGT_DIR/babeld.log"; then
        wgt_fail "babeld complained about our probes"
    fi
    local t
    t=$(kill_and_time "${DPID[bb]}" "[ -z \"\$(route_dev r 2001:db8:95::1)\" ]")
    wgt_log "babeld SIGKILLed: r dropped 2001:db8:95::1 after ${t} s"
    within_bound "$t" || wgt_fail "dropping babeld's route took ${t} s (bound ${BOUND} s)"
}

setup_wg() {
    wgt_ns_add w || return 1
    wgt_veth r 198.51.100.1/24 w 198.51.100.2/24 || return 1
    wgt_wg_add r wg0 || return 1
    wgt_wg_add w wg0 || return 1
    wgt_wg_ll r wg0 fe80::1/64 || return 1
    wgt_wg_ll w wg0 fe80::2/64 || return 1
    wgt_wg_connect r wg0 198.51.100.1 fe80::2/128 w wg0 198.51.100.2 fe80::1/128 || return 1
    # r's second daemon instance would clash: reconfigure r with wg0 too.
    cat >>"$WGT_DIR/r.conf" <<EOF
interface $(wgt_if r wg0) type wireguard
EOF
    kill -HUP "${DPID[r]}"
    start_wgbabeld w "interface $(wgt_if w wg0) type wireguard
announce 2001:db8:94::/48" || return 1
}

t_wireguard_peer_killed() {
    local dev
    dev=$(wgt_if r wg0)
    wgt_assert_wait "[ \"\$(route_dev r 2001:db8:94::/48)\" = $dev ]" 40 "r: 2001:db8:94::/48 via wg0" ||
        { ctl r show routes >&2; return 1; }
    local t
    t=$(kill_and_time "${DPID[w]}" "[ -z \"\$(route_dev r 2001:db8:94::/48)\" ] && ! wgt_peer_allowed r wg0 w wg0 | grep -q 2001:db8:94::/48")
    wgt_log "w (wgbabeld over WireGuard, $WGT_BACKEND) SIGKILLed: r dropped route and allowed IP after ${t} s"
    within_bound "$t" || wgt_fail "WireGuard: dropping w's route took ${t} s (bound ${BOUND} s)"
}

wgt_setup "r between wgbabeld s1, s2, BIRD ($HAVE_BIRD), babeld ($HAVE_BABELD) on veth" setup
wgt_test "wired: wgbabeld SIGKILLed, failover and retraction within ${BOUND} s (default timers)" t_wired_wgbabeld_killed_fails_over
wgt_test "wired: the receiver still hears after the ICMP (s1 restarted is relearned)" t_receiver_still_hears_after_icmp
if [ "$HAVE_BIRD" = 1 ]; then
    wgt_test "wired: BIRD SIGKILLed, its route gone within ${BOUND} s; probes left BIRD undisturbed" t_bird_killed
else
    wgt_skip "wired: BIRD SIGKILLed" "bird not installed"
fi
if [ "$HAVE_BABELD" = 1 ]; then
    wgt_test "wired: babeld SIGKILLed, its route gone within ${BOUND} s; probes left babeld undisturbed" t_babeld_killed
else
    wgt_skip "wired: babeld SIGKILLed" "babeld not installed"
fi
wgt_setup "WireGuard link r - w" setup_wg
wgt_test "WireGuard: wgbabeld SIGKILLed, its route and allowed IP gone within ${BOUND} s" t_wireguard_peer_killed
wgt_done
