# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the names and addresses are for the scripts that source this
# shellcheck disable=SC2016 # sh -c scripts take their arguments as $0, $1, $@
#
# Sourced by every network test (tests/net/test_*.sh) and by scripts/demo: builds the seed's
# home network in network namespaces, with WireGuard peers, and reports PASS/FAIL lines.
#
#        phone 192.0.2.10 ─┐
#                          ├─ sw (bridge) ── lan0 192.0.2.1  [pi]  wan0 198.51.100.2 ─┐
#       laptop 192.0.2.20 ─┘                 wgpi 198.18.0.1 :51820                     │
#                                                                                      │
#              inet 203.0.113.50 ── wan0 203.0.113.7  [router]  lan0 198.51.100.1 ─────┘
#
# The Pi masquerades its LAN out of wan0; the router forwards 203.0.113.7 udp/51820 and
# tcp/8080 to the Pi (DNAT on every interface, no SNAT for LAN to LAN). A phone at home that
# dials the public address is masqueraded to 198.51.100.2 by the Pi, DNATed back to
# 198.51.100.2 by the router, and dropped by the Pi as a martian: its source is the Pi's own.
#
# LAN_NICS="PI_NIC SWITCH_NIC" makes the Pi's LAN link of two real NICs instead of a veth pair
# (below: lan_link_pi); tests/kernel/run's KERNEL_LAN=virtio sets it in its guest.
#
# Everything lives under a per-run prefix (namespaces "hp$$-pi" and so on) and a temporary
# directory; the EXIT trap kills what was started, removes the namespaces, unmounts bpffs and
# removes the directory, also when a test stops halfway. DEBUG_TESTENV=1 opens a shell in the
# Pi's namespace before that. Nothing here touches the host's own interfaces or routes.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LIB_DIR/../.." && pwd)
HAIRPIN=${HAIRPIN:-$REPO_DIR/build/hairpin}
# tcx hooks from the shell (bench/tcx.c): Debian 12's bpftool and tc predate them.
TCX=${TCX:-$REPO_DIR/${BUILD:-build}/bench/tcx}

NS_PREFIX=${NS_PREFIX:-hp$$-}
NS_SW=${NS_PREFIX}sw
NS_PHONE=${NS_PREFIX}phone
NS_LAPTOP=${NS_PREFIX}laptop
NS_PI=${NS_PREFIX}pi
NS_ROUTER=${NS_PREFIX}router
NS_INET=${NS_PREFIX}inet

# The seed's network, with documentation addresses (RFC 5737, RFC 2544 for the tunnel).
PHONE_ADDR=192.0.2.10
LAPTOP_ADDR=192.0.2.20
PI_LAN_ADDR=192.0.2.1
PI_WAN_ADDR=198.51.100.2
ROUTER_LAN_ADDR=198.51.100.1
PUBLIC_ADDR=203.0.113.7
NEW_PUBLIC_ADDR=203.0.113.8
INET_ADDR=203.0.113.50
WG_PORT=51820
TCP_PORT=8080
WG_PI_ADDR=198.18.0.1
WG_PHONE_ADDR=198.18.0.2
WG_INET_ADDR=198.18.0.3
WG_LAPTOP_ADDR=198.18.0.4
# What the router forwards now; router_set_public_addr changes it.
ROUTER_PUBLIC_ADDR=$PUBLIC_ADDR
# Hosts that forwards reach elsewhere (server_create, nas_create).
NS_SERVER=${NS_PREFIX}server
NS_NAS=${NS_PREFIX}nas
SERVER_ADDR=192.0.2.60
NAS_ADDR=198.51.100.20
# An XDP program that passes everything (switch_port_xdp).
XDP_PASS_OBJ=${XDP_PASS_OBJ:-$REPO_DIR/${BUILD:-build}/tests/net/foreign.bpf.o}

LIB_PIDS=()
LIB_NETNS=()
LIB_MOUNTS=()
LIB_NICS_CLAIMED=0
LIB_PASSED=0
LIB_FAILED=0
PIN_DIR=

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hairpin-net.XXXXXX") || exit 1
# wireguard-go and wg find each other through /run/wireguard/IFACE.sock, one directory for the
# whole host whatever the namespace. Each run binds its own directory there, in the private
# mount namespace that `ip netns exec` makes for every command, so that parallel runs with the
# same interface names never meet.
WG_RUN_DIR=$TEST_DIR/wireguard
mkdir -p "$WG_RUN_DIR" "$TEST_DIR/keys" "$TEST_DIR/log"

# ---- reporting -----------------------------------------------------------------------------

pass() {
	echo "PASS: $1"
	LIB_PASSED=$((LIB_PASSED + 1))
}

# fail NAME WHY...
fail() {
	local name=$1
	shift
	echo "FAIL: $name: $*"
	LIB_FAILED=$((LIB_FAILED + 1))
}

skip() {
	local name=$1
	shift
	echo "SKIP: $name: $*"
}

# Indented detail under a FAIL line: never starts with PASS/FAIL/SKIP.
diag() {
	sed 's/^/    | /'
}

