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
# Every ratio is median(variant) / median(reference) over the same interleaved rounds; its
# range is the min-max of the per-round ratios.

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

# stats(key, store): sets MED, MIN, MAX, N over store[key, r] for the rounds in R_LIST.
function stats_prog(key,    r, a, n) {
	n = 0
	for (r = 0; r < PROG_ROUNDS; r++)
		if ((key, r) in prog_ns)
			a[++n] = prog_ns[key, r]
	N = n
	MED = median(a, n)
	MIN = a[1]
	MAX = a[n]
}

# ratio_prog(key, ref): per-round ratios key/ref; sets RMIN, RMAX.
function ratio_prog(key, ref,    r, a, n) {
	n = 0
	for (r = 0; r < PROG_ROUNDS; r++)
		if ((key, r) in prog_ns && (ref, r) in prog_ns && prog_ns[ref, r] > 0)
			a[++n] = prog_ns[key, r] / prog_ns[ref, r]
	sort_n(a, n)
	RMIN = a[1]
	RMAX = a[n]
}

# median_e2e(store, key): the median of store[key, r] over the rounds.
function median_wall(key,    r, a, n) {
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((key, r) in e2e_wall)
			a[++n] = e2e_wall[key, r]
	return median(a, n)
}

function median_share(key,    r, a, n) {
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((key, r) in e2e_share)
			a[++n] = e2e_share[key, r]
	return median(a, n)
}

function stats_e2e(key,    r, a, n) {
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((key, r) in e2e_rate)
			a[++n] = e2e_rate[key, r]
	N = n
	MED = median(a, n)
	MIN = a[1]
	MAX = a[n]
}

function ratio_e2e(key, ref,    r, a, n) {
	n = 0
	for (r = 0; r < E2E_ROUNDS; r++)
		if ((key, r) in e2e_rate && (ref, r) in e2e_rate && e2e_rate[ref, r] > 0)
			a[++n] = e2e_rate[key, r] / e2e_rate[ref, r]
	sort_n(a, n)
	RMIN = a[1]
	RMAX = a[n]
}

function null_of(prog, dir, packet) {
	if (prog == "xdp_ingress" || prog ~ /^probe_(ktime|jiffies|forward_lookup|flow_lookup|flow_insert)$/)
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
	key = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5
	prog_ns[key, $1] = $6
	if ($1 + 1 > PROG_ROUNDS)
		PROG_ROUNDS = $1 + 1
	if (!$8)
		prog_bad++
	have_progs = 1
	next
}

