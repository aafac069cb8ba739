#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Forwards to a server on the clients' own LAN (doc/translation.md, "Reflection"): the phone
# dials 203.0.113.7's tcp/8443, tcp/8444 and udp/8443, which hairpin sends to the server at
# 192.0.2.60 on the Pi's LAN from the Pi's LAN address, straight back out of lan0:
#   - check and status say so: "on the LAN of lan0", reflected as 192.0.2.1;
#   - first contact, the server unknown to the Pi's neighbour table: in Mode = xdp the phone's
#     SYN goes through the Pi's stack with only its destination rewritten (no_neighbour: 1),
#     the server's answer to it goes straight to the phone and is lost, and the SYN the phone
#     sends again a second later goes fast; tc resolves the neighbour itself (no_neighbour: 0).
#     The connection is made either way;
#   - 5 MiB up and 5 MiB down at once over one connection, both intact (sha256), closed by both
#     ends; none of those packets entered the Pi's IP stack (its raw PREROUTING counted none)
#     or its conntrack; the server accepted 192.0.2.1 with the phone's own port; with offload
#     on, hairpin reflected GSO packets larger than the MTU whole, both ways;
#   - source ports: the phone and the laptop both dial udp/8443 from port 40000; the phone keeps
#     40000, the laptop is given another; each gets its own echo;
#   - fragments: a 4000-byte datagram echoed, fragmented both ways, intact;
#   - ICMP: the server's port unreachable reaches the phone's connected socket (ECONNREFUSED),
#     and the phone's, about a reply, reaches the server's;
#   - the server dialling its own public address is reflected like any client;
#   - the phone dialling the server's LAN address is not touched: no flow, the server sees it;
#   - from the Internet nothing changes: the router forwards tcp/8443 to the Pi, whose own DNAT
#     (netfilter) sends it to the server; hairpin makes no flow of it.
# No path MTU case: the phone and the server share one link, with no router between them to
# send an error (test_routed_target has one).
#
#     phone 192.0.2.10 ─┐
#    laptop 192.0.2.20 ─┼─ sw ── lan0 192.0.2.1 [pi] wan0 ── [router] 203.0.113.7 ── inet
#    server 192.0.2.60 ─┘
#
# Mode = tc with veth checksum offload on and off; Mode = xdp with it off. In Mode = xdp the
# switch's port to the Pi runs an XDP program (switch_port_xdp), without which veth would not
# deliver what hairpin sends with XDP_TX. Not Mode = xdp with offload on: a veth peer that
# offloads checksums hands XDP CHECKSUM_PARTIAL packets, whose checksum field holds only the
# pseudo-header's sum, and a frame sent back out with XDP_TX leaves its skb's checksum state
# behind, so it arrives with that partial sum and is dropped (a NIC hands XDP whole checksums,
# and with LAN_NICS this combination runs too; Mode = auto picks tc on veth).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require reflection
lib_require_hairpin reflection
lib_require_tools reflection ethtool sha256sum
if ! bpffs_mount; then
	fail reflection_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

ECHO_PORT=8443		# tcp and udp: echo servers on the server's port 443
TRANSFER_PORT=8444	# tcp: the transfer, the server's 444; udp: nothing listens on 444
REPLY_PORT=8445		# udp: the server answers, then sends again once the phone is gone
TRANSFER_BYTES=$((5 * 1024 * 1024))
MTU=1500
CLIENT_SPORT=40000

write_reflection_config() {
	local p proto
	cat >"$1" <<-EOF
		[Interface]
		Device = lan0
		Mode = $2
		PublicAddress = $PUBLIC_ADDR
	EOF
	for p in "tcp $ECHO_PORT" "tcp $TRANSFER_PORT" "udp $ECHO_PORT" "udp $TRANSFER_PORT" \
		"udp $REPLY_PORT"; do
		read -r proto p <<<"$p"
		printf '\n[Forward]\nProtocol = %s\nPort = %s\nTarget = %s:%s\n' "$proto" "$p" \
			"$SERVER_ADDR" $((p - 8000)) >>"$1"
	done
}

# forward_json PROTOCOL PORT: status --json's forward of PROTOCOL PORT.
forward_json() {
	hairpin status --json |
		jq -c --arg p "$1" --argjson n "$2" '.forwards[] | select(.protocol == $p and .port == $n)'
}

# reported T: check and status say how the target is reached.
reported() {
	local t=$1 conf=$2 said fwd
	said=$(hairpin check "$conf")
	check "${t}_check_says_reflected" "check said: $said" grep -qF \
		"tcp $ECHO_PORT -> $SERVER_ADDR:443: on the LAN of lan0: its clients reflected, the target sees $PI_LAN_ADDR as the client" \
		<<<"$said"
	fwd=$(forward_json tcp "$ECHO_PORT")
	check "${t}_status_says_reflected" "status --json said: $fwd" jq -e --arg a "$PI_LAN_ADDR" \
		'.reached == "reflected" and .via == "lan0" and .reflect_address == $a' <<<"$fwd"
}

