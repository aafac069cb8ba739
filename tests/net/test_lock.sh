#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The lock that keeps commands changing one instance from interleaving outlives `down`: it is a
# file under /run/hairpin named after the pin dir, not the pin dir that `down` removes. A
# `down` racing two `up`s (one Mode = tc, one Mode = xdp), over and over, ends each time in a
# state that status tells as the kernel shows it: one mode's programs, attached, or nothing.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_lock
lib_require_tools test_lock flock
gw_create 2 || exit 1
gw_config "$TEST_DIR/tc.conf" lan0 tc
gw_config "$TEST_DIR/xdp.conf" lan0 xdp

# consistent: either nothing is left, or status says lan0 is attached in the mode whose
# programs, and only those, the kernel shows on lan0, by the same ids.
consistent() {
	local json mode hooks want ids
	if [ ! -e "$PIN_DIR" ]; then
		nothing_left
		return
	fi
	json=$(status_json) || { echo "status fails while pins exist" >&2; return 1; }
	mode=$(jq -r '.devices[0].mode' <<<"$json")
	hooks=$(hooks_of "$NS_PI" lan0 | grep ' hp_' | awk '{ print $1, $2 }' | sort)
	if [ "$mode" = xdp ]; then want="xdp|tcx?-egress"; else want="tcx?-ingress|tcx?-egress"; fi
	ids=$(jq -r '.devices[0] | "\(.ingress.prog_id) \(.egress.prog_id)"' <<<"$json")
	if ! jq -e '.devices | length == 1 and .[0].attached and .[0].leftovers == []' \
		<<<"$json" >/dev/null || [ "$(wc -l <<<"$hooks")" -ne 2 ] ||
		[ "$(awk '{ print $1 }' <<<"$hooks" | grep -Ec "^($want)$")" -ne 2 ] ||
		[ "$(awk '{ print $2 }' <<<"$hooks" | sort | tr '\n' ' ')" != \
		  "$(tr ' ' '\n' <<<"$ids" | sort | tr '\n' ' ')" ]; then
		echo "status: $(jq -c '.devices' <<<"$json")" >&2
		echo "kernel: $(tr '\n' ';' <<<"$hooks")" >&2
		return 1
	fi
}

rounds=8 bad=0 failed=0
for round in $(seq "$rounds"); do
	hairpin up "$TEST_DIR/tc.conf" >"$TEST_DIR/race.1" 2>&1 &
	p1=$!
	hairpin down >"$TEST_DIR/race.2" 2>&1 &
	p2=$!
	hairpin up "$TEST_DIR/xdp.conf" >"$TEST_DIR/race.3" 2>&1 &
	p3=$!
	for pid in $p1 $p2 $p3; do wait "$pid" || failed=$((failed + 1)); done
	if ! consistent 2>"$TEST_DIR/why"; then
		bad=$((bad + 1))
		echo "round $round:" | diag
		diag <"$TEST_DIR/why"
	fi
done
check "down racing two ups: every command succeeds" "$failed failed: $(cat "$TEST_DIR"/race.*)" \
	test "$failed" -eq 0
check "down racing two ups, $rounds rounds: status says what the kernel shows" \
	"$bad rounds ended otherwise" test "$bad" -eq 0

# The lock is not in the pin dir: while something holds it, down waits, whether or not a pin
# dir exists, and the file stays after down.
check_cmd "up" hairpin up "$TEST_DIR/tc.conf"
lock=$(lock_file)
check "the lock is a file under /run/hairpin named after the pin dir" "no such file" \
	test -n "$lock"
if [ -n "$lock" ]; then
	flock "$lock" sleep 3 &
	holder=$!
	sleep 0.5
	hairpin down >"$TEST_DIR/down.log" 2>&1 &
	downer=$!
	sleep 1
	check "down waits while another holds the lock" "down ran: $(cat "$TEST_DIR/down.log")" \
		eval 'kill -0 $downer 2>/dev/null && test -e "$PIN_DIR"'
	wait "$holder"
	wait "$downer"
	check "then down goes ahead" "down failed: $(cat "$TEST_DIR/down.log")" test $? -eq 0
	check "down leaves nothing" "something is left" nothing_left
	check "the lock file outlives down" "it is gone" test -e "$lock"
fi

lib_finish
