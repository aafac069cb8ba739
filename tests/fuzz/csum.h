/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which checksums of a frame are valid, for the fuzzer's check that a translation kept valid
 * what was valid. The sums are tests/lib/csum.c's, from scratch; the reference model updates
 * checksums incrementally (RFC 1624) and shares nothing with them, so that a mistake in one
 * shows against the other.
 */
#ifndef HP_FUZZ_CSUM_H
#define HP_FUZZ_CSUM_H

#include "../lib/csum.h"

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
