#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input to the loader gets a clear error and leaves the running instance as it was: a
# missing device, a device that disappears while attached, a public address on the LAN, a pin
# dir that is not on bpffs, an `up` that fails halfway (native XDP refused on its second
# device), and `up` commands racing each other. One namespace ("pi") with veths and a VXLAN
# device (no native XDP); no WireGuard needed.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_loader
gw_create 2 || exit 1
# A VXLAN device: Ethernet, but without native XDP. (Not a bridge: a bridge as Device is
# attached on its ports.)
ip -n "$NS_PI" link add vx9 type vxlan id 9 dstport 4789 && ip -n "$NS_PI" link set vx9 up || exit 1

conf=$TEST_DIR/hairpin.conf
# config FILE DEVICES MODE PUBLIC
config() {
	gw_config "$@"
}

# --- nothing running yet ---
config "$conf" nosuch0 tc 203.0.113.7
expect_exit "up with a missing device exits 1 naming FILE:LINE" 1 "$conf:2: no such device: \`nosuch0'" \
	hairpin up "$conf"
check_fails "up with a missing device pins nothing" test -e "$PIN_DIR"

mkdir -p "$TEST_DIR/notbpf"
config "$conf" lan0 tc 203.0.113.7
expect_exit "a pin dir not on bpffs is refused" 1 "not on a bpf filesystem" \
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$TEST_DIR/notbpf/hairpin" up "$conf"
check "a refused pin dir leaves no qdisc" "clsact left on lan0" \
	sh -c "! ip netns exec $NS_PI tc qdisc show dev lan0 | grep -q clsact"

config "$conf" "lan0, vx9" xdp 203.0.113.7
expect_exit "up failing on its second device exits 1" 1 "couldn't attach XDP program to vx9" \
	hairpin up "$conf"
check "a first up that fails halfway leaves nothing attached" "something is left" \
	sh -c "! ip netns exec $NS_PI ip link show lan0 | grep -q prog/xdp &&
	       ! ip netns exec $NS_PI tc qdisc show dev lan0 | grep -q clsact &&
	       ! test -e $PIN_DIR"

# --- a running instance, and commands that must not change it ---
config "$conf" lan0 tc 203.0.113.7
check_cmd "up (tc on lan0)" hairpin up "$conf"
before=$(snapshot)

config "$TEST_DIR/bad.conf" "lan0, vx9" xdp 203.0.113.7
expect_exit "an up that fails halfway exits 1" 1 "couldn't attach XDP program to vx9" \
	hairpin up "$TEST_DIR/bad.conf"
unchanged "an up that fails halfway puts everything back" "$before"

config "$TEST_DIR/bad.conf" lan0 tc 192.0.2.50
expect_exit "a public address on the LAN is refused" 2 \
	"bad.conf:4: PublicAddress is on the LAN of Device lan0: \`192.0.2.50'" hairpin up "$TEST_DIR/bad.conf"
unchanged "a refused public address changes nothing" "$before"
expect_exit "set-public-ip refuses a LAN address" 2 "on the LAN of Device lan0" \
	hairpin set-public-ip 192.0.2.50
expect_exit "set-public-ip refuses a Device's own address" 2 "on the LAN of Device lan0" \
	hairpin set-public-ip 192.0.2.1
expect_exit "set-public-ip refuses a non-address" 2 "not an IPv4 address" \
	hairpin set-public-ip 203.0.113
unchanged "refused set-public-ip changes nothing" "$before"
# An address of another interface of this host is fine: a gateway whose own ppp0 holds the
# public address (lan1 is not a Device here).
check_cmd "set-public-ip takes an address of a non-Device interface" \
	hairpin set-public-ip 198.51.100.1
check "the public address is now that one" "status says otherwise" \
	sh -c "ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR status --json |
	       jq -e '.public_address == \"198.51.100.1\"' >/dev/null"
check_cmd "set-public-ip back" hairpin set-public-ip 203.0.113.7

config "$TEST_DIR/bad.conf" "lan0, nosuch0" tc 203.0.113.7
expect_exit "up naming a missing device exits 1" 1 "no such device: \`nosuch0'" \
	hairpin up "$TEST_DIR/bad.conf"
unchanged "up naming a missing device changes nothing" "$before"

# --- racing ups: each sees the pins whole; the last one's mode wins; nothing leaks ---
config "$TEST_DIR/tc.conf" lan0 tc 203.0.113.7
config "$TEST_DIR/xdp.conf" lan0 xdp 203.0.113.7
pids=()
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) -eq 0 ]; then c=$TEST_DIR/xdp.conf; else c=$TEST_DIR/tc.conf; fi
	hairpin up "$c" >"$TEST_DIR/race.$i" 2>&1 &
	pids+=("$!")
done
race_failed=0
for pid in "${pids[@]}"; do wait "$pid" || race_failed=$((race_failed + 1)); done
check "six racing ups all succeed" "$race_failed failed: $(cat "$TEST_DIR"/race.* | head -5)" \
	test "$race_failed" -eq 0
json=$(hairpin status --json)
mode=$(jq -r '.devices[0].mode' <<<"$json")
check "after the race, status shows one device, attached" "$json" \
	test "$(jq '[.devices[] | select(.attached)] | length' <<<"$json")" -eq 1
hooks=$(hooks_of "$NS_PI" lan0)
xdp_progs=$(grep -c '^xdp ' <<<"$hooks")
tc_in=$(grep -Ec '^tcx?-ingress [0-9]+ hp_ingress_tc' <<<"$hooks")
tc_out=$(grep -Ec '^tcx?-egress [0-9]+ hp_egress_tc' <<<"$hooks")
if [ "$mode" = xdp ]; then want_xdp=1 want_tc=0; else want_xdp=0 want_tc=1; fi
check "after the race, exactly the recorded mode's programs are attached" \
	"mode $mode: xdp $xdp_progs, tc ingress $tc_in, tc egress $tc_out" \
	test "$xdp_progs" -eq "$want_xdp" -a "$tc_in" -eq "$want_tc" -a "$tc_out" -eq 1

# --- a device that disappears while attached ---
config "$conf" "lan0, lan1" tc 203.0.113.7
check_cmd "up on two devices" hairpin up "$conf"
in_ns pi ip link del lan1
check "status after a device disappeared" "status does not show lan1 as detached" \
	sh -c "ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR status --json |
	       jq -e '.devices[] | select(.name == \"lan1\") | .attached == false' >/dev/null"
before=$(snapshot)
expect_exit "up while a Device is missing exits 1" 1 "no such device: \`lan1'" hairpin up "$conf"
unchanged "up while a Device is missing changes nothing" "$before"
config "$conf" lan0 tc 203.0.113.7
check_cmd "up without the vanished device" hairpin up "$conf"
check "the vanished device's record is gone" "status still lists lan1" \
	sh -c "ip netns exec $NS_PI $HAIRPIN --pin-dir $PIN_DIR status --json |
	       jq -e '[.devices[].name] == [\"lan0\"]' >/dev/null"

check_cmd "down" hairpin down
check "down leaves no program, qdisc or pin" "something is left" \
	sh -c "! ip netns exec $NS_PI ip link show lan0 | grep -q prog/xdp &&
	       ! ip netns exec $NS_PI tc qdisc show dev lan0 | grep -q clsact &&
	       ! test -e $PIN_DIR"
check_cmd "down again: nothing attached is not an error" hairpin down

lib_finish
