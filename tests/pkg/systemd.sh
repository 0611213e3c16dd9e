#!/bin/bash
# tests/pkg/systemd.sh: the Debian package under a real systemd, in the
# qemu guest booted with systemd as PID 1 (WGB_VM_SYSTEMD=1, kernel
# WireGuard). Root.
#
# On the host: builds the package (tests/pkg/build.sh, into
# REPO/build-pkg, which the guest sees) unless WGB_DEB names a .deb
# already built (under the work tree or elsewhere the guest sees: not /tmp
# or /run), then boots the guest and runs itself there with --guest DEB.
# In the guest:
#   - dpkg -i under systemd: the template is loaded, no instance enabled;
#   - wg-quick@wg0 up, /etc/wgbabeld/wg0.conf from the packaged example;
#   - systemctl start wgbabeld@wg0 returns once READY=1 came (Type=notify):
#     active, status text set, wgbabelctl finds the one instance by itself;
#     the sandbox is in force (NoNewPrivs, capability bounding set);
#   - systemctl reload: SIGHUP, RELOADING=1 then READY=1, same process,
#     the new announce line in force;
#   - systemctl stop: STOPPING=1, clean exit (Result=success);
#   - BindsTo: stopping wg-quick@wg0 stops wgbabeld@wg0;
#   - dpkg -P under systemd leaves no unit behind.
# Ends with "N passed, N failed".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

