// SPDX-License-Identifier: GPL-2.0
/*
 * Lines and sections: the contract's example and hairpin.conf.example as a whole, the
 * defaults, every key; case, comments and whitespace, the order of sections; lines that are
 * not [Section] or Key = Value, unknown names, repeated keys, empty values, long lines and
 * odd bytes.
 */
#include "parse.h"

/* The example of the contract (/work/shared/contract.md), verbatim. */
static const char contract_example[] =
	"[Interface]\n"
	"# the interface of the LAN whose clients must reach the public address; several may be\n"
	"# listed, comma-separated\n"
	"Device = lan0\n"
	"# auto: native XDP where the driver has it, else tc. xdp: native XDP or fail. tc: tc only.\n"
	"Mode = auto\n"
	"# the router's public IPv4 address\n"
	"PublicAddress = 203.0.113.7\n"
	"# optional; default: the first IPv4 address of the first Device\n"
	"LocalAddress = 198.51.100.1\n"
	"\n"
	"# one section per port that the router forwards; at least one\n"
	"[Forward]\n"
	"# udp or tcp\n"
	"Protocol = udp\n"
	"# the port forwarded on the router\n"
	"Port = 51820\n"
	"# optional; default: LocalAddress:Port. An address of this host.\n"
	"Target = 198.51.100.1:51820\n";

/* The contract's example. */
TEST(config_contract_example)
{
	CHECK_OK(contract_example);
	CHECK_EQ(conf.n_devices, 1, "n_devices");
	CHECK_STR(conf.devices[0], "lan0", "devices[0]");
	CHECK_EQ(strlen(conf.devices[0]), 4, "strlen(devices[0])");
	CHECK_EQ(conf.device_line, 4, "device_line");
	CHECK_EQ(conf.interface_line, 1, "interface_line");
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_AUTO, "mode");
	CHECK(conf.has_public_addr, "has_public_addr");
	CHECK_EQ(conf.public_addr, ip("203.0.113.7"), "public_addr");
	CHECK_EQ(conf.public_addr_line, 8, "public_addr_line");
	CHECK(conf.has_local_addr, "has_local_addr");
	CHECK_EQ(conf.local_addr, ip("198.51.100.1"), "local_addr");
	CHECK_EQ(conf.local_addr_line, 10, "local_addr_line");
	CHECK_EQ(conf.n_forwards, 1, "n_forwards");
	CHECK_EQ(conf.forwards[0].protocol, IPPROTO_UDP, "protocol");
	CHECK_EQ(conf.forwards[0].port, 51820, "port (host order)");
	CHECK_EQ(conf.forwards[0].target_addr, ip("198.51.100.1"), "target_addr");
	CHECK_EQ(conf.forwards[0].target_port, 51820, "target_port (host order)");
	CHECK_EQ(conf.forwards[0].line, 13, "forward line");
	CHECK_EQ(conf.forwards[0].target_line, 19, "target_line");
	CHECK_EQ(conf.lineno, 19, "lineno");
}

/* hairpin.conf.example. */
TEST(config_example_file)
{
	/* tests/run runs every test from the top of the tree. */
	const char *path = "hairpin.conf.example";

	if (access(path, R_OK)) {
		test_skip("%s not found from %s", path, getcwd(NULL, 0));
		return;
	}
	CHECK(config_load(&conf, path) == 0, "config_load: %s", conf.error);
	CHECK(conf.n_devices >= 1, "n_devices %d", conf.n_devices);
	CHECK(conf.n_forwards >= 1, "n_forwards %d", conf.n_forwards);
	CHECK_EQ(conf.forwards[0].protocol, IPPROTO_UDP, "protocol");
	CHECK_EQ(conf.forwards[0].port, 51820, "port");
}

/* Defaults of the optional keys. */
TEST(config_defaults)
{
	CHECK_OK(INTERFACE FORWARD);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_AUTO, "mode");
	CHECK(!conf.has_public_addr, "has_public_addr");
	CHECK_EQ(conf.public_addr, 0, "public_addr");
	CHECK_EQ(conf.public_addr_line, 0, "public_addr_line");
	CHECK(!conf.has_local_addr, "has_local_addr");
	CHECK_EQ(conf.local_addr, 0, "local_addr");
	CHECK_EQ(conf.forwards[0].target_addr, 0, "target_addr");
	CHECK_EQ(conf.forwards[0].target_port, 0, "target_port");
	CHECK_EQ(conf.forwards[0].target_line, 0, "target_line");
}

