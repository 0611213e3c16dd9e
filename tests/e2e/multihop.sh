#!/bin/bash
# tests/e2e/multihop.sh: a partial mesh where traffic crosses four
# WireGuard hops, and restarts of wgbabeld on a transit node.
#
#        n1 ---- n2 ---- n3 ---- n4 ---- n5      ~~ 60 ms each way
#         \~~~~~~~~~~~~~/ \~~~~~~~~~~~~~/
#          (n1-n3)   (n2-n4)
#
# n1 -> n5 is best over n2, n3, n4 (4 x 96 = 384; the shortcuts over the slow
# links cost 438), so the reply from n5 reaches n1 with hop limit 61.
# Then n3 (transit) restarts: after a crash (SIGKILL, then started again,
# while n5 withdraws a prefix in between) and after a SIGTERM; the flow
# n1 -> n5 is measured, n3's AllowedIPs must keep every live prefix (never
# withdrawn, sampled every 0.1 s) and lose the stale one.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init multihop

STALE=2001:db8:55::/48

# The main path wins by 54 (384 against 438), a margin the RTT penalty of
# a 0 ms link eats when its RTT samples reach about 25 ms.  Under the qemu
# guest's emulated CPU they do (5 to 170 ms seen), and the routes kept
# moving: no symmetric path within 30 s, 31 % lost in a restart (CI,
# 2026-11-30).  On wireguard-go on the host it happened once too (CI,
# 2026-12-01: no symmetric path within 30 s, 65 pings lost in a crash
# restart), so everywhere the penalty starts at 40 ms; the 60 ms links
# (RTT 120 ms and more) still get all of it.  What this scenario tests is
# transit over four hops and restarts, not RTT noise on a loaded machine.
TOPO_IF_EXTRA="rtt-min 40"
# Restart loss bounds, host and guest, each with its measured cause:
# tests/e2e/bounds.sh (multihop.*).
RESTART_LIM=$(topo_bound multihop.restart_lost)
KEEP_GAP_LIM=$(topo_bound multihop.keep_gap)
KEEP_LOST_LIM=$(topo_bound multihop.keep_lost)

build() {
    topo_node n1 n2 n3 n4 n5
    topo_link n1 n2
    topo_link n2 n3
    topo_link n3 n4
    topo_link n4 n5
    topo_link n1 n3 60
    topo_link n2 n4 60
    topo_up || return 1
    topo_wait_converged 60 || return 1
    capture_start
}

# Every node's WireGuard interface is captured (ICMPv6 only), so that each
# ping lost in a restart is found where it went missing (tests/e2e/hops.py;
# the captures stay in $WGT_DIR with WGT_KEEP=1).
capture_start() {
    local n
    for n in n1 n2 n3 n4 n5; do
        wgt_daemon "$n" "tcpdump-$n" tcpdump -U -i "${WGT_IF[$n/wg0]}" -n -w "$WGT_DIR/cap.$n" icmp6 ||
            return 1
    done
    for n in n1 n2 n3 n4 n5; do
        wgt_wait_until "grep -q 'listening on' $WGT_DIR/tcpdump-$n.log" 20 ||
            { wgt_fail "tcpdump on $n did not start"; return 1; }
    done
}

