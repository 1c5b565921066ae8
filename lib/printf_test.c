/*
 * ktest suite `printf`: the formatter's conversions, flags and corner
 * cases, checked through snprintf so the result can be compared.
 */
#include <duet/ktest.h>
#include <duet/printk.h>
#include <duet/string.h>

#define CHECK_FORMAT(t, expected, ...)                      \
    do {                                                    \
        char _buf[128];                                     \
        int _n = snprintf(_buf, sizeof(_buf), __VA_ARGS__); \
        KEXPECT_STREQ(t, _buf, expected);                   \
        KEXPECT_EQ(t, _n, (int)strlen(expected));           \
    } while (0)

static void format_signed(struct ktest *t)
{
    CHECK_FORMAT(t, "0", "%d", 0);
    CHECK_FORMAT(t, "-42 17", "%d %i", -42, 17);
    CHECK_FORMAT(t, "-2147483648", "%d", (int)0x80000000);
    CHECK_FORMAT(t, "-9223372036854775808", "%lld", (long long)(1ULL << 63));
    CHECK_FORMAT(t, "9223372036854775807", "%ld", 0x7fffffffffffffffL);
}

static void format_unsigned_and_hex(struct ktest *t)
{
    CHECK_FORMAT(t, "4294967295", "%u", 0xffffffffu);
    CHECK_FORMAT(t, "18446744073709551615", "%llu", ~0ULL);
    CHECK_FORMAT(t, "deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
    CHECK_FORMAT(t, "ffffffffffffffff", "%lx", ~0UL);
    CHECK_FORMAT(t, "123", "%zu", (size_t)123);
    /* %zd takes size_t's signed twin, which is long on both arches. */
    CHECK_FORMAT(t, "-5", "%zd", (long)-5); /* cppcheck-suppress invalidPrintfArgType_sint */
}

static void format_width_and_flags(struct ktest *t)
{
    CHECK_FORMAT(t, "   42", "%5d", 42);
    CHECK_FORMAT(t, "00042", "%05d", 42);
    CHECK_FORMAT(t, "42   |", "%-5d|", 42);
    CHECK_FORMAT(t, "-0042", "%05d", -42);
    CHECK_FORMAT(t, "  -42", "%5d", -42);
    CHECK_FORMAT(t, "0000beef", "%08x", 0xbeef);
    CHECK_FORMAT(t, "   ab", "%*x", 5, 0xab);
    CHECK_FORMAT(t, "ab   |", "%*x|", -5, 0xab);
    CHECK_FORMAT(t, "12345", "%3d", 12345); /* width is a minimum */
}

static void format_strings_and_chars(struct ktest *t)
{
    CHECK_FORMAT(t, "hello", "%s", "hello");
    CHECK_FORMAT(t, "  abc|abc  |", "%5s|%-5s|", "abc", "abc");
    CHECK_FORMAT(t, "ab", "%.2s", "abcdef");
    CHECK_FORMAT(t, "abc", "%.*s", 3, "abcdef");
    CHECK_FORMAT(t, "x", "%c", 'x');
    CHECK_FORMAT(t, "  x", "%3c", 'x');
    CHECK_FORMAT(t, "100%", "100%%");
}

static void format_pointer(struct ktest *t)
{
    CHECK_FORMAT(t, "0x0", "%p", (void *)0);
    CHECK_FORMAT(t, "0xffffffff80000000", "%p", (void *)0xffffffff80000000UL);
}

/* snprintf through a pointer, which carries no format attribute (volatile,
 * so the compiler cannot see through it): the formats below are wrong on
 * purpose and would be refused. */
static int (*volatile snprintf_unchecked)(char *, size_t, const char *, ...) = snprintf;

static void format_misuse(struct ktest *t)
{
    char buf[32];

    /* Printed as written, so a typo shows up instead of eating arguments. */
    KEXPECT_EQ(t, snprintf_unchecked(buf, sizeof(buf), "%q"), 2);
    KEXPECT_STREQ(t, buf, "%q");
    KEXPECT_EQ(t, snprintf_unchecked(buf, sizeof(buf), "trailing %"), 10);
    KEXPECT_STREQ(t, buf, "trailing %");
    /* '-' wins over '0', as in C. */
    snprintf_unchecked(buf, sizeof(buf), "%-05d|", -42);
    KEXPECT_STREQ(t, buf, "-42  |");
    /* A NULL string prints as "(null)" rather than faulting. */
    snprintf_unchecked(buf, sizeof(buf), "%s", (const char *)NULL);
    KEXPECT_STREQ(t, buf, "(null)");
}

static void snprintf_truncates_and_counts(struct ktest *t)
{
    char buf[8];

    memset(buf, 'X', sizeof(buf));
    KEXPECT_EQ(t, snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
    KEXPECT_STREQ(t, buf, "0123456");
    KEXPECT_EQ(t, snprintf(buf, 1, "abc"), 3);
    KEXPECT_EQ(t, buf[0], '\0');
    /* size 0 writes nothing at all, not even the terminator. */
    buf[0] = 'Z';
    KEXPECT_EQ(t, snprintf(buf, 0, "abc"), 3);
    KEXPECT_EQ(t, buf[0], 'Z');
}

static const struct ktest_case printf_cases[] = {
    KTEST_CASE(format_signed),
    KTEST_CASE(format_unsigned_and_hex),
    KTEST_CASE(format_width_and_flags),
    KTEST_CASE(format_strings_and_chars),
    KTEST_CASE(format_pointer),
    KTEST_CASE(format_misuse),
    KTEST_CASE(snprintf_truncates_and_counts),
    { 0 },
};
KTEST_SUITE(printf, printf_cases);
