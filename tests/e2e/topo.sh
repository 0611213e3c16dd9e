# shellcheck shell=bash
# tests/e2e/topo.sh: a topology runner for wgbabeld end-to-end tests on real
# WireGuard, built on tests/lib/netns.sh.  Source it from bash:
#
#   . "$(dirname "$0")/topo.sh"
#   topo_init anycast                 # wgt_init, finds wgbabeld/wgbabelctl
#   topo_node n1 n2 n3                # nodes (namespaces), in index order
#   topo_node n4 --wg-quick           # this one is brought up by wg-quick
#   topo_link n1 n2                   # a WireGuard peering (and, in veth
#   topo_link n2 n3 60                #   mode, a veth pair; 60 ms netem
#   topo_link n3 n4                   #   delay each way)
#   topo_anycast n1 n4                # 10.200.0.1/32 + 2001:db8:ac::1/128 on lo
#   topo_up                           # build it all, start wgbabeld everywhere
#   topo_wait_converged 30            # every node reaches every other one
#   topo_done                         # the hosts' clutter check, then wgt_done
#
# topo_up is topo_build (namespaces, links, addresses, the hosts' clutter)
# then topo_launch (snapshot of the clutter, daemons started): a script
# that sets more up by hand (rules, routes, addresses) does it in between.
#
# Nodes run wgbabeld, or babeld 1.12 (topo_node NAME --babeld) or BIRD 2
# (--bird) as peers to test against.  A node has a WireGuard interface
# "wg0" when it has a WireGuard peering (topo_link) or is --wg-quick;
# topo_wire A B gives two nodes a plain veth that they speak Babel on
# ("type wired"), without WireGuard.
#
# Addressing, node number i (1-based, in declaration order):
#   wg interface "wg0" (real name NODE-wg0-TAG), as wg-quick would set it up:
#     Address fe80::i/64 (the Babel address), 10.99.0.i/32, fd99::i/128
#     (the tunnel address); each peer j gets AllowedIPs
#     fe80::j/128 (left out with TOPO_STATIC_LL=0), 10.99.0.j/32,
#     fd99::j/128 and a route to its tunnel address.  These are the
#     static, operator-owned allowed IPs.
#   node address (on lo, announced by wgbabeld, babeld, BIRD):
#     10.100.0.i/32, 2001:db8:100::i/128 — pings use it as their source
#     (topo_ping*).  topo_lo NODE ADDR/LEN... puts more on lo (babeld and
#     BIRD announce them; a wgbabeld node announces what topo_announce says).
#   underlay: veth mode (default): one veth pair per link, ve-PEER in each
#     namespace, 172.16.x.y/30; bridge mode (topo_underlay bridge): one
#     namespace "br" holding a bridge, node i at 172.31.x.y/16
#     (topo_uaddr NODE).  A wire (topo_wire A B [ADDR_A ADDR_B]): ve-PEER,
#     a kernel-made link-local address, the addresses given.
#   anycast (topo_anycast): 10.200.0.1/32 and 2001:db8:ac::1/128 on lo of
#     each origin, announced there, and nft counters of
#     the echo requests each origin receives for them (topo_echo_count).
#   the clutter of a real host, on every node: an uplink "up0" to namespace
#     "gw" (a bridge holding the gateway 100.64.0.1/16, fd64::1/64; node i
#     at 100.64.x.y/16, fd64::(i+1)/64), default routes through it, static
#     routes 10.9.9.0/24 and fd09:9::/48 (proto static) through it.  At
#     the end (topo_done) every node's routes, rules and static allowed IPs
#     must be as they were before the daemons started (topo_clutter_check).
#   "gw" and "br" are taken: no node may have those names.
#
# wgbabeld per node: $WGT_DIR/NODE.conf, socket $WGT_DIR/NODE.sock, log
# $WGT_DIR/wgbabeld-NODE.log; routes in the main table.
#
# Environment: WGB_BUILD (build directory, default REPO/build-test),
# TOPO_HELLO (hello interval in s, default 1; "default": the daemons'
# own), TOPO_LOG_LEVEL (wgbabeld's, default info), TOPO_AUTO_LL (1, the
# default: the kernel-made link-local address wireguard-go's TUN gets is
# left on wg0 beside fe80::i, as on a real host, and veths get theirs;
# 0: none but fe80::i), TOPO_STATIC_LL=0
# (no fe80::j/128 allowed IPs: Babel over IPv4 on WireGuard),
# everything netns.sh reads.

TOPO_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPO_TOP=$(cd "$TOPO_HERE/../.." && pwd)
# shellcheck source=../lib/netns.sh
. "$TOPO_TOP/tests/lib/netns.sh"
. "$TOPO_HERE/bounds.sh"

TOPO_NODES=()
TOPO_LINKS=()
TOPO_UNDERLAY=veth
declare -gA TOPO_IDX=() TOPO_WGQ=() TOPO_PEERS=() TOPO_DELAY=() TOPO_UA=()
declare -gA TOPO_ANN=() TOPO_CONF=() TOPO_PID=() TOPO_KEYNODE=() TOPO_ORIGIN=()
declare -gA TOPO_DELAYABLE=() TOPO_LNUM=() TOPO_NBATCH=()
declare -gA TOPO_ZEBRA_PID=()
declare -gA TOPO_KIND=() TOPO_HASWG=() TOPO_WPEERS=() TOPO_WADDR=() TOPO_IFOPT=() TOPO_LO=()
declare -gA TOPO_ARGS=()
# TOPO_WG_UNCONF[NODE]=1: NODE's wgbabeld configuration (at the next start
# or topo_reload) leaves its WireGuard interface out; the device stays.
declare -gA TOPO_WG_UNCONF=()
TOPO_WIRES=()
TOPO_ANYCAST4=10.200.0.1
TOPO_ANYCAST6=2001:db8:ac::1
TOPO_LINKN=0