# check NAME WHY CMD...: PASS when CMD succeeds, else FAIL with WHY and CMD's output.
check() {
	local name=$1 why=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$name"
		return 0
	fi
	fail "$name" "$why (exit $rc: $*)"
	[ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | diag
	return 1
}

# check_cmd NAME CMD...: PASS when CMD succeeds.
check_cmd() {
	local name=$1
	shift
	check "$name" "command failed" "$@"
}

# check_fails NAME CMD...: PASS when CMD fails.
check_fails() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$name" "succeeded but should not have: $*"
		[ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | diag
		return 1
	fi
	pass "$name"
}

# The test's exit status: 1 if anything failed.
lib_finish() {
	[ "$LIB_FAILED" -eq 0 ]
	exit $?
}

# lib_require_tools NAME TOOL...: SKIP the whole test unless every TOOL is installed.
lib_require_tools() {
	local name=$1 tool
	shift
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			skip "$name" "$tool not found (scripts/install-deps installs it)"
			exit 0
		fi
	done
}

# lib_require NAME: SKIP the whole test unless root with what the network needs.
lib_require() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "$1" "needs root (network namespaces, bpffs)"
		exit 0
	fi
	lib_require_tools "$1" ip iptables conntrack wg wireguard-go socat ping ss sysctl
	if [ ! -c /dev/net/tun ]; then
		skip "$1" "no /dev/net/tun for wireguard-go"
		exit 0
	fi
}

# lib_require_hairpin NAME: SKIP unless $HAIRPIN has been built and the tools that look at
# what it did are there.
lib_require_hairpin() {
	if [ ! -x "$HAIRPIN" ]; then
		skip "$1" "$HAIRPIN not built (run make)"
		exit 0
	fi
	lib_require_tools "$1" bpftool jq tc
}

# ---- running things in the namespaces ------------------------------------------------------

# in_ns NAME CMD...: run CMD in namespace NAME (phone, laptop, sw, pi, router, inet).
in_ns() {
	local ns=$NS_PREFIX$1
	shift
	ip netns exec "$ns" "$@"
}

# spawn NAME LOG CMD...: start CMD in the background in namespace NAME, output to
# $TEST_DIR/log/LOG.log; its pid is killed at cleanup.
spawn() {
	local ns=$NS_PREFIX$1 log=$TEST_DIR/log/$2.log
	shift 2
	ip netns exec "$ns" "$@" </dev/null >>"$log" 2>&1 &
	LIB_PIDS+=("$!")
}

# wg_in NAME ARGS...: wg(8) in namespace NAME, seeing this run's wireguard-go sockets.
wg_in() {
	local ns=$NS_PREFIX$1
	shift
	ip netns exec "$ns" sh -c 'mount --bind "$0" /run/wireguard && exec wg "$@"' \
		"$WG_RUN_DIR" "$@"
}

# The WireGuard interface of each host: wgpi, wgphone, wglaptop, wginet.
wg_ifname() {
	echo "wg$1"
}

wg_pubkey() {
	cat "$TEST_DIR/keys/$1.pub"
}

# hairpin ARGS...: $HAIRPIN in the Pi's namespace with this run's pin dir.
hairpin() {
	ip netns exec "$NS_PI" "$HAIRPIN" --pin-dir "$PIN_DIR" "$@"
}

# ---- topology ------------------------------------------------------------------------------

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
veth() {
	ip -n "$NS_PREFIX$1" link add "$2" type veth peer name "$4" netns "$NS_PREFIX$3" &&
		ip -n "$NS_PREFIX$1" link set "$2" up &&
		ip -n "$NS_PREFIX$3" link set "$4" up
}

# lan_host NAME IFACE ADDR/LEN: NAME's IFACE plugged into the switch, port named after NAME.
lan_host() {
	veth "$1" "$2" sw "$1" &&
		ip -n "$NS_SW" link set "$1" master br0 &&
		ip -n "$NS_PREFIX$1" addr add "$3" dev "$2"
}

# netns_add NAME: this run's namespace NAME, loopback up, no IPv6; topo_destroy removes it.
netns_add() {
	# A namespace with this name outlived a run whose pid was ours: no live process can own
	# it, since pids are unique.
	ip netns del "$NS_PREFIX$1" 2>/dev/null
	ip netns add "$NS_PREFIX$1" || return 1
	LIB_NETNS+=("$NS_PREFIX$1")
	ip -n "$NS_PREFIX$1" link set lo up || return 1
	# IPv6 only adds noise (DAD, router solicitations) to captures; the story is IPv4.
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	return 0
}

# ---- the Pi's LAN link: a veth pair, or two real NICs ---------------------------------------

# LAN_NICS="PI_NIC SWITCH_NIC": two NICs of this machine, in this namespace, wired to each
# other (tests/kernel/run's KERNEL_LAN=virtio: two virtio-net NICs of its guest on one bridge
# of the host). lan_link_pi makes PI_NIC the Pi's lan0 and SWITCH_NIC the switch's port "pi",
# so every frame to and from the Pi's LAN crosses a real driver's receive path: what it does
# with headroom, checksums, offloads and VLAN tags is then part of every test. Unset: a veth
# pair, as for the phone and the laptop.
LAN_NICS=${LAN_NICS:-}

# lan_nics_offload on|off: checksum and segmentation offload on both NICs (tx, and with it TSO)
# and the host's offloads towards them (rx-gro-hw: virtio-net's guest offloads, which also hand
# over partially checksummed frames). Receive checksum offload is fixed on in virtio-net.
lan_nics_offload() {
	ip netns exec "$NS_PI" ethtool -K lan0 tx "$1" rx-gro-hw "$1" >/dev/null &&
		ip netns exec "$NS_SW" ethtool -K pi tx "$1" rx-gro-hw "$1" >/dev/null
}

