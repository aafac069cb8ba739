#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 build (make ARCH=arm64: what a Raspberry Pi 4 or 5 runs) under qemu-aarch64: it
# embeds the same BPF object as the native build, and the parts that need no BPF in the kernel
# behave as the native build's do: --help; check of a good configuration (exit 0), of a bad
# one (exit 2, "hairpin: FILE:LINE: ... `text'") and of one naming a missing Device (exit 1),
# in a namespace with the Device the configuration names, every message the same, byte for
# byte, as the native build's. Loading and attaching need an arm64 kernel: make test-kernel
# KERNEL=debian-6.1-arm64 (doc/kernels.md).

# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

ARM64_HAIRPIN=${ARM64_HAIRPIN:-$REPO_DIR/${BUILD:-build}/arm64/hairpin}
NS_CROSS=${NS_PREFIX}cross

if [ "$(id -u)" -ne 0 ]; then
	skip cross "needs root (a network namespace for the configuration's Device)"
	exit 0
fi
lib_require_tools cross qemu-aarch64 ip
if [ ! -x "$ARM64_HAIRPIN" ]; then
	skip cross "$ARM64_HAIRPIN not built (make ARCH=arm64)"
	exit 0
fi

# e_machine of the ELF header, at offset 18: 183 is EM_AARCH64.
machine=$(od -An -tu2 -j 18 -N 2 "$ARM64_HAIRPIN" | tr -d ' ')
check cross_is_arm64 "$ARM64_HAIRPIN is not an aarch64 executable (e_machine $machine)" \
	test "$machine" = 183

# The BPF object is built once: the arm64 skeleton embeds the very object the native one does.
check cross_same_bpf_object "the arm64 and native skeletons differ" \
	cmp "$REPO_DIR/${BUILD:-build}/hairpin.skel.h" "$(dirname "$ARM64_HAIRPIN")/hairpin.skel.h"

# run_both NAME STATUS CMD-ARGS...: the arm64 build under qemu and the native build, in the
# namespace, must both exit STATUS and print the same.
run_both() {
	local name=$1 want=$2 arm native rc_arm rc_native
	shift 2
	arm=$(ip netns exec "$NS_CROSS" qemu-aarch64 "$ARM64_HAIRPIN" "$@" 2>&1)
	rc_arm=$?
	native=$(ip netns exec "$NS_CROSS" "$HAIRPIN" "$@" 2>&1)
	rc_native=$?
	if [ "$rc_arm" -ne "$want" ]; then
		fail "$name" "arm64 build exited $rc_arm, not $want: $*"
		printf '%s\n' "$arm" | diag
		return 1
	fi
	if [ -x "$HAIRPIN" ] && { [ "$rc_native" -ne "$rc_arm" ] || [ "$native" != "$arm" ]; }; then
		fail "$name" "arm64 and native builds differ (exit $rc_arm and $rc_native)"
		diff <(printf '%s\n' "$arm") <(printf '%s\n' "$native") | diag
		return 1
	fi
	pass "$name"
	LAST_OUTPUT=$arm
}

ip netns add "$NS_CROSS" || { fail cross_netns "could not add namespace $NS_CROSS"; exit 1; }
LIB_NETNS+=("$NS_CROSS")
if ! { ip -n "$NS_CROSS" link add lan0 type veth peer name lan0-peer &&
	ip -n "$NS_CROSS" addr add 192.0.2.1/24 dev lan0 &&
	ip -n "$NS_CROSS" link set lan0 up; }; then
	fail cross_netns "could not set up lan0 in $NS_CROSS"
	exit 1
fi

run_both cross_help 0 --help &&
	check cross_help_text "--help printed no usage" grep -q '^Usage: hairpin' <<<"$LAST_OUTPUT"

good=$TEST_DIR/good.conf
write_config "$good" auto
run_both cross_check_good 0 check "$good" &&
	check cross_check_good_text "check printed no \"ok\"" grep -q ": ok: 1 device, 2 forwards" \
		<<<"$LAST_OUTPUT"

# Line 8 of write_config's file is "Port = 51820".
bad=$TEST_DIR/bad.conf
sed '8s/.*/Port = 70000/' "$good" >"$bad"
run_both cross_check_bad 2 check "$bad" &&
	check cross_check_bad_text "no \"hairpin: $bad:8: ... \`70000'\" message" \
		grep -q "^hairpin: $bad:8: .*\`70000'" <<<"$LAST_OUTPUT"

missing=$TEST_DIR/missing.conf
sed '2s/.*/Device = lan9/' "$good" >"$missing"
run_both cross_check_missing_device 1 check "$missing" &&
	check cross_check_missing_device_text "no \"no such device\" message" \
		grep -q "^hairpin: $missing:2: no such device: \`lan9'" <<<"$LAST_OUTPUT"

lib_finish
