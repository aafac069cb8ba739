#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A TCP forward end to end: the phone connects to the public address's tcp/8080, which
# hairpin sends to a server on the Pi.
#   - handshake and data both ways: 4 MiB up and 4 MiB down at once, both intact (sha256);
#   - FIN: both ends close cleanly (both socats exit 0) and the phone, which closed first,
#     holds the connection in TIME-WAIT with 203.0.113.7:8080: the Pi's FIN and ACK reached
#     it translated;
#   - RST: connecting to a forwarded port with no listener (tcp/8081) is refused, which needs
#     the Pi's RST to come back from 203.0.113.7:8081; an established connection that the Pi
#     aborts (ss -K) is reset on the phone, and one the phone aborts is reset on the Pi;
#   - TSO/GSO: hairpin's tc egress rewrites the Pi's replies as GSO packets larger than the
#     MTU (its counters: bytes per packet), with offload on and off alike, since the stack
#     splits them only after tc egress. With offload on they also leave lan0 that large
#     (tcpdump on lan0 sees them after hairpin, before the peer splits them: TSO); with it
#     off, split in software, none does. The transfer is intact either way.
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require tcp
lib_require_hairpin tcp
lib_require_tools tcp ethtool tcpdump sha256sum
if ! bpffs_mount; then
	fail tcp_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

CLOSED_PORT=8081
DATA_SIZE=$((4 * 1024 * 1024))
MTU=1500

# The seed's forwards and tcp/8081, where nothing listens.
write_tcp_config() {
	write_config "$1" "$2"
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = tcp
		Port = $CLOSED_PORT
	EOF
}

same_content() {
	local a b
	[ -f "$2" ] || { echo "$1: nothing received" >&2; return 1; }
	a=$(sha256sum <"$2") b=$(sha256sum <"$3")
	[ "$a" = "$b" ] && return 0
	echo "$1: $(stat -c %s "$3") bytes arrived of $(stat -c %s "$2"), sha256 differs" >&2
	return 1
}

# wait_exit PID SECONDS: until PID (a child of this shell) has exited; its exit status.
wait_exit() {
	local end=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$SECONDS" -gt "$end" ]; then
			echo "pid $1 still running after $2 s" >&2
			return 124
		fi
		sleep 0.1
	done
	wait "$1"
}

