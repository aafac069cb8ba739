#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A LAN host that sprays new flows at forwarded ports must not push the live flows of other
# clients out of the flows map (doc/translation.md, "Admission"). The phone's tunnel goes
# through the public address; the phone sends nothing of its own (no keepalive: a phone in a
# pocket), so only the Pi's pings and its answers touch its flow. Another LAN host, the
# flooder (192.0.2.30), sends UDP from one address at full speed (bench/sender -f -k -e 2) to
# udp/5300 and udp/5301, where nothing listens: a new source port every two packets, 128000
# flows in all, twice what the map holds. It floods in rounds of 4 x 65536 flows, a count that
# empties the map of every flow it does not see meanwhile; after each round the Pi pings the
# phone through the tunnel once.
#   - NewFlowRate = 100, NewFlowBurst = 200, rounds for 20 s: every ping is answered; the
#     phone's capture has every packet from the Pi's port 51820 come from the public address,
#     none from the Pi's LAN address; the phone's endpoint stays the public address; status
#     counts at least 90% of the flood's packets as flow_refused and tracks no more of the
#     flooder's flows than the bucket allows (200 + 100 a second, and as much again for the
#     two CPUs that update it at once);
#   - the baseline, NewFlowRate = unlimited (`up` again, in place), one round: nothing is
#     refused, the phone's flow is pushed out, and the Pi's ping reaches the phone from the
#     LAN address, where the phone's WireGuard follows it.
# For Mode = xdp and tc (NET_MODES), with veth checksum offload on (NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
: "${NET_OFFLOADS:=on}"
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require flood
lib_require_hairpin flood
lib_require_tools flood ethtool tcpdump make cc
if ! bpffs_mount; then
	fail flood_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

SENDER=$REPO_DIR/${BUILD:-build}/bench/sender
FLOODER_ADDR=192.0.2.30
FLOOD_PORTS="5300 5301"
RATE=100
BURST=200
# Flows a round, of both ports together: four times what the flows map holds (HP_MAX_FLOWS).
ROUND_FLOWS=$((4 * 65536))
FLOOD_SECONDS=20
MAX_ROUNDS=40

check_cmd flood_sender_built make -s -C "$REPO_DIR" BUILD="${BUILD:-build}" "${BUILD:-build}/bench/sender" ||
	exit 1

# write_flood_config FILE MODE NEW_FLOW_RATE: the seed's forwards, the flood's ports, and the
# admission limit.
write_flood_config() {
	local port
	write_config "$1" "$2"
	sed -i "/^PublicAddress = /a NewFlowRate = $3\nNewFlowBurst = $BURST" "$1"
	for port in $FLOOD_PORTS; do
		printf '\n[Forward]\nProtocol = udp\nPort = %s\n' "$port" >>"$1"
	done
}

# flood_round: ROUND_FLOWS flows from the flooder, both ports at once, then one ping from the
# Pi to the phone through the tunnel. Adds to FLOOD_SENT (packets) and PINGS_LOST.
flood_round() {
	local port pids=() out
	for port in $FLOOD_PORTS; do
		in_ns flooder "$SENDER" -i eth0 -m "$PI_LAN_MAC" -s "$FLOODER_ADDR" \
			-d "$PUBLIC_ADDR" -p "$port" -f -k -e 2 -n "$ROUND_FLOWS" \
			>>"$TEST_DIR/log/sender.log" 2>&1 &
		pids+=("$!")
		LIB_PIDS+=("$!")
	done
	wait "${pids[@]}"
	in_ns pi ping -c 1 -W 2 -q "$WG_PHONE_ADDR" >/dev/null 2>&1 || PINGS_LOST=$((PINGS_LOST + 1))
	out=$(wg_endpoint phone)
	[ "$out" = "$PUBLIC_ADDR:$WG_PORT" ] || ENDPOINTS_MOVED="$ENDPOINTS_MOVED $out"
}

# flood NAME SECONDS: rounds until SECONDS have passed (one round at least, MAX_ROUNDS at
# most), the phone's capture of the Pi's port 51820 in $TEST_DIR/NAME.pcap.
flood() {
	local end=$((SECONDS + $2)) start=$SECONDS
	FLOOD_ROUNDS=0 PINGS_LOST=0 ENDPOINTS_MOVED=
	: >"$TEST_DIR/log/sender.log"
	pcap_start "$1" phone eth0 "udp and src port $WG_PORT" || return 1
	while [ "$FLOOD_ROUNDS" -lt "$MAX_ROUNDS" ]; do
		flood_round
		FLOOD_ROUNDS=$((FLOOD_ROUNDS + 1))
		[ "$SECONDS" -ge "$end" ] && break
	done
	FLOOD_ELAPSED=$((SECONDS - start))
	pcap_stop "$1"
	FLOOD_SENT=$(awk -F'[ =]' '/^sent=/ { n += $2 } END { print n + 0 }' "$TEST_DIR/log/sender.log")
	echo "$1: $FLOOD_ROUNDS rounds, $FLOOD_SENT packets in ${FLOOD_ELAPSED}s" \
		"($((FLOOD_SENT / (FLOOD_ELAPSED ? FLOOD_ELAPSED : 1))) a second)"
}

