// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of `hairpin watch`: DNS answers (A records, CNAME chains, TTLs, names and
 * their compression), NAT-PMP (RFC 6886) replies, result codes and epochs, the default gateway
 * from /proc/net/route, the retry timing, and what source.c adds to every source's events.
 * The sources themselves run against dnsmasq, miniupnpd and rtnetlink in
 * tests/net/test_watch_*.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "dns.h"
#include "natpmp.h"
#include "source.h"
#include "test.h"

static __be32 ip(const char *s)
{
	struct in_addr in = { 0 };

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

/* ---- DNS answers, written out as the wire format (RFC 1035 section 4.1) ------------------ */

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

/* ---- NAT-PMP ----------------------------------------------------------------------------- */

TEST(watch_natpmp_public_address_responses)
{
	const unsigned char ok[12] = { 0, 128, 0, 0, 0, 0, 0x01, 0x2c, 203, 0, 113, 8 };
	const unsigned char fail3[8] = { 0, 128, 0, 3, 0, 0, 0, 5 };
	unsigned char buf[16];
	struct natpmp_reply r;

	CHECK_EQ(natpmp_parse(ok, sizeof(ok), &r), 0, "parse");
	CHECK_EQ(r.result, 0, "result");
	CHECK_EQ(r.epoch, 300, "epoch");
	CHECK_EQ(r.addr, ip("203.0.113.8"), "addr");
	/* A longer packet: the first 12 bytes are the response. */
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, ok, sizeof(ok));
	CHECK_EQ(natpmp_parse(buf, 16, &r), 0, "16 bytes");
	CHECK_EQ(r.addr, ip("203.0.113.8"), "addr of 16 bytes");
	/* An error comes in 8 bytes (miniupnpd) or 12: the address is undefined then. */
	CHECK_EQ(natpmp_parse(fail3, sizeof(fail3), &r), 0, "result 3 in 8 bytes");
	CHECK_EQ(r.result, 3, "result 3");
	CHECK_EQ(r.epoch, 5, "epoch of the error");
	CHECK_EQ(r.addr, 0, "no address with an error");
}

/* What is not a public address response is ignored. */
TEST(watch_natpmp_other_responses_ignored)
{
	const unsigned char ok[12] = { 0, 128, 0, 0, 0, 0, 0x01, 0x2c, 203, 0, 113, 8 };
	const unsigned char fail3[8] = { 0, 128, 0, 3, 0, 0, 0, 5 };
	unsigned char buf[16];
	struct natpmp_reply r;

	CHECK_EQ(natpmp_parse(ok, 11, &r), -EBADMSG, "11 bytes with result 0");
	CHECK_EQ(natpmp_parse(fail3, 7, &r), -EBADMSG, "7 bytes");
	CHECK_EQ(natpmp_parse(ok, 0, &r), -EBADMSG, "0 bytes");
	memcpy(buf, ok, sizeof(ok));
	buf[0] = 2;	/* PCP */
	CHECK_EQ(natpmp_parse(buf, 12, &r), -EBADMSG, "version 2");
	buf[0] = 0;
	buf[1] = 0;	/* our own request, looped back */
	CHECK_EQ(natpmp_parse(buf, 12, &r), -EBADMSG, "a request");
	buf[1] = 129;	/* a UDP mapping response */
	CHECK_EQ(natpmp_parse(buf, 12, &r), -EBADMSG, "opcode 129");
}

/* Result codes. */
TEST(watch_natpmp_result_codes)
{
	CHECK_STR(natpmp_result_text(0), "success", "0");
	CHECK_STR(natpmp_result_text(1), "unsupported version", "1");
	CHECK_STR(natpmp_result_text(2), "not authorized", "2");
	CHECK_STR(natpmp_result_text(3), "network failure", "3");
	CHECK_STR(natpmp_result_text(4), "out of resources", "4");
	CHECK_STR(natpmp_result_text(5), "unsupported opcode", "5");
	CHECK_STR(natpmp_result_text(77), "result code 77", "77");
}

/* The epoch going back means a restart (RFC 6886 3.6). */
TEST(watch_natpmp_epoch_back_is_restart)
{
	/* 8 s later, 7/8 of it is 7 s: 107 expected, 2 s of slack. */
	CHECK(!natpmp_epoch_went_back(100, 1000, 108, 9000), "108: ahead");
	CHECK(!natpmp_epoch_went_back(100, 1000, 105, 9000), "105: within 2 s");
	CHECK(natpmp_epoch_went_back(100, 1000, 104, 9000), "104: back");
	CHECK(natpmp_epoch_went_back(1000000, 1000, 3, 9000), "a restart");
	CHECK(!natpmp_epoch_went_back(100, 5000, 98, 5000), "no time passed, 2 s below");
	CHECK(natpmp_epoch_went_back(100, 5000, 97, 5000), "no time passed, 3 s below");
	/* The local clock can't go back on CLOCK_BOOTTIME, but must not wrap if it did. */
	CHECK(!natpmp_epoch_went_back(100, 9000, 100, 1000), "clock going back");
	/* An epoch near 2^32 does not overflow the expectation. */
	CHECK(!natpmp_epoch_went_back(0xfffffff0, 0, 0xffffffff, 16000), "near 2^32");
}

