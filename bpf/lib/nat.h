/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rewriting addresses and ports with every checksum that covers them: the IPv4 header
 * checksum, the transport checksum (which covers the addresses through the pseudo-header),
 * and for ICMP errors the ICMP checksum and the embedded packet's own checksums.
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

static __always_inline __u32 ip_addr_off(__u32 ip_off, enum nat_side side)
{
	return ip_off + (side == NAT_SOURCE ? offsetof(struct iphdr, saddr)
					    : offsetof(struct iphdr, daddr));
}

/* A port's offset in a UDP or TCP header: both start with source, destination. */
static __always_inline __u32 port_off(__u32 l4_off, enum nat_side side)
{
	return l4_off + (side == NAT_SOURCE ? 0 : sizeof(__be16));
}

/* The transport checksum after an address and a port change, with UDP's zero rule. */
static __always_inline __sum16 l4_check_update(__u8 protocol, __sum16 check, __u32 delta)
{
	return protocol == IPPROTO_UDP ? csum_apply_udp(check, delta) : csum_apply(check, delta);
}

/*
 * What a packet's addresses, ports and TTL become: the same as before for what does not
 * change. A reflected packet is forwarded, and loses one from its TTL as it would through a
 * router.
 */
struct nat_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 ttl;
};

/* @pkt's own tuple, to change a field or two of. */
static __always_inline struct nat_tuple nat_tuple_of(const struct packet *pkt)
{
	struct nat_tuple t = {
		.saddr = pkt->saddr, .daddr = pkt->daddr, .sport = pkt->sport, .dport = pkt->dport,
		.ttl = pkt->ttl,
	};

	return t;
}

/* The TTL and protocol, as the 16-bit word of the header they share (bytes 8 and 9). */
static __always_inline __be16 ttl_word(__u8 ttl, __u8 protocol)
{
	return bpf_htons((__u16)ttl << 8 | protocol);
}

/*
 * nat_rewrite_addrs() - set the addresses and TTL of a packet: bytes 8 to 19 of its IPv4
 * header in one store (the TTL, the protocol as it was, the header checksum updated with RFC
 * 1624 arithmetic, the addresses), whose sum does not change, so neither does an skb's
 * CHECKSUM_COMPLETE csum, which covers the header too. Alone, for a packet whose transport
 * header is not there (a non-first fragment; fragments are never CHECKSUM_PARTIAL, the stack
 * computes the checksum before it fragments) or not translated (an ICMP error's outer header).
 * Return and invalidation: as nat_rewrite_tuple().
 */
static __always_inline int nat_rewrite_addrs(void *ctx, const bool xdp, const struct packet *pkt,
					 __be32 saddr, __be32 daddr, __u8 ttl)
{
	struct {
		__u8 ttl;
		__u8 protocol;
		__sum16 check;
		__be32 saddr;
		__be32 daddr;
	} __attribute__((packed)) tail = {
		.ttl = ttl,
		.protocol = pkt->protocol,
		.check = csum_apply(pkt->ip_check,
				    csum_delta32(pkt->saddr, saddr) + csum_delta32(pkt->daddr, daddr) +
				    csum_delta16(ttl_word(pkt->ttl, pkt->protocol),
						 ttl_word(ttl, pkt->protocol))),
		.saddr = saddr,
		.daddr = daddr,
	};

	return ctx_store(ctx, xdp, pkt->l3_off + offsetof(struct iphdr, ttl), &tail, sizeof(tail));
}

/* What the transport checksum's pseudo-header covers of it: the addresses. */
static __always_inline __u32 nat_addr_delta(const struct packet *pkt, const struct nat_tuple *to)
{
	return csum_delta32(pkt->saddr, to->saddr) + csum_delta32(pkt->daddr, to->daddr);
}

static __always_inline __u32 nat_port_delta(const struct packet *pkt, const struct nat_tuple *to)
{
	return csum_delta16(pkt->sport, to->sport) + csum_delta16(pkt->dport, to->dport);
}

/*
 * XDP: compute the checksums with RFC 1624 arithmetic and write the fields. No skb exists
 * yet, so there is no checksum state to keep in step.
 */
