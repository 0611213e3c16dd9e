#!/usr/bin/env python3
"""tests/daemon/ctl_perm_test.py WGBABELD WGBABELCTL LISTEN_PROBE — the
control sockets keep out whom their mode and group keep out from the first
instant they accept connections, even when wgbabeld starts under umask 000.

LISTEN_PROBE is the LD_PRELOAD shim built from listen_probe.c: at the
instant each socket starts listening it holds the daemon while uid 65534
tries to connect, and records the socket file's mode and group. No timing
is involved, so the test fails every time the window exists.

Needs root (to drop to uid 65534 and to put the daemon in its own network
namespace with unshare -n); exits 77 (skipped) otherwise.
Ends with the line "N passed, N failed".
"""
import errno
import grp
import os
import shutil
import socket
import subprocess
import sys
import tempfile

from testlib import HANG, check, stop, summary, wait_for

WGBABELD, WGBABELCTL, PROBE = sys.argv[1], sys.argv[2], sys.argv[3]
NOBODY = 65534


def as_nobody(fn):
    """Runs fn() in a child as uid/gid 65534 without groups; its string."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(w, fn().encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return out


def try_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return "ok"
    except OSError as e:
        return os.strerror(e.errno)
    finally:
        s.close()


def leftovers(tmp):
    return [n for n in os.listdir(tmp) if n.startswith(".")]


def start(conf, tmp, fail_listen=False):
    env = dict(os.environ)
    env["LD_PRELOAD"] = PROBE
    env["WGB_PROBE_OUT"] = os.path.join(tmp, "probe.log")
    env["WGB_PROBE_PATHS"] = "%s:%s" % (os.path.join(tmp, "rw.sock"),
                                        os.path.join(tmp, "ro.sock"))
    # In a sanitizer build the shim comes before the ASan runtime.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":verify_asan_link_order=0").lstrip(":")
    if fail_listen:
        env["WGB_PROBE_FAIL"] = "1"
    log = open(os.path.join(tmp, "wgbabeld.log"), "w")
    d = subprocess.Popen(["unshare", "-n", WGBABELD, "-c", conf],
                         stdout=log, stderr=subprocess.STDOUT, env=env,
                         preexec_fn=lambda: os.umask(0))
    log.close()
    return d


def wait_ready(d, paths):
    return wait_for(lambda: all(try_connect(p) == "ok" for p in paths), d)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return str(e)


def parse_probe(text):
    """[(bound, {"mode": .., "gid": .., path: result, ...})] per listen."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "listen":
            continue
        kv = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        kv["complete"] = "cannot-drop-privileges" not in words
        out.append((words[1], kv))
    return out


def run_started(tmp, conf, rw, ro, nogroup):
    d = start(conf, tmp)
    try:
        ready = wait_ready(d, [rw, ro])
        check("wgbabeld started under umask 000 opens both sockets, "
              "replacing a stale one", ready,
              read(os.path.join(tmp, "wgbabeld.log")))
        if not ready:
            return
        probe = read(os.path.join(tmp, "probe.log"))
        listens = parse_probe(probe)
        check("the probe saw one listen() per socket, rw then ro",
              len(listens) == 2 and all(kv["complete"] for _, kv in listens),
              probe)
        for (bound, kv), name, mode, gid in zip(
                listens, ("read-write", "read-only"),
                ("0600", "0660"), (0, nogroup.gr_gid)):
            reached = [p for p, res in kv.items() if res == "ok"]
            check("uid 65534 cannot connect to the %s socket at the instant "
                  "it starts listening" % name, not reached,
                  "connected to %s; socket mode %s at that instant"
                  % (", ".join(reached), kv.get("mode")))
            check("the %s socket has mode %s and group %d before it listens"
                  % (name, mode, gid),
                  kv.get("mode") == mode and kv.get("gid") == str(gid),
                  "mode %s gid %s" % (kv.get("mode"), kv.get("gid")))
        st_rw, st_ro = os.stat(rw), os.stat(ro)
        check("after start rw.sock is mode 0600 and ro.sock mode 0660 "
              "group %s" % nogroup.gr_name,
              st_rw.st_mode & 0o777 == 0o600 and st_ro.st_mode & 0o777 == 0o660
              and st_ro.st_gid == nogroup.gr_gid,
              (oct(st_rw.st_mode), oct(st_ro.st_mode), st_ro.st_gid))
        res = as_nobody(lambda: try_connect(ro))
        check("uid 65534 in group %s connects to the read-only socket "
              "(the probe could see a connection)" % nogroup.gr_name,
              res == "ok", res)
        res = as_nobody(lambda: try_connect(rw))
        check("uid 65534 is refused by the read-write socket",
              res == os.strerror(errno.EACCES), res)
        check("no temporary directory is left next to the sockets",
              not leftovers(tmp), leftovers(tmp))
        p = subprocess.run([WGBABELCTL, "-s", rw, "show", "status"],
                           capture_output=True, text=True, timeout=HANG)
        check("wgbabelctl show status answers on the read-write socket",
              p.returncode == 0 and "router-id 02:11:22:ff:fe:33:44:55"
              in p.stdout, (p.returncode, p.stdout, p.stderr))
        p = subprocess.run([WGBABELCTL, "-s", ro, "show", "originated"],
                           capture_output=True, text=True, timeout=HANG)
        check("wgbabelctl show originated answers on the read-only socket",
              p.returncode == 0 and "2001:db8:1::/48" in p.stdout,
              (p.returncode, p.stdout, p.stderr))
    finally:
        rc = stop(d)
        check("wgbabeld exits 0 on SIGTERM and removes its sockets",
              rc == 0 and not os.path.exists(rw) and not os.path.exists(ro),
              "exit %s" % rc)


