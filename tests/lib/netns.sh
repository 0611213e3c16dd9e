# shellcheck shell=bash
# tests/lib/netns.sh: network namespaces, veth and real WireGuard for the
# integration tests, plus tiny TAP-style reporting.  Source it from bash:
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   wgt_init selftest                 # root check, backend, cleanup trap
#   wgt_ns_add a b
#   wgt_veth a 192.0.2.1/24 b 192.0.2.2/24
#   wgt_wg_add a wg0; wgt_wg_add b wg0
#   wgt_wg_connect a wg0 192.0.2.1 10.0.0.2/32  b wg0 192.0.2.2 10.0.0.1/32
#   wgt_test "a reaches b" wgt_assert_ping a 10.0.0.2
#   wgt_done                          # prints "N passed, N failed", exits
#
# Names: tests use short logical names (namespace "a", interface "wg0"); the
# real ones carry a per-run tag, so parallel runs and wireguard-go (whose UAPI
# socket /var/run/wireguard/IF.sock is global) never collide:
#   namespace  wgt-$WGT_TAG-NS        ($(wgt_ns NS), or ${WGT_NS[NS]})
#   wg iface   NS-NAME-$WGT_TAG       ($(wgt_if NS NAME), or ${WGT_IF[NS/NAME]})
#              (NS and NAME together at most 10 characters: IFNAMSIZ)
#   veth       ve-PEER (in NS, towards the namespace PEER; not renamed)
# The same naming is used for both backends so a test cannot pass on one and
# break on the other because of a hard-coded name.
#
# Environment:
#   WGB_WG_BACKEND  kernel | go | unset (kernel if this kernel has WireGuard,
#                   else go).  kernel: `ip link add type wireguard`; go:
#                   wireguard-go, one process per interface.
#   WGT_KEEP=1      keep $WGT_DIR (logs, keys) after the run; it is kept
#                   after a failed test anyway.
#   WGT_KEEP_FAILED after a failed test, copy $WGT_DIR's files into a
#                   folder of this name instead (in the qemu guest, whose
#                   /tmp goes with it, tests/e2e/topo.sh makes it
#                   BUILD_DIR/wgt-failed, on the shared work tree).
#   WGT_TMPDIR      where $WGT_DIR is made (default /tmp; in the guest /tmp
#                   is a tmpfs that is gone after the run: use a folder in
#                   the work tree, e.g. build-test/, to keep logs).
#   WGT_DUMP_LOGS=0 do not print the daemons' log tails (WGT_DUMP_LINES,
#                   default 40) to stderr when a test failed.
#   WGT_VERBOSE=1   echo every namespaced command.
#
# Every wgt_* helper returns non-zero on failure after printing a "# ..."
# line, and marks the current wgt_test as failed.  A test function goes on
# after a failed assertion unless it says `|| return 1`.

WGT_NS_PREFIX=wgt
declare -gA WGT_NS=() WGT_IF=() WGT_PUB=() WGT_KEY=() WGT_PORT=()
WGT_PASSED=0
WGT_FAILED=0
WGT_SKIPPED=0
WGT_N=0
WGT_CUR_FAIL=0
WGT_DONE=0
WGT_NEXT_PORT=51820

# ---------------------------------------------------------------- basics
# Diagnostics go to stderr (as TAP producers do), so that helpers whose
# stdout is a value (wgt_ping_loss, wgt_if ...) stay usable in $(...).
wgt_log() { echo "# $*" >&2; }

# Print a failure diagnostic, mark the running test failed, return 1.
wgt_fail() {
    echo "# FAIL: $*" >&2
    WGT_CUR_FAIL=1
    return 1
}

wgt_now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# Seconds (with ms) since the float timestamp $1.
wgt_since() { awk -v a="$1" -v b="${EPOCHREALTIME:-$(date +%s.%N)}" 'BEGIN { printf "%.2f", b - a }'; }

_wgt_b36() {
    local n=$1 s='' d=0123456789abcdefghijklmnopqrstuvwxyz
    while [ "$n" -gt 0 ]; do s=${d:n % 36:1}$s; n=$((n / 36)); done
    echo "${s:-0}"
}

_wgt_v() { if [ -n "${WGT_VERBOSE:-}" ]; then echo "+ $*" >&2; fi; }

