// SPDX-License-Identifier: GPL-2.0
/*
 * NAT-PMP (RFC 6886): what a public address response says, what its result codes mean, when
 * its epoch says the gateway restarted, and which gateway to ask.
 */
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>

#include "natpmp.h"

int natpmp_parse(const void *buf, size_t len, struct natpmp_reply *reply)
{
	const unsigned char *p = buf;

	/* Version 0, opcode 128 + 0; an error may come without the address (8 bytes). */
	if (len < 8 || p[0] != 0 || p[1] != 128)
		return -EBADMSG;
	reply->result = p[2] << 8 | p[3];
	reply->epoch = (__u32)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	reply->addr = 0;
	if (!reply->result) {
		if (len < 12)
			return -EBADMSG;
		memcpy(&reply->addr, p + 8, sizeof(reply->addr));
	}
	return 0;
}
const char *natpmp_result_text(__u16 result)
{
	static char other[32];

	switch (result) {
	case 0:
		return "success";
	case 1:
		return "unsupported version";
	case 2:
		return "not authorized or refused";
	case 3:
		return "network failure (the gateway has no public address itself)";
	case 4:
		return "out of resources";
	case 5:
		return "unsupported opcode";
	}
	snprintf(other, sizeof(other), "result code %u", result);
	return other;
}

bool natpmp_epoch_went_back(__u32 prev_epoch, __u64 prev_ms, __u32 epoch, __u64 now_ms)
{
	__u64 elapsed_ms = now_ms > prev_ms ? now_ms - prev_ms : 0;
	__u64 expected_ms = (__u64)prev_epoch * 1000 + elapsed_ms * 7 / 8;

	return (__u64)epoch * 1000 + 2000 < expected_ms;
}

int natpmp_default_gateway(FILE *routes, __be32 *gateway)
{
	char line[512];
	unsigned long best_metric = (unsigned long)-1;
	int err = -ENETUNREACH;

	/* The header line does not parse as a route. */
	while (fgets(line, sizeof(line), routes)) {
		char ifname[IF_NAMESIZE + 1];
		unsigned int dest, gw, flags, mask;
		unsigned long refcnt, use, metric;

		if (sscanf(line, "%16s %x %x %x %lu %lu %lu %x", ifname, &dest, &gw, &flags, &refcnt,
			   &use, &metric, &mask) != 8)
			continue;
		/* Printed as the __be32 is in memory: read back, it is the same word. */
		if (dest || mask || !gw || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY))
			continue;
		if (err || metric < best_metric) {
			*gateway = gw;
			best_metric = metric;
			err = 0;
		}
	}
	return err;
}

