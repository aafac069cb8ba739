#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real boot, with systemd as PID 1: the installed hairpin.service (make install DESTDIR) as
# it is, in a container that boots this host's own root (systemd-nspawn --boot, a tmpfs overlay
# on top, a network namespace of its own, a bpffs of its own), started by a target made for
# the test that also wants
#   hairpin-boot-network   before network-pre.target: lan0 up but without an address, wan0
#                          to a router that forwards 203.0.113.7 udp/51820 to the Pi, the phone
#   hairpin-boot-echo      the service behind the forward: a UDP echo server on the Pi
#   hairpin-boot-address   5 s after hairpin.service is ready: lan0 gets its address
#   hairpin-boot-device    10 s after boot: a second LAN device, lan1, with the laptop on it
#   hairpin-boot-check     after all of them: the phone and the laptop each get their echo
#                          through the public address, hairpin.service is active and was never
#                          restarted, `journalctl -u hairpin -p warning' is empty; then poweroff.
# The container's side is systemd_boot_guest.sh; its verdict comes back in a file.
#
# A container, not a qemu guest of tests/kernel: systemd as PID 1 there needs an init that
# execs it (tests/kernel/init.c runs commands and powers off), and units and the verdict carried
# in and out of the guest. (It is not the time: with init.c changed to exec systemd, Debian's
# 6.1 under TCG reached basic.target 12 s after qemu started, here.) The container has the
# host's kernel, but everything hairpin meets at boot is systemd's: the unit's ordering,
# Type=notify, its sandbox, the journal; and the container boots as well inside a guest of
# tests/kernel, on another kernel:
#   make test-kernel KERNEL=debian-6.1 KERNEL_TESTS=test_systemd_boot
# nspawn needs --system-call-filter=bpf: its own filter refuses bpf().
#
# Nothing of the host's changes: the container's network is its own, its root an overlay that
# goes with it, and nspawn neither registers with nor asks the host's systemd (--register=no
# --keep-unit). Every wait is bounded (the boot by BOOT_TIMEOUT seconds, 240).

# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require systemd_boot
lib_require_hairpin systemd_boot
if ! command -v systemd-nspawn >/dev/null; then
	fail systemd_boot "systemd-nspawn not found (scripts/install-deps installs systemd-container)"
	lib_finish
fi

boot_timeout=${BOOT_TIMEOUT:-240}
machine=${NS_PREFIX}boot
stage=$TEST_DIR/stage
units=$TEST_DIR/units
share=$TEST_DIR/share
guest=$REPO_DIR/tests/net/systemd_boot_guest.sh
unit_path=usr/local/lib/systemd/system/hairpin.service
mkdir -p "$units" "$share" "$TEST_DIR/root" "$TEST_DIR/bpffs"

check_cmd "make install DESTDIR" make -s -C "$REPO_DIR" install DESTDIR="$stage" || lib_finish

cat >"$share/hairpin.conf" <<-END
	[Interface]
	Device = lan0, lan1
	PublicAddress = $PUBLIC_ADDR

	[Forward]
	Protocol = udp
	Port = $WG_PORT
END

# The test's units, in the container's /run/systemd/system.
cat >"$units/hairpin-boot-test.target" <<-END
	[Unit]
	Description=hairpin's boot test
	Wants=hairpin.service hairpin-boot-network.service hairpin-boot-echo.service
	Wants=hairpin-boot-address.service hairpin-boot-device.service hairpin-boot-check.service
END
cat >"$units/hairpin-boot-network.service" <<-END
	[Unit]
	Description=hairpin's boot test: the network, the LAN without its address
	Before=network-pre.target
	Wants=network-pre.target

	[Service]
	Type=oneshot
	RemainAfterExit=yes
	ExecStart=$guest network
END
cat >"$units/hairpin-boot-echo.service" <<-END
	[Unit]
	Description=hairpin's boot test: the service behind the forward
	After=hairpin-boot-address.service

	# On the Pi's LAN address, which hairpin takes as the Target: bound to any, each reply would
	# leave from the address of the client's LAN (lan1's), which is not the flow hairpin knows.
	[Service]
	ExecStart=/usr/bin/socat UDP4-LISTEN:$WG_PORT,bind=$PI_LAN_ADDR,fork,reuseaddr EXEC:cat