# wgt_init [NAME]: call once, before anything else.
wgt_init() {
    WGT_NAME=${1:-test}
    if [ "$(id -u)" != 0 ]; then
        echo "$WGT_NAME: needs root (network namespaces)" >&2
        exit 1
    fi
    # Three random base-36 digits, drawn again while another run (or a
    # crashed one) still has namespaces or wireguard-go sockets with them.
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        WGT_TAG=$(_wgt_b36 $((RANDOM % 36 * 1296 + RANDOM % 1296)))
        WGT_TAG=00$WGT_TAG
        WGT_TAG=${WGT_TAG: -3}
        ip netns list 2>/dev/null | grep -q "^$WGT_NS_PREFIX-$WGT_TAG-" && continue
        compgen -G "/var/run/wireguard/*-$WGT_TAG.sock" >/dev/null && continue
        break
    done
    WGT_DIR=$(mktemp -d "${WGT_TMPDIR:-/tmp}/wgt-$WGT_NAME.XXXXXX")
    : >"$WGT_DIR/pids"
    mkdir -p "$WGT_DIR/keys"
    chmod 700 "$WGT_DIR/keys"
    trap wgt_cleanup EXIT
    _wgt_sweep_stale
    mkdir -p /run/wgt
    echo "$$ $(_wgt_starttime $$)" >"/run/wgt/$WGT_TAG"
    trap 'exit 130' INT
    trap 'exit 143' TERM

    case ${WGB_WG_BACKEND:-} in
    kernel | go) WGT_BACKEND=$WGB_WG_BACKEND ;;
    '') if _wgt_kernel_has_wg; then WGT_BACKEND=kernel; else WGT_BACKEND=go; fi ;;
    *) echo "$WGT_NAME: WGB_WG_BACKEND must be kernel or go, not '$WGB_WG_BACKEND'" >&2; exit 1 ;;
    esac
    if [ "$WGT_BACKEND" = kernel ] && ! _wgt_kernel_has_wg; then
        echo "$WGT_NAME: this kernel has no WireGuard; run through tests/vm/run-in-guest.sh or set WGB_WG_BACKEND=go" >&2
        exit 1
    fi
    if [ "$WGT_BACKEND" = go ] && ! command -v wireguard-go >/dev/null; then
        echo "$WGT_NAME: wireguard-go not installed (apt-get install wireguard-go)" >&2
        exit 1
    fi
    export WGB_WG_BACKEND=$WGT_BACKEND
    wgt_log "$WGT_NAME: backend $WGT_BACKEND, tag $WGT_TAG, kernel $(uname -r), logs in $WGT_DIR"
}

# Start time of process $1 (field 22 of /proc/PID/stat): with the PID it
# names a process unambiguously, so a reused PID is not taken for a live run.
_wgt_starttime() {
    local st
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) }
    # shellcheck disable=SC2086
    set -- $st
    echo "${20}"
}

# Runs record themselves in /run/wgt/TAG.  A run that was SIGKILLed could
# not clean up; its daemons got SIGTERM through their parent-death signal,
# and here its namespaces are deleted once no process is left in them.
_wgt_sweep_stale() {
    local f tag pid st ns left
    for f in /run/wgt/*; do
        [ -f "$f" ] || continue
        tag=${f##*/}
        read -r pid st <"$f" || continue
        [ "$(_wgt_starttime "$pid")" = "$st" ] && continue
        left=0
        while read -r ns _; do
            case $ns in "$WGT_NS_PREFIX-$tag-"*) ;; *) continue ;; esac
            if [ -z "$(ip netns pids "$ns" 2>/dev/null)" ]; then
                ip netns del "$ns" 2>/dev/null && wgt_log "deleted $ns left by a dead run"
            else
                left=1
            fi
        done < <(ip netns list 2>/dev/null)
        [ "$left" = 1 ] || rm -f "$f"
    done
}

_wgt_kernel_has_wg() {
    [ -n "${_WGT_KERNEL_WG:-}" ] && return "$_WGT_KERNEL_WG"
    local ns="wgtprobe$$"
    _WGT_KERNEL_WG=1
    if ip netns add "$ns" 2>/dev/null; then
        if ip -n "$ns" link add wgtprobe type wireguard 2>/dev/null; then
            _WGT_KERNEL_WG=0
        fi
        ip netns del "$ns" 2>/dev/null
    fi
    return "$_WGT_KERNEL_WG"
}

