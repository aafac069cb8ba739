#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What a user installs and what runs at boot:
#   make install DESTDIR=... puts exactly the program, the man pages, the systemd units, the
#   example configuration, the bash completion and the hooks of contrib/ in place, each usable (the man pages render
#   without warnings, the completion completes, systemd-analyze verify accepts the units);
#   make uninstall takes all of it away again.
#   A reboot, modelled: the seed's network with hairpin up is torn down whole (as a reboot
#   loses every program, map and pin) but for the configuration, built again, and the boot
#   unit's own ExecStart line (the daemon, `hairpin run`) is started, as systemd starts it
#   (NOTIFY_SOCKET, JOURNAL_STREAM): it says READY=1, and the phone's tunnel works again. After
#   a second reboot the LAN gets its address only after the daemon started, as a late DHCP
#   lease does: the tunnel works once it comes. Then SIGTERM, as systemctl stop sends, and the
#   unit's ExecStopPost.
# The unit's commands run with the test's pin dir and configuration path substituted: inside
# `ip netns exec`, /sys/fs/bpf is a fresh mount per command.

# shellcheck disable=SC2016,SC2317 # check runs functions and sh -c strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require boot
lib_require_hairpin boot
for tool in systemd-analyze groff; do
	if ! command -v "$tool" >/dev/null; then
		fail boot "$tool not found (scripts/install-deps installs it)"
		lib_finish
	fi
done

stage=$TEST_DIR/stage
units=$(cd "$REPO_DIR/systemd" && ls -- *.service.in | sed 's/\.in$//')
expected=$(
	{
		echo usr/local/sbin/hairpin
		echo usr/local/share/man/man8/hairpin.8
		echo usr/local/share/man/man5/hairpin.conf.5
		echo usr/local/share/bash-completion/completions/hairpin
		echo etc/hairpin/hairpin.conf.example
		for unit in $units; do echo "usr/local/lib/systemd/system/$unit"; done
		(cd "$REPO_DIR" && find contrib -type f) | sed 's|^|usr/local/share/doc/hairpin/|'
	} | sort
)

check_cmd "make install DESTDIR" make -s -C "$REPO_DIR" install DESTDIR="$stage"
installed=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
check "make install puts exactly the expected files in place" \
	"got: $(echo "$installed" | paste -sd ' ')" test "$installed" = "$expected"
