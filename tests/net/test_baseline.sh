#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed's network without hairpin, to document why hairpin exists:
#   - the phone at home, dialling the public address, gets no tunnel: the Pi masquerades it,
#     the router DNATs it straight back, and the Pi drops it as a martian (its own source);
#   - the laptop (dialling the Pi's LAN address) and the phone out on the internet work;
#   - the classic netfilter fix, a DNAT rule on the Pi's LAN, does not repair the phone's flow
#     that is already in conntrack: NAT rules see only a connection's first packet, and a
#     phone that keeps retrying keeps its entry alive for ever;
#   - once that entry is deleted (conntrack -D) the rule works.
# Needs no build of hairpin.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require baseline
if ! topo_up; then
	fail baseline_topology "could not build the network"
	exit 1
fi
pass baseline_topology

# The phone has been sending handshakes since its interface came up; each one is a martian.
m0=$(martian_count)
check baseline_phone_flow_in_conntrack \
	"the Pi's conntrack has no phone flow to $PUBLIC_ADDR:$WG_PORT" wait_phone_stuck 10
check baseline_phone_broken "the phone's tunnel works without hairpin" tunnel_broken phone 6
check baseline_phone_no_handshake "the phone completed a handshake without hairpin" \
	eval '! wait_handshake phone 0'
check baseline_martians_rise "in_martian_src stayed at $m0 while the phone retried" \
	wait_martians_above "$m0" 6

check baseline_laptop_works "the laptop's tunnel to $PI_LAN_ADDR fails" tunnel_works laptop
check baseline_inet_phone_works "the internet phone's tunnel to $PUBLIC_ADDR fails" \
	tunnel_works inet

# The fix from the seed, added while the phone's flow sits in conntrack.
check_cmd baseline_iptables_fix_added in_ns pi iptables -t nat -A PREROUTING -i lan0 \
	-d "$PUBLIC_ADDR" -p udp --dport "$WG_PORT" -j DNAT --to-destination "$PI_LAN_ADDR"
m0=$(martian_count)
# Two handshake retries (every 5 s) go by.
check baseline_iptables_fix_stuck_flow_still_broken \
	"the DNAT rule repaired a flow already in conntrack" tunnel_broken phone 11
check baseline_iptables_fix_stuck_flow_no_handshake \
	"the phone completed a handshake through a stuck conntrack entry" \
	eval '! wait_handshake phone 0'
check baseline_iptables_fix_stuck_flow_martians \
	"in_martian_src stayed at $m0: the phone's packets no longer go the masqueraded way" \
	wait_martians_above "$m0" 6
check baseline_iptables_fix_stuck_flow_masqueraded \
	"the phone's flow to $PUBLIC_ADDR left conntrack without a flush" \
	eval 'phone_conntrack "$PUBLIC_ADDR" | grep -q "dst=$PI_WAN_ADDR"'

# Forget the stuck entry: the next packet is a new connection and meets the rule.
check_cmd baseline_conntrack_flush in_ns pi conntrack -D -p udp --orig-src "$PHONE_ADDR" \
	--orig-dst "$PUBLIC_ADDR" --dport "$WG_PORT"
check baseline_iptables_fix_works_after_flush \
	"the phone's tunnel still fails with the DNAT rule and a fresh conntrack entry" \
	tunnel_works phone
check baseline_iptables_fix_endpoint "the phone's endpoint moved off the public address" \
	endpoint_is phone "$PUBLIC_ADDR:$WG_PORT"

lib_finish