# ----------------------------------------------------------- namespaces
# wgt_ns_add NS...: create namespaces (loopback up, IPv6 duplicate address
# detection off: while a veth's link-local address is tentative, the first
# neighbour solicitation waits about 1 s, which makes first pings flaky).
# WGT_NS_SYSCTL: more "key=value" settings for each new namespace, set in
# the same sysctl run.  One ip process creates them all, then two process
# starts per namespace (ip -n, ip netns exec sysctl): under qemu TCG every
# start costs 50-120 ms.
wgt_ns_add() {
    local ns real cmds=''
    for ns in "$@"; do
        cmds+="netns add $WGT_NS_PREFIX-$WGT_TAG-$ns"$'\n'
    done
    _wgt_v ip -b - "<<<" "$cmds"
    ip -b - <<<"$cmds" || { wgt_fail "ip netns add $*"; return 1; }
    for ns in "$@"; do
        real=$WGT_NS_PREFIX-$WGT_TAG-$ns
        WGT_NS[$ns]=$real
        ip -n "$real" link set lo up || { wgt_fail "lo up in $real"; return 1; }
        # shellcheck disable=SC2086 # a list of settings
        ip netns exec "$real" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0 ${WGT_NS_SYSCTL:-} || { wgt_fail "sysctl in $real"; return 1; }
    done
}

# Real name of logical namespace NS.
wgt_ns() {
    [ -n "${WGT_NS[$1]:-}" ] || { wgt_fail "no namespace '$1'"; return 1; }
    echo "${WGT_NS[$1]}"
}

# wgt_ip NS ARGS...: ip -n NS ARGS (no extra process; prefer it to wgt_exec).
wgt_ip() {
    local ns=${WGT_NS[$1]:-}
    [ -n "$ns" ] || { wgt_fail "no namespace '$1'"; return 1; }
    shift
    _wgt_v ip -n "$ns" "$@"
    ip -n "$ns" "$@"
}

# wgt_exec NS CMD...: run CMD inside NS.
wgt_exec() {
    local ns=${WGT_NS[$1]:-}
    [ -n "$ns" ] || { wgt_fail "no namespace '$1'"; return 1; }
    shift
    _wgt_v "[$ns]" "$@"
    ip netns exec "$ns" "$@"
}

# wgt_veth NSA ADDR_A NSB ADDR_B: veth pair "ve-NSB" in NSA <-> "ve-NSA" in
# NSB, both up.  ADDR_* are "ip/len" (IPv4 or IPv6; several, comma-separated;
# "-" for none).  IPv6 addresses are added nodad so they work at once.
wgt_veth() {
    local a=$1 addr_a=$2 b=$3 addr_b=$4
    local na=${WGT_NS[$a]:-} nb=${WGT_NS[$b]:-}
    [ -n "$na" ] && [ -n "$nb" ] || { wgt_fail "wgt_veth: unknown namespace $a or $b"; return 1; }
    local ia="ve-${b:0:12}" ib="ve-${a:0:12}"
    _wgt_v ip link add "$ia" netns "$na" type veth peer name "$ib" netns "$nb"
    ip link add "$ia" netns "$na" type veth peer name "$ib" netns "$nb" ||
        { wgt_fail "veth $a<->$b"; return 1; }
    wgt_addr "$a" "$ia" "$addr_a" || return 1
    wgt_addr "$b" "$ib" "$addr_b" || return 1
    # Until the kernel's linkwatch has activated the link (it batches
    # events, up to ~1 s) packets are dropped by the noop qdisc; wait for
    # operstate UP on both ends so a first ping does not get lost.
    wgt_wait_until "wgt_ip $a -o link show dev $ia | grep -q 'state UP' && wgt_ip $b -o link show dev $ib | grep -q 'state UP'" 5 ||
        { wgt_fail "veth $a<->$b did not come up"; return 1; }
}

