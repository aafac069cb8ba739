#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin with Mode = auto on whatever the Pi's LAN link is: a veth pair, or real NICs when
# LAN_NICS names them (tests/kernel/run's KERNEL_LAN=virtio: two virtio-net NICs of its guest,
# wired through the host), so that every frame crosses the driver's own receive path.
#   - lan0 is what was asked for: LAN_NICS's first NIC (its address, and not veth), or veth;
#   - auto picks what doc/kernels.md says of the driver and up says why: native XDP on
#     virtio_net, tc on veth;
#   - the seed's story with real WireGuard peers: the phone, stuck before up, gets through with
#     the public address as its endpoint, the laptop and the phone on the internet too; 1 MiB
#     of TCP through the phone's tunnel comes back intact;
#   - VLAN-tagged frames: a TV on VLAN 10 behind the switch's LAN port (virtio-net strips no
#     tags: they are in the frame that XDP sees) reaches the public address's udp/5300 and
#     tcp/8080; a datagram and 1 MiB come back intact, from the public address;
#   - in virtio_net, the XDP program saw the traffic (the driver's xdp_packets) and the XDP
#     path dropped nothing (xdp_drops: a segmentation-offloaded or partially checksummed frame
#     that the host sent in spite of XDP would be dropped there);
#   - no namespace counted a bad checksum (nstat), and that count means something: a datagram
#     sent with a wrong UDP checksum to a forward, translated by hairpin, is counted by the Pi
#     (UdpInCsumErrors) and never delivered. The driver hands the stack rewritten frames to
#     verify, not a checksum state from before the rewrite.

# shellcheck disable=SC2016,SC2317 # check runs eval strings and functions given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require lan_driver
lib_require_hairpin lan_driver
lib_require_tools lan_driver ethtool nstat sha256sum
if ! bpffs_mount; then
	fail lan_driver_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

T=lan_driver
ECHO_PORT=5300
CSUM_PORT=5301
DATA_SIZE=$((1024 * 1024))
# VLAN 10 of the Pi's LAN: its own subnet (RFC 2544's benchmarking range), routed by the Pi.
VLAN_ID=10
NS_TV=${NS_PREFIX}tv
TV_ADDR=198.19.10.10
PI_VLAN_ADDR=198.19.10.1

write_driver_config() {
	write_config "$1" auto
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = udp
		Port = $ECHO_PORT

		[Forward]
		Protocol = udp
		Port = $CSUM_PORT
	EOF
}

# A TV on VLAN 10: its eth0 is a plain port of the switch and tags its frames itself; the Pi
# has lan0.10. Returns 2 when this kernel has no 802.1Q VLAN devices (8021q).
tv_create() {
	local err
	if ! err=$(ip -n "$NS_PI" link add link lan0 name lan0.$VLAN_ID type vlan id $VLAN_ID 2>&1); then
		case $err in *"Unknown device type"*) return 2 ;; esac
		echo "$err" >&2
		return 1
	fi
	ip -n "$NS_PI" link set lan0.$VLAN_ID up &&
		ip -n "$NS_PI" addr add "$PI_VLAN_ADDR/24" dev lan0.$VLAN_ID || return 1
	ip netns del "$NS_TV" 2>/dev/null
	ip netns add "$NS_TV" || return 1
	LIB_NETNS+=("$NS_TV")
	ip -n "$NS_TV" link set lo up || return 1
	in_ns tv sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	veth tv eth0 sw tv && ip -n "$NS_SW" link set tv master br0 || return 1
	ip -n "$NS_TV" link add link eth0 name eth0.$VLAN_ID type vlan id $VLAN_ID &&
		ip -n "$NS_TV" link set eth0.$VLAN_ID up &&
		ip -n "$NS_TV" addr add "$TV_ADDR/24" dev eth0.$VLAN_ID &&
		ip -n "$NS_TV" route add default via "$PI_VLAN_ADDR"
}

