#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `hairpin status --prometheus' and contrib/prometheus/: the metrics are what status --json
# says (the forwards' counters both ways, live flows, an old public address and its flows,
# the packets not handled as usual by reason, each Device's state, the public address, the
# version), in the text format as Prometheus' own promtool checks it, with a device name
# holding '"', '\' and a byte that is not UTF-8 escaped; without an instance, hairpin_up 0 and
# exit 1. The contrib unit's own ExecStart line writes the file, and Debian's node_exporter
# serves it through its textfile collector without a scrape error. promtool and node_exporter
# come from Debian's packages, downloaded once and unpacked, never installed (their
# postinsts would start a Prometheus server and an exporter on this machine).
. "$(dirname "$0")/loader_lib.sh"

loader_require test_prometheus
lib_require_tools test_prometheus apt-get dpkg-deb systemd-analyze

# prometheus_tools: Debian's promtool and prometheus-node-exporter, from the packages of apt's
# candidate versions, unpacked into $BUILD/prometheus once; sets PROMTOOL, NODE_EXPORTER.
prometheus_tools() {
	local cache=$REPO_DIR/${BUILD:-build}/prometheus pkg ver dir tmp
	for pkg in prometheus prometheus-node-exporter; do
		ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
			{ echo "no $pkg in apt's lists (apt-get update first?)" >&2; return 1; }
		dir=$cache/${pkg}_$ver
		if [ ! -e "$dir/.done" ]; then
			tmp=$TEST_DIR/deb-$pkg
			# apt's download sandbox user must be able to write there.
			mkdir -p "$tmp" && chmod 755 "$TEST_DIR" && chown _apt "$tmp" 2>/dev/null
			(cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null) ||
				{ echo "couldn't download $pkg $ver" >&2; return 1; }
			rm -rf "$dir" && mkdir -p "$dir" && dpkg-deb -x "$tmp"/*.deb "$dir/root" &&
				touch "$dir/.done" || return 1
		fi
		case $pkg in
		prometheus) PROMTOOL=$dir/root/usr/bin/promtool ;;
		*) NODE_EXPORTER=$dir/root/usr/bin/prometheus-node-exporter ;;
		esac
	done
}
if ! out=$(prometheus_tools 2>&1); then
	fail prometheus_tools "$out"
	lib_finish
fi
prometheus_tools

# promtool_check NAME FILE: promtool check metrics finds nothing wrong in FILE (it exits 3
# for a breach of the naming and HELP conventions, 1 for one of the format).
promtool_check() {
	check "$1" "promtool check metrics: $("$PROMTOOL" check metrics <"$2" 2>&1 | head -n 5)" \
		sh -c '"$1" check metrics <"$2"' sh "$PROMTOOL" "$2"
}

# sample FILE NAME [LABELS]: the value of the sample NAME{LABELS} (LABELS as written, in
# order), or nothing.
sample() {
	local want=$2
	[ -z "${3:-}" ] || want="$2{$3}"
	# From the environment: awk -v would take the backslashes of an escaped label as its own.
	WANT=$want awk '$1 == ENVIRON["WANT"] { print $2 }' "$1"
}

# same NAME WHAT GOT WANT
same() {
	if [ -n "$3" ] && [ "$3" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$2: got '$3', want '$4'"
	fi
}

gw_create 2 || exit 1
# A Device named with '"', '\' and the byte 0xff: the label value escapes the first two and
# has U+FFFD for the third.
odd=$(printf 'o"d\\\377')
ip -n "$NS_PI" link add name "$odd" type veth peer name oddpeer &&
	ip -n "$NS_PI" link set "$odd" up && ip -n "$NS_PI" link set oddpeer up || exit 1
odd_label=$(printf 'o\\"d\\\\\357\277\275')
conf=$TEST_DIR/hairpin.conf
gw_config "$conf" "lan0, $odd" tc
version=$("$HAIRPIN" --version | sed 's/^hairpin //')
prom=$TEST_DIR/metrics.prom

# ---- no instance -----------------------------------------------------------------------------
ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" status --prometheus >"$prom" 2>"$TEST_DIR/err"
rc=$?
same "no instance: exit 1" "exit status" "$rc" 1
same "no instance: hairpin_up 0" "hairpin_up" "$(sample "$prom" hairpin_up)" 0
same "no instance: the version" "hairpin_build_info" \
	"$(sample "$prom" hairpin_build_info "version=\"$version\"")" 1
promtool_check "no instance: promtool finds nothing wrong" "$prom"
expect_exit "--prometheus with --json is a usage error" 2 "exclude each other" \
	hairpin status --prometheus --json
expect_exit "--prometheus with -j likewise" 2 "exclude each other" \
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" -j status --prometheus

# ---- a running instance, with traffic, after a change of public address ----------------------
echo_start || exit 1
check_cmd "up" hairpin up "$conf" || lib_finish
for port in 40001 40002 40003; do udp_echo "$port" >/dev/null 2>&1; done
# A flow that dialled the old address keeps it.
check_cmd "set-public-ip 203.0.113.8" hairpin set-public-ip 203.0.113.8
udp_echo 40004 203.0.113.8 >/dev/null 2>&1
# One more to the target that goes unanswered (netfilter drops it after hairpin's ingress):
# the two directions' counters differ.
ip netns exec "$NS_PI" iptables -I INPUT -p udp --sport 40005 -j DROP
udp_echo 40005 203.0.113.8 >/dev/null 2>&1

json=$(hairpin status --json)
ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" status --prometheus >"$prom"
rc=$?
same "exit 0" "exit status" "$rc" 0
promtool_check "promtool check metrics finds nothing wrong" "$prom"
check "every family has its HELP and TYPE before its samples" "$(cat "$prom")" \
	awk '/^# HELP / { help[$3] = 1; next } /^# TYPE / { type[$3] = $4; next }
	     { name = $1; sub(/\{.*/, "", name)
	       if (!help[name] || !type[name]) { print "no HELP or TYPE before " name; bad = 1 }
	       if (type[name] == "counter" && name !~ /_total$/) { print name " is a counter"; bad = 1 } }
	     END { exit bad }' "$prom"

