#!/usr/bin/env bash
# Install what wgbabeld needs to build and to run its whole test suite on
# Debian 12 / Ubuntu 22.04+ (as root). Idempotent: does nothing when all is
# installed already.
set -euo pipefail

pkgs=(
	# build
	build-essential meson ninja-build pkg-config
	libmnl-dev libnl-3-dev libnl-route-3-dev libuv1-dev libcmocka-dev
	# fuzzing and sanitizers
	clang libclang-rt-14-dev
	# integration tests: namespaces, real WireGuard, Babel peers
	iproute2 iputils-ping procps kmod cpio xz-utils busybox-static nftables
	wireguard-tools wireguard-go qemu-system-x86 tcpdump
	babeld bird2 frr
	# metrics scraped by a real Prometheus (bookworm 2.42: 19 MB download,
	# 96 MB installed; promtool comes with it), wgbabelctl graph rendered
	prometheus graphviz
	# man page lint
	mandoc
	# the Debian package (tests/pkg/deb.sh): dpkg-buildpackage, dh, lintian
	dpkg-dev debhelper lintian fakeroot
	# systemd-analyze security/verify of the unit (no running systemd needed)
	systemd
	python3
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# babeld, bird2 and prometheus start system services when installed; the
# tests run their own instances in namespaces, so keep the packaged ones
# from starting.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
