/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for the C tests, in the manner of the kernel's selftests: a failed CHECK prints
 * "FAIL: test: what: got ... want ..." and the test goes on. Each test ends with test_done(),
 * which prints "PASS: name" or nothing more; tests/run counts these lines.
 */
#ifndef HP_TEST_CHECK_H
#define HP_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;	/* failures in the current test */
static int check_failed_tests;	/* tests with at least one failure */
static const char *check_test = "?";

static inline void test_start(const char *name)
{
	check_test = name;
	check_failures = 0;
}

static inline void test_done(void)
{
	if (check_failures)
		check_failed_tests++;
	else
		printf("PASS: %s\n", check_test);
	fflush(stdout);
}

#define CHECK(cond, fmt, ...)                                                              \
	({                                                                                 \
		int __ok = !!(cond);                                                       \
		if (!__ok) {                                                               \
			check_failures++;                                                  \
			printf("FAIL: %s: %s:%d: " fmt "\n", check_test, __func__, __LINE__,  \
			       ##__VA_ARGS__);                                             \
		}                                                                          \
		__ok;                                                                      \
	})

#define CHECK_EQ(got, want, what)                                                          \
	({                                                                                 \
		long long __g = (long long)(got), __w = (long long)(want);                 \
		CHECK(__g == __w, "%s: got %lld (0x%llx), want %lld (0x%llx)", what, __g,   \
		      (unsigned long long)__g, __w, (unsigned long long)__w);              \
	})

#define CHECK_STR(got, want, what)                                                         \
	({                                                                                 \
		const char *__g = (got), *__w = (want);                                    \
		CHECK(__g && strstr(__g, __w), "%s: got \"%s\", want it to contain \"%s\"",  \
		      what, __g ? __g : "(null)", __w);                                    \
	})

/* Exit status of a test binary: 0 when every test passed. */
static inline int test_exit_status(void)
{
	return check_failed_tests ? 1 : 0;
}

#endif
