/*
 * The PVH start info (pvh.h) into a struct boot_info: the direct boot's
 * counterpart of multiboot2.c. The loader is trusted no more than GRUB:
 * every address and count is checked against the memory `low` maps
 * before it is read, and an error names the field.
 */
#include <duet/bootinfo.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <duet/types.h>
#include "pvh.h"

static char message[160];

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

/* Does [pa, pa + size) lie in [0, low_size)? No sum can wrap. */
static bool in_low(paddr_t pa, u64 size, size_t low_size)
{
    return pa <= low_size && size <= low_size - pa;
}

/* The E820 types, as Multiboot2's memory map uses them too (multiboot2.c). */
static enum mem_type e820_type(u32 type)
{
    switch (type) {
    case 1: return MEM_USABLE;
    case 3: return MEM_ACPI_RECLAIMABLE;
    case 4: return MEM_ACPI_NVS;
    case 5: return MEM_BAD;
    default: return MEM_RESERVED; /* 2, and all other values */
    }
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

static const char *parse_memmap(const u8 *low, size_t low_size, const struct hvm_start_info *si,
                                struct boot_info *bi)
{
    const struct hvm_memmap_entry *e;
    char what[40];
    const char *err;
    u64 bytes = (u64)si->memmap_entries * sizeof(*e); /* a u32 count: no overflow */

    if (si->memmap_entries == 0)
        return fail("memmap_entries is 0: no memory map");
    if (!IS_ALIGNED(si->memmap_paddr, 8u) || !in_low(si->memmap_paddr, bytes, low_size))
        return fail("memmap_paddr 0x%llx (%u entries) is not 8-aligned inside the first 0x%zx "
                    "bytes",
                    (unsigned long long)si->memmap_paddr, si->memmap_entries, low_size);
    err = add_region(bi, "the memory map", si->memmap_paddr, bytes, MEM_FIRMWARE_INFO);
    if (err)
        return err;
    e = (const void *)(low + si->memmap_paddr);
    for (u32 i = 0; i < si->memmap_entries; i++) { /* memmap_add skips empty entries */
        snprintf(what, sizeof(what), "memory map entry %u", i);
        err = add_region(bi, what, e[i].addr, e[i].size, e820_type(e[i].type));
        if (err)
            return err;
    }
    return NULL;
}

static const char *parse_modules(const u8 *low, size_t low_size, const struct hvm_start_info *si,
                                 struct boot_info *bi)
{
    const struct hvm_modlist_entry *m;
    char what[32];
    const char *err;
    u64 bytes = (u64)si->nr_modules * sizeof(*m);

    if (si->nr_modules == 0)
        return NULL;
    if (!IS_ALIGNED(si->modlist_paddr, 8u) || !in_low(si->modlist_paddr, bytes, low_size))
        return fail("modlist_paddr 0x%llx (%u modules) is not 8-aligned inside the first 0x%zx "
                    "bytes",
                    (unsigned long long)si->modlist_paddr, si->nr_modules, low_size);
    m = (const void *)(low + si->modlist_paddr);
    for (u32 i = 0; i < si->nr_modules; i++) {
        snprintf(what, sizeof(what), "module %u", i);
        err = add_region(bi, what, m[i].paddr, m[i].size, MEM_MODULE);
        if (err)
            return err;
    }
    return NULL;
}

static const char *parse_cmdline(const u8 *low, size_t low_size, u64 pa, struct boot_info *bi)
{
    size_t len;

    bi->cmdline[0] = '\0';
    if (pa == 0)
        return NULL;
    if (pa >= low_size)
        return fail("cmdline_paddr 0x%llx is outside the first 0x%zx bytes", (unsigned long long)pa,
                    low_size);
    len = strnlen((const char *)low + pa, low_size - pa);
    if (len == low_size - pa)
        return fail("the command line at 0x%llx has no NUL below 0x%zx", (unsigned long long)pa,
                    low_size);
    if (len >= sizeof(bi->cmdline))
        printf("pvh: the command line is longer than %zu bytes; the rest is ignored\n",
               sizeof(bi->cmdline) - 1);
    strlcpy(bi->cmdline, (const char *)low + pa, sizeof(bi->cmdline));
    return NULL;
}

const char *pvh_parse(const void *low, size_t low_size, paddr_t info_pa, struct boot_info *bi)
{
    const struct hvm_start_info *si;
    const char *err;

    if (!IS_ALIGNED(info_pa, 8u) || !in_low(info_pa, sizeof(*si), low_size))
        return fail("the start info at PA 0x%llx is not 8-aligned inside the first 0x%zx bytes",
                    (unsigned long long)info_pa, low_size);
    si = (const void *)((const u8 *)low + info_pa);
    if (si->magic != HVM_START_MAGIC)
        return fail("magic 0x%x is not 0x%x", si->magic, HVM_START_MAGIC);
    if (si->version < 1)
        return fail("start info version %u has no memory map; Duet needs version 1 or later",
                    si->version);
    err = parse_cmdline(low, low_size, si->cmdline_paddr, bi);
    if (!err)
        err = parse_memmap(low, low_size, si, bi);
    if (!err)
        err = parse_modules(low, low_size, si, bi);
    if (!err)
        err = add_region(bi, "the start info", info_pa, sizeof(*si), MEM_FIRMWARE_INFO);
    if (err)
        return err;
    bi->fw_info = info_pa;
    bi->fw_info_size = sizeof(*si);
    bi->fw_name = "PVH start info";
    return NULL;
}
