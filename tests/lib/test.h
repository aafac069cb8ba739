/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C tests' framework, in the manner of the kernel's selftests/bpf test_progs.
 *
 *   TEST(name) { ... }
 *	a test: a function of that name, registered where it is written (no list to keep).
 *   TEST_AS_ROOT(name) { ... }
 *	the same, for a test that needs root.
 *   TEST_F(name, fixture, variants) { ... variant ... }
 *	a test run once per variant that the bit mask @variants names, as "name/<variant>",
 *	with the fixture's setup before each run (tests/unit/packets/packets.h makes one).
 *
 * A test ends by returning, from anywhere: the framework runs the fixture's teardown and
 * prints "PASS: name" if no CHECK() failed. A failed CHECK() prints "FAIL: name: func:line:
 * what: got ... want ..." and the test goes on (CHECK() returns whether it held, for a test
 * that cannot go on). A test_subtest() runs the rest of the test as "name/variant/sub" on a
 * state of its own. tests/run counts the PASS, FAIL and SKIP lines.
 *
 * Every test binary gets main() from test.c:
 *   test_x [-l] [-t PATTERN]...
 *	-t runs only the tests whose name ("name/variant") contains PATTERN, or matches it as
 *	a glob when it has * ? or [; -l lists the names instead of running them.
 * It exits 1 if any test failed.
 */
#ifndef HP_TEST_H
#define HP_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct test_fixture {
	/*
	 * Once, before the first test that uses the fixture runs.
	 * Return: NULL, or why none of its tests can run: printed once, "FAIL: binary: why".
	 */
	const char *(*init)(void);
	void (*fini)(void);
	/* Before each test and subtest: a fresh state. Return: false if it failed a CHECK(). */
	bool (*setup)(int variant);
	/* After each test and subtest. */
	void (*teardown)(int variant);
	/* NULL, or why this machine cannot run @variant: its runs print SKIP. */
	const char *(*unsupported)(int variant);
	/* The name of each variant, the suffix of "name/variant". */
	const char *const *variants;
};

struct test {
	const char *name;
	void (*run)(int variant);
	const struct test_fixture *fixture;	/* NULL: no setup or teardown */
	unsigned int variants;	/* bit v: a run as "name/variants[v]"; 0: one run, as "name" */
	const char *file;
	int line;
};

/*
 * Put a pointer to the descriptor in the section "hp_tests", which test.c walks from
 * __start_hp_tests to __stop_hp_tests: the linker makes the list. (Pointers rather than the
 * descriptors themselves: the compiler may align a larger object more than its size, which
 * would leave gaps between array entries.)
 */
#define TEST_REGISTER(name_, run_, fixture_, variants_)                                   \
	static const struct test test_desc_##name_ = {                                     \
		.name = #name_, .run = (run_), .fixture = (fixture_),                      \
		.variants = (variants_), .file = __FILE__, .line = __LINE__,               \
	};                                                                                 \
	static const struct test *const test_ptr_##name_                                   \
		__attribute__((used, section("hp_tests"))) = &test_desc_##name_

#define TEST(name_)                                                                        \
	static void name_(void);                                                           \
	static void test_run_##name_(int variant) { name_(); }                             \
	TEST_REGISTER(name_, test_run_##name_, NULL, 0);                                   \
	static void name_(void)

#define TEST_F(name_, fixture_, variants_)                                                 \
	static void name_(int variant);                                                    \
	TEST_REGISTER(name_, name_, fixture_, variants_);                                  \
	static void name_(int variant)

/* A test that needs root (BPF, namespaces): one FAIL line, for all of them, if not root. */
#define TEST_AS_ROOT(name_) TEST_F(name_, &test_root, 0)
extern const struct test_fixture test_root;

/*
 * Within a test: end what ran so far as a (sub)test of its own, and run the rest as
 * "name/variant/@name" on a fresh state (the fixture's teardown and setup). A test that uses
 * subtests prints no PASS line of its own, only theirs.
 * Return: false if the setup failed; the caller then skips that subtest.
 */
bool test_subtest(const char *name);

/* The name the current (sub)test prints, "name/variant/sub". */
const char *test_name(void);

/* Record a failure of the current (sub)test: prints "FAIL: name: ...". */
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The current (sub)test cannot run here, for the reason given: prints "SKIP: name: ...", and
 * no PASS line. The test returns after it.
 */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond, fmt, ...)                                                              \
	({                                                                                 \
		int __ok = !!(cond);                                                       \
		if (!__ok)                                                                 \
			test_fail("%s:%d: " fmt, __func__, __LINE__, ##__VA_ARGS__);       \
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

#endif
