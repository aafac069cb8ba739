#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The hooks in contrib/ that call `hairpin set-public-ip` (ddclient's postscript, pppd's
# ip-up.d, NetworkManager's dispatcher), run as their daemons run them, with a stand-in
# hairpin and logger on PATH that record their arguments: each passes the right address for
# its own interface and event and nothing else, and reports a failure to syslog. And each
# passes shellcheck.

# shellcheck disable=SC2317 # check runs the functions given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

t=watch_hooks
CONTRIB=$REPO_DIR/contrib
CALLS=$TEST_DIR/calls
SYSLOG=$TEST_DIR/syslog
mkdir -p "$TEST_DIR/bin"
# STUB_FAIL=1 makes the stand-in hairpin fail as set-public-ip does on a refused address.
cat >"$TEST_DIR/bin/hairpin" <<STUB
#!/bin/sh
echo "\$*" >>"$CALLS"
[ "\${STUB_FAIL:-0}" = 1 ] || exit 0
echo "hairpin: set-public-ip: the public address is on the LAN of Device lan0: \\\`\$2'" >&2
exit 2
STUB
cat >"$TEST_DIR/bin/logger" <<STUB
#!/bin/sh
echo "\$*" >>"$SYSLOG"
STUB
chmod +x "$TEST_DIR/bin/hairpin" "$TEST_DIR/bin/logger"

# hook WANT_STATUS WANT_CALL ENV... -- SCRIPT ARGS...: run SCRIPT with ENV, as its daemon
# would (no hairpin on the daemon's PATH but the stand-in), and compare its exit status
# and the one call of hairpin it made ("" for none).
hook() {
	local want_status=$1 want_call=$2 status calls
	shift 2
	local env=()
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	: >"$CALLS"
	env -i PATH="$TEST_DIR/bin:/usr/bin:/bin" "${env[@]}" "$@" >/dev/null 2>&1
	status=$?
	calls=$(cat "$CALLS")
	if [ "$status" != "$want_status" ] || [ "$calls" != "$want_call" ]; then
		echo "$*: exit $status, hairpin called with '$calls'; want $want_status, '$want_call'" >&2
		return 1
	fi
}

syslog_has() {
	grep -qF -- "$1" "$SYSLOG" 2>/dev/null && return 0
	echo "syslog has no '$1':" >&2
	cat "$SYSLOG" >&2 2>/dev/null
	return 1
}

ddclient=$CONTRIB/ddclient/hairpin-postscript
check "${t}_ddclient" "the first IPv4 address" \
	hook 0 "set-public-ip 203.0.113.8" -- "$ddclient" 203.0.113.8
check "${t}_ddclient_ipv6_too" "IPv4 and IPv6 (ddclient 3.10)" \
	hook 0 "set-public-ip 203.0.113.9" -- "$ddclient" 203.0.113.9 2001:db8::9
check "${t}_ddclient_ipv6_only" "IPv6 only: nothing to do" \
	hook 0 "" -- "$ddclient" 2001:db8::9
check "${t}_ddclient_ipv6_only_logged" "no syslog line" syslog_has "no IPv4 address"
check "${t}_ddclient_fails" "a refused address: exit 1" \
	hook 1 "set-public-ip 203.0.113.8" STUB_FAIL=1 -- "$ddclient" 203.0.113.8
check "${t}_ddclient_fails_logged" "no syslog line" \
	syslog_has "set-public-ip 203.0.113.8 failed: hairpin: set-public-ip: the public address"

ipup=$CONTRIB/ppp/ip-up.d/hairpin
check "${t}_ip_up" "PPP_LOCAL of ppp0" \
	hook 0 "set-public-ip 203.0.113.8" PPP_IFACE=ppp0 PPP_LOCAL=203.0.113.8 \
	PPP_REMOTE=198.51.100.1 -- "$ipup"
check "${t}_ip_up_other_link" "another PPP link: nothing to do" \
	hook 0 "" PPP_IFACE=ppp1 PPP_LOCAL=198.18.0.9 -- "$ipup"
check "${t}_ip_up_no_local" "no PPP_LOCAL: exit 1" hook 1 "" PPP_IFACE=ppp0 -- "$ipup"
check "${t}_ip_up_fails" "a refused address: exit 1" \
	hook 1 "set-public-ip 203.0.113.8" STUB_FAIL=1 PPP_IFACE=ppp0 PPP_LOCAL=203.0.113.8 \
	-- "$ipup"
check "${t}_ip_up_fails_logged" "no syslog line" syslog_has "set-public-ip 203.0.113.8 failed"

nm=$CONTRIB/networkmanager/dispatcher.d/90-hairpin
lease="IP4_ADDRESS_0=203.0.113.8/24 203.0.113.1"
check "${t}_nm_up" "eth0 up" hook 0 "set-public-ip 203.0.113.8" "$lease" -- "$nm" eth0 up
check "${t}_nm_dhcp4_change" "eth0 dhcp4-change" \
	hook 0 "set-public-ip 203.0.113.8" "$lease" -- "$nm" eth0 dhcp4-change
check "${t}_nm_down" "eth0 down: nothing to do" hook 0 "" -- "$nm" eth0 down
check "${t}_nm_other_interface" "wlan0 up: nothing to do" hook 0 "" "$lease" -- "$nm" wlan0 up
check "${t}_nm_no_address" "eth0 up without an address: nothing to do" \
	hook 0 "" -- "$nm" eth0 up
check "${t}_nm_fails" "a refused address: exit 1" \
	hook 1 "set-public-ip 203.0.113.8" STUB_FAIL=1 "$lease" -- "$nm" eth0 up

if command -v shellcheck >/dev/null; then
	for script in "$ddclient" "$ipup" "$nm"; do
		check "${t}_shellcheck_${script#"$CONTRIB"/}" "shellcheck finds fault" \
			shellcheck "$script"
	done
else
	skip "${t}_shellcheck" "shellcheck not found (scripts/install-deps installs it)"
fi

lib_finish
