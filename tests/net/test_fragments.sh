#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# IP fragments, both ways (doc/translation.md: a first fragment is translated like a whole
# packet and remembered in `frags`; the fragments that follow get the same address). The phone
# sends one 3000-byte UDP datagram, which its stack cuts into three fragments at the LAN's
# MTU of 1500, to the public address's udp/5300, a forward to a socat echo server on the Pi:
#   - the server gets the datagram reassembled and intact (sha256);
#   - its reply, cut into fragments by the Pi, reaches the phone intact, and from
#     203.0.113.7:5300: the phone's socket is connected and takes nothing from anyone else;
#   - the frags map remembers a datagram in each direction: both really were fragmented.
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require fragments
lib_require_hairpin fragments
lib_require_tools fragments ethtool sha256sum
if ! bpffs_mount; then
	fail fragments_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

FRAG_PORT=5300
FRAG_SIZE=3000

# The seed's forwards and udp/5300.
write_frag_config() {
	write_config "$1" "$2"
	cat >>"$1" <<-EOF

		[Forward]
		Protocol = udp
		Port = $FRAG_PORT
	EOF
}

# frag_entries DIRECTION: how many datagrams the frags map remembers for DIRECTION
# (0 ingress, 1 egress).
frag_entries() {
	bpftool -j map dump pinned "$PIN_DIR/frags" |
		jq --argjson dir "$1" '[.[] | select(.formatted.key.direction == $dir)] | length'
}

frags_both_ways() {
	local in out
	in=$(frag_entries 0) out=$(frag_entries 1)
	[ "${in:-0}" -ge 1 ] && [ "${out:-0}" -ge 1 ] && return 0
	echo "frags map: $in ingress, $out egress datagrams:" >&2
	bpftool map dump pinned "$PIN_DIR/frags" >&2
	return 1
}

# same_content NAME A B: files A and B have the same bytes.
same_content() {
	local a b
	[ -f "$2" ] || { echo "$1: nothing received" >&2; return 1; }
	a=$(sha256sum <"$2") b=$(sha256sum <"$3")
	[ "$a" = "$b" ] && return 0
	echo "$1: $(stat -c %s "$3") bytes, sent $(stat -c %s "$2"), sha256 differs" >&2
	return 1
}

run_combination() {
	local mode=$1 offload=$2 t=fragments_$1_offload_$2 conf=$TEST_DIR/hairpin.conf
	local sent=$TEST_DIR/sent got=$TEST_DIR/server.got back=$TEST_DIR/phone.got

	if ! topo_create; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	write_frag_config "$conf" "$mode"
	check_cmd "${t}_up" hairpin up "$conf" || return

	rm -f "$sent" "$got" "$back"
	head -c "$FRAG_SIZE" /dev/urandom >"$sent"
	# One peer, then connected to it: tee keeps the datagram and hands it back to socat,
	# whole (fewer than PIPE_BUF bytes are written to a pipe at once), as one reply.
	spawn pi frag-server socat -T 20 UDP-LISTEN:"$FRAG_PORT",reuseaddr EXEC:"tee $got"
	wait_listening pi udp "$FRAG_PORT" || { fail "${t}_server" "the echo server did not start"; return; }

	# A connected socket: replies count only from 203.0.113.7:5300. socat waits 2 s for one.
	in_ns phone timeout 10 socat -t 2 - "UDP:$PUBLIC_ADDR:$FRAG_PORT" <"$sent" >"$back" \
		2>"$TEST_DIR/log/phone-socat.log"
	check "${t}_target_got_datagram" "the server did not get the datagram intact" \
		same_content server "$sent" "$got"
	check "${t}_phone_got_reply" \
		"the reply did not reach the phone's socket connected to $PUBLIC_ADDR:$FRAG_PORT intact" \
		eval 'same_content phone "$sent" "$back" || { cat "$TEST_DIR/log/phone-socat.log"; false; }'
	check "${t}_fragmented_both_ways" "not both datagrams went through hairpin in fragments" \
		frags_both_ways
}

each_combination run_combination
lib_finish
