/*
 * The in-kernel test framework (modelled on Linux's KUnit).
 *
 * A test is a function taking a `struct ktest *`; a suite is a named array
 * of them, registered with KTEST_SUITE(), which places it in the
 * .ktest_suites linker section, so adding a suite never edits a list:
 *
 *     static void adds(struct ktest *t) { KEXPECT_EQ(t, 1 + 1, 2); }
 *     static const struct ktest_case math_cases[] = { KTEST_CASE(adds), {0} };
 *     KTEST_SUITE(math, math_cases);
 *
 * `ktest=all` or `ktest=math,string` on the command line runs suites and
 * prints KTAP version 1; the kernel then powers off, status 0 only if every
 * test passed. `ktest.nonce=X` (the grader's, new for each boot) is printed
 * at the start and the end of the run (`# ktest: run X`, `# ktest: end X:
 * ...`), so text printed before the run, or the log of another boot, cannot
 * pass for this boot's results (tools/ktap_check.py). KEXPECT_* records a failure and goes on; KASSERT_* records it
 * and returns from the test. Failures print the expression, the expected
 * and actual values and file:line; the expression is shown as written
 * (PAGE_SIZE, not its expansion). KEXPECT_VM and KEXPECT_ERRNO compare
 * error codes and print them by name (VM_ERR_EXISTS, -EFAULT), not as -2.
 *
 * A suite may name an exit function (KTEST_SUITE_EXIT): it runs after every
 * case, passed or failed, and puts back what a case may have left behind
 * (a mapping in the scratch window), so one failure does not make the cases
 * after it fail for a reason that is not theirs.
 */
#ifndef DUET_KTEST_H
#define DUET_KTEST_H

#include <duet/compiler.h>
#include <duet/string.h>
#include <duet/types.h>

struct ktest {
    const char *name;
    bool failed;
    bool skipped;
    const char *skip_reason;
};

struct ktest_case {
    const char *name;
    void (*run)(struct ktest *t);
};

struct ktest_suite {
    const char *name;
    const struct ktest_case *cases; /* ends with a {0} entry */
    void (*exit)(void);             /* optional: after each case, whatever its result */
    bool named_only;                /* not part of ktest=all (the framework's self-test) */
};

#define KTEST_CASE(fn) \
    {                  \
#fn, fn        \
    }

#define KTEST_SUITE_(sname, case_array, exit_fn, only_by_name)                       \
    static const struct ktest_suite __ktest_suite_##sname __section(".ktest_suites") \
        __used __aligned(8) = {                                                      \
            .name = #sname,                                                          \
            .cases = (case_array),                                                   \
            .exit = (exit_fn),                                                       \
            .named_only = (only_by_name),                                            \
        }
#define KTEST_SUITE(sname, case_array)               KTEST_SUITE_(sname, case_array, NULL, false)
#define KTEST_SUITE_EXIT(sname, case_array, exit_fn) KTEST_SUITE_(sname, case_array, exit_fn, false)
/* A suite that runs only when named (ktest=ktest_selftest): its cases fail on purpose. */
#define KTEST_SUITE_NAMED_ONLY(sname, case_array, exit_fn) \
    KTEST_SUITE_(sname, case_array, exit_fn, true)

/* Run the suites named in `spec` ("all" or a comma list); returns failures. */
int ktest_run(const char *spec);

/* Mark the running test skipped, with a reason; the test should return. */
void ktest_skip(struct ktest *t, const char *reason);

/* Failure reports; the macros below fill in the text. */
void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...) __printf(4, 5);
void ktest_fail_int(struct ktest *t, const char *file, int line, const char *expr, const char *op,
                    long long a, long long b, bool is_unsigned);
void ktest_fail_str(struct ktest *t, const char *file, int line, const char *expr, const char *a,
                    const char *b);
void ktest_fail_code(struct ktest *t, const char *file, int line, const char *expr, long a, long b,
                     const char *(*name)(long));

