#!/bin/bash
# tests/e2e/stall.sh: a wireguard-go that stops answering (SIGSTOP for
# 10 s) under a running wgbabeld, wireguard-go only:
#
#        n1 ==== n2 ---- n3        (n1-n2: WireGuard and a wired veth,
#                                   both running Babel)
#
#  - the control socket of n1 answers throughout (a probe every 0.2 s,
#    each allowed 1 s), its largest answer time is printed; the allowed-IP
#    writes that n2's loss over WireGuard causes time out (after 1 s) on a
#    worker thread, not on the event loop;
#  - n1 keeps sending Hellos on its wired interface: n2 keeps n1 as a
#    neighbour there, and n2 reaches n1's address over the veth;
#  - after SIGCONT everything is back as before within 5 s plus the time
#    to write it: every node converged over WireGuard again;
#  - a device killed while stopped (reads of it in flight) and started
#    again with the same name and configuration is read again: every
#    node converges over it;
#  - a reload that removes the WireGuard interface while its wireguard-go
#    is stopped: the control socket answers throughout, and once it runs
#    again the allowed IPs wgbabeld installed there are gone, the static
#    ones kept, and n2 still reaches n1 over the veth.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init stall

build() {
    topo_node n1 n2 n3
    topo_link n1 n2
    topo_link n2 n3
    topo_conf n1 "interface ve-n2 type wired hello-interval 1 rxcost 2000"
    topo_conf n2 "interface ve-n1 type wired hello-interval 1 rxcost 2000"
    topo_build || return 1
    # Babel on the veth speaks from these (known addresses for the check).
    wgt_ip n1 -6 addr add fe80::a1/64 dev ve-n2 &&
        wgt_ip n2 -6 addr add fe80::a2/64 dev ve-n1 || return 1
    # n1's device as configured, before wgbabeld adds to it (t_replaced).
    wgt_exec n1 wg showconf "$(topo_if n1)" >"$WGT_DIR/n1-wg.conf" || return 1
    topo_launch || return 1
    topo_wait_converged 60 || return 1
    wgt_assert_wait "topo_ctl n2 show neighbours | grep -q 'fe80::a1'" 20 \
        "n2 has n1 as a neighbour on the veth"
}

# control_probes NODE SECONDS: probes NODE's control socket every 0.2 s
# for SECONDS, each allowed 1 s; sets PROBES, FAILS and WORST (s).
control_probes() {
    local t end dt
    PROBES=0 FAILS=0 WORST=0
    end=$(awk -v t="$(wgt_now)" -v s="$2" 'BEGIN { printf "%.3f", t + s }')
    while awk -v n="$(wgt_now)" -v e="$end" 'BEGIN { exit !(n < e) }'; do
        t=$(wgt_now)
        PROBES=$((PROBES + 1))
        timeout 1 "$WGBABELCTL" -s "$WGT_DIR/$1.sock" show status >/dev/null 2>&1 ||
            FAILS=$((FAILS + 1))
        dt=$(wgt_since "$t")
        WORST=$(awk -v a="$WORST" -v b="$dt" 'BEGIN { print (b > a) ? b : a }')
        sleep 0.2
    done
}

# n1's allowed IPs, one "KEY PREFIX" a line, sorted.
n1_aips() {
    wgt_exec n1 wg show "$(topo_if n1)" allowed-ips |
        awk '{ for (i = 2; i <= NF; i++) if ($i != "(none)") print $1, $i }' | sort
}

t_stall() {
    local pid t0
    pid=$(topo_wggo_pid n1)
    [ -n "$pid" ] && kill -0 "$pid" || { wgt_fail "no wireguard-go pid for n1"; return 1; }
    kill -STOP "$pid"
    control_probes n1 10
    wgt_log "wireguard-go stopped 10 s: $PROBES control-socket probes, $FAILS unanswered within 1 s, slowest answer ${WORST} s"
    wgt_assert_eq "$FAILS" 0 "control-socket probes unanswered within 1 s while wireguard-go was stopped"
    # The probe loss of n2 over WireGuard moved routes: allowed-IP writes
    # to the stopped device were tried and timed out, on a worker thread.
    wgt_assert_contains "$(cat "$WGT_DIR/wgbabeld-n1.log")" \
        "the WireGuard device does not answer" \
        "an allowed-IP write to the stopped device was tried and timed out"
    wgt_assert_contains "$(topo_ctl n2 show neighbours)" "fe80::a1" "n2 still has n1 on the veth"
    wgt_assert topo_ping n2 "$(topo_addr6 n1)"
    kill -CONT "$pid"
    t0=$(wgt_now)
    wgt_assert_wait topo_converged 10 "converged over WireGuard again after SIGCONT" || return 1
    wgt_log "converged $(wgt_since "$t0") s after SIGCONT"
}

