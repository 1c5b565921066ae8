/*
 * ktest suite `memmap`: the kernel's own memory map after boot is
 * normalised, holds the kernel and the firmware's data as reserved, and
 * normalising it again changes nothing.
 */
#include <duet/ktest.h>
#include <duet/sections.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/memmap.h>
#include <mm/physmem.h>
#include <mm/pmo.h>

/* A memory type by name in a failure ("kernel (8)"), 0 as "no region". */
static const char *type_name(long type)
{
    return type == 0 ? "no region" : mem_type_name((enum mem_type)type);
}
#define KEXPECT_TYPE(t, a, b) KTEST_CODE_(t, a, b, type_name, #a " == " #b, (void)0)

/* A MEMMAP_ERR_* code by what it means. */
static const char *memmap_error(long err)
{
    return memmap_strerror((int)err);
}
#define KASSERT_MEMMAP(t, a, b) KTEST_CODE_(t, a, b, memmap_error, #a " == " #b, return )

static void is_sorted_disjoint_and_aligned(struct ktest *t)
{
    const struct memmap *m = &kernel_memmap;

    KASSERT_TRUE(t, m->count > 0);
    for (size_t i = 0; i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];

        KEXPECT_GT(t, r->size, 0ULL);
        if (r->type == MEM_USABLE)
            KEXPECT_EQ(t, (r->base | r->size) % PAGE_SIZE, 0ULL);
        if (i) {
            const struct mem_region *p = &m->regions[i - 1];
            KEXPECT_LE(t, p->base + p->size, r->base);
            KEXPECT_TRUE(t, !(p->base + p->size == r->base && p->type == r->type));
        }
    }
}

static void kernel_image_is_reserved(struct ktest *t)
{
    KEXPECT_TYPE(t, memmap_type_at(&kernel_memmap, virt_to_phys(__text_start)), MEM_KERNEL);
    KEXPECT_TYPE(t, memmap_type_at(&kernel_memmap, virt_to_phys(__bss_start)), MEM_KERNEL);
    KEXPECT_TYPE(t, memmap_type_at(&kernel_memmap, (paddr_t)(uintptr_t)__boot_start), MEM_KERNEL);
}

static void boot_tables_went_to_the_buddy_allocator(struct ktest *t)
{
    u64 size = (uintptr_t)__boot_tables_end - (uintptr_t)__boot_tables_start;
    paddr_t first = virt_to_phys(__boot_tables_start);
    paddr_t last = first + size - PAGE_SIZE;
    struct vm_translation tr;

    KASSERT_GT(t, size, 0ULL);
    KEXPECT_TYPE(t, memmap_type_at(&kernel_memmap, first), MEM_USABLE);
    KEXPECT_TYPE(t, memmap_type_at(&kernel_memmap, last), MEM_USABLE);
    /* Every usable page, these included, is the buddy allocator's... */
    KEXPECT_EQ(t, buddy_managed_pages() * PAGE_SIZE, memmap_total(&kernel_memmap, MEM_USABLE));
    /* ...and no longer reachable through the kernel image's addresses. */
    KEXPECT_VM(t, vm_translate(&kernel_space, (vaddr_t)__boot_tables_start, &tr),
               VM_ERR_NOT_MAPPED);
    KEXPECT_VM(t, vm_translate(&kernel_space, (vaddr_t)__boot_tables_end - 1, &tr),
               VM_ERR_NOT_MAPPED);
}

static void has_usable_ram(struct ktest *t)
{
    KEXPECT_GE(t, memmap_total(&kernel_memmap, MEM_USABLE), 16ULL * MiB);
}

static void normalising_again_changes_nothing(struct ktest *t)
{
    static struct memmap copy;

    copy = kernel_memmap;
    KASSERT_MEMMAP(t, memmap_normalize(&copy), 0);
    KASSERT_EQ(t, copy.count, kernel_memmap.count);
    for (size_t i = 0; i < copy.count; i++) {
        KEXPECT_EQ(t, copy.regions[i].base, kernel_memmap.regions[i].base);
        KEXPECT_EQ(t, copy.regions[i].size, kernel_memmap.regions[i].size);
        KEXPECT_TYPE(t, copy.regions[i].type, kernel_memmap.regions[i].type);
    }
}

/*
 * A raw map as firmware might hand it over: unsorted, overlapping, the
 * weaker type listed after the stronger one, RAM above 4 GiB. The rules
 * decide the result, not the order (labs/lab1-memmap.md).
 */
static void a_raw_map_normalises_by_the_rules(struct ktest *t)
{
    static struct memmap m;
    static const struct mem_region raw[] = {
        { 0x140000000ULL, 0x1000, MEM_ACPI_NVS }, { 0x200000, 0x30000, MEM_KERNEL },
        { 0x9fc00, 0x400, MEM_RESERVED },         { 0x0, 0xa0000, MEM_USABLE },
        { 0x100000, 0x7f00000, MEM_USABLE },      { 0x100000000ULL, 0x40000000, MEM_USABLE },
        { 0x140000000ULL, 0x800, MEM_USABLE },
    };
    static const struct mem_region want[] = {
        { 0x0, 0x9f000, MEM_USABLE },
        { 0x9fc00, 0x400, MEM_RESERVED },
        { 0x100000, 0x100000, MEM_USABLE },
        { 0x200000, 0x30000, MEM_KERNEL },
        { 0x230000, 0x7dd0000, MEM_USABLE },
        { 0x100000000ULL, 0x40000000, MEM_USABLE },
        { 0x140000000ULL, 0x1000, MEM_ACPI_NVS },
    };

    m.count = 0;
    for (size_t i = 0; i < ARRAY_SIZE(raw); i++)
        KASSERT_MEMMAP(t, memmap_add(&m, raw[i].base, raw[i].size, raw[i].type), 0);
    KASSERT_MEMMAP(t, memmap_normalize(&m), 0);
    if (m.count != ARRAY_SIZE(want))
        memmap_print(&m, "normalised");
    KASSERT_EQ(t, m.count, ARRAY_SIZE(want));
    for (size_t i = 0; i < m.count; i++) {
        KEXPECT_EQ(t, m.regions[i].base, want[i].base);
        KEXPECT_EQ(t, m.regions[i].size, want[i].size);
        KEXPECT_TYPE(t, m.regions[i].type, want[i].type);
    }
}

static const struct ktest_case memmap_cases[] = {
    KTEST_CASE(is_sorted_disjoint_and_aligned),
    KTEST_CASE(kernel_image_is_reserved),
    KTEST_CASE(boot_tables_went_to_the_buddy_allocator),
    KTEST_CASE(has_usable_ram),
    KTEST_CASE(normalising_again_changes_nothing),
    KTEST_CASE(a_raw_map_normalises_by_the_rules),
    { 0 },
};
KTEST_SUITE(memmap, memmap_cases);
