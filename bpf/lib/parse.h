/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the headers of a frame, as doc/translation.md ("Parsing a frame") says. Parsing is
 * split in two so that a worker can turn a packet away on its addresses, the common case,
 * before it spends anything on the transport header.
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

#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define VLAN_HLEN 4
#define VLAN_MAX_DEPTH 2

/* No header hairpin reads lies further into the frame than this. */
#define PARSE_MAX_OFF 512

enum l4_kind {
	L4_PORTS,		/* UDP or TCP, whole or a first fragment: ports are there */
	L4_FRAGMENT,		/* a non-first fragment of UDP or TCP: no ports */
	L4_ICMP_ERROR,		/* an ICMP error about a UDP or TCP packet */
};

/* An ICMP error's embedded packet. Offsets are from the frame start. */
struct icmp_inner {
	__u32 icmp_off;
	__u32 ip_off;
	__u32 l4_off;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__sum16 icmp_check;
	__sum16 ip_check;
	__sum16 l4_check;	/* valid only if l4_check_present */
	__u8 protocol;
	bool l4_check_present;	/* UDP always; TCP only with its whole header */
};

/* What the workers need of a packet. Offsets are from the frame start. */
struct packet {
	__u32 l3_off;
	__u32 l4_off;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;		/* L4_PORTS only */
	__be16 dport;
	__be16 ip_id;
	__sum16 ip_check;
	__sum16 l4_check;	/* the UDP or TCP checksum field as received; L4_PORTS only */
	__u16 ip_len;		/* IPv4 total length, host order: what the counters count */
	__u8 ttl;
	__u8 protocol;
	__u8 tcp_flags;		/* TCP's FIN, SYN, RST, ACK...; 0 for UDP; L4_PORTS only */
	bool first_fragment;
	struct icmp_inner inner;	/* L4_ICMP_ERROR only */
};

/*
 * The ICMP header and types, here because <linux/icmp.h> pulls in <linux/if.h> and with it
 * libc's <sys/socket.h>, which a BPF build does not have.
 */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;	/* unused for errors; the MTU for "fragmentation needed" */
};

#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/*
 * parse_ipv4() - the IPv4 header behind an Ethernet header and up to two VLAN tags.
 * @ctx, @xdp: the program's context (see ctx.h)
 * @l3_off: set to the header's offset in the frame
 *
 * Return: the header, or NULL when the frame is not IPv4 or too short for the fixed header.
 * Invalidates earlier packet pointers (it may pull an skb); the returned one is bounds-checked
 * for sizeof(struct iphdr).
 */
static __always_inline struct iphdr *parse_ipv4(void *ctx, const bool xdp, __u32 *l3_off)
{
	__u32 off = sizeof(struct ethhdr);
	struct ethhdr *eth;
	struct iphdr *iph;
	__be16 proto;

	if (ctx_ensure(ctx, xdp, off + sizeof(struct iphdr)))
		return NULL;
	eth = ctx_data(ctx, xdp);
	if ((void *)(eth + 1) > ctx_data_end(ctx, xdp))
		return NULL;
	proto = eth->h_proto;

	/* 802.1Q and 802.1ad tags that the NIC (XDP) or the stack (tc) left in the frame. */
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vlan;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (ctx_ensure(ctx, xdp, off + VLAN_HLEN + sizeof(struct iphdr)))
			return NULL;
		vlan = ctx_data(ctx, xdp) + off;
		if ((void *)(vlan + 1) > ctx_data_end(ctx, xdp))
			return NULL;
		proto = vlan->encapsulated_proto;
		off += VLAN_HLEN;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return NULL;
	iph = ctx_data(ctx, xdp) + off;
	if ((void *)(iph + 1) > ctx_data_end(ctx, xdp))
		return NULL;
	*l3_off = off;
	return iph;
}

