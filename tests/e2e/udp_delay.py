#!/usr/bin/env python3
"""tests/e2e/udp_delay.py: a UDP relay that delays every datagram, for
hosts whose kernel has no netem (tc qdisc netem).

Runs in node A's namespace between A's WireGuard and peer B:
  A's wg --> LISTEN ... (DELAY) ... OUT --> B's endpoint
  A's wg <-- LISTEN ... (DELAY) ... OUT <-- B's wg (B's endpoint for A is OUT)
so each direction is delayed by DELAY ms and the RTT grows by 2*DELAY.
The delay is read from DELAY_FILE (milliseconds) and re-read when the file
changes, so a test can change it while traffic flows.

usage: udp_delay.py LISTEN_IP:PORT OUT_IP:PORT PEER_IP:PORT A_IP:PORT DELAY_FILE
(A_IP:PORT: where A's WireGuard listens, for datagrams B sends first)
"""
import asyncio
import os
import sys


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


class Side(asyncio.DatagramProtocol):
    def __init__(self, relay, name):
        self.relay, self.name, self.transport = relay, name, None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, src):
        self.relay.received(self.name, data, src)


class Relay:
    def __init__(self, peer, a_addr, delay_file):
        self.peer, self.delay_file = peer, delay_file
        self.a_addr = a_addr  # where A's WireGuard sends from
        self.delay, self.mtime = 0.0, None
        self.listen = self.out = None

    def reload(self):
        try:
            m = os.stat(self.delay_file).st_mtime_ns
            if m != self.mtime:
                with open(self.delay_file) as f:
                    self.delay = float(f.read().strip() or 0) / 1000.0
                self.mtime = m
        except (OSError, ValueError) as e:
            print(f"udp_delay: {self.delay_file}: {e}", file=sys.stderr)
        asyncio.get_running_loop().call_later(0.1, self.reload)

    def received(self, side, data, src):
        if side == "listen":
            self.a_addr = src
            send = lambda: self.out.transport.sendto(data, self.peer)
        else:
            dst = self.a_addr
            send = lambda: self.listen.transport.sendto(data, dst)
        if self.delay > 0:
            asyncio.get_running_loop().call_later(self.delay, send)
        else:
            send()


async def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    relay = Relay(addr(sys.argv[3]), addr(sys.argv[4]), sys.argv[5])
    loop = asyncio.get_running_loop()
    _, relay.listen = await loop.create_datagram_endpoint(
        lambda: Side(relay, "listen"), local_addr=addr(sys.argv[1]))
    _, relay.out = await loop.create_datagram_endpoint(
        lambda: Side(relay, "out"), local_addr=addr(sys.argv[2]))
    relay.reload()
    print("udp_delay: ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
