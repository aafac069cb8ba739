// SPDX-License-Identifier: GPL-2.0
/* Which checksums of a frame are valid; see csum.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/in.h>

#include "csum.h"

static __u16 be16_at(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

/*
 * A checksum is valid when the sum over what it covers, itself included, is all ones: its
 * complement, what csum_fold() gives, is 0.
 */
static bool sums_to_ones(__u64 sum)
{
	return csum_fold(sum) == 0;
}

/*
 * UDP/TCP at @l4, @avail bytes of it there, under @ip: valid when the whole segment the IPv4
 * header announces is there and its checksum is right.
 */
static bool l4_valid(const __u8 *ip, const __u8 *l4, __u32 avail)
{
	__u32 hlen = (ip[0] & 0xf) * 4, tot_len = be16_at(ip + 2), l4_len;
	__u8 protocol = ip[9];

	if (be16_at(ip + 6) & 0x3fff)	/* a fragment: only part of the segment */
		return false;
	if (tot_len < hlen)
		return false;
	l4_len = tot_len - hlen;
	if (l4_len > avail)
		return false;
	if (protocol == IPPROTO_UDP) {
		if (l4_len < 8 || be16_at(l4 + 4) != l4_len || be16_at(l4 + 6) == 0)
			return false;
	} else if (protocol == IPPROTO_TCP) {
		if (l4_len < 20)
			return false;
	} else {
		return false;
	}
	return sums_to_ones(csum_sum(l4, l4_len, csum_pseudo_header(ip, l4_len)));
}

static bool ipv4_header_at(const __u8 *ip, __u32 avail)
{
	return avail >= 20 && ip[0] >> 4 == 4 && (ip[0] & 0xf) >= 5 &&
	       (__u32)(ip[0] & 0xf) * 4 <= avail;
}

unsigned int csum_valid(const __u8 *frame, __u32 len)
{
	__u32 off = 14, hlen, tot_len, msg_len;
	unsigned int valid = 0;
	__u16 ethertype;
	const __u8 *ip, *icmp, *inner;
	int tags = 0;

	if (len < 14)
		return 0;
	ethertype = be16_at(frame + 12);
	while ((ethertype == 0x8100 || ethertype == 0x88a8) && tags < 2 && off + 4 <= len) {
		ethertype = be16_at(frame + off + 2);
		off += 4;
		tags++;
	}
	if (ethertype != 0x0800 || !ipv4_header_at(frame + off, len - off))
		return 0;
	ip = frame + off;
	hlen = (ip[0] & 0xf) * 4;
	if (sums_to_ones(csum_sum(ip, hlen, 0)))
		valid |= CSUM_IP;
	if (ip[9] == IPPROTO_UDP || ip[9] == IPPROTO_TCP) {
		if (l4_valid(ip, ip + hlen, len - off - hlen))
			valid |= CSUM_L4;
		return valid;
	}
	if (ip[9] != IPPROTO_ICMP || (be16_at(ip + 6) & 0x3fff))
		return valid;
	tot_len = be16_at(ip + 2);
	if (tot_len < hlen + 8 || off + tot_len > len)
		return valid;
	icmp = ip + hlen;
	msg_len = tot_len - hlen;
	if (sums_to_ones(csum_sum(icmp, msg_len, 0)))
		valid |= CSUM_ICMP;
	if (icmp[0] != 3 && icmp[0] != 4 && icmp[0] != 5 && icmp[0] != 11 && icmp[0] != 12)
		return valid;
	inner = icmp + 8;
	if (!ipv4_header_at(inner, msg_len - 8))
		return valid;
	if (sums_to_ones(csum_sum(inner, (inner[0] & 0xf) * 4, 0)))
		valid |= CSUM_INNER_IP;
	if (l4_valid(inner, inner + (inner[0] & 0xf) * 4, msg_len - 8 - (inner[0] & 0xf) * 4))
		valid |= CSUM_INNER_L4;
	return valid;
}

const char *csum_names(unsigned int mask)
{
	static const char *const names[] = { "ip", "l4", "icmp", "inner-ip", "inner-l4" };
	static char buf[64];
	size_t used = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (mask & (1U << i))
			used += snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "," : "",
					 names[i]);
	}
	return used ? buf : "none";
}
