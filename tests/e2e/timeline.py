#!/usr/bin/env python3
"""tests/e2e/timeline.py: one wgbabeld node's selected next hops over a
run, from its control socket's "monitor" stream (tests/e2e/topo.sh starts
one per node and writes its output to $WGT_DIR/NODE.timeline).

usage: timeline.py SOCKET START_US

START_US: the run's start, microseconds since the epoch. One line per
change, stamped with the wall clock (as the daemons' logs) and the seconds
since START_US:

  20:42:21.514 +3.212 2001:db8:100::5/128 via fe80::3 if wg0 metric 384 (was none)
  20:42:31.002 +12.700 2001:db8:100::5/128 none (was fe80::3 if wg0)
  20:42:31.002 +12.700 neighbour fe80::3 if wg0 gone

The first lines are the state when it connected (the monitor's "add"
walk). Kept: a route line whose selected next hop changed, a neighbour
added or flushed; a new metric, seqno or link cost is left out. A route
deselected and another of its prefix selected right after (the engine's
switch is two events) is one line. Ends when the daemon closes the
socket (it stopped), or on SIGTERM.

It speaks the control protocol itself (wgbabelctl(8): lines; "ok" ends
the greeting) rather than read `wgbabelctl monitor`: one process per
node, reading in blocks (a shell's `read` takes a pipe a byte at a time,
which cost 133 s of CPU over mesh20's 20 nodes).
"""
import re
import select
import signal
import socket
import sys
import time

ROUTE = re.compile(r'^(add|change|flush) route (\S+) prefix (\S+) from (\S+) '
                   r'installed (yes|no) .* metric (\d+) .* via (\S+) if (\S+)')
NEIGH = re.compile(r'^(add|flush) neighbour \S+ address (\S+) if (\S+)')
DEFAULT_FROM = ('::/0', '0.0.0.0/0')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    path, start = sys.argv[1], int(sys.argv[2]) / 1e6
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        sys.exit(f'timeline.py: {path}: {e}')
    rest = b''
    greeted = False
    sel = {}        # prefix -> "ADDR if IF" of its selected route
    selid = {}      # prefix -> that route's id
    selkey = {}     # route id -> prefix, for the selected ones
    pend = None     # (prefix, line): a deselection not shown yet
    out = sys.stdout

    def stamp():
        now = time.time()
        return '%s.%03d +%.3f' % (time.strftime('%H:%M:%S', time.localtime(now)),
                                  int(now * 1000) % 1000, now - start)

    def put(line):
        out.write(line + '\n')

    while True:
        out.flush()
        # What came in one read is "right after"; else 0.1 s at most.
        if pend and not select.select([s], [], [], 0.1)[0]:
            put(pend[1])
            pend = None
            continue
        data = s.recv(1 << 16)
        if not data:
            break
        lines = (rest + data).split(b'\n')
        rest = lines.pop()
        for raw in lines:
            line = raw.decode('utf-8', 'replace')
            if not greeted:             # the greeting, up to "ok"
                if line == 'ok':
                    greeted = True
                    s.sendall(b'monitor\n')
                continue
            if line.startswith(('add neighbour ', 'flush neighbour ')):
                m = NEIGH.match(line)
                if not m:
                    continue
                if pend:
                    put(pend[1])
                    pend = None
                put('%s neighbour %s if %s %s' % (stamp(), m.group(2), m.group(3),
                                                  'up' if m.group(1) == 'add' else 'gone'))
                continue
            if ' route ' not in line:
                continue
            m = ROUTE.match(line)
            if not m:
                continue
            verb, rid, prefix, src, installed, metric, via, ifn = m.groups()
            yes = verb != 'flush' and installed == 'yes'
            if rid in selkey:
                if yes:
                    continue            # a new metric of the selected route
                key = selkey.pop(rid)
                selid.pop(key, None)
                if pend:
                    put(pend[1])
                pend = (key, '%s %s none (was %s)' % (stamp(), key, sel.pop(key, 'none')))
                continue
            if not yes:
                continue
            key = prefix if src in DEFAULT_FROM else '%s from %s' % (prefix, src)
            hop = '%s if %s' % (via, ifn)
            if pend and pend[0] == key:
                was = pend[1].rsplit('(was ', 1)[1][:-1]
                pend = None
            else:
                was = sel.get(key, 'none')
            if key in selid:            # selected before the old one said
                selkey.pop(selid[key], None)    # it is not any more
            selid[key] = rid
            selkey[rid] = key
            sel[key] = hop
            if hop == was:
                continue
            if pend:
                put(pend[1])
                pend = None
            put('%s %s via %s metric %s (was %s)' % (stamp(), key, hop, metric, was))
    if pend:
        put(pend[1])
    out.flush()


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError, ConnectionResetError):
        pass
