#!/usr/bin/env python3
"""The WireGuard-path benchmark (issue 14): two wgbabeld over wireguard-go.

Run it via wgpath.sh. For one N: the floor (`wg addconf` of N allowed IPs on
a fresh wireguard-go device), then for each start order a fresh pair of
namespaces joined by veth, a wireguard-go interface in each, a wgbabeld
sender announcing N /64s (`redistribute` of N kernel blackhole routes) and a
wgbabeld receiver; measured: first route, all N kernel routes, all N allowed
IPs on the receiver's peer, steady CPU of the receiver's wgbabeld and
wireguard-go, the receiver's peak RSS and the gaps between the Hellos it
sends. See tests/bench/README.md.
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import measure, peers, report  # noqa: E402
from lib.netns import Lab, run  # noqa: E402

UAPI_DIR = "/var/run/wireguard"
PORT_S, PORT_R = 51901, 51902
LL_S, LL_R = "fe80::1", "fe80::2"
UNDER_S, UNDER_R = "192.0.2.1", "192.0.2.2"
ROUTED = b"2001:db8:"           # every prefix the sender announces starts so
ORDERS = ("sender-first", "receiver-first")


class OifCounter(measure.RouteCounter):
    """Kernel routes out of one interface (WireGuard routes have no gateway),
    counted by lib/routecount.c in its `dev IFINDEX` form; remembers when the
    count first left 0 and first reached `target` (monotonic clock), at the
    moment the helper reported it, not when the main loop looks."""

    def __init__(self, netns_name, ifindex, helper, target):
        self.error = None
        self.stopping = False
        self.target = target
        self.t_first = self.t_full = None
        self._matching = 0
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns_name, helper, "dev", str(ifindex)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        first = self.proc.stdout.readline().strip()
        if first != "ready":
            self.close()
            raise RuntimeError("routecount: %r" % first)
        self.thread = threading.Thread(target=self._run_helper, daemon=True)
        self.thread.start()

    @property
    def matching(self):
        return self._matching

    @matching.setter
    def matching(self, value):
        now = time.monotonic()
        if value > 0 and self.t_first is None:
            self.t_first = now
        if value >= self.target and self.t_full is None:
            self.t_full = now
        self._matching = value


def uapi_count(ifname, limit_s=30.0):
    """Allowed IPs inside 2001:db8::/32 on IFNAME, over the UAPI ("get=1"):
    one connection, the reply counted as it streams in (no parsing, no `wg`
    process). Returns the count."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(limit_s)
    needle = b"\nallowed_ip=" + ROUTED
    count, tail = 0, b""
    try:
        s.connect(os.path.join(UAPI_DIR, ifname + ".sock"))
        s.sendall(b"get=1\n\n")
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf = tail + chunk
            count += buf.count(needle)
            # Keep what a needle split across two chunks needs, but never a
            # whole needle (it would be counted twice).
            tail = buf[-(len(needle) - 1):]
            if buf.endswith(b"\n\n"):
                break
    finally:
        s.close()
    return count


