/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rewriting one address and one port of a TCP or UDP packet over IPv4, with every checksum
 * that covers them: the IPv4 header checksum, and the transport checksum, which covers the
 * addresses through the pseudo-header.
 */
#ifndef HP_NAT_H
#define HP_NAT_H

#include <stddef.h>

#include "csum.h"
#include "parse.h"

enum nat_side {
	NAT_SOURCE,
	NAT_DESTINATION,
};

static __always_inline __u32 l4_csum_off(const struct packet *pkt)
{
	return pkt->l4_off + (pkt->protocol == IPPROTO_UDP ? offsetof(struct udphdr, check)
							   : offsetof(struct tcphdr, check));
}

/*
 * XDP: write the fields directly and fix the checksums with RFC 1624 arithmetic. No skb
 * exists yet, so there is no checksum state to keep in step.
 */
static __always_inline int nat_rewrite_xdp(struct xdp_md *ctx, const struct packet *pkt,
					   enum nat_side side, __be32 addr, __be16 port)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + L3_OFF;
	__be16 *ports = data + pkt->l4_off;
	__sum16 *check = data + l4_csum_off(pkt);
	__be32 old_addr = side == NAT_SOURCE ? pkt->saddr : pkt->daddr;
	__be16 old_port = side == NAT_SOURCE ? pkt->sport : pkt->dport;
	__u32 delta;

	if ((void *)(iph + 1) > data_end || (void *)(ports + 2) > data_end ||
	    (void *)(check + 1) > data_end)
		return -1;

	if (side == NAT_SOURCE) {
		iph->saddr = addr;
		ports[0] = port;
	} else {
		iph->daddr = addr;
		ports[1] = port;
	}
	iph->check = csum_apply(iph->check, csum_delta32(old_addr, addr));
	delta = csum_delta32(old_addr, addr) + csum_delta16(old_port, port);
	*check = pkt->protocol == IPPROTO_UDP ? csum_apply_udp(*check, delta)
					      : csum_apply(*check, delta);
	return 0;
}

/*
 * tc: bpf_skb_store_bytes() and the csum helpers, because only they keep the skb's checksum
 * state right: with CHECKSUM_PARTIAL (a reply the local stack sent with offload on) the L4
 * field holds the pseudo-header sum and only an address change may touch it; with
 * CHECKSUM_COMPLETE, skb->csum must follow the pseudo-header change (BPF_F_PSEUDO_HDR).
 * Writing through direct packet access instead would also make the verifier add a prologue
 * that unclones every skb the program sees, a copy on every cloned TCP segment of the LAN.
 * BPF_F_MARK_MANGLED_0 gives UDP its RFC 768 zero rule. A UDP checksum of 0 then stays 0 and
 * nothing in the packet offsets the port change, so with CHECKSUM_COMPLETE skb->csum has to
 * follow it (BPF_F_RECOMPUTE_CSUM); every other change is offset by a checksum field's.
 */
static __always_inline int nat_rewrite_skb(struct __sk_buff *skb, const struct packet *pkt,
					   enum nat_side side, __be32 addr, __be16 port)
{
	__u32 addr_off = L3_OFF + (side == NAT_SOURCE ? offsetof(struct iphdr, saddr)
						      : offsetof(struct iphdr, daddr));
	__u32 port_off = pkt->l4_off + (side == NAT_SOURCE ? 0 : sizeof(__be16));
	__be32 old_addr = side == NAT_SOURCE ? pkt->saddr : pkt->daddr;
	__be16 old_port = side == NAT_SOURCE ? pkt->sport : pkt->dport;
	__u64 l4_flags = pkt->protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 check_off = l4_csum_off(pkt);
	__u64 port_flags = pkt->protocol == IPPROTO_UDP && !pkt->l4_check ? BPF_F_RECOMPUTE_CSUM : 0;

	if (bpf_skb_store_bytes(skb, addr_off, &addr, sizeof(addr), 0) ||
	    bpf_l3_csum_replace(skb, L3_OFF + offsetof(struct iphdr, check), old_addr, addr,
				sizeof(addr)) ||
	    bpf_l4_csum_replace(skb, check_off, old_addr, addr,
				l4_flags | BPF_F_PSEUDO_HDR | sizeof(addr)) ||
	    bpf_skb_store_bytes(skb, port_off, &port, sizeof(port), port_flags) ||
	    bpf_l4_csum_replace(skb, check_off, old_port, port, l4_flags | sizeof(port)))
		return -1;
	return 0;
}

/*
 * nat_rewrite() - set the source or destination address and port of @pkt.
 * @ctx, @xdp: the program's context
 * @pkt: from parse_l4(); its fields keep the old values
 * @side: which end to rewrite
 * @addr, @port: the new values, network order
 *
 * Return: 0, or -1 if the packet could not be written (an skb that could not be made
 * writable); it may then be half written, and the caller must drop it.
 * Invalidates every packet pointer.
 */
static __always_inline int nat_rewrite(void *ctx, const bool xdp, const struct packet *pkt,
				       enum nat_side side, __be32 addr, __be16 port)
{
	return xdp ? nat_rewrite_xdp(ctx, pkt, side, addr, port)
		   : nat_rewrite_skb(ctx, pkt, side, addr, port);
}

#endif
