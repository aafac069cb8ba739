/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests of the configuration parser (loader/config.c), driven a line at a time and
 * through config_load(): the values it stores, and for each rule the exact message, line
 * number and quoted text of its error. A file per part of the format.
 */
#ifndef HP_TEST_CONFIG_PARSE_H
#define HP_TEST_CONFIG_PARSE_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "config.h"
#include "test.h"

/* What parse() filled; far too big for the stack of a test that calls helpers: ~22 KiB. */
extern struct hp_config_file conf;

#define INTERFACE "[Interface]\nDevice = lan0\n"
#define FORWARD "[Forward]\nProtocol = udp\nPort = 51820\n"

/*
 * @text fed to config_line() a line at a time, newline included as getline() leaves it, into
 * conf as "hairpin.conf". Return: what config_line() or config_finish() returned.
 */
int parse(const char *text);

/* The IPv4 address @s, network order. */
__be32 ip(const char *s);

/* A temporary file holding @len bytes of @data; the caller unlinks it. */
char *temp_file(const void *data, size_t len);

/* The parse fails with exactly this message. */
#define CHECK_ERROR(text, want)                                                            \
	do {                                                                               \
		CHECK_EQ(parse(text), -1, "parse of a bad config");                        \
		CHECK(!strcmp(conf.error, want), "error: got \"%s\", want \"%s\"",          \
		      conf.error, want);                                                   \
	} while (0)

#define CHECK_OK(text)                                                                     \
	CHECK(parse(text) == 0, "parse of a good config: %s", conf.error)

#endif
