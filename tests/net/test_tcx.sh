#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin among other people's programs on the same device, through the tc hooks the kernel
# has. tcx (Linux 6.6): hairpin's links go first on ingress and last on egress, are pinned in
# the pin dir, replaced in place by the next `up` (same link, new program, same position), and
# other programs on the hooks keep running before and after it and stay when it goes.
# cls_bpf (kernels without tcx; here also the test build told there is none): hairpin's
# filters sit in their own slot on a clsact qdisc; a qdisc it did not add stays, and one it
# added stays too while someone else's filter is on it. foreign_drop_ping shows that the
# foreign program runs (the client's pings fail); the client's echo through the public address
# that hairpin runs. Checked with the kernel's tools (ip, tc, bench/tcx).
. "$(dirname "$0")/loader_lib.sh"

loader_require test_tcx
gw_create 2 || exit 1
echo_start || exit 1
conf=$TEST_DIR/hairpin.conf

# foreign_tcx DIR NAME PROGRAM first|last: a foreign program on lan0's tcx hook, its link pinned
# outside hairpin's pin dir.
foreign_tcx() {
	ip netns exec "$NS_PI" "$TCX" attach "$FOREIGN_OBJ" "$3" lan0 "$1" \
		"$TEST_DIR/bpffs/$2" "$4"
}

# tcx_order DIR: lan0's tcx programs of DIR by name, in the order they run.
tcx_order() {
	hooks_of "$NS_PI" lan0 | awk -v h="tcx-$1" '$1 == h { printf "%s ", $3 }'
}

if kernel_has_tcx; then
	for mode in tc xdp; do
		t="tcx, Mode = $mode"
		echo "--- $t"
		foreign_tcx ingress f_in foreign_drop_ping last || exit 1
		foreign_tcx egress f_out foreign_tc first || exit 1
		check "$t: the foreign program runs: the client's pings fail" "they pass" eval '! ping_gw'
		foreigners=$(hooks_of "$NS_PI" lan0 | grep foreign_)
		gw_config "$conf" lan0 "$mode"
		check_cmd "$t: up" hairpin up "$conf"
		if [ "$mode" = tc ]; then
			check "$t: hairpin's ingress runs first" "order: $(tcx_order ingress)" \
				eval '[ "$(tcx_order ingress)" = "hp_ingress_tc foreign_drop_pi " ]'
		fi
		check "$t: hairpin's egress runs last" "order: $(tcx_order egress)" \
			eval '[ "$(tcx_order egress)" = "foreign_tc hp_egress_tc " ]'
		check "$t: its links are pinned in the pin dir" "links/ holds $(ls "$PIN_DIR/links" | tr '\n' ' ')" \
			eval '[ "$(ls "$PIN_DIR/links" | wc -l)" -eq $([ "$mode" = tc ] && echo 2 || echo 1) ]'
		check "$t: status names the hook" "it does not" eval \
			'status_json | jq -e ".devices[0].egress.hook == \"tcx\"" >/dev/null'
		check "$t: the foreign program still runs: the client's pings fail" "they pass" \
			eval '! ping_gw'
		check "$t: hairpin runs: the client's echo through the public address" "it does not" \
			udp_echo 31001
		links=$(ip netns exec "$NS_PI" "$TCX" show lan0 | awk '/ hp_/ { print $1, $4 }')
		progs=$(hooks_of "$NS_PI" lan0 | awk '/ hp_/ { print $2 }')
		check_cmd "$t: up again" hairpin up "$conf"
		check "$t: the same links, now with new programs" \
			"links $(ip netns exec "$NS_PI" "$TCX" show lan0 | tr '\n' ';')" \
			eval '[ "$(ip netns exec "$NS_PI" "$TCX" show lan0 | awk "/ hp_/ { print \$1, \$4 }")" = "$links" ] &&
			      [ -z "$(hooks_of "$NS_PI" lan0 | awk "/ hp_/ { print \$2 }" | grep -Fx "$progs")" ]'
		check "$t: in the same places" "order: $(tcx_order egress)" \
			eval '[ "$(tcx_order egress)" = "foreign_tc hp_egress_tc " ]'
		check "$t: the foreign programs are as they were" "they changed" \
			eval '[ "$(hooks_of "$NS_PI" lan0 | grep foreign_)" = "$foreigners" ]'
		check "$t: and hairpin works" "the echo fails" udp_echo 31002
		check_cmd "$t: down" hairpin down
		check "$t: down leaves the foreign programs as they were" "they changed" \
			eval '[ "$(hooks_of "$NS_PI" lan0 | grep foreign_)" = "$foreigners" ]'
		check "$t: and they still run: the client's pings fail" "they pass" eval '! ping_gw'
		check "$t: nothing of hairpin is left" "something is left" nothing_left
		rm "$TEST_DIR/bpffs/f_in" "$TEST_DIR/bpffs/f_out"
	done
fi

# cls_bpf: the normal binary on a kernel without tcx, else the test build told there is none.
variant=cls_bpf
for mode in tc xdp; do
	t="cls_bpf, Mode = $mode"
	echo "--- $t"
	gw_config "$conf" lan0 "$mode"

	# A clsact qdisc someone else made, with their filter on it before hairpin's slot.
	tc -n "$NS_PI" qdisc add dev lan0 clsact
	tc -n "$NS_PI" filter add dev lan0 ingress pref 1 bpf da obj "$FOREIGN_OBJ" sec classifier
	check_cmd "$t: up beside a foreign filter" hp up "$conf"
	check "$t: hairpin's filter is in its slot" "$(hooks_of "$NS_PI" lan0 | tr '\n' ';')" \
		eval 'tc -n "$NS_PI" filter show dev lan0 egress | grep -q "handle 0x4850 .*hp_egress_tc"'
	check "$t: the foreign filter runs: the client's pings fail" "they pass" eval '! ping_gw'
	check "$t: hairpin runs: the client's echo through the public address" "it does not" \
		udp_echo 31003
	check_cmd "$t: down" hp down
	check "$t: down leaves the qdisc it did not add, and the foreign filter" "they are gone" \
		eval '[ "$(hooks_of "$NS_PI" lan0 | awk "{ print \$1, \$3 }")" = "tc-ingress foreign_drop_pi" ]'
	check "$t: nothing of hairpin is left" "something is left" nothing_left lan0
	tc -n "$NS_PI" qdisc del dev lan0 clsact

	# A clsact qdisc hairpin made, and someone's filter on it since: it stays for them.
	check_cmd "$t: up, adding a clsact qdisc" hp up "$conf"
	check "$t: hairpin added the clsact qdisc" "there is none" \
		eval 'tc -n "$NS_PI" qdisc show dev lan0 | grep -qw clsact'
	tc -n "$NS_PI" filter add dev lan0 ingress pref 1 bpf da obj "$FOREIGN_OBJ" sec classifier
	check_cmd "$t: down" hp down
	check "$t: down leaves the qdisc it added while a foreign filter is on it" "it is gone" \
		eval '[ "$(hooks_of "$NS_PI" lan0 | awk "{ print \$1, \$3 }")" = "tc-ingress foreign_drop_pi" ]'
	check "$t: and the foreign filter still runs: the client's pings fail" "they pass" \
		eval '! ping_gw'
	check "$t: nothing of hairpin is left" "something is left" nothing_left lan0
	tc -n "$NS_PI" qdisc del dev lan0 clsact

	# Alone: the qdisc hairpin added goes with it.
	check_cmd "$t: up alone" hp up "$conf"
	check_cmd "$t: down" hp down
	check "$t: down removes the clsact qdisc it added" "something is left" nothing_left
done

lib_finish
