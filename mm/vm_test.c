/*
 * ktest suite `vm`: the walker on the live kernel page tables. Each test
 * maps fresh pages in a scratch window of the kernel half, writes through
 * the new mapping and reads back through the PMO, so the CPU's own table
 * walker, not just vm_translate, has to agree with what was mapped. After
 * an unmap or a protect the cases touch the page again: QEMU keeps a TLB
 * of its own, so a change the TLB was not told about shows as an access
 * that should fault and does not.
 *
 * A case that fails may leave its mappings behind; the suite's exit hook
 * empties the scratch window after every case, so the next one starts
 * clean.
 */
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/pmo.h>
#include <mm/ptdump.h>
#include <mm/vm.h>

/* The cases map only here: the first GiB of the scratch window, and one
 * page 512 GiB above it (where no table exists yet). */
#define SCRATCH_FAR_VA (KTEST_SCRATCH_VA + (1ULL << 39))

/* --- touching the scratch window, expecting a fault or not ------------------------------ */

/* Hide where a pointer came from, so the compiler emits the access as written. */
#define OPAQUE(p)               \
    ({                          \
        __typeof__(p) _p = (p); \
        __asm__("" : "+r"(_p)); \
        _p;                     \
    })

struct access {
    vaddr_t va;
    u64 value;
};

static void load_word(void *arg)
{
    struct access *a = arg;

    a->value = *OPAQUE((volatile u64 *)a->va);
}

static void store_word(void *arg)
{
    struct access *a = arg;

    *OPAQUE((volatile u64 *)a->va) = a->value;
}

/* The word at va, read through the tables; a fault fails the test. */
static u64 expect_load(struct ktest *t, vaddr_t va)
{
    struct access a = { va, 0 };
    struct fault_info info;

    if (fault_expect(load_word, &a, &info))
        ktest_fail(t, __FILE__, __LINE__, "reading 0x%lx faulted: it should be mapped",
                   (unsigned long)va);
    return a.value;
}

static void expect_store(struct ktest *t, vaddr_t va, u64 value)
{
    struct access a = { va, value };
    struct fault_info info;

    if (fault_expect(store_word, &a, &info))
        ktest_fail(t, __FILE__, __LINE__, "writing 0x%lx faulted: it should be mapped read/write",
                   (unsigned long)va);
}

/* Accessing va must fault there: `after` says what made it so. */
static void expect_fault(struct ktest *t, void (*access)(void *), vaddr_t va, u64 value,
                         bool protection, const char *after)
{
    struct access a = { va, value };
    struct fault_info info;

    if (!fault_expect(access, &a, &info)) {
        ktest_fail(t, __FILE__, __LINE__,
                   "%s 0x%lx after %s did not fault: the tables still allow it, or the TLB was "
                   "not told",
                   access == store_word ? "writing" : "reading", (unsigned long)va, after);
        return;
    }
    KEXPECT_EQ(t, info.addr, va);
    KEXPECT_EQ(t, info.protection, protection);
}

/* The level of the leaf that maps va, read with the given walker. */
static unsigned leaf_level(vaddr_t va)
{
    pte_t e[PT_LEVELS];

    return PT_ROOT_LEVEL - (vm_walk(&kernel_space, va, e) - 1);
}

/* --- the suite's exit hook: an empty scratch window ---------------------------------- */

static void free_tables_below(pte_t e, unsigned level)
{
    if (!pte_is_table(e, level))
        return;
    pte_t *table = phys_to_virt(pte_address(e));
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        free_tables_below(table[i], level - 1);
    pt_free_page(pte_address(e));
}

/* Clear a live entry and free what hangs below it, in the order unmap_level
 * must keep: clear, invalidate, then free. */
static void clear_entry(pte_t *slot, unsigned level)
{
    pte_t e = *slot;

    WRITE_ONCE(*slot, 0);
    arch_pte_sync();
    arch_tlb_invalidate_all();
    free_tables_below(e, level);
}

/*
 * Whatever a failed case left in the scratch window goes, through the
 * arch's entry helpers rather than the lab's vm_unmap (which may be the
 * bug): the level-2 entry of each place the cases map, and on AArch64 the
 * root's entry above it when nothing else is left under it (x86_64 keeps
 * its kernel level-2 tables for ever).
 */
static void empty_scratch_window(void)
{
    static const vaddr_t places[] = { KTEST_SCRATCH_VA, SCRATCH_FAR_VA };
    pte_t *root = phys_to_virt(kernel_space.root);

    for (size_t i = 0; i < ARRAY_SIZE(places); i++) {
        pte_t *top = &root[pt_index(places[i], PT_ROOT_LEVEL)];
        if (!pte_is_table(*top, PT_ROOT_LEVEL))
            continue;
        pte_t *level2 = phys_to_virt(pte_address(*top));
        pte_t *slot = &level2[pt_index(places[i], 2)];
        if (pte_is_valid(*slot))
            clear_entry(slot, 2);
        bool empty = true;
        for (unsigned j = 0; j < PT_ENTRIES; j++)
            empty &= !pte_is_valid(level2[j]);
        if (empty && !arch_mmu_kernel_tables_shared())
            clear_entry(top, PT_ROOT_LEVEL);
    }
}

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
    const vaddr_t va = SCRATCH_FAR_VA;
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