static __always_inline int nat_rewrite_xdp(struct xdp_md *ctx, const struct packet *pkt,
					   const struct nat_tuple *to)
{
	__sum16 l4_check = l4_check_update(pkt->protocol, pkt->l4_check,
					   nat_addr_delta(pkt, to) + nat_port_delta(pkt, to));
	__be16 ports[2] = { to->sport, to->dport };

	if (nat_rewrite_addrs(ctx, true, pkt, to->saddr, to->daddr, to->ttl) ||
	    ctx_store(ctx, true, pkt->l4_off, ports, sizeof(ports)) ||
	    ctx_store(ctx, true, l4_csum_off(pkt), &l4_check, sizeof(l4_check)))
		return -1;
	return 0;
}

/*
 * tc: bpf_skb_store_bytes() and the L4 csum helper, because only it keeps the skb's checksum
 * state right: with CHECKSUM_PARTIAL (a reply the local stack sent with offload on, a GRO
 * packet) the L4 field holds the pseudo-header sum and only an address change may touch it;
 * with CHECKSUM_COMPLETE, skb->csum must follow the pseudo-header change (BPF_F_PSEUDO_HDR).
 * The helper takes each change as a precomputed sum (size 0): both addresses in one call, both
 * ports in another. BPF_F_MARK_MANGLED_0 gives UDP its RFC 768 zero rule. A UDP checksum of 0
 * then stays 0 and nothing in the packet offsets the port change, so with CHECKSUM_COMPLETE
 * skb->csum has to follow it (BPF_F_RECOMPUTE_CSUM); every other change is offset by a
 * checksum field's. The IPv4 checksum needs no helper (nat_rewrite_addrs()).
 */
static __always_inline int nat_rewrite_skb(struct __sk_buff *skb, const struct packet *pkt,
					   const struct nat_tuple *to)
{
	__u64 l4_flags = pkt->protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u64 port_flags = pkt->protocol == IPPROTO_UDP && !pkt->l4_check ? BPF_F_RECOMPUTE_CSUM : 0;
	__u32 check_off = l4_csum_off(pkt);
	__be16 ports[2] = { to->sport, to->dport };

	if (nat_rewrite_addrs(skb, false, pkt, to->saddr, to->daddr, to->ttl) ||
	    bpf_l4_csum_replace(skb, check_off, 0, nat_addr_delta(pkt, to),
				l4_flags | BPF_F_PSEUDO_HDR) ||
	    bpf_skb_store_bytes(skb, pkt->l4_off, ports, sizeof(ports), port_flags) ||
	    bpf_l4_csum_replace(skb, check_off, 0, nat_port_delta(pkt, to), l4_flags))
		return -1;
	return 0;
}

/*
 * nat_rewrite_tuple() - set the addresses and ports of a UDP or TCP packet to @to.
 * @ctx, @xdp: the program's context
 * @pkt: from parse_l4() (L4_PORTS); its fields keep the old values
 *
 * Return: 0, or -1 if the packet could not be written (an skb that could not be made
 * writable); it may then be half written, and the caller must drop it.
 * Invalidates every packet pointer.
 */
static __always_inline int nat_rewrite_tuple(void *ctx, const bool xdp, const struct packet *pkt,
					     const struct nat_tuple *to)
{
	return xdp ? nat_rewrite_xdp(ctx, pkt, to) : nat_rewrite_skb(ctx, pkt, to);
}

/*
 * nat_rewrite() - set the source or destination address and port of a UDP or TCP packet.
 * @side: which end to rewrite
 * @addr, @port: the new values, network order
 * Return and invalidation: as nat_rewrite_tuple().
 */
static __always_inline int nat_rewrite(void *ctx, const bool xdp, const struct packet *pkt,
				       enum nat_side side, __be32 addr, __be16 port)
{
	struct nat_tuple to = nat_tuple_of(pkt);

	if (side == NAT_SOURCE) {
		to.saddr = addr;
		to.sport = port;
	} else {
		to.daddr = addr;
		to.dport = port;
	}
	return nat_rewrite_tuple(ctx, xdp, pkt, &to);
}

/* nat_rewrite_addrs() of one side. */
static __always_inline int nat_rewrite_addr(void *ctx, const bool xdp, const struct packet *pkt,
					    enum nat_side side, __be32 addr)
{
	return nat_rewrite_addrs(ctx, xdp, pkt, side == NAT_SOURCE ? addr : pkt->saddr,
				 side == NAT_SOURCE ? pkt->daddr : addr, pkt->ttl);
}