lan0_driver() {
	in_ns pi ethtool -i lan0 | awk '$1 == "driver:" { print $2 }'
}

# lan0_is_asked PI_NIC_ADDRESS: lan0 is LAN_NICS's first NIC (its MAC address), or with no
# LAN_NICS a veth.
lan0_is_asked() {
	local driver addr
	driver=$(lan0_driver)
	addr=$(ip -n "$NS_PI" -j link show dev lan0 | jq -r '.[0].address')
	if [ -z "$LAN_NICS" ]; then
		[ "$driver" = veth ] && return 0
		echo "lan0's driver is '$driver', not veth" >&2
		return 1
	fi
	[ "$driver" != veth ] && [ "$addr" = "$1" ] && return 0
	echo "lan0 is $driver with address $addr; LAN_NICS's ${LAN_NICS%% *} has $1" >&2
	return 1
}

# xdp_stat NAME: virtio_net's counter NAME (xdp_packets, xdp_drops) of lan0, summed over its
# receive queues (6.1 calls them rx_queue_0_NAME, 6.12 rx0_NAME).
xdp_stat() {
	in_ns pi ethtool -S lan0 |
		awk -v name="$1" '$1 ~ "^rx.*_" name ":$" { sum += $2 } END { print sum + 0 }'
}

# same_content WHO SENT GOT: files SENT and GOT have the same bytes.
same_content() {
	local a b
	[ -f "$3" ] || { echo "$1: nothing received" >&2; return 1; }
	a=$(sha256sum <"$2") b=$(sha256sum <"$3")
	[ "$a" = "$b" ] && return 0
	echo "$1: $(stat -c %s "$3") bytes of $(stat -c %s "$2"), sha256 differs" >&2
	return 1
}

# tcp_roundtrip NAME DST: $DATA_SIZE random bytes from NAME to the echo server at DST:8080
# and back, intact.
tcp_roundtrip() {
	local in=$TEST_DIR/tcp-$1.in out=$TEST_DIR/tcp-$1.out
	head -c "$DATA_SIZE" /dev/urandom >"$in"
	in_ns "$1" timeout 60 socat -t 10 -T 30 - "TCP:$2:$TCP_PORT,connect-timeout=5" \
		<"$in" >"$out" || return 1
	same_content "$1" "$in" "$out"
}

# udp_echo_tv: one datagram from the TV to the public address's udp/5300, answered by an echo
# server on the Pi; the TV's socket is connected, so the answer counts only from
# 203.0.113.7:5300. The server is bound to the target address: one bound to any address
# would answer the TV from the address of the route back (lan0.10's), which is not a target
# and so not translated back; WireGuard answers from the address it was reached at.
udp_echo_tv() {
	local sent=$TEST_DIR/udp.sent got=$TEST_DIR/udp.got
	head -c 1000 /dev/urandom >"$sent"
	spawn pi udp-echo socat -T 20 UDP-LISTEN:"$ECHO_PORT",bind="$PI_LAN_ADDR",reuseaddr EXEC:cat
	wait_listening pi udp "$ECHO_PORT" || return 1
	in_ns tv timeout 10 socat -t 3 - "UDP:$PUBLIC_ADDR:$ECHO_PORT" <"$sent" >"$got"
	same_content tv "$sent" "$got"
}

flows_have() {
	flow_clients | grep -qx "$1" && return 0
	echo "no flow for $1; flows: $(flow_clients | paste -sd " ")" >&2
	return 1
}

