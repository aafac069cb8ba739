// SPDX-License-Identifier: GPL-2.0
/*
 * The checksum code of tests/lib against published values, since every packet test trusts
 * it to say what a correct sender sends.
 */
#include <string.h>

#include "csum.h"
#include "packets.h"

TEST(checksum_reference)
{
	/* RFC 1071, 3: the sum of these words is 0xddf2. */
	static const __u8 rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* An IPv4 header whose checksum is 0xb861 (the worked example of Wikipedia's IPv4). */
	static const __u8 ipv4[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	struct frame f = { .len = ETH_HLEN + sizeof(ipv4) };

	CHECK_EQ(csum_fold(csum_sum(rfc1071, sizeof(rfc1071), 0)), 0x220d, "RFC 1071 example");
	/* 0x0001 + 0xf203 + 0xf4f5 + 0xf600 folds to 0xdcfb: an odd last byte is a high half. */
	CHECK_EQ(csum_fold(csum_sum(rfc1071, 7, 0)), 0x2304, "odd length");
	memcpy(f.data + ETH_HLEN, ipv4, sizeof(ipv4));
	CHECK_EQ(ipv4_header_checksum(&f), 0xb861, "IPv4 header example");
}
