#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin run, the daemon, on the seed's network (without WireGuard: a UDP echo server on the
# Pi is the target of the forward udp/51820):
#   a configuration that does not parse: exit 2 at once;
#   started before the LAN has its address, it waits (status says for what, nothing is
#   attached), tells systemd it is ready (NOTIFY_SOCKET) and pings its watchdog, and attaches
#   when the address comes;
#   the address removed and added again; lan0 deleted and created again (a new ifindex);
#   renamed and renamed back: each time it waits while lan0 is not there, and the phone's
#   datagram through the public address is answered from the public address once it is;
#   SIGHUP with a good configuration (a new PublicAddress) and with bad ones (a syntax error,
#   an address on the LAN): the bad ones change nothing and are said as errors;
#   PublicAddressFrom = interface:ppp0 followed as watch follows it, in place (no new programs);
#   a second daemon on the same instance is refused;
#   SIGKILL while a stream of numbered datagrams flows through the public address: programs and
#   maps stay, status says the daemon is gone, a new daemon takes over, and every datagram is
#   answered from the public address, none leaves untranslated towards the router;
#   `hairpin down' while it runs warns, and the daemon brings the instance back;
#   SIGTERM: it exits 0 and leaves the datapath in place.

# shellcheck disable=SC2016,SC2034,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

t=run
lib_require "$t"
lib_require_hairpin "$t"
if ! bpffs_mount || ! topo_create; then
	fail "${t}_network" "could not build the network"
	lib_finish
fi

# The forward of write_config: no WireGuard here, an echo server takes the port.
PORT=$WG_PORT
conf=$TEST_DIR/run.conf
RUN_LOG=$TEST_DIR/log/run.log
RUN_PID=

# run_start [ENV=VALUE...]: `hairpin -v run $conf` in the Pi's namespace, in the background.
run_start() {
	ip netns exec "$NS_PI" env "$@" "$HAIRPIN" --pin-dir "$PIN_DIR" -v run "$conf" \
		</dev/null >>"$RUN_LOG" 2>&1 &
	RUN_PID=$!
	LIB_PIDS+=("$RUN_PID")
}

# run_said TEXT SECONDS: until the daemon's log has a line with TEXT (fixed string).
run_said() {
	local end=$((SECONDS + $2))
	until grep -qF -- "$1" "$RUN_LOG"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "the daemon did not say '$1' within $2 s; it said:" >&2
			tail -n 15 "$RUN_LOG" >&2
			return 1
		fi
		sleep 0.2
	done
}

# run_alive: the daemon runs: it holds its state file's lock (a zombie holds none; kill -0
# would count one as alive).
run_alive() {
	daemon_json ".daemon.pid == $RUN_PID" && return 0
	echo "the daemon is not running; it said:" >&2
	tail -n 15 "$RUN_LOG" >&2
	return 1
}

# daemon_json JQ: the jq condition JQ holds of status --json (which exits 1 without an
# instance, and prints the daemon's part all the same).
daemon_json() {
	status_is "$1"
}

# waits_for TEXT: until status --json says the daemon waits for something containing TEXT.
waits_for() {
	wait_for 10 daemon_json ".daemon.waiting | any(contains(\"$1\"))" && return 0
	echo "status does not say that the daemon waits for '$1':" >&2
	hairpin status 2>&1 | head -n 5 >&2
	return 1
}

# lan0_attached: status says lan0 is attached and the daemon waits for nothing.
lan0_attached() {
	status_is '.daemon.waiting == [] and (.devices | any(.name == "lan0" and .attached))'
}

wait_attached() {
	wait_for 10 lan0_attached && return 0
	echo "lan0 is not attached with nothing waited for; status says:" >&2
	hairpin status 2>&1 | head -n 8 >&2
	tail -n 5 "$RUN_LOG" >&2
	return 1
}

# no_programs: nothing of hairpin's on the Pi's hooks.
no_programs() {
	! hooks_all "$NS_PI" | grep " hp_"
}

# echoed_from ADDR SPORT WORD: the phone's datagram to ADDR:$PORT from SPORT is echoed back, and
# from ADDR:$PORT (the phone's socket is connected to it: the kernel delivers nothing else).
echoed_from() {
	local got
	got=$(echo "$3" | in_ns phone timeout 10 socat -T 3 - "UDP:$1:$PORT,sourceport=$2" 2>&1)
	[ "$got" = "$3" ] && return 0
	echo "the phone got '$got' from $1:$PORT, not the echo of '$3'" >&2
	return 1
}

# The target: an echo server on the Pi (any address: lan0 loses its own here), one child per
# datagram.
spawn pi echo socat UDP-RECVFROM:"$PORT",fork SYSTEM:cat

