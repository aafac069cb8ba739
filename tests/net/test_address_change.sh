#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The public address changes while clients at home use it (doc/translation.md, "Flows": a
# flow owns the address it dialled for its whole life). Four phones and the laptop are on the
# Pi's LAN; the ISP moves the router from 203.0.113.7 to 203.0.113.8 at T0, and the old
# address goes to another customer (the inet namespace, with a UDP receiver on udp/5300, a
# TCP server on tcp/8080 that says "owner", and a capture of udp/51820). hairpin learns the new
# address 35 s later, at T1 (set-public-ip). One network, every scenario at once:
#   - phone4 re-resolves at T0: its tunnel is broken until T1 (its packets to .8 masqueraded
#     and dropped as martians, stuck in the Pi's conntrack), and works soon after T1, with .8
#     as its endpoint;
#   - phone3 re-resolves at T1: its endpoint is .8 and stays .8 for 30 s, every ping answered;
#   - the phone keeps dialling .7 (udp/51820, Roaming = no): its tunnel works for 60 s after
#     T1, every ping answered, its endpoint stays .7, and none of its packets reaches .7's
#     new owner;
#   - phone2 keeps dialling .7 too, on udp/51821 (a second WireGuard interface on the Pi) with
#     Roaming = yes: its endpoint becomes .8 within 15 s of T1 and stays .8 until T1 + 60 s;
#   - the laptop's TCP connection to .7:8080, opened before T1: every line it sends, before,
#     during and after set-public-ip, comes back from the Pi's echo server;
#   - the laptop's new flows to .7 after T1 (udp/5300, tcp/8080) reach the new owner; status
#     counts them as old_address and shows .7 as an old public address owned by live flows;
#   - the laptop's udp/5300 flow from port 40100, opened before T1 (UDPTimeout = 10s, no
#     reply): a datagram within the timeout after T1 still reaches the Pi; one after 10 s idle
#     reaches the new owner, and status no longer shows the flow;
#   - at T1 + 60 s, `hairpin end-flows 203.0.113.7`: status shows no old address and no flow
#     owning .7; the phone loses its tunnel and its packets go to .7's new owner; phone3 keeps
#     its tunnel.
# For Mode = xdp and tc (NET_MODES), with veth checksum offload on (NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
: "${NET_OFFLOADS:=on}"
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require address_change
lib_require_hairpin address_change
lib_require_tools address_change ethtool tcpdump
if ! bpffs_mount; then
	fail address_change_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

OLD=$PUBLIC_ADDR
NEW=$NEW_PUBLIC_ADDR
ROAM_PORT=51821
PROBE_PORT=5300
# phone2 talks to the Pi's second WireGuard interface, wgpi2, in a tunnel network of its own.
WG_PI2_ADDR=198.18.1.1
declare -A LAN_ADDR=([phone2]=192.0.2.11 [phone3]=192.0.2.12 [phone4]=192.0.2.13)
declare -A TUNNEL_ADDR=([phone2]=198.18.1.2 [phone3]=198.18.0.5 [phone4]=198.18.0.6)
# What the issue waited: between the router's change and hairpin's, and after hairpin's.
LEARN_DELAY=35
OLD_WINDOW=60
STAY_WINDOW=30
TCP_LINES=70

write_change_config() {
	write_config "$1" "$2"
	sed -i "/^PublicAddress = /a UDPTimeout = 10s" "$1"
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = udp
		Port = $ROAM_PORT
		Roaming = yes

		[Forward]
		Protocol = udp
		Port = $PROBE_PORT
	EOF
}