file == "e2e.tsv" {
	if ($1 == "round")
		next
	key = $2 SUBSEP $3
	# drop_tc drops every packet at the gateway's tc hook: its rate is the sender's.
	n = $3 == "drop_tc" ? $4 : $7
	# The rate per second of CPU that the path had (the sender's, whose softirq runs the
	# gateway's receive path, and its CPU's ksoftirqd's): what another task on that CPU takes
	# does not count against the variant that happened to run beside it.
	cpu = NF >= 9 && $8 > 0 ? $8 + $9 : $6
	if (cpu > 0)
		e2e_rate[key, $1] = n / cpu * 1e9
	if ($6 > 0) {
		e2e_wall[key, $1] = n / $6 * 1e9
		e2e_share[key, $1] = cpu / $6
	}
	e2e_sent[key] += $4
	e2e_failed[key] += $5
	e2e_delivered[key] += $3 == "drop_tc" ? $4 : $7
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

function report_progs(    progs, packets, np, npk, i, j, key, ref, nmed, target, ok, cfg, cfgs, ncfg, line, c, probes, nprobe) {
	np = split("xdp_ingress tc_ingress tc_egress", progs, " ")
	npk = split("udp_match tcp_match lan_other public_unfwd ipv6", packets, " ")
	out("")
	out("## 1. Program cost (BPF_PROG_TEST_RUN)")
	out("")
	out("ns per packet as the kernel reports it (its average over " prog_meta["repeat"] \
	    " repeats, in whole ns); median of " PROG_ROUNDS " interleaved rounds, spread min–max; " \
	    "ratio = median / median of the null program of the same type on the same packet " \
	    "(bench/null.bpf.c), its range the min–max of the per-round ratios. Maps: 2 forwards " \
	    "(the UDP and the TCP one), 2 flows. Matched packets stay matched on every repeat: each " \
	    "forward's target is the public address and port themselves, and each flow's public " \
	    "address and port are the reply's own source, so the programs rewrite every field to the " \
	    "value it has (the same stores and checksum work as a real rewrite); the stats counters " \
	    "confirmed that the matched path ran on every repeat" \
	    (prog_bad ? " — **except in " prog_bad " runs, see bench/progs' messages**." : "."))
	out("Egress packets: udp/tcp_match = the target's reply of a tracked flow; lan_other = from " \
	    "the Internet to a client (not from an address of this host); public_unfwd = from a " \
	    "service of this host (a target address, port 53) with no flow.")
	out("")
	out("| program | packet | ns | spread | null ns | ratio | ratio range | target | met? |")
	out("|---|---|---:|---:|---:|---:|---:|---:|---|")
	cfg = "fwd=2,flows=2"
	for (i = 1; i <= np; i++)
		for (j = 1; j <= npk; j++) {
			key = cfg SUBSEP progs[i] SUBSEP (progs[i] == "tc_egress" ? "out" : "in") SUBSEP packets[j]
			ref = null_of(progs[i], progs[i] == "tc_egress" ? "out" : "in", packets[j])
			stats_prog(ref)
			nmed = MED
			stats_prog(key)
			ratio_prog(key, ref)
			target = is_matched(packets[j]) ? 2 : 1.2
			ok = nmed > 0 && MED / nmed <= target
			out("| " progs[i] " | " packets[j] " | " MED " | " MIN "–" MAX " | " nmed " | " \
			    f2(MED / nmed) " | " f2(RMIN) "–" f2(RMAX) " | ≤ " target " | " target_count(ok) " |")
			print progs[i] "/" packets[j] "\t" MED / nmed "\t" RMIN "\t" RMAX "\t" target > (plotdir "/progs.dat")
		}

	ncfg = split("fwd=2,flows=2 fwd=2,flows=1000 fwd=2,flows=65536 fwd=1024,flows=2 fwd=1024,flows=1000 fwd=1024,flows=65536", cfgs, " ")
	out("")
	out("Maps filled: ns (ratio to null) of every packet as the maps grow. 1024 forwards is " \
	    "the most the map takes (HP_MAX_FORWARDS): 64k forwards exceed its limit and are not run. " \
	    "Flows in the LRU map after filling: " flows_present["fwd=2,flows=65536"] " of 65536. " \
	    "The same few keys are looked up on every repeat, so they stay in the CPU's cache: a " \
	    "test run shows the cost of a bigger map's hashing and buckets, not of its cache misses " \
	    "(the end-to-end many-flows windows show those).")
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
			line = "| " progs[i] " | " packets[j] " |"
			ref = null_of(progs[i], progs[i] == "tc_egress" ? "out" : "in", packets[j])
			stats_prog(ref)
			nmed = MED
			for (c = 1; c <= ncfg; c++) {
				stats_prog(cfgs[c] SUBSEP progs[i] SUBSEP (progs[i] == "tc_egress" ? "out" : "in") SUBSEP packets[j])
				line = line " " MED " (" f2(MED / nmed) ") |"
			}
			out(line)
		}

	nprobe = split("probe_ktime probe_jiffies probe_forward_lookup probe_flow_lookup probe_flow_insert probe_store_bytes probe_l4_csum probe_rewrite_skb probe_rewrite_skb4", probes, " ")
	out("")
	out("Where the matched path's time goes: one piece alone in a program (bench/probe.bpf.c), " \
	    "on the matched UDP packet; added = its ns minus the null program's.")
	out("")
	out("| piece | what hairpin does with it | ns | added ns |")
	out("|---|---|---:|---:|")
	what["probe_ktime"] = "bpf_ktime_get_coarse_ns(): flow_track(), every matched packet"
	what["probe_jiffies"] = "bpf_jiffies64(), inlined into a load by the verifier: not used; for comparison"
	what["probe_forward_lookup"] = "forwards hash lookup: every packet to the public address"
	what["probe_flow_lookup"] = "flows LRU lookup: every matched packet, both ways"
	what["probe_flow_insert"] = "a new flow: LRU insert into the full flows map, evicting: flow_track(), every new flow"
	what["probe_store_bytes"] = "one bpf_skb_store_bytes(): tc rewrites make 2"
	what["probe_l4_csum"] = "one bpf_l4_csum_replace(): tc rewrites make 2 (+1 bpf_l3_csum_replace)"
	what["probe_rewrite_skb"] = "all 5 helper calls of nat_rewrite_skb()"
	what["probe_rewrite_skb4"] = "the same with 4: IPv4 checksum computed in BPF, stored with the address (a possible fix)"
	for (i = 1; i <= nprobe; i++) {
		key = "-" SUBSEP probes[i] SUBSEP "in" SUBSEP "udp_match"
		ref = null_of(probes[i], "in", "udp_match")
		stats_prog(ref)
		nmed = MED
		stats_prog(key)
		if (N)
			out("| " probes[i] " | " what[probes[i]] " | " MED " | " (MED - nmed) " |")
	}
}

