// SPDX-License-Identifier: GPL-2.0
/*
 * The log (loader/log.c): each level shows what it should and no more (-q, default, -v, -vv),
 * libbpf's warnings are shown as warnings at every level, its debug lines only with -vv; with
 * stderr the journal's stream (JOURNAL_STREAM its device:inode), every line, each line of a
 * message of several, starts with its syslog priority; with another stream named, none does.
 * A capture keeps warnings instead of printing them. stderr is a file of the test's, read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "log.h"
#include "test.h"

static FILE *out;
static int saved_stderr = -1;
static char text[8192];

/* stderr into a fresh file until logged() reads it back. */
static void begin(int level)
{
	fflush(stderr);
	out = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(out), STDERR_FILENO);
	log_set_level(level);
	unsetenv("JOURNAL_STREAM");
	log_detect_journal();
	log_attach_libbpf();
}

/* What was written to stderr since begin(); stderr is back. */
static const char *logged(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(out);
	n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	fclose(out);
	log_set_level(LOG_LEVEL_NORMAL);
	unsetenv("JOURNAL_STREAM");
	log_detect_journal();
	return text;
}

/* One message at each level, and a warning of libbpf's (an ELF file it cannot open). */
static void say_all(void)
{
	pr_err("an error");
	pr_warn("a warning");
	pr_info("some info");
	pr_debug("a debug line");
	bpf_object__open_file("/nonexistent/hairpin-test.o", NULL);
}

TEST(log_levels)
{
	const struct {
		int level;
		bool info, debug;
	} cases[] = {
		{ LOG_LEVEL_QUIET, false, false },
		{ LOG_LEVEL_NORMAL, true, false },
		{ LOG_LEVEL_VERBOSE, true, true },
		{ LOG_LEVEL_DEBUG, true, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		begin(cases[i].level);
		say_all();
		got = logged();
		CHECK(strstr(got, "hairpin: an error\n"), "level %d: no error in: %s",
		      cases[i].level, got);
		CHECK(strstr(got, "hairpin: a warning\n"), "level %d: no warning in: %s",
		      cases[i].level, got);
		CHECK(!strstr(got, "hairpin: some info") == !cases[i].info,
		      "level %d: info %s: %s", cases[i].level,
		      cases[i].info ? "missing" : "shown", got);
		CHECK(!strstr(got, "hairpin: a debug line") == !cases[i].debug,
		      "level %d: debug %s: %s", cases[i].level,
		      cases[i].debug ? "missing" : "shown", got);
		/* libbpf's own warning, at every level, on a line of its own */
		CHECK(strstr(got, "hairpin: libbpf: elf: failed to open /nonexistent/hairpin-test.o"),
		      "level %d: libbpf's warning not shown: %s", cases[i].level, got);
		CHECK(!strstr(got, "\n\n"), "level %d: an empty line: %s", cases[i].level, got);
		CHECK(!strchr(got, '<'), "level %d: a priority without the journal: %s",
		      cases[i].level, got);
	}
}

/* With stderr the journal's stream: priorities, on every line of a message of several. */
TEST(log_journal_priorities)
{
	struct stat st;
	char stream[64];
	const char *got;

	begin(LOG_LEVEL_VERBOSE);
	fstat(STDERR_FILENO, &st);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	log_detect_journal();
	say_all();
	pr_warn("first line\nsecond line");
	got = logged();
	CHECK(strstr(got, "<3>hairpin: an error\n"), "no <3>: %s", got);
	CHECK(strstr(got, "<4>hairpin: a warning\n"), "no <4>: %s", got);
	CHECK(strstr(got, "<6>hairpin: some info\n"), "no <6>: %s", got);
	CHECK(strstr(got, "<7>hairpin: a debug line\n"), "no <7>: %s", got);
	CHECK(strstr(got, "<4>hairpin: libbpf: elf: failed to open"), "libbpf's not <4>: %s", got);
	CHECK(strstr(got, "<4>hairpin: first line\n<4>hairpin: second line\n"),
	      "a message of two lines not prefixed on each: %s", got);
}

/* Another stream named in JOURNAL_STREAM (stderr redirected away from the journal): none. */
TEST(log_journal_other_stream)
{
	const char *got;

	begin(LOG_LEVEL_NORMAL);
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_detect_journal();
	pr_warn("a warning");
	got = logged();
	CHECK_STR(got, "hairpin: a warning\n", "stderr");
}

TEST(log_capture)
{
	struct log_capture capture, nested;
	const char *got;

	begin(LOG_LEVEL_NORMAL);
	CHECK(log_capture_begin(&capture), "the capture did not begin");
	CHECK(!log_capture_begin(&nested), "a nested capture began");
	pr_warn("first %d", 1);
	pr_err("second");
	pr_info("shown");
	log_capture_end();
	pr_warn("after");
	got = logged();
	CHECK_STR(capture.text, "first 1; second", "captured");
	CHECK_EQ(capture.count, 2, "captured messages");
	CHECK_STR(got, "hairpin: shown\nhairpin: after\n", "printed");
}
