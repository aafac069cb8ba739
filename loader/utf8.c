// SPDX-License-Identifier: GPL-2.0
#include "utf8.h"

int utf8_sequence(const unsigned char *s, int *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong below */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates above */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong below */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* past U+10FFFF above */
	} else {
		*bad = 1;	/* a continuation byte alone, 0xc0, 0xc1, 0xf5 to 0xff */
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}