# wgt_addr NS DEV ADDR[,ADDR...]: add addresses ("-" for none) and set DEV up.
wgt_addr() {
    local ns=$1 dev=$2 list=$3 a cmds=''
    local IFS=,
    for a in $list; do
        [ "$a" = - ] && continue
        case $a in
        *:*) cmds+="addr add $a dev $dev nodad"$'\n' ;;
        *) cmds+="addr add $a dev $dev"$'\n' ;;
        esac
    done
    unset IFS
    cmds+="link set $dev up"$'\n'
    # One ip process for all of it: process starts are expensive under TCG.
    wgt_ip "$ns" -b - <<<"$cmds" || { wgt_fail "addresses $list on $dev in $ns"; return 1; }
}

# ------------------------------------------------------------- daemons
# wgt_daemon NS LABEL CMD...: start CMD in NS in the background, output to
# $WGT_DIR/LABEL.log; its PID is in WGT_LAST_PID and recorded for cleanup.
# `ip netns exec` and setpriv exec CMD, so $! is CMD's own PID.  CMD gets
# SIGTERM when the shell that started it dies, even by SIGKILL (setpriv
# --pdeathsig), so a killed test leaves no daemon behind; hence start
# daemons from the test's own shell, not from a ( subshell ) or $(...),
# or set WGT_PDEATHSIG=0.
wgt_daemon() {
    local ns=${WGT_NS[$1]:-} label=$2
    [ -n "$ns" ] || { wgt_fail "no namespace '$1'"; return 1; }
    shift 2
    _wgt_v "[$ns] &" "$@"
    local guard=(setpriv --pdeathsig TERM --)
    [ "${WGT_PDEATHSIG:-1}" = 1 ] || guard=()
    ip netns exec "$ns" "${guard[@]}" "$@" </dev/null >>"$WGT_DIR/$label.log" 2>&1 &
    WGT_LAST_PID=$!
    echo "$WGT_LAST_PID $label" >>"$WGT_DIR/pids"
}

# wgt_stop PID [TIMEOUT_S]: SIGTERM, wait for exit (SIGKILL after TIMEOUT_S,
# default 5).  Works for processes that are not this shell's children too.
wgt_stop() {
    local pid=$1 t=${2:-5} i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < t * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        wgt_log "pid $pid ignored SIGTERM for ${t}s; killing"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    sed -i "/^$pid /d" "$WGT_DIR/pids" 2>/dev/null
    return 0
}

# wgt_cleanup: stop every daemon started here, delete this run's namespaces.
# Installed as the EXIT trap by wgt_init; call it yourself if you replace
# that trap.
wgt_cleanup() {
    local rc=$? pid _label ns
    trap - EXIT
    # The test may run under set -e; a daemon's exit status must not end the
    # cleanup half way.
    set +e
    [ -n "${WGT_DIR:-}" ] || return "$rc"
    if [ "$WGT_DONE" = 0 ] && { [ "$WGT_N" -gt 0 ] || [ "$rc" != 0 ]; }; then
        # The script died before wgt_done: count that as a failure.
        WGT_N=$((WGT_N + 1))
        echo "not ok $WGT_N - $WGT_NAME ended early (exit status $rc)"
        WGT_FAILED=$((WGT_FAILED + 1))
        echo "$WGT_PASSED passed, $WGT_FAILED failed"
        [ "$rc" != 0 ] || rc=1
    fi
    if [ "$WGT_FAILED" -gt 0 ] && [ "${WGT_DUMP_LOGS:-1}" = 1 ]; then
        _wgt_dump_logs
    fi
    if [ -s "$WGT_DIR/pids" ]; then
        # Newest first: daemons before the wireguard-go they run over.
        while read -r pid _label; do
            wgt_stop "$pid"
        done < <(tac "$WGT_DIR/pids")
    fi
    _wgt_stop_leftovers
    while read -r ns _; do
        case $ns in "$WGT_NS_PREFIX-$WGT_TAG-"*) ip netns del "$ns" 2>/dev/null ;; esac
    done < <(ip netns list 2>/dev/null)
    if [ -n "${WGT_KEEP:-}" ]; then
        echo "# kept $WGT_DIR" >&2
    elif [ "$WGT_FAILED" -gt 0 ] && [ -n "${WGT_KEEP_FAILED:-}" ]; then
        # The guest's /tmp is gone with it: the files (not the sockets)
        # go where the host sees them.
        local keep=$WGT_KEEP_FAILED/${WGT_DIR##*/}
        mkdir -p "$keep" &&
            (cd "$WGT_DIR" && find . -type f -exec cp --parents {} "$keep" \;)
        echo "# a test failed: its logs are kept in $keep" >&2
        rm -rf "$WGT_DIR"
    elif [ "$WGT_FAILED" -gt 0 ]; then
        echo "# a test failed: its logs are kept in $WGT_DIR" >&2
    else
        rm -rf "$WGT_DIR"
    fi
    rm -f "/run/wgt/$WGT_TAG"
    exit "$rc"
}

