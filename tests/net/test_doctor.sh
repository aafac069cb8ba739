#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin doctor on the seed's network (lib.sh), built anew for each case and broken in one
# way each time: doctor must name that cause, and only it, and exit 1 (0 when nothing is
# wrong).
#
#   nothing_wrong      hairpin up (tc), the phone's packets translated
#   not_running        no hairpin; the phone's flow stuck in the Pi's conntrack
#   stale_address      the router moved to 203.0.113.8; hairpin still rewrites 203.0.113.7
#   not_forwarded      the router forwards udp/51820 to the Pi, not tcp/8080
#   rp_filter          strict rp_filter on the Pi, and its way back to the phone is by wan0
#   br_netfilter       the Device is a bridge (lan0 a port of it), bridge-nf-call-iptables = 1:
#                      fine while hairpin is on every port, a problem for a port joined after up
#   foreign_xdp        someone else's XDP program on lan0, before hairpin's tc ingress; then
#                      (tcx kernels) someone else's tcx program after hairpin's, and one before
#
# The router answers as a home router does: UPnP IGD from Debian's miniupnpd (its port
# forwards in its own nftables chain, where it reads them from), NAT-PMP from the stand-in
# gateway of test_watch_natpmp.sh (miniupnpd would not hand out a documentation address).

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/watch_lib.sh
. "$(dirname "$0")/watch_lib.sh"

t=doctor
CONF=$TEST_DIR/hairpin.conf
GW_ADDR_FILE=$TEST_DIR/gw.addr
GW_BOOT_FILE=$TEST_DIR/gw.boot
UPNP_HTTP_PORT=2189
BR_NETFILTER_LOADED=0

lib_require "$t"
lib_require_hairpin "$t"
lib_require_tools "$t" miniupnpd nft
if ! bpffs_mount; then
	fail "${t}_bpffs" "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi

# br_netfilter is built into some kernels, a module in others. A module this test loaded it
# unloads at the end; one that was there it leaves, sysctls and all (the test changes them
# only inside its own namespaces).
doctor_cleanup() {
	[ "$BR_NETFILTER_LOADED" = 1 ] && modprobe -r br_netfilter 2>/dev/null
	lib_cleanup
}
trap doctor_cleanup EXIT

# router_igd_start PROTO/PORT...: the router's UPnP IGD (miniupnpd, UPnP only), which lists the
# port forwards PROTO/PORT to the Pi. It reads them from its nftables chain when it starts.
router_igd_start() {
	local fw proto port rules=$TEST_DIR/igd.nft
	{
		echo "table inet filter {"
		echo "	chain miniupnpd {"
		echo "	}"
		echo "	chain prerouting_miniupnpd {"
		for fw in "$@"; do
			proto=${fw%/*} port=${fw#*/}
			echo "		iif \"wan0\" ip protocol $proto $proto dport $port dnat ip to $PI_WAN_ADDR:$port"
		done
		echo "	}"
		echo "	chain postrouting_miniupnpd {"
		echo "	}"
		echo "	chain forward {"
		echo "		type filter hook forward priority 0; policy accept;"
		echo "		jump miniupnpd"
		echo "	}"
		echo "	chain prerouting {"
		echo "		type nat hook prerouting priority -100; policy accept;"
		echo "		jump prerouting_miniupnpd"
		echo "	}"
		echo "	chain postrouting {"
		echo "		type nat hook postrouting priority 100; policy accept;"
		echo "		jump postrouting_miniupnpd"
		echo "	}"
		echo "}"
	} >"$rules"
	in_ns router nft -f "$rules" || return 1
	cat >"$TEST_DIR/miniupnpd.conf" <<-EOF
		ext_ifname=wan0
		listening_ip=lan0
		http_port=$UPNP_HTTP_PORT
		enable_natpmp=no
		enable_upnp=yes
		secure_mode=yes
		uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
		allow 1024-65535 198.51.100.0/24 1024-65535
		deny 0-65535 0.0.0.0/0 0-65535
	EOF
	spawn router miniupnpd miniupnpd -d -f "$TEST_DIR/miniupnpd.conf" -P "$TEST_DIR/miniupnpd.pid"
	wait_listening router tcp "$UPNP_HTTP_PORT"
}

