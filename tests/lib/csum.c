// SPDX-License-Identifier: GPL-2.0
/* Checksums from scratch; see csum.h. */
#include <linux/in.h>

#include "csum.h"

#define IPV4_CHECK_OFF 10
#define UDP_CHECK_OFF 6
#define TCP_CHECK_OFF 16

__u64 csum_sum(const void *p, __u32 len, __u64 sum)
{
	const __u8 *b = p;

	for (__u32 i = 0; i + 1 < len; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

__u16 csum_fold(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

__u16 csum_ipv4_header(const void *ip)
{
	const __u8 *h = ip;
	__u32 hlen = (h[0] & 0xf) * 4;

	/* The words before and after the check field. */
	return csum_fold(csum_sum(h + IPV4_CHECK_OFF + 2, hlen - IPV4_CHECK_OFF - 2,
				  csum_sum(h, IPV4_CHECK_OFF, 0)));
}

__u64 csum_pseudo_header(const void *ip, __u32 l4_len)
{
	const __u8 *h = ip;

	/* saddr and daddr, then zero and protocol, then the length (RFC 768, RFC 793 3.1). */
	return csum_sum(h + 12, 8, 0) + h[9] + l4_len;
}

__u16 csum_l4_computed(const void *ip, const void *l4, __u32 l4_len)
{
	const __u8 *seg = l4;
	__u32 check_off = ((const __u8 *)ip)[9] == IPPROTO_UDP ? UDP_CHECK_OFF : TCP_CHECK_OFF;
	__u64 sum = csum_pseudo_header(ip, l4_len);

	if (l4_len < check_off + 2)	/* too short to hold its checksum: all of it */
		return csum_fold(csum_sum(seg, l4_len, sum));
	sum = csum_sum(seg, check_off, sum);
	sum = csum_sum(seg + check_off + 2, l4_len - check_off - 2, sum);
	return csum_fold(sum);
}

__u16 csum_l4(const void *ip, const void *l4, __u32 l4_len)
{
	__u16 check = csum_l4_computed(ip, l4, l4_len);

	return ((const __u8 *)ip)[9] == IPPROTO_UDP && !check ? 0xffff : check;
}
