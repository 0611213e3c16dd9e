#!/bin/bash
# tests/pkg/deb.sh: the Debian package, built, linted, installed, run and
# removed, as an operator would meet it (root; Debian 12).
#
#   1. dpkg-buildpackage -us -uc -b in a copy of the work tree (the tree
#      itself gets no build products), then lintian at its default level
#      (errors and warnings fail);
#   2. dpkg -i; the programs, man pages and the template unit are where
#      dpkg -L says, the unit runs /usr/sbin/wgbabeld and no instance got
#      enabled; wgbabeld --version gives the package's version;
#   3. the installed wgbabeld, started by hand in two network namespaces over
#      wireguard-go, answers `wgbabelctl -i IFACE show status`, learns the
#      other node's prefix and writes it into that peer's allowed IPs;
#   4. dpkg -r, then dpkg -P: none of the package's files is left.
#
# Not under systemd: this host (and CI's) does not run systemd as PID 1.
# tests/pkg/systemd.sh runs the package under systemd in the qemu guest.
#
# Refuses to touch a wgbabeld package already installed on the machine
# (the install, run and removal tests are then skipped).
#
# Environment: WGB_DEB_CHECK=1 runs the unit tests inside the package build
# (dh_auto_test; default: DEB_BUILD_OPTIONS=nocheck, because run-all.sh's
# "unit" stage runs the same tests); WGB_DEB_KEEP=DIR copies the .deb
# there (for tests/pkg/systemd.sh); WGB_WG_BACKEND is ignored, the run uses
# wireguard-go (no kernel WireGuard needed).
# Ends with "N passed, N failed".
set -u
export WGB_WG_BACKEND=go
. "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

wgt_init deb

PKG=wgbabeld
DEB=''
INSTALLED_BY_US=0
PREINSTALLED=0
dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q 'ok installed' &&
    PREINSTALLED=1

# The EXIT trap: a run that dies half-way does not leave the package or
# the daemons' files behind. wgt_cleanup exits with the script's status.
deb_cleanup() {
    local rc=$? pid
    for pid in ${DPID_A:-} ${DPID_B:-}; do
        kill -0 "$pid" 2>/dev/null && wgt_stop "$pid" 10
    done
    rundir_cleanup
    if [ "$INSTALLED_BY_US" = 1 ]; then
        dpkg -P $PKG >/dev/null 2>&1
    fi
    (exit "$rc")
    wgt_cleanup
}
trap deb_cleanup EXIT

tree_state() {
    git -C "$TOP" status --porcelain 2>/dev/null
}

BEFORE=$(tree_state)
OUT=$WGT_DIR/src

build() {
    bash "$HERE/build.sh" "$OUT" ||
        { tail -n 40 "$OUT/build.log" >&2; wgt_fail "dpkg-buildpackage failed"; return 1; }
    DEB=$(ls "$OUT"/${PKG}_*.deb 2>/dev/null | head -n 1)
    [ -f "$DEB" ] || { wgt_fail "no ${PKG}_*.deb in $OUT"; return 1; }
    wgt_log "built $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB)"
    if [ -n "${WGB_DEB_KEEP:-}" ]; then
        mkdir -p "$WGB_DEB_KEEP" && cp "$DEB" "$WGB_DEB_KEEP/" ||
            { wgt_fail "copying the .deb to $WGB_DEB_KEEP"; return 1; }
    fi
}

lintian_clean() {
    local changes out rc
    changes=$(ls "$OUT"/${PKG}_*.changes | head -n 1)
    # --fail-on error,warning: lintian's default display level; info and
    # pedantic tags neither show nor fail (the package has none today).
    lintian --fail-on error,warning "$changes" >"$WGT_DIR/lintian.log" 2>&1
    rc=$?
    out=$(grep -v '^running with root privileges' "$WGT_DIR/lintian.log")
    [ -z "$out" ] || printf '# %s\n' "$out" >&2
    wgt_assert_eq "$rc" 0 "lintian exit status" || return 1
    wgt_assert_eq "$(grep -cE '^[EW]: ' <<<"$out")" 0 "lintian errors and warnings"
}

tree_untouched() {
    wgt_assert_eq "$(tree_state)" "$BEFORE" "git status of the work tree"
}

install_pkg() {
    dpkg -i "$DEB" >"$WGT_DIR/dpkg-i.log" 2>&1 ||
        { cat "$WGT_DIR/dpkg-i.log" >&2; wgt_fail "dpkg -i failed"; return 1; }
    INSTALLED_BY_US=1
    wgt_assert_eq "$(dpkg-query -W -f='${Status}' $PKG)" \
        "install ok installed" "package status"
}

