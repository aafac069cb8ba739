#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Device names may hold any byte but '/', ':' and white space. hairpin up on a device whose
# name is bytes 0x80-0xff, then `status --json`: valid UTF-8 (iconv into UTF-32, which is
# strict where jq is not: jq replaces what it cannot decode without a word), valid JSON (jq),
# and the name with U+FFFD where its bytes are not UTF-8. `status` text and `down` work on it
# too. One namespace ("pi") with a veth pair; no WireGuard needed.

# shellcheck disable=SC2016 # sh -c scripts take their arguments as $1, $2...
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require device_names
lib_require_hairpin device_names
lib_require_tools device_names iconv

ip netns add "$NS_PI" || exit 1
LIB_NETNS+=("$NS_PI")
bpffs_mount || exit 1

# \xff\xfe: never UTF-8; \xc3\xa9: é, well-formed; \xe2\x82: a sequence cut short; x.
name=$(printf '\377\376\303\251\342\202x')
if ! in_ns pi ip link add name "$name" type veth peer name peer0; then
	fail device_names_create "could not make a device named with bytes 0x80-0xff"
	exit 1
fi
in_ns pi ip link set "$name" up
# An address of its own for LocalAddress, where nothing else in this run lives.
in_ns pi ip addr add 198.18.99.1/32 dev "$name"

conf=$TEST_DIR/hairpin.conf
cat >"$conf" <<EOF2
[Interface]
Device = $name
Mode = tc
PublicAddress = 203.0.113.99

[Forward]
Protocol = udp
Port = 51820
EOF2

check_cmd device_names_up hairpin up "$conf"
json=$(hairpin status --json)
check device_names_json_utf8 "status --json is not valid UTF-8" \
	sh -c 'printf "%s" "$1" | iconv -f UTF-8 -t UTF-32LE >/dev/null' sh "$json"
check device_names_json_parses "status --json is not one JSON object" \
	jq -e 'type == "object"' <<<"$json"
# U+FFFD for each of \xff and \xfe, é as it is, one U+FFFD for the cut sequence.
check device_names_json_name \
	"the name is not \\ufffd\\ufffdé\\ufffdx: $(jq -c '.devices' <<<"$json")" \
	jq -e '[.devices[].name] == ["\ufffd\ufffd\u00e9\ufffdx"]' <<<"$json"
check device_names_json_attached "the device is not shown attached" \
	jq -e '.devices[0].attached == true and .devices[0].mode == "tc"' <<<"$json"
check device_names_status_text "status fails on the name" \
	sh -c 'ip netns exec "$1" "$2" --pin-dir "$3" status >/dev/null' sh "$NS_PI" "$HAIRPIN" \
	"$PIN_DIR"
check_cmd device_names_down hairpin down
check device_names_down_clean "programs or pins left after down" \
	sh -c "! ip netns exec $NS_PI tc filter show dev \"\$1\" ingress | grep -q hp_ &&
	       ! test -e $PIN_DIR" sh "$name"

lib_finish
