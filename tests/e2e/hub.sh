#!/bin/bash
# tests/e2e/hub.sh [BUILDDIR]   (default $WGB_BUILD, else build-test) —
# wgbabeld end to end on real WireGuard (topo.sh).
#
# Three nodes a - b - c; b has one WireGuard interface with peers a and
# c (a hub), a and c only know b. Each runs wgbabeld; every peer's Babel
# address is its fe80::N/128 allowed IP, as with wg-quick. Checks that a
# prefix announced on one node becomes an allowed IP of the right peer and a
# kernel route on the others, that traffic flows over two encrypted hops,
# that wgbabelctl announce/withdraw work, anycast, refusal of a prefix that
# a foreign (wg set) allowed IP holds, the control protocol, in/out filters
# and SIGTERM.  wgbabeld writes table 100 (route-table), which a rule of
# each host looks up.
#
# Backend: WGB_WG_BACKEND=go (wireguard-go) or kernel; run it with
# tests/vm/run-in-guest.sh for kernel WireGuard on a host without it.
# Ends with "N passed, N failed".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init daemon-e2e "${1:-}"
TOPO_LOG_LEVEL=debug

# allowed IPs that NODE's wg0 has for the peer PEER
aips() { wgt_peer_allowed "$1" wg0 "$2" wg0; }
has_aip() { aips "$1" "$2" | grep -qx "$3"; }
# whether the JSON monitor output FILE has an "allowedip" event moving PREFIX
# from the peer with public key OLD to the one with NEW
has_aip_move() {
    python3 - "$@" <<'PY'
import json, sys
f, p, old, new = sys.argv[1:5]
for line in open(f):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if (e.get("type"), e.get("prefix"), e.get("old_peer"), e.get("new_peer")) == \
            ("allowedip", p, old, new):
        sys.exit(0)
sys.exit(1)
PY
}
has_route() { wgt_ip "$1" -6 route show table 100 | grep -q "^$2 .*dev $(topo_if "$1")"; }

setup() {
    local n
    topo_node a b c
    topo_link a b
    topo_link b c
    for n in a b c; do
        topo_conf "$n" "control-socket-ro $WGT_DIR/$n-ro.sock mode 0666"
        topo_conf "$n" "route-table 100"
    done
    # Addresses behind each node, announced by it.
    topo_lo a 2001:db8:a::1/128
    topo_lo c 2001:db8:c::1/128
    topo_announce a 2001:db8:a::/48
    topo_announce c 2001:db8:c::/48
    topo_announce c 10.33.0.0/16 metric 10
    topo_conf c "redistribute proto 4 prefix 2001:db8::/32 le 64 metric 20"
    topo_build || return 1
    for n in a b c; do
        wgt_ip "$n" -6 rule add lookup 100 pref 100 || return 1
        wgt_ip "$n" -4 rule add lookup 100 pref 100 || return 1
    done
    # A static route on c, redistributed (proto 4 = static).
    wgt_ip c -6 route add blackhole 2001:db8:cc::/48 proto static || return 1
    topo_launch
}

t_neighbours() {
    wgt_assert_wait "[ \$(topo_ctl b show neighbours | grep -c '^fe80::') = 2 ]" 15 "b has 2 Babel neighbours" || {
        topo_ctl b show neighbours
        return 1
    }
    local out
    out=$(topo_ctl b show neighbours)
    wgt_assert_contains "$out" "fe80::1 on $(topo_if b)"
    wgt_assert_contains "$out" "peer ${WGT_PUB[a/wg0]} endpoint $(topo_uaddr a b):${WGT_PORT[a/wg0]}"
    wgt_assert_contains "$out" "peer ${WGT_PUB[c/wg0]}"
}

# Seconds since NODE's WireGuard handshake with PEER, "" before the first.
handshake_with() {
    wgt_exec "$1" wg show "$(topo_if "$1")" latest-handshakes |
        awk -v k="${WGT_PUB[$2/wg0]}" '$1 == k && $2 > 0 { print $2 }'
}