static __always_inline bool icmp_is_error(__u8 type)
{
	/* As the kernel's icmp_is_err(). */
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/*
 * parse_icmp_error() - the packet embedded in an ICMP error at @pkt->l4_off.
 * Return: 0 when it is a UDP or TCP packet with at least 8 bytes of transport header inside
 * the frame and the outer total length; -1 otherwise. Invalidates packet pointers.
 */
static __always_inline int parse_icmp_error(void *ctx, const bool xdp, struct packet *pkt)
{
	struct icmp_inner *in = &pkt->inner;
	__u32 end = pkt->l3_off + pkt->ip_len, ihl;
	struct icmphdr *icmp;
	struct iphdr *iph;
	void *data;

	in->icmp_off = pkt->l4_off;
	in->ip_off = in->icmp_off + sizeof(struct icmphdr);
	if (in->ip_off + sizeof(struct iphdr) > end ||
	    ctx_ensure(ctx, xdp, in->ip_off + sizeof(struct iphdr)))
		return -1;
	data = ctx_data(ctx, xdp);
	icmp = data + in->icmp_off;
	/* From icmp, not from data: then one bounds check covers both headers. */
	iph = (void *)(icmp + 1);
	if ((void *)(iph + 1) > ctx_data_end(ctx, xdp))
		return -1;
	if (!icmp_is_error(icmp->type) || iph->version != 4 || iph->ihl < 5)
		return -1;
	if (iph->protocol != IPPROTO_UDP && iph->protocol != IPPROTO_TCP)
		return -1;
	ihl = iph->ihl;
	in->icmp_check = icmp->checksum;
	in->ip_check = iph->check;
	in->saddr = iph->saddr;
	in->daddr = iph->daddr;
	in->protocol = iph->protocol;
	in->l4_off = in->ip_off + ihl * 4;

	/* The first 8 bytes of the transport header: the ports, and UDP's checksum. */
	if (in->l4_off + 8 > end || in->l4_off > PARSE_MAX_OFF || ctx_ensure(ctx, xdp, in->l4_off + 8))
		return -1;
	data = ctx_data(ctx, xdp);
	{
		__be16 *ports = data + in->l4_off;

		if ((void *)ports + 8 > ctx_data_end(ctx, xdp))
			return -1;
		in->sport = ports[0];
		in->dport = ports[1];
		in->l4_check = ports[3];	/* UDP's checksum; TCP's comes below */
	}
	in->l4_check_present = in->protocol == IPPROTO_UDP;
	if (in->protocol == IPPROTO_TCP && in->l4_off + sizeof(struct tcphdr) <= end &&
	    !ctx_ensure(ctx, xdp, in->l4_off + sizeof(struct tcphdr))) {
		struct tcphdr *tcp = ctx_data(ctx, xdp) + in->l4_off;

		if ((void *)(tcp + 1) <= ctx_data_end(ctx, xdp)) {
			in->l4_check = tcp->check;
			in->l4_check_present = true;
		}
	}
	return 0;
}

/*
 * parse_l4() - what follows an IPv4 header that parse_ipv4() returned.
 * @ctx, @xdp: the program's context
 * @iph: from parse_ipv4(); not used after a call, which may pull the skb
 * @pkt: filled on success; l3_off must be set
 *
 * Return: an enum l4_kind, or -1 when the packet is none of them.
 */
static __always_inline int parse_l4(void *ctx, const bool xdp, struct iphdr *iph,
				    struct packet *pkt)
{
	__u32 l4_len, ihl = iph->ihl;
	__u16 frag = bpf_ntohs(iph->frag_off);
	__be16 *ports;

	if (iph->version != 4 || ihl < 5)
		return -1;
	pkt->protocol = iph->protocol;
	pkt->saddr = iph->saddr;
	pkt->daddr = iph->daddr;
	pkt->ip_id = iph->id;
	pkt->ip_check = iph->check;
	pkt->ttl = iph->ttl;
	pkt->ip_len = bpf_ntohs(iph->tot_len);
	/* Options (IHL > 5) are skipped over, not assumed away. */
	pkt->l4_off = pkt->l3_off + ihl * 4;
	pkt->first_fragment = (frag & IP_MF) && !(frag & IP_OFFSET);
	if (pkt->ip_len < ihl * 4 || ctx_ensure(ctx, xdp, pkt->l4_off))
		return -1;

	if (pkt->protocol == IPPROTO_UDP)
		l4_len = sizeof(struct udphdr);
	else if (pkt->protocol == IPPROTO_TCP)
		l4_len = sizeof(struct tcphdr);
	else if (pkt->protocol == IPPROTO_ICMP && !(frag & (IP_MF | IP_OFFSET)))
		l4_len = sizeof(struct icmphdr);
	else
		return -1;
	if (frag & IP_OFFSET)
		return L4_FRAGMENT;

	if (pkt->ip_len < ihl * 4 + l4_len || ctx_ensure(ctx, xdp, pkt->l4_off + l4_len))
		return -1;
	if (pkt->protocol == IPPROTO_ICMP)
		return parse_icmp_error(ctx, xdp, pkt) ? -1 : L4_ICMP_ERROR;

	/* l3_off <= 22 and ihl is 4 bits wide: the verifier knows l4_off's bounds. Each protocol
	 * checks its own header's end: 6.1's verifier does not connect l4_len to a later test of
	 * the protocol, and would refuse a TCP read past a length it took for UDP's. */
	ports = ctx_data(ctx, xdp) + pkt->l4_off;
	if (pkt->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)ports;

		if ((void *)(udp + 1) > ctx_data_end(ctx, xdp))
			return -1;
		pkt->l4_check = udp->check;
		pkt->tcp_flags = 0;
	} else {
		struct tcphdr *tcp = (struct tcphdr *)ports;

		if ((void *)(tcp + 1) > ctx_data_end(ctx, xdp))
			return -1;
		pkt->l4_check = tcp->check;
		/* Byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN. */
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	}
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	return L4_PORTS;
}

#endif
