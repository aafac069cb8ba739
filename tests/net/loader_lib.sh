# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the names are for the scripts that source this
#
# Sourced by the loader's namespace tests (test_loader, test_down, test_status, test_tcx,
# test_faults, test_lock, test_privileges, test_replace): a gateway namespace with LAN devices
# and a client behind lan0, configurations, the commands' exit status and words, and what is
# attached as the kernel's own tools show it (lib.sh's hooks_of), never hairpin's word for it.
#
#   client 192.0.2.10 (eth0) ── lan0 192.0.2.1 [pi] lan1 198.51.100.1 ── peer1, lanK ── peerK
#
# The client dials the public address 203.0.113.7, udp/51820; hairpin sends it to the Pi's own
# 192.0.2.1:51820, where an echo server answers, and the answer comes back from the public
# address only if both of hairpin's programs run (udp_echo).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FAULTS_HAIRPIN=${FAULTS_HAIRPIN:-$REPO_DIR/${BUILD:-build}/faults/hairpin}
FOREIGN_OBJ=${FOREIGN_OBJ:-$REPO_DIR/${BUILD:-build}/tests/net/foreign.bpf.o}
GW_PUBLIC=203.0.113.7
GW_LOCAL=192.0.2.1
GW_CLIENT=192.0.2.10

# loader_require NAME: SKIP unless root with hairpin, its test build and the tools.
loader_require() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "$1" "needs root (network namespaces, bpffs)"
		exit 0
	fi
	lib_require_tools "$1" ip tc bpftool jq socat setpriv
	lib_require_hairpin "$1"
	if [ ! -x "$FAULTS_HAIRPIN" ] || [ ! -f "$FOREIGN_OBJ" ] || [ ! -x "$TCX" ]; then
		skip "$1" "the test build is missing (make test builds it: make net-test-deps)"
		exit 0
	fi
}

# lock_file: the lock of this run's pin dir under /run/hairpin (named after the pin dir, whose
# temporary directory's random suffix it carries), if it exists.
lock_file() {
	find /run/hairpin -maxdepth 1 -name "*${TEST_DIR##*.}*.lock" 2>/dev/null | head -n 1
}


# kernel_has_tcx: whether this kernel has tcx hooks (Linux 6.6), as bench/tcx finds it.
kernel_has_tcx() {
	[ -n "${LOADER_TCX:-}" ] || { "$TCX" show lo >/dev/null 2>&1 && LOADER_TCX=yes || LOADER_TCX=no; }
	[ "$LOADER_TCX" = yes ]
}

# The variants the loader's tests run in, $variant: xdp (Mode = xdp), tc (Mode = tc through
# tcx links), cls_bpf (Mode = tc through cls_bpf filters on a clsact qdisc: what tc is on a
# kernel without tcx, and on one with tcx the test build told there is none).
loader_variants() {
	if kernel_has_tcx; then echo "xdp tc cls_bpf"; else echo "xdp cls_bpf"; fi
}

# variant_mode: $variant's Mode.
variant_mode() {
	[ "$variant" = xdp ] && echo xdp || echo tc
}

# variant_hook DIRECTION: the hook $variant's program of DIRECTION goes in, as hooks_all says.
variant_hook() {
	if [ "$variant" = xdp ] && [ "$1" = ingress ]; then
		echo xdp
	elif [ "$variant" = cls_bpf ] || ! kernel_has_tcx; then
		echo "tc-$1"
	else
		echo "tcx-$1"
	fi
}

# variant_clsact: whether $variant's hooks need a clsact qdisc.
variant_clsact() {
	[ "$variant" = cls_bpf ] || ! kernel_has_tcx
}

# hp ARGS...: hairpin in the Pi as $variant runs it: the test build told there is no tcx for
# cls_bpf on a kernel with tcx, else the real one.
hp() {
	if [ "$variant" = cls_bpf ] && kernel_has_tcx; then
		NO_TCX=1 hairpin_faults "$@"
	else
		hairpin "$@"
	fi
}

# gw_create [N]: the Pi's namespace with lan0 (to the client) and lan1 .. lan(N-1) (N: 2), each
# a veth whose other end is peerK in the Pi; addresses, routes, bpffs for the pins.
gw_create() {
	local i n=${1:-2} ns
	for ns in "$NS_PI" "$NS_PHONE"; do
		ip netns add "$ns" || return 1
		LIB_NETNS+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	done
	ip -n "$NS_PI" link add lan0 type veth peer name eth0 netns "$NS_PHONE" &&
		ip -n "$NS_PI" addr add "$GW_LOCAL/24" dev lan0 &&
		ip -n "$NS_PHONE" addr add "$GW_CLIENT/24" dev eth0 &&
		ip -n "$NS_PI" link set lan0 up && ip -n "$NS_PHONE" link set eth0 up &&
		ip -n "$NS_PHONE" route add default via "$GW_LOCAL" || return 1
	for ((i = 1; i < n; i++)); do
		ip -n "$NS_PI" link add "lan$i" type veth peer name "peer$i" &&
			ip -n "$NS_PI" link set "lan$i" up && ip -n "$NS_PI" link set "peer$i" up ||
			return 1
	done
	[ "$n" -lt 2 ] || ip -n "$NS_PI" addr add 198.51.100.1/24 dev lan1 || return 1
	bpffs_mount
}

