#!/bin/bash
# tests/demo.sh: from a fresh Debian 12 machine, as root, in the top of the
# work tree:  bash tests/demo.sh
# Installs the dependencies (tests/deps.sh), builds wgbabeld into
# build-demo, and shows a 5-node anycast mesh on real WireGuard (kernel
# WireGuard when this kernel has it, else wireguard-go; WGB_WG_BACKEND
# chooses):
#
#     n1* ---- n2 ~~~~ n3*        * announce 10.200.0.1/32, 2001:db8:ac::1/128
#      |                |         ~~ 60 ms each way
#     n5 ------------- n4
#
# It prints, on every node, the route wgbabeld selected (wgbabelctl) and the
# peer that holds the prefix in WireGuard's AllowedIPs (wg show), then
# crashes n1 (its wgbabeld SIGKILLed, its links cut) while n5 pings the
# prefix 100 times a second, and shows where the traffic went. The mesh as
# the nodes see it (wgbabelctl graph, merged by tests/merge_dot.py) is
# drawn before and after the failover: build-demo/mesh-before.svg and
# mesh-after.svg.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (network namespaces)" >&2; exit 1; }

if [ "${WGB_SKIP_DEPS:-0}" != 1 ]; then
    echo "== installing dependencies (tests/deps.sh)"
    bash tests/deps.sh
fi
echo "== building into build-demo"
[ -f build-demo/build.ninja ] || meson setup build-demo >/dev/null
ninja -C build-demo >/dev/null
export WGB_BUILD=$top/build-demo

set +e
. tests/e2e/topo.sh
topo_init demo

topo_node n1 n2 n3 n4 n5
topo_link n1 n2
topo_link n2 n3 60
topo_link n3 n4
topo_link n4 n5
topo_link n5 n1
topo_anycast n1 n3
echo "== building the mesh ($WGT_BACKEND WireGuard) and starting wgbabeld on 5 nodes"
topo_up || exit 1
topo_wait_converged 60 || exit 1
echo "== converged in ${TOPO_CONV_TIME}s"

winners() {
    local n line
    for n in n1 n2 n3 n4 n5; do
        if [ -n "$(topo_ctl "$n" show originated | grep "$TOPO_ANYCAST6/128")" ]; then
            printf '%-3s originates %s itself\n' "$n" "$TOPO_ANYCAST6/128"
            continue
        fi
        line=$(topo_ctl "$n" show routes | grep "^\* $TOPO_ANYCAST6/128")
        printf '%-3s wgbabelctl: %s\n' "$n" "$(echo "$line" | tr -s ' ')"
        printf '%-3s wg show:    %s holds %s in AllowedIPs (peer %s)\n' "$n" \
            "$(topo_holders "$n" "$TOPO_ANYCAST6/128" | tr '\n' ' ')" "$TOPO_ANYCAST6/128" \
            "$(topo_wg "$n" allowed-ips | grep -F "$TOPO_ANYCAST6/128" | cut -c1-12)..."
    done
}

# mesh_svg NAME NODE...: every NODE's `wgbabelctl graph`, merged into one
# picture (tests/merge_dot.py), build-demo/mesh-NAME.dot, rendered to
# build-demo/mesh-NAME.svg.
mesh_svg() {
    local name=$1 n files=()
    shift
    for n in "$@"; do
        topo_ctl "$n" graph >"$WGT_DIR/$n.dot" && files+=("$WGT_DIR/$n.dot")
    done
    python3 tests/merge_dot.py "${files[@]}" >"$top/build-demo/mesh-$name.dot" &&
        dot -Tsvg "$top/build-demo/mesh-$name.dot" >"$top/build-demo/mesh-$name.svg" &&
        echo "   the mesh as its nodes see it: build-demo/mesh-$name.svg"
}

echo "== who each node uses for the anycast prefix (n2 avoids its slow link to n3)"
winners
mesh_svg before n1 n2 n3 n4 n5
echo "== wg show on n5"
topo_wg n5 | sed 's/^/   /'

echo "== n5 pings $TOPO_ANYCAST6 at 100/s; in 2 s n1 crashes (wgbabeld SIGKILLed, links cut)"
topo_loss_bg n5 "$TOPO_ANYCAST6" 10
sleep 2
t0=$(wgt_now)
topo_crash n1
wgt_wait_until "[ \"\$(topo_holders n5 $TOPO_ANYCAST6/128)\" = n4 ]" 30
echo "   n5 moved the prefix to peer n4 $(wgt_since "$t0")s after the crash"
topo_loss_wait n5
echo "   n5 lost $TOPO_LOST of $TOPO_SENT pings (${TOPO_LOSS}%), i.e. about $((TOPO_LOST * 10)) ms of traffic"
echo "== after the failover"
for n in n2 n4 n5; do
    wgt_wait_until "[ -n \"\$(topo_holders $n $TOPO_ANYCAST6/128)\" ] && [ \"\$(topo_holders $n $TOPO_ANYCAST6/128)\" != n1 ]" 20
done
winners 2>/dev/null | grep -v '^n1 '
mesh_svg after n2 n3 n4 n5
echo "== done (namespaces and daemons are removed on exit)"
WGT_N=0
wgt_done >/dev/null