def wg_keypair(path):
    """A private key file at PATH; returns the public key (base64)."""
    old = os.umask(0o077)
    try:
        key = subprocess.run(["wg", "genkey"], check=True, text=True,
                             stdout=subprocess.PIPE).stdout
        with open(path, "w") as f:
            f.write(key)
    finally:
        os.umask(old)
    return subprocess.run(["wg", "pubkey"], input=key, check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


class WgLab(Lab):
    """Lab's two namespaces and veth pair as the underlay (IPv4 on vs/vr),
    and over it one wireguard-go interface in each, peered as wg-quick would
    set them up: link-local fe80::1 (sender) / fe80::2 (receiver), each the
    other's only static allowed IP. Interface names carry our PID: the UAPI
    socket /var/run/wireguard/IFNAME.sock is global, not per namespace."""

    def __init__(self, tag, workdir):
        super().__init__(tag)
        self.tag = tag
        self.workdir = workdir
        base = "wp%d%s" % (os.getpid() % 10000000, tag)
        self.wg_s, self.wg_r = base + "s", base + "r"
        self.wg_go = {}

    def path(self, name):
        """NAME in the work directory, prefixed by this lab's tag: the
        files of both orders stay apart under --keep."""
        return os.path.join(self.workdir, "%s-%s" % (self.tag, name))

    def wireguard_go(self, ns, ifname):
        """Start wireguard-go for IFNAME in NS; wait for its UAPI socket."""
        sock = os.path.join(UAPI_DIR, ifname + ".sock")
        if os.path.exists(sock):
            raise RuntimeError("%s exists already" % sock)
        d = self.start("wireguard-go " + ifname, ns,
                       ["env", "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error",
                        "wireguard-go", "-f", ifname],
                       self.path("wireguard-go-%s.log" % ifname))
        end = time.monotonic() + 10
        while not os.path.exists(sock):
            if time.monotonic() > end or not d.alive():
                raise RuntimeError("wireguard-go %s did not come up: %s" % (
                    ifname, d.log_tail()))
            time.sleep(0.02)
        self.wg_go[ifname] = d
        return d

    def setup(self):
        super().setup()
        run(["ip", "-n", self.sender, "addr", "add", UNDER_S + "/24",
             "dev", "vs"])
        run(["ip", "-n", self.receiver, "addr", "add", UNDER_R + "/24",
             "dev", "vr"])
        sides = ((self.sender, self.wg_s, PORT_S, LL_S),
                 (self.receiver, self.wg_r, PORT_R, LL_R))
        pub = {}
        for ns, ifn, _, _ in sides:
            self.wireguard_go(ns, ifn)
            pub[ifn] = wg_keypair(self.path(ifn + ".key"))
        for (ns, ifn, port, ll), (_, pifn, pport, pll) in (
                (sides[0], sides[1]), (sides[1], sides[0])):
            peer_ip = UNDER_R if pifn == self.wg_r else UNDER_S
            run(["ip", "netns", "exec", ns, "wg", "set", ifn,
                 "private-key", self.path(ifn + ".key"), "listen-port",
                 str(port), "peer", pub[pifn], "endpoint",
                 "%s:%d" % (peer_ip, pport), "allowed-ips", pll + "/128"])
            # addrgenmode none: fe80::N is the only link-local address, as
            # in tests/lib/netns.sh and wg-quick set-ups.
            cmds = ("link set %s addrgenmode none\nlink set %s up\n"
                    "addr add %s/64 dev %s nodad\n" % (ifn, ifn, ll, ifn))
            subprocess.run(["ip", "-n", ns, "-b", "-"], input=cmds, text=True,
                           check=True)
        out = run(["ip", "-n", self.receiver, "-o", "link", "show", "dev",
                   self.wg_r], capture=True)
        self.ifindex_r = int(out.split(":", 1)[0])
        self.pub = pub

    def floor(self, n, conf, tag, idle_s=0.0):
        """`wg addconf` of the N prefixes (one AllowedIPs line each, file
        CONF) on a fresh wireguard-go device in the receiver namespace.
        Returns (wall seconds of wg addconf, allowed IPs counted after, wall
        seconds of one UAPI count at N, CPU-s per minute the device used
        while left alone for IDLE_S seconds after, or None), then stops
        that wireguard-go."""
        ifn = self.wg_r[:-1] + "f" + tag
        d = self.wireguard_go(self.receiver, ifn)
        run(["ip", "netns", "exec", self.receiver, "wg", "set", ifn,
             "private-key", self.path(self.wg_r + ".key")])
        t0 = time.monotonic()
        run(["ip", "netns", "exec", self.receiver, "wg", "addconf", ifn, conf])
        secs = time.monotonic() - t0
        t0 = time.monotonic()
        got = uapi_count(ifn)
        count_s = time.monotonic() - t0
        idle = None
        if idle_s > 0:
            c0, t0 = measure.cpu_seconds(d.pid), time.monotonic()
            time.sleep(idle_s)
            idle = (measure.cpu_seconds(d.pid) - c0) * 60.0 / (
                time.monotonic() - t0)
        d.stop(grace=10.0)
        self.daemons.remove(d)
        return secs, got, count_s, idle


def write_addconf(path, n, pub):
    with open(path, "w") as f:
        f.write("[Peer]\nPublicKey = %s\n" % pub)
        for i in range(n):
            f.write("AllowedIPs = %s\n" % peers.prefix(i))


def path_drops(ns, ifn):
    """Drops in namespace NS: the WireGuard device IFN's tx/rx drops (its
    queue; a TUN queue wireguard-go does not read fast enough drops
    silently) and UDP receive-buffer errors, IPv4 (the underlay here:
    wireguard-go's socket) and IPv6 (Babel over the tunnel: wgbabeld's)."""
    out = {}
    try:
        link = json.loads(subprocess.run(
            ["ip", "-n", ns, "-s", "-j", "link", "show", "dev", ifn],
            text=True, stdout=subprocess.PIPE, check=True).stdout)[0]
        st = link.get("stats64", link.get("stats", {}))
        out["tx_dropped"] = st.get("tx", {}).get("dropped")
        out["rx_dropped"] = st.get("rx", {}).get("dropped")
        q = json.loads(subprocess.run(
            ["ip", "netns", "exec", ns, "tc", "-s", "-j", "qdisc", "show",
             "dev", ifn], text=True, stdout=subprocess.PIPE,
            check=True).stdout or "[]")
        out["qdisc_drops"] = sum(x.get("drops", 0) for x in q)
        snmp = subprocess.run(["ip", "netns", "exec", ns, "nstat", "-asz",
                               "-j"], text=True, stdout=subprocess.PIPE,
                              check=True).stdout
        kern = json.loads(snmp).get("kernel", {})
        out["udp_rcvbuf_errors"] = kern.get("UdpRcvbufErrors", 0)
        out["udp6_rcvbuf_errors"] = kern.get("Udp6RcvbufErrors", 0)
    except (subprocess.CalledProcessError, ValueError, IndexError,
            OSError) as e:
        out["error"] = str(e)
    return out


def drops_str(d):
    if "error" in d:
        return "(unknown: %s)" % d["error"]
    return ("device tx %s rx %s, qdisc %s, UDP receive buffers: IPv4 %s "
            "(WireGuard's underlay), IPv6 %s (Babel)" %
            (d.get("tx_dropped"), d.get("rx_dropped"), d.get("qdisc_drops"),
             d.get("udp_rcvbuf_errors"), d.get("udp6_rcvbuf_errors")))


# --iface-opts: words added to both daemons' interface line.
IFACE_OPTS = []


def wgbabeld_conf(lab, who, ifn, router_id=None):
    """wgbabeld.conf for WHO ("sender" or "receiver") on interface IFN."""
    conf = lab.path(who + ".conf")
    with open(conf, "w") as f:
        f.write("interface %s type wireguard%s\n" %
                (ifn, "".join(" " + o for o in IFACE_OPTS)))
        if router_id:
            f.write("router-id %s\n" % router_id)
        if who == "sender":
            f.write("redistribute proto 4 prefix 2001:db8::/32 allow\n")
        for key, suffix in (("control-socket", "sock"),
                            ("state-file", "state"), ("runtime-dir", "run"),
                            ("pid-file", "pid")):
            f.write("%s %s\n" % (key, lab.path("%s.%s" % (who, suffix))))
        # info on the sender logs a line per announced prefix.
        f.write("log-level %s\n" % ("warning" if who == "sender" else "info"))
    return conf


def start_wgbabeld(lab, who, binary):
    ns, ifn = ((lab.sender, lab.wg_s) if who == "sender"
               else (lab.receiver, lab.wg_r))
    rid = (peers.WgbabeldSender.router_id("10.255.0.1") if who == "sender"
           else peers.WgbabeldSender.router_id("10.255.0.2"))
    conf = wgbabeld_conf(lab, who, ifn, rid)
    d = lab.start(who, ns, [binary, "-c", conf], lab.path(who + ".log"))
    d.ctl = lab.path(who + ".sock")
    return d


def wait_status(d, limit_s, want=None):
    """Poll `show status json` until it answers (and, with WANT, until
    want(status) is true). Returns (seconds, status)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if not d.alive():
            raise RuntimeError("%s exited: %s" % (d.name, d.log_tail(5)))
        st = measure.wgbabeld_status(d.ctl) if os.path.exists(d.ctl) else None
        if st is not None and (want is None or want(st)):
            return time.monotonic() - t0, st
        time.sleep(0.05)
    raise RuntimeError("%s: status not reached in %.0f s" % (d.name, limit_s))


def start_capture(lab, both):
    """tcpdump on the receiver's WireGuard interface (plaintext): what the
    receiver sends to UDP 6696 (BOTH: and what it receives, for reading the
    exchange afterwards with --keep). Returns (daemon, pcap path)."""
    pcap = lab.path("receiver.pcap")
    what = ("udp port 6696" if both else
            "src host %s and udp dst port 6696" % LL_R)
    d = lab.start("tcpdump", lab.receiver,
                  ["tcpdump", "-i", lab.wg_r, "-n", "-U", "-s", "0", "-Z",
                   "root", "-w", pcap, "ip6 and " + what],
                  lab.path("tcpdump.log"))
    end = time.monotonic() + 10
    while True:
        with open(lab.path("tcpdump.log"), "rb") as f:
            if b"listening on" in f.read():
                return d, pcap
        if time.monotonic() > end or not d.alive():
            raise RuntimeError("tcpdump did not start: " + d.log_tail())
        time.sleep(0.02)


def read_hellos(pcap, src):
    """(wall time, interval in s) of every Babel Hello TLV sent from SRC in
    PCAP, which holds raw IPv6 packets (a TUN device: link type RAW)."""
    src = socket.inet_pton(socket.AF_INET6, src)
    with open(pcap, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data)[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    if linktype not in (12, 14, 101):
        raise RuntimeError("pcap link type %d is not raw IP" % linktype)
    hellos = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from(end + "IIII", data, off)
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        # IPv6 (40 bytes, next header UDP), UDP (8), Babel header (4).
        if len(pkt) < 52 or pkt[0] >> 4 != 6 or pkt[6] != 17 or \
                pkt[8:24] != src:
            continue
        body = pkt[48:]
        if body[0] != 42 or body[1] != 2:
            continue
        blen = struct.unpack_from(">H", body, 2)[0]
        tlvs, i = body[4:4 + blen], 0
        while i < len(tlvs):
            if tlvs[i] == 0:            # Pad1
                i += 1
                continue
            if i + 2 > len(tlvs):
                break
            typ, ln = tlvs[i], tlvs[i + 1]
            if typ == 4 and ln >= 6:    # Hello: flags, seqno, interval (cs)
                interval = struct.unpack_from(">H", tlvs, i + 6)[0] / 100.0
                hellos.append((ts, interval))
            i += 2 + ln
    return hellos


def hello_gaps(hellos, wall0, conv_end):
    """The largest gap between consecutive Hellos, overall and while
    converging (a gap ending before CONV_END, seconds after WALL0)."""
    res = {"hellos": len(hellos)}
    if len(hellos) < 2:
        return res
    gaps = [(b[0] - a[0], b[0] - wall0, b[1]) for a, b in zip(hellos, hellos[1:])]
    g = max(gaps)
    res["max_gap_s"] = round(g[0], 3)
    res["max_gap_at_s"] = round(g[1], 2)   # when the late Hello went out
    res["interval_s"] = g[2]
    # Hellos more than 50 ms late, for matching against what else the
    # daemon did then (its device re-read every 5 s, the update every 16).
    res["late_hellos"] = [[round(x[1], 2), round(x[0], 3)] for x in gaps
                          if x[0] > x[2] + 0.05]
    conv = [x for x in gaps if conv_end is not None and x[1] <= conv_end]
    if conv:
        res["max_gap_converging_s"] = round(max(conv)[0], 3)
    return res


def converge(lab, counter, n, t0, limit, watch, sender=None):
    """Poll until the receiver's kernel holds all N routes and its peer all
    N allowed IPs (or LIMIT s pass, or a daemon in WATCH dies). The UAPI
    count costs wireguard-go a full dump, so it is repeated no more often
    than it lasts (at least 20 ms apart). With SENDER, also note when it
    originates all N. Times are seconds after T0."""
    r = {}
    polls = 0
    prev_start = None
    next_poll = next_status = 0.0
    while True:
        now = time.monotonic()
        for d in watch:
            if not d.alive():
                raise RuntimeError("%s exited: %s" % (d.name, d.log_tail(5)))
        if sender is not None and "sender_originated_s" not in r and \
                now >= next_status:
            next_status = now + 0.2
            st = measure.wgbabeld_status(sender.ctl) \
                if os.path.exists(sender.ctl) else None
            if st is not None and st.get("originated") == n:
                r["sender_originated_s"] = round(time.monotonic() - t0, 3)
        if "aip_full_s" not in r and now >= next_poll:
            p0 = time.monotonic()
            got = uapi_count(lab.wg_r)
            p1 = time.monotonic()
            polls += 1
            if got > 0 and "aip_first_s" not in r:
                r["aip_first_s"] = round(p1 - t0, 3)
            if got >= n:
                r["aip_full_s"] = round(p1 - t0, 3)
                # Complete somewhere after the previous (incomplete) poll
                # began: the figure is an upper bound by this much.
                r["aip_resolution_s"] = round(p1 - (prev_start or t0), 3)
            r["aip_count"] = got
            r["aip_poll_s"] = round(p1 - p0, 3)
            prev_start = p0
            next_poll = p1 + max(0.02, p1 - p0)
        if counter.t_first is not None:
            r["first_route_s"] = round(counter.t_first - t0, 3)
        if counter.t_full is not None:
            r["kernel_full_s"] = round(counter.t_full - t0, 3)
        if "kernel_full_s" in r and "aip_full_s" in r and (
                sender is None or "sender_originated_s" in r):
            break
        if now - t0 > limit:
            r["timeout"] = True
            break
        time.sleep(0.02)
    r["kernel_count"] = counter.count()
    r["aip_polls"] = polls
    return r


def one_order(order, n, args, workdir, floor_s):
    """Every phase of one start order; returns a dict of figures."""
    r = {"order": order, "n": n}
    lab = WgLab(order[:1], workdir)
    counter = None
    try:
        lab.setup()
        snd = peers.WgbabeldSender(workdir, args.wgbabeld)
        snd.load_kernel(lab, n)
        r["sender_kernel_load_s"] = round(snd.kernel_s, 2)
        counter = OifCounter(lab.receiver, lab.ifindex_r, args.routecount, n)
        cap, pcap = start_capture(lab, args.capture_both)
        if order == "sender-first":
            r["clock_from"] = "receiver start"
            sender = start_wgbabeld(lab, "sender", args.wgbabeld)
            secs, _ = wait_status(sender, args.timeout,
                                  lambda st: st.get("originated") == n)
            r["sender_originated_s"] = round(secs, 2)
            t0, wall0 = time.monotonic(), time.time()
            receiver = start_wgbabeld(lab, "receiver", args.wgbabeld)
            r.update(converge(lab, counter, n, t0, args.timeout,
                              (sender, receiver)))
        else:
            r["clock_from"] = "sender start"
            receiver = start_wgbabeld(lab, "receiver", args.wgbabeld)
            wait_status(receiver, args.timeout)
            # Let the receiver run a while alone: Hellos to a silent peer,
            # the tunnel's handshake done, as when a node comes up after
            # its neighbour.
            time.sleep(args.lead)
            t0, wall0 = time.monotonic(), time.time()
            sender = start_wgbabeld(lab, "sender", args.wgbabeld)
            r.update(converge(lab, counter, n, t0, args.timeout,
                              (sender, receiver), sender))
        if "kernel_full_s" in r and "aip_full_s" in r:
            r["target_s"] = round(r["kernel_full_s"] + 2 * floor_s, 3)
            # aip_full_s is an upper bound (the first poll that saw all N);
            # all N may have been there up to aip_resolution_s earlier.
            if r["aip_full_s"] <= r["target_s"]:
                r["target_met"] = "yes"
            elif r["aip_full_s"] - r["aip_resolution_s"] > r["target_s"]:
                r["target_met"] = "NO"
            else:
                r["target_met"] = "unresolved (poll interval)"
        r["hwm_converged_kb"] = measure.status_kb(receiver.pid, "VmHWM")

        # Steady state: nothing polls the device or the daemons meanwhile.
        time.sleep(args.settle)
        wg_go = lab.wg_go[lab.wg_r]
        c0 = (measure.cpu_seconds(receiver.pid), measure.cpu_seconds(wg_go.pid))
        s0 = time.monotonic()
        time.sleep(args.steady)
        c1 = (measure.cpu_seconds(receiver.pid), measure.cpu_seconds(wg_go.pid))
        per_min = 60.0 / (time.monotonic() - s0)
        r["steady_cpu_wgbabeld"] = round((c1[0] - c0[0]) * per_min, 3)
        r["steady_cpu_wireguard_go"] = round((c1[1] - c0[1]) * per_min, 3)
        r["steady_window_s"] = args.steady
        r["hwm_kb"] = measure.status_kb(receiver.pid, "VmHWM")
        r["rss_end_kb"] = measure.status_kb(receiver.pid, "VmRSS")
        r["kernel_count_end"] = counter.count()
        r["aip_count_end"] = uapi_count(lab.wg_r)
        # Datagrams the kernel refused to send (a full socket buffer, a
        # TUN queue that overflowed: ENOBUFS): each is a lost update.
        for who, d in (("sender", sender), ("receiver", receiver)):
            st = measure.wgbabeld_status(d.ctl)
            if st is not None:
                r[who + "_send_errors"] = st.get("send_errors")
        # Where else an Update can be lost without an error to its
        # sender: the WireGuard device's queues and the UDP sockets'
        # receive buffers (wireguard-go's, then wgbabeld's), per side.
        for who, ns, ifn in (("sender", lab.sender, lab.wg_s),
                             ("receiver", lab.receiver, lab.wg_r)):
            r[who + "_drops"] = path_drops(ns, ifn)
        for d in (receiver, sender):
            if not d.alive():
                raise RuntimeError("%s exited: %s" % (d.name, d.log_tail(5)))
        cap.stop(grace=5.0)
        conv_end = max(r.get("kernel_full_s", 0), r.get("aip_full_s", 0)) \
            if not r.get("timeout") else args.timeout
        r.update(hello_gaps(read_hellos(pcap, LL_R), wall0, conv_end))
        return r
    except Exception as e:  # report it; the other order still runs
        r["error"] = str(e)
        return r
    finally:
        if counter is not None:
            counter.close()
        lab.cleanup()


def floor_runs(n, workdir, reps, idle_s):
    """`wg addconf` of N allowed IPs on REPS fresh wireguard-go devices; the
    last is then left alone for IDLE_S s: wireguard-go's own idle CPU."""
    lab = WgLab("f", workdir)
    res = []
    try:
        lab.setup()
        conf = lab.path("addconf.conf")
        write_addconf(conf, n, lab.pub[lab.wg_s])
        for k in range(reps):
            res.append(lab.floor(n, conf, str(k),
                                 idle_s if k == reps - 1 else 0.0))
    finally:
        lab.cleanup()
    return res


def print_table(n, floor_s, results, args):
    """One Markdown row per start order (tests/bench/README.md's table)."""
    print("| N | order (clock from) | first route s | kernel N s | "
          "AllowedIPs N s | target s | steady CPU s/min wgbabeld | "
          "steady CPU s/min wireguard-go | HWM MB | max Hello gap s |")
    print("|---" * 10 + "|")
    for r in results:
        cells = ["%d" % n, "%s (%s)" % (r["order"], r.get("clock_from", "?"))]
        if "error" in r and "kernel_count" not in r:
            print("| " + " | ".join(cells + ["error: " + r["error"]]) + " |")
            continue
        kn = report.fmt(r.get("kernel_full_s"))
        if kn == "-":
            kn = report.dnf(args.timeout, " (%d)" % r.get("kernel_count", 0))
        an = report.fmt(r.get("aip_full_s"))
        if an == "-":
            an = report.dnf(args.timeout, " (%d)" % r.get("aip_count", 0))
        else:
            an += " (-%.2f)" % r["aip_resolution_s"]
        tgt = "-"
        if "target_s" in r:
            tgt = "%.2f (%s)" % (r["target_s"], r["target_met"])
        gap = "-"
        if "max_gap_s" in r:
            gap = "%.2f (interval %g, %d Hellos)" % (
                r["max_gap_s"], r["interval_s"], r["hellos"])
        hwm = r.get("hwm_kb")
        cells += [report.fmt(r.get("first_route_s")), kn, an, tgt,
                  report.fmt(r.get("steady_cpu_wgbabeld"), 3),
                  report.fmt(r.get("steady_cpu_wireguard_go"), 3),
                  report.fmt(hwm / 1024.0 if hwm else None, 1, "?"), gap]
        if "error" in r:
            cells[-1] += "; error: " + r["error"]
        print("| " + " | ".join(cells) + " |")
    for r in results:
        if "sender_send_errors" in r:
            print("%s: datagrams not sent (send errors): sender %s, "
                  "receiver %s" % (r["order"], r["sender_send_errors"],
                                   r.get("receiver_send_errors")))
        if "sender_drops" in r:
            print("%s: dropped on the way: sender %s; receiver %s" % (
                r["order"], drops_str(r["sender_drops"]),
                drops_str(r["receiver_drops"])))
    print("floor (wg addconf of N allowed IPs, median): %.3f s" % floor_s)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", type=int, nargs="?", default=10000)
    ap.add_argument("--wgbabeld", required=True, help="the wgbabeld binary")
    ap.add_argument("--routecount", required=True,
                    help="the lib/routecount.c helper, built")
    ap.add_argument("--orders", default=",".join(ORDERS),
                    help="comma-separated subset of " + ",".join(ORDERS))
    ap.add_argument("--timeout", type=int, default=90,
                    help="limit of each wait (sender load, convergence), s")
    ap.add_argument("--steady", type=float, default=60.0,
                    help="steady-state CPU window, s")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="pause between convergence and the steady window")
    ap.add_argument("--lead", type=float, default=6.0,
                    help="receiver-first: seconds the receiver runs alone")
    ap.add_argument("--idle", type=float, default=20.0,
                    help="seconds the last floor device is left alone (its "
                    "idle CPU); 0: not measured")
    ap.add_argument("--floor-runs", type=int, default=3,
                    help="fresh devices the floor is measured on (median)")
    ap.add_argument("--capture-both", action="store_true",
                    help="capture what the receiver gets too (with --keep)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (configs, logs, pcaps)")
    ap.add_argument("--iface-opts", default="",
                    help="interface options for both daemons, e.g. "
                    "'probe-interval 0' (to see what a feature costs)")
    args = ap.parse_args()
    IFACE_OPTS.extend(args.iface_opts.split())

    report.unwind_on_signals()

    started = time.monotonic()
    wgv = subprocess.run(["wireguard-go", "--version"], text=True,
                         stdout=subprocess.PIPE).stdout.split("\n")[0]
    report.header([line for line in report.machine_description("-")
                   if not line.startswith("peers:")] + [
        "wireguard-go: %s" % wgv,
        "wgbabeld: %s (sender and receiver; interface type wireguard, "
        "default timers: Hello 4 s)" % args.wgbabeld,
        "N: %d; limits: %d s per wait; steady window %.0f s after %.0f s; "
        "receiver-first lead %.0f s" % (args.n, args.timeout, args.steady,
                                        args.settle, args.lead)])

    results = []
    with report.workdir("wgb-wgpath-", args.keep) as workdir:
        floors = floor_runs(args.n, workdir, args.floor_runs, args.idle)
        floor_s = sorted(f[0] for f in floors)[len(floors) // 2]
        print("floor: wg addconf of %d allowed IPs on a fresh wireguard-go "
              "device: %s s (median %.3f); counted after: %s; one UAPI count "
              "at N: %s s" % (
                  args.n, ", ".join("%.3f" % f[0] for f in floors), floor_s,
                  ", ".join(str(f[1]) for f in floors),
                  ", ".join("%.3f" % f[2] for f in floors)), flush=True)
        if floors[-1][3] is not None:
            print("idle: that wireguard-go with N allowed IPs, no peer "
                  "traffic, over %.0f s: %.3f CPU-s/min" % (
                      args.idle, floors[-1][3]), flush=True)
        for order in args.orders.split(","):
            if order not in ORDERS:
                print("unknown order %s" % order, file=sys.stderr)
                return 2
            report.running(order, args.n)
            r = one_order(order, args.n, args, workdir, floor_s)
            results.append(r)
            report.result(r)
        print()
        print_table(args.n, floor_s, results, args)
        print("load: %s (1/5/15 min at the end); whole run %.0f s" % (
            " ".join("%.2f" % x for x in os.getloadavg()),
            time.monotonic() - started))
        report.write_json(args.json, {"n": args.n, "floors": floors,
                                      "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
