/*
 * A tiny test framework for host tests of kernel code (tests/host/test_*.c).
 * Each test file #includes the kernel sources it tests, defines test
 * functions and lists them in HOST_TESTS(...); the output is KTAP, like the
 * kernel's own tests, which tests/test_host.py reads.
 *
 *     static void merges_neighbours(void) { CHECK_EQ(1 + 1, 2); }
 *     HOST_TESTS(merges_neighbours)
 *
 * CHECK* record a failure with file:line and the values, and go on.
 * EXPECT_PANIC(substring, statement) runs the statement and checks that it
 * panics with a message containing the substring (panic_at longjmps back).
 */
#ifndef TESTS_HOST_H
#define TESTS_HOST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int host_failures;
extern jmp_buf *host_panic_jump;
extern char host_panic_message[512];

void host_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A file of tests/host/data/<dir>/ in malloc'd memory, or NULL (a failure is recorded). */
unsigned char *host_load_data(const char *dir, const char *name, size_t *size);

#define CHECK(cond)                                              \
    do {                                                         \
        if (!(cond))                                             \
            host_fail(__FILE__, __LINE__, "expected %s", #cond); \
    } while (0)

#define CHECK_MSG(cond, ...)                            \
    do {                                                \
        if (!(cond))                                    \
            host_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

#define CHECK_EQ(a, b)                                                                            \
    do {                                                                                          \
        unsigned long long _a = (unsigned long long)(a);                                          \
        unsigned long long _b = (unsigned long long)(b);                                          \
        if (_a != _b)                                                                             \
            host_fail(__FILE__, __LINE__, "expected %s == %s: 0x%llx != 0x%llx", #a, #b, _a, _b); \
    } while (0)

#define CHECK_STR(a, b)                                                            \
    do {                                                                           \
        const char *_a = (a), *_b = (b);                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0)                                     \
            host_fail(__FILE__, __LINE__, "expected %s == \"%s\", got \"%s\"", #a, \
                      _b ? _b : "(null)", _a ? _a : "(null)");                     \
    } while (0)

/* Run `stmt`; it must panic with a message containing `substr`. */
#define EXPECT_PANIC(substr, stmt)                                                 \
    do {                                                                           \
        jmp_buf _jb;                                                               \
        host_panic_message[0] = '\0';                                              \
        if (setjmp(_jb) == 0) {                                                    \
            host_panic_jump = &_jb;                                                \
            stmt;                                                                  \
            host_panic_jump = NULL;                                                \
            host_fail(__FILE__, __LINE__, "expected a panic from %s", #stmt);      \
        } else {                                                                   \
            host_panic_jump = NULL;                                                \
            if (!strstr(host_panic_message, substr))                               \
                host_fail(__FILE__, __LINE__, "panic message \"%s\" lacks \"%s\"", \
                          host_panic_message, substr);                             \
        }                                                                          \
    } while (0)

struct host_test {
    const char *name;
    void (*run)(void);
};

int host_run_tests(const char *suite, const struct host_test *tests, int count, int argc,
                   char **argv);

#define HOST_TEST_ENTRY_(fn) { #fn, fn },
#define HOST_TESTS(...)                                                                            \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const struct host_test tests[] = { HOST_FOREACH_(HOST_TEST_ENTRY_, __VA_ARGS__) };  \
        return host_run_tests(__BASE_FILE__, tests, sizeof(tests) / sizeof(tests[0]), argc, argv); \
    }

/* Apply m to each of up to 32 arguments. */
#define HOST_FOREACH_(m, ...)                                                                      \
    HOST_FE_N_(__VA_ARGS__, HOST_FE_32_, HOST_FE_31_, HOST_FE_30_, HOST_FE_29_, HOST_FE_28_,       \
               HOST_FE_27_, HOST_FE_26_, HOST_FE_25_, HOST_FE_24_, HOST_FE_23_, HOST_FE_22_,       \
               HOST_FE_21_, HOST_FE_20_, HOST_FE_19_, HOST_FE_18_, HOST_FE_17_, HOST_FE_16_,       \
               HOST_FE_15_, HOST_FE_14_, HOST_FE_13_, HOST_FE_12_, HOST_FE_11_, HOST_FE_10_,       \
               HOST_FE_9_, HOST_FE_8_, HOST_FE_7_, HOST_FE_6_, HOST_FE_5_, HOST_FE_4_, HOST_FE_3_, \
               HOST_FE_2_, HOST_FE_1_)                                                             \
    (m, __VA_ARGS__)
#define HOST_FE_N_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17,   \
                   _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, N, \
                   ...)                                                                          \
    N
#define HOST_FE_1_(m, x)       m(x)
#define HOST_FE_2_(m, x, ...)  m(x) HOST_FE_1_(m, __VA_ARGS__)
#define HOST_FE_3_(m, x, ...)  m(x) HOST_FE_2_(m, __VA_ARGS__)
#define HOST_FE_4_(m, x, ...)  m(x) HOST_FE_3_(m, __VA_ARGS__)
#define HOST_FE_5_(m, x, ...)  m(x) HOST_FE_4_(m, __VA_ARGS__)
#define HOST_FE_6_(m, x, ...)  m(x) HOST_FE_5_(m, __VA_ARGS__)
#define HOST_FE_7_(m, x, ...)  m(x) HOST_FE_6_(m, __VA_ARGS__)
#define HOST_FE_8_(m, x, ...)  m(x) HOST_FE_7_(m, __VA_ARGS__)
#define HOST_FE_9_(m, x, ...)  m(x) HOST_FE_8_(m, __VA_ARGS__)
#define HOST_FE_10_(m, x, ...) m(x) HOST_FE_9_(m, __VA_ARGS__)
#define HOST_FE_11_(m, x, ...) m(x) HOST_FE_10_(m, __VA_ARGS__)
#define HOST_FE_12_(m, x, ...) m(x) HOST_FE_11_(m, __VA_ARGS__)
#define HOST_FE_13_(m, x, ...) m(x) HOST_FE_12_(m, __VA_ARGS__)
#define HOST_FE_14_(m, x, ...) m(x) HOST_FE_13_(m, __VA_ARGS__)
#define HOST_FE_15_(m, x, ...) m(x) HOST_FE_14_(m, __VA_ARGS__)
#define HOST_FE_16_(m, x, ...) m(x) HOST_FE_15_(m, __VA_ARGS__)
#define HOST_FE_17_(m, x, ...) m(x) HOST_FE_16_(m, __VA_ARGS__)
#define HOST_FE_18_(m, x, ...) m(x) HOST_FE_17_(m, __VA_ARGS__)
#define HOST_FE_19_(m, x, ...) m(x) HOST_FE_18_(m, __VA_ARGS__)
#define HOST_FE_20_(m, x, ...) m(x) HOST_FE_19_(m, __VA_ARGS__)
#define HOST_FE_21_(m, x, ...) m(x) HOST_FE_20_(m, __VA_ARGS__)
#define HOST_FE_22_(m, x, ...) m(x) HOST_FE_21_(m, __VA_ARGS__)
#define HOST_FE_23_(m, x, ...) m(x) HOST_FE_22_(m, __VA_ARGS__)
#define HOST_FE_24_(m, x, ...) m(x) HOST_FE_23_(m, __VA_ARGS__)
#define HOST_FE_25_(m, x, ...) m(x) HOST_FE_24_(m, __VA_ARGS__)
#define HOST_FE_26_(m, x, ...) m(x) HOST_FE_25_(m, __VA_ARGS__)
#define HOST_FE_27_(m, x, ...) m(x) HOST_FE_26_(m, __VA_ARGS__)
#define HOST_FE_28_(m, x, ...) m(x) HOST_FE_27_(m, __VA_ARGS__)
#define HOST_FE_29_(m, x, ...) m(x) HOST_FE_28_(m, __VA_ARGS__)
#define HOST_FE_30_(m, x, ...) m(x) HOST_FE_29_(m, __VA_ARGS__)
#define HOST_FE_31_(m, x, ...) m(x) HOST_FE_30_(m, __VA_ARGS__)
#define HOST_FE_32_(m, x, ...) m(x) HOST_FE_31_(m, __VA_ARGS__)

#endif
