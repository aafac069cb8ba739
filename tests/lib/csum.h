/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksums summed from scratch (RFC 1071), with the pseudo-header of RFC 768/793:
 * the one implementation that the packet tests, the fuzzer and the bench tools use to build
 * packets and to check the programs' output. It never updates a checksum incrementally the
 * way the datapath does (RFC 1624), so that the two cannot share a mistake.
 * Values are in host order; bytes are read as big-endian 16-bit words.
 */
#ifndef HP_TEST_CSUM_H
#define HP_TEST_CSUM_H

#include <linux/types.h>

/* @sum plus the big-endian 16-bit words of @p, an odd last byte padded with 0 (RFC 1071). */
__u64 csum_sum(const void *p, __u32 len, __u64 sum);
/* @sum folded to 16 bits with end-around carry, and complemented: what a sender writes. */
__u16 csum_fold(__u64 sum);

/* The IPv4 header checksum of the header at @ip as a sender computes it (its field skipped). */
__u16 csum_ipv4_header(const void *ip);
/* The pseudo-header's sum for @l4_len bytes of the transport protocol of the IPv4 header @ip. */
__u64 csum_pseudo_header(const void *ip, __u32 l4_len);
/*
 * The UDP/TCP checksum of the segment at @l4 (@l4_len bytes, its check field skipped) under
 * the pseudo-header of @ip, as summed: 0 when the sum is all ones.
 */
__u16 csum_l4_computed(const void *ip, const void *l4, __u32 l4_len);
/* ... and as a sender writes it: UDP's computed 0 goes out as 0xffff (RFC 768). */
__u16 csum_l4(const void *ip, const void *l4, __u32 l4_len);

#endif
