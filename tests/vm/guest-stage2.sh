#!/bin/bash
# PID 1 of the guest after switch_root (the host's bash on the overlay root).
#
# Sets up the mounts a normal system has, runs the command described in
# /mnt/wgb-out (cmd, env, repo, written by run-in-guest.sh) with cwd = the
# repo, writes its output to /mnt/wgb-out/output and its status to
# /mnt/wgb-out/exit, and powers off.  The host follows the output file.
out=/mnt/wgb-out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

poweroff_now() {
    sync
    echo o >/proc/sysrq-trigger
    sleep 30
}

# --run: only run CMD and power off; wgb-run.service does that under
# systemd (see below), after this script's first pass set the mounts up.
if [ "${1:-}" = --run ]; then
    run_cmd_and_poweroff=1
else
run_cmd_and_poweroff=0
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# devtmpfs has no /dev/fd; without it bash's <(...) breaks.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/wireguard
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
# The unpacked package's modules, so that modprobe (and the kernel's own
# request_module for veth, dummy, wireguard ...) finds them.
mkdir -p /lib/modules
mount --bind /mnt/wgb-modules /lib/modules
# The work tree at its host path (after /tmp and /run got their tmpfs).
repo=$(cat $out/repo)
mkdir -p "$repo" && mount --bind /mnt/wgb-repo "$repo"
hostname wgb-guest
ip link set lo up
fi

# WGB_VM_SYSTEMD=1 (run-in-guest.sh leaves the file systemd): systemd
# becomes PID 1 and runs CMD as wgb-run.service, this script with --run,
# once basic.target is reached; CMD can then install and drive units.
# The mounts above stay: systemd keeps API file systems it finds mounted.
# The units go into /etc on the overlay (its tmpfs upper layer).
if [ "$run_cmd_and_poweroff" = 0 ] && [ -e $out/systemd ]; then
    # A host that is a container has /.dockerenv: seen through the shared
    # root, systemd would take the guest for one too (and skip what it
    # skips in containers). The overlay hides it from the guest only.
    rm -f /.dockerenv
    cat >/etc/systemd/system/wgb-run.target <<EOF
[Unit]
Description=wgbabeld test run
Requires=basic.target wgb-run.service
After=basic.target wgb-run.service
AllowIsolate=yes
EOF
    cat >/etc/systemd/system/wgb-run.service <<EOF
[Unit]
Description=wgbabeld test command
After=basic.target
[Service]
Type=oneshot
ExecStart=/bin/bash $0 --run
StandardOutput=journal+console
EOF
    exec /lib/systemd/systemd --system --unit=wgb-run.target
    echo "guest: exec systemd failed" >$out/output
    echo 125 >$out/exit
    poweroff_now
fi

cd "$repo" || { echo "guest: no $repo" >$out/output; echo 125 >$out/exit; poweroff_now; }
# shellcheck source=/dev/null
. $out/env
# shellcheck source=/dev/null
. $out/cmd      # defines the array wgb_cmd
"${wgb_cmd[@]}" </dev/null >$out/output 2>&1
rc=$?
echo $rc >$out/exit.tmp
mv $out/exit.tmp $out/exit
poweroff_now