# What is still running after the daemons wgt_daemon tracked are stopped:
# this shell's own background jobs (a sampler loop, a ping in the
# background, a monitor) and every process left in this run's namespaces
# (the wireguard-go that wg-quick daemonizes, a tcpdump that a failed test
# did not stop).  `ip netns del` only removes a namespace's name: one
# with a process in it lives on, and so does the process.  Each is named
# in the log, then stopped by its PID (SIGTERM, SIGKILL after 5 s).
_wgt_stop_leftovers() {
    local pid ns args pids=()
    # -r: running ones only (a job that ended was reaped; its PID may be
    # another process's by now).
    for pid in $(jobs -pr); do
        wgt_log "a background job of the test still runs: pid $pid; stopping it"
        pids+=("$pid")
    done
    while read -r ns _; do
        case $ns in "$WGT_NS_PREFIX-$WGT_TAG-"*) ;; *) continue ;; esac
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
            wgt_log "left in ${ns#"$WGT_NS_PREFIX-$WGT_TAG-"}: pid $pid ($args); stopping it"
            pids+=("$pid")
        done
    done < <(ip netns list 2>/dev/null)
    [ "${#pids[@]}" -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null
    for pid in "${pids[@]}"; do wgt_stop "$pid"; done
}

# On failure: the tail of every daemon log, so that a CI log (or a guest,
# whose /tmp is gone after it powers off) still shows what the daemons said.
_wgt_dump_logs() {
    local f
    for f in "$WGT_DIR"/*.log; do
        [ -s "$f" ] || continue
        echo "# ---- last ${WGT_DUMP_LINES:-40} lines of $(basename "$f") ----" >&2
        tail -n "${WGT_DUMP_LINES:-40}" "$f" | sed 's/^/#   /' >&2
    done
}

# ------------------------------------------------------------ WireGuard
# wgt_genkey FILE: write a private key to FILE, print its public key.
wgt_genkey() {
    (umask 077 && wg genkey >"$1") && wg pubkey <"$1"
}

# wgt_wg_add NS NAME [PORT]: a WireGuard interface (backend per
# WGB_WG_BACKEND) with a fresh key, listening on PORT (default: next free
# from 51820), up (wireguard-go: with the kernel's own link-local).
# Sets WGT_IF[NS/NAME] (real name), WGT_PUB[NS/NAME], WGT_KEY[NS/NAME]
# (private key file), WGT_PORT[NS/NAME], and WGT_LAST_IF.
wgt_wg_add() {
    local ns=$1 name=$2 port=${3:-}
    local real=${WGT_NS[$ns]:-} k=$1/$2
    [ -n "$real" ] || { wgt_fail "no namespace '$ns'"; return 1; }
    local ifn=$ns-$name-$WGT_TAG
    [ ${#ifn} -le 15 ] || { wgt_fail "'$ns' + '$name' longer than 10 characters"; return 1; }
    if [ -z "$port" ]; then
        port=$WGT_NEXT_PORT
        WGT_NEXT_PORT=$((WGT_NEXT_PORT + 1))
    fi
    case $WGT_BACKEND in
    kernel)
        wgt_ip "$ns" link add "$ifn" type wireguard || { wgt_fail "ip link add $ifn type wireguard in $ns"; return 1; }
        ;;
    go)
        [ ! -e "/var/run/wireguard/$ifn.sock" ] || { wgt_fail "/var/run/wireguard/$ifn.sock exists already"; return 1; }
        wgt_daemon "$ns" "wireguard-go-$ifn" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL="${WGT_WG_GO_LOG:-error}" wireguard-go -f "$ifn" || return 1
        if ! wgt_wait_until "[ -S /var/run/wireguard/$ifn.sock ]" 10; then
            cat "$WGT_DIR/wireguard-go-$ifn.log"
            wgt_fail "wireguard-go $ifn did not come up"
            return 1
        fi
        ;;
    esac
    WGT_IF[$k]=$ifn
    WGT_KEY[$k]=$WGT_DIR/keys/$ifn.key
    WGT_PORT[$k]=$port
    WGT_PUB[$k]=$(wgt_genkey "${WGT_KEY[$k]}") || { wgt_fail "wg genkey"; return 1; }
    wgt_exec "$ns" wg set "$ifn" private-key "${WGT_KEY[$k]}" listen-port "$port" ||
        { wgt_fail "wg set $ifn private-key/listen-port"; return 1; }
    # Kernel WireGuard links get no link-local address of their own; a
    # wireguard-go TUN gets one the kernel makes (stable-privacy or random)
    # beside the one wgt_wg_ll adds, as users' set-ups do, and wgbabeld must
    # speak from the configured one (daemon/lladdr.h). So it is kept.
    local gen=
    [ "$WGT_BACKEND" = go ] || gen="link set $ifn addrgenmode none"$'\n'
    wgt_ip "$ns" -b - <<<"${gen}link set $ifn up" || { wgt_fail "link up $ifn"; return 1; }
    WGT_LAST_IF=$ifn
}

# Real interface name of NS/NAME.
wgt_if() {
    [ -n "${WGT_IF[$1/$2]:-}" ] || { wgt_fail "no wg interface $1/$2"; return 1; }
    echo "${WGT_IF[$1/$2]}"
}

# wgt_wg NS ARGS...: the wg tool in NS (also right for wireguard-go, which
# wg finds through its socket).
wgt_wg() {
    local ns=$1
    shift
    wgt_exec "$ns" wg "$@"
}

# wgt_wg_set NS NAME ARGS...: `wg set IFACE ARGS...` on NS/NAME.
wgt_wg_set() {
    local ns=$1 ifn=${WGT_IF[$1/$2]:-}
    [ -n "$ifn" ] || { wgt_fail "no wg interface $1/$2"; return 1; }
    shift 2
    wgt_wg "$ns" set "$ifn" "$@" || { wgt_fail "wg set $ifn $*"; return 1; }
}

# wgt_wg_peer NS NAME PEER_NS PEER_NAME ENDPOINT_IP ALLOWED_IPS [WG ARGS...]
# Adds PEER_NS/PEER_NAME as a peer of NS/NAME, reached at ENDPOINT_IP (the
# peer's underlay address; "-" for no endpoint) on the peer's listen port,
# with ALLOWED_IPS ("a/n,b/m"; "-" for none).  Extra args go to `wg set`
# after the peer (e.g. persistent-keepalive 25).
wgt_wg_peer() {
    local ns=$1 name=$2 pns=$3 pname=$4 ep=$5 allowed=$6
    shift 6
    local pk=${WGT_PUB[$pns/$pname]:-}
    [ -n "$pk" ] || { wgt_fail "no wg interface $pns/$pname"; return 1; }
    local args=(peer "$pk")
    if [ "$ep" != - ]; then
        case $ep in *:*) ep="[$ep]" ;; esac
        args+=(endpoint "$ep:${WGT_PORT[$pns/$pname]}")
    fi
    [ "$allowed" = - ] || args+=(allowed-ips "$allowed")
    wgt_wg_set "$ns" "$name" "${args[@]}" "$@"
}

# wgt_wg_connect NSA NAMEA UNDERLAY_A ALLOWED_AT_A  NSB NAMEB UNDERLAY_B ALLOWED_AT_B
# Peers NSA/NAMEA and NSB/NAMEB with each other.  ALLOWED_AT_A is what A
# accepts from (and routes to) B; UNDERLAY_X is X's veth address (no /len).
wgt_wg_connect() {
    local a=$1 an=$2 ua=$3 aa=$4 b=$5 bn=$6 ub=$7 ab=$8
    wgt_wg_peer "$a" "$an" "$b" "$bn" "$ub" "$aa" || return 1
    wgt_wg_peer "$b" "$bn" "$a" "$an" "$ua" "$ab" || return 1
}

# wgt_wg_ll NS NAME [ADDR]: give NS/NAME the link-local address ADDR
# (default fe80::N/64, N counting up per call), nodad.  Prints nothing; the
# address (without /len) is in WGT_LAST_LL.
WGT_NEXT_LL=1
wgt_wg_ll() {
    local ns=$1 ifn=${WGT_IF[$1/$2]:-} addr=${3:-}
    [ -n "$ifn" ] || { wgt_fail "no wg interface $1/$2"; return 1; }
    if [ -z "$addr" ]; then
        addr=$(printf 'fe80::%x/64' "$WGT_NEXT_LL")
        WGT_NEXT_LL=$((WGT_NEXT_LL + 1))
    fi
    wgt_ip "$ns" addr add "$addr" dev "$ifn" nodad || { wgt_fail "addr $addr on $ifn"; return 1; }
    WGT_LAST_LL=${addr%/*}
}

# wgt_wg_allowed NS NAME: print `wg show IFACE allowed-ips` ("PUBKEY\tIP IP").
wgt_wg_allowed() {
    local ifn=${WGT_IF[$1/$2]:-}
    [ -n "$ifn" ] || { wgt_fail "no wg interface $1/$2"; return 1; }
    wgt_wg "$1" show "$ifn" allowed-ips
}

# wgt_peer_allowed NS NAME PEER_NS PEER_NAME: print the allowed IPs that
# NS/NAME has for the peer PEER_NS/PEER_NAME, one per line.
wgt_peer_allowed() {
    local pk=${WGT_PUB[$3/$4]:-} line
    [ -n "$pk" ] || { wgt_fail "no wg interface $3/$4"; return 1; }
    line=$(wgt_wg_allowed "$1" "$2") || return 1
    awk -v pk="$pk" '$1 == pk { for (i = 2; i <= NF; i++) if ($i != "(none)") print $i }' <<<"$line"
}

# ---------------------------------------------------------- measuring
# wgt_ping_loss NS DST SECONDS [PING ARGS...]: ping DST from NS at 100
# packets/s for SECONDS; print the loss in percent (e.g. "0" or "2.5").
wgt_ping_loss() {
    local ns=$1 dst=$2 secs=$3 out loss
    shift 3
    local count=$((secs * 100))
    out=$(wgt_exec "$ns" ping -q -n -i 0.01 -W 1 -c "$count" -w "$((secs + 3))" "$@" "$dst" 2>&1)
    loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
    if [ -z "$loss" ]; then
        echo "$out" | sed 's/^/# /' >&2
        wgt_fail "ping $dst from $ns gave no statistics"
        echo 100
        return 1
    fi
    echo "$loss"
}

# wgt_ping NS DST [COUNT]: true if DST answers one of COUNT (default 3)
# pings, sent 0.2 s apart.
wgt_ping() {
    wgt_exec "$1" ping -q -n -c "${3:-3}" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# wgt_wait_until CMD TIMEOUT: poll CMD (a string run with eval, or several
# words run as a command) every 0.1 s until it succeeds (return 0) or TIMEOUT
# seconds pass (return 1).  Also accepts wgt_wait_until CMD ARGS... TIMEOUT.
wgt_wait_until() {
    local n=$# timeout=${!#} deadline
    local cmd=("${@:1:n-1}")
    [ "${#cmd[@]}" -gt 0 ] || { wgt_fail "usage: wgt_wait_until CMD TIMEOUT"; return 1; }
    local now=${EPOCHREALTIME:-$(date +%s.%N)}
    # Microseconds; %.0f, not %d: mawk's %d stops at 2^31.
    deadline=$(awk -v t="$timeout" -v n="$now" 'BEGIN { printf "%.0f", (n + t) * 1000000 }')
    while :; do
        if [ "${#cmd[@]}" = 1 ]; then
            eval "${cmd[0]}" >/dev/null 2>&1 && return 0
        else
            "${cmd[@]}" >/dev/null 2>&1 && return 0
        fi
        now=${EPOCHREALTIME:-$(date +%s.%N)}
        now=${now/./}
        [ "${now:0:16}" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# ---------------------------------------------------------- assertions
# Each prints "# FAIL: ..." and returns 1 when it does not hold.
wgt_assert() {
    "$@" || wgt_fail "command failed: $*"
}

wgt_assert_not() {
    ! "$@" || wgt_fail "command succeeded, expected failure: $*"
}

# wgt_assert_eq GOT WANT [WHAT]
wgt_assert_eq() {
    [ "$1" = "$2" ] || wgt_fail "${3:-value}: got '$1', want '$2'"
}

# wgt_assert_contains HAYSTACK NEEDLE [WHAT]  (fixed string, line-agnostic)
wgt_assert_contains() {
    case $1 in *"$2"*) return 0 ;; esac
    wgt_fail "${3:-output} does not contain '$2'; it is:"$'\n'"$(sed 's/^/#   /' <<<"$1")"
}

wgt_assert_not_contains() {
    case $1 in *"$2"*) wgt_fail "${3:-output} contains '$2'; it is:"$'\n'"$(sed 's/^/#   /' <<<"$1")" ;; esac
    return 0
}

# wgt_assert_ping NS DST [COUNT]
wgt_assert_ping() {
    wgt_ping "$@" || wgt_fail "no reply from $2 in namespace $1"
}

# wgt_assert_no_ping NS DST: DST must not answer (one ping, 1 s).
wgt_assert_no_ping() {
    ! wgt_exec "$1" ping -q -n -c 1 -W 1 "$2" >/dev/null 2>&1 || wgt_fail "$2 answers from namespace $1"
}

# wgt_assert_loss_max NS DST SECONDS MAX_PERCENT
wgt_assert_loss_max() {
    local loss
    loss=$(wgt_ping_loss "$1" "$2" "$3") || return 1
    wgt_log "loss $1 -> $2 over $3 s: $loss%"
    awk -v l="$loss" -v m="$4" 'BEGIN { exit !(l <= m) }' ||
        wgt_fail "loss $1 -> $2 is $loss%, more than $4%"
}

# wgt_assert_wait CMD TIMEOUT [WHAT]: like wgt_wait_until, failing loudly.
wgt_assert_wait() {
    wgt_wait_until "$1" "$2" || wgt_fail "${3:-$1}: not true within $2 s"
}

# ------------------------------------------------------------ reporting
# wgt_test NAME CMD...: run CMD (usually a function) in this shell, as test
# number N; prints "ok N - NAME (T s)" or "not ok N - NAME (T s)".  Returns 0
# either way (safe under set -e); WGT_LAST_OK is 1 or 0.
wgt_test() {
    local name=$1 t0 rc=0
    shift
    WGT_N=$((WGT_N + 1))
    WGT_CUR_FAIL=0
    t0=$(wgt_now)
    "$@" || rc=$?
    local dt
    dt=$(wgt_since "$t0")
    if [ "$rc" = 0 ] && [ "$WGT_CUR_FAIL" = 0 ]; then
        WGT_PASSED=$((WGT_PASSED + 1))
        WGT_LAST_OK=1
        echo "ok $WGT_N - $name (${dt}s)"
    else
        WGT_FAILED=$((WGT_FAILED + 1))
        WGT_LAST_OK=0
        echo "not ok $WGT_N - $name (${dt}s)"
    fi
    WGT_CUR_FAIL=0
    return 0
}

# wgt_setup NAME CMD...: a wgt_test that the rest depends on; if it fails,
# the run ends here (wgt_done) instead of piling up follow-on failures.
wgt_setup() {
    wgt_test "$@"
    if [ "$WGT_LAST_OK" = 0 ]; then
        echo "# setup '$1' failed; skipping the remaining tests" >&2
        wgt_done
    fi
}

# wgt_skip NAME REASON
wgt_skip() {
    WGT_N=$((WGT_N + 1))
    WGT_SKIPPED=$((WGT_SKIPPED + 1))
    echo "ok $WGT_N - $1 # SKIP $2"
}

# wgt_done: print the plan and the closing "N passed, N failed" line, clean
# up, exit 0 if nothing failed, else 1.
wgt_done() {
    WGT_DONE=1
    echo "1..$WGT_N"
    if [ "$WGT_SKIPPED" -gt 0 ]; then
        echo "$WGT_PASSED passed, $WGT_FAILED failed, $WGT_SKIPPED skipped"
    else
        echo "$WGT_PASSED passed, $WGT_FAILED failed"
    fi
    [ "$WGT_FAILED" = 0 ]
    exit
}
