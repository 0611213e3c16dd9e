#!/bin/bash
# prepare-kernel.sh CACHE_DIR
#
# Fills CACHE_DIR/kernel with what tests/vm/run-in-guest.sh boots:
#   vmlinux          uncompressed ELF kernel (qemu boots it via PVH)
#   root/lib/modules/KVER   the package's modules, with depmod run on them
#   initramfs.cpio   busybox-static + the modules needed to mount 9p/overlay
#   kver, pkg        kernel release and the Debian package it came from
#   ready            stamp: written last, so a half-built cache is never used
#   initramfs.key    hash of what the initramfs is made of; rebuilt on change
#
# The kernel is Debian's linux-image-*-amd64 (it ships wireguard.ko and 9p),
# fetched with `apt-get download` and unpacked, never installed.  A cache that
# is ready is reused without asking apt anything (works offline); set
# WGB_VM_REFRESH=1 to rebuild it, WGB_VM_KERNEL_PKG to pick another package.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${1:?usage: $0 CACHE_DIR}
say() { echo "prepare-kernel: $*" >&2; }

mkdir -p "$cache"
# Keep the cache out of git even when it lives inside the work tree.
[ -e "$cache/.gitignore" ] || echo '*' >"$cache/.gitignore"

# Two runs preparing at once would trample each other's files.
exec 9>"$cache/.lock"
flock 9

kdir=$cache/kernel
resolve_pkg() {
    # linux-image-amd64 is a metapackage; its Depends names the real image,
    # e.g. linux-image-6.1.0-56-amd64.
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

build_kernel() {
    local pkg deb kver vmlinuz
    pkg=${WGB_VM_KERNEL_PKG:-}
    if [ -z "$pkg" ]; then
        pkg=$(resolve_pkg)
        if [ -z "$pkg" ]; then
            say "apt lists know no linux-image-amd64; running apt-get update"
            apt-get update -qq >&2
            pkg=$(resolve_pkg)
        fi
    fi
    [ -n "$pkg" ] || { say "cannot resolve linux-image-amd64"; exit 1; }

    new=$cache/kernel.new
    rm -rf "$new"
    mkdir -p "$new/dl" "$new/root"
    say "downloading $pkg"
    # apt-get download as root into a directory _apt cannot write to warns and
    # downloads unsandboxed; that is fine here.
    (cd "$new/dl" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    deb=$(ls "$new/dl"/*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || { say "apt-get download $pkg produced no .deb"; exit 1; }
    say "unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$new/root"
    rm -rf "$new/dl" "$new/root/usr/share/doc"

    # Newer packages ship /usr/lib/modules; depmod -b wants BASE/lib/modules.
    if [ ! -d "$new/root/lib/modules" ] && [ -d "$new/root/usr/lib/modules" ]; then
        mkdir -p "$new/root/lib"
        mv "$new/root/usr/lib/modules" "$new/root/lib/modules"
    fi
    kver=$(ls "$new/root/lib/modules" | head -n 1)
    [ -n "$kver" ] || { say "no modules in $pkg"; exit 1; }
    depmod -b "$new/root" "$kver"

    vmlinuz=$(ls "$new/root/boot/vmlinuz-$kver" 2>/dev/null || ls "$new/root/boot"/vmlinuz-* | head -n 1)
    say "extracting vmlinux from $(basename "$vmlinuz")"
    "$here/extract-vmlinux.sh" "$vmlinuz" "$new/vmlinux"
    rm -rf "$new/root/boot"
    echo "$kver" >"$new/kver"
    echo "$pkg" >"$new/pkg"
    touch "$new/ready"
    rm -rf "$kdir"
    mv "$new" "$kdir"
    say "kernel $kver ready in $kdir"
}

# build_initramfs KVER: KDIR/initramfs.cpio with busybox-static, /init and
# the modules (from KDIR/root) that mounting 9p and overlayfs needs.
build_initramfs() {
    local kver=$1 busybox ird n m kind path name
    busybox=$(command -v busybox || true)
    [ -n "$busybox" ] || { say "busybox not found (apt-get install busybox-static)"; exit 1; }
    if ldd "$busybox" >/dev/null 2>&1; then
        say "$busybox is dynamically linked (apt-get install busybox-static)"
        exit 1
    fi

    ird=$kdir/initramfs.d
    rm -rf "$ird"
    mkdir -p "$ird/bin" "$ird/mods" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot"
    cp "$busybox" "$ird/bin/busybox"
    # The kernel opens /dev/console for init before /init mounts devtmpfs.
    mknod -m 600 "$ird/dev/console" c 5 1
    mknod -m 666 "$ird/dev/null" c 1 3
    cp "$here/guest-init.sh" "$ird/init"
    chmod 755 "$ird/init"

    # Insmod order: modprobe resolves dependencies against the unpacked tree
    # and prints "insmod PATH" lines, dependencies first, or "builtin NAME".
    n=0
    : >"$ird/mods.order"
    declare -A seen=()
    for m in virtio_pci 9pnet_virtio 9p overlay; do
        while read -r kind path _; do
            [ "$kind" = insmod ] || continue
            [ -z "${seen[$path]:-}" ] || continue
            seen[$path]=1
            n=$((n + 1))
            name=$(printf '%02d-%s' "$n" "$(basename "$path")")
            case $path in
            *.ko.xz) xz -dc "$path" >"$ird/mods/${name%.xz}"; name=${name%.xz} ;;
            *.ko.zst) zstd -qdc "$path" >"$ird/mods/${name%.zst}"; name=${name%.zst} ;;
            *.ko.gz) gzip -dc "$path" >"$ird/mods/${name%.gz}"; name=${name%.gz} ;;
            *) cp "$path" "$ird/mods/$name" ;;
            esac
            echo "$name" >>"$ird/mods.order"
        done < <(modprobe -d "$kdir/root" -S "$kver" --show-depends "$m")
    done
    [ "$n" -gt 0 ] || { say "modprobe found none of the initramfs modules"; exit 1; }
    say "initramfs modules: $(tr '\n' ' ' <"$ird/mods.order")"
    (cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$kdir/initramfs.cpio.new"
    mv "$kdir/initramfs.cpio.new" "$kdir/initramfs.cpio"
    rm -rf "$ird"
}

if [ ! -f "$kdir/ready" ] || [ -n "${WGB_VM_REFRESH:-}" ]; then
    build_kernel
fi
# The initramfs is rebuilt whenever its ingredients change (editing
# guest-init.sh must not need a new kernel download).
key=$(cat "$here/guest-init.sh" "$here/prepare-kernel.sh" "$(command -v busybox)" "$kdir/kver" | sha256sum)
if [ "$(cat "$kdir/initramfs.key" 2>/dev/null)" != "$key" ]; then
    build_initramfs "$(cat "$kdir/kver")"
    echo "$key" >"$kdir/initramfs.key"
fi