TEST(config_every_key)
{
	CHECK_OK("[Interface]\n"
		 "Device = lan0, wlan0,br-lan\n"
		 "Mode = tc\n"
		 "PublicAddress = 192.0.2.1\n"
		 "LocalAddress = 10.0.0.2\n"
		 "[Forward]\n"
		 "Protocol = tcp\n"
		 "Port = 443\n"
		 "Target = 10.0.0.3\n"
		 "[Forward]\n"
		 "Protocol = udp\n"
		 "Port = 1\n"
		 "Target = 10.0.0.4:65535\n"
		 "[Forward]\n"
		 "Protocol = udp\n"
		 "Port = 65535\n");
	CHECK_EQ(conf.n_devices, 3, "n_devices");
	CHECK(!strcmp(conf.devices[0], "lan0"), "devices[0] %s", conf.devices[0]);
	CHECK(!strcmp(conf.devices[1], "wlan0"), "devices[1] %s", conf.devices[1]);
	CHECK(!strcmp(conf.devices[2], "br-lan"), "devices[2] %s", conf.devices[2]);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_TC, "mode");
	CHECK_EQ(conf.public_addr, ip("192.0.2.1"), "public_addr");
	CHECK_EQ(conf.local_addr, ip("10.0.0.2"), "local_addr");
	CHECK_EQ(conf.local_addr_line, 5, "local_addr_line");
	CHECK_EQ(conf.n_forwards, 3, "n_forwards");
	CHECK_EQ(conf.forwards[0].protocol, IPPROTO_TCP, "[0] protocol");
	CHECK_EQ(conf.forwards[0].port, 443, "[0] port");
	CHECK_EQ(conf.forwards[0].target_addr, ip("10.0.0.3"), "[0] target_addr");
	CHECK_EQ(conf.forwards[0].target_port, 0, "[0] target_port");
	CHECK_EQ(conf.forwards[0].line, 6, "[0] line");
	CHECK_EQ(conf.forwards[0].target_line, 9, "[0] target_line");
	CHECK_EQ(conf.forwards[1].port, 1, "[1] port");
	CHECK_EQ(conf.forwards[1].target_addr, ip("10.0.0.4"), "[1] target_addr");
	CHECK_EQ(conf.forwards[1].target_port, 65535, "[1] target_port");
	CHECK_EQ(conf.forwards[1].line, 10, "[1] line");
	CHECK_EQ(conf.forwards[2].port, 65535, "[2] port");
	CHECK_EQ(conf.forwards[2].target_line, 0, "[2] target_line");
}

/* Section, key and value names are case-insensitive. */
TEST(config_case_insensitive)
{
	CHECK_OK("[INTERFACE]\n"
		 "dEVICE = Lan0\n"
		 "mode = XdP\n"
		 "PUBLICADDRESS = 192.0.2.1\n"
		 "localaddress = 10.0.0.2\n"
		 "[forward]\n"
		 "PROTOCOL = TCP\n"
		 "port = 80\n"
		 "tArGeT = 10.0.0.2:8080\n");
	/* Interface names are the kernel's, and the kernel tells lan0 from Lan0. */
	CHECK(!strcmp(conf.devices[0], "Lan0"), "device keeps its case: %s", conf.devices[0]);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_XDP, "mode");
	CHECK_EQ(conf.forwards[0].protocol, IPPROTO_TCP, "protocol");
	CHECK_EQ(conf.forwards[0].target_port, 8080, "target_port");
	CHECK_OK("[Interface]\nDevice = lan0, LAN0\n" FORWARD);
	CHECK_EQ(conf.n_devices, 2, "lan0 and LAN0 are two devices");
}

/* Comments, blank lines and whitespace. */
TEST(config_comments_and_whitespace)
{
	CHECK_OK("# a comment before any section\n"
		 "\n"
		 "   \t\n"
		 "  [ Interface ]   # the LAN side\r\n"
		 "\tDevice=lan0#no space before the comment\r\n"
		 "#Device = ignored\n"
		 "   #  PublicAddress = 127.0.0.1\n"
		 "Mode\t=\t tc \t\n"
		 "[Forward]#\n"
		 "Protocol =udp\n"
		 "Port= 51820 # WireGuard\n"
		 "  Target  =  10.0.0.2:1  \n"
		 "#");
	CHECK_EQ(conf.n_devices, 1, "n_devices");
	CHECK(!strcmp(conf.devices[0], "lan0"), "device: \"%s\"", conf.devices[0]);
	CHECK_EQ(conf.device_line, 5, "device_line");
	CHECK(!conf.has_public_addr, "commented-out PublicAddress was read");
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_TC, "mode");
	CHECK_EQ(conf.forwards[0].line, 9, "forward line");
	CHECK_EQ(conf.forwards[0].port, 51820, "port");
	CHECK_EQ(conf.forwards[0].target_addr, ip("10.0.0.2"), "target_addr");
	CHECK_EQ(conf.forwards[0].target_port, 1, "target_port");
	CHECK_EQ(conf.lineno, 13, "lineno");
}

