#!/usr/bin/env python3
"""Where a benchmark's CPU goes: every wireguard-go and wgbabeld process
on the machine sampled every 0.25 s (or --every) for --seconds, then, for
each process and a window of the run, the CPU time it used (schedstat,
all threads, as wgpath.py counts it) and its context switches, split into
bursts (samples with more than --burst ms of CPU) and the rest.

    tests/bench/cpusample.py --seconds 600 --out /tmp/cpu.txt &
    tests/bench/wgpath.sh --orders sender-first --settle 150 --steady 256 100000
    tests/bench/cpusample.py --report /tmp/cpu.txt --from 200 --to 450

Recording needs root (other users' /proc/PID/task); the report prints one
line per process, then every burst of the process named by --bursts
(a substring of its command line, e.g. the receiver's interface name).
Not a test: it prints figures.
"""
import argparse
import glob
import os
import sys
import time

NAMES = ("wireguard-go", "wgbabeld")


def procs():
    found = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            cmd = open(d + "/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if not cmd or not cmd[0]:
            continue
        name = os.path.basename(cmd[0]).decode(errors="replace")
        if name in NAMES:
            args = b" ".join(c for c in cmd[1:] if c).decode(errors="replace")
            found.append((int(d[6:]), name, args.replace(" ", "_")[:80]))
    return found


def sample(pid):
    cpu = csw = 0
    for t in glob.glob("/proc/%d/task/*" % pid):
        with open(t + "/schedstat") as f:
            cpu += int(f.read().split()[0])
        with open(t + "/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                    csw += int(line.split()[1])
    return cpu, csw


def record(out, seconds, every):
    t0 = time.monotonic()
    with open(out, "w") as f:
        while time.monotonic() - t0 < seconds:
            now = time.monotonic() - t0
            for pid, name, args in procs():
                try:
                    cpu, csw = sample(pid)
                except (OSError, ValueError):
                    continue
                f.write("%.3f %d %s %s %d %d\n" % (now, pid, name, args or "-",
                                                   cpu, csw))
            f.flush()
            time.sleep(every)


def report(path, t_from, t_to, burst_ms, bursts):
    last, acc, names, lines = {}, {}, {}, []
    with open(path) as f:
        for line in f:
            t, pid, name, args, cpu, csw = line.split()
            t, pid, cpu, csw = float(t), int(pid), int(cpu), int(csw)
            names[pid] = "%s %s" % (name, args)
            if pid in last and t_from <= t <= t_to:
                dc = (cpu - last[pid][0]) / 1e6
                ds = csw - last[pid][1]
                a = acc.setdefault(pid, [t, t, 0.0, 0, 0.0, 0])
                a[1] = t
                a[2] += dc
                a[3] += ds
                if dc > burst_ms:
                    a[4] += dc
                    a[5] += ds
                    if bursts and bursts in names[pid]:
                        lines.append("  %8.2f s  %6.1f ms CPU  %5d switches"
                                     % (t, dc, ds))
            last[pid] = (cpu, csw)
    for pid, (a, b, cpu, csw, bcpu, bcsw) in sorted(acc.items()):
        span = b - a
        if span <= 0:
            continue
        print("%-60s %6.0f s: %.3f CPU-s/min, %.1f switches/s; bursts "
              "%.0f ms; the rest %.3f CPU-s/min, %.1f switches/s"
              % (names[pid][:60], span, cpu / span * 60 / 1000, csw / span,
                 bcpu, (cpu - bcpu) / span * 60 / 1000, (csw - bcsw) / span))
    if lines:
        print("bursts of %s (samples over %g ms):" % (bursts, burst_ms))
        print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="record into this file")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--every", type=float, default=0.25)
    ap.add_argument("--report", help="report on this recording")
    ap.add_argument("--from", dest="t_from", type=float, default=0)
    ap.add_argument("--to", dest="t_to", type=float, default=1e9)
    ap.add_argument("--burst", type=float, default=3.0,
                    help="ms of CPU in one sample that make it a burst")
    ap.add_argument("--bursts", help="list the bursts of this process")
    args = ap.parse_args()
    if args.out:
        record(args.out, args.seconds, args.every)
    elif args.report:
        report(args.report, args.t_from, args.t_to, args.burst, args.bursts)
    else:
        ap.error("--out or --report")


if __name__ == "__main__":
    sys.exit(main())