t_prefix_becomes_allowed_ip_and_route() {
    local t0
    # The routes need the tunnel a-b first. In the guest (kernel
    # WireGuard under TCG) this test took 7-12 s in CI runs of f6c275a
    # and 00319ed, and once over 20 s; in a kept run a and b exchanged
    # their first routes 10.4 s after they started while b and c took
    # 0.8 s: two of WireGuard's 5 s handshake retries, it seems (not yet
    # confirmed). So the handshake is waited for and its time logged, and
    # the prefix is given 20 s from there.
    t0=$(wgt_now)
    wgt_assert_wait "[ -n \"\$(handshake_with a b)\" ]" 60 "a-b WireGuard handshake" || return 1
    wgt_log "a-b handshake done $(wgt_since "$t0") s after the test began"
    wgt_assert_wait "has_aip a b 2001:db8:c::/48" 20 "a: 2001:db8:c::/48 on peer b" || return 1
    wgt_log "a: 2001:db8:c::/48 on peer b $(wgt_since "$t0") s after the test began"
    wgt_assert_wait "has_aip b c 2001:db8:c::/48" 5 "b: 2001:db8:c::/48 on peer c"
    wgt_assert_wait "has_aip a b 10.33.0.0/16" 5 "a: 10.33.0.0/16 on peer b"
    wgt_assert_wait "has_aip c b 2001:db8:a::/48" 5 "c: 2001:db8:a::/48 on peer b"
    wgt_assert_wait "has_route a 2001:db8:c::/48" 5 "a: kernel route to 2001:db8:c::/48 dev wg0"
    wgt_assert_wait "has_route b 2001:db8:a::/48" 5 "b: kernel route to 2001:db8:a::/48 dev wg0"
    # The peers' own Babel addresses (wg-quick's) are left alone.
    wgt_assert has_aip a b fe80::2/128
    wgt_assert has_aip b a fe80::1/128
}

t_ping_two_hops() {
    # From a's node address: a's tunnel address fd99::1, which the kernel
    # would pick (it is on the outgoing interface), is known to b alone.
    wgt_assert_wait "topo_ping a 2001:db8:c::1 1" 10 "ping a -> c over two WireGuard hops" ||
        wgt_ip a -6 route show table 100 >&2
}

t_announce_and_withdraw() {
    wgt_assert topo_ctl a announce 2001:db8:aa::/48 metric 7 >/dev/null || return 1
    wgt_assert_contains "$(topo_ctl a show originated)" "2001:db8:aa::/48 metric 7 (control socket)"
    wgt_assert_wait "has_aip c b 2001:db8:aa::/48" 20 "c: 2001:db8:aa::/48 on peer b after announce" || return 1
    wgt_assert_wait "has_aip b a 2001:db8:aa::/48" 5 "b: 2001:db8:aa::/48 on peer a"
    wgt_assert topo_ctl a withdraw 2001:db8:aa::/48 >/dev/null
    wgt_assert_wait "! has_aip c b 2001:db8:aa::/48" 20 "c: 2001:db8:aa::/48 gone after withdraw" ||
        { topo_ctl b show routes | grep aa: >&2; topo_ctl c show routes | grep aa: >&2; }
    wgt_assert_wait "! has_aip b a 2001:db8:aa::/48" 5 "b: 2001:db8:aa::/48 gone after withdraw"
    wgt_assert_wait "! has_route c 2001:db8:aa::/48" 5 "c: kernel route gone after withdraw"
}

t_redistribute() {
    wgt_assert_wait "has_aip a b 2001:db8:cc::/48" 20 "a: c's static route (redistributed at start) on peer b" || return 1
    wgt_assert_contains "$(topo_ctl c show originated)" "2001:db8:cc::/48 metric 20 (redistributed)"
    # Added and removed at run time.
    wgt_ip c -6 route add blackhole 2001:db8:cd::/48 proto static
    wgt_ip c -6 route add blackhole 2001:db8:ce::/48 proto boot   # not proto 4
    wgt_assert_wait "has_aip a b 2001:db8:cd::/48" 20 "a: a static route added on c appears" || return 1
    wgt_assert_not has_aip a b 2001:db8:ce::/48
    wgt_ip c -6 route del blackhole 2001:db8:cd::/48 proto static
    wgt_assert_wait "! has_aip a b 2001:db8:cd::/48" 20 "a: the static route removed on c disappears"
    # Routes wgbabeld installed itself are never redistributed.
    wgt_assert_not_contains "$(topo_ctl c show originated)" "2001:db8:a::/48"
    # The operator takes back the route not redistributed.
    wgt_ip c -6 route del blackhole 2001:db8:ce::/48 proto boot
}

