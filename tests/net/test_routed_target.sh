#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Forwards to a host the Pi routes to: a NAS on the router's LAN at 198.51.100.20, which the
# router forwards tcp/8445 and udp/8446 to. From the Pi's LAN that is broken without hairpin
# (the NAS answers the Pi's WAN address straight, not through the router that DNATed the
# phone's packets). hairpin rewrites only the destination; the Pi routes the packets out of
# wan0 and masquerades them as for any other host, and hairpin's egress rewrites the replies:
#   - check and status say so: "routed via wan0";
#   - 5 MiB up and 5 MiB down at once over one connection, both intact (sha256), closed by both
#     ends; the NAS accepted the Pi's WAN address (its masquerade, not hairpin);
#   - path MTU: with the link between the Pi and the router narrowed to 1400 bytes, 2 MiB
#     uploaded to the NAS arrive intact, which takes the Pi's own "fragmentation needed" (from
#     192.0.2.1, about the packet after hairpin rewrote it) reaching the phone about what it
#     sent, 203.0.113.7:8445; the phone's route to 203.0.113.7 has learned mtu 1400;
#   - ICMP: the NAS's port unreachable reaches the phone's connected socket (ECONNREFUSED); and
#     a forward to an address of the router's LAN where no host answers (198.51.100.30): the
#     Pi's own "host unreachable" reaches the phone's connecting socket (EHOSTUNREACH);
#   - the phone dialling the NAS's own address is not touched: no flow;
#   - from the Internet nothing changes: the router's forward reaches the NAS, no flow.
#
#    phone 192.0.2.10 ── sw ── lan0 [pi] wan0 198.51.100.2 ─┐
#                                                          ├─ brlan 198.51.100.1 [router] ── inet
#                                   nas 198.51.100.20 ─────┘
#
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require routed_target
lib_require_hairpin routed_target
lib_require_tools routed_target ethtool sha256sum
if ! bpffs_mount; then
	fail routed_target_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

TCP_NAS_PORT=8445	# the NAS's 445
UDP_NAS_PORT=8446	# the NAS's 446, where nothing listens
NOBODY_PORT=8447	# tcp, to 198.51.100.30:447, an address no host has
NOBODY_ADDR=198.51.100.30
TRANSFER_BYTES=$((5 * 1024 * 1024))
PMTU_BYTES=$((2 * 1024 * 1024))
NARROW_MTU=1400

write_routed_config() {
	cat >"$1" <<-EOF
		[Interface]
		Device = lan0
		Mode = $2
		PublicAddress = $PUBLIC_ADDR

		[Forward]
		Protocol = tcp
		Port = $TCP_NAS_PORT
		Target = $NAS_ADDR:445

		[Forward]
		Protocol = udp
		Port = $UDP_NAS_PORT
		Target = $NAS_ADDR:446

		[Forward]
		Protocol = tcp
		Port = $NOBODY_PORT
		Target = $NOBODY_ADDR:447
	EOF
}

# reported T CONF: check and status say how the target is reached.
reported() {
	local t=$1 said fwd
	said=$(hairpin check "$2")
	check "${t}_check_says_routed" "check said: $said" grep -qF \
		"tcp $TCP_NAS_PORT -> $NAS_ADDR:445: routed via wan0, the client's address kept" <<<"$said"
	fwd=$(hairpin status --json | jq -c --argjson n "$TCP_NAS_PORT" '.forwards[] | select(.port == $n)')
	check "${t}_status_says_routed" "status --json said: $fwd" \
		jq -e '.reached == "routed" and .via == "wan0" and .reflect_address == null' <<<"$fwd"
}

# transfer T: 5 MiB each way between the phone and the NAS, through the public address.
transfer() {
	local t=$1
	tcp_both_ways "${t}_transfer" nas 445 phone "$PUBLIC_ADDR" "$TCP_NAS_PORT" "$TRANSFER_BYTES"
	check "${t}_transfer_nas_saw_pi" "the NAS did not accept the Pi's WAN address $PI_WAN_ADDR" \
		grep -q "accepting connection from AF=2 $PI_WAN_ADDR:" "$TEST_DIR/log/${t}_transfer-server.log"
}

