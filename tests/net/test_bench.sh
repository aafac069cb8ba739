#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The bench's scripts (README.md, "Benchmarks"); no speed is judged here, only the arithmetic
# and the plumbing:
# - bench/report on raw files made up here, whose answers are known: a ratio is the median of
#   the per-round ratios of a pair's own two windows (not the ratio of the medians, not
#   against another pair's reference), with the order-statistic interval of that median
#   (x(4)..x(12) of 15 rounds, min-max of 5), and each target is judged on it;
# - bench/run itself, one short round of programs and end to end: every pair's two windows
#   one right after the other, the tables written, and nothing of its own left behind.
. "$(dirname "$0")/lib.sh"

BUILD=${BUILD:-build}
BENCH_BUILD=$REPO_DIR/$BUILD/bench
lib_require_tools test_bench awk

# ---- bench/report on made-up rounds ----------------------------------------------------------

out=$TEST_DIR/report
mkdir -p "$out/raw"
printf 'kernel\t6.18\ncpus\t2\nsettings\tBENCH_ROUNDS=15 BENCH_SECONDS=0.5\n' >"$out/raw/machine.tsv"
# 15 rounds. floor~hairpin_tc: the floor moves round by round, hairpin_tc's ratio to the floor
# of its own pair is 0.90, 0.91, ... 1.04 in a shuffled order (median 0.97, x(4) 0.93, x(12)
# 1.01), and the ratio of the medians is not 0.97. floor~null_tcx: another floor, twice as
# fast, null_tcx 0.98 of it. iptables_dnat~hairpin_tc: hairpin_tc 1.2 of iptables_dnat.
awk 'BEGIN {
	OFS = "\t"
	print "round", "kind", "pair", "variant", "sent", "failed", "elapsed_ns", "delivered",
	      "cpu_ns", "softirqd_ns", "preempted"
	split("7 2 12 0 9 14 4 11 1 6 13 3 10 5 8", step, " ")
	for (r = 0; r < 15; r++) {
		floor_rate = 1000000 + (r % 5) * 90000
		w("e2e_single", "floor~hairpin_tc", "floor", floor_rate)
		w("e2e_single", "floor~hairpin_tc", "hairpin_tc", floor_rate * (0.90 + step[r + 1] / 100))
		w("e2e_single", "floor~null_tcx", "floor", 2 * floor_rate)
		w("e2e_single", "floor~null_tcx", "null_tcx", 2 * floor_rate * 0.98)
		w("e2e_single", "iptables_dnat~hairpin_tc", "iptables_dnat", 700000 + r * 1000)
		w("e2e_single", "iptables_dnat~hairpin_tc", "hairpin_tc", (700000 + r * 1000) * 1.2)
	}
}
# One window of a second: the rate per CPU-second is what was delivered; half of the CPU time
# the ksoftirqd'"'"'s, which counts as the sender'"'"'s.
function w(kind, pair, variant, n) {
	n = int(n + 0.5)
	print r, kind, pair, variant, n, 0, 1000000000, n, 500000000, 500000000, 0
}' >"$out/raw/e2e.tsv"
# 5 rounds of test runs. tc_ingress on lan_other: ratios 1.10 ... 1.18 to the null run of its
# pair (median 1.14, and with 5 rounds the interval is min-max), the null's time moving round by
# round. xdp_ingress on public_unfwd: 1.5 by the CPU time, which XDP is timed by when the
# programs stayed in the dispatcher (xdp_cpu=1); the kernel's whole ns say otherwise.
awk 'BEGIN {
	OFS = "\t"
	print "# repeat=1000 rounds=5 seed=1 xdp_cpu=1"
	print "round", "pair", "config", "prog", "dir", "packet", "ns_kernel", "ns_cpu", "ok"
	for (r = 0; r < 5; r++) {
		null_ns = 10 + r
		print r, 7, "-", "null_tc", "in", "lan_other", 9, null_ns, 1
		print r, 7, "fwd=2,flows=2", "tc_ingress", "in", "lan_other", 9, null_ns * (1.10 + r / 50), 1
		print r, 3, "fwd=2,flows=2", "xdp_ingress", "in", "public_unfwd", 99, 6 + r, 1
		print r, 3, "-", "null_xdp", "in", "public_unfwd", 5, (6 + r) / 1.5, 1
	}
}' >"$out/raw/progs.tsv"

