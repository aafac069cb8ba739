#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin monitor against real traffic, with Mode = tc and Mode = xdp: two monitors each print
# every one of 200 translations; a monitor goes on across a second `up` (same configuration)
# and a third that changes the mode, and ends with a message and status 0 on `down`; a monitor
# stopped while a burst overflows its ring buffer says how many events it lost; one whose
# reader goes away ends; a ninth monitor is refused while eight run, and a killed monitor's
# slot is free once its lease runs out. One client ("phone") on a veth to the Pi's lan0; no
# WireGuard needed: the Pi's firewall drops the translated datagrams, after the programs have
# seen them.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require monitor
lib_require_hairpin monitor

for n in pi phone; do
	ip netns add "$NS_PREFIX$n" || exit 1
	LIB_NETNS+=("$NS_PREFIX$n")
done
veth pi lan0 phone eth0 || exit 1
ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev lan0 || exit 1
ip -n "$NS_PHONE" addr add "$PHONE_ADDR/24" dev eth0 || exit 1
ip -n "$NS_PHONE" route add default via "$PI_LAN_ADDR" || exit 1
# After the ingress programs, before any socket: no ICMP error, so nothing for egress to
# translate and report.
in_ns pi iptables -A INPUT -p udp --dport "$WG_PORT" -j DROP || exit 1
# The gateway's address resolved before the bursts, which would overflow ARP's queue.
in_ns phone ping -c 1 -W 2 -q "$PI_LAN_ADDR" >/dev/null || exit 1
bpffs_mount || exit 1

# send N: N datagrams from the phone to the public address's udp/51820, each from a socket
# of its own.
send() {
	in_ns phone bash -c 'for ((i = 0; i < $0; i++)); do echo x >/dev/udp/$1/$2; done' \
		"$1" "$PUBLIC_ADDR" "$WG_PORT" 2>/dev/null
}

# The line a translation of send's datagrams prints.
EVENT_RE=" lan0 in  udp $PHONE_ADDR:[0-9]* > $PUBLIC_ADDR:$WG_PORT => $PI_LAN_ADDR:$WG_PORT\$"

# monitor_start NAME ARGS...: `hairpin monitor ARGS` in the background, stdout to
# $TEST_DIR/NAME.out, stderr to NAME.err; its pid in MON_PID.
monitor_start() {
	local name=$1
	shift
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" monitor "$@" \
		>"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" </dev/null &
	MON_PID=$!
	LIB_PIDS+=("$MON_PID")
}

# wait_for_text FILE TEXT SECONDS: until FILE contains TEXT.
wait_for_text() {
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -le "$end" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no '$2' in $1 after $3 s:" >&2
	cat "$1" >&2
	return 1
}

# monitor_ready NAME: it has taken its slot and watches.
monitor_ready() {
	wait_for_text "$TEST_DIR/$1.err" "monitoring the instance at $PIN_DIR" 5
}

# events NAME: how many translation lines NAME printed.
events() {
	grep -c -- "$EVENT_RE" "$TEST_DIR/$1.out"
}

# wait_events NAME COUNT SECONDS: until NAME has printed COUNT translations.
wait_events() {
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -le "$end" ]; do
		[ "$(events "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 printed $(events "$1") translations, not $2, in $3 s; its stderr:" >&2
	cat "$TEST_DIR/$1.err" >&2
	return 1
}

# running PID: PID has not ended (a child that ended stays a zombie until waited for).
running() {
	local state
	state=$(ps -o stat= -p "$1") && [ "${state#Z}" = "$state" ]
}

# wait_exit PID SECONDS: EXIT_STATUS becomes the exit status of PID, a child of this shell, or
# "still running after SECONDS s". Never in a subshell ($(...), check): only this shell can
# wait for its children.
wait_exit() {
	local end=$((SECONDS + $2))
	EXIT_STATUS="still running after $2 s"
	while running "$1"; do
		[ "$SECONDS" -gt "$end" ] && return 1
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	EXIT_STATUS=$?
}

