#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# status says what the kernel has attached, not what hairpin once did: after someone else took
# hairpin's place (a foreign XDP program, a filter in hairpin's cls_bpf slot), removed it (a
# tcx link detached, the clsact qdisc deleted), after a device was renamed or deleted, and when
# a second instance (another pin dir) tries the same device, which is refused. In text and
# JSON (devices[].attached, state, ingress/egress, renamed_to), in Mode = xdp and Mode = tc,
# and tc again through cls_bpf (the test build told there is no tcx) where the kernel has tcx.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_status
gw_create 2 || exit 1
conf=$TEST_DIR/hairpin.conf
other_conf=$TEST_DIR/other.conf
other_pins=$TEST_DIR/bpffs/other

variants=$(loader_variants)

# lan1: a veth, up, as gw_create makes it (after the test deleted it).
lan1_create() {
	ip -n "$NS_PI" link add lan1 type veth peer name peer1 &&
		ip -n "$NS_PI" link set lan1 up && ip -n "$NS_PI" link set peer1 up &&
		ip -n "$NS_PI" addr add 198.51.100.1/24 dev lan1
}

# dev_json NAME: status --json's entry of the recorded device NAME.
dev_json() {
	hp status --json 2>/dev/null | jq -c --arg n "$1" '.devices[] | select(.name == $n)'
}

# dev_check NAME DEV FILTER: DEV's entry satisfies the jq FILTER.
dev_check() {
	local json
	json=$(dev_json "$2")
	if jq -e "$3" <<<"$json" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "$2's entry does not satisfy $3"
		printf '%s\n' "$json" | diag
	fi
}

for variant in $variants; do
	mode=$(variant_mode)
	v=$variant
	# status's names of the hooks: xdp, tcx, tc
	in_hook=$(variant_hook ingress | sed 's/-ingress//')
	out_hook=$(variant_hook egress | sed 's/-egress//')
	echo "--- $variant"

	gw_config "$conf" "lan0, lan1" "$mode"
	check_cmd "$v: up on lan0 and lan1" hp up "$conf"
	ids=$(hooks_of "$NS_PI" lan0 | awk '/ hp_ingress/ { i = $2 } / hp_egress/ { e = $2 }
		END { print i, e }')
	dev_check "$v: status says lan0 is attached, by the kernel's program ids, in its hooks" lan0 \
		".attached and .state == \"attached\" and .mode == \"$mode\" and
		 .ingress == {hook: \"$in_hook\", state: \"attached\", prog_id: ${ids% *}, replaced_by: null} and
		 .egress == {hook: \"$out_hook\", state: \"attached\", prog_id: ${ids#* }, replaced_by: null}"
	expect_exit "$v: status in text says so" 0 "lan0 +attached \(mode $mode\): ingress " hp status

	# Someone else takes hairpin's place, or removes its program.
	case $variant in
	xdp)
		ip -n "$NS_PI" link set dev lan0 xdpdrv off
		ip -n "$NS_PI" link set dev lan0 xdpdrv obj "$FOREIGN_OBJ" sec xdp
		dev_check "$v: a foreign XDP program in hairpin's place: replaced, by whom" lan0 \
			'(.attached | not) and .state == "replaced" and .ingress.state == "replaced" and
			 .ingress.replaced_by.name == "foreign_xdp" and
			 .ingress.replaced_by.owner == "foreign" and .egress.state == "attached"'
		expect_exit "$v: status in text says so" 0 \
			"lan0 +replaced \(mode xdp\): ingress native XDP replaced by program [0-9]+ \(foreign_xdp\), not hairpin's" \
			hp status
		ip -n "$NS_PI" link set dev lan0 xdpdrv off
		;;
	tc)
		link=$(ip netns exec "$NS_PI" "$TCX" show lan0 | awk '/ hp_ingress/ { print $4 }')
		bpftool link detach id "$link"
		dev_check "$v: hairpin's tcx ingress link detached by someone: missing" lan0 \
			'(.attached | not) and .state == "partial" and .ingress.state == "missing" and
			 .egress.state == "attached"'
		expect_exit "$v: status in text says so" 0 \
			"lan0 +partial \(mode tc\): ingress tcx missing, egress tcx \(program" hp status
		;;
	cls_bpf)
		tc -n "$NS_PI" filter replace dev lan0 ingress pref $((0x4850)) handle 0x4850 \
			bpf da obj "$FOREIGN_OBJ" sec classifier
		dev_check "$v: a foreign filter in hairpin's cls_bpf slot: replaced, by whom" lan0 \
			'(.attached | not) and .state == "replaced" and
			 .ingress.replaced_by.name == "foreign_drop_pi" and
			 .ingress.replaced_by.owner == "foreign"'
		tc -n "$NS_PI" qdisc del dev lan0 clsact
		dev_check "$v: the clsact qdisc deleted by someone: missing" lan0 \
			'(.attached | not) and .state == "missing" and .ingress.state == "missing" and
			 .egress.state == "missing"'
		expect_exit "$v: status in text says so" 0 \
			"lan0 +missing \(mode tc\): ingress cls_bpf missing \(the clsact qdisc is gone\)" \
			hp status
		;;
	esac
	check_cmd "$v: up again puts it right" hp up "$conf"
	dev_check "$v: and status says so" lan0 '.attached and .state == "attached"'

	# A second instance, another pin dir, on the same device: refused before any change, and
	# the first instance stays as it was, attached.
	gw_config "$other_conf" lan1 "$mode" 203.0.113.8
	before=$(snapshot)
	expect_exit "$v: a second instance on lan1 is refused, naming the first" 1 \
		"lan1: .* holds program [0-9]+ \(hp_[a-z_]+\), another hairpin instance's \(pin dir $PIN_DIR\)" \
		hp --pin-dir "$other_pins" up "$other_conf"
	unchanged "$v: the refused second instance changes nothing" "$before"
	check "$v: and pins nothing" "$other_pins exists" test ! -e "$other_pins"
	dev_check "$v: lan1 is still attached" lan1 '.attached and .state == "attached"'

	# Renamed: the same device, still attached; then deleted.
	ip -n "$NS_PI" link set lan1 down && ip -n "$NS_PI" link set lan1 name lan9 &&
		ip -n "$NS_PI" link set lan9 up
	dev_check "$v: lan1 renamed lan9: still attached, renamed_to says so" lan1 \
		'.attached and .state == "attached" and .renamed_to == "lan9"'
	expect_exit "$v: status in text says so" 0 "lan1 \(now lan9\) +attached" hp status
	ip -n "$NS_PI" link del lan9
	dev_check "$v: the device deleted: gone" lan1 '(.attached | not) and .state == "gone"'
	expect_exit "$v: status in text says so" 0 "lan1 +gone \(mode $mode\): no device has its ifindex" \
		hp status
	check_cmd "$v: down" hp down
	check "$v: down leaves nothing" "something is left" nothing_left
	lan1_create || exit 1
done

lib_finish
