/*
 * The kernel's own symbol table, generated at build time by tools/ksyms.sh
 * from the first link (see the Makefile): addresses of code symbols in
 * ascending order and their names.
 */
#include <duet/backtrace.h>

extern const u64 ksyms_count;
extern const u64 ksyms_addr[];
extern const u32 ksyms_name_offset[];
extern const char ksyms_names[];
extern char __text_start[], __text_end[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
    u64 lo = 0, hi = ksyms_count;

    if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || hi == 0)
        return NULL;
    /* Find the last symbol at or below addr. */
    while (hi - lo > 1) {
        u64 mid = lo + (hi - lo) / 2;
        if (ksyms_addr[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_addr[lo] > addr)
        return NULL;
    if (offset)
        *offset = addr - ksyms_addr[lo];
    return &ksyms_names[ksyms_name_offset[lo]];
}
