// SPDX-License-Identifier: GPL-2.0
/*
 * Single pieces of hairpin's matched path, each alone in a program of its own, so that
 * bench/progs can tell where the matched path's time goes: a helper call, a hash lookup, the
 * clock. Each program does its one thing on a UDP packet to the public address and passes it;
 * the writes put back the bytes that are there, so every repeat sees the same packet.
 * Offsets are for an untagged Ethernet frame with a 20-byte IPv4 header.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "hairpin.h"

char LICENSE[] SEC("license") = "GPL";

#define IP_OFF ETH_HLEN
#define DADDR_OFF (IP_OFF + offsetof(struct iphdr, daddr))
#define IP_CHECK_OFF (IP_OFF + offsetof(struct iphdr, check))
#define L4_OFF (IP_OFF + sizeof(struct iphdr))
#define UDP_DEST_OFF (L4_OFF + offsetof(struct udphdr, dest))
#define UDP_CHECK_OFF (L4_OFF + offsetof(struct udphdr, check))

/* As hp_forwards and hp_flows, filled by bench/progs as those are. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HP_FORWARD_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hp_forward);
} probe_forwards SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FLOWS);
	__type(key, struct hp_flow_key);
	__type(value, struct hp_flow);
} probe_flows SEC(".maps");

/* probe_flow_insert's own, so that its evictions leave probe_flows' flow alone. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_FLOWS);
	__type(key, struct hp_flow_key);
	__type(value, struct hp_flow);
} probe_new_flows SEC(".maps");

/* Where results go, so that the compiler keeps what computes them. */
volatile __u64 probe_sink;

struct headers {
	struct iphdr *iph;
	struct udphdr *udp;
};

static __always_inline int headers_get(void *data, void *data_end, struct headers *h)
{
	h->iph = data + IP_OFF;
	h->udp = data + L4_OFF;
	return (void *)(h->udp + 1) > data_end ? -1 : 0;
}

/* bpf_ktime_get_coarse_ns(), which flow_track() calls on every matched packet. */
SEC("xdp")
int probe_ktime(struct xdp_md *ctx)
{
	probe_sink = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/* bpf_jiffies64(), which the verifier turns into a load on 64-bit JITs: the clock for free. */
SEC("xdp")
int probe_jiffies(struct xdp_md *ctx)
{
	probe_sink = bpf_jiffies64();
	return XDP_PASS;
}

/* One lookup in an array laid out as hp_forwards, for the packet's port: forward_get(). */
SEC("xdp")
int probe_forward_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct headers h;
	__u64 *entry;
	__u32 index;

	if (headers_get(data, data_end, &h))
		return XDP_PASS;
	index = hp_forward_index(IPPROTO_UDP, bpf_ntohs(h.udp->dest));
	entry = bpf_map_lookup_elem(&probe_forwards, &index);
	probe_sink = entry ? *(volatile __u64 *)entry : 0;
	return XDP_PASS;
}

/* One lookup in an LRU hash keyed as hp_flows, of the packet's flow: flow_track()'s. */
SEC("xdp")
int probe_flow_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct hp_flow_key key = { .protocol = IPPROTO_UDP };
	struct headers h;

	if (headers_get(data, data_end, &h))
		return XDP_PASS;
	key.client_addr = h.iph->saddr;
	key.target_addr = h.iph->daddr;
	key.client_port = h.udp->source;
	key.target_port = h.udp->dest;
	probe_sink = (long)bpf_map_lookup_elem(&probe_flows, &key);
	return XDP_PASS;
}

/*
 * A new flow, as flow_track() records one: an LRU insert of a key never seen before. After
 * HP_MAX_FLOWS repeats the map is full and every insert evicts the least recently used flow,
 * which is what a stream of new flows costs once the map has filled.
 */
__u32 probe_flow_counter;

