#!/bin/bash
# tests/e2e/mesh20.sh: N nodes (default 20, TOPO_MESH_N) on one bridge, a
# full WireGuard mesh (every node peers with every other), wgbabeld on all.
# Converged = every node holds every other node's two addresses on exactly
# one peer.  Prints the time from starting the daemons to that.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"
topo_init mesh
# No next-hop timelines by default (topo.sh): what this measures is
# convergence, and 20 monitors reading every node's route events took it
# from 6-8 s to 17-30 s on the host (4 runs at 0d308a6).
: "${TOPO_TIMELINE:=0}"

N=${TOPO_MESH_N:-20}

build() {
    local i
    topo_underlay bridge
    for ((i = 1; i <= N; i++)); do topo_node "m$i"; done
    topo_full_mesh
    topo_up
}

t_converge() {
    topo_wait_converged "${TOPO_MESH_TIMEOUT:-120}" || return 1
    echo "# $N-node full mesh ($WGT_BACKEND): converged ${TOPO_CONV_TIME}s after the daemons started (last node first seen converged; all confirmed at once by ${TOPO_CONV_CONFIRMED}s)"
}

# How many of the other nodes' addresses m1 holds on another peer.
indirect() {
    local i bad=0
    for ((i = 2; i <= N; i++)); do
        [ "$(topo_holders m1 "$(topo_addr6 "m$i")/128")" = "m$i" ] || bad=$((bad + 1))
    done
    echo "$bad"
}

t_direct() {
    # In a full mesh every best route is the direct peer, once the RTTs
    # have settled: a link's first RTT samples include its WireGuard
    # handshake, and for a few seconds a two-hop route can be cheaper
    # (seen once right after convergence on wireguard-go).
    local t0
    local lim
    lim=$(topo_bound mesh20.direct)
    t0=$(wgt_now)
    wgt_wait_until '[ "$(indirect)" = 0 ]' "$lim"
    wgt_assert_eq "$(indirect)" 0 "m1: addresses not held by their own node" &&
        wgt_log "m1: every route direct $(wgt_since "$t0")s after convergence"
    wgt_assert topo_ping m1 "$(topo_addr6 "m$N")"
    wgt_assert topo_ping "m$N" "$(topo_addr4 m1)"
}

wgt_setup "$N nodes on a bridge, full WireGuard mesh, wgbabeld started ($WGT_BACKEND)" build
wgt_test "the $N-node mesh converges" t_converge
wgt_test "every route is the direct peer; pings across" t_direct
topo_done