# network UPNP_FORWARDS...: the seed's network, the router's IGD listing UPNP_FORWARDS (default:
# both of the Pi's) and its NAT-PMP stand-in answering the address it has.
network() {
	[ $# -gt 0 ] || set -- "udp/$WG_PORT" "tcp/$TCP_PORT"
	topo_create || { echo "building the network failed" >&2; return 1; }
	router_igd_start "$@" || { echo "miniupnpd did not start" >&2; return 1; }
	echo "$ROUTER_PUBLIC_ADDR" >"$GW_ADDR_FILE"
	echo $(($(date +%s) - 1000)) >"$GW_BOOT_FILE"
	natpmp_gw_start "$GW_ADDR_FILE" "$GW_BOOT_FILE" &&
		wait_udp_bound router "$NATPMP_GW_PORT"
}

# phone_sends: one datagram from the phone to the public address's udp/51820.
phone_sends() {
	udp_probe phone "$ROUTER_PUBLIC_ADDR" "$WG_PORT" 40000
}

DOCTOR_JSON=$TEST_DIR/doctor.json
DOCTOR_TEXT=$TEST_DIR/doctor.txt
DOCTOR_RC=$TEST_DIR/doctor.rc
# doctor_run [ARGS...]: doctor on $CONF, as JSON and as text; its exit status in the file
# $DOCTOR_RC (check runs this in a subshell), the JSON run's: the text run's must be the same.
doctor_run() {
	local rc rc_text
	hairpin doctor --json "$@" "$CONF" >"$DOCTOR_JSON" 2>"$TEST_DIR/doctor.err"
	rc=$?
	echo "$rc" >"$DOCTOR_RC"
	hairpin doctor "$@" "$CONF" >"$DOCTOR_TEXT" 2>>"$TEST_DIR/doctor.err"
	rc_text=$?
	[ "$rc_text" = "$rc" ] && return 0
	echo "doctor --json exited $rc, doctor $rc_text" >&2
	return 1
}

# problems_are CHECK...: the problems doctor found are those of exactly these checks (in any
# order, each at least once), in its JSON and its text, and its exit status says whether
# there were any.
problems_are() {
	local want got text count rc want_rc=0
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u | paste -sd ' ')
	got=$(jq -r '.findings[] | select(.level == "problem") | .check' "$DOCTOR_JSON" |
		sort -u | paste -sd ' ')
	text=$(awk '$1 == "problem" { sub(":", "", $2); print $2 }' "$DOCTOR_TEXT" | sort -u |
		paste -sd ' ')
	[ -n "$want" ] && want_rc=1
	count=$(jq -r .problems "$DOCTOR_JSON")
	rc=$(cat "$DOCTOR_RC")
	if [ "$got" = "$want" ] && [ "$text" = "$want" ] && [ "$rc" = "$want_rc" ] &&
		[ "$((count > 0))" = "$want_rc" ]; then
		return 0
	fi
	echo "wanted problems '${want:-none}' and exit $want_rc; got '${got:-none}' (text: '${text:-none}'), exit $rc:" >&2
	cat "$DOCTOR_TEXT" "$TEST_DIR/doctor.err" >&2
	return 1
}

# doctor_says CHECK LEVEL TEXT: a finding of CHECK at LEVEL whose line holds TEXT.
doctor_says() {
	grep -E "^$2 +$1: " "$DOCTOR_TEXT" | grep -qF -- "$3" && return 0
	echo "no '$2 $1' line saying '$3':" >&2
	cat "$DOCTOR_TEXT" >&2
	return 1
}

# probes_named: every probe doctor sent is named in its output: the NAT-PMP request to the
# router, the SSDP search, and one GetSpecificPortMappingEntry per forward.
probes_named() {
	jq -e --arg gw "$ROUTER_LAN_ADDR" '[.probes[].what] as $p
		| ($p | any(startswith("NAT-PMP public address request") and contains($gw + ":5351")))
		and ($p | any(startswith("SSDP M-SEARCH")))
		and ([$p[] | select(startswith("SOAP GetSpecificPortMappingEntry"))] | length == 2)' \
		"$DOCTOR_JSON" >/dev/null && grep -q "^probe   NAT-PMP" "$DOCTOR_TEXT" && return 0
	echo "the probes are not all named:" >&2
	cat "$DOCTOR_TEXT" >&2
	return 1
}

