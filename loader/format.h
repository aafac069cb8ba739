/* SPDX-License-Identifier: GPL-2.0 */
/* How the loader writes addresses and protocols in its messages and output. */
#ifndef HP_FORMAT_H
#define HP_FORMAT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/types.h>

/* "a.b.c.d" into @buf, or "none" for 0, the address hairpin uses for "unknown". */
static inline const char *fmt_ip4(__be32 addr, char buf[INET_ADDRSTRLEN])
{
	if (!addr)
		return "none";
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static inline const char *fmt_protocol(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_TCP ? "tcp" : "?";
}

#endif
