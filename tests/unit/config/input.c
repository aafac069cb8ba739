// SPDX-License-Identifier: GPL-2.0
/*
 * What config_load() takes for a configuration: a regular file of at most HP_CONFIG_MAX_SIZE
 * bytes. A FIFO, a device, a directory or a socket is refused at once, without blocking or
 * reading; a larger file before it is read, and one whose size stat() does not know (/proc)
 * after at most that much.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "parse.h"

static const char good[] = "[Interface]\nDevice = lan0\n[Forward]\nProtocol = udp\nPort = 1\n";

/* config_load() of @path fails with exactly "@path@want". */
static void expect_refused(const char *path, const char *want, const char *what)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s", path, want);
	CHECK_EQ(config_load(&conf, path), -1, what);
	CHECK(!strcmp(conf.error, full), "%s: got \"%s\", want \"%s\"", what, conf.error, full);
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: config_load blocked for 10 s (on a FIFO?)\n";

	write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

TEST(config_load_refuses_what_is_not_a_regular_file)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_config.XXXXXX", fifo[64], link[64], target[64];
	int sock;

	if (!CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno)))
		return;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/socket", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);

	/* Opening a FIFO for reading waits for a writer; reading /dev/zero never ends. */
	signal(SIGALRM, on_alarm);
	alarm(10);
	CHECK(!mkfifo(fifo, 0600), "mkfifo: %s", strerror(errno));
	expect_refused(fifo, ": not a regular file (a FIFO)", "FIFO");
	expect_refused("/dev/zero", ": not a regular file (a character device)", "/dev/zero");
	expect_refused("/dev/null", ": not a regular file (a character device)", "/dev/null");
	expect_refused(dir, ": not a regular file (a directory)", "directory");
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(sock >= 0 && !bind(sock, (struct sockaddr *)&addr, sizeof(addr)), "socket: %s",
	      strerror(errno));
	expect_refused(addr.sun_path, ": not a regular file (a socket)", "socket");
	close(sock);
	alarm(0);

	/* A symbolic link to a regular file is that file. */
	snprintf(target, sizeof(target), "%s", temp_file(good, sizeof(good) - 1));
	CHECK(!symlink(target, link), "symlink: %s", strerror(errno));
	CHECK(!config_load(&conf, link), "a link to a good file: %s", conf.error);

	unlink(target);
	unlink(link);
	unlink(addr.sun_path);
	unlink(fifo);
	rmdir(dir);
}

/* A temporary file: @good, then a comment line that makes it @size bytes in all. */
static char *file_of_size(size_t size)
{
	char *text = malloc(size), *path;

	memcpy(text, good, sizeof(good) - 1);
	memset(text + sizeof(good) - 1, '#', size - sizeof(good));
	text[size - 1] = '\n';
	path = temp_file(text, size);
	free(text);
	return path;
}

TEST(config_load_takes_at_most_1_MiB)
{
	const size_t max = HP_CONFIG_MAX_SIZE;
	char want[128], *path;

	CHECK_EQ(max, 1024 * 1024, "HP_CONFIG_MAX_SIZE");
	/* A good file padded with a comment to exactly the limit is taken; a byte more is not. */
	path = file_of_size(max);
	CHECK(!config_load(&conf, path), "a file of exactly %zu bytes: %s", max, conf.error);
	unlink(path);
	path = file_of_size(max + 1);
	snprintf(want, sizeof(want), ": is larger than 1024 KiB (%zu bytes)", max + 1);
	expect_refused(path, want, "a byte over the limit");
	unlink(path);
	path = file_of_size(2 * max);
	snprintf(want, sizeof(want), ": is larger than 1024 KiB (%zu bytes)", 2 * max);
	expect_refused(path, want, "2 MiB");
	unlink(path);
	/* Regular, of size 0 to stat(), and megabytes when read: the read stops at the limit. */
	expect_refused("/proc/kallsyms", ": is larger than 1024 KiB", "/proc/kallsyms");
}

TEST(config_load_quotes_a_nul_line_up_to_the_nul)
{
	static const char text[] = "[Interface]\nDevice = lan0 \t\0\x1b[2J\n";
	char *path = temp_file(text, sizeof(text) - 1);
	char want[128];

	snprintf(want, sizeof(want), ":2: line contains a NUL byte: `Device = lan0 \\t\\0'");
	expect_refused(path, want, "NUL");
	unlink(path);
}
