# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the addresses are for bench/run, which sources this
#
# Sourced by bench/run after bench/net.sh: part "reflect" of `make bench`, a forward to a
# server on the clients' own LAN (doc/translation.md, "Reflection"), hairpin against what a
# router does without it: DNAT and MASQUERADE in netfilter (fw4's NAT reflection). A network
# of its own, beside bench/net.sh's, with the same cleanup:
#
#   client 192.0.2.10 ───┐
#   server 192.0.2.250 ──┼─ sw (bridge) ── lan0 192.0.2.1 [rgw]    public address 203.0.113.7
#
# The client sends raw frames (bench/sender) to the gateway's MAC, to the public address's
# udp/51820; the gateway sends them on to the server's udp/51820, from its own address, back
# out of lan0 (bench/receiver holds the port there, and the server's UDP MIB counts them).
# The server is outside 192.0.2.10-209, the sender's addresses for many flows. Every frame
# crosses the bridge twice, in every variant; the floor is the client to the server's own
# address, no gateway at all. Two more references send to the server's own address through
# the gateway: its stack forwarding it (forward), and bench/bounce.bpf.c sending it back out
# in tc (bounce_tc).

NS_RCLIENT=${BENCH_NS}rclient
NS_RSW=${BENCH_NS}rsw
NS_RSERVER=${BENCH_NS}rserver
NS_RGW=${BENCH_NS}rgw
SERVER_ADDR=192.0.2.250
SERVER_MAC=02:48:50:00:00:fa

# reflect_net_create: the reflection part's network, every neighbour and switch port known in
# advance: no ARP, no flooding in a measuring window.
reflect_net_create() {
	local n host dev mac addr
	for n in rclient rsw rserver rgw; do
		ip netns add "$BENCH_NS$n" || return 1
		NET_NETNS+=("$BENCH_NS$n")
		ip -n "$BENCH_NS$n" link set lo up || return 1
		in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	done
	ip -n "$NS_RSW" link add br0 type bridge && ip -n "$NS_RSW" link set br0 up || return 1
	# A switch has no iptables, even where br_netfilter is loaded.
	in_ns rsw sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
	# Each host's eth0 (the gateway's lan0) and its port on the switch, named after it.
	for host in "rclient eth0 $CLIENT_MAC $CLIENT_ADDR" "rserver eth0 $SERVER_MAC $SERVER_ADDR" \
		"rgw lan0 $GW_LAN_MAC $GW_LAN_ADDR"; do
		read -r n dev mac addr <<<"$host"
		ip -n "$BENCH_NS$n" link add "$dev" address "$mac" type veth \
			peer name "$n" netns "$NS_RSW" || return 1
		ip -n "$NS_RSW" link set "$n" master br0 up &&
			ip -n "$BENCH_NS$n" link set "$dev" up &&
			ip -n "$BENCH_NS$n" addr add "$addr/24" dev "$dev" &&
			bridge -n "$NS_RSW" fdb replace "$mac" dev "$n" master static || return 1
	done
	ip -n "$NS_RCLIENT" route add default via "$GW_LAN_ADDR" &&
		ip -n "$NS_RSERVER" route add default via "$GW_LAN_ADDR" &&
		ip -n "$NS_RGW" neigh replace "$SERVER_ADDR" lladdr "$SERVER_MAC" dev lan0 nud permanent &&
		ip -n "$NS_RGW" neigh replace "$CLIENT_ADDR" lladdr "$CLIENT_MAC" dev lan0 nud permanent &&
		ip -n "$NS_RSERVER" neigh replace "$GW_LAN_ADDR" lladdr "$GW_LAN_MAC" dev eth0 \
			nud permanent &&
		in_ns rgw sysctl -qw net.ipv4.ip_forward=1
}

# reflect_write_config FILE MODE: the forward to the server. Every packet of a many-flows
# window opens a flow: no new-flow limit, as netfilter has none.
reflect_write_config() {
	cat >"$1" <<-EOF
		[Interface]
		Device = lan0
		Mode = $2
		PublicAddress = $PUBLIC_ADDR
		NewFlowRate = unlimited

		[Forward]
		Protocol = udp
		Port = $PORT
		Target = $SERVER_ADDR
	EOF
}

# fw4's NAT reflection for this forward (OpenWrt's firewall4 writes the same two rules for a
# redirect with reflection on): the LAN's packets to the public address DNATed to the server,
# and masqueraded on their way back out of lan0 so that the server's replies come through the
# gateway.
NFT_REFLECT="table ip hpbench {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		iifname lan0 ip daddr $PUBLIC_ADDR udp dport $PORT dnat to $SERVER_ADDR
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname lan0 ip saddr 192.0.2.0/24 ip daddr $SERVER_ADDR udp dport $PORT masquerade
	}
}"

hairpin_rgw() {
	in_ns rgw "$HAIRPIN" --pin-dir "$WORK/bpffs/reflect" "$@"
}

