// SPDX-License-Identifier: GPL-2.0
/*
 * DNS answers (RFC 1035 section 4.1), read without glibc's ns_parse: the whole message is
 * walked here, so that the fuzzer (tests/fuzz/dns.c) sees, and ASan checks, every byte read.
 * The fuzzer also holds this parser against glibc's ns_initparse()/ns_parserr().
 *
 * A message is a 12-byte header with four counts, then the question section (a name, type,
 * class) and three sections of resource records (a name, type, class, TTL, data length, data):
 * answer, authority, additional. Every name is checked, also where it is skipped, and the
 * records must end exactly where the message does: a message cut short, or one with bytes
 * after its last record, is not an answer.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dns.h"

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255	/* octets on the wire, length bytes included (section 3.1) */
#define DNS_TYPE_A 1
#define DNS_CLASS_IN 1

enum { SECTION_QUESTION, SECTION_ANSWER, SECTION_AUTHORITY, SECTION_ADDITIONAL, SECTIONS };

__u32 dns_clamp_ttl(__u32 ttl)
{
	if (ttl < DNS_TTL_MIN_S)
		return DNS_TTL_MIN_S;
	return ttl > DNS_TTL_MAX_S ? DNS_TTL_MAX_S : ttl;
}

static unsigned int get16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static __u32 get32(const unsigned char *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

/*
 * Check the name at *at and move *at past it. Its labels are followed through compression
 * pointers (section 4.1.4), each of which must point before the one that led to it (to an
 * earlier name; never into the header): so a walk always ends, and a loop is a malformed
 * message. Label types 01 and 10 (extended labels, retired by RFC 6891) are refused, as are
 * names longer than 255 octets. The name itself is never needed, only that it is one.
 */
static int skip_name(const unsigned char *msg, size_t len, size_t *at)
{
	size_t p = *at, limit = *at, end = 0, wire = 0;

	for (;;) {
		unsigned int c;

		if (p >= len)
			return -EBADMSG;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (len - p < 2)
				return -EBADMSG;
			to = (c & 0x3f) << 8 | msg[p + 1];
			if (to < DNS_HEADER_LEN || to >= limit)
				return -EBADMSG;
			if (!end)
				end = p + 2;	/* the name, in place, ends with its first pointer */
			limit = to;
			p = to;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG;
		wire += 1 + c;
		/* glibc's parser (what the dns: source once used) also refuses a name whose labels
		 * add up to the message's length or more: a walk that long can only be going round. */
		if (wire > DNS_NAME_MAX || wire >= len)
			return -EBADMSG;
		if (!c) {
			*at = end ? end : p + 1;
			return 0;
		}
		p += 1 + c;
	}
}

/* RFC 2181 section 8: a TTL with the top bit set is read as 0. */
static __u32 rr_ttl(__u32 ttl)
{
	return ttl & 0x80000000u ? 0 : ttl;
}

int dns_parse_a(const unsigned char *msg, int len, __be32 current, __be32 *addr, __u32 *ttl)
{
	unsigned int count[SECTIONS];
	__u32 min_ttl = (__u32)-1;
	__be32 first = 0;
	bool found = false, has_current = false;
	size_t at = DNS_HEADER_LEN, size;

	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	size = len;
	for (int s = 0; s < SECTIONS; s++)
		count[s] = get16(msg + 4 + 2 * s);

	for (unsigned int i = 0; i < count[SECTION_QUESTION]; i++) {
		if (skip_name(msg, size, &at) || size - at < 4)
			return -EBADMSG;
		at += 4;	/* type, class */
	}
	for (int s = SECTION_ANSWER; s < SECTIONS; s++) {
		for (unsigned int i = 0; i < count[s]; i++) {
			unsigned int type, class, rdlen;
			__be32 a;

			if (skip_name(msg, size, &at) || size - at < 10)
				return -EBADMSG;
			type = get16(msg + at);
			class = get16(msg + at + 2);
			rdlen = get16(msg + at + 8);
			if (size - at - 10 < rdlen)
				return -EBADMSG;
			if (s == SECTION_ANSWER) {
				/* A CNAME's TTL bounds the answer as much as the A record's. */
				if (rr_ttl(get32(msg + at + 4)) < min_ttl)
					min_ttl = rr_ttl(get32(msg + at + 4));
				if (type == DNS_TYPE_A && class == DNS_CLASS_IN && rdlen == sizeof(a)) {
					memcpy(&a, msg + at + 10, sizeof(a));
					if (!found)
						first = a;
					if (current && a == current)
						has_current = true;
					found = true;
				}
			}
			at += 10 + rdlen;
		}
	}
	if (at != size)
		return -EBADMSG;
	if (!found)
		return -ENODATA;
	*addr = has_current ? current : first;
	*ttl = min_ttl;
	return 0;
}
