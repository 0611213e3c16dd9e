#!/bin/bash
# tests/e2e/egress.sh: anycast for egress (doc/egress.md).
#
#            e1* (0.0.0.0/0, ::/0)      * exits: announce the default routes,
#          /    \                         masquerade out of up0, count what
#        c        c4                      they forward to the "Internet"
#          \    /                       c: the client (IPv4 and IPv6)
#            e2* (metric 400)           c4: an IPv4-only client (denies ::/0)
#
# Every link is a WireGuard peering.  The clients' veths to the exits are
# deleted before the daemons start: the exits' WireGuard endpoints
# (198.51.100.i on their lo) are reachable only through the clients'
# default route via the underlay gateway "gw", which also stands for the
# Internet (203.0.113.1, 2001:db8:ff::1 on its lo).  So the learned default
# must not go into the main table over the host's: it goes into the egress
# table, behind rules that WireGuard's marked packets skip.  Checks: the
# tables, rules and fwmark; traffic to the Internet leaves through the
# nearest exit (e1) while the tunnel keeps working over the underlay; e1's
# daemon stops and traffic moves to e2 at once; e1 back, 400 better (more
# than egress-margin), the client moves back only after egress-hold (5 s
# here; a client that heard e2 first at its start does the same); the
# client crashes and restarts and adopts its rules;
# then the health checks (issue 15): each exit announces its defaults
# with an ICMP check of the Internet host bound to its uplink; e1's uplink
# stops carrying the Internet's packets (nft, ingress of up0: only those,
# the underlay still carries the tunnel) -> its check goes down -> c's
# echo requests at 100/s are answered through e2 within 1 s of the
# verdict (timed by the traffic, not by polling: so in the guest too); the uplink
# back -> the check rises -> c moves back after egress-hold; drain of e1
# while c sends 100 echo requests a second to the Internet: c moves well
# before e1 withdraws (at once: 0.2 s seen; not held back by the stable
# choice) and not one request is lost (counted at the exits' forward chain; replies that were on their
# way through e1 when c moved are dropped by c's cryptokey routing and
# counted apart); the clients' daemons stop and their rules, egress tables
# and fwmarks are byte-identical to before.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init egress

INET4=203.0.113.1
INET6=2001:db8:ff::1
TABLE=6696
MARK=0x1a28
HOLD=5
# The exits' check of the Internet host (bound to the uplink: doc/egress.md).
CHK="interval 1 fast-interval 0.2 rise 2 fall 2 timeout 0.3 bind up0"
DRAIN_DELAY=7
# From the check's verdict to the client's traffic on the other exit: at
# most 1 s (issue 15), seen by the traffic (t_uplink_fails), so in the
# emulated guest too.
MOVE_LIM=$(topo_bound egress.move)	# tests/e2e/bounds.sh
LAG_LIM=$(topo_bound sender.lag_ms)

ep_addr() { echo "198.51.100.$(topo_i "$1")"; }
up_addr() { local i; i=$(topo_i "$1"); echo "100.64.$((i / 250)).$((i % 250 + 2))"; }

# What the test compares at the end: rules, the egress table, the fwmark.
policy_state() {
    wgt_ip "$1" -4 rule show
    wgt_ip "$1" -6 rule show
    # (a table once used stays in the kernel, empty: listing it is no
    # error any more; what it holds is what counts)
    wgt_ip "$1" -4 route show table "$TABLE" 2>/dev/null
    wgt_ip "$1" -6 route show table "$TABLE" 2>/dev/null
    topo_wg "$1" fwmark
}

# The exits: their endpoint address, masquerade and counters.
setup_exit() {
    local e=$1
    wgt_ip "$e" addr add "$(ep_addr "$e")/32" dev lo || return 1
    wgt_ip gw route add "$(ep_addr "$e")/32" via "$(up_addr "$e")" || return 1
    wgt_exec "$e" nft -f - <<NFT || { wgt_fail "nft on $e"; return 1; }
table inet egress {
    chain counted {
        type filter hook forward priority 0;
        ip daddr $INET4 counter
        ip6 daddr $INET6 counter
    }
    chain nat_out {
        type nat hook postrouting priority 100;
        oifname "up0" masquerade
    }
}
NFT
}

