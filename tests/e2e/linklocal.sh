#!/bin/bash
# tests/e2e/linklocal.sh [BUILDDIR]   (default $WGB_BUILD, else build-test)
# — which link-local wgbabeld speaks from, and the failures WireGuard keeps
# quiet (issue 14), on topo.sh's hosts with clutter.
#
#        a ==== b        (WireGuard, both brought up by wg-quick)
#
# wg-quick's order matters here: it adds the configured fe80::N/64 first,
# then sets the link up. On wireguard-go the kernel then gives the TUN
# device a link-local of its own (IFA_PROTO kernel_ll; TOPO_AUTO_LL=1,
# forced here), listed before ours; a peer's AllowedIPs hold only ours.
# On kernel WireGuard (no automatic address) the test adds an
# EUI-64-looking one by hand after wg-quick, so it is listed first too.
# Checks:
#   - the interface has those two link-locals, ours listed second (else
#     the test would not tell a right choice from list order);
#   - wgbabeld speaks from the configured address (and says why), so the
#     peers become neighbours and routes flow;
#   - a configured interface that is missing shows as absent;
#   - "link-local ADDR" that is not on the link: an error, Babel waits, and
#     starts from that address when it is added;
#   - a peer that drops our packets (its AllowedIPs miss our source) is
#     warned about exactly once after 30 s, and the warning re-arms when
#     packets arrive again;
#   - kernel WireGuard only: a peer without an endpoint (EDESTADDRREQ) is
#     reported once, not per packet;
#   - "type wireguard" on a link that is not WireGuard: exit non-zero;
#   - the daemons exit cleanly; the hosts' clutter is untouched.
#
# Backend: WGB_WG_BACKEND=go (wireguard-go) or kernel (tests/vm/run-in-guest.sh
# on a host without it). Ends with "N passed, N failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init linklocal "${1:-}"
TOPO_LOG_LEVEL=debug
# What this test is about: the kernel-made address next to ours.
TOPO_AUTO_LL=1

declare -A LL=([a]=fe80::1 [b]=fe80::2)
# The hand-made stand-in for the kernel's address on kernel WireGuard.
declare -A HANDMADE=([a]=fe80::216:3eff:fe00:a1 [b]=fe80::216:3eff:fe00:b)
ABSENT=nosuch-$WGT_TAG
SILENT_FROM=

has_aip() { wgt_peer_allowed "$1" wg0 "$2" wg0 | grep -qx "$3"; }
# the "show interfaces" line of NODE's wg0
ifline() { topo_ctl "$1" show interfaces | grep "^$(topo_if "$1") "; }
log_count() { grep -c -- "$2" "$WGT_DIR/wgbabeld-$1.log"; }
# The link-locals of NODE's wg0 in the kernel's order.
lls() { wgt_ip "$1" -6 -o addr show dev "$(topo_if "$1")" scope link | awk '{ sub("/.*", "", $4); print $4 }'; }

setup() {
    local n
    topo_node a b --wg-quick
    topo_link a b
    topo_conf a "interface $ABSENT type wireguard"
    topo_lo a 2001:db8:a::1/128
    topo_lo b 2001:db8:b::1/128
    topo_announce a 2001:db8:a::/48
    topo_announce b 2001:db8:b::/48
    topo_build || return 1
    if [ "$WGT_BACKEND" = kernel ]; then
        for n in a b; do
            wgt_ip "$n" addr add "${HANDMADE[$n]}/64" dev "$(topo_if "$n")" nodad || return 1
        done
    fi
    wgt_assert_wait "[ \$(lls a | wc -l) = 2 ] && [ \$(lls b | wc -l) = 2 ]" 5 \
        "a's and b's wg0 have two link-locals each" || { lls a >&2; lls b >&2; return 1; }
    topo_launch
}

t_kernel_address_listed_first() {
    # What made the first-listed address win before.
    local n l
    for n in a b; do
        l=$(lls "$n")
        wgt_log "$n's link-locals: $(tr '\n' ';' <<<"$l")"
        wgt_assert_eq "$(sed -n 2p <<<"$l")" "${LL[$n]}" "$n's second link-local"
        if [ "$WGT_BACKEND" = kernel ]; then
            wgt_assert_eq "$(sed -n 1p <<<"$l")" "${HANDMADE[$n]}" "$n's first link-local"
        else
            # The one the kernel made for the TUN device (iproute2 6.1
            # does not show its IFA_PROTO; "kernel-proto" in the next test
            # says wgbabeld saw it).
            [ "$(sed -n 1p <<<"$l")" != "${LL[$n]}" ] ||
                wgt_fail "$n's first link-local is ${LL[$n]}: the test would not tell"
        fi
    done
}

