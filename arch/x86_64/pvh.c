/*
 * The PVH start info (pvh.h) into a struct boot_info: the direct boot's
 * counterpart of multiboot2.c. The loader is trusted no more than GRUB:
 * every address and count is checked against the windows the caller lets
 * it read before it is read, and an error names the field.
 */
#include <duet/bootinfo.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <duet/types.h>
#include "multiboot2.h" /* mmap_type: the E820 types */
#include "pvh.h"

static char message[200];
static char where[64]; /* the windows, for the messages: "[0x0, 0xa0000) [0xf0000, 0x100000)" */
static const struct pvh_window *windows;
static size_t window_count;

static const char *fail(const char *fmt, ...) __printf(1, 2);
static const char *fail(const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(message, sizeof(message), "pvh: ");

    va_start(ap, fmt);
    vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
    va_end(ap);
    return message;
}

/* Does [pa, pa + size) lie whole in one window? No sum can wrap. */
static bool readable(paddr_t pa, u64 size)
{
    for (size_t i = 0; i < window_count; i++)
        if (windows[i].lo <= pa && pa <= windows[i].hi && size <= windows[i].hi - pa)
            return true;
    return false;
}

/* Bytes readable from pa on, in its window; 0 outside them. */
static u64 readable_from(paddr_t pa)
{
    for (size_t i = 0; i < window_count; i++)
        if (windows[i].lo <= pa && pa < windows[i].hi)
            return windows[i].hi - pa;
    return 0;
}

static const char *add_region(struct boot_info *bi, const char *what, u64 base, u64 size,
                              enum mem_type type)
{
    int err;

    if (size > UINT64_MAX - base)
        return fail("%s: 0x%llx + 0x%llx is past 2^64", what, (unsigned long long)base,
                    (unsigned long long)size);
    err = memmap_add(&bi->raw, base, size, type);
    if (err)
        return fail("%s: cannot record [0x%llx, +0x%llx) %s: %s", what, (unsigned long long)base,
                    (unsigned long long)size, mem_type_name(type), memmap_strerror(err));
    return NULL;
}

/* A table the start info points at: `count` entries of `entry_size` bytes
 * at pa, named `field`, 8-aligned and whole inside one window. */
static const char *check_table(const char *field, u64 pa, u32 count, const char *unit,
                               size_t entry_size)
{
    if (!IS_ALIGNED(pa, 8u) || !readable(pa, (u64)count * entry_size)) /* u32 count: no wrap */
        return fail("%s 0x%llx (%u %s) is not 8-aligned inside %s", field, (unsigned long long)pa,
                    count, unit, where);
    return NULL;
}

static const char *parse_memmap(const u8 *pa0, const struct hvm_start_info *si,
                                struct boot_info *bi)
{
    const struct hvm_memmap_entry *e;
    char what[40];
    const char *err;

    if (si->memmap_entries == 0)
        return fail("memmap_entries is 0: no memory map");
    err = check_table("memmap_paddr", si->memmap_paddr, si->memmap_entries, "entries", sizeof(*e));
    if (!err)
        err = add_region(bi, "the memory map", si->memmap_paddr,
                         (u64)si->memmap_entries * sizeof(*e), MEM_FIRMWARE_INFO);
    if (err)
        return err;
    e = (const void *)(pa0 + si->memmap_paddr);
    for (u32 i = 0; i < si->memmap_entries; i++) { /* memmap_add skips empty entries */
        snprintf(what, sizeof(what), "memory map entry %u", i);
        err = add_region(bi, what, e[i].addr, e[i].size, mmap_type(e[i].type));
        if (err)
            return err;
    }
    return NULL;
}

static const char *parse_modules(const u8 *pa0, const struct hvm_start_info *si,
                                 struct boot_info *bi)
{
    const struct hvm_modlist_entry *m;
    char what[32];
    const char *err;

    if (si->nr_modules == 0)
        return NULL; /* modlist_paddr may then be anything */
    err = check_table("modlist_paddr", si->modlist_paddr, si->nr_modules, "modules", sizeof(*m));
    if (err)
        return err;
    m = (const void *)(pa0 + si->modlist_paddr);
    for (u32 i = 0; i < si->nr_modules; i++) {
        snprintf(what, sizeof(what), "module %u", i);
        err = add_region(bi, what, m[i].paddr, m[i].size, MEM_MODULE);
        if (err)
            return err;
    }
    return NULL;
}

static const char *parse_cmdline(const u8 *pa0, u64 pa, struct boot_info *bi)
{
    u64 max = readable_from(pa);
    size_t len;

    bi->cmdline[0] = '\0';
    if (pa == 0)
        return NULL;
    if (max == 0)
        return fail("cmdline_paddr 0x%llx is outside %s", (unsigned long long)pa, where);
    len = strnlen((const char *)pa0 + pa, max);
    if (len == max)
        return fail("the command line at 0x%llx has no NUL below 0x%llx", (unsigned long long)pa,
                    (unsigned long long)(pa + max));
    if (len >= sizeof(bi->cmdline))
        printf("pvh: the command line is longer than %zu bytes; the rest is ignored\n",
               sizeof(bi->cmdline) - 1);
    strlcpy(bi->cmdline, (const char *)pa0 + pa, sizeof(bi->cmdline));
    return NULL;
}

const char *pvh_parse(const void *pa0, const struct pvh_window *readable_windows, size_t n,
                      paddr_t info_pa, struct boot_info *bi)
{
    const struct hvm_start_info *si;
    const char *err;
    int at = 0;

    windows = readable_windows;
    window_count = n;
    where[0] = '\0';
    for (size_t i = 0; i < n && at >= 0 && (size_t)at < sizeof(where); i++)
        at += snprintf(where + at, sizeof(where) - (size_t)at, "%s[0x%llx, 0x%llx)", i ? " " : "",
                       (unsigned long long)windows[i].lo, (unsigned long long)windows[i].hi);
    if (!IS_ALIGNED(info_pa, 8u) || !readable(info_pa, sizeof(*si)))
        return fail("the start info at PA 0x%llx is not 8-aligned inside %s",
                    (unsigned long long)info_pa, where);
    si = (const void *)((const u8 *)pa0 + info_pa);
    if (si->magic != HVM_START_MAGIC)
        return fail("magic 0x%x is not 0x%x", si->magic, HVM_START_MAGIC);
    if (si->version < 1)
        return fail("start info version %u has no memory map; Duet needs version 1 or later",
                    si->version);
    err = parse_cmdline(pa0, si->cmdline_paddr, bi);
    if (!err)
        err = parse_memmap(pa0, si, bi);
    if (!err)
        err = parse_modules(pa0, si, bi);
    if (!err)
        err = add_region(bi, "the start info", info_pa, sizeof(*si), MEM_FIRMWARE_INFO);
    if (err)
        return err;
    bi->fw_info = info_pa;
    bi->fw_info_size = sizeof(*si);
    bi->fw_name = "PVH start info";
    bi->acpi_rsdp = si->rsdp_paddr; /* checked where it is read (acpi.c) */
    return NULL;
}
