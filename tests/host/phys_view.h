/*
 * Physical memory for the ACPI parser's host test and fuzz target: a
 * buffer seen as the machine's memory from physical address 0, with the
 * map callback arch/x86_64/acpi.c reads tables through. A window that
 * runs past the buffer is refused, as the kernel's map refuses one past
 * the memory it may read.
 */
#ifndef TESTS_HOST_PHYS_VIEW_H
#define TESTS_HOST_PHYS_VIEW_H

#include <stddef.h>

#include <duet/types.h>

struct view {
    const u8 *base;
    size_t size;
};

static const void *map(u64 pa, u64 len, void *ctx)
{
    const struct view *v = ctx;

    if (pa > v->size || len > v->size - pa)
        return NULL;
    return v->base + pa;
}

#endif