# A client: no veth to the exits, their endpoints behind the gateway; its
# uplink address a /32, so that even the exits' uplink addresses (which
# WireGuard may roam to) are reached only through the gateway.
setup_client() {
    local c=$1 e
    wgt_ip "$c" -b - <<IP || return 1
addr del $(up_addr "$c")/16 dev up0
addr add $(up_addr "$c")/32 dev up0
route add $TOPO_GW4/32 dev up0
route add default via $TOPO_GW4 dev up0
route add 10.9.9.0/24 via $TOPO_GW4 dev up0 proto static
IP
    for e in e1 e2; do
        wgt_ip "$c" link del "ve-$e" || return 1
        wgt_exec "$c" wg set "$(topo_if "$c")" peer "${WGT_PUB[$e/wg0]}" \
            endpoint "$(ep_addr "$e"):${WGT_PORT[$e/wg0]}" || return 1
        # The exit answers from its endpoint address, so the client keeps
        # that endpoint (WireGuard roams to the source it hears from).
        # Before the endpoint is set: kernel WireGuard keeps the source
        # address of its first send to it.
        wgt_ip "$e" route add "$(up_addr "$c")/32" dev up0 src "$(ep_addr "$e")" || return 1
        wgt_exec "$e" wg set "$(topo_if "$e")" peer "${WGT_PUB[$c/wg0]}" \
            endpoint "$(up_addr "$c"):${WGT_PORT[$c/wg0]}" || return 1
    done
    policy_state "$c" >"$WGT_DIR/policy.$c.before"
}

build() {
    topo_node c e1 e2 c4
    topo_link c e1
    topo_link c e2
    topo_link c4 e1
    topo_link c4 e2
    topo_announce e1 "0.0.0.0/0 check icmp $INET4 $CHK drain-delay $DRAIN_DELAY"
    topo_announce e1 "::/0 check icmp $INET6 $CHK"
    topo_announce e2 "0.0.0.0/0 metric 400 check icmp $INET4 $CHK"
    topo_announce e2 "::/0 metric 400 check icmp $INET6 $CHK"
    topo_conf c "egress-hold $HOLD"
    topo_conf c4 "egress-hold $HOLD"
    topo_conf c "route-source $(topo_addr4 c)"
    topo_conf c "route-source $(topo_addr6 c)"
    topo_conf c4 "in prefix ::/0 le 0 deny"
    topo_build || return 1
    wgt_exec gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
    wgt_ip gw addr add "$INET4/32" dev lo || return 1
    wgt_ip gw addr add "$INET6/128" dev lo nodad || return 1
    setup_exit e1 || return 1
    setup_exit e2 || return 1
    setup_client c || return 1
    setup_client c4 || return 1
    topo_launch || return 1
    topo_wait_converged 60
}

