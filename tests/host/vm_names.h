/*
 * Names for what host tests of the walker print: VM_* flags and page
 * sizes, as a student reads them in mm/vm.h, not as numbers.
 */
#ifndef TESTS_HOST_VM_NAMES_H
#define TESTS_HOST_VM_NAMES_H

#include <stdio.h>
#include <string.h>

static const char *page_size_name(u64 size)
{
    switch (size) {
    case 1ULL << 30: return "1 GiB";
    case 1ULL << 21: return "2 MiB";
    case 1ULL << 12: return "4 KiB";
    default: return "?";
    }
}

/* "VM_READ|VM_WRITE|VM_GLOBAL", in one of two buffers (two per message). */
static const char *flags_name(unsigned flags)
{
    static const char *const names[] = { "VM_READ", "VM_WRITE",  "VM_EXEC",
                                         "VM_USER", "VM_DEVICE", "VM_GLOBAL" };
    static char bufs[2][80];
    static int which;
    char *buf = bufs[which ^= 1];
    size_t n = sizeof(bufs[0]);

    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & (1u << i))
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "|" : "", names[i]);
    if (flags >> 6 || !flags)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s0x%x", buf[0] ? "|" : "", flags >> 6 << 6);
    return buf;
}

#endif
