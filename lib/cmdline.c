/*
 * The kernel command line: words separated by spaces, each `key` or
 * `key=value`. Lookups scan the saved string; it is short.
 */
#include <duet/bootinfo.h>
#include <duet/cmdline.h>
#include <duet/string.h>

static char cmdline[BOOT_CMDLINE_MAX];

void cmdline_init(const char *s)
{
    strlcpy(cmdline, s ? s : "", sizeof(cmdline));
}

const char *cmdline_get_all(void)
{
    return cmdline;
}

/* Find `key` as a whole word; returns the word's start or NULL. */
static const char *find_word(const char *key)
{
    size_t klen = strlen(key);

    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (strncmp(p, key, klen) == 0 && (p[klen] == '=' || p[klen] == ' ' || !p[klen]))
            return p;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

bool cmdline_has(const char *key)
{
    return find_word(key) != NULL;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
    const char *w = find_word(key);
    size_t n = 0;

    if (!w)
        return false;
    w += strlen(key);
    if (*w == '=')
        w++;
    else
        w = "";
    while (w[n] && w[n] != ' ')
        n++;
    if (size) {
        if (n >= size)
            n = size - 1;
        memcpy(buf, w, n);
        buf[n] = '\0';
    }
    return true;
}
