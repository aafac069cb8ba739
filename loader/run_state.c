// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "pins.h"
#include "run_state.h"

#define SUFFIX "run"
/* The last line: a file without it was read while being written. */
#define END_LINE "end\n"

static int parse(const char *text, struct run_state *st)
{
	const char *line = text;

	memset(st, 0, sizeof(*st));
	while (*line) {
		const char *eol = strchr(line, '\n');
		int n = eol ? (int)(eol - line) : (int)strlen(line);

		if (!strncmp(line, "pid=", 4))
			st->pid = atoi(line + 4);
		else if (!strncmp(line, "config=", 7))
			snprintf(st->config, sizeof(st->config), "%.*s", n - 7, line + 7);
		else if (!strncmp(line, "ready=", 6))
			st->ready = line[6] == '1';
		else if (!strncmp(line, "waiting=", 8) && st->n_waiting < RUN_STATE_MAX_WAITING)
			snprintf(st->waiting[st->n_waiting++], RUN_STATE_TEXT, "%.*s", n - 8, line + 8);
		else if (!strncmp(line, END_LINE, strlen(END_LINE)))
			return 0;
		if (!eol)
			break;
		line = eol + 1;
	}
	return -EAGAIN;
}

int run_state_claim(const char *pin_dir, char *path, size_t len)
{
	struct run_state other;
	char text[4096];
	int fd, err = pins_run_path(pin_dir, SUFFIX, path, len);
	ssize_t n;

	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		pr_warn("couldn't open the daemon's state file %s: %s", path, strerror(errno));
		return err;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	err = -errno;
	if (err == -EWOULDBLOCK) {
		n = pread(fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		parse(text, &other);
		pr_warn("another `hairpin run' (pid %d) keeps the instance of pin dir %s", other.pid,
			pin_dir);
		err = -EBUSY;
	} else {
		pr_warn("couldn't lock %s: %s", path, strerror(-err));
	}
	close(fd);
	return err;
}

int run_state_write(int fd, const struct run_state *st)
{
	char text[RUN_STATE_MAX_WAITING * (RUN_STATE_TEXT + 16) + PATH_MAX + 64];
	int n;

	n = snprintf(text, sizeof(text), "pid=%d\nconfig=%s\nready=%d\n", st->pid, st->config,
		     st->ready);
	for (int i = 0; i < st->n_waiting; i++)
		n += snprintf(text + n, sizeof(text) - n, "waiting=%s\n", st->waiting[i]);
	n += snprintf(text + n, sizeof(text) - n, END_LINE);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, n, 0) != n)
		return -errno;
	return 0;
}

void run_state_release(int fd, const char *path)
{
	unlink(path);
	close(fd);
}

int run_state_read(const char *pin_dir, struct run_state *st, int *stale_pid)
{
	char path[PATH_MAX], text[RUN_STATE_MAX_WAITING * (RUN_STATE_TEXT + 16) + PATH_MAX + 64];
	int fd, err = pins_run_path(pin_dir, SUFFIX, path, sizeof(path));

	*stale_pid = 0;
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* A lock we can take is no daemon's. */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

		text[n > 0 ? n : 0] = '\0';
		parse(text, st);
		*stale_pid = st->pid;
		close(fd);
		return -ENOENT;
	}
	/* Read again when the daemon was writing it: a few tries, then what there is. */
	for (int i = 0; i < 10; i++) {
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

		text[n > 0 ? n : 0] = '\0';
		if (!parse(text, st))
			break;
		usleep(10000);
	}
	close(fd);
	return 0;
}
