"""The Babel daemons of the benchmark: the BIRD sender and the receivers.

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


def start_sender(lab, workdir, n, router_id, tag):
    """Start BIRD in the sender namespace and wait until it holds all n
    static routes. Returns (daemon, seconds to load)."""
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


class Receiver:
    """One receiver under test."""

    name = ""
    proto_name = ""    # what `ip -6 route show proto X` calls its routes
    big_buffer = False

    def __init__(self, workdir, shim_path=None, rcvbuf_method="shim"):
        self.workdir = workdir
        self.shim_path = shim_path
        self.rcvbuf_method = rcvbuf_method

    def path(self, suffix):
        return os.path.join(self.workdir, "%s.%s" % (self.name, suffix))

    def environment(self):
        if self.big_buffer and self.rcvbuf_method == "shim":
            return {"LD_PRELOAD": self.shim_path,
                    "WGB_RCVBUF": str(BIG_RCVBUF)}
        return None

    def prepare_namespace(self, ns):
        """For the "sysctl" method: net.core.rmem_default is per network
        namespace on recent kernels, so raising it in the receiver's namespace
        only affects the daemon under test."""
        if self.big_buffer and self.rcvbuf_method == "sysctl":
            from .netns import run
            run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.core.rmem_default=%d" % BIG_RCVBUF])

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
        secs, out = measure.bird_command(self.path("sock"), "show route all")
        return secs, out.count("\n")

    def available(self):
        return shutil.which("bird") is not None


class BirdBig(Bird):
    name = "bird-bigbuf"
    big_buffer = True


def find_wgbabeld(top):
    """The newest build-*/daemon/wgbabeld under the repository, or
    $WGBABELD. Returns (daemon, ctl) paths or (None, None)."""
    env = os.environ.get("WGBABELD")
    if env:
        ctl = os.environ.get("WGBABELCTL",
                             os.path.join(os.path.dirname(env), "wgbabelctl"))
        return env, ctl
    best = None
    for entry in os.listdir(top):
        p = os.path.join(top, entry, "daemon", "wgbabeld")
        if entry.startswith("build") and os.access(p, os.X_OK):
            if best is None or os.path.getmtime(p) > os.path.getmtime(best):
                best = p
    if best is None:
        return None, None
    return best, os.path.join(os.path.dirname(best), "wgbabelctl")


class Wgbabeld(Receiver):
    """wgbabeld on an ordinary (wired, multicast) interface."""
    name = "wgbabeld"
    proto_name = "babel"
    binary = None
    ctl = None

    def available(self):
        return self.binary is not None and os.access(self.binary, os.X_OK)

    def argv(self):
        raise RuntimeError("wgbabeld: config format not known yet")

    def dump(self):
        t0 = time.monotonic()
        res = subprocess.run([self.ctl, "-s", self.path("sock"), "dump"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=60)
        secs = time.monotonic() - t0
        if res.returncode != 0:
            raise RuntimeError("wgbabelctl dump: exit %d" % res.returncode)
        return secs, res.stdout.count(b"\n")


RECEIVERS = {c.name: c for c in (Wgbabeld, Babeld, BabeldBig, Bird, BirdBig)}
ORDER = ["wgbabeld", "babeld", "babeld-bigbuf", "bird", "bird-bigbuf"]
