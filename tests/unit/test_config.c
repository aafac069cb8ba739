// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration parser, driven a line at a time and through config_load(): the values it
 * stores, and for each rule the exact message, line number and quoted text of its error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "config.h"

/* Far too big for the stack of a test that calls helpers: ~22 KiB. */
static struct hp_config_file conf;

#define INTERFACE "[Interface]\nDevice = lan0\n"
#define FORWARD "[Forward]\nProtocol = udp\nPort = 51820\n"

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

/* Feed text to config_line() a line at a time, newline included as getline() leaves it. */
static int parse(const char *text)
{
	const char *p = text;

	config_init(&conf, "hairpin.conf");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		char *line = strndup(p, len);
		int err = config_line(&conf, line);

		free(line);
		if (err)
			return err;
		p += len;
	}
	return config_finish(&conf);
}

static __be32 ip(const char *s)
{
	struct in_addr in = { 0 };

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

/* The parse fails with exactly this message. */
#define CHECK_ERROR(text, want)                                                            \
	do {                                                                               \
		CHECK_EQ(parse(text), -1, "parse of a bad config");                        \
		CHECK(!strcmp(conf.error, want), "error: got \"%s\", want \"%s\"",          \
		      conf.error, want);                                                   \
	} while (0)

#define CHECK_OK(text)                                                                     \
	CHECK(parse(text) == 0, "parse of a good config: %s", conf.error)

/* A temporary file holding len bytes of data; the caller unlinks it. */
static char *temp_file(const void *data, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror("test_config: temp file");
		exit(1);
	}
	close(fd);
	return path;
}

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

/* Mode values and config_mode_name. */
TEST(config_modes)
{
	CHECK_OK("[Interface]\nDevice = lan0\nMode = xdp\n" FORWARD);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_XDP, "xdp");
	CHECK_OK("[Interface]\nDevice = lan0\nMode = TC\n" FORWARD);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_TC, "TC");
	CHECK_OK("[Interface]\nDevice = lan0\nMode = Auto\n" FORWARD);
	CHECK_EQ(conf.mode, HP_CONFIG_MODE_AUTO, "Auto");
	CHECK(!strcmp(config_mode_name(HP_CONFIG_MODE_AUTO), "auto"), "name of auto");
	CHECK(!strcmp(config_mode_name(HP_CONFIG_MODE_XDP), "xdp"), "name of xdp");
	CHECK(!strcmp(config_mode_name(HP_CONFIG_MODE_TC), "tc"), "name of tc");
	CHECK(config_mode_name((enum hp_config_mode)42) != NULL, "name of a bad mode");
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