# phones_create: phone2, phone3 and phone4 on the LAN with their tunnels, wgpi2 on the Pi;
# every phone dials the public address.
phones_create() {
	local p
	for p in phone2 phone3 phone4; do
		lan_host_add "$p" "${LAN_ADDR[$p]}" || return 1
	done
	wg_start pi2 "$WG_PI2_ADDR/24" pi || return 1
	wg_in pi set wgpi2 private-key "$TEST_DIR/keys/pi2.key" listen-port "$ROAM_PORT" || return 1
	wg_up pi2 pi || return 1
	for p in phone2 phone3 phone4; do
		wg_start "$p" "${TUNNEL_ADDR[$p]}/24" || return 1
	done
	wg_in pi set wgpi2 peer "$(wg_pubkey phone2)" allowed-ips "${TUNNEL_ADDR[phone2]}/32" &&
		wg_in pi set wgpi peer "$(wg_pubkey phone3)" allowed-ips "${TUNNEL_ADDR[phone3]}/32" &&
		wg_in pi set wgpi peer "$(wg_pubkey phone4)" allowed-ips "${TUNNEL_ADDR[phone4]}/32" &&
		wg_client phone2 "$OLD:$ROAM_PORT" pi2 &&
		wg_client phone3 "$OLD:$WG_PORT" &&
		wg_client phone4 "$OLD:$WG_PORT" &&
		wg_up phone2 && wg_up phone3 && wg_up phone4
}

# pi_tunnel_addr NAME: the Pi's end of NAME's tunnel.
pi_tunnel_addr() {
	[ "$1" = phone2 ] && echo "$WG_PI2_ADDR" || echo "$WG_PI_ADDR"
}

# server_port NAME: the Pi's WireGuard port NAME dials.
server_port() {
	[ "$1" = phone2 ] && echo "$ROAM_PORT" || echo "$WG_PORT"
}

# ping_ok NAME: one ping through NAME's tunnel is answered within 2 s.
ping_ok() {
	in_ns "$1" ping -c 1 -W 2 -q "$(pi_tunnel_addr "$1")" >/dev/null
}

# set_endpoint NAME ADDR: NAME's WireGuard dials ADDR from now on (it re-resolved its DDNS name).
set_endpoint() {
	local key
	key=$(wg_pubkey pi)
	[ "$1" = phone2 ] && key=$(wg_pubkey pi2)
	wg_in "$1" set "$(wg_ifname "$1")" peer "$key" endpoint "$2:$(server_port "$1")"
}

# receivers_start: udp/5300 of the Pi, and of the old address's new owner, a line a datagram.
receivers_start() {
	: >"$TEST_DIR/pi.udp"
	spawn pi pi-receiver socat -u "UDP4-RECV:$PROBE_PORT" "OPEN:$TEST_DIR/pi.udp,append"
	wait_listening pi udp "$PROBE_PORT"
}

# owner_start: the ISP gives the old address to the inet namespace, which serves udp/5300 and
# tcp/8080 there and captures what reaches its udp/51820.
owner_start() {
	ip -n "$NS_INET" addr add "$OLD/24" dev eth0 || return 1
	: >"$TEST_DIR/owner.udp"
	spawn inet owner-receiver socat -u "UDP4-RECV:$PROBE_PORT,bind=$OLD" \
		"OPEN:$TEST_DIR/owner.udp,append"
	spawn inet owner-server socat "TCP-LISTEN:$TCP_PORT,bind=$OLD,reuseaddr,fork" \
		SYSTEM:"echo owner"
	wait_listening inet udp "$PROBE_PORT" && wait_listening inet tcp "$TCP_PORT" &&
		pcap_start owner-wg inet eth0 "udp and dst host $OLD and dst port $WG_PORT"
}

# datagram LINE SPORT: LINE from the laptop's port SPORT to the old address's udp/5300.
datagram() {
	echo "$1" | in_ns laptop socat -u - "UDP:$OLD:$PROBE_PORT,sourceport=$2,reuseaddr"
}

# got WHO LINE: the receiver of WHO (pi, owner) has LINE, within 3 s.
got() {
	wait_for 3 grep -qx "$2" "$TEST_DIR/$1.udp" && return 0
	echo "the $1's udp/$PROBE_PORT did not get '$2'; it got: $(paste -sd ' ' "$TEST_DIR/$1.udp")" >&2
	return 1
}

lacks() {
	! grep -qx "$2" "$TEST_DIR/$1.udp" && return 0
	echo "the $1's udp/$PROBE_PORT got '$2'" >&2
	return 1
}

# owner_says_owner: a new TCP connection from the laptop to the old address's tcp/8080 is
# answered by its new owner.
owner_says_owner() {
	local said
	said=$(in_ns laptop timeout 10 socat -T 5 - "TCP:$OLD:$TCP_PORT,connect-timeout=5" \
		</dev/null 2>&1)
	[ "$said" = owner ] && return 0
	echo "the connection to $OLD:$TCP_PORT said '$said'" >&2
	return 1
}

