#!/bin/bash
# run-in-guest.sh [--] CMD [ARGS...]
#
# Runs CMD (cwd = top of the work tree) where kernel WireGuard exists, prints
# its output and exits with its status.
#
#  * If this host can create a wireguard link, CMD runs right here.
#  * Otherwise Debian's kernel is booted in qemu with the host's / shared
#    read-only (tmpfs overlay on top) and the work tree shared read-write at
#    the same path, so CMD runs the host's binaries and sees the fresh build.
#    See tests/vm/README.md.
#
# Environment:
#   WGB_VM=auto|force|never  auto (default): guest only if the host lacks
#                            WireGuard; force: always boot the guest; never:
#                            always run on the host.
#   WGB_VM_CACHE             kernel/modules/initramfs cache
#                            (default: REPO/build-vm-cache, git-ignored)
#   WGB_VM_TIMEOUT           seconds before the guest is killed (default 1500)
#   WGB_VM_MEM, WGB_VM_CPUS  guest size (default 1024 MiB, 2)
#   WGB_VM_ACCEL             kvm|tcg, overrides the detection
#   WGB_VM_APPEND            extra kernel command line
#   WGB_VM_PASSENV           names of extra variables to pass into the guest
#   WGB_VM_REFRESH=1         rebuild the cache (new kernel package)
# Passed into the guest: PATH, HOME, USER, TERM, CI, LANG, LC_ALL, TZ, WGB_*,
# and WGB_VM_PASSENV.  WGB_WG_BACKEND defaults to "kernel" for CMD, and
# CMD sees WGB_IN_GUEST=1 when it runs inside the guest.
#
# Exit status: CMD's; 124 when the guest timed out; 125 when the guest gave
# back no status (the kernel console log tail is printed then).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
say() { echo "run-in-guest: $*" >&2; }

[ "${1:-}" = -- ] && shift
if [ $# -eq 0 ]; then
    echo "usage: $0 [--] CMD [ARGS...]" >&2
    exit 2
fi

# A relative CMD with a slash is taken from the caller's cwd if it exists
# there, else from the repo top (where it will be run).
cmd=$1
shift
case $cmd in
/*) ;;
*/*) if [ -e "$cmd" ]; then cmd=$(cd "$(dirname "$cmd")" && pwd)/$(basename "$cmd"); fi ;;
esac

export WGB_WG_BACKEND=${WGB_WG_BACKEND:-kernel}

host_has_wireguard() {
    local ns="wgbprobe$$"
    ip netns add "$ns" 2>/dev/null || return 1
    local ok=1
    if ip -n "$ns" link add tmpwgprobe type wireguard 2>/dev/null; then
        ok=0
    fi
    ip netns del "$ns" 2>/dev/null || true
    return $ok
}

mode=${WGB_VM:-auto}
if [ "$mode" = never ] || { [ "$mode" = auto ] && host_has_wireguard; }; then
    cd "$repo"
    exec "$cmd" "$@"
fi

# ---------------------------------------------------------------- the guest
[ "$(id -u)" = 0 ] || { say "must run as root (qemu shares / over 9p)"; exit 1; }
cache=${WGB_VM_CACHE:-$repo/build-vm-cache}
timeout_s=${WGB_VM_TIMEOUT:-1500}

t0=$(date +%s.%N)
"$here/prepare-kernel.sh" "$cache"
kdir=$cache/kernel
kver=$(cat "$kdir/kver")

accel=${WGB_VM_ACCEL:-}
if [ -z "$accel" ]; then
    # kvm_pvm (nested "pagetable VM") hangs stock kernels; without vmx/svm
    # there is no real KVM either.
    if [ -e /sys/module/kvm_pvm ] || ! grep -qwE 'vmx|svm' /proc/cpuinfo ||
        [ ! -w /dev/kvm ]; then
        accel=tcg
    else
        accel=kvm
    fi
fi
if [ "$accel" = kvm ]; then cpu=host; else cpu=max; fi

