// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of `hairpin watch`: DNS answers (A records, CNAME chains, TTLs), NAT-PMP
 * (RFC 6886) replies, result codes and epochs, the default gateway from /proc/net/route, the
 * retry timing, and what source.c adds to every source's events. The sources themselves run
 * against dnsmasq, miniupnpd and rtnetlink in tests/net/test_watch_*.sh.
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
	int ancount_at;
};

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

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, n);
		memcpy(m->b + m->len, name, n);
		m->len += n;
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
	m->ancount_at = m->len;
	put16(m, 0);		/* ancount */
	put16(m, 0);
	put16(m, 0);
	put_name(m, name);
	put16(m, 1);		/* A */
	put16(m, 1);		/* IN */
}

static void msg_answer_count(struct msg *m)
{
	m->b[m->ancount_at + 1]++;
}

/* An RR owned by @owner (NULL: the question's name, by a compression pointer). */
static void rr_header(struct msg *m, const char *owner, int type, int class, unsigned long ttl)
{
	msg_answer_count(m);
	if (owner)
		put_name(m, owner);
	else
		put16(m, 0xc00c);
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
}

static void add_a(struct msg *m, const char *owner, const char *addr, unsigned long ttl)
{
	__be32 a = ip(addr);

	rr_header(m, owner, 1, 1, ttl);
	put16(m, 4);
	memcpy(m->b + m->len, &a, 4);
	m->len += 4;
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
	memset(m.b + m.len, 0x20, 16);
	m.len += 16;
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
	m.b[m.ancount_at + 1] = 2;	/* says two answers, has one */
	CHECK_EQ(dns_parse_a(m.b, m.len, 0, &addr, &ttl), -EBADMSG, "ancount too high");
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
