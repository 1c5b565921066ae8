/*
 * ktest suite `vm`: the walker on the live kernel page tables. Each test
 * maps fresh pages in a scratch window of the kernel half, writes through
 * the new mapping and reads back through the PMO, so the CPU's own table
 * walker, not just vm_translate, has to agree with what was mapped.
 */
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/pmo.h>
#include <mm/ptdump.h>
#include <mm/vm.h>

static void page_sizes_map_translate_and_unmap(struct ktest *t)
{
    u64 free0 = buddy_free_pages_count();

    for (unsigned level = 0; level <= 1; level++) {
        unsigned order = level ? 9 : 0;
        paddr_t pa = buddy_alloc_pages_zeroed(order);
        KASSERT_NE(t, pa, PADDR_NONE);
        u64 size = PAGE_SIZE << order;
        KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, size, VM_KERNEL_RW, level),
                   VM_OK);

        struct vm_translation tr;
        KASSERT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA + size - 8, &tr), VM_OK);
        KEXPECT_EQ(t, tr.pa, pa + size - 8);
        KEXPECT_EQ(t, tr.page_size, size);
        KEXPECT_EQ(t, tr.flags, VM_KERNEL_RW);

        /* The CPU walks the new tables: what it writes lands in pa. */
        volatile u64 *through_map = (u64 *)(KTEST_SCRATCH_VA + size - 8);
        *through_map = 0xfeedface12345678ULL;
        KEXPECT_EQ(t, *(u64 *)phys_to_virt(pa + size - 8), 0xfeedface12345678ULL);

        KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, size), VM_OK);
        KEXPECT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA, &tr), VM_ERR_NOT_MAPPED);
        buddy_free_pages(pa, order);
    }
    /* Every table the mappings needed went back. */
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
}

static void a_1g_page_where_the_cpu_has_them(struct ktest *t)
{
    if (!arch_mmu_has_1g_pages()) {
        ktest_skip(t, "this CPU has no 1 GiB pages");
        return;
    }
    /* The first GiB of RAM, read-only: the kernel image lives there. */
    static const u64 marker = 0x600dcafe600dcafeULL;
    paddr_t base = ALIGN_DOWN(virt_to_phys(&marker), 1ULL << 30);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, base, 1ULL << 30, VM_READ | VM_GLOBAL, 2),
               VM_OK);
    struct vm_translation tr;
    KASSERT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA, &tr), VM_OK);
    KEXPECT_EQ(t, tr.page_size, 1ULL << 30);
    const volatile u64 *alias = (u64 *)(KTEST_SCRATCH_VA + (virt_to_phys(&marker) - base));
    KEXPECT_EQ(t, *alias, marker);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 1ULL << 30), VM_OK);
}

static void splitting_a_huge_page_keeps_the_rest(struct ktest *t)
{
    u64 free0 = buddy_free_pages_count();
    paddr_t pa = buddy_alloc_pages_zeroed(9);
    KASSERT_NE(t, pa, PADDR_NONE);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 2 * MiB, VM_KERNEL_RW, 1), VM_OK);

    /* One read-only 4 KiB page in the middle; one hole after it. */
    KEXPECT_VM(
        t, vm_protect(&kernel_space, KTEST_SCRATCH_VA + 0x10000, PAGE_SIZE, VM_READ | VM_GLOBAL),
        VM_OK);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA + 0x11000, PAGE_SIZE), VM_OK);
    struct vm_translation tr;
    KASSERT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA + 0x10000, &tr), VM_OK);
    KEXPECT_EQ(t, tr.page_size, (u64)PAGE_SIZE);
    KEXPECT_EQ(t, tr.flags, VM_READ | VM_GLOBAL);
    KEXPECT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA + 0x11000, &tr), VM_ERR_NOT_MAPPED);
    KASSERT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA + 0x12000, &tr), VM_OK);
    KEXPECT_EQ(t, tr.pa, pa + 0x12000);
    KEXPECT_EQ(t, tr.flags, VM_KERNEL_RW);
    *(volatile u32 *)(KTEST_SCRATCH_VA + 0x1ff000) = 7; /* the rest is still writable */
    KEXPECT_EQ(t, *(u32 *)phys_to_virt(pa + 0x1ff000), 7U);

    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 2 * MiB), VM_OK);
    buddy_free_pages(pa, 9);
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
}

static void mapping_over_a_live_mapping_is_refused(struct ktest *t)
{
    paddr_t a = buddy_alloc_pages_zeroed(0), b = buddy_alloc_pages_zeroed(0);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, a, PAGE_SIZE, VM_KERNEL_RW, 0), VM_OK);
    KEXPECT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, b, PAGE_SIZE, VM_KERNEL_RW, 0),
               VM_ERR_EXISTS);
    struct vm_translation tr;
    KEXPECT_VM(t, vm_translate(&kernel_space, KTEST_SCRATCH_VA, &tr), VM_OK);
    KEXPECT_EQ(t, tr.pa, a);
    vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE);
    buddy_free_pages(a, 0);
    buddy_free_pages(b, 0);
}

static void out_of_memory_midway_leaves_no_trace(struct ktest *t)
{
    const vaddr_t va = KTEST_SCRATCH_VA + (1ULL << 39); /* a corner with no tables yet */
    paddr_t pa = buddy_alloc_pages_zeroed(0);
    u64 free0 = buddy_free_pages_count();
    struct vm_translation tr;
    long k;

    /* Fail the first table, then the second, ... until the map needs no more. */
    for (k = 0; k < PT_LEVELS; k++) {
        pt_alloc_fail_after(k);
        int err = vm_map(&kernel_space, va, pa, PAGE_SIZE, VM_KERNEL_RW, 0);
        pt_alloc_fail_after(-1);
        if (err == VM_OK)
            break;
        KEXPECT_VM(t, err, VM_ERR_NO_MEMORY);
        KEXPECT_EQ(t, buddy_free_pages_count(), free0);
        KEXPECT_VM(t, vm_translate(&kernel_space, va, &tr), VM_ERR_NOT_MAPPED);
    }
    KEXPECT_GT(t, k, 0L); /* at least one table was needed and refused */
    KEXPECT_VM(t, vm_translate(&kernel_space, va, &tr), VM_OK);
    KEXPECT_VM(t, vm_unmap(&kernel_space, va, PAGE_SIZE), VM_OK);
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
    buddy_free_pages(pa, 0);
}

static const struct ktest_case vm_cases[] = {
    KTEST_CASE(page_sizes_map_translate_and_unmap),
    KTEST_CASE(a_1g_page_where_the_cpu_has_them),
    KTEST_CASE(splitting_a_huge_page_keeps_the_rest),
    KTEST_CASE(mapping_over_a_live_mapping_is_refused),
    KTEST_CASE(out_of_memory_midway_leaves_no_trace),
    { 0 },
};
KTEST_SUITE(vm, vm_cases);
