#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A bridge as Device, the Pi as a Wi-Fi access point (br0 = its LAN port + wlan0, which hostapd
# adds late), with br_netfilter on in the Pi (bridge-nf-call-iptables = 1, as Docker leaves it)
# and an ordinary stateful INPUT firewall (policy DROP, ESTABLISHED accepted, INVALID dropped,
# NEW to the forwarded port accepted). On br0 itself hairpin would come after the bridge's
# conntrack, which tracks the phone's flow to the public address before hairpin rewrites it:
# the replies' ACKs are INVALID and a TCP forward carries nothing. So hairpin run attaches on
# br0's ports, and follows them: a TCP forward through the public address carries 200000
# bytes each way from the phone behind the first port, then from a tablet behind a port added
# while the daemon runs; status says where it attached (the ports, "bridge": "br0"); an address
# on br0's LAN is refused as the public address; a port that leaves the bridge is let go. Once
# with Mode = tc, once with Mode = xdp (native XDP on the ports); BRIDGE_MODES=tc runs one.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

t=bridge
lib_require "$t"
lib_require_hairpin "$t"
if ! bpffs_mount; then
	fail "${t}_bpffs" "could not mount bpffs on $TEST_DIR/bpffs"
	lib_finish
fi

conf=$TEST_DIR/bridge.conf
RUN_LOG=$TEST_DIR/log/run.log
TABLET_ADDR=192.0.2.30

# The Pi's LAN becomes a bridge: lan0 its first port, the address on br0.
pi_bridge() {
	ip -n "$NS_PI" addr flush dev lan0 &&
		ip -n "$NS_PI" link add br0 type bridge &&
		ip -n "$NS_PI" link set lan0 master br0 &&
		ip -n "$NS_PI" link set br0 up &&
		ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev br0
}

# A stateful INPUT firewall, as a user writes one.
pi_firewall() {
	in_ns pi iptables -A INPUT -i lo -j ACCEPT &&
		in_ns pi iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
		in_ns pi iptables -A INPUT -m conntrack --ctstate INVALID -j DROP &&
		in_ns pi iptables -A INPUT -p tcp --dport "$TCP_PORT" -j ACCEPT &&
		in_ns pi iptables -A INPUT -p icmp -j ACCEPT &&
		in_ns pi iptables -P INPUT DROP
}

# attached_port NAME: status says NAME is attached, a port of br0, and nothing is waited for.
attached_port() {
	status_is --arg d "$1" '.daemon.waiting == [] and
		(.devices | any(.name == $d and .attached and .bridge == "br0"))'
}

# wait_port NAME
wait_port() {
	wait_for 10 attached_port "$1" && return 0
	echo "$1 is not attached as a port of br0; status says:" >&2
	hairpin status 2>&1 | head -n 6 >&2
	tail -n 5 "$RUN_LOG" >&2
	return 1
}

# status_says_port: the text says where hairpin attached.
status_says_port() {
	hairpin status | grep -q "lan0 (port of br0) *attached" && return 0
	hairpin status 2>&1 | head -n 4 >&2
	return 1
}

# bridge_case MODE: the whole story with Mode = MODE, on a network of its own.
bridge_case() {
	local mode=$1 t=bridge_$1
	if ! topo_create; then
		fail "${t}_network" "could not build the network"
		return
	fi
	check_cmd "${t}_pi_bridge" pi_bridge
	# br_netfilter is the kernel's (built in, or a module that something loaded): a test loads
	# no module, which would change what every bridge of this host does. Without it the rest
	# holds all the same, only the reason for the ports is not there.
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		check "${t}_br_netfilter" "couldn't set bridge-nf-call-iptables = 1 in the Pi" \
			in_ns pi sysctl -qw net.bridge.bridge-nf-call-iptables=1
	else
		skip "${t}_br_netfilter" "no br_netfilter in this kernel (modprobe br_netfilter)"
	fi
	check_cmd "${t}_pi_firewall" pi_firewall
	cat >"$conf" <<-EOF
		[Interface]
		Device = br0
		Mode = $mode
		PublicAddress = $PUBLIC_ADDR

		[Forward]
		Protocol = tcp
		Port = $TCP_PORT
	EOF
	check_cmd "${t}_check" hairpin check "$conf"

	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" -v run "$conf" </dev/null \
		>>"$RUN_LOG" 2>&1 &
	LIB_PIDS+=("$!")
	check "${t}_port_attached" "the daemon did not attach to br0's port lan0" wait_port lan0
	check "${t}_not_on_bridge" "hairpin's programs are on br0 itself" \
		eval '! hooks_of "$NS_PI" br0 | grep -q " hp_"'
	check "${t}_status_text" "status's text does not say lan0 is a port of br0" \
		status_says_port
	tcp_both_ways "${t}_phone" pi "$TCP_PORT" phone "$PUBLIC_ADDR" "$TCP_PORT" 200000
	# The LAN is br0's: an address on it is no public address, though the ports have none.
	check "${t}_lan_address_refused" "set-public-ip took an address on br0's LAN" \
		eval 'hairpin set-public-ip 192.0.2.99 2>&1 | grep -qF "is on the LAN of Device br0"'
	check "${t}_lan_address_unchanged" "the public address changed" \
		status_is --arg a "$PUBLIC_ADDR" '.public_address == $a'

	# hostapd adds wlan0 to br0 late: a tablet behind a port added while the daemon runs.
	netns_add tablet && veth tablet eth0 pi lan1 &&
		ip -n "$NS_PREFIX"tablet addr add "$TABLET_ADDR/24" dev eth0 &&
		ip -n "$NS_PREFIX"tablet route add default via "$PI_LAN_ADDR" &&
		ip -n "$NS_PI" link set lan1 master br0
	check "${t}_port_added" "the daemon did not attach to the port added while it runs" \
		wait_port lan1
	check "${t}_first_port_kept" "lan0 is no longer attached" attached_port lan0
	tcp_both_ways "${t}_tablet" pi "$TCP_PORT" tablet "$PUBLIC_ADDR" "$TCP_PORT" 200000

	# The port leaves the bridge: it is no Device any more.
	ip -n "$NS_PI" link set lan1 nomaster
	check "${t}_port_left" "hairpin's programs stay on a port that left the bridge" \
		wait_for 10 eval '! hooks_of "$NS_PI" lan1 | grep -q " hp_"'
	check "${t}_port_left_record" "status still shows the port that left" \
		status_is '[.devices[] | select(.name == "lan1")] == []'
	check "${t}_port_left_first_kept" "lan0 is no longer attached" attached_port lan0
}

for mode in ${BRIDGE_MODES:-tc xdp}; do
	echo "--- Mode = $mode"
	bridge_case "$mode"
	# Each Mode's network, daemon, pins and log of its own.
	topo_destroy
	rm -rf "$PIN_DIR"
	: >"$RUN_LOG"
done

lib_finish