# Packets each exit forwarded to the Internet (both families).
fwd_count() {
    wgt_exec "$1" nft list chain inet egress counted |
        awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# NODE pings DST 10 times (its own choice of source address); the exit
# WANT must have forwarded the 10, the other none.
ping_via() {
    local n=$1 dst=$2 want=$3 a1 a2 d1 d2
    a1=$(fwd_count e1)
    a2=$(fwd_count e2)
    wgt_exec "$n" ping -q -n -c 10 -i 0.05 -W 1 "$dst" >/dev/null ||
        { wgt_fail "$n: ping $dst failed"; return 1; }
    d1=$(($(fwd_count e1) - a1))
    d2=$(($(fwd_count e2) - a2))
    [ "$want" = e1 ] && want="10 0" || want="0 10"
    wgt_assert_eq "$d1 $d2" "$want" "$n -> $dst: echo requests forwarded by e1 and e2"
}

t_tables() {
    local r
    wgt_assert_wait "topo_ctl c show fib | grep -q '^0.0.0.0/0 .* egress'" 10 "c: 0.0.0.0/0 in the egress table"
    wgt_assert_wait "topo_ctl c show fib | grep -q '^::/0 .* egress'" 10 "c: ::/0 in the egress table"
    r=$(wgt_ip c -4 rule show)
    wgt_assert_contains "$r" "32700:	from all lookup main suppress_prefixlength 0 proto babel" "c: IPv4 rules"
    wgt_assert_contains "$r" "32701:	not from all fwmark $MARK lookup $TABLE proto babel" "c: IPv4 rules"
    r=$(wgt_ip c -6 rule show)
    wgt_assert_contains "$r" "32701:	not from all fwmark $MARK lookup $TABLE proto babel" "c: IPv6 rules"
    r=$(wgt_ip c -4 route show table "$TABLE")
    wgt_log "c: table $TABLE: $r"
    grep -Eq "^default (nhid [0-9]+ )?dev $(topo_if c) proto babel" <<<"$r" ||
        wgt_fail "c: IPv4 egress table: '$r'"
    wgt_assert_contains "$r" "src $(topo_addr4 c)" "c: the egress route's source (route-source)"
    r=$(wgt_ip c -6 route show table "$TABLE")
    wgt_assert_contains "$r" "src $(topo_addr6 c)" "c: IPv6 egress table"
    # The host's own default stays the main table's only one.
    wgt_assert_eq "$(wgt_ip c -4 route show default | tr -s ' ')" "default via $TOPO_GW4 dev up0 " "c: main table's default"
    wgt_assert_eq "$(topo_wg c fwmark)" "$MARK" "c: WireGuard fwmark"
    # The IPv4-only client: IPv4 rules, no IPv6 rule, nothing in its
    # IPv6 egress table.
    wgt_assert_wait "wgt_ip c4 -4 rule show | grep -q 'lookup $TABLE'" 10 "c4: IPv4 egress rule"
    wgt_assert_not_contains "$(wgt_ip c4 -6 rule show)" "lookup $TABLE" "c4: IPv6 rules"
    wgt_assert_eq "$(wgt_ip c4 -6 route show table "$TABLE" 2>/dev/null)" "" "c4: IPv6 egress table"
    # An exit originates the default: no egress rule, no mark.
    wgt_assert_not_contains "$(wgt_ip e1 -4 rule show; wgt_ip e1 -6 rule show)" "lookup $TABLE" "e1: rules"
    wgt_assert_eq "$(topo_wg e1 fwmark)" off "e1: WireGuard fwmark"
}

# Until every client is on e1 (one that heard e2 first moves after the hold).
on_e1() {
    [ "$(topo_holder c 0.0.0.0/0)" = e1 ] && [ "$(topo_holder c ::/0)" = e1 ] &&
        [ "$(topo_holder c4 0.0.0.0/0)" = e1 ]
}

t_nearest_exit() {
    local t0
    t0=$(wgt_now)
    wgt_assert_wait on_e1 $((HOLD * 4)) "the clients' defaults on e1"
    wgt_log "clients on e1 $(wgt_since "$t0") s after convergence"
    ping_via c "$INET4" e1
    ping_via c "$INET6" e1
    ping_via c4 "$INET4" e1
}

# WireGuard's own packets (marked) take the main table to the endpoint,
# through the gateway; anything else to that address takes the egress
# table.  The tunnel to each exit carries traffic, so its packets do reach
# the endpoint.  (The endpoint is the one set, or the exit's uplink address
# when WireGuard roamed to it: both only behind the gateway.)
t_endpoints_stay_on_the_underlay() {
    local e r ep
    for e in e1 e2; do
        wgt_assert_ping c "$(topo_addr4 "$e")" 3
        ep=$(topo_wg c endpoints | awk -v k="${WGT_PUB[$e/wg0]}" '$1 == k { print $2 }')
        ep=${ep%:*}
        wgt_log "c: endpoint of $e: $ep"
        [ "$ep" = "$(ep_addr "$e")" ] || [ "$ep" = "$(up_addr "$e")" ] ||
            wgt_fail "c: endpoint of $e is '$ep'"
        r=$(wgt_ip c route get "$ep" mark "$MARK")
        wgt_assert_contains "$r" "via $TOPO_GW4 dev up0" "c: route to $e's endpoint, marked"
        r=$(wgt_ip c route get "$ep")
        wgt_assert_contains "$r" "dev $(topo_if c) table $TABLE" "c: route to $e's endpoint, unmarked"
    done
}

t_exit_stops() {
    local t0
    t0=$(wgt_now)
    topo_stop e1 || return 1
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e2 ]" 10 "c: 0.0.0.0/0 on e2"
    wgt_log "c: default route on e2 $(wgt_since "$t0") s after e1's daemon was told to stop"
    wgt_assert_wait "[ \"\$(topo_holder c ::/0)\" = e2 ]" 10 "c: ::/0 on e2"
    ping_via c "$INET4" e2
    ping_via c "$INET6" e2
    wgt_assert_wait "[ \"\$(topo_holder c4 0.0.0.0/0)\" = e2 ]" 10 "c4: 0.0.0.0/0 on e2"
    ping_via c4 "$INET4" e2
}

