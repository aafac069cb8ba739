# SPDX-License-Identifier: GPL-2.0
#
# bench/report_reflect.awk: the table of `make bench`'s reflection part (bench/reflect.sh) from
# reflect.tsv, which has e2e.tsv's columns. Loaded by bench/report together with
# bench/report.awk, whose helpers (out, median, sort_n, f1, f2, f3, target_count) it uses and
# whose END calls report_reflect().

file == "reflect.tsv" {
	if ($1 == "round")
		next
	key = $2 SUBSEP $3
	# Per second of the CPU time the path had, as in part 2: the sender's and its CPU's
	# ksoftirqd's (the switch, the gateway and the server all run in the sender's softirq).
	cpu = $8 + $9
	if (cpu > 0)
		reflect_rate[key, $1] = $7 / cpu * 1e9
	if ($6 > 0) {
		reflect_wall[key, $1] = $7 / $6 * 1e9
		reflect_share[key, $1] = cpu / $6
	}
	reflect_sent[key] += $4
	reflect_delivered[key] += $7
	if ($1 + 1 > REFLECT_ROUNDS)
		REFLECT_ROUNDS = $1 + 1
	have_reflect = 1
	next
}

# reflect_median(store, key): the median of store[key, r] over the rounds.
function reflect_median(store, key,    r, a, n) {
	n = 0
	for (r = 0; r < REFLECT_ROUNDS; r++)
		if ((key, r) in store)
			a[++n] = store[key, r]
	return median(a, n)
}

# reflect_stats(key): MED, MIN, MAX of the rate over the rounds.
function reflect_stats(key,    r, a, n) {
	n = 0
	for (r = 0; r < REFLECT_ROUNDS; r++)
		if ((key, r) in reflect_rate)
			a[++n] = reflect_rate[key, r]
	MED = median(a, n)
	MIN = a[1]
	MAX = a[n]
}

# reflect_gateway_range(key, ref, floor): RMIN, RMAX of the per-round ratios of the gateway's
# work, ref's over key's, each the ns a packet took beyond the floor's in that round.
function reflect_gateway_range(key, ref, floor,    r, a, n, tf) {
	n = 0
	for (r = 0; r < REFLECT_ROUNDS; r++) {
		if (!((key, r) in reflect_rate && (ref, r) in reflect_rate && (floor, r) in reflect_rate))
			continue
		tf = 1e9 / reflect_rate[floor, r]
		if (1e9 / reflect_rate[key, r] > tf)
			a[++n] = (1e9 / reflect_rate[ref, r] - tf) / (1e9 / reflect_rate[key, r] - tf)
	}
	sort_n(a, n)
	RMIN = a[1]
	RMAX = a[n]
}