# losses_explain FROM TO: the requests and replies of the ping sent
# between the epoch times FROM and TO that were lost, by where they went
# missing (hops.py); sets LOSS_WHERE ("N request n2>, ..."), LOST_REQ and
# LOST_REP (counted from the captures) and UNEXPLAINED (lost elsewhere
# than on the paths listed below).
#   request n2>  left n2 and never arrived: in flight on the detour n2 -> n4
#                when n4 took n1's address back to n3 (WireGuard at n4
#                drops a packet from a peer that no longer holds its source)
#   request n3>  left n3 for n4 after n4 had moved n1's address off n3
#   reply n4>    in flight on the detour n4 -> n2 when n2 took n5's address
#                back to n3
#   reply n3>    left n3 for n2 after n2 had moved n5's address off n3
losses_explain() {
    local out
    out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/hops.py" "$1" "$2" \
        "n1=$(topo_addr6 n1)" "n5=$(topo_addr6 n5)" \
        n1="$WGT_DIR/cap.n1" n2="$WGT_DIR/cap.n2" n3="$WGT_DIR/cap.n3" \
        n4="$WGT_DIR/cap.n4" n5="$WGT_DIR/cap.n5") || { wgt_fail "hops.py failed"; return 1; }
    # A ping whose reply came back was not lost, whatever the captures
    # say: tcpdump under load misses packets, and the last of a window may
    # not be written yet when hops.py reads (a keep-routes restart that
    # lost nothing once showed 48 "reply n4>", the window's last 48).
    out=$(awk 'NR == FNR { if (match($0, /icmp_seq=[0-9]+/))
                               got[substr($0, RSTART + 9, RLENGTH - 9)] = 1
                           next }
               !($2 in got)' "$WGT_DIR/ping.n1" - <<<"$out")
    echo "$out" >"$WGT_DIR/lost.$3"
    LOST_REQ=$(grep -c '^request' <<<"$out")
    LOST_REP=$(grep -c '^reply' <<<"$out")
    LOSS_WHERE=$(grep . <<<"$out" | awk '{ print $1, $3 }' | sort | uniq -c | awk '{ printf "%s%s %s %s", s, $1, $2, $3; s = ", " }')
    UNEXPLAINED=$(grep -vE '^(request [0-9]+ n[23]>|reply [0-9]+ n[34]>)$' <<<"$out" | grep -c .)
    wgt_log "lost, by where: ${LOSS_WHERE:-none}"
}

# captures_report TAG: what the captures say was lost elsewhere than in
# flight on a path left, logged, not asserted. The captures explain losses
# but do not count them: in a CI run (2026-12-05, loaded host) ping lost 4
# replies of a SIGTERM restart while the captures, missing packets that
# did arrive, put 31 replies nowhere after n2 or n3 ("reply n3>" 22).
# What is asserted is what the ping itself lost (TOPO_LOST).
captures_report() {
    [ "${UNEXPLAINED:-0}" = 0 ] ||
        wgt_log "captures: $UNEXPLAINED pings not seen past another place (requests $LOST_REQ, replies $LOST_REP by the captures; see $WGT_DIR/lost.$1)"
}

# Each node on the path holds n5's address on the next one, and n1's on
# the one before: both ways, since WireGuard takes a packet only from the
# peer whose allowed IPs hold its source.  While the return path still
# differs (n3 -> n1 over the slow link, as long as the first RTT samples
# of n1 - n2, which include the WireGuard handshake, keep that link dear:
# several seconds under qemu TCG), n1 drops n5's replies that come from
# peer n3.
path_is() {
    [ "$(topo_holders n1 "$(topo_addr6 n5)/128")" = n2 ] &&
        [ "$(topo_holders n2 "$(topo_addr6 n5)/128")" = n3 ] &&
        [ "$(topo_holders n3 "$(topo_addr6 n5)/128")" = n4 ] &&
        [ "$(topo_holders n4 "$(topo_addr6 n5)/128")" = n5 ] &&
        [ "$(topo_holders n5 "$(topo_addr6 n1)/128")" = n4 ] &&
        [ "$(topo_holders n4 "$(topo_addr6 n1)/128")" = n3 ] &&
        [ "$(topo_holders n3 "$(topo_addr6 n1)/128")" = n2 ] &&
        [ "$(topo_holders n2 "$(topo_addr6 n1)/128")" = n1 ]
}

t_path() {
    wgt_assert_wait path_is 30 "n1 -> n2 -> n3 -> n4 -> n5 and back in AllowedIPs" || return 1
    local out
    out=$(wgt_exec n1 ping -n -c 3 -i 0.2 -I "$(topo_addr6 n1)" "$(topo_addr6 n5)" 2>&1)
    wgt_assert_contains "$out" "ttl=61" "ping n1 -> n5 (hop limit 64 - 3 routers)"
    out=$(wgt_exec n1 ping -n -c 3 -i 0.2 -I "$(topo_addr4 n1)" "$(topo_addr4 n5)" 2>&1)
    wgt_assert_contains "$out" "ttl=61" "ping n1 -> n5 over IPv4 (via IPv6 next hops)"
}