# The device replaced while a read of it is in flight: n1's wireguard-go
# stopped, so that reads time out one after the other, then killed (its
# link goes) and a new one started with the same name and configuration,
# as a restart of wg-quick or of the service would. The new device must be
# read: n1 converges over WireGuard again.
t_replaced() {
    local pid ifn conf t0
    ifn=$(topo_if n1)
    pid=$(topo_wggo_pid n1)
    [ -n "$pid" ] || { wgt_fail "no wireguard-go pid for n1"; return 1; }
    conf=$WGT_DIR/n1-wg.conf
    kill -STOP "$pid"
    wgt_assert_wait "grep -q 'cannot read the WireGuard device' '$WGT_DIR/wgbabeld-n1.log'" 10 \
        "n1's reads of the stopped device time out" || { kill -CONT "$pid"; return 1; }
    kill -KILL "$pid"
    wgt_assert_wait "! wgt_exec n1 ip link show dev '$ifn' >/dev/null 2>&1" 10 \
        "the link goes with its wireguard-go" || return 1
    # A killed wireguard-go leaves its UAPI socket file behind: until the
    # new one replaces it, wg would talk to the dead one's (and fall back
    # to netlink: "Protocol not supported"). Wait until wg gets answers.
    rm -f "/var/run/wireguard/$ifn.sock"
    t0=$(wgt_now)
    wgt_daemon n1 "wireguard-go-$ifn-2" env WG_PROCESS_FOREGROUND=1 \
        LOG_LEVEL="${WGT_WG_GO_LOG:-error}" wireguard-go -f "$ifn" || return 1
    wgt_assert_wait "wgt_exec n1 wg show '$ifn' >/dev/null 2>&1" 10 \
        "a new wireguard-go answers" || return 1
    wgt_exec n1 wg setconf "$ifn" "$conf" || { wgt_fail "wg setconf"; return 1; }
    wgt_ip n1 link set "$ifn" up || return 1
    topo_wg_addrs n1 || return 1
    wgt_assert_wait topo_converged 30 "converged over the new device" || return 1
    wgt_log "converged $(wgt_since "$t0") s after the new wireguard-go started"
}

t_reload_removes() {
    local pid static learned t0 bg
    pid=$(topo_wggo_pid n1)
    [ -n "$pid" ] || { wgt_fail "no wireguard-go pid for n1"; return 1; }
    # the static allowed IPs: what the configuration file gave the device
    static=$(awk '/^PublicKey/ { k = $3 } /^AllowedIPs/ { sub(/^AllowedIPs = /, ""); n = split($0, a, /, */); for (i = 1; i <= n; i++) print k, a[i] }' \
            "$WGT_DIR/n1-wg.conf" | sort)
    learned=$(comm -13 <(echo "$static") <(n1_aips) | wc -l)
    [ "$learned" -gt 0 ] || { wgt_fail "n1 holds no learned allowed IP"; return 1; }
    kill -STOP "$pid"
    # probes from before the reload until 3 s after it began
    { control_probes n1 3; echo "$PROBES $FAILS $WORST" >"$WGT_DIR/probes"; } &
    bg=$!
    t0=$(wgt_now)
    TOPO_WG_UNCONF[n1]=1
    topo_reload n1 || { kill -CONT "$pid"; wait "$bg"; return 1; }
    wgt_log "reload without n1's WireGuard interface took $(wgt_since "$t0") s"
    wait "$bg"
    read -r PROBES FAILS WORST <"$WGT_DIR/probes"
    wgt_log "wireguard-go stopped: $PROBES control-socket probes during and after the reload, $FAILS unanswered within 1 s, slowest answer ${WORST} s"
    wgt_assert_eq "$FAILS" 0 "control-socket probes unanswered within 1 s after the reload" ||
        { kill -CONT "$pid"; return 1; }
    wgt_assert_contains "$(cat "$WGT_DIR/wgbabeld-n1.log")" "no longer configured" \
        "n1 let the interface go"
    kill -CONT "$pid"
    t0=$(wgt_now)
    wgt_assert_wait "[ \"\$(n1_aips)\" = \"$static\" ]" 35 \
        "n1's learned allowed IPs taken back, its static ones kept" || {
        n1_aips | sed 's/^/#   now: /' >&2
        return 1
    }
    wgt_log "$learned learned allowed IPs gone $(wgt_since "$t0") s after SIGCONT"
    wgt_assert_wait "topo_ping n2 $(topo_addr6 n1)" 20 "n2 reaches n1 over the veth"
}

if [ "$WGT_BACKEND" != go ]; then
    wgt_skip "a stopped wireguard-go never stops wgbabeld" "wireguard-go only"
    wgt_done
fi
wgt_setup "three nodes, n1-n2 over WireGuard and a veth, converged ($WGT_BACKEND)" build
wgt_test "a stopped wireguard-go never stops wgbabeld" t_stall
wgt_test "a device replaced while it was being read is read again" t_replaced
wgt_test "a reload removes the interface of a stopped wireguard-go" t_reload_removes
topo_done
