#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Extract Babel UDP payloads from a pcap (Ethernet, IPv4/IPv6, UDP 6696)
written by capture-babeld.sh into OUTDIR/NN-<tlvs>.bin, one file per
distinct TLV-type sequence, plus OUTDIR/index.txt (file, source address).
Only the standard library is used."""
import ipaddress
import os
import struct
import sys

TLV_NAMES = {0: "pad1", 1: "padn", 2: "ackreq", 3: "ack", 4: "hello",
             5: "ihu", 6: "rid", 7: "nh", 8: "upd", 9: "rreq", 10: "sreq"}


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit("only Ethernet captures are supported (linktype %d)" % linktype)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl


def udp_payload(frame):
    ethertype = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800:
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            return None
        src = ipaddress.IPv4Address(ip[12:16])
        udp = ip[ihl:]
    elif ethertype == 0x86DD:
        if ip[6] != 17:
            return None
        src = ipaddress.IPv6Address(ip[8:24])
        udp = ip[40:]
    else:
        return None
    sport, dport, ulen = struct.unpack(">HHH", udp[:6])
    if 6696 not in (sport, dport):
        return None
    return src, udp[8:ulen]


def signature(payload):
    body = payload[4:4 + struct.unpack(">H", payload[2:4])[0]]
    names, i = [], 0
    while i < len(body):
        t = body[i]
        if t == 0:
            i += 1
            continue
        if i + 1 >= len(body):
            break
        if t == 8 and i + 12 <= len(body):
            metric = struct.unpack(">H", body[i + 10:i + 12])[0]
            names.append("retract" if metric == 0xFFFF else "upd")
        else:
            names.append(TLV_NAMES.get(t, "t%d" % t))
        i += 2 + body[i + 1]
    out = []
    for n in names:  # collapse runs: upd-upd-upd -> upd
        if not out or out[-1] != n:
            out.append(n)
    return "-".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vectors.py CAPTURE.pcap OUTDIR")
    os.makedirs(sys.argv[2], exist_ok=True)
    seen, index = set(), []
    for frame in packets(sys.argv[1]):
        r = udp_payload(frame)
        if r is None:
            continue
        src, payload = r
        sig = signature(payload)
        if sig in seen:
            continue
        seen.add(sig)
        name = "%02d-%s.bin" % (len(index) + 1, sig[:60])
        with open(os.path.join(sys.argv[2], name), "wb") as f:
            f.write(payload)
        index.append((name, str(src)))
    with open(os.path.join(sys.argv[2], "index.txt"), "w") as f:
        f.write("# file source-address (captured from babeld 1.12 by "
                "tests/wire/capture-babeld.sh)\n")
        for name, src in index:
            f.write("%s %s\n" % (name, src))
    print("%d vectors" % len(index))


if __name__ == "__main__":
    main()