#define KTEST_CMP_(t, a, op, b, text, on_fail)                                             \
    do {                                                                                   \
        __typeof__(a) _a = (a);                                                            \
        __typeof__(b) _b = (b);                                                            \
        if (!(_a op _b)) {                                                                 \
            ktest_fail_int(t, __FILE__, __LINE__, text, #op, (long long)_a, (long long)_b, \
                           (__typeof__(_a))-1 > 0);                                        \
            on_fail;                                                                       \
        }                                                                                  \
    } while (0)

#define KEXPECT_EQ(t, a, b) KTEST_CMP_(t, a, ==, b, #a " == " #b, (void)0)
#define KEXPECT_NE(t, a, b) KTEST_CMP_(t, a, !=, b, #a " != " #b, (void)0)
#define KEXPECT_LT(t, a, b) KTEST_CMP_(t, a, <, b, #a " < " #b, (void)0)
#define KEXPECT_LE(t, a, b) KTEST_CMP_(t, a, <=, b, #a " <= " #b, (void)0)
#define KEXPECT_GT(t, a, b) KTEST_CMP_(t, a, >, b, #a " > " #b, (void)0)
#define KEXPECT_GE(t, a, b) KTEST_CMP_(t, a, >=, b, #a " >= " #b, (void)0)
#define KASSERT_EQ(t, a, b) KTEST_CMP_(t, a, ==, b, #a " == " #b, return )
#define KASSERT_NE(t, a, b) KTEST_CMP_(t, a, !=, b, #a " != " #b, return )
#define KASSERT_GT(t, a, b) KTEST_CMP_(t, a, >, b, #a " > " #b, return )

/* Error codes, compared for equality and printed by name: KEXPECT_VM takes
 * vm_err_name from mm/vm.h, KEXPECT_ERRNO errno_name from duet/errno.h. */
#define KTEST_CODE_(t, a, b, name, text, on_fail)                       \
    do {                                                                \
        long _a = (long)(a);                                            \
        long _b = (long)(b);                                            \
        if (_a != _b) {                                                 \
            ktest_fail_code(t, __FILE__, __LINE__, text, _a, _b, name); \
            on_fail;                                                    \
        }                                                               \
    } while (0)
#define KEXPECT_VM(t, a, b)    KTEST_CODE_(t, a, b, vm_err_name, #a " == " #b, (void)0)
#define KASSERT_VM(t, a, b)    KTEST_CODE_(t, a, b, vm_err_name, #a " == " #b, return )
#define KEXPECT_ERRNO(t, a, b) KTEST_CODE_(t, a, b, errno_name, #a " == " #b, (void)0)
#define KASSERT_ERRNO(t, a, b) KTEST_CODE_(t, a, b, errno_name, #a " == " #b, return )

#define KEXPECT_TRUE(t, c)                                              \
    do {                                                                \
        if (!(c))                                                       \
            ktest_fail(t, __FILE__, __LINE__, "expected true: %s", #c); \
    } while (0)
#define KEXPECT_FALSE(t, c)                                              \
    do {                                                                 \
        if (c)                                                           \
            ktest_fail(t, __FILE__, __LINE__, "expected false: %s", #c); \
    } while (0)
#define KASSERT_TRUE(t, c)                                              \
    do {                                                                \
        if (!(c)) {                                                     \
            ktest_fail(t, __FILE__, __LINE__, "expected true: %s", #c); \
            return;                                                     \
        }                                                               \
    } while (0)

#define KTEST_STR_(t, a, op, b, text, on_fail)                                 \
    do {                                                                       \
        const char *_a = (a), *_b = (b);                                       \
        if (!(strcmp(_a, _b) op 0)) { /* NOLINT(bugprone-macro-parentheses) */ \
            ktest_fail_str(t, __FILE__, __LINE__, text, _a, _b);               \
            on_fail;                                                           \
        }                                                                      \
    } while (0)
#define KEXPECT_STREQ(t, a, b) KTEST_STR_(t, a, ==, b, #a " == " #b, (void)0)
#define KEXPECT_STRNE(t, a, b) KTEST_STR_(t, a, !=, b, #a " != " #b, (void)0)

#endif
