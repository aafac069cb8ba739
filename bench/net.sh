# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the addresses are for bench/run, which sources this
#
# Sourced by bench/run: the bench's network in namespaces of its own, the variants of the
# gateway it compares, and the cleanup that undoes all of it, also when a run stops halfway
# (in the manner of tests/net/lib.sh).
#
#   client 192.0.2.10 eth0 ── lan0 192.0.2.1 [gw] wan0 198.51.100.2 ── eth0 198.51.100.1 [wan]
#                                   (hairpin, netfilter)          203.0.113.50, .8 on lo
#
# The client sends raw frames (bench/sender) to the gateway's lan0; the gateway delivers them
# to a UDP socket of its own (bench/receiver) or forwards them to wan. Nothing here touches
# the host's own interfaces, routes or bpffs.

BENCH_NS=${BENCH_NS_PREFIX:-hpb$$-}
NS_CLIENT=${BENCH_NS}client
NS_GW=${BENCH_NS}gw
NS_WAN=${BENCH_NS}wan

CLIENT_ADDR=192.0.2.10
GW_LAN_ADDR=192.0.2.1
GW_WAN_ADDR=198.51.100.2
WAN_ADDR=198.51.100.1
INET_ADDR=203.0.113.50
PUBLIC_ADDR=203.0.113.7
NEW_PUBLIC_ADDR=203.0.113.8
PORT=51820
DISCARD_PORT=9
CLIENT_MAC=02:48:50:00:00:0a
GW_LAN_MAC=02:48:50:00:00:01
GW_WAN_MAC=02:48:50:00:01:02
WAN_MAC=02:48:50:00:01:01

NET_PIDS=()
NET_NETNS=()
NET_MOUNTS=()
PIN_DIR=

in_ns() {
	local ns=$BENCH_NS$1
	shift
	ip netns exec "$ns" "$@"
}

# spawn NAME LOG CMD...: CMD in the background in namespace NAME, output to $WORK/LOG.log.
# Sets SPAWNED to its pid, which the cleanup kills.
spawn() {
	local ns=$BENCH_NS$1 log=$WORK/$2.log
	shift 2
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	SPAWNED=$!
	NET_PIDS+=("$SPAWNED")
}

# wait_line FILE TEXT: until FILE has a line TEXT (a spawned tool says it is ready), 5 s.
wait_line() {
	local i
	for i in $(seq 100); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: no \"$2\" in $1 after 5 s:" >&2
	tail -n 5 "$1" >&2
	return 1
}

# stop_pid PID: end a process this run started, and wait for it.
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

net_create() {
	local n
	for n in client gw wan; do
		ip netns add "$BENCH_NS$n" || return 1
		NET_NETNS+=("$BENCH_NS$n")
		ip -n "$BENCH_NS$n" link set lo up || return 1
		in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	done
	ip -n "$NS_CLIENT" link add eth0 address "$CLIENT_MAC" type veth \
		peer name lan0 address "$GW_LAN_MAC" netns "$NS_GW" || return 1
	ip -n "$NS_GW" link add wan0 address "$GW_WAN_MAC" type veth \
		peer name eth0 address "$WAN_MAC" netns "$NS_WAN" || return 1
	ip -n "$NS_CLIENT" link set eth0 up && ip -n "$NS_GW" link set lan0 up &&
		ip -n "$NS_GW" link set wan0 up && ip -n "$NS_WAN" link set eth0 up || return 1

	ip -n "$NS_CLIENT" addr add "$CLIENT_ADDR/24" dev eth0 || return 1
	ip -n "$NS_GW" addr add "$GW_LAN_ADDR/24" dev lan0 || return 1
	ip -n "$NS_GW" addr add "$GW_WAN_ADDR/24" dev wan0 || return 1
	ip -n "$NS_WAN" addr add "$WAN_ADDR/24" dev eth0 || return 1
	ip -n "$NS_WAN" addr add "$INET_ADDR/32" dev lo || return 1
	# Where packets to the new public address end up while it is not translated yet.
	ip -n "$NS_WAN" addr add "$NEW_PUBLIC_ADDR/32" dev lo || return 1
	ip -n "$NS_CLIENT" route add default via "$GW_LAN_ADDR" || return 1
	ip -n "$NS_GW" route add default via "$WAN_ADDR" || return 1
	ip -n "$NS_WAN" route add 192.0.2.0/24 via "$GW_WAN_ADDR" || return 1
	# No ARP in a measuring window: every neighbour is known from the start.
	ip -n "$NS_GW" neigh replace "$WAN_ADDR" lladdr "$WAN_MAC" dev wan0 nud permanent &&
		ip -n "$NS_WAN" neigh replace "$GW_WAN_ADDR" lladdr "$GW_WAN_MAC" dev eth0 \
			nud permanent &&
		ip -n "$NS_CLIENT" neigh replace "$GW_LAN_ADDR" lladdr "$GW_LAN_MAC" dev eth0 \
			nud permanent || return 1
	in_ns gw sysctl -qw net.ipv4.ip_forward=1 || return 1
}

# progs_net_create: a namespace of veth devices for bench/progs -x, one for each XDP program
# it runs (12: 6 configs, the null program, 5 probes; it says so when there are too few), so
# that they stay in the XDP dispatcher between test runs. Sets PROGS_XDP_DEVS to their names.
PROGS_XDP_COUNT=12
progs_net_create() {
	local i
	ip netns add "${BENCH_NS}progs" || return 1
	NET_NETNS+=("${BENCH_NS}progs")
	PROGS_XDP_DEVS=
	for i in $(seq 0 $((PROGS_XDP_COUNT - 1))); do
		ip -n "${BENCH_NS}progs" link add "xdp$i" type veth peer name "xdp${i}peer" || return 1
		PROGS_XDP_DEVS+=${PROGS_XDP_DEVS:+,}xdp$i
	done
}