# gw_config FILE DEVICES MODE [PUBLIC]: udp/51820 forwarded to the Pi's 192.0.2.1.
gw_config() {
	cat >"$1" <<-EOF
		[Interface]
		Device = $2
		Mode = $3
		PublicAddress = ${4:-$GW_PUBLIC}
		LocalAddress = $GW_LOCAL
		[Forward]
		Protocol = udp
		Port = 51820
	EOF
}

# echo_start: the service behind the forward: a UDP echo server on the Pi.
echo_start() {
	spawn pi udp-echo socat -T 10 UDP4-LISTEN:51820,fork,reuseaddr EXEC:cat
	wait_listening pi udp 51820
}

# udp_echo SPORT [PUBLIC]: the client dials the public address from SPORT and gets its line
# back, from the public address (its socket is connected to it): hairpin's ingress and egress
# both ran.
udp_echo() {
	local got
	got=$(echo "echo $1" | timeout 8 ip netns exec "$NS_PHONE" \
		socat -T 3 - "UDP4:${2:-$GW_PUBLIC}:51820,sourceport=$1" 2>&1)
	[ "$got" = "echo $1" ] || { echo "the client got '$got', not 'echo $1'" >&2; return 1; }
}

# ping_gw: the client pings the Pi (foreign_drop_ping, where it runs, makes this fail).
ping_gw() {
	ip netns exec "$NS_PHONE" ping -c 2 -i 0.2 -W 1 -w 3 -q "$GW_LOCAL" >/dev/null 2>&1
}

# hairpin_faults ARGS...: the test build (fault points) in the Pi with this run's pin dir;
# NO_TCX=1 makes it behave as on a kernel without tcx.
hairpin_faults() {
	ip netns exec "$NS_PI" env HAIRPIN_TEST_NO_TCX="${NO_TCX:-0}" "$FAULTS_HAIRPIN" \
		--pin-dir "$PIN_DIR" "$@"
}

# expect_exit NAME STATUS PATTERN CMD...: CMD exits STATUS and says PATTERN (grep -E) on
# stdout or stderr.
expect_exit() {
	local name=$1 want=$2 pattern=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want: $*"
		printf '%s\n' "$out" | diag
		return 1
	fi
	if ! grep -Eq -- "$pattern" <<<"$out"; then
		fail "$name" "it does not say \"$pattern\""
		printf '%s\n' "$out" | diag
		return 1
	fi
	pass "$name"
}

# gw_devices: every device of the Pi's namespace.
gw_devices() {
	ip -n "$NS_PI" -j link show | jq -r '.[].ifname'
}

# leftovers [DEV...]: what of hairpin is left in the Pi: any hairpin program in any hook of any
# device, a clsact qdisc on any device but the DEVs named (where the test made one itself),
# the pin dir. Prints each; nothing printed means nothing left.
leftovers() {
	local dev
	hooks_all "$NS_PI" | grep ' hp_'
	for dev in $(tc -n "$NS_PI" qdisc show | awk '$2 == "clsact" { print $5 }'); do
		printf '%s\n' "$@" | grep -qx "$dev" || echo "$dev: a clsact qdisc"
	done
	[ ! -e "$PIN_DIR" ] || echo "the pin dir: $(find "$PIN_DIR" | tr '\n' ' ')"
}

# nothing_left [DEV...]: leftovers prints nothing.
nothing_left() {
	local left
	left=$(leftovers "$@")
	[ -z "$left" ] || { printf '%s\n' "$left" >&2; return 1; }
}

# snapshot: the state a refused or failed command must leave as it was: every device's hooks
# and qdiscs, the pins, the maps' contents.
snapshot() {
	local map
	{
		hooks_all "$NS_PI"
		tc -n "$NS_PI" qdisc show
		find "$PIN_DIR" 2>&1 | sort
		for map in config forwards devices sources; do
			bpftool map dump pinned "$PIN_DIR/$map" 2>&1
		done
	} | sed 's/loaded_at [^ ]*//'
}

# unchanged NAME BEFORE: the state is what BEFORE recorded.
unchanged() {
	local now
	now=$(snapshot)
	if [ "$now" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "the state changed"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$now") | diag
	fi
}

# status_json: `hairpin status --json`, or nothing.
status_json() {
	hairpin status --json 2>/dev/null
}

# jq_check NAME FILTER: status --json satisfies the jq FILTER.
jq_check() {
	local json
	json=$(status_json)
	if jq -e "$2" <<<"$json" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "status --json does not satisfy $2"
		printf '%s\n' "$json" | jq -c '.devices, .unrecorded' 2>&1 | diag
	fi
}