t_anycast() {
    topo_ctl a announce 2001:db8:ac::/48 >/dev/null
    topo_ctl c announce 2001:db8:ac::/48 >/dev/null
    wgt_assert_wait "[ \$(topo_ctl b show routes | grep -c ' 2001:db8:ac::/48 ') = 2 ]" 20 \
        "b: two candidates for the anycast prefix" || { topo_ctl b show routes >&2; return 1; }
    # show route: the longest match for an address in it, both candidates.
    local sr
    sr=$(topo_ctl b show route 2001:db8:ac::1)
    wgt_assert_contains "$sr" "2001:db8:ac::1/128: longest match 2001:db8:ac::/48"
    wgt_assert_eq "$(grep -c ' 2001:db8:ac::/48 ' <<<"$sr")" 2 "candidates shown by show route"
    wgt_assert_eq "$(grep -c '^\* 2001:db8:ac::/48 ' <<<"$sr")" 1 "selected route shown by show route"
    wgt_assert_eq "$(topo_ctl b --json show route 2001:db8:ac::/48 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["prefix"], len(d["routes"]), d["routes"][0]["selected"])')" \
        "2001:db8:ac::/48 2 True" "show route json: the prefix, the selected candidate first"
    # The move of the allowed IP below is a typed monitor event.
    timeout 40 "$WGBABELCTL" -s "$WGT_DIR/b.sock" --json monitor >"$WGT_DIR/monitor-aip.json" 2>&1 &
    local mpid=$!
    wgt_assert_wait "grep -q '\"type\":\"route\"' $WGT_DIR/monitor-aip.json" 10 "b's JSON monitor started"
    wgt_assert_wait "has_aip b a 2001:db8:ac::/48 || has_aip b c 2001:db8:ac::/48" 5 "b: anycast prefix installed"
    # Exactly one peer holds it (allowed IPs are a longest-match table).
    local n=0
    has_aip b a 2001:db8:ac::/48 && n=$((n + 1))
    has_aip b c 2001:db8:ac::/48 && n=$((n + 1))
    wgt_assert_eq "$n" 1 "peers holding the anycast prefix on b"
    # A and C each keep their own origin (no route via b installed).
    wgt_assert_not has_aip a b 2001:db8:ac::/48
    # When c stops announcing, b moves the prefix to a.
    local from
    if has_aip b c 2001:db8:ac::/48; then from=c; else from=a; fi
    topo_ctl "$from" withdraw 2001:db8:ac::/48 >/dev/null
    local to=a
    [ "$from" = a ] && to=c
    wgt_assert_wait "has_aip b $to 2001:db8:ac::/48" 20 "b: anycast prefix moved to $to"
    wgt_assert_wait "has_aip_move $WGT_DIR/monitor-aip.json 2001:db8:ac::/48 ${WGT_PUB[$from/wg0]} ${WGT_PUB[$to/wg0]}" 10 \
        "b's JSON monitor: the allowed IP moved from $from's peer to $to's" ||
        cat "$WGT_DIR/monitor-aip.json" >&2
    kill "$mpid" 2>/dev/null
    wait "$mpid" 2>/dev/null || true
    # Back to the state the rest expects: a holds it, c does not announce.
    if [ "$from" = a ]; then
        topo_ctl a announce 2001:db8:ac::/48 >/dev/null
        topo_ctl c withdraw 2001:db8:ac::/48 >/dev/null
        wgt_assert_wait "has_aip b a 2001:db8:ac::/48" 20 "b: anycast prefix back on a"
    fi
    wgt_assert_wait "has_aip c b 2001:db8:ac::/48" 20 "c: reaches the anycast prefix through b"
    topo_ctl a withdraw 2001:db8:ac::/48 >/dev/null
}