# first_contact T MODE: the phone's first connection to the server, whom the Pi has never met.
first_contact() {
	local t=$1 counted want=0
	check "${t}_first_contact_echo" "the phone's connection failed" \
		tcp_echoed phone "$PUBLIC_ADDR" "$ECHO_PORT"
	counted=$(not_handled no_neighbour)
	[ "$2" = xdp ] && want=1
	check "${t}_first_contact_no_neighbour" "no_neighbour counted ${counted:-nothing}, not $want" \
		test "${counted:-x}" = "$want"
}

# raw_count: packets of the transfer that reached the Pi's raw PREROUTING (the first hook of
# its IP stack), either way.
raw_count() {
	in_ns pi iptables -t raw -L PREROUTING -v -x -n | awk '/hairpin-test/ { n += $1 } END { print n + 0 }'
}

# transfer T OFFLOAD: 5 MiB each way; nothing of it through the Pi's stack.
transfer() {
	local t=$1 flow fwd conntracked
	if ! in_ns pi iptables -t raw -A PREROUTING -p tcp -d "$PUBLIC_ADDR" --dport "$TRANSFER_PORT" \
		-m comment --comment hairpin-test ||
		! in_ns pi iptables -t raw -A PREROUTING -p tcp -s "$SERVER_ADDR" --sport 444 \
			-m comment --comment hairpin-test; then
		fail "${t}_raw_rules" "iptables could not add the counting rules"
		return
	fi
	in_ns pi conntrack -F >/dev/null 2>&1
	tcp_both_ways "${t}_transfer" server 444 phone "$PUBLIC_ADDR" "$TRANSFER_PORT" \
		"$TRANSFER_BYTES"
	check "${t}_transfer_not_in_stack" "the Pi's raw PREROUTING saw $(raw_count) packets of it" \
		test "$(raw_count)" -eq 0
	conntracked=$(in_ns pi conntrack -L -p tcp 2>/dev/null | grep -c "dport=\(444\|$TRANSFER_PORT\) ")
	check "${t}_transfer_not_in_conntrack" "the Pi's conntrack holds $conntracked entries of it" \
		test "$conntracked" -eq 0
	flow=$(flows_json ".client == \"$PHONE_ADDR\" and .public_port == $TRANSFER_PORT")
	check "${t}_transfer_reflected_as" "the phone's flow: ${flow:-none}" jq -e --arg a "$PI_LAN_ADDR" \
		'.reflected_as.address == $a and .reflected_as.port == .client_port' <<<"$flow"
	check "${t}_transfer_server_saw" "the server did not accept $PI_LAN_ADDR with the phone's port" \
		grep -q "accepting connection from AF=2 $PI_LAN_ADDR:$(jq -r .client_port <<<"$flow") " \
		"$TEST_DIR/log/${t}_transfer-server.log"
	[ "$2" = on ] || return
	# GSO packets reflected whole: the counters' bytes per packet, both ways.
	fwd=$(forward_json tcp "$TRANSFER_PORT")
	check "${t}_transfer_gso_reflected" "not more than $MTU bytes a packet both ways: $fwd" \
		jq -e --argjson mtu "$MTU" '(.to_target.bytes / .to_target.packets > $mtu) and
			(.to_client.bytes / .to_client.packets > $mtu)' <<<"$fwd"
}

# udp_echoed NAME FILE [SPORT]: NAME sends FILE as one datagram to the public udp/8443 (from
# SPORT) and gets it back, the same bytes.
udp_echoed() {
	local got=$TEST_DIR/$1.echo
	in_ns "$1" timeout 5 socat -T 2 -b 65536 - \
		"UDP:$PUBLIC_ADDR:$ECHO_PORT${3:+,sourceport=$3}" <"$2" >"$got" 2>/dev/null
	same_bytes "$2" "$got"
}

# ports T: two clients from one port: one of them keeps it, the other is given another.
ports() {
	local t=$1 phone laptop
	echo phone >"$TEST_DIR/phone.msg"
	echo laptop >"$TEST_DIR/laptop.msg"
	check "${t}_port_phone_echo" "the phone's datagram from port $CLIENT_SPORT was not echoed" \
		udp_echoed phone "$TEST_DIR/phone.msg" "$CLIENT_SPORT"
	check "${t}_port_laptop_echo" "the laptop's datagram from port $CLIENT_SPORT was not echoed" \
		udp_echoed laptop "$TEST_DIR/laptop.msg" "$CLIENT_SPORT"
	phone=$(flows_json ".protocol == \"udp\" and .client == \"$PHONE_ADDR\" and .client_port == $CLIENT_SPORT")
	laptop=$(flows_json ".protocol == \"udp\" and .client == \"$LAPTOP_ADDR\" and .client_port == $CLIENT_SPORT")
	check "${t}_port_kept" "the phone's flow: ${phone:-none}" \
		jq -e ".reflected_as.port == $CLIENT_SPORT" <<<"$phone"
	check "${t}_port_other" "the laptop's flow: ${laptop:-none}" \
		jq -e ".reflected_as.port != $CLIENT_SPORT and .reflected_as.port >= 1024" <<<"$laptop"
	check "${t}_port_server_saw_both" "the server's sockets: $(in_ns server ss -unH sport = :443)" \
		eval '[ "$(in_ns server ss -unH "sport = :443" | grep -c " $PI_LAN_ADDR:[0-9]")" -eq 2 ]'
}

