#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ICMP errors, both ways, as nf_nat_icmp_reply_translation does them (doc/translation.md,
# "ICMP error" under Ingress and Egress):
#   - port unreachable from the target: the phone's UDP socket connected to the public
#     address's udp/5301, a forward with no server on the Pi, gets ECONNREFUSED. That takes the
#     error coming from 203.0.113.7 and carrying 203.0.113.7:5301 as its embedded destination,
#     with a valid ICMP checksum;
#   - port unreachable from the client about a reply: the Pi's UDP socket connected to the
#     phone (udp/5302) gets ECONNREFUSED when the phone's socket is gone;
#   - fragmentation needed from a router on the way back to the client: a tablet behind a
#     mesh router (an MTU of 1280 on its tablet side) downloads 2 MiB from tcp/8080. The
#     router's errors go to 203.0.113.7 and reach the Pi's TCP translated: the transfer
#     completes intact in bounded time and the Pi's route to the tablet has learned mtu 1280;
#   - every checksum of those errors, as tcpdump -vv checks them on the phone and, through
#     NFLOG, at the Pi's INPUT (after hairpin, whether XDP or tc): the IPv4 headers', the
#     ICMP one, and the embedded UDP one with offload off (with it on, the error quotes the
#     datagram with the checksum its sender's stack left for the NIC to finish);
#   - an error about a flow that is not hairpin's (the laptop dials the Pi's LAN address) is
#     left alone: the laptop's socket gets ECONNREFUSED from 192.0.2.1.
#
#     phone 192.0.2.10 ─┐
#    laptop 192.0.2.20 ─┼─ sw ── lan0 192.0.2.1 [pi] ...
#    mesh eth0 192.0.2.3┘
#    mesh eth1 192.0.2.129/26, mtu 1280 ── tablet 192.0.2.130/26, mtu 1500
#
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require icmp
lib_require_hairpin icmp
lib_require_tools icmp ethtool tcpdump sha256sum
if ! bpffs_mount; then
	fail icmp_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

UNREACH_PORT=5301
REPLY_PORT=5302
NS_MESH=${NS_PREFIX}mesh
NS_TABLET=${NS_PREFIX}tablet
MESH_LAN_ADDR=192.0.2.3
MESH_FAR_ADDR=192.0.2.129
TABLET_ADDR=192.0.2.130
FAR_NET=192.0.2.128/26
FAR_MTU=1280
PMTU_SIZE=$((2 * 1024 * 1024))

# The seed's forwards and two UDP ports.
write_icmp_config() {
	write_config "$1" "$2"
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = udp
		Port = $UNREACH_PORT

		[Forward]
		Protocol = udp
		Port = $REPLY_PORT
	EOF
}

# A second segment of the Pi's LAN behind a router (a mesh access point that routes, no NAT)
# whose link to it has a smaller MTU than the tablet's own: only that router knows.
far_lan_create() {
	local n
	for n in mesh tablet; do
		ip netns del "$NS_PREFIX$n" 2>/dev/null
		ip netns add "$NS_PREFIX$n" || return 1
		LIB_NETNS+=("$NS_PREFIX$n")
		ip -n "$NS_PREFIX$n" link set lo up || return 1
		in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	done
	lan_host mesh eth0 "$MESH_LAN_ADDR/24" || return 1
	veth mesh eth1 tablet eth0 || return 1
	ip -n "$NS_MESH" addr add "$MESH_FAR_ADDR/26" dev eth1 || return 1
	ip -n "$NS_MESH" link set eth1 mtu "$FAR_MTU" || return 1
	ip -n "$NS_MESH" route add default via "$PI_LAN_ADDR" || return 1
	in_ns mesh sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_TABLET" addr add "$TABLET_ADDR/26" dev eth0 || return 1
	ip -n "$NS_TABLET" route add default via "$MESH_FAR_ADDR" || return 1
	ip -n "$NS_PI" route add "$FAR_NET" via "$MESH_LAN_ADDR" dev lan0
}

