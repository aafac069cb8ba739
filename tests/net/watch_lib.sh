# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced after lib.sh by the tests of `hairpin watch` (tests/net/test_watch*.sh): running
# watch in the Pi's namespace, and reading the public address of the running instance.
# Every wait is bounded in time; the watch process is one of lib.sh's LIB_PIDS, so its
# cleanup ends it if a test stops halfway.

WATCH_PID=
WATCH_LOG=$TEST_DIR/log/watch.log

# public_addr: the running instance's public address as status --json has it ("null": none).
public_addr() {
	hairpin status --json | jq -r .public_address
}

# wait_public_addr ADDR SECONDS: until the public address is ADDR.
wait_public_addr() {
	local end=$((SECONDS + $2)) got
	while :; do
		got=$(public_addr)
		[ "$got" = "$1" ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			echo "the public address is $got, not $1, after $2 s; watch said:" >&2
			tail -n 15 "$WATCH_LOG" >&2
			return 1
		fi
		sleep 0.2
	done
}

# public_addr_stays ADDR SECONDS: the public address is ADDR now and for SECONDS more.
public_addr_stays() {
	local end=$((SECONDS + $2)) got
	while :; do
		got=$(public_addr)
		if [ "$got" != "$1" ]; then
			echo "the public address became $got, not staying $1; watch said:" >&2
			tail -n 15 "$WATCH_LOG" >&2
			return 1
		fi
		[ "$SECONDS" -ge "$end" ] && return 0
		sleep 0.2
	done
}

# watch_start ARGS...: `hairpin -v watch ARGS` in the Pi's namespace, in the background,
# output appended to $WATCH_LOG; its pid in WATCH_PID.
watch_start() {
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" -v watch "$@" \
		</dev/null >>"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	LIB_PIDS+=("$WATCH_PID")
}

# watch_signal SIGNAL: send SIGNAL to the running watch.
watch_signal() {
	kill -s "$1" "$WATCH_PID"
}

# watch_stop: SIGTERM to watch, and wait at most 5 s for it to end (SIGKILL then). Its exit
# status goes into WATCH_RC (137 when it had to be killed). Not in a subshell: only this
# shell can wait for it.
WATCH_RC=
watch_stop() {
	kill -TERM "$WATCH_PID" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$WATCH_PID" 2>/dev/null && kill -KILL "$WATCH_PID"
	wait "$WATCH_PID"
	WATCH_RC=$?
}

# watch_exited_ok: watch_stop saw watch exit with status 0.
watch_exited_ok() {
	[ "$WATCH_RC" = 0 ] && return 0
	echo "watch exited $WATCH_RC on SIGTERM (137: killed after 5 s); it said:" >&2
	tail -n 15 "$WATCH_LOG" >&2
	return 1
}

# watch_alive: watch still runs.
watch_alive() {
	kill -0 "$WATCH_PID" 2>/dev/null && return 0
	echo "watch is not running; it said:" >&2
	tail -n 15 "$WATCH_LOG" >&2
	return 1
}

# watch_said TEXT SECONDS: until a line of watch's log contains TEXT (fixed string).
watch_said() {
	local end=$((SECONDS + $2))
	while :; do
		grep -qF -- "$1" "$WATCH_LOG" 2>/dev/null && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			echo "watch did not say '$1' within $2 s; it said:" >&2
			tail -n 15 "$WATCH_LOG" >&2
			return 1
		fi
		sleep 0.2
	done
}

# watch_said_count TEXT: how many lines of watch's log contain TEXT.
watch_said_count() {
	grep -cF -- "$1" "$WATCH_LOG" 2>/dev/null
}

# write_watch_config FILE MODE PUBLIC_ADDRESS_FROM [PUBLIC_ADDRESS]: lan0, one forward,
# udp/$WATCH_PORT; PublicAddress only when given.
WATCH_PORT=5001
write_watch_config() {
	{
		echo "[Interface]"
		echo "Device = lan0"
		echo "Mode = $2"
		echo "PublicAddressFrom = $3"
		[ -n "${4:-}" ] && echo "PublicAddress = $4"
		echo
		echo "[Forward]"
		echo "Protocol = udp"
		echo "Port = $WATCH_PORT"
	} >"$1"
}

# wait_udp_bound NAME PORT: until a UDP socket in namespace NAME is bound to PORT (5 s).
wait_udp_bound() {
	for _ in $(seq 50); do
		[ -n "$(in_ns "$1" ss -ulnH "sport = :$2")" ] && return 0
		sleep 0.1
	done
	echo "nothing is bound to udp/$2 in $1 after 5 s" >&2
	return 1
}

# dns_serves NAME ADDR|-: until the Pi's own resolver (getent, through its /etc/resolv.conf)
# gets ADDR for NAME, or none with "-" (4 s): dnsmasq rereads its hosts file on SIGHUP in its
# own time, and watch must not be asked before.
dns_serves() {
	local got
	for _ in $(seq 40); do
		got=$(in_ns pi getent ahostsv4 "$1" | awk '{ print $1; exit }')
		[ "${got:--}" = "$2" ] && return 0
		sleep 0.1
	done
	echo "the Pi resolves $1 to '${got:-nothing}', not $2" >&2
	return 1
}

# A stand-in NAT-PMP gateway in the router, for the tests that need the router to say a public
# address (miniupnpd refuses to hand out a documentation address): socat on the router's LAN
# address, UDP 5351, answers each request with one public address response (RFC 6886 3.2),
# result 0, made by $NATPMP_GW from two files read at each request.
NATPMP_GW=$TEST_DIR/natpmp-gw
NATPMP_GW_PORT=5351
NATPMP_GW_PID=
cat >"$NATPMP_GW" <<'EOF'
#!/usr/bin/env bash
# natpmp_packet ADDR EPOCH: a public address response, version 0, opcode 128, result 0.
natpmp_packet() {
	local a b c d e=$2
	IFS=. read -r a b c d <<<"$1"
	# shellcheck disable=SC2059 # the format is the packet, made of octal escapes
	printf "$(printf '\\%03o' 0 128 0 0 $((e >> 24 & 255)) $((e >> 16 & 255)) \
		$((e >> 8 & 255)) $((e & 255)) "$a" "$b" "$c" "$d")"
}
[ "${1:-}" = packet ] && { natpmp_packet "$2" "$3"; exit; }
head -c 2 >/dev/null	# the request
natpmp_packet "$(cat "$GW_ADDR_FILE")" $(($(date +%s) - $(cat "$GW_BOOT_FILE")))
EOF
chmod +x "$NATPMP_GW"

# natpmp_gw_start ADDR_FILE BOOT_FILE: the stand-in, answering the address in ADDR_FILE with an
# epoch of the seconds since the time in BOOT_FILE (its "boot"); its pid in NATPMP_GW_PID.
natpmp_gw_start() {
	ip netns exec "$NS_ROUTER" env GW_ADDR_FILE="$1" GW_BOOT_FILE="$2" \
		socat "UDP4-RECVFROM:$NATPMP_GW_PORT,bind=$ROUTER_LAN_ADDR,reuseaddr,fork" \
		EXEC:"$NATPMP_GW" </dev/null >>"$TEST_DIR/log/natpmp-gw.log" 2>&1 &
	NATPMP_GW_PID=$!
	LIB_PIDS+=("$NATPMP_GW_PID")
}