# fragments T: a 4000-byte datagram each way, in fragments.
fragments() {
	head -c 4000 /dev/urandom >"$TEST_DIR/big.msg"
	check "${1}_fragments_echo" "a 4000-byte datagram did not come back whole" \
		udp_echoed phone "$TEST_DIR/big.msg"
}

# icmp_errors T: port unreachable from the server to the phone, and from the phone to the
# server about a reply: the server's socket answers the phone's first datagram at once and
# sends again 2 s later, when the phone's socket is closed.
icmp_errors() {
	local t=$1 got
	check "${t}_server_unreachable_refused" "the server's port unreachable did not reach the phone's socket" \
		udp_refused phone "$PUBLIC_ADDR" "$TRANSFER_PORT"
	spawn server reply-server socat -T 15 UDP-LISTEN:445,reuseaddr \
		SYSTEM:"echo reply; sleep 2; echo again; sleep 10"
	wait_listening server udp 445 || { fail "${t}_reply_server" "the server did not start"; return; }
	got=$(echo hello | in_ns phone timeout 10 socat -t 1 - "UDP:$PUBLIC_ADDR:$REPLY_PORT" 2>&1)
	check "${t}_reply_reached_phone" "the phone got '$got', not the reply" test "$got" = reply
	check "${t}_client_unreachable_refused" "the phone's port unreachable did not reach the server's socket" \
		wait_for 8 grep -q "Connection refused" "$TEST_DIR/log/reply-server.log"
}

# server_self T: the server dials its own public address.
server_self() {
	local t=$1 flow
	check "${t}_server_self_echo" "the server's connection to its public address failed" \
		tcp_echoed server "$PUBLIC_ADDR" "$ECHO_PORT"
	flow=$(flows_json ".client == \"$SERVER_ADDR\" and .public_port == $ECHO_PORT")
	check "${t}_server_self_reflected" "the server's flow: ${flow:-none}" \
		jq -e --arg a "$PI_LAN_ADDR" '.reflected_as.address == $a' <<<"$flow"
}

# direct T: the phone dials the server's own address, from port 41000: hairpin does nothing.
direct() {
	local t=$1
	check "${t}_direct_echo" "the phone's connection to $SERVER_ADDR failed" \
		tcp_echoed phone "$SERVER_ADDR" 443 sourceport=41000
	check "${t}_direct_no_flow" "a flow from port 41000" no_flow ".client_port == 41000"
	check "${t}_direct_server_saw_phone" "the server did not accept $PHONE_ADDR:41000" \
		grep -q "accepting connection from AF=2 $PHONE_ADDR:41000 " "$TEST_DIR/log/echo-server.log"
}

# internet T: from the Internet, through the router's and the Pi's own port forwards.
internet() {
	local t=$1
	check "${t}_internet_echo" "the Internet's connection failed" \
		tcp_echoed inet "$PUBLIC_ADDR" "$ECHO_PORT"
	check "${t}_internet_no_flow" "a flow of $INET_ADDR" no_flow ".client == \"$INET_ADDR\""
	check "${t}_internet_server_saw_it" "the server did not accept $INET_ADDR" \
		grep -q "accepting connection from AF=2 $INET_ADDR:" "$TEST_DIR/log/echo-server.log"
}

run_combination() {
	local mode=$1 offload=$2 t=reflection_$1_offload_$2 conf=$TEST_DIR/hairpin.conf

	if [ "$mode" = xdp ] && [ "$offload" = on ] && [ -z "$LAN_NICS" ]; then
		echo "(not run: Mode = xdp with veth checksum offload on; the header says why)"
		return
	fi
	if ! topo_create || ! lan_host_add server "$SERVER_ADDR" ||
		! router_forward tcp "$ECHO_PORT" "$PI_WAN_ADDR" ||
		! pi_forward tcp "$ECHO_PORT" "$SERVER_ADDR:443"; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	if [ "$mode" = xdp ]; then
		check "${t}_switch_port_xdp" "no XDP program on the switch's port to the Pi" \
			switch_port_xdp pi || return
	fi
	write_reflection_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return
	spawn server echo-server socat -d -d -T 30 TCP-LISTEN:443,reuseaddr,fork EXEC:cat
	spawn server udp-echo-server socat -T 30 UDP-LISTEN:443,reuseaddr,fork EXEC:cat
	if ! wait_listening server tcp 443 || ! wait_listening server udp 443; then
		fail "${t}_servers" "the echo servers did not start"
		return
	fi

	reported "$t" "$conf"
	first_contact "$t" "$mode"
	transfer "$t" "$offload"
	ports "$t"
	fragments "$t"
	icmp_errors "$t"
	server_self "$t"
	direct "$t"
	internet "$t"
}

each_combination run_combination
lib_finish
