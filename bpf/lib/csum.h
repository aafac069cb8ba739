/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Incremental Internet checksum updates (RFC 1624) for XDP, which has no skb and so no
 * bpf_l3_csum_replace()/bpf_l4_csum_replace(). Sums are one's-complement sums of 16-bit words
 * taken in network order; the byte order of the words does not matter as long as the result is
 * stored in the same order (RFC 1071, section 2(B)).
 */
#ifndef HP_CSUM_H
#define HP_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* ~m + m' for a 32-bit field changing from @from to @to, as an unfolded 32-bit sum. */
static __always_inline __u32 csum_delta32(__be32 from, __be32 to)
{
	__u32 nf = ~(__u32)from;

	return (nf & 0xffff) + (nf >> 16) + ((__u32)to & 0xffff) + ((__u32)to >> 16);
}

/* ~m + m' for a 16-bit field. */
static __always_inline __u32 csum_delta16(__be16 from, __be16 to)
{
	return (__u16)~from + (__u32)(__u16)to;
}

/*
 * csum_apply() - update a checksum field for changes summed by csum_delta32/16().
 * @check: the checksum as it is in the packet
 * @delta: the sum of the deltas of every changed field it covers (at most a few of them)
 *
 * Return: HC' = ~(~HC + ~m + m'), RFC 1624 equation 3, which never yields the -0 that the
 * older equation 2 produced.
 */
static __always_inline __sum16 csum_apply(__sum16 check, __u32 delta)
{
	__u32 sum = (__u16)~check + delta;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/*
 * csum_apply_udp() - csum_apply() with UDP's special case (RFC 768): a checksum of 0 means the
 * sender computed none, so it stays 0; a computed 0 is sent as 0xffff.
 */
static __always_inline __sum16 csum_apply_udp(__sum16 check, __u32 delta)
{
	__sum16 updated;

	if (!check)
		return 0;
	updated = csum_apply(check, delta);
	return updated ? updated : (__sum16)0xffff;
}

#endif
