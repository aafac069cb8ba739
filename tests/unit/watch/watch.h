/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests of the pure parts of `hairpin watch`, a file per module: dns.c (loader/dns.c:
 * DNS answers, A records, CNAME chains, TTLs, names and their compression), natpmp.c
 * (loader/natpmp.c: RFC 6886 replies, result codes and epochs, the default gateway from
 * /proc/net/route), source.c (loader/source.c and backoff.c: what every source shares). The
 * sources themselves run against dnsmasq, miniupnpd and rtnetlink in tests/net/test_watch_*.sh.
 */
#ifndef HP_TEST_WATCH_H
#define HP_TEST_WATCH_H

#include <arpa/inet.h>
#include <linux/types.h>

/* "a.b.c.d" as the __be32 the parsers give. */
static inline __be32 ip(const char *s)
{
	struct in_addr in = { 0 };

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

#endif
