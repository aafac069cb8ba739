#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin watch with PublicAddressFrom = natpmp, on the seed's network, the router being the
# Pi's default gateway.
#
# Against miniupnpd (Debian's miniupnpd-nftables) in the router: it answers the Pi's public
# address requests from its WAN interface's address, which it reads at every request. It
# refuses to hand out any reserved address, and every documentation address (RFC 5737) is
# one to it, so with this network's addresses it answers result 3, network failure: watch
# logs that and keeps PublicAddress. A restart of miniupnpd shows as its epoch going back;
# without it the router's port 5351 is unreachable; a dropped port is a silent gateway
# (retransmissions, 250 ms doubling). None of these changes the public address.
#
# The addresses themselves come from a stand-in gateway (socat and a script, the same
# 12-byte response format): watch takes its answer, follows its announcement to
# 224.0.0.1:5350, ignores an announcement from another host, and notices its restart.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/watch_lib.sh
. "$(dirname "$0")/watch_lib.sh"

t=watch_natpmp
MINIUPNPD_PID=
GW_ADDR_FILE=$TEST_DIR/gw.addr	# the stand-in's WAN address
GW_BOOT_FILE=$TEST_DIR/gw.boot	# when it "booted", for its epoch (seconds)
MINIUPNPD_LOG=$TEST_DIR/log/miniupnpd.log

lib_require "$t"
lib_require_hairpin "$t"
lib_require_tools "$t" miniupnpd
if ! bpffs_mount; then
	fail "${t}_bpffs" "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi
if ! topo_create; then
	fail "${t}_topology" "could not build the network"
	exit 1
fi

# A NAT-PMP gateway for the Pi's side of the router: NAT-PMP only, in the foreground.
cat >"$TEST_DIR/miniupnpd.conf" <<EOF
ext_ifname=wan0
listening_ip=lan0
enable_natpmp=yes
enable_upnp=no
secure_mode=yes
allow 1024-65535 198.51.100.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF

miniupnpd_start() {
	# ip netns exec itself, not in_ns: $! must be miniupnpd's pid.
	ip netns exec "$NS_ROUTER" miniupnpd -d -f "$TEST_DIR/miniupnpd.conf" \
		-P "$TEST_DIR/miniupnpd.pid" </dev/null >>"$MINIUPNPD_LOG" 2>&1 &
	MINIUPNPD_PID=$!
	LIB_PIDS+=("$MINIUPNPD_PID")
}

miniupnpd_stop() {
	kill "$MINIUPNPD_PID" 2>/dev/null
	wait "$MINIUPNPD_PID" 2>/dev/null
	MINIUPNPD_PID=
}

# miniupnpd_said TEXT SECONDS [COUNT]: until COUNT (1) lines of miniupnpd's log have TEXT.
miniupnpd_said() {
	local i
	for i in $(seq $(($2 * 5))); do
		[ "$(grep -cF -- "$1" "$MINIUPNPD_LOG")" -ge "${3:-1}" ] && return 0
		sleep 0.2
	done
	echo "miniupnpd did not log '$1'; it said:" >&2
	tail -n 10 "$MINIUPNPD_LOG" >&2
	return 1
}

# gw_announce FROM ADDR: an address change announcement (RFC 6886 3.2.1) from FROM:5351 to
# 224.0.0.1:5350 on the router's LAN, with the stand-in's epoch.
gw_announce() {
	"$NATPMP_GW" packet "$2" $(($(date +%s) - $(cat "$GW_BOOT_FILE"))) |
		in_ns router socat -u - \
			"UDP4-DATAGRAM:224.0.0.1:5350,bind=$1:5351,reuseaddr,ip-multicast-if=$1"
}

conf=$TEST_DIR/watch.conf
write_watch_config "$conf" tc natpmp "$PUBLIC_ADDR"
check_cmd "${t}_up" hairpin up "$conf"

# ---- miniupnpd ----
miniupnpd_start
check "${t}_miniupnpd_started" "miniupnpd does not listen for NAT-PMP" \
	miniupnpd_said "Listening for NAT-PMP" 5
watch_start "$conf"
check "${t}_miniupnpd_asked" "miniupnpd got no public address request from the Pi" \
	miniupnpd_said "NAT-PMP request received from $PI_WAN_ADDR" 5
