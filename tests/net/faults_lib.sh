# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the names are for the scripts that source this
#
# Sourced by test_faults_*.sh: `up` and `down` killed at each of their steps, and nothing mixed
# stays behind. The test build of hairpin has a named fault point after each step that changes
# the kernel's state (loader/fault.h); HAIRPIN_FAULT_AT=N makes the Nth raise SIGKILL. After a
# kill, either `down` must leave nothing (no program of hairpin's on any hook of any device, no
# clsact qdisc, no pin) or a plain `up` of the same configuration, without a `down` first, must
# take over whatever was left and work: every Device attached as status and the kernel agree,
# no hairpin program elsewhere, the client's echo through the public address. Through tcx, and
# through cls_bpf (the test build told the kernel has none) where the kernel has tcx; checked
# with the kernel's own tools. FAULT_VARIANTS (tcx cls_bpf) chooses fewer.
. "$(dirname "${BASH_SOURCE[0]}")/loader_lib.sh"

# faults_setup NAME: the network, the echo server, the configurations, the variants.
faults_setup() {
	loader_require "$1"
	gw_create 3 || exit 1
	echo_start || exit 1
	if kernel_has_tcx; then variants=${FAULT_VARIANTS:-tcx cls_bpf}; else variants=cls_bpf; fi
	# tc and xdp on lan0 and lan1; tc2 changes the public address and adds a forward; moved
	# leaves lan0 and takes lan2.
	gw_config "$TEST_DIR/tc.conf" "lan0, lan1" tc
	gw_config "$TEST_DIR/xdp.conf" "lan0, lan1" xdp
	gw_config "$TEST_DIR/tc2.conf" "lan0, lan1" tc 203.0.113.8
	cat >>"$TEST_DIR/tc2.conf" <<-EOF
		[Forward]
		Protocol = tcp
		Port = 8080
	EOF
	gw_config "$TEST_DIR/moved.conf" "lan1, lan2" tc
}

# scenario NAME: "FROM TO": the configuration running before (none) and the one of the up
# that is killed.
scenario() {
	case $1 in
	first_tc) echo "none tc" ;;
	first_xdp) echo "none xdp" ;;
	tc_to_xdp) echo "tc xdp" ;;
	xdp_to_tc) echo "xdp tc" ;;
	changed) echo "tc tc2" ;;
	devices) echo "tc moved" ;;
	esac
}

# hp ARGS...: the test build (for its fault points), as the variant runs it; in place of
# loader_lib.sh's.
hp() {
	NO_TCX=$([ "$variant" = cls_bpf ] && echo 1 || echo 0) hairpin_faults "$@"
}

# converged CONF [ECHO]: status says every Device of CONF attached in its Mode, with nothing
# left over and nothing unrecorded; the kernel shows on each exactly hairpin's two programs of
# that mode, by the ids status gives, in the variant's hooks, and no hairpin program anywhere
# else; unless ECHO is 0, the client's echo through the public address works when lan0 is a
# Device.
converged() {
	local conf=$1 echo=${2:-1} mode devices public dev json all hooks want tc ids
	mode=$(sed -n 's/^Mode = //p' "$TEST_DIR/$conf.conf")
	public=$(sed -n 's/^PublicAddress = //p' "$TEST_DIR/$conf.conf")
	devices=$(sed -n 's/^Device = //p' "$TEST_DIR/$conf.conf" | tr -d ',')
	json=$(status_json) || { echo "status fails" >&2; return 1; }
	if ! jq -e --arg mode "$mode" --argjson n "$(wc -w <<<"$devices")" '
		(.devices | length) == $n and .unrecorded == [] and
		all(.devices[]; .attached and .mode == $mode and .leftovers == [])' \
		<<<"$json" >/dev/null; then
		echo "status: $(jq -c '.devices, .unrecorded' <<<"$json")" >&2
		return 1
	fi
	if [ "$variant" = tcx ]; then tc=tcx; else tc=tc; fi
	all=$(hooks_all "$NS_PI" | grep ' hp_')
	for dev in $(gw_devices); do
		hooks=$(awk -v d="$dev" '$1 == d { print $2, $3 }' <<<"$all" | sort)
		if ! grep -qw "$dev" <<<"$devices"; then
			[ -z "$hooks" ] || { echo "$dev is no Device, yet: $hooks" >&2; return 1; }
			continue
		fi
		if [ "$mode" = xdp ]; then want="$tc-egress xdp"; else want="$tc-egress $tc-ingress"; fi
		ids=$(jq -r --arg d "$dev" '.devices[] | select(.name == $d)
			| "\(.ingress.prog_id)\n\(.egress.prog_id)"' <<<"$json" | sort | tr '\n' ' ')
		if [ "$(awk '{ print $1 }' <<<"$hooks" | tr '\n' ' ')" != "$want " ] ||
			[ "$(awk '{ print $2 }' <<<"$hooks" | sort | tr '\n' ' ')" != "$ids" ]; then
			echo "$dev: the kernel shows '$(tr '\n' ';' <<<"$hooks")', want $want, ids $ids" >&2
			return 1
		fi
	done
	if [ "$echo" = 1 ] && grep -qw lan0 <<<"$devices"; then
		udp_echo $((20000 + RANDOM % 20000)) "$public" || return 1
	fi
}

# killed_at N CMD...: CMD dies of SIGKILL at its Nth fault point (exit status 137).
killed_at() {
	local n=$1 rc
	shift
	HAIRPIN_FAULT_AT=$n "$@" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 137 ] || { echo "exit $rc, not killed at point $n" >&2; return 1; }
}