# lan_link_pi ADDR/LEN: the Pi's lan0, plugged into the switch, with ADDR.
lan_link_pi() {
	local pi_nic sw_nic
	if [ -z "$LAN_NICS" ]; then
		lan_host pi lan0 "$1"
		return
	fi
	read -r pi_nic sw_nic <<<"$LAN_NICS"
	# Claimed before they move: lan_nics_return brings back whatever moved.
	LIB_NICS_CLAIMED=1
	ip link set dev "$pi_nic" netns "$NS_PI" name lan0 &&
		ip link set dev "$sw_nic" netns "$NS_SW" name pi &&
		ip -n "$NS_SW" link set pi master br0 up &&
		ip -n "$NS_PI" link set lan0 up &&
		ip -n "$NS_PI" addr add "$1" dev lan0 &&
		lan_nics_offload on
}

# lan_nics_return: LAN_NICS back to this namespace under their own names, with nothing a test
# left on them (a namespace that goes away would hand them to the initial namespace instead,
# named lan0 and pi). Each step only if the NIC is still where lan_link_pi put it.
lan_nics_return() {
	local pi_nic sw_nic
	[ "$LIB_NICS_CLAIMED" = 1 ] || return 0
	read -r pi_nic sw_nic <<<"$LAN_NICS"
	if ip -n "$NS_PI" link show dev lan0 >/dev/null 2>&1; then
		ip -n "$NS_PI" link set dev lan0 xdp off 2>/dev/null
		tc -n "$NS_PI" qdisc del dev lan0 clsact 2>/dev/null
		ip -n "$NS_PI" link set dev lan0 down
		ip -n "$NS_PI" link set dev lan0 netns "$$" name "$pi_nic"
	fi
	if ip -n "$NS_SW" link show dev pi >/dev/null 2>&1; then
		ip -n "$NS_SW" link set dev pi nomaster down
		ip -n "$NS_SW" link set dev pi netns "$$" name "$sw_nic"
	fi
	LIB_NICS_CLAIMED=0
}

# Namespaces, links, addresses, routes, forwarding and NAT; no WireGuard yet.
topo_create() {
	local n
	for n in sw phone laptop pi router inet; do
		netns_add "$n" || return 1
	done

	ip -n "$NS_SW" link add br0 type bridge || return 1
	ip -n "$NS_SW" link set br0 up || return 1
	# With br_netfilter loaded, bridged frames would go through the switch's iptables; a switch
	# has none. (Per-namespace since Linux 5.3; older kernels lack the knob here.)
	in_ns sw sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null

	lan_host phone eth0 "$PHONE_ADDR/24" || return 1
	lan_host laptop eth0 "$LAPTOP_ADDR/24" || return 1
	lan_link_pi "$PI_LAN_ADDR/24" || return 1
	ip -n "$NS_PHONE" route add default via "$PI_LAN_ADDR" || return 1
	ip -n "$NS_LAPTOP" route add default via "$PI_LAN_ADDR" || return 1

	veth pi wan0 router lan0 || return 1
	ip -n "$NS_PI" addr add "$PI_WAN_ADDR/24" dev wan0 || return 1
	ip -n "$NS_ROUTER" addr add "$ROUTER_LAN_ADDR/24" dev lan0 || return 1
	ip -n "$NS_PI" route add default via "$ROUTER_LAN_ADDR" || return 1

	veth router wan0 inet eth0 || return 1
	ip -n "$NS_ROUTER" addr add "$PUBLIC_ADDR/24" dev wan0 || return 1
	ip -n "$NS_INET" addr add "$INET_ADDR/24" dev eth0 || return 1

	in_ns pi sysctl -qw net.ipv4.ip_forward=1 || return 1
	in_ns router sysctl -qw net.ipv4.ip_forward=1 || return 1

	# The Pi hides its LAN behind its address on the router's LAN.
	in_ns pi iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE || return 1
	in_ns router iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE || return 1
	router_forward_ports "$PUBLIC_ADDR"
}

# lan_host_add NAME ADDR: one more host on the Pi's LAN, as the phone is: namespace NAME, its
# eth0 at ADDR/24 on the switch, the Pi its default gateway. After topo_create.
lan_host_add() {
	netns_add "$1" &&
		lan_host "$1" eth0 "$2/24" &&
		ip -n "$NS_PREFIX$1" route add default via "$PI_LAN_ADDR"
}

# router_forward_ports ADDR: the home router's port forwards, DNAT to the Pi on every
# interface and without SNAT, which is what sends the phone's packets back to the Pi.
router_forward_ports() {
	in_ns router iptables -t nat -F PREROUTING &&
		in_ns router iptables -t nat -A PREROUTING -d "$1" -p udp --dport "$WG_PORT" \
			-j DNAT --to-destination "$PI_WAN_ADDR" &&
		in_ns router iptables -t nat -A PREROUTING -d "$1" -p tcp --dport "$TCP_PORT" \
			-j DNAT --to-destination "$PI_WAN_ADDR" &&
		ROUTER_PUBLIC_ADDR=$1
}

# router_set_public_addr ADDR: the ISP hands the router a new address: it moves, with the
# port forwards, and the router starts from an empty connection table as after a reconnect.
router_set_public_addr() {
	ip -n "$NS_ROUTER" addr flush dev wan0 &&
		ip -n "$NS_ROUTER" addr add "$1/24" dev wan0 &&
		router_forward_ports "$1" &&
		in_ns router conntrack -F >/dev/null 2>&1
}

