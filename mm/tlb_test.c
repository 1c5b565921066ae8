/*
 * ktest suite `tlb`: the arch's TLB maintenance (arch_tlb_invalidate) and
 * the walker's break-before-make rules, seen from what the CPU does, and
 * the instruction cache hook (arch_sync_icache). QEMU's TCG keeps a software TLB,
 * so a translation that was not invalidated still works there, as on
 * hardware: each case makes the CPU cache a translation by touching it,
 * changes the mapping, and touches it again under fault_expect. Not a
 * lab's suite: it checks the arch code under the walker, on the kernel's
 * own walker and tables.
 */
#include <duet/fault.h>
#include <duet/ktest.h>
#include <mm/arch_mmu.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/pmo.h>
#include <mm/vm.h>

/* The last page of the address space: a range that ends at 2^64. */
#define TOP_PAGE ((vaddr_t)0 - PAGE_SIZE)

static void read_u64(void *p)
{
    (void)*(volatile u64 *)p;
}

static void unmapping_the_last_page_of_the_address_space_invalidates_it(struct ktest *t)
{
    struct fault_info info;
    paddr_t pa = buddy_alloc_pages_zeroed(1);

    KASSERT_NE(t, pa, PADDR_NONE);
    /* Two pages, so the table under them stays when one goes: only
     * vm_unmap's own invalidation of [TOP_PAGE, 2^64) can drop the entry. */
    KASSERT_VM(t, vm_map(&kernel_space, TOP_PAGE - PAGE_SIZE, pa, 2 * PAGE_SIZE, VM_KERNEL_RW, 0),
               VM_OK);
    *(volatile u64 *)TOP_PAGE = 42; /* the TLB now holds the translation */
    KEXPECT_VM(t, vm_unmap(&kernel_space, TOP_PAGE, PAGE_SIZE), VM_OK);
    KASSERT_TRUE(t, fault_expect(read_u64, (void *)TOP_PAGE, &info));
    KEXPECT_EQ(t, info.addr, TOP_PAGE);
    KEXPECT_VM(t, vm_unmap(&kernel_space, TOP_PAGE - PAGE_SIZE, PAGE_SIZE), VM_OK);
    buddy_free_pages(pa, 1);
}

/* A global entry survives the switch to another address space (x86: a CR3
 * load keeps it; AArch64: only nG entries are tagged with an ASID), so a
 * global user page would stay visible to the next program. */
static void a_user_page_is_never_global(struct ktest *t)
{
    for (unsigned level = 0; level <= 2; level++) {
        pte_t e = pte_make_leaf(0x40000000, level, VM_USER | VM_READ | VM_WRITE | VM_GLOBAL);
        KEXPECT_EQ(t, pte_leaf_flags(e, level) & VM_GLOBAL, 0U);
        e = pte_make_leaf(0x40000000, level, VM_READ | VM_GLOBAL);
        KEXPECT_EQ(t, pte_leaf_flags(e, level) & VM_GLOBAL, (unsigned)VM_GLOBAL);
    }
}

/* The leaf of a walk: its entry, and its level through *level. */
static pte_t leaf_of(vaddr_t va, unsigned *level, paddr_t *holder)
{
    pte_t e[PT_LEVELS];
    unsigned n = vm_walk(&kernel_space, va, e);

    *level = PT_ROOT_LEVEL - (n - 1);
    *holder = n >= 2 ? pte_address(e[n - 2]) : PADDR_NONE;
    return e[n - 1];
}

static void protect_changes_permissions_only(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(0);
    unsigned level;
    paddr_t holder;

    KASSERT_NE(t, pa, PADDR_NONE);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE, VM_KERNEL_RW, 0), VM_OK);
    pte_t before = leaf_of(KTEST_SCRATCH_VA, &level, &holder);
    /* The global bit and the memory type need break-before-make: refused. */
    KEXPECT_VM(t, vm_protect(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE, VM_READ), VM_ERR_INVALID);
    KEXPECT_VM(t, vm_protect(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE, VM_KERNEL_RW | VM_DEVICE),
               VM_ERR_INVALID);
    KEXPECT_EQ(t, leaf_of(KTEST_SCRATCH_VA, &level, &holder), before);
    KEXPECT_VM(t, vm_protect(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE, VM_READ | VM_GLOBAL),
               VM_OK);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE), VM_OK);
    buddy_free_pages(pa, 0);
}

/*
 * A PMO huge page that maps the table holding its own entry: splitting it
 * would unmap that table in the middle of writing it. Found by following
 * the PMO from a table to the table that maps it; skipped where the tables
 * happen to lie under 4 KiB pages.
 */
static void a_huge_page_that_maps_its_own_table_is_not_split(struct ktest *t)
{
    vaddr_t va = (vaddr_t)phys_to_virt(pmo_ram_start());
    unsigned level;
    paddr_t holder;

    for (int hop = 0; hop < 4; hop++) {
        pte_t e = leaf_of(va, &level, &holder);
        if (level == 0 || holder == PADDR_NONE)
            break;
        paddr_t pa = pte_address(e), size = pt_level_size(level);
        if (holder >= pa && holder - pa < size) {
            /* Any page of that leaf but the table: the split is what matters. */
            vaddr_t other = (vaddr_t)phys_to_virt(holder == pa ? pa + PAGE_SIZE : pa);
            KEXPECT_VM(t, vm_unmap(&kernel_space, other, PAGE_SIZE), VM_ERR_INVALID);
            KEXPECT_EQ(t, leaf_of(va, &level, &holder), e);
            return;
        }
        va = (vaddr_t)phys_to_virt(holder);
    }
    ktest_skip(t, "no PMO huge page maps its own table here");
}

/*
 * One frame holds new code three times over, each time written through the
 * PMO and run at KTEST_SCRATCH_VA: every run must return what was written
 * last. On AArch64 hardware this needs arch_sync_icache (the instruction
 * cache keeps the old code otherwise); QEMU's TCG notices the writes by
 * itself, so there it shows only that the hook leaves the code runnable.
 */
static void a_frame_rewritten_with_code_runs_the_new_code(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(0);

    KASSERT_NE(t, pa, PADDR_NONE);
    for (u16 round = 1; round <= 3; round++) {
        arch_code_return(phys_to_virt(pa), round);
        arch_sync_icache(phys_to_virt(pa), PAGE_SIZE);
        KASSERT_VM(t,
                   vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE,
                          VM_READ | VM_EXEC | VM_GLOBAL, 0),
                   VM_OK);
        /* Through a volatile pointer: the compiler must not assume the code. */
        int (*volatile fn)(void) = (int (*)(void))KTEST_SCRATCH_VA;
        KEXPECT_EQ(t, fn(), (int)round);
        KASSERT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE), VM_OK);
    }
    buddy_free_pages(pa, 0);
}

static void tlb_exit(void)
{
    vm_unmap(&kernel_space, TOP_PAGE - PAGE_SIZE, 2 * PAGE_SIZE);
    vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE);
}

static const struct ktest_case tlb_cases[] = {
    KTEST_CASE(unmapping_the_last_page_of_the_address_space_invalidates_it),
    KTEST_CASE(a_user_page_is_never_global),
    KTEST_CASE(protect_changes_permissions_only),
    KTEST_CASE(a_huge_page_that_maps_its_own_table_is_not_split),
    KTEST_CASE(a_frame_rewritten_with_code_runs_the_new_code),
    { 0 },
};
KTEST_SUITE_EXIT(tlb, tlb_cases, tlb_exit);
