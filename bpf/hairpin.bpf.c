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

/*
 * Whose these programs are (struct hp_instance), set by `up` between open and load. Each entry
 * point names it (INSTANCE_REFERENCED), so that the kernel lists .rodata among the program's
 * maps, where hairpin reads it back to tell its own programs from anyone else's.
 */
const volatile struct hp_instance hp_instance = {};

#define INSTANCE_REFERENCED() asm volatile("" : : "r"(&hp_instance))

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
	__uint(max_entries, HP_MAX_DEVICE_RECORDS);
	__type(key, __u32);
	__type(value, struct hp_device);
} hp_devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FRAGS);
	__type(key, struct hp_frag_key);
	__type(value, struct hp_frag);
} hp_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, HP_MAX_SOURCES);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* LPM tries must not be preallocated */
	__type(key, struct hp_source_key);
	__type(value, __u32);
} hp_sources SEC(".maps");

/*
 * Translations as they happen, to every running `hairpin monitor`: slot i holds the ring buffer
 * of the monitor that holds lease i in the config map (struct hp_config). Each monitor makes
 * its own, because a ring buffer has one consumer position: two readers of one would each get
 * part of the events. Pinned, so that a monitor keeps its slot when `up` replaces the programs.
 */
struct hp_monitor_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HP_MONITOR_RING_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, HP_MONITOR_SLOTS);
	__type(key, __u32);
	__array(values, struct hp_monitor_ring);
} hp_monitors SEC(".maps");

static __always_inline struct hp_config *config_get(void)
{
	__u32 zero = 0;

	/* An array lookup: the verifier inlines it into a bounds check and an add. */
	return bpf_map_lookup_elem(&hp_config, &zero);
}

/* AllowedSources: any source when no generation is set, else a prefix of that generation. */
static __always_inline bool source_allowed(const struct hp_config *config, __be32 saddr)
{
	struct hp_source_key key = {
		.prefixlen = 32 + 32,
		.generation = READ_ONCE(config->sources_generation),
		.addr = saddr,
	};

	return !key.generation || bpf_map_lookup_elem(&hp_sources, &key);
}

/* Whether any monitor holds a lease: one load, and a clock read only while one does. */
static __always_inline bool monitoring(const struct hp_config *config)
{
	__u64 until = READ_ONCE(config->monitor_until_ns);

	return until && bpf_ktime_get_coarse_ns() < until;
}

static __always_inline __u32 ctx_ifindex(void *ctx, const bool xdp)
{
	return xdp ? ((struct xdp_md *)ctx)->ingress_ifindex : ((struct __sk_buff *)ctx)->ifindex;
}

/*
 * Report a translation of @pkt (or of the packet inside it, for an ICMP error) to the ring
 * buffer of every monitor whose lease runs. A full buffer loses the event, never the packet,
 * and counts it in the slot's monitor_lost for its monitor to say so.
 */