static int gateway_of(const char *text, __be32 *gw)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	if (!f)
		return -errno;
	err = natpmp_default_gateway(f, gw);
	fclose(f);
	return err;
}

#define ROUTE_HEADER "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t" \
		     "Window\tIRTT\n"

/* The default gateway from /proc/net/route. */
TEST(watch_natpmp_default_gateway)
{
	char line[160], text[1024];
	__be32 gw = 0, want = ip("198.51.100.1"), other = ip("192.0.2.254");

	/* The kernel prints each __be32 with %08X: the bytes as this host's integer. */
	snprintf(text, sizeof(text), ROUTE_HEADER
		 "lan0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		 "wan0\t00000000\t%08X\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", want);
	CHECK_EQ(gateway_of(text, &gw), 0, "one default route");
	CHECK_EQ(gw, want, "gateway");

	/* Two default routes: the lower metric; a down or gateway-less one does not count. */
	snprintf(text, sizeof(text), ROUTE_HEADER
		 "wwan0\t00000000\t%08X\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
		 "wan0\t00000000\t%08X\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		 "wan1\t00000000\t%08X\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
		 "ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", other, want, other);
	CHECK_EQ(gateway_of(text, &gw), 0, "several default routes");
	CHECK_EQ(gw, want, "the lowest metric that is up and has a gateway");

	snprintf(line, sizeof(line), "wan0\t00000000\t%08X\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n",
		 want);
	snprintf(text, sizeof(text), ROUTE_HEADER "%s", line);
	gw = 0;
	CHECK_EQ(gateway_of(text, &gw), -ENETUNREACH, "a /16 is not a default route");
	CHECK_EQ(gateway_of(ROUTE_HEADER, &gw), -ENETUNREACH, "no routes");
	CHECK_EQ(gateway_of("", &gw), -ENETUNREACH, "empty");
	CHECK_EQ(gateway_of("garbage\n\n\t\n", &gw), -ENETUNREACH, "garbage");
	CHECK_EQ(gw, 0, "untouched");
}

/* Retries after failures: 5 s doubling up to 5 min. */
TEST(watch_backoff)
{
	CHECK_EQ(backoff_ms(1), 5000, "1");
	CHECK_EQ(backoff_ms(2), 10000, "2");
	CHECK_EQ(backoff_ms(3), 20000, "3");
	CHECK_EQ(backoff_ms(6), 160000, "6");
	CHECK_EQ(backoff_ms(7), 300000, "7");
	CHECK_EQ(backoff_ms(1000), 300000, "1000");
	CHECK_EQ(backoff_ms(0), 5000, "0");
}

/* ---- what source.c adds to every source ------------------------------------------------ */

/* A source whose steps report what the test puts in @script, one event a step. */
struct scripted_source {
	struct source base;
	const struct source_event *script;
	int next;
};

static void scripted_step(struct source *s, __u64 now, __be32 current, struct source_events *out)
{
	struct scripted_source *src = (struct scripted_source *)s;
	const struct source_event *want = &src->script[src->next++];
	struct source_event *ev = source_event_add(out, want->type);

	ev->addr = want->addr;
	memcpy(ev->text, want->text, sizeof(ev->text));
}

static const struct source_ops scripted_ops = { .step = scripted_step };

/* A failure repeats the one before it until an answer comes between. */
TEST(watch_source_failure_repeated)
{
	static const struct source_event script[] = {
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_NOTICE, .text = "something else" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_FAILED, .text = "no answer from the resolver" },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
		{ .type = SOURCE_ADDRESS, .addr = 1 },
		{ .type = SOURCE_FAILED, .text = "no such name (NXDOMAIN)" },
	};
	static const bool repeated[] = { false, true, false, true, false, false, false, false };
	struct scripted_source src = { .base.ops = &scripted_ops, .script = script };
	struct source_events out;

	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		CHECK_EQ(source_step(&src.base, 0, 0, &out), 1, "one event");
		CHECK(out.event[0].repeated == repeated[i], "step %zu (%s): repeated %d", i,
		      script[i].text, out.event[0].repeated);
	}
}

/* A step never writes past SOURCE_MAX_EVENTS: the last event is overwritten. */
TEST(watch_source_events_bounded)
{
	struct source_events out = { 0 };

	for (int i = 0; i < SOURCE_MAX_EVENTS + 3; i++)
		source_event_add(&out, SOURCE_NOTICE)->addr = i;
	CHECK_EQ(out.n, SOURCE_MAX_EVENTS, "events");
	CHECK_EQ(out.event[SOURCE_MAX_EVENTS - 1].addr, SOURCE_MAX_EVENTS + 2, "the last overwritten");
}
