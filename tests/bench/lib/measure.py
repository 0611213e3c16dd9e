"""What the benchmark reads: kernel routes, /proc counters, control sockets.

All readers here open files under /proc directly (no process per sample), so
polling costs the machine as little as possible.
"""

import ctypes
import ipaddress
import json
import os
import socket
import struct
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class RouteCounter:
    """Counts the kernel IPv6 routes whose next hop is the sender's
    link-local address, in the receiver's namespace, by following rtnetlink
    route notifications (RTNLGRP_IPV6_ROUTE) in a background thread.

    Why not poll the table: reading /proc/net/ipv6_route (or dumping it over
    netlink) walks the whole FIB, and while a daemon keeps inserting routes
    the walk restarts at every change (fib6 sernum), so one read of a
    100,000-route table under churn took about two minutes and stole the
    CPU from the daemon under test. Notifications cost O(1) per change.

    Counting by next hop rather than by protocol number treats every
    receiver alike (babeld installs proto 42, BIRD proto 12) and leaves out
    "unreachable" hold-down routes, which have no next hop: what is counted
    is routes the receiver can forward along. The count is exact from the
    moment the monitor starts, which is before the receiver starts; if the
    kernel ever reports the monitor socket overrun (ENOBUFS), count() raises.

    With HELPER (lib/routecount.c, built by run.sh) the notifications are
    read by that C program, which prints the count; parsing them here takes
    about 8 us each, so a kernel that deletes 100,000 routes in 0.25 s
    (one nexthop object) was seen to finish 0.8 s later.
    """

    RTM_NEWROUTE, RTM_DELROUTE = 24, 25
    RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE, RTA_MULTIPATH = \
        1, 4, 5, 6, 15, 9

    def __init__(self, netns_name, nexthop_ll, helper=None):
        self.nh = ipaddress.IPv6Address(nexthop_ll).packed
        self.routes = {}      # (table, dst, len, metric) -> via sender?
        self.matching = 0
        self.error = None
        self.lock = threading.Lock()
        self.stopping = False
        self.proc = None
        if helper:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", netns_name, helper, nexthop_ll],
                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            first = self.proc.stdout.readline().strip()
            if first != "ready":
                self.close()
                raise RuntimeError("routecount: %r" % first)
            self.thread = threading.Thread(target=self._run_helper,
                                           daemon=True)
            self.thread.start()
            return
        self.sock = _socket_in_netns(netns_name, lambda: socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW, 0))  # NETLINK_ROUTE
        # SO_RCVBUFFORCE: the monitor must not lose notifications itself.
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)
        RTNLGRP_IPV6_ROUTE = 11
        self.sock.bind((0, 1 << (RTNLGRP_IPV6_ROUTE - 1)))
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def count(self, pid=None):
        if self.error is not None:
            raise RuntimeError("route monitor: " + self.error)
        return self.matching

    def _run_helper(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("error"):
                if not self.stopping:
                    self.error = line
                return
            try:
                self.matching = int(line)
            except ValueError:
                pass
        if not self.stopping:
            self.error = "routecount exited"

    def _run(self):
        while not self.stopping:
            try:
                data = self.sock.recv(1 << 20)
            except OSError as e:
                if not self.stopping:
                    self.error = str(e)
                return
            if not data:
                return
            self._parse(data)

    def _parse(self, data):
        off = 0
        while off + 16 <= len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if ln < 16:
                return
            if typ in (self.RTM_NEWROUTE, self.RTM_DELROUTE):
                self._route(typ, data[off + 16:off + ln])
            off += (ln + 3) & ~3

    def _route(self, typ, msg):
        if len(msg) < 12 or msg[0] != socket.AF_INET6:
            return
        dst_len, table = msg[1], msg[4]
        dst = b""
        metric = 0
        via = False
        off = 12
        while off + 4 <= len(msg):
            alen, atype = struct.unpack_from("=HH", msg, off)
            if alen < 4:
                break
            val = msg[off + 4:off + alen]
            atype &= 0x3FFF
            if atype == self.RTA_DST:
                dst = val
            elif atype == self.RTA_GATEWAY:
                via = via or val == self.nh
            elif atype == self.RTA_TABLE and len(val) == 4:
                table = struct.unpack("=I", val)[0]
            elif atype == self.RTA_PRIORITY and len(val) == 4:
                metric = struct.unpack("=I", val)[0]
            elif atype == self.RTA_MULTIPATH:
                via = via or self.nh in val
            off += (alen + 3) & ~3
        key = (table, dst, dst_len, metric)
        with self.lock:
            old = self.routes.pop(key, False)
            if typ == self.RTM_NEWROUTE:
                self.routes[key] = via
            self.matching += (via if typ == self.RTM_NEWROUTE else 0) - old


def table_count(pid, nexthop_ll):
    """Cross-check of RouteCounter when the table is quiet: routes via
    NEXTHOP_LL in /proc/PID/net/ipv6_route (one full walk of the table)."""
    nh = ipaddress.IPv6Address(nexthop_ll).exploded.replace(":", "").encode()
    with open("/proc/%d/net/ipv6_route" % pid, "rb") as f:
        data = f.read()
    # "dest plen src splen nexthop metric refcnt use flags dev"
    return sum(1 for line in data.splitlines()
               if line.split()[4:5] == [nh])


def _socket_in_netns(name, make):
    """Create a socket inside network namespace NAME (/run/netns/NAME); the
    calling thread goes back to its own namespace afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET = 0x40000000
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (name, os.strerror(e)))
        try:
            return make()
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back failed")
    finally:
        os.close(own)
        os.close(target)


def cpu_seconds(pid):
    """CPU time PID has used, in seconds, all threads.

    The sum of the first field of /proc/PID/task/*/schedstat (time on CPU in
    nanoseconds) is what utime + stime of /proc/PID/stat measure, without
    their 10 ms tick resolution; falls back to utime + stime without it."""
    try:
        total = 0
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    return cpu_seconds_stat(pid)


def cpu_seconds_stat(pid):
    """utime + stime of PID, in seconds (fields 14 and 15 of stat)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    """A "Key:  N kB" line of /proc/PID/status, in kB (VmHWM, VmRSS)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss(pid):
    """Resets PID's VmHWM to its current RSS (writing 5 to clear_refs,
    Linux >= 4.0) and returns that RSS in kB; None when it cannot."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
    except OSError:
        return None
    return status_kb(pid, "VmRSS")


def snmp6(pid, key="Udp6RcvbufErrors"):
    """A counter of /proc/PID/net/snmp6: the namespace of PID."""
    try:
        with open("/proc/%d/net/snmp6" % pid) as f:
            for line in f:
                words = line.split()
                if len(words) == 2 and words[0] == key:
                    return int(words[1])
    except OSError:
        return None
    return None


def udp_rcvbuf(pid):
    """The receive buffer (sk_rcvbuf, as `ss -m` shows it: rb) of the UDP
    socket(s) of PID bound to port 6696. Read from /proc/PID/net/udp6 inode
    matching /proc/PID/fd; returns a sorted list of distinct sizes."""
    # /proc/net/udp6 does not show sk_rcvbuf; ask the kernel with a
    # getsockopt on a duplicate of the daemon's socket via pidfd_getfd.
    sizes = set()
    inodes = set()
    try:
        with open("/proc/%d/net/udp6" % pid) as f:
            next(f)
            for line in f:
                w = line.split()
                port = int(w[1].split(":")[1], 16)
                if port == 6696:
                    inodes.add(w[9])
    except OSError:
        return []
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return []
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if not target.startswith("socket:["):
            continue
        if target[8:-1] not in inodes:
            continue
        try:
            pidfd = os.pidfd_open(pid)
            try:
                # pidfd_getfd(2) via syscall: Python has no wrapper.
                dup = _pidfd_getfd(pidfd, int(fd))
            finally:
                os.close(pidfd)
            s = socket.socket(fileno=dup)
            try:
                sizes.add(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
            finally:
                s.close()
        except OSError:
            continue
    return sorted(sizes)


def _pidfd_getfd(pidfd, fd):
    libc = ctypes.CDLL(None, use_errno=True)
    SYS_pidfd_getfd = 438  # same number on every architecture since 5.6
    r = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def _recv_until(sock, done, limit_s):
    """Receive until done(buffer) is true; return (bytes, seconds)."""
    buf = bytearray()
    end = time.monotonic() + limit_s
    while not done(buf):
        if time.monotonic() > end:
            raise TimeoutError("control socket: no complete reply in %.0f s" % limit_s)
        sock.settimeout(max(0.1, end - time.monotonic()))
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _dumpclient(*args):
    """lib/dumpclient.c (WGB_BENCH_DUMPCLIENT, built by run.sh) with ARGS:
    (seconds, lines of the reply, its last line included)."""
    res = subprocess.run([os.environ["WGB_BENCH_DUMPCLIENT"]] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=70)
    if res.returncode != 0:
        raise RuntimeError("dumpclient: %s" % res.stderr.decode().strip())
    secs, lines = res.stdout.split()
    return float(secs), int(lines)


def babeld_dump(path, limit_s=60.0):
    """babeld's local interface: greeting ending in "ok", then "dump" answered
    by one line per interface/neighbour/route/xroute and a final "ok".
    Returns (seconds from connect to the end of the dump, lines).  Timed by
    lib/dumpclient.c when run.sh built it: a Python reader of a 15 MB dump
    takes about as long as the daemon that writes it."""
    if os.environ.get("WGB_BENCH_DUMPCLIENT"):
        secs, lines = _dumpclient("babel", path)
        return secs, lines - 1
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        _recv_until(s, lambda b: b.endswith(b"ok\n"), limit_s)
        s.sendall(b"dump\n")
        out = _recv_until(s, lambda b: b.endswith(b"\nok\n") or b == b"ok\n",
                          limit_s)
    finally:
        s.close()
    return time.monotonic() - t0, out.count(b"\n") - 1


def wgbabeld_status(path, limit_s=10.0):
    """wgbabeld's `show status json` on its control socket (the babeld-style
    greeting ending in "ok", then one JSON line and "ok"), as a dict; None
    while the socket is not there or the answer is not complete."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        _recv_until(s, lambda b: b.endswith(b"ok\n"), limit_s)
        s.sendall(b"show status json\n")
        out = _recv_until(s, lambda b: b.endswith(b"ok\n") or
                          b.startswith(b"error") and b.endswith(b"\n"),
                          limit_s)
    except (OSError, TimeoutError):
        return None
    finally:
        s.close()
    try:
        return json.loads(out.decode().split("\n", 1)[0])
    except ValueError:
        return None


def _bird_reply_done(buf):
    # A BIRD reply ends with a line "NNNN text" (code then a space);
    # continuation lines use "NNNN-" or start with a space.
    if not buf.endswith(b"\n"):
        return False
    start = buf.rfind(b"\n", 0, len(buf) - 1) + 1
    line = buf[start:]
    return len(line) >= 5 and line[:4].isdigit() and line[4:5] == b" "


def bird_command(path, command, limit_s=60.0):
    """One command on BIRD's control socket. Returns (seconds, reply text)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        _recv_until(s, _bird_reply_done, limit_s)  # "0001 BIRD x.y ready."
        s.sendall(command.encode() + b"\n")
        out = _recv_until(s, _bird_reply_done, limit_s)
    finally:
        s.close()
    return time.monotonic() - t0, out.decode(errors="replace")


def bird_dump(path, command="show route"):
    """COMMAND on BIRD's control socket, timed as babeld_dump is:
    (seconds, lines of the reply)."""
    if os.environ.get("WGB_BENCH_DUMPCLIENT"):
        return _dumpclient("bird", path, command)
    secs, out = bird_command(path, command)
    return secs, out.count("\n")


def bird_route_count(path):
    """Routes in BIRD's master6 table, from "show route count"."""
    try:
        _, out = bird_command(path, "show route count", 10.0)
    except (OSError, TimeoutError):
        return -1
    for line in out.splitlines():
        # "1007-0 of 0 routes for 0 networks in table master4",
        # " 1000 of 1000 routes for 1000 networks in table master6"
        if not line.endswith("in table master6"):
            continue
        words = line[5:].split() if line[:4].isdigit() else line.split()
        if len(words) > 3 and words[1] == "of" and words[3] == "routes":
            return int(words[0])
    return -1
