#!/bin/bash
# tests/e2e/rtt.sh: RTT (RFC 9616) right after a neighbour restarts.
#
#        o1* ~~~~ c ~~~~~~~~ o2*      * origins of 10.200.0.1/32 and
#                                       2001:db8:ac::1/128 (on lo)
#   c - o1: 5 ms each way (RTT 10 ms: no RTT penalty, metric 96)
#   c - o2: 40 ms each way (RTT 80 ms: penalty 150 x 70 / 110 = 95,
#           metric 191)
# The client c holds the anycast prefix on o1, the nearer origin by RTT.
# Then o1's wgbabeld restarts (SIGTERM, started again): within 5 s (the
# guest: RTT_LIM) c's RTT to o1 (wgbabelctl --json show neighbours) is
# within 5 ms (the guest: RTT_TOL) of ping's RTT to o1's tunnel address,
# stays there, and the prefix is back on o1 within 10 s.  A restarted
# neighbour's RTT once read 139 ms here and the prefix came back only
# 75-80 s later (issue 16).  Prints the RTT as c sees it every 0.2 s.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init rtt

# The bounds: tests/e2e/bounds.sh (RTT_GUEST_TOL overrides the guest's
# tolerance).
RTT_TOL=$(topo_bound rtt.tol_ms) RTT_LIM=$(topo_bound rtt.first)
BACK_LIM=$(topo_bound rtt.back)
[ "${WGB_IN_GUEST:-0}" = 1 ] && RTT_TOL=${RTT_GUEST_TOL:-$RTT_TOL}

build() {
    topo_node c o1 o2
    topo_link c o1 5
    topo_link c o2 40
    topo_anycast o1 o2
    topo_up || return 1
    topo_wait_converged 60
}

P6=$TOPO_ANYCAST6/128
P4=$TOPO_ANYCAST4/32

# c's smoothed RTT to o1 in ms ("" while it has none), from the JSON view.
rtt_c_o1() {
    topo_json c neighbours | tr '}' '\n' | grep "\"address\":\"$(topo_ll o1)\"" |
        grep -o '"rtt_ms":[0-9.]*' | cut -d: -f2
}

# ping's RTT in ms from c to o1's tunnel address (through wg0, as the
# Hellos go): the median of 10 echo requests.  The median, not the
# average: on a loaded 2-core machine one late reply in 10 (seen: 90 ms
# on a 12 ms path) moves the average by more than the tolerance, while
# the smoothed RTT is the one to compare with what most packets see.
ping_c_o1() {
    wgt_exec c ping -n -c 10 -i 0.05 -W 1 "$(topo_tun4 o1)" 2>/dev/null | ping_median
}

# The median and the spread ("MEDIAN MIN MAX") of ping's replies on stdin.
ping_median() {
    sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# True if |A - B| <= TOL (decimal ms).
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= t) }'; }

on_o1() { [ "$(topo_holders c "$P6")" = o1 ] && [ "$(topo_holders c "$P4")" = o1 ]; }

t_before() {
    wgt_assert_wait on_o1 30 "c: $P6 and $P4 on o1 (metric 96 against 191)" || return 1
    read -r PING _ <<<"$(ping_c_o1)"
    local r
    r=$(rtt_c_o1)
    # A figure only, the restart is what is tested: on a machine loaded
    # far beyond its 2 cores (load average 30-60) c read 19 ms against
    # ping's 12.9 for 10 s.  The daemons stamp a Hello when they read it,
    # not when the kernel got it, and a busy scheduler delays both ends'
    # reads; the kernel answers ping at once.
    wgt_log "c: RTT to o1 ${r:-none} ms, ping ${PING:-none} ms (median of 10)"
    [ -n "$PING" ] || { wgt_fail "no ping RTT from c to o1"; return 1; }
}

# ping_bg S: ping from c to o1's tunnel address for S seconds, in the
# background (wait for $PING_PID; the replies in $WGT_DIR/ping.bg).
ping_bg() {
    wgt_exec c ping -n -i 0.2 -w "$1" -W 1 "$(topo_tun4 o1)" >"$WGT_DIR/ping.bg" 2>&1 &
    PING_PID=$!
}

