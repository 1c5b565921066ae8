/*
 * A parser's notes (printf, e.g. "the command line is longer than ...")
 * kept for the test to read instead of printed: the last one is in
 * `printed`. Include it right before the kernel source under test and
 * `#undef printf` right after, so the test's own printf is the host's.
 */
#ifndef TESTS_HOST_PRINTED_H
#define TESTS_HOST_PRINTED_H

#include <stdarg.h>

static char printed[256];
static int collect_printf(const char *fmt, ...) __printf(1, 2);
static int collect_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(printed, sizeof(printed), fmt, ap);
    va_end(ap);
    return n;
}
#define printf(...) collect_printf(__VA_ARGS__) /* function-like: format(printf, ...) stays */

#endif