t_configured_address_is_chosen() {
    local why=kernel-proto
    # No IFA_PROTO for an address added by hand: the fallback rule.
    [ "$WGT_BACKEND" = kernel ] && why=fallback
    wgt_assert_wait "ifline a | grep -q ' running '" 10 "a runs Babel" || return 1
    local line
    line=$(ifline a)
    wgt_assert_eq "$(awk '{ print $5, $6 }' <<<"$line")" "${LL[a]} $why" "a's link-local and why"
    wgt_assert_contains "$(topo_ctl a --json show interfaces)" "\"link_local\":\"${LL[a]}\",\"link_local_chosen_by\":\"$why\""
    wgt_assert_wait "ifline b | grep -q ' running '" 10 "b runs Babel" || return 1
    wgt_assert_eq "$(ifline b | awk '{ print $5, $6 }')" "${LL[b]} $why" "b's link-local and why"
}

t_neighbours_and_routes() {
    wgt_assert_wait "has_aip a b 2001:db8:b::/48" 20 "a: b's prefix on peer b" || {
        topo_ctl a show neighbours >&2
        return 1
    }
    wgt_assert_wait "has_aip b a 2001:db8:a::/48" 20 "b: a's prefix on peer a" || return 1
    wgt_assert_wait "topo_ping a 2001:db8:b::1 1" 10 "ping a -> b's prefix"
    wgt_assert_not_contains "$(topo_ctl a show neighbours)" "cost 65535"
}

t_missing_interface_is_absent() {
    wgt_assert_eq "$(topo_ctl a show interfaces | awk -v n="$ABSENT" '$1 == n { print $2, $4, $5 }')" "- absent -" \
        "the line of $ABSENT"
    wgt_assert_contains "$(topo_ctl a --json show interfaces)" "{\"name\":\"$ABSENT\",\"ifindex\":null,\"type\":\"wireguard\",\"state\":\"absent\""
}

t_configured_link_local_waits_until_present() {
    local ifa
    ifa=$(topo_if a)
    topo_ifopt a wg0 link-local fe80::99
    topo_reload a || return 1
    wgt_assert_wait "grep -q 'the configured link-local fe80::99 is not on the link' $WGT_DIR/wgbabeld-a.log" 5 \
        "a logs that fe80::99 is missing" || return 1
    wgt_assert_wait "ifline a | grep -q ' waiting .* fe80::99 .* missing '" 5 "a waits for fe80::99" ||
        { ifline a >&2; return 1; }
    wgt_ip a addr add fe80::99/64 dev "$ifa" nodad
    wgt_assert_wait "ifline a | grep -q ' running .* fe80::99 .* configured '" 5 \
        "a runs Babel from fe80::99 once it is there" || ifline a >&2
    SILENT_FROM=$(wgt_now)
}

# b's AllowedIPs for a hold fe80::1/128 (and a's tunnel addresses) only:
# WireGuard drops what a sends from fe80::99 (wireguard-go without a
# trace). b hears nothing from a.
t_silent_peer_is_warned_once() {
    [ -n "$SILENT_FROM" ] || { wgt_fail "a never ran Babel from fe80::99"; return 1; }
    local msg="no Babel packet from peer ${LL[a]} (key ${WGT_PUB[a/wg0]}) in 30 s: check that it runs Babel, that its AllowedIPs include our link-local ${LL[b]}/128, and that it sends from ${LL[a]}"
    wgt_assert_wait "grep -qF -- '$msg' $WGT_DIR/wgbabeld-b.log" 45 "b warns that a is silent" || return 1
    local waited
    waited=$(wgt_since "$SILENT_FROM")
    wgt_log "warned ${waited}s after a changed its source"
    awk -v w="$waited" 'BEGIN { exit !(w >= 24) }' || wgt_fail "warned after ${waited}s, before 30 s of silence"
    # Two more refresh rounds (5 s each): still one warning.
    sleep 11
    wgt_assert_eq "$(grep -cF -- "no Babel packet from peer ${LL[a]} " "$WGT_DIR/wgbabeld-b.log")" 1 "warnings about a on b"
    wgt_assert_eq "$(log_count a 'no Babel packet from peer')" 0 "silence warnings on a (b's packets arrive)"
}

