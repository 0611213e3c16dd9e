"""What the benchmark reads: kernel routes, /proc counters, control sockets.

All readers here open files under /proc directly (no process per sample), so
polling costs the machine as little as possible.
"""

import ipaddress
import os
import socket
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def ll_hex(addr):
    """fe80::1 -> b'fe800000000000000000000000000001' (ipv6_route format)."""
    return ipaddress.IPv6Address(addr).exploded.replace(":", "").encode()


class RouteCounter:
    """Counts the kernel IPv6 routes whose next hop is the sender's
    link-local address, in the namespace of a given process.

    /proc/PID/net/ipv6_route shows the routing table of PID's network
    namespace: "dest plen src splen nexthop metric refcnt use flags dev".
    Counting by next hop rather than by protocol number makes the count the
    same for every receiver (babeld installs proto 42, BIRD proto 12), and it
    does not count "unreachable" hold-down routes, which have no next hop:
    what is counted is routes the receiver can actually forward along.
    """

    def __init__(self, nexthop_ll):
        self.nh = ll_hex(nexthop_ll)

    def count(self, pid):
        try:
            with open("/proc/%d/net/ipv6_route" % pid, "rb") as f:
                data = f.read()
        except OSError:
            return -1
        # The next hop is the only field preceded and followed by a space
        # that can hold the sender's address; a destination equal to it would
        # start a line.
        n = data.count(b" " + self.nh + b" ")
        return n


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
    import ctypes
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


def babeld_dump(path, limit_s=60.0):
    """babeld's local interface: greeting ending in "ok", then "dump" answered
    by one line per interface/neighbour/route/xroute and a final "ok".
    Returns (seconds from connect to the end of the dump, lines)."""
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
