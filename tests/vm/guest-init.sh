#!/bin/busybox sh
# shellcheck shell=dash
# /init of the initramfs built by prepare-kernel.sh (runs under busybox).
#
# Loads the modules 9p and overlayfs need, makes the host's / (shared
# read-only over 9p, tag wgbroot) writable with a tmpfs overlay, mounts the
# per-run folder (tag wgbout) and the work tree (tag wgbrepo, read-write;
# stage 2 puts it at the same path as on the host), then switch_roots into
# the host's own bash running tests/vm/guest-stage2.sh.  Anything that fails here powers off;
# the host then prints the console log.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
    echo "guest-init: $*"
    echo o >/proc/sysrq-trigger
    sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r m; do
    insmod "/mods/$m" || fail "insmod $m failed"
done </mods.order

p9='trans=virtio,version=9p2000.L,msize=262144'
mkdir -p /lower /rw
mount -t 9p -o "$p9,ro" wgbroot /lower || fail "mount wgbroot"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
    overlay /newroot || fail "mount overlay"

mkdir -p /newroot/mnt/wgb-out
mount -t 9p -o "$p9" wgbout /newroot/mnt/wgb-out || fail "mount wgbout"
# Staged under /mnt: stage 2 mounts tmpfs on /tmp and /run first, which
# would hide a work tree or cache that lives there; it then binds these
# onto their real paths.
read -r modules </newroot/mnt/wgb-out/modules || fail "no modules path"
mkdir -p /newroot/mnt/wgb-repo /newroot/mnt/wgb-modules
mount -t 9p -o "$p9" wgbrepo /newroot/mnt/wgb-repo || fail "mount wgbrepo"
mount --bind "/newroot$modules" /newroot/mnt/wgb-modules || fail "bind $modules"

umount /proc /sys /dev 2>/dev/null
exec switch_root /newroot /bin/bash /mnt/wgb-repo/tests/vm/guest-stage2.sh
fail "switch_root failed"
