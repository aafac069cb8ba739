// SPDX-License-Identifier: GPL-2.0
/* NAT-PMP (RFC 6886) as loader/natpmp.c reads it, and the default gateway it asks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "natpmp.h"
#include "test.h"
#include "watch.h"

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