# udp_csum SRC DST SPORT DPORT HEX: the UDP checksum (RFC 768) of a datagram whose payload is
# the even number of bytes HEX (hex digits), as four hex digits.
udp_csum() {
	local len=$((8 + ${#5} / 2)) sum=0 a b c d i
	# The pseudo header: addresses as 16-bit words, protocol, UDP length.
	read -r a b c d <<<"${1//./ }"
	sum=$((sum + (a << 8 | b) + (c << 8 | d)))
	read -r a b c d <<<"${2//./ }"
	sum=$((sum + (a << 8 | b) + (c << 8 | d) + 17 + len))
	# The header, its checksum field 0, and the payload.
	sum=$((sum + $3 + $4 + len))
	for ((i = 0; i < ${#5}; i += 4)); do
		sum=$((sum + 16#${5:i:4}))
	done
	while [ $((sum >> 16)) -ne 0 ]; do
		sum=$(((sum & 0xffff) + (sum >> 16)))
	done
	printf '%04x' $((~sum & 0xffff))
}

# bad_csum_counted: the phone sends, through a raw socket, one datagram to the public
# address's udp/5301 whose UDP checksum is wrong; hairpin translates it (its checksum stays
# exactly as wrong: an incremental update), the Pi's stack counts it in UdpInCsumErrors and
# drops it: the server gets nothing.
bad_csum_counted() {
	local payload=68616972 sport=40000 right wrong hex got=$TEST_DIR/bad.got before after
	right=$(udp_csum "$PHONE_ADDR" "$PUBLIC_ADDR" "$sport" "$CSUM_PORT" "$payload")
	wrong=$(printf '%04x' $((16#$right ^ 0x5a5a)))
	hex=$(printf '%04x%04x%04x%s%s' "$sport" "$CSUM_PORT" 12 "$wrong" "$payload")
	spawn pi udp-csum socat -u -T 10 UDP-RECV:"$CSUM_PORT",reuseaddr CREATE:"$got"
	wait_listening pi udp "$CSUM_PORT" || return 1
	before=$(csum_errors pi UdpInCsumErrors)
	# socat's raw IP socket: the kernel adds the IP header, the rest is ours.
	# shellcheck disable=SC2059,SC2001 # the format is the datagram, as \xHH escapes
	printf "$(sed 's/../\\x&/g' <<<"$hex")" |
		in_ns phone socat -u - "IP4-SENDTO:$PUBLIC_ADDR:17" || return 1
	for _ in $(seq 20); do
		after=$(csum_errors pi UdpInCsumErrors)
		[ "$after" -gt "$before" ] && break
		sleep 0.1
	done
	sleep 0.5
	if [ "$after" -ne $((before + 1)) ]; then
		echo "the Pi's UdpInCsumErrors went from $before to $after, not up by 1" >&2
		return 1
	fi
	if [ -s "$got" ]; then
		echo "the server received the datagram with a wrong checksum: $(od -An -tx1 "$got")" >&2
		return 1
	fi
}

# csum_errors NAME COUNTER: nstat's COUNTER in namespace NAME.
csum_errors() {
	in_ns "$1" nstat -asz "$2" | awk -v c="$2" '$1 == c { print $2 }'
}

run() {
	local conf=$TEST_DIR/hairpin.conf up_out pi_addr='' driver want='' xdp_before vlan
	if [ -n "$LAN_NICS" ]; then
		pi_addr=$(ip -j link show dev "${LAN_NICS%% *}" | jq -r '.[0].address')
	fi
	if ! topo_up; then
		fail "${T}_topology" "could not build the network"
		return
	fi
	tv_create
	vlan=$?
	if [ "$vlan" -eq 1 ]; then
		fail "${T}_vlan_topology" "could not add VLAN $VLAN_ID to the network"
		return
	fi
	check "${T}_lan0_as_asked" "lan0 is not the link asked for (LAN_NICS='$LAN_NICS')" \
		lan0_is_asked "$pi_addr"
	driver=$(lan0_driver)
	echo "lan0's driver: $driver"
	write_driver_config "$conf"
	check "${T}_phone_stuck_before_up" "the phone's flow never reached the Pi's conntrack" \
		wait_phone_stuck 10

	up_out=$(hairpin up "$conf" 2>&1)
	check "${T}_up" "up failed: $up_out" test $? -eq 0 || return
	printf '%s\n' "$up_out"
	case $driver in
	virtio_net)
		want=xdp
		check "${T}_auto_native_xdp" "auto did not attach native XDP to lan0 ($driver): mode '$(xdp_attach_mode)'" \
			eval '[ "$(xdp_attach_mode)" = 1 ]'
		check "${T}_auto_says_why" "up does not say it chose native XDP for driver $driver" \
			eval 'grep -q "lan0: native XDP ingress (driver $driver)" <<<"$up_out"'
		;;
	veth)
		want=tc
		check "${T}_auto_tc" "auto attached XDP to lan0 ($driver), or no tc or tcx ingress" \
			eval '[ -z "$(xdp_attach_mode)" ] &&
				hooks_of "$NS_PI" lan0 | grep -Eq "^tcx?-ingress [0-9]+ hp_ingress_tc"'
		check "${T}_auto_says_why" "up does not say why it chose tc on $driver" \
			eval 'grep -Eq "lan0: (tcx|cls_bpf) ingress and egress \(veth: its native XDP copies every packet" <<<"$up_out"'
		;;
	*)
		skip "${T}_auto_mode" "no expectation here for driver $driver (doc/kernels.md has the table)"
		;;
	esac
	if [ -n "$want" ]; then
		check "${T}_status_mode" "status --json does not show mode $want for lan0" \
			eval 'hairpin status --json | jq -e --arg m "$want" ".devices[0].mode == \$m" >/dev/null'
	fi
	[ "$driver" = virtio_net ] && xdp_before=$(xdp_stat xdp_packets)

	check "${T}_phone_works" "the phone's tunnel fails with hairpin up" tunnel_works phone
	check "${T}_phone_endpoint" "the phone sees another endpoint" \
		endpoint_is phone "$PUBLIC_ADDR:$WG_PORT"
	check "${T}_laptop_works" "the laptop's tunnel fails" tunnel_works laptop
	check "${T}_inet_phone_works" "the internet phone's tunnel fails" tunnel_works inet
	check "${T}_tcp_through_tunnel" "1 MiB through the phone's tunnel did not come back intact" \
		tcp_roundtrip phone "$WG_PI_ADDR"

	if [ "$vlan" -eq 2 ]; then
		skip "${T}_vlan" "this kernel has no 802.1Q VLAN devices (CONFIG_VLAN_8021Q)"
	else
		if [ "$driver" = virtio_net ]; then
			check "${T}_vlan_tags_in_frame" "lan0 ($driver) strips VLAN tags, which this test means XDP to see" \
				eval 'in_ns pi ethtool -k lan0 | grep -q "^rx-vlan-offload: off"'
		fi
		check "${T}_vlan_udp" "the TV's datagram to $PUBLIC_ADDR:$ECHO_PORT did not come back intact from it" \
			udp_echo_tv
		check "${T}_vlan_tcp" "1 MiB from the TV to $PUBLIC_ADDR:$TCP_PORT did not come back intact" \
			tcp_roundtrip tv "$PUBLIC_ADDR"
		check "${T}_vlan_flow" "hairpin tracks no flow of the TV" flows_have "$TV_ADDR"
	fi

	if [ "$driver" = virtio_net ]; then
		check "${T}_xdp_in_driver" "virtio_net's XDP counter did not grow (from $xdp_before)" \
			eval '[ "$(xdp_stat xdp_packets)" -gt "$xdp_before" ]'
		check "${T}_xdp_no_drops" "virtio_net's XDP path dropped frames" \
			eval '[ "$(xdp_stat xdp_drops)" -eq 0 ]'
	fi
	check "${T}_no_csum_errors" "a receiver counted packets with bad checksums" csum_errors_none
	check "${T}_bad_csum_counted" "a datagram with a bad checksum was not counted and dropped by the Pi" \
		bad_csum_counted

	check_cmd "${T}_down" hairpin down "$conf"
}

run
lib_finish
