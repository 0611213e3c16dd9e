"""tests/daemon/testlib.py — what the daemon tests written in Python share:
the "ok N - name" lines, their closing line "N passed, N failed", and
stopping the daemon."""
import signal
import subprocess
import time

RESULTS = []

# Every wait in these tests is for a condition (a socket, a reply, a log
# line); HANG is only how long one may take before the daemon is taken
# for hung. Under ASan on a machine with a load average of 65 a start or
# a long reply takes seconds, so this is far from any real wait; meson's
# timeout bounds each test as a whole.
HANG = 60


def wait_for(cond, d=None):
    """Polls cond() until it is true, the daemon d exits, or HANG passed;
    returns cond()."""
    end = time.monotonic() + HANG
    while not cond():
        if (d is not None and d.poll() is not None) or \
                time.monotonic() > end:
            return cond()
        time.sleep(0.05)
    return True


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
    """SIGTERM, then SIGKILL after HANG; returns the exit status. The
    exit of a daemon under ASan (its leak check walks the heap: 100,000
    prefixes in ctl_test.py) on a loaded machine is no fixed time."""
    if d.poll() is None:
        d.send_signal(signal.SIGTERM)
    try:
        d.wait(HANG)
    except subprocess.TimeoutExpired:
        d.kill()
        d.wait()
    return d.returncode
