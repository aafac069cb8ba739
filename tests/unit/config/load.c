// SPDX-License-Identifier: GPL-2.0
/*
 * config_load(): a file read whole, and the files it cannot read.
 */
#include "parse.h"

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
	CHECK(!strcmp(conf.error, "/: not a regular file (a directory)"), "error: %s", conf.error);

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
