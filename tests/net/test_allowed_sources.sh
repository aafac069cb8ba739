#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# AllowedSources in [Interface]: only clients inside the prefixes are redirected. Both the
# phone (192.0.2.10) and the laptop (192.0.2.20) dial the public address here.
#   - AllowedSources = 192.0.2.8/29: the phone's tunnel works, with the public address as its
#     endpoint; the laptop's stays broken (masqueraded, sent back by the router, dropped as a
#     martian) and hairpin tracks no flow of it; status --json lists the prefix;
#   - `up` again with 192.0.2.16/28: now the laptop's tunnel works with the public address as
#     its endpoint, and the phone's, established, breaks: its packets are not redirected any
#     more;
#   - `up` again without AllowedSources: any source, the phone's tunnel works again and
#     status --json has allowed_sources null.
# For Mode = xdp and tc, each with veth checksum offload on and off (NET_MODES, NET_OFFLOADS).

# shellcheck disable=SC2016,SC2317 # check runs eval strings given as arguments; each_combination runs functions by name
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

lib_require allowed_sources
lib_require_hairpin allowed_sources
lib_require_tools allowed_sources ethtool
if ! bpffs_mount; then
	fail allowed_sources_bpffs "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

# write_sources_config FILE MODE [PREFIXES]: the seed's configuration, with AllowedSources =
# PREFIXES when given.
write_sources_config() {
	write_config "$1" "$2"
	[ -n "${3:-}" ] && sed -i "/^PublicAddress = /a AllowedSources = $3" "$1"
	return 0
}

# allowed_sources_are JSON: status --json's allowed_sources is JSON (a list, or null).
allowed_sources_are() {
	local json
	json=$(hairpin status --json) || return 1
	jq -e --argjson want "$1" '.allowed_sources == $want' <<<"$json" >/dev/null && return 0
	echo "allowed_sources is $(jq -c .allowed_sources <<<"$json"), not $1" >&2
	return 1
}

flows_lack() {
	local clients
	clients=$(flow_clients) || return 1
	printf '%s\n' "$clients" | grep -qx "$1" || return 0
	echo "a flow for $1; flows: $(printf "%s\n" "$clients" | paste -sd " ")" >&2
	return 1
}

run_combination() {
	local mode=$1 offload=$2 t=allowed_sources_$1_offload_$2 conf=$TEST_DIR/hairpin.conf

	if ! topo_up; then
		fail "${t}_topology" "could not build the network"
		return
	fi
	check "${t}_offload" "ethtool could not set checksum offload $offload" \
		veth_offload "$offload" || return
	# The laptop too dials the public address, as a phone would.
	check_cmd "${t}_laptop_dials_public" \
		wg_in laptop set wglaptop peer "$(wg_pubkey pi)" endpoint "$PUBLIC_ADDR:$WG_PORT"

	write_sources_config "$conf" "$mode" 192.0.2.8/29
	check_cmd "${t}_up_phone_allowed" hairpin up "$conf" || return
	check "${t}_status_phone_prefix" "status --json does not list 192.0.2.8/29" \
		allowed_sources_are '["192.0.2.8/29"]'
	check "${t}_phone_works" "the phone, inside 192.0.2.8/29, has no tunnel" tunnel_works phone
	check "${t}_phone_endpoint" "the phone sees another endpoint" \
		endpoint_is phone "$PUBLIC_ADDR:$WG_PORT"
	check "${t}_laptop_broken" "the laptop, outside 192.0.2.8/29, has a tunnel" \
		tunnel_broken laptop
	check "${t}_laptop_no_flow" "hairpin redirected the laptop" flows_lack "$LAPTOP_ADDR"

	write_sources_config "$conf" "$mode" 192.0.2.16/28
	check_cmd "${t}_up_laptop_allowed" hairpin up "$conf" || return
	check "${t}_status_laptop_prefix" "status --json does not list 192.0.2.16/28" \
		allowed_sources_are '["192.0.2.16/28"]'
	check "${t}_laptop_works" "the laptop, inside 192.0.2.16/28, has no tunnel" \
		tunnel_works laptop
	check "${t}_laptop_endpoint" "the laptop sees another endpoint" \
		endpoint_is laptop "$PUBLIC_ADDR:$WG_PORT"
	check "${t}_phone_broken" "the phone, now outside 192.0.2.16/28, still has a tunnel" \
		tunnel_broken phone

	write_sources_config "$conf" "$mode"
	check_cmd "${t}_up_any_source" hairpin up "$conf" || return
	check "${t}_status_any_source" "status --json's allowed_sources is not null" \
		allowed_sources_are null
	check "${t}_any_source_phone_works" "the phone has no tunnel with any source allowed" \
		tunnel_works phone
	check "${t}_any_source_laptop_works" "the laptop has no tunnel with any source allowed" \
		tunnel_works laptop
}

each_combination run_combination
lib_finish
