#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# No packet lost or misdelivered once the public address has switched. The ISP has moved the
# router to a new public address; the phone already sends a stream of numbered datagrams to
# it (new address, udp/5001, one every 2 ms or so). Until hairpin knows the new address they
# go the old way: masqueraded by the Pi to the router, where a receiver on the router counts
# them as misdelivered. Then the switch:
#   - `hairpin set-public-ip NEW`, run between two datagrams of the stream (tc, then xdp);
#   - `hairpin watch` with PublicAddressFrom = dns:NAME, once the DDNS record moved (the
#     switch is the moment watch logs the change; tc).
# Every datagram sent after that moment must reach the Pi's receiver (on the Pi's LAN address
# only: hairpin rewrote it) exactly once, and none of them the router. Counts, not times.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/watch_lib.sh
. "$(dirname "$0")/watch_lib.sh"

t=watch_noloss
NAME=home.example.net
NETNS_ETC=/etc/netns/$NS_PI
# /etc/netns itself is removed only if this test made it.
[ -d /etc/netns ] && NETNS_DIR_WAS_THERE=1 || NETNS_DIR_WAS_THERE=0
# Datagrams before the switch, and after it.
BEFORE=300
AFTER=1000
# A switch that never comes ends the stream here.
MAX=20000

lib_require "$t"
lib_require_hairpin "$t"
lib_require_tools "$t" dnsmasq mkfifo

watch_noloss_cleanup() {
	rm -rf "$NETNS_ETC"
	[ "$NETNS_DIR_WAS_THERE" = 1 ] || rmdir /etc/netns 2>/dev/null
	lib_cleanup
}
trap watch_noloss_cleanup EXIT

if ! bpffs_mount; then
	fail "${t}_bpffs" "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

# receivers: on the Pi's LAN address (where hairpin sends the stream) and on the router (where
# it goes without hairpin), each datagram a line "%08d" in a file.
receivers_start() {
	: >"$TEST_DIR/pi.seq"
	: >"$TEST_DIR/router.seq"
	spawn pi pi-receiver socat -u "UDP-RECV:$WATCH_PORT,bind=$PI_LAN_ADDR,rcvbuf=4194304" \
		"OPEN:$TEST_DIR/pi.seq,creat,append"
	spawn router router-receiver socat -u "UDP-RECV:$WATCH_PORT,rcvbuf=4194304" \
		"OPEN:$TEST_DIR/router.seq,creat,append"
	wait_udp_bound pi "$WATCH_PORT" && wait_udp_bound router "$WATCH_PORT"
}

# stream SWITCH: the phone's numbered datagrams to $NEW_PUBLIC_ADDR:$WATCH_PORT. SWITCH is
# called once, after $BEFORE datagrams. The switch moment is when SWITCH returns, or, if it
# creates $TEST_DIR/switched, when that file appears; STREAM_K is the number of the first
# datagram sent after it, STREAM_N the number sent in all.
stream() {
	local switch=$1 seq=0 out idle
	STREAM_K=
	rm -f "$TEST_DIR/switched" "$TEST_DIR/stream.fifo" "$TEST_DIR/idle.fifo"
	mkfifo "$TEST_DIR/stream.fifo" "$TEST_DIR/idle.fifo" || return 1
	# -b 9: one read, one datagram, one "%08d\n" line (9-byte pipe writes are atomic).
	ip netns exec "$NS_PHONE" socat -u -b 9 - \
		"UDP:$NEW_PUBLIC_ADDR:$WATCH_PORT,sourceport=40001" \
		<"$TEST_DIR/stream.fifo" >>"$TEST_DIR/log/sender.log" 2>&1 &
	LIB_PIDS+=("$!")
	exec {out}>"$TEST_DIR/stream.fifo"
	# Read from a FIFO nobody writes to: a 2 ms pause without a process.
	exec {idle}<>"$TEST_DIR/idle.fifo"
	while [ "$seq" -lt "$MAX" ]; do
		if [ "$seq" -eq "$BEFORE" ]; then
			"$switch" || echo "the switch ($switch) failed" >&2
			[ -e "$TEST_DIR/switched.wait" ] || STREAM_K=$seq
		fi
		if [ -z "$STREAM_K" ] && [ -e "$TEST_DIR/switched" ]; then
			STREAM_K=$seq
		fi
		[ -n "$STREAM_K" ] && [ "$seq" -ge $((STREAM_K + AFTER)) ] && break
		printf '%08d\n' "$seq" >&"$out"
		seq=$((seq + 1))
		read -r -t 0.002 -u "$idle"
	done
	exec {out}>&- {idle}>&-
	STREAM_N=$seq
}

# seqs_in FILE FIRST LAST: how many datagrams of FIRST..LAST the file has, each counted once.
seqs_in() {
	awk -v a="$2" -v b="$3" '{ n = $1 + 0 } n >= a && n <= b && !seen[n]++ { c++ }
		END { print c + 0 }' "$1"
}

# wait_drained: until the Pi's receiver has every datagram from STREAM_K on (at most 5 s).
wait_drained() {
	local i
	for i in $(seq 50); do
		[ "$(seqs_in "$TEST_DIR/pi.seq" "$STREAM_K" $((STREAM_N - 1)))" -eq \
			$((STREAM_N - STREAM_K)) ] && return 0
		sleep 0.1
	done
}

