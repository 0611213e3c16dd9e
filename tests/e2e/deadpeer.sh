#!/bin/bash
# tests/e2e/deadpeer.sh [BUILDDIR] — a Babel speaker killed with SIGKILL
# while its host stays up is noticed through the ICMP port unreachable its
# kernel sends back (daemon/probe.c), with default timers (4 s Hellos; a
# Hello timeout alone takes about 4.6-6 s), on wired links (wgbabeld,
# BIRD 2 and babeld 1.12 as the dead speaker; probes are what draws the
# ICMP there), over a wired link with "transport ipv4" (the ICMP comes
# back on r's IPv4 socket) and over WireGuard (wireguard-go, or kernel with
# WGB_WG_BACKEND=kernel).
#
#        s1 (wgbabeld)   s2 (wgbabeld)   bd (BIRD)   bb (babeld)
#             \ ve          | ve          / ve        / ve
#              '----------- r (wgbabeld) ------------'
#                           | wg0 (WireGuard)  \ ve, Babel over IPv4
#                           w (wgbabeld)        s4 (wgbabeld)
#
# Each kill asserts the receiver r lost (or moved) the routes within
# DEADPEER_BOUND seconds (default 3: a functional bound, the mechanism
# gives about 1 s; the figure is printed). Also: r does not spin on its
# error queue (CPU time over the seconds after an ICMP) and still receives
# (the killed speaker restarted is relearned); BIRD and babeld keep r as a
# neighbour while probed. All of it is built at the start (topo.sh).
# Ends with "N passed, N failed".
set -u

. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init deadpeer "${1:-}"
BOUND=${DEADPEER_BOUND:-3}
# Default timers everywhere.
TOPO_HELLO=default

HAVE_BIRD=0
HAVE_BABELD=0
command -v bird >/dev/null && command -v birdc >/dev/null && HAVE_BIRD=1
command -v babeld >/dev/null && HAVE_BABELD=1

route_dev() { # NODE PREFIX: the device of NODE's kernel route, or nothing
    wgt_ip "$1" -6 route show "$2" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
}
route_dev4() { # the same for an IPv4 PREFIX
    wgt_ip "$1" -4 route show "$2" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
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
    topo_node r s1 s2 w
    topo_wire r s1
    topo_wire r s2
    if [ "$HAVE_BIRD" = 1 ]; then
        topo_node bd --bird
        topo_wire r bd 192.0.2.1/30 192.0.2.2/30
        topo_lo bd 2001:db8:93::1/128
    fi
    if [ "$HAVE_BABELD" = 1 ]; then
        topo_node bb --babeld
        topo_wire r bb
        topo_lo bb 2001:db8:95::1/128
    fi
    # s4 speaks Babel to r over IPv4 only.
    topo_node s4
    topo_wire r s4 192.0.2.5/30 192.0.2.6/30
    topo_ifopt r ve-s4 transport ipv4
    topo_ifopt s4 ve-r transport ipv4
    topo_announce s4 10.97.0.0/16
    topo_announce s4 2001:db8:97::/48
    # s1 is the better way to the anycast 2001:db8:99::/48, and the only
    # one to 2001:db8:91::/48.
    topo_announce s1 2001:db8:99::/48 metric 0
    topo_announce s1 2001:db8:91::/48
    topo_announce s2 2001:db8:99::/48 metric 300
    # w is r's WireGuard peer.
    topo_link r w
    topo_announce w 2001:db8:94::/48
    topo_up
}

t_wired_wgbabeld_killed_fails_over() {
    wgt_assert_wait "[ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s1 ] && [ -n \"\$(route_dev r 2001:db8:91::/48)\" ]" 40 \
        "r: 2001:db8:99::/48 and 2001:db8:91::/48 via s1" || { topo_ctl r show routes >&2; return 1; }
    sleep 2	# a few probes answered by a live s1: nothing happens
    wgt_assert_eq "$(route_dev r 2001:db8:99::/48)" ve-s1 "2001:db8:99::/48 before the kill"
    local t c0 c1
    c0=$(cpu_ticks "${TOPO_PID[r]}")
    t=$(kill_and_time "${TOPO_PID[s1]}" "[ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s2 ] && [ -z \"\$(route_dev r 2001:db8:91::/48)\" ]")
    wgt_log "s1 (wgbabeld) SIGKILLed: r failed over 2001:db8:99::/48 to s2 and dropped 2001:db8:91::/48 after ${t} s"
    within_bound "$t" || wgt_fail "failover took ${t} s (bound ${BOUND} s)"
    grep -q "ve-s1: neighbour fe80::.*Babel port is unreachable" "$WGT_DIR/wgbabeld-r.log" ||
        wgt_fail "r did not log the unreachable neighbour"
    # The error queue must be drained: POLLERR left pending would spin
    # (or, with libuv, stop the socket). 3 s of a quiet daemon.
    sleep 3
    c1=$(cpu_ticks "${TOPO_PID[r]}")
    wgt_log "r used $((c1 - c0)) clock ticks of CPU in the 3+ s after the kill"
    [ $((c1 - c0)) -lt 50 ] || wgt_fail "r used $((c1 - c0)) ticks (>= 0.5 s) of CPU: spinning?"
}

t_receiver_still_hears_after_icmp() {
    # s1 back (its host never went away): r relearns it over the same socket.
    topo_start s1 || return 1
    wgt_assert_wait "[ -n \"\$(route_dev r 2001:db8:91::/48)\" ] && [ \"\$(route_dev r 2001:db8:99::/48)\" = ve-s1 ]" 30 \
        "r relearns s1's routes after its restart" || topo_ctl r show routes >&2
    local st
    st=$(topo_ctl r show status)
    wgt_assert_contains "$st" "probes sent"
}

