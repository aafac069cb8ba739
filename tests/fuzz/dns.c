// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the DNS answer parser (loader/dns.c), which reads what the resolver
 * got from the network: the input is a message as res_nquery() hands it to the dns: source.
 * Built with ASan and UBSan by `make fuzz-dns`, which runs it over tests/fuzz/corpus/dns;
 * `make test` runs it briefly (build/tests/test_fuzz_dns).
 *
 * Besides not crashing, the parser must keep its promises:
 * - it returns 0, -ENODATA or -EBADMSG, and sets the address and TTL only with 0;
 * - the address is an A record's: 4 bytes of the message. Asked again with it as the current
 *   address it gives it again, and with any other current address either that one (when it
 *   is among the records) or the same first one;
 * - held against glibc's parser (ns_initparse() and ns_parserr(), what the dns: source used
 *   before): a message glibc refuses, it refuses too (it is the stricter of the two: it
 *   checks every name, not only the answer section's, and allows compression pointers only
 *   backwards); one both read gives the same answer, address and TTL.
 *
 * glibc's parser is not instrumented: it guides nothing and ASan does not watch its reads.
 * It is only the reference here.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/* The answer the way the dns: source read it with glibc, with RFC 2181's TTL rule added. */
static int glibc_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr,
			 __u32 *ttl)
{
	__u32 min_ttl = (__u32)-1;
	__be32 first = 0;
	bool found = false, has_current = false;
	ns_msg handle;
	ns_rr rr;

	if (ns_initparse(msg, len, &handle) < 0)
		return -EBADMSG;
	for (int i = 0; i < ns_msg_count(handle, ns_s_an); i++) {
		__u32 rr_ttl;
		__be32 a;

		if (ns_parserr(&handle, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		rr_ttl = ns_rr_ttl(rr) & 0x80000000u ? 0 : ns_rr_ttl(rr);
		if (rr_ttl < min_ttl)
			min_ttl = rr_ttl;
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

/* The parser broke @promise: say which, and crash for libFuzzer to keep the input. */
static void broken(const char *promise)
{
	fprintf(stderr, "broken promise: %s\n", promise);
	abort();
}

static bool in_message(const uint8_t *data, size_t size, __be32 addr)
{
	return memmem(data, size, &addr, sizeof(addr)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const __be32 untouched = htonl(0xc6336407);	/* 198.51.100.7 */
	__be32 addr = untouched, again, other, ref_addr;
	__u32 ttl = 0x5a5a5a5a, ttl_again, ref_ttl;
	int len = size > 0xffff ? 0xffff : (int)size;	/* res_nquery's answers are shorter */
	int err, ref;

	err = dns_parse_a(data, len, 0, &addr, &ttl);
	if (err != 0 && err != -ENODATA && err != -EBADMSG)
		broken("returns 0, -ENODATA or -EBADMSG");
	if (err && (addr != untouched || ttl != 0x5a5a5a5a))
		broken("sets the address and TTL only on success");
	if (!err && !in_message(data, len, addr))
		broken("the address is 4 bytes of the message");

	ref = glibc_parse_a(data, len, 0, &ref_addr, &ref_ttl);
	if (ref == -EBADMSG && err != -EBADMSG)
		broken("refuses what glibc refuses");
	if (ref != -EBADMSG && err != -EBADMSG &&
	    (ref != err || (!err && (ref_addr != addr || ref_ttl != ttl))))
		broken("reads a message as glibc reads it");
	if (err)
		return 0;

	/* The current address is kept when it is among the records, else the first is given. */
	if (dns_parse_a(data, len, addr, &again, &ttl_again) || again != addr || ttl_again != ttl)
		broken("gives the current address again, with the same TTL");
	other = addr ^ htonl(1);
	if (dns_parse_a(data, len, other, &again, &ttl_again) || ttl_again != ttl)
		broken("parses the same message the same way whatever the current address");
	if ((again != addr && again != other) || (again == other && !in_message(data, len, other)))
		broken("gives the current address when among the records, else the first");
	return 0;
}