t_foreign_allowed_ip_is_refused() {
    # An operator put 2001:db8:f::/48 on peer a by hand; c announces it.
    wgt_wg_set b wg0 peer "${WGT_PUB[a/wg0]}" allowed-ips "$(topo_static_aips b a | tr -d ' '),2001:db8:f::/48" || return 1
    # WireGuard sends no notification: b sees the change when it re-reads
    # the device (every 5 s). Announcing before that would let b take the
    # prefix it did not know was foreign.
    sleep 6
    topo_ctl c announce 2001:db8:f::/48 >/dev/null
    wgt_assert_wait "topo_ctl b show refused | grep -q '2001:db8:f::/48'" 25 "b lists 2001:db8:f::/48 as refused" ||
        { topo_ctl b show allowedips >&2; return 1; }
    # show allowedips agrees: its state for the prefix is "refused".
    wgt_assert_wait "topo_ctl b show allowedips | grep -Eq ' 2001:db8:f::/48 +[^ ]+ refused\$'" 5 \
        "show allowedips says refused where show refused lists it" ||
        topo_ctl b show allowedips >&2
    wgt_assert has_aip b a 2001:db8:f::/48
    wgt_assert_not has_aip b c 2001:db8:f::/48
    topo_ctl c withdraw 2001:db8:f::/48 >/dev/null
    wgt_assert_wait "! topo_ctl b show refused | grep -q '2001:db8:f::/48'" 20 "refusal cleared after withdraw"
    wgt_assert has_aip b a 2001:db8:f::/48
}