# ---- targets on other hosts ----------------------------------------------------------------
#
# Forwards whose Target is another host than the Pi, made by the tests that need them, after
# topo_create:
#
#   server 192.0.2.60 ── sw, beside the phone       lan_host_add server "$SERVER_ADDR"
#   nas 198.51.100.20 ── brlan in the router        nas_create: the router's LAN a switch

# nas_create: a NAS on the router's LAN. That LAN becomes a switch inside the router, as a home
# router's LAN ports are: a bridge brlan holds the router's address, the Pi's wan0 on one port
# (lan0) and the NAS on another. The Pi reaches the NAS on its wan0's own subnet.
nas_create() {
	netns_add nas &&
		ip -n "$NS_ROUTER" link add brlan type bridge || return 1
	# A switch has no iptables (see topo_create's br0).
	in_ns router sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
	ip -n "$NS_ROUTER" addr del "$ROUTER_LAN_ADDR/24" dev lan0 &&
		ip -n "$NS_ROUTER" link set lan0 master brlan &&
		ip -n "$NS_ROUTER" addr add "$ROUTER_LAN_ADDR/24" dev brlan &&
		ip -n "$NS_ROUTER" link set brlan up &&
		veth nas eth0 router nas &&
		ip -n "$NS_ROUTER" link set nas master brlan &&
		ip -n "$NS_NAS" addr add "$NAS_ADDR/24" dev eth0 &&
		ip -n "$NS_NAS" route add default via "$ROUTER_LAN_ADDR"
}

# router_forward PROTOCOL PORT ADDR[:PORT]: one more port forward on the router, from its
# public address to a host on its LAN, as router_forward_ports makes the Pi's.
router_forward() {
	in_ns router iptables -t nat -A PREROUTING -d "$ROUTER_PUBLIC_ADDR" -p "$1" --dport "$2" \
		-j DNAT --to-destination "$3"
}

# pi_forward PROTOCOL PORT ADDR[:PORT]: the Pi's own port forward, from its WAN to a host on its
# LAN, as a user has it for the Internet's clients (netfilter; hairpin serves the LAN's).
pi_forward() {
	in_ns pi iptables -t nat -A PREROUTING -i wan0 -p "$1" --dport "$2" \
		-j DNAT --to-destination "$3"
}

# switch_port_xdp NAME: an XDP program that passes everything on the switch's port to NAME (the
# peer of NAME's veth). veth delivers a frame that XDP_TX (or an XDP redirect) sends to its
# peer only when the peer runs an XDP program itself: that is what turns on the peer's NAPI
# receive path (GRO alone does not, on Linux 6.18). So Mode = xdp reflection, which sends with
# XDP_TX out of lan0, needs one on the Pi's port. A real NIC has no such need: with LAN_NICS
# this does nothing.
switch_port_xdp() {
	[ -n "$LAN_NICS" ] && return 0
	ip -n "$NS_SW" link set dev "$1" xdpdrv obj "$XDP_PASS_OBJ" sec xdp
}

# wg_start NAME TUNNEL_ADDR/LEN [NS]: a wireguard-go interface wgNAME in namespace NS (default
# NAME), with a fresh key pair NAME; configured by wg_client or wg setconf.
wg_start() {
	local ifname sock i ns=${3:-$1}
	ifname=$(wg_ifname "$1")
	(umask 077 && wg genkey >"$TEST_DIR/keys/$1.key") || return 1
	wg pubkey <"$TEST_DIR/keys/$1.key" >"$TEST_DIR/keys/$1.pub" || return 1
	# -f keeps it in the foreground, so the pid we record is the daemon's own.
	spawn "$ns" "wireguard-go-$ifname" env LOG_LEVEL=verbose \
		sh -c 'mount --bind "$0" /run/wireguard && exec wireguard-go -f "$1"' \
		"$WG_RUN_DIR" "$ifname"
	sock=$WG_RUN_DIR/$ifname.sock
	for i in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	if [ ! -S "$sock" ]; then
		echo "wireguard-go $ifname did not start:" >&2
		tail -n 5 "$TEST_DIR/log/wireguard-go-$ifname.log" >&2
		return 1
	fi
	ip -n "$NS_PREFIX$ns" addr add "$2" dev "$ifname"
}

# wg_up NAME [NS]
wg_up() {
	ip -n "$NS_PREFIX${2:-$1}" link set "$(wg_ifname "$1")" up
}

# wg_client NAME ENDPOINT [SERVER]: NAME's peer is the Pi's interface SERVER (default pi: wgpi)
# at ENDPOINT. A phone keeps its tunnel alive (PersistentKeepalive), which also means it never
# stops sending to an endpoint it can't reach.
wg_client() {
	local conf=$TEST_DIR/$1.conf
	cat >"$conf" <<-EOF
		[Interface]
		PrivateKey = $(cat "$TEST_DIR/keys/$1.key")

		[Peer]
		PublicKey = $(wg_pubkey "${3:-pi}")
		Endpoint = $2
		AllowedIPs = 198.18.0.0/16
		PersistentKeepalive = 5
	EOF
	wg_in "$1" setconf "$(wg_ifname "$1")" "$conf"
}

