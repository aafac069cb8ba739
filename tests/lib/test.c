// SPDX-License-Identifier: GPL-2.0
/* The runner of the C tests: main(), the registered tests, -t and -l; see test.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

/* Made by the linker from the TEST_REGISTER() entries; weak, for a binary without tests. */
extern const struct test *const __start_hp_tests[] __attribute__((weak));
extern const struct test *const __stop_hp_tests[] __attribute__((weak));

#define MAX_FIXTURES 8

static struct {
	const struct test *test;
	int variant;
	char name[192];		/* "name/variant/sub", as printed */
	int name_len;		/* of "name/variant", where a subtest's name goes */
	bool subtests;		/* a subtest started: the test prints no line of its own */
	int failures;		/* of the current (sub)test */
	bool skipped;		/* the current (sub)test said SKIP */
} cur;

static int failed;		/* (sub)tests with a failure, and fixtures that could not start */

static struct {
	const struct test_fixture *fixture;
	const char *error;	/* its init's, or NULL */
} fixtures[MAX_FIXTURES];
static int n_fixtures;

const char *test_name(void)
{
	return cur.name;
}

void test_fail(const char *fmt, ...)
{
	va_list ap;

	cur.failures++;
	printf("FAIL: %s: ", cur.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	cur.skipped = true;
	printf("SKIP: %s: ", cur.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The PASS line of what ran under cur.name, or nothing (its FAIL or SKIP line said it). */
static void report(void)
{
	if (cur.failures)
		failed++;
	else if (!cur.skipped)
		printf("PASS: %s\n", cur.name);
	fflush(stdout);
	cur.failures = 0;
	cur.skipped = false;
}

static const char *root_init(void)
{
	return geteuid() ? "must run as root" : NULL;
}

const struct test_fixture test_root = {
	.init = root_init,
};

static bool setup(void)
{
	const struct test_fixture *f = cur.test->fixture;

	return !f || !f->setup || f->setup(cur.variant);
}

static void teardown(void)
{
	const struct test_fixture *f = cur.test->fixture;

	if (f && f->teardown)
		f->teardown(cur.variant);
}

bool test_subtest(const char *name)
{
	/* What ran before the first subtest is reported only if it failed or skipped. */
	if (cur.subtests || cur.failures || cur.skipped)
		report();
	teardown();
	cur.subtests = true;
	snprintf(cur.name + cur.name_len, sizeof(cur.name) - cur.name_len, "/%s", name);
	return setup();
}

/* Init of @f once per binary. Return: NULL, or why its tests cannot run. */
static const char *fixture_start(const struct test_fixture *f)
{
	int i;

	for (i = 0; i < n_fixtures; i++) {
		if (fixtures[i].fixture == f)
			return fixtures[i].error;
	}
	if (n_fixtures == MAX_FIXTURES) {
		fprintf(stderr, "test: more than %d fixtures in one binary\n", MAX_FIXTURES);
		exit(2);
	}
	fixtures[n_fixtures].fixture = f;
	fixtures[n_fixtures].error = f->init ? f->init() : NULL;
	if (fixtures[n_fixtures].error) {
		printf("FAIL: %s: %s\n", program_invocation_short_name, fixtures[n_fixtures].error);
		failed++;
	}
	return fixtures[n_fixtures++].error;
}

static void run_one(const struct test *t, int variant, const char *name)
{
	const struct test_fixture *f = t->fixture;
	const char *why;

	if (f && fixture_start(f))
		return;
	if (f && f->unsupported && (why = f->unsupported(variant))) {
		printf("SKIP: %s: %s\n", name, why);
		return;
	}
	memset(&cur, 0, sizeof(cur));
	cur.test = t;
	cur.variant = variant;
	cur.name_len = snprintf(cur.name, sizeof(cur.name), "%s", name);
	if (setup())
		t->run(variant);
	teardown();
	report();	/* the test, or its last subtest */
}

static bool selected(const char *name, char **patterns, int n_patterns)
{
	if (!n_patterns)
		return true;
	for (int i = 0; i < n_patterns; i++) {
		if (strpbrk(patterns[i], "*?[") ? !fnmatch(patterns[i], name, 0)
						: !!strstr(name, patterns[i]))
			return true;
	}
	return false;
}

/* In the order they are written: by file, then line (the linker's order is its own). */
static int by_place(const void *a, const void *b)
{
	const struct test *x = *(const struct test *const *)a, *y = *(const struct test *const *)b;
	int c = strcmp(x->file, y->file);

	return c ? c : x->line - y->line;
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [-l] [-t PATTERN]...\n"
		"  -t PATTERN  run only the tests whose name (name/variant) contains PATTERN,\n"
		"              or matches it if it has * ? or [ (a glob); may be repeated\n"
		"  -l          list the test names instead of running them\n", prog);
}

int main(int argc, char **argv)
{
	size_t n = __stop_hp_tests - __start_hp_tests;
	const struct test **tests;
	char **patterns = calloc(argc, sizeof(*patterns));
	int n_patterns = 0, opt;
	bool list = false, matched = false;

	while ((opt = getopt(argc, argv, "lt:h")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 't':
			patterns[n_patterns++] = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument `%s' (a pattern goes after -t)\n", argv[0],
			argv[optind]);
		return 2;
	}
	tests = calloc(n ? n : 1, sizeof(*tests));
	if (!tests || !patterns) {
		perror("calloc");
		return 2;
	}
	memcpy(tests, __start_hp_tests, n * sizeof(*tests));
	qsort(tests, n, sizeof(*tests), by_place);

	for (size_t i = 0; i < n; i++) {
		const struct test *t = tests[i];
		char name[160];

		for (int v = 0; v < 32; v++) {
			if (!t->variants)
				snprintf(name, sizeof(name), "%s", t->name);
			else if (t->variants & 1U << v)
				snprintf(name, sizeof(name), "%s/%s", t->name, t->fixture->variants[v]);
			else
				continue;
			if (selected(name, patterns, n_patterns)) {
				matched = true;
				if (list)
					printf("%s\n", name);
				else
					run_one(t, v, name);
			}
			if (!t->variants)
				break;
		}
	}
	if (n_patterns && !matched) {
		fprintf(stderr, "%s: no test name matches the -t patterns (-l lists them)\n",
			argv[0]);
		return 2;
	}
	for (int i = 0; i < n_fixtures; i++) {
		if (!fixtures[i].error && fixtures[i].fixture->fini)
			fixtures[i].fixture->fini();
	}
	free(tests);
	free(patterns);
	return failed ? 1 : 0;
}