# no_land: no probe went from an address to itself (a LAND attack to a firewall).
no_land() {
	! jq -r '.probes[].what' "$DOCTOR_JSON" |
		grep -E 'from ([0-9.]+) to (http://)?\1[:/]' >&2
}

next_case() {
	topo_destroy
	rm -rf "$PIN_DIR"
}

write_config "$CONF" tc

# ---- nothing wrong ----
echo "--- nothing wrong"
network || { fail "${t}_network" "could not build the network"; exit 1; }
check_cmd "${t}_ok_up" hairpin up "$CONF"
phone_sends
check "${t}_ok_translated" "the phone's datagram was not translated" \
	wait_for 5 eval '[ "$(hairpin status --json | jq ".forwards[0].to_target.packets")" -gt 0 ]'
check "${t}_ok_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_ok_no_problem" "doctor found a problem where there is none" problems_are
check "${t}_ok_needed" "doctor did not say why hairpin is needed here" \
	doctor_says needed ok "$PUBLIC_ADDR is not this host's; it is reached by wan0 through $ROUTER_LAN_ADDR"
check "${t}_ok_router_forwards" "doctor did not report the router's forward over UPnP" \
	doctor_says router_upnp ok "forwards udp/$WG_PORT to $PI_WAN_ADDR:$WG_PORT"
check "${t}_ok_natpmp" "doctor did not report the router's NAT-PMP answer" \
	doctor_says router_natpmp ok "says its public address is $PUBLIC_ADDR, the one hairpin uses"
check "${t}_ok_probes_named" "doctor did not name its probes" probes_named
check "${t}_ok_no_land" "a probe went from an address to itself" no_land
check "${t}_ok_no_probe" "doctor --no-probe failed" doctor_run --no-probe
check "${t}_ok_no_probe_sends_nothing" "doctor --no-probe names probes it sent" \
	jq -e '.probes == []' "$DOCTOR_JSON"
check "${t}_ok_no_probe_no_problem" "doctor --no-probe found a problem" problems_are
# An nftables chain on lan0's egress hook sees the replies before hairpin rewrites them: a note,
# no problem (what its rules do is not read).
in_ns pi nft add table netdev doctor_test &&
	in_ns pi nft add chain netdev doctor_test out \
		'{ type filter hook egress device lan0 priority 0; policy accept; }'
check "${t}_egress_chain_runs" "doctor --json and doctor disagree" doctor_run --no-probe
check "${t}_egress_chain_noted" "doctor did not note the egress chain" \
	doctor_says netfilter note "lan0's egress runs nftables chain netdev doctor_test out before hairpin's egress"
check "${t}_egress_chain_no_problem" "doctor took the egress chain for a problem" problems_are
in_ns pi nft delete table netdev doctor_test
# A configuration changed since up: a forward more, which the running instance does not have.
conf_was=$CONF CONF=$TEST_DIR/changed.conf
{ cat "$conf_was"; printf '\n[Forward]\nProtocol = udp\nPort = 5001\n'; } >"$CONF"
check "${t}_changed_runs" "doctor --json and doctor disagree" doctor_run --no-probe
check "${t}_changed_named" "doctor did not name the forward up has not made" problems_are hairpin
check "${t}_changed_which" "doctor did not say which forward, and to run up" \
	doctor_says hairpin problem "does not forward udp/5001, a [Forward] of $CONF (line"
CONF=$conf_was
check_cmd "${t}_ok_down" hairpin down "$CONF"
next_case

# ---- hairpin not running ----
echo "--- hairpin not running"
network || { fail "${t}_network" "could not build the network"; exit 1; }
phone_sends
check "${t}_not_running_stuck" "the phone's flow did not get stuck in conntrack" wait_phone_stuck 5
check "${t}_not_running_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_not_running_named" "doctor did not name hairpin not running alone" problems_are hairpin
check "${t}_not_running_fix" "doctor did not say how to start it" \
	doctor_says hairpin problem "hairpin is not running (nothing pinned at $PIN_DIR); fix: hairpin up $CONF"
