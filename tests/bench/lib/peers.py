"""The Babel daemons of the benchmark: the sender (BIRD or wgbabeld) and the
receivers.

A receiver is described by a Receiver object: how to write its config, how to
start it (argv, environment), its control-socket dump, and whether its socket
receive buffer is forced large. See tests/bench/README.md.
"""

import os
import shutil
import subprocess
import time

from . import measure

SENDER_DEV = "vs"
RECEIVER_DEV = "vr"
BIG_RCVBUF = 32 * 1024 * 1024


def prefix(i):
    """The i-th /64 the sender originates: 2001:db8:H:L::/64 (i < 2^32)."""
    return "2001:db8:%x:%x::/64" % (i >> 16, i & 0xFFFF)


def write_sender_config(path, n, router_id, sock_path):
    """BIRD 2 originating n /64s: a static protocol exported into Babel."""
    with open(path, "w") as f:
        f.write("router id %s;\n" % router_id)
        f.write('log stderr { warning, error, fatal, bug };\n')
        f.write("protocol device { scan time 60; }\n")
        f.write("protocol static origin {\n  ipv6;\n")
        for i in range(n):
            f.write("  route %s blackhole;\n" % prefix(i))
        f.write("}\n")
        f.write('protocol babel {\n  interface "%s" { type wired; };\n'
                "  ipv6 { import none; export all; };\n}\n" % SENDER_DEV)


class BirdSender:
    """BIRD 2 as the sender: a `static` protocol of n blackhole routes
    exported into Babel on SENDER_DEV."""

    name = "bird"

    def __init__(self, workdir, wgbabeld=None):
        self.workdir = workdir

    def available(self):
        return shutil.which("bird") is not None

    def describe(self):
        return "BIRD (static protocol, blackhole routes)"

    def start(self, lab, n, router_id, tag):
        """Start BIRD in the sender namespace and wait until it holds all n
        static routes. Returns (daemon, seconds to load)."""
        workdir = self.workdir
        conf = os.path.join(workdir, "sender-%s.conf" % tag)
        sock = os.path.join(workdir, "sender-%s.ctl" % tag)
        write_sender_config(conf, n, router_id, sock)
        t0 = time.monotonic()
        d = lab.start("sender", lab.sender,
                      ["bird", "-f", "-c", conf, "-s", sock,
                       "-P", os.path.join(workdir, "sender-%s.pid" % tag)],
                      os.path.join(workdir, "sender-%s.log" % tag))
        d.ctl = sock
        end = t0 + 60 + n / 1000.0
        while time.monotonic() < end:
            if not d.alive():
                raise RuntimeError("sender BIRD exited:\n" + d.log_tail())
            if os.path.exists(sock) and measure.bird_route_count(sock) == n:
                return d, time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError("sender BIRD did not load %d routes" % n)