if [ "${1:-}" != --guest ]; then
    [ "$(id -u)" = 0 ] || { echo "systemd.sh: run as root" >&2; exit 1; }
    deb=${WGB_DEB:-}
    if [ -z "$deb" ]; then
        out=$TOP/build-pkg
        if ! bash "$HERE/build.sh" "$out"; then
            tail -n 40 "$out/build.log" >&2
            echo "not ok 1 - dpkg-buildpackage"
            echo "0 passed, 1 failed"
            exit 1
        fi
        deb=$(ls "$out"/wgbabeld_*.deb | head -n 1)
    fi
    # The guest sees the host's / read-only and the work tree at its own
    # path (even under /tmp, as a fresh clone in CI may be), but its /tmp
    # and /run are its own.
    case $deb in
    "$TOP"/*) ;;
    /tmp/*|/run/*)
        echo "systemd.sh: the guest cannot see $deb (its /tmp and /run are its own)" >&2
        exit 1 ;;
    esac
    [ -f "$deb" ] || { echo "systemd.sh: no package $deb" >&2; exit 1; }
    WGB_VM=force WGB_VM_SYSTEMD=1 exec bash "$TOP/tests/vm/run-in-guest.sh" \
        bash "$HERE/systemd.sh" --guest "$deb"
fi

DEB=$2
. "$HERE/../lib/netns.sh"
wgt_init deb-systemd

UNIT=wgbabeld@wg0
WGQ=wg-quick@wg0
INSTALLED=0
sd_cleanup() {
    local rc=$?
    if [ "$INSTALLED" = 1 ]; then
        systemctl stop $UNIT $WGQ >/dev/null 2>&1
        dpkg -P wgbabeld >/dev/null 2>&1
    fi
    (exit "$rc")
    wgt_cleanup
}
trap sd_cleanup EXIT

prop() { systemctl show -p "$2" --value "$1"; }
active() { systemctl is-active "$1" 2>/dev/null; }
journal() { journalctl --no-pager -q -o cat -u "$1"; }

pid1_is_systemd() {
    wgt_assert_eq "$(cat /proc/1/comm)" systemd "PID 1" || return 1
    # A virtual machine to systemd, not a container (guest-stage2.sh hides
    # a container host's /.dockerenv).
    wgt_log "systemd-detect-virt: $(systemd-detect-virt)"
    wgt_assert_not systemd-detect-virt -q --container || return 1
    # basic.target reached: this script runs as a service after it.
    wgt_assert_eq "$(active basic.target)" active "basic.target"
}

install_pkg() {
    # man-db's trigger rebuilds the whole index, about 30 s under the
    # emulated CPU; this guest's root is a throw-away overlay.
    rm -f /var/lib/man-db/auto-update
    dpkg -i "$DEB" >"$WGT_DIR/dpkg-i.log" 2>&1 ||
        { cat "$WGT_DIR/dpkg-i.log" >&2; wgt_fail "dpkg -i"; return 1; }
    INSTALLED=1
    wgt_assert_eq "$(prop $UNIT LoadState)" loaded "LoadState of $UNIT" || return 1
    wgt_assert_eq "$(prop $UNIT FragmentPath)" /lib/systemd/system/wgbabeld@.service \
        "unit file" || return 1
    wgt_assert_eq "$(systemctl is-enabled $UNIT 2>/dev/null)" disabled "is-enabled" || return 1
    wgt_assert_eq "$(active $UNIT)" inactive "$UNIT after install"
}

wg_up() {
    local key peer
    umask 077
    mkdir -p /etc/wireguard /etc/wgbabeld
    key=$(wg genkey) && peer=$(wg genkey | wg pubkey) || return 1
    cat >/etc/wireguard/wg0.conf <<EOF
[Interface]
PrivateKey = $key
ListenPort = 51820
Address = fe80::1/64
Table = off

[Peer]
PublicKey = $peer
Endpoint = 192.0.2.2:51820
AllowedIPs = fe80::2/128
EOF
    umask 022
    cp /usr/share/doc/wgbabeld/examples/wgbabeld-wg0.conf /etc/wgbabeld/wg0.conf || return 1
    systemctl start $WGQ || { journal $WGQ >&2; wgt_fail "start $WGQ"; return 1; }
    wgt_assert_eq "$(active $WGQ)" active "$WGQ"
}

MAINPID=''
start_ready() {
    local t0 t1 out
    t0=$(date +%s.%N)
    systemctl start $UNIT || { journal $UNIT >&2; wgt_fail "systemctl start $UNIT"; return 1; }
    t1=$(date +%s.%N)
    wgt_log "systemctl start took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
    # Type=notify: start returns once READY=1 came; active from then on.
    wgt_assert_eq "$(active $UNIT)" active "$UNIT" || return 1
    wgt_assert_eq "$(prop $UNIT Type)" notify "Type" || return 1
    wgt_assert_contains "$(prop $UNIT StatusText)" running "StatusText" || return 1
    MAINPID=$(prop $UNIT MainPID)
    wgt_assert_eq "$(readlink /proc/"$MAINPID"/exe)" /usr/sbin/wgbabeld "main process" || return 1
    # wgbabelctl finds the one instance's socket under /run/wgbabeld.
    out=$(wgbabelctl show status 2>&1) || { wgt_fail "wgbabelctl show status: $out"; return 1; }
    wgt_assert_contains "$out" "router-id " "wgbabelctl show status" || return 1
    out=$(wgbabelctl -i wg0 show status 2>&1) || { wgt_fail "wgbabelctl -i wg0: $out"; return 1; }
    wgt_assert_contains "$out" "router-id " "wgbabelctl -i wg0 show status"
}

sandboxed() {
    local st
    st=$(cat /proc/"$MAINPID"/status) || return 1
    wgt_assert_contains "$st" $'NoNewPrivs:\t1' "NoNewPrivs" || return 1
    # CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_CHOWN: bits 12 13 10 0
    wgt_assert_contains "$st" $'CapBnd:\t0000000000003401' "capability bounding set" || return 1
    wgt_assert_contains "$st" $'Seccomp:\t2' "system call filter"
}

reload() {
    printf 'announce 2001:db8:2::/48\n' >>/etc/wgbabeld/wg0.conf
    systemctl reload $UNIT || { journal $UNIT >&2; wgt_fail "systemctl reload"; return 1; }
    wgt_assert_eq "$(active $UNIT)" active "$UNIT after reload" || return 1
    wgt_assert_eq "$(prop $UNIT MainPID)" "$MAINPID" "same process" || return 1
    wgt_assert_wait "journal $UNIT | grep -q 'configuration reloaded'" 10 \
        "journal: configuration reloaded" || return 1
    wgt_assert_contains "$(prop $UNIT StatusText)" "reloaded" "StatusText" || return 1
    wgt_assert_wait "wgbabelctl -i wg0 show originated 2>/dev/null | grep -qF 2001:db8:2::/48" 10 \
        "the new announce in force"
}

stop() {
    systemctl stop $UNIT || { wgt_fail "systemctl stop"; return 1; }
    wgt_assert_eq "$(active $UNIT)" inactive "$UNIT after stop" || return 1
    wgt_assert_eq "$(prop $UNIT Result)" success "Result" || return 1
    wgt_assert_contains "$(journal $UNIT)" "exited" "journal: exited"
}

bindsto() {
    systemctl start $UNIT || { wgt_fail "start again"; return 1; }
    wgt_assert_eq "$(active $UNIT)" active "$UNIT" || return 1
    systemctl stop $WGQ || { wgt_fail "stop $WGQ"; return 1; }
    wgt_assert_wait "[ \"\$(active $UNIT)\" = inactive ]" 20 "$UNIT stopped with $WGQ" || return 1
    wgt_assert_eq "$(prop $UNIT Result)" success "Result"
}

purge() {
    dpkg -P wgbabeld >"$WGT_DIR/dpkg-p.log" 2>&1 ||
        { cat "$WGT_DIR/dpkg-p.log" >&2; wgt_fail "dpkg -P"; return 1; }
    INSTALLED=0
    wgt_assert_not test -e /lib/systemd/system/wgbabeld@.service || return 1
    wgt_assert_eq "$(prop $UNIT LoadState)" not-found "LoadState after purge"
}

wgt_setup "systemd is PID 1" pid1_is_systemd
wgt_setup "dpkg -i under systemd: template loaded, not enabled" install_pkg
wgt_setup "wg-quick@wg0 up (kernel WireGuard)" wg_up
wgt_test "systemctl start wgbabeld@wg0: active at READY=1, wgbabelctl answers" start_ready
wgt_test "sandbox in force: NoNewPrivs, capabilities, seccomp" sandboxed
wgt_test "systemctl reload: same process, new configuration" reload
wgt_test "systemctl stop: clean exit" stop
wgt_test "BindsTo: stopping wg-quick@wg0 stops wgbabeld@wg0" bindsto
wgt_test "dpkg -P under systemd" purge
wgt_done
