#!/usr/bin/env python3
"""tests/daemon/sdnotify_test.py WGBABELD — wgbabeld as systemd sees it,
without systemd: the readiness datagrams it sends to $NOTIFY_SOCKET
(READY=1 once the control socket listens; RELOADING=1 with MONOTONIC_USEC
then READY=1 on SIGHUP, also when the new file has errors; STOPPING=1 on
SIGTERM) and the "<N>" priority prefixes of its lines when $JOURNAL_STREAM
names its standard error (and their absence when it names something else).

The daemon runs in a fresh network namespace as ctl_test.py does (root:
unshare -n; otherwise an unprivileged user+network namespace; exit 77 when
neither is possible). $NOTIFY_SOCKET is a path, which crosses network
namespaces; an abstract name ('@...') would not.
Ends with the line "N passed, N failed".
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from testlib import HANG, check, stop, summary, wait_for

WGBABELD = sys.argv[1]


def wrap():
    if os.geteuid() == 0:
        return ["unshare", "-n"]
    if subprocess.run(["unshare", "-rn", "true"],
                      capture_output=True).returncode:
        return None
    return ["unshare", "-rn"]


def write_conf(tmp, extra=""):
    conf = os.path.join(tmp, "wgbabeld.conf")
    with open(conf, "w") as f:
        f.write("control-socket %s/rw.sock\n" % tmp)
        f.write("state-file %s/state\nruntime-dir %s/run\n" % (tmp, tmp))
        f.write("router-id 02:11:22:ff:fe:33:44:55\n")
        f.write(extra)
    return conf


def fields(datagram):
    """KEY=VALUE lines of one notification, as a list of pairs."""
    return [tuple(l.split("=", 1)) for l in datagram.decode().split("\n")
            if "=" in l]


def recv(sock, timeout=HANG):
    sock.settimeout(timeout)
    try:
        return fields(sock.recv(4096))
    except socket.timeout:
        return []


def notify_and_journal(ns, tmp):
    nsock = os.path.join(tmp, "notify.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(nsock)
    conf = write_conf(tmp)
    logpath = os.path.join(tmp, "journal.log")
    log = open(logpath, "w")
    st = os.fstat(log.fileno())
    env = dict(os.environ, NOTIFY_SOCKET=nsock,
               JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    d = subprocess.Popen(ns + [WGBABELD, "-c", conf], stdout=log,
                         stderr=log, env=env)
    try:
        m = recv(srv)
        check("READY=1 arrives once wgbabeld has started",
              ("READY", "1") in m, m)
        check("the READY=1 datagram carries a STATUS=",
              any(k == "STATUS" for k, _ in m), m)
        check("at READY=1 the control socket listens already",
              os.path.exists(os.path.join(tmp, "rw.sock")))

        d.send_signal(signal.SIGHUP)
        m = recv(srv)
        usec = dict(m).get("MONOTONIC_USEC", "")
        check("SIGHUP: RELOADING=1 first, with MONOTONIC_USEC",
              ("RELOADING", "1") in m and re.fullmatch(r"\d+", usec), m)
        if usec:
            now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            check("MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds",
                  0 <= now - int(usec) < 10 * 1000000, (now, usec))
        m = recv(srv)
        check("SIGHUP: then READY=1 when the reload is done",
              ("READY", "1") in m, m)

        with open(conf, "a") as f:
            f.write("no-such-keyword here\n")
        d.send_signal(signal.SIGHUP)
        m1, m2 = recv(srv), recv(srv)
        check("a reload of a file with errors: RELOADING=1, then READY=1 "
              "(the previous configuration runs on)",
              ("RELOADING", "1") in m1 and ("READY", "1") in m2
              and "errors" in dict(m2).get("STATUS", ""), (m1, m2))

        d.send_signal(signal.SIGTERM)
        m = recv(srv)
        check("SIGTERM: STOPPING=1", ("STOPPING", "1") in m, m)
        try:	# the shutdown under way, not a second SIGTERM from stop()
            d.wait(HANG)
        except subprocess.TimeoutExpired:
            pass
    finally:
        rc = stop(d)
        srv.close()
        log.close()
    check("wgbabeld exits 0 after STOPPING=1", rc == 0, "exit %s" % rc)

    lines = open(logpath).read().splitlines()
    check("with JOURNAL_STREAM = stderr's dev:ino every line starts <N>",
          lines and all(re.match(r"<[3467]>", l) for l in lines),
          "\n".join(lines))
    check("info lines are <6>",
          any(l.startswith("<6>") and "started" in l for l in lines),
          "\n".join(lines))
    check("the failed reload is an error line, <3>",
          any(l.startswith("<3>reload failed") for l in lines),
          "\n".join(lines))
    check("no textual level, no time stamp in journal lines",
          not any("error: " in l[:12] or "wgbabeld: " in l for l in lines),
          "\n".join(lines))


def no_journal(ns, tmp):
    """JOURNAL_STREAM naming another file (as when the caller redirected
    stderr), and no NOTIFY_SOCKET: plain lines, and the daemon runs."""
    conf = write_conf(tmp)
    logpath = os.path.join(tmp, "plain.log")
    other = os.path.join(tmp, "other")
    open(other, "w").close()
    st = os.stat(other)
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    env.pop("NOTIFY_SOCKET", None)
    log = open(logpath, "w")
    d = subprocess.Popen(ns + [WGBABELD, "-c", conf], stdout=log,
                         stderr=log, env=env)
    try:
        check("without NOTIFY_SOCKET wgbabeld starts as before",
              wait_for(lambda: os.path.exists(os.path.join(tmp, "rw.sock")),
                       d))
    finally:
        rc = stop(d)
        log.close()
    lines = open(logpath).read().splitlines()
    check("JOURNAL_STREAM of another file: no <N> prefix, time and name "
          "as usual", rc == 0 and lines and
          all(re.match(r"\d\d:\d\d:\d\d\.\d{3} wgbabeld: ", l)
              for l in lines), "\n".join(lines))


def main():
    ns = wrap()
    if ns is None:
        print("sdnotify_test: not root and no user namespaces; skipped")
        return 77
    for run in (notify_and_journal, no_journal):
        tmp = tempfile.mkdtemp(prefix="wgb-sdn-")
        try:
            run(ns, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