class WgbabeldSender:
    """wgbabeld as the sender: the same n /64s as blackhole routes of
    protocol 4 (static) in the sender namespace's main table, announced with
    `redistribute proto 4` (wgbabeld.conf(5)).

    The kernel routes are loaded once per lab (the second sender of the kill
    phase finds them in place). Each sender gets its own router-id from the
    IPv4-style id the harness gives BIRD (10.255.0.1 -> 02:00:00:00:0a:ff:00:01)
    and its own state file, so the second one is a new router to the
    receiver as with BIRD."""

    name = "wgbabeld"

    def __init__(self, workdir, wgbabeld=None):
        self.workdir = workdir
        self.binary = wgbabeld
        self.loaded = set()     # labs whose kernel holds the routes
        self.kernel_s = None    # seconds `ip -batch` took, for the JSON

    def available(self):
        return self.binary is not None and os.access(self.binary, os.X_OK)

    def describe(self):
        return "wgbabeld %s (redistribute proto 4, blackhole routes)" % (
            self.binary)

    @staticmethod
    def router_id(ipv4):
        return "02:00:00:00:" + ":".join("%02x" % int(b)
                                         for b in ipv4.split("."))

    def load_kernel(self, lab, n):
        """n blackhole /64s of protocol static into the sender namespace:
        one `ip -batch` (100,000 take about a second)."""
        batch = "".join("route add blackhole %s proto static\n" % prefix(i)
                        for i in range(n))
        t0 = time.monotonic()
        res = subprocess.run(["ip", "-n", lab.sender, "-6", "-batch", "-"],
                             input=batch, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        if res.returncode != 0:
            raise RuntimeError("loading %d routes into %s: %s" % (
                n, lab.sender, res.stdout.strip()[-500:]))
        self.kernel_s = time.monotonic() - t0
        self.loaded.add(lab.sender)

    def start(self, lab, n, router_id, tag):
        """Load the kernel routes (first time in this lab), start wgbabeld in
        the sender namespace and wait until it originates all n. Returns
        (daemon, seconds from its start to originating n)."""
        if lab.sender not in self.loaded:
            self.load_kernel(lab, n)

        def path(suffix):
            return os.path.join(self.workdir, "sender-%s.%s" % (tag, suffix))

        conf, sock = path("conf"), path("sock")
        with open(conf, "w") as f:
            f.write("interface %s type wired\n" % SENDER_DEV)
            f.write("router-id %s\n" % self.router_id(router_id))
            f.write("redistribute proto 4 prefix 2001:db8::/32 allow\n")
            f.write("control-socket %s\n" % sock)
            f.write("state-file %s\n" % path("state"))
            f.write("runtime-dir %s\n" % path("run"))
            f.write("pid-file %s\n" % path("pid"))
            f.write("log-level warning\n")
        t0 = time.monotonic()
        d = lab.start("sender", lab.sender, [self.binary, "-c", conf],
                      path("log"))
        d.ctl = sock
        end = t0 + 60 + n / 1000.0
        got = None
        while time.monotonic() < end:
            if not d.alive():
                raise RuntimeError("sender wgbabeld exited:\n" + d.log_tail())
            st = measure.wgbabeld_status(sock) if os.path.exists(sock) else None
            if st is not None:
                got = st.get("originated")
                if got == n:
                    return d, time.monotonic() - t0
            time.sleep(0.05)
        raise RuntimeError("sender wgbabeld originates %s of %d routes" % (
            got, n))


SENDERS = {c.name: c for c in (BirdSender, WgbabeldSender)}


class Receiver:
    """One receiver under test."""

    name = ""
    proto_name = ""    # what `ip -6 route show proto X` calls its routes
    big_buffer = False

    def __init__(self, workdir, shim_path=None):
        self.workdir = workdir
        self.shim_path = shim_path

    def path(self, suffix):
        return os.path.join(self.workdir, "%s.%s" % (self.name, suffix))

    def environment(self):
        """The large buffer is forced with lib/rcvbuf_shim.c (LD_PRELOAD).
        net.core.rmem_default cannot do it: on kernels before 6.x it exists
        only in the initial namespace (changing it there changes every socket
        of the machine), and on 6.18 the per-namespace copy is read-only
        (mode 0444) inside a child namespace."""
        if self.big_buffer:
            return {"LD_PRELOAD": self.shim_path,
                    "WGB_RCVBUF": str(BIG_RCVBUF)}
        return None

    def argv(self):
        raise NotImplementedError

    def dump(self):
        """Full control-socket dump: (seconds, lines)."""
        raise NotImplementedError

    def available(self):
        return True


class Babeld(Receiver):
    name = "babeld"
    proto_name = "babel"

    def argv(self):
        conf = self.path("conf")
        with open(conf, "w") as f:
            f.write("interface %s type wired\n" % RECEIVER_DEV)
            f.write("local-path %s\n" % self.path("sock"))
            f.write("redistribute deny\n")
        return ["babeld", "-c", conf, "-I", self.path("pid"),
                "-S", self.path("state"), RECEIVER_DEV]

    def dump(self):
        return measure.babeld_dump(self.path("sock"))

    def available(self):
        return shutil.which("babeld") is not None


class BabeldBig(Babeld):
    name = "babeld-bigbuf"
    big_buffer = True


class Bird(Receiver):
    name = "bird"
    proto_name = "bird"

    def argv(self):
        conf = self.path("conf")
        with open(conf, "w") as f:
            f.write("router id 10.255.0.2;\n")
            f.write('log stderr { warning, error, fatal, bug };\n')
            f.write("protocol device { scan time 60; }\n")
            f.write("protocol kernel {\n  ipv6 { import none; export all; };\n"
                    "  scan time 60;\n}\n")
            f.write('protocol babel {\n  interface "%s" { type wired; };\n'
                    "  ipv6 { import all; export none; };\n}\n" % RECEIVER_DEV)
        return ["bird", "-f", "-c", conf, "-s", self.path("sock"),
                "-P", self.path("pid")]

    def dump(self):
        secs, lines = measure.bird_dump(self.path("sock"))
        if lines < 3:
            # An error or refusal is one line ("8xxx ..."/"9xxx ...").
            raise RuntimeError("BIRD refused the dump (%d lines)" % lines)
        return secs, lines

    def available(self):
        return shutil.which("bird") is not None


class BirdBig(Bird):
    name = "bird-bigbuf"
    big_buffer = True


class Wgbabeld(Receiver):
    """wgbabeld on an ordinary (wired, multicast) interface, configured as
    wgbabeld.conf(5) describes. Its control socket speaks babeld's local
    protocol, so the dump is read with the same client as babeld's."""
    name = "wgbabeld"
    proto_name = "babel"
    binary = None
    ctl = None

    def available(self):
        return self.binary is not None and os.access(self.binary, os.X_OK)

    def argv(self):
        conf = self.path("conf")
        with open(conf, "w") as f:
            f.write("interface %s type wired\n" % RECEIVER_DEV)
            f.write("control-socket %s\n" % self.path("sock"))
            f.write("state-file %s\n" % self.path("state"))
            f.write("runtime-dir %s\n" % self.path("run"))
            f.write("pid-file %s\n" % self.path("pid"))
            f.write("log-level warning\n")
        return [self.binary, "-c", conf]

    def dump(self):
        return measure.babeld_dump(self.path("sock"))

    def ctl_show_routes(self):
        """`wgbabelctl show routes`, timed as a whole (process included)."""
        t0 = time.monotonic()
        res = subprocess.run([self.ctl, "-s", self.path("sock"), "show",
                              "routes"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=60)
        secs = time.monotonic() - t0
        if res.returncode != 0:
            raise RuntimeError("wgbabelctl show routes: exit %d" % res.returncode)
        return secs, res.stdout.count(b"\n")


RECEIVERS = {c.name: c for c in (Wgbabeld, Babeld, BabeldBig, Bird, BirdBig)}
ORDER = ["wgbabeld", "babeld", "babeld-bigbuf", "bird", "bird-bigbuf"]
