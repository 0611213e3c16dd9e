# tests/lib/wgbabeld.sh — sourced by daemon test scripts before
# tests/lib/netns.sh: wgb_binaries NAME [BUILDDIR] sets WGBABELD and
# WGBABELCTL from the build directory (argument, else $WGB_BUILD, else
# build-test at the top), exits 77 (skipped) when not root and 1 when they
# are not built.
wgb_binaries() {
    local name=$1 top
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    local build=${2:-${WGB_BUILD:-$top/build-test}}
    WGBABELD=$build/daemon/wgbabeld
    WGBABELCTL=$build/daemon/wgbabelctl
    if [ "$(id -u)" != 0 ]; then
        echo "$name: needs root (network namespaces); skipped"
        exit 77
    fi
    local b
    for b in "$WGBABELD" "$WGBABELCTL"; do
        [ -x "$b" ] || { echo "$name: $b not built (ninja -C $build)"; exit 1; }
    done
}
