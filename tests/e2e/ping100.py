#!/usr/bin/env python3
# tests/e2e/ping100.py SRC DST SECONDS [RATE]: ICMP echo requests from SRC
# to DST (IPv4) at RATE a second (default 100) on an absolute schedule,
# for SECONDS, starting when it prints "started"; then waits 1 s for
# the last replies and prints
# "sent N received M late L ms" (L: how late the latest request left
# against its schedule), then "gap LOST FIRST_LOST NEXT_OK" for the
# longest run of requests without a reply: how many, the wall-clock time
# (seconds since the epoch, the clock the daemons' logs use) at which
# the first of them was sent, and at which the first request answered
# after them was sent ("gap 0 - -" when none was lost).  A path that
# moved while the old one had stopped answering moved between the last
# lost request and NEXT_OK: the move seen by what the traffic did.  iputils ping -i 0.01 sends only about 60 a
# second on the test machines (tests/e2e/failover.sh counts what it
# really sent); this one keeps the rate, catching up after a late wake-up.
import os
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    src, dst, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else 100.0
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.setblocking(False)
    # The caller may wait for this: under emulation python's own start
    # takes seconds (egress.sh).
    print("started", flush=True)
    ident = os.getpid() & 0xFFFF
    total = int(secs * rate)
    got = set()
    sent_at = {}
    t0 = time.monotonic()
    sent = 0
    late = 0.0
    end = t0 + secs + 1.0
    while True:
        now = time.monotonic()
        while sent < total and now >= t0 + sent / rate:
            late = max(late, now - (t0 + sent / rate))
            sent += 1
            seq = sent & 0xFFFF
            h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"wgbabeld-check"
            h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
            sent_at[sent] = time.time()
            try:
                s.sendto(h, (dst, 0))
            except OSError:
                pass
        if sent >= total and now >= end:
            break
        nxt = t0 + sent / rate if sent < total else end
        r, _, _ = select.select([s], [], [], max(0.0, nxt - now))
        if r:
            while True:
                try:
                    d = s.recv(2048)
                except BlockingIOError:
                    break
                ihl = (d[0] & 15) * 4
                if len(d) >= ihl + 8:
                    t, _, _, i, q = struct.unpack("!BBHHH", d[ihl:ihl + 8])
                    if t == 0 and i == ident:
                        got.add(q)
    print("sent %d received %d late %d ms" % (sent, len(got), late * 1000))
    # Sequence numbers are 1..sent (mod 2^16: at most 655 s at 100/s);
    # only a run followed by an answered request counts.
    best, run, best_start = 0, 0, 0
    for n in range(1, sent + 1):
        if (n & 0xFFFF) not in got:
            run += 1
            continue
        if run > best:
            best, best_start = run, n - run
        run = 0
    if best:
        print("gap %d %.3f %.3f" % (best, sent_at[best_start],
                                    sent_at[best_start + best]))
    else:
        print("gap 0 - -")


main()