/* Sections in any order. */
TEST(config_forward_before_interface)
{
	CHECK_OK(FORWARD "[Forward]\nPort = 53\nProtocol = tcp\n" INTERFACE);
	CHECK_EQ(conf.n_forwards, 2, "n_forwards");
	CHECK_EQ(conf.forwards[1].line, 4, "second forward line");
	CHECK_EQ(conf.interface_line, 7, "interface_line");
	CHECK_EQ(conf.device_line, 8, "device_line");
}

/* A key before any section. */
TEST(config_key_before_section)
{
	CHECK_ERROR("# hairpin\n  Device = lan0  \n" INTERFACE FORWARD,
		    "hairpin.conf:2: Key = Value before any [Section] header: `Device = lan0'");
	CHECK_ERROR("Bogus = 1\n",
		    "hairpin.conf:1: Key = Value before any [Section] header: `Bogus = 1'");
}

/* A line that is neither [Section] nor Key = Value. */
TEST(config_not_a_line)
{
	CHECK_ERROR(INTERFACE "lan1 # a device\n" FORWARD,
		    "hairpin.conf:3: not a [Section] header or Key = Value: `lan1'");
	CHECK_ERROR(INTERFACE "  = lan1\n" FORWARD,
		    "hairpin.conf:3: not a [Section] header or Key = Value: `= lan1'");
	CHECK_ERROR("[Interface\nDevice = lan0\n",
		    "hairpin.conf:1: section header does not end in ]: `[Interface'");
	CHECK_ERROR("[Interface] Device = lan0\n",
		    "hairpin.conf:1: section header does not end in ]: `[Interface] Device = lan0'");
	CHECK_ERROR("[\n", "hairpin.conf:1: section header does not end in ]: `['");
}

TEST(config_unknown_section)
{
	CHECK_ERROR(INTERFACE "[Peer]\n",
		    "hairpin.conf:3: unknown section (not [Interface] or [Forward]): `[Peer]'");
	CHECK_ERROR("[]\n", "hairpin.conf:1: unknown section (not [Interface] or [Forward]): `[]'");
	CHECK_ERROR("[Forwards]\n",
		    "hairpin.conf:1: unknown section (not [Interface] or [Forward]): `[Forwards]'");
}

TEST(config_unknown_key)
{
	CHECK_ERROR("[Interface]\nDevcie = lan0\n",
		    "hairpin.conf:2: unknown key in [Interface]: `Devcie'");
	CHECK_ERROR(INTERFACE "Port = 1\n", "hairpin.conf:3: unknown key in [Interface]: `Port'");
	CHECK_ERROR(INTERFACE FORWARD "Device = lan0\n",
		    "hairpin.conf:6: unknown key in [Forward]: `Device'");
	CHECK_ERROR(INTERFACE "Public Address = 192.0.2.1\n",
		    "hairpin.conf:3: unknown key in [Interface]: `Public Address'");
}

/* A key given twice in one section. */
TEST(config_duplicate_key)
{
	CHECK_ERROR("[Interface]\nDevice = lan0\ndevice = lan1\n",
		    "hairpin.conf:3: Device is given twice in one [Interface]: `device'");
	CHECK_ERROR(INTERFACE "Mode = auto\nMode = auto\n",
		    "hairpin.conf:4: Mode is given twice in one [Interface]: `Mode'");
	CHECK_ERROR(INTERFACE "PublicAddress = 192.0.2.1\nPUBLICADDRESS = 192.0.2.2\n",
		    "hairpin.conf:4: PublicAddress is given twice in one [Interface]: `PUBLICADDRESS'");
	CHECK_ERROR(INTERFACE FORWARD "PORT = 2\n",
		    "hairpin.conf:6: Port is given twice in one [Forward]: `PORT'");
	CHECK_ERROR(INTERFACE FORWARD "Target = 10.0.0.2\nTarget = 10.0.0.2\n",
		    "hairpin.conf:7: Target is given twice in one [Forward]: `Target'");
	/* Each [Forward] has its own set of keys. */
	CHECK_OK(INTERFACE FORWARD "[Forward]\nProtocol = udp\nPort = 51821\n");
}

