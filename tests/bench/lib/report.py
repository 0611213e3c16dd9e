"""tests/bench/lib/report.py — what every benchmark prints around its own
table (sidebyside.py, wgpath.py): the machine it ran on, a line per run as
it starts and its figures as JSON when it ends, the cells' number formats,
and the frame of a run (signals that unwind it, the work directory kept or
removed, the JSON file).
"""

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile


def _version(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=5)
        return r.stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def machine_description(sender="bird"):
    """Lines naming the machine, its load and the Babel peers installed
    (the "peers:" line names SENDER too)."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    return [
        "machine: %d CPUs (nproc), %s" % (os.cpu_count(), cpu),
        "kernel:  %s %s" % (platform.system(), platform.release()),
        "memory:  %s" % mem,
        "load:    %s (1/5/15 min at start)" % " ".join(
            "%.2f" % x for x in os.getloadavg()),
        "peers:   %s; %s; sender: %s" % (_version(["babeld", "-V"]),
                                         _version(["bird", "--version"]),
                                         sender),
    ]


def header(lines):
    """Print LINES (the machine description and the run's own) at once."""
    for line in lines:
        print(line)
    sys.stdout.flush()


def running(what, n):
    """The line printed as one run starts."""
    print("running %s N=%d ..." % (what, n), flush=True)


def result(r):
    """One run's figures, as they are, when it ends."""
    print("  " + json.dumps(r), flush=True)


def fmt(v, digits=2, missing="-"):
    """A figure for a table cell; MISSING when there is none."""
    return missing if v is None else "%.*f" % (digits, v)


def dnf(limit, detail=""):
    """The cell of a phase that did not finish within LIMIT seconds."""
    return "DNF>%ds%s" % (limit, detail)


def unwind_on_signals(*signums):
    """Turn SIGNUMS (default TERM, HUP, INT) into SystemExit, so that the
    finally blocks run: they stop daemons by PID and delete namespaces."""
    def on_signal(signum, frame):
        raise SystemExit("interrupted by signal %d" % signum)

    for s in signums or (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)


@contextlib.contextmanager
def workdir(prefix, keep):
    """A fresh work directory (configs, logs, pcaps) for the run; said and
    kept with KEEP, else removed."""
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        if keep:
            print("work directory kept: %s" % path)
        else:
            subprocess.run(["rm", "-rf", path])


def write_json(path, obj):
    """Write OBJ to PATH when a path was given (--json)."""
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
