#!/usr/bin/env python3
"""tests/daemon/ctl_test.py WGBABELD WGBABELCTL — the control protocol over a
real UNIX socket against a running wgbabeld (no interfaces: nothing here
needs WireGuard).

Run as root it puts the daemon in a fresh network namespace (unshare -n) so
UDP port 6696 is its own; otherwise it tries an unprivileged user+network
namespace, and exits 77 (skipped) when neither is possible.
Ends with the line "N passed, N failed".
"""
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

from testlib import HANG, check, stop, summary, wait_for

WGBABELD, WGBABELCTL = sys.argv[1], sys.argv[2]


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(HANG)
        self.s.connect(path)
        self.buf = b""
        self.greeting = self.reply()

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def reply(self):
        """Lines up to and including the closing ok / error: / bad."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line in ("ok", "bad", "no") or line.startswith("error: "):
                return lines

    def cmd(self, text):
        self.s.sendall((text + "\n").encode())
        return self.reply()

    def close(self):
        self.s.close()


def rss_kb(pid):
    """The daemon's resident memory in kB (None if unreadable)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def unread(s):
    """How many bytes wait in socket s's receive queue."""
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]


def log_count(tmp, text):
    with open(os.path.join(tmp, "wgbabeld.log")) as f:
        return f.read().count(text)


