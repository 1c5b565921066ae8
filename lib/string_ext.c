/*
 * String functions the C standard does not have: strlcpy (from BSD) and
 * parse_u64. Kept apart from lib/string.c so host builds, which take
 * memcpy and friends from the C library, can compile this file too.
 */
#include <duet/string.h>

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

bool parse_u64(const char *s, u64 *out, bool suffixes)
{
    unsigned base = 10;
    u64 v = 0;
    int shift = 0;

    if (!s || !*s)
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return false;
    } else if (s[0] == '0' && s[1]) {
        base = 8;
        s++;
    }
    for (; *s; s++) {
        int d = digit_value(*s);

        if (d >= (int)base) {
            if (!suffixes || s[1])
                return false;
            switch (*s) {
            case 'K':
            case 'k': shift = 10; break;
            case 'M':
            case 'm': shift = 20; break;
            case 'G':
            case 'g': shift = 30; break;
            default: return false;
            }
            break;
        }
        if (v > (UINT64_MAX - (u64)d) / base)
            return false; /* overflow */
        v = v * base + (u64)d;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}
