#!/usr/bin/env python3
"""tests/daemon/ctl_discover_test.py WGBABELCTL — which control socket
wgbabelctl talks to: -i IFACE is RUN_DIR/IFACE.sock, the only *.sock in
RUN_DIR is found without options, several are an error that lists them and
points at -i, and -s or $WGBABELD_SOCKET still win.

RUN_DIR is a temporary directory given as $WGBABELCTL_RUN_DIR (an override
for tests only; the real one is /run/wgbabeld). The sockets are served by
small fakes that greet as wgbabeld does and answer every command with their
own name, so no daemon or namespace is needed. The cases without options
are skipped when this machine has a /run/wgbabeld.sock, which wins.
Ends with the line "N passed, N failed".
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from testlib import HANG, check, summary

WGBABELCTL = sys.argv[1]
DEFAULT_SOCKET = "/run/wgbabeld.sock"


class Fake:
    """A control socket that says which one it is."""

    def __init__(self, path, name):
        self.name = name
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.bind(path)
        self.s.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            with c:
                c.sendall(b"BABEL 1.0\nok\n")
                f = c.makefile("rb")
                if f.readline():
                    c.sendall(("served-by %s\nok\n" % self.name).encode())

    def close(self):
        self.s.close()


def ctl(run_dir, *args, env_socket=None):
    env = dict(os.environ, WGBABELCTL_RUN_DIR=run_dir)
    env.pop("WGBABELD_SOCKET", None)
    if env_socket:
        env["WGBABELD_SOCKET"] = env_socket
    p = subprocess.run([WGBABELCTL] + list(args) + ["show", "status"],
                       capture_output=True, text=True, timeout=HANG, env=env)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def main():
    tmp = tempfile.mkdtemp(prefix="wgb-discover-")
    run = os.path.join(tmp, "run")
    os.mkdir(run)
    fakes = []
    default_exists = os.path.exists(DEFAULT_SOCKET)
    try:
        # A file that is no socket does not count.
        open(os.path.join(run, "stale.sock"), "w").close()
        fakes.append(Fake(os.path.join(run, "wg0.sock"), "wg0"))
        r = ctl(run, "-i", "wg0")
        check("-i wg0 talks to RUN_DIR/wg0.sock", r[:2] == (0, "served-by wg0"),
              r)
        if default_exists:
            print("# %s exists here: the cases without options are "
                  "skipped" % DEFAULT_SOCKET)
        else:
            r = ctl(run)
            check("the only socket in RUN_DIR is found without options "
                  "(a plain file named .sock is not one)",
                  r[:2] == (0, "served-by wg0"), r)
            # The instance's read-only socket beside it is not another one.
            fakes.append(Fake(os.path.join(run, "wg0-ro.sock"), "wg0-ro"))
            r = ctl(run)
            check("wg0.sock with its wg0-ro.sock: still one instance, wg0",
                  r[:2] == (0, "served-by wg0"), r)
        other = os.path.join(tmp, "other.sock")
        fakes.append(Fake(other, "other"))
        r = ctl(run, env_socket=other)
        check("$WGBABELD_SOCKET wins over the search",
              r[:2] == (0, "served-by other"), r)
        r = ctl(run, "-s", other)
        check("-s wins over the search", r[:2] == (0, "served-by other"), r)

        fakes.append(Fake(os.path.join(run, "wg1.sock"), "wg1"))
        if not default_exists:
            r = ctl(run)
            check("two sockets: exit 2, both named, -i suggested",
                  r[0] == 2 and "wg0 wg1" in r[2] and "-i" in r[2], r)
        r = ctl(run, "-i", "wg1")
        check("two sockets: -i wg1 picks wg1",
              r[:2] == (0, "served-by wg1"), r)
        r = ctl(run, "-i", "wg0", env_socket=other)
        check("-i wins over $WGBABELD_SOCKET",
              r[:2] == (0, "served-by wg0"), r)
        r = ctl(run, "-s", other, "-i", "wg0")
        check("-s and -i together are a usage error (exit 2)", r[0] == 2, r)
        r = ctl(run, "-i", "../wg0")
        check("-i with a '/' is not an interface name (exit 2)",
              r[0] == 2 and "not an interface name" in r[2], r)
        r = ctl(run, "-i", "wg9")
        check("-i of an instance that is not running: exit 3, path named",
              r[0] == 3 and os.path.join(run, "wg9.sock") in r[2], r)

        if not default_exists:
            for f in fakes:
                f.close()
            for n in ("wg0.sock", "wg0-ro.sock", "wg1.sock"):
                os.unlink(os.path.join(run, n))
            r = ctl(run)
            check("no socket anywhere: exit 3 naming the default socket",
                  r[0] == 3 and DEFAULT_SOCKET in r[2], r)
    finally:
        for f in fakes:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
