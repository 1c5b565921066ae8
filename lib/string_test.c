/*
 * ktest suite `string`: the freestanding string and memory functions,
 * including the overlapping and boundary cases that are easy to get wrong.
 */
#include <duet/ktest.h>
#include <duet/string.h>

static void strlen_and_strnlen(struct ktest *t)
{
    KEXPECT_EQ(t, strlen(""), 0UL);
    KEXPECT_EQ(t, strlen("duet"), 4UL);
    KEXPECT_EQ(t, strnlen("duet", 2), 2UL);
    KEXPECT_EQ(t, strnlen("duet", 10), 4UL);
}

static void compare(struct ktest *t)
{
    KEXPECT_EQ(t, strcmp("abc", "abc"), 0);
    KEXPECT_LT(t, strcmp("abc", "abd"), 0);
    KEXPECT_GT(t, strcmp("abd", "abc"), 0);
    KEXPECT_LT(t, strcmp("ab", "abc"), 0);
    KEXPECT_GT(t, strcmp("\xff", "a"), 0); /* compared as unsigned char */
    KEXPECT_EQ(t, strncmp("abcdef", "abcxyz", 3), 0);
    KEXPECT_NE(t, strncmp("abcdef", "abcxyz", 4), 0);
    KEXPECT_EQ(t, strncmp("ab", "ab", 10), 0);
    KEXPECT_EQ(t, memcmp("\x01\x02", "\x01\x02", 2), 0);
    KEXPECT_LT(t, memcmp("\x01\x02", "\x01\x80", 2), 0);
}

static void search(struct ktest *t)
{
    const char *s = "a/b/c";

    KEXPECT_TRUE(t, strchr(s, '/') == s + 1);
    KEXPECT_TRUE(t, strrchr(s, '/') == s + 3);
    KEXPECT_TRUE(t, strchr(s, 'z') == NULL);
    KEXPECT_TRUE(t, strchr(s, '\0') == s + 5);
    KEXPECT_TRUE(t, memchr(s, 'c', 5) == s + 4);
    KEXPECT_TRUE(t, memchr(s, 'c', 4) == NULL);
}

static void copy_and_fill(struct ktest *t)
{
    char buf[16];

    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "hello", 6);
    KEXPECT_STREQ(t, buf, "hello");
    KEXPECT_EQ(t, buf[6], 'x');
    memset(buf, 0, 4);
    KEXPECT_EQ(t, buf[3], 0);
    KEXPECT_EQ(t, buf[4], 'o');
}

static void memmove_overlaps(struct ktest *t)
{
    char fwd[] = "0123456789";
    char back[] = "0123456789";

    memmove(fwd + 2, fwd, 5); /* destination above the source */
    KEXPECT_STREQ(t, fwd, "0101234789");
    memmove(back, back + 2, 5); /* destination below the source */
    KEXPECT_STREQ(t, back, "2345656789");
}

static void strlcpy_truncates(struct ktest *t)
{
    char buf[4];

    KEXPECT_EQ(t, strlcpy(buf, "abcdef", sizeof(buf)), 6UL);
    KEXPECT_STREQ(t, buf, "abc");
    KEXPECT_EQ(t, strlcpy(buf, "ab", sizeof(buf)), 2UL);
    KEXPECT_STREQ(t, buf, "ab");
}

static void parse_numbers(struct ktest *t)
{
    u64 v = 0;

    KEXPECT_TRUE(t, parse_u64("1234", &v, false) && v == 1234);
    KEXPECT_TRUE(t, parse_u64("0x1F", &v, false) && v == 0x1f);
    KEXPECT_TRUE(t, parse_u64("010", &v, false) && v == 8);
    KEXPECT_TRUE(t, parse_u64("0", &v, false) && v == 0);
    KEXPECT_TRUE(t, parse_u64("64G", &v, true) && v == 64ULL << 30);
    KEXPECT_TRUE(t, parse_u64("256M", &v, true) && v == 256ULL << 20);
    KEXPECT_TRUE(t, parse_u64("18446744073709551615", &v, false) && v == ~0ULL);
    KEXPECT_FALSE(t, parse_u64("18446744073709551616", &v, false)); /* overflow */
    KEXPECT_FALSE(t, parse_u64("16777216T", &v, true));             /* no T suffix */
    KEXPECT_FALSE(t, parse_u64("17179869184G", &v, true));          /* overflows */
    KEXPECT_FALSE(t, parse_u64("64G", &v, false));                  /* suffix not allowed */
    KEXPECT_FALSE(t, parse_u64("", &v, false));
    KEXPECT_FALSE(t, parse_u64("0x", &v, false));
    KEXPECT_FALSE(t, parse_u64("12a", &v, false));
    KEXPECT_FALSE(t, parse_u64("1MB", &v, true));
}

static const struct ktest_case string_cases[] = {
    KTEST_CASE(strlen_and_strnlen),
    KTEST_CASE(compare),
    KTEST_CASE(search),
    KTEST_CASE(copy_and_fill),
    KTEST_CASE(memmove_overlaps),
    KTEST_CASE(strlcpy_truncates),
    KTEST_CASE(parse_numbers),
    { 0 },
};
KTEST_SUITE(string, string_cases);