/* A key without a value. */
TEST(config_empty_value)
{
	CHECK_ERROR("[Interface]\nDevice =\n", "hairpin.conf:2: Device has no value: `Device ='");
	CHECK_ERROR(INTERFACE "[Forward]\nPort =   # none\n",
		    "hairpin.conf:4: Port has no value: `Port ='");
}

TEST(config_long_lines)
{
	size_t n = 1 << 20, i;
	char *line = malloc(n + 64);
	char *path = malloc(4096);
	char want[300];

	/* A megabyte of comment, and a megabyte of whitespace around a key. */
	config_init(&conf, "hairpin.conf");
	memset(line, 'x', n);
	line[0] = '#';
	line[n] = '\0';
	CHECK_EQ(config_line(&conf, line), 0, "long comment");
	memset(line, ' ', n);
	memcpy(line + n / 2, "[Interface]", 11);
	CHECK(config_line(&conf, line) == 0, "long blank line: %s", conf.error);
	memcpy(line + n / 2, "Device=lan0", 11);
	CHECK(config_line(&conf, line) == 0, "long blank line: %s", conf.error);
	CHECK(!strcmp(conf.devices[0], "lan0"), "device %s", conf.devices[0]);

	/* A megabyte of value is quoted in part, and the message still fits. */
	config_init(&conf, "hairpin.conf");
	config_line(&conf, "[Interface]");
	memset(line, 'x', n);
	memcpy(line, "Mode = ", 7);
	CHECK_EQ(config_line(&conf, line), -1, "long value");
	snprintf(want, sizeof(want), "hairpin.conf:2: Mode is not auto, xdp or tc: `%.200s...'",
		 line + 7);
	CHECK(!strcmp(conf.error, want), "error: got \"%.300s\"", conf.error);
	memset(line, 'k', n);
	memcpy(line + n - 4, " = 1", 5);
	CHECK_EQ(config_line(&conf, line), -1, "long key");
	CHECK_STR(conf.error, "hairpin.conf:3: unknown key in [Interface]: `kkkk", "long key");
	CHECK(strlen(conf.error) < 300, "error is %zu bytes", strlen(conf.error));

	/* A long path is cut, not overflowed. */
	for (i = 0; i < 4095; i++)
		path[i] = 'p';
	path[4095] = '\0';
	config_init(&conf, path);
	CHECK_EQ(config_line(&conf, "Device = lan0"), -1, "key before section");
	CHECK_EQ(strlen(conf.error), sizeof(conf.error) - 1, "error length");
	free(line);
	free(path);
}

/* Odd lines must give 0 or -1 with a message, never a crash (run this under ASan too). */
TEST(config_odd_input)
{
	static const char *const lines[] = {
		"[", "]", "[]", "[[Interface]]", "=", "==", "= =", "#", "[#]", "[Interface]=",
		"Device=,", "Device=,,,,", "Device=:", "Target=:", "Target=::", "Port=",
		"\x01\x02\x03", "\xff\xfe[Interface]", "[\xa0Interface\xa0]", "Key=\xa0",
		"\r", "\r\n", "\n\n", "[Forward]", "Target = 1.2.3.4:", "Target=1.2.3.4:\xff",
	};
	char byte[2] = { 0, 0 };
	size_t i;
	int c;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int rc;

		config_init(&conf, "hairpin.conf");
		conf.error[0] = '\0';
		rc = config_line(&conf, lines[i]);
		CHECK(rc == 0 || (rc == -1 && conf.error[0]), "line %zu: rc %d", i, rc);
		config_line(&conf, "[Interface]");
		rc = config_line(&conf, lines[i]);
		CHECK(rc == 0 || (rc == -1 && conf.error[0]), "line %zu: rc %d", i, rc);
		config_line(&conf, "[Forward]");
		rc = config_line(&conf, lines[i]);
		CHECK(rc == 0 || (rc == -1 && conf.error[0]), "line %zu: rc %d", i, rc);
		config_finish(&conf);
	}
	for (c = 1; c < 256; c++) {
		byte[0] = c;
		config_init(&conf, "hairpin.conf");
		config_line(&conf, byte);
		config_line(&conf, "[Interface]");
		config_line(&conf, byte);
		CHECK(memchr(conf.error, '\0', sizeof(conf.error)) != NULL, "error terminated");
	}
}
