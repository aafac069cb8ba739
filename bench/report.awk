# SPDX-License-Identifier: GPL-2.0
#
# bench/report.awk: the tables of `make bench` from the raw files of bench/run. POSIX awk
# (Debian's mawk). Run by bench/report as
#   awk -v md=FILE -v plotdir=DIR -f bench/report.awk -f bench/report_reflect.awk \
#       machine.tsv progs.tsv e2e.tsv reconf_setip.tsv reconf_up.tsv resources.tsv binary.tsv \
#       reflect.tsv
# Missing files are skipped by bench/report. Prints Markdown on stdout and writes it to md;
# writes plot data to plotdir/progs.dat and plotdir/e2e.dat.
#
# Parts 1 and 2 run in pairs: each variant's window (or test run) right beside its
# reference's, in every round. A ratio is the median over the rounds of that round's ratio
# (variant / reference, both from the same pair), with a distribution-free 95% confidence
# interval for that median: the order statistics [x(k), x(n+1-k)] of the n per-round ratios,
# k the largest with 2 P(B <= k - 1) <= 0.05 for B ~ Binomial(n, 1/2) (ci_median()). It
# assumes only that the rounds are independent, not that the noise is normal: a shared
# machine's is not.

function out(s) {
	print s
	print s > md
}

# sort_n(a, n): sorts a[1..n] numerically, in place (insertion sort: n is small).
function sort_n(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

function median(a, n) {
	sort_n(a, n)
	if (n == 0)
		return 0
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# ci_median(a, n): the median of a[1..n] and its confidence interval: sets RMED, RLO, RHI,
# RCOVER (the interval's coverage: at least 0.95 from 6 rounds on; below that min-max, whose
# coverage 1 - 2^(1-n) is less) and RN = n. Sorts a.
function ci_median(a, n,    k, cdf, term) {
	RN = n
	RMED = median(a, n)
	if (n == 0) {
		RLO = RHI = RCOVER = 0
		return
	}
	# cdf = P(B <= k - 1), term = P(B = k - 1)
	k = 1
	cdf = term = 0.5 ^ n
	while (k < (n + 1) / 2) {
		term = term * (n - k + 1) / k
		if (2 * (cdf + term) > 0.05)
			break
		cdf += term
		k++
	}
	RLO = a[k]
	RHI = a[n + 1 - k]
	RCOVER = 1 - 2 * cdf
}

# ci_text(): "lo–hi" of the last ci_median().
function ci_text(digits) {
	return sprintf("%." digits "f–%." digits "f", RLO, RHI)
}

# verdict(at_least, target): "met?" of the last ci_median()'s median against target (a
# floor when at_least, else a ceiling), noting when the interval holds the target, i.e. when
# the run cannot tell.
function verdict(at_least, target,    ok, s) {
	ok = at_least ? RMED >= target : RMED <= target
	s = target_count(ok)
	if (RN > 0 && RLO <= target && target <= RHI)
		s = s " (interval holds it)"
	return s
}

function is_xdp(prog) {
	return prog ~ /xdp/ || prog ~ /^probe_(ktime|jiffies|forward_lookup|flow_lookup|flow_insert)$/
}

function null_of(prog, dir, packet) {
	if (is_xdp(prog))
		return "-" SUBSEP "null_xdp" SUBSEP "in" SUBSEP packet
	return "-" SUBSEP "null_tc" SUBSEP dir SUBSEP packet
}

function is_matched(packet) {
	return packet == "udp_match" || packet == "tcp_match"
}

function yesno(ok) {
	return ok ? "yes" : "**no**"
}

function f1(x) { return sprintf("%.1f", x) }
function f2(x) { return sprintf("%.2f", x) }
function f3(x) { return sprintf("%.3f", x) }

FNR == 1 {
	file = FILENAME
	sub(/.*\//, "", file)
}

file == "machine.tsv" {
	split($0, kv, "\t")
	machine[kv[1]] = substr($0, length(kv[1]) + 2)
	next
}

# round pair config prog dir packet ns_kernel ns_cpu ok
file == "progs.tsv" {
	if ($0 ~ /^#/) {
		nf = split($0, fields, " ")
		for (i = 2; i <= nf; i++) {
			split(fields[i], kv, "=")
			prog_meta[kv[1]] = kv[2]
		}
		next
	}
	if ($1 == "round")
		next
	key = $3 SUBSEP $4 SUBSEP $5 SUBSEP $6
	# The kernel's figure is whole ns, a step of 7% of a null tc program and 20% of a null
	# XDP one on a fast CPU. The run's CPU time has no such steps and adds only the syscall's
	# (a few µs over all the repeats), except for an XDP run that swapped the XDP
	# dispatcher's program (without bench/progs -x), which keeps the kernel's figure.
	ns = is_xdp($4) && !prog_meta["xdp_cpu"] ? $7 : $8
	if ($4 ~ /^null_/) {
		prog_null[$1, $2] = ns
		prog_null_all[key, ++prog_null_n[key]] = ns
	} else {
		prog_ns[key, $1] = ns
		prog_pair[key, $1] = $2
	}
	if ($1 + 1 > PROG_ROUNDS)
		PROG_ROUNDS = $1 + 1
	if (!$9)
		prog_bad++
	have_progs = 1
	next
}

# round kind pair variant sent failed elapsed_ns delivered cpu_ns softirqd_ns preempted
file == "e2e.tsv" {
	if ($1 == "round")
		next
	kvar = $2 SUBSEP $4
	# drop_tc drops every packet at the gateway's tc hook: its rate is the sender's.
	n = $4 == "drop_tc" ? $5 : $8
	# The rate per second of CPU that the path had (the sender's, whose softirq runs the
	# gateway's receive path, and its CPU's ksoftirqd's): what another task on that CPU takes
	# does not count against the variant that happened to run beside it.
	cpu = $9 + $10
	if (cpu > 0) {
		rate = n / cpu * 1e9
		e2e_pair[$2, $3, $4, $1] = rate
		e2e_all[kvar, ++e2e_n[kvar]] = rate
	}
	if ($7 > 0) {
		e2e_wall[kvar, ++e2e_wall_n[kvar]] = n / $7 * 1e9
		e2e_share[kvar, e2e_wall_n[kvar]] = cpu / $7
	}
	e2e_sent[kvar] += $5
	e2e_failed[kvar] += $6
	e2e_delivered[kvar] += n
	if ($1 + 1 > E2E_ROUNDS)
		E2E_ROUNDS = $1 + 1
	have_e2e = 1
	next
}
file == "reconf_setip.tsv" {
	# mode=tc trial=0 cmd_ns=N arrival_ns=N sent_ns=N [timeout=1]
	delete f
	nf = split($0, fields, " ")
	for (i = 1; i <= nf; i++) {
		split(fields[i], kv, "=")
		f[kv[1]] = kv[2]
	}
	m = f["mode"]
	if (!(m in setip_n)) {
		setip_modes[++n_setip_modes] = m
		setip_n[m] = 0
		setip_n_ends[m] = 0
	}
	if ("end_sent_ns" in f) {
		setip_end[m, ++setip_n_ends[m]] = f["end_sent_ns"]
		next
	}
	if ("timeout" in f) {
		setip_timeouts[m]++
		next
	}
	k = ++setip_n[m]
	setip_return[m, k] = f["return_ns"]
	setip_cmd[m, k] = f["cmd_ns"] / 1e6
	setip_arrival[m, k] = f["arrival_ns"] / 1e3
	setip_sent[m, k] = f["sent_ns"] / 1e3
	have_setip = 1
	next
}

file == "reconf_up.tsv" {
	split($0, kv, "\t")
	if (kv[1] == "up") {
		n_ups++
		up_mode[n_ups] = kv[2]
		up_t0[n_ups] = kv[3]
		up_t1[n_ups] = kv[4]
	} else {
		upinfo[kv[1]] = kv[2]
	}
	have_up = 1
	next
}

file == "resources.tsv" {
	res[$1, $2, $3] = $4
	if ($1 == "map" && $3 == "memlock_bytes" && $2 != "total")
		maps[++n_maps] = $2
	if ($1 == "config")
		flows_present[$2] = $4
	have_res = 1
	next
}

file == "binary.tsv" {
	bin[$2, $3] = $4
	have_bin = 1
	next
}

END {
	printf "" > md
	out("# hairpin bench")
	out("")
	out("| machine | |")
	out("|---|---|")
	out("| kernel | " machine["kernel"] " |")
	out("| CPUs | " machine["cpus"] " × " machine["cpu_model"] " |")
	out("| mitigations | SRSO: " machine["srso"] "; Spectre v2: " machine["spectre_v2"] " |")
	out("| hairpin | " machine["commit"] " |")
	out("| run | " machine["date"] "; " machine["settings"] " |")

	if (have_progs)
		report_progs()
	if (have_e2e)
		report_e2e()
	if (have_setip || have_up)
		report_reconf()
	if (have_res || have_bin)
		report_resources()
	if (have_reflect)
		report_reflect()	# bench/report_reflect.awk
	out("")
	out("Targets: " targets_met " met, " targets_missed " missed.")
}

function target_count(ok) {
	if (ok)
		targets_met++
	else
		targets_missed++
	return yesno(ok)
}


# ---- part 1 ------------------------------------------------------------------------------------

# prog_stats(key): MED, MIN, MAX, N of key's ns per packet over the rounds.
function prog_stats(key,    r, a, n) {
	n = 0
	for (r = 0; r < PROG_ROUNDS; r++)
		if ((key, r) in prog_ns)
			a[++n] = prog_ns[key, r]
	N = n
	MED = median(a, n)
	MIN = a[1]
	MAX = a[n]
}

# prog_null_median(ref): the median of every run of the null program ref (one in each pair).
function prog_null_median(ref,    i, a) {
	for (i = 1; i <= prog_null_n[ref]; i++)
		a[i] = prog_null_all[ref, i]
	return median(a, prog_null_n[ref])
}

# prog_ratio(key): ci_median() of key's per-round ratios to the null run of its pair.
function prog_ratio(key,    r, p, a, n) {
	n = 0
	for (r = 0; r < PROG_ROUNDS; r++) {
		if (!((key, r) in prog_ns))
			continue
		p = prog_pair[key, r]
		if ((r, p) in prog_null && prog_null[r, p] > 0)
			a[++n] = prog_ns[key, r] / prog_null[r, p]
	}
	ci_median(a, n)
}

# prog_target(prog, packet): issue 12's ceiling for the ratio, or "" where it sets none.
function prog_target(prog, packet) {
	if (is_matched(packet))
		return prog == "xdp_ingress" ? 3 : ""
	return packet == "public_unfwd" ? 1.3 : 1.2
}

function report_progs(    progs, packets, np, npk, i, j, dir, key, ref, nmed, target, met, cfgs, ncfg, line, c, probes, nprobe) {
	np = split("xdp_ingress tc_ingress tc_egress", progs, " ")
	npk = split("udp_match tcp_match lan_other public_unfwd ipv6", packets, " ")
	out("")
	out("## 1. Program cost (BPF_PROG_TEST_RUN)")
	out("")
	out("ns per packet, averaged over " prog_meta["repeat"] " repeats of one test run, by the " \
	    "CPU time of the thread that made the run (CLOCK_THREAD_CPUTIME_ID; the kernel's own " \
	    "figure is in whole ns, a step of 7–20% of a null program here)" \
	    (prog_meta["xdp_cpu"] ? "; every XDP program is " \
	    "attached to a device of its own, so that its test runs do not swap the XDP " \
	    "dispatcher's program" : "; for XDP as the kernel reports it, as its test runs swapped " \
	    "the XDP dispatcher's program (bench/progs without -x)") ". " \
	    "Every run is paired with a run of the null program of the same type on the same " \
	    "packet (bench/null.bpf.c) right before or after it; ratio = the median over " \
	    PROG_ROUNDS " rounds of each round's ns / its pair's null ns, with the 95% confidence " \
	    "interval of that median (order statistics); null ns = the median of the null " \
	    "program's runs. Maps: 2 forwards (the UDP and the TCP one), 2 flows. Matched packets " \
	    "stay matched on every repeat: each forward's target is the public address and port " \
	    "themselves, and each flow's public address and port are the reply's own source." \
	    (prog_bad ? " **" prog_bad " runs did not behave as they should.**" : ""))
	out("")
	out("| program | packet | ns | spread | null ns | ratio | 95% interval | target | met? |")
	out("|---|---|---:|---:|---:|---:|---:|---:|---|")
	for (i = 1; i <= np; i++)
		for (j = 1; j <= npk; j++) {
			dir = progs[i] == "tc_egress" ? "out" : "in"
			key = "fwd=2,flows=2" SUBSEP progs[i] SUBSEP dir SUBSEP packets[j]
			ref = null_of(progs[i], dir, packets[j])
			nmed = prog_null_median(ref)
			prog_stats(key)
			prog_ratio(key)
			target = prog_target(progs[i], packets[j])
			met = target == "" ? "" : verdict(0, target)
			out("| " progs[i] " | " packets[j] " | " f1(MED) " | " f1(MIN) "–" f1(MAX) " | " \
			    f1(nmed) " | " f2(RMED) " | " ci_text(2) " | " \
			    (target == "" ? "—" : "≤ " target) " | " met " |")
			print progs[i] "/" packets[j] "\t" RMED "\t" RLO "\t" RHI "\t" (target == "" ? 0 : target) > (plotdir "/progs.dat")
		}

	ncfg = split("fwd=2,flows=2 fwd=2,flows=1000 fwd=2,flows=65536 fwd=1024,flows=2 fwd=1024,flows=1000 fwd=1024,flows=65536", cfgs, " ")
	out("")
	out("Maps filled: ns (ratio to null, the median of the paired ratios) of every packet as " \
	    "the maps grow. 1024 forwards is the most the map takes (HP_MAX_FORWARDS): 64k " \
	    "forwards exceed its limit and are not run. Flows in the LRU map after filling: " \
	    flows_present["fwd=2,flows=65536"] " of 65536. The same few keys are looked up on " \
	    "every repeat, so they stay in the CPU's cache: a test run shows the cost of a bigger " \
	    "map's hashing and buckets, not of its cache misses (the end-to-end many-flows windows " \
	    "show those).")
	out("")
	line = "| program | packet |"
	for (c = 1; c <= ncfg; c++)
		line = line " " cfgs[c] " |"
	out(line)
	line = "|---|---|"
	for (c = 1; c <= ncfg; c++)
		line = line "---:|"
	out(line)
	for (i = 1; i <= np; i++)
		for (j = 1; j <= npk; j++) {
			dir = progs[i] == "tc_egress" ? "out" : "in"
			line = "| " progs[i] " | " packets[j] " |"
			for (c = 1; c <= ncfg; c++) {
				key = cfgs[c] SUBSEP progs[i] SUBSEP dir SUBSEP packets[j]
				prog_stats(key)
				prog_ratio(key)
				line = line " " f1(MED) " (" f2(RMED) ") |"
			}
			out(line)
		}

	nprobe = split("probe_ktime probe_jiffies probe_forward_lookup probe_flow_lookup probe_flow_insert probe_store_bytes probe_l4_csum probe_rewrite_skb probe_rewrite_skb4", probes, " ")
	out("")
	out("Where the matched path's time goes: one piece alone in a program (bench/probe.bpf.c), " \
	    "on the matched UDP packet; added = its ns minus the null program's (medians).")
	out("")
	out("| piece | what hairpin does with it | ns | added ns |")
	out("|---|---|---:|---:|")
	what["probe_ktime"] = "bpf_ktime_get_coarse_ns(): a flow's last-seen clock before bpf_jiffies64(); now only while a monitor holds a lease"
	what["probe_jiffies"] = "bpf_jiffies64(), inlined into a load by the verifier: a flow's last-seen time, every matched packet"
	what["probe_forward_lookup"] = "forwards array lookup, inlined by the verifier: every packet to the public address"
	what["probe_flow_lookup"] = "flows LRU lookup: every matched packet, both ways"
	what["probe_flow_insert"] = "a new flow: LRU insert into the full flows map, evicting: flow_track(), every new flow"
	what["probe_store_bytes"] = "one bpf_skb_store_bytes()"
	what["probe_l4_csum"] = "one bpf_l4_csum_replace()"
	what["probe_rewrite_skb"] = "5 helper calls: tc's rewrite before the IPv4 checksum moved into BPF"
	what["probe_rewrite_skb4"] = "4: the IPv4 checksum computed in BPF, stored with the address (tc's rewrite now)"
	for (i = 1; i <= nprobe; i++) {
		key = "-" SUBSEP probes[i] SUBSEP "in" SUBSEP "udp_match"
		nmed = prog_null_median(null_of(probes[i], "in", "udp_match"))
		prog_stats(key)
		if (N)
			out("| " probes[i] " | " what[probes[i]] " | " f1(MED) " | " f1(MED - nmed) " |")
	}
}

# ---- part 2 ------------------------------------------------------------------------------------

# e2e_median(kind, variant): the median rate of every window of variant (in any pair).
function e2e_median(kind, variant,    kv, i, a) {
	kv = kind SUBSEP variant
	for (i = 1; i <= e2e_n[kv]; i++)
		a[i] = e2e_all[kv, i]
	return median(a, e2e_n[kv])
}

function e2e_wall_median(kind, variant,    kv, i, a) {
	kv = kind SUBSEP variant
	for (i = 1; i <= e2e_wall_n[kv]; i++)
		a[i] = e2e_wall[kv, i]
	return median(a, e2e_wall_n[kv])
}

function e2e_share_median(kind, variant,    kv, i, a) {
	kv = kind SUBSEP variant
	for (i = 1; i <= e2e_wall_n[kv]; i++)
		a[i] = e2e_share[kv, i]
	return median(a, e2e_wall_n[kv])
}

# e2e_ratio(kind, ref, variant): ci_median() of variant / ref, window by window of the pair
# ref~variant, round by round.
function e2e_ratio(kind, ref, variant,    pair, r, a, n) {
	pair = ref "~" variant
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((kind, pair, variant, r) in e2e_pair && (kind, pair, ref, r) in e2e_pair && \
		    e2e_pair[kind, pair, ref, r] > 0)
			a[++n] = e2e_pair[kind, pair, variant, r] / e2e_pair[kind, pair, ref, r]
	ci_median(a, n)
}

# e2e_ratio2(kind, v, w): ci_median() of (v / floor) / (w / floor), each from its pair with the
# floor of the same round: v against w where they did not run as a pair.
function e2e_ratio2(kind, v, w,    pv, pw, r, a, n) {
	pv = "floor~" v
	pw = "floor~" w
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((kind, pv, v, r) in e2e_pair && (kind, pv, "floor", r) in e2e_pair && \
		    (kind, pw, w, r) in e2e_pair && (kind, pw, "floor", r) in e2e_pair && \
		    e2e_pair[kind, pw, w, r] > 0)
			a[++n] = e2e_pair[kind, pv, v, r] / e2e_pair[kind, pv, "floor", r] / \
				 (e2e_pair[kind, pw, w, r] / e2e_pair[kind, pw, "floor", r])
	ci_median(a, n)
}

# ns per packet at a median rate, or 0.
function ns_per(rate) {
	return rate > 0 ? 1e9 / rate : 0
}

# added_ns(kind, variant): what variant adds to a packet's time over the floor's (medians).
function added_ns(kind, variant) {
	return int(ns_per(e2e_median(kind, variant)) - ns_per(e2e_median(kind, "floor")))
}

# hook_of(kind, variant): the null program of the hook hairpin's variant runs on: tcx where
# the kernel has it (bench/run measures null_tcx only there), as hairpin attaches.
function hook_of(kind, variant) {
	if (variant == "hairpin_xdp")
		return "null_xdp"
	return (kind SUBSEP "null_tcx") in e2e_n ? "null_tcx" : "null_tc"
}

function report_e2e(    kinds, variants, nv, k, i, kv, label, hook, vs_hook, line, hp, nf, heads, nh, h, f, t_drop, t_floor) {
	out("")
	out("## 2. End to end (namespaces: client → gateway → local UDP socket)")
	out("")
	out("Packets reaching the gateway's UDP layer for a socket (UDP MIB InDatagrams + " \
	    "RcvbufErrors: the socket is never read, so the count does not depend on a reader), " \
	    "per second of CPU time that the path had: the sender's (its softirq runs the gateway's " \
	    "receive path) and its CPU's ksoftirqd's, so that another task sharing that CPU does not " \
	    "count against the variant that ran beside it (wall kpps and the CPU share are shown " \
	    "too), from bench/sender (AF_PACKET, PACKET_QDISC_BYPASS, 64-byte payloads, pinned to " \
	    "one CPU); LAN → Internet: packets the gateway sent on to the Internet namespace (wan0 " \
	    "tx). Windows of " prog_meta_e2e_window() " s in pairs: each variant's window right " \
	    "beside its reference's, every pair once a round in a shuffled order, the reference " \
	    "first in even rounds and second in odd ones, " E2E_ROUNDS " rounds. kpps: the median " \
	    "of the variant's windows. × floor: the median over the rounds of the variant's rate / " \
	    "the floor's in the same pair (the LAN address straight; for LAN → Internet, nothing " \
	    "attached), with the 95% confidence interval of that median (order statistics). " \
	    "null_xdp, null_tc, null_tcx: the floor with a program that only passes attached to " \
	    "lan0, on XDP, cls_bpf and tcx: the hook's own cost. hairpin_tc runs on tcx where the " \
	    "kernel has it (6.6), else on cls_bpf; \"vs null hook\" = hairpin / the null program of " \
	    "its hook (each / the floor of its own pair, round by round). drop_tc: every packet " \
	    "dropped at lan0's tc hook, its rate the sender's: what a packet costs before the " \
	    "gateway's IP layer. Many flows: a new source port every packet (and source address " \
	    "every 64000), so every packet is a new flow.")
	out("")
	out("| traffic | variant | kpps per CPU-s | × floor | 95% interval | vs null hook | wall kpps | CPU share | delivered/sent |")
	out("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	split("e2e_single e2e_many forward", kinds, " ")
	label["e2e_single"] = "one flow"
	label["e2e_many"] = "many flows"
	label["forward"] = "LAN → Internet"
	nv = split("floor drop_tc null_xdp null_tc null_tcx hairpin_xdp hairpin_tc iptables_dnat nft_dnat nft_stateless", variants, " ")
	for (k = 1; k <= 3; k++)
		for (i = 1; i <= nv; i++) {
			kv = kinds[k] SUBSEP variants[i]
			if (!(kv in e2e_sent))
				continue
			vs_hook = ""
			if (variants[i] ~ /^hairpin_/) {
				hook = hook_of(kinds[k], variants[i])
				e2e_ratio2(kinds[k], variants[i], hook)
				if (RN)
					vs_hook = f3(RMED) " (" hook ")"
			}
			line = "| " label[kinds[k]] " | " variants[i] " | " \
			       f1(e2e_median(kinds[k], variants[i]) / 1000) " | "
			if (variants[i] == "floor") {
				line = line "1 | | "
			} else {
				e2e_ratio(kinds[k], "floor", variants[i])
				line = line f3(RMED) " | " ci_text(3) " | "
				if (variants[i] != "drop_tc")
					print label[kinds[k]] ": " variants[i] "\t" RMED "\t" RLO "\t" RHI \
					      "\t0" > (plotdir "/e2e.dat")
			}
			out(line vs_hook " | " f1(e2e_wall_median(kinds[k], variants[i]) / 1000) " | " \
			    f2(e2e_share_median(kinds[k], variants[i])) " | " \
			    sprintf("%.4f", e2e_sent[kv] ? e2e_delivered[kv] / e2e_sent[kv] : 0) " |")
		}

	# The targets of issue 12, each a pair of its own.
	out("")
	out("The targets (hairpin_tc, on tcx where the kernel has it), each from its own pairs:")
	out("")
	out("| traffic | ratio | median | 95% interval | rounds | target | met? |")
	out("|---|---|---:|---:|---:|---:|---|")
	nh = split("forward:floor:0.99 e2e_single:floor:0.95 e2e_single:iptables_dnat:1.1 e2e_many:nft_stateless:1.0 e2e_many:iptables_dnat:1.4", heads, " ")
	for (h = 1; h <= nh; h++) {
		split(heads[h], f, ":")
		e2e_ratio(f[1], f[2], "hairpin_tc")
		if (!RN)
			continue
		out("| " label[f[1]] " | hairpin_tc / " f[2] " | " f3(RMED) " | " ci_text(3) " | " RN \
		    " | ≥ " f[3] " | " verdict(1, f[3]) " |")
		print label[f[1]] ": hairpin_tc / " f[2] "\t" RMED "\t" RLO "\t" RHI "\t" f[3] > (plotdir "/e2e.dat")
	}

	# Where a packet's time goes, from the medians (one flow).
	t_drop = ns_per(e2e_median("e2e_single", "drop_tc"))
	t_floor = ns_per(e2e_median("e2e_single", "floor"))
	if (t_drop > 0 && t_floor > 0) {
		out("")
		out("Per packet, one flow (from the median rates): the sender, the veth and the tc hook " \
		    "take " int(t_drop) " ns (drop_tc); the gateway's IP and UDP layers " \
		    int(t_floor - t_drop) " ns more (floor: " int(t_floor) " ns). On top of the floor: " \
		    "null_xdp " added_ns("e2e_single", "null_xdp") " ns, " \
		    "null_tc " added_ns("e2e_single", "null_tc") " ns, " \
		    ((("e2e_single" SUBSEP "null_tcx") in e2e_n) ? "null_tcx " added_ns("e2e_single", "null_tcx") " ns, " : "") \
		    "hairpin_xdp " added_ns("e2e_single", "hairpin_xdp") " ns, " \
		    "hairpin_tc " added_ns("e2e_single", "hairpin_tc") " ns, " \
		    "iptables_dnat " added_ns("e2e_single", "iptables_dnat") " ns, " \
		    "nft_dnat " added_ns("e2e_single", "nft_dnat") " ns, " \
		    "nft_stateless " added_ns("e2e_single", "nft_stateless") " ns; " \
		    "with many flows, hairpin_xdp " added_ns("e2e_many", "hairpin_xdp") \
		    " ns, hairpin_tc " added_ns("e2e_many", "hairpin_tc") \
		    " ns, iptables_dnat " added_ns("e2e_many", "iptables_dnat") \
		    " ns. The gateway's own work per packet is what a real gateway spends, the sender's " \
		    "is not: measured against the gateway's work alone (" int(t_floor - t_drop) \
		    " ns), hairpin's share is larger than the ratios above say.")
	}

	# Many flows: hairpin against every netfilter variant, through the floor of each's pair.
	out("")
	out("Many flows, hairpin / each netfilter variant, from each one's pair with the floor " \
	    "(median of the per-round ratios of the two ratios, 95% interval):")
	out("")
	out("| many flows: hairpin / | iptables_dnat | nft_dnat | nft_stateless |")
	out("|---|---:|---:|---:|")
	split("hairpin_xdp hairpin_tc", hp, " ")
	split("iptables_dnat nft_dnat nft_stateless", nf, " ")
	for (i = 1; i <= 2; i++) {
		line = "| " hp[i] " |"
		for (k = 1; k <= 3; k++) {
			e2e_ratio2("e2e_many", hp[i], nf[k])
			line = line " " f2(RMED) " (" ci_text(2) ") |"
		}
		out(line)
	}
}

function prog_meta_e2e_window(    s) {
	s = machine["settings"]
	sub(/.*BENCH_SECONDS=/, "", s)
	sub(/ .*/, "", s)
	return s
}

function report_reconf(    i, j, m, k, a, b, c, n, nl, e, late, ma, mb, mc, fields, nf, kv, ok) {
	out("")
	out("## 3. Reconfiguration")
	if (have_setip) {
		out("")
		out("`set-public-ip` to a new address under a steady stream to that address (" \
		    upinfo_rate() " packets/s, numbered and time-stamped by the sender), " \
		    setip_n[setip_modes[1]] " trials per mode, each from the old address. Until the " \
		    "change takes hold the packets are not translated and go on to the Internet " \
		    "namespace, which notes the last one; after it they reach the target. Times are " \
		    "send times (CLOCK_REALTIME) relative to the command's return: the last untranslated " \
		    "packet must have been sent before it (\"effective when the command returns\"); the " \
		    "first translated one shows the change took hold at once. Median (min–max).")
		out("")
		out("| mode | command ms | last untranslated: sent µs after return | first translated: sent µs after return | target | met? |")
		out("|---|---:|---:|---:|---:|---|")
		for (i = 1; i <= n_setip_modes; i++) {
			m = setip_modes[i]
			n = setip_n[m]
			nl = 0
			late = 0
			for (k = 1; k <= n; k++) {
				a[k] = setip_cmd[m, k]
				c[k] = setip_sent[m, k]
				# This trial's last untranslated packet: the last pause noted before its
				# return (+ 50 ms for the pause to show) and after the trial before it.
				e = ""
				for (j = 1; j <= setip_n_ends[m]; j++)
					if (setip_end[m, j] <= setip_return[m, k] + 50e6 && \
					    (k == 1 || setip_end[m, j] > setip_return[m, k - 1] + 50e6))
						e = setip_end[m, j]
				if (e != "") {
					b[++nl] = (e - setip_return[m, k]) / 1e3
					if (e > setip_return[m, k])
						late++
				}
			}
			ma = median(a, n); mb = median(b, nl); mc = median(c, n)
			ok = n > 0 && nl == n && !late && !setip_timeouts[m]
			out("| " m " | " f2(ma) " (" f2(a[1]) "–" f2(a[n]) ") | " f1(mb) " (" f1(b[1]) "–" \
			    f1(b[nl]) ")" (nl < n ? " (" n - nl " trials unmatched)" : "") " | " f1(mc) \
			    " (" f1(c[1]) "–" f1(c[n]) ")" \
			    (setip_timeouts[m] ? " (+" setip_timeouts[m] " timed out)" : "") \
			    " | every one ≤ 0 | " target_count(ok) " |")
		}
	}
	if (have_up) {
		nf = split(upinfo["receiver"], fields, " ")
		for (i = 1; i <= nf; i++) {
			split(fields[i], kv, "=")
			recv[kv[1]] = kv[2]
		}
		nf = split(upinfo["sender"], fields, " ")
		for (i = 1; i <= nf; i++) {
			split(fields[i], kv, "=")
			snd[kv[1]] = kv[2]
		}
		out("")
		out("`up` over the running instance, " n_ups " times, under a stream of numbered packets to " \
		    "the public address (" upinfo["rate"] " packets/s): modes in turn " upinfo["plan"] \
		    " (starting from tc). Lost = sequence numbers the receiver never saw.")
		out("")
		out("| sent | refused by the sender's driver | received | lost | duplicates | socket overflows | lan0 rx_dropped | target | met? |")
		out("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		out("| " snd["sent"] " | " snd["failed"] " | " recv["received"] " | " recv["missing"] \
		    " | " recv["duplicates"] " | " recv["rcvbuf_errors"] " | " upinfo["lan0_rx_dropped"] \
		    " | 0 lost | " target_count(recv["missing"] == 0 && snd["sent"] > 0 && \
		    recv["received"] > 0) " |")
		if (recv["missing"] > 0) {
			out("")
			out("Gaps (sequence numbers) and when they were sent, in ms after the stream started, " \
			    "next to each `up` (start–return, ms after the stream started): gaps " recv["gaps"] \
			    "; ups " ups_text() ".")
		}
	}
}

function upinfo_rate(    s) {
	return upinfo["rate"] ? upinfo["rate"] : 50000
}

function ups_text(    i, s) {
	s = ""
	for (i = 1; i <= n_ups; i++)
		s = s (i > 1 ? ", " : "") up_mode[i] " " up_t0[i] "–" up_t1[i]
	return s
}

function report_resources(    progs, np, i) {
	out("")
	out("## 4. Resources")
	if (have_res) {
		out("")
		out("| program | verifier: instructions processed | xlated bytes | JITed bytes |")
		out("|---|---:|---:|---:|")
		np = split("xdp_ingress tc_ingress tc_egress null_xdp null_tc", progs, " ")
		for (i = 1; i <= np; i++)
			out("| " progs[i] " | " res["prog", progs[i], "verified_insns"] " | " \
			    res["prog", progs[i], "xlated_bytes"] " | " res["prog", progs[i], "jited_bytes"] " |")
		out("")
		out("| map | max entries | memory (memlock, KiB) |")
		out("|---|---:|---:|")
		for (i = 1; i <= n_maps; i++)
			out("| " maps[i] " | " res["map", maps[i], "max_entries"] " | " \
			    f1(res["map", maps[i], "memlock_bytes"] / 1024) " |")
		out("| total | | " f1(res["map", "total", "memlock_bytes"] / 1024) " |")
	}
	if (have_bin) {
		out("")
		out("| file | bytes |")
		out("|---|---:|")
		out("| build/hairpin | " bin["hairpin", "file_bytes"] " |")
		out("| build/hairpin, stripped | " bin["hairpin", "stripped_bytes"] " |")
		out("| build/bpf/hairpin.bpf.o (embedded in it) | " bin["hairpin.bpf.o", "file_bytes"] " |")
	}
}
