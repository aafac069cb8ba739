// SPDX-License-Identifier: GPL-2.0
/*
 * PublicAddressFrom: interface:, dns: and natpmp, every rule and its message.
 */
#include "parse.h"

TEST(config_public_address_from)
{
	CHECK_OK(INTERFACE FORWARD);
	CHECK_EQ(conf.addr_from, HP_ADDR_FROM_NONE, "default");
	CHECK_EQ(conf.addr_from_line, 0, "default line");
	CHECK(!strcmp(config_addr_from_name(HP_ADDR_FROM_NONE), "none"), "name of none");

	CHECK_OK(INTERFACE "PublicAddressFrom = dns:home.example.net\n" FORWARD);
	CHECK_EQ(conf.addr_from, HP_ADDR_FROM_DNS, "dns");
	CHECK_STR(conf.addr_from_name, "home.example.net", "dns name");
	CHECK_EQ(strlen(conf.addr_from_name), 16, "dns name length");
	CHECK_EQ(conf.addr_from_line, 3, "dns line");
	CHECK(!strcmp(config_addr_from_name(conf.addr_from), "dns"), "name of dns");
	CHECK(!conf.has_public_addr, "no PublicAddress");

	/* Case-insensitive keyword, a trailing dot dropped, spaces after the colon trimmed. */
	CHECK_OK(INTERFACE "publicaddressfrom = DNS: Home-1.EXAMPLE.net.\n" FORWARD);
	CHECK_EQ(conf.addr_from, HP_ADDR_FROM_DNS, "DNS:");
	CHECK(!strcmp(conf.addr_from_name, "Home-1.EXAMPLE.net"), "name %s", conf.addr_from_name);
	CHECK_OK(INTERFACE "PublicAddressFrom = dns:1.example.net\n" FORWARD);
	CHECK_OK(INTERFACE "PublicAddressFrom = dns:example.n3t\n" FORWARD);

	CHECK_OK(INTERFACE "PublicAddressFrom = natpmp\n" FORWARD);
	CHECK_EQ(conf.addr_from, HP_ADDR_FROM_NATPMP, "natpmp");
	CHECK_EQ(conf.addr_from_name[0], '\0', "natpmp has no name");
	CHECK(!strcmp(config_addr_from_name(conf.addr_from), "natpmp"), "name of natpmp");

	CHECK_OK(INTERFACE "PublicAddressFrom = interface:ppp0\n" FORWARD);
	CHECK_EQ(conf.addr_from, HP_ADDR_FROM_INTERFACE, "interface");
	CHECK(!strcmp(conf.addr_from_name, "ppp0"), "ifname %s", conf.addr_from_name);
	CHECK(!strcmp(config_addr_from_name(conf.addr_from), "interface"), "name of interface");
	CHECK_OK(INTERFACE "PublicAddressFrom = Interface:abcdefghijklmno\n" FORWARD);
	CHECK(!strcmp(conf.addr_from_name, "abcdefghijklmno"), "15 characters");

	/* With PublicAddress, which is then the starting value; in either order. */
	CHECK_OK("[Interface]\nPublicAddressFrom = natpmp\nDevice = lan0\n"
		 "PublicAddress = 203.0.113.7\n" FORWARD);
	CHECK(conf.has_public_addr, "has_public_addr");
	CHECK_EQ(conf.public_addr, ip("203.0.113.7"), "public_addr");
	CHECK_EQ(conf.addr_from_line, 2, "line");
}