static __always_inline void monitor_report(void *ctx, const bool xdp, const struct packet *pkt,
					   enum hp_direction direction, enum hp_event_kind kind,
					   __be32 new_addr, __be16 new_port)
{
	struct hp_config *config = config_get();
	bool icmp = kind == HP_EVENT_ICMP;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct hp_event event = {
		.time_ns = now,
		.ifindex = ctx_ifindex(ctx, xdp),
		.direction = direction,
		.protocol = icmp ? pkt->inner.protocol : pkt->protocol,
		.kind = kind,
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.sport = icmp ? pkt->inner.sport : kind == HP_EVENT_FRAGMENT ? 0 : pkt->sport,
		.dport = icmp ? pkt->inner.dport : kind == HP_EVENT_FRAGMENT ? 0 : pkt->dport,
		.new_addr = new_addr,
		.new_port = new_port,
	};

	if (!config)
		return;
	/* Unrolled, as every loop here: each slot's index is a constant the verifier knows. */
#pragma unroll
	for (__u32 slot = 0; slot < HP_MONITOR_SLOTS; slot++) {
		__u32 key = slot;
		void *ring;

		if (now >= READ_ONCE(config->monitor_lease_ns[slot]))
			continue;
		/* NULL between a monitor's claim of the slot and its ring buffer's arrival. */
		ring = bpf_map_lookup_elem(&hp_monitors, &key);
		if (ring && bpf_ringbuf_output(ring, &event, sizeof(event), 0))
			__sync_fetch_and_add(&config->monitor_lost[slot], 1);
	}
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

static __always_inline struct hp_frag_key frag_key(const struct packet *pkt,
						   enum hp_direction direction)
{
	struct hp_frag_key key = {
		.saddr = pkt->saddr,
		.daddr = pkt->daddr,
		.id = pkt->ip_id,
		.protocol = pkt->protocol,
		.direction = direction,
	};

	return key;
}

/*
 * A first fragment is being translated: remember where its datagram goes, for the fragments
 * that follow without ports. Return: 0, or -1 if it could not be recorded.
 */
static __always_inline int frag_remember(const struct packet *pkt, enum hp_direction direction,
					 __be32 addr)
{
	struct hp_frag_key key = frag_key(pkt, direction);
	struct hp_frag value = { .addr = addr };

	if (!pkt->first_fragment)
		return 0;
	return bpf_map_update_elem(&hp_frags, &key, &value, BPF_ANY) ? -1 : 0;
}

/*
 * A non-first fragment: rewritten as its first fragment was, or left alone when that was not
 * seen (doc/translation.md says why that is the defined behaviour).
 */
static __always_inline int frag_follow(void *ctx, const bool xdp, const struct packet *pkt,
				       const struct hp_config *config, enum hp_direction direction)
{
	struct hp_frag_key key = frag_key(pkt, direction);
	struct hp_frag *frag = bpf_map_lookup_elem(&hp_frags, &key);

	if (!frag)
		return 0;
	if (nat_rewrite_addr(ctx, xdp, pkt, direction == HP_DIR_INGRESS ? NAT_DESTINATION
									 : NAT_SOURCE,
			     frag->addr))
		return -1;
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, direction, HP_EVENT_FRAGMENT, frag->addr, 0);
	return 0;
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

static __always_inline struct hp_forward *forward_get(__u8 protocol, __be16 port)
{
	struct hp_forward_key key = { .protocol = protocol, .port = port };

	return bpf_map_lookup_elem(&hp_forwards, &key);
}

/* Client -> public address:port becomes client -> target. */
static __always_inline int ingress_ports(void *ctx, const bool xdp, const struct packet *pkt,
					 const struct hp_config *config, __be32 public_addr)
{
	struct hp_forward *fwd = forward_get(pkt->protocol, pkt->dport);

	if (!fwd || !source_allowed(config, pkt->saddr))
		return 0;
	if (flow_track(pkt, fwd, public_addr) ||
	    frag_remember(pkt, HP_DIR_INGRESS, fwd->target_addr))
		return 0;
	if (nat_rewrite(ctx, xdp, pkt, NAT_DESTINATION, fwd->target_addr, fwd->target_port))
		return -1;
	stats_count(fwd->stats_index, true, pkt->ip_len);
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_INGRESS, HP_EVENT_PACKET, fwd->target_addr,
			       fwd->target_port);
	return 0;
}

/*
 * An ICMP error about a reply that left from the public address (inner source): the client's
 * side could not take it, or says its path MTU is smaller. The target must hear it about the
 * packet it sent.
 */
static __always_inline int ingress_icmp(void *ctx, const bool xdp, const struct packet *pkt,
					const struct hp_config *config, __be32 public_addr)
{
	const struct icmp_inner *in = &pkt->inner;
	struct hp_flow_key key;
	struct hp_forward *fwd;
	struct hp_flow *flow;

	if (in->saddr != public_addr)
		return 0;
	fwd = forward_get(in->protocol, in->sport);
	if (!fwd)
		return 0;
	key = (struct hp_flow_key){
		.client_addr = in->daddr,
		.target_addr = fwd->target_addr,
		.client_port = in->dport,
		.target_port = fwd->target_port,
		.protocol = in->protocol,
	};
	flow = bpf_map_lookup_elem(&hp_flows, &key);
	if (!flow || flow->public_addr != public_addr || flow->public_port != in->sport)
		return 0;
	if (nat_icmp_error(ctx, xdp, pkt, NAT_DESTINATION, fwd->target_addr, NAT_SOURCE,
			   fwd->target_addr, fwd->target_port))
		return -1;
	if (monitoring(config))
		monitor_report(ctx, xdp, pkt, HP_DIR_INGRESS, HP_EVENT_ICMP, fwd->target_addr,
			       fwd->target_port);
	return 0;
}

