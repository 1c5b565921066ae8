/* For the suites that run user programs (kernel/proc_test.c, kernel/mmap_test.c). */
#ifndef KERNEL_PROC_TEST_H
#define KERNEL_PROC_TEST_H

#include <duet/ktest.h>

/* Run argv[0] with argv; check its exit status and that no page leaked. */
void expect_run(struct ktest *t, int argc, const char *const argv[], int want);

#define RUN(t, want, ...)                                   \
    do {                                                    \
        const char *const _argv[] = { __VA_ARGS__ };        \
        expect_run(t, (int)ARRAY_SIZE(_argv), _argv, want); \
    } while (0)

#endif
