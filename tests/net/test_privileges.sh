#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A refusal for want of privilege is an error that says so, and changes nothing: an
# unprivileged user, root without CAP_NET_ADMIN, root without CAP_SYS_ADMIN (program ids can't
# be looked up: never taken for "program gone"). up (to the other mode), down and status each
# exit 1 naming the privileges, never an old kernel; the running instance stays as it was.
# Both modes.
. "$(dirname "$0")/loader_lib.sh"

loader_require test_privileges
gw_create 2 || exit 1
gw_config "$TEST_DIR/tc.conf" "lan0, lan1" tc
gw_config "$TEST_DIR/xdp.conf" "lan0, lan1" xdp
# The unprivileged user reads the configurations: what it lacks is only the privileges.
chmod o+x "$TEST_DIR"
said="permission denied [A-Za-z ']+: run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN"

# as WHO ARGS...: hairpin in the Pi as WHO: nobody, or root without a capability (-CAP).
as() {
	local who=$1
	shift
	case $who in
	nobody) set -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@" ;;
	*) set -- setpriv --inh-caps="$who" --bounding-set="$who" "$@" ;;
	esac
	ip netns exec "$NS_PI" "$@"
}

for mode in xdp tc; do
	other=tc
	[ "$mode" = tc ] && other=xdp
	check_cmd "$mode: up" hairpin up "$TEST_DIR/$mode.conf"
	before=$(snapshot)
	for who in nobody -net_admin -sys_admin; do
		t="$mode, as ${who/#-/root without }"
		expect_exit "$t: up to Mode = $other is refused, naming the privileges" 1 "$said" \
			as "$who" "$HAIRPIN" --pin-dir "$PIN_DIR" up "$TEST_DIR/$other.conf"
		check "$t: not for an old kernel" "it blames the kernel" \
			eval '! as "$who" "$HAIRPIN" --pin-dir "$PIN_DIR" up "$TEST_DIR/$other.conf" 2>&1 |
			      grep -q "cannot run hairpin"'
		expect_exit "$t: down is refused, naming the privileges" 1 "$said" \
			as "$who" "$HAIRPIN" --pin-dir "$PIN_DIR" down
		expect_exit "$t: status is refused, naming the privileges" 1 "$said" \
			as "$who" "$HAIRPIN" --pin-dir "$PIN_DIR" status
		unchanged "$t: nothing changed" "$before"
	done
	expect_exit "$mode, as nobody: set-public-ip is refused" 1 "[Pp]ermission denied" \
		as nobody "$HAIRPIN" --pin-dir "$PIN_DIR" set-public-ip 203.0.113.9
	unchanged "$mode, as nobody: set-public-ip changes nothing" "$before"
	check_cmd "$mode: down, as root" hairpin down
	check "$mode: down leaves nothing" "something is left" nothing_left
done

lib_finish