def run_failing(tmp, conf, rw, ro, what, expect, fail_listen=False):
    d = start(conf, tmp, fail_listen)
    try:
        rc = d.wait(HANG)
    except subprocess.TimeoutExpired:
        rc = "still running (%s after SIGTERM)" % stop(d)
    log = read(os.path.join(tmp, "wgbabeld.log"))
    check("%s: wgbabeld exits 1 and says '%s'" % (what, expect),
          rc == 1 and expect in log, "exit %s\n%s" % (rc, log))
    check("%s: no temporary directory and no socket left behind" % what,
          not leftovers(tmp) and not os.path.exists(rw),
          (leftovers(tmp), os.path.exists(rw)))


def main():
    if os.geteuid() != 0:
        print("ctl_perm_test: needs root to act as uid 65534; skipped")
        return 77
    try:
        nogroup = grp.getgrgid(NOBODY)
    except KeyError:
        print("ctl_perm_test: no group %d on this machine; skipped" % NOBODY)
        return 77
    tmp = tempfile.mkdtemp(prefix="wgb-perm-")
    os.chmod(tmp, 0o755)
    rw, ro = os.path.join(tmp, "rw.sock"), os.path.join(tmp, "ro.sock")
    conf = os.path.join(tmp, "wgbabeld.conf")
    with open(conf, "w") as f:
        f.write("control-socket %s\n" % rw)
        f.write("control-socket-ro %s mode 0660 group %s\n"
                % (ro, nogroup.gr_name))
        f.write("state-file %s/state\nruntime-dir %s/run\n" % (tmp, tmp))
        f.write("router-id 02:11:22:ff:fe:33:44:55\n")
        f.write("announce 2001:db8:1::/48 metric 10\n")
    try:
        reach = as_nobody(lambda: str(os.access(tmp, os.X_OK)))
        check("uid 65534 can reach %s (else this test proves nothing)" % tmp,
              reach == "True", reach)
        # A socket left by a daemon that died.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(rw)
        stale.close()
        run_started(tmp, conf, rw, ro, nogroup)

        run_failing(tmp, conf, rw, ro, "listen() fails",
                    "cannot open the control socket %s" % rw,
                    fail_listen=True)
        with open(ro, "w") as f:
            f.write("not a socket\n")
        run_failing(tmp, conf, rw, ro, "a file where ro.sock goes",
                    "%s exists and is not a socket" % ro)
        check("the file where ro.sock goes is left alone",
              read(ro) == "not a socket\n", read(ro))
        # DIR/.wgbabeld-XXXXXX/s must fit in sun_path (107 bytes): a
        # directory part of 89 bytes does not.
        long_dir = tmp + "/" + "d" * (88 - len(tmp))
        long_conf = os.path.join(tmp, "long.conf")
        with open(long_conf, "w") as f:
            f.write("control-socket %s/s.sock\n" % long_dir)
            f.write("state-file %s/state\nruntime-dir %s/run\n" % (tmp, tmp))
        os.unlink(ro)
        run_failing(tmp, long_conf, rw, ro, "a directory of 89 bytes",
                    "%s/s.sock: directory name too long" % long_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