# phone4_stuck: phone4's tunnel is broken and the Pi's conntrack holds its flow to the new
# address, masqueraded towards the router.
phone4_stuck() {
	local ct
	tunnel_broken phone4 || { echo "phone4's tunnel works" >&2; return 1; }
	ct=$(in_ns pi conntrack -L -p udp --orig-src "${LAN_ADDR[phone4]}" --orig-dst "$NEW" \
		--dport "$WG_PORT" 2>/dev/null)
	[ -n "$ct" ] && return 0
	echo "the Pi's conntrack has no flow of phone4 to $NEW" >&2
	return 1
}

# tcp_stream_start: the laptop's connection to the old address's tcp/8080, and a line every
# 0.2 s through it, $TCP_LINES in all; each line sent is also logged, so that the switch knows
# how many went before it.
tcp_stream_start() {
	rm -f "$TEST_DIR/lines.fifo"
	: >"$TEST_DIR/lines.sent"
	mkfifo "$TEST_DIR/lines.fifo" || return 1
	ip netns exec "$NS_LAPTOP" socat -t 5 -T 30 - "TCP:$OLD:$TCP_PORT,connect-timeout=5" \
		<"$TEST_DIR/lines.fifo" >"$TEST_DIR/lines.echoed" 2>"$TEST_DIR/log/tcp-stream.log" &
	TCP_STREAM_PID=$!
	LIB_PIDS+=("$!")
	(
		for i in $(seq "$TCP_LINES"); do
			printf 'line %02d\n' "$i"
			printf 'line %02d\n' "$i" >>"$TEST_DIR/lines.sent"
			sleep 0.2
		done
	) >"$TEST_DIR/lines.fifo" &
	LIB_PIDS+=("$!")
}

# every_line_back: the connection ended, and every line sent came back, in order.
every_line_back() {
	local i
	for i in $(seq 100); do
		kill -0 "$TCP_STREAM_PID" 2>/dev/null || break
		sleep 0.2
	done
	cmp -s "$TEST_DIR/lines.sent" "$TEST_DIR/lines.echoed" &&
		[ "$(wc -l <"$TEST_DIR/lines.echoed")" -eq "$TCP_LINES" ] && return 0
	echo "$(wc -l <"$TEST_DIR/lines.echoed") of $(wc -l <"$TEST_DIR/lines.sent") lines came back;" \
		"the client said: $(tail -n 2 "$TEST_DIR/log/tcp-stream.log")" >&2
	return 1
}

# pings_start NAME COUNT: NAME pings the Pi through its tunnel once a second, COUNT times.
pings_start() {
	spawn "$1" "pings-$1" ping -c "$2" -i 1 -W 2 "$(pi_tunnel_addr "$1")"
}

# all_answered NAME COUNT: NAME's pings are done and every one of the COUNT was answered.
all_answered() {
	local log=$TEST_DIR/log/pings-$1.log
	wait_for 10 grep -q "packets transmitted" "$log" 2>/dev/null
	grep -q "^$2 packets transmitted, $2 received" "$log" && return 0
	grep "packets transmitted" "$log" >&2 || echo "$1's pings did not finish" >&2
	return 1
}

# endpoints_start NAME SECONDS: NAME's endpoint, sampled once a second for SECONDS, as lines
# "SECONDS-AFTER-T1 ENDPOINT" in $TEST_DIR/endpoints-NAME.
endpoints_start() {
	(
		for _ in $(seq "$2"); do
			echo "$((SECONDS - T1)) $(wg_endpoint "$1")"
			sleep 1
		done
	) >"$TEST_DIR/endpoints-$1" 2>/dev/null &
	LIB_PIDS+=("$!")
}

# endpoint_from NAME ENDPOINT WITHIN: NAME's samples are ENDPOINT from WITHIN s after T1 at the
# latest, and stay so to the last one.
endpoint_from() {
	local f=$TEST_DIR/endpoints-$1
	awk -v want="$2" -v within="$3" '
		$2 == want && first == "" { first = $1 }
		$2 != want && first != "" { moved = moved " " $1 "s:" $2 }
		END { if (first == "" || first > within || moved != "") exit 1 }' "$f" && return 0
	echo "$1's endpoint, seconds after T1: $(paste -sd ' ' "$f")" >&2
	return 1
}