FILES=''
files_in_place() {
    FILES=$(dpkg -L $PKG) || { wgt_fail "dpkg -L"; return 1; }
    local f missing=0
    for f in /usr/sbin/wgbabeld /usr/bin/wgbabelctl \
        /usr/share/man/man8/wgbabeld.8.gz /usr/share/man/man8/wgbabelctl.8.gz \
        /usr/share/man/man5/wgbabeld.conf.5.gz \
        /lib/systemd/system/wgbabeld@.service \
        /usr/share/doc/wgbabeld/copyright \
        /usr/share/doc/wgbabeld/examples/wgbabeld-wg0.conf; do
        grep -qxF "$f" <<<"$FILES" || { wgt_fail "dpkg -L lacks $f"; missing=1; }
    done
    while IFS= read -r f; do
        [ -e "$f" ] || { wgt_fail "listed but absent: $f"; missing=1; }
    done <<<"$FILES"
    [ -x /usr/sbin/wgbabeld ] && [ -x /usr/bin/wgbabelctl ] ||
        { wgt_fail "programs not executable"; missing=1; }
    # The pages render (man's own pipeline: gzip, groff/mandoc).
    if command -v man >/dev/null; then
        wgt_assert_contains "$(MANWIDTH=80 man 5 wgbabeld.conf 2>/dev/null | head -n 20)" \
            "wgbabeld.conf" "man 5 wgbabeld.conf" || missing=1
    fi
    [ "$missing" = 0 ]
}

unit_template() {
    local unit=/lib/systemd/system/wgbabeld@.service
    wgt_assert_contains "$(grep '^ExecStart=' $unit)" \
        "ExecStart=/usr/sbin/wgbabeld " "ExecStart" || return 1
    # A template with no instance: nothing enabled, nothing started.
    wgt_assert_eq "$(find /etc/systemd/system -name 'wgbabeld@*' 2>/dev/null | wc -l)" 0 \
        "wgbabeld@ links under /etc/systemd/system"
}

version() {
    local got want
    got=$(/usr/sbin/wgbabeld --version 2>&1) || { wgt_fail "wgbabeld --version failed: $got"; return 1; }
    want=$(dpkg-query -W -f='${Version}' $PKG)
    wgt_log "wgbabeld --version: $got"
    wgt_assert_contains "$got" "$want" "wgbabeld --version names the package version"
}

# Two nodes over wireguard-go, each announcing a prefix, each running the
# installed daemon with its control socket where the unit puts it.
PA=2001:db8:a::/48 PB=2001:db8:b::/48
RUNDIR=/run/wgbabeld
MADE_RUNDIR=0
# What the daemons leave in the runtime directory (their ledgers of
# allowed IPs, IF.aip, and of nexthop objects, nexthops-CONFNAME, kept
# across restarts on purpose) is this run's: the configurations are named
# after the interfaces, so every file carries this run's tag. Removed at
# the end, and the directory too when the run made it.
rundir_cleanup() {
    local n ifn
    for n in a b; do
        ifn=${WGT_IF[$n/wg0]:-}
        [ -n "$ifn" ] || continue
        rm -f "$RUNDIR/$ifn.aip" "$RUNDIR/nexthops-$ifn" "$RUNDIR/$ifn.sock"
    done
    [ "$MADE_RUNDIR" = 1 ] && rmdir $RUNDIR 2>/dev/null
    return 0
}

net_setup() {
    wgt_ns_add a b || return 1
    wgt_veth a 10.250.7.1/24 b 10.250.7.2/24 || return 1
    wgt_wg_add a wg0 && wgt_wg_add b wg0 || return 1
    wgt_wg_connect a wg0 10.250.7.1 fe80::2/128 b wg0 10.250.7.2 fe80::1/128 || return 1
    wgt_wg_ll a wg0 fe80::1/64 && wgt_wg_ll b wg0 fe80::2/64 || return 1
    [ -d $RUNDIR ] || { mkdir -p $RUNDIR && MADE_RUNDIR=1; } || return 1
    local n p
    for n in a b; do
        [ $n = a ] && p=$PA || p=$PB
        printf 'interface %s type wireguard\nannounce %s\n' \
            "${WGT_IF[$n/wg0]}" "$p" >"$WGT_DIR/${WGT_IF[$n/wg0]}.conf"
        /usr/sbin/wgbabeld -t -c "$WGT_DIR/${WGT_IF[$n/wg0]}.conf" ||
            { wgt_fail "wgbabeld -t on $n's configuration"; return 1; }
    done
}

