// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "prometheus.h"
#include "utf8.h"

/*
 * @s escaped for a label value (quotes too) or a help text (@quote false), into @out; an
 * ill-formed UTF-8 sequence becomes one U+FFFD, as the JSON writer does.
 */
static void escape(FILE *out, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int bad = 0, len = utf8_sequence(p, &bad);

		if (!len) {
			fputs("\xef\xbf\xbd", out);
			p += bad;
		} else if (len > 1) {
			fwrite(p, 1, len, out);
			p += len;
		} else if (*p == '\\') {
			fputs("\\\\", out);
			p++;
		} else if (*p == '\n') {
			fputs("\\n", out);
			p++;
		} else if (*p == '"' && quote) {
			fputs("\\\"", out);
			p++;
		} else {
			putc(*p++, out);
		}
	}
}

void prom_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	escape(out, help, 0);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

void prom_label(struct prom_labels *labels, const char *name, const char *value)
{
	size_t room = sizeof(labels->text) - labels->len;
	FILE *out;
	long len;

	if (labels->truncated || room < 2)
		goto truncated;
	/* fmemopen: the escaped value, whose length is not known before, within what is left */
	out = fmemopen(labels->text + labels->len, room, "w");
	if (!out)
		goto truncated;
	fprintf(out, "%s%s=\"", labels->n ? "," : "", name);
	escape(out, value, 1);
	putc('"', out);
	len = ftell(out);
	fclose(out);
	if (len < 0 || (size_t)len >= room)
		goto truncated;
	labels->len += len;
	labels->text[labels->len] = '\0';
	labels->n++;
	return;
truncated:
	/* A sample without some of its labels would be another series: none at all. */
	labels->truncated = 1;
}

void prom_label_u32(struct prom_labels *labels, const char *name, unsigned int value)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", value);
	prom_label(labels, name, text);
}

void prom_sample(FILE *out, const char *name, const struct prom_labels *labels,
		 unsigned long long value)
{
	if (labels && labels->truncated)
		return;
	if (labels && labels->n)
		fprintf(out, "%s{%.*s} %llu\n", name, (int)labels->len, labels->text, value);
	else
		fprintf(out, "%s %llu\n", name, value);
}