check "${t}_miniupnpd_result3" "watch did not report miniupnpd's result 3" \
	watch_said "natpmp: the gateway $ROUTER_LAN_ADDR answered: network failure (the gateway has no public address itself): keeping $PUBLIC_ADDR" 5
check "${t}_miniupnpd_keeps" "the public address changed on a failure" \
	public_addr_stays "$PUBLIC_ADDR" 1

# A restart: its epoch starts again from 0. It ran 6 s or more since the answer watch last
# had from it: 7/8 of that is well over RFC 6886's 2 s of slack.
sleep 6
miniupnpd_stop
miniupnpd_start
check "${t}_miniupnpd_restarted" "miniupnpd did not start again" \
	miniupnpd_said "Listening for NAT-PMP" 5 2
watch_signal HUP
check "${t}_restart_seen" "watch did not see miniupnpd's epoch go back" \
	watch_said "natpmp: the gateway $ROUTER_LAN_ADDR restarted (its epoch went from" 5

# No NAT-PMP server at all: port unreachable.
miniupnpd_stop
watch_signal HUP
check "${t}_unreachable" "watch did not report the gateway's closed port" \
	watch_said "natpmp: the gateway $ROUTER_LAN_ADDR has no NAT-PMP service (port 5351 unreachable): keeping $PUBLIC_ADDR" 5

# A silent gateway: the request is sent again after 0.25, 0.75, 1.75 s, ...
in_ns router iptables -I INPUT -p udp --dport 5351 -j DROP
watch_signal HUP
check "${t}_silent_retries" "watch did not retransmit to a silent gateway" \
	watch_said "natpmp: asking $ROUTER_LAN_ADDR for its public address (try 4 of 9)" 5
check "${t}_silent_keeps" "the public address changed while the gateway was silent" \
	public_addr_stays "$PUBLIC_ADDR" 1
in_ns router iptables -D INPUT -p udp --dport 5351 -j DROP

# ---- the stand-in gateway ----
echo "$NEW_PUBLIC_ADDR" >"$GW_ADDR_FILE"
echo $(($(date +%s) - 1000)) >"$GW_BOOT_FILE"
natpmp_gw_start "$GW_ADDR_FILE" "$GW_BOOT_FILE"
check "${t}_stand_in" "the stand-in gateway did not start" wait_udp_bound router 5351
watch_signal HUP
check "${t}_answer" "watch did not take the gateway's address" \
	wait_public_addr "$NEW_PUBLIC_ADDR" 10
check "${t}_answer_logged" "no log line for the change" \
	watch_said "public address $PUBLIC_ADDR -> $NEW_PUBLIC_ADDR (natpmp)" 1
check "${t}_answers_again" "watch did not say the gateway answers again" \
	watch_said "natpmp: the gateway $ROUTER_LAN_ADDR answers again" 1

# Its address changes and it says so: no need to wait for the next question.
third=203.0.113.9
echo "$third" >"$GW_ADDR_FILE"
gw_announce "$ROUTER_LAN_ADDR" "$third"
check "${t}_announcement" "watch did not follow the gateway's announcement" \
	wait_public_addr "$third" 3
check "${t}_announcement_logged" "no log line for the announced address" \
	watch_said "natpmp: the gateway announced $third" 1

# Another host on the router's LAN announces: ignored.
ip -n "$NS_ROUTER" addr add 198.51.100.3/24 dev lan0
gw_announce 198.51.100.3 203.0.113.66
check "${t}_stranger_ignored" "watch did not ignore an announcement from 198.51.100.3" \
	watch_said "natpmp: ignoring an announcement from 198.51.100.3, not the gateway" 3
check "${t}_stranger_keeps" "an announcement from another host changed the address" \
	public_addr_stays "$third" 1

# The stand-in restarts: its epoch goes back.
date +%s >"$GW_BOOT_FILE"
watch_signal HUP
check "${t}_gw_restart_seen" "watch did not see the stand-in's epoch go back" \
	watch_said "natpmp: the gateway $ROUTER_LAN_ADDR restarted (its epoch went from 10" 5
check "${t}_gw_restart_keeps" "the address changed on a restart that kept it" \
	public_addr_stays "$third" 1

check "${t}_alive" "watch stopped" watch_alive
watch_stop
check "${t}_sigterm" "watch did not exit 0 on SIGTERM" watch_exited_ok
check_cmd "${t}_down" hairpin down "$conf"

lib_finish