same "hairpin_up 1" "hairpin_up" "$(sample "$prom" hairpin_up)" 1
same "the version" "hairpin_build_info" "$(sample "$prom" hairpin_build_info "version=\"$version\"")" 1
same "the public address" "hairpin_public_address_info" \
	"$(sample "$prom" hairpin_public_address_info 'address="203.0.113.8"')" 1
f='protocol="udp",port="51820",target="192.0.2.1:51820"'
for dir in to_target to_client; do
	for what in packets bytes; do
		want=$(jq ".forwards[0].$dir.$what" <<<"$json")
		same "the forward's $what $dir, as status --json says" "hairpin_forward_${what}_total" \
			"$(sample "$prom" "hairpin_forward_${what}_total" "$f,direction=\"$dir\"")" "$want"
	done
done
check "the forward counted the four echoes and the one unanswered" \
	"status --json: $(jq -c .forwards[0] <<<"$json")" \
	jq -e '.forwards[0] | .to_target.packets == 5 and .to_client.packets == 4' <<<"$json"
same "live flows, as status --json says" hairpin_flows "$(sample "$prom" hairpin_flows)" \
	"$(jq '.flows | length' <<<"$json")"
same "ended flows" hairpin_flows_ended "$(sample "$prom" hairpin_flows_ended)" \
	"$(jq .flows_ended <<<"$json")"
same "the old public address and its live flows" hairpin_old_public_address_flows \
	"$(sample "$prom" hairpin_old_public_address_flows 'address="203.0.113.7"')" \
	"$(jq '.old_public_addresses[] | select(.address == "203.0.113.7") | .live_flows' <<<"$json")"
check "three live flows own the old address" "status --json: $(jq -c .old_public_addresses <<<"$json")" \
	jq -e '.old_public_addresses == [{address: "203.0.113.7", live_flows: 3}]' <<<"$json"
for reason in $(jq -r '.not_handled | keys[]' <<<"$json"); do
	same "not handled, $reason" hairpin_not_handled_packets_total \
		"$(sample "$prom" hairpin_not_handled_packets_total "reason=\"$reason\"")" \
		"$(jq ".not_handled.$reason" <<<"$json")"
done
same "lan0 attached" hairpin_device_attached \
	"$(sample "$prom" hairpin_device_attached 'device="lan0",mode="tc"')" 1
same "lan0's state: attached" hairpin_device_state \
	"$(sample "$prom" hairpin_device_state 'device="lan0",state="attached"')" 1
same "lan0's state: not partial" hairpin_device_state \
	"$(sample "$prom" hairpin_device_state 'device="lan0",state="partial"')" 0