# old_address_shown: status shows the old address, owned by live flows, and counts packets
# to it that no flow owns.
old_address_shown() {
	local json
	json=$(hairpin status --json) || return 1
	jq -e --arg old "$OLD" '(.old_public_addresses | any(.address == $old and .live_flows > 0))
		and .not_handled.old_address > 0' <<<"$json" >/dev/null &&
		hairpin status | grep -q "^old public address: $OLD, owned by" && return 0
	echo "status --json: $(jq -c '{old_public_addresses, not_handled}' <<<"$json")" >&2
	return 1
}

# flow_gone SPORT: status shows no flow of the laptop's port SPORT.
flow_gone() {
	local json
	json=$(hairpin status --json) || return 1
	jq -e --arg c "$LAPTOP_ADDR" --argjson p "$1" \
		'.flows | all(.client != $c or .client_port != $p)' <<<"$json" >/dev/null && return 0
	echo "status still shows it: $(jq -c --argjson p "$1" '.flows[] | select(.client_port == $p)' \
		<<<"$json")" >&2
	return 1
}

# old_address_gone: status shows no old public address and no flow owning the old one.
old_address_gone() {
	local json
	json=$(hairpin status --json) || return 1
	jq -e --arg old "$OLD" '(.old_public_addresses | length == 0)
		and (.flows | all(.public_address != $old))' <<<"$json" >/dev/null &&
		! hairpin status | grep -q "^old public address" && return 0
	echo "status --json: $(jq -c '{old_public_addresses, flows}' <<<"$json")" >&2
	return 1
}

# sleep_until WHEN: sleep until the shell's $SECONDS is WHEN.
sleep_until() {
	local left=$(($1 - SECONDS))
	[ "$left" -gt 0 ] && sleep "$left"
	return 0
}