# The WireGuard part of the network: the Pi's server and its three peers.
wg_create() {
	local conf=$TEST_DIR/pi.conf
	# The mount point for wg_in's and wg_start's private socket directory.
	mkdir -p /run/wireguard || return 1
	wg_start pi "$WG_PI_ADDR/24" || return 1
	wg_start phone "$WG_PHONE_ADDR/24" || return 1
	wg_start laptop "$WG_LAPTOP_ADDR/24" || return 1
	wg_start inet "$WG_INET_ADDR/24" || return 1
	cat >"$conf" <<-EOF
		[Interface]
		PrivateKey = $(cat "$TEST_DIR/keys/pi.key")
		ListenPort = $WG_PORT

		# phone
		[Peer]
		PublicKey = $(wg_pubkey phone)
		AllowedIPs = $WG_PHONE_ADDR/32

		# laptop
		[Peer]
		PublicKey = $(wg_pubkey laptop)
		AllowedIPs = $WG_LAPTOP_ADDR/32

		# phone out on the internet
		[Peer]
		PublicKey = $(wg_pubkey inet)
		AllowedIPs = $WG_INET_ADDR/32
	EOF
	wg_in pi setconf wgpi "$conf" || return 1
	wg_up pi || return 1
	wg_client phone "$PUBLIC_ADDR:$WG_PORT" || return 1
	wg_client laptop "$PI_LAN_ADDR:$WG_PORT" || return 1
	wg_client inet "$PUBLIC_ADDR:$WG_PORT" || return 1
	wg_up phone && wg_up laptop && wg_up inet
}

# The TCP service the router forwards (tcp/8080): an echo server on the Pi.
echo_server_start() {
	spawn pi socat-echo socat -T 30 -t 30 TCP-LISTEN:"$TCP_PORT",reuseaddr,fork EXEC:cat
}

# The whole network: namespaces, NAT, WireGuard, the echo server.
topo_up() {
	topo_create || { echo "lib.sh: building the namespaces failed" >&2; return 1; }
	wg_create || { echo "lib.sh: starting WireGuard failed" >&2; return 1; }
	echo_server_start
}

