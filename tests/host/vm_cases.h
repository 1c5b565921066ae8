/*
 * Host tests of mm/vm.c, included by test_vm_x86_64.c and
 * test_vm_aarch64.c so every case runs with both arches' encodings.
 * Page tables live in a simulated RAM whose frames come from a fake
 * allocator that counts them and can be told to fail.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "host.h"
#include "../../mm/vm.c"

#define RAM_PA    0x1000000ULL
#define RAM_PAGES 8192
#define KVA       0xffff900000000000ULL /* somewhere in the kernel half */

static u8 *ram;
static u8 frame_used[RAM_PAGES];
static long frames_in_use, fail_after = -1, baseline;
static bool has_1g = true;
static struct vm_space kspace, uspace;

paddr_t pt_alloc_page(void)
{
    if (fail_after == 0)
        return PADDR_NONE;
    if (fail_after > 0)
        fail_after--;
    for (int i = 0; i < RAM_PAGES; i++)
        if (!frame_used[i]) {
            frame_used[i] = 1;
            frames_in_use++;
            memset(ram + (size_t)i * PAGE_SIZE, 0, PAGE_SIZE);
            return RAM_PA + (paddr_t)i * PAGE_SIZE;
        }
    return PADDR_NONE;
}

void pt_free_page(paddr_t pa)
{
    u64 i = (pa - RAM_PA) / PAGE_SIZE;
    if (pa < RAM_PA || i >= RAM_PAGES || !frame_used[i]) {
        host_fail(__FILE__, __LINE__, "pt_free_page(0x%llx): not an allocated table",
                  (unsigned long long)pa);
        return;
    }
    memset(ram + i * PAGE_SIZE, 0x6b, PAGE_SIZE); /* poison: a stale walk would see it */
    frame_used[i] = 0;
    frames_in_use--;
}

static long tlb_invalidations;
void arch_pte_sync(void)
{
}
void arch_tlb_invalidate(vaddr_t va, size_t size)
{
    tlb_invalidations++;
}
void arch_tlb_invalidate_all(void)
{
    tlb_invalidations++;
}
#if !defined(HOST_ARCH_AARCH64)
bool arch_mmu_has_1g_pages(void)
{
    return has_1g;
}
#endif

static void setup(void)
{
    if (!ram) {
        ram = mmap(NULL, RAM_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
        host_pmo_set(ram, RAM_PA, RAM_PAGES * PAGE_SIZE);
    }
    memset(frame_used, 0, sizeof(frame_used));
    frames_in_use = 0;
    fail_after = -1;
    has_1g = true;
    kspace = (struct vm_space){ .root = pt_alloc_page(), .user = false };
    uspace = (struct vm_space){ .root = pt_alloc_page(), .user = true };
    /* Where address spaces share the kernel's tables (x86_64), the kernel
     * makes all of its root's entries at boot, as kmap does. */
    if (arch_mmu_kernel_tables_shared())
        for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
            root_table(&kspace)[i] = pte_make_table(pt_alloc_page(), false);
    baseline = frames_in_use;
}

/* Table pages in kspace beyond those setup made. */
static long kernel_tables_made(void)
{
    return frames_in_use - baseline;
}

static int count_leaves_n;
static void count_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    count_leaves_n++;
}
static int count_leaves(struct vm_space *s)
{
    count_leaves_n = 0;
    vm_for_each_leaf (s, count_leaf, NULL)
        ;
    return count_leaves_n;
}

#define EXPECT_MAPS(s, va, want_pa, want_size, want_flags)                                         \
    do {                                                                                           \
        struct vm_translation _t;                                                                  \
        int _e = vm_translate(s, va, &_t);                                                         \
        CHECK_MSG(_e == VM_OK, "translate 0x%llx: %s", (unsigned long long)(va), vm_strerror(_e)); \
        if (_e == VM_OK) {                                                                         \
            CHECK_EQ(_t.pa, want_pa);                                                              \
            CHECK_EQ(_t.page_size, want_size);                                                     \
            CHECK_EQ(_t.flags, want_flags);                                                        \
        }                                                                                          \
    } while (0)

#define RW  (VM_READ | VM_WRITE)
#define KRW (RW | VM_GLOBAL)

static void encodings_round_trip(void)
{
    static const unsigned combos[] = {
        VM_READ | VM_GLOBAL, KRW,          VM_READ | VM_EXEC | VM_GLOBAL, KRW | VM_DEVICE,
        VM_READ | VM_USER,   RW | VM_USER, VM_READ | VM_EXEC | VM_USER,
    };
    for (unsigned level = 0; level < 3; level++)
        for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
            pte_t e = pte_make_leaf(0x40000000, level, combos[i]);
            CHECK(pte_is_valid(e));
            CHECK(!pte_is_table(e, level) || level == 0);
            CHECK_EQ(pte_address(e), 0x40000000);
            CHECK_MSG(pte_leaf_flags(e, level) == combos[i], "level %u flags 0x%x came back 0x%x",
                      level, combos[i], pte_leaf_flags(e, level));
        }
    pte_t t = pte_make_table(0x1234000, false);
    CHECK(pte_is_table(t, 1) && pte_address(t) == 0x1234000);
}