# Echo requests from n1 that reached n5, counted by nftables on n5's input:
# a request lost (what a planned restart must not lose) is told apart from
# a reply lost on its way back (WireGuard drops a reply that comes from a
# peer that no longer holds its source, when n2 or n4 switch back).
req_reset() {
    wgt_exec n5 nft -f - <<EOF
table inet wgbreq
delete table inet wgbreq
table inet wgbreq {
    chain in {
        type filter hook input priority 0;
        ip6 saddr $(topo_addr6 n1) icmpv6 type echo-request counter
    }
}
EOF
}
req_count() {
    wgt_exec n5 nft list table inet wgbreq |
        awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# After topo_loss_wait: REQ_LOST and REP_LOST from the counter.
req_split() {
    local arrived
    arrived=$(req_count)
    [ -n "$arrived" ] || { wgt_fail "no request counter on n5"; REQ_LOST='?' REP_LOST='?'; return 1; }
    REQ_LOST=$((TOPO_SENT - arrived))
    REP_LOST=$((arrived - (TOPO_SENT - TOPO_LOST)))
}

static_of() { # static allowed IPs NODE has for PEER
    topo_wg "$1" allowed-ips | grep "^${WGT_PUB[$2/wg0]}" | tr ' \t' '\n\n' |
        grep -E "^($(topo_ll "$2")/128|$(topo_tun4 "$2")/32|$(topo_tun6 "$2")/128)$" | sort | tr '\n' ' '
}

# Sample n3's AllowedIPs every 0.1 s into $WGT_DIR/samples.
sampler() {
    local line
    while :; do
        line=$(topo_wg n3 allowed-ips | tr '\t\n' ' ;')
        echo "$line" >>"$WGT_DIR/samples"
        sleep 0.1
    done
}

t_crash_restart() {
    local static2 static4 spid live bad t0
    topo_ctl n5 announce "$STALE" >/dev/null || return 1
    wgt_assert_wait "[ \"\$(topo_holders n3 $STALE)\" = n4 ]" 20 "n3 holds $STALE on n4" || return 1
    static2=$(static_of n3 n2)
    static4=$(static_of n3 n4)
    : >"$WGT_DIR/samples"
    sampler &
    spid=$!
    req_reset || return 1
    t0=$(wgt_now)
    topo_loss_bg n1 "$(topo_addr6 n5)" 10
    sleep 1
    topo_kill n3
    topo_ctl n5 withdraw "$STALE" >/dev/null
    sleep 0.5
    topo_start n3
    topo_loss_wait n1
    req_split
    losses_explain "$t0" "$(wgt_now)" crash
    wgt_log "crash-restart of transit n3: $TOPO_LOST of $TOPO_SENT pings lost (${TOPO_LOSS}%): $REQ_LOST requests, $REP_LOST replies"
    LOSS_CRASH="$TOPO_LOST of $TOPO_SENT ($REQ_LOST requests, $REP_LOST replies; ${LOSS_WHERE:-none})"
    # n3's AllowedIPs and routes stay (checked below) and go on
    # forwarding, but its neighbours hear ICMP port unreachable from its
    # Babel port while it is down and drop it at once (021946b): n2 and n4
    # detour over their 60 ms link until n3 is back.  Each move loses what
    # is in flight on the path left, since WireGuard drops a packet from a
    # peer that no longer holds its source (captures, 2026-12-05, three
    # runs on wireguard-go: 9 to 12 lost, every one of them so): when
    # n4 moves n1's address off n3 before n2 moves n5's, the requests n3
    # still forwards (0 to 3, "request n3>"); when both move back, what is
    # in flight on the detour, in each direction about its one-way delay
    # (60 ms, 6 at 100/s; "request n2>", "reply n4>").  The issue's target
    # is under 1 s of loss (100 pings); the host bound is the detour's
    # RTT twice over, as failover.sh's.  In the qemu guest (TCG: every
    # process start and write ~10 times slower) its own bound:
    # RESTART_LIM, tests/e2e/bounds.sh.
    [ "$TOPO_LOST" -le "$RESTART_LIM" ] || wgt_fail "n1 -> n5 lost $TOPO_LOST pings across n3's restart, more than $RESTART_LIM"
    captures_report crash
    # The stale prefix goes (at the latest when the restart grace period,
    # 30 s, ends); nothing live was ever missing.
    t0=$(wgt_now)
    wgt_assert_wait "[ -z \"\$(topo_holders n3 $STALE)\" ]" 40 "stale $STALE gone from n3" &&
        wgt_log "stale prefix removed $(wgt_since "$t0")s after the restart"
    kill "$spid"
    wait "$spid" 2>/dev/null
    sed -i '$d' "$WGT_DIR/samples"    # the last one may be cut short
    live="$(topo_addr6 n5)/128"
    bad=$(grep -vc "${WGT_PUB[n4/wg0]} [^;]*$live" "$WGT_DIR/samples")
    wgt_log "$(wc -l <"$WGT_DIR/samples") samples of n3's AllowedIPs, $bad without $live on n4"
    wgt_assert_eq "$bad" 0 "samples where n3 lacked the live $live on peer n4"
    wgt_assert_eq "$(static_of n3 n2)" "$static2" "n3's static allowed IPs for n2"
    wgt_assert_eq "$(static_of n3 n4)" "$static4" "n3's static allowed IPs for n4"
    wgt_assert topo_converged
    wgt_assert path_is
}

t_sigterm_restart() {
    local static2 t0
    static2=$(static_of n3 n2)
    req_reset || return 1
    t0=$(wgt_now)
    topo_loss_bg n1 "$(topo_addr6 n5)" 10
    sleep 1
    topo_restart n3
    topo_loss_wait n1
    req_split
    losses_explain "$t0" "$(wgt_now)" term
    LOSS_TERM="$TOPO_LOST of $TOPO_SENT ($REQ_LOST requests, $REP_LOST replies; ${LOSS_WHERE:-none})"
    wgt_log "SIGTERM-restart of transit n3: $TOPO_LOST of $TOPO_SENT pings lost (${TOPO_LOSS}%): $REQ_LOST requests, $REP_LOST replies"
    # The shutdown delay moves n2 and n4 onto their 60 ms link while n3
    # still forwards (0 to 1 lost there, "request n3>", when the
    # retraction reaches n4 a little before n2),
    # and n3 then removes what it installed.  Issue 16 asks for no
    # request lost, replies counted apart.  Not met, and not by ordering:
    # captures of every hop (2026-12-05, wireguard-go, 8 to 10 lost in
    # four runs) put every loss in flight on the detour when n2 and n4
    # moved back to the restarted n3, in both directions alike ("request
    # n2>": n4 took n1's address back first; "reply n4>": n2 took n5's).
    # One WireGuard interface holds an address on one peer, for sending
    # and accepting alike, so whichever of the two moves first, the other
    # direction loses what the detour holds: its one-way delay, 60 ms or
    # 6 pings at 100/s each way; delaying one move shifts loss from one
    # direction to the other.  None was lost at n3 (the restarted node
    # forwards what it attracts: it announces only after writing, see
    # send_after_writes in daemon/main.c).  Bound: the delay twice over
    # each way, 24 in all, as ping counts them (captures_report); the
    # guest's bound: RESTART_LIM, tests/e2e/bounds.sh.
    [ "$TOPO_LOST" -le "$RESTART_LIM" ] || wgt_fail "n1 -> n5 lost $TOPO_LOST pings across n3's SIGTERM restart, more than $RESTART_LIM"
    captures_report term
    wgt_assert_wait topo_converged 30 "converged after the SIGTERM restart"
    wgt_assert_wait path_is 30 "path through n3 again"
    wgt_assert_eq "$(static_of n3 n2)" "$static2" "n3's static allowed IPs for n2"
    wgt_assert_eq "$(topo_holders n3 $STALE)" "" "no stale $STALE"
}

# restart_gap PCAP: from n3's Babel packets captured in PCAP, the time
# from the old instance's last Hello (the one with the Restart sub-TLV,
# type 112: tcpdump prints "sub-unknown-0x70") to the new instance's
# first Hello; sets GAP (s).
restart_gap() {
    GAP=$(tcpdump -r "$1" -tt -n -v 2>/dev/null | awk '
        /^[0-9]+\.[0-9]+ / { at = $1 + 0; next }
        /Hello/ && /unknown-0x70/ { last = at; next }
        /Hello/ && last && at > last { printf "%.3f", at - last; exit }')
}

t_keep_restart() {
    local spid bad live t0 tpid
    topo_conf n3 keep-routes-on-exit
    topo_restart n3 || return 1          # now running with the option
    wgt_assert_wait path_is 30 "path through n3" || return 1
    : >"$WGT_DIR/samples"
    sampler &
    spid=$!
    wgt_daemon n3 tcpdump-babel-n3 tcpdump -U -i "$(topo_if n3)" -n -w "$WGT_DIR/cap.babel.n3" \
        "udp port 6696 and src host $(topo_ll n3)" || return 1
    tpid=$WGT_LAST_PID
    wgt_wait_until "grep -q 'listening on' $WGT_DIR/tcpdump-babel-n3.log" 20 ||
        { wgt_fail "tcpdump of n3's Babel packets did not start"; return 1; }
    req_reset || return 1
    t0=$(wgt_now)
    topo_loss_bg n1 "$(topo_addr6 n5)" 10
    sleep 1
    topo_restart n3
    topo_loss_wait n1
    req_split
    losses_explain "$t0" "$(wgt_now)" keep
    kill "$spid"
    wait "$spid" 2>/dev/null
    wgt_stop "$tpid"
    restart_gap "$WGT_DIR/cap.babel.n3"
    wgt_log "n3 silent for ${GAP:-?} s (its last Hello to the new instance's first)"
    GAP_KEEP=${GAP:-?}
    sed -i '$d' "$WGT_DIR/samples"    # the last one may be cut short
    LOSS_KEEP="$TOPO_LOST of $TOPO_SENT ($REQ_LOST requests, $REP_LOST replies; ${LOSS_WHERE:-none}; n3 silent ${GAP_KEEP:-?} s)"
    wgt_log "SIGTERM-restart of transit n3 with keep-routes-on-exit: $TOPO_LOST of $TOPO_SENT pings lost (${TOPO_LOSS}%): $REQ_LOST requests, $REP_LOST replies"
    live="$(topo_addr6 n5)/128"
    bad=$(grep -vc "${WGT_PUB[n4/wg0]} [^;]*$live" "$WGT_DIR/samples")
    wgt_log "$(wc -l <"$WGT_DIR/samples") samples of n3's AllowedIPs, $bad without $live on n4"
    wgt_assert_eq "$bad" 0 "samples where n3 lacked the live $live on peer n4"
    # A graceful restart (daemon/main.c shutdown_begin): n3 retracts
    # nothing and says no goodbye, since its routes and allowed IPs stay
    # and forward; its last Hello carries a Restart sub-TLV asking n2 and
    # n4 to keep it for 3 s, so neither the ICMP port unreachable of the
    # gap nor missed fast probes drop it, and the new instance's Hello
    # seqnos continue its link history (proto/neighbour.c).  Nobody
    # moves, so nothing is in flight on a path left: 0 requests lost is
    # asserted; a reply lost is named and counted apart.  Before this
    # (2026-12-05): 7 to 9 lost, all at the moves to the detour and back.
    # In the guest n3 is silent longer (only logged there), and 3
    # requests at most were lost in six runs (KEEP_GAP_LIM, KEEP_LOST_LIM:
    # tests/e2e/bounds.sh).
    [ "$REQ_LOST" -le "$KEEP_LOST_LIM" ] ||
        wgt_fail "echo requests lost across n3's keep-routes-on-exit restart: $REQ_LOST, more than $KEEP_LOST_LIM"
    [ "$REP_LOST" = 0 ] || wgt_log "replies lost (counted apart): $REP_LOST; by where: ${LOSS_WHERE:-none}"
    # Host: well within the 3 s the neighbours grant, 0.15 to 0.56 s in
    # eleven runs (tests/bench/README.md).
    [ "$KEEP_GAP_LIM" = - ] ||
        awk -v g="${GAP:-99}" -v l="$KEEP_GAP_LIM" 'BEGIN { exit !(g < l) }' ||
        wgt_fail "n3 was silent for ${GAP:-?} s in its restart, not under $KEEP_GAP_LIM s"
    captures_report keep
    wgt_assert_wait topo_converged 30 "converged after the restart"
}

wgt_setup "partial mesh of five nodes, converged ($WGT_BACKEND)" build
wgt_test "n1 -> n5 crosses four WireGuard hops (hop limit 61)" t_path
wgt_test "crash-restart of transit n3: no live allowed IP withdrawn at n3, the stale one removed" t_crash_restart
wgt_test "SIGTERM-restart of transit n3: converges back, no stale allowed IP" t_sigterm_restart
wgt_test "SIGTERM-restart with keep-routes-on-exit: no live allowed IP withdrawn" t_keep_restart
echo "# transit restart loss at 100 pkt/s ($WGT_BACKEND): crash-restart ${LOSS_CRASH:-?}; SIGTERM-restart ${LOSS_TERM:-?}; with keep-routes-on-exit ${LOSS_KEEP:-?}"
topo_done
