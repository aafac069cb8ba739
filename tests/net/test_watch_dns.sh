#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hairpin watch with PublicAddressFrom = dns:home.example.net, on the seed's network with a
# dnsmasq in the router serving the name with a TTL of 2 s from a hosts file, and the Pi's
# resolver pointed at it (/etc/netns/<the Pi's namespace>/resolv.conf, which `ip netns exec`
# binds over /etc/resolv.conf):
#   - the first answer equals PublicAddress: nothing changes;
#   - the record changes: watch follows when the answer's TTL, clamped to 30 s, runs out;
#   - NXDOMAIN, a LAN address and a silent resolver each keep the last good address;
#   - SIGHUP asks at once; SIGTERM ends watch (exit 0) even while a query hangs.

# shellcheck disable=SC2016,SC2317 # check runs functions and eval strings given as arguments
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/watch_lib.sh
. "$(dirname "$0")/watch_lib.sh"

t=watch_dns
NAME=home.example.net
HOSTS=$TEST_DIR/dns.hosts
DNSMASQ_PID=
NETNS_ETC=/etc/netns/$NS_PI
# /etc/netns itself is removed only if this test made it.
[ -d /etc/netns ] && NETNS_DIR_WAS_THERE=1 || NETNS_DIR_WAS_THERE=0

lib_require "$t"
lib_require_hairpin "$t"
lib_require_tools "$t" dnsmasq

# The resolver configuration of the Pi's namespace is ours to remove, also halfway.
watch_dns_cleanup() {
	rm -rf "$NETNS_ETC"
	[ "$NETNS_DIR_WAS_THERE" = 1 ] || rmdir /etc/netns 2>/dev/null
	lib_cleanup
}
trap watch_dns_cleanup EXIT

if ! bpffs_mount; then
	fail "${t}_bpffs" "could not mount bpffs on $TEST_DIR/bpffs"
	exit 1
fi
if ! topo_create; then
	fail "${t}_topology" "could not build the network"
	exit 1
fi

# dns_record ADDR|-: the name's address, or none with "-", as dnsmasq serves it from now on.
dns_record() {
	if [ "$1" = - ]; then
		: >"$HOSTS"
	else
		echo "$1 $NAME" >"$HOSTS"
	fi
	[ -z "$DNSMASQ_PID" ] || kill -HUP "$DNSMASQ_PID"
}

# A nameserver for example.net on the router's LAN address: answers from $HOSTS with a TTL
# of 2 s, NXDOMAIN for other names in the domain, nothing forwarded anywhere.
dnsmasq_start() {
	# ip netns exec itself, not in_ns: $! must be dnsmasq's pid, for SIGHUP.
	ip netns exec "$NS_ROUTER" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--addn-hosts="$HOSTS" --local-ttl=2 --local=/example.net/ \
		--listen-address="$ROUTER_LAN_ADDR" --bind-interfaces --user=root --group=root \
		--pid-file="$TEST_DIR/dnsmasq.pid" --log-queries --log-facility=- \
		</dev/null >>"$TEST_DIR/log/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	LIB_PIDS+=("$DNSMASQ_PID")
}

mkdir -p "$NETNS_ETC"
printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$ROUTER_LAN_ADDR" >"$NETNS_ETC/resolv.conf"
dns_record "$PUBLIC_ADDR"
dnsmasq_start
check "${t}_dnsmasq" "dnsmasq does not serve $NAME to the Pi" \
	dns_serves "$NAME" "$PUBLIC_ADDR"

conf=$TEST_DIR/watch.conf
write_watch_config "$conf" tc "dns:$NAME" "$PUBLIC_ADDR"
check_cmd "${t}_up" hairpin up "$conf"
watch_start "$conf"
check "${t}_first_answer" "watch did not ask, or got no TTL of 2 s" \
	watch_said "dns:$NAME: $PUBLIC_ADDR, TTL 2 s: asking again in 30 s" 10
check "${t}_first_unchanged" "the public address changed on the first answer" \
	public_addr_stays "$PUBLIC_ADDR" 1
