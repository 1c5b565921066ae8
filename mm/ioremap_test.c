/*
 * ktest suite `ioremap`: device memory on demand. The generic cases map a
 * hole in the physical address space (no RAM there, so it may be mapped
 * as a device); each arch checks a real device register in its own suite
 * (arch/<arch>/devices_test.c).
 */
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/sections.h>
#include <mm/buddy.h>
#include <mm/ioremap.h>
#include <mm/kmap.h>
#include <mm/pmo.h>

/* The first page above the highest RAM: a hole. */
static paddr_t hole_page(void)
{
    return ALIGN_UP(pmo_ram_end(), (paddr_t)PAGE_SIZE) + 16 * PAGE_SIZE;
}

static void maps_device_memory_in_the_mmio_window(struct ktest *t)
{
    paddr_t pa = hole_page();
    void *va = ioremap(pa, PAGE_SIZE);
    struct vm_translation tr;

    KASSERT_TRUE(t, va != NULL);
    KEXPECT_GE(t, (uintptr_t)va, (uintptr_t)MMIO_BASE);
    KEXPECT_LT(t, (uintptr_t)va, (uintptr_t)KERNEL_VIRT_BASE);
    KASSERT_VM(t, vm_translate(&kernel_space, (vaddr_t)va, &tr), VM_OK);
    KEXPECT_EQ(t, tr.pa, pa);
    KEXPECT_EQ(t, tr.page_size, (u64)PAGE_SIZE);
    KEXPECT_EQ(t, tr.flags & (VM_READ | VM_WRITE | VM_EXEC | VM_DEVICE | VM_USER),
               VM_READ | VM_WRITE | VM_DEVICE);
}

static void keeps_the_offset_and_reuses_a_mapping(struct ktest *t)
{
    paddr_t pa = hole_page() + 4 * PAGE_SIZE;
    char *whole = ioremap(pa, 2 * PAGE_SIZE);

    KASSERT_TRUE(t, whole != NULL);
    KEXPECT_EQ(t, (uintptr_t)ioremap(pa + 0x10, 8), (uintptr_t)whole + 0x10);
    KEXPECT_EQ(t, (uintptr_t)ioremap(pa + PAGE_SIZE + 4, 4), (uintptr_t)whole + PAGE_SIZE + 4);
    KEXPECT_EQ(t, (uintptr_t)ioremap(pa, 2 * PAGE_SIZE), (uintptr_t)whole);
}

static void leaves_a_guard_page_after_each_mapping(struct ktest *t)
{
    char *va = ioremap(hole_page() + 8 * PAGE_SIZE, PAGE_SIZE);
    struct vm_translation tr;

    KASSERT_TRUE(t, va != NULL);
    KEXPECT_VM(t, vm_translate(&kernel_space, (vaddr_t)va + PAGE_SIZE, &tr), VM_ERR_NOT_MAPPED);
}

static void refuses_ram(struct ktest *t)
{
    paddr_t page = buddy_alloc_pages(0);

    KEXPECT_TRUE(t, ioremap(virt_to_phys(__text_start), PAGE_SIZE) == NULL);
    KASSERT_NE(t, page, PADDR_NONE);
    KEXPECT_TRUE(t, ioremap(page, PAGE_SIZE) == NULL);
    /* A range that only starts below RAM's end still overlaps it. */
    KEXPECT_TRUE(t, ioremap(page - PAGE_SIZE, 2 * PAGE_SIZE) == NULL);
    buddy_free_pages(page, 0);
}

static void refuses_bad_ranges(struct ktest *t)
{
    KEXPECT_TRUE(t, ioremap(hole_page(), 0) == NULL);
    KEXPECT_TRUE(t, ioremap(~(paddr_t)0 - 10, 100) == NULL);
}

static const struct ktest_case ioremap_cases[] = {
    KTEST_CASE(maps_device_memory_in_the_mmio_window),
    KTEST_CASE(keeps_the_offset_and_reuses_a_mapping),
    KTEST_CASE(leaves_a_guard_page_after_each_mapping),
    KTEST_CASE(refuses_ram),
    KTEST_CASE(refuses_bad_ranges),
    { 0 },
};
KTEST_SUITE(ioremap, ioremap_cases);
