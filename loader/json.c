// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

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
