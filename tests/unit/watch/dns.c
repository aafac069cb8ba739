// SPDX-License-Identifier: GPL-2.0
/* DNS answers (loader/dns.c), written out as the wire format (RFC 1035 section 4.1). */
#include <errno.h>
#include <string.h>

#include "dns.h"
#include "test.h"
#include "watch.h"

struct msg {
	unsigned char b[512];
	int len;
};

/* The offsets of the header's record counts, by section. */
enum { COUNT_AN = 6, COUNT_NS = 8, COUNT_AR = 10 };

static void put8(struct msg *m, unsigned int v)
{
	m->b[m->len++] = v;
}

static void put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, unsigned long v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_bytes(struct msg *m, const void *bytes, int len)
{
	memcpy(m->b + m->len, bytes, len);
	m->len += len;
}

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, n);
		put_bytes(m, name, n);
		name += n + (dot ? 1 : 0);
	}
	put8(m, 0);
}

/* A response to "NAME IN A", answer section empty so far. */
static void msg_start(struct msg *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);	/* id */
	put16(m, 0x8180);	/* response, RD, RA, NOERROR */
	put16(m, 1);		/* qdcount */
	put16(m, 0);		/* ancount */
	put16(m, 0);
	put16(m, 0);
	put_name(m, name);
	put16(m, 1);		/* A */
	put16(m, 1);		/* IN */
}

/* An RR's type, class and TTL, after its owner's name, in the section of @count_at. */
static void rr_rest(struct msg *m, int count_at, int type, int class, unsigned long ttl)
{
	m->b[count_at + 1]++;
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
}

/* An RR owned by @owner (NULL: the question's name, by a compression pointer). */
static void rr_header(struct msg *m, const char *owner, int type, int class, unsigned long ttl)
{
	if (owner)
		put_name(m, owner);
	else
		put16(m, 0xc00c);
	rr_rest(m, COUNT_AN, type, class, ttl);
}

/* An A record's data: its length and the address. */
static void put_a_data(struct msg *m, const char *addr)
{
	__be32 a = ip(addr);

	put16(m, 4);
	put_bytes(m, &a, 4);
}

static void add_a(struct msg *m, const char *owner, const char *addr, unsigned long ttl)
{
	rr_header(m, owner, 1, 1, ttl);
	put_a_data(m, addr);
}

static void add_cname(struct msg *m, const char *target, unsigned long ttl)
{
	int rdlen_at;

	rr_header(m, NULL, 5, 1, ttl);
	rdlen_at = m->len;
	put16(m, 0);
	put_name(m, target);
	m->b[rdlen_at + 1] = m->len - rdlen_at - 2;
}

/* One A record and its TTL. */
TEST(watch_dns_one_a_record)
{
	struct msg m;
	__be32 addr = 0;
	__u32 ttl = 0;

	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.8", 2);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.8"), "addr");
	CHECK_EQ(ttl, 2, "ttl");
}

/* A CNAME chain bounds the TTL. */
TEST(watch_dns_cname_chain_bounds_ttl)
{
	struct msg m;
	__be32 addr = 0;
	__u32 ttl = 0;

	msg_start(&m, "home.example.net");
	add_cname(&m, "dyn.example.org", 100);
	add_a(&m, "dyn.example.org", "203.0.113.9", 300);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.9"), "addr");
	CHECK_EQ(ttl, 100, "ttl: the CNAME's");
}