check "${t}_not_running_symptom" "doctor did not show the stuck flow" \
	doctor_says conntrack note "client $PHONE_ADDR's udp flow to $PUBLIC_ADDR:$WG_PORT is masqueraded and never answered"
# Up, but without a public address: nothing is rewritten. The router's answer is the fix.
conf_was=$CONF CONF=$TEST_DIR/no-address.conf
grep -v '^PublicAddress' "$conf_was" >"$CONF"
check_cmd "${t}_no_address_up" hairpin up "$CONF"
check "${t}_no_address_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_no_address_named" "doctor did not name the missing public address alone" \
	problems_are public_address
check "${t}_no_address_fix" "doctor did not give the router's address as the fix" \
	doctor_says public_address problem "hairpin knows no public address: nothing is rewritten; fix: hairpin set-public-ip $PUBLIC_ADDR"
check_cmd "${t}_no_address_down" hairpin down "$CONF"
CONF=$conf_was
# What a crash or a lost pin dir leaves: hairpin's XDP program on lan0, no pins.
conf_was=$CONF CONF=$TEST_DIR/xdp.conf
write_config "$CONF" xdp
check_cmd "${t}_pins_lost_up" hairpin up "$CONF"
rm -rf "$PIN_DIR"
check "${t}_pins_lost_runs" "doctor --json and doctor disagree" doctor_run --no-probe
check "${t}_pins_lost_named" "doctor did not name hairpin not running alone" problems_are hairpin
check "${t}_pins_lost_program" "doctor did not name the program left on lan0" \
	doctor_says hairpin problem "yet lan0's native XDP holds its program"
check_cmd "${t}_pins_lost_down" hairpin down "$CONF"
check "${t}_pins_lost_gone" "a program is left on lan0" \
	eval '[ -z "$(prog_ids_on_lan0)" ]'
CONF=$conf_was
next_case

# ---- a stale public address ----
echo "--- stale public address"
network || { fail "${t}_network" "could not build the network"; exit 1; }
check_cmd "${t}_stale_up" hairpin up "$CONF"
router_set_public_addr "$NEW_PUBLIC_ADDR"
echo "$NEW_PUBLIC_ADDR" >"$GW_ADDR_FILE"
check "${t}_stale_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_stale_named" "doctor did not name the stale address alone" problems_are public_address
check "${t}_stale_fix" "doctor did not say how to fix the address" \
	doctor_says public_address problem "hairpin rewrites $PUBLIC_ADDR, but the router $ROUTER_LAN_ADDR says its public address is $NEW_PUBLIC_ADDR (its NAT-PMP answer); fix: hairpin set-public-ip $NEW_PUBLIC_ADDR"
check_cmd "${t}_stale_down" hairpin down "$CONF"
next_case

# ---- a port the router does not forward ----
echo "--- a port the router does not forward"
network "udp/$WG_PORT" || { fail "${t}_network" "could not build the network"; exit 1; }
in_ns router iptables -t nat -D PREROUTING -d "$PUBLIC_ADDR" -p tcp --dport "$TCP_PORT" \
	-j DNAT --to-destination "$PI_WAN_ADDR"
check_cmd "${t}_unforwarded_up" hairpin up "$CONF"
check "${t}_unforwarded_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_unforwarded_named" "doctor did not name the missing forward alone" problems_are router_upnp
check "${t}_unforwarded_which" "doctor did not name tcp/$TCP_PORT" \
	doctor_says router_upnp problem "the router $ROUTER_LAN_ADDR does not forward tcp/$TCP_PORT (UPnP error 714"
check "${t}_unforwarded_other_ok" "doctor did not find udp/$WG_PORT forwarded" \
	doctor_says router_upnp ok "forwards udp/$WG_PORT to $PI_WAN_ADDR"
check_cmd "${t}_unforwarded_down" hairpin down "$CONF"
next_case

