#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `down` killed at each of its steps: a second `down` finishes (faults_lib.sh). Then the real
# binary, killed by SIGKILL at a random moment while it replaces a running instance (tc and
# xdp in turn, as in the report that found it: 11 of 40 kills 10-70 ms in left hairpin's XDP
# program behind, translating half a flow): then `down` leaves nothing, or `up` takes over and
# works. The moment is uniform over how long such an `up` takes here, measured first, so that
# the kills land in every phase on a fast machine or a slow one. RANDOM_KILLS (40) is how
# many times.
. "$(dirname "$0")/faults_lib.sh"

faults_setup test_faults_kill

for variant in $variants; do
	t="$variant down"
	hp up "$TEST_DIR/tc.conf" >/dev/null 2>&1
	n=$(points hp down)
	bad=()
	for ((i = 1; i <= n; i++)); do
		hp up "$TEST_DIR/tc.conf" >/dev/null 2>&1
		if ! killed_at "$i" hp down 2>"$TEST_DIR/why"; then
			bad+=("$i: $(cat "$TEST_DIR/why")")
		elif ! hp down >/dev/null 2>&1 || ! nothing_left 2>"$TEST_DIR/why"; then
			bad+=("$i: left $(tr '\n' ';' <"$TEST_DIR/why")")
		fi
		clean
	done
	check "$t: killed at each of its $n points, a second down leaves nothing" \
		"$(printf '%s | ' "${bad[@]}")" test "$n" -ge 2 -a "${#bad[@]}" -eq 0
done

variant=tcx
kernel_has_tcx || variant=cls_bpf
# The real binary's command, run as it is and not through a function, so that $! of a command
# sent to the background is hairpin's own pid (ip netns exec execs it).
raw=(ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR")
# The longest of three replacing ups, in ms.
span=0
for i in 1 2 3; do
	hairpin up "$TEST_DIR/tc.conf" >/dev/null 2>&1
	start=$(date +%s%N)
	"${raw[@]}" up "$TEST_DIR/xdp.conf" >/dev/null 2>&1
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -gt "$span" ] && span=$took
done
clean
echo "a replacing up takes up to $span ms here"
kills=${RANDOM_KILLS:-40} bad=() midway=0
for ((i = 1; i <= kills; i++)); do
	if ((i % 2)); then from=tc to=xdp; else from=xdp to=tc; fi
	if ! hairpin up "$TEST_DIR/$from.conf" >/dev/null 2>&1; then
		bad+=("$i: the first up failed")
		clean
		continue
	fi
	"${raw[@]}" up "$TEST_DIR/$to.conf" >/dev/null 2>&1 &
	pid=$!
	delay=$((RANDOM % (span + 1)))
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] && midway=$((midway + 1))
	if ((i % 4 < 2)); then
		hairpin down >/dev/null 2>&1 || bad+=("$i: down failed")
		nothing_left 2>"$TEST_DIR/why" || bad+=("$i: left $(tr '\n' ';' <"$TEST_DIR/why")")
	elif ! hairpin up "$TEST_DIR/$to.conf" >"$TEST_DIR/why" 2>&1 ||
		! converged "$to" 2>>"$TEST_DIR/why"; then
		bad+=("$i: $(tr '\n' ';' <"$TEST_DIR/why")")
	fi
	clean
done
echo "$midway of the $kills ups were killed before they finished"
check "killed at random $kills times while replacing, down or up then leaves it right" \
	"$(printf '%s | ' "${bad[@]}")" test "${#bad[@]}" -eq 0

lib_finish
