"""tests/daemon/testlib.py — what the daemon tests written in Python share:
the "ok N - name" lines, their closing line "N passed, N failed", and
stopping the daemon."""
import signal
import subprocess

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append(bool(cond))
    print(("ok" if cond else "not ok") + " %d - %s" % (len(RESULTS), name))
    if not cond and detail:
        for line in str(detail).splitlines():
            print("#   " + line)


def summary():
    """Prints the closing line; returns the exit status (0: all passed)."""
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    return 0 if passed == len(RESULTS) else 1


def stop(d):
    """SIGTERM, then SIGKILL after 10 s; returns the exit status."""
    if d.poll() is None:
        d.send_signal(signal.SIGTERM)
    try:
        d.wait(10)
    except subprocess.TimeoutExpired:
        d.kill()
        d.wait()
    return d.returncode
