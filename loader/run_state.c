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
/* The daemon holds it locked for its whole life. */
#define LOCK_SUFFIX "daemon"
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

/* The state, read whole (it is replaced by rename, never written in place). */
static int read_state(const char *path, struct run_state *st)
{
	char text[RUN_STATE_MAX_WAITING * (RUN_STATE_TEXT + 16) + PATH_MAX + 64];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return parse(text, st);
}

int run_state_claim(const char *pin_dir, char *path, size_t len)
{
	char lock[PATH_MAX];
	struct run_state other;
	int fd, err;

	err = pins_run_path(pin_dir, LOCK_SUFFIX, lock, sizeof(lock));
	if (!err)
		err = pins_run_path(pin_dir, SUFFIX, path, len);
	if (err)
		return err;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("couldn't open the daemon's lock %s: %s", lock, strerror(errno));
		return err;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	err = -errno;
	if (err == -EWOULDBLOCK) {
		read_state(path, &other);
		pr_warn("another `hairpin run' (pid %d) keeps the instance of pin dir %s", other.pid,
			pin_dir);
		err = -EBUSY;
	} else {
		pr_warn("couldn't lock %s: %s", lock, strerror(-err));
	}
	close(fd);
	return err;
}

int run_state_write(const char *path, const struct run_state *st)
{
	char text[RUN_STATE_MAX_WAITING * (RUN_STATE_TEXT + 16) + PATH_MAX + 64];
	char tmp[PATH_MAX + 8];
	int n, fd, err = 0;

	n = snprintf(text, sizeof(text), "pid=%d\nconfig=%s\nready=%d\n", st->pid, st->config,
		     st->ready);
	for (int i = 0; i < st->n_waiting; i++)
		n += snprintf(text + n, sizeof(text) - n, "waiting=%s\n", st->waiting[i]);
	n += snprintf(text + n, sizeof(text) - n, END_LINE);
	/* A reader sees the old file or the new one, never one half written. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != n)
		err = -errno ?: -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void run_state_release(int fd, const char *path)
{
	unlink(path);
	close(fd);
}

int run_state_read(const char *pin_dir, struct run_state *st, int *stale_pid)
{
	char lock[PATH_MAX], path[PATH_MAX];
	int fd, err;

	*stale_pid = 0;
	err = pins_run_path(pin_dir, LOCK_SUFFIX, lock, sizeof(lock));
	if (!err)
		err = pins_run_path(pin_dir, SUFFIX, path, sizeof(path));
	if (err)
		return err;
	fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* A lock we can take is no daemon's: a state left is a killed one's. */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		if (!read_state(path, st))
			*stale_pid = st->pid;
		return -ENOENT;
	}
	close(fd);
	return read_state(path, st);
}
