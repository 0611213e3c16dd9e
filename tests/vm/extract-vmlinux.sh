#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT
#
# Writes the uncompressed ELF kernel embedded in an x86 bzImage to OUT.
# qemu boots that ELF directly through its PVH note, which under TCG saves
# the ~5 s the kernel would otherwise spend decompressing itself.
#
# How: the bzImage carries the compressed vmlinux as one stream somewhere
# after the setup code.  Find every offset where a known compressor's magic
# occurs, try to decompress from there, and keep the first result that is an
# ELF file.  Trailing garbage after the stream makes the decompressors
# complain; that is expected, so only the output is checked.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BZIMAGE OUT" >&2
    exit 2
fi
img=$1
out=$2
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# magic (as a grep -P byte pattern) and the command that decompresses stdin
formats=(
    '\xfd\x37\x7a\x58\x5a\x00'  'xz -dc'
    '\x28\xb5\x2f\xfd'          'zstd -dc'
    '\x1f\x8b\x08'              'gzip -dc'
    '\x02\x21\x4c\x18'          'lz4 -dc'
    '\x89\x4c\x5a\x4f'          'lzop -dc'
    '\x42\x5a\x68'              'bzip2 -dc'
)

is_elf() {
    [ -s "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

for ((i = 0; i < ${#formats[@]}; i += 2)); do
    magic=${formats[i]}
    cmd=${formats[i + 1]}
    command -v "${cmd%% *}" >/dev/null || continue
    # -b: byte offset; -o: only the match; -a -U: treat as binary bytes.
    while IFS=: read -r off _; do
        tail -c +$((off + 1)) "$img" | $cmd >"$tmp" 2>/dev/null || true
        if is_elf "$tmp"; then
            chmod 644 "$tmp"
            mv "$tmp" "$out"
            trap - EXIT
            exit 0
        fi
    done < <(LC_ALL=C grep -obUaP "$magic" "$img" || true)
done

if is_elf "$img"; then
    cp "$img" "$out"
    exit 0
fi
echo "$0: no compressed ELF kernel found in $img" >&2
exit 1