check "${t}_first_no_change_line" "a change was logged for an address that did not change" \
	eval '[ "$(watch_said_count "public address $PUBLIC_ADDR ->")" = 0 ]'

# The DDNS record moves. Nothing asks watch: its TTL, clamped to 30 s, runs out.
dns_record "$NEW_PUBLIC_ADDR"
check "${t}_record_moved" "dnsmasq does not serve the new record" \
	dns_serves "$NAME" "$NEW_PUBLIC_ADDR"
check "${t}_follows_on_ttl" "watch did not follow the record within the 30 s TTL (+5 s)" \
	wait_public_addr "$NEW_PUBLIC_ADDR" 35
check "${t}_change_logged" "no log line for the change" \
	watch_said "public address $PUBLIC_ADDR -> $NEW_PUBLIC_ADDR (dns:$NAME)" 1

# The name vanishes (NXDOMAIN): the last good address stays.
dns_record -
check "${t}_record_gone" "dnsmasq still serves the record" dns_serves "$NAME" -
watch_signal HUP
check "${t}_nxdomain_logged" "watch did not report NXDOMAIN" \
	watch_said "dns:$NAME: no such name (NXDOMAIN): keeping $NEW_PUBLIC_ADDR" 10
check "${t}_nxdomain_keeps" "the public address changed on NXDOMAIN" \
	public_addr_stays "$NEW_PUBLIC_ADDR" 1

# A record on the Pi's LAN is refused.
dns_record 192.0.2.5
check "${t}_record_lan" "dnsmasq does not serve the LAN address" \
	dns_serves "$NAME" 192.0.2.5
watch_signal HUP
check "${t}_lan_refused" "watch did not refuse a LAN address" \
	watch_said "dns:$NAME gave 192.0.2.5, refused: it is on the LAN of Device lan0; keeping $NEW_PUBLIC_ADDR" 10
check "${t}_lan_keeps" "the public address changed to a LAN address" \
	public_addr_stays "$NEW_PUBLIC_ADDR" 1

# The resolver falls silent (its DNS port dropped): the last good address stays.
third=203.0.113.9
dns_record "$third"
check "${t}_record_third" "dnsmasq does not serve $third" dns_serves "$NAME" "$third"
in_ns router iptables -I INPUT -p udp --dport 53 -j DROP
watch_signal HUP
check "${t}_silent_logged" "watch did not report a silent resolver" \
	watch_said "dns:$NAME: no answer from the resolver (timeout or server failure): keeping $NEW_PUBLIC_ADDR" 10
check "${t}_silent_keeps" "the public address changed while the resolver was silent" \
	public_addr_stays "$NEW_PUBLIC_ADDR" 1

# It answers again: SIGHUP asks at once, past the backoff.
in_ns router iptables -D INPUT -p udp --dport 53 -j DROP
watch_signal HUP
check "${t}_back" "watch did not follow the record to $third once the resolver answered" \
	wait_public_addr "$third" 10
check "${t}_back_logged" "no log line for the resolver answering again" \
	watch_said "dns:$NAME: the resolver answers again" 1

# SIGTERM while a query hangs (5 s, twice): watch does not wait for the resolver.
printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$ROUTER_LAN_ADDR" >"$NETNS_ETC/resolv.conf"
in_ns router iptables -I INPUT -p udp --dport 53 -j DROP
# asked_more_than N: until watch has said N + 1 times that it asks the resolver (2 s).
asked_more_than() {
	local i
	for i in $(seq 20); do
		[ "$(watch_said_count "dns:$NAME: asking the resolver")" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "watch did not ask the resolver again" >&2
	return 1
}
asked=$(watch_said_count "dns:$NAME: asking the resolver")
watch_signal HUP
check "${t}_hung_query" "watch did not start a query" asked_more_than "$asked"
sleep 1
watch_stop
check "${t}_sigterm" "watch did not exit 0 on SIGTERM during a hanging query" watch_exited_ok
check "${t}_stays_after_stop" "the public address changed when watch stopped" \
	public_addr_stays "$third" 0
check_cmd "${t}_down" hairpin down "$conf"

lib_finish