# ---- what it refuses at once ------------------------------------------------------------------

echo garbage >"$TEST_DIR/garbage.conf"
check "${t}_bad_config" "run with a configuration that does not parse did not exit 2" \
	eval 'hairpin run "$TEST_DIR/garbage.conf" 2>/dev/null; [ $? -eq 2 ]'
check "${t}_quiet_and_verbose" "-q with -v did not exit 2 (status alone exits 1 here)" \
	eval 'hairpin -q -v status 2>/dev/null; [ $? -eq 2 ]'

# ---- started before the address exists ----------------------------------------------------

write_config "$conf" tc
ip -n "$NS_PI" addr flush dev lan0
spawn pi notify socat -u UNIX-RECV:"$TEST_DIR/notify.sock" OPEN:"$TEST_DIR/notify",creat,append
wait_for 5 test -S "$TEST_DIR/notify.sock"
run_start NOTIFY_SOCKET="$TEST_DIR/notify.sock" WATCHDOG_USEC=1000000
check "${t}_waits_for_address" "status does not say what the daemon waits for" \
	waits_for "has no IPv4 address to use as LocalAddress"
check "${t}_ready_while_waiting" "no READY=1 reached NOTIFY_SOCKET" \
	wait_for 5 grep -q "READY=1" "$TEST_DIR/notify"
check "${t}_status_waiting" "systemd's STATUS= does not say what it waits for" \
	grep -q "STATUS=waiting for: .*LocalAddress" "$TEST_DIR/notify"
# WatchdogSec=1s: a ping every half second, also while nothing happens.
check "${t}_watchdog" "no WATCHDOG=1 pings, two at least, reached NOTIFY_SOCKET" \
	wait_for 5 eval '[ "$(grep -o WATCHDOG=1 "$TEST_DIR/notify" | wc -l)" -ge 2 ]'
check "${t}_nothing_attached_while_waiting" "programs on the Pi before lan0 had an address" \
	no_programs
check "${t}_waiting_text" "status's text does not say it" \
	eval 'hairpin status 2>/dev/null | grep -q "waiting for: .*LocalAddress"'
ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev lan0
check "${t}_address_came" "the daemon did not attach when the address came" wait_attached
check "${t}_address_came_echo" "no echo through the public address" \
	echoed_from "$PUBLIC_ADDR" 40001 one
check "${t}_attached_logged" "no log line for lan0 attached" run_said "run: lan0 is attached" 1

# ---- the address removed and added again -----------------------------------------------------

ip -n "$NS_PI" addr flush dev lan0
check "${t}_address_removed" "status does not say the daemon waits for the address" \
	waits_for "has no IPv4 address to use as LocalAddress"
ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev lan0
check "${t}_address_back" "the daemon did not settle when the address came back" wait_attached
check "${t}_address_back_echo" "no echo through the public address" \
	echoed_from "$PUBLIC_ADDR" 40002 two

# ---- lan0 deleted and created again ----------------------------------------------------------

old_ifindex=$(ip -n "$NS_PI" -j link show dev lan0 | jq '.[0].ifindex')
old_mac=$(ip -n "$NS_PI" -j link show dev lan0 | jq -r '.[0].address')
ip -n "$NS_PI" link del lan0
check "${t}_device_deleted" "status does not say the daemon waits for lan0" \
	waits_for "Device lan0 (no such device)"
# A USB adapter plugged in again: the same MAC address (the phone's neighbour entry holds).
lan_host pi lan0 "$PI_LAN_ADDR/24"
ip -n "$NS_PI" link set lan0 address "$old_mac"
new_ifindex=$(ip -n "$NS_PI" -j link show dev lan0 | jq '.[0].ifindex')
check "${t}_device_new_ifindex" "lan0 came back with its old ifindex $old_ifindex" \
	test "$new_ifindex" != "$old_ifindex"
check "${t}_device_recreated" "the daemon did not attach to the new lan0" wait_attached
check "${t}_device_recreated_hooks" "the new lan0 does not hold hairpin's programs" \
	eval 'hooks_of "$NS_PI" lan0 | grep -q " hp_ingress" && hooks_of "$NS_PI" lan0 | grep -q " hp_egress"'
check "${t}_device_recreated_record" "status still shows a record of the old lan0" \
	status_is --argjson i "$old_ifindex" '[.devices[] | select(.ifindex == $i)] == []'
check "${t}_device_recreated_echo" "no echo through the public address" \
	echoed_from "$PUBLIC_ADDR" 40003 three

# ---- renamed and renamed back ----------------------------------------------------------------

