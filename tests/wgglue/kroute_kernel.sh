#!/usr/bin/env bash
# tests/wgglue/kroute_kernel.sh [BUILD_DIR] — wgglue/kroute against the
# running kernel (root; veth in a namespace, no WireGuard needed): nexthop
# objects shared by routes, `ip route` still showing "via ADDR dev IF", an
# object deleted with its last route, a link going down (the kernel deletes
# its objects and routes; the next install makes the object again), restart
# adoption with nothing stale left, classic routes by configuration, and
# ownership: a foreign route in a learned prefix's place (the host's
# default, a static, babeld's route of the same protocol) is refused and
# survives every install, withdraw and flush, ours goes in when it goes;
# a second instance (its own ledger) never adopts or deletes the first's.
# In the kernel guest: tests/vm/run-in-guest.sh tests/wgglue/kroute_kernel.sh BUILD_DIR
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${WGB_BUILD:-$repo/build-wgglue}}
case $build in /*) ;; *) build=$repo/$build ;; esac
WGTOOL=$build/tests/wgglue/wgtool
[ -x "$WGTOOL" ] || { echo "kroute_kernel: $WGTOOL not built"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "kroute_kernel: needs root"; exit 1; }

ns=wgbkr$$
pass=0 fail=0 n=0
export WGTOOL_LEDGER=/tmp/wgbkr.$$.ledger
cleanup() { ip netns del "$ns" 2>/dev/null; rm -f /tmp/wgbkr.$$.*; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add va type veth peer name vb
ip -n "$ns" link set va up
ip -n "$ns" link set vb up
ip -n "$ns" addr add 10.9.0.1/24 dev va

check() {	# check DESCRIPTION COMMAND...
	n=$((n + 1))
	if eval "${*:2}"; then
		pass=$((pass + 1)); echo "ok $n - $1"; ret=0
	else
		fail=$((fail + 1)); echo "not ok $n - $1"; ret=1
		ip -n "$ns" route show proto babel | sed 's/^/#   /'
		ip -n "$ns" -6 route show proto babel | sed 's/^/#   /'
		ip -n "$ns" nexthop show 2>&1 | sed 's/^/#   /'
	fi
	return $ret
}
# kr [keep] [classic] <<< commands: a kroute session, its answers on stdout
kr() { ip netns exec "$ns" "$WGTOOL" kr "$@"; }
r6() { ip -n "$ns" -6 route show proto babel; }
r4() { ip -n "$ns" -4 route show proto babel; }
nhs() { ip -n "$ns" nexthop show 2>/dev/null | grep "proto babel"; }

# 1. One object per next hop, shared; the families RFC 9229 mixes.
out=$(kr keep <<'CMDS'
objects
add 2001:db8:1::/64 va fe80::2/128
add 2001:db8:2::/64 va fe80::2/128
add 2001:db8:3::/64 va fe80::2/128
add 10.1.0.0/16 va fe80::2/128
add 10.6.0.0/16 va 10.9.0.2/32
add 10.7.0.0/16 va
add 2001:db8:7::/64 va
commit
count
CMDS
)
check "the kernel takes nexthop objects" '[[ $out == "yes ok"* ]]'
check "no request refused" '! grep -q "err\|refused" <<<"$out"'
check "three IPv6 routes share one object, shown as via fe80::2 dev va" \
	'[ "$(r6 | grep -c "^2001:db8:[123]::/64 nhid [0-9]* via fe80::2 dev va")" = 3 ] &&
	 [ "$(r6 | grep "^2001:db8:[123]::/64" | awk "{print \$3}" | sort -u | wc -l)" = 1 ]'
check "an IPv4 prefix via an IPv6 next hop (RFC 9229) uses the same object" \
	'[ "$(r4 | awk "/^10.1.0.0\/16/ {print \$3}")" = "$(r6 | awk "/^2001:db8:1::/ {print \$3}")" ] &&
	 r4 | grep -q "^10.1.0.0/16 nhid [0-9]* via inet6 fe80::2 dev va"'
check "an IPv4 gateway and device-only routes" \
	'r4 | grep -q "^10.6.0.0/16 nhid [0-9]* via 10.9.0.2 dev va" &&
	 r4 | grep -q "^10.7.0.0/16 nhid [0-9]* dev va" &&
	 r6 | grep -q "^2001:db8:7::/64 nhid [0-9]* dev va"'
check "three objects, all ours" '[ "$(nhs | wc -l)" = 3 ]'

# 2. Restart: adopt, relearn some, grace deletes the rest and unused objects.
id1=$(r6 | awk '/^2001:db8:1::/ {print $3}')
out=$(kr keep <<'CMDS'
adopt
add 2001:db8:1::/64 va fe80::2/128
add 10.7.0.0/16 va
commit
grace
count
CMDS
)
check "a restart adopts the 7 routes" 'grep -q "^adopted 7 ok" <<<"$out"'
check "grace leaves the two relearned routes, nothing stale" \
	'[ "$(tail -n 1 <<<"$out")" = "2 ok" ] && [ "$(r6 | wc -l)" = 1 ] && [ "$(r4 | wc -l)" = 1 ]'
check "the relearned route kept its object; the unused objects are gone" \
	'[ "$(r6 | awk "{print \$3}")" = "$id1" ] && [ "$(nhs | wc -l)" = 2 ]'

# 3. Withdrawing the last route of an object deletes the object (and
#    nothing else); a link that goes down loses its objects and routes in
#    the kernel, and the next install through that next hop makes the
#    object again.
out=$(kr keep <<CMDS
adopt
add 2001:db8:1::/64 va fe80::2/128
add 2001:db8:2::/64 va fe80::2/128
add 2001:db8:3::/64 va fe80::3/128
add 10.7.0.0/16 va
commit
grace
del 2001:db8:3::/64
commit
CMDS
)
check "an object goes with its last route" \
	'! nhs | grep -q "fe80::3" && [ "$(r6 | wc -l)" = 2 ] && [ "$(nhs | wc -l)" = 2 ]'
exec 3> >(kr > "/tmp/wgbkr.$$.out")
krpid=$!
echo "adopt" >&3
echo "grace" >&3
echo "add 2001:db8:4::/64 va fe80::2/128" >&3
echo "commit" >&3
sleep 0.3
ip -n "$ns" link set va down
sleep 0.2
check "link down: the kernel deleted our objects and routes" '[ -z "$(nhs)" ] && [ -z "$(r6)" ]'
ip -n "$ns" link set va up
echo "add 2001:db8:5::/64 va fe80::2/128" >&3
echo "commit" >&3
sleep 0.3
check "after link up the object is made again for the next install" \
	'r6 | grep -q "^2001:db8:5::/64 nhid [0-9]* via fe80::2 dev va" && [ "$(nhs | wc -l)" = 1 ]'
echo "flush" >&3
exec 3>&-
wait "$krpid" 2>/dev/null
sleep 0.2
check "a session without refusals" '! grep -q "err\|refused" "/tmp/wgbkr.$$.out"'
rm -f "/tmp/wgbkr.$$.out"
check "flush on exit leaves no route and no object" '[ -z "$(r6)$(r4)$(nhs)" ]'

# 4. Classic routes by configuration.
out=$(kr keep classic <<'CMDS'
objects
add 2001:db8:1::/64 va fe80::2/128
add 10.1.0.0/16 va fe80::2/128
commit
CMDS
)
check "classic routes: via fe80::2 dev va, no nhid, no object" \
	'[[ $out == "no ok"* ]] && r6 | grep -q "^2001:db8:1::/64 via fe80::2 dev va" &&
	 r4 | grep -q "^10.1.0.0/16 via inet6 fe80::2 dev va" && [ -z "$(nhs)" ] && ! r6 | grep -q nhid'
kr classic <<<"adopt" >/dev/null
check "classic routes are never adopted: nothing records whose they are" \
	'r6 | grep -q "^2001:db8:1::/64 via fe80::2 dev va" && r4 | grep -q "^10.1.0.0/16"'
ip -n "$ns" -6 route del 2001:db8:1::/64 proto babel
ip -n "$ns" route del 10.1.0.0/16 proto babel

# 5. Foreign routes in a learned prefix's place: the host's default via a
#    gateway, a static host route, babeld's route (protocol 42 too).
ip -n "$ns" route add default via 10.9.0.254 dev va
ip -n "$ns" route add 10.9.9.8/32 dev va proto static
ip -n "$ns" -6 route add 2001:db8:99::/64 dev va proto static
ip -n "$ns" route add 10.5.0.0/16 dev va proto 42
snap() { ip -n "$ns" route show table all; ip -n "$ns" -6 route show table all; }
# The kernel adds the local route of a link-local address when duplicate
# address detection ends (1-2 s after the link came up): wait for both ends'
# addresses, or that route lands between the two snapshots.
ll_settled() {
	local l
	l=$(ip -n "$ns" -6 addr show scope link)
	[ "$(grep -c "inet6 fe80::" <<<"$l")" = 2 ] && ! grep -q tentative <<<"$l"
}
for _ in $(seq 100); do ll_settled && break; sleep 0.1; done
check "both ends' link-local addresses passed duplicate address detection" ll_settled
before=$(snap)
out=$(kr <<'CMDS'
add 0.0.0.0/0 va fe80::2/128
add 10.9.9.8/32 va fe80::2/128
add 2001:db8:99::/64 va fe80::2/128
add 10.5.0.0/16 va fe80::2/128
add 10.6.0.0/16 va fe80::2/128
commit
refused
describe 10.9.9.8/32
add 0.0.0.0/0 va fe80::3/128
add 10.5.0.0/16 va
commit
del 10.9.9.8/32
commit
flush
CMDS
)
check "four foreign places refused with EEXIST, the free prefix installed" \
	'[ "$(grep -o "refused install [^ ]*: File exists" <<<"$out" | wc -l)" = 4 ] &&
	 [ "$(sed -n 7p <<<"$out" | tr " " "\n" | grep -c /)" = 4 ] &&
	 [[ "$(sed -n 7p <<<"$out")" == "4 "* ]]'
check "the foreign route is described (proto static)" \
	'[[ "$(sed -n 8p <<<"$out")" == "proto 4 dev "* ]]'
check "moves, withdrawals and a flush left every foreign route as it was" \
	'[ "$(snap)" = "$before" ]' || diff <(echo "$before") <(snap) | sed 's/^/#   /'

# A refused prefix goes in when the foreign route goes away, seen by the
# route-event socket (its own writes filtered out).
exec 3> >(kr > "/tmp/wgbkr.$$.out2")
krpid=$!
printf 'add 10.9.9.8/32 va fe80::2/128\nadd 2001:db8:99::/64 va\ncommit\n' >&3
sleep 0.3
ip -n "$ns" route del 10.9.9.8/32 dev va proto static
ip -n "$ns" -6 route del 2001:db8:99::/64 dev va proto static
sleep 0.2
printf 'watch\nrefused\n' >&3
sleep 0.3
check "both installed once the static routes were deleted" \
	'r4 | grep -q "^10.9.9.8 nhid [0-9]* via inet6 fe80::2 dev va" &&
	 r6 | grep -q "^2001:db8:99::/64 nhid [0-9]* dev va" &&
	 [ "$(sed -n 4p "/tmp/wgbkr.$$.out2")" = "ok" ] &&
	 [ "$(sed -n 5p "/tmp/wgbkr.$$.out2")" = "0 ok" ]' ||
	sed 's/^/#   /' "/tmp/wgbkr.$$.out2"
printf 'flush\n' >&3
exec 3>&-
wait "$krpid" 2>/dev/null
sleep 0.2
check "and removed by the flush; the default and babeld's route stay" \
	'[ -z "$(r6)" ] && [ "$(r4)" = "10.5.0.0/16 dev va scope link " ] &&
	 ip -n "$ns" route show default | grep -q "via 10.9.0.254"'

# 6. Two instances, each with its own ledger: one's restart (adopt, grace)
#    and stop never touch the other's routes or objects.
WGTOOL_LEDGER=/tmp/wgbkr.$$.a kr keep <<<$'add 10.21.0.0/16 va fe80::2/128\ncommit' >/dev/null
WGTOOL_LEDGER=/tmp/wgbkr.$$.b kr keep <<<$'add 10.22.0.0/16 va fe80::3/128\ncommit' >/dev/null
out=$(WGTOOL_LEDGER=/tmp/wgbkr.$$.b kr <<<$'adopt\ngrace\nflush')
check "the second instance adopts only its own route" \
	'grep -q "^adopted 1 ok" <<<"$out" && r4 | grep -q "^10.21.0.0/16" &&
	 ! r4 | grep -q "^10.22.0.0/16" && [ "$(nhs | wc -l)" = 1 ]'
WGTOOL_LEDGER=/tmp/wgbkr.$$.a kr <<<$'adopt\nflush' >/dev/null
check "the first instance cleans up its own; babeld's route stays" \
	'! r4 | grep -q "^10.21.0.0/16" && [ -z "$(nhs)" ] && r4 | grep -q "^10.5.0.0/16"'

echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
