// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON string writer of `status --json` (loader/json.c): whatever the bytes, the output is
 * one valid JSON string in valid UTF-8. Well-formed UTF-8 passes unchanged, each ill-formed
 * sequence becomes one U+FFFD (maximal subparts, as the Unicode Standard recommends), and the
 * characters JSON reserves are escaped. The output is checked with glibc's iconv(), an
 * implementation of UTF-8 that is not ours.
 */
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "json.h"

/* What @write writes for @s; static, valid until the next call. */
static const char *written(void (*write)(FILE *out, const char *s), const char *s)
{
	static char *buf;
	size_t len;
	FILE *out;

	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	if (!out)
		return "";
	write(out, s);
	fclose(out);
	return buf;
}

/* What json_fprint_string() writes for @s. */
static const char *json_of(const char *s)
{
	return written(json_fprint_string, s);
}

#define CHECK_JSON(in, want)                                                               \
	CHECK(!strcmp(json_of(in), want), "json of \"%s\": got %s, want %s", #in, json_of(in), \
	      want)

/*
 * Whether @s is valid UTF-8, by iconv() into UTF-32, which refuses overlong forms, surrogates
 * and what lies past U+10FFFF (glibc's UTF-8 to UTF-8 lets the last through).
 */
static bool utf8_valid(const char *s)
{
	static iconv_t cd = (iconv_t)-1;
	char out[256], *in = (char *)s, *o = out;
	size_t in_left = strlen(s), out_left = sizeof(out);

	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-32LE", "UTF-8");
	iconv(cd, NULL, NULL, NULL, NULL);
	while (in_left) {
		if (iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
			if (errno != E2BIG)
				return false;
			o = out;
			out_left = sizeof(out);
		}
	}
	return true;
}

/*
 * One JSON string: quotes at both ends only, no raw control character, every backslash
 * starting one of the escapes the writer uses; and valid UTF-8.
 */
static bool json_string_valid(const char *j)
{
	size_t n = strlen(j);

	if (n < 2 || j[0] != '"' || j[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = j[i];

		if (c < 0x20 || c == '"')
			return false;
		if (c != '\\')
			continue;
		if (j[i + 1] == '"' || j[i + 1] == '\\') {
			i++;
		} else if (j[i + 1] == 'u' && i + 5 < n - 1 &&
			   strspn(j + i + 2, "0123456789abcdef") >= 4) {
			i += 5;
		} else {
			return false;
		}
	}
	return utf8_valid(j);
}

TEST(json_plain_text_and_what_json_reserves)
{
	CHECK_JSON("", "\"\"");
	CHECK_JSON("lan0", "\"lan0\"");
	CHECK_JSON("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_JSON("\x01\t\n\x1b[2J\x1f\x7f", "\"\\u0001\\u0009\\u000a\\u001b[2J\\u001f\\u007f\"");
}

TEST(json_utf8_passes_each_ill_formed_sequence_is_one_fffd)
{
	/* 2, 3 and 4 bytes, and the edges of table 3-7. */
	CHECK_JSON("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	CHECK_JSON("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
	CHECK_JSON("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");
	CHECK_JSON("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
		   "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\"");
	/* A device name of high bytes, as the namespace test makes one. */
	CHECK_JSON("\xff\xfe\x80\xa0x", "\"\\ufffd\\ufffd\\ufffd\\ufffdx\"");
	/* Overlong forms, surrogates, past U+10FFFF: every byte its own U+FFFD. */
	CHECK_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	CHECK_JSON("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf5\x80", "\"\\ufffd\\ufffd\"");
	/* A sequence cut short is one U+FFFD, however much of it there was. */
	CHECK_JSON("\xe2\x82", "\"\\ufffd\"");
	CHECK_JSON("\xe2\x82" "A", "\"\\ufffdA\"");
	CHECK_JSON("\xf0\x9f\x98", "\"\\ufffd\"");
	CHECK_JSON("\xf0\x9f\x98\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
}

/* Whether @s has a byte that JSON escapes: a control character, DEL, '"' or '\\'. */
static bool json_reserved(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
			return true;
	return false;
}

/* Every string of one and two bytes, and 200,000 random ones of up to 8: valid JSON always. */
TEST(json_any_bytes_give_one_valid_string_in_valid_utf8)
{
	char s[9];
	int bad = 0;

	for (int a = 1; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			s[0] = a;
			s[1] = b;
			s[2] = '\0';
			if (!json_string_valid(json_of(s)) && bad++ < 5)
				CHECK(false, "bytes %02x %02x: %s", a, b, json_of(s));
		}
	}
	srandom(9);
	for (int i = 0; i < 200000; i++) {
		int len = 1 + random() % 8;

		for (int k = 0; k < len; k++)
			s[k] = 1 + random() % 255;
		s[len] = '\0';
		if (!json_string_valid(json_of(s)) && bad++ < 5)
			CHECK(false, "random bytes: %s", json_of(s));
		/* Well-formed input passes unchanged, but for what JSON reserves. */
		if (utf8_valid(s) && !json_reserved(s)) {
			const char *j = json_of(s);

			if ((strlen(j) != strlen(s) + 2 || strncmp(j + 1, s, strlen(s))) && bad++ < 5)
				CHECK(false, "well-formed %s came out as %s", s, j);
		}
	}
	CHECK_EQ(bad, 0, "invalid outputs");
}

/* What json_fprint_pretty() writes for @json. */
static const char *pretty_of(const char *json)
{
	return written(json_fprint_pretty, json);
}

#define CHECK_PRETTY(in, want)                                                             \
	CHECK(!strcmp(pretty_of(in), want), "pretty of %s: got\n%s\nwant\n%s", in,          \
	      pretty_of(in), want)

TEST(json_pretty_indents_four_spaces_a_level_as_bpftool_p)
{
	CHECK_PRETTY("{}", "{}\n");
	CHECK_PRETTY("{\"a\":1}", "{\n    \"a\": 1\n}\n");
	CHECK_PRETTY("{\"a\":[],\"b\":{},\"c\":[1,{\"d\":null}]}\n",
		     "{\n"
		     "    \"a\": [],\n"
		     "    \"b\": {},\n"
		     "    \"c\": [\n"
		     "        1,\n"
		     "        {\n"
		     "            \"d\": null\n"
		     "        }\n"
		     "    ]\n"
		     "}\n");
}

TEST(json_pretty_leaves_strings_as_they_are)
{
	/* What looks like structure inside a string, escaped quotes and backslashes. */
	CHECK_PRETTY("[\"a,b:{[\",\"q\\\"x,\",\"\\\\\",\" \"]",
		     "[\n"
		     "    \"a,b:{[\",\n"
		     "    \"q\\\"x,\",\n"
		     "    \"\\\\\",\n"
		     "    \" \"\n"
		     "]\n");
}
