/*
 * printf and friends, built on one formatter that sends characters to a
 * sink: the console for printf(), a buffer for snprintf(). No floating
 * point: the kernel is built without FP registers.
 */
#include <duet/printk.h>
#include <duet/string.h>

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;   /* snprintf: the buffer */
    size_t size; /* its size */
    size_t len;  /* characters produced so far (all of them) */
};

static void emit(struct sink *s, char c)
{
    s->put(s, c);
    s->len++;
}

static void emit_pad(struct sink *s, char c, int n)
{
    while (n-- > 0)
        emit(s, c);
}

struct spec {
    bool left; /* '-': pad on the right */
    bool zero; /* '0': pad with zeros */
    int width;
    int precision; /* -1: none; strings: at most this many chars */
};

static void emit_str(struct sink *s, const struct spec *sp, const char *str, size_t n)
{
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;

    if (!sp->left)
        emit_pad(s, ' ', pad);
    while (n--)
        emit(s, *str++);
    if (sp->left)
        emit_pad(s, ' ', pad);
}

/* One integer: sign, optional 0x prefix, zero or space padding. */
static void emit_num(struct sink *s, const struct spec *sp, unsigned long long v, bool negative,
                     unsigned base, bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    int prefix_len = (int)strlen(prefix) + (negative ? 1 : 0);

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);

    int pad = sp->width - n - prefix_len;
    if (!sp->left && !sp->zero)
        emit_pad(s, ' ', pad);
    if (negative)
        emit(s, '-');
    while (*prefix)
        emit(s, *prefix++);
    if (!sp->left && sp->zero)
        emit_pad(s, '0', pad);
    while (n)
        emit(s, tmp[--n]);
    if (sp->left)
        emit_pad(s, ' ', pad);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(s, *fmt);
            continue;
        }

        struct spec sp = { 0 };
        for (;; fmt++) {
            if (fmt[1] == '-')
                sp.left = true;
            else if (fmt[1] == '0')
                sp.zero = true;
            else
                break;
        }
        if (fmt[1] == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        }
        while (fmt[1] >= '0' && fmt[1] <= '9')
            sp.width = sp.width * 10 + (*++fmt - '0');
        sp.precision = -1;
        if (fmt[1] == '.') {
            fmt++;
            sp.precision = 0;
            if (fmt[1] == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            }
            while (fmt[1] >= '0' && fmt[1] <= '9')
                sp.precision = sp.precision * 10 + (*++fmt - '0');
        }

        int longs = 0; /* 1: l or z, 2: ll */
        while (fmt[1] == 'l' || fmt[1] == 'z') {
            fmt++;
            longs++;
        }

        char conv = *++fmt;
        unsigned long long u;
        long long d;
        switch (conv) {
        case 'd':
        case 'i':
            d = longs >= 2   ? va_arg(ap, long long)
                : longs == 1 ? va_arg(ap, long)
                             : va_arg(ap, int);
            u = d < 0 ? 0ULL - (unsigned long long)d : (unsigned long long)d;
            emit_num(s, &sp, u, d < 0, 10, false, "");
            break;
        case 'u':
        case 'x':
        case 'X':
            u = longs >= 2   ? va_arg(ap, unsigned long long)
                : longs == 1 ? va_arg(ap, unsigned long)
                             : va_arg(ap, unsigned int);
            emit_num(s, &sp, u, false, conv == 'u' ? 10 : 16, conv == 'X', "");
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            emit_num(s, &sp, u, false, 16, false, "0x");
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit_str(s, &sp, str,
                     sp.precision >= 0 ? strnlen(str, (size_t)sp.precision) : strlen(str));
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_str(s, &sp, &c, 1);
            break;
        }
        case '%': emit(s, '%'); break;
        case '\0': /* a lone '%' at the end */ emit(s, '%'); return;
        default: /* unknown: print it as written, visibly */
            emit(s, '%');
            emit(s, conv);
            break;
        }
    }
}

static void put_buffer(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { .put = put_buffer, .buf = buf, .size = size };

    format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void put_console(struct sink *s, char c)
{
    console_putc(c);
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { .put = put_console };

    format(&s, fmt, ap);
    return (int)s.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