function report_reflect(    kinds, label, variants, nv, k, i, key, nf, nmed, fmed, ok, target, gw_ns, nf_ns, ratio, range) {
	out("")
	out("## 5. Reflection (namespaces: client → gateway → a server on the client's LAN)")
	out("")
	out("A forward to a server on the clients' own LAN: the client sends to the public address, " \
	    "the gateway sends each packet on to the server from its own LAN address, back out of " \
	    "lan0 (bench/reflect.sh). hairpin_xdp, hairpin_tc: hairpin reflects it in XDP (XDP_TX) " \
	    "or tc (a redirect to lan0's egress), before the gateway's IP stack and conntrack; " \
	    "nft_reflect: what a router does without it, DNAT and MASQUERADE in netfilter as " \
	    "OpenWrt's fw4 writes them for NAT reflection, through the gateway's stack and " \
	    "conntrack; floor: the client to the server's own address, no gateway at all. Two more " \
	    "references send to the server's own address through the gateway: forward, its IP " \
	    "stack forwarding it (no NAT, no conntrack), and bounce_tc, a tc program that sends it " \
	    "back out as hairpin_tc does and does nothing else (bench/bounce.bpf.c). Packets " \
	    "reaching the server's UDP layer for a socket per second of CPU time that the path had " \
	    "(the sender's, whose softirq runs the switch, the gateway and the server, and its CPU's " \
	    "ksoftirqd's), as in part 2. Windows of " prog_meta_e2e_window() " s, every variant " \
	    "once a round in a shuffled order, " REFLECT_ROUNDS " rounds; median, spread min–max. " \
	    "Many flows: a new source port every packet (and source address every 64000), so every " \
	    "packet is a new flow for hairpin and a new conntrack entry and NAT binding for " \
	    "netfilter.")
	out("")
	out("One CPU runs the whole path here, the sender's and the server's work included, which " \
	    "the variants share; on a real network they are other machines, and what a gateway can " \
	    "carry is set by its own work per packet. That is \"gateway ns\": the ns a packet takes " \
	    "(at the median rate) beyond the floor's: the gateway's receive, work and send, and one " \
	    "more pass through the switch, the same in every variant, so that its ratio understates " \
	    "hairpin's gain a little. \"Gateway rate × nft_reflect\" = nft_reflect's gateway ns / the " \
	    "variant's, its range the per-round ratios'; the target applies to it. hairpin_xdp pays " \
	    "here for what XDP costs on veth and no NIC asks: a copy of each frame into a buffer with " \
	    "XDP's headroom, a frame rebuilt as an skb on the other side, and an XDP program that " \
	    "passes everything on the switch's port to the gateway (veth delivers what XDP_TX sends " \
	    "only to a peer that runs XDP itself). Mode = auto picks tc on veth.")
	out("")
	out("| traffic | variant | kpps per CPU-s | spread | × floor | wall kpps | CPU share | delivered/sent | gateway ns | gateway rate × nft_reflect | ratio range | target | met? |")
	out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	split("reflect_single reflect_many", kinds, " ")
	label["reflect_single"] = "one flow"
	label["reflect_many"] = "many flows"
	nv = split("floor forward bounce_tc hairpin_xdp hairpin_tc nft_reflect", variants, " ")
	for (k = 1; k <= 2; k++) {
		nf = kinds[k] SUBSEP "nft_reflect"
		reflect_stats(kinds[k] SUBSEP "floor")
		fmed = MED
		reflect_stats(nf)
		nmed = MED
		nf_ns = nmed > 0 && fmed > 0 ? 1e9 / nmed - 1e9 / fmed : 0
		for (i = 1; i <= nv; i++) {
			key = kinds[k] SUBSEP variants[i]
			if (!(key in reflect_sent))
				continue
			reflect_stats(key)
			gw_ns = MED > 0 && fmed > 0 ? 1e9 / MED - 1e9 / fmed : 0
			ratio = range = target = ok = ""
			if (variants[i] ~ /^hairpin_/) {
				reflect_gateway_range(key, nf, kinds[k] SUBSEP "floor")
				ratio = f2(gw_ns > 0 ? nf_ns / gw_ns : 0)
				range = f2(RMIN) "–" f2(RMAX)
				target = "≥ 1.5"
				ok = target_count(gw_ns > 0 && nf_ns / gw_ns >= 1.5)
			}
			out("| " label[kinds[k]] " | " variants[i] " | " f1(MED / 1000) " | " \
			    f1(MIN / 1000) "–" f1(MAX / 1000) " | " f3(fmed > 0 ? MED / fmed : 0) " | " \
			    f1(reflect_median(reflect_wall, key) / 1000) " | " \
			    f2(reflect_median(reflect_share, key)) " | " \
			    sprintf("%.4f", reflect_sent[key] ? reflect_delivered[key] / reflect_sent[key] : 0) \
			    " | " (variants[i] == "floor" ? "" : int(gw_ns)) " | " ratio " | " range " | " \
			    target " | " ok " |")
		}
	}
	out("")
	out("Where the gateway's time goes (gateway ns, medians): " reflect_split("reflect_single", "one flow") \
	    "; " reflect_split("reflect_many", "many flows") ".")
}

# reflect_split(kind, label): the gateway ns of hairpin_tc and nft_reflect, each split into
# its reference's (bounce_tc, forward) and what it does beyond that.
function reflect_split(kind, label,    f, ns, v) {
	reflect_stats(kind SUBSEP "floor")
	f = MED > 0 ? 1e9 / MED : 0
	split("", ns)
	ns["bounce_tc"] = ns["hairpin_tc"] = ns["forward"] = ns["nft_reflect"] = 0
	for (v in ns) {
		reflect_stats(kind SUBSEP v)
		ns[v] = MED > 0 && f > 0 ? 1e9 / MED - f : 0
	}
	return label ": hairpin_tc " int(ns["hairpin_tc"]) " ns, of which tc's receive and send " \
	       "(bounce_tc) " int(ns["bounce_tc"]) " and hairpin's own work " \
	       int(ns["hairpin_tc"] - ns["bounce_tc"]) "; nft_reflect " int(ns["nft_reflect"]) \
	       " ns, of which the stack's forwarding (forward) " int(ns["forward"]) \
	       " and NAT with conntrack " int(ns["nft_reflect"] - ns["forward"])
}