t_warning_rearms_when_packets_return() {
    # Without the option: fe80::1 and fe80::99 are both hand-made, the
    # lowest is taken and the guess is logged with how to choose.
    topo_ifopt_reset a wg0
    topo_reload a || return 1
    wgt_assert_wait "grep -q 'Babel packets from peer ${LL[a]} .* arrive again' $WGT_DIR/wgbabeld-b.log" 10 \
        "b notes a's packets arrive again" || return 1
    wgt_assert_eq "$(ifline a | awk '{ print $5 }')" "${LL[a]}" "a's link-local"
    wgt_assert grep -q "link-local addresses could be ours (on the link: .*); Babel uses ${LL[a]}, the lowest.* name it with 'link-local ADDR'" \
        "$WGT_DIR/wgbabeld-a.log"
}

t_no_endpoint_reported_once() {
    # A peer of a with a Babel address but no endpoint: kernel WireGuard
    # refuses every packet to it with EDESTADDRREQ.
    local key
    key=$(wg genkey | wg pubkey)
    wgt_wg_set a wg0 peer "$key" allowed-ips fe80::77/128 || return 1
    wgt_assert_wait "grep -q 'cannot send Babel to peer fe80::77 (key $key): WireGuard has no endpoint' $WGT_DIR/wgbabeld-a.log" 15 \
        "a reports the peer without an endpoint" || return 1
    sleep 3     # three more Hellos to it
    wgt_assert_eq "$(log_count a 'cannot send Babel to peer fe80::77')" 1 "reports about fe80::77"
    wgt_assert_contains "$(topo_ctl a show status)" "refused by WireGuard"
    wgt_wg_set a wg0 peer "$key" remove
}

t_not_wireguard_is_an_error_at_start() {
    cat >"$WGT_DIR/bad.conf" <<EOF
interface ve-b type wireguard
control-socket $WGT_DIR/bad.sock
state-file $WGT_DIR/bad.state
runtime-dir $WGT_DIR/bad.run
EOF
    local out rc=0
    out=$(timeout 10 ip netns exec "$(wgt_ns a)" "$WGBABELD" -c "$WGT_DIR/bad.conf" 2>&1) || rc=$?
    wgt_assert_eq "$rc" 1 "exit status"
    wgt_assert_contains "$out" "ve-b: declared 'type wireguard' but it is not a WireGuard interface (kind 'veth', and no wireguard-go socket /var/run/wireguard/ve-b.sock)"
}

t_clean_exit() {
    topo_stop a 10
    topo_stop b 10
    local n
    for n in a b; do
        if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$WGT_DIR/wgbabeld-$n.log" >&2; then
            wgt_fail "sanitizer report in wgbabeld-$n.log"
        fi
        wgt_assert grep -q 'wgbabeld: exited' "$WGT_DIR/wgbabeld-$n.log"
    done
}

wgt_setup "two nodes on WireGuard ($WGT_BACKEND) by wg-quick, clutter, wgbabeld" setup
wgt_test "the kernel's link-local is listed before the configured one" t_kernel_address_listed_first
wgt_test "wgbabeld speaks from the configured link-local and says why" t_configured_address_is_chosen
wgt_test "so a and b are neighbours and b's prefix reaches a" t_neighbours_and_routes
wgt_test "a configured interface that is missing shows as absent" t_missing_interface_is_absent
wgt_test "link-local ADDR not on the link: error, Babel waits, starts when added" t_configured_link_local_waits_until_present
wgt_test "a peer dropping our packets is warned about once after 30 s" t_silent_peer_is_warned_once
wgt_test "the warning re-arms when packets arrive; a guess between two is logged" t_warning_rearms_when_packets_return
if [ "$WGT_BACKEND" = kernel ]; then
    wgt_test "kernel WireGuard: a peer without endpoint is reported once" t_no_endpoint_reported_once
else
    wgt_skip "kernel WireGuard: a peer without endpoint is reported once" "wireguard-go's TUN accepts every packet"
fi
wgt_test "type wireguard on a link that is not WireGuard: exit 1 at start" t_not_wireguard_is_an_error_at_start
wgt_test "the daemons exit cleanly, with no sanitizer report" t_clean_exit
# The operator takes back the address added by hand.
wgt_ip a addr del fe80::99/64 dev "$(topo_if a)"
topo_done