run_combination() {
	local mode=$1 offload=$2 t=address_change_$1 conf=$TEST_DIR/hairpin.conf p t0 sent said

	if ! topo_create; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	write_change_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return
	if ! wg_create || ! phones_create || ! echo_server_start || ! receivers_start; then
		fail "${t}_topology" "could not start WireGuard and the servers"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	for p in phone phone2 phone3; do
		check "${t}_${p}_works" "$p's tunnel through $OLD fails" tunnel_works "$p" || return
	done
	# Only a handshake: a Pi that sent phone4 data would, unanswered in the gap, handshake
	# again through phone4's flow to the old address, and phone4 would follow it there.
	check "${t}_phone4_handshake" "phone4 made no handshake through $OLD" \
		wait_handshake phone4 15 || return

	# T0: the ISP moves the router, and gives the old address to someone else; the phone on
	# the internet and phone4 re-resolve the DDNS name.
	router_set_public_addr "$NEW"
	check "${t}_owner" "the old address's new owner did not start" owner_start || return
	wg_in inet set wginet peer "$(wg_pubkey pi)" endpoint "$NEW:$WG_PORT"
	set_endpoint phone4 "$NEW"
	t0=$SECONDS
	check "${t}_phone4_stuck_before" "phone4, dialling $NEW before hairpin knows it, is not stuck" \
		wait_for 15 phone4_stuck
	for p in phone phone2 phone3; do
		check "${t}_${p}_works_before" "$p's tunnel through $OLD fails before set-public-ip" \
			ping_ok "$p"
	done

	sleep_until $((t0 + LEARN_DELAY - 7))
	tcp_stream_start
	sleep 4
	datagram idle-1 40100
	check "${t}_idle_flow_translated" "the laptop's datagram to $OLD:$PROBE_PORT did not reach the Pi" \
		got pi idle-1
	sleep_until $((t0 + LEARN_DELAY))

	# T1: hairpin learns the new address; phone3 re-resolves the DDNS name.
	sent=$(wc -l <"$TEST_DIR/lines.sent")
	check_cmd "${t}_set_public_ip" hairpin set-public-ip "$NEW"
	T1=$SECONDS
	set_endpoint phone3 "$NEW"
	echo "$t: set-public-ip $NEW $((T1 - t0)) s after the router's change, after $sent of $TCP_LINES lines"
	pings_start phone "$OLD_WINDOW"
	pings_start phone2 "$OLD_WINDOW"
	endpoints_start phone2 "$OLD_WINDOW"
	pings_start phone3 "$STAY_WINDOW"
	endpoints_start phone3 "$STAY_WINDOW"

	check "${t}_phone4_works" "phone4's tunnel to $NEW does not work soon after set-public-ip" \
		wait_for 15 ping_ok phone4
	check "${t}_phone4_endpoint" "phone4's endpoint is not $NEW" \
		endpoint_is phone4 "$NEW:$WG_PORT"

	datagram idle-2 40100
	check "${t}_idle_flow_kept" "the laptop's flow to $OLD, live, was not translated after set-public-ip" \
		got pi idle-2
	datagram new-1 40200
	check "${t}_new_flow_to_owner" "a new flow to $OLD did not reach its new owner" \
		got owner new-1
	check "${t}_new_flow_not_pi" "a new flow to $OLD reached the Pi" lacks pi new-1
	check "${t}_new_tcp_to_owner" "a new connection to $OLD:$TCP_PORT did not reach its new owner" \
		owner_says_owner
	check "${t}_status_old_address" "status does not show $OLD as an old address" \
		old_address_shown
	check "${t}_tcp_every_line" "lines sent through tcp/$TCP_PORT across set-public-ip were lost" \
		every_line_back
	check "${t}_tcp_across_change" "the lines were not sent across the change ($sent before it)" \
		test "$sent" -gt 0 -a "$sent" -lt "$TCP_LINES"

	# The laptop's flow of port 40100 was last seen with idle-2: 10 s (UDPTimeout) and 3 s.
	sleep 13
	check "${t}_idle_flow_gone" "status shows the laptop's flow idle past its timeout" \
		flow_gone 40100
	datagram idle-3 40100
	check "${t}_idle_flow_to_owner" "a datagram of a flow idle past its timeout did not reach $OLD's new owner" \
		got owner idle-3
	check "${t}_idle_flow_not_pi" "a datagram of a flow idle past its timeout reached the Pi" \
		lacks pi idle-3

	sleep_until $((T1 + STAY_WINDOW))
	check "${t}_phone3_pings" "phone3's pings through $NEW went unanswered" \
		all_answered phone3 "$STAY_WINDOW"
	check "${t}_phone3_endpoint_stays" "phone3's endpoint did not stay $NEW for ${STAY_WINDOW}s" \
		endpoint_from phone3 "$NEW:$WG_PORT" 3

	sleep_until $((T1 + OLD_WINDOW))
	check "${t}_phone_pings" "the phone's pings through $OLD went unanswered" \
		all_answered phone "$OLD_WINDOW"
	check "${t}_phone_endpoint" "the phone's endpoint changed" endpoint_is phone "$OLD:$WG_PORT"
	check "${t}_phone_not_to_owner" "the phone's packets to $OLD reached its new owner" \
		eval '[ "$(pcap_count owner-wg)" -eq 0 ]'
	check "${t}_phone2_pings" "phone2's pings went unanswered" all_answered phone2 "$OLD_WINDOW"
	check "${t}_phone2_roams" "phone2's endpoint did not become $NEW within 15 s and stay" \
		endpoint_from phone2 "$NEW:$ROAM_PORT" 15

	said=$(hairpin end-flows "$OLD" 2>&1)
	check "${t}_end_flows" "end-flows $OLD failed or ended no live flow: $said" \
		eval '[[ "$said" =~ "ended "[1-9] ]]'
	check "${t}_end_flows_status" "status still shows $OLD" old_address_gone
	check "${t}_end_flows_phone_broken" "the phone's tunnel through $OLD still works" \
		tunnel_broken phone
	pcap_stop owner-wg
	check "${t}_end_flows_phone_to_owner" "the phone's packets to $OLD did not reach its new owner" \
		eval '[ "$(pcap_count owner-wg)" -gt 0 ]'
	check "${t}_end_flows_phone3_works" "phone3's tunnel through $NEW fails" ping_ok phone3
}

each_combination run_combination
lib_finish