/* Several A records: the current one is kept, else the first. */
TEST(watch_dns_several_a_records_current_kept)
{
	struct msg m;
	__be32 addr = 0;
	__u32 ttl = 0;

	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.10", 60);
	add_a(&m, NULL, "203.0.113.11", 50);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.10"), "no current: the first");
	CHECK_EQ(ttl, 50, "ttl: the lowest");
	CHECK_EQ(dns_parse_a(m.b, m.len, ip("203.0.113.11"), &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.11"), "the current one, second in the answer");
	CHECK_EQ(dns_parse_a(m.b, m.len, ip("203.0.113.7"), &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.10"), "current not among them: the first");
}

/* Answers without a usable A record. */
TEST(watch_dns_no_usable_a_record)
{
	struct msg m;
	__be32 addr = ip("192.0.2.99");
	__u32 ttl = 77;
	int rdlen_at;

	msg_start(&m, "home.example.net");
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -ENODATA, "empty answer section");
	add_cname(&m, "dyn.example.org", 100);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -ENODATA, "a CNAME alone");
	/* an AAAA record */
	rr_header(&m, NULL, 28, 1, 60);
	put16(&m, 16);
	put_bytes(&m, "                ", 16);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -ENODATA, "AAAA only");
	/* an A record of class CHAOS, and one with 5 bytes of data */
	rr_header(&m, NULL, 1, 3, 60);
	put16(&m, 4);
	put32(&m, 0xcb007108);
	rr_header(&m, NULL, 1, 1, 60);
	rdlen_at = m.len;
	put16(&m, 5);
	put32(&m, 0xcb007108);
	put8(&m, 0);
	CHECK_EQ(m.b[rdlen_at + 1], 5, "rdlen");
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -ENODATA, "class CH, rdlen 5");
	CHECK_EQ(addr, ip("192.0.2.99"), "addr untouched");
	CHECK_EQ(ttl, 77, "ttl untouched");
}

/* Messages that do not parse. */
TEST(watch_dns_bad_messages)
{
	struct msg m;
	__be32 addr = ip("192.0.2.99");
	__u32 ttl = 77;

	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.8", 2);
	for (int len = 0; len < m.len; len++) {
		int err = dns_parse_a(m.b, len, 0, &addr, &ttl);

		CHECK(err == -EBADMSG, "cut to %d of %d bytes: %d", len, m.len, err);
	}
	CHECK_EQ(dns_parse_a(m.b, -1, 0, &addr, &ttl), -EBADMSG, "negative length");
	m.b[COUNT_AN + 1] = 2;	/* says two answers, has one */
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -EBADMSG, "ancount too high");
	m.b[COUNT_AN + 1] = 1;
	put8(&m, 0);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -EBADMSG, "a byte after the last record");
}

/* An RR of the authority (COUNT_NS) or additional (COUNT_AR) section. */
static void add_other(struct msg *m, int count_at, const char *owner, int type, int class,
		      unsigned long ttl, const void *rdata, int rdlen)
{
	put_name(m, owner);
	rr_rest(m, count_at, type, class, ttl);
	put16(m, rdlen);
	put_bytes(m, rdata, rdlen);
}

/* An A record whose owner is written out by the caller: @owner, @owner_len bytes. */
static void add_a_raw_owner(struct msg *m, const void *owner, int owner_len, const char *addr)
{
	put_bytes(m, owner, owner_len);
	rr_rest(m, COUNT_AN, 1, 1, 60);
	put_a_data(m, addr);
}

/* Whether an answer whose A record is owned by @owner (@len bytes) parses. */
static int parse_with_owner(const char *question, const void *owner, int len)
{
	struct msg m;
	__be32 addr;
	__u32 ttl;

	msg_start(&m, question);
	add_a_raw_owner(&m, owner, len, "203.0.113.8");
	return dns_parse_a(m.b, m.len, 0, &addr, &ttl);
}

/* Authority and additional records are walked, not used. */
TEST(watch_dns_other_sections)
{
	__be32 other_a = ip("203.0.113.9");
	struct msg m;
	__be32 addr = 0;
	__u32 ttl = 0;

	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.8", 300);
	add_other(&m, COUNT_NS, "example.net", 2, 1, 5, "\002ns\300\014", 5);	/* ns.<question> */
	/* An A record in the additional section, and EDNS's OPT (RFC 6891): root, type 41. */
	add_other(&m, COUNT_AR, "home.example.net", 1, 1, 600, &other_a, 4);
	add_other(&m, COUNT_AR, "", 41, 1232, 0, "", 0);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(addr, ip("203.0.113.8"), "the answer's address, not the additional one");
	CHECK_EQ(ttl, 300, "ttl: the answer section's only");
	m.b[COUNT_AR + 1]++;	/* one more additional record than there is */
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -EBADMSG, "arcount too high");
}

