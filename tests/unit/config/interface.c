// SPDX-License-Identifier: GPL-2.0
/*
 * The [Interface] section: Device, Mode, PublicAddress and LocalAddress, AllowedSources.
 */
#include "parse.h"

/* No [Interface], or no Device in it. */
TEST(config_no_interface)
{
	CHECK_ERROR("", "hairpin.conf: no [Interface] section");
	CHECK_ERROR("# only a comment\n" FORWARD, "hairpin.conf: no [Interface] section");
	CHECK_ERROR(FORWARD "\n[Interface]\nMode = xdp\n",
		    "hairpin.conf:5: [Interface] has no Device: `[Interface]'");
}

/* A second [Interface]. */
TEST(config_second_interface)
{
	CHECK_ERROR(INTERFACE FORWARD "[interface]\nDevice = lan1\n",
		    "hairpin.conf:6: a second [Interface] section (there is one, at line 1): `[interface]'");
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
		    "hairpin.conf:2: Device name contains a space: `lan\\t0'");
	CHECK_ERROR("[Interface]\nDevice = lan\xa0" "0\n",
		    "hairpin.conf:2: Device name contains a space: `lan\\xa00'");
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

/* A config whose only optional key is AllowedSources = @list. */
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
