/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS answers, as the dns: source reads them (RFC 1035 section 4.1): pure functions, no I/O,
 * for the source, the unit tests (tests/unit/watch/dns.c) and the fuzzer (tests/fuzz/dns.c).
 */
#ifndef HP_DNS_H
#define HP_DNS_H

#include <linux/types.h>

/*
 * A dynamic-DNS name is asked again when its TTL runs out, but not more often than every 30 s
 * (a TTL of 0 or 1 must not turn into a query loop) nor less often than every hour.
 */
#define DNS_TTL_MIN_S 30
#define DNS_TTL_MAX_S 3600

__u32 dns_clamp_ttl(__u32 ttl);

/*
 * The IPv4 address in a DNS answer @msg of @len bytes: the A records (class IN, 4 bytes) of
 * the answer section, after the CNAMEs the resolver followed. When @current is among them it
 * is kept, so that a name with several addresses in rotating order does not flap; else the
 * first. *ttl gets the lowest TTL of the answer section, a TTL with its top bit set counting
 * as 0 (RFC 2181 section 8). Returns 0, -ENODATA when there is no A record, or -EBADMSG when
 * @msg is not a whole, well-formed message; *addr and *ttl are set only on success.
 */
int dns_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr, __u32 *ttl);

#endif