# topo_init NAME [BUILD_DIR]: wgt_init NAME, locate the binaries (in
# BUILD_DIR, else $WGB_BUILD, else build-test).
topo_init() {
    wgt_init "$1"
    WGB_BUILD=${2:-${WGB_BUILD:-$TOPO_TOP/build-test}}
    case $WGB_BUILD in /*) ;; *) WGB_BUILD=$TOPO_TOP/$WGB_BUILD ;; esac
    WGBABELD=$WGB_BUILD/daemon/wgbabeld
    [ "${WGB_IN_GUEST:-0}" = 1 ] && : "${WGT_KEEP_FAILED:=$WGB_BUILD/wgt-failed}"
    WGBABELCTL=$WGB_BUILD/daemon/wgbabelctl
    local b
    for b in "$WGBABELD" "$WGBABELCTL"; do
        [ -x "$b" ] || { echo "$1: $b not built (meson setup $WGB_BUILD && ninja -C $WGB_BUILD)" >&2; exit 1; }
    done
    TOPO_HELLO=${TOPO_HELLO:-1}
}

# topo_underlay veth|bridge
topo_underlay() { TOPO_UNDERLAY=$1; }

# topo_node NAME... [--wg-quick | --babeld | --bird | --frr]: declare nodes
# (NAME at most 7 characters); --wg-quick: wg-quick brings its wg0 up;
# --babeld, --bird, --frr (FRR's zebra and babeld): that daemon runs there
# instead of wgbabeld.
topo_node() {
    local n wgq=0 a kind=wgbabeld
    for a in "$@"; do
        case $a in
        --wg-quick) wgq=1 ;;
        --babeld) kind=babeld ;;
        --bird) kind=bird ;;
        --frr) kind=frr ;;
        esac
    done
    for n in "$@"; do
        case $n in --*) continue ;; esac
        TOPO_NODES+=("$n")
        TOPO_IDX[$n]=${#TOPO_NODES[@]}
        TOPO_WGQ[$n]=$wgq
        TOPO_KIND[$n]=$kind
        [ "$wgq" = 1 ] && TOPO_HASWG[$n]=1
        TOPO_WPEERS[$n]=''
        TOPO_PEERS[$n]=''
        TOPO_ANN[$n]=''
        TOPO_CONF[$n]=''
    done
}

_topo_key() { if [[ $1 < $2 ]]; then echo "$1 $2"; else echo "$2 $1"; fi; }
# The same into _TOPO_K, without a subshell (setup runs it per peer).
_topo_key_v() { if [[ $1 < $2 ]]; then _TOPO_K="$1 $2"; else _TOPO_K="$2 $1"; fi; }

# topo_link A B [DELAY_MS]: WireGuard peering A<->B; in veth mode over its
# own veth pair, with DELAY_MS of delay each way (so RTT 2*DELAY).  Delay is
# tc netem on both veth ends where the kernel has netem; elsewhere (this
# project's dev host) a UDP relay, udp_delay.py, sits between the two
# WireGuard endpoints.  Only links given a DELAY_MS (0 is fine) can have
# their delay changed with topo_delay; they get their netem (or relay) when
# the topology is built, so a later change never adds a qdisc.
topo_link() {
    local a=$1 b=$2 d=${3:-0} k
    k=$(_topo_key "$a" "$b")
    TOPO_LINKS+=("$k")
    TOPO_DELAY[$k]=$d
    # A link given a delay (even 0) can have it changed later (topo_delay).
    [ $# -ge 3 ] && TOPO_DELAYABLE[$k]=1
    TOPO_PEERS[$a]+=" $b"
    TOPO_PEERS[$b]+=" $a"
    TOPO_HASWG[$a]=1
    TOPO_HASWG[$b]=1
}

# topo_wire A B [ADDR_A ADDR_B]: a plain veth between A and B (ve-B in A,
# ve-A in B; ADDR_* as for wgt_veth, default "-": the link-local address
# only) that both speak Babel on, as a wired link.
topo_wire() {
    TOPO_WIRES+=("$1 $2")
    TOPO_WADDR[$1 $2]=${3:--}
    TOPO_WADDR[$2 $1]=${4:--}
    TOPO_WPEERS[$1]+=" $2"
    TOPO_WPEERS[$2]+=" $1"
}

# topo_ifopt NODE DEV OPTION...: options on NODE's interface line for DEV
# (wg0, or ve-PEER of a wire) in its wgbabeld.conf ("transport ipv4").
topo_ifopt() {
    local n=$1 d=$2
    shift 2
    TOPO_IFOPT[$n $d]+=" $*"
}

# topo_ifopt_reset NODE DEV: no more options on that interface line.
topo_ifopt_reset() { TOPO_IFOPT[$1 $2]=''; }

# topo_lo NODE ADDR/LEN...: more addresses on NODE's lo.
topo_lo() {
    local n=$1
    shift
    TOPO_LO[$n]+=" $*"
}

# topo_full_mesh: a link between every two declared nodes.
topo_full_mesh() {
    local i j
    for ((i = 0; i < ${#TOPO_NODES[@]}; i++)); do
        for ((j = i + 1; j < ${#TOPO_NODES[@]}; j++)); do
            topo_link "${TOPO_NODES[i]}" "${TOPO_NODES[j]}"
        done
    done
}

# topo_announce NODE PREFIX [metric M]: an announce line in NODE's config.
topo_announce() {
    local n=$1
    shift
    TOPO_ANN[$n]+="announce $*"$'\n'
}

# topo_conf NODE LINE: an extra line in NODE's wgbabeld.conf.
topo_conf() { TOPO_CONF[$1]+="$2"$'\n'; }
# topo_args NODE ARGS...: command-line options for NODE's wgbabeld (kept
# for its restarts; topo_args NODE with nothing clears them).
topo_args() { local n=$1; shift; TOPO_ARGS[$n]="$*"; }

# topo_conf_reset NODE: none of topo_conf's lines any more.
topo_conf_reset() { TOPO_CONF[$1]=''; }

# topo_anycast NODE...: these nodes originate the anycast addresses.
topo_anycast() {
    local n
    for n in "$@"; do
        TOPO_ORIGIN[$n]=1
        topo_announce "$n" "$TOPO_ANYCAST4/32"
        topo_announce "$n" "$TOPO_ANYCAST6/128"
    done
}

# Node number / addresses.
topo_i() { echo "${TOPO_IDX[$1]}"; }
topo_addr4() { echo "10.100.0.${TOPO_IDX[$1]}"; }
topo_addr6() { printf '2001:db8:100::%x\n' "${TOPO_IDX[$1]}"; }
topo_ll() { printf 'fe80::%x\n' "${TOPO_IDX[$1]}"; }
topo_tun4() { echo "10.99.0.${TOPO_IDX[$1]}"; }
topo_tun6() { printf 'fd99::%x\n' "${TOPO_IDX[$1]}"; }
topo_if() { echo "${WGT_IF[$1/wg0]}"; }
topo_sock() { echo "$WGT_DIR/$1.sock"; }

# Underlay address of A on the link towards B (veth) or A's (bridge).
topo_uaddr() {
    if [ "$TOPO_UNDERLAY" = bridge ]; then echo "${TOPO_UA[$1]}"; else echo "${TOPO_UA[$1 $2]}"; fi
}

# ------------------------------------------------------------- building
_topo_build_underlay() {
    local k a b n l
    if [ "$TOPO_UNDERLAY" = bridge ]; then
        # Three ip processes for any number of nodes: the veth pairs from
        # here, the bridge side in one batch; each node's side (address,
        # up) goes into that node's batch in topo_up (TOPO_NBATCH).
        local pairs='' brc="link add br0 type bridge
link set br0 up
"
        wgt_ns_add br || return 1
        for n in "${TOPO_NODES[@]}"; do
            l=${TOPO_IDX[$n]}
            TOPO_UA[$n]=172.31.$((l / 250)).$((l % 250 + 1))
            pairs+="link add ve-br netns ${WGT_NS[$n]} type veth peer name ve-$n netns ${WGT_NS[br]}"$'\n'
            brc+="link set ve-$n master br0"$'\n'"link set ve-$n up"$'\n'
            TOPO_NBATCH[$n]+="addr add ${TOPO_UA[$n]}/16 dev ve-br"$'\n'"link set ve-br up"$'\n'
        done
        ip -b - <<<"$pairs" || { wgt_fail "veth pairs to the bridge"; return 1; }
        wgt_ip br -b - <<<"$brc" || { wgt_fail "bridge"; return 1; }
        return 0
    fi
    for k in "${TOPO_LINKS[@]}"; do
        read -r a b <<<"$k"
        TOPO_LINKN=$((TOPO_LINKN + 1))
        l=$TOPO_LINKN
        TOPO_LNUM[$k]=$l
        TOPO_UA[$a $b]=172.16.$((l / 64)).$((l % 64 * 4 + 1))
        TOPO_UA[$b $a]=172.16.$((l / 64)).$((l % 64 * 4 + 2))
        wgt_veth "$a" "${TOPO_UA[$a $b]}/30" "$b" "${TOPO_UA[$b $a]}/30" || return 1
        [ -n "${TOPO_DELAYABLE[$k]:-}" ] || continue
        if _topo_relay_link "$k"; then
            # The relay runs in a's namespace; see _topo_endpoint.
            echo "${TOPO_DELAY[$k]}" >"$WGT_DIR/delay.$l"
            wgt_daemon "$a" "udp-delay-$l" python3 "$TOPO_HERE/udp_delay.py" \
                "${TOPO_UA[$a $b]}:$((40000 + 2 * l))" "${TOPO_UA[$a $b]}:$((40001 + 2 * l))" \
                "${TOPO_UA[$b $a]}:$((51819 + TOPO_IDX[$b]))" "${TOPO_UA[$a $b]}:$((51819 + TOPO_IDX[$a]))" \
                "$WGT_DIR/delay.$l" || return 1
            wgt_wait_until "grep -q ready $WGT_DIR/udp-delay-$l.log" 10 ||
                { wgt_fail "udp_delay.py for $k did not start"; return 1; }
        else
            # netem on every delayable link now, even at 0 ms, before any
            # traffic: the first "tc qdisc replace ... root netem" on a
            # live veth grafts a new root qdisc, and dev_deactivate() parks
            # the device on noop_qdisc for an RCU grace period: every packet
            # sent meanwhile is dropped (on Linux 6.1 under qemu TCG, one
            # echo request in a planned move, 2 of 4 runs of failover.sh).
            # Replacing netem by netem later (topo_delay) changes it in
            # place and keeps its queue.
            topo_delay "$a" "$b" "${TOPO_DELAY[$k]}" || return 1
        fi
    done
}

# topo_have_netem: true if this kernel has tc netem (probed once).
topo_have_netem() {
    case ${TOPO_DELAY_MODE:-auto} in netem) return 0 ;; relay) return 1 ;; esac
    if [ -z "${_TOPO_NETEM:-}" ]; then
        _TOPO_NETEM=1
        local ns=wgtnetem$$
        if ip netns add "$ns" 2>/dev/null; then
            ip -n "$ns" link add d0 type dummy 2>/dev/null &&
                tc -n "$ns" qdisc add dev d0 root netem delay 1ms 2>/dev/null && _TOPO_NETEM=0
            ip netns del "$ns"
        fi
        [ "$_TOPO_NETEM" = 0 ] || wgt_log "no tc netem in this kernel: delays by udp_delay.py"
    fi
    return "$_TOPO_NETEM"
}

# True if link K (sorted "a b") runs through udp_delay.py.
_topo_relay_link() {
    [ "$TOPO_UNDERLAY" = veth ] && [ -n "${TOPO_DELAYABLE[$1]:-}" ] && ! topo_have_netem
}

# The endpoint NODE uses for PEER, into _TOPO_EP: PEER's underlay address
# and port, or the relay's socket on a relayed link (in a's namespace: a
# sends to its LISTEN socket, b to its OUT socket, both on a's underlay
# address).  No subshells: setup runs this once per peer of every node.
_topo_endpoint() {
    local n=$1 p=$2 a b l
    _topo_key_v "$n" "$p"
    if [ "$TOPO_UNDERLAY" = veth ] && _topo_relay_link "$_TOPO_K"; then
        read -r a b <<<"$_TOPO_K"
        l=${TOPO_LNUM[$_TOPO_K]}
        if [ "$n" = "$a" ]; then _TOPO_EP=${TOPO_UA[$a $b]}:$((40000 + 2 * l)); else _TOPO_EP=${TOPO_UA[$a $b]}:$((40001 + 2 * l)); fi
        return
    fi
    if [ "$TOPO_UNDERLAY" = bridge ]; then _TOPO_EP=${TOPO_UA[$p]}; else _TOPO_EP=${TOPO_UA[$p $n]}; fi
    _TOPO_EP+=:${WGT_PORT[$p/wg0]}
}

# topo_static_aips NODE PEER: the allowed IPs NODE's configuration gives
# PEER ("a/n, b/m"), into _TOPO_AIPS too (no subshell in setup).
topo_static_aips() {
    local i=${TOPO_IDX[$2]}
    _TOPO_AIPS=''
    [ "${TOPO_STATIC_LL:-1}" = 0 ] || printf -v _TOPO_AIPS 'fe80::%x/128, ' "$i"
    printf -v _TOPO_AIPS '%s10.99.0.%d/32, fd99::%x/128' "$_TOPO_AIPS" "$i" "$i"
    [ -n "${3:-}" ] || echo "$_TOPO_AIPS"
}

# The [Peer] sections of NODE's WireGuard configuration (wg-quick syntax).
_topo_peers_conf() {
    local n=$1 p
    for p in ${TOPO_PEERS[$n]}; do
        _topo_endpoint "$n" "$p"
        topo_static_aips "$n" "$p" quiet
        printf '[Peer]\n# %s\nPublicKey = %s\nEndpoint = %s\nAllowedIPs = %s\n\n' \
            "$p" "${WGT_PUB[$p/wg0]}" "$_TOPO_EP" "$_TOPO_AIPS"
    done
}

# Keys, names and ports of every node's wg0, before any interface exists
# (peers need each other's public keys).
_topo_keys() {
    local n ifn
    for n in "${TOPO_NODES[@]}"; do
        [ -n "${TOPO_HASWG[$n]:-}" ] || continue
        ifn=$n-wg0-$WGT_TAG
        [ ${#ifn} -le 15 ] || { wgt_fail "node name '$n' too long"; return 1; }
        WGT_IF[$n/wg0]=$ifn
        # Not keys/IFNAME.key: wgt_wg_add writes its own key there.
        WGT_KEY[$n/wg0]=$WGT_DIR/keys/topo-$n.key
        WGT_PORT[$n/wg0]=$((51819 + TOPO_IDX[$n]))
        WGT_PUB[$n/wg0]=$(wgt_genkey "${WGT_KEY[$n/wg0]}") || { wgt_fail "wg genkey"; return 1; }
        TOPO_KEYNODE[${WGT_PUB[$n/wg0]}]=$n
    done
    WGT_NEXT_PORT=$((51820 + ${#TOPO_NODES[@]}))
}

# A node set up the way wg-quick would, by hand: the interface (kernel:
# in the node's batch; wireguard-go: its process), then one ip batch for
# everything in the namespace (TOPO_NBATCH[NODE] first) and one wg setconf.
_topo_wg_manual() {
    local n=$1 ifn=${WGT_IF[$1/wg0]} p p6 key cmds=${TOPO_NBATCH[$1]:-}
    read -r key <"${WGT_KEY[$n/wg0]}"
    {
        printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n' "$key" "${WGT_PORT[$n/wg0]}"
        _topo_peers_conf "$n"
    } >"$WGT_DIR/$n.wgconf"
    chmod 600 "$WGT_DIR/$n.wgconf"
    if [ "$WGT_BACKEND" = go ]; then
        wgt_daemon "$n" "wireguard-go-$ifn" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL="${WGT_WG_GO_LOG:-error}" wireguard-go -f "$ifn" || return 1
        wgt_wait_until "[ -S /var/run/wireguard/$ifn.sock ]" 10 ||
            { wgt_fail "wireguard-go $ifn did not come up"; return 1; }
    else
        cmds+="link add $ifn type wireguard"$'\n'
    fi
    # As wgt_wg_add: a wireguard-go TUN keeps the link-local the kernel
    # gives it beside ours, as on a real host; kernel WireGuard gets none.
    [ "$WGT_BACKEND" = go ] || cmds+="link set $ifn addrgenmode none"$'\n'
    _topo_wg_addrs_v "$n" add
    cmds+=$_TOPO_CMDS
    wgt_ip "$n" -b - <<<"$cmds" || { wgt_fail "addresses and routes on $n"; return 1; }
    wgt_exec "$n" wg setconf "$ifn" "$WGT_DIR/$n.wgconf" || { wgt_fail "wg setconf on $n"; return 1; }
}

# NODE's wg0 up, its addresses and its routes to the peers' tunnel
# addresses, as ip batch lines into _TOPO_CMDS (OP: add, or replace to
# apply them again).  Up before the routes: IPv4 refuses a route over a
# down device.
_topo_wg_addrs_v() {
    local n=$1 op=$2 ifn=${WGT_IF[$1/wg0]} p p6
    _TOPO_CMDS="link set $ifn up
addr $op $(topo_ll "$n")/64 dev $ifn nodad
addr $op $(topo_tun4 "$n")/32 dev $ifn
addr $op $(topo_tun6 "$n")/128 dev $ifn nodad
"
    for p in ${TOPO_PEERS[$n]}; do
        printf -v p6 'fd99::%x' "${TOPO_IDX[$p]}"
        _TOPO_CMDS+="route $op 10.99.0.${TOPO_IDX[$p]}/32 dev $ifn"$'\n'"route $op $p6/128 dev $ifn"$'\n'
    done
}

# topo_wg_addrs NODE: set NODE's wg0 up with its addresses and routes
# again (what an operator's ifup does after the link was down: the kernel
# drops IPv6 addresses and all routes of a device that goes down).
topo_wg_addrs() {
    _topo_wg_addrs_v "$1" replace
    wgt_ip "$1" -b - <<<"$_TOPO_CMDS" || { wgt_fail "addresses and routes on $1's wg0"; return 1; }
}

# topo_wgq_conf NODE: path of NODE's wg-quick configuration.
topo_wgq_conf() { echo "$WGT_DIR/wg-quick/${WGT_IF[$1/wg0]}.conf"; }

# A node brought up by wg-quick itself, from a generated configuration.
_topo_wg_quick() {
    local n=$1 f
    f=$(topo_wgq_conf "$n")
    mkdir -p "$WGT_DIR/wg-quick"
    {
        printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n' "$(cat "${WGT_KEY[$n/wg0]}")" "${WGT_PORT[$n/wg0]}"
        printf 'Address = %s/64, %s/32, %s/128\n\n' "$(topo_ll "$n")" "$(topo_tun4 "$n")" "$(topo_tun6 "$n")"
        _topo_peers_conf "$n"
    } >"$f"
    chmod 600 "$f"
    topo_wg_quick "$n" up || return 1
}

# topo_wg_quick NODE up|down: wg-quick on NODE's generated configuration
# (log in $WGT_DIR/wg-quick-NODE.log).
topo_wg_quick() {
    local n=$1 op=$2 log=$WGT_DIR/wg-quick-$1.log
    # Output to a file, not $(...): the wireguard-go that wg-quick starts
    # keeps the pipe open for as long as it lives.
    echo "--- wg-quick $op" >>"$log"
    if ! WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
        wgt_exec "$n" wg-quick "$op" "$(topo_wgq_conf "$n")" >>"$log" 2>&1 </dev/null; then
        grep -v '[│┌└]' "$log" | sed 's/^/#   /' >&2
        wgt_fail "wg-quick $op on $n"
        return 1
    fi
    if [ "$op" = up ] && [ "$WGT_BACKEND" = go ]; then
        # wg-quick made a kernel interface if it could; the backend under
        # test is the one asked for.
        [ -S "/var/run/wireguard/${WGT_IF[$n/wg0]}.sock" ] ||
            { wgt_fail "wg-quick on $n did not use wireguard-go"; return 1; }
    fi
}

# The hello-interval option (" hello-interval N", or nothing with
# TOPO_HELLO=default).
_topo_hello() { [ "$TOPO_HELLO" = default ] || echo " hello-interval $TOPO_HELLO"; }

_topo_daemon_conf() {
    local n=$1 p h
    h=$(_topo_hello)
    echo "# wgbabeld.conf for node $n (${TOPO_IDX[$n]}), written by tests/e2e/topo.sh"
    [ -z "${TOPO_HASWG[$n]:-}" ] || [ -n "${TOPO_WG_UNCONF[$n]:-}" ] ||
        echo "interface ${WGT_IF[$n/wg0]} type wireguard$h${TOPO_IFOPT[$n wg0]:-}${TOPO_IF_EXTRA:+ $TOPO_IF_EXTRA}"
    for p in ${TOPO_WPEERS[$n]}; do
        echo "interface ve-$p type wired$h${TOPO_IFOPT[$n ve-$p]:-}"
    done
    cat <<EOF
control-socket $WGT_DIR/$n.sock
state-file $WGT_DIR/$n.state
runtime-dir $WGT_DIR/$n.run
pid-file $WGT_DIR/$n.pid
log-level ${TOPO_LOG_LEVEL:-info}
announce $(topo_addr4 "$n")/32
announce $(topo_addr6 "$n")/128
${TOPO_ANN[$n]}${TOPO_CONF[$n]}
EOF
}

# NODE's addresses on lo: the node address and topo_lo's.
_topo_lo_addrs() { echo "$(topo_addr4 "$1")/32 $(topo_addr6 "$1")/128 ${TOPO_LO[$1]:-}"; }

# babeld 1.12: Babel on the wires, the lo addresses announced.
_topo_babeld_conf() {
    local n=$1 p a h
    h=$(_topo_hello)
    for p in ${TOPO_WPEERS[$n]}; do echo "interface ve-$p type wired$h"; done
    for a in $(_topo_lo_addrs "$n"); do echo "redistribute local ip $a allow"; done
    echo "redistribute local deny"
}

# BIRD 2: Babel on the wires, the lo addresses announced, learned routes
# into the kernel.
_topo_bird_conf() {
    local n=$1 p h=''
    [ "$TOPO_HELLO" = default ] || h=" hello interval $TOPO_HELLO s;"
    cat <<EOF
router id $(topo_addr4 "$n");
protocol device { }
protocol direct { ipv4; ipv6; interface "lo"; }
protocol kernel { ipv4 { export where source = RTS_BABEL; }; }
protocol kernel { ipv6 { export where source = RTS_BABEL; }; }
protocol babel {
EOF
    for p in ${TOPO_WPEERS[$n]}; do echo "    interface \"ve-$p\" { type wired;$h };"; done
    cat <<EOF
    ipv4 { import all; export where source = RTS_DEVICE; };
    ipv6 { import all; export where source = RTS_DEVICE; };
}
EOF
}

# FRR (Debian's frr, /usr/lib/frr): zebra and FRR's babeld, with their
# own sockets in $WGT_DIR/NODE.frr (no system paths, no TCP vty); Babel on
# the wires.  It only learns (nothing redistributed).  FRR 8.4's babeld
# never reads its socket when it enabled an interface before zebra told it
# about that interface ("setsockopt(IPV6_JOIN_GROUP) ... Address already
# in use", FRRouting/frr#13569, seen here in one start of two): it starts
# with no configuration and Babel is configured through vtysh once babeld
# lists the interfaces as up.
TOPO_FRR=/usr/lib/frr
_topo_frr_vtysh() { vtysh --vty_socket "$WGT_DIR/$1.frr" -d "$2" "${@:3}"; }

_topo_frr_launch() {
    local n=$1 d=$WGT_DIR/$1.frr p ms
    local conf=(-c "configure terminal")
    # FRR's daemons drop to user frr (root would have to be in group
    # frrvty): their folder is theirs, $WGT_DIR only traversable.
    mkdir -p "$d"
    : >"$d/zebra.conf"
    : >"$d/babeld.conf"
    chown -R frr:frr "$d" && chmod o+x "$WGT_DIR" || { wgt_fail "FRR's folder on $n"; return 1; }
    wgt_daemon "$n" "zebra-$n" "$TOPO_FRR/zebra" -f "$d/zebra.conf" \
        -i "$d/zebra.pid" -z "$d/zserv.api" --vty_socket "$d" -P 0 \
        --log "file:$d/zebra.log" || return 1
    TOPO_ZEBRA_PID[$n]=$WGT_LAST_PID
    wgt_wait_until "[ -S $d/zserv.api ]" 10 || { wgt_fail "zebra on $n did not start"; return 1; }
    wgt_daemon "$n" "frr-$n" "$TOPO_FRR/babeld" -f "$d/babeld.conf" \
        -i "$d/babeld.pid" -z "$d/zserv.api" --vty_socket "$d" -P 0 \
        --log "file:$d/babeld.log" || return 1
    for p in ${TOPO_WPEERS[$n]}; do
        wgt_wait_until "[ -S $d/babeld.vty ] && _topo_frr_vtysh $n babeld -c 'show babel interface ve-$p' | grep -q 've-$p is up'" 10 ||
            { wgt_fail "FRR's babeld on $n does not see ve-$p"; return 1; }
        conf+=(-c "interface ve-$p" -c "babel wired")
        if [ "$TOPO_HELLO" != default ]; then
            ms=$(awk -v s="$TOPO_HELLO" 'BEGIN { printf "%d", s * 1000 }')
            conf+=(-c "babel hello-interval $ms")
        fi
        conf+=(-c "exit")
    done
    conf+=(-c "router babel")
    for p in ${TOPO_WPEERS[$n]}; do conf+=(-c "network ve-$p"); done
    _topo_frr_vtysh "$n" babeld "${conf[@]}" >/dev/null ||
        { wgt_fail "FRR's babeld on $n: cannot configure Babel"; return 1; }
}

# topo_start NODE: start NODE's daemon (config rewritten from the
# topology); waits until its control socket is there (wgbabeld's answers).
topo_start() { _topo_launch "$1" && _topo_started "$1"; }

# babeld's log is $WGT_DIR/babeld-NODE.log, BIRD's bird-NODE.log; their
# control sockets $WGT_DIR/NODE.babeld, $WGT_DIR/NODE.bird (birdc -s).
_topo_launch() {
    local n=$1
    case ${TOPO_KIND[$n]} in
    babeld)
        _topo_babeld_conf "$n" >"$WGT_DIR/$n.conf"
        wgt_daemon "$n" "babeld-$n" babeld -c "$WGT_DIR/$n.conf" -I "$WGT_DIR/$n.pid" \
            -S "$WGT_DIR/$n.state" -G "$WGT_DIR/$n.babeld" || return 1
        ;;
    frr)
        _topo_frr_launch "$n" || return 1
        ;;
    bird)
        _topo_bird_conf "$n" >"$WGT_DIR/$n.conf"
        wgt_daemon "$n" "bird-$n" bird -f -c "$WGT_DIR/$n.conf" -s "$WGT_DIR/$n.bird" \
            -P "$WGT_DIR/$n.pid" || return 1
        ;;
    *)
        _topo_daemon_conf "$n" >"$WGT_DIR/$n.conf"
        # WGB_DAEMON_WRAP: a command to run wgbabeld under, for debugging
        # (e.g. "gdb -q -batch -ex run -ex bt --args").
        # shellcheck disable=SC2086
        wgt_daemon "$n" "wgbabeld-$n" ${WGB_DAEMON_WRAP:-} "$WGBABELD" -c "$WGT_DIR/$n.conf" ${TOPO_ARGS[$n]:-} || return 1
        ;;
    esac
    TOPO_PID[$n]=$WGT_LAST_PID
}

_topo_started() {
    local n=$1 log
    log=$WGT_DIR/${TOPO_KIND[$1]}-$1.log
    case ${TOPO_KIND[$n]} in
    babeld) wgt_wait_until "[ -S $WGT_DIR/$n.babeld ]" 10 ;;
    bird) wgt_wait_until "[ -S $WGT_DIR/$n.bird ]" 10 ;;
    frr) wgt_wait_until "[ -S $WGT_DIR/$n.frr/babeld.vty ]" 10 ;;
    *) wgt_wait_until "$WGBABELCTL -s $WGT_DIR/$n.sock show status" 10 ;;
    esac || {
        tail -n 20 "$log" | sed 's/^/#   /' >&2
        wgt_fail "${TOPO_KIND[$n]} on $n did not start"
        return 1
    }
    [ "${TOPO_KIND[$n]}" != wgbabeld ] || _topo_timeline_start "$n"
}

# ------------------------------------------------------------ timelines
# $WGT_DIR/NODE.timeline: each wgbabeld node's selected next hops over the
# run, to read beside its log when a test failed (the file stays with
# WGT_DIR, or is copied to WGT_KEEP_FAILED with the logs): one line per
# change, stamped with the wall clock (as the daemons' logs) and the
# seconds since topo_init (tests/e2e/timeline.py says which lines). One
# timeline.py per node on its control socket's "monitor", started when
# the socket answers (at topo_launch, again after each restart); it ends
# when its daemon does. Cost on the host (wireguard-go, mesh20): 5.2 s of
# CPU over the 20 nodes' run, 0.26 s each. Host only by default: in the
# qemu guest (TCG, about ten times slower) multihop's five-node setup
# took 76-78 s in two runs with them (while the host ran multihop too)
# against 34-37 s in two runs without Python timelines: not measured
# apart from the host's load, so they are not there unless asked for.
# TOPO_TIMELINE=0: none; =1: every node, in the guest too (pass it with
# WGB_VM_PASSENV=TOPO_TIMELINE; a failed guest run's timelines are
# copied to WGT_KEEP_FAILED with the logs).
declare -gA TOPO_TL_PID=()
TOPO_START_US=${EPOCHREALTIME/[.,]/}

_topo_timeline_start() {
    local n=$1
    [ "${TOPO_TIMELINE:-}" != 0 ] || return 0
    [ "${WGB_IN_GUEST:-0}" != 1 ] || [ "${TOPO_TIMELINE:-}" = 1 ] || return 0
    # The last one ended with its daemon; reap it.
    [ -z "${TOPO_TL_PID[$n]:-}" ] || wgt_stop "${TOPO_TL_PID[$n]}" 2
    python3 "$TOPO_HERE/timeline.py" "$WGT_DIR/$n.sock" "$TOPO_START_US" \
        >>"$WGT_DIR/$n.timeline" 2>>"$WGT_DIR/timeline-$n.log" &
    TOPO_TL_PID[$n]=$!
    echo "$! timeline-$n" >>"$WGT_DIR/pids"
}

# On every delayable link, one side starts the WireGuard handshake (one
# ping to the other's tunnel address) before the daemons start.  Otherwise
# both ends' first Hellos start handshakes at the same instant; over a
# slow link the two initiations cross, each side answers the other's and
# so forgets its own, both responses are refused, and the tunnel waits for
# the next retry (5 s plus jitter, and the retries can cross again: seen
# for 28 s on a 60 ms link through udp_delay.py with wireguard-go).
_topo_handshake_delayed() {
    local k a b pids=() p ok=0
    for k in "${TOPO_LINKS[@]}"; do
        [ -n "${TOPO_DELAYABLE[$k]:-}" ] || continue
        read -r a b <<<"$k"
        wgt_exec "$a" ping -q -n -c 1 -W 5 "$(topo_tun4 "$b")" >/dev/null 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || ok=1; done
    [ "$ok" = 0 ] || { wgt_fail "first handshake on a delayed link"; return 1; }
}

# topo_up: topo_build, then topo_launch.
topo_up() { topo_build && topo_launch; }

# topo_build: namespaces, underlay, wires, the uplink and the hosts'
# clutter, WireGuard, addresses.
topo_build() {
    local n cmds a
    for n in "${TOPO_NODES[@]}"; do
        [ "${TOPO_KIND[$n]}" = wgbabeld ] || [ -z "${TOPO_HASWG[$n]:-}" ] ||
            { wgt_fail "$n: ${TOPO_KIND[$n]} on WireGuard is not supported"; return 1; }
    done
    # addr_gen_mode 1: no kernel-made link-local address on interfaces
    # created from now on (veths, wg-quick's wireguard-go TUN: wg-quick
    # runs PreUp before the interface exists); fe80::i is set by hand.
    # Wires get theirs back (Babel on them needs it).  TOPO_AUTO_LL=1
    # leaves the kernel's default.
    local agm="net.ipv6.conf.default.addr_gen_mode=1"
    [ "${TOPO_AUTO_LL:-1}" = 1 ] && agm=
    WGT_NS_SYSCTL="net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        $agm" wgt_ns_add "${TOPO_NODES[@]}" || return 1
    _topo_build_underlay || return 1
    _topo_build_wires || return 1
    _topo_build_uplink || return 1
    _topo_keys || return 1
    for n in "${TOPO_NODES[@]}"; do
        cmds=''
        for a in $(_topo_lo_addrs "$n"); do
            case $a in *:*) cmds+="addr add $a dev lo nodad"$'\n' ;; *) cmds+="addr add $a dev lo"$'\n' ;; esac
        done
        if [ -n "${TOPO_ORIGIN[$n]:-}" ]; then
            # On lo: this host's kernel has no dummy interfaces.
            cmds+="addr add $TOPO_ANYCAST4/32 dev lo
addr add $TOPO_ANYCAST6/128 dev lo nodad
"
        fi
        TOPO_NBATCH[$n]+=$cmds
        if [ -n "${TOPO_ORIGIN[$n]:-}" ]; then
            wgt_exec "$n" nft -f - <<EOF || { wgt_fail "nft counters on $n"; return 1; }
table inet topo {
    chain in {
        type filter hook input priority 0;
        ip daddr $TOPO_ANYCAST4 icmp type echo-request counter
        ip6 daddr $TOPO_ANYCAST6 icmpv6 type echo-request counter
    }
}
EOF
        fi
        if [ "${TOPO_WGQ[$n]}" = 1 ]; then
            wgt_ip "$n" -b - <<<"${TOPO_NBATCH[$n]}" || { wgt_fail "addresses on $n"; return 1; }
            _topo_wg_quick "$n" || return 1
        elif [ -n "${TOPO_HASWG[$n]:-}" ]; then
            _topo_wg_manual "$n" || return 1
        else
            wgt_ip "$n" -b - <<<"${TOPO_NBATCH[$n]}" || { wgt_fail "addresses on $n"; return 1; }
        fi
    done
    # As wgt_veth: until linkwatch has activated a veth, the noop qdisc
    # drops what is sent on it (and a route over it is "linkdown").
    if [ "$TOPO_UNDERLAY" = bridge ]; then
        wgt_wait_until "[ \$(wgt_ip br -o link show type veth | grep -c 'state UP') = ${#TOPO_NODES[@]} ]" 10 ||
            { wgt_fail "bridge ports not up"; return 1; }
    fi
    wgt_wait_until "[ \$(wgt_ip gw -o link show type veth | grep -c 'state UP') = ${#TOPO_NODES[@]} ]" 10 ||
        { wgt_fail "uplinks not up"; return 1; }
    for n in "${TOPO_NODES[@]}"; do
        wgt_wait_until "[ \$(wgt_ip $n -o link show type veth | grep -vc 'state UP') = 0 ]" 5 ||
            { wgt_fail "veths on $n not up"; return 1; }
    done
}

# topo_launch: snapshot the hosts' clutter, start every node's daemon (all
# at once, then wait for each control socket).
topo_launch() {
    local n
    _topo_handshake_delayed || return 1
    topo_clutter_snapshot || return 1
    TOPO_T0=$(wgt_now)
    for n in "${TOPO_NODES[@]}"; do
        _topo_launch "$n" || return 1
    done
    for n in "${TOPO_NODES[@]}"; do
        _topo_started "$n" || return 1
    done
}

# Wires: the veth pairs in one ip process; each end's link-local address
# (addrgenmode eui64, before it is up), addresses and up go into its
# node's batch.
_topo_build_wires() {
    local k a b pairs='' x y
    [ "${#TOPO_WIRES[@]}" -gt 0 ] || return 0
    for k in "${TOPO_WIRES[@]}"; do
        read -r a b <<<"$k"
        pairs+="link add ve-$b netns ${WGT_NS[$a]} type veth peer name ve-$a netns ${WGT_NS[$b]}"$'\n'
        for x in "$a" "$b"; do
            [ "$x" = "$a" ] && y=$b || y=$a
            TOPO_NBATCH[$x]+="link set ve-$y addrgenmode eui64"$'\n'
            _topo_addr_cmds "ve-$y" "${TOPO_WADDR[$x $y]}"
            TOPO_NBATCH[$x]+="$_TOPO_CMDS""link set ve-$y up"$'\n'
        done
    done
    ip -b - <<<"$pairs" || { wgt_fail "veth pairs of the wires"; return 1; }
}

# ip batch lines adding the addresses LIST ("a/n,b/m" or "-") to DEV, into
# _TOPO_CMDS.
_topo_addr_cmds() {
    local dev=$1 a
    _TOPO_CMDS=''
    local IFS=,
    for a in $2; do
        case $a in
        -) ;;
        *:*) _TOPO_CMDS+="addr add $a dev $dev nodad"$'\n' ;;
        *) _TOPO_CMDS+="addr add $a dev $dev"$'\n' ;;
        esac
    done
}

# The uplink that every node has, as a real host does: veth up0 to the
# namespace "gw", whose bridge holds the gateway's addresses; default
# routes and static routes (proto static) through it.  The pairs in one
# ip process, the gateway in one batch, each node's side into its batch.
TOPO_GW4=100.64.0.1
TOPO_GW6=fd64::1
_topo_build_uplink() {
    local n i pairs='' gwc="link add br0 type bridge
addr add $TOPO_GW4/16 dev br0
addr add $TOPO_GW6/64 dev br0 nodad
link set br0 up
"
    wgt_ns_add gw || return 1
    for n in "${TOPO_NODES[@]}"; do
        i=${TOPO_IDX[$n]}
        pairs+="link add up0 netns ${WGT_NS[$n]} type veth peer name ve-$n netns ${WGT_NS[gw]}"$'\n'
        gwc+="link set ve-$n master br0"$'\n'"link set ve-$n up"$'\n'
        TOPO_NBATCH[$n]+="addr add 100.64.$((i / 250)).$((i % 250 + 2))/16 dev up0
addr add $(printf 'fd64::%x' $((i + 1)))/64 dev up0 nodad
link set up0 up
route add default via $TOPO_GW4 dev up0
route add 10.9.9.0/24 via $TOPO_GW4 dev up0 proto static
route add default via $TOPO_GW6 dev up0
route add fd09:9::/48 via $TOPO_GW6 dev up0 proto static
"
    done
    ip -b - <<<"$pairs" || { wgt_fail "uplink veth pairs"; return 1; }
    wgt_ip gw -b - <<<"$gwc" || { wgt_fail "the gateway's bridge"; return 1; }
}

# ------------------------------------------------------------- clutter
# _topo_clutter NODE: NODE's routes (both families, every table), rules
# and static allowed IPs, without what a routing daemon put there: routes
# of protocol babel (42: wgbabeld's and babeld's) and bird (12), and the
# allowed IPs wgbabeld owns: those in its record ($WGT_DIR/NODE.run/IF.aip,
# "+ PREFIX" and "- PREFIX" lines; what it would reclaim after a crash)
# and, while it runs, those wgbabelctl show allowedips lists as installed.
# Sorted: the kernel lists the routes of one prefix (ff00::/8 on each
# device) in the order they were added, which a link going down and up
# changes.
_topo_clutter() {
    local n=$1 ifn p
    {
        wgt_ip "$n" -4 -b - <<<"route show table all
rule show"
        echo --
        wgt_ip "$n" -6 -b - <<<"route show table all
rule show"
    } | awk -v wg="${WGT_IF[$n/wg0]:-}" -v ll="$(topo_ll "$n")" '
             BEGIN { f = "-4" } /^--$/ { f = "-6"; next }
             # The link-local the kernel makes for a wireguard-go TUN is
             # random (stable-privacy without a secret): a TUN made again
             # (wg-quick down and up) gets another. Not ours, not theirs.
             wg != "" && $1 == "local" && $2 ~ /^fe80:/ && $2 != ll &&
                 $4 == wg { next }
             !/ proto (babel|42|bird|12)( |$)/ { print f, $0 }' | LC_ALL=C sort
    [ -n "${TOPO_HASWG[$n]:-}" ] || return 0
    ifn=${WGT_IF[$n/wg0]}
    {
        for p in ${TOPO_PEERS[$n]}; do echo "K ${WGT_PUB[$p/wg0]} $p"; done
        if [ -n "${TOPO_PID[$n]:-}" ] && kill -0 "${TOPO_PID[$n]}" 2>/dev/null; then
            topo_ctl "$n" show allowedips 2>/dev/null | awk '$4 == "installed" { print "O", $2 }'
        fi
        topo_wg "$n" allowed-ips | sed 's/^/W /'
        [ ! -f "$WGT_DIR/$n.run/$ifn.aip" ] || sed 's/^/J /' "$WGT_DIR/$n.run/$ifn.aip"
    } | awk '
        $1 == "K" { name[$2] = $3; next }
        $1 == "O" { own[$2] = 1; next }
        $1 == "J" { if ($2 == "+") rec[$3] = 1; else if ($2 == "-") delete rec[$3]; next }
        $1 == "W" { for (i = 3; i <= NF; i++) if ($i != "(none)") aip[$2 " " $i] = 1 }
        END { for (k in aip) { split(k, x, " ")
                  if (!(x[2] in own) && !(x[2] in rec))
                      print "allowed-ip", (x[1] in name) ? name[x[1]] : x[1], x[2] } }' | sort
}

# topo_clutter_snapshot: every node's clutter into $WGT_DIR/clutter/NODE
# (topo_launch takes it, just before the daemons start).
topo_clutter_snapshot() {
    local n
    mkdir -p "$WGT_DIR/clutter"
    for n in "${TOPO_NODES[@]}"; do
        _topo_clutter "$n" >"$WGT_DIR/clutter/$n" || { wgt_fail "clutter of $n"; return 1; }
    done
}

# topo_clutter_check: every node's clutter is what it was before the
# daemons started; a diff for each node where it is not.
topo_clutter_check() {
    local n
    [ -d "$WGT_DIR/clutter" ] || { wgt_fail "no snapshot of the clutter (topo_launch)"; return 1; }
    for n in "${TOPO_NODES[@]}"; do
        _topo_clutter "$n" >"$WGT_DIR/clutter/$n.now"
        if ! diff -u "$WGT_DIR/clutter/$n" "$WGT_DIR/clutter/$n.now" >"$WGT_DIR/clutter/$n.diff"; then
            sed 's/^/#   /' "$WGT_DIR/clutter/$n.diff" >&2
            wgt_fail "$n: routes, rules or static allowed IPs that are not a routing daemon's changed"
        fi
    done
}

# topo_done: the clutter check as the last test, then wgt_done.
topo_done() {
    wgt_test "the hosts' own routes, rules and static allowed IPs are untouched" topo_clutter_check
    wgt_done
}

# -------------------------------------------------------------- daemons
_topo_forget_pid() { sed -i "/^$1 /d" "$WGT_DIR/pids" 2>/dev/null; }

# topo_kill NODE: SIGKILL NODE's wgbabeld (nothing retracted or cleaned).
topo_kill() {
    local pid=${TOPO_PID[$1]:-}
    [ -n "$pid" ] || { wgt_fail "no wgbabeld on $1"; return 1; }
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    _topo_forget_pid "$pid"
    TOPO_PID[$1]=''
}

# topo_stop NODE [TIMEOUT]: SIGTERM, wait for the exit.
topo_stop() {
    local pid=${TOPO_PID[$1]:-}
    [ -n "$pid" ] || { wgt_fail "no wgbabeld on $1"; return 1; }
    wgt_stop "$pid" "${2:-10}"
    TOPO_PID[$1]=''
}

# topo_reload NODE: write NODE's wgbabeld.conf again from the topology
# (after topo_conf, topo_announce, topo_ifopt or their _reset), SIGHUP it
# and wait until it logs that it reloaded (one line more than before).
topo_reload() {
    local n=$1 log=$WGT_DIR/wgbabeld-$1.log before
    [ "${TOPO_KIND[$n]}" = wgbabeld ] && [ -n "${TOPO_PID[$n]:-}" ] ||
        { wgt_fail "no wgbabeld running on $n"; return 1; }
    before=$(grep -c 'configuration reloaded from' "$log")
    _topo_daemon_conf "$n" >"$WGT_DIR/$n.conf"
    kill -HUP "${TOPO_PID[$n]}" || { wgt_fail "SIGHUP to $n"; return 1; }
    wgt_wait_until "[ \$(grep -c 'configuration reloaded from' $log) -gt $before ]" 10 || {
        tail -n 5 "$log" | sed 's/^/#   /' >&2
        wgt_fail "$n did not reload"
        return 1
    }
}

# topo_wggo_pid NODE: the PID of the wireguard-go behind NODE's wg0 (the
# one topo started, or the one wg-quick daemonized), found in NODE's
# namespace by its command line.
topo_wggo_pid() {
    local ifn=${WGT_IF[$1/wg0]:-} pid a
    [ -n "$ifn" ] || return 1
    for pid in $(ip netns pids "${WGT_NS[$1]}" 2>/dev/null); do
        a=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        case $a in *wireguard-go*" $ifn ") echo "$pid"; return 0 ;; esac
    done
    return 1
}

# topo_restart NODE: SIGTERM then start again.
topo_restart() { topo_stop "$1" && topo_start "$1"; }

# topo_crash NODE: the node dies: SIGKILL wgbabeld and cut all its links.
topo_crash() {
    local p
    topo_kill "$1" || return 1
    for p in ${TOPO_PEERS[$1]}; do topo_cut "$1" "$p" || return 1; done
}

# topo_ctl NODE ARGS...: wgbabelctl against NODE's daemon.
topo_ctl() {
    local n=$1
    shift
    "$WGBABELCTL" -s "$WGT_DIR/$n.sock" "$@"
}

# topo_json NODE WHAT: wgbabelctl --json show WHAT.
topo_json() { topo_ctl "$1" --json show "$2"; }

# topo_wg NODE [ARGS]: wg show NODE's wg0 [ARGS].
topo_wg() {
    local n=$1
    shift
    wgt_exec "$n" wg show "${WGT_IF[$n/wg0]}" "$@"
}

# --------------------------------------------------------------- links
# topo_cut A B: drop the link's underlay traffic (veth down in veth mode,
# nft drops of each other's underlay address in bridge mode).
topo_cut() { _topo_link_state "$1" "$2" down; }
topo_restore() { _topo_link_state "$1" "$2" up; }

_topo_link_state() {
    local a=$1 b=$2 st=$3 x y op
    if [ "$TOPO_UNDERLAY" = veth ]; then
        wgt_ip "$a" link set "ve-$b" "$st" && wgt_ip "$b" link set "ve-$a" "$st" ||
            { wgt_fail "link $a-$b $st"; return 1; }
        if [ "$st" = up ]; then
            wgt_wait_until "wgt_ip $a -o link show dev ve-$b | grep -q 'state UP' && wgt_ip $b -o link show dev ve-$a | grep -q 'state UP'" 5 ||
                { wgt_fail "link $a-$b did not come up"; return 1; }
        fi
        return 0
    fi
    [ "$st" = down ] && op=add || op=delete
    for x in "$a" "$b"; do
        [ "$x" = "$a" ] && y=$b || y=$a
        wgt_exec "$x" nft -f - <<EOF || { wgt_fail "nft cut $x-$y"; return 1; }
table inet topo_cut {
    set peers { type ipv4_addr; }
    chain in { type filter hook input priority 0; ip saddr @peers drop; }
    chain out { type filter hook output priority 0; ip daddr @peers drop; }
}
$op element inet topo_cut peers { ${TOPO_UA[$y]} }
EOF
    done
}

# topo_delay A B MS: MS ms of delay each way on the link A-B (netem on
# both veth ends, or the link's udp_delay.py).
topo_delay() {
    local a=$1 b=$2 ms=$3 k
    [ "$TOPO_UNDERLAY" = veth ] || { wgt_fail "topo_delay needs the veth underlay"; return 1; }
    k=$(_topo_key "$a" "$b")
    if _topo_relay_link "$k"; then
        echo "$ms" >"$WGT_DIR/delay.${TOPO_LNUM[$k]}"
        TOPO_DELAY[$k]=$ms
        return 0
    fi
    topo_have_netem || { wgt_fail "no netem, and link $k was declared without a delay"; return 1; }
    tc -n "${WGT_NS[$a]}" qdisc replace dev "ve-$b" root netem delay "${ms}ms" limit 10000 &&
        tc -n "${WGT_NS[$b]}" qdisc replace dev "ve-$a" root netem delay "${ms}ms" limit 10000 ||
        { wgt_fail "netem on $a-$b"; return 1; }
    TOPO_DELAY[$(_topo_key "$a" "$b")]=$ms
}

# ------------------------------------------------------------ questions
# topo_log_time NODE PATTERN: the epoch time of the last line of NODE's
# wgbabeld log matching PATTERN (the log stamps HH:MM:SS.mmm of today).
topo_log_time() {
    local t
    t=$(grep -E "$2" "$WGT_DIR/wgbabeld-$1.log" | tail -n 1 | cut -d' ' -f1)
    [ -n "$t" ] && date -d "today $t" +%s.%N
}

# topo_holders NODE PREFIX: the peers (node names) that hold PREFIX in
# NODE's AllowedIPs, one a line.
topo_holders() {
    local out
    out=$(topo_wg "$1" allowed-ips) || return 1
    while read -r pk; do
        echo "${TOPO_KEYNODE[$pk]:-?}"
    done < <(awk -v p="$2" '{ for (i = 2; i <= NF; i++) if ($i == p) print $1 }' <<<"$out")
}

# topo_holder NODE PREFIX: the one peer holding PREFIX; fails unless
# exactly one does.
topo_holder() {
    local h
    h=$(topo_holders "$1" "$2") || return 1
    [ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ] || return 1
    echo "$h"
}

# The prefixes NODE should reach through Babel: every other node's
# address, the anycast addresses unless NODE is an origin, extra announces.
_topo_wanted() {
    local n=$1 m
    for m in "${TOPO_NODES[@]}"; do
        [ "$m" = "$n" ] && continue
        printf '10.100.0.%d/32\n2001:db8:100::%x/128\n' "${TOPO_IDX[$m]}" "${TOPO_IDX[$m]}"
    done
    if [ "${#TOPO_ORIGIN[@]}" -gt 0 ] && [ -z "${TOPO_ORIGIN[$n]:-}" ]; then
        echo "$TOPO_ANYCAST4/32"
        echo "$TOPO_ANYCAST6/128"
    fi
}

# What topo_node_converged checks on NODE, one a line: "W PREFIX" (wanted:
# on exactly one peer), "S PUBKEY PREFIX" (static: on that peer).  Written
# once per node to $WGT_DIR/want.NODE.
_topo_want_file() {
    local n=$1 f=$WGT_DIR/want.$1 p
    [ -s "$f" ] && return 0
    {
        _topo_wanted "$n" | sed 's/^/W /'
        for p in ${TOPO_PEERS[$n]}; do
            printf 'S %s fe80::%x/128\n' "${WGT_PUB[$p/wg0]}" "${TOPO_IDX[$p]}"
        done
    } >"$f"
}

# topo_node_converged NODE: each wanted prefix is in NODE's AllowedIPs on
# exactly one peer, and the static link-local ones are where they were put.
# Three process starts (ip netns exec, wg, awk): under qemu TCG each costs
# 50-120 ms, and a 20-node mesh polls this a lot.
topo_node_converged() {
    _topo_want_file "$1"
    topo_wg "$1" allowed-ips | awk '
        NR == FNR { if ($1 == "W") want[$2] = 1; else st[$2 " " $3] = 1; next }
        { for (i = 2; i <= NF; i++) { if ($i in want) seen[$i]++; if (($1 " " $i) in st) have[$1 " " $i] = 1 } }
        END { for (p in want) if (seen[p] != 1) exit 1
              for (s in st) if (!(s in have)) exit 1 }' "$WGT_DIR/want.$1" -
}

# topo_converged: every node converged.
topo_converged() {
    local n
    for n in "${TOPO_NODES[@]}"; do
        topo_node_converged "$n" || return 1
    done
}

# topo_wait_converged TIMEOUT: wait until every node is converged at once.
# Polls only the nodes not yet seen converged, then confirms with a pass
# over all of them (a node found unconverged there is polled again).  Sets
# and logs TOPO_CONV_TIME: seconds from the daemons' start (topo_up, or
# topo_mark) to when the last node was first seen converged; and
# TOPO_CONV_CONFIRMED: to the end of the confirming pass.  (One pass over
# 20 nodes takes seconds under qemu TCG: polling all of them each time made
# the time measured mostly the poll's.)
topo_wait_converged() {
    local timeout=$1 n pending still last=0 t deadline
    deadline=$(awk -v t="$timeout" -v n="$(wgt_now)" 'BEGIN { printf "%.0f", (n + t) * 1000000 }')
    pending=("${TOPO_NODES[@]}")
    while :; do
        still=()
        for n in "${pending[@]}"; do
            if topo_node_converged "$n" 2>/dev/null; then
                t=$(wgt_since "$TOPO_T0")
                awk -v a="$t" -v b="$last" 'BEGIN { exit !(a > b) }' && last=$t
            else
                still+=("$n")
            fi
        done
        if [ "${#still[@]}" -eq 0 ]; then
            # The confirming pass: all at once.
            for n in "${TOPO_NODES[@]}"; do
                topo_node_converged "$n" 2>/dev/null || still+=("$n")
            done
            [ "${#still[@]}" -eq 0 ] && break
        fi
        pending=("${still[@]}")
        t=${EPOCHREALTIME/./}
        if [ "${t:0:16}" -ge "$deadline" ]; then
            for n in "${pending[@]}"; do
                wgt_log "$n not converged: $(topo_wg "$n" allowed-ips | tr '\n\t' '; ')"
            done
            wgt_fail "not converged within $timeout s"
            return 1
        fi
        sleep 0.1
    done
    TOPO_CONV_TIME=$last
    TOPO_CONV_CONFIRMED=$(wgt_since "$TOPO_T0")
    wgt_log "converged in ${TOPO_CONV_TIME}s (last node first seen converged; all at once by ${TOPO_CONV_CONFIRMED}s)"
}

# topo_mark: restart the clock topo_wait_converged reports against.
topo_mark() { TOPO_T0=$(wgt_now); }

# topo_echo_count NODE: echo requests to the anycast addresses NODE (an
# origin) has received so far.
topo_echo_count() {
    wgt_exec "$1" nft list chain inet topo in |
        awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# topo_ping NODE DST [COUNT]: ping DST from NODE's node address.
topo_ping() {
    local src
    case $2 in *:*) src=$(topo_addr6 "$1") ;; *) src=$(topo_addr4 "$1") ;; esac
    wgt_exec "$1" ping -q -n -c "${3:-3}" -i 0.2 -W 1 -I "$src" "$2" >/dev/null 2>&1
}

# topo_loss NODE DST SECONDS: ping DST from NODE's node address, 100
# packets/s for SECONDS; prints "SENT RECEIVED LOSS%" (ping's own count of
# what it sent: on a loaded machine it may not keep up 100/s).
topo_loss() {
    local src out sent recv
    case $2 in *:*) src=$(topo_addr6 "$1") ;; *) src=$(topo_addr4 "$1") ;; esac
    # -D: each reply with a timestamp, kept in $WGT_DIR/ping.NODE for
    # topo_loss_gaps.
    out=$(wgt_exec "$1" ping -D -n -i 0.01 -W 1 -c "$(($3 * 100))" -w "$(($3 * 2 + 3))" -I "$src" "$2" 2>&1)
    echo "$out" >"$WGT_DIR/ping.$1"
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
    recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
    if [ -z "$sent" ] || [ -z "$recv" ]; then
        echo "$out" | sed 's/^/# /' >&2
        wgt_fail "ping $2 from $1 gave no statistics"
        return 1
    fi
    echo "$sent $recv $(awk -v s="$sent" -v r="$recv" 'BEGIN { printf "%.2f", s ? 100 * (s - r) / s : 100 }')"
}

# topo_loss_gaps NODE: the runs of missing replies in NODE's last
# topo_loss, as "seq A-B after TIME" (TIME: the last reply before them).
topo_loss_gaps() {
    awk '/bytes from/ { t = substr($1, 2, length($1) - 2)
                        if (match($0, /icmp_seq=[0-9]+/)) {
                            q = substr($0, RSTART + 9, RLENGTH - 9) + 0
                            got[q] = t; if (q > max) max = q } }
         END { last = "start"
               for (q = 1; q <= max; q++) {
                   if (q in got) { if (from) { printf "seq %d-%d after %s; ", from, q - 1, last; from = 0 }
                                   last = got[q] }
                   else if (!from) from = q } }' "$WGT_DIR/ping.$1"
}

# topo_loss_bg NODE DST SECONDS: start topo_loss in the background.
# topo_loss_wait NODE waits for it and sets TOPO_SENT, TOPO_LOST (packets)
# and TOPO_LOSS (percent).  Call it directly, not in $(...): a subshell cannot
# wait for this shell's children.
declare -gA TOPO_LOSS_PID=()
topo_loss_bg() {
    : >"$WGT_DIR/loss.$1"
    (topo_loss "$1" "$2" "$3" >"$WGT_DIR/loss.$1" 2>>"$WGT_DIR/loss.$1.err") &
    TOPO_LOSS_PID[$1]=$!
}
topo_loss_wait() {
    local recv
    wait "${TOPO_LOSS_PID[$1]}"
    read -r TOPO_SENT recv TOPO_LOSS <"$WGT_DIR/loss.$1"
    if [ -z "${TOPO_LOSS:-}" ]; then
        sed 's/^/#   /' "$WGT_DIR/loss.$1.err" >&2
        wgt_fail "ping from $1 gave no result"
        TOPO_SENT=0 recv=0 TOPO_LOSS=100
    fi
    TOPO_LOST=$((TOPO_SENT - recv))
}

# topo_show NODE: what wgbabelctl and wg say (for logs and the demo).
topo_show() {
    echo "## $1: wgbabelctl show routes"
    topo_ctl "$1" show routes
    echo "## $1: wg show allowed-ips"
    topo_wg "$1" allowed-ips | while read -r pk ips; do
        echo "${TOPO_KEYNODE[$pk]:-?} $ips"
    done
}