# ---- strict rp_filter ----
echo "--- strict rp_filter"
network || { fail "${t}_network" "could not build the network"; exit 1; }
check_cmd "${t}_rp_up" hairpin up "$CONF"
# The Pi's way back to the phone is by wan0 (a route someone added for a host that moved):
# strict reverse path filtering drops what the phone sends on lan0, hairpin's rewrite too.
in_ns pi sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.lan0.rp_filter=1
ip -n "$NS_PI" route add "$PHONE_ADDR/32" via "$ROUTER_LAN_ADDR" dev wan0
# The Pi no longer answers the phone's ARP requests (arp_process() checks the sender's
# address by the same rule): a static entry, as the phone's neighbour cache would still hold,
# lets its IP packets reach the Pi, hairpin, and rp_filter.
ip -n "$NS_PHONE" neigh replace "$PI_LAN_ADDR" dev eth0 nud permanent \
	lladdr "$(ip -n "$NS_PI" -j link show dev lan0 | jq -r '.[0].address')"
# rp_drops_above N: the Pi's kernel counted more than N packets dropped by rp_filter.
rp_drops_above() {
	[ "$(in_ns pi nstat -asz TcpExtIPReversePathFilter |
		awk '/IPReversePathFilter/ { print $2 }')" -gt "$1" ]
}
rp_before=$(in_ns pi nstat -asz TcpExtIPReversePathFilter | awk '/IPReversePathFilter/ { print $2 }')
phone_sends
check "${t}_rp_drops" "the kernel did not drop the phone's rewritten datagram by rp_filter" \
	wait_for 5 rp_drops_above "${rp_before:-0}"
check "${t}_rp_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_rp_named" "doctor did not name rp_filter alone" problems_are rp_filter
check "${t}_rp_fix" "doctor did not say which client and how to fix it" \
	doctor_says rp_filter problem "lan0 drops what client $PHONE_ADDR sends, the packets hairpin rewrote too"
check_cmd "${t}_rp_down" hairpin down "$CONF"
next_case

# ---- br_netfilter on a bridge Device ----
echo "--- br_netfilter on a bridge Device"
if [ ! -d /proc/sys/net/bridge ]; then
	if modprobe br_netfilter 2>/dev/null; then
		BR_NETFILTER_LOADED=1
	fi
fi
if [ ! -d /proc/sys/net/bridge ]; then
	skip "${t}_br_netfilter" "no br_netfilter in this kernel"
else
	network || { fail "${t}_network" "could not build the network"; exit 1; }
	# The Pi's LAN is a bridge, brlan, whose port is lan0; its address moves to brlan.
	ip -n "$NS_PI" link add brlan type bridge &&
		ip -n "$NS_PI" addr del "$PI_LAN_ADDR/24" dev lan0 &&
		ip -n "$NS_PI" link set lan0 master brlan &&
		ip -n "$NS_PI" addr add "$PI_LAN_ADDR/24" dev brlan &&
		ip -n "$NS_PI" link set brlan up
	# Set here, in the Pi's namespace only (per namespace since Linux 5.3).
	in_ns pi sysctl -qw net.bridge.bridge-nf-call-iptables=1
	sed 's/^Device = lan0$/Device = brlan/' "$CONF" >"$TEST_DIR/bridge.conf"
	check_cmd "${t}_br_up" hairpin up "$TEST_DIR/bridge.conf"
	conf_was=$CONF CONF=$TEST_DIR/bridge.conf
	check "${t}_br_runs" "doctor --json and doctor disagree" doctor_run
	# hairpin is on the bridge's port, where br_netfilter's conntrack comes after it.
	check "${t}_br_fine" "doctor found a problem on a bridge attached on its ports" problems_are
	check "${t}_br_ahead" "doctor did not say that hairpin is ahead of br_netfilter" \
		doctor_says br_netfilter ok "hairpin runs on its ports (lan0), ahead of them"
	# A port that joins after `up' (no daemon here to follow it): its clients' packets meet
	# br_netfilter's conntrack first, and hairpin not at all.
	ip -n "$NS_PI" link add lan9 type veth peer name lan9p &&
		ip -n "$NS_PI" link set lan9 master brlan &&
		ip -n "$NS_PI" link set lan9 up
	check "${t}_br_port_runs" "doctor --json and doctor disagree" doctor_run
	check "${t}_br_port_named" "doctor did not name the port without hairpin" \
		problems_are br_netfilter hairpin
	check "${t}_br_port_hairpin" "doctor did not name lan9 as a port without hairpin" \
		doctor_says hairpin problem "does not run on lan9, a port of brlan"
	check "${t}_br_port_fix" "doctor did not say how to fix it" \
		doctor_says br_netfilter problem "its ports without hairpin (lan9)"
	ip -n "$NS_PI" link del lan9
	in_ns pi sysctl -qw net.bridge.bridge-nf-call-iptables=0
	# nftables' own bridge family sees the frames after the ports' tc ingress: no finding.
	in_ns pi nft add table bridge doctor_test &&
		in_ns pi nft add chain bridge doctor_test pre \
			'{ type filter hook prerouting priority 0; policy accept; }'
	check "${t}_br_off_runs" "doctor --json and doctor disagree" doctor_run
	check "${t}_br_off_fine" "doctor found a problem with br_netfilter off" problems_are
	check "${t}_br_chain_after" "doctor took the bridge chain for one ahead of hairpin" \
		eval '! grep -q "doctor_test" "$DOCTOR_TEXT"'
	check_cmd "${t}_br_down" hairpin down "$CONF"
	CONF=$conf_was
	next_case
