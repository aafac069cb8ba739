// SPDX-License-Identifier: GPL-2.0
/* DNS answers (RFC 1035 section 4.1), read with glibc's parser (ns_initparse, ns_parserr). */
#include <arpa/nameser.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dns.h"

__u32 dns_clamp_ttl(__u32 ttl)
{
	if (ttl < DNS_TTL_MIN_S)
		return DNS_TTL_MIN_S;
	return ttl > DNS_TTL_MAX_S ? DNS_TTL_MAX_S : ttl;
}

int dns_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr, __u32 *ttl)
{
	__u32 min_ttl = (__u32)-1;
	__be32 first = 0;
	bool found = false, has_current = false;
	ns_msg handle;
	ns_rr rr;

	if (len < 0 || ns_initparse(msg, len, &handle) < 0)
		return -EBADMSG;
	for (int i = 0; i < ns_msg_count(handle, ns_s_an); i++) {
		__be32 a;

		if (ns_parserr(&handle, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		/* A CNAME's TTL bounds the answer as much as the A record's. */
		if (ns_rr_ttl(rr) < min_ttl)
			min_ttl = ns_rr_ttl(rr);
		if (ns_rr_class(rr) != ns_c_in || ns_rr_type(rr) != ns_t_a ||
		    ns_rr_rdlen(rr) != sizeof(a))
			continue;
		memcpy(&a, ns_rr_rdata(rr), sizeof(a));
		if (!found)
			first = a;
		if (current && a == current)
			has_current = true;
		found = true;
	}
	if (!found)
		return -ENODATA;
	*addr = has_current ? current : first;
	*ttl = min_ttl;
	return 0;
}
