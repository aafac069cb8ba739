/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages to stderr, each starting "hairpin: ", by level:
 *   pr_err    something failed that hairpin could not do or undo (the daemon's failed up);
 *   pr_warn   always: a refusal, a problem, what a command could not do;
 *   pr_info   what a command decided (the mode it chose and why): not with -q;
 *   pr_debug  with -v; libbpf's own debug messages with -vv.
 * libbpf's warnings are warnings, its info messages pr_info's, its debug messages -vv's.
 *
 * When stderr is the journal (systemd sets JOURNAL_STREAM to the device and inode of the
 * stream it gave the service, sd-daemon(3)), each line starts with its syslog priority,
 * "<3>" to "<7>", which journald takes off and keeps as the entry's priority: then
 * `journalctl -u hairpin -p warning' shows exactly the warnings and errors.
 */
#ifndef HP_LOG_H
#define HP_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_QUIET = -1,	/* -q: warnings and errors only */
	LOG_LEVEL_NORMAL = 0,
	LOG_LEVEL_VERBOSE = 1,	/* -v */
	LOG_LEVEL_DEBUG = 2,	/* -vv: libbpf's debug messages too */
};

void log_set_level(int level);
/* -v or more */
bool log_verbose(void);
/* Route libbpf's messages through us, each at its own level. */
void log_attach_libbpf(void);
/*
 * Whether stderr is the journal's stream (JOURNAL_STREAM), looked at again: main() looks once,
 * a test may call it after changing the environment.
 */
void log_detect_journal(void);

/*
 * Messages at warning level or above kept in a buffer instead of printed, for a caller that
 * decides later whether and how to say them (the daemon: what it waits for is said once, not
 * at every event). Lines are joined with "; ". One capture at a time; nested begins are
 * refused by a false return.
 */
struct log_capture {
	char text[1024];
	size_t len;
	int count;
};

bool log_capture_begin(struct log_capture *capture);
void log_capture_end(void);

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