# e1 is back, better by more than egress-margin: the client stays on e2
# for the hold, then moves (Babel's usual selection would move at once).
t_stable_choice() {
    local t0
    topo_start e1 || return 1
    wgt_assert_wait "topo_ctl c show routes | grep -E '^. 0\.0\.0\.0/0 +via $(topo_ll e1) .* metric [0-9]+ refmetric 0 '" 20 "c: e1's default heard again"
    t0=$(wgt_now)
    wgt_assert_eq "$(topo_holder c 0.0.0.0/0)" e2 "c: 0.0.0.0/0 still on e2 when e1 is heard"
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e1 ]" $((HOLD * 3)) "c: 0.0.0.0/0 back on e1"
    wgt_log "c: back on e1 $(wgt_since "$t0") s after e1's default was seen (egress-hold $HOLD s)"
    awk -v t="$(wgt_since "$t0")" -v h="$HOLD" 'BEGIN { exit !(t >= h - 1.5) }' ||
        wgt_fail "c moved back to e1 before the hold"
    ping_via c "$INET4" e1
}

# The client crashes (SIGKILL): its rules, mark and egress routes stay;
# started again it adopts them from its ledgers: one rule of each, not two.
t_crash_adopts() {
    local f n
    topo_kill c || return 1
    wgt_assert_contains "$(wgt_ip c -4 rule show)" "lookup $TABLE" "c: IPv4 rules after the crash"
    topo_start c || return 1
    wgt_assert_wait "topo_ctl c show fib | grep -q '^0.0.0.0/0 .* egress'" 15 "c: 0.0.0.0/0 in the egress table again"
    for f in -4 -6; do
        n=$(wgt_ip c "$f" rule show | grep -c "proto babel")
        wgt_assert_eq "$n" 2 "c: rules of ours (ip $f rule)"
    done
    wgt_assert_eq "$(topo_wg c fwmark)" "$MARK" "c: WireGuard fwmark"
    wgt_assert_contains "$(cat "$WGT_DIR/wgbabeld-c.log")" "egress rules kept by a previous run" "c's log"
    # A new process selects afresh: the nearest exit again (after the
    # hold if it heard e2 first).
    wgt_assert_wait "[ \"\$(topo_holder c 0.0.0.0/0)\" = e1 ]" $((HOLD * 4)) "c: 0.0.0.0/0 on e1"
    ping_via c "$INET4" e1
}

# Polls (each look at wg costs tens of ms) until c holds 0.0.0.0/0 on
# EXIT, for at most SECONDS; sets MOVED_AT to the time it was seen.
wait_move() {
    local deadline
    deadline=$(awk -v n="$(wgt_now)" -v t="$2" 'BEGIN { printf "%.3f", n + t }')
    until [ "$(topo_holder c 0.0.0.0/0)" = "$1" ]; do
        awk -v n="$(wgt_now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && return 1
    done
    MOVED_AT=$(wgt_now)
}

check_json() { topo_ctl "$1" --json show checks | tr '}' '\n' | grep "\"prefix\":\"$2\""; }
check_state() { check_json "$1" "$2" | grep -o '"state":"[a-z]*"' | cut -d'"' -f4; }

