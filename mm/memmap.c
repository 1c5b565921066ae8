/*
 * The physical memory map (mm/memmap.h): one arch-neutral list of ranges,
 * built from whatever the firmware said, in which every byte has one type.
 *
 * Normalisation, as an example (docs/physical-memory.md has more):
 *
 *   raw:   [0x0000, 0xa000) usable        [0x9000, 0x9800) reserved
 *          [0xa000, 0xb000) usable        [0xf000, 0xf800) usable
 *   out:   [0x0000, 0x9000) usable        (cut below the reservation)
 *          [0x9000, 0x9800) reserved      (reserved wins where they overlap)
 *          [0xa000, 0xb000) usable        (0x9800..0xa000: a partial page, dropped)
 *                                         ([0xf000, 0xf800): less than a page, dropped)
 *
 * The rules (labs/lab1-memmap.md): each byte takes the strongest type of
 * the raw regions covering it (a larger enum value is stronger; MEM_USABLE
 * is the weakest), a byte no region covers is a hole, runs of one type are
 * one region, and usable RAM keeps only whole pages: the allocators hand
 * out pages, and the other part of a partial page may be someone else's.
 * Regions are few (at most MEMMAP_MAX_REGIONS), so a quadratic method is
 * simple and fast enough.
 */
#include <duet/compiler.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <mm/memmap.h>

static const char *const type_names[MEM_TYPE_COUNT] = {
    [MEM_USABLE] = "usable",
    [MEM_RESERVED] = "reserved",
    [MEM_ACPI_RECLAIMABLE] = "ACPI reclaimable",
    [MEM_ACPI_NVS] = "ACPI NVS",
    [MEM_BAD] = "bad RAM",
    [MEM_FIRMWARE_INFO] = "firmware info",
    [MEM_MODULE] = "boot module",
    [MEM_KERNEL] = "kernel",
    [MEM_EARLY_ALLOC] = "early alloc",
    [MEM_BOOT_TABLES] = "boot tables",
};

const char *mem_type_name(enum mem_type type)
{
    if (type <= 0 || type >= MEM_TYPE_COUNT)
        return "invalid";
    return type_names[type];
}

const char *memmap_strerror(int err)
{
    switch (err) {
    case 0: return "no error";
    case MEMMAP_ERR_FULL: return "too many memory regions";
    case MEMMAP_ERR_OVERFLOW: return "region runs past the end of the address space";
    case MEMMAP_ERR_TYPE: return "invalid memory type";
    default: return "unknown error";
    }
}

int memmap_add(struct memmap *m, paddr_t base, u64 size, enum mem_type type)
{
    if (type <= 0 || type >= MEM_TYPE_COUNT)
        return MEMMAP_ERR_TYPE;
    if (size == 0)
        return 0;
    /* The end must be representable: base + size <= 2^64 - 1. */
    if (size > UINT64_MAX - base)
        return MEMMAP_ERR_OVERFLOW;
    if (m->count == MEMMAP_MAX_REGIONS)
        return MEMMAP_ERR_FULL;
    m->regions[m->count++] = (struct mem_region){ base, size, type };
    return 0;
}

static paddr_t region_end(const struct mem_region *r)
{
    return r->base + r->size;
}

/*
 * Sort v[0..n) in place into strictly ascending order and return the new
 * count: afterwards v[0] < v[1] < ... < v[count - 1] are each value that
 * was in v[0..n), once. n may be 0. Values are full 64-bit addresses, up to
 * 2^64 - 1. memmap_normalize's boundaries: where a raw region starts or ends.
 */
static __unused size_t sort_unique(paddr_t *v, size_t n)
{
    /* LAB 1 BEGIN: sort_unique */
    for (size_t i = 1; i < n; i++) {
        paddr_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || v[out - 1] != v[i])
            v[out++] = v[i];
    return out;
    /* LAB 1 END */
}

/*
 * The type of the byte at pa in the raw map m: the strongest type (the
 * largest enum value) of the regions that cover it, in whatever order m
 * lists them; 0 when none does (a hole). A region covers the bytes
 * [base, base + size), so not the byte at base + size; that end never
 * wraps (memmap_add refused such a region).
 */
static __unused enum mem_type type_covering(const struct memmap *m, paddr_t pa)
{
    /* LAB 1 BEGIN: type_covering */
    enum mem_type best = 0;

    for (size_t i = 0; i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];
        if (r->base <= pa && pa < region_end(r) && r->type > best)
            best = r->type;
    }
    return best;
    /* LAB 1 END */
}