# exactly NAME COUNT: NAME printed COUNT lines, every one of them a translation of send's.
exactly() {
	local lines
	lines=$(wc -l <"$TEST_DIR/$1.out")
	[ "$(events "$1")" -eq "$2" ] && [ "$lines" -eq "$2" ] && return 0
	echo "$1 printed $lines lines, $(events "$1") of them translations; want $2 of $2" >&2
	head -n 5 "$TEST_DIR/$1.out" >&2
	return 1
}

# ended_with NAME PID SECONDS STATUS WHY: PASS when PID ends within SECONDS with STATUS.
ended_with() {
	wait_exit "$2" "$3"
	check "$1" "$5 (exit: $EXIT_STATUS)" test "$EXIT_STATUS" = "$4"
}

for mode in tc xdp; do
	echo "--- Mode = $mode"
	write_config "$TEST_DIR/$mode.conf" "$mode"
	# send() opens a new flow per datagram, in bursts of hundreds: no limit of new flows,
	# which would drop some (and count them), here where the monitor is what is tested.
	sed -i '/^Mode = /a NewFlowRate = unlimited' "$TEST_DIR/$mode.conf"
	check_cmd "monitor_${mode}_up" hairpin up "$TEST_DIR/$mode.conf" || continue

	# Both spellings of --count, one each.
	monitor_start "a_$mode" --count=200
	a=$MON_PID
	monitor_start "b_$mode" --count 200
	b=$MON_PID
	check "monitor_${mode}_two_ready" "a monitor did not start" \
		eval "monitor_ready a_$mode && monitor_ready b_$mode"
	send 200
	ended_with "monitor_${mode}_first_ends" "$a" 10 0 "the first monitor did not end after 200"
	check "monitor_${mode}_first_gets_all_200" "the first monitor missed some" \
		exactly "a_$mode" 200
	ended_with "monitor_${mode}_second_ends" "$b" 10 0 "the second monitor did not end after 200"
	check "monitor_${mode}_second_gets_all_200" "the second monitor missed some" \
		exactly "b_$mode" 200
	check_cmd "monitor_${mode}_down" hairpin down
done

# --- across up, and down ---
check_cmd monitor_follow_up hairpin up "$TEST_DIR/tc.conf"
monitor_start follow
follow=$MON_PID
check monitor_follow_ready "the monitor did not start" monitor_ready follow
send 50
check monitor_follow_before_up "the monitor missed translations" wait_events follow 50 10
check_cmd monitor_follow_up_again hairpin up "$TEST_DIR/tc.conf"
send 50
check monitor_follow_after_same_up "the monitor printed nothing more after a second up" \
	wait_events follow 100 10
check_cmd monitor_follow_up_xdp hairpin up "$TEST_DIR/xdp.conf"
check monitor_follow_xdp_attached "native XDP is not attached to lan0" \
	test "$(xdp_attach_mode)" = 1
send 50
check monitor_follow_after_mode_change "the monitor printed nothing more after a mode change" \
	wait_events follow 150 10
check monitor_follow_all_150 "the monitor printed other than 150 translations" exactly follow 150
check_cmd monitor_follow_down hairpin down
ended_with monitor_down_ends_it "$follow" 5 0 "the monitor did not end with status 0 after down"
check monitor_down_says_so "the monitor did not say why it ended" \
	grep -qxF "hairpin: the instance at $PIN_DIR went down; monitor ends" "$TEST_DIR/follow.err"

