/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Minimal test harness: each TEST prints "ok - NAME" or "not ok - NAME"
 * with the failed checks, and main() ends with "N passed, N failed".
 */
#ifndef TLSFP_CHECK_H
#define TLSFP_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_in_test;
static int tests_passed, tests_failed;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			check_failed_in_test++;                               \
			printf("#   %s:%d: check failed: %s: ", __FILE__,      \
			       __LINE__, #cond);                              \
			printf(__VA_ARGS__);                                  \
			printf("\n");                                         \
		}                                                             \
	} while (0)

#define CHECK_EQ_INT(got, want)                                               \
	CHECK((long long)(got) == (long long)(want), "got %lld, want %lld",   \
	      (long long)(got), (long long)(want))

#define CHECK_EQ_STR(got, want)                                               \
	CHECK(strcmp((got), (want)) == 0, "got \"%s\", want \"%s\"", (got),   \
	      (want))

#define RUN_TEST(fn)                                                          \
	do {                                                                  \
		check_failed_in_test = 0;                                     \
		fn();                                                         \
		if (check_failed_in_test) {                                   \
			tests_failed++;                                       \
			printf("not ok - %s\n", #fn);                         \
		} else {                                                      \
			tests_passed++;                                       \
			printf("ok - %s\n", #fn);                             \
		}                                                             \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

#endif /* TLSFP_CHECK_H */
