/*
 * ktest suite `pmo`: the PMO contract of mm/pmo.h, checked on the live
 * kernel tables. virt_to_phys must undo phys_to_virt and agree with where
 * the tables put the kernel image; pmo_expand must map every byte of RAM
 * at PHYS_OFFSET + PA, read/write and never executable, leave the pages
 * without RAM unmapped, and use a 2 MiB (or 1 GiB) page wherever a whole
 * aligned one fits in RAM.
 *
 * The tables are read with the given walker (vm_walk), not the lab's
 * vm_translate: this suite judges pmo_expand and virt_to_phys, and a bug
 * in vm_translate shows in the `vm` suite alone.
 */
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/sections.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/physmem.h>
#include <mm/pmo.h>
#include <mm/vm.h>

/* A stretch of whole pages holding RAM, as the PMO maps it: RAM regions
 * rounded out to pages, joined where they touch or share a page. */
struct stretch {
    paddr_t start, end;
};

static struct stretch stretches[MEMMAP_MAX_REGIONS];

static size_t ram_stretches(void)
{
    size_t n = 0;

    for (size_t i = 0; i < kernel_memmap.count; i++) {
        const struct mem_region *r = &kernel_memmap.regions[i];
        if (!mem_type_is_ram(r->type))
            continue;
        paddr_t lo = ALIGN_DOWN(r->base, (paddr_t)PAGE_SIZE);
        paddr_t hi = ALIGN_UP(r->base + r->size, (paddr_t)PAGE_SIZE);
        if (n && lo <= stretches[n - 1].end)
            stretches[n - 1].end = MAX(stretches[n - 1].end, hi);
        else
            stretches[n++] = (struct stretch){ lo, hi };
    }
    return n;
}

/* What the kernel's tables map at va, read with the given walker as the
 * MMU reads them: below a leaf's size the entry's address bits do not count. */
static int walk(vaddr_t va, struct vm_translation *out)
{
    pte_t e[PT_LEVELS];
    unsigned n = vm_walk(&kernel_space, va, e), level = PT_ROOT_LEVEL - (n - 1);
    u64 size = pt_level_size(level);

    if (!pte_is_valid(e[n - 1]))
        return VM_ERR_NOT_MAPPED;
    *out = (struct vm_translation){
        .pa = ALIGN_DOWN(pte_address(e[n - 1]), size) + (va & (size - 1)),
        .page_size = size,
        .flags = pte_leaf_flags(e[n - 1], level),
        .level = level,
    };
    return VM_OK;
}

/* PHYS_OFFSET + pa must map pa: read/write, never executable, global. */
static void expect_pmo_maps(struct ktest *t, paddr_t pa)
{
    struct vm_translation tr;

    if (walk((vaddr_t)phys_to_virt(pa), &tr) != VM_OK) {
        ktest_fail(t, __FILE__, __LINE__, "PA 0x%llx is not mapped in the PMO",
                   (unsigned long long)pa);
        return;
    }
    KEXPECT_EQ(t, tr.pa, pa);
    KEXPECT_EQ(t, tr.flags, VM_KERNEL_RW);
}

static void virt_to_phys_undoes_phys_to_virt(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(0);

    KASSERT_NE(t, pa, PADDR_NONE);
    KEXPECT_EQ(t, virt_to_phys(phys_to_virt(pa)), pa);
    KEXPECT_EQ(t, virt_to_phys((u8 *)phys_to_virt(pa) + 123), pa + 123);
    KEXPECT_EQ(t, virt_to_phys(phys_to_virt(pmo_ram_start())), pmo_ram_start());
    KEXPECT_EQ(t, virt_to_phys((u8 *)phys_to_virt(pmo_ram_end()) - 1), pmo_ram_end() - 1);
    buddy_free_pages(pa, 0);
}

static const u64 image_marker = 0x1dea1dea1dea1deaULL;

static void virt_to_phys_of_the_image_is_where_the_tables_map_it(struct ktest *t)
{
    /* The image's last mapped byte: boot.S's tables after it are not mapped. */
    const void *last = (const void *)((uintptr_t)__boot_tables_start - 1);
    const void *const in_image[] = { __kernel_start, __text_start,  __rodata_start, __data_start,
                                     __bss_start,    &image_marker, &kernel_space,  last };

    KEXPECT_EQ(t, virt_to_phys(__kernel_start), (paddr_t)KERNEL_IMAGE_PHYS);
    for (size_t i = 0; i < ARRAY_SIZE(in_image); i++) {
        struct vm_translation tr;
        KASSERT_VM(t, walk((vaddr_t)in_image[i], &tr), VM_OK);
        KEXPECT_EQ(t, virt_to_phys(in_image[i]), tr.pa);
    }
    /* The image's alias in the PMO holds the same bytes. */
    KEXPECT_EQ(t, *(const u64 *)phys_to_virt(virt_to_phys(&image_marker)), image_marker);
}

