#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Replacing a running instance by a very different one works in one `up`, without a `down`
# and without a gap: 64 Devices replaced by 64 others (the records of both sets fit at once),
# and then a one-Device configuration; Targets .2 and .3 replaced by .4, .5 and .6, after which
# the forward to .6 gets its replies rewritten (the egress prefilter lost no target address).
# Both modes.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_replace
gw_create 1 || exit 1
echo_start || exit 1

# 64 Devices "a0".."a63" and 64 others "b0".."b63", veths whose peers stay in the Pi.
for set in a b; do
	for i in $(seq 0 63); do
		echo "link add $set$i type veth peer name p$set$i"
		echo "link set $set$i up"
		echo "link set p$set$i up"
	done
done | ip -n "$NS_PI" -batch - || exit 1

# many FILE SET MODE: a configuration with the 64 devices of SET.
many() {
	gw_config "$1" "$(seq -s, -f "$2%g" 0 63 | sed 's/,/, /g')" "$3"
}

# targets FILE MODE N...: forwards udp/5182N to 192.0.2.N:5182N for each N.
targets() {
	local file=$1 mode=$2 n
	shift 2
	gw_config "$file" lan0 "$mode"
	sed -i '/^\[Forward\]/,$d' "$file"
	for n in "$@"; do
		printf '[Forward]\nProtocol = udp\nPort = 5182%s\nTarget = 192.0.2.%s:5182%s\n' \
			"$n" "$n" "$n" >>"$file"
	done
}

# echo_on N: the client's echo through the public address, port 5182N, to 192.0.2.N.
echo_on() {
	local got
	got=$(echo "to $1" | timeout 8 ip netns exec "$NS_PHONE" \
		socat -T 3 - "UDP4:$GW_PUBLIC:5182$1,sourceport=4$((RANDOM % 1000 + 1000))" 2>&1)
	[ "$got" = "to $1" ] || { echo "the client got '$got' from .$1" >&2; return 1; }
}

# The Targets: addresses of the Pi on lan0, each with its own echo server that answers from it.
for n in 2 3 4 5 6; do
	ip -n "$NS_PI" addr add "192.0.2.$n/24" dev lan0 || exit 1
	spawn pi "echo-$n" socat -T 10 "UDP4-LISTEN:5182$n,bind=192.0.2.$n,fork,reuseaddr" EXEC:cat
	wait_listening pi udp "5182$n" || exit 1
done

for mode in xdp tc; do
	echo "--- Mode = $mode"
	many "$TEST_DIR/a.conf" a "$mode"
	many "$TEST_DIR/b.conf" b "$mode"
	gw_config "$TEST_DIR/one.conf" lan0 "$mode"
	check_cmd "$mode: up on 64 Devices" hairpin up "$TEST_DIR/a.conf"
	check_cmd "$mode: up replacing them by 64 others" hairpin up "$TEST_DIR/b.conf"
	check "$mode: status says the 64 others are attached, and only they" "$(status_json |
		jq -c '[.devices[] | select(.attached | not) | .name]')" eval 'status_json | jq -e "
		[.devices[] | select(.attached) | .name] == [range(64) | \"b\(.)\"] and
		.unrecorded == []" >/dev/null'
	check "$mode: the kernel shows hairpin on each of them and on none of the first" \
		"$(hooks_all "$NS_PI" | grep ' hp_' | awk '{ print $1 }' | sort -u | tr '\n' ' ')" \
		eval '[ "$(hooks_all "$NS_PI" | grep " hp_" | awk "{ print \$1 }" | sort -u |
			   tr "\n" " ")" = "$(seq -f "b%g" 0 63 | sort | tr "\n" " ")" ]'
	check_cmd "$mode: up replacing them by one" hairpin up "$TEST_DIR/one.conf"
	check "$mode: the client's echo through the public address works" "it does not" \
		udp_echo 32000

	targets "$TEST_DIR/t23.conf" "$mode" 2 3
	targets "$TEST_DIR/t456.conf" "$mode" 4 5 6
	check_cmd "$mode: up with Targets .2 and .3" hairpin up "$TEST_DIR/t23.conf"
	check "$mode: the forward to .3 answers from the public address" "it does not" echo_on 3
	check_cmd "$mode: up with Targets .4, .5 and .6 instead" hairpin up "$TEST_DIR/t456.conf"
	for n in 4 5 6; do
		check "$mode: then the forward to .$n answers from the public address" \
			"its replies are not rewritten" echo_on "$n"
	done
	check_cmd "$mode: down" hairpin down
	check "$mode: down leaves nothing" "something is left" nothing_left
done

lib_finish
