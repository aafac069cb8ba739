#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad configurations against a running hairpin: `up` and `check` each exit 2 (1 for a Device
# that does not exist: the contract's "missing device") with a message "hairpin: FILE:LINE:
# ..." that quotes the offending text, and the running instance is left exactly as it was:
# the phone's tunnel still works, the maps and programs are the same.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require badconfig
lib_require_hairpin badconfig
if ! bpffs_mount; then
	fail badconfig_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi
if ! topo_up; then
	fail badconfig_topology "could not build the network"
	exit 1
fi

good=$TEST_DIR/good.conf
write_config "$good" auto
# The lines of $good:
#  1 [Interface]
#  2 Device = lan0
#  3 Mode = auto
#  4 PublicAddress = 203.0.113.7
#  5
#  6 [Forward]
#  7 Protocol = udp
#  8 Port = 51820
#  9
# 10 [Forward]
# 11 Protocol = tcp
# 12 Port = 8080

check_cmd badconfig_good_check hairpin check "$good"
if ! check_cmd badconfig_good_up hairpin up "$good"; then
	exit 1
fi
check badconfig_phone_works_before "the phone's tunnel fails with hairpin up" tunnel_works phone

# What the Targets below need of the Pi: a blackhole route (as for a network a user keeps
# off-limits), and a second device, lan1, without an IPv4 address but with a LAN routed on it.
if ! in_ns pi ip route add blackhole 198.18.9.0/24 ||
	! ip -n "$NS_PI" link add lan1 type veth peer name lan1peer ||
	! ip -n "$NS_PI" link set lan1 up || ! ip -n "$NS_PI" link set lan1peer up ||
	! in_ns pi ip route add 198.18.7.0/24 dev lan1; then
	fail badconfig_topology "could not add the blackhole route and lan1"
	exit 1
fi

# The state a failed command must not change.
snapshot() {
	local map
	for map in config forwards forward_info devices; do
		echo "== $map"
		bpftool map dump pinned "$PIN_DIR/$map" 2>&1
	done
	echo "== programs"
	prog_ids_on_lan0
	echo "== xdp mode $(xdp_attach_mode)"
}
before=$(snapshot)

# bad NAME LINE QUOTED SED-SCRIPT [STATUS]: the good file edited by SED-SCRIPT must be refused
# by `up` and by `check` with exit STATUS (2) and a message naming FILE:LINE (LINE "" for any
# line) that quotes QUOTED.
bad() {
	local name=$1 line=$2 quoted=$3 status=${5:-2} conf=$TEST_DIR/$1.conf cmd err rc where
	sed "$4" "$good" >"$conf"
	where="$conf:${line:-[0-9]\+}:"
	for cmd in up check; do
		err=$(hairpin "$cmd" "$conf" 2>&1 >/dev/null)
		rc=$?
		if [ "$rc" -ne "$status" ]; then
			fail "badconfig_${name}_$cmd" "exit $rc, not $status"
		elif ! printf '%s\n' "$err" | grep -q "^hairpin: .*$where"; then
			fail "badconfig_${name}_$cmd" "the message does not start 'hairpin: ' and name $conf:${line:-LINE}:"
		elif ! printf '%s\n' "$err" | grep -qF -- "$quoted"; then
			fail "badconfig_${name}_$cmd" "the message does not quote '$quoted'"
		else
			pass "badconfig_${name}_$cmd"
			continue
		fi
		printf '%s\n' "$err" | diag
		nl -ba "$conf" | diag
	done
}

bad unknown_key 4 Colour '3a Colour = blue'
bad bad_port 8 70000 's/^Port = 51820$/Port = 70000/'
bad bad_protocol 7 sctp 's/^Protocol = udp$/Protocol = sctp/'
bad bad_mode 3 turbo 's/^Mode = auto$/Mode = turbo/'
bad bad_public_address 4 203.0.113.300 's/^PublicAddress = .*/PublicAddress = 203.0.113.300/'
bad missing_device "" Device '/^Device = /d'
# The contract counts a missing device as the system refusing (1), not a configuration error.
bad no_such_device 2 nosuch0 's/^Device = lan0$/Device = nosuch0/' 1
# A Target may be any host, but one this host can reach, the way it needs (check says how each
# is reached when it can: test_reflection, test_routed_target).
bad unreachable_target 9 "Target 192.0.2.255 is no host this host can reach (a broadcast address): \`192.0.2.255'" \
	'8a Target = 192.0.2.255:51820'
