#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `down` takes every program of this instance off every device it is on, whatever happened
# before, and refuses what is not its to take: a device renamed, records lost, pins lost
# (the kernel keeps XDP programs and cls_bpf filters, not unpinned tcx links), another
# instance and programs that are not hairpin's on the same devices, a pin in the pin dir that
# is not hairpin's. Each in Mode = xdp and Mode = tc, and tc again through cls_bpf (the test
# build told the kernel has no tcx) where the kernel has tcx. Checked with the kernel's tools.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_down
gw_create 4 || exit 1
conf=$TEST_DIR/hairpin.conf
other_conf=$TEST_DIR/other.conf
other_pins=$TEST_DIR/bpffs/other

variants=${TEST_VARIANTS:-$(loader_variants)}

# clsact_emptied: where the variant uses a clsact qdisc, those hairpin added and whose records
# are lost are left empty, and then removed here.
clsact_emptied() {
	local dev
	variant_clsact || return 0
	check "$v: the clsact qdiscs without records are left empty" "a filter is on one" \
		eval '[ -z "$(hooks_of "$NS_PI" lan0; hooks_of "$NS_PI" lan1)" ]'
	for dev in lan0 lan1; do tc -n "$NS_PI" qdisc del dev "$dev" clsact; done
}

rename() {
	ip -n "$NS_PI" link set "$1" down && ip -n "$NS_PI" link set "$1" name "$2" &&
		ip -n "$NS_PI" link set "$2" up
}

for variant in $variants; do
	mode=$(variant_mode)
	v=$variant
	echo "--- $variant"

	# A device renamed while attached: the ifindex is the same device.
	gw_config "$conf" "lan0, lan1" "$mode"
	check_cmd "$v: up on lan0 and lan1" hp up "$conf"
	check "$v: the hooks are ${variant}'s" "they are not" \
		eval 'hooks_of "$NS_PI" lan1 | grep -q "^$(variant_hook ingress) [0-9]* hp_ingress"'
	rename lan1 lan9
	expect_exit "$v: down after lan1 became lan9 says so" 0 "lan1 \(now lan9\): detached" hp down
	check "$v: down leaves nothing, on the renamed device either" "something is left" nothing_left
	rename lan9 lan1

	# Records lost: the programs are known by what they are.
	check_cmd "$v: up again" hp up "$conf"
	for ifindex in $(bpftool -j map dump pinned "$PIN_DIR/devices" | jq -r '.[].formatted.key'); do
		bpftool map delete pinned "$PIN_DIR/devices" key $((ifindex & 255)) $((ifindex >> 8 & 255)) \
			$((ifindex >> 16 & 255)) $((ifindex >> 24 & 255))
	done
	check "$v: the records are gone" "the devices map is not empty" \
		eval '[ "$(bpftool -j map dump pinned "$PIN_DIR/devices")" = "[]" ]'
	jq_check "$v: status lists the programs no record knows" \
		'.devices == [] and ([.unrecorded[].name] | unique) == ["lan0", "lan1"]'
	expect_exit "$v: down without records finds them" 0 \
		"lan0: detached \(this instance's programs, which no record listed\)" hp down
	# Without its record hairpin cannot know it added a clsact qdisc: that stays, empty.
	check "$v: down without records leaves nothing" "something is left" nothing_left lan0 lan1
	clsact_emptied

	# Pins lost (a bpffs unmounted, a pin dir removed by hand): XDP programs and cls_bpf
	# filters stay where they are; a tcx link goes with its last reference, its pin.
	check_cmd "$v: up again" hp up "$conf"
	rm -r "$PIN_DIR"
	if [ "$variant" = tc ]; then
		check "$v: with the pins, the tcx links went" "something is left" nothing_left
	else
		expect_exit "$v: status without pins says no instance, yet names what is attached" 1 \
			"yet lan0's .* holds this instance's program" hp status
		check_cmd "$v: down without pins" hp down
		check "$v: down without pins leaves nothing" "something is left" nothing_left lan0 lan1
		clsact_emptied
	fi

	# Another instance (its own pin dir) on lan1, and a program that is not hairpin's on lan2:
	# down leaves both as they are.
	gw_config "$conf" lan0 "$mode"
	gw_config "$other_conf" lan1 "$mode" 203.0.113.8
	check_cmd "$v: up of this instance on lan0" hp up "$conf"
	check_cmd "$v: up of another instance on lan1" hp --pin-dir "$other_pins" up "$other_conf"
	ip -n "$NS_PI" link set dev lan2 xdpgeneric obj "$FOREIGN_OBJ" sec xdp
	others=$(hooks_of "$NS_PI" lan1; hooks_of "$NS_PI" lan2)
	check_cmd "$v: down of this instance" hp down
	check "$v: the other instance's programs and the foreign one stay" "they changed" \
		eval '[ "$(hooks_of "$NS_PI" lan1; hooks_of "$NS_PI" lan2)" = "$others" ]'
	check "$v: nothing of this instance is left on lan0" "something is left" \
		eval '! hooks_of "$NS_PI" lan0 | grep -q " hp_" && ! test -e "$PIN_DIR"'
	check_cmd "$v: down of the other instance" hp --pin-dir "$other_pins" down
	ip -n "$NS_PI" link set dev lan2 xdpgeneric off
	check "$v: and then nothing is left" "something is left" nothing_left
done

# A pin dir that holds what hairpin did not put there: a map of someone else's where the config
# pin goes. Refused, named, and left alone by down and by up.
mkdir -p "$PIN_DIR"
bpftool map create "$PIN_DIR/config" type array key 4 value 4 entries 1 name not_hairpins
before=$(snapshot)
expect_exit "down refuses a pin that is not hairpin's, naming it" 1 \
	"$PIN_DIR/config is not hairpin's \(map \`not_hairpins', not one of hairpin's\)" hairpin down
unchanged "down leaves the foreign pin as it was" "$before"
gw_config "$conf" lan0 tc
expect_exit "up refuses it too" 1 "$PIN_DIR/config is not hairpin's" hairpin up "$conf"
unchanged "up changes nothing either" "$before"
rm -r "$PIN_DIR"

lib_finish
