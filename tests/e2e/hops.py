#!/usr/bin/env python3
"""tests/e2e/hops.py: where each lost echo request or reply of a ping went
missing, from captures on every node's WireGuard interface.

usage: hops.py FROM TO SRCNODE=SRC DSTNODE=DST NODE=PCAP...

FROM, TO: epoch seconds bounding the requests looked at; SRC, DST: the
addresses of the pinging and the pinged node, after their node names;
then each node's name with
its capture (tcpdump -w on its wg interface, which sees a forwarded packet
twice: in, and out with the hop limit one less).

A request (SRC -> DST) is lost when no capture saw it arrive at DST's
node; a reply (DST -> SRC) when none saw it at SRC's.  For each, one line
"request SEQ LAST" or "reply SEQ LAST": LAST is the node the packet was
last seen at (its lowest hop limit), with ">" when that node sent it on
(out through WireGuard, so dropped on the way to the next node or by the
next node's WireGuard, e.g. cryptokey routing); without ">" the node
received it and did not send it on.  "-" : seen nowhere.
"""
import re
import subprocess
import sys

PAT = re.compile(r'^(\d+\.\d+) IP6 \(.*?hlim (\d+).*?\) (\S+) > (\S+): '
                 r'.*echo (request|reply), id (\d+), seq (\d+)')


def main():
    t_from, t_to = float(sys.argv[1]), float(sys.argv[2])
    req_from, src = sys.argv[3].split('=', 1)
    rep_from, dst = sys.argv[4].split('=', 1)
    caps = [a.split('=', 1) for a in sys.argv[5:]]
    seen = {}   # (kind, id, seq) -> [(node, time, hlim)]
    for node, path in caps:
        out = subprocess.run(['tcpdump', '-r', path, '-tt', '-n', '-v'],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = PAT.match(line)
            if not m:
                continue
            t, h, s, d, kind, ident, seq = m.groups()
            if (s, d) == (src, dst) and kind == 'request':
                pass
            elif (s, d) == (dst, src) and kind == 'reply':
                pass
            else:
                continue
            seen.setdefault((kind, int(ident), int(seq)), []).append(
                (node, float(t), int(h)))
    # the requests in the window (by their first sighting), by id
    window = {k: v for k, v in seen.items() if k[0] == 'request'
              and t_from <= min(c[1] for c in v) <= t_to}
    for (kind, ident, seq), copies in sorted(window.items(),
                                               key=lambda kv: kv[0][2]):
        if any(n == rep_from for n, _, _ in copies):
            rep = seen.get(('reply', ident, seq), [])
            if any(n == req_from for n, _, _ in rep):
                continue
            print('reply', seq, last(rep, rep_from))
        else:
            print('request', seq, last(copies, req_from))


def last(copies, origin):
    if not copies:
        return '-'
    node, _, h = min(copies, key=lambda c: (c[2], -c[1]))
    out = node == origin or any(n == node and hh == h + 1
                                for n, _, hh in copies)
    return node + ('>' if out else '')


if __name__ == '__main__':
    main()
