#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A client that uses the same source port for the public address and for the target's own
# LAN address gets each reply from the address it dialled (doc/translation.md, "direct": a
# packet to the target's address ends the flow that holds its ports). Before that rule, the
# replies of the direct conversation went through the flow's rewrite and came from the public
# address: a TCP connection to the LAN address from a port that once carried one through the
# public address hung, and a UDP socket used for both got every LAN reply from the public
# address.
#   - TCP, the phone's port 41000: a connection through 203.0.113.7:8080, then one to
#     192.0.2.1:8080, then one through 203.0.113.7:8080 again; each carries a line to the Pi's
#     echo server and back; status counts one flow ended by a direct packet;
#   - UDP, the phone's port 41001: three rounds of a datagram to 203.0.113.7:7007 and one to
#     192.0.2.1:7007, where an echo server answers; each answer arrives on a socket connected
#     to the address dialled, and a capture on the phone sees every answer come from the
#     address its request went to; status counts three flows ended.
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require port_reuse
lib_require_hairpin port_reuse
lib_require_tools port_reuse ethtool tcpdump
if ! bpffs_mount; then
	fail port_reuse_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

ECHO_PORT=7007
TCP_SPORT=41000
UDP_SPORT=41001
UDP_ROUNDS=3

# The seed's forwards and udp/7007, the Pi's UDP echo server.
write_reuse_config() {
	write_config "$1" "$2"
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = udp
		Port = $ECHO_PORT
	EOF
}

# echo_line tcp|udp DST LINE: LINE to DST's echo server (tcp/8080, udp/7007) from the phone's
# fixed port of that protocol, and back. TCP: the phone closes first and keeps the connection
# in TIME-WAIT; reuseaddr lets the next connection from the port be to another address. UDP:
# the socket is connected to DST, so only an answer from DST reaches it.
echo_line() {
	local port=$TCP_PORT sport=$TCP_SPORT wait=-t3 extra=,connect-timeout=3 got
	[ "$1" = udp ] && port=$ECHO_PORT sport=$UDP_SPORT wait=-T2 extra=
	got=$(echo "$3" | in_ns phone timeout 10 socat "$wait" - \
		"${1^^}:$2:$port,sourceport=$sport,reuseaddr$extra" 2>&1)
	[ "$got" = "$3" ] && return 0
	echo "sent '$3' to $2:$port from port $sport, got back '$got'" >&2
	return 1
}

# answers_from ADDR COUNT: exactly COUNT of the answers the phone captured came from
# ADDR:$ECHO_PORT.
answers_from() {
	local n
	n=$(pcap_count "answers-$T" "src host $1 and src port $ECHO_PORT")
	[ "$n" -eq "$2" ] && return 0
	echo "$n answers from $1:$ECHO_PORT, not $2; all answers:" >&2
	tcpdump -r "$TEST_DIR/answers-$T.pcap" -nn 2>/dev/null | head -n 20 >&2
	return 1
}

# direct_clashes_are COUNT: status counts COUNT flows ended by a direct packet.
direct_clashes_are() {
	local n
	n=$(not_handled direct_clash) || return 1
	[ "$n" -eq "$1" ] && return 0
	echo "status counts $n flows ended by a direct packet, not $1:" >&2
	hairpin status >&2
	return 1
}

run_combination() {
	local mode=$1 offload=$2 conf=$TEST_DIR/hairpin.conf i
	T=port_reuse_$1_offload_$2

	if ! topo_create; then
		fail "${T}_topology" "could not build the network"
		return
	fi
	check "${T}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	# A closed connection's TIME-WAIT gives its ports back to a connection to the same peer
	# a second later, not 60 s later: as on most servers (tcp_tw_reuse).
	in_ns phone sysctl -qw net.ipv4.tcp_tw_reuse=1
	echo_server_start
	spawn pi udp-echo socat "UDP4-RECVFROM:$ECHO_PORT,fork" PIPE
	check "${T}_servers" "the echo servers did not start" \
		eval 'wait_listening pi tcp $TCP_PORT && wait_listening pi udp $ECHO_PORT' || return
	write_reuse_config "$conf" "$mode"
	check_cmd "${T}_up" hairpin up "$conf" || return

	check "${T}_tcp_public" "the connection through the public address failed" \
		echo_line tcp "$PUBLIC_ADDR" "through $PUBLIC_ADDR, first"
	check "${T}_tcp_lan" "the connection to the LAN address, from a port a flow held, failed" \
		echo_line tcp "$PI_LAN_ADDR" "to $PI_LAN_ADDR"
	check "${T}_tcp_direct_clash" "the direct connection did not end the flow" \
		direct_clashes_are 1
	# tcp_tw_reuse takes a TIME-WAIT's ports once its last timestamp is a second old.
	sleep 1.1
	check "${T}_tcp_public_again" "the connection through the public address failed after the direct one" \
		echo_line tcp "$PUBLIC_ADDR" "through $PUBLIC_ADDR, again"

	pcap_start "answers-$T" phone eth0 "udp and dst port $UDP_SPORT" ||
		{ fail "${T}_capture" "tcpdump did not start"; return; }
	for i in $(seq "$UDP_ROUNDS"); do
		check "${T}_udp_public_$i" "no answer from the public address" \
			echo_line udp "$PUBLIC_ADDR" "public $i"
		check "${T}_udp_lan_$i" "no answer from the LAN address" \
			echo_line udp "$PI_LAN_ADDR" "lan $i"
	done
	pcap_stop "answers-$T"
	check "${T}_udp_answers_public" "answers to the public address came from elsewhere" \
		answers_from "$PUBLIC_ADDR" "$UDP_ROUNDS"
	check "${T}_udp_answers_lan" "answers to the LAN address came from elsewhere" \
		answers_from "$PI_LAN_ADDR" "$UDP_ROUNDS"
	check "${T}_udp_direct_clash" "the direct datagrams did not end the flows" \
		direct_clashes_are $((1 + UDP_ROUNDS))
}

each_combination run_combination
lib_finish
