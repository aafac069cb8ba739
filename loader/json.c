// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * The length of the well-formed UTF-8 sequence at @s (1 to 4), or 0 if the bytes there are
 * not one; then *bad is the length of its maximal subpart, the bytes that one U+FFFD replaces
 * (at least 1). The ranges are the Unicode Standard's table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF. A NUL ends every sequence, as it ends the string.
 */
static int utf8_sequence(const unsigned char *s, int *bad)
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

void json_fprint_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', out);
	while (*p) {
		int bad = 0, len = utf8_sequence(p, &bad);

		if (!len) {
			fputs("\\ufffd", out);
			p += bad;
		} else if (len > 1) {
			fwrite(p, 1, len, out);
			p += len;
		} else if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			putc(*p++, out);
		}
	}
	putc('"', out);
}

void json_fprint_pretty(FILE *out, const char *json)
{
	const char *p = json;
	int depth = 0;

	while (*p) {
		char c = *p++;

		switch (c) {
		case ' ': case '\t': case '\n': case '\r':
			break;
		case '"':
			/* The string as it is, to its closing quote. */
			putc(c, out);
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					putc(*p++, out);
				putc(*p++, out);
			}
			if (*p)
				putc(*p++, out);
			break;
		case '{':
		case '[':
			p += strspn(p, " \t\n\r");
			if (*p == (c == '{' ? '}' : ']')) {
				fprintf(out, "%c%c", c, *p++);
				break;
			}
			fprintf(out, "%c\n%*s", c, 4 * ++depth, "");
			break;
		case '}':
		case ']':
			fprintf(out, "\n%*s%c", 4 * --depth, "", c);
			break;
		case ',':
			fprintf(out, ",\n%*s", 4 * depth, "");
			break;
		case ':':
			fputs(": ", out);
			break;
		default:
			putc(c, out);
		}
	}
	putc('\n', out);
}

void json_pretty_begin(struct json_pretty *pretty, bool on)
{
	FILE *buf;

	*pretty = (struct json_pretty){};
	if (!on)
		return;
	fflush(stdout);
	buf = open_memstream(&pretty->text, &pretty->len);
	if (!buf)
		return;		/* then compact, as without -p */
	pretty->stdout_was = stdout;
	stdout = buf;
}

void json_pretty_end(struct json_pretty *pretty)
{
	if (!pretty->stdout_was)
		return;
	fclose(stdout);
	stdout = pretty->stdout_was;
	if (pretty->text)
		json_fprint_pretty(stdout, pretty->text);
	free(pretty->text);
	*pretty = (struct json_pretty){};
}