# after_switch_exactly_once NAME: what the receivers got, counted.
after_switch_exactly_once() {
	local k=$STREAM_K n=$STREAM_N pi_after router_after router_before dups missing
	if [ -z "$k" ]; then
		echo "the switch never happened ($n datagrams sent)" >&2
		return 1
	fi
	pi_after=$(seqs_in "$TEST_DIR/pi.seq" "$k" $((n - 1)))
	router_after=$(awk -v k="$k" '$1 + 0 >= k { c++ } END { print c + 0 }' \
		"$TEST_DIR/router.seq")
	router_before=$(seqs_in "$TEST_DIR/router.seq" 0 $((k - 1)))
	dups=$(awk '{ n = $1 + 0 } seen[n]++ == 1 { c++ } END { print c + 0 }' "$TEST_DIR/pi.seq")
	missing=$(awk -v a="$k" -v b=$((n - 1)) '{ seen[$1 + 0] = 1 }
		END { for (i = a; i <= b; i++) if (!seen[i]) { printf "%s%d", s, i; s = " ";
		if (++c == 20) break } }' "$TEST_DIR/pi.seq")
	echo "$1: switched before datagram $k of $n; after it the Pi got $pi_after of" \
		"$((n - k)), the router $router_after; before it the router got $router_before"
	[ "$pi_after" -eq $((n - k)) ] && [ "$router_after" -eq 0 ] && [ "$dups" -eq 0 ] &&
		[ "$router_before" -gt 0 ] && return 0
	[ "$pi_after" -eq $((n - k)) ] || echo "lost after the switch: $missing..." >&2
	[ "$router_after" -eq 0 ] || echo "$router_after reached the router after the switch" >&2
	[ "$dups" -eq 0 ] || echo "$dups datagrams reached the Pi more than once" >&2
	# Without datagrams on the old path before, the test would prove nothing.
	[ "$router_before" -gt 0 ] || echo "none took the old path before the switch" >&2
	return 1
}

switch_set_public_ip() {
	hairpin set-public-ip "$NEW_PUBLIC_ADDR"
}

# The DDNS record moves; SIGHUP has watch ask now rather than when the TTL runs out. The
# moment is when watch logs the change, which it does after the store.
switch_watch_dns() {
	echo "$NEW_PUBLIC_ADDR $NAME" >"$TEST_DIR/dns.hosts"
	kill -HUP "$DNSMASQ_PID"
	dns_serves "$NAME" "$NEW_PUBLIC_ADDR" || return 1
	: >"$TEST_DIR/switched.wait"
	(
		for _ in $(seq 300); do
			if grep -qF "public address $PUBLIC_ADDR -> $NEW_PUBLIC_ADDR (dns:$NAME)" \
				"$WATCH_LOG"; then
				: >"$TEST_DIR/switched"
				exit 0
			fi
			sleep 0.05
		done
	) &
	LIB_PIDS+=("$!")
	watch_signal HUP
}

dnsmasq_start() {
	mkdir -p "$NETNS_ETC"
	printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$ROUTER_LAN_ADDR" \
		>"$NETNS_ETC/resolv.conf"
	echo "$PUBLIC_ADDR $NAME" >"$TEST_DIR/dns.hosts"
	ip netns exec "$NS_ROUTER" dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--no-resolv --no-hosts --addn-hosts="$TEST_DIR/dns.hosts" --local-ttl=2 \
		--local=/example.net/ --listen-address="$ROUTER_LAN_ADDR" --bind-interfaces \
		--user=root --group=root --pid-file="$TEST_DIR/dnsmasq.pid" \
		</dev/null >>"$TEST_DIR/log/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	LIB_PIDS+=("$DNSMASQ_PID")
}

# run NAME MODE HOW: one switch on a fresh network; HOW is set-public-ip or watch-dns.
run() {
	local name=${t}_$1 mode=$2 how=$3 conf=$TEST_DIR/$1.conf
	if ! topo_create; then
		fail "${name}_topology" "could not build the network"
		return
	fi
	rm -f "$TEST_DIR/switched.wait" "$WATCH_LOG"
	# up ignores PublicAddressFrom: the set-public-ip runs use the same file.
	write_watch_config "$conf" "$mode" "dns:$NAME" "$PUBLIC_ADDR"
	check_cmd "${name}_up" hairpin up "$conf" || return
	if [ "$how" = watch-dns ]; then
		dnsmasq_start
		watch_start "$conf"
		check "${name}_watch_asked" "watch got no first answer" \
			watch_said "public address stays $PUBLIC_ADDR" 10 || return
	fi
	# The ISP's new address, with the router's port forwards; phones learn it from DDNS.
	router_set_public_addr "$NEW_PUBLIC_ADDR"
	check "${name}_receivers" "the receivers did not start" receivers_start || return
	if [ "$how" = watch-dns ]; then
		stream switch_watch_dns
	else
		stream switch_set_public_ip
	fi
	wait_drained
	# Not through check: the counts are worth a line also when they are right.
	if after_switch_exactly_once "$name" 2>"$TEST_DIR/why"; then
		pass "${name}_after_switch"
	else
		fail "${name}_after_switch" "datagrams after the switch lost or misdelivered"
		diag <"$TEST_DIR/why"
	fi
	[ "$how" = watch-dns ] && { watch_stop; check "${name}_watch_sigterm" \
		"watch did not exit 0 on SIGTERM" watch_exited_ok; }
	check_cmd "${name}_down" hairpin down "$conf"
}

run set_public_ip_tc tc set-public-ip
topo_destroy
rm -rf "$PIN_DIR"
run set_public_ip_xdp xdp set-public-ip
topo_destroy
rm -rf "$PIN_DIR"
run watch_dns_tc tc watch-dns

lib_finish