same "the odd name escaped, U+FFFD for its byte 0xff" hairpin_device_attached \
	"$(sample "$prom" hairpin_device_attached "device=\"$odd_label\",mode=\"tc\"")" 1

# The kernel is the truth: a Device whose program someone removed says so.
link=$(ip netns exec "$NS_PI" "$TCX" show lan0 | awk '/ hp_ingress/ { print $4 }')
if kernel_has_tcx && [ -n "$link" ] && bpftool link detach id "$link"; then
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" status --prometheus >"$prom"
	same "lan0 with its ingress link gone: not attached" hairpin_device_attached \
		"$(sample "$prom" hairpin_device_attached 'device="lan0",mode="tc"')" 0
	same "lan0 with its ingress link gone: partial" hairpin_device_state \
		"$(sample "$prom" hairpin_device_state 'device="lan0",state="partial"')" 1
	check_cmd "up puts it back" hairpin up "$conf"
fi

# ---- contrib/prometheus --------------------------------------------------------------------
service=$REPO_DIR/contrib/prometheus/hairpin-metrics.service
timer=$REPO_DIR/contrib/prometheus/hairpin-metrics.timer
check "systemd-analyze verify the contrib units" "they do not verify" \
	systemd-analyze verify --man=no "$service" "$timer"

textdir=$TEST_DIR/node-exporter
mkdir -p "$textdir" "$TEST_DIR/bin"
# `hairpin' as the unit's PATH finds it, with this run's pin dir.
printf '#!/bin/sh\nexec "%s" --pin-dir "%s" "$@"\n' "$HAIRPIN" "$PIN_DIR" >"$TEST_DIR/bin/hairpin"
chmod +x "$TEST_DIR/bin/hairpin"
# unit_exec: the service's ExecStart, $$ as systemd reads it, the textfile directory this run's.
unit_exec() {
	local line
	line=$(sed -n 's/^ExecStart=//p' "$service")
	line=${line//'$$'/'$'}
	line=${line//\/var\/lib\/prometheus\/node-exporter/$textdir}
	ip netns exec "$NS_PI" env PATH="$TEST_DIR/bin:$PATH" bash -c "eval \"\$1\"" bash "$line"
}
check_cmd "the unit's ExecStart" unit_exec
check "it writes hairpin.prom, nothing else" "the directory holds: $(ls -A "$textdir")" \
	test "$(ls -A "$textdir")" = hairpin.prom
check "hairpin.prom is readable by the collector's user (0644)" "mode $(stat -c %a "$textdir/hairpin.prom")" \
	test "$(stat -c %a "$textdir/hairpin.prom")" = 644
same "hairpin.prom: hairpin_up 1" hairpin_up "$(sample "$textdir/hairpin.prom" hairpin_up)" 1
promtool_check "hairpin.prom: promtool finds nothing wrong" "$textdir/hairpin.prom"

# Debian's node_exporter, its textfile collector alone, in the Pi's namespace.
spawn pi node-exporter "$NODE_EXPORTER" --web.listen-address=127.0.0.1:9100 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$textdir"
wait_listening pi tcp 9100
# scrape: node_exporter's /metrics, as Prometheus asks for it.
scrape() {
	printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' |
		ip netns exec "$NS_PI" socat -t 5 - TCP:127.0.0.1:9100 | tr -d '\r'
}
scraped=$(scrape)
check "node_exporter reads hairpin.prom without an error" \
	"$(grep -E 'node_textfile_scrape_error|^hairpin_up' <<<"$scraped")" \
	grep -qx 'node_textfile_scrape_error 0' <<<"$scraped"
check "node_exporter serves hairpin's metrics" "no hairpin_up 1, no forward counter" \
	sh -c 'printf "%s\n" "$1" | grep -qx "hairpin_up 1" &&
	       printf "%s\n" "$1" | grep -q "^hairpin_forward_packets_total{"' sh "$scraped"

check_cmd "down" hairpin down "$conf"
check_cmd "the unit's ExecStart without an instance" unit_exec
same "then hairpin.prom says hairpin_up 0" hairpin_up "$(sample "$textdir/hairpin.prom" hairpin_up)" 0
scraped=$(scrape)
check "node_exporter serves hairpin_up 0" "it does not" grep -qx "hairpin_up 0" <<<"$scraped"
lib_finish