/* A TTL with its top bit set counts as 0 (RFC 2181 section 8). */
TEST(watch_dns_ttl_top_bit)
{
	struct msg m;
	__be32 addr = 0;
	__u32 ttl = 0;

	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.8", 0x80000001UL);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(ttl, 0, "ttl 2^31 + 1");
	msg_start(&m, "home.example.net");
	add_a(&m, NULL, "203.0.113.8", 0x7fffffffUL);
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), 0, "parse");
	CHECK_EQ(ttl, 0x7fffffff, "ttl 2^31 - 1");
}

/* Names and their compression (RFC 1035 sections 3.1 and 4.1.4). */
TEST(watch_dns_names)
{
	/* The question's name is at offset 12. */
	char long_name[300], owner[300];
	int n;

	CHECK_EQ(parse_with_owner("home.example.net", "\300\014", 2), 0, "a pointer to the question");
	CHECK_EQ(parse_with_owner("home.example.net", "\003www\300\014", 6), 0,
		 "a label, then a pointer");
	CHECK_EQ(parse_with_owner("home.example.net", "\300\021", 2), 0,
		 "a pointer to the question's second label");
	/* The header's bytes 4 and 5 (qdcount 1) would read as the root name. */
	CHECK_EQ(parse_with_owner("home.example.net", "\300\004", 2), -EBADMSG,
		 "a pointer into the header");
	/* The question ends at 12 + 18 + 4 = 34: the answer's owner starts there. */
	CHECK_EQ(parse_with_owner("home.example.net", "\300\042", 2), -EBADMSG,
		 "a pointer to itself");
	CHECK_EQ(parse_with_owner("home.example.net", "\001a\300\042", 4), -EBADMSG,
		 "a label, then a pointer back to it (a loop)");
	/* At 40, the A record's TTL (0, 0, 0, 60) would read as the root name. */
	CHECK_EQ(parse_with_owner("home.example.net", "\300\050", 2), -EBADMSG,
		 "a pointer forward");
	CHECK_EQ(parse_with_owner("home.example.net", "\300", 1), -EBADMSG,
		 "half a pointer");
	/* Lengths 64 and 128 are label types 01 and 10, not labels. */
	memset(owner, 'x', sizeof(owner));
	owner[0] = 0x40;
	owner[65] = 0;
	CHECK_EQ(parse_with_owner("home.example.net", owner, 66), -EBADMSG,
		 "label type 01 (extended, RFC 6891)");
	owner[0] = (char)0x80;
	owner[65] = 'x';
	owner[129] = 0;
	CHECK_EQ(parse_with_owner("home.example.net", owner, 130), -EBADMSG, "label type 10");

	/* 255 octets: three labels of 63, one of 61, the root. */
	memset(long_name, 'a', sizeof(long_name));
	long_name[63] = long_name[127] = long_name[191] = '.';
	long_name[191 + 62] = '\0';
	CHECK_EQ(parse_with_owner(long_name, "\300\014", 2), 0, "a name of 255 octets");
	long_name[191 + 62] = 'a';
	long_name[191 + 63] = '\0';
	CHECK_EQ(parse_with_owner(long_name, "\300\014", 2), -EBADMSG, "a name of 256 octets");
	/* 200 octets in the question; the owner adds a label of 55 (56 octets): 256. */
	long_name[191 + 7] = '\0';
	n = 0;
	owner[n++] = 55;
	memset(owner + n, 'b', 55);
	n += 55;
	owner[n++] = (char)0xc0;
	owner[n++] = 12;
	CHECK_EQ(parse_with_owner(long_name, owner, n), -EBADMSG,
		 "256 octets through a pointer");
	owner[0] = 54;
	memmove(owner + 55, owner + 56, 2);
	CHECK_EQ(parse_with_owner(long_name, owner, n - 1), 0, "255 octets through a pointer");
}

/* TTL clamped to [30 s, 1 h]. */
TEST(watch_dns_ttl_clamped)
{
	CHECK_EQ(dns_clamp_ttl(0), 30, "0");
	CHECK_EQ(dns_clamp_ttl(2), 30, "2");
	CHECK_EQ(dns_clamp_ttl(30), 30, "30");
	CHECK_EQ(dns_clamp_ttl(300), 300, "300");
	CHECK_EQ(dns_clamp_ttl(3600), 3600, "3600");
	CHECK_EQ(dns_clamp_ttl(86400), 3600, "86400");
	CHECK_EQ(dns_clamp_ttl(0xffffffff), 3600, "2^32-1");
}