# wait_log_says LOG PATTERN SECONDS: until $TEST_DIR/log/LOG.log has a line matching PATTERN.
wait_log_says() {
	local log=$TEST_DIR/log/$1.log end=$((SECONDS + $3))
	until grep -q -- "$2" "$log" 2>/dev/null; do
		if [ "$SECONDS" -gt "$end" ]; then
			echo "$1 did not say \"$2\" within $3 s; it said:" >&2
			tail -n 5 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# capture_start NS NAME FILTER: tcpdump -vv (which checks every checksum it can) on eth0 of
# namespace NS, decoded into $TEST_DIR/log/NAME.log.
capture_start() {
	spawn "$1" "$2" tcpdump -i eth0 --immediate-mode -l -nn -vv "$3"
	wait_log_says "$2" "listening on" 5
}

# capture_pi_input_start NAME GROUP TYPE: the ICMP errors of TYPE the Pi's stack takes in,
# after hairpin translated them (whether in XDP or on tc ingress), decoded into
# $TEST_DIR/log/NAME.log. GROUP: an NFLOG group of its own.
capture_pi_input_start() {
	in_ns pi iptables -I INPUT -p icmp --icmp-type "$3" \
		-j NFLOG --nflog-group "$2" --nflog-threshold 1 || return 1
	spawn pi "$1" tcpdump -i "nflog:$2" --immediate-mode -l -nn -vv
	wait_log_says "$1" "listening on" 5
}

# decoded_ok LOG OFFLOAD HEADER INNER: tcpdump decoded in LOG (within 3 s) an ICMP error whose
# header line has HEADER and whose embedded packet's line starts with INNER (so with the
# addresses and ports translated), and found no IPv4 or ICMP checksum wrong. With offload off,
# when the embedded packet is a whole UDP datagram, its checksum was checked too, and right;
# with offload on, the error quotes the checksum the sender's stack left for its NIC to finish.
decoded_ok() {
	local log=$TEST_DIR/log/$1.log
	wait_log_says "$1" "$3" 3 2>/dev/null
	if ! grep -q -- "$3" "$log" || ! grep -q -- "^ *$4" "$log"; then
		echo "no ICMP error \"$3\" about \"$4\":" >&2
		cat "$log" >&2
		return 1
	fi
	if grep -q "bad cksum\|wrong icmp cksum" "$log" ||
		{ [ "$2" = off ] && grep -q "bad udp cksum" "$log"; }; then
		echo "a wrong checksum:" >&2
		cat "$log" >&2
		return 1
	fi
	if [ "$2" = off ] && grep -q -- "^ *$4.* UDP, length" "$log" &&
		! grep -q -- "^ *$4.*\[udp sum ok\]" "$log"; then
		echo "the embedded UDP checksum was not checked:" >&2
		cat "$log" >&2
		return 1
	fi
}

# port_unreachable T OFFLOAD: the target's error about a redirected flow, on the phone.
port_unreachable() {
	local t=$1
	capture_start phone icmp-phone "icmp and src host $PUBLIC_ADDR" ||
		{ fail "${t}_capture" "tcpdump did not start"; return; }
	check "${t}_port_unreachable_refused" "the target's port unreachable did not reach the phone's socket" \
		udp_refused phone "$PUBLIC_ADDR" "$UNREACH_PORT"
	sleep 0.2
	check "${t}_port_unreachable_checksums" "the error the phone got is not right" \
		decoded_ok icmp-phone "$2" \
		"$PUBLIC_ADDR > $PHONE_ADDR: ICMP $PUBLIC_ADDR udp port $UNREACH_PORT unreachable" \
		"$PHONE_ADDR\.[0-9]* > $PUBLIC_ADDR\.$UNREACH_PORT: "
}

# client_error T OFFLOAD: the client's error about a reply reaches the target's socket. The
# Pi answers the phone's first datagram at once and sends again 2 s later, when the phone's
# socket is closed: the phone says port unreachable about 203.0.113.7:5302 -> phone.
client_error() {
	local t=$1 got
	capture_pi_input_start icmp-pi-unreach 7 port-unreachable ||
		{ fail "${t}_capture_pi" "tcpdump on NFLOG did not start"; return; }
	spawn pi reply-server socat -T 15 UDP-LISTEN:"$REPLY_PORT",reuseaddr \
		SYSTEM:"echo reply; sleep 2; echo again; sleep 10"
	wait_listening pi udp "$REPLY_PORT" || { fail "${t}_reply_server" "the server did not start"; return; }
	got=$(echo hello | in_ns phone timeout 10 socat -t 1 - "UDP:$PUBLIC_ADDR:$REPLY_PORT" 2>&1)
	check "${t}_reply_reached_phone" "the phone got '$got', not the reply" test "$got" = reply
	check "${t}_client_error_refused" "the phone's port unreachable did not reach the Pi's socket" \
		wait_log_says reply-server "Connection refused" 8
	check "${t}_client_error_checksums" "the error the Pi took in is not right" \
		decoded_ok icmp-pi-unreach "$2" \
		"$PHONE_ADDR > $PI_LAN_ADDR: ICMP $PHONE_ADDR udp port [0-9]* unreachable" \
		"$PI_LAN_ADDR\.$REPLY_PORT > $PHONE_ADDR\.[0-9]*: "
}

# not_ours T: the laptop talks to the Pi's own address; its error is the kernel's, untouched.
not_ours() {
	local t=$1
	check "${t}_not_ours_refused" "the laptop's socket connected to $PI_LAN_ADDR:$UNREACH_PORT was not refused" \
		udp_refused laptop "$PI_LAN_ADDR" "$UNREACH_PORT"
	check "${t}_not_ours_no_flow" "hairpin tracks a flow of the laptop" \
		eval '! flow_clients | grep -qx "$LAPTOP_ADDR"'
}

# pmtu T OFFLOAD: 2 MiB from the Pi's tcp/8080 to the tablet behind the 1280-byte link.
pmtu() {
	local t=$1 src=$TEST_DIR/pmtu.src got=$TEST_DIR/pmtu.got start took rc
	capture_pi_input_start icmp-pi-frag 8 fragmentation-needed ||
		{ fail "${t}_capture_pi" "tcpdump on NFLOG did not start"; return; }
	head -c "$PMTU_SIZE" /dev/urandom >"$src"
	rm -f "$got"
	spawn pi pmtu-server socat -T 30 -t 5 TCP-LISTEN:"$TCP_PORT",reuseaddr SYSTEM:"cat $src"
	wait_listening pi tcp "$TCP_PORT" || { fail "${t}_pmtu_server" "the server did not start"; return; }
	start=$SECONDS
	# Without path MTU discovery the Pi's full-sized segments never get through and the
	# transfer stalls (tcp_mtu_probing is off): the timeout ends it.
	in_ns tablet timeout 15 socat -u "TCP:$PUBLIC_ADDR:$TCP_PORT,connect-timeout=5" - \
		>"$got" 2>"$TEST_DIR/log/pmtu-client.log"
	rc=$? took=$((SECONDS - start))
	check "${t}_pmtu_transfer" "the tablet's download exited $rc after $took s with $(stat -c %s "$got") of $PMTU_SIZE bytes" \
		test "$rc" -eq 0
	check "${t}_pmtu_intact" "the tablet's download differs from what the Pi sent" \
		eval '[ "$(sha256sum <"$src")" = "$(sha256sum <"$got")" ]'
	check "${t}_pmtu_learned" "the Pi's route to $TABLET_ADDR: $(in_ns pi ip route get "$TABLET_ADDR" | tr '\n' ' ')" \
		eval 'in_ns pi ip route get "$TABLET_ADDR" | grep -qw "mtu $FAR_MTU"'
	check "${t}_pmtu_checksums" "the errors the Pi took in are not right" \
		decoded_ok icmp-pi-frag "$2" \
		"$MESH_LAN_ADDR > $PI_LAN_ADDR: ICMP $TABLET_ADDR unreachable - need to frag (mtu $FAR_MTU)" \
		"$PI_LAN_ADDR\.$TCP_PORT > $TABLET_ADDR\.[0-9]*: "
}

run_combination() {
	local mode=$1 offload=$2 t=icmp_$1_offload_$2 conf=$TEST_DIR/hairpin.conf

	if ! topo_create || ! far_lan_create; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	write_icmp_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return

	port_unreachable "$t" "$offload"
	client_error "$t" "$offload"
	pmtu "$t" "$offload"
	not_ours "$t"
}

each_combination run_combination
lib_finish
