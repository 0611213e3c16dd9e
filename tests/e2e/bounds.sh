# tests/e2e/bounds.sh: the timing and loss bounds of the e2e scenarios
# that differ between where they run, in one place (sourced by topo.sh;
# topo_bound NAME gives the one in force).
#
# Two tables: the host (wireguard-go; the bounds the issues ask for) and
# the qemu guest (kernel WireGuard under TCG emulation, about ten times
# slower: every process start, poll of `wg` and packet's crypto). A guest
# bound is listed only where the host's does not hold there, each with
# the measurement that made it wider. "-" means not asserted, only
# logged. An environment variable named in a comment overrides the value.

declare -gA TOPO_BOUND_HOST=(
    # From a health check's verdict to the client's move, s (issue 15:
    # 1 s): check.sh polls the client's allowed IPs; egress.sh times it
    # by the client's traffic, which holds in the guest too.
    [check.move]=1.0
    [egress.move]=1.0
    # check.sh, egress.sh: how far the 100/s sender (pace_ping.py) may
    # fall behind its schedule, ms (137 ms seen at load 10 on 2 cores).
    [sender.lag_ms]=1000
    # egress.sh: how long the uplink-failure window sends, s.
    [egress.uplink_window]=4
    # join.sh: a node joining a converged mesh has every route, s
    # (issue 16: 2 s plus the write). JOIN_GUEST_LIM overrides the
    # guest's.
    [join.converge]=2
    # linkcut.sh: from the cut to the move, s (issue 16: 2 s at most).
    # WGB_LINKCUT_MAX overrides.
    [linkcut.move]=2
    # mesh20.sh: every route direct after convergence, s.
    [mesh20.direct]=30
    # multihop.sh: pings lost (100/s) across a crash or SIGTERM restart of
    # transit n3: each direction loses what is in flight on the 60 ms
    # detour when n2 and n4 move back (6 at 100/s), twice over each way;
    # 7 to 12 measured (tests/bench/README.md).
    [multihop.restart_lost]=24
    # multihop.sh: n3's silence in a keep-routes-on-exit restart (its
    # last Hello to the new instance's first), s: 0.15-0.56 s measured,
    # well inside the 3 s its neighbours grant (RESTART_BACK_MS).
    [multihop.keep_gap]=1.5
    # multihop.sh: echo requests lost in that restart: nobody moves.
    # 0 in 14 runs; 1 ("request n2>") in one at 1e27c14 (2026-12-05).
    # Its timelines: when n3's startup hold ended, 1 s after its start,
    # n3 selected 2001:db8:100::5 via n1 (metric 630), 5 ms later via n2
    # (438), 7 ms later via n4 (192): its neighbours' tables came in
    # after the hold, and what it announced on the way moved n2 to n4
    # and back within 12 ms. A bug (the restarted node announced before
    # it had its neighbours' tables: a neighbour answered its first
    # Hello only with its next periodic one), fixed in 77e30f7; 0 lost
    # in each run since: 4 (one with every node at nice 19 beside the
    # qemu guest), then 10 in a row at a657ae6 (tests/bench/README.md).
    [multihop.keep_lost]=0
    # redist.sh: a withdrawn kernel table gone from the peer, s.
    [redist.withdraw]=30
    # rtt.sh: the first RTT sample after a restart within this of ping's,
    # ms (RTT_GUEST_TOL overrides the guest's); within this many s of the
    # restart; the prefix back on the nearer origin within, s.
    [rtt.tol_ms]=5
    [rtt.first]=5
    [rtt.back]=10
)

declare -gA TOPO_BOUND_GUEST=(
    # 1.7 s measured: each look at the client's allowed IPs costs 0.3 s.
    [check.move]=3.0
    # The emulated sender falls seconds behind: logged only.
    [sender.lag_ms]=-
    # The window must hold the failure, the check's verdict and the move,
    # each slower under emulation (the move alone 2.3 s after the verdict
    # there, tests/bench/README.md).
    [egress.uplink_window]=15
    # One pass of the convergence poll over 21 nodes takes seconds.
    [join.converge]=30
    # Outage 1.03-1.07 s, but the polled move 3.3 s: each poll of wg
    # costs a few process starts.
    [linkcut.move]=5
    # Took 12 s once (host: 1-3 s).
    [mesh20.direct]=90
    # The "under 1 s lost" at 100/s. Measured 8 and 10 in crash
    # restarts and 7 and 8 in SIGTERM restarts (2026-12-05, 53911c9 and
    # f454d00): within the host's 24. Wider because once (fe51300) a crash
    # restart lost 121, 113 of them requests n3 still forwarded after n4
    # had moved off it and before n2 did: under emulation the two moves
    # came about 1 s apart. Was 1000 ("not explained") before these runs.
    [multihop.restart_lost]=100
    # Every process start is about ten times slower: n3 silent 1.395,
    # 2.004, 1.996, 2.209 and 2.442 s, and 5.925 s once with the host
    # loaded (ASan unit tests and an e2e run beside the guest). Past the
    # 3 s its neighbours grant (RESTART_BACK_MS) they move, which
    # multihop.keep_lost bounds: logged only.
    [multihop.keep_gap]=-
    # Ten runs in a row at d5a3156 (tests/bench/README.md): 0 lost in
    # six, 1 reply in two, 2 requests ("request n2>") in one, and 10 (5
    # requests) in the one where n3 was silent 3.18 s, past the 3 s its
    # neighbours grant, so they moved. Earlier runs: 3 requests twice,
    # 1 and 13 with n3 silent 5.9 and 7.0 s on a loaded host. The 1-2
    # with n3 back in time: n2 and n4 answered n3's first Hello with an
    # infinite rxcost, so its links came up only with their periodic
    # Hellos, at times after its startup hold (fixed in fef62ac,
    # tests/bench/README.md). What one move there and back loses: 24.
    [multihop.keep_lost]=24
    # The table's dump and withdrawal under emulation (redist.sh runs on
    # the host only in CI).
    [redist.withdraw]=120
    # Under emulation a Hello waited behind the daemons' and WireGuard's
    # work before it was read: samples 1 to 20 ms above ping's, a 25 ms
    # bound. Since samples count from the kernel's receive time
    # (SO_TIMESTAMPNS), one run: every sample within 3.8 ms of ping's,
    # the first 0.01 s after the restart, the prefix back at once
    # (2026-12-05); the bounds keep twice that margin and more.
    [rtt.tol_ms]=10
    [rtt.first]=10
    [rtt.back]=15
)

# topo_bound NAME: the bound in force here (the guest's when running in
# the guest and it has one, else the host's); fails on an unknown name.
topo_bound() {
    if [ "${WGB_IN_GUEST:-0}" = 1 ] && [ -n "${TOPO_BOUND_GUEST[$1]+x}" ]; then
        echo "${TOPO_BOUND_GUEST[$1]}"
    elif [ -n "${TOPO_BOUND_HOST[$1]+x}" ]; then
        echo "${TOPO_BOUND_HOST[$1]}"
    else
        echo "topo_bound: no bound named $1" >&2
        return 1
    fi
}