DPID_A='' DPID_B=''
start_and_status() {
    local n out
    for n in a b; do
        wgt_daemon $n wgbabeld-$n /usr/sbin/wgbabeld -c "$WGT_DIR/${WGT_IF[$n/wg0]}.conf" \
            -s "$RUNDIR/${WGT_IF[$n/wg0]}.sock" -S "$WGT_DIR/$n.state" || return 1
        [ $n = a ] && DPID_A=$WGT_LAST_PID || DPID_B=$WGT_LAST_PID
    done
    for n in a b; do
        wgt_assert_wait "[ -S $RUNDIR/${WGT_IF[$n/wg0]}.sock ]" 10 \
            "$n's control socket" || return 1
    done
    out=$(wgbabelctl -i "${WGT_IF[a/wg0]}" show status 2>&1) ||
        { wgt_fail "wgbabelctl -i ${WGT_IF[a/wg0]} show status: $out"; return 1; }
    wgt_log "$(head -n 3 <<<"$out" | tr '\n' ' ')"
    wgt_assert_contains "$out" "router-id " "show status"
}

routes_learned() {
    local ifa=${WGT_IF[a/wg0]}
    wgt_assert_wait "wgbabelctl -i $ifa show routes 2>/dev/null | grep -qF '$PB'" 20 \
        "a learns $PB" || return 1
    wgt_assert_wait "wgt_peer_allowed a wg0 b wg0 | grep -qxF '$PB'" 10 \
        "$PB in a's allowed IPs for b"
}

stop_cleans_up() {
    wgt_stop "$DPID_A" 10 || { wgt_fail "a's wgbabeld did not stop"; return 1; }
    wgt_stop "$DPID_B" 10 || { wgt_fail "b's wgbabeld did not stop"; return 1; }
    wgt_assert_not_contains "$(wgt_peer_allowed a wg0 b wg0)" "$PB" \
        "a's allowed IPs for b after SIGTERM" || return 1
    wgt_assert_eq "$(wgt_peer_allowed a wg0 b wg0)" "fe80::2/128" \
        "the static allowed IP stays"
}

remove_pkg() {
    dpkg -r $PKG >"$WGT_DIR/dpkg-r.log" 2>&1 ||
        { cat "$WGT_DIR/dpkg-r.log" >&2; wgt_fail "dpkg -r failed"; return 1; }
    local f left=0
    for f in /usr/sbin/wgbabeld /usr/bin/wgbabelctl \
        /lib/systemd/system/wgbabeld@.service /usr/share/man/man8/wgbabeld.8.gz; do
        [ ! -e "$f" ] || { wgt_fail "$f still there after dpkg -r"; left=1; }
    done
    [ "$left" = 0 ]
}

purge_pkg() {
    dpkg -P $PKG >"$WGT_DIR/dpkg-p.log" 2>&1 ||
        { cat "$WGT_DIR/dpkg-p.log" >&2; wgt_fail "dpkg -P failed"; return 1; }
    INSTALLED_BY_US=0
    local f left=0
    # Every file and every directory of the package's own (not /usr,
    # /usr/share/man...: those belong to the system).
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        if [ -d "$f" ]; then
            case $f in */wgbabeld|*/wgbabeld/*) ;; *) continue ;; esac
        fi
        [ ! -e "$f" ] || { wgt_fail "left after purge: $f"; left=1; }
    done <<<"$FILES"
    [ -z "$(ls /var/lib/dpkg/info/$PKG.* /var/lib/dpkg/info/$PKG:* 2>/dev/null)" ] ||
        { wgt_fail "dpkg's records of $PKG are left"; left=1; }
    [ -z "$(find /var/lib/systemd/deb-systemd-helper-enabled \
        /var/lib/systemd/deb-systemd-helper-masked -name '*wgbabeld*' 2>/dev/null)" ] ||
        { wgt_fail "deb-systemd-helper state left"; left=1; }
    # Purged: dpkg has no record of the package at all.
    wgt_assert_not dpkg-query -W $PKG || left=1
    [ "$left" = 0 ]
}

wgt_setup "dpkg-buildpackage -us -uc -b in a copy of the tree" build
wgt_test "lintian: no errors or warnings" lintian_clean
wgt_test "the work tree has no build products" tree_untouched
if [ "$PREINSTALLED" = 1 ]; then
    for t in "dpkg -i" "files in place" "template unit" "version" \
        "installed daemon over wireguard-go" "dpkg -r" "dpkg -P"; do
        wgt_skip "$t" "a $PKG package is installed on this machine already"
    done
    wgt_done
fi
wgt_setup "dpkg -i" install_pkg
wgt_test "dpkg -L: programs, man pages, unit, all present" files_in_place
wgt_test "template unit runs /usr/sbin/wgbabeld, no instance enabled" unit_template
wgt_test "wgbabeld --version" version
wgt_setup "two namespaces over wireguard-go" net_setup
wgt_test "installed wgbabeld starts; wgbabelctl -i IFACE show status" start_and_status
wgt_test "learns the other node's prefix, writes the allowed IP" routes_learned
wgt_test "SIGTERM removes what it installed" stop_cleans_up
wgt_test "dpkg -r removes the programs" remove_pkg
wgt_test "dpkg -P leaves nothing of the package" purge_pkg
wgt_done