/* Scratch space for normalising: one map's boundaries and results.
 * (__unused: a lab-1 handout stubs memmap_normalize, their one user.) */
static __unused paddr_t boundaries[2 * MEMMAP_MAX_REGIONS];
static __unused struct mem_region result[2 * MEMMAP_MAX_REGIONS];

int memmap_normalize(struct memmap *m)
{
    /* LAB 1 BEGIN: memmap_normalize */
    size_t nb = 0, nr = 0;

    for (size_t i = 0; i < m->count; i++) {
        boundaries[nb++] = m->regions[i].base;
        boundaries[nb++] = region_end(&m->regions[i]);
    }
    nb = sort_unique(boundaries, nb);

    /* Type each elementary interval; extend the previous result when it continues it. */
    for (size_t i = 0; i + 1 < nb; i++) {
        paddr_t start = boundaries[i], end = boundaries[i + 1];
        enum mem_type type = type_covering(m, start);

        if (!type)
            continue; /* a hole between regions */
        if (nr && result[nr - 1].type == type && region_end(&result[nr - 1]) == start)
            result[nr - 1].size += end - start;
        else
            result[nr++] = (struct mem_region){ start, end - start, type };
    }

    /* Usable RAM is handed out in whole pages: shrink each range inward. */
    size_t out = 0;
    for (size_t i = 0; i < nr; i++) {
        struct mem_region r = result[i];

        if (r.type == MEM_USABLE) {
            paddr_t base = ALIGN_UP(r.base, (paddr_t)PAGE_SIZE);
            paddr_t end = ALIGN_DOWN(region_end(&r), (paddr_t)PAGE_SIZE);
            if (base < r.base || end <= base) /* rounding wrapped, or no whole page */
                continue;
            r.base = base;
            r.size = end - base;
        }
        result[out++] = r;
    }
    if (out > MEMMAP_MAX_REGIONS)
        return MEMMAP_ERR_FULL;
    for (size_t i = 0; i < out; i++)
        m->regions[i] = result[i];
    m->count = out;
    return 0;
    /* LAB 1 END */
}

int memmap_reserve(struct memmap *m, paddr_t base, u64 size, enum mem_type type)
{
    int err = memmap_add(m, base, size, type);

    return err ? err : memmap_normalize(m);
}

int memmap_release(struct memmap *m, enum mem_type type)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->regions[i].type == type)
            m->regions[i].type = MEM_USABLE;
    return memmap_normalize(m);
}

u64 memmap_total(const struct memmap *m, enum mem_type type)
{
    u64 total = 0;

    for (size_t i = 0; i < m->count; i++)
        if (m->regions[i].type == type)
            total += m->regions[i].size;
    return total;
}

enum mem_type memmap_type_at(const struct memmap *m, paddr_t pa)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->regions[i].base <= pa && pa < region_end(&m->regions[i]))
            return m->regions[i].type;
    return 0;
}

enum memmap_ram memmap_ram_in(const struct memmap *raw, paddr_t pa, u64 size)
{
    bool all = false, some = false;

    for (size_t i = 0; i < raw->count; i++) {
        const struct mem_region *r = &raw->regions[i];
        bool covers = r->base <= pa && pa + size <= region_end(r);

        if (pa + size <= r->base || region_end(r) <= pa)
            continue;
        if (!mem_type_is_ram(r->type))
            return covers ? MEMMAP_RAM_NONE : MEMMAP_RAM_SOME;
        some = true;
        all = all || covers;
    }
    return all ? MEMMAP_RAM_ALL : some ? MEMMAP_RAM_SOME : MEMMAP_RAM_NONE;
}

/* "639 KiB", "3 GiB", "1536 MiB": the largest unit that divides exactly. */
static void format_size(char *buf, size_t n, u64 size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;

    while (u + 1 < ARRAY_SIZE(units) && size && (size & 1023) == 0) {
        size >>= 10;
        u++;
    }
    snprintf(buf, n, "%llu %s", (unsigned long long)size, units[u]);
}

void memmap_print(const struct memmap *m, const char *title)
{
    char size[32];

    printf("memmap: %s (%zu region%s)\n", title, m->count, m->count == 1 ? "" : "s");
    printf("  %-18s   %-18s  %12s  %s\n", "start", "end (inclusive)", "size", "type");
    for (size_t i = 0; i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];

        format_size(size, sizeof(size), r->size);
        printf("  0x%016llx - 0x%016llx  %12s  %s\n", (unsigned long long)r->base,
               (unsigned long long)(region_end(r) - 1), size, mem_type_name(r->type));
    }
}