fi

# ---- someone else's XDP program ----
echo "--- a foreign XDP program"
network || { fail "${t}_network" "could not build the network"; exit 1; }
check_cmd "${t}_xdp_up" hairpin up "$CONF"
check_cmd "${t}_xdp_foreign" ip -n "$NS_PI" link set dev lan0 xdpdrv obj "$XDP_PASS_OBJ" sec xdp
check "${t}_xdp_runs" "doctor --json and doctor disagree" doctor_run
check "${t}_xdp_named" "doctor did not name the foreign program alone" problems_are other_program
check "${t}_xdp_which" "doctor did not say which program, where" \
	doctor_says other_program problem "lan0's native XDP runs program"
check "${t}_xdp_fix" "doctor did not say how to remove it" \
	doctor_says other_program problem "fix: ip link set dev lan0 xdp off"
ip -n "$NS_PI" link set dev lan0 xdpdrv off
# tcx (Linux 6.6): hairpin's ingress goes first. Someone else's program after it is fine; one
# put before it later is named.
if "$TCX" show lo >/dev/null 2>&1; then
	check_cmd "${t}_tcx_after" in_ns pi "$TCX" attach "$XDP_PASS_OBJ" foreign_tc lan0 ingress \
		"$TEST_DIR/bpffs/foreign-last" last
	check "${t}_tcx_after_runs" "doctor --json and doctor disagree" doctor_run
	check "${t}_tcx_after_fine" "doctor named a program that runs after hairpin's" problems_are
	check_cmd "${t}_tcx_before" in_ns pi "$TCX" attach "$XDP_PASS_OBJ" foreign_tc lan0 ingress \
		"$TEST_DIR/bpffs/foreign-first" first
	check "${t}_tcx_before_runs" "doctor --json and doctor disagree" doctor_run
	check "${t}_tcx_before_named" "doctor did not name the program before hairpin's" \
		problems_are other_program
	check "${t}_tcx_before_which" "doctor did not say which program, where" \
		doctor_says other_program problem "lan0's tcx ingress runs program"
	rm -f "$TEST_DIR/bpffs/foreign-last" "$TEST_DIR/bpffs/foreign-first"
fi
check_cmd "${t}_xdp_down" hairpin down "$CONF"
next_case

# ---- usage ----
check "${t}_bad_config_exit_2" "doctor did not exit 2 on a bad configuration" \
	eval 'echo "[Interface]" >"$TEST_DIR/bad.conf"; "$HAIRPIN" doctor "$TEST_DIR/bad.conf" >/dev/null 2>&1; [ $? = 2 ]'
check "${t}_bad_option_exit_2" "doctor did not exit 2 on an unknown option" \
	eval '"$HAIRPIN" doctor --nope >/dev/null 2>&1; [ $? = 2 ]'

lib_finish
