/* SPDX-License-Identifier: GPL-2.0 */
/* Writing JSON (RFC 8259) whatever bytes the text holds. */
#ifndef HP_JSON_H
#define HP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * @s, any bytes up to its NUL, as a JSON string with its quotes, to @out. The output is valid
 * UTF-8 and valid JSON whatever @s holds (a device name may hold any byte but '/', ':' and
 * white space): well-formed UTF-8 passes as it is, every ill-formed sequence becomes one
 * U+FFFD (the Unicode Standard's "maximal subpart" practice, section 3.9), '"' and '\' are
 * escaped, and control characters (and DEL) are written as \u00XX.
 */
void json_fprint_string(FILE *out, const char *s);

/* The same to stdout, where `status --json` prints. */
static inline void json_string(const char *s)
{
	json_fprint_string(stdout, s);
}

/*
 * @json, compact JSON as hairpin writes it (no white space outside strings needed), indented
 * by four spaces a level as bpftool -p does, an empty object or array kept as {} or [], and a
 * newline at the end. Strings pass unchanged.
 */
void json_fprint_pretty(FILE *out, const char *json);

/*
 * -p: what a command prints to stdout between json_pretty_begin(&p, true) and
 * json_pretty_end(&p) is kept, then written indented. stdout is a variable that glibc lets a
 * program set (the GNU C Library manual, "Standard Streams"): the JSON writers print to
 * stdout as they did. With @on false both do nothing.
 */
struct json_pretty {
	FILE *stdout_was;	/* NULL: not capturing */
	char *text;
	size_t len;
};

void json_pretty_begin(struct json_pretty *pretty, bool on);
void json_pretty_end(struct json_pretty *pretty);

#endif
