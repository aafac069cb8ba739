#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin watch with PublicAddressFrom = interface:ppp0, on the seed's network whose Pi holds
# the public address on a ppp0 of its own (a veth stands in for PPP): watch takes ppp0's
# address at start, follows it through netlink address events (an address replaced, all
# removed, the interface deleted and created again as pppd does on every reconnect), refuses
# an address on the LAN, and exits 0 on SIGTERM. The phone's packets to the address of the
# moment reach the Pi's LAN address. Without a running instance watch exits 1, without
# PublicAddressFrom 2.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/watch_lib.sh
. "$(dirname "$0")/watch_lib.sh"

lib_require watch_interface
lib_require_hairpin watch_interface
if ! bpffs_mount; then
	fail watch_interface_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi
if ! topo_create; then
	fail watch_interface_topology "could not build the network"
	exit 1
fi

t=watch_interface
conf=$TEST_DIR/watch.conf
write_watch_config "$conf" tc interface:ppp0
RECEIVED=$TEST_DIR/received

# ppp0 ADDR: a ppp0 stand-in in the Pi holding ADDR, like pppd's interface after IPCP.
ppp0_create() {
	ip -n "$NS_PI" link add ppp0 type veth peer name ppp0-peer &&
		ip -n "$NS_PI" link set ppp0 up &&
		ip -n "$NS_PI" link set ppp0-peer up &&
		ip -n "$NS_PI" addr add "$1/32" dev ppp0
}

# reaches_pi ADDR WORD: a datagram from the phone to ADDR:$WATCH_PORT arrives at the Pi's
# receiver, which listens on the Pi's LAN address only: hairpin rewrote it.
reaches_pi() {
	local i
	echo "$2" | in_ns phone socat -u - "UDP:$1:$WATCH_PORT,sourceport=40011" || return 1
	for i in $(seq 30); do
		grep -qx -- "$2" "$RECEIVED" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "'$2' sent to $1:$WATCH_PORT never reached $PI_LAN_ADDR:$WATCH_PORT" >&2
	return 1
}

check_cmd "${t}_ppp0" ppp0_create "$PUBLIC_ADDR"
check "${t}_no_instance" "watch without a running instance did not exit 1" \
	eval 'hairpin watch "$conf" 2>/dev/null; [ $? -eq 1 ]'
write_config "$TEST_DIR/plain.conf" tc
check "${t}_no_public_address_from" "watch without PublicAddressFrom did not exit 2" \
	eval 'hairpin watch "$TEST_DIR/plain.conf" 2>/dev/null; [ $? -eq 2 ]'

check_cmd "${t}_up" hairpin up "$conf"
spawn pi receiver socat -u "UDP-RECV:$WATCH_PORT,bind=$PI_LAN_ADDR" "OPEN:$RECEIVED,creat,append"
check "${t}_receiver" "the Pi's receiver did not start" wait_udp_bound pi "$WATCH_PORT"
watch_start "$conf"
check "${t}_start" "watch did not take ppp0's address" wait_public_addr "$PUBLIC_ADDR" 10
check "${t}_start_logged" "no log line for the first address" \
	watch_said "public address none -> $PUBLIC_ADDR (interface:ppp0)" 1
check "${t}_start_rewritten" "the phone's packet to $PUBLIC_ADDR was not rewritten" \
	reaches_pi "$PUBLIC_ADDR" one

# The address is replaced, as a PPP peer does when IPCP renegotiates.
ip -n "$NS_PI" addr add "$NEW_PUBLIC_ADDR/32" dev ppp0
ip -n "$NS_PI" addr del "$PUBLIC_ADDR/32" dev ppp0
check "${t}_follows" "watch did not follow ppp0 to $NEW_PUBLIC_ADDR" \
	wait_public_addr "$NEW_PUBLIC_ADDR" 10
check "${t}_change_logged" "no log line for the change" \
	watch_said "public address $PUBLIC_ADDR -> $NEW_PUBLIC_ADDR (interface:ppp0)" 1
check "${t}_new_rewritten" "the phone's packet to $NEW_PUBLIC_ADDR was not rewritten" \
	reaches_pi "$NEW_PUBLIC_ADDR" two

# The link drops: no address at all. The last one stays.
ip -n "$NS_PI" addr flush dev ppp0
check "${t}_none_logged" "watch did not say that ppp0 has no address" \
	watch_said "ppp0 has no IPv4 address (or does not exist): keeping $NEW_PUBLIC_ADDR" 10
check "${t}_none_keeps" "the public address changed while ppp0 had none" \
	public_addr_stays "$NEW_PUBLIC_ADDR" 1

# pppd deletes ppp0 and makes a new one (another ifindex) on the next connection.
ip -n "$NS_PI" link del ppp0
third=203.0.113.9
check_cmd "${t}_ppp0_again" ppp0_create "$third"
check "${t}_new_interface" "watch did not follow a new ppp0 to $third" \
	wait_public_addr "$third" 10
check "${t}_third_rewritten" "the phone's packet to $third was not rewritten" \
	reaches_pi "$third" three

# An address on the LAN is refused, and the last good one stays.
ip -n "$NS_PI" addr flush dev ppp0
ip -n "$NS_PI" addr add 192.0.2.77/32 dev ppp0
check "${t}_lan_refused" "watch did not refuse an address on the LAN" \
	watch_said "interface:ppp0 gave 192.0.2.77, refused: it is on the LAN of Device lan0; keeping $third" 10
check "${t}_lan_keeps" "the public address changed to a LAN address" \
	public_addr_stays "$third" 1

# `up` again with a PublicAddress: watch puts its own address back within a minute; SIGHUP
# makes it look at once.
ip -n "$NS_PI" addr flush dev ppp0
ip -n "$NS_PI" addr add "$third/32" dev ppp0
write_watch_config "$TEST_DIR/start.conf" tc interface:ppp0 203.0.113.50
check_cmd "${t}_up_again" hairpin up "$TEST_DIR/start.conf"
watch_signal HUP
check "${t}_hup_restores" "watch did not restore $third after up wrote PublicAddress" \
	wait_public_addr "$third" 10

# down and up: a new instance with new maps, which watch finds by their pins.
check_cmd "${t}_down_while_watching" hairpin down "$TEST_DIR/start.conf"
check_cmd "${t}_up_while_watching" hairpin up "$TEST_DIR/start.conf"
watch_signal HUP
check "${t}_hup_restores_new_instance" "watch did not set $third in a new instance" \
	wait_public_addr "$third" 10

check "${t}_alive" "watch stopped" watch_alive
watch_stop
check "${t}_sigterm" "watch did not exit 0 on SIGTERM" watch_exited_ok
check "${t}_stop_logged" "no log line on stopping" \
	watch_said "watch: stopping on SIGTERM; the public address stays $third" 1
check "${t}_stays_after_stop" "the public address changed when watch stopped" \
	public_addr_stays "$third" 0
check_cmd "${t}_down" hairpin down "$conf"

lib_finish
