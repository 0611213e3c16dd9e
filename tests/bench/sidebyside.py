#!/usr/bin/env python3
"""Side-by-side Babel receiver benchmark (issue 7). Run it via run.sh.

For each receiver and each N: a fresh pair of namespaces, the sender (BIRD, or
wgbabeld with --sender wgbabeld) originating N IPv6 /64s in the sender
namespace, the receiver started in the other one, and the phases described in
tests/bench/README.md.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import measure, peers, report  # noqa: E402
from lib.netns import Lab  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def poll_interval(n):
    # The count is kept up to date by notifications; reading it is free.
    return 0.02


def wait_count(counter, pid, target, limit, interval, daemon=None):
    """Poll the route count until it equals target (or the daemon dies, or
    `limit` seconds pass). Returns (reached, seconds, last, max, first) where
    first is the time the count first moved away from its starting value."""
    t0 = time.monotonic()
    last = start = counter.count(pid)
    hi = last
    first = None
    while True:
        now = time.monotonic()
        if first is None and last != start:
            first = now - t0
        if last == target:
            return True, now - t0, last, hi, first
        if now - t0 > limit or (daemon is not None and not daemon.alive()):
            return False, now - t0, last, hi, first
        time.sleep(interval)
        last = counter.count(pid)
        hi = max(hi, last)


class Result(dict):
    pass


def died(r, d, when):
    rc = d.proc.returncode
    how = "killed by signal %d" % -rc if rc < 0 else "exit status %d" % rc
    r["error"] = "receiver died %s (%s); log tail: %s" % (
        when, how, d.log_tail(5).replace("\n", " | "))
    return r


def one_run(rcv, n, args, workdir):
    """Every phase for one receiver and one N; returns a Result."""
    r = Result(receiver=rcv.name, n=n, sender=args.sender)
    snd = peers.SENDERS[args.sender](workdir, args.wgbabeld)
    lab = Lab(rcv.name[:2])
    counter = None
    try:
        lab.setup()
        counter = measure.RouteCounter(lab.receiver, lab.sender_ll,
                                       args.routecount)
        sender, load_s = snd.start(lab, n, "10.255.0.1", "a")
        r["sender_load_s"] = round(load_s, 2)
        if getattr(snd, "kernel_s", None) is not None:
            r["sender_kernel_load_s"] = round(snd.kernel_s, 2)
        # snmp6 counters are per namespace: read them through a helper
        # process that lives in the receiver namespace from before the
        # receiver starts to the end.
        probe = lab.start("probe", lab.receiver, ["sleep", "100000"],
                          os.path.join(workdir, "probe.log"))
        time.sleep(0.05)
        drops0 = measure.snmp6(probe.pid)
        interval = poll_interval(n)

        # Phase 1: receiver start -> all N routes in the kernel.
        t0 = time.monotonic()
        d = lab.start(rcv.name, lab.receiver, rcv.argv(),
                      rcv.path("log"), rcv.environment())
        ok, secs, last, hi, first = wait_count(counter, d.pid, n,
                                               args.timeout, interval, d)
        r["first_route_s"] = round(first, 2) if first is not None else None
        r["converged"] = ok
        r["converge_s"] = round(time.monotonic() - t0, 2) if ok else None
        r["reached"] = last
        r["reached_max"] = hi
        r["cpu_at_converge"] = round(measure.cpu_seconds(d.pid), 3)
        r["hwm_kb"] = measure.status_kb(d.pid, "VmHWM")
        r["drops"] = (measure.snmp6(probe.pid) or 0) - (drops0 or 0)
        r["rcvbuf"] = measure.udp_rcvbuf(d.pid)
        if not d.alive():
            return died(r, d, "while converging")

        # Phase 2: steady state CPU, measured over args.steady seconds.
        c0 = measure.cpu_seconds(d.pid)
        s0 = time.monotonic()
        time.sleep(args.steady)
        c1 = measure.cpu_seconds(d.pid)
        r["steady_cpu_per_min"] = round((c1 - c0) * 60.0 / (time.monotonic() - s0), 3)
        r["count_after_steady"] = counter.count(d.pid)
        r["count_check_ipv6_route"] = measure.table_count(d.pid, lab.sender_ll)
        r["drops_total"] = (measure.snmp6(probe.pid) or 0) - (drops0 or 0)

        # Phase 3: a full dump over the control socket, and the memory it
        # adds: the peak RSS is reset first (clear_refs 5, Linux >= 4.0),
        # so VmHWM after the dump less VmRSS before it is what the dump
        # took at its peak, whatever converging took.
        # --dumps K: K dumps, the medians of time and addition (a loaded
        # machine makes single runs scatter; the JSON has each).
        try:
            times, added, cpus = [], [], []
            for _ in range(args.dumps):
                rss0 = measure.reset_peak_rss(d.pid)
                c0 = measure.cpu_seconds(d.pid)
                secs, lines = rcv.dump()
                cpus.append(measure.cpu_seconds(d.pid) - c0)
                hwm1 = measure.status_kb(d.pid, "VmHWM")
                times.append(secs)
                if rss0 is not None and hwm1 is not None:
                    added.append(max(0, hwm1 - rss0))
            r["dump_s"] = round(sorted(times)[len(times) // 2], 3)
            r["dump_s_all"] = [round(t, 3) for t in times]
            # The daemon's CPU time in the dump: what a loaded machine
            # does not inflate as much as the wall time.
            r["dump_cpu_s"] = round(sorted(cpus)[len(cpus) // 2], 3)
            r["dump_cpu_s_all"] = [round(t, 3) for t in cpus]
            r["dump_lines"] = lines
            if added:
                r["dump_added_kb"] = sorted(added)[len(added) // 2]
                r["dump_added_kb_all"] = added
        except Exception as e:  # report, go on with the other phases
            r["dump_error"] = str(e)
        if hasattr(rcv, "ctl_show_routes"):
            try:
                secs, lines = rcv.ctl_show_routes()
                r["ctl_show_routes_s"] = round(secs, 3)
                r["ctl_show_routes_lines"] = lines
            except Exception as e:
                r["ctl_show_routes_error"] = str(e)

        # Phase 4: SIGTERM the sender; time until no route is left.
        t0 = time.monotonic()
        sender.signal(signal.SIGTERM)
        ok, secs, last, _, _ = wait_count(counter, d.pid, 0, args.timeout,
                                          interval, d)
        if not d.alive():
            return died(r, d, "after the sender's SIGTERM")
        r["withdraw_s"] = round(secs, 2) if ok else None
        r["withdraw_left"] = last
        sender.stop(grace=10.0)

        # Phase 5: a new sender (new router-id, so no feasibility distance
        # from the first one gets in the way); once the receiver has all
        # routes again, SIGKILL it: the receiver must find out by itself.
        if args.no_kill:
            return r
        sender2, _ = snd.start(lab, n, "10.255.0.3", "b")
        ok, secs, last, _, _ = wait_count(counter, d.pid, n, args.timeout,
                                          interval, d)
        if not d.alive():
            return died(r, d, "after the sender restarted")
        r["reconverge_s"] = round(secs, 2) if ok else None
        if last <= 0:
            r["kill_s"] = None
            r["kill_note"] = "no routes after sender restart"
            return r
        r["kill_from"] = last
        sender2.signal(signal.SIGKILL)
        ok, secs, last, _, _ = wait_count(counter, d.pid, 0, args.kill_timeout,
                                          interval, d)
        if not d.alive():
            return died(r, d, "after the sender's SIGKILL")
        r["kill_s"] = round(secs, 2) if ok else None
        r["kill_left"] = last
        r["cpu_total"] = round(measure.cpu_seconds(d.pid), 3)
        r["hwm_total_kb"] = measure.status_kb(d.pid, "VmHWM")
        return r
    except Exception as e:
        r["error"] = str(e)
        return r
    finally:
        if counter is not None:
            counter.close()
        lab.cleanup()


def fmt_secs(v, limit, left=None):
    if v is None:
        return report.dnf(limit, "" if left is None else "(%d left)" % left)
    return report.fmt(v)


def print_table(results, args):
    hdr = ["receiver", "N", "converge s", "first s", "CPU s", "HWM MB", "rcvbuf",
           "drops", "steady CPU s/min", "dump s (lines)", "dump CPU s", "dump +MB",
           "withdraw s", "kill s"]
    rows = []
    for r in results:
        if "error" in r and "converged" not in r:
            rows.append([r["receiver"], str(r["n"]), "error: " + r["error"]])
            continue
        if r.get("converged"):
            conv = report.fmt(r["converge_s"])
        else:
            conv = report.dnf(args.timeout, "(%d, max %d)" % (
                r.get("reached", 0), r.get("reached_max", 0)))
        rb = r.get("rcvbuf") or []
        rbs = ",".join("%dK" % (x // 1024) for x in rb) or "?"
        dump = ("%.3f (%d)" % (r["dump_s"], r["dump_lines"]) if "dump_s" in r
                else ("failed (JSON)" if "dump_error" in r else "-"))
        if "withdraw_left" in r:
            wd = fmt_secs(r.get("withdraw_s"), args.timeout, r["withdraw_left"])
        else:
            wd = "-"
        if "kill_left" in r:
            kl = fmt_secs(r.get("kill_s"), args.kill_timeout, r["kill_left"])
        else:
            kl = r.get("kill_note", "-")
        cpu = r.get("cpu_at_converge")
        hwm = r.get("hwm_kb")
        rows.append([
            r["receiver"], str(r["n"]), conv,
            report.fmt(r.get("first_route_s")),
            report.fmt(cpu, 3, "?"),
            report.fmt(hwm / 1024.0 if hwm is not None else None, 1, "?"),
            rbs, str(r.get("drops", "?")),
            report.fmt(r.get("steady_cpu_per_min"), 3),
            dump, report.fmt(r.get("dump_cpu_s"), 3),
            report.fmt(r["dump_added_kb"] / 1024.0
                             if "dump_added_kb" in r else None, 1, "-"),
            wd, kl])
        if "error" in r:
            rows.append(["", "", "error: " + r["error"]])
    widths = [max([len(hdr[i])] + [len(row[i]) for row in rows
                                   if len(row) == len(hdr)])
              for i in range(len(hdr))]
    line = " | ".join(h.ljust(widths[i]) for i, h in enumerate(hdr))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        if len(row) != len(hdr):
            print(" | ".join(row))
        else:
            print(" | ".join(c.ljust(widths[i]) for i, c in enumerate(row)))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", nargs="*", type=int)
    ap.add_argument("--quick", action="store_true", help="N=1000 only")
    ap.add_argument("--receivers", default=",".join(peers.ORDER),
                    help="comma-separated subset of " + ",".join(peers.ORDER))
    ap.add_argument("--timeout", type=int, default=90,
                    help="limit of each convergence/withdrawal phase (s)")
    ap.add_argument("--kill-timeout", type=int, default=120,
                    help="limit of the SIGKILL phase (s)")
    ap.add_argument("--steady", type=float, default=20.0,
                    help="seconds over which steady-state CPU is measured")
    ap.add_argument("--shim", required=True, help="path of rcvbuf_shim.so")
    ap.add_argument("--routecount", help="path of the routecount helper "
                    "(lib/routecount.c); without it routes are counted in "
                    "Python, which lags behind fast withdrawals")
    ap.add_argument("--no-kill", action="store_true",
                    help="skip the SIGKILL phase")
    ap.add_argument("--wgbabeld", help="the wgbabeld binary to measure "
                    "(wgbabelctl next to it)")
    ap.add_argument("--sender", choices=sorted(peers.SENDERS), default="bird",
                    help="the daemon that originates the N prefixes "
                    "(default bird; wgbabeld uses the --wgbabeld binary)")
    ap.add_argument("--dumps", type=int, default=1,
                    help="dumps in phase 3 (the median time is shown)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (configs, daemon logs)")
    args = ap.parse_args()

    report.unwind_on_signals()

    ns = [1000] if args.quick else (args.n or [1000, 10000, 100000])
    snd = peers.SENDERS[args.sender](None, args.wgbabeld)
    if not snd.available():
        print("sender %s: not available%s" % (
            args.sender, " (--wgbabeld)" if args.sender == "wgbabeld" else ""),
            file=sys.stderr)
        return 2
    wgb = args.wgbabeld
    wgbctl = os.path.join(os.path.dirname(wgb), "wgbabelctl") if wgb else None
    report.header(report.machine_description(snd.describe()) + [
        "wgbabeld: %s" % (wgb or "not given (--wgbabeld)"),
        "limits: %d s per convergence/withdrawal, %d s after SIGKILL; "
        "steady CPU over %.0f s; large buffer: SO_RCVBUFFORCE %d MiB "
        "(LD_PRELOAD shim); sender: %s" % (
            args.timeout, args.kill_timeout, args.steady,
            peers.BIG_RCVBUF >> 20, args.sender),
        ""])

    results = []
    with report.workdir("wgbb-bench-", args.keep) as workdir:
        for name in args.receivers.split(","):
            cls = peers.RECEIVERS.get(name)
            if cls is None:
                print("unknown receiver %s" % name, file=sys.stderr)
                return 2
            rcv = cls(workdir, args.shim)
            if name == "wgbabeld":
                rcv.binary, rcv.ctl = wgb, wgbctl
            if not rcv.available():
                print("skipping %s: not available" % name)
                continue
            for n in ns:
                report.running(name, n)
                r = one_run(rcv, n, args, workdir)
                results.append(r)
                report.result(r)
        print()
        print_table(results, args)
        report.write_json(args.json, {
            "machine": report.machine_description(snd.describe()),
            "sender": args.sender, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
