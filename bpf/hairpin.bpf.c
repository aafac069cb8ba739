// SPDX-License-Identifier: GPL-2.0
/*
 * hairpin's datapath. On a LAN device, ingress (XDP or tc) rewrites packets sent to the public
 * address on a forwarded port so that they go to the forward's target on this host, and tracks
 * the flow; tc egress rewrites the target's replies of exactly those flows so that they come
 * from the public address and port the client dialled. Everything else passes untouched.
 *
 * Why here and not in netfilter: these programs run before conntrack, so the rewrite also
 * takes hold of a flow that conntrack already holds (masqueraded towards the router), which a
 * nat-table DNAT rule never sees again.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "hairpin.h"
#include "lib/ctx.h"
#include "lib/nat.h"
#include "lib/parse.h"

char LICENSE[] SEC("license") = "GPL";

/* One load the compiler may neither tear nor repeat: the loader changes these words while
 * packets run. */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

/* How stale a flow's last_seen_ns may get before a packet refreshes it: a write per second per
 * flow instead of one per packet. */
#define FLOW_REFRESH_NS 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hp_config);
} hp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HP_MAX_FORWARDS);
	__type(key, struct hp_forward_key);
	__type(value, struct hp_forward);
} hp_forwards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FLOWS);
	__type(key, struct hp_flow_key);
	__type(value, struct hp_flow);
} hp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_MAX_FORWARDS);
	__type(key, __u32);
	__type(value, struct hp_stats);
} hp_stats SEC(".maps");

/* The loader's record of what it attached where; no program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct hp_device);
} hp_devices SEC(".maps");

static __always_inline struct hp_config *config_get(void)
{
	__u32 zero = 0;

	/* An array lookup: the verifier inlines it into a bounds check and an add. */
	return bpf_map_lookup_elem(&hp_config, &zero);
}

/*
 * flow_track() - make sure the flow of a packet to be redirected is in the flows map.
 * Return: 0, or -1 if it could not be recorded (then the packet must not be rewritten: its
 * replies would not be rewritten either).
 */
static __always_inline int flow_track(const struct packet *pkt, const struct hp_forward *fwd,
				      __be32 public_addr)
{
	struct hp_flow_key key = {
		.client_addr = pkt->saddr,
		.target_addr = fwd->target_addr,
		.client_port = pkt->sport,
		.target_port = fwd->target_port,
		.protocol = pkt->protocol,
	};
	__u64 now = bpf_ktime_get_coarse_ns();
	struct hp_flow *flow = bpf_map_lookup_elem(&hp_flows, &key);

	/* The common case, a packet of a known flow, costs this lookup and no map update. */
	if (flow && flow->public_addr == public_addr && flow->public_port == pkt->dport &&
	    flow->stats_index == fwd->stats_index) {
		if (now - flow->last_seen_ns > FLOW_REFRESH_NS)
			flow->last_seen_ns = now;
		return 0;
	}

	struct hp_flow value = {
		.public_addr = public_addr,
		.public_port = pkt->dport,
		.stats_index = fwd->stats_index,
		.last_seen_ns = now,
	};
	return bpf_map_update_elem(&hp_flows, &key, &value, BPF_ANY) ? -1 : 0;
}

static __always_inline void stats_count(__u32 index, bool to_target, __u16 ip_len)
{
	struct hp_stats *stats = bpf_map_lookup_elem(&hp_stats, &index);

	if (!stats)
		return;
	if (to_target) {
		stats->to_target_packets++;
		stats->to_target_bytes += ip_len;
	} else {
		stats->to_client_packets++;
		stats->to_client_bytes += ip_len;
	}
}

/* Client -> public address:port becomes client -> target. */
static __always_inline int hairpin_ingress(void *ctx, const bool xdp)
{
	struct hp_forward_key fwd_key = {};
	struct hp_forward *fwd;
	struct hp_config *config;
	struct packet pkt;
	struct iphdr *iph;
	__be32 public_addr;

	iph = parse_ipv4(ctx, xdp);
	if (!iph)
		return ctx_pass(xdp);
	config = config_get();
	if (!config)
		return ctx_pass(xdp);
	/* The test that turns away almost every packet of the LAN, before any hash lookup. */
	public_addr = READ_ONCE(config->public_addr);
	if (iph->daddr != public_addr || !public_addr)
		return ctx_pass(xdp);

	if (parse_l4(ctx, xdp, iph, &pkt))
		return ctx_pass(xdp);
	fwd_key.protocol = pkt.protocol;
	fwd_key.port = pkt.dport;
	fwd = bpf_map_lookup_elem(&hp_forwards, &fwd_key);
	if (!fwd || flow_track(&pkt, fwd, public_addr))
		return ctx_pass(xdp);
	if (nat_rewrite(ctx, xdp, &pkt, NAT_DESTINATION, fwd->target_addr, fwd->target_port))
		return xdp ? XDP_DROP : TC_ACT_SHOT;
	stats_count(fwd->stats_index, true, pkt.ip_len);
	return ctx_pass(xdp);
}

static __always_inline bool is_target_addr(const struct hp_config *config, __be32 addr)
{
	bool found = false;

#pragma unroll
	for (int i = 0; i < HP_MAX_TARGET_ADDRS; i++) {
		__be32 target = READ_ONCE(config->target_addrs[i]);

		found |= target && target == addr;
	}
	return found;
}

/* Target -> client becomes public address:port -> client, for tracked flows only. */
static __always_inline int hairpin_egress(struct __sk_buff *skb)
{
	struct hp_config *config;
	struct hp_flow_key key;
	struct hp_flow *flow;
	struct packet pkt;
	struct iphdr *iph;

	/* skb->protocol is in the skb itself: no packet byte is read for ARP or IPv6. */
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	iph = parse_ipv4(skb, false);
	if (!iph)
		return TC_ACT_OK;
	config = config_get();
	if (!config || !is_target_addr(config, iph->saddr))
		return TC_ACT_OK;

	if (parse_l4(skb, false, iph, &pkt))
		return TC_ACT_OK;
	key = (struct hp_flow_key){
		.client_addr = pkt.daddr,
		.target_addr = pkt.saddr,
		.client_port = pkt.dport,
		.target_port = pkt.sport,
		.protocol = pkt.protocol,
	};
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	if (!flow)
		return TC_ACT_OK;
	if (nat_rewrite(skb, false, &pkt, NAT_SOURCE, flow->public_addr, flow->public_port))
		return TC_ACT_SHOT;
	stats_count(flow->stats_index, false, pkt.ip_len);
	return TC_ACT_OK;
}

SEC("xdp")
int hp_ingress_xdp(struct xdp_md *ctx)
{
	return hairpin_ingress(ctx, true);
}

SEC("tc")
int hp_ingress_tc(struct __sk_buff *skb)
{
	return hairpin_ingress(skb, false);
}

SEC("tc")
int hp_egress_tc(struct __sk_buff *skb)
{
	return hairpin_egress(skb);
}
