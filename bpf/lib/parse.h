/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the IPv4 and TCP/UDP headers of an Ethernet frame. Parsing is split in two so that
 * a worker can reject a packet on its addresses, the common case, before it spends anything on
 * the transport header.
 */
#ifndef HP_PARSE_H
#define HP_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "ctx.h"

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define L3_OFF sizeof(struct ethhdr)

/* What the workers need of a TCP or UDP packet over IPv4. Offsets are from the frame start. */
struct packet {
	__u32 l4_off;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__sum16 l4_check;	/* the UDP or TCP checksum field as received */
	__u16 ip_len;		/* IPv4 total length, host order: what the counters count */
	__u8 protocol;
};

/*
 * parse_ipv4() - the IPv4 header behind an Ethernet header.
 * @ctx, @xdp: the program's context (see ctx.h)
 *
 * Return: the header, or NULL when the frame is not IPv4 or too short for the fixed header.
 * Invalidates earlier packet pointers (it may pull an skb); the returned one is bounds-checked
 * for sizeof(struct iphdr).
 */
static __always_inline struct iphdr *parse_ipv4(void *ctx, const bool xdp)
{
	struct ethhdr *eth;

	if (ctx_ensure(ctx, xdp, L3_OFF + sizeof(struct iphdr)))
		return NULL;
	eth = ctx_data(ctx, xdp);
	if ((void *)(eth + 1) + sizeof(struct iphdr) > ctx_data_end(ctx, xdp))
		return NULL;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	return (void *)(eth + 1);
}

/*
 * parse_l4() - the ports of a TCP or UDP packet whose IPv4 header parse_ipv4() returned.
 * @ctx, @xdp: the program's context
 * @iph: from parse_ipv4(); not used after a call, which may pull the skb
 * @pkt: filled on success
 *
 * Fragments are not parsed: a non-first fragment has no ports, and rewriting only the first
 * would deliver a datagram half translated. They pass untouched.
 *
 * Return: 0, or -1 when the packet is not a whole TCP or UDP packet with a sane IPv4 header.
 */
static __always_inline int parse_l4(void *ctx, const bool xdp, struct iphdr *iph,
				    struct packet *pkt)
{
	__u32 l4_len, ihl = iph->ihl;
	__be16 *ports;

	if (iph->version != 4 || ihl < 5)
		return -1;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -1;
	if (iph->protocol == IPPROTO_UDP)
		l4_len = sizeof(struct udphdr);
	else if (iph->protocol == IPPROTO_TCP)
		l4_len = sizeof(struct tcphdr);
	else
		return -1;

	pkt->protocol = iph->protocol;
	pkt->saddr = iph->saddr;
	pkt->daddr = iph->daddr;
	pkt->ip_len = bpf_ntohs(iph->tot_len);
	/* Options (IHL > 5) are skipped over, not assumed away. */
	pkt->l4_off = L3_OFF + ihl * 4;
	if (pkt->ip_len < ihl * 4 + l4_len)
		return -1;

	if (ctx_ensure(ctx, xdp, pkt->l4_off + l4_len))
		return -1;
	/* ihl is 4 bits wide: the verifier knows l4_off <= L3_OFF + 60. */
	ports = ctx_data(ctx, xdp) + pkt->l4_off;
	if ((void *)ports + l4_len > ctx_data_end(ctx, xdp))
		return -1;
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	pkt->l4_check = pkt->protocol == IPPROTO_UDP ? ((struct udphdr *)ports)->check
						     : ((struct tcphdr *)ports)->check;
	return 0;
}

#endif