SEC("xdp")
int probe_flow_insert(struct xdp_md *ctx)
{
	struct hp_flow_key key = {
		.client_addr = probe_flow_counter++,
		.target_addr = 0x0102000a,
		.client_port = 0x1234,
		.target_port = 0x6ccb,
		.protocol = IPPROTO_UDP,
	};
	struct hp_flow value = { .public_addr = 0x0771cbd0, .public_port = 0x6ccb };

	bpf_map_update_elem(&probe_new_flows, &key, &value, BPF_ANY);
	return XDP_PASS;
}

/* One bpf_skb_store_bytes() of an address, as nat_rewrite_skb() makes two (address, port). */
SEC("tc")
int probe_store_bytes(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct headers h;
	__be32 addr;

	if (headers_get(data, data_end, &h))
		return TC_ACT_UNSPEC;
	addr = h.iph->daddr;
	bpf_skb_store_bytes(skb, DADDR_OFF, &addr, sizeof(addr), 0);
	return TC_ACT_UNSPEC;
}

/* One bpf_l4_csum_replace() of an address, as nat_rewrite_skb() makes two. */
SEC("tc")
int probe_l4_csum(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct headers h;
	__be32 addr;

	if (headers_get(data, data_end, &h))
		return TC_ACT_UNSPEC;
	addr = h.iph->daddr;
	bpf_l4_csum_replace(skb, UDP_CHECK_OFF, addr, addr,
			    BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR | sizeof(addr));
	return TC_ACT_UNSPEC;
}

/* The five helper calls of nat_rewrite_skb() for a destination, writing what is there. */
SEC("tc")
int probe_rewrite_skb(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct headers h;
	__be32 addr;
	__be16 port;

	if (headers_get(data, data_end, &h))
		return TC_ACT_UNSPEC;
	addr = h.iph->daddr;
	port = h.udp->dest;
	if (bpf_skb_store_bytes(skb, DADDR_OFF, &addr, sizeof(addr), 0) ||
	    bpf_l3_csum_replace(skb, IP_CHECK_OFF, addr, addr, sizeof(addr)) ||
	    bpf_l4_csum_replace(skb, UDP_CHECK_OFF, addr, addr,
				BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR | sizeof(addr)) ||
	    bpf_skb_store_bytes(skb, UDP_DEST_OFF, &port, sizeof(port), 0) ||
	    bpf_l4_csum_replace(skb, UDP_CHECK_OFF, port, port,
				BPF_F_MARK_MANGLED_0 | sizeof(port)))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}

/*
 * What nat_rewrite_skb() could do with one call less: the IPv4 header checksum computed here
 * (as the XDP path does) and written with the address in one store, bytes 10-19 of the header
 * (check, saddr, daddr). The header's own sum does not change, so neither does skb->csum;
 * the L4 calls stay, for the skb's checksum state.
 */
SEC("tc")
int probe_rewrite_skb4(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct {
		__sum16 check;
		__be32 saddr;
		__be32 daddr;
	} __attribute__((packed)) ip;
	struct headers h;
	__be32 addr;
	__be16 port;

	if (headers_get(data, data_end, &h))
		return TC_ACT_UNSPEC;
	addr = h.iph->daddr;
	port = h.udp->dest;
	ip.check = h.iph->check;	/* + the RFC 1624 delta of addr, 0 here */
	ip.saddr = h.iph->saddr;
	ip.daddr = addr;
	if (bpf_skb_store_bytes(skb, IP_CHECK_OFF, &ip, sizeof(ip), 0) ||
	    bpf_l4_csum_replace(skb, UDP_CHECK_OFF, addr, addr,
				BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR | sizeof(addr)) ||
	    bpf_skb_store_bytes(skb, UDP_DEST_OFF, &port, sizeof(port), 0) ||
	    bpf_l4_csum_replace(skb, UDP_CHECK_OFF, port, port,
				BPF_F_MARK_MANGLED_0 | sizeof(port)))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}