bad no_route_target 9 "Target 198.18.9.5 is no host this host can reach (its route is a blackhole): \`198.18.9.5'" \
	'8a Target = 198.18.9.5:51820'
# On lan1's LAN: this host would reflect lan1's clients with an address lan1 does not have.
bad reflect_no_address 9 "Target 198.18.7.5 is on the LAN of Device lan1, which has no IPv4 address for this host to reflect its clients' flows with: \`198.18.7.5'" \
	's/^Device = lan0$/Device = lan0, lan1/; 8a Target = 198.18.7.5:51820'
# Not this host's, so reached by forwarding, which lan0 does not do.
in_ns pi sysctl -qw net.ipv4.conf.lan0.forwarding=0
bad forwarding_off 9 "Target 198.51.100.20 is not this host's, and this host does not forward IPv4 from Device lan0 (sysctl net.ipv4.conf.lan0.forwarding = 0; set net.ipv4.ip_forward = 1): \`198.51.100.20'" \
	'8a Target = 198.51.100.20:51820'
in_ns pi sysctl -qw net.ipv4.conf.lan0.forwarding=1

# Inputs that are not configuration files: refused at once (a FIFO must not wait for a writer,
# /dev/zero must not be read for ever: `timeout` turns a hang into exit 124), exit 2.
# not_a_file NAME PATH MESSAGE
not_a_file() {
	local name=$1 path=$2 want=$3 cmd err rc
	for cmd in up check; do
		err=$(timeout 10 ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" "$cmd" \
			"$path" 2>&1 >/dev/null)
		rc=$?
		if [ "$rc" -ne 2 ]; then
			fail "badconfig_${name}_$cmd" "exit $rc, not 2"
		elif [ "$err" != "hairpin: $path: $want" ]; then
			fail "badconfig_${name}_$cmd" "the message is not 'hairpin: $path: $want'"
		else
			pass "badconfig_${name}_$cmd"
			continue
		fi
		printf '%s\n' "$err" | diag
	done
}
mkfifo "$TEST_DIR/fifo.conf"
not_a_file fifo "$TEST_DIR/fifo.conf" "not a regular file (a FIFO)"
not_a_file dev_zero /dev/zero "not a regular file (a character device)"
# The good file, padded with a comment to 2 MiB.
{ cat "$good"; head -c $((2 * 1024 * 1024 - $(wc -c <"$good") - 2)) /dev/zero | tr '\0' x |
	sed 's/^/#/'; echo; } >"$TEST_DIR/2mib.conf"
not_a_file 2mib "$TEST_DIR/2mib.conf" "is larger than 1024 KiB (2097152 bytes)"

# A quoted Device name with an escape sequence in it is shown escaped, not played.
sed "s/^Device = lan0$/Device = no$(printf '\033')[2Jdev/" "$good" >"$TEST_DIR/esc.conf"
err=$(hairpin check "$TEST_DIR/esc.conf" 2>&1)
if printf '%s' "$err" | grep -q "$(printf '\033')"; then
	fail badconfig_escape_quoted "the message holds a raw ESC byte"
	printf '%s\n' "$err" | cat -v | diag
else
	check badconfig_escape_quoted "the message does not quote the name escaped" \
		grep -qF "no such device: \`no\\x1b[2Jdev'" <<<"$err"
fi

after=$(snapshot)
if [ "$before" = "$after" ]; then
	pass badconfig_state_unchanged
else
	fail badconfig_state_unchanged "maps or programs changed after refused commands"
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | diag
fi
check badconfig_phone_works_after "the phone's tunnel fails after the refused commands" \
	tunnel_works phone
check badconfig_phone_endpoint "the phone sees another endpoint" \
	endpoint_is phone "$PUBLIC_ADDR:$WG_PORT"

check_cmd badconfig_down hairpin down "$good"

lib_finish
