/* SPDX-License-Identifier: GPL-2.0 */
/* Telling well-formed UTF-8 from the rest, for the writers of JSON and Prometheus text. */
#ifndef HP_UTF8_H
#define HP_UTF8_H

/*
 * The length of the well-formed UTF-8 sequence at @s (1 to 4), or 0 if the bytes there are
 * not one; then *bad is the length of its maximal subpart, the bytes that one U+FFFD replaces
 * (at least 1). The ranges are the Unicode Standard's table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF. A NUL ends every sequence, as it ends the string.
 */
int utf8_sequence(const unsigned char *s, int *bad);

#endif
