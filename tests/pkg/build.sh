#!/bin/bash
# tests/pkg/build.sh OUTDIR: the Debian package of this work tree, built
# with dpkg-buildpackage -us -uc -b in a copy of it (OUTDIR/wgbabeld), so
# that the tree itself gets no build products. Leaves OUTDIR/wgbabeld_*.deb,
# .changes and .buildinfo, and the log in OUTDIR/build.log.
#
# WGB_DEB_CHECK=1 runs the unit tests in the build (dh_auto_test); by
# default DEB_BUILD_OPTIONS=nocheck: run-all.sh's "unit" stage runs them.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
src=$out/wgbabeld
rm -rf "$src" "$out"/wgbabeld_* "$out"/wgbabeld-dbgsym_*
mkdir -p "$src" || exit 1

# The tree's files, tracked and untracked but not ignored, or the whole
# folder without build directories when it is not a git checkout.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -co --exclude-standard -z |
        while IFS= read -r -d '' f; do
            [ -e "$top/$f" ] && printf '%s\0' "$f"
        done | tar -C "$top" --null -T - -cf - | tar -C "$src" -xf - || exit 1
else
    tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . |
        tar -C "$src" -xf - || exit 1
fi

opts=nocheck
[ "${WGB_DEB_CHECK:-0}" = 1 ] && opts=''
(cd "$src" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b) \
    >"$out/build.log" 2>&1
