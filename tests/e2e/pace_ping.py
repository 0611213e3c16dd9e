#!/usr/bin/env python3
"""tests/e2e/pace_ping.py: ICMPv6 echo requests at a steady rate, for
measuring an outage (iputils ping -i 0.01 sends only about 60 a second on
the development host: its next request waits for the previous reply's
processing). Each request is sent at its own deadline, START + SEQ/RATE,
whatever happens to the replies.

usage: pace_ping.py SRC DST RATE SECONDS

Prints "started" once the socket is open, then after the run one line of
"key=value": sent, received, lost (requests without a
reply after a 1 s grace), gap_ms (the longest run of lost requests, in ms
at RATE), gap_start (seconds from the first request to the first lost
one of that run, -1 without loss).
"""
import os
import select
import socket
import struct
import sys
import time


def main():
    src, dst, rate, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.bind((src, 0))
    s.setblocking(False)
    ident = os.getpid() & 0xFFFF
    print("started", flush=True)
    n = int(rate * secs)
    got = bytearray(n)
    start = time.monotonic()
    seq = 0
    end = start + secs + 1.0
    while True:
        now = time.monotonic()
        if seq < n and now >= start + seq / rate:
            # ICMPv6 echo request; the kernel fills in the checksum.
            pkt = struct.pack("!BBHHH", 128, 0, 0, ident, seq & 0xFFFF) + b"wgb-pace"
            try:
                s.sendto(pkt, (dst, 0))
            except OSError:
                pass    # no route for a moment: a lost request
            seq += 1
            continue
        if now >= end:
            break
        wait = (start + seq / rate if seq < n else end) - now
        r, _, _ = select.select([s], [], [], max(wait, 0))
        while r:
            try:
                data, _ = s.recvfrom(2048)
            except BlockingIOError:
                break
            if len(data) >= 8 and data[0] == 129:
                rid, rseq = struct.unpack("!HH", data[4:8])
                # seq wraps at 65536: fine for runs under 10 min at 100/s
                if rid == ident and rseq < n:
                    got[rseq] = 1
    lost = n - sum(got)
    gap = best = 0
    gap_start = best_start = -1
    for i in range(n):
        if got[i]:
            gap = 0
            continue
        if gap == 0:
            gap_start = i
        gap += 1
        if gap > best:
            best, best_start = gap, gap_start
    print("sent=%d received=%d lost=%d gap_ms=%d gap_start=%.2f" %
          (n, n - lost, lost, best * 1000 / rate,
           best_start / rate if best_start >= 0 else -1))


if __name__ == "__main__":
    main()