# --- a full ring buffer: what was lost is counted ---
check_cmd monitor_lost_up hairpin up "$TEST_DIR/tc.conf"
# The smallest ring buffer, a page: some 80 events.
monitor_start lost --buffer-size="$(($(getconf PAGESIZE) / 1024))"
lost=$MON_PID
check monitor_lost_ready "the monitor did not start" monitor_ready lost
# Stopped, it reads nothing: a burst of 300 overflows its ring buffer. The burst takes a
# fraction of a second (a second under qemu's emulation), within the lease of 3 s.
kill -STOP "$lost"
send 300
kill -CONT "$lost"
check monitor_lost_reported "the monitor did not report lost events" \
	wait_for_text "$TEST_DIR/lost.err" "events (ring buffer full)" 5
n_lost=$(sed -n 's/^hairpin: monitor lost \([0-9]*\) events (ring buffer full)$/\1/p' \
	"$TEST_DIR/lost.err" | awk '{ s += $1 } END { print s + 0 }')
if grep -q "past its lease" "$TEST_DIR/lost.err"; then
	# The machine was too slow for the burst to fit in the lease: the count can't add up.
	skip monitor_lost_adds_up "the burst outlasted the lease: $(cat "$TEST_DIR/lost.err")"
else
	check monitor_lost_adds_up "printed + lost is not the 300 translations ($n_lost lost)" \
		eval "test $n_lost -gt 0 -a $n_lost -lt 300 &&
		      wait_events lost $((300 - n_lost)) 10 && exactly lost $((300 - n_lost))"
fi
kill "$lost"
ended_with monitor_sigterm "$lost" 5 0 "SIGTERM did not end the monitor with status 0"
# A reader that goes away (| head) ends a monitor with status 0, also with nothing to print.
timeout 10 ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" monitor 2>/dev/null |
	head -n 0
check monitor_reader_gone "the monitor did not end 0 when its reader went away: ${PIPESTATUS[0]}" \
	test "${PIPESTATUS[0]}" = 0
check_cmd monitor_lost_down hairpin down

# --- eight slots; a killed monitor's is free once its lease runs out ---
check_cmd monitor_slots_up hairpin up "$TEST_DIR/tc.conf"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	monitor_start "slot$i"
	pids+=("$MON_PID")
done
ready=0
for i in 1 2 3 4 5 6 7 8; do monitor_ready "slot$i" 2>/dev/null && ready=$((ready + 1)); done
check monitor_eight_run "only $ready of 8 monitors started" test "$ready" -eq 8
monitor_start ninth
ended_with monitor_ninth_refused "$MON_PID" 5 1 "a ninth monitor was not refused with status 1"
check monitor_ninth_says_why "the ninth monitor did not say that all slots are taken" \
	grep -q "all 8 monitor slots .* are taken" "$TEST_DIR/ninth.err"

# Start monitor NAME again and again, for at most 6 s, until one takes a slot: the lease
# is 3 s ahead, renewed every second, so a killed monitor's slot is free 2 to 3 s after.
kill -KILL "${pids[0]}"
wait_exit "${pids[0]}" 5
end=$((SECONDS + 6)) freed=
while [ -z "$freed" ] && [ "$SECONDS" -le "$end" ]; do
	monitor_start retry
	while running "$MON_PID"; do
		if grep -qF "monitoring the instance at" "$TEST_DIR/retry.err"; then
			freed=$MON_PID
			break
		fi
		sleep 0.1
	done
	[ -n "$freed" ] && break
	wait_exit "$MON_PID" 1
	grep -q "are taken" "$TEST_DIR/retry.err" || break
	sleep 0.5
done
check monitor_dead_slot_freed \
	"a killed monitor's slot did not come free: $(cat "$TEST_DIR/retry.err")" test -n "$freed"
[ -n "$freed" ] && pids+=("$freed")
check_cmd monitor_slots_down hairpin down
ended=0
for pid in "${pids[@]:1}"; do
	wait_exit "$pid" 5 && [ "$EXIT_STATUS" = 0 ] && ended=$((ended + 1))
done
check monitor_slots_all_end \
	"only $ended of $((${#pids[@]} - 1)) monitors ended with status 0 on down" \
	test "$ended" -eq $((${#pids[@]} - 1))

lib_finish
