#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture real Babel traffic between two babeld daemons (Debian's babeld
# 1.12) in two network namespaces joined by a veth pair, and store the pcap.
# tests/wire/extract-vectors.py turns the pcap into tests/wire/vectors/.
# Needs root, ip(8), babeld and tcpdump. CI does not run this: the vectors
# are committed. Usage: capture-babeld.sh OUT.pcap [SECONDS]
set -eu
out=${1:?usage: capture-babeld.sh OUT.pcap [SECONDS]}
secs=${2:-15}
tmp=$(mktemp -d /tmp/wgb-capture.XXXXXX)
A=wgbcapA.$$
B=wgbcapB.$$
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do
		# wait for our own children only
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
	ip -n "$ns" link set lo up
done
ip link add vethA netns "$A" type veth peer name vethB netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev vethA
ip -n "$B" addr add 10.99.0.2/24 dev vethB
ip -n "$A" link set vethA up
ip -n "$B" link set vethB up

# Local addresses (redistribute local) and static routes (proto 4) in both
# address families; several IPv6 prefixes share leading bytes, so babeld
# compresses them against the default prefix (RFC 8966 §4.5). One route is
# source-specific, so Updates carry a Source Prefix sub-TLV (RFC 9079).
ip -n "$A" addr add 10.77.0.1/32 dev lo
ip -n "$A" addr add 2001:db8:77::1/128 dev lo
ip -n "$A" route add 192.168.50.0/24 dev vethA proto static
ip -n "$A" route add 192.168.51.0/24 dev vethA proto static
ip -n "$A" -6 route add 2001:db8:50::/48 dev vethA proto static
ip -n "$A" -6 route add 2001:db8:50:1::/64 dev vethA proto static
ip -n "$A" -6 route add 2001:db8:51::/48 dev vethA proto static
ip -n "$A" -6 route add 2001:db8:52::/48 from 2001:db8:aaaa::/48 dev vethA proto static
ip -n "$B" addr add 10.78.0.1/32 dev lo
ip -n "$B" addr add 2001:db8:78::1/128 dev lo
ip -n "$B" route add 172.16.60.0/22 dev vethB proto static
ip -n "$B" -6 route add 2001:db8:60::/48 dev vethB proto static

for side in A B; do
	eval ns=\$$side
	if [ "$side" = A ]; then ifc=vethA; else ifc=vethB; fi
	cat > "$tmp/$side.conf" <<CONF
interface $ifc type wired hello-interval 1 update-interval 4 enable-timestamps true
redistribute local allow
redistribute proto 4 allow
CONF
done

ip netns exec "$A" tcpdump -q -U -i vethA -w "$tmp/cap.pcap" udp port 6696 \
	>"$tmp/tcpdump.log" 2>&1 &
pids="$pids $!"
sleep 1
ip netns exec "$A" babeld -c "$tmp/A.conf" -I "$tmp/A.pid" -S "$tmp/A.state" \
	-L "$tmp/A.log" vethA &
babA=$!
pids="$pids $babA"
ip netns exec "$B" babeld -c "$tmp/B.conf" -I "$tmp/B.pid" -S "$tmp/B.state" \
	-L "$tmp/B.log" vethB &
babB=$!
pids="$pids $babB"
sleep "$secs"
ip -n "$A" route show proto babel >"$tmp/routesA.txt" 2>&1 || true
ip -n "$A" -6 route show proto babel >>"$tmp/routesA.txt" 2>&1 || true
echo "routes babeld installed in A:"; cat "$tmp/routesA.txt"
# SIGTERM makes babeld retract its routes: capture those too.
kill "$babB"
sleep 2
kill "$babA"
sleep 1
cp "$tmp/cap.pcap" "$out"
echo "wrote $out"
