#!/bin/bash
# tests/e2e/join.sh: a node joins a converged mesh (issue 16, part 1).
# N nodes (default 20, TOPO_JOIN_N) on one bridge, a full WireGuard mesh
# of N + 1 (every node peers with every other, the joiner too, as an
# operator adds a new peer to every node in advance); wgbabeld runs on the
# N, which converge.  Then the joiner's wgbabeld starts: every node must
# hold the joiner's two addresses, and the joiner every other node's,
# each on exactly one peer, within 2 s (the guest: JOIN_LIM) plus the
# time to write them (2 N + 2 prefixes here: milliseconds).  The joiner
# is a registered WireGuard peer on every node before it ever speaks:
# what is tested is that its first Hello still counts as a new neighbour
# and gets the full table at once, not at the next periodic update (16 s).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init join

N=${TOPO_JOIN_N:-20}
J=m$((N + 1))
# In the qemu guest (TCG) one pass of the convergence poll over 21 nodes
# takes seconds by itself (tests/e2e/mesh20.sh).
JOIN_LIM=2
[ "${WGB_IN_GUEST:-0}" = 1 ] && JOIN_LIM=${JOIN_GUEST_LIM:-30}

build() {
    local i all
    topo_underlay bridge
    for ((i = 1; i <= N + 1; i++)); do topo_node "m$i"; done
    topo_full_mesh
    topo_build || return 1
    topo_clutter_snapshot || return 1
    # Every daemon but the joiner's; convergence among the N (topo.sh's
    # checks look at TOPO_NODES: the joiner is left out of it until it
    # starts, and the wanted prefixes are worked out again then).
    all=("${TOPO_NODES[@]}")
    TOPO_NODES=("${all[@]:0:N}")
    topo_mark
    for ((i = 1; i <= N; i++)); do
        _topo_launch "m$i" || return 1
    done
    for ((i = 1; i <= N; i++)); do
        _topo_started "m$i" || return 1
    done
    topo_wait_converged "${TOPO_MESH_TIMEOUT:-120}" || return 1
    TOPO_NODES=("${all[@]}")
    rm -f "$WGT_DIR"/want.*
}

# What NODE lacks: each wanted prefix not on exactly one peer, with the
# number of peers holding it (topo_node_converged's check, spelled out).
lacks() {
    topo_wg "$1" allowed-ips | awk '
        NR == FNR { if ($1 == "W") want[$2] = 1; next }
        { for (i = 2; i <= NF; i++) if ($i in want) seen[$i]++ }
        END { for (p in want) if (seen[p] != 1) printf "%s(%d) ", p, seen[p] }' "$WGT_DIR/want.$1" -
}

# Polls every node until each has been seen converged once, from the
# joiner's start; logs when each was, and what the late ones lacked at
# the first poll after JOIN_LIM.
t_join() {
    local t0 t n pending still last=0 shown='' times='' pass='' TJ=''
    topo_start "$J" || return 1
    # The clock starts when the joiner's control socket answers: its
    # Hellos go out from then on (topo_start waited for it).
    t0=$(wgt_now)
    for n in "${TOPO_NODES[@]}"; do _topo_want_file "$n"; done
    pending=("${TOPO_NODES[@]}")
    while [ "${#pending[@]}" -gt 0 ]; do
        still=()
        for n in "${pending[@]}"; do
            if topo_node_converged "$n" 2>/dev/null; then
                t=$(wgt_since "$t0")
                times+=" $n:$t"
                [ "$n" = "$J" ] && TJ=$t
                awk -v a="$t" -v b="$last" 'BEGIN { exit !(a > b) }' && last=$t
            else
                still+=("$n")
            fi
        done
        pending=("${still[@]}")
        t=$(wgt_since "$t0")
        [ -n "$pass" ] || pass=$t
        if [ -z "$shown" ] && [ "${#pending[@]}" -gt 0 ] &&
            awk -v t="$t" -v l="$JOIN_LIM" 'BEGIN { exit !(t > l) }'; then
            shown=1
            for n in "${pending[@]}"; do wgt_log "$n at $t s lacks $(lacks "$n")"; done
        fi
        awk -v t="$t" 'BEGIN { exit !(t > 60) }' && break
        [ "${#pending[@]}" -gt 0 ] && sleep 0.1
    done
    wgt_log "first seen converged (node:s):$times"
    echo "# node joined: $J joined a converged $N-node mesh ($WGT_BACKEND): it held all $((2 * N)) routes after ${TJ:-never} s; the last node first seen converged after $last s (the first poll of all $((N + 1)) took $pass s)"
    [ "${#pending[@]}" -eq 0 ] || { wgt_fail "not converged within 60 s: ${pending[*]}"; return 1; }
    awk -v t="$last" -v l="$JOIN_LIM" 'BEGIN { exit !(t <= l) }' ||
        wgt_fail "the mesh with $J converged after $last s, want <= $JOIN_LIM s"
    [ -n "$TJ" ] && awk -v t="$TJ" -v l="$JOIN_LIM" 'BEGIN { exit !(t <= l) }' ||
        wgt_fail "$J held every route after $TJ s, want <= $JOIN_LIM s"
}

t_ping() {
    wgt_assert topo_ping "$J" "$(topo_addr6 m1)"
    wgt_assert topo_ping m1 "$(topo_addr4 "$J")"
}

wgt_setup "$N nodes on a bridge, a full WireGuard mesh of $((N + 1)), wgbabeld on $N, converged ($WGT_BACKEND)" build
wgt_log "the $N-node mesh converged in ${TOPO_CONV_TIME:-?}s"
wgt_test "$J joins: every route everywhere within $JOIN_LIM s" t_join
wgt_test "pings between the joiner and the mesh" t_ping
topo_done
