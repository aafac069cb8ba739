// SPDX-License-Identifier: GPL-2.0
/*
 * How messages quote config text (config_quote()): every byte that is not printable ASCII
 * shown as an escape, so that no configuration can move the cursor or forge a line of a
 * message; cut to fit, never inside an escape.
 */
#include "parse.h"

/* config_line() of @line, after an [Interface] header, fails with exactly @want. */
static void expect_line_error(const char *line, const char *want)
{
	config_init(&conf, "hairpin.conf");
	config_line(&conf, "[Interface]");
	CHECK_EQ(config_line(&conf, line), -1, want);
	CHECK(!strcmp(conf.error, want), "got \"%s\", want \"%s\"", conf.error, want);
}

TEST(config_quote_escapes_every_byte_but_printable_ascii)
{
	char buf[HP_CONFIG_QUOTE_SIZE];

	CHECK(!strcmp(config_quote("lan0 [x] = 'y'", buf), "lan0 [x] = 'y'"), "printable: %s",
	      buf);
	CHECK(!strcmp(config_quote("a\tb\rc\nd\\e\x1b[2J\x7f\x80\xff", buf),
		      "a\\tb\\rc\\nd\\\\e\\x1b[2J\\x7f\\x80\\xff"),
	      "escapes: %s", buf);
}

TEST(config_quote_cuts_between_escapes)
{
	char buf[HP_CONFIG_QUOTE_SIZE], text[1000];
	size_t len;

	memset(text, '\x1b', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	len = strlen(config_quote(text, buf));
	CHECK(len < sizeof(buf) && len > 100, "length %zu", len);
	CHECK((len - 3) % 4 == 0 && !strcmp(buf + len - 3, "..."),
	      "cut inside an escape, or without ...: %s", buf);
	memset(text, 'x', HP_CONFIG_QUOTE_SIZE - 4);
	text[HP_CONFIG_QUOTE_SIZE - 4] = '\0';
	CHECK(!strcmp(config_quote(text, buf), text), "the longest quote that fits is whole");
}

/* Every message that quotes the file goes through it. */
TEST(config_errors_quote_escaped)
{
	expect_line_error("Col\x1b[31mour = blue",
			  "hairpin.conf:2: unknown key in [Interface]: `Col\\x1b[31mour'");
	expect_line_error("Mode = tc\rxdp",
			  "hairpin.conf:2: Mode is not auto, xdp or tc: `tc\\rxdp'");
	expect_line_error("Device = lan0,\x1b]0;owned by me\x07",
			  "hairpin.conf:2: Device name is longer than 15 characters: "
			  "`\\x1b]0;owned by me\\x07'");
	expect_line_error("[Forward\x1b[1A",
			  "hairpin.conf:2: section header does not end in ]: `[Forward\\x1b[1A'");
	expect_line_error("PublicAddress = 203.0.113.7\x0bhairpin: all good",
			  "hairpin.conf:2: PublicAddress is not an IPv4 address (a.b.c.d): "
			  "`203.0.113.7\\x0bhairpin: all good'");
}