out=$(mktemp -d /tmp/wgb-vm.XXXXXX)
# Long waits run in the background with `wait`, which a signal interrupts,
# so that ^C or a CI timeout reaches cleanup() at once (a foreground flock
# or tail would hold the trap back until the guest ended).
qpid='' lockpid='' tailpid=''
cleanup() {
    local p
    for p in $lockpid $tailpid $qpid; do kill "$p" 2>/dev/null || true; done
    if [ -n "$qpid" ]; then wait "$qpid" 2>/dev/null || true; fi
    if [ -n "${WGB_VM_KEEP:-}" ]; then say "kept $out"; else rm -rf "$out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%s\n' "$repo" >"$out/repo"
printf '%s\n' "$kdir/root/lib/modules" >"$out/modules"
{
    printf 'wgb_cmd=('
    printf '%q ' "$cmd" "$@"
    printf ')\n'
} >"$out/cmd"
{
    for v in PATH HOME USER TERM CI LANG LC_ALL TZ ${WGB_VM_PASSENV:-} $(compgen -e | grep '^WGB_' || true); do
        [ -n "${!v+x}" ] || continue
        printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo 'export WGB_IN_GUEST=1'
} >"$out/env"
: >"$out/output"
: >"$out/console.log"
# WGB_VM_SYSTEMD=1: systemd as the guest's PID 1, CMD run as a service.
if [ "${WGB_VM_SYSTEMD:-0}" = 1 ]; then : >"$out/systemd"; fi

# One qemu at a time on this machine: its 2 cores are shared.
lock=/run/lock/wgbabeld-vm.lock
[ -d /run/lock ] && [ -w /run/lock ] || lock=/tmp/wgbabeld-vm.lock
exec 8>"$lock"
if ! flock -n 8; then
    say "another guest is running; waiting for it"
    flock 8 &
    lockpid=$!
    wait "$lockpid"
    lockpid=
fi

say "booting $kver (accel $accel) for: $cmd $*"
tb=$(date +%s.%N)
p9='security_model=none,multidevs=remap'
timeout --kill-after=10 "$timeout_s" \
    qemu-system-x86_64 \
    -accel "$accel" -cpu "$cpu" \
    -m "${WGB_VM_MEM:-1024}" -smp "${WGB_VM_CPUS:-2}" \
    -nodefaults -no-user-config -display none -nic none -no-reboot \
    -kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" \
    -append "console=ttyS0 panic=1 loglevel=${WGB_VM_LOGLEVEL:-4} cryptomgr.notests=1 random.trust_cpu=on ${WGB_VM_APPEND:-}" \
    -serial "file:$out/console.log" \
    -virtfs "local,path=/,mount_tag=wgbroot,readonly=on,$p9" \
    -virtfs "local,path=$repo,mount_tag=wgbrepo,$p9" \
    -virtfs "local,path=$out,mount_tag=wgbout,$p9" \
    </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!

tail -n +1 -s 0.2 -f --pid="$qpid" "$out/output" &
tailpid=$!
wait "$tailpid" || true
tailpid=
qrc=0
wait "$qpid" || qrc=$?
qpid=
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$tb" -v c="$t1" \
    'BEGIN { printf "%.1f s in the guest, %.1f s before it", c - b, b - a }')

# Keep the last console log around for post-mortems.
cp "$out/console.log" "$cache/last-console.log" 2>/dev/null || true
if [ -s "$out/exit" ]; then
    rc=$(cat "$out/exit")
    say "guest command exited $rc ($secs)"
    exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    say "guest timed out after ${timeout_s}s"
    rc=124
else
    say "guest returned no exit status (qemu exit $qrc; $secs)"
    rc=125
fi
echo "---- qemu output ----" >&2
tail -n 20 "$out/qemu.log" >&2
echo "---- kernel console (tail) ----" >&2
tail -n 60 "$out/console.log" >&2
exit "$rc"
