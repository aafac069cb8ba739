// SPDX-License-Identifier: GPL-2.0
/*
 * What the configuration says of flows: Roaming in [Forward], the flow timeouts and the limit
 * of new flows in [Interface], their defaults and every rule of their values.
 */
#include "parse.h"

TEST(config_flow_defaults)
{
	CHECK_OK(INTERFACE FORWARD);
	CHECK_EQ(conf.timeouts[HP_TIMEOUT_UDP], 30, "UDPTimeout");
	CHECK_EQ(conf.timeouts[HP_TIMEOUT_UDP_STREAM], 180, "UDPStreamTimeout");
	CHECK_EQ(conf.timeouts[HP_TIMEOUT_TCP_SYN], 120, "TCPSynTimeout");
	CHECK_EQ(conf.timeouts[HP_TIMEOUT_TCP_ESTABLISHED], 7440, "TCPEstablishedTimeout");
	CHECK_EQ(conf.timeouts[HP_TIMEOUT_TCP_CLOSING], 120, "TCPClosingTimeout");
	CHECK_EQ(conf.new_flow_rate, 100, "NewFlowRate");
	CHECK_EQ(conf.new_flow_burst, 200, "NewFlowBurst");
	CHECK_EQ(conf.forwards[0].roaming, false, "Roaming");
}

TEST(config_timeouts)
{
	static const struct {
		const char *text;
		__u32 seconds;
	} good[] = {
		{ "45", 45 }, { "45s", 45 }, { "3m", 180 }, { "2h", 7200 }, { "1d", 86400 },
		{ "30d", 30 * 86400 }, { "1", 1 }, { "2592000", 2592000 }, { "10 m", 600 },
		{ "5M", 300 },
	};
	static const char *const bad[] = {
		"0", "0s", "31d", "2592001", "-1", "1.5m", "m", "30ms", "1w", "1h30m", "", "0x10",
		"99999999999999999999",
	};
	char text[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), INTERFACE "UDPStreamTimeout = %s\n" FORWARD,
			 good[i].text);
		CHECK_OK(text);
		CHECK_EQ(conf.timeouts[HP_TIMEOUT_UDP_STREAM], good[i].seconds, good[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!*bad[i])
			continue;	/* "no value" has its own message, tested with the keys */
		snprintf(text, sizeof(text), INTERFACE "TCPClosingTimeout = %s\n" FORWARD, bad[i]);
		snprintf(want, sizeof(want),
			 "hairpin.conf:3: TCPClosingTimeout is not a duration from 1s to 30d "
			 "(seconds, or with s, m, h or d): `%s'", bad[i]);
		CHECK_ERROR(text, want);
	}
	CHECK_OK(INTERFACE "udptimeout = 10\nUDPSTREAMTIMEOUT = 20\ntcpsyntimeout = 30\n"
		 "TcpEstablishedTimeout = 40\nTCPClosingTimeout = 50\n" FORWARD);
	CHECK(conf.timeouts[HP_TIMEOUT_UDP] == 10 && conf.timeouts[HP_TIMEOUT_UDP_STREAM] == 20 &&
	      conf.timeouts[HP_TIMEOUT_TCP_SYN] == 30 &&
	      conf.timeouts[HP_TIMEOUT_TCP_ESTABLISHED] == 40 &&
	      conf.timeouts[HP_TIMEOUT_TCP_CLOSING] == 50,
	      "each key sets its own timeout");
	CHECK_ERROR(INTERFACE "UDPTimeout = 10\nUDPTimeout = 20\n" FORWARD,
		    "hairpin.conf:4: UDPTimeout is given twice in one [Interface]: `UDPTimeout'");
}

TEST(config_new_flow_limit)
{
	CHECK_OK(INTERFACE "NewFlowRate = 5\nNewFlowBurst = 7\n" FORWARD);
	CHECK_EQ(conf.new_flow_rate, 5, "NewFlowRate");
	CHECK_EQ(conf.new_flow_burst, 7, "NewFlowBurst");
	CHECK_OK(INTERFACE "NewFlowRate = unlimited\n" FORWARD);
	CHECK_EQ(conf.new_flow_rate, 0, "NewFlowRate = unlimited");
	CHECK_OK(INTERFACE "NewFlowRate = 100000\nNewFlowBurst = 100000\n" FORWARD);
	CHECK_ERROR(INTERFACE "NewFlowRate = 0\n" FORWARD,
		    "hairpin.conf:3: NewFlowRate is not a number from 1 to 100000, or unlimited: `0'");
	CHECK_ERROR(INTERFACE "NewFlowRate = 100001\n" FORWARD,
		    "hairpin.conf:3: NewFlowRate is not a number from 1 to 100000, or unlimited: `100001'");
	CHECK_ERROR(INTERFACE "NewFlowBurst = unlimited\n" FORWARD,
		    "hairpin.conf:3: NewFlowBurst is not a number from 1 to 100000: `unlimited'");
	CHECK_ERROR(INTERFACE "NewFlowBurst = 0\n" FORWARD,
		    "hairpin.conf:3: NewFlowBurst is not a number from 1 to 100000: `0'");
}

TEST(config_roaming)
{
	static const char *const yes[] = { "yes", "Yes", "true", "on", "1" };
	static const char *const no[] = { "no", "NO", "false", "off", "0" };
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), INTERFACE FORWARD "Roaming = %s\n", yes[i]);
		CHECK_OK(text);
		CHECK_EQ(conf.forwards[0].roaming, true, yes[i]);
		snprintf(text, sizeof(text), INTERFACE FORWARD "Roaming = %s\n", no[i]);
		CHECK_OK(text);
		CHECK_EQ(conf.forwards[0].roaming, false, no[i]);
	}
	CHECK_ERROR(INTERFACE FORWARD "Roaming = maybe\n",
		    "hairpin.conf:6: Roaming is not yes or no: `maybe'");
	CHECK_ERROR(INTERFACE "Roaming = yes\n" FORWARD,
		    "hairpin.conf:3: unknown key in [Interface]: `Roaming'");
}
