/*
 * Freestanding string and memory functions. The compiler may emit calls to
 * memcpy, memset, memmove and memcmp on its own, so these exist even where
 * no Duet code calls them by name.
 */
#include <duet/string.h>

/*
 * memset and memcpy move a word at a time once the destination (and for
 * memcpy the source, at the same offset in its word) is aligned: a page
 * is zeroed in 512 stores, not 4096. Under QEMU's TCG every guest
 * instruction costs, and the byte loops these replaced made each zeroed
 * or copied page, and a large machine's buddy bitmap (128 MiB at 1 TiB),
 * eight times as dear. The words are accessed through a may_alias type:
 * the bytes may belong to objects of any type.
 */
typedef u64 __attribute__((may_alias)) word_t;
#define WORD_BYTES sizeof(word_t)

static inline bool word_aligned(const void *p)
{
    return ((uintptr_t)p & (WORD_BYTES - 1)) == 0;
}

void *memset(void *dst, int c, size_t n)
{
    u8 *d = dst;
    word_t w = (u8)c * 0x0101010101010101ULL;

    for (; n && !word_aligned(d); n--)
        *d++ = (u8)c;
    for (; n >= 4 * WORD_BYTES; n -= 4 * WORD_BYTES, d += 4 * WORD_BYTES) {
        word_t *p = (word_t *)d;
        p[0] = p[1] = p[2] = p[3] = w;
    }
    for (; n >= WORD_BYTES; n -= WORD_BYTES, d += WORD_BYTES)
        *(word_t *)d = w;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;

    if (((uintptr_t)d ^ (uintptr_t)s) & (WORD_BYTES - 1)) {
        while (n--) /* never both aligned: bytes */
            *d++ = *s++;
        return dst;
    }
    for (; n && !word_aligned(d); n--)
        *d++ = *s++;
    for (; n >= 4 * WORD_BYTES; n -= 4 * WORD_BYTES, d += 4 * WORD_BYTES, s += 4 * WORD_BYTES) {
        word_t *p = (word_t *)d;
        const word_t *q = (const word_t *)s;
        word_t a = q[0], b = q[1], e = q[2], f = q[3];
        p[0] = a;
        p[1] = b;
        p[2] = e;
        p[3] = f;
    }
    for (; n >= WORD_BYTES; n -= WORD_BYTES, d += WORD_BYTES, s += WORD_BYTES)
        *(word_t *)d = *(const word_t *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;

    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const u8 *p = s;

    for (; n; n--, p++)
        if (*p == (u8)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}