# e1's uplink stops carrying the Internet's packets: its checks go down,
# it withdraws the defaults, the clients move to e2.  The move is seen by
# what c's traffic does, not by polling c's allowed IPs (whose process
# starts under TCG cost more than the move): c sends 100 echo requests a
# second to the Internet all through; those sent after the uplink failed
# and before c moved go to e1 and get no reply; the first one answered
# after them went through e2.  So c moved after the last unanswered
# request was sent and before that one was: the figure is the daemons'.
t_uplink_fails() {
    local vt t0 a1 ppid out gap lost l0 ok secs line
    secs=$(topo_bound egress.uplink_window)
    wgt_assert_wait "[ \"\$(check_state e1 0.0.0.0/0)\" = up ] && [ \"\$(check_state e2 0.0.0.0/0)\" = up ]" 10 "the exits' checks up"
    wgt_assert_contains "$(topo_ctl e1 show checks)" "icmp $INET4: ok, echo reply" "e1: show checks"
    wgt_assert_eq "$(topo_holder c 0.0.0.0/0)" e1 "c: 0.0.0.0/0 on e1 before the failure"
    a1=$(fwd_count e1)
    wgt_exec c python3 "$TOPO_HERE/ping100.py" "$(topo_addr4 c)" "$INET4" "$secs" >"$WGT_DIR/ping100-fail.out" 2>&1 &
    ppid=$!
    # Under emulation python's start alone took 9-12 s (c's allowed IP on
    # e1 and its egress default in place all along, e1 counting nothing
    # yet), once more than 30 s beside a loaded host: the sender's window
    # opens when it says so.
    t0=$(wgt_now)
    wgt_wait_until "grep -q '^started' '$WGT_DIR/ping100-fail.out'" 60 ||
        { wgt_fail "ping100.py did not start"; kill "$ppid"; return 1; }
    wgt_log "ping100.py started $(wgt_since "$t0") s after it was run"
    # Until e1 carries it, what c does is sampled (the timeline says
    # where it went otherwise).
    t0=$(wgt_now)
    line=
    while [ "$(fwd_count e1)" -lt $((a1 + 20)) ]; do
        line+="$(wgt_since "$t0"):$(topo_holder c 0.0.0.0/0 || echo -)/$(wgt_ip c -4 route show table "$TABLE" | grep -c '^default')/e1+$(($(fwd_count e1) - a1)) "
        awk -v t="$(wgt_since "$t0")" 'BEGIN { exit !(t > 30) }' && break
        sleep 0.5
    done
    if [ "$(fwd_count e1)" -ge $((a1 + 20)) ]; then
        wgt_log "c's traffic through e1 $(wgt_since "$t0") s after it began${line:+ (s:holder/egress defaults/e1 count: $line)}"
    else
        wgt_fail "no traffic through e1 before the failure"
        wgt_log "c, s:holder/egress defaults/e1 count: $line"
        wgt_log "c: $(topo_ctl c show fib | grep '^0.0.0.0/0' | tr '\n' ';')"
    fi
    t0=$(wgt_now)
    wgt_exec e1 nft -f - <<NFT || { wgt_fail "nft drop on e1's uplink"; return 1; }
table netdev uplink {
    chain in {
        type filter hook ingress device up0 priority 0;
        ip saddr $INET4 drop
        ip6 saddr $INET6 drop
    }
}
NFT
    # Nothing polls c while the traffic measures the move.
    wait "$ppid"
    out=$(cat "$WGT_DIR/ping100-fail.out")
    wgt_log "c's echo requests through the failure: $(tr '\n' ' ' <<<"$out")"
    vt=$(topo_log_time e1 "check 0\.0\.0\.0/0 down:") || { wgt_fail "no verdict in e1's log"; return 1; }
    wgt_assert_eq "$(topo_holder c 0.0.0.0/0)" e2 "c: 0.0.0.0/0 on e2 after e1's check failed"
    gap=$(sed -n 's/^gap //p' <<<"$out")
    read -r lost l0 ok <<<"$gap"
    [ "${lost:-0}" -gt 0 ] || { wgt_fail "no unanswered echo request, or none answered after them: '$out'"; return 1; }
    FAIL_DT=$(awk -v a="$vt" -v b="$ok" 'BEGIN { printf "%.3f", b - a }')
    FAIL_LOST=$lost
    DETECT_DT=$(awk -v a="$t0" -v b="$vt" 'BEGIN { printf "%.3f", b - a }')
    wgt_log "e1's check: verdict ${DETECT_DT}s after its uplink stopped carrying the Internet's packets"
    wgt_log "e1's check of 0.0.0.0/0 down (log $(grep "check 0.0.0.0/0 down:" "$WGT_DIR/wgbabeld-e1.log" | tail -n 1 | cut -d' ' -f1)); c's traffic on e2 ${FAIL_DT}s after the verdict (the first answered request after $lost unanswered, the first of them sent $(awk -v a="$t0" -v b="$l0" 'BEGIN { printf "%.3f", b - a }')s after the uplink failed)"
    # The unanswered run starts when the uplink failed (a request or
    # two already on its way may still have been answered) and ends at
    # the move, which comes after the verdict.
    awk -v a="$t0" -v b="$l0" 'BEGIN { exit !(b - a >= -0.05 && b - a <= 1.0) }' ||
        wgt_fail "the unanswered requests began $(awk -v a="$t0" -v b="$l0" 'BEGIN { print b - a }')s after the uplink failed: not the failure's"
    awk -v d="$FAIL_DT" -v l="$MOVE_LIM" 'BEGIN { exit !(d >= -0.1 && d <= l) }' ||
        wgt_fail "c's traffic moved ${FAIL_DT}s after the verdict, not within $MOVE_LIM s"
    wgt_assert_contains "$(check_json e1 0.0.0.0/0)" '"announced":false' "e1: 0.0.0.0/0 withdrawn"
    wgt_assert_wait "[ \"\$(check_state e1 ::/0)\" = down ]" 5 "e1's ICMPv6 check down"
    wgt_assert_wait "[ \"\$(topo_holder c ::/0)\" = e2 ]" 5 "c: ::/0 on e2"
    wgt_assert_wait "[ \"\$(topo_holder c4 0.0.0.0/0)\" = e2 ]" 5 "c4: 0.0.0.0/0 on e2"
    wgt_assert_eq "$(check_state e2 0.0.0.0/0)" up "e2's check"
    # The tunnel to e1 still works (only the Internet is gone there);
    # the Internet is reached through e2.
    wgt_assert_ping c "$(topo_addr4 e1)" 3
    ping_via c "$INET4" e2
    ping_via c "$INET6" e2
    ping_via c4 "$INET4" e2
}