check "the installed program runs" "--help failed" "$stage/usr/local/sbin/hairpin" --help
for page in man8/hairpin.8 man5/hairpin.conf.5; do
	check "man page $page renders without warnings" "groff warned" \
		sh -c "out=\$(groff -man -Tutf8 -ww -z '$stage/usr/local/share/man/$page' 2>&1) &&
		       [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
done

# The completion, driven as bash would: after "hairpin st", it offers status.
complete_words() {
	bash -c '. /usr/share/bash-completion/bash_completion && . "$0" &&
		 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		 _hairpin && printf "%s\n" "${COMPREPLY[@]}"' \
		"$stage/usr/local/share/bash-completion/completions/hairpin" "$@"
}
check "bash completion completes commands" "got: $(complete_words hairpin st | paste -sd ' ')" \
	sh -c "[ \"\$(printf '%s\n' '$(complete_words hairpin st)')\" = status ]"
check "bash completion completes a command's options" \
	"got: $(complete_words hairpin status --j | paste -sd ' ')" \
	sh -c "[ \"\$(printf '%s\n' '$(complete_words hairpin status --j)')\" = --json ]"

check_cmd "make uninstall DESTDIR" make -s -C "$REPO_DIR" uninstall DESTDIR="$stage"
left=$(cd "$stage" && find . -type f)
check "make uninstall leaves no file behind" "left: $left" test -z "$left"

# systemd-analyze verify wants the ExecStart binary where the unit says: install under a
# prefix of the test's own (no DESTDIR) and verify what was installed there.
prefix=$TEST_DIR/prefix
check_cmd "make install PREFIX" make -s -C "$REPO_DIR" install PREFIX="$prefix" \
	SYSCONFDIR="$TEST_DIR/etc" UNITDIR="$prefix/lib/systemd/system"
for unit in $units; do
	check "systemd-analyze verify $unit" "the unit does not verify" \
		systemd-analyze verify --man=no "$prefix/lib/systemd/system/$unit"
done

# ---- a reboot, modelled ----------------------------------------------------------------------

unit=$prefix/lib/systemd/system/hairpin.service
conf=$TEST_DIR/etc/hairpin/hairpin.conf
# unit_line KEY: the unit's KEY= command line, with the test's program, pin dir and CONFIG.
unit_line() {
	local line
	line=$(sed -n "s/^$1=//p" "$unit")
	line=${line//"$prefix/sbin/hairpin"/"$HAIRPIN --pin-dir $PIN_DIR"}
	echo "${line//\/etc\/hairpin\/hairpin.conf/$conf}"
}

DAEMON_PID=
DAEMON_LOG=$TEST_DIR/log/daemon.log
NOTIFY=$TEST_DIR/notify
# daemon_start: the unit's ExecStart in the Pi's namespace, as systemd starts it: stderr is
# "the journal" (JOURNAL_STREAM names it), and NOTIFY_SOCKET a datagram socket read into
# $NOTIFY. Not in a subshell (check's): only this shell keeps and can stop what it starts.
daemon_start() {
	local line
	line=$(unit_line ExecStart)
	rm -f "$NOTIFY" "$NOTIFY.sock"
	spawn pi notify socat -u UNIX-RECV:"$NOTIFY.sock" OPEN:"$NOTIFY",creat,append
	wait_for 5 test -S "$NOTIFY.sock" || return 1
	# shellcheck disable=SC2086 # the unit's command line is split as systemd splits it
	ip netns exec "$NS_PI" sh -c 'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) &&
		exec "$@"' sh env NOTIFY_SOCKET="$NOTIFY.sock" $line </dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	LIB_PIDS+=("$DAEMON_PID")
}

# daemon_stop NAME: SIGTERM as systemctl stop sends it (the daemon exits 0), then the unit's
# ExecStopPost, with what systemd tells it of the stop; checks both. Not in a subshell: only
# this shell can wait for the daemon.
daemon_stop() {
	local rc
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	check "$1: SIGTERM" "the daemon exited $rc" test "$rc" -eq 0
	check "$1: the unit's ExecStopPost" "it failed" \
		eval "ip netns exec \"\$NS_PI\" env SERVICE_RESULT=success $(unit_line ExecStopPost)"
}

# ready: the daemon told systemd READY=1.
ready() {
	wait_for 10 grep -q READY=1 "$NOTIFY"
}

# journal_warnings: the daemon's lines that journald would keep at warning or above.
journal_warnings() {
	! grep -E '^<[0-4]>' "$DAEMON_LOG"
}

if ! topo_up || ! bpffs_mount; then
	fail boot_network "could not build the network"
	lib_finish
fi
write_config "$conf" auto
daemon_start
check "boot: the unit's ExecStart is ready" "no READY=1" ready
check "boot: the phone's tunnel works" "no handshake" wait_handshake phone 20
check_cmd "boot: pings through the tunnel" tunnel_works phone
daemon_stop boot

# reboot NAME: everything goes: namespaces, programs, maps, pins. The configuration stays.
# Not in a subshell (check's): the network it builds again is this shell's to clean up.
reboot() {
	local rc=0
	reboot_network || rc=$?
	check "$1: nothing of hairpin is there after a reboot" "the network, pins or programs" \
		test "$rc" -eq 0
}

reboot_network() {
	topo_destroy
	bpffs_umount
	topo_up && bpffs_mount && [ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ] &&
		! hooks_of "$NS_PI" lan0 | grep -q " hp_"
}
reboot "after the reboot"
daemon_start
check "after the reboot: the unit's ExecStart is ready" "no READY=1" ready
check "after the reboot: the phone's tunnel works" "no handshake" wait_handshake phone 20
check_cmd "after the reboot: pings through the tunnel" tunnel_works phone
daemon_stop "after the reboot"

# The LAN's address comes 3 s after hairpin started, from a DHCP client, say.
reboot "late LAN"
ip -n "$NS_PI" addr flush dev lan0
: >"$DAEMON_LOG"
daemon_start
check "late LAN: the unit's ExecStart is ready before the address came" "no READY=1" ready
sleep 3
ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev lan0
check "late LAN: the phone's tunnel works once the address came" "no handshake" \
	wait_handshake phone 30
check_cmd "late LAN: pings through the tunnel" tunnel_works phone
check "late LAN: the journal's lines carry priorities" "no <6> line in the daemon's stderr" \
	grep -q '^<6>hairpin: run: lan0 is attached' "$DAEMON_LOG"
check "late LAN: no warning in the journal (journalctl -p warning)" "warnings" journal_warnings
daemon_stop "late LAN"
check "ExecStopPost leaves no program and no pin" "something is left" \
	eval '! test -e "$PIN_DIR" && ! hooks_of "$NS_PI" lan0 | grep -q " hp_"'

make -s -C "$REPO_DIR" uninstall PREFIX="$prefix" SYSCONFDIR="$TEST_DIR/etc" \
	UNITDIR="$prefix/lib/systemd/system" >/dev/null
lib_finish
