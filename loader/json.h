/* SPDX-License-Identifier: GPL-2.0 */
/* Writing JSON (RFC 8259) whatever bytes the text holds. */
#ifndef HP_JSON_H
#define HP_JSON_H

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

#endif