# Everything topo_up made: processes first (a namespace is only freed when nothing runs in
# it), then the namespaces. Safe to call twice.
topo_destroy() {
	local pid ns i alive
	for pid in "${LIB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# Anything else still running in our namespaces was started by this run (socat's forks).
	for ns in "${LIB_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
	done
	for i in $(seq 30); do
		alive=0
		for pid in "${LIB_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for pid in "${LIB_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${LIB_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	wait 2>/dev/null
	lan_nics_return
	for ns in "${LIB_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	LIB_PIDS=()
	LIB_NETNS=()
	ROUTER_PUBLIC_ADDR=$PUBLIC_ADDR
}

# bpffs_mount: a private bpffs for this run's pins; PIN_DIR is where hairpin pins its maps.
# `ip netns exec` remounts /sys, so /sys/fs/bpf is not what the Pi's namespace sees.
bpffs_mount() {
	mkdir -p "$TEST_DIR/bpffs" || return 1
	mount -t bpf bpf "$TEST_DIR/bpffs" || return 1
	LIB_MOUNTS+=("$TEST_DIR/bpffs")
	PIN_DIR=$TEST_DIR/bpffs/hairpin
}

bpffs_umount() {
	local m
	for m in "${LIB_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	LIB_MOUNTS=()
}

# write_config FILE MODE [PUBLIC_ADDR [ROAMING]]: the configuration for this network, udp/51820
# (Roaming = ROAMING, default no) and tcp/8080 forwarded.
write_config() {
	cat >"$1" <<-EOF
		[Interface]
		Device = lan0
		Mode = $2
		PublicAddress = ${3:-$PUBLIC_ADDR}

		[Forward]
		Protocol = udp
		Port = $WG_PORT
		Roaming = ${4:-no}

		[Forward]
		Protocol = tcp
		Port = $TCP_PORT
	EOF
}

# ---- observations --------------------------------------------------------------------------

# wait_handshake NAME SECONDS: until NAME's tunnel has completed a handshake.
wait_handshake() {
	local ifname t end
	ifname=$(wg_ifname "$1")
	end=$((SECONDS + $2))
	while [ "$SECONDS" -le "$end" ]; do
		t=$(wg_in "$1" show "$ifname" latest-handshakes 2>/dev/null | awk '{ print $2; exit }')
		[ -n "$t" ] && [ "$t" != 0 ] && return 0
		sleep 0.5
	done
	return 1
}

# tunnel_works NAME: a handshake (within 15 s: a client retries every 5 s) and then three
# pings through the tunnel to the Pi.
tunnel_works() {
	wait_handshake "$1" 15 || { echo "no WireGuard handshake from $1 within 15 s" >&2; return 1; }
	in_ns "$1" ping -c 3 -i 0.3 -W 1 -w 10 -q "$WG_PI_ADDR"
}

# tunnel_broken NAME [SECONDS]: pings through the tunnel get no answer for SECONDS (4).
tunnel_broken() {
	! in_ns "$1" ping -c 3 -W 1 -w "${2:-4}" -q "$WG_PI_ADDR" >/dev/null 2>&1
}

# wg_endpoint NAME: where NAME sends its tunnel to, as NAME's WireGuard sees it.
wg_endpoint() {
	wg_in "$1" show "$(wg_ifname "$1")" endpoints | awk '{ print $2; exit }'
}

# endpoint_is NAME ADDR:PORT
endpoint_is() {
	local ep
	ep=$(wg_endpoint "$1")
	[ "$ep" = "$2" ] || { echo "$1's endpoint is '$ep', not $2" >&2; return 1; }
}

# martian_count: packets the kernel dropped for a martian source, all CPUs. Counted for the
# whole machine (not per namespace): compare before and after.
martian_count() {
	local header fields col=-1 i sum=0
	{
		read -r -a header
		for i in "${!header[@]}"; do
			[ "${header[$i]}" = in_martian_src ] && col=$i
		done
		[ "$col" -ge 0 ] || { echo 0; return 1; }
		while read -r -a fields; do
			sum=$((sum + 16#${fields[$col]}))
		done
	} </proc/net/stat/rt_cache
	echo "$sum"
}

# wait_martians_above COUNT SECONDS: until the martian counter exceeds COUNT.
wait_martians_above() {
	local end=$((SECONDS + $2))
	while [ "$SECONDS" -le "$end" ]; do
		[ "$(martian_count)" -gt "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

# phone_conntrack DST: the Pi's conntrack entries of the phone's udp/51820 flow to DST.
phone_conntrack() {
	in_ns pi conntrack -L -p udp --orig-src "$PHONE_ADDR" --orig-dst "$1" \
		--dport "$WG_PORT" 2>/dev/null
}

# wait_phone_stuck SECONDS: until the Pi's conntrack holds the phone's flow to the public
# address: masqueraded towards the router, never answered.
wait_phone_stuck() {
	local end=$((SECONDS + $1))
	while [ "$SECONDS" -le "$end" ]; do
		phone_conntrack "$ROUTER_PUBLIC_ADDR" | grep -q . && return 0
		sleep 0.5
	done
	return 1
}

# flow_clients: the client address of every flow hairpin tracks, one a line. With BTF, bpftool
# prints a __be32 as the integer a little-endian host reads from its bytes; without, raw bytes.
flow_clients() {
	bpftool -j map dump pinned "$PIN_DIR/flows" | jq -r '
		.[] | if .formatted then .formatted.key.client_addr else .key[0:4] end
		| if type == "array" then map(ltrimstr("0x") | explode
			| map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1])
		  else [ . % 256, (. / 256 | floor) % 256, (. / 65536 | floor) % 256,
			 (. / 16777216 | floor) % 256 ] end
		| map(tostring) | join(".")'
}

# xdp_attach_mode: lan0's XDP attach mode in the Pi: 1 native, 2 generic (skb), 3 offloaded,
# empty when nothing is attached.
xdp_attach_mode() {
	ip -n "$NS_PI" -j link show dev lan0 | jq -r '.[0].xdp.mode // empty'
}

# hooks_all NS: every BPF program on the hooks of every device in namespace NS, one a line:
# "DEV HOOK ID NAME" with HOOK one of xdp, xdpgeneric, tcx-ingress, tcx-egress, tc-ingress,
# tc-egress, each hook's in the order they run; a tc filter of another kind is
# "DEV tc-ingress - KIND". Read with the kernel's own interfaces (ip, tc, and bench/tcx for
# tcx, which Debian 12's bpftool and tc predate), never with hairpin.
hooks_all() {
	local ns=$1 dev dir
	ip -n "$ns" -j -d link show 2>/dev/null | jq -r '.[] | .ifname as $d | .xdp // empty
		| .attached[]? | "\($d) \(if .mode == 2 then "xdpgeneric" elif .mode == 3 then
			"xdpoffload" else "xdp" end) \(.prog.id) \(.prog.name)"'
	for dev in $(tc -n "$ns" qdisc show 2>/dev/null | awk '$2 == "clsact" { print $5 }'); do
		for dir in ingress egress; do
			tc -n "$ns" filter show dev "$dev" "$dir" 2>/dev/null | awk -v h="$dev tc-$dir" '
				/ handle / { id = "-"; name = $5
					for (i = 1; i < NF; i++) { if ($i == "id") id = $(i + 1); if ($i == "name") name = $(i + 1) }
					print h, id, (id == "-" ? $5 : name) }'
		done
	done
	if [ -x "$TCX" ]; then
		ip netns exec "$ns" "$TCX" show 2>/dev/null | awk '{ print $1, "tcx-" $2, $3, $4 }'
	fi
}

# hooks_of NS DEV: hooks_all's lines of DEV, without the DEV.
hooks_of() {
	hooks_all "$1" | awk -v d="$2" '$1 == d { print $2, $3, $4 }'
}

# prog_ids_on_lan0: the ids of the BPF programs attached to lan0 (XDP, tc and tcx, both ways).
prog_ids_on_lan0() {
	hooks_of "$NS_PI" lan0 | awk '$2 != "-" { print $2 }'
}

# wait_for SECONDS CMD...: until CMD succeeds, tried every 0.2 s for at most SECONDS; the
# status of its last try (its output is that of every try).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && { "$@"; return; }
		sleep 0.2
	done
}

# status_is [JQ OPTIONS] JQ: status --json prints an object, and the jq condition JQ holds of it
# (jq 1.6's -e exits 0 on no input at all: an empty output must not pass).
status_is() {
	local json
	json=$(hairpin status --json 2>/dev/null)
	[ -n "$json" ] && jq -e "$@" >/dev/null <<<"$json"
}

# not_handled REASON: status --json's count of packets not handled as usual for REASON
# (flow_refused, old_address, direct_clash, ...: doc/translation.md, "Counted").
not_handled() {
	hairpin status --json | jq -e -r --arg r "$1" '.not_handled[$r]'
}

declare -A LIB_PCAPS=()

# pcap_start NAME NS IFACE FILTER: tcpdump in namespace NS on IFACE, the frames that match
# FILTER to $TEST_DIR/NAME.pcap until pcap_stop NAME; returns once tcpdump captures (5 s at
# most). --immediate-mode: without it what is still in the capture ring at the stop is lost.
pcap_start() {
	local i
	spawn "$2" "pcap-$1" tcpdump -i "$3" --immediate-mode -nn -U -s 128 \
		-w "$TEST_DIR/$1.pcap" "$4"
	LIB_PCAPS[$1]=$!
	for i in $(seq 50); do
		grep -q "listening on" "$TEST_DIR/log/pcap-$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tcpdump on $2's $3 did not start:" >&2
	tail -n 3 "$TEST_DIR/log/pcap-$1.log" >&2
	return 1
}

# pcap_stop NAME: the capture ends, its file complete.
pcap_stop() {
	local pid=${LIB_PCAPS[$1]} i
	kill -INT "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
}

# pcap_count NAME [FILTER]: how many frames of NAME's capture match FILTER (all without).
pcap_count() {
	tcpdump -r "$TEST_DIR/$1.pcap" -nn ${2:+"$2"} 2>/dev/null | wc -l
}

# udp_probe NAME DST PORT SPORT: one UDP datagram from NAME to DST:PORT from source port SPORT.
udp_probe() {
	echo probe | in_ns "$1" socat -u - "UDP:$2:$3,sourceport=$4" 2>/dev/null
}

# flows_json JQ: status --json's live flows that the jq condition JQ selects, one compact
# object a line.
flows_json() {
	hairpin status --json | jq -c ".flows[] | select($1)"
}

# no_flow JQ: hairpin tracks no live flow that JQ selects.
no_flow() {
	local flows
	flows=$(flows_json "$1")
	[ -z "$flows" ] && return 0
	echo "hairpin tracks: $flows" >&2
	return 1
}

# tcp_echoed NAME DST PORT [OPTIONS]: NAME connects to DST:PORT (socat's OPTIONS added), where
# a server echoes, and gets back the word it sends: its own name.
tcp_echoed() {
	local got
	got=$(echo "$1" | in_ns "$1" timeout 10 socat -T 5 - \
		"TCP:$2:$3,connect-timeout=5${4:+,$4}" 2>&1)
	[ "$got" = "$1" ] && return 0
	echo "$1 got '$got', not its echo" >&2
	return 1
}

# udp_refused NAME ADDR PORT: NAME's UDP socket connected to ADDR:PORT sends a datagram and
# gets ECONNREFUSED on its next read (an ICMP port unreachable reached it). socat reports it
# and exits 1.
udp_refused() {
	local said
	said=$(echo probe | in_ns "$1" timeout 10 socat -t 2 - "UDP:$2:$3" 2>&1)
	grep -q "Connection refused" <<<"$said" && return 0
	echo "$1's socket connected to $2:$3 was not refused; socat said: ${said:-nothing}" >&2
	return 1
}

# same_bytes SENT GOT: GOT holds exactly the bytes of SENT (their sha256 sums are equal).
same_bytes() {
	[ -f "$2" ] || { echo "nothing received" >&2; return 1; }
	[ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ] && return 0
	echo "$(stat -c %s "$2") bytes arrived of $(stat -c %s "$1"), sha256 differs" >&2
	return 1
}

# tcp_both_ways T SERVER PORT CLIENT DST DPORT BYTES: one TCP connection from namespace CLIENT
# to DST:DPORT, accepted in namespace SERVER on PORT, carries BYTES random bytes each way at
# once, and both ends close it. Checks T_client_closed and T_server_closed (each socat exits
# 0), T_data_up and T_data_down (each end received exactly what the other sent). The server's
# socat says whom it accepted in $TEST_DIR/log/T-server.log ("accepting connection from AF=2
# ADDR:PORT").
tcp_both_ways() {
	local t=$1 server_ns=$2 port=$3 client_ns=$4 dst=$5 dport=$6 bytes=$7
	local up=$TEST_DIR/$1.up down=$TEST_DIR/$1.down server rc end
	head -c "$bytes" /dev/urandom >"$up" && head -c "$bytes" /dev/urandom >"$down" || return 1
	rm -f "$up.got" "$down.got"
	# The server keeps what comes up and sends the other file down at once (in the background:
	# sh gives a background command /dev/null as its stdin), and closes when both are done.
	# -t: how long a socat waits for the other side's FIN after its own.
	spawn "$server_ns" "$t-server" socat -d -d -T 30 -t 20 TCP-LISTEN:"$port",reuseaddr \
		SYSTEM:"cat $down & cat >$up.got; wait"
	server=$!
	wait_listening "$server_ns" tcp "$port" || { fail "${t}_server" "the server did not start"; return 1; }
	in_ns "$client_ns" timeout 60 socat -T 30 -t 20 - "TCP:$dst:$dport,connect-timeout=5" \
		<"$up" >"$down.got" 2>"$TEST_DIR/log/$t-client.log"
	rc=$?
	check "${t}_client_closed" "the client's socat exited $rc: $(tail -n 3 "$TEST_DIR/log/$t-client.log")" \
		test "$rc" -eq 0
	# Waited for here, not inside check: only this shell can reap the server and read its status.
	end=$((SECONDS + 10))
	while kill -0 "$server" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do
		sleep 0.1
	done
	kill "$server" 2>/dev/null
	wait "$server"
	rc=$?
	check "${t}_server_closed" "the server's socat exited $rc: $(tail -n 3 "$TEST_DIR/log/$t-server.log")" \
		test "$rc" -eq 0
	check "${t}_data_up" "what the server received is not what the client sent" \
		same_bytes "$up" "$up.got"
	check "${t}_data_down" "what the client received is not what the server sent" \
		same_bytes "$down" "$down.got"
}

# ---- cleanup -------------------------------------------------------------------------------

lib_debug_shell() {
	if ! { true >/dev/tty; } 2>/dev/null; then
		echo "DEBUG_TESTENV: no terminal for a shell; cleaning up" >&2
		return
	fi
	{
		echo "DEBUG_TESTENV: shell in the Pi's namespace $NS_PI; exit to clean up."
		echo "  other namespaces: $NS_PHONE $NS_LAPTOP $NS_SW $NS_ROUTER $NS_INET"
		echo "  pin dir: ${PIN_DIR:-none}; logs and keys: $TEST_DIR"
		echo "  wg in a namespace: ip netns exec NS sh -c 'mount --bind $WG_RUN_DIR /run/wireguard && wg'"
	} >/dev/tty
	NS_PREFIX=$NS_PREFIX PIN_DIR=$PIN_DIR TEST_DIR=$TEST_DIR HAIRPIN=$HAIRPIN \
		ip netns exec "$NS_PI" bash -i </dev/tty >/dev/tty 2>&1
}

lib_cleanup() {
	trap - EXIT INT TERM
	if [ "${DEBUG_TESTENV:-0}" = 1 ] && [ "${#LIB_NETNS[@]}" -gt 0 ]; then
		lib_debug_shell
	fi
	topo_destroy
	bpffs_umount
	# What this run's instances and daemons keep under /run/hairpin (locks, the daemon's state):
	# named after their pin dirs, which carry the random suffix of $TEST_DIR.
	rm -f /run/hairpin/*".${TEST_DIR##*.}-"*
	rm -rf "$TEST_DIR"
}

trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- checksum offload, and the combinations a test runs ------------------------------------

# The Modes and veth checksum offload settings a test runs each combination of (default: all
# four): NET_MODES=tc NET_OFFLOADS=off tests/net/test_tcp.sh runs one.
NET_MODES=${NET_MODES:-xdp tc}
NET_OFFLOADS=${NET_OFFLOADS:-on off}

# veth_offload on|off: tx and rx checksum offload on every veth of this run's namespaces, so
# on both ends of every link (TSO goes with tx: it needs the device to checksum). With offload
# on, veth hands CHECKSUM_PARTIAL skbs across and the receiving stack trusts them; off, every
# checksum is computed and verified in software, and a wrong one is dropped.
veth_offload() {
	local ns dev
	for ns in "${LIB_NETNS[@]}"; do
		for dev in $(ip -n "$ns" -j link show type veth | jq -r '.[].ifname'); do
			ip netns exec "$ns" ethtool -K "$dev" tx "$1" rx "$1" >/dev/null || return 1
		done
	done
	# The Pi's LAN link too, when it is real NICs.
	[ -z "$LAN_NICS" ] || lan_nics_offload "$1"
}

# csum_errors_none: no namespace of this run counted a packet with a bad checksum (IPv4 header,
# ICMP, UDP, TCP: nstat's *InCsumErrors). Where a receiver verifies checksums (offload off, or
# a driver that hands the stack CHECKSUM_NONE), every packet hairpin rewrote verified.
csum_errors_none() {
	local ns bad=
	for ns in "${LIB_NETNS[@]}"; do
		bad+=$(ip netns exec "$ns" nstat -asz 2>/dev/null |
			awk -v ns="$ns" '$1 ~ /InCsumErrors$/ && $2 != 0 { printf " %s:%s=%s", ns, $1, $2 }')
	done
	[ -z "$bad" ] && return 0
	echo "checksum errors counted:$bad" >&2
	return 1
}

# each_combination FUNC: FUNC MODE OFFLOAD for each Mode in NET_MODES and each offload setting
# in NET_OFFLOADS. FUNC builds its own network; it is torn down after each call, pins and logs
# included, once csum_errors_none has checked it.
each_combination() {
	local mode offload t
	t=$(basename "$0" .sh)
	t=${t#test_}
	for mode in $NET_MODES; do
		for offload in $NET_OFFLOADS; do
			echo "--- Mode = $mode, ${LAN_NICS:+LAN NIC and }veth checksum offload $offload"
			"$1" "$mode" "$offload"
			[ "${#LIB_NETNS[@]}" -gt 0 ] &&
				check "${t}_${mode}_offload_${offload}_no_csum_errors" \
					"a receiver counted packets with bad checksums" csum_errors_none
			# DEBUG_TESTENV: a shell in each combination's network before it goes.
			[ "${DEBUG_TESTENV:-0}" = 1 ] && lib_debug_shell
			topo_destroy
			# Whatever a failed down left pinned must not meet the next combination, nor
			# its logs the next one's.
			[ -n "$PIN_DIR" ] && rm -rf "$PIN_DIR"
			rm -f "$TEST_DIR"/log/*.log
		done
	done
}

# wait_listening NAME udp|tcp PORT: until a socket in namespace NAME is bound to PORT (udp) or
# listens on it (tcp); at most 5 s.
wait_listening() {
	local i opts=-tlnH
	[ "$2" = udp ] && opts=-ulnH
	for i in $(seq 50); do
		[ -n "$(in_ns "$1" ss "$opts" "sport = :$3")" ] && return 0
		sleep 0.1
	done
	echo "nothing listens on $2/$3 in $1 after 5 s" >&2
	return 1
}