/* Once unmapped, a page faults, even one the CPU has just used: its TLB
 * entry must go too. Two 4 KiB pages and two 2 MiB pages, unmapped one
 * after the other (the first leaves its tables in place); then a 4 KiB
 * hole in a 2 MiB page whose neighbours keep their bytes. */
static void an_unmapped_page_faults_at_once(struct ktest *t)
{
    for (unsigned level = 0; level <= 1; level++) {
        unsigned order = level ? 10 : 1; /* two pages */
        u64 size = PAGE_SIZE << (order - 1);
        paddr_t pa = buddy_alloc_pages_zeroed(order);
        KASSERT_NE(t, pa, PADDR_NONE);
        KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 2 * size, VM_KERNEL_RW, level),
                   VM_OK);
        expect_store(t, KTEST_SCRATCH_VA + size - 8, 1);
        expect_store(t, KTEST_SCRATCH_VA + size, 2);
        KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, size), VM_OK);
        expect_fault(t, load_word, KTEST_SCRATCH_VA + size - 8, 0, false, "vm_unmap");
        KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + size), 2ULL);
        KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA + size, size), VM_OK);
        expect_fault(t, load_word, KTEST_SCRATCH_VA + size, 0, false, "vm_unmap");
        buddy_free_pages(pa, order);
    }

    paddr_t pa = buddy_alloc_pages_zeroed(9);
    KASSERT_NE(t, pa, PADDR_NONE);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 2 * MiB, VM_KERNEL_RW, 1), VM_OK);
    expect_store(t, KTEST_SCRATCH_VA + 0xfff8, 3);
    expect_store(t, KTEST_SCRATCH_VA + 0x10000, 4);
    expect_store(t, KTEST_SCRATCH_VA + 0x11000, 5);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA + 0x11000, PAGE_SIZE), VM_OK);
    expect_fault(t, load_word, KTEST_SCRATCH_VA + 0x11000, 0, false, "vm_unmap");
    KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + 0x10000), 4ULL); /* now a 4 KiB page */
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA + 0x10000, PAGE_SIZE), VM_OK);
    expect_fault(t, load_word, KTEST_SCRATCH_VA + 0x10000, 0, false, "vm_unmap");
    KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + 0xfff8), 3ULL);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 2 * MiB), VM_OK);
    expect_fault(t, load_word, KTEST_SCRATCH_VA + 0xfff8, 0, false, "vm_unmap");
    buddy_free_pages(pa, 9);
}

/* A range whose ends fall inside two different 2 MiB pages: unmapping it
 * splits both, the pages in it fault at once, and the bytes on either side
 * stay where they were. */
static void a_range_across_two_huge_pages_splits_both(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(10); /* 4 MiB: two 2 MiB pages */
    KASSERT_NE(t, pa, PADDR_NONE);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 4 * MiB, VM_KERNEL_RW, 1), VM_OK);
    expect_store(t, KTEST_SCRATCH_VA + MiB - 8, 1);
    expect_store(t, KTEST_SCRATCH_VA + MiB, 2);
    expect_store(t, KTEST_SCRATCH_VA + 3 * MiB - 8, 3);
    expect_store(t, KTEST_SCRATCH_VA + 3 * MiB, 4);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA + MiB, 2 * MiB), VM_OK);
    expect_fault(t, load_word, KTEST_SCRATCH_VA + MiB, 0, false, "vm_unmap");
    expect_fault(t, load_word, KTEST_SCRATCH_VA + 3 * MiB - 8, 0, false, "vm_unmap");
    KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + MiB - 8), 1ULL);
    KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + 3 * MiB), 4ULL);
    KEXPECT_EQ(t, leaf_level(KTEST_SCRATCH_VA + 3 * MiB), 0U);
    KEXPECT_EQ(t, *(u64 *)phys_to_virt(pa + 3 * MiB), 4ULL);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 4 * MiB), VM_OK);
    buddy_free_pages(pa, 10);
}

/* A writable word of the kernel image, written back with its own value
 * through a 1 GiB alias. */
static u64 gib_alias_word = 0x5eed5eed5eed5eedULL;

/* A page made read-only refuses writes at once, even one the CPU has just
 * written through, and still reads: 4 KiB, a whole 2 MiB page and a whole
 * 1 GiB page where the CPU has them (each stays one page: no split is
 * needed), and 4 KiB inside a 2 MiB page. */
