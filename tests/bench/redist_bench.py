#!/usr/bin/env python3
"""How long wgbabeld takes to start with N kernel routes to redistribute
(issue 14). A benchmark, not a test: it prints numbers and fails only when it
cannot run. Root (network namespaces). See tests/bench/README.md.

    tests/bench/redist_bench.py --wgbabeld BUILD/daemon/wgbabeld [N...]

For each N: namespaces wgbb<pid>rd<k>s (device vs, wgbabeld) and ...r
(device vr, an observer socket on UDP 6696 in ff02::1:6), N blackhole /64s of
protocol 4 loaded into the first one's main table with one `ip -6 -batch`,
then wgbabeld started with `redistribute proto 4 prefix 2001:db8::/32`.
The clock runs from the daemon's start:

  ctl s      the control socket first answers `show status json`
  hello s    the observer receives its first Hello (TLV 4) from the daemon
  orig s     `show status json` says "originated" N
  ctl max s  the slowest control-socket answer while the routes came in
             (connect to the end of the reply; one request every 0.1 s)
  CPU s      the daemon's CPU time at "orig" (schedstat, all threads)
  HWM MB     its peak RSS (VmHWM) at "orig"

Each N is bounded by --timeout (default 420 s); the namespaces are deleted
and the daemon stopped by its PID at the end, also on SIGINT/SIGTERM.
"""

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import measure, peers  # noqa: E402
from lib.netns import Lab, run  # noqa: E402

BABEL_PORT = 6696
BABEL_GROUP = "ff02::1:6"


class HelloWatch(threading.Thread):
    """The time of the first Babel packet with a Hello TLV (type 4, RFC
    8966 §4.6.5) from `source`, received on `dev` in namespace `ns`."""

    def __init__(self, ns, dev, source):
        super().__init__(daemon=True)
        self.source = source
        self.first = None
        self.t0 = None
        self.stop = False

        def make():
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", BABEL_PORT))
            idx = socket.if_nametoindex(dev)
            mreq = socket.inet_pton(socket.AF_INET6, BABEL_GROUP) + \
                struct.pack("@I", idx)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
            s.settimeout(0.2)
            return s
        # if_nametoindex must run inside the namespace too.
        self.sock = measure._socket_in_netns(ns, make)

    @staticmethod
    def has_hello(pkt):
        if len(pkt) < 4 or pkt[0] != 42 or pkt[1] != 2:
            return False
        end = min(len(pkt), 4 + struct.unpack("!H", pkt[2:4])[0])
        i = 4
        while i < end:
            if pkt[i] == 0:       # Pad1
                i += 1
                continue
            if i + 2 > end:
                return False
            if pkt[i] == 4:
                return True
            i += 2 + pkt[i + 1]
        return False

    def run(self):
        while not self.stop and self.first is None:
            try:
                pkt, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[0].split("%")[0] == self.source and self.has_hello(pkt):
                self.first = time.monotonic()
        self.sock.close()


def status(sock):
    """(originated or None, seconds the answer took)."""
    t = time.monotonic()
    st = measure.wgbabeld_status(sock, limit_s=30.0) \
        if os.path.exists(sock) else None
    return (st.get("originated") if st else None), time.monotonic() - t


def one(args, n, workdir):
    lab = Lab("rd")
    lab.setup()
    try:
        t = time.monotonic()
        batch = "".join("route add blackhole %s proto static\n" % peers.prefix(i)
                        for i in range(n))
        res = subprocess.run(["ip", "-n", lab.sender, "-6", "-batch", "-"],
                             input=batch, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        if res.returncode != 0:
            raise RuntimeError("ip -batch: " + res.stdout[-400:])
        load_s = time.monotonic() - t
        conf = os.path.join(workdir, "rd%d.conf" % n)
        sock = os.path.join(workdir, "rd%d.sock" % n)
        with open(conf, "w") as f:
            f.write("interface vs type wired\n")
            f.write("router-id 02:00:00:00:0a:ff:00:01\n")
            f.write("redistribute proto 4 prefix 2001:db8::/32 allow\n")
            f.write("control-socket %s\n" % sock)
            f.write("state-file %s\n" % os.path.join(workdir, "rd%d.state" % n))
            f.write("runtime-dir %s\n" % os.path.join(workdir, "rd%d.run" % n))
            f.write("log-level warning\n")
        watch = HelloWatch(lab.receiver, "vr", lab.sender_ll)
        watch.start()
        t0 = time.monotonic()
        d = lab.start("wgbabeld", lab.sender,
                      args.wrap.split() + [args.wgbabeld, "-c", conf],
                      os.path.join(workdir, "rd%d.log" % n))
        ctl = orig = None
        ctl_max = 0.0
        cpu = hwm = None
        while time.monotonic() - t0 < args.timeout:
            if not d.alive():
                raise RuntimeError("wgbabeld exited:\n" + d.log_tail())
            got, took = status(sock)
            if got is not None:
                if ctl is None:
                    ctl = time.monotonic() - t0
                ctl_max = max(ctl_max, took)
                if got == n:
                    orig = time.monotonic() - t0
                    cpu = measure.cpu_seconds(d.pid)
                    hwm = measure.status_kb(d.pid, "VmHWM")
                    break
            time.sleep(0.1)
        if orig is None:
            cpu = measure.cpu_seconds(d.pid)
            hwm = measure.status_kb(d.pid, "VmHWM")
        # The first Hello may come after the table (the old code).
        while watch.first is None and time.monotonic() - t0 < args.timeout:
            time.sleep(0.05)
        watch.stop = True
        hello = watch.first - t0 if watch.first else None
        d.stop(grace=10.0)
        return dict(n=n, load_s=load_s, ctl=ctl, hello=hello, orig=orig,
                    ctl_max=ctl_max, cpu=cpu,
                    hwm=hwm / 1024.0 if hwm else None)
    finally:
        lab.cleanup()


def fmt(v, spec="%.2f", limit=None):
    if v is None:
        return "DNF>%ds" % limit if limit else "-"
    return spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wgbabeld", required=True)
    ap.add_argument("--timeout", type=float, default=420.0)
    ap.add_argument("--label", default="")
    ap.add_argument("--wrap", default="",
                    help="a command the daemon runs under, e.g. "
                    "'perf record -g -o FILE --' (CPU s and HWM are then "
                    "that command's)")
    ap.add_argument("n", nargs="*", type=int, default=[100000])
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("redist_bench: needs root (network namespaces)")

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    print("wgbabeld: %s %s" % (args.wgbabeld, args.label))
    print("load:     %s (1/5/15 min at start)" %
          " ".join(open("/proc/loadavg").read().split()[:3]))
    print("| N | ip -batch s | ctl s | hello s | orig s | ctl max s | CPU s | HWM MB |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="wgbr-") as workdir:
        for n in args.n:
            r = one(args, n, workdir)
            lim = int(args.timeout)
            print("| %d | %.1f | %s | %s | %s | %s | %s | %s |" % (
                r["n"], r["load_s"], fmt(r["ctl"], limit=lim),
                fmt(r["hello"], limit=lim), fmt(r["orig"], limit=lim),
                fmt(r["ctl_max"]), fmt(r["cpu"], "%.1f"),
                fmt(r["hwm"], "%.0f")), flush=True)


if __name__ == "__main__":
    main()
