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

/*
 * memset and memcpy move words once aligned (lib/string.c): at every
 * offset of the destination and the source within a word, and every
 * length up to past three rounds of the four-word loop, exactly the bytes
 * asked for change, to exactly the right values. A word written past
 * either end, or a tail or head left out, shows here.
 */
#define MEM_SPAN  112 /* 3 * 32-byte rounds + the longest head and tail */
#define MEM_GUARD 16

static void fill_and_copy_at_every_alignment(struct ktest *t)
{
    static u8 dst[MEM_GUARD + 8 + MEM_SPAN + MEM_GUARD] __attribute__((aligned(8)));
    static u8 src[8 + MEM_SPAN] __attribute__((aligned(8)));
    unsigned wrong = 0;

    for (unsigned i = 0; i < sizeof(src); i++)
        src[i] = (u8)(i * 7 + 1);
    for (unsigned da = 0; da < 8; da++) {
        u8 *d = dst + MEM_GUARD + da;
        for (unsigned n = 0; n <= MEM_SPAN; n++) {
            for (unsigned i = 0; i < sizeof(dst); i++)
                dst[i] = 0xa5;
            wrong += memset(d, 0x3c, n) != d;
            for (unsigned i = 0; i < sizeof(dst); i++)
                wrong += dst[i] != (&dst[i] >= d && &dst[i] < d + n ? 0x3c : 0xa5);
            for (unsigned sa = 0; sa < 8; sa++) {
                for (unsigned i = 0; i < sizeof(dst); i++)
                    dst[i] = 0xa5;
                wrong += memcpy(d, src + sa, n) != d;
                for (unsigned i = 0; i < sizeof(dst); i++)
                    wrong += dst[i] !=
                             (&dst[i] >= d && &dst[i] < d + n ? src[sa + (&dst[i] - d)] : 0xa5);
            }
        }
    }
    KEXPECT_EQ(t, wrong, 0U);
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
    KTEST_CASE(fill_and_copy_at_every_alignment),
    KTEST_CASE(memmove_overlaps),
    KTEST_CASE(strlcpy_truncates),
    KTEST_CASE(parse_numbers),
    { 0 },
};
KTEST_SUITE(string, string_cases);