static void a_page_made_read_only_refuses_writes_at_once(struct ktest *t)
{
    for (unsigned level = 0; level <= 1; level++) {
        unsigned order = level ? 9 : 0;
        u64 size = PAGE_SIZE << order;
        paddr_t pa = buddy_alloc_pages_zeroed(order);
        KASSERT_NE(t, pa, PADDR_NONE);
        KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, size, VM_KERNEL_RW, level),
                   VM_OK);
        expect_store(t, KTEST_SCRATCH_VA, 1);
        expect_store(t, KTEST_SCRATCH_VA + size - 8, 2);
        KEXPECT_VM(t, vm_protect(&kernel_space, KTEST_SCRATCH_VA, size, VM_READ | VM_GLOBAL),
                   VM_OK);
        KEXPECT_EQ(t, leaf_level(KTEST_SCRATCH_VA), level);
        expect_fault(t, store_word, KTEST_SCRATCH_VA, 1, true, "vm_protect");
        expect_fault(t, store_word, KTEST_SCRATCH_VA + size - 8, 2, true, "vm_protect");
        KEXPECT_EQ(t, expect_load(t, KTEST_SCRATCH_VA + size - 8), 2ULL);
        KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, size), VM_OK);
        buddy_free_pages(pa, order);
    }

    paddr_t pa = buddy_alloc_pages_zeroed(9);
    KASSERT_NE(t, pa, PADDR_NONE);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 2 * MiB, VM_KERNEL_RW, 1), VM_OK);
    expect_store(t, KTEST_SCRATCH_VA + 0x10000, 3);
    expect_store(t, KTEST_SCRATCH_VA + 0x11000, 4);
    KEXPECT_VM(
        t, vm_protect(&kernel_space, KTEST_SCRATCH_VA + 0x10000, PAGE_SIZE, VM_READ | VM_GLOBAL),
        VM_OK);
    expect_fault(t, store_word, KTEST_SCRATCH_VA + 0x10000, 3, true, "vm_protect");
    expect_store(t, KTEST_SCRATCH_VA + 0x11000, 5);
    KEXPECT_EQ(t, *(u64 *)phys_to_virt(pa + 0x11000), 5ULL);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 2 * MiB), VM_OK);
    buddy_free_pages(pa, 9);

    if (!arch_mmu_has_1g_pages())
        return;
    paddr_t base = ALIGN_DOWN(virt_to_phys(&gib_alias_word), 1ULL << 30);
    vaddr_t alias = KTEST_SCRATCH_VA + (virt_to_phys(&gib_alias_word) - base);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, base, 1ULL << 30, VM_KERNEL_RW, 2),
               VM_OK);
    expect_store(t, alias, gib_alias_word);
    KEXPECT_VM(t, vm_protect(&kernel_space, KTEST_SCRATCH_VA, 1ULL << 30, VM_READ | VM_GLOBAL),
               VM_OK);
    KEXPECT_EQ(t, leaf_level(KTEST_SCRATCH_VA), 2U);
    expect_fault(t, store_word, alias, gib_alias_word, true, "vm_protect");
    KEXPECT_EQ(t, expect_load(t, alias), gib_alias_word);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 1ULL << 30), VM_OK);
}

/* A large page maps an aligned block of physical memory: with va 2 MiB-
 * aligned but pa only 4 KiB-aligned, vm_map must use 4 KiB pages, and
 * every byte written through the mapping lands at its own pa. */
static void a_large_page_needs_pa_aligned_too(struct ktest *t)
{
    paddr_t block = buddy_alloc_pages_zeroed(10); /* 4 MiB, 4 MiB-aligned */
    KASSERT_NE(t, block, PADDR_NONE);
    paddr_t pa = block + PAGE_SIZE;

    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, 2 * MiB, VM_KERNEL_RW, 2), VM_OK);
    KEXPECT_EQ(t, leaf_level(KTEST_SCRATCH_VA), 0U);
    expect_store(t, KTEST_SCRATCH_VA, 0x1111);
    expect_store(t, KTEST_SCRATCH_VA + 2 * MiB - 8, 0x2222);
    KEXPECT_EQ(t, *(u64 *)phys_to_virt(pa), 0x1111ULL);
    KEXPECT_EQ(t, *(u64 *)phys_to_virt(pa + 2 * MiB - 8), 0x2222ULL);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, 2 * MiB), VM_OK);
    buddy_free_pages(block, 10);
}

static const struct ktest_case vm_cases[] = {
    KTEST_CASE(page_sizes_map_translate_and_unmap),
    KTEST_CASE(a_1g_page_where_the_cpu_has_them),
    KTEST_CASE(splitting_a_huge_page_keeps_the_rest),
    KTEST_CASE(mapping_over_a_live_mapping_is_refused),
    KTEST_CASE(out_of_memory_midway_leaves_no_trace),
    KTEST_CASE(an_unmapped_page_faults_at_once),
    KTEST_CASE(a_range_across_two_huge_pages_splits_both),
    KTEST_CASE(a_page_made_read_only_refuses_writes_at_once),
    KTEST_CASE(a_large_page_needs_pa_aligned_too),
    { 0 },
};
KTEST_SUITE_EXIT(vm, vm_cases, empty_scratch_window);
