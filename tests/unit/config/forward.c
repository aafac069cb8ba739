// SPDX-License-Identifier: GPL-2.0
/*
 * The [Forward] sections: Protocol, Port, Target, and how many there may be.
 */
#include "parse.h"

TEST(config_no_forward)
{
	CHECK_ERROR(INTERFACE, "hairpin.conf: no [Forward] section (at least one is needed)");
}

TEST(config_protocol)
{
	CHECK_OK(INTERFACE "[Forward]\nProtocol = UDP\nPort = 1\n[Forward]\nProtocol = Tcp\nPort = 1\n");
	CHECK_EQ(conf.forwards[0].protocol, IPPROTO_UDP, "UDP");
	CHECK_EQ(conf.forwards[1].protocol, IPPROTO_TCP, "Tcp");
	CHECK_ERROR(INTERFACE "[Forward]\nProtocol = sctp\n",
		    "hairpin.conf:4: Protocol is not udp or tcp: `sctp'");
	CHECK_ERROR(INTERFACE "[Forward]\nProtocol = 17\n",
		    "hairpin.conf:4: Protocol is not udp or tcp: `17'");
	CHECK_ERROR(INTERFACE "[Forward]\nProtocol = udp,tcp\n",
		    "hairpin.conf:4: Protocol is not udp or tcp: `udp,tcp'");
}

TEST(config_port)
{
	static const char *const bad[] = {
		"0", "65536", "70000", "-1", "+1", "0x50", "5 1", "51820a", "1e3", "80.0",
		"99999999999999999999999999999", "00000000000000000000000000000000000000000",
	};
	char text[256], want[256];
	size_t i;

	CHECK_OK(INTERFACE "[Forward]\nProtocol = udp\nPort = 65535\n");
	CHECK_EQ(conf.forwards[0].port, 65535, "65535");
	CHECK_OK(INTERFACE "[Forward]\nProtocol = udp\nPort = 1\n");
	CHECK_EQ(conf.forwards[0].port, 1, "1");
	/* Leading zeros are decimal still, never octal. */
	CHECK_OK(INTERFACE "[Forward]\nProtocol = udp\nPort = 0080\n");
	CHECK_EQ(conf.forwards[0].port, 80, "0080");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), INTERFACE "[Forward]\nProtocol = udp\nPort = %s\n",
			 bad[i]);
		snprintf(want, sizeof(want),
			 "hairpin.conf:5: Port is not a number from 1 to 65535: `%s'", bad[i]);
		CHECK_ERROR(text, want);
	}
}

TEST(config_target)
{
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 10.0.0.2:0\n",
		    "hairpin.conf:4: Target port is not a number from 1 to 65535: `0'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 10.0.0.2:65536\n",
		    "hairpin.conf:4: Target port is not a number from 1 to 65535: `65536'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 10.0.0.2:\n",
		    "hairpin.conf:4: Target port is not a number from 1 to 65535: `'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 10.0.0.2:80:90\n",
		    "hairpin.conf:4: Target port is not a number from 1 to 65535: `80:90'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = :80\n",
		    "hairpin.conf:4: Target is not ADDRESS or ADDRESS:PORT: `:80'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = pi.lan:80\n",
		    "hairpin.conf:4: Target address is not an IPv4 address (a.b.c.d): `pi.lan'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 127.0.0.1:80\n",
		    "hairpin.conf:4: Target address is a loopback address: `127.0.0.1'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 0.0.0.0\n",
		    "hairpin.conf:4: Target address is 0.0.0.0, which is no host's address: `0.0.0.0'");
	CHECK_ERROR(INTERFACE "[Forward]\nTarget = 230.1.1.1\n",
		    "hairpin.conf:4: Target address is a multicast address: `230.1.1.1'");
}

/* [Forward] without Protocol or Port. */
TEST(config_forward_missing_keys)
{
	CHECK_ERROR(INTERFACE FORWARD "\n# second\n[Forward]\nProtocol = tcp\nTarget = 10.0.0.2\n",
		    "hairpin.conf:8: [Forward] has no Port: `[Forward]'");
	CHECK_ERROR(INTERFACE "[Forward]\nPort = 1\n" FORWARD,
		    "hairpin.conf:3: [Forward] has no Protocol: `[Forward]'");
	CHECK_ERROR(INTERFACE FORWARD "[Forward]\n",
		    "hairpin.conf:6: [Forward] has no Protocol: `[Forward]'");
}

/* Two [Forward] of the same protocol and port. */
TEST(config_forward_duplicate)
{
	CHECK_ERROR(INTERFACE FORWARD "\n[Forward]\nprotocol = UDP\nport = 51820\n",
		    "hairpin.conf:7: udp port 51820 is already forwarded by the [Forward] at line 3: `[Forward]'");
	CHECK_ERROR(INTERFACE "[Forward]\nProtocol = tcp\nPort = 22\n" FORWARD
		    "[Forward]\nProtocol = tcp\nPort = 22\nTarget = 10.0.0.9:2222\n",
		    "hairpin.conf:9: tcp port 22 is already forwarded by the [Forward] at line 3: `[Forward]'");
	/* udp and tcp ports are different ports. */
	CHECK_OK(INTERFACE FORWARD "[Forward]\nProtocol = tcp\nPort = 51820\n");
	CHECK_EQ(conf.n_forwards, 2, "n_forwards");
}

/* INTERFACE then n [Forward] of udp ports 1..n, three lines each. */
static char *forwards_config(int n)
{
	char *text;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	int i;

	fputs(INTERFACE, f);
	for (i = 0; i < n; i++)
		fprintf(f, "[Forward]\nProtocol = udp\nPort = %d\n", i + 1);
	fclose(f);
	return text;
}

/* At most HP_MAX_FORWARDS [Forward]. */
TEST(config_forward_limit)
{
	char *text;

	text = forwards_config(HP_MAX_FORWARDS);
	CHECK_OK(text);
	CHECK_EQ(conf.n_forwards, HP_MAX_FORWARDS, "n_forwards");
	CHECK_EQ(conf.forwards[HP_MAX_FORWARDS - 1].port, HP_MAX_FORWARDS, "last port");
	CHECK_EQ(conf.forwards[HP_MAX_FORWARDS - 1].line, 2 + 3 * (HP_MAX_FORWARDS - 1) + 1,
		 "last line");
	free(text);
	text = forwards_config(HP_MAX_FORWARDS + 2);
	CHECK_ERROR(text, "hairpin.conf:3075: more than 1024 [Forward] sections: `[Forward]'");
	free(text);
}