# The uplink back: e1's check rises, it announces again; c, holding a
# usable route through e2, moves back only after egress-hold.
t_uplink_recovers() {
    local vt dt
    wgt_exec e1 nft delete table netdev uplink || { wgt_fail "nft delete"; return 1; }
    wgt_assert_wait "[ \"\$(check_state e1 0.0.0.0/0)\" = up ]" 10 "e1's check up again"
    vt=$(topo_log_time e1 "check 0\.0\.0\.0/0 up:") || { wgt_fail "no up verdict in e1's log"; return 1; }
    wait_move e1 $((HOLD * 3)) || { wgt_fail "c did not move back to e1"; return 1; }
    dt=$(awk -v a="$vt" -v b="$MOVED_AT" 'BEGIN { printf "%.3f", b - a }')
    BACK_DT=$dt
    wgt_log "e1's check up again; c back on e1 ${dt}s after the verdict (egress-hold $HOLD s)"
    awk -v d="$dt" -v h="$HOLD" 'BEGIN { exit !(d >= h - 1.5) }' ||
        wgt_fail "c moved back to e1 ${dt}s after the verdict, before the hold"
    wgt_assert_wait "[ \"\$(topo_holder c ::/0)\" = e1 ]" $((HOLD * 2)) "c: ::/0 back on e1"
    ping_via c "$INET4" e1
}

