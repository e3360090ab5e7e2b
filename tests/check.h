/* Minimal assertion counting for the C unit tests: each CHECK is one
 * assertion; the summary line is the plain "N passed, N failed". */
#ifndef SWAN_TEST_CHECK_H
#define SWAN_TEST_CHECK_H

#include <stdio.h>

static int checks_passed, checks_failed;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            checks_passed++;                                              \
        } else {                                                          \
            checks_failed++;                                              \
            fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed ? 1 : 0;
}

#endif