# bpffs_mount: a private bpffs for this run's pins (`ip netns exec` remounts /sys).
bpffs_mount() {
	mkdir -p "$WORK/bpffs" || return 1
	mount -t bpf bpf "$WORK/bpffs" || return 1
	NET_MOUNTS+=("$WORK/bpffs")
	PIN_DIR=$WORK/bpffs/hairpin
}

net_destroy() {
	local pid ns m
	for pid in "${NET_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${NET_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	# Whatever else still runs in our namespaces was started by this run.
	for ns in "${NET_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${NET_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for m in "${NET_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	NET_PIDS=()
	NET_NETNS=()
	NET_MOUNTS=()
}

# ---- the gateway's variants -------------------------------------------------------------------

hairpin_gw() {
	in_ns gw "$HAIRPIN" --pin-dir "$PIN_DIR" "$@"
}

# write_config FILE MODE: every packet of a many-flows window opens a flow, so no new-flow
# limit, as netfilter has none (with the default, 100 a second, hairpin would pass nearly all
# of them on untranslated).
write_config() {
	cat >"$1" <<-EOF
		[Interface]
		Device = lan0
		Mode = $2
		PublicAddress = $PUBLIC_ADDR
		LocalAddress = $GW_LAN_ADDR
		NewFlowRate = unlimited

		[Forward]
		Protocol = udp
		Port = $PORT
	EOF
}

# The netfilter variants, each the rule a user would write for this forward.
NFT_DNAT="table ip hpbench {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		iifname lan0 ip daddr $PUBLIC_ADDR udp dport $PORT dnat to $GW_LAN_ADDR
	}
}"
# Stateless: no conntrack entry, the addresses rewritten in place both ways (the reply
# rule would also catch replies to LAN peers that dialled the LAN address: a limit of this
# way, which the bench only notes).
NFT_STATELESS="table ip hpbench {
	chain prerouting {
		type filter hook prerouting priority raw;
		iifname lan0 ip daddr $PUBLIC_ADDR udp dport $PORT notrack ip daddr set $GW_LAN_ADDR
	}
	chain output {
		type filter hook output priority raw;
		oifname lan0 ip saddr $GW_LAN_ADDR udp sport $PORT notrack ip saddr set $PUBLIC_ADDR
	}
}"

# variant_up NAME: make the gateway the variant NAME. Prints the destination address the
# client must send to for it.
variant_up() {
	case $1 in
	floor)
		echo "$GW_LAN_ADDR" ;;
	null_xdp)
		in_ns gw ip link set dev lan0 xdpdrv obj "$BENCH_BUILD/bpf/null.bpf.o" sec xdp &&
			echo "$GW_LAN_ADDR" ;;
	null_tc | drop_tc)
		# null_tc is in section "tc", drop_tc in "classifier"
		in_ns gw tc qdisc add dev lan0 clsact &&
			in_ns gw tc filter add dev lan0 ingress bpf direct-action \
				obj "$BENCH_BUILD/bpf/null.bpf.o" \
				sec "$([ "$1" = null_tc ] && echo tc || echo classifier)" &&
			echo "$GW_LAN_ADDR" ;;
	null_tcx)
		# The same null program on tcx (Linux 6.6), which has no cls_bpf in between.
		in_ns gw "$BENCH_BUILD/tcx" "$BENCH_BUILD/bpf/null.bpf.o" null_tc lan0 \
			"$WORK/bpffs/tcx-null" && echo "$GW_LAN_ADDR" ;;
	hairpin_xdp | hairpin_tc)
		hairpin_gw up "$WORK/hairpin-${1#hairpin_}.conf" >>"$WORK/hairpin.log" 2>&1 &&
			echo "$PUBLIC_ADDR" ;;
	iptables_dnat)
		# The seed's fix (scripts/demo), with Debian's iptables (the nf_tables backend).
		in_ns gw iptables -t nat -A PREROUTING -i lan0 -d "$PUBLIC_ADDR" -p udp \
			--dport "$PORT" -j DNAT --to-destination "$GW_LAN_ADDR" &&
			echo "$PUBLIC_ADDR" ;;
	nft_dnat)
		in_ns gw nft -f - <<<"$NFT_DNAT" && echo "$PUBLIC_ADDR" ;;
	nft_stateless)
		in_ns gw nft -f - <<<"$NFT_STATELESS" && echo "$PUBLIC_ADDR" ;;
	*)
		echo "bench: unknown variant $1" >&2
		return 1 ;;
	esac
}

# variant_down NAME: back to the bare gateway, with no conntrack entry left.
variant_down() {
	case $1 in
	null_xdp)
		in_ns gw ip link set dev lan0 xdpdrv off ;;
	null_tc | drop_tc)
		in_ns gw tc qdisc del dev lan0 clsact ;;
	null_tcx)
		rm -f "$WORK/bpffs/tcx-null" ;;
	hairpin_xdp | hairpin_tc)
		hairpin_gw down "$WORK/hairpin-${1#hairpin_}.conf" >>"$WORK/hairpin.log" 2>&1 ;;
	iptables_dnat | nft_dnat | nft_stateless)
		# Removing the tables (not only the rules) unregisters conntrack's hooks again.
		in_ns gw nft flush ruleset ;;
	esac
	in_ns gw conntrack -F >/dev/null 2>&1
	return 0
}