/*
 * nat_icmp_error_tuple() - translate an ICMP error and the packet it carries, as the kernel's
 * nf_nat_icmp_reply_translation() does.
 * @ctx, @xdp: the program's context
 * @pkt: from parse_l4() (L4_ICMP_ERROR)
 * @saddr, @daddr: what the outer addresses become (the same values leave them alone); the TTL
 *	is @to's
 * @to: what the embedded packet's addresses and ports become
 *
 * The embedded packet goes the other way: an error about a reply sent from the public
 * address has that address as its inner source. Every checksum is recomputed incrementally:
 * the inner IPv4 header's, the inner transport checksum when it is there, the ICMP checksum
 * over every inner byte that changed, and the outer IPv4 header's. ICMP errors are built whole
 * by the stack, never CHECKSUM_PARTIAL, and all changes are offset within the packet for
 * CHECKSUM_COMPLETE.
 * Return and invalidation: as nat_rewrite_tuple().
 */
static __always_inline int nat_icmp_error_tuple(void *ctx, const bool xdp,
						const struct packet *pkt, __be32 saddr,
						__be32 daddr, const struct nat_tuple *to)
{
	const struct icmp_inner *in = &pkt->inner;
	__u32 addr_delta = csum_delta32(in->saddr, to->saddr) + csum_delta32(in->daddr, to->daddr);
	__u32 port_delta = csum_delta16(in->sport, to->sport) + csum_delta16(in->dport, to->dport);
	__sum16 ip_check = csum_apply(in->ip_check, addr_delta);
	__u32 icmp_delta = addr_delta + csum_delta16(in->ip_check, ip_check) + port_delta;
	__sum16 l4_check = 0, icmp_check;

	if (in->l4_check_present) {
		l4_check = l4_check_update(in->protocol, in->l4_check, addr_delta + port_delta);
		icmp_delta += csum_delta16(in->l4_check, l4_check);
	}
	icmp_check = csum_apply(in->icmp_check, icmp_delta);

	if (ctx_store(ctx, xdp, ip_addr_off(in->ip_off, NAT_SOURCE), &to->saddr, 4) ||
	    ctx_store(ctx, xdp, ip_addr_off(in->ip_off, NAT_DESTINATION), &to->daddr, 4) ||
	    ctx_store(ctx, xdp, in->ip_off + offsetof(struct iphdr, check), &ip_check,
		      sizeof(ip_check)) ||
	    ctx_store(ctx, xdp, port_off(in->l4_off, NAT_SOURCE), &to->sport, 2) ||
	    ctx_store(ctx, xdp, port_off(in->l4_off, NAT_DESTINATION), &to->dport, 2) ||
	    (in->l4_check_present &&
	     ctx_store(ctx, xdp, in->l4_off + (in->protocol == IPPROTO_UDP
					       ? offsetof(struct udphdr, check)
					       : offsetof(struct tcphdr, check)),
		       &l4_check, sizeof(l4_check))) ||
	    ctx_store(ctx, xdp, in->icmp_off + offsetof(struct icmphdr, checksum), &icmp_check,
		      sizeof(icmp_check)))
		return -1;
	if (saddr == pkt->saddr && daddr == pkt->daddr && to->ttl == pkt->ttl)
		return 0;
	return nat_rewrite_addrs(ctx, xdp, pkt, saddr, daddr, to->ttl);
}

/*
 * nat_icmp_error() - nat_icmp_error_tuple() for one end of the embedded packet and at most one
 * outer address.
 * @outer_side: which address of the outer header to set to @outer_addr; @outer_addr 0 leaves
 *	the outer header alone
 * @inner_side: which end of the embedded packet becomes @inner_addr:@inner_port
 */
static __always_inline int nat_icmp_error(void *ctx, const bool xdp, const struct packet *pkt,
					  enum nat_side outer_side, __be32 outer_addr,
					  enum nat_side inner_side, __be32 inner_addr,
					  __be16 inner_port)
{
	const struct icmp_inner *in = &pkt->inner;
	struct nat_tuple to = {
		.ttl = pkt->ttl,
		.saddr = inner_side == NAT_SOURCE ? inner_addr : in->saddr,
		.daddr = inner_side == NAT_SOURCE ? in->daddr : inner_addr,
		.sport = inner_side == NAT_SOURCE ? inner_port : in->sport,
		.dport = inner_side == NAT_SOURCE ? in->dport : inner_port,
	};
	__be32 saddr = outer_addr && outer_side == NAT_SOURCE ? outer_addr : pkt->saddr;
	__be32 daddr = outer_addr && outer_side == NAT_DESTINATION ? outer_addr : pkt->daddr;

	return nat_icmp_error_tuple(ctx, xdp, pkt, saddr, daddr, &to);
}

#endif