ip -n "$NS_PI" link set lan0 name lanx
check "${t}_renamed" "status does not say the daemon waits for lan0" \
	waits_for "Device lan0 (no such device)"
ip -n "$NS_PI" link set lanx name lan0
check "${t}_renamed_back" "the daemon does not carry lan0 again" wait_attached
check "${t}_renamed_back_echo" "no echo through the public address" \
	echoed_from "$PUBLIC_ADDR" 40004 four

# ---- SIGHUP ---------------------------------------------------------------------------------

ids_before=$(prog_ids_on_lan0 | sort | paste -sd ' ')
echo garbage >"$conf"
kill -HUP "$RUN_PID"
check "${t}_hup_bad_logged" "no error for a configuration that does not parse" \
	run_said "run.conf:1: not a [Section] header or Key = Value: \`garbage'; the running instance stays as it was" 5
check "${t}_hup_bad_unchanged" "the programs changed on a bad configuration" \
	eval '[ "$(prog_ids_on_lan0 | sort | paste -sd " ")" = "$ids_before" ]'
check "${t}_hup_bad_echo" "no echo through the public address" \
	echoed_from "$PUBLIC_ADDR" 40005 five
check "${t}_hup_bad_alive" "the daemon stopped on a bad configuration" run_alive

# A configuration that parses but cannot be: the public address on the LAN.
write_config "$conf" tc 192.0.2.99
kill -HUP "$RUN_PID"
check "${t}_hup_lan_logged" "no error for a PublicAddress on the LAN" \
	run_said "PublicAddress is on the LAN of Device lan0: \`192.0.2.99'); the running instance stays as it was" 5
check "${t}_hup_lan_unchanged" "the public address changed to one on the LAN" \
	eval '[ "$(hairpin status --json | jq -r .public_address)" = "$PUBLIC_ADDR" ]'

write_config "$conf" tc "$NEW_PUBLIC_ADDR"
router_set_public_addr "$NEW_PUBLIC_ADDR"
kill -HUP "$RUN_PID"
check "${t}_hup_good" "the daemon did not apply a new PublicAddress" \
	wait_for 10 eval '[ "$(hairpin status --json | jq -r .public_address)" = "$NEW_PUBLIC_ADDR" ]'
check "${t}_hup_good_echo" "no echo through the new public address" \
	echoed_from "$NEW_PUBLIC_ADDR" 40006 six
write_config "$conf" xdp
router_set_public_addr "$PUBLIC_ADDR"
kill -HUP "$RUN_PID"
# mode_xdp_applied: the public address back, lan0's ingress in native XDP.
mode_xdp_applied() {
	status_is --arg a "$PUBLIC_ADDR" \
		'.public_address == $a and .devices[0].ingress.hook == "xdp"' >/dev/null && return 0
	hairpin status 2>&1 | head -n 4 >&2
	tail -n 5 "$RUN_LOG" >&2
	return 1
}
check "${t}_hup_mode_xdp" "the daemon did not apply Mode = xdp" wait_for 10 mode_xdp_applied

# ---- PublicAddressFrom, followed as watch follows it ----------------------------------------

# ppp0 holds the public address in the Pi (a veth stands in for PPP), as on a gateway whose own
# WAN has it.
ip -n "$NS_PI" link add ppp0 type veth peer name ppp0-peer &&
	ip -n "$NS_PI" link set ppp0 up && ip -n "$NS_PI" link set ppp0-peer up &&
	ip -n "$NS_PI" addr add 203.0.113.9/32 dev ppp0
{
	echo "[Interface]"
	echo "Device = lan0"
	echo "Mode = xdp"
	echo "PublicAddressFrom = interface:ppp0"
	echo
	echo "[Forward]"
	echo "Protocol = udp"
	echo "Port = $PORT"
} >"$conf"
kill -HUP "$RUN_PID"
check "${t}_follow_start" "the daemon did not take ppp0's address" \
	wait_for 10 eval '[ "$(hairpin status --json | jq -r .public_address)" = 203.0.113.9 ]'
ids_before=$(prog_ids_on_lan0 | sort | paste -sd ' ')
ip -n "$NS_PI" addr add 203.0.113.10/32 dev ppp0
ip -n "$NS_PI" addr del 203.0.113.9/32 dev ppp0
check "${t}_follow_change" "the daemon did not follow ppp0 to 203.0.113.10" \
	wait_for 10 eval '[ "$(hairpin status --json | jq -r .public_address)" = 203.0.113.10 ]'
check "${t}_follow_logged" "no log line for the change" \
	run_said "public address 203.0.113.9 -> 203.0.113.10 (interface:ppp0)" 5
check "${t}_follow_in_place" "the programs were replaced for a new public address" \
	eval '[ "$(prog_ids_on_lan0 | sort | paste -sd " ")" = "$ids_before" ]'