# Drain of e1 while c sends 100 echo requests a second to the Internet:
# c moves to e2 while e1 still forwards (draining, before drain-delay
# withdraws it); no request is lost.  Replies
# the Internet sent back through e1 just before the move find c's
# allowed IPs on e2 and are dropped (cryptokey routing): counted apart.
t_drain_loses_nothing() {
    local a1 a2 out sent recv lag got d1 d2 t0 ppid secs=6
    a1=$(fwd_count e1)
    a2=$(fwd_count e2)
    wgt_exec c python3 "$TOPO_HERE/ping100.py" "$(topo_addr4 c)" "$INET4" "$secs" >"$WGT_DIR/ping100.out" 2>&1 &
    ppid=$!
    wgt_wait_until "[ \$(fwd_count e1) -ge $((a1 + 50)) ]" 30 ||
        wgt_fail "no traffic through e1 before the drain"
    topo_ctl e1 drain 0.0.0.0/0 >/dev/null || wgt_fail "wgbabelctl drain"
    t0=$(wgt_now)
    MOVED_AT=
    wait_move e2 $((HOLD * 2)) || wgt_fail "c did not move to e2 after the drain"
    DRAIN_DT=$(awk -v a="$t0" -v b="${MOVED_AT:-$t0}" 'BEGIN { printf "%.3f", b - a }')
    wgt_assert_contains "$(check_json e1 0.0.0.0/0)" '"drain":"draining"' "e1 still draining when c moved"
    wait "$ppid"
    out=$(cat "$WGT_DIR/ping100.out")
    sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
    recv=$(sed -n 's/.* received \([0-9]*\) .*/\1/p' <<<"$out")
    lag=$(sed -n 's/.* late \([0-9]*\) ms$/\1/p' <<<"$out")
    [ -n "$sent" ] || { wgt_fail "ping100: $out"; return 1; }
    d1=$(($(fwd_count e1) - a1))
    d2=$(($(fwd_count e2) - a2))
    got=$((d1 + d2))
    DRAIN_SENT=$sent DRAIN_LOST=$((sent - got)) DRAIN_NOREPLY=$((sent - recv))
    wgt_log "drain: c on e2 ${DRAIN_DT}s after the command; $sent echo requests in $secs s, $got forwarded to the Internet (e1 $d1, e2 $d2), $recv replies ($DRAIN_NOREPLY missing: in flight through e1); the sender at most ${lag:-?} ms late"
    [ "$LAG_LIM" = - ] || [ "${lag:-9999}" -le "$LAG_LIM" ] ||
        wgt_fail "the sender fell ${lag:-?} ms behind its 100/s schedule"
    [ "$d1" -ge 50 ] && [ "$d2" -ge 50 ] || wgt_fail "the traffic was not on e1 then on e2 (e1 $d1, e2 $d2)"
    wgt_assert_eq "$DRAIN_LOST" 0 "echo requests lost in the drain"
    # Replies lost: only those in flight at the move (a few at 100/s).
    [ "$DRAIN_NOREPLY" -ge 0 ] && [ "$DRAIN_NOREPLY" -le 20 ] ||
        wgt_fail "$DRAIN_NOREPLY echo replies missing, more than the move's in-flight ones"
    wgt_assert_wait "check_json e1 0.0.0.0/0 | grep -q '\"drain\":\"drained\",.*\"announced\":false'" $((DRAIN_DELAY + 2)) "e1 withdrawn after drain-delay"
    ping_via c "$INET4" e2
}

t_cleanup() {
    local c
    for c in c c4; do
        topo_stop "$c" || return 1
        policy_state "$c" >"$WGT_DIR/policy.$c.after"
        diff -u "$WGT_DIR/policy.$c.before" "$WGT_DIR/policy.$c.after" >&2 ||
            wgt_fail "$c: rules, egress table or fwmark differ from before"
    done
}

wgt_setup "client and IPv4-only client, two exits, endpoints behind the gateway ($WGT_BACKEND)" build
wgt_test "learned defaults in the egress table behind our rules, main's default intact" t_tables
wgt_test "Internet traffic leaves through the nearest exit" t_nearest_exit
wgt_test "the endpoints stay on the underlay (fwmark), the tunnel works" t_endpoints_stay_on_the_underlay
wgt_test "the nearest exit's daemon stops: traffic moves to the other at once" t_exit_stops
wgt_test "the first exit back, better by the margin: a move only after the hold" t_stable_choice
wgt_test "the client crashes and restarts: its rules adopted, not made twice" t_crash_adopts
wgt_test "e1's uplink fails: its check withdraws, c moves within 1 s of the verdict" t_uplink_fails
wgt_test "e1's uplink back: its check rises, c moves back after the hold" t_uplink_recovers
wgt_test "drain of e1 at 100 echo requests/s: c moves, no request lost" t_drain_loses_nothing
wgt_test "the clients stop: rules, tables and fwmarks as before" t_cleanup
echo "# egress health check ($WGT_BACKEND): verdict ${DETECT_DT:-?}s after the uplink failed, c's traffic on e2 ${FAIL_DT:-?}s after e1's verdict (${FAIL_LOST:-?} echo requests unanswered at 100/s), back ${BACK_DT:-?}s after its up verdict (hold $HOLD s); drain: moved after ${DRAIN_DT:-?}s, ${DRAIN_LOST:-?} of ${DRAIN_SENT:-?} echo requests lost, ${DRAIN_NOREPLY:-?} replies dropped in flight"
topo_done