/* A second [Interface]. */
TEST(config_second_interface)
{
	CHECK_ERROR(INTERFACE FORWARD "[interface]\nDevice = lan1\n",
		    "hairpin.conf:6: a second [Interface] section (there is one, at line 1): `[interface]'");
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

TEST(config_device_names)
{
	CHECK_OK("[Interface]\nDevice = abcdefghijklmno\n" FORWARD);
	CHECK(!strcmp(conf.devices[0], "abcdefghijklmno"), "15 characters: %s", conf.devices[0]);
	CHECK_OK("[Interface]\nDevice = eth0.100,...,-x_@!\n" FORWARD);
	CHECK_EQ(conf.n_devices, 3, "n_devices");
	CHECK_ERROR("[Interface]\nDevice = abcdefghijklmnop\n",
		    "hairpin.conf:2: Device name is longer than 15 characters: `abcdefghijklmnop'");
	CHECK_ERROR("[Interface]\nDevice = lan0, a/b\n",
		    "hairpin.conf:2: Device name contains '/' or ':': `a/b'");
	CHECK_ERROR("[Interface]\nDevice = eth0:1\n",
		    "hairpin.conf:2: Device name contains '/' or ':': `eth0:1'");
	CHECK_ERROR("[Interface]\nDevice = lan 0\n",
		    "hairpin.conf:2: Device name contains a space: `lan 0'");
	CHECK_ERROR("[Interface]\nDevice = lan\t0\n",
		    "hairpin.conf:2: Device name contains a space: `lan\t0'");
	CHECK_ERROR("[Interface]\nDevice = lan\xa0" "0\n",
		    "hairpin.conf:2: Device name contains a space: `lan\xa0" "0'");
	CHECK_ERROR("[Interface]\nDevice = .\n", "hairpin.conf:2: Device name cannot be . or ..: `.'");
	CHECK_ERROR("[Interface]\nDevice = lan0,..\n",
		    "hairpin.conf:2: Device name cannot be . or ..: `..'");
	CHECK_ERROR("[Interface]\nDevice = lan0,,lan1\n",
		    "hairpin.conf:2: Device has an empty interface name: `lan0,,lan1'");
	CHECK_ERROR("[Interface]\nDevice = lan0 ,\n",
		    "hairpin.conf:2: Device has an empty interface name: `lan0 ,'");
	CHECK_ERROR("[Interface]\nDevice = ,lan0\n",
		    "hairpin.conf:2: Device has an empty interface name: `,lan0'");
}

/* Device lists an interface twice. */
TEST(config_device_duplicate)
{
	CHECK_ERROR("[Interface]\nDevice = lan0, lan1 , lan0\n",
		    "hairpin.conf:2: Device lists an interface twice: `lan0'");
}

/* "[Interface]\nDevice = d0,d1,...,d<n-1>\n" FORWARD */
static char *devices_config(int n)
{
	char *text;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	int i;

	fputs("[Interface]\nDevice = ", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%sd%d", i ? "," : "", i);
	fputs("\n" FORWARD, f);
	fclose(f);
	return text;
}

/* At most HP_MAX_DEVICES devices. */
TEST(config_device_limit)
{
	char *text;

	text = devices_config(HP_MAX_DEVICES);
	CHECK_OK(text);
	CHECK_EQ(conf.n_devices, HP_MAX_DEVICES, "n_devices");
	CHECK(!strcmp(conf.devices[HP_MAX_DEVICES - 1], "d63"), "last device: %s",
	      conf.devices[HP_MAX_DEVICES - 1]);
	free(text);
	text = devices_config(HP_MAX_DEVICES + 1);
	CHECK_ERROR(text, "hairpin.conf:2: Device lists more than 64 interfaces: `d64'");
	free(text);
}

/* Mode that is not auto, xdp or tc. */
TEST(config_mode_invalid)
{
	CHECK_ERROR(INTERFACE "Mode = native\n",
		    "hairpin.conf:3: Mode is not auto, xdp or tc: `native'");
	CHECK_ERROR(INTERFACE "Mode = xdp tc\n",
		    "hairpin.conf:3: Mode is not auto, xdp or tc: `xdp tc'");
}

/* PublicAddress and LocalAddress. */
TEST(config_addresses)
{
	static const char *const good[] = {
		"1.2.3.4", "10.0.0.1", "126.255.255.255", "128.0.0.1", "223.255.255.255",
		"240.0.0.1", "255.255.255.254",
	};
	static const char *const not_ipv4[] = {
		"1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "0x01020304", "16909060",
		"1.2. 3.4", "::1", "1.2.3.-4", "a.b.c.d", "192.0.2.1/24", "1.2.3.4444444444444444",
	};
	char text[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), INTERFACE "PublicAddress = %s\nLocalAddress = %s\n"
			 FORWARD, good[i], good[i]);
		CHECK_OK(text);
		CHECK_EQ(conf.public_addr, ip(good[i]), good[i]);
		CHECK_EQ(conf.local_addr, ip(good[i]), good[i]);
	}
	for (i = 0; i < sizeof(not_ipv4) / sizeof(not_ipv4[0]); i++) {
		snprintf(text, sizeof(text), INTERFACE "PublicAddress = %s\n", not_ipv4[i]);
		snprintf(want, sizeof(want),
			 "hairpin.conf:3: PublicAddress is not an IPv4 address (a.b.c.d): `%s'",
			 not_ipv4[i]);
		CHECK_ERROR(text, want);
	}
	CHECK_ERROR(INTERFACE "PublicAddress = 0.0.0.0\n",
		    "hairpin.conf:3: PublicAddress is 0.0.0.0, which is no host's address: `0.0.0.0'");
	CHECK_ERROR(INTERFACE "LocalAddress = 255.255.255.255\n",
		    "hairpin.conf:3: LocalAddress is the broadcast address: `255.255.255.255'");
	CHECK_ERROR(INTERFACE "PublicAddress = 224.0.0.1\n",
		    "hairpin.conf:3: PublicAddress is a multicast address: `224.0.0.1'");
	CHECK_ERROR(INTERFACE "LocalAddress = 239.255.255.255\n",
		    "hairpin.conf:3: LocalAddress is a multicast address: `239.255.255.255'");
	CHECK_ERROR(INTERFACE "PublicAddress = 127.0.0.1\n",
		    "hairpin.conf:3: PublicAddress is a loopback address: `127.0.0.1'");
	CHECK_ERROR(INTERFACE "LocalAddress = 127.255.255.254\n",
		    "hairpin.conf:3: LocalAddress is a loopback address: `127.255.255.254'");
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

/* No [Interface], or no Device in it. */
TEST(config_no_interface)
{
	CHECK_ERROR("", "hairpin.conf: no [Interface] section");
	CHECK_ERROR("# only a comment\n" FORWARD, "hairpin.conf: no [Interface] section");
	CHECK_ERROR(FORWARD "\n[Interface]\nMode = xdp\n",
		    "hairpin.conf:5: [Interface] has no Device: `[Interface]'");
}

TEST(config_no_forward)
{
	CHECK_ERROR(INTERFACE, "hairpin.conf: no [Forward] section (at least one is needed)");
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

TEST(config_load_good_file)
{
	static const char good[] = "[Interface]\r\nDevice = lan0\r\n\r\n[Forward]\r\n"
				   "Protocol = udp\r\nPort = 51820";	/* no final newline */
	static const char bad[] = INTERFACE "[Forward]\nProtocol = udp\nPort = 70000\n";
	char *path;

	path = temp_file(good, sizeof(good) - 1);
	CHECK(config_load(&conf, path) == 0, "good file: %s", conf.error);
	CHECK(conf.path == path, "conf.path");
	CHECK_EQ(conf.forwards[0].port, 51820, "port on the last line");
	CHECK_EQ(conf.forwards[0].line, 4, "forward line");
	unlink(path);

	path = temp_file(bad, sizeof(bad) - 1);
	CHECK_EQ(config_load(&conf, path), -1, "bad file");
	CHECK_STR(conf.error, ":5: Port is not a number from 1 to 65535: `70000'", "bad file");
	CHECK(!strncmp(conf.error, path, strlen(path)), "error names the file: %s", conf.error);
	unlink(path);
}

/* config_load of a file it cannot read. */
TEST(config_load_errors)
{
	static const char nul[] = "[Interface]\nDevice = lan0\0junk\n" FORWARD;
	char want[128];
	char *path;

	CHECK_EQ(config_load(&conf, "/nonexistent/hairpin.conf"), -1, "missing file");
	CHECK(!strcmp(conf.error,
		      "/nonexistent/hairpin.conf: cannot read: No such file or directory"),
	      "error: %s", conf.error);
	CHECK_EQ(config_load(&conf, "/"), -1, "directory");
	CHECK(!strcmp(conf.error, "/: cannot read: Is a directory"), "error: %s", conf.error);

	path = temp_file(nul, sizeof(nul) - 1);
	CHECK_EQ(config_load(&conf, path), -1, "NUL byte");
	snprintf(want, sizeof(want), "%s:2: line contains a NUL byte: `Device = lan0\\0'", path);
	CHECK(!strcmp(conf.error, want), "error: got \"%s\", want \"%s\"", conf.error, want);
	unlink(path);

	path = temp_file("", 0);
	CHECK_EQ(config_load(&conf, path), -1, "empty file");
	snprintf(want, sizeof(want), "%s: no [Interface] section", path);
	CHECK(!strcmp(conf.error, want), "error: got \"%s\", want \"%s\"", conf.error, want);
	unlink(path);
}

/* Odd lines must give 0 or -1 with a message, never a crash (run this under ASan too). */
#define SOURCES_CONFIG(list)                                                               \
	"[Interface]\nDevice = lan0\nAllowedSources = " list "\n[Forward]\nProtocol = udp\nPort = 1\n"

TEST(config_allowed_sources)
{
	char big[16 * (HP_CONFIG_MAX_SOURCES + 2)] = "", *text;

	CHECK_OK(SOURCES_CONFIG("192.0.2.0/24, 198.51.100.7 ,0.0.0.0/0,203.0.113.128/25"));
	CHECK_EQ(conf.n_sources, 4, "n_sources");
	CHECK_EQ(conf.sources_line, 3, "sources_line");
	CHECK_EQ(conf.sources[0].addr, ip("192.0.2.0"), "sources[0].addr");
	CHECK_EQ(conf.sources[0].len, 24, "sources[0].len");
	CHECK_EQ(conf.sources[1].addr, ip("198.51.100.7"), "sources[1].addr");
	CHECK_EQ(conf.sources[1].len, 32, "a bare address is a /32");
	CHECK_EQ(conf.sources[2].len, 0, "0.0.0.0/0");
	CHECK_EQ(conf.sources[3].len, 25, "sources[3].len");

	CHECK_OK("[Interface]\nDevice = lan0\n[Forward]\nProtocol = udp\nPort = 1\n");
	CHECK_EQ(conf.n_sources, 0, "no AllowedSources: any source");

	CHECK_ERROR(SOURCES_CONFIG("192.0.2.1/24"),
		    "hairpin.conf:3: AllowedSources prefix has bits set past its length: `192.0.2.1/24'");
	CHECK_ERROR(SOURCES_CONFIG("192.0.2.0/33"),
		    "hairpin.conf:3: AllowedSources prefix length is not 0 to 32: `192.0.2.0/33'");
	CHECK_ERROR(SOURCES_CONFIG("192.0.2.0/"),
		    "hairpin.conf:3: AllowedSources prefix length is not 0 to 32: `192.0.2.0/'");
	CHECK_ERROR(SOURCES_CONFIG("192.0.2.0/-1"),
		    "hairpin.conf:3: AllowedSources prefix length is not 0 to 32: `192.0.2.0/-1'");
	CHECK_ERROR(SOURCES_CONFIG("192.0.2/24"),
		    "hairpin.conf:3: AllowedSources element is not ADDRESS[/LENGTH]: `192.0.2/24'");
	CHECK_ERROR(SOURCES_CONFIG("lan"),
		    "hairpin.conf:3: AllowedSources element is not ADDRESS[/LENGTH]: `lan'");
	CHECK_ERROR(SOURCES_CONFIG("192.0.2.0/24,,198.51.100.0/24"),
		    "hairpin.conf:3: AllowedSources has an empty prefix: `192.0.2.0/24,,198.51.100.0/24'");

	for (int i = 0; i <= HP_CONFIG_MAX_SOURCES; i++)
		sprintf(big + strlen(big), "%s10.%d.%d.0/24", i ? "," : "", i / 256, i % 256);
	text = malloc(strlen(big) + 128);
	sprintf(text, SOURCES_CONFIG("%s"), big);
	CHECK_EQ(parse(text), -1, "one prefix too many");
	CHECK_STR(conf.error, "AllowedSources lists more than 512 prefixes", "error");
	free(text);
}

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
		    "letter, digit, '-' or '.': `dns:h\xc3\xa9.example.net'");
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
