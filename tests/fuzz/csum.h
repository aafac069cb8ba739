/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checksums summed from scratch (RFC 1071, with the pseudo-header of RFC 768/793), for the
 * fuzzer's packet builder and for its check that a translated frame's checksums are still
 * valid. The reference model updates checksums incrementally (RFC 1624) and shares nothing
 * with this file, so that a mistake in one shows against the other.
 */
#ifndef HP_FUZZ_CSUM_H
#define HP_FUZZ_CSUM_H

#include <linux/types.h>

/* The one's complement sum of big-endian 16-bit words, an odd last byte padded with 0. */
__u64 csum_sum(const __u8 *p, __u32 len, __u64 sum);
/* Folded to 16 bits with end-around carry, and complemented: what a sender writes. */
__u16 csum_fold(__u64 sum);

/* The IPv4 header checksum of @ip as a sender computes it (its check field is skipped). */
__u16 csum_ipv4_header(const __u8 *ip);
/*
 * The UDP/TCP checksum of the segment at @l4 (@l4_len bytes, its check field skipped) under
 * the pseudo-header of @ip, as a sender computes it, UDP's 0 sent as 0xffff.
 */
__u16 csum_l4(const __u8 *ip, const __u8 *l4, __u32 l4_len);

/* Checksums that can be verified in a frame, and are valid. */
enum csum_kind {
	CSUM_IP = 1 << 0,	/* the IPv4 header */
	CSUM_L4 = 1 << 1,	/* UDP/TCP with pseudo-header; a non-fragment, complete */
	CSUM_ICMP = 1 << 2,	/* the ICMP message; a non-fragment, complete */
	CSUM_INNER_IP = 1 << 3,	/* the IPv4 header inside an ICMP error */
	CSUM_INNER_L4 = 1 << 4,	/* UDP/TCP inside an ICMP error, when all of it is there */
};

/*
 * Which checksums of the frame are valid, parsed with its own code (Ethernet, up to two VLAN
 * tags, IPv4): a mask of enum csum_kind. A UDP checksum of 0 ("none") is not counted as valid.
 */
unsigned int csum_valid(const __u8 *frame, __u32 len);
/* "ip,l4,..." for a mask, in a static buffer. */
const char *csum_names(unsigned int mask);

#endif
