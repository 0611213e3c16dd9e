"""Network namespaces and daemon processes for the side-by-side benchmark.

Everything this module creates is recorded in a Lab object and removed by
Lab.cleanup(): daemons are ended by the PID we started them with (SIGTERM,
then SIGKILL after a grace period), namespaces by the unique names we gave
them. Nothing is ever addressed outside the namespaces created here.
"""

import os
import signal
import subprocess
import time


def run(cmd, check=True, capture=False):
    """Run a short command (ip, sysctl); raise with its output on failure."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    if check and res.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), res.returncode,
                                                res.stdout.strip()))
    return res.stdout if capture else res.returncode


class Daemon:
    """A process started inside a namespace, known by its PID.

    `ip netns exec` and `env` both exec() the next program, so the PID of the
    Popen object is the PID of the daemon itself.
    """

    def __init__(self, name, ns, argv, logpath, env=None):
        self.name = name
        self.logpath = logpath
        full = ["ip", "netns", "exec", ns]
        if env:
            full += ["env"] + ["%s=%s" % kv for kv in env.items()]
        full += argv
        self.log = open(logpath, "ab")
        self.proc = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, grace=10.0):
        """SIGTERM, wait up to `grace` seconds, then SIGKILL. Returns rc."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def log_tail(self, lines=15):
        try:
            with open(self.logpath, "rb") as f:
                data = f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(data.splitlines()[-lines:])


class Lab:
    """Two namespaces joined by a veth pair: SENDER (dev `vs`) and
    RECEIVER (dev `vr`). Names carry the PID and a counter, so concurrent
    runs (and other engineers' tests) never collide."""

    _counter = 0

    def __init__(self, tag):
        Lab._counter += 1
        base = "wgbb%d%s%d" % (os.getpid(), tag, Lab._counter)
        self.sender = base + "s"
        self.receiver = base + "r"
        self.daemons = []
        self.namespaces = []

    def setup(self):
        for ns in (self.sender, self.receiver):
            run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            # No duplicate address detection: link-local addresses are usable
            # at once, so daemons do not start on a tentative address.
            for key in ("net.ipv6.conf.default.accept_dad",
                        "net.ipv6.conf.all.accept_dad"):
                run(["ip", "netns", "exec", ns, "sysctl", "-qw", key + "=0"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "link", "add", "vs", "netns", self.sender, "type", "veth",
             "peer", "name", "vr", "netns", self.receiver])
        run(["ip", "-n", self.sender, "link", "set", "vs", "up"])
        run(["ip", "-n", self.receiver, "link", "set", "vr", "up"])
        self.sender_ll = self.wait_link_local(self.sender, "vs")
        self.receiver_ll = self.wait_link_local(self.receiver, "vr")

    @staticmethod
    def wait_link_local(ns, dev, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = run(["ip", "-n", ns, "-6", "-o", "addr", "show", "dev", dev,
                       "scope", "link"], capture=True)
            for line in out.splitlines():
                if "tentative" in line:
                    continue
                words = line.split()
                if "inet6" in words:
                    return words[words.index("inet6") + 1].split("/")[0]
            time.sleep(0.05)
        raise RuntimeError("no link-local address on %s in %s" % (dev, ns))

    def start(self, name, ns, argv, logpath, env=None):
        d = Daemon(name, ns, argv, logpath, env)
        self.daemons.append(d)
        return d

    def cleanup(self):
        for d in reversed(self.daemons):
            try:
                d.stop(grace=5.0)
            except Exception:  # keep cleaning up the rest
                pass
        self.daemons = []
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "del", ns], check=False)
        self.namespaces = []