END
# late_unit STEP WHAT AFTER SECONDS: hairpin-boot-STEP, a oneshot unit that, once started
# after the units AFTER, waits SECONDS and runs the guest's STEP.
late_unit() {
	cat >"$units/hairpin-boot-$1.service" <<-END
		[Unit]
		Description=hairpin's boot test: $2
		After=$3

		[Service]
		Type=oneshot
		RemainAfterExit=yes
		ExecStart=/bin/sleep $4
		ExecStart=$guest $1
	END
}
late_unit address "the LAN's address, late" "hairpin.service hairpin-boot-network.service" 5
late_unit device "a second LAN device, late" hairpin-boot-network.service 10
cat >"$units/hairpin-boot-check.service" <<-END
	[Unit]
	Description=hairpin's boot test: the checks
	After=hairpin.service hairpin-boot-echo.service hairpin-boot-address.service
	After=hairpin-boot-device.service
	SuccessAction=poweroff
	FailureAction=poweroff

	[Service]
	Type=oneshot
	ExecStart=$guest check /hairpin-boot/results
	StandardOutput=journal+console
	TimeoutStartSec=200
END

# nspawn boots no directory that is the host's root: a bind of it, in a mount namespace of the
# test's own, with a bpffs of its own (the container's /sys has no /sys/fs/bpf). Both go with
# the namespace. The repository is bound too, in case it lives on another file system.
# shellcheck disable=SC2016 # the sh -c script takes its arguments as $1, $2, $@
boot() {
	unshare -m --propagation private sh -c '
		mount --bind / "$1" && mount -t bpf bpf "$2" && shift 2 && exec "$@"' sh \
		"$TEST_DIR/root" "$TEST_DIR/bpffs" \
		timeout --kill-after=10 "$boot_timeout" systemd-nspawn --quiet --console=pipe \
		--register=no --keep-unit --link-journal=no --boot --machine="$machine" \
		--directory="$TEST_DIR/root" --volatile=overlay --private-network \
		--system-call-filter=bpf \
		--bind="$TEST_DIR/bpffs:/sys/fs/bpf" \
		--bind-ro="$REPO_DIR" \
		--bind-ro="$units:/run/systemd/system" \
		--bind-ro="$stage/usr/local/sbin/hairpin:/usr/local/sbin/hairpin" \
		--bind-ro="$stage/$unit_path:/$unit_path" \
		--bind-ro="$share/hairpin.conf:/etc/hairpin/hairpin.conf" \
		--bind="$share:/hairpin-boot" \
		systemd.unit=hairpin-boot-test.target </dev/null >"$TEST_DIR/log/console.log" 2>&1 &
	LIB_PIDS+=("$!")
	wait "$!"
}

boot && rc=0 || rc=$?
why="systemd-nspawn exited $rc"
[ "$rc" -eq 124 ] && why="no poweroff within ${boot_timeout}s"
check "the container boots and powers itself off" "$why" test "$rc" -eq 0 ||
	tr -d '\r' <"$TEST_DIR/log/console.log" | tail -n 40 | diag
# nspawn leaves its propagation directory where /run is no tmpfs.
rm -rf "/run/systemd/nspawn/propagate/${machine:?}"

if [ ! -s "$share/results" ]; then
	fail systemd_boot "hairpin-boot-check.service wrote no results (the console above says why)"
	lib_finish
fi
while IFS= read -r line; do
	case $line in
	PASS:*) pass "${line#PASS: }" ;;
	FAIL:*)
		name=${line#FAIL: }
		fail "${name%%: *}" "${name#*: }"
		;;
	*) echo "$line" | diag ;;
	esac
done <"$share/results"
[ "$LIB_FAILED" -eq 0 ] || diag <"$share/results.diag"
lib_finish
