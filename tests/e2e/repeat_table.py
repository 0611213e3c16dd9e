#!/usr/bin/env python3
"""tests/e2e/repeat_table.py DIR: the figures of a tests/e2e/repeat.sh run
as one Markdown table for tests/bench/README.md.

Reads DIR/run-N.log, takes each scenario's own summary line ("# ..."),
and prints per figure its range over the runs (and median), then every
run's value in run order ("a, b; a, b" for a pair).  A figure missing
from a run (a scenario not in the list, or one that failed before its
summary) is left out of that run's values, and the count of runs that
had it is given when it is not all of them."""
import glob
import re
import statistics
import sys

# (figure, regular expression over a whole run's log: one group per value)
FIGURES = [
    ("anycast convergence s", r"^# convergence time: ([0-9.]+)s"),
    ("failover planned: % of pings lost, requests lost",
     r"^# failover loss.*planned ([0-9.]+)% \(requests lost (\d+)"),
    ("failover withdraw: % lost", r"^# failover loss.*withdraw ([0-9.]+)%"),
    ("failover SIGTERM: % lost", r"^# failover loss.*SIGTERM ([0-9.]+)%"),
    ("failover crash: moved after s", r"^# failover loss.*\(moved after ([0-9.]+) s\)"),
    ("link cut: moved after s, outage ms",
     r"^# link cut \(silent.*moved after ([0-9.]+) s, outage (\d+) ms"),
    ("health check: move after the verdict s, back s",
     r"^# health check \(.*failover ([0-9.]+)s after the verdict, back ([0-9.]+)s"),
    ("multihop crash restart: lost, requests",
     r"^# transit restart loss.*crash-restart (\d+) of \d+ \((\d+) requests"),
    ("multihop SIGTERM restart: lost, requests",
     r"^# transit restart loss.*SIGTERM-restart (\d+) of \d+ \((\d+) requests"),
    ("multihop keep-routes restart: lost, requests",
     r"^# transit restart loss.*keep-routes-on-exit (\d+) of \d+ \((\d+) requests"),
    ("multihop keep-routes: n3 silent s", r"^# transit restart loss.*n3 silent ([0-9.]+) s\)"),
    ("mesh20: converged s", r"^# 20-node full mesh.*converged ([0-9.]+)s"),
    ("interop: withdrawal gone at babeld, BIRD, FRR ms",
     r"^# babeld: no forwarding route to the withdrawn 2001:db8:1::/48 after (\d+) ms\n"
     r"# BIRD: no forwarding route to the withdrawn 2001:db8:1::/48 after (\d+) ms\n"
     r"# FRR's babeld: no forwarding route to the withdrawn 2001:db8:1::/48 after (\d+) ms"),
    ("egress: verdict s, move after it s",
     r"^# egress health check.*verdict ([0-9.]+)s after the uplink failed, c's traffic on e2 ([0-9.]+)s"),
    ("egress drain: moved s, requests lost",
     r"^# egress health check.*drain: moved after ([0-9.]+)s, (\d+) of"),
    ("rtt: first sample ms, at s", r"^# rtt after restart.*first ([0-9.]+) ms at ([0-9.]+) s"),
    ("rtt: prefix back after s", r"^# rtt after restart.*prefix back on o1 after ([0-9.]+) s"),
    ("rtt: ping before, ms", r"^# rtt after restart.*\(([0-9.]+) ms before the restart"),
    ("join: routes in the kernel after s",
     r"^# node joined.*its \d+ routes in its kernel after ([0-9.]+) s"),
]


def fmt(x):
    return "%g" % x


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: repeat_table.py DIR")
    files = sorted(glob.glob(sys.argv[1] + "/run-*.log"),
                   key=lambda f: int(re.search(r"run-(\d+)", f).group(1)))
    if not files:
        sys.exit("repeat_table.py: no run-N.log in " + sys.argv[1])
    texts = [open(f, encoding="utf-8", errors="replace").read() for f in files]
    results = []
    for t in texts:
        m = re.findall(r"^(\d+) passed, (\d+) failed", t, re.M)
        results.append("%s/%s" % m[-1] if m else "no result")
    print("runs: %d; passed/failed each: %s" % (len(files), ", ".join(results)))
    print()
    print("| figure | range (median) | each run |")
    print("|---|---|---|")
    for name, rx in FIGURES:
        vals = []
        for t in texts:
            m = re.findall(rx, t, re.M)
            if m:
                last = m[-1] if isinstance(m[-1], tuple) else (m[-1],)
                vals.append(tuple(float(x) for x in last))
        if not vals:
            continue
        cols = list(zip(*vals))
        if len(cols) == 1:
            c = cols[0]
            rng = "%s-%s (median %s)" % (fmt(min(c)), fmt(max(c)), fmt(statistics.median(c)))
        else:
            rng = " / ".join("%s-%s" % (fmt(min(c)), fmt(max(c))) for c in cols)
        each = "; ".join(", ".join(fmt(x) for x in v) for v in vals)
        if len(vals) != len(texts):
            name += " (%d runs)" % len(vals)
        print("| %s | %s | %s |" % (name, rng, each))


if __name__ == "__main__":
    main()