# points CMD...: how many fault points CMD reaches.
points() {
	HAIRPIN_FAULT_LIST=1 "$@" 2>&1 | grep -c '^hairpin: fault point '
}

# clean: down; what a failure left is removed by hand, so that one failure stays one.
clean() {
	local dev
	hp down >/dev/null 2>&1 && return
	for dev in $(gw_devices); do
		ip -n "$NS_PI" link set dev "$dev" xdp off 2>/dev/null
		tc -n "$NS_PI" qdisc del dev "$dev" clsact 2>/dev/null
	done
	rm -rf "$PIN_DIR"
}

# each_step_killed SCENARIO...: for each variant and SCENARIO, up killed at each of its fault
# points in turn, then down (at odd points) or up (at even ones).
each_step_killed() {
	local name from to t n i bad_down bad_up
	for variant in $variants; do
		for name in "$@"; do
			read -r from to <<<"$(scenario "$name")"
			t="$variant $name"
			[ "$from" = none ] || hp up "$TEST_DIR/$from.conf" >/dev/null 2>&1
			n=$(points hp up "$TEST_DIR/$to.conf")
			clean
			check "$t: up reaches its fault points" "only $n" test "$n" -ge 5
			bad_down=() bad_up=()
			for ((i = 1; i <= n; i++)); do
				killed_then_checked "$i"
				clean
			done
			check "$t: killed at each odd point of $n, down leaves nothing" \
				"$(printf '%s | ' "${bad_down[@]}")" test "${#bad_down[@]}" -eq 0
			check "$t: killed at each even point of $n, up takes over and works" \
				"$(printf '%s | ' "${bad_up[@]}")" test "${#bad_up[@]}" -eq 0
		done
	done
}

# killed_then_checked N: one step of each_step_killed (its from, to, bad_down, bad_up).
killed_then_checked() {
	local i=$1 why=$TEST_DIR/why
	if [ "$from" != none ] && ! hp up "$TEST_DIR/$from.conf" >/dev/null 2>&1; then
		bad_up+=("$i: the first up failed")
		return
	fi
	if ! killed_at "$i" hp up "$TEST_DIR/$to.conf" 2>"$why"; then
		bad_up+=("$i: $(cat "$why")")
	elif ((i % 2)); then
		hp down >"$why" 2>&1 || bad_down+=("$i: down failed: $(tr '\n' ';' <"$why")")
		nothing_left 2>"$why" || bad_down+=("$i: left $(tr '\n' ';' <"$why")")
	elif ! hp up "$TEST_DIR/$to.conf" >"$why" 2>&1; then
		bad_up+=("$i: up failed: $(tr '\n' ';' <"$why")")
	elif ! converged "$to" $((i % 4 == 0)) 2>"$why"; then
		bad_up+=("$i: $(tr '\n' ';' <"$why")")
	fi
}
