/*
 * The physical memory map: which physical ranges are RAM the kernel may
 * use and which are taken (docs/physical-memory.md).
 *
 * Each arch turns its firmware's description (Multiboot2 memory-map tag,
 * device-tree /memory and /reserved-memory nodes) into raw regions in the
 * boot info; memmap_normalize() turns any list of raw regions into one that
 * is sorted and non-overlapping, where reserved wins over usable, usable
 * ranges are page-aligned inward and neighbours of one type are merged.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <duet/layout.h>
#include <duet/types.h>

enum mem_type {
    MEM_USABLE = 1,       /* RAM, free for the allocators */
    MEM_RESERVED,         /* firmware: do not touch (Multiboot2 type 2, DT reservations) */
    MEM_ACPI_RECLAIMABLE, /* Multiboot2 type 3: ACPI tables */
    MEM_ACPI_NVS,         /* Multiboot2 type 4: must be preserved across sleep */
    MEM_BAD,              /* Multiboot2 type 5: defective RAM */
    MEM_FIRMWARE_INFO,    /* the Multiboot2 information block or the DTB */
    MEM_MODULE,           /* boot modules, the initrd */
    MEM_KERNEL,           /* the kernel image */
    MEM_EARLY_ALLOC,      /* pages the early allocator handed out */
    MEM_BOOT_TABLES,      /* boot.S's page tables, usable once the final ones are live */
    MEM_TYPE_COUNT
};

/*
 * RAM, whoever holds it now: what the PMO maps and ioremap refuses. Not
 * firmware reservations (a device-tree no-map range is MEM_RESERVED too),
 * bad RAM or holes.
 */
static inline bool mem_type_is_ram(enum mem_type t)
{
    return t != MEM_RESERVED && t != MEM_BAD;
}

struct mem_region {
    paddr_t base;
    u64 size;
    enum mem_type type;
};

#define MEMMAP_MAX_REGIONS 256

struct memmap {
    struct mem_region regions[MEMMAP_MAX_REGIONS];
    size_t count;
};

/* Errors of memmap_add (negative) */
#define MEMMAP_ERR_FULL     (-1) /* more than MEMMAP_MAX_REGIONS */
#define MEMMAP_ERR_OVERFLOW (-2) /* base + size wraps past 2^64 */
#define MEMMAP_ERR_TYPE     (-3) /* not a valid enum mem_type */

/* Append a raw region (size 0 is ignored). Returns 0 or a MEMMAP_ERR_*. */
int memmap_add(struct memmap *m, paddr_t base, u64 size, enum mem_type type);
/*
 * Sort, resolve overlaps (reserved wins), align usable inward, merge.
 * Returns 0, or MEMMAP_ERR_FULL when the result would not fit (the map is
 * then left as it was).
 */
int memmap_normalize(struct memmap *m);
/* Mark [base, base + size) as `type` in a normalised map, keeping it normalised. */
int memmap_reserve(struct memmap *m, paddr_t base, u64 size, enum mem_type type);
/* Make every region of `type` usable RAM, keeping the map normalised. */
int memmap_release(struct memmap *m, enum mem_type type);
/* Bytes of the given type. */
u64 memmap_total(const struct memmap *m, enum mem_type type);
/* The type at address pa, or 0 when no region holds it. */
enum mem_type memmap_type_at(const struct memmap *m, paddr_t pa);
/*
 * How much of [pa, pa + size) is RAM that no region reserves, in a raw
 * map (unsorted, overlapping): the early maps of both arches ask it, to
 * map RAM only (a cacheable mapping may be read speculatively). ALL
 * needs one RAM region that covers the whole range; SOME is also the
 * answer for RAM pieced together from several regions.
 */
enum memmap_ram { MEMMAP_RAM_NONE, MEMMAP_RAM_ALL, MEMMAP_RAM_SOME };
enum memmap_ram memmap_ram_in(const struct memmap *raw, paddr_t pa, u64 size);
const char *mem_type_name(enum mem_type type);
/* Print as a table: start, end, size, type. */
void memmap_print(const struct memmap *m, const char *title);
/* A description of a MEMMAP_ERR_* code. */
const char *memmap_strerror(int err);

#endif