ip -n "$NS_PI" link del ppp0
write_config "$conf" xdp
kill -HUP "$RUN_PID"
check "${t}_follow_end" "the daemon did not go back to PublicAddress" \
	wait_for 10 eval '[ "$(hairpin status --json | jq -r .public_address)" = "$PUBLIC_ADDR" ]'

# ---- one daemon per instance -----------------------------------------------------------------

check "${t}_second_refused" "a second daemon on the same pin dir did not exit 1" \
	eval 'ip netns exec "$NS_PI" timeout 10 "$HAIRPIN" --pin-dir "$PIN_DIR" run "$conf" 2>"$TEST_DIR/second.log"; [ $? -eq 1 ]'
check "${t}_second_says" "the second daemon did not name the first" \
	grep -qF "another \`hairpin run' (pid $RUN_PID) keeps the instance" "$TEST_DIR/second.log"

# ---- SIGKILL while a stream flows ------------------------------------------------------------

# numbers COUNT: 1..COUNT, one a line every 20 ms: the phone's stream.
numbers() {
	local i
	for ((i = 1; i <= $1; i++)); do
		echo "$i"
		sleep 0.02
	done
}

COUNT=300
pcap_start untranslated pi wan0 "udp port $PORT"
# The phone's socket is connected to the public address: what the kernel hands it came from
# there. -t 2: after the last number, two seconds for the last echoes.
(numbers "$COUNT" | in_ns phone socat -T 10 -t 2 - "UDP:$PUBLIC_ADDR:$PORT,sourceport=40100" \
	>"$TEST_DIR/stream" 2>"$TEST_DIR/log/stream.log") &
stream=$!
LIB_PIDS+=("$stream")
wait_for 10 eval '[ "$(cat "$TEST_DIR/stream" 2>/dev/null | wc -l)" -ge 20 ]'
ids_before=$(prog_ids_on_lan0 | sort | paste -sd ' ')
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
check "${t}_killed_programs_stay" "the programs changed when the daemon was killed" \
	eval '[ "$(prog_ids_on_lan0 | sort | paste -sd " ")" = "$ids_before" ] && [ -n "$ids_before" ]'
check "${t}_killed_status" "status does not say that the daemon is gone" \
	eval 'hairpin status | grep -q "daemon: not running (pid $RUN_PID ended" &&
	      status_is ".daemon == null and .devices[0].attached"'
run_start
check "${t}_restarted" "the new daemon did not take over" \
	eval 'wait_for 10 daemon_json ".daemon.pid == $RUN_PID and .daemon.ready" && wait_attached'
wait "$stream"
pcap_stop untranslated
answered=$(sort -n "$TEST_DIR/stream" | uniq | wc -l)
check "${t}_stream_all_answered" "$answered of $COUNT datagrams were answered from the public address" \
	test "$answered" -eq "$COUNT"
check "${t}_stream_none_untranslated" "$(pcap_count untranslated) datagrams left the Pi untranslated" \
	test "$(pcap_count untranslated)" -eq 0
check "${t}_stream_one_flow" "the stream was not one tracked flow" \
	eval '[ "$(flows_json ".client_port == 40100" | wc -l)" -eq 1 ]'

# ---- down while the daemon runs -------------------------------------------------------------

# Mode = xdp: taking the XDP program off is a link event, which the daemon converges from.
check "${t}_down_warns" "down did not say that the daemon brings the instance back" \
	eval 'hairpin down "$conf" 2>&1 | grep -qF "\`hairpin run'"'"' (pid $RUN_PID) keeps this instance"'
check "${t}_down_undone" "the daemon did not bring the instance back after down" wait_attached

# ---- SIGTERM ---------------------------------------------------------------------------------

ids_before=$(prog_ids_on_lan0 | sort | paste -sd ' ')
kill -TERM "$RUN_PID"
wait "$RUN_PID"
rc=$?
check "${t}_sigterm_exit" "the daemon exited $rc on SIGTERM" test "$rc" -eq 0
check "${t}_sigterm_logged" "no log line on stopping" run_said "run: stopping on SIGTERM" 1
check "${t}_sigterm_programs_stay" "the programs changed when the daemon stopped" \
	eval '[ "$(prog_ids_on_lan0 | sort | paste -sd " ")" = "$ids_before" ]'
check "${t}_sigterm_no_daemon" "status still shows a daemon" \
	eval 'status_is ".daemon == null" &&
	      ! hairpin status | grep -q "^daemon:"'
check_cmd "${t}_down" hairpin down "$conf"
check "${t}_down_clean" "programs left after down" no_programs

lib_finish