function e2e_median(kind, variant) {
	stats_e2e(kind SUBSEP variant)
	return MED
}

# ns per packet at a median rate, or 0.
function ns_per(rate) {
	return rate > 0 ? 1e9 / rate : 0
}

function report_e2e(    kinds, variants, nv, k, i, key, ref, fmed, ok, target, label, best, hp, nf, line, hook, hmed, vs_hook, t_drop, t_floor) {
	out("")
	out("## 2. End to end (namespaces: client → gateway → local UDP socket)")
	out("")
	out("Packets reaching the gateway's UDP layer for a socket (UDP MIB InDatagrams + " \
	    "RcvbufErrors: the socket is never read, so the count does not depend on a reader), " \
	    "per second of CPU time that the path had: the sender's (its softirq runs the gateway's " \
	    "receive path) and its CPU's ksoftirqd's, so that another task sharing that CPU does not " \
	    "count against the variant that ran beside it (wall kpps and the CPU share are shown " \
	    "too; on a quiet machine the share is 1 and the two rates agree), " \
	    "from bench/sender (AF_PACKET, PACKET_QDISC_BYPASS, 64-byte payloads, pinned to one CPU, " \
	    "whose softirq runs the gateway's whole receive path); LAN → Internet: packets the " \
	    "gateway sent on to the Internet namespace (wan0 tx). Windows of " prog_meta_e2e_window() \
	    " s, every variant once a round in a shuffled order, " E2E_ROUNDS " rounds; median, " \
	    "spread min–max; ratio = median / median of the floor (the LAN address straight; for " \
	    "LAN → Internet, nothing attached), its range the per-round ratios'. null_xdp, null_tc: " \
	    "the floor with a program that only passes attached to lan0: the hook's own cost " \
	    "(null_tc on cls_bpf, as hairpin and tc(8) attach; null_tcx the same program on tcx); " \
	    "\"vs null hook\" = hairpin / the null program of its hook. drop_tc: every packet dropped " \
	    "at lan0's tc hook, its rate the sender's: what a packet costs before the gateway's IP " \
	    "layer. Many flows: a new source port every packet (and source address every 64000), so " \
	    "every packet is a new flow.")
	out("")
	out("| traffic | variant | kpps per CPU-s | spread | ratio | ratio range | vs null hook | wall kpps | CPU share | delivered/sent | target | met? |")
	out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	split("e2e_single e2e_many forward", kinds, " ")
	label["e2e_single"] = "one flow"
	label["e2e_many"] = "many flows"
	label["forward"] = "LAN → Internet"
	nv = split("floor drop_tc null_xdp null_tc null_tcx hairpin_xdp hairpin_tc iptables_dnat nft_dnat nft_stateless", variants, " ")
	for (k = 1; k <= 3; k++) {
		ref = kinds[k] SUBSEP "floor"
		stats_e2e(ref)
		fmed = MED
		for (i = 1; i <= nv; i++) {
			key = kinds[k] SUBSEP variants[i]
			if (!(key in e2e_sent))
				continue
			vs_hook = ""
			if (variants[i] ~ /^hairpin_/) {
				hook = "null_" substr(variants[i], 9)
				hmed = e2e_median(kinds[k], hook)
				if (hmed > 0)
					vs_hook = f2(e2e_median(kinds[k], variants[i]) / hmed)
			}
			stats_e2e(key)
			ratio_e2e(key, ref)
			target = "—"
			ok = ""
			if (variants[i] ~ /^hairpin_/) {
				target = "≥ 0.97"
				ok = target_count(fmed > 0 && MED / fmed >= 0.97)
			}
			out("| " label[kinds[k]] " | " variants[i] " | " f1(MED / 1000) " | " \
			    f1(MIN / 1000) "–" f1(MAX / 1000) " | " f3(MED / fmed) " | " f2(RMIN) "–" \
			    f2(RMAX) " | " vs_hook " | " f1(median_wall(key) / 1000) " | " \
			    f2(median_share(key)) " | " \
			    sprintf("%.4f", e2e_sent[key] ? e2e_delivered[key] / e2e_sent[key] : 0) \
			    " | " target " | " ok " |")
			if (variants[i] != "floor" && variants[i] != "drop_tc")
				print label[kinds[k]] ": " variants[i] "\t" MED / fmed "\t" RMIN "\t" RMAX \
				      "\t" (variants[i] ~ /^hairpin_/ ? 0.97 : 0) > (plotdir "/e2e.dat")
		}
	}

	# Where a packet's time goes, from the medians (one flow).
	t_drop = ns_per(e2e_median("e2e_single", "drop_tc"))
	t_floor = ns_per(e2e_median("e2e_single", "floor"))
	if (t_drop > 0 && t_floor > 0) {
		out("")
		out("Per packet, one flow (from the median rates): the sender, the veth and the tc hook " \
		    "take " int(t_drop) " ns (drop_tc); the gateway's IP and UDP layers " \
		    int(t_floor - t_drop) " ns more (floor: " int(t_floor) " ns). On top of the floor: " \
		    "null_xdp " int(ns_per(e2e_median("e2e_single", "null_xdp")) - t_floor) " ns, " \
		    "null_tc " int(ns_per(e2e_median("e2e_single", "null_tc")) - t_floor) " ns, " \
		    (e2e_median("e2e_single", "null_tcx") > 0 ? "null_tcx " int(ns_per(e2e_median("e2e_single", "null_tcx")) - t_floor) " ns, " : "") \
		    "hairpin_xdp " int(ns_per(e2e_median("e2e_single", "hairpin_xdp")) - t_floor) " ns, " \
		    "hairpin_tc " int(ns_per(e2e_median("e2e_single", "hairpin_tc")) - t_floor) " ns, " \
		    "iptables_dnat " int(ns_per(e2e_median("e2e_single", "iptables_dnat")) - t_floor) " ns, " \
		    "nft_dnat " int(ns_per(e2e_median("e2e_single", "nft_dnat")) - t_floor) " ns, " \
		    "nft_stateless " int(ns_per(e2e_median("e2e_single", "nft_stateless")) - t_floor) " ns; " \
		    "with many flows, hairpin_xdp " int(ns_per(e2e_median("e2e_many", "hairpin_xdp")) - ns_per(e2e_median("e2e_many", "floor"))) \
		    " ns, hairpin_tc " int(ns_per(e2e_median("e2e_many", "hairpin_tc")) - ns_per(e2e_median("e2e_many", "floor"))) \
		    " ns, iptables_dnat " int(ns_per(e2e_median("e2e_many", "iptables_dnat")) - ns_per(e2e_median("e2e_many", "floor"))) \
		    " ns. The gateway's own work per packet is what a real gateway spends, the sender's " \
		    "is not: measured against the gateway's work alone (" int(t_floor - t_drop) \
		    " ns), hairpin's share is larger than the ratios above say.")
	}

	# Many flows: hairpin against every netfilter variant.
	out("")
	out("| many flows: hairpin / | iptables_dnat | nft_dnat | nft_stateless | target | met? |")
	out("|---|---:|---:|---:|---:|---|")
	split("hairpin_xdp hairpin_tc", hp, " ")
	split("iptables_dnat nft_dnat nft_stateless", nf, " ")
	for (i = 1; i <= 2; i++) {
		line = "| " hp[i] " |"
		ok = 1
		for (k = 1; k <= 3; k++) {
			best = e2e_median("e2e_many", nf[k])
			hmed = e2e_median("e2e_many", hp[i])
			line = line " " f2(best > 0 ? hmed / best : 0) " |"
			if (!(best > 0 && hmed > best))
				ok = 0
		}
		out(line " > 1 each | " target_count(ok) " |")
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
