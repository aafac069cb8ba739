// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text writer of `status --prometheus' (loader/prometheus.c): label values
 * escaped as the exposition format says (\\, \" and \n), help texts likewise (\\ and \n),
 * valid UTF-8 whatever the bytes, and a sample whose labels do not fit left out whole rather
 * than written with some of them (which would be another series).
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "prometheus.h"

static char *text;
static size_t text_len;

static FILE *open_text(void)
{
	free(text);
	text = NULL;
	return open_memstream(&text, &text_len);
}

/* The sample line prom_sample() writes for one label @name=@value. */
static const char *sample_of(const char *name, const char *value)
{
	struct prom_labels l = {};
	FILE *out = open_text();

	if (!out)
		return "";
	prom_label(&l, name, value);
	prom_sample(out, "m", &l, 7);
	fclose(out);
	return text;
}

#define CHECK_SAMPLE(value, want)                                                          \
	CHECK(!strcmp(sample_of("l", value), want), "label %s: got %s, want %s", #value,     \
	      sample_of("l", value), want)

TEST(prometheus_label_values_escaped)
{
	CHECK_SAMPLE("lan0", "m{l=\"lan0\"} 7\n");
	CHECK_SAMPLE("", "m{l=\"\"} 7\n");
	CHECK_SAMPLE("a\"b\\c\nd", "m{l=\"a\\\"b\\\\c\\nd\"} 7\n");
	/* Well-formed UTF-8 as it is; each ill-formed sequence one U+FFFD. */
	CHECK_SAMPLE("caf\xc3\xa9", "m{l=\"caf\xc3\xa9\"} 7\n");
	CHECK_SAMPLE("o\"d\\\xff", "m{l=\"o\\\"d\\\\\xef\xbf\xbd\"} 7\n");
	CHECK_SAMPLE("\xe2\x82x", "m{l=\"\xef\xbf\xbdx\"} 7\n");
}

TEST(prometheus_labels_in_order_and_none)
{
	struct prom_labels l = {};
	FILE *out = open_text();

	if (!CHECK(out != NULL, "open_memstream"))
		return;
	prom_sample(out, "a_total", NULL, 0);
	prom_sample(out, "b", &l, 18446744073709551615ULL);
	prom_label(&l, "protocol", "udp");
	prom_label_u32(&l, "port", 51820);
	prom_sample(out, "c_total", &l, 3);
	fclose(out);
	CHECK(!strcmp(text, "a_total 0\nb 18446744073709551615\n"
			    "c_total{protocol=\"udp\",port=\"51820\"} 3\n"),
	      "got %s", text);
}

TEST(prometheus_help_escaped_type_after)
{
	FILE *out = open_text();

	if (!CHECK(out != NULL, "open_memstream"))
		return;
	prom_family(out, "x_total", "counter", "a \"quoted\" \\ and\na line");
	fclose(out);
	CHECK(!strcmp(text, "# HELP x_total a \"quoted\" \\\\ and\\na line\n"
			    "# TYPE x_total counter\n"), "got %s", text);
}

TEST(prometheus_labels_that_do_not_fit_leave_the_sample_out)
{
	struct prom_labels l = {};
	char big[600];
	FILE *out = open_text();

	if (!CHECK(out != NULL, "open_memstream"))
		return;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	prom_label(&l, "a", "1");
	prom_label(&l, "b", big);
	prom_label(&l, "c", "3");
	prom_sample(out, "m", &l, 1);
	fclose(out);
	CHECK_EQ(text_len, 0, "bytes written for a sample whose labels do not fit");
	/* Up to the last byte that fits: written whole. */
	l = (struct prom_labels){};
	big[sizeof(l.text) - 1 - strlen("b=\"\"")] = '\0';
	out = open_text();
	prom_label(&l, "b", big);
	prom_sample(out, "m", &l, 1);
	fclose(out);
	CHECK(text_len == strlen("m{} 1\n") + sizeof(l.text) - 1, "got %zu bytes", text_len);
}