def ctl(sock, *args):
    p = subprocess.run([WGBABELCTL, "-s", sock] + list(args),
                       capture_output=True, text=True, timeout=HANG)
    return p.returncode, p.stdout, p.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="wgb-ctl-")
    rw, ro = os.path.join(tmp, "rw.sock"), os.path.join(tmp, "ro.sock")
    conf = os.path.join(tmp, "wgbabeld.conf")
    with open(conf, "w") as f:
        f.write("control-socket %s\n" % rw)
        f.write("control-socket-ro %s mode 0666\n" % ro)
        f.write("state-file %s/state\nruntime-dir %s/run\n" % (tmp, tmp))
        f.write("router-id 02:11:22:ff:fe:33:44:55\n")
        f.write("announce 2001:db8:1::/48 metric 10\n")
    if os.geteuid() == 0:
        wrap = ["unshare", "-n"]
    else:
        wrap = ["unshare", "-rn"]
        if subprocess.run(wrap + ["true"], capture_output=True).returncode:
            print("ctl_test: not root and no user namespaces; skipped")
            return 77
    log = open(os.path.join(tmp, "wgbabeld.log"), "w")
    # Large buffers always mmap'd, unmapped when freed: the daemon's
    # resident memory then shows what it holds (the unread dump below),
    # not what glibc kept of earlier replies. Under ASan, what is freed
    # waits in a quarantine of 256 MB before it is used again, so the
    # resident memory grows by what was allocated meanwhile, not by what
    # is held: 14 MB in one run of three on a loaded machine, failing
    # the check. A 1 MB quarantine still catches a use just after a free.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":quarantine_size_mb=1").lstrip(":")
    d = subprocess.Popen(wrap + [WGBABELD, "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: os.path.exists(rw) and os.path.exists(ro), d)
        ok = os.path.exists(rw)
        check("wgbabeld starts and opens its sockets", ok,
              open(os.path.join(tmp, "wgbabeld.log")).read())
        if not ok:
            return 1
        run_tests(rw, ro, conf, d, tmp)
    finally:
        stop(d)
        check("wgbabeld exits 0 on SIGTERM and removes its sockets",
              d.returncode == 0 and not os.path.exists(rw),
              "exit %s" % d.returncode)
        try:
            state = open(os.path.join(tmp, "state")).read()
        except OSError as e:
            state = str(e)
        check("the state file keeps the router-id and a seqno",
              re.fullmatch(r"router-id 02:11:22:ff:fe:33:44:55\nseqno \d+\n",
                           state) is not None, state)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


def run_tests(rw, ro, conf, d, tmp):
    check("the read-write socket is mode 0600",
          oct(os.stat(rw).st_mode & 0o777) == "0o600",
          oct(os.stat(rw).st_mode))
    check("the read-only socket has the configured mode 0666",
          oct(os.stat(ro).st_mode & 0o777) == "0o666")

    c = Client(rw)
    check("greeting is babeld's: BABEL 1.0, version, host, my-id, ok",
          c.greeting[0] == "BABEL 1.0"
          and c.greeting[1].startswith("version wgbabeld-")
          and c.greeting[2].startswith("host ")
          and c.greeting[3] == "my-id 02:11:22:ff:fe:33:44:55"
          and c.greeting[-1] == "ok", c.greeting)
    check("an unknown command is answered 'bad'", c.cmd("frobnicate") == ["bad"])
    r = c.cmd("show")
    check("'show' alone explains what to show",
          r[-1].startswith("error: usage: show interfaces|") and
          r[-1].endswith("show what?"), r)
    r = c.cmd("show originated")
    check("show originated lists the configured announce",
          r == ["2001:db8:1::/48 metric 10 (config)", "ok"], r)
    r = c.cmd("announce 2001:db8:2::/48 metric 5")
    check("announce answers ok", r == ["ok"], r)
    r = c.cmd("announce 2001:db8:2::1/48")
    check("announce with host bits gives the parser's message",
          r == ["error: announce: '2001:db8:2::1/48' has bits set past /48 "
                "(did you mean 2001:db8:2::/48?)"], r)
    r = c.cmd("announce 2001:db8:3::/48 metric 70000")
    check("announce with a metric out of range is refused",
          r == ["error: announce: metric must be 0 to 65534"], r)
    r = c.cmd("withdraw 2001:db8:9::/48")
    check("withdrawing what is not announced is an error",
          r == ["error: 2001:db8:9::/48 is not announced by this node"], r)
    r = c.cmd("show originated json")
    doc = json.loads(r[0])
    check("show originated json is JSON with both prefixes",
          sorted(o["prefix"] for o in doc["originated"])
          == ["2001:db8:1::/48", "2001:db8:2::/48"], r)
    r = c.cmd("dump")
    xr = [l for l in r if l.startswith("add xroute ")]
    check("dump has babeld's xroute lines",
          "add xroute 2001:db8:2::/48-::/0 prefix 2001:db8:2::/48 from ::/0 "
          "metric 5" in xr and r[-1] == "ok", r)
    for what in ("interfaces", "neighbours", "routes", "originated",
                 "allowedips", "refused", "status"):
        r = c.cmd("show %s --json" % what)
        try:
            json.loads("\n".join(r[:-1]))
            good = r[-1] == "ok"
        except ValueError:
            good = False
        check("show %s --json is one JSON document then ok" % what, good, r)
    r = c.cmd("show status")
    check("show status names the router-id",
          r[0] == "router-id 02:11:22:ff:fe:33:44:55 seqno " + r[0].split()[-1], r)
    check("show status counts routes refused at a limit",
          "routes refused at a limit 0" in r, r)
    check("show status counts ignored source-specific TLVs",
          "source-specific updates and requests ignored 0" in r, r)
    r = c.cmd("show status --json")
    check("show status --json has refused_routes",
          json.loads(r[0]).get("refused_routes") == 0, r)
    check("show status --json counts ignored source-specific TLVs",
          json.loads(r[0]).get("source_specific_ignored") == 0, r)

    # show route ADDRESS|PREFIX: no neighbour here, so no route covers
    # anything (the match itself: tests/engine/test_views.c, hub.sh).
    r = c.cmd("show route 10.9.9.9")
    check("show route with no covering route is an error",
          r == ["error: show route: no route to 10.9.9.9"], r)
    r = c.cmd("show route 2001:db8::1/16")
    check("show route of a malformed prefix gives the parser's message",
          len(r) == 1 and r[0].startswith("error: show route: ")
          and "bits set" in r[0], r)
    r = c.cmd("show route 10.9.9.9 json extra")
    check("show route with extra words is a usage error",
          r == ["error: usage: show route ADDRESS|PREFIX [json]"], r)

    # Pipelined commands in one write are answered in order.
    c.s.sendall(b"show originated\nhelp\nfoo\n")
    a, b, e = c.reply(), c.reply(), c.reply()
    check("pipelined commands are answered in order",
          a[-1] == "ok" and b[0] == "commands:" and e == ["bad"], [a, b, e])

    # A line longer than the limit is refused and the connection closed.
    long_client = Client(rw)
    long_client.s.sendall(b"x" * 5000)
    try:
        r = long_client.reply()
        closed = r == ["error: line too long"]
        long_client.line()
        closed = False
    except (EOFError, ConnectionResetError):
        pass
    check("an over-long line is refused and the client disconnected", closed)

    # Read-only socket: shows, refuses changes.
    r_o = Client(ro)
    r = r_o.cmd("show originated")
    check("the read-only socket answers show", r[-1] == "ok", r)
    r = r_o.cmd("announce 2001:db8:7::/48")
    check("the read-only socket refuses announce",
          r == ["error: announce: this socket is read-only"], r)
    r = r_o.cmd("withdraw 2001:db8:1::/48")
    check("the read-only socket refuses withdraw",
          r == ["error: withdraw: this socket is read-only"], r)

    # monitor: current state, then changes from another client.
    m = Client(rw)
    first = m.cmd("monitor")
    check("monitor starts with the current state as add lines",
          any(l.startswith("add xroute 2001:db8:2::/48") for l in first)
          and first[-1] == "ok", first)
    c.cmd("announce 2001:db8:4::/48")
    line = m.line()
    check("monitor streams a new xroute",
          line.startswith("add xroute 2001:db8:4::/48-::/0"), line)
    # Event-driven, not polled: a change made on the monitoring connection
    # itself is written in the loop turn of the command, so before its ok.
    r = m.cmd("announce 2001:db8:8::/48 metric 3")
    check("monitor: the event is written when the change is made, before "
          "the ok of the command that made it",
          len(r) == 2 and r[0] == "add xroute 2001:db8:8::/48-::/0 prefix "
          "2001:db8:8::/48 from ::/0 metric 3" and r[1] == "ok", r)
    r = m.cmd("withdraw 2001:db8:8::/48")
    check("monitor: so is the flush of a withdrawal",
          len(r) == 2 and r[0].startswith("flush xroute 2001:db8:8::/48-::/0")
          and r[1] == "ok", r)
    c.cmd("withdraw 2001:db8:4::/48")
    line = m.line()
    check("monitor streams the withdrawal as flush",
          line.startswith("flush xroute 2001:db8:4::/48-::/0"), line)
    mj = Client(rw)
    first = mj.cmd("monitor json")
    evs = [json.loads(l) for l in first[:-1]]
    check("monitor json replays the state as JSON events",
          any(e["event"] == "add" and e["type"] == "xroute" for e in evs), first)
    c.cmd("announce 2001:db8:5::/48")
    ev = json.loads(mj.line())
    check("monitor json streams changes",
          ev["event"] == "add" and "2001:db8:5::/48" in ev["line"], ev)
    check("monitor json events have typed fields",
          ev["type"] == "xroute" and ev["prefix"] == "2001:db8:5::/48"
          and ev["from"] == "::/0" and ev["metric"] == 0, ev)
    ifs = [e for e in evs if e["type"] == "interface"]
    check("monitor json's first events are typed too",
          all(isinstance(e.get("prefix"), str) and isinstance(e.get("metric"), int)
              for e in evs if e["type"] == "xroute") and len(evs) >= 2
          and all(isinstance(e.get("up"), bool) for e in ifs), evs)

    # wgbabelctl: output, exit codes, messages. These and the reloads
    # run before the 100,000 prefixes below make every show a long reply:
    # under ASan with a load average of 8, "wgbabelctl --json show
    # originated" of them took 9.7 s of the 10 s its run was allowed.
    rc, out, err = ctl(rw, "show", "originated")
    check("wgbabelctl show originated exits 0 and prints the list",
          rc == 0 and "2001:db8:1::/48 metric 10 (config)" in out, (rc, out, err))
    rc, out, err = ctl(rw, "--json", "show", "originated")
    check("wgbabelctl --json prints JSON", rc == 0 and json.loads(out), (rc, out, err))
    rc, out, err = ctl(rw, "announce", "2001:db8:6::/48", "metric", "3")
    rc2, out2, _ = ctl(rw, "show", "originated")
    check("wgbabelctl announce ... metric N works",
          rc == 0 and "2001:db8:6::/48 metric 3 (control socket)" in out2, (rc, err, out2))
    rc, out, err = ctl(rw, "withdraw", "2001:db8:6::/48")
    check("wgbabelctl withdraw works", rc == 0, (rc, err))
    rc, out, err = ctl(rw, "withdraw", "2001:db8:6::/48")
    check("wgbabelctl reports the daemon's error and exits 1",
          rc == 1 and err.strip() == "wgbabelctl: 2001:db8:6::/48 is not "
          "announced by this node", (rc, err))
    rc, out, err = ctl(os.path.join(tmp, "nope.sock"), "show", "routes")
    check("wgbabelctl explains a missing daemon and exits 3",
          rc == 3 and "cannot connect to %s: No such file or directory "
          "— is wgbabeld running?" % os.path.join(tmp, "nope.sock") in err,
          (rc, err))
    # wgbabelctl(8) EXIT STATUS: 2 for a usage error, also one only the
    # daemon can see (a command it does not know, the wrong words).
    rc, out, err = ctl(rw, "show", "bogus")
    check("wgbabelctl show bogus is a usage error (exit 2) listing what "
          "to show", rc == 2 and "unknown 'bogus'" in err
          and "interfaces|neighbours" in err, (rc, err))
    rc, out, err = ctl(rw, "frobnicate")
    check("wgbabelctl with an unknown command is a usage error (exit 2)",
          rc == 2 and "did not understand" in err, (rc, err))
    rc, out, err = ctl(rw, "announce")
    check("wgbabelctl announce without a prefix is a usage error (exit 2)",
          rc == 2 and "usage: announce PREFIX" in err, (rc, err))
    rc, out, err = ctl(rw, "announce", "2001:db8::1/16")
    check("wgbabelctl announce of a bad prefix is refused (exit 1)",
          rc == 1 and "bits set" in err, (rc, err))
    rc, out, err = ctl(rw, "show")
    check("wgbabelctl show alone is a usage error (exit 2)", rc == 2, (rc, err))
    p = subprocess.run([WGBABELCTL, "--bogus"], capture_output=True,
                       text=True, timeout=HANG)
    check("wgbabelctl with an unknown option exits 2",
          p.returncode == 2 and "--help" in p.stderr, (p.returncode, p.stderr))

    # --version and -V: both programs, one version string.
    vers = []
    for prog, name in ((WGBABELD, "wgbabeld"), (WGBABELCTL, "wgbabelctl")):
        for opt in ("--version", "-V"):
            p = subprocess.run([prog, opt], capture_output=True, text=True,
                               timeout=HANG)
            m = re.fullmatch(name + r" (\S+)\n", p.stdout)
            check("%s %s prints its version and exits 0" % (name, opt),
                  p.returncode == 0 and m, (p.returncode, p.stdout, p.stderr))
            vers.append(m.group(1) if m else None)
    greet = c.greeting[1][len("version wgbabeld-"):]
    check("both programs and the greeting give one version",
          len(set(vers)) == 1 and vers[0] == greet, (vers, greet))

    # wgbabeld -t: check a file without starting.
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("interface wg0\nhello-interval 4\n")
    p = subprocess.run([WGBABELD, "-t", "-c", bad], capture_output=True,
                       text=True, timeout=HANG)
    check("wgbabeld -t reports FILE:LINE and exits 1 for a bad file",
          p.returncode == 1 and p.stderr.strip() ==
          "wgbabeld: %s:2: unknown directive 'hello-interval'" % bad,
          (p.returncode, p.stderr))
    p = subprocess.run([WGBABELD, "-t", "-c", conf], capture_output=True,
                       text=True, timeout=HANG)
    check("wgbabeld -t accepts a good file and exits 0",
          p.returncode == 0 and "configuration OK" in p.stdout,
          (p.returncode, p.stdout, p.stderr))
    p = subprocess.run([WGBABELD, "--bogus"], capture_output=True,
                       text=True, timeout=HANG)
    check("an unknown option is a usage error (exit 2)",
          p.returncode == 2 and "--help" in p.stderr, (p.returncode, p.stderr))

    # SIGHUP: a bad file is reported and the running state kept. The
    # signal and the next command reach the loop in either order: each
    # check waits for the log line of the reload it follows.
    with open(conf, "a") as f:
        f.write("bogus-directive\n")
    failed = log_count(tmp, "reload failed")
    d.send_signal(signal.SIGHUP)
    logged = wait_for(lambda: log_count(tmp, "reload failed") > failed, d)
    r = c.cmd("show originated")
    check("a bad reload keeps running with the old configuration",
          logged and d.poll() is None
          and "2001:db8:1::/48 metric 10 (config)" in r, r)
    # A good reload: the announce line changes.
    with open(conf) as f:
        text = f.read().replace("bogus-directive\n", "").replace(
            "announce 2001:db8:1::/48 metric 10", "announce 2001:db8:8::/48")
    with open(conf, "w") as f:
        f.write(text)
    done = log_count(tmp, "configuration reloaded from")
    d.send_signal(signal.SIGHUP)
    logged = wait_for(
        lambda: log_count(tmp, "configuration reloaded from") > done, d)
    r = c.cmd("show originated")
    check("a good reload withdraws removed lines and announces new ones",
          logged and "2001:db8:8::/48 metric 0 (config)" in r
          and not any(l.startswith("2001:db8:1::/48") for l in r)
          and any(l.startswith("2001:db8:2::/48") for l in r), r)

    # A client that never reads does not block anyone.
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(rw)
    hog.setblocking(False)
    sent = 0
    try:
        for _ in range(20000):
            sent += hog.send(b"help\n")
    except BlockingIOError:
        pass
    # Its replies (some 1,200 bytes per help) back up once the daemon has
    # answered one read of its commands: more than its socket takes. A
    # daemon that waited for it would not answer c; one that does not,
    # answers as soon as it gets a CPU, which on a loaded machine is no
    # fixed time (a bound of 1 s here was a guess at the machine's load).
    backed_up = wait_for(lambda: unread(hog) > 0, d)
    t0 = time.monotonic()
    r = c.cmd("show originated")
    dt = time.monotonic() - t0
    check("a client that does not read does not delay others (%d "
          "commands, %d bytes of replies unread; answered in %.3f s)"
          % (sent // 5, unread(hog), dt), backed_up and r[-1] == "ok", r)
    hog.close()

    # A monitor that does not read is dropped once more than the queue
    # limit (8 MiB) is waiting for it; nobody else is disturbed.
    slow = Client(rw)
    slow.cmd("monitor")
    n = 100000
    batch = "".join("announce 2001:db8:%x:%x::/64\n" % (0x100 + i // 65536, i % 65536)
                    for i in range(n)).encode()
    # The batch is sent by a thread while this one reads the answers, and
    # without a timeout: under ASan on a loaded machine the daemon
    # may take longer than that to get through 100,000 announces, and
    # what is checked here is the monitor's disconnection, not a speed.
    c.s.settimeout(None)
    t0 = time.monotonic()
    sender = threading.Thread(target=c.s.sendall, args=(batch,))
    sender.start()
    answers = 0
    while answers < n:
        answers += 1 if c.line() == "ok" else 0
    took = time.monotonic() - t0
    sender.join()
    c.s.settimeout(HANG)
    # Each event is queued (and the monitor dropped) before the ok of the
    # command that made it, and the log is unbuffered: after each answer
    # the log says it or the queue is not past the limit yet.
    dropped = log_count(tmp, "monitor fell behind") > 0
    for _ in range(50):
        if dropped:
            break
        c.cmd("withdraw 2001:db8:100:%x::/64" % _)
        dropped = log_count(tmp, "monitor fell behind") > 0
    check("a monitor that stops reading is disconnected past the queue limit "
          "(%d announces took %.1f s)" % (n, took), dropped)
    r = c.cmd("show status")
    check("the daemon still answers after dropping it", r[-1] == "ok", r)
    slow.close()

    # A dump of 100,000 originated prefixes to a client that does not
    # read: the daemon goes on serving others and holds about one chunk of
    # it, not the 8 MB of text; read slowly, the dump comes out whole and
    # in order, and the command sent after it is answered after it.
    fast = c.cmd("dump")
    rss0 = rss_kb(d.pid)
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lazy.settimeout(HANG)
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.connect(rw)
    lazy.sendall(b"dump\nshow originated json\n")
    # The dump is under way once more than the greeting waits in lazy's
    # socket: only then do the checks below see it (sampled before, the
    # memory of a daemon that had not read lazy's command yet passed).
    started = wait_for(lambda: unread(lazy) > 65536, d)
    r = c.cmd("show status")
    rss1 = rss_kb(d.pid)
    check("a dump nobody reads does not hold up other clients",
          started and r[-1] == "ok", r)
    # Held whole, the dump would add its size; streamed, a chunk and what
    # waits (under 1 MB), plus allocator noise (ASan's redzones and its
    # 1 MB quarantine): half the dump tells the two apart.
    text_kb = sum(len(l) + 1 for l in fast) // 1024
    check("a dump nobody reads holds little memory (%s kB more, the dump is "
          "%d kB of text)" % (None if rss0 is None or rss1 is None
                              else rss1 - rss0, text_kb),
          rss0 is not None and rss1 is not None
          and rss1 - rss0 < text_kb // 2, (rss0, rss1))
    got = bytearray()
    while not got.endswith(b"]}\nok\n"):
        data = lazy.recv(1024)
        if not data:
            break
        got += data
    lazy.close()
    lines = got.decode().split("\n")[:-1]
    greet = lines.index("ok") + 1
    n = len(fast)
    check("a dump read slowly is complete and in the same order as one "
          "read at once (%d lines)" % n, lines[greet:greet + n] == fast,
          (len(lines), n))
    check("the command after a streamed dump is answered after it",
          json.loads(lines[greet + n]).get("originated") is not None
          and lines[-1] == "ok", lines[greet + n:][:3])

    # A monitor that asks for a dump gets every change meanwhile, also of
    # what the dump has not reached yet (only a new monitor's own first
    # state leaves those out: it shows them as they are then).
    m3 = Client(rw)
    m3.s.settimeout(HANG)
    first = m3.cmd("monitor")
    m3.s.sendall(b"dump\n")
    c.cmd("withdraw 2001:db8:101:1234::/64")
    seen = False
    while True:
        line = m3.line()
        seen |= line.startswith("flush xroute 2001:db8:101:1234::/64-::/0")
        if line == "ok":
            break
    check("a monitor's own dump does not hide a change from it",
          len(first) > 100000 and seen, (len(first), seen))
    m3.close()

    c.close()


if __name__ == "__main__":
    sys.exit(main())