static void map_translate_unmap_4k(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x5000, PAGE_SIZE, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA + 0x123, 0x5123, PAGE_SIZE, KRW);
    CHECK_EQ(kernel_tables_made(), arch_mmu_kernel_tables_shared() ? 2 : 3);
    struct vm_translation t;
    CHECK_EQ(vm_translate(&kspace, KVA + PAGE_SIZE, &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(vm_unmap(&kspace, KVA, PAGE_SIZE), VM_OK);
    CHECK_EQ(vm_translate(&kspace, KVA, &t), VM_ERR_NOT_MAPPED);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void uses_the_largest_pages_alignment_allows(void)
{
    setup();
    /* [2M - 4K, 4M + 4K): a 4 KiB page, a 2 MiB page, a 4 KiB page. */
    u64 va = KVA + 0x200000 - PAGE_SIZE, pa = 0x40200000 - PAGE_SIZE;
    CHECK_EQ(vm_map(&kspace, va, pa, 0x200000 + 2 * PAGE_SIZE, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, va, pa, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, va + PAGE_SIZE + 0x1000, pa + PAGE_SIZE + 0x1000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, va + PAGE_SIZE + 0x200000, pa + PAGE_SIZE + 0x200000, PAGE_SIZE, KRW);
    CHECK_EQ(count_leaves(&kspace), 3);

    /* 1 GiB aligned: one leaf with 1 GiB pages, 512 without. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, KVA + 12345, 0x40000000 + 12345, 1ULL << 30, KRW);
    CHECK_EQ(count_leaves(&kspace), 1);
    CHECK_EQ(kernel_tables_made(), arch_mmu_kernel_tables_shared() ? 0 : 1);
    CHECK_EQ(vm_map(&kspace, KVA + (1ULL << 30), 0x80000000, 1ULL << 30, KRW, 1), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 1 + 512); /* max_level 1: 2 MiB pages */
#if !defined(HOST_ARCH_AARCH64)
    setup();
    has_1g = false; /* qemu64 has no 1 GiB pages */
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 512);
    EXPECT_MAPS(&kspace, KVA, 0x40000000, 0x200000, KRW);
#endif
}

static void refuses_to_map_over_a_live_mapping(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x200000, KRW, 2), VM_OK);
    long tables = frames_in_use;
    CHECK_EQ(vm_map(&kspace, KVA, 0x80000000, 0x200000, KRW, 2), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + 0x1ff000, 0x9000, 0x2000, KRW, 2), VM_ERR_EXISTS);
    CHECK_EQ(vm_map(&kspace, KVA + 0x100000, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_EXISTS);
    CHECK_EQ(frames_in_use, tables); /* nothing half-made */
    EXPECT_MAPS(&kspace, KVA, 0x40000000, 0x200000, KRW);
    CHECK_EQ(vm_translate(&kspace, KVA + 0x200000, &(struct vm_translation){ 0 }),
             VM_ERR_NOT_MAPPED);
}

static void unmapping_part_of_a_huge_page_splits_it(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 1ULL << 30, KRW, 2), VM_OK);
    /* A 4 KiB hole in the middle of a 1 GiB page. */
    CHECK_EQ(vm_unmap(&kspace, KVA + 0x300000, PAGE_SIZE), VM_OK);
    struct vm_translation t;
    CHECK_EQ(vm_translate(&kspace, KVA + 0x300000, &t), VM_ERR_NOT_MAPPED);
    EXPECT_MAPS(&kspace, KVA + 0x2ff000, 0x402ff000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x301000, 0x40301000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x100000, 0x40100000, 0x200000, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x3ff00000, 0x7ff00000, 0x200000, KRW);
    CHECK_EQ(count_leaves(&kspace), 511 + 511);
    /* Everything back: every table freed. */
    CHECK_EQ(vm_unmap(&kspace, KVA, 1ULL << 30), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 0);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void protect_changes_flags_and_splits_at_the_edges(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x400000, KRW, 2), VM_OK);
    CHECK_EQ(vm_protect(&kspace, KVA + 0x1000, 0x1ff000, VM_READ | VM_EXEC | VM_GLOBAL), VM_OK);
    EXPECT_MAPS(&kspace, KVA, 0x40000000, PAGE_SIZE, KRW);
    EXPECT_MAPS(&kspace, KVA + 0x1000, 0x40001000, PAGE_SIZE, VM_READ | VM_EXEC | VM_GLOBAL);
    EXPECT_MAPS(&kspace, KVA + 0x1ff000, 0x401ff000, PAGE_SIZE, VM_READ | VM_EXEC | VM_GLOBAL);
    EXPECT_MAPS(&kspace, KVA + 0x200000, 0x40200000, 0x200000, KRW);
    CHECK(tlb_invalidations > 0);
    CHECK_EQ(vm_protect(&kspace, KVA + 0x300000, 0x200000, VM_READ), VM_ERR_NOT_MAPPED);
    EXPECT_MAPS(&kspace, KVA + 0x300000, 0x40300000, 0x200000, KRW); /* unchanged */
}