# exits_ok PID LOG: PID exits 0 within 10 s; else the end of $TEST_DIR/log/LOG.log.
exits_ok() {
	wait_exit "$1" 10 && return 0
	tail -n 3 "$TEST_DIR/log/$2.log" >&2
	return 1
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

# capture_start NAME: tcpdump on the Pi's lan0, outgoing segments from 203.0.113.7:8080 to a
# pcap file $TEST_DIR/NAME.pcap; its pid in CAPTURE_PID. --immediate-mode: without it what
# is still in the capture ring when tcpdump is stopped is lost.
capture_start() {
	spawn pi "$1" tcpdump -i lan0 -Q out --immediate-mode -nn -U -s 96 -w "$TEST_DIR/$1.pcap" \
		"tcp and src host $PUBLIC_ADDR and src port $TCP_PORT"
	CAPTURE_PID=$!
	wait_log_says "$1" "listening on" 5
}

capture_stop() {
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait_exit "$CAPTURE_PID" 5 >/dev/null 2>&1
}

# captured NAME [FILTER]: how many captured frames match FILTER.
captured() {
	tcpdump -r "$TEST_DIR/$1.pcap" -nn ${2:+"$2"} 2>/dev/null | wc -l
}

# transfer T: 4 MiB each way over one connection, closed by both ends.
transfer() {
	local t=$1 up=$TEST_DIR/up.src down=$TEST_DIR/down.src
	local up_got=$TEST_DIR/up.got down_got=$TEST_DIR/down.got server rc
	head -c "$DATA_SIZE" /dev/urandom >"$up"
	head -c "$DATA_SIZE" /dev/urandom >"$down"
	rm -f "$up_got" "$down_got"
	# One connection: the server keeps what comes up and sends the other file down at once
	# (in the background: sh gives a background command /dev/null as its stdin); when both
	# are done it closes, and socat sends its FIN. -t: how long a socat waits for
	# the other side's FIN after its own.
	spawn pi tcp-server socat -T 30 -t 20 TCP-LISTEN:"$TCP_PORT",reuseaddr \
		SYSTEM:"cat $down & cat >$up_got; wait"
	server=$!
	wait_listening pi tcp "$TCP_PORT" || { fail "${t}_server" "the server did not start"; return 1; }
	capture_start "capture-$t" || { fail "${t}_capture" "tcpdump did not start"; return 1; }

	in_ns phone timeout 60 socat -T 30 -t 20 - "TCP:$PUBLIC_ADDR:$TCP_PORT,connect-timeout=5" \
		<"$up" >"$down_got" 2>"$TEST_DIR/log/tcp-client.log"
	rc=$?
	check "${t}_client_clean_close" "the phone's socat exited $rc: $(tail -n 3 "$TEST_DIR/log/tcp-client.log")" \
		test "$rc" -eq 0
	check "${t}_server_clean_close" "the Pi's socat did not exit 0" \
		exits_ok "$server" tcp-server
	capture_stop
	check "${t}_data_up" "what the Pi received is not what the phone sent" \
		same_content Pi "$up" "$up_got"
	check "${t}_data_down" "what the phone received is not what the Pi sent" \
		same_content phone "$down" "$down_got"
	# The phone sent its FIN first (end of its input): it is the one in TIME-WAIT, and only
	# once the Pi's FIN came back translated.
	check "${t}_fin_time_wait" "the phone holds no TIME-WAIT connection with $PUBLIC_ADDR:$TCP_PORT" \
		eval '[ -n "$(in_ns phone ss -tnH state time-wait "( dst $PUBLIC_ADDR and dport = :$TCP_PORT )")" ]'
	check "${t}_fin_pi_closed" "the Pi still holds a connection to the phone" \
		eval '[ -z "$(in_ns pi ss -tnH "( dst $PHONE_ADDR and sport = :$TCP_PORT )" | grep -v TIME-WAIT)" ]'
}

# gso_segments T OFFLOAD: hairpin rewrote packets larger than the MTU on their way to the
# phone; what left lan0 (after hairpin's egress) had segments larger than the MTU with offload
# on (TSO), none with it off (GSO split them in software before the device).
gso_segments() {
	local t=$1 pcap=capture-$1 all big per_packet
	per_packet=$(hairpin status --json | jq --argjson port "$TCP_PORT" \
		'.forwards[] | select(.protocol == "tcp" and .port == $port) | .to_client
		 | if .packets > 0 then .bytes / .packets | floor else 0 end')
	check "${t}_egress_gso_sized" "hairpin's egress rewrote ${per_packet:-no} bytes a packet on average, not more than $MTU" \
		test "${per_packet:-0}" -gt "$MTU"
	all=$(captured "$pcap")
	big=$(captured "$pcap" "greater $((MTU + 14 + 1))")
	if [ "$2" = on ]; then
		check "${t}_tso_segments" "no segment from $PUBLIC_ADDR:$TCP_PORT larger than $MTU bytes among $all" \
			test "$big" -gt 0
	else
		check "${t}_no_tso_segments" "$big of $all segments larger than $MTU with offload off" \
			test "$big" -eq 0 -a "$all" -gt 0
	fi
}

# refused T: a connection to tcp/8081, where nothing listens on the Pi, is refused at once.
refused() {
	local t=$1 said
	said=$(in_ns phone timeout 10 socat -T 5 - "TCP:$PUBLIC_ADDR:$CLOSED_PORT,connect-timeout=5" \
		</dev/null 2>&1)
	check "${t}_rst_refused" "connecting to $PUBLIC_ADDR:$CLOSED_PORT was not refused: $said" \
		eval 'grep -q "Connection refused" <<<"$said"'
}

# resets T: the Pi aborts an established connection and the phone sees the reset; then the
# phone aborts one and the Pi sees it.
resets() {
	local t=$1
	spawn pi hold-server socat -d -T 30 TCP-LISTEN:"$TCP_PORT",reuseaddr,fork SYSTEM:"sleep 20"
	wait_listening pi tcp "$TCP_PORT" || { fail "${t}_hold_server" "the server did not start"; return; }
	spawn phone hold-client-1 socat -d -T 30 SYSTEM:"sleep 20" "TCP:$PUBLIC_ADDR:$TCP_PORT,connect-timeout=5"
	check "${t}_rst_established" "the phone's connection was not established" \
		eval 'wait_established 5 && sleep 0.2'
	in_ns pi ss -tnK "( dst $PHONE_ADDR and sport = :$TCP_PORT )" >/dev/null
	check "${t}_rst_from_pi" "the Pi's reset did not reach the phone" \
		wait_log_says hold-client-1 "Connection reset by peer" 5

	spawn phone hold-client-2 socat -d -T 30 SYSTEM:"sleep 20" "TCP:$PUBLIC_ADDR:$TCP_PORT,connect-timeout=5"
	check "${t}_rst_established_again" "the phone's second connection was not established" \
		eval 'wait_established 5 && sleep 0.2'
	in_ns phone ss -tnK "( dst $PUBLIC_ADDR and dport = :$TCP_PORT )" >/dev/null
	check "${t}_rst_from_phone" "the phone's reset did not reach the Pi" \
		wait_log_says hold-server "Connection reset by peer" 5
}

# wait_established SECONDS: until the phone has an established connection to 203.0.113.7:8080.
wait_established() {
	local end=$((SECONDS + $1))
	until [ -n "$(in_ns phone ss -tnH state established "( dst $PUBLIC_ADDR and dport = :$TCP_PORT )")" ]; do
		[ "$SECONDS" -gt "$end" ] && return 1
		sleep 0.1
	done
}

run_combination() {
	local mode=$1 offload=$2 t=tcp_$1_offload_$2 conf=$TEST_DIR/hairpin.conf

	if ! topo_create; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	write_tcp_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return

	transfer "$t" || return
	gso_segments "$t" "$offload"
	refused "$t"
	resets "$t"
}

each_combination run_combination
lib_finish