check_cmd "bench/report renders made-up raw files" "$REPO_DIR/bench/report" "$out"
md=$out/results.md
# check_line NAME LINE: results.md has LINE, whole.
check_line() {
	check "$1" "no line \"$2\" in results.md; its lines with the same start:
$(grep -F -- "$(cut -d'|' -f1-3 <<<"$2")" "$md")" grep -qxF -- "$2" "$md"
}
check_line "a ratio is the median of its pair's per-round ratios, with x(4)..x(12) of 15" \
	"| one flow | hairpin_tc / floor | 0.970 | 0.930–1.010 | 15 | ≥ 0.95 | yes (interval holds it) |"
check_line "each pair has its own reference: hairpin_tc against iptables_dnat" \
	"| one flow | hairpin_tc / iptables_dnat | 1.200 | 1.200–1.200 | 15 | ≥ 1.1 | yes |"
check "a variant's ratio to the floor is against the floor of its own pair" \
	"null_tcx's line: $(grep -F '| null_tcx |' "$md")" \
	grep -qF '| one flow | null_tcx | 2312.8 | 0.980 | 0.980–0.980 |' "$md"
check_line "test runs: the median of the ratios to the null run of each pair, min-max of 5" \
	"| tc_ingress | lan_other | 13.7 | 11.0–16.5 | 12.0 | 1.14 | 1.10–1.18 | ≤ 1.2 | yes |"
check_line "XDP by the CPU time when its programs stayed in the dispatcher" \
	"| xdp_ingress | public_unfwd | 8.0 | 6.0–10.0 | 5.3 | 1.50 | 1.50–1.50 | ≤ 1.3 | **no** |"

# ---- bench/run, one short round ------------------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	skip "bench/run, one short round" "needs root (network namespaces, BPF_PROG_TEST_RUN)"
	lib_finish
fi
lib_require_tools test_bench ip tc bridge nft iptables conntrack taskset shuf
for f in progs sender receiver tcx bpf/null.bpf.o; do
	if [ ! -e "$BENCH_BUILD/$f" ]; then
		skip "bench/run, one short round" "$BENCH_BUILD/$f not built (make bench-tools)"
		lib_finish
	fi
done

run_out=$TEST_DIR/run
prefix=hpbt$$-
check "bench/run: one short round of programs and end to end" "bench/run failed: $(tail -n 5 "$TEST_DIR/run.log" 2>/dev/null)" \
	env BUILD="$BUILD" BENCH_OUT="$run_out" BENCH_NS_PREFIX="$prefix" \
	BENCH_PARTS="progs e2e resources" BENCH_ROUNDS=1 BENCH_SECONDS=0.05 \
	BENCH_PROG_ROUNDS=1 BENCH_REPEAT=1000 "$REPO_DIR/bench/run"
e2e=$run_out/raw/e2e.tsv
# Every pair's two windows in a row: the reference's and the variant's, in that order in an
# even round.
check "bench/run: each pair's two windows one after the other, the reference first" \
	"e2e.tsv: $(head -n 5 "$e2e" 2>/dev/null)" \
	awk -F'\t' 'NR == 1 { next }
		{ split($3, p, "~") }
		(NR % 2 == 0) { if ($4 != p[1]) exit 1; pair = $3; next }
		{ if ($3 != pair || $4 != p[2]) exit 1; n++ }
		END { exit !(n >= 20 && NR % 2 == 1) }' "$e2e"
check "bench/run: the targets' table, from one round" "results.md: $(grep -F 'hairpin_tc /' "$run_out/results.md" 2>/dev/null)" \
	grep -qE '^\| one flow \| hairpin_tc / iptables_dnat \| [0-9.]+ \| [0-9.]+–[0-9.]+ \| 1 \|' \
	"$run_out/results.md"
check "bench/run: every XDP program kept in the dispatcher for the test runs" \
	"progs.tsv starts: $(head -n 1 "$run_out/raw/progs.tsv" 2>/dev/null)" \
	grep -q '^# .*xdp_cpu=1' "$run_out/raw/progs.tsv"
check "bench/run: no namespace of its own left" "left: $(ip netns list | grep "^$prefix")" \
	sh -c "! ip netns list | grep -q '^$prefix'"

lib_finish