TEST(config_public_address_from_errors)
{
	char long_name[300], long_label[80], text[400], want[600];

	CHECK_ERROR(INTERFACE "PublicAddressFrom = upnp\n",
		    "hairpin.conf:3: PublicAddressFrom is not dns:NAME, natpmp or interface:NAME: "
		    "`upnp'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = natpmp:198.51.100.1\n",
		    "hairpin.conf:3: PublicAddressFrom is not dns:NAME, natpmp or interface:NAME: "
		    "`natpmp:198.51.100.1'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = home.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom is not dns:NAME, natpmp or interface:NAME: "
		    "`home.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns :home.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom is not dns:NAME, natpmp or interface:NAME: "
		    "`dns :home.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = natpmp\nPublicAddressFrom = natpmp\n",
		    "hairpin.conf:4: PublicAddressFrom is given twice in one [Interface]: "
		    "`PublicAddressFrom'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom =\n",
		    "hairpin.conf:3: PublicAddressFrom has no value: `PublicAddressFrom ='");
	CHECK_ERROR("[Forward]\nPublicAddressFrom = natpmp\n",
		    "hairpin.conf:2: unknown key in [Forward]: `PublicAddressFrom'");

	/* DNS names */
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:\n",
		    "hairpin.conf:3: PublicAddressFrom has an empty DNS name: `dns:'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:.\n",
		    "hairpin.conf:3: PublicAddressFrom has an empty DNS name: `dns:.'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:home..example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has an empty label: "
		    "`dns:home..example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has an empty label: "
		    "`dns:.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:example.net..\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has an empty label: "
		    "`dns:example.net..'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:home\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has no dot (a fully qualified name "
		    "is needed): `dns:home'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:203.0.113.7\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name ends in an all-numeric label (an "
		    "address goes in PublicAddress): `dns:203.0.113.7'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:home_1.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a character other than a "
		    "letter, digit, '-' or '.': `dns:home_1.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:home example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a character other than a "
		    "letter, digit, '-' or '.': `dns:home example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:*.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a character other than a "
		    "letter, digit, '-' or '.': `dns:*.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:h\xc3\xa9.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a character other than a "
		    "letter, digit, '-' or '.': `dns:h\\xc3\\xa9.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:-home.example.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a label that starts or ends "
		    "with '-': `dns:-home.example.net'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = dns:home.example-.net\n",
		    "hairpin.conf:3: PublicAddressFrom DNS name has a label that starts or ends "
		    "with '-': `dns:home.example-.net'");

	/* 63 characters in a label, 253 in all: the longest; one more is refused. */
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	snprintf(text, sizeof(text), INTERFACE "PublicAddressFrom = dns:%.63s.example.net\n" FORWARD,
		 long_label);
	CHECK_OK(text);
	snprintf(text, sizeof(text), INTERFACE "PublicAddressFrom = dns:%s.example.net\n",
		 long_label);
	snprintf(want, sizeof(want), "hairpin.conf:3: PublicAddressFrom DNS name has a label "
		 "longer than 63 characters: `dns:%s.example.net'", long_label);
	CHECK_ERROR(text, want);
	/* 4 labels of 61 and ".net": 4 * 62 + 3 = 251, then a 1-character label: 253. */
	memset(long_name, 'b', sizeof(long_name));
	for (int i = 61; i < 4 * 62; i += 62)
		long_name[i] = '.';
	memcpy(long_name + 4 * 62, "x.net", 6);
	CHECK_EQ(strlen(long_name), 253, "long_name length");
	snprintf(text, sizeof(text), INTERFACE "PublicAddressFrom = dns:%s.\n" FORWARD, long_name);
	CHECK_OK(text);
	CHECK_EQ(strlen(conf.addr_from_name), 253, "253 characters kept");
	memcpy(long_name + 4 * 62, "xy.net", 7);
	snprintf(text, sizeof(text), INTERFACE "PublicAddressFrom = dns:%s\n", long_name);
	snprintf(want, sizeof(want), "hairpin.conf:3: PublicAddressFrom DNS name is longer than "
		 "253 characters: `dns:%.196s...'", long_name);
	CHECK_ERROR(text, want);

	/* Interface names */
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:\n",
		    "hairpin.conf:3: PublicAddressFrom interface name is empty: `interface:'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:abcdefghijklmnop\n",
		    "hairpin.conf:3: PublicAddressFrom interface name is longer than 15 "
		    "characters: `interface:abcdefghijklmnop'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:ppp0:1\n",
		    "hairpin.conf:3: PublicAddressFrom interface name contains '/' or ':': "
		    "`interface:ppp0:1'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:ppp 0\n",
		    "hairpin.conf:3: PublicAddressFrom interface name contains a space: "
		    "`interface:ppp 0'");
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:..\n",
		    "hairpin.conf:3: PublicAddressFrom interface name cannot be . or ..: "
		    "`interface:..'");
	/* The LAN does not hold the public address; found wherever the Device is listed. */
	CHECK_ERROR(INTERFACE "PublicAddressFrom = interface:lan0\n" FORWARD,
		    "hairpin.conf:3: PublicAddressFrom names a Device, which is the LAN, not the "
		    "interface that holds the public address: `lan0'");
	CHECK_ERROR("[Interface]\nPublicAddressFrom = interface:lan1\nDevice = lan0, lan1\n"
		    FORWARD,
		    "hairpin.conf:2: PublicAddressFrom names a Device, which is the LAN, not the "
		    "interface that holds the public address: `lan1'");
}
