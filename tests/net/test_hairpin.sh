#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin on the seed's network, once with Mode = xdp and once with Mode = tc, each on a fresh
# network whose phone is already stuck (its flow to the public address masqueraded in the
# Pi's conntrack, as test_baseline.sh shows):
#   up -> the phone's tunnel works and the phone still sees the public address as its
#   endpoint; the laptop and the internet phone are untouched; status and the flows map show
#   the phone; TCP carries 2 MiB both ways; set-public-ip follows the router to a new address
#   and stops rewriting the old one; down -> the phone is broken again and nothing is left:
#   no program on lan0, no pins.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require hairpin
lib_require_hairpin hairpin
if ! bpffs_mount; then
	fail hairpin_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

# progs_gone SECONDS ID...: until no program with any of these ids exists (programs detached
# from tc are freed after an RCU grace period, not at once).
progs_gone() {
	local end=$(($1 + SECONDS)) id left
	shift
	while :; do
		left=
		for id in "$@"; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && return 0
		if [ "$SECONDS" -gt "$end" ]; then
			echo "programs still loaded:$left" >&2
			return 1
		fi
		sleep 0.5
	done
}

status_mentions() {
	local out word
	out=$(hairpin status 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
	for word in "$@"; do
		if ! printf '%s\n' "$out" | grep -qiw -- "$word"; then
			echo "status does not mention $word:" >&2
			printf '%s\n' "$out" >&2
			return 1
		fi
	done
}

status_json_ok() {
	local out
	out=$(hairpin status --json) || return 1
	# jq -e succeeds on empty input.
	[ -n "$out" ] || { echo "status --json printed nothing" >&2; return 1; }
	printf '%s\n' "$out" | jq -e --argjson port "$WG_PORT" \
		'type == "object" and ([..] | any(. == $port))' >/dev/null && return 0
	printf '%s\n' "$out" >&2
	return 1
}

flows_have() {
	local clients
	clients=$(flow_clients) || return 1
	printf '%s\n' "$clients" | grep -qx "$1" && return 0
	echo "no flow for $1; flows: $(printf "%s\n" "$clients" | paste -sd " ")" >&2
	return 1
}

flows_lack() {
	local clients
	clients=$(flow_clients) || return 1
	printf '%s\n' "$clients" | grep -qx "$1" || return 0
	echo "a flow for $1; flows: $(printf "%s\n" "$clients" | paste -sd " ")" >&2
	return 1
}

# tcp_echo_roundtrip: 2 MiB of random data from the phone to the public address's tcp/8080,
# and back from the Pi's echo server, unchanged.
tcp_echo_roundtrip() {
	local in=$TEST_DIR/tcp.in out=$TEST_DIR/tcp.out a b
	head -c 2097152 /dev/urandom >"$in"
	in_ns phone timeout 30 socat -t 10 -T 20 - \
		"TCP:$ROUTER_PUBLIC_ADDR:$TCP_PORT,connect-timeout=5" <"$in" >"$out" || return 1
	a=$(sha256sum <"$in") b=$(sha256sum <"$out")
	[ "$a" = "$b" ] && return 0
	echo "sent 2097152 bytes, $(stat -c %s "$out") came back, sha256 differs" >&2
	return 1
}

# tcp_peer_is_public: while a connection from the phone to the public address is open, the
# phone's socket has the public address as its peer and the Pi's the phone's LAN address.
tcp_peer_is_public() {
	local phone_side pi_side i
	spawn phone tcp-hold socat -T 10 "TCP:$ROUTER_PUBLIC_ADDR:$TCP_PORT,connect-timeout=5" \
		SYSTEM:"sleep 3"
	for i in $(seq 20); do
		phone_side=$(in_ns phone ss -tnH state established "( dport = :$TCP_PORT )")
		[ -n "$phone_side" ] && break
		sleep 0.2
	done
	pi_side=$(in_ns pi ss -tnH state established "( sport = :$TCP_PORT )")
	if ! printf '%s\n' "$phone_side" | grep -q " $ROUTER_PUBLIC_ADDR:$TCP_PORT\b"; then
		echo "phone's connection: '$phone_side'" >&2
		return 1
	fi
	if ! printf '%s\n' "$pi_side" | grep -q " $PHONE_ADDR:[0-9]"; then
		echo "Pi's side of the connection: '$pi_side'" >&2
		return 1
	fi
}

# probe_dst SPORT: the destination the Pi's conntrack recorded for the phone's udp_probe from
# SPORT: the public address if nothing rewrote it, the Pi's LAN address if hairpin did.
probe_dst() {
	in_ns pi conntrack -L -p udp --orig-src "$PHONE_ADDR" --sport "$1" 2>/dev/null |
		grep -o 'dst=[0-9.]*' | head -n 1 | cut -d= -f2
}

probe_dst_is() {
	local dst i
	for i in $(seq 10); do
		dst=$(probe_dst "$1")
		[ -n "$dst" ] && break
		sleep 0.2
	done
	[ "$dst" = "$2" ] && return 0
	echo "the probe from port $1 went to '$dst', not $2" >&2
	return 1
}

pin_dir_empty() {
	[ ! -e "$PIN_DIR" ] && return 0
	[ -z "$(ls -A "$PIN_DIR")" ] && return 0
	echo "left in $PIN_DIR: $(find "$PIN_DIR" -mindepth 1 -printf "%f ")" >&2
	return 1
}

run_mode() {
	local mode=$1 t=hairpin_$1 conf=$TEST_DIR/hairpin-$1.conf ids
	if ! topo_up; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	write_config "$conf" "$mode"
	check "${t}_phone_stuck_before_up" "the phone's flow never reached the Pi's conntrack" \
		wait_phone_stuck 10

	check_cmd "${t}_up" hairpin up "$conf" || return
	if [ "$mode" = xdp ]; then
		check "${t}_xdp_native" "no native XDP program on lan0 (mode '$(xdp_attach_mode)')" \
			eval '[ "$(xdp_attach_mode)" = 1 ]'
	else
		check "${t}_no_xdp" "an XDP program on lan0 in tc mode" \
			eval '[ -z "$(xdp_attach_mode)" ]'
		check "${t}_tc_ingress" "no tc or tcx ingress program on lan0" \
			eval 'hooks_of "$NS_PI" lan0 | grep -Eq "^tcx?-ingress [0-9]+ hp_ingress_tc"'
	fi
	check "${t}_tc_egress" "no tc or tcx egress program on lan0" \
		eval 'hooks_of "$NS_PI" lan0 | grep -Eq "^tcx?-egress [0-9]+ hp_egress_tc"'
	ids=$(prog_ids_on_lan0)

	check "${t}_phone_works" "the phone's tunnel fails with hairpin up" tunnel_works phone
	check "${t}_phone_endpoint" "the phone sees another endpoint" \
		endpoint_is phone "$PUBLIC_ADDR:$WG_PORT"
	check "${t}_laptop_works" "the laptop's tunnel fails" tunnel_works laptop
	check "${t}_laptop_endpoint" "the laptop's endpoint changed" \
		endpoint_is laptop "$PI_LAN_ADDR:$WG_PORT"
	check "${t}_inet_phone_works" "the internet phone's tunnel fails" tunnel_works inet

	check "${t}_status" "status fails or does not name the forward" \
		status_mentions udp "$WG_PORT" "$PUBLIC_ADDR" "$mode"
	check "${t}_status_json" "status --json is not a JSON object naming port $WG_PORT" \
		status_json_ok
	check "${t}_flow_phone" "the flows map has no flow for the phone" flows_have "$PHONE_ADDR"
	check "${t}_flow_not_laptop" "the flows map has a flow for the laptop" \
		flows_lack "$LAPTOP_ADDR"

	check "${t}_tcp_echo" "2 MiB over tcp/$TCP_PORT did not come back intact" \
		tcp_echo_roundtrip
	check "${t}_tcp_peer" "the phone's TCP connection is not to $PUBLIC_ADDR:$TCP_PORT" \
		tcp_peer_is_public

	# The ISP changes the public address; DDNS tells the phones.
	router_set_public_addr "$NEW_PUBLIC_ADDR"
	wg_in phone set wgphone peer "$(wg_pubkey pi)" endpoint "$NEW_PUBLIC_ADDR:$WG_PORT"
	wg_in inet set wginet peer "$(wg_pubkey pi)" endpoint "$NEW_PUBLIC_ADDR:$WG_PORT"
	check_cmd "${t}_set_public_ip" hairpin set-public-ip "$NEW_PUBLIC_ADDR"
	check "${t}_new_ip_phone_works" "the phone's tunnel to $NEW_PUBLIC_ADDR fails" \
		tunnel_works phone
	check "${t}_new_ip_phone_endpoint" "the phone sees another endpoint" \
		endpoint_is phone "$NEW_PUBLIC_ADDR:$WG_PORT"
	check "${t}_new_ip_inet_phone_works" "the internet phone's tunnel to $NEW_PUBLIC_ADDR fails" \
		tunnel_works inet
	check "${t}_new_ip_status" "status does not show $NEW_PUBLIC_ADDR" \
		status_mentions "$NEW_PUBLIC_ADDR"
	udp_probe phone "$NEW_PUBLIC_ADDR" "$WG_PORT" 40008
	check "${t}_new_ip_rewritten" "a packet to $NEW_PUBLIC_ADDR:$WG_PORT was not redirected" \
		probe_dst_is 40008 "$PI_LAN_ADDR"
	udp_probe phone "$PUBLIC_ADDR" "$WG_PORT" 40007
	check "${t}_old_ip_not_rewritten" "a packet to the old $PUBLIC_ADDR:$WG_PORT was redirected" \
		probe_dst_is 40007 "$PUBLIC_ADDR"

	# A forward taken out of the configuration ends its flows: the TCP echoes' are still live
	# (closing, 120 s); without tcp/8080, up removes them, and the phone's UDP flow stays.
	check "${t}_tcp_flows_before" "no TCP flow is tracked after the echoes" \
		eval 'hairpin status --json | jq -e "any(.flows[]; .protocol == \"tcp\")" >/dev/null'
	sed '/^\[Forward\]$/{N;/Protocol = tcp/{N;d}}' "$conf" >"$conf.udp"
	check_cmd "${t}_up_without_tcp" hairpin up "$conf.udp"
	check "${t}_tcp_flows_ended" "TCP flows outlived their forward, or the UDP flow went too" \
		eval 'hairpin status --json | jq -e "(any(.flows[]; .protocol == \"tcp\") | not)
			and any(.flows[]; .protocol == \"udp\")" >/dev/null'

	check_cmd "${t}_down" hairpin down "$conf"
	check "${t}_down_phone_broken" "the phone's tunnel still works after down" \
		tunnel_broken phone
	check "${t}_down_no_xdp" "an XDP program is left on lan0" eval '[ -z "$(xdp_attach_mode)" ]'
	check "${t}_down_no_tc_ingress" "a tc or tcx program is left on lan0 ingress" \
		eval '! hooks_of "$NS_PI" lan0 | grep -Eq "^tcx?-ingress"'
	check "${t}_down_no_tc_egress" "a tc or tcx program is left on lan0 egress" \
		eval '! hooks_of "$NS_PI" lan0 | grep -Eq "^tcx?-egress"'
	check "${t}_down_no_clsact" "the clsact qdisc hairpin added is left on lan0" \
		eval '! in_ns pi tc qdisc show dev lan0 | grep -qw clsact'
	# shellcheck disable=SC2086 # one id a word
	check "${t}_down_progs_freed" "hairpin's programs are still loaded" progs_gone 5 $ids
	check "${t}_down_pins_removed" "the pin dir is not empty" pin_dir_empty
}

for mode in xdp tc; do
	run_mode "$mode"
	topo_destroy
	# Whatever a failed down left pinned must not meet the next mode.
	rm -rf "$PIN_DIR"
done

lib_finish