# pmtu T: 2 MiB up to the NAS across the narrowed link; the NAS says what it got.
pmtu() {
	local t=$1 src=$TEST_DIR/pmtu.src said rc
	if ! ip -n "$NS_PI" link set wan0 mtu "$NARROW_MTU" ||
		! ip -n "$NS_ROUTER" link set lan0 mtu "$NARROW_MTU"; then
		fail "${t}_pmtu_narrow" "could not set the MTU of the Pi's link to the router"
		return
	fi
	head -c "$PMTU_BYTES" /dev/urandom >"$src"
	spawn nas pmtu-server socat -T 30 TCP-LISTEN:445,reuseaddr SYSTEM:"sha256sum"
	wait_listening nas tcp 445 || { fail "${t}_pmtu_server" "the server did not start"; return; }
	# Without path MTU discovery the phone's full-sized segments never get through and the
	# upload stalls (tcp_mtu_probing is off): the timeout ends it.
	said=$(in_ns phone timeout 15 socat -T 10 - "TCP:$PUBLIC_ADDR:$TCP_NAS_PORT,connect-timeout=5,shut-down" \
		<"$src" 2>"$TEST_DIR/log/pmtu-client.log")
	rc=$?
	check "${t}_pmtu_upload" "the NAS said '$said' (the phone's socat exited $rc)" \
		test "$said" = "$(sha256sum <"$src")"
	check "${t}_pmtu_learned" "the phone's route to $PUBLIC_ADDR: $(in_ns phone ip route get "$PUBLIC_ADDR" | tr '\n' ' ')" \
		eval 'in_ns phone ip route get "$PUBLIC_ADDR" | grep -qw "mtu $NARROW_MTU"'
}

# icmp_errors T: the NAS's port unreachable; the Pi's host unreachable for nobody's address.
icmp_errors() {
	local t=$1 said
	check "${t}_nas_unreachable_refused" "the NAS's port unreachable did not reach the phone's socket" \
		udp_refused phone "$PUBLIC_ADDR" "$UDP_NAS_PORT"
	# The Pi asks for 198.51.100.30's link-layer address 3 times, a second apart, then answers.
	said=$(in_ns phone timeout 15 socat -T 10 - "TCP:$PUBLIC_ADDR:$NOBODY_PORT,connect-timeout=10" \
		</dev/null 2>&1)
	check "${t}_host_unreachable" "connecting to $PUBLIC_ADDR:$NOBODY_PORT said: $said" \
		grep -q "No route to host" <<<"$said"
}

# direct T: the phone dials the NAS's own address, from port 41000: hairpin does nothing.
direct() {
	local t=$1
	check "${t}_direct_echo" "the phone's connection to $NAS_ADDR failed" \
		tcp_echoed phone "$NAS_ADDR" 445 sourceport=41000
	check "${t}_direct_no_flow" "a flow from port 41000" no_flow ".client_port == 41000"
}

# internet T: from the Internet, through the router's port forward alone.
internet() {
	local t=$1
	check "${t}_internet_echo" "the Internet's connection failed" \
		tcp_echoed inet "$PUBLIC_ADDR" "$TCP_NAS_PORT"
	check "${t}_internet_no_flow" "a flow of $INET_ADDR" no_flow ".client == \"$INET_ADDR\""
}

run_combination() {
	local mode=$1 offload=$2 t=routed_target_$1_offload_$2 conf=$TEST_DIR/hairpin.conf echo_server

	if ! topo_create || ! nas_create ||
		! router_forward tcp "$TCP_NAS_PORT" "$NAS_ADDR:445" ||
		! router_forward udp "$UDP_NAS_PORT" "$NAS_ADDR:446"; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	write_routed_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return

	reported "$t" "$conf"
	transfer "$t"
	spawn nas echo-server socat -T 10 TCP-LISTEN:445,reuseaddr,fork EXEC:cat
	echo_server=$!
	wait_listening nas tcp 445 || { fail "${t}_echo_server" "the server did not start"; return; }
	direct "$t"
	internet "$t"
	kill "$echo_server"
	wait "$echo_server" 2>/dev/null
	icmp_errors "$t"
	pmtu "$t"
}

each_combination run_combination
lib_finish
