/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages to stderr, each starting "hairpin: ". pr_warn always; pr_info always (what a command
 * decided: the mode it chose and why); pr_debug and libbpf's own messages only with -v.
 */
#ifndef HP_LOG_H
#define HP_LOG_H

#include <stdbool.h>

void log_set_verbose(bool verbose);
bool log_verbose(void);
/* Route libbpf's messages through us: shown only with -v. */
void log_attach_libbpf(void);

void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