static void every_byte_of_ram_is_mapped_at_phys_offset(struct ktest *t)
{
    paddr_t lo = PADDR_NONE, hi = 0;

    for (size_t i = 0; i < kernel_memmap.count; i++) {
        const struct mem_region *r = &kernel_memmap.regions[i];
        if (!mem_type_is_ram(r->type))
            continue;
        expect_pmo_maps(t, r->base);
        expect_pmo_maps(t, r->base + r->size / 2);
        expect_pmo_maps(t, r->base + r->size - 1);
        lo = MIN(lo, r->base);
        hi = MAX(hi, r->base + r->size);
    }
    KASSERT_TRUE(t, lo < hi);
    /* pmo_ram_start and pmo_ram_end span it, in whole pages. */
    paddr_t first_ram_page = ALIGN_DOWN(lo, (paddr_t)PAGE_SIZE);
    paddr_t end_of_last_ram_page = ALIGN_UP(hi, (paddr_t)PAGE_SIZE);
    KEXPECT_EQ(t, pmo_ram_start(), first_ram_page);
    KEXPECT_EQ(t, pmo_ram_end(), end_of_last_ram_page);
}

/* The page at pa holds no RAM: nothing may map it. */
static void expect_pmo_hole(struct ktest *t, paddr_t pa)
{
    struct vm_translation tr;

    if (walk((vaddr_t)phys_to_virt(pa), &tr) == VM_OK)
        ktest_fail(t, __FILE__, __LINE__,
                   "PA 0x%llx holds no RAM, but the PMO maps it (a %llu KiB page to PA 0x%llx)",
                   (unsigned long long)pa, (unsigned long long)(tr.page_size >> 10),
                   (unsigned long long)tr.pa);
}

static void pages_without_ram_stay_unmapped(struct ktest *t)
{
    size_t n = ram_stretches();

    /* The first and the last page of each hole between stretches. */
    for (size_t i = 1; i < n; i++) {
        expect_pmo_hole(t, stretches[i - 1].end);
        expect_pmo_hole(t, stretches[i].start - PAGE_SIZE);
    }
    /* The page below the lowest RAM, where there is one, and above the highest. */
    if (pmo_ram_start() >= PAGE_SIZE)
        expect_pmo_hole(t, pmo_ram_start() - PAGE_SIZE);
    expect_pmo_hole(t, pmo_ram_end());
}

static const char *page_size_name(u64 size)
{
    return size >= pt_level_size(2) ? "1 GiB" : size >= pt_level_size(1) ? "2 MiB" : "4 KiB";
}

/* Every size-aligned piece of `size` bytes inside a stretch must be one
 * leaf of at least that size. */
static void expect_large_pages(struct ktest *t, u64 size)
{
    size_t n = ram_stretches();

    for (size_t i = 0; i < n; i++)
        for (paddr_t pa = ALIGN_UP(stretches[i].start, size);
             pa < stretches[i].end && stretches[i].end - pa >= size; pa += size) {
            struct vm_translation tr;
            if (walk((vaddr_t)phys_to_virt(pa), &tr) != VM_OK) {
                ktest_fail(t, __FILE__, __LINE__, "PA 0x%llx is not mapped in the PMO",
                           (unsigned long long)pa);
                return;
            }
            if (tr.page_size < size) {
                ktest_fail(t, __FILE__, __LINE__,
                           "PA 0x%llx starts an aligned %s of RAM, but is mapped with %s pages",
                           (unsigned long long)pa, page_size_name(size),
                           page_size_name(tr.page_size));
                return;
            }
        }
}

static void aligned_ram_uses_the_largest_pages(struct ktest *t)
{
    expect_large_pages(t, pt_level_size(1));
    if (arch_mmu_has_1g_pages())
        expect_large_pages(t, pt_level_size(2));
}

static const struct ktest_case pmo_cases[] = {
    KTEST_CASE(virt_to_phys_undoes_phys_to_virt),
    KTEST_CASE(virt_to_phys_of_the_image_is_where_the_tables_map_it),
    KTEST_CASE(every_byte_of_ram_is_mapped_at_phys_offset),
    KTEST_CASE(pages_without_ram_stay_unmapped),
    KTEST_CASE(aligned_ram_uses_the_largest_pages),
    { 0 },
};
KTEST_SUITE(pmo, pmo_cases);