# from_pi NAME ADDR: how many packets from ADDR:51820 the phone captured in NAME.
from_pi() {
	pcap_count "$1" "src host $2"
}

# flooder_flows: how many flows of the flooder hairpin tracks.
flooder_flows() {
	hairpin status --json |
		jq --arg c "$FLOODER_ADDR" '[.flows[] | select(.client == $c)] | length'
}

# at_least_refused BEFORE PERCENT: flow_refused grew by PERCENT% of the packets sent at least.
at_least_refused() {
	local now
	now=$(not_handled flow_refused) || return 1
	[ $(((now - $1) * 100)) -ge $((FLOOD_SENT * $2)) ] && return 0
	echo "flow_refused grew by $((now - $1)) of $FLOOD_SENT packets sent" >&2
	return 1
}

run_combination() {
	local mode=$1 offload=$2 t=flood_$1 conf=$TEST_DIR/hairpin.conf refused n most
	if ! topo_up || ! lan_host_add flooder "$FLOODER_ADDR"; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	PI_LAN_MAC=$(ip -n "$NS_PI" -j link show dev lan0 | jq -r '.[0].address')
	write_flood_config "$conf" "$mode" "$RATE"
	check_cmd "${t}_up" hairpin up "$conf" || return
	check "${t}_phone_works" "the phone's tunnel fails" tunnel_works phone || return
	check_cmd "${t}_phone_quiet" \
		wg_in phone set wgphone peer "$(wg_pubkey pi)" persistent-keepalive 0

	refused=$(not_handled flow_refused)
	flood "$t-limited" "$FLOOD_SECONDS"
	check "${t}_limited_pings" "$PINGS_LOST of $FLOOD_ROUNDS pings from the Pi went unanswered" \
		test "$PINGS_LOST" -eq 0
	n=$(from_pi "$t-limited" "$PI_LAN_ADDR")
	check "${t}_limited_none_from_lan" "$n packets reached the phone from $PI_LAN_ADDR:$WG_PORT" \
		test "$n" -eq 0
	n=$(from_pi "$t-limited" "$PUBLIC_ADDR")
	check "${t}_limited_from_public" "$n packets reached the phone from $PUBLIC_ADDR:$WG_PORT, not one a round ($FLOOD_ROUNDS)" \
		test "$n" -ge "$FLOOD_ROUNDS"
	check "${t}_limited_endpoint_stays" "the phone's endpoint moved to:$ENDPOINTS_MOVED" \
		test -z "$ENDPOINTS_MOVED"
	check "${t}_limited_refused" "the flood was not held back" at_least_refused "$refused" 90
	# Twice the refill: the two senders' packets run on two CPUs, which update the bucket
	# without a lock and may each take a token the other took ("a brake, not an account").
	n=$(flooder_flows) most=$((BURST + 2 * RATE * (FLOOD_ELAPSED + 1)))
	echo "$t-limited: hairpin tracks $n flows of the flooder, $((BURST + RATE * FLOOD_ELAPSED))" \
		"by the bucket's own count"
	check "${t}_limited_flows" "hairpin tracks $n flows of the flooder, more than $most" \
		test "${n:-0}" -gt 0 -a "${n:-0}" -le "$most"

	# The baseline: the same flood, unlimited.
	write_flood_config "$conf" "$mode" unlimited
	check_cmd "${t}_up_unlimited" hairpin up "$conf" || return
	refused=$(not_handled flow_refused)
	flood "$t-unlimited" 0
	check "${t}_unlimited_none_refused" "flow_refused grew with NewFlowRate = unlimited" \
		eval '[ "$(not_handled flow_refused)" -eq "$refused" ]'
	n=$(from_pi "$t-unlimited" "$PI_LAN_ADDR")
	check "${t}_unlimited_harm" "nothing reached the phone from $PI_LAN_ADDR:$WG_PORT: without the limit the flood did no harm, and the test shows nothing" \
		test "$n" -gt 0
	check "${t}_unlimited_endpoint_moved" "the phone's endpoint stayed $PUBLIC_ADDR:$WG_PORT" \
		endpoint_is phone "$PI_LAN_ADDR:$WG_PORT"
}

each_combination run_combination
lib_finish