# probed NODE PREFIX WHO: r learns PREFIX from NODE (running WHO), which is
# then probed for a while (3 s).
probed() {
    wgt_assert_wait "[ -n \"\$(route_dev r $2)\" ]" 40 "r learns $3's $2" ||
        { topo_ctl r show routes >&2; return 1; }
    sleep 3
}

# killed NODE PREFIX WHO: SIGKILL NODE's WHO; r drops PREFIX within BOUND.
killed() {
    local t
    t=$(kill_and_time "${TOPO_PID[$1]}" "[ -z \"\$(route_dev r $2)\" ]")
    wgt_log "$3 SIGKILLed: r dropped $2 after ${t} s"
    within_bound "$t" || wgt_fail "dropping $3's route took ${t} s (bound ${BOUND} s)"
}

t_bird_killed() {
    # Probed for a while, BIRD still counts r as a neighbour and logs nothing.
    probed bd 2001:db8:93::1 BIRD || return 1
    local nb
    nb=$(birdc -s "$WGT_DIR/bd.bird" show babel neighbors 2>&1)
    wgt_assert_contains "$nb" "fe80::" "BIRD's neighbour list"
    if grep -Ei "bad packet|bad tlv|error" "$WGT_DIR/bird-bd.log"; then
        wgt_fail "BIRD logged errors while probed"
    fi
    killed bd 2001:db8:93::1 BIRD
}

t_babeld_killed() {
    probed bb 2001:db8:95::1 babeld || return 1
    if grep -Ei "couldn't parse|malformed|truncated" "$WGT_DIR/babeld-bb.log"; then
        wgt_fail "babeld complained about our probes"
    fi
    killed bb 2001:db8:95::1 babeld
}

# s4 (Babel over IPv4, transport ipv4 at both ends) SIGKILLed: the ICMP
# port unreachable for r's IPv4 probe drops it; r's IPv4 socket then
# still receives (s4 restarted is relearned) and does not spin.
S4_GONE="[ -z \"\$(route_dev4 r 10.97.0.0/16)\" ] && [ -z \"\$(route_dev r 2001:db8:97::/48)\" ]"
S4_THERE="[ \"\$(route_dev4 r 10.97.0.0/16)\" = ve-s4 ] && [ \"\$(route_dev r 2001:db8:97::/48)\" = ve-s4 ]"
t_ipv4_wgbabeld_killed() {
    wgt_assert_wait "$S4_THERE" 40 "r: s4's 10.97.0.0/16 and 2001:db8:97::/48, learned over IPv4" ||
        { topo_ctl r show neighbours >&2; return 1; }
    wgt_assert_contains "$(topo_ctl r show neighbours)" "192.0.2.6 on ve-s4" "r's neighbour s4, over IPv4"
    sleep 2	# a few probes answered by a live s4: nothing happens
    wgt_assert_eq "$(route_dev4 r 10.97.0.0/16)" ve-s4 "10.97.0.0/16 before the kill"
    local t c0 c1
    c0=$(cpu_ticks "${TOPO_PID[r]}")
    t=$(kill_and_time "${TOPO_PID[s4]}" "$S4_GONE")
    wgt_log "s4 (wgbabeld, Babel over IPv4) SIGKILLed: r dropped its routes after ${t} s"
    within_bound "$t" || wgt_fail "IPv4 transport: dropping s4's routes took ${t} s (bound ${BOUND} s)"
    grep -q "ve-s4: neighbour 192.0.2.6: its Babel port is unreachable" "$WGT_DIR/wgbabeld-r.log" ||
        wgt_fail "r did not log the unreachable IPv4 neighbour"
    sleep 3
    c1=$(cpu_ticks "${TOPO_PID[r]}")
    wgt_log "r used $((c1 - c0)) clock ticks of CPU in the 3+ s after the kill"
    [ $((c1 - c0)) -lt 50 ] || wgt_fail "r used $((c1 - c0)) ticks (>= 0.5 s) of CPU: spinning?"
    topo_start s4 || return 1
    wgt_assert_wait "$S4_THERE" 30 "r relearns s4's routes over IPv4 after its restart" ||
        topo_ctl r show routes >&2
}

# w, r's WireGuard peer, is r's Babel neighbour on wg0.
t_wg_link() {
    wgt_assert_wait "topo_ctl r show neighbours | grep -q '^$(topo_ll w) on $(topo_if r):'" 40 "r hears w on wg0" ||
        { topo_ctl r show neighbours >&2; return 1; }
}

t_wireguard_peer_killed() {
    local dev
    dev=$(topo_if r)
    wgt_assert_wait "[ \"\$(route_dev r 2001:db8:94::/48)\" = $dev ]" 40 "r: 2001:db8:94::/48 via wg0" ||
        { topo_ctl r show routes >&2; return 1; }
    local t
    t=$(kill_and_time "${TOPO_PID[w]}" "[ -z \"\$(route_dev r 2001:db8:94::/48)\" ] && ! wgt_peer_allowed r wg0 w wg0 | grep -q 2001:db8:94::/48")
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
wgt_test "IPv4 transport: wgbabeld SIGKILLed, its routes gone within ${BOUND} s; r still hears" t_ipv4_wgbabeld_killed
wgt_setup "WireGuard link r - w" t_wg_link
wgt_test "WireGuard: wgbabeld SIGKILLed, its route and allowed IP gone within ${BOUND} s" t_wireguard_peer_killed
topo_done