# reflect_variant_up NAME: the gateway as NAME; prints the address the client sends to and the
# MAC it sends to.
reflect_variant_up() {
	case $1 in
	floor)
		echo "$SERVER_ADDR $SERVER_MAC" ;;
	forward)
		# The gateway's stack forwards the packet, addressed to the server itself: no NAT,
		# no conntrack (no rule asks for it).
		echo "$SERVER_ADDR $GW_LAN_MAC" ;;
	bounce_tc)
		in_ns rgw "$BENCH_BUILD/tcx" "$BENCH_BUILD/bpf/bounce.bpf.o" bounce_tc lan0 \
			"$WORK/bpffs/reflect-bounce" && echo "$SERVER_ADDR $GW_LAN_MAC" ;;
	hairpin_xdp)
		# veth hands what XDP_TX sends to its peer only when the peer runs an XDP program
		# (its NAPI receive path); a real NIC has no such need. Its cost is this variant's.
		in_ns rsw ip link set dev rgw xdpdrv obj "$BENCH_BUILD/bpf/null.bpf.o" sec xdp &&
			hairpin_rgw up "$WORK/reflect-xdp.conf" >>"$WORK/hairpin.log" 2>&1 &&
			echo "$PUBLIC_ADDR $GW_LAN_MAC" ;;
	hairpin_tc)
		hairpin_rgw up "$WORK/reflect-tc.conf" >>"$WORK/hairpin.log" 2>&1 &&
			echo "$PUBLIC_ADDR $GW_LAN_MAC" ;;
	nft_reflect)
		in_ns rgw nft -f - <<<"$NFT_REFLECT" && echo "$PUBLIC_ADDR $GW_LAN_MAC" ;;
	*)
		echo "bench: unknown reflection variant $1" >&2
		return 1 ;;
	esac
}

# reflect_variant_down NAME: back to the bare gateway, with no flow or conntrack entry left.
reflect_variant_down() {
	case $1 in
	hairpin_xdp)
		hairpin_rgw down "$WORK/reflect-xdp.conf" >>"$WORK/hairpin.log" 2>&1
		in_ns rsw ip link set dev rgw xdpdrv off ;;
	hairpin_tc)
		hairpin_rgw down "$WORK/reflect-tc.conf" >>"$WORK/hairpin.log" 2>&1 ;;
	nft_reflect)
		in_ns rgw nft flush ruleset ;;
	bounce_tc)
		rm -f "$WORK/bpffs/reflect-bounce" ;;
	esac
	in_ns rgw conntrack -F >/dev/null 2>&1
	return 0
}

# server_delivered: packets that reached the server's UDP layer for a socket (as
# udp_delivered counts the gateway's in part 2).
server_delivered() {
	# shellcheck disable=SC2016 # awk's own $i
	in_ns rserver awk '/^Udp:/ { if (!seen++) { for (i = 2; i <= NF; i++) col[$i] = i; next }
		print $col["InDatagrams"] + $col["RcvbufErrors"] }' /proc/net/snmp
}

# reflect_window ROUND KIND VARIANT: one measuring window; a line of reflect.tsv, with
# e2e.tsv's columns. KIND: reflect_single (one flow), reflect_many (a new flow each packet).
reflect_window() {
	local round=$1 kind=$2 variant=$3 dst mac flags=() before after out
	local softirqd_before softirqd_after
	read -r dst mac < <(reflect_variant_up "$variant")
	if [ -z "$mac" ]; then
		reflect_variant_down "$variant"
		die "setting up reflection variant $variant failed"
	fi
	[ "$kind" = reflect_many ] && flags=(-f)
	before=$(server_delivered)
	softirqd_before=$(softirqd_ns)
	out=$(in_ns rclient taskset -c "$CPU" "$BENCH_BUILD/sender" -i eth0 -m "$mac" \
		-s "$CLIENT_ADDR" -d "$dst" -p "$PORT" -t "$WINDOW" "${flags[@]}") ||
		{ reflect_variant_down "$variant"; die "the sender failed in $kind/$variant"; }
	softirqd_after=$(softirqd_ns)
	after=$(server_delivered)
	reflect_variant_down "$variant"
	# "sent=N failed=N elapsed_ns=N cpu_ns=N preempted=N"
	IFS=' =' read -r _ sent _ failed _ elapsed_ns _ cpu_ns _ preempted <<<"$out"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$kind" "$variant" "$sent" \
		"$failed" "$elapsed_ns" "$((after - before))" "$cpu_ns" \
		"$((softirqd_after - softirqd_before))" "$preempted" >>"$RAW/reflect.tsv"
}

# reflect_part: every variant once a round, one flow and many, in a shuffled order.
reflect_part() {
	local round kind variant windows=() hold_pid
	reflect_net_create || die "building the reflection namespaces failed"
	# Part 2 or 3 mounted it already, or not.
	[ -n "$PIN_DIR" ] || bpffs_mount || die "mounting a bpffs failed"
	reflect_write_config "$WORK/reflect-xdp.conf" xdp
	reflect_write_config "$WORK/reflect-tc.conf" tc
	for kind in reflect_single reflect_many; do
		for variant in floor forward bounce_tc hairpin_xdp hairpin_tc nft_reflect; do
			windows+=("$kind $variant")
		done
	done
	echo "bench: reflection: $ROUNDS rounds of ${#windows[@]} windows of ${WINDOW}s" >&2
	spawn rserver hold-server "$BENCH_BUILD/receiver" hold "$PORT"
	hold_pid=$SPAWNED
	wait_line "$WORK/hold-server.log" ready || die "the server's receiver did not start"
	printf 'round\tkind\tvariant\tsent\tfailed\telapsed_ns\tdelivered\tcpu_ns\tsoftirqd_ns\tpreempted\n' \
		>"$RAW/reflect.tsv"
	# A first window to warm up, not counted.
	in_ns rclient taskset -c "$CPU" "$BENCH_BUILD/sender" -i eth0 -m "$SERVER_MAC" \
		-s "$CLIENT_ADDR" -d "$SERVER_ADDR" -p "$PORT" -t 1 >/dev/null || die "the sender failed"
	for round in $(seq 0 $((ROUNDS - 1))); do
		while read -r kind variant; do
			reflect_window "$round" "$kind" "$variant"
		done < <(printf '%s\n' "${windows[@]}" | shuf)
		echo "bench: reflection: round $((round + 1))/$ROUNDS done" >&2
	done
	stop_pid "$hold_pid"
}