static __always_inline int hairpin_ingress(void *ctx, const bool xdp)
{
	struct hp_config *config;
	/* Not zeroed: most packets leave before it is filled, and the fast path pays per byte. */
	struct packet pkt;
	struct iphdr *iph;
	__be32 public_addr;
	int kind, err;

	iph = parse_ipv4(ctx, xdp, &pkt.l3_off);
	if (!iph)
		return ctx_pass(xdp);
	config = config_get();
	if (!config)
		return ctx_pass(xdp);
	/* The test that turns away almost every packet of the LAN, before any hash lookup. */
	public_addr = READ_ONCE(config->public_addr);
	if (iph->daddr != public_addr || !public_addr)
		return ctx_pass(xdp);

	kind = parse_l4(ctx, xdp, iph, &pkt);
	if (kind == L4_PORTS)
		err = ingress_ports(ctx, xdp, &pkt, config, public_addr);
	else if (kind == L4_FRAGMENT)
		err = frag_follow(ctx, xdp, &pkt, config, HP_DIR_INGRESS);
	else if (kind == L4_ICMP_ERROR)
		err = ingress_icmp(ctx, xdp, &pkt, config, public_addr);
	else
		err = 0;
	/* A packet that could not be written whole must not leave half translated. */
	if (err)
		return xdp ? XDP_DROP : TC_ACT_SHOT;
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
static __always_inline int egress_ports(struct __sk_buff *skb, const struct packet *pkt,
					const struct hp_config *config)
{
	struct hp_flow_key key = {
		.client_addr = pkt->daddr,
		.target_addr = pkt->saddr,
		.client_port = pkt->dport,
		.target_port = pkt->sport,
		.protocol = pkt->protocol,
	};
	struct hp_flow *flow = bpf_map_lookup_elem(&hp_flows, &key);

	if (!flow || frag_remember(pkt, HP_DIR_EGRESS, flow->public_addr))
		return 0;
	if (nat_rewrite(skb, false, pkt, NAT_SOURCE, flow->public_addr, flow->public_port))
		return -1;
	stats_count(flow->stats_index, false, pkt->ip_len);
	if (monitoring(config))
		monitor_report(skb, false, pkt, HP_DIR_EGRESS, HP_EVENT_PACKET, flow->public_addr,
			       flow->public_port);
	return 0;
}

/*
 * An ICMP error the target raises about a packet of a redirected flow (inner source: the
 * client): the client must see it come from the address and port it dialled.
 */
static __always_inline int egress_icmp(struct __sk_buff *skb, const struct packet *pkt,
				       const struct hp_config *config)
{
	const struct icmp_inner *in = &pkt->inner;
	struct hp_flow_key key = {
		.client_addr = in->saddr,
		.target_addr = in->daddr,
		.client_port = in->sport,
		.target_port = in->dport,
		.protocol = in->protocol,
	};
	struct hp_flow *flow = bpf_map_lookup_elem(&hp_flows, &key);

	if (!flow)
		return 0;
	/* An error from another address of this host keeps its source, as nf_nat does. */
	if (nat_icmp_error(skb, false, pkt, NAT_SOURCE,
			   pkt->saddr == in->daddr ? flow->public_addr : 0, NAT_DESTINATION,
			   flow->public_addr, flow->public_port))
		return -1;
	if (monitoring(config))
		monitor_report(skb, false, pkt, HP_DIR_EGRESS, HP_EVENT_ICMP, flow->public_addr,
			       flow->public_port);
	return 0;
}

static __always_inline int hairpin_egress(struct __sk_buff *skb)
{
	struct hp_config *config;
	/* Not zeroed: most packets leave before it is filled, and the fast path pays per byte. */
	struct packet pkt;
	struct iphdr *iph;
	int kind, err;

	/* skb->protocol is in the skb itself: no packet byte is read for ARP or IPv6. */
	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_8021Q) &&
	    skb->protocol != bpf_htons(ETH_P_8021AD))
		return TC_ACT_OK;
	iph = parse_ipv4(skb, false, &pkt.l3_off);
	if (!iph)
		return TC_ACT_OK;
	config = config_get();
	/* No public address known: nothing is rewritten, the replies of old flows neither. */
	if (!config || !is_target_addr(config, iph->saddr) || !READ_ONCE(config->public_addr))
		return TC_ACT_OK;

	kind = parse_l4(skb, false, iph, &pkt);
	if (kind == L4_PORTS)
		err = egress_ports(skb, &pkt, config);
	else if (kind == L4_FRAGMENT)
		err = frag_follow(skb, false, &pkt, config, HP_DIR_EGRESS);
	else if (kind == L4_ICMP_ERROR)
		err = egress_icmp(skb, &pkt, config);
	else
		err = 0;
	return err ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
int hp_ingress_xdp(struct xdp_md *ctx)
{
	INSTANCE_REFERENCED();
	return hairpin_ingress(ctx, true);
}

SEC("tc")
int hp_ingress_tc(struct __sk_buff *skb)
{
	INSTANCE_REFERENCED();
	return hairpin_ingress(skb, false);
}

SEC("tc")
int hp_egress_tc(struct __sk_buff *skb)
{
	INSTANCE_REFERENCED();
	return hairpin_egress(skb);
}