t_control_protocol() {
    local what out
    for what in interfaces neighbours routes originated allowedips refused status; do
        topo_ctl b --json show "$what" >"$WGT_DIR/show-$what.json" || wgt_fail "show $what --json failed"
    done
    # One python for all (a process start is slow in an emulated guest).
    python3 - "$WGT_DIR"/show-*.json <<'PY' || wgt_fail "a show --json answer is not JSON"
import json, sys
for f in sys.argv[1:]:
    try:
        json.load(open(f))
    except ValueError as e:
        print("# %s: %s" % (f, e))
        sys.exit(1)
PY
    # babeld's local protocol: greeting, dump lines.
    out=$(topo_ctl b dump)
    wgt_assert_contains "$out" "add neighbour "
    wgt_assert_contains "$out" "add route "
    # Identifiers are hashes of what names the object: 12 hex digits, the
    # same in every dump (never memory addresses). Compared per object
    # (a neighbour by address and interface, a route by prefix, source,
    # next hop and interface) on the objects in both dumps: a route may
    # come or go between the two (once in the emulated guest a route
    # learned late made the second dump one line longer).
    local ids1 same
    ids1=$(sed -n 's/^add \(route\|neighbour\) \([^ ]*\) .*/\2/p' <<<"$out" | sort)
    wgt_assert_eq "$(grep -cvE '^[0-9a-f]{12}$' <<<"$ids1")" 0 "ids that are not 12 hex digits"
    same=$( { sed 's/^/1 /' <<<"$out"; topo_ctl b dump | sed 's/^/2 /'; } | awk '
        $2 != "add" || ($3 != "route" && $3 != "neighbour") { next }
        { key = $3; for (i = 5; i < NF; i++)
              if ($i == "address" || $i == "prefix" || $i == "from" ||
                  $i == "via" || $i == "if") key = key " " $i "=" $(i + 1)
          if ($1 == 1) a[key] = $4; else b[key] = $4 }
        END { both = 0; bad = 0
              for (k in a) if (k in b) { both++; if (a[k] != b[k]) { bad++; print "# " k ": " a[k] " then " b[k] } }
              print both, bad }')
    wgt_log "objects in both dumps, ids that changed: $(tail -n 1 <<<"$same")"
    wgt_assert_eq "$(tail -n 1 <<<"$same" | awk '{ print ($1 > 2) " " $2 }')" "1 0" \
        "the same objects have the same ids in two dumps"
    wgt_assert_contains "$(topo_ctl c dump)" "add xroute 2001:db8:c::/48-::/0 prefix 2001:db8:c::/48 from ::/0 metric 0"
    # The read-only socket shows but does not change.
    out=$("$WGBABELCTL" -s "$WGT_DIR/b-ro.sock" show routes) || wgt_fail "show on the read-only socket"
    out=$("$WGBABELCTL" -s "$WGT_DIR/b-ro.sock" announce 2001:db8:99::/48 2>&1) &&
        wgt_fail "announce accepted on the read-only socket"
    wgt_assert_contains "$out" "read-only"
    # Sockets: rw 0600, ro as configured.
    wgt_assert_eq "$(stat -c %a "$WGT_DIR/b.sock")" 600 "mode of the read-write socket"
    wgt_assert_eq "$(stat -c %a "$WGT_DIR/b-ro.sock")" 666 "mode of the read-only socket"
    # monitor streams a change made elsewhere.
    timeout 8 "$WGBABELCTL" -s "$WGT_DIR/b.sock" monitor >"$WGT_DIR/monitor.out" 2>&1 &
    local mpid=$!
    sleep 1
    topo_ctl c announce 2001:db8:c0::/48 >/dev/null
    wgt_assert_wait "grep -q '^add route .* prefix 2001:db8:c0::/48 ' $WGT_DIR/monitor.out" 10 "monitor shows the new route"
    topo_ctl c withdraw 2001:db8:c0::/48 >/dev/null
    wgt_assert_wait "grep -Eq '^(flush|change) route .* prefix 2001:db8:c0::/48 ' $WGT_DIR/monitor.out" 10 "monitor shows the retraction"
    kill "$mpid" 2>/dev/null
    wait "$mpid" 2>/dev/null || true
}

t_link_down_up() {
    local ifb
    ifb=$(topo_if b)
    wgt_ip b link set "$ifb" down
    wgt_assert_wait "topo_ctl b show interfaces | grep -q '^$ifb .* down '" 5 "b shows its link down" || return 1
    wgt_ip b link set "$ifb" up
    # Up again with its addresses and routes, which went with the link.
    topo_wg_addrs b
    wgt_assert_wait "topo_ctl b show interfaces | grep -q '^$ifb .* running '" 10 "b runs Babel again after link up" || return 1
    topo_ctl c announce 2001:db8:c1::/48 >/dev/null
    wgt_assert_wait "has_aip a b 2001:db8:c1::/48" 30 "a learns a new prefix of c through b after b's link came back"
    topo_ctl c withdraw 2001:db8:c1::/48 >/dev/null
}

t_filters() {
    # a refuses one of c's prefixes (in), c keeps another to itself (out);
    # both set by a reload.
    echo "in prefix 2001:db8:cf::/48 deny" >>"$WGT_DIR/a.conf"
    echo "out prefix 2001:db8:cd::/48 deny" >>"$WGT_DIR/c.conf"
    kill -HUP "${TOPO_PID[a]}" "${TOPO_PID[c]}"
    wgt_assert_wait "grep -q 'configuration reloaded' $WGT_DIR/wgbabeld-a.log && grep -q 'configuration reloaded' $WGT_DIR/wgbabeld-c.log" 5 "a and c reloaded" || return 1
    topo_ctl c announce 2001:db8:cf::/48 >/dev/null
    topo_ctl c announce 2001:db8:cd::/48 >/dev/null
    topo_ctl c announce 2001:db8:ce::/48 >/dev/null
    wgt_assert_wait "has_aip a b 2001:db8:ce::/48" 20 "a: the unfiltered prefix arrives" || return 1
    wgt_assert has_aip b c 2001:db8:cf::/48
    wgt_assert_not has_aip a b 2001:db8:cf::/48
    wgt_assert_not has_route a 2001:db8:cf::/48
    wgt_assert_not has_aip b c 2001:db8:cd::/48
    wgt_assert_not has_aip a b 2001:db8:cd::/48
    for p in cf cd ce; do topo_ctl c withdraw "2001:db8:$p::/48" >/dev/null; done
    sed -i '/^in prefix 2001:db8:cf::/d' "$WGT_DIR/a.conf"
    sed -i '/^out prefix 2001:db8:cd::/d' "$WGT_DIR/c.conf"
    kill -HUP "${TOPO_PID[a]}" "${TOPO_PID[c]}"
}

t_sighup_bad_config_keeps_running() {
    echo "no-such-directive 1" >>"$WGT_DIR/b.conf"
    kill -HUP "${TOPO_PID[b]}"
    wgt_assert_wait "grep -q 'reload failed, keeping the running configuration: $WGT_DIR/b.conf:[0-9]*: unknown directive' $WGT_DIR/wgbabeld-b.log" 5 "bad reload reported"
    wgt_assert kill -0 "${TOPO_PID[b]}"
    wgt_assert topo_ctl b show status >/dev/null
    sed -i '/no-such-directive/d' "$WGT_DIR/b.conf"
}

t_sigterm_retracts_and_cleans_up() {
    topo_stop c 10
    wgt_assert_wait "! has_aip a b 2001:db8:c::/48" 10 "a: c's prefix gone after c's SIGTERM"
    wgt_assert_wait "! has_aip b c 2001:db8:c::/48" 5 "b: c's prefix gone after c's SIGTERM"
    wgt_assert_wait "! has_route a 2001:db8:c::/48" 5 "a: route to c's prefix gone"
    wgt_assert_wait "! has_aip a b 2001:db8:cc::/48" 5 "a: c's redistributed prefix gone"
    # c removed what it had installed, and only that.
    wgt_assert_not has_aip c b 2001:db8:a::/48
    wgt_assert has_aip c b fe80::2/128
    wgt_assert_not has_route c 2001:db8:a::/48
    wgt_assert_not test -e "$WGT_DIR/c.sock"
}

t_clean_exit() {
    topo_stop a 10
    topo_stop b 10
    local n
    for n in a b c; do
        if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$WGT_DIR/wgbabeld-$n.log" >&2; then
            wgt_fail "sanitizer report in wgbabeld-$n.log"
        fi
        wgt_assert grep -q 'wgbabeld: exited' "$WGT_DIR/wgbabeld-$n.log"
    done
    # b took away what it had installed, nothing else.
    wgt_assert_not has_aip b a 2001:db8:a::/48
    wgt_assert has_aip b a 2001:db8:f::/48
}

wgt_setup "three nodes on WireGuard ($WGT_BACKEND) with wgbabeld" setup
wgt_test "b sees a and c as Babel neighbours with their WireGuard peers" t_neighbours
wgt_test "a prefix announced on c is an allowed IP and a route on a and b" t_prefix_becomes_allowed_ip_and_route
wgt_test "traffic flows a -> c over two WireGuard hops" t_ping_two_hops
wgt_test "wgbabelctl announce and withdraw propagate" t_announce_and_withdraw
wgt_test "redistribute: kernel routes of the given protocol are announced" t_redistribute
wgt_test "anycast: one peer holds the prefix, and it moves when an origin leaves" t_anycast
wgt_test "a prefix held by a foreign allowed IP is refused, not stolen" t_foreign_allowed_ip_is_refused
wgt_test "control protocol: JSON, dump, read-only socket, monitor" t_control_protocol
wgt_test "b's link down and up: Babel stops and resumes" t_link_down_up
wgt_test "in and out filters (set by SIGHUP) keep prefixes out" t_filters
wgt_test "SIGHUP with a bad file keeps the running configuration" t_sighup_bad_config_keeps_running
wgt_test "SIGTERM retracts and removes what wgbabeld installed" t_sigterm_retracts_and_cleans_up
wgt_test "the daemons exit cleanly, with no sanitizer report" t_clean_exit
# The operator takes back the allowed IP put on a by hand (and kept by b),
# so that b's static allowed IPs compare with what they were at the start.
wgt_wg_set b wg0 peer "${WGT_PUB[a/wg0]}" allowed-ips "$(topo_static_aips b a | tr -d ' ')"
topo_done
