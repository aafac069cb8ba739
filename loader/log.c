// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "log.h"

/* syslog(3)'s priorities, as sd-daemon(3) prefixes them. */
enum log_priority {
	PRIO_ERR = 3,
	PRIO_WARNING = 4,
	PRIO_INFO = 6,
	PRIO_DEBUG = 7,
};

static int level = LOG_LEVEL_NORMAL;
static bool journal;
static struct log_capture *capture;

void log_set_level(int l)
{
	level = l;
}

bool log_verbose(void)
{
	return level >= LOG_LEVEL_VERBOSE;
}

void log_detect_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	journal = stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
		  !fstat(STDERR_FILENO, &st) && st.st_dev == dev && st.st_ino == ino;
}

bool log_capture_begin(struct log_capture *c)
{
	if (capture)
		return false;
	memset(c, 0, sizeof(*c));
	capture = c;
	return true;
}

void log_capture_end(void)
{
	capture = NULL;
}

static void keep(const char *fmt, va_list ap)
{
	size_t room = sizeof(capture->text) - capture->len;
	int n;

	if (capture->count && room > 2) {
		memcpy(capture->text + capture->len, "; ", 3);
		capture->len += 2;
		room -= 2;
	}
	n = vsnprintf(capture->text + capture->len, room, fmt, ap);
	if (n > 0)
		capture->len += (size_t)n < room ? (size_t)n : room - 1;
	capture->count++;
}

/*
 * One message, each of its lines (a verifier log has many) as "<P>hairpin: TEXT" written in one
 * write, so that journald and a terminal shared with others get it whole, and every line of it
 * at its priority.
 */
static void vlog(enum log_priority prio, const char *fmt, va_list ap)
{
	char *text = NULL, *line, *next;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (journal)
			fprintf(stderr, "<%d>hairpin: %s\n", prio, line);
		else
			fprintf(stderr, "hairpin: %s\n", line);
	}
	free(text);
}

/* A warning or an error: kept when a capture runs, else printed. */
static void vproblem(enum log_priority prio, const char *fmt, va_list ap)
{
	if (capture)
		keep(fmt, ap);
	else
		vlog(prio, fmt, ap);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(PRIO_ERR, fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(PRIO_WARNING, fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_LEVEL_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(PRIO_INFO, fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_LEVEL_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog(PRIO_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * libbpf's warnings are hairpin's warnings (a map it could not create, a BTF it could not
 * load): never hidden. Its info lines (each section and relocation it loads) come with -v, its
 * debug lines (the verifier's log of a program it loaded) with -vv. A verifier log that
 * explains a failed load comes as a warning.
 */
static int libbpf_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	switch (l) {
	case LIBBPF_WARN:
		vproblem(PRIO_WARNING, fmt, ap);
		break;
	case LIBBPF_INFO:
		if (level >= LOG_LEVEL_VERBOSE)
			vlog(PRIO_INFO, fmt, ap);
		break;
	case LIBBPF_DEBUG:
		if (level >= LOG_LEVEL_DEBUG)
			vlog(PRIO_DEBUG, fmt, ap);
		break;
	}
	return 0;
}

void log_attach_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