static void running_out_of_memory_leaves_no_trace(void)
{
    for (long k = 0; k < 8; k++) {
        setup();
        CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, PAGE_SIZE, KRW, 0), VM_OK);
        long before = frames_in_use;
        int leaves = count_leaves(&kspace);
        fail_after = k;
        /* Needs tables at three levels in another part of the space. */
        int err = vm_map(&kspace, KVA + (1ULL << 39) - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, KRW, 0);
        fail_after = -1;
        if (err == VM_OK)
            break;
        CHECK_EQ(err, VM_ERR_NO_MEMORY);
        CHECK_EQ(frames_in_use, before);
        CHECK_EQ(count_leaves(&kspace), leaves);
    }
    /* Splitting needs memory too; failing leaves the huge page whole. */
    setup();
    CHECK_EQ(vm_map(&kspace, KVA, 0x40000000, 0x200000, KRW, 2), VM_OK);
    fail_after = 0;
    CHECK_EQ(vm_unmap(&kspace, KVA, PAGE_SIZE), VM_ERR_NO_MEMORY);
    CHECK_EQ(vm_protect(&kspace, KVA, PAGE_SIZE, VM_READ | VM_GLOBAL), VM_ERR_NO_MEMORY);
    fail_after = -1;
    EXPECT_MAPS(&kspace, KVA + PAGE_SIZE, 0x40001000, 0x200000, KRW);
}

static void tables_follow_the_space(void)
{
    setup();
    CHECK_EQ(vm_map(&uspace, 0x400000, 0x9000, PAGE_SIZE, RW | VM_USER, 0), VM_OK);
    CHECK_EQ(vm_map(&kspace, KVA, 0xa000, PAGE_SIZE, KRW, 0), VM_OK);
    pte_t *ur = root_table(&uspace), *kr = root_table(&kspace);
    CHECK_EQ(ur[pt_index(0x400000, 3)], pte_make_table(pte_address(ur[0]), true));
    CHECK_EQ(kr[pt_index(KVA, 3)], pte_make_table(pte_address(kr[pt_index(KVA, 3)]), false));
    CHECK(pte_make_table(0x1000, true) != pte_make_table(0x1000, false));
    /* Each space refuses the other half. */
    CHECK_EQ(vm_map(&uspace, KVA, 0x9000, PAGE_SIZE, RW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, 0x400000, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
}

static void bad_arguments_are_refused(void)
{
    setup();
    CHECK_EQ(vm_map(&kspace, KVA + 1, 0x9000, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, KVA, 0x9001, PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, KVA, 0x9000, 0, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&kspace, 0xfffffffffffff000ULL, 0x9000, 2 * PAGE_SIZE, KRW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_map(&uspace, USER_END - PAGE_SIZE, 0x9000, 2 * PAGE_SIZE, RW, 0), VM_ERR_INVALID);
    CHECK_EQ(vm_unmap(&kspace, KVA, 123), VM_ERR_INVALID);
    CHECK_EQ(kernel_tables_made(), 0);
}

static void the_top_of_the_address_space(void)
{
    setup();
    vaddr_t top = 0xffffffffffe00000ULL;
    CHECK_EQ(vm_map(&kspace, top, 0x40000000, 0x200000, KRW, 2), VM_OK);
    EXPECT_MAPS(&kspace, 0xfffffffffffff000ULL, 0x401ff000, 0x200000, KRW);
    CHECK_EQ(vm_unmap(&kspace, top + 0x1ff000, PAGE_SIZE), VM_OK);
    CHECK_EQ(count_leaves(&kspace), 511);
}

HOST_TESTS(encodings_round_trip, map_translate_unmap_4k, uses_the_largest_pages_alignment_allows,
           refuses_to_map_over_a_live_mapping, unmapping_part_of_a_huge_page_splits_it,
           protect_changes_flags_and_splits_at_the_edges, running_out_of_memory_leaves_no_trace,
           tables_follow_the_space, bad_arguments_are_refused, the_top_of_the_address_space)