# Restart o1 as an upgrade does: stopped (SIGTERM) until c has seen it
# gone (ICMP port unreachable for c's next Hello, or the Hello timeout),
# then started: c's RTT to o1 starts again from o1's first samples.
# Samples c's view of o1's RTT every 0.2 s until BACK_LIM s, with ping
# running alongside as the reference.
t_restart() {
    local t0 t r i ok_at='' back_at='' first='' last='' hi=0 trace='' pmed pmin pmax tt=() rr=()
    topo_stop o1 || return 1
    t0=$(wgt_now)
    wgt_assert_wait '[ -z "$(rtt_c_o1)" ]' 15 "c: o1 gone (no RTT) after its stop" || return 1
    wgt_log "c: o1 gone $(wgt_since "$t0") s after its stop"
    wgt_assert_wait '[ "$(topo_holders c $P6)" = o2 ]' 10 "c: $P6 on o2 while o1 is down"
    ping_bg "$((RTT_LIM + 2))"
    topo_start o1 || return 1
    t0=$(wgt_now)
    while :; do
        t=$(wgt_since "$t0")
        awk -v t="$t" -v l="$BACK_LIM" 'BEGIN { exit !(t > l) }' && break
        r=$(rtt_c_o1)
        trace+=" $t:${r:--}"
        if [ -n "$r" ]; then
            [ -n "$first" ] || first="$r ms at $t s"
            last=$r
            hi=$(awk -v a="$hi" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
        fi
        tt+=("$t") rr+=("$r")
        [ -z "$back_at" ] && on_o1 && back_at=$t
        [ -n "$back_at" ] &&
            awk -v t="$t" -v l="$RTT_LIM" 'BEGIN { exit !(t > l) }' && break
        sleep 0.2
    done
    wait "$PING_PID"
    read -r pmed pmin pmax <<<"$(ping_median <"$WGT_DIR/ping.bg")"
    # The first reading within RTT_TOL of ping's median alongside.
    for i in "${!tt[@]}"; do
        near "${rr[i]}" "${pmed:-x}" "$RTT_TOL" && { ok_at=${tt[i]}; break; }
    done
    wgt_log "c's RTT to o1 after o1's restart (s:ms):$trace"
    echo "# rtt after restart ($WGT_BACKEND): c's RTT to o1 first ${first:-never}, within $RTT_TOL ms of ping's ($PING ms before the restart; alongside ${pmed:-?} ms, from ${pmin:-?} to ${pmax:-?}) ${ok_at:-never} s after o1 started, highest $hi ms, last $last ms; prefix back on o1 after ${back_at:-never} s"
    [ -n "$ok_at" ] && awk -v t="$ok_at" -v l="$RTT_LIM" 'BEGIN { exit !(t <= l) }' ||
        wgt_fail "c: RTT to o1 not within $RTT_TOL ms of ping's within $RTT_LIM s (at ${ok_at:-never} s)"
    [ -n "$pmed" ] && near "$last" "$pmed" "$RTT_TOL" ||
        wgt_fail "c: RTT to o1 at the end ${last:-none} ms, ping alongside ${pmed:-none} ms: more than $RTT_TOL ms apart"
    [ -n "$back_at" ] || wgt_fail "c: $P6 and $P4 not back on o1 within $BACK_LIM s"
}

t_ping() {
    local c1 c2
    c1=$(topo_echo_count o1)
    c2=$(topo_echo_count o2)
    wgt_exec c ping -q -n -c 20 -i 0.01 -W 1 -I "$(topo_addr6 c)" "$TOPO_ANYCAST6" >/dev/null ||
        wgt_fail "c: ping $TOPO_ANYCAST6 failed"
    wgt_assert_eq "$(($(topo_echo_count o1) - c1)) $(($(topo_echo_count o2) - c2))" "20 0" \
        "c -> $TOPO_ANYCAST6: echo requests at o1 and o2"
}

wgt_setup "client with two origins, the nearer by RTT ($WGT_BACKEND)" build
wgt_test "the prefix on the nearer origin; ping's RTT to it" t_before
wgt_test "after the nearer origin restarts: its RTT right, the prefix back" t_restart
wgt_test "pings to the anycast address reach the nearer origin again" t_ping
topo_done
