#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The container's side of test_systemd_boot.sh, run by the test's units under systemd as PID 1
# in a container with a network of its own, whose root namespace is the Pi:
#   systemd_boot_guest.sh network          before hairpin.service: the Pi's lan0 (no address
#                                          yet), its wan0 to the router, the phone on lan0
#   systemd_boot_guest.sh address          the LAN's address comes (as a late DHCP lease)
#   systemd_boot_guest.sh device           a second LAN device, lan1, appears with the laptop
#   systemd_boot_guest.sh check RESULTS    the checks, as PASS/FAIL lines in RESULTS
#
#   phone 192.0.2.10 ── lan0 192.0.2.1 [Pi] wan0 198.51.100.2 ── 198.51.100.1 [router]
#   laptop 198.18.1.10 ── lan1 198.18.1.1
#
# The router (its public address on its loopback: a dummy device would need a module that a
# container cannot load) forwards 203.0.113.7 udp/51820 to the Pi, where a UDP echo server
# answers: a client at home that dials the public address gets its echo only through hairpin
# (without it, the Pi drops the router's reflected packet as a martian; see lib.sh). Names and
# addresses as lib.sh's, which this does not source: its EXIT trap would take the network down
# with each step.
set -u
PUBLIC_ADDR=203.0.113.7
PORT=51820

# client NS IF ADDR/LEN GW: a client namespace NS, its eth0 the peer of the Pi's IF, GW its
# default route.
client() {
	ip netns add "$1" &&
		ip -n "$1" link set lo up &&
		ip link add "$2" type veth peer name eth0 netns "$1" &&
		ip link set "$2" up &&
		ip -n "$1" link set eth0 up &&
		ip -n "$1" addr add "$3" dev eth0 &&
		ip -n "$1" route add default via "$4"
}

network() {
	sysctl -qw net.ipv4.ip_forward=1 &&
		client phone lan0 192.0.2.10/24 192.0.2.1 &&
		ip netns add router &&
		ip -n router link set lo up &&
		ip link add wan0 type veth peer name lan0 netns router &&
		ip link set wan0 up &&
		ip -n router link set lan0 up &&
		ip addr add 198.51.100.2/24 dev wan0 &&
		ip -n router addr add 198.51.100.1/24 dev lan0 &&
		ip route add default via 198.51.100.1 &&
		ip -n router addr add "$PUBLIC_ADDR/32" dev lo &&
		ip netns exec router sysctl -qw net.ipv4.ip_forward=1 &&
		iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE &&
		ip netns exec router iptables -t nat -A PREROUTING -d "$PUBLIC_ADDR" -p udp \
			--dport "$PORT" -j DNAT --to-destination 198.51.100.2
}

# echoed NS: NS dials the public address and gets its line back (within 20 tries, one a
# second: the daemon attaches when the address or the device comes, not at a known moment).
echoed() {
	local got i
	for i in $(seq 20); do
		got=$(echo "$1 $i" | timeout 3 ip netns exec "$1" socat -T 1 - "UDP4:$PUBLIC_ADDR:$PORT" 2>&1)
		[ "$got" = "$1 $i" ] && return 0
		sleep 1
	done
	echo "$1 got '$got', not its echo, in 20 tries"
	return 1
}

# check RESULTS NAME CMD...: a PASS or FAIL line for CMD in RESULTS, with its output on failure.
check() {
	local results=$1 name=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		echo "PASS: $name" >>"$results"
	else
		echo "FAIL: $name: ${out:-$*}" | head -n 20 >>"$results"
	fi
}

warnings_none() {
	local out
	out=$(journalctl -b -u hairpin.service -p warning -q --no-pager 2>&1)
	[ -z "$out" ] && return 0
	echo "$out"
	return 1
}

restarts_none() {
	local n
	n=$(systemctl show -p NRestarts --value hairpin.service)
	[ "$n" = 0 ] && return 0
	echo "hairpin.service was restarted $n times"
	return 1
}

case ${1:-} in
network) network ;;
address) ip addr add 192.0.2.1/24 dev lan0 ;;
device)
	client laptop lan1 198.18.1.10/24 198.18.1.1 && ip addr add 198.18.1.1/24 dev lan1 ;;
check)
	results=$2
	: >"$results"
	check "$results" "the phone on lan0 (its address 5 s late) gets its echo through the public \
address" echoed phone
	check "$results" "the laptop on lan1 (created 10 s after boot) gets its echo through the \
public address" echoed laptop
	check "$results" "systemctl is-active hairpin says active" systemctl is-active hairpin.service
	check "$results" "the test's units that make the network all succeeded" systemctl is-active \
		hairpin-boot-network.service hairpin-boot-echo.service hairpin-boot-address.service \
		hairpin-boot-device.service
	check "$results" "hairpin.service started once, never restarted" restarts_none
	check "$results" "journalctl -u hairpin -p warning shows nothing" warnings_none
	{
		systemctl status --no-pager hairpin.service
		journalctl -b -u hairpin.service --no-pager
		hairpin status
	} >"$results.diag" 2>&1
	;;
*)
	echo "usage: $0 network|address|device|check RESULTS" >&2
	exit 2
	;;
esac
