/*
 * ktest suite `tlb`: the arch's TLB maintenance (arch_tlb_invalidate),
 * seen from what the CPU does afterwards. QEMU's TCG keeps a software TLB,
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

static void tlb_exit(void)
{
    vm_unmap(&kernel_space, TOP_PAGE - PAGE_SIZE, 2 * PAGE_SIZE);
}

static const struct ktest_case tlb_cases[] = {
    KTEST_CASE(unmapping_the_last_page_of_the_address_space_invalidates_it),
    KTEST_CASE(a_user_page_is_never_global),
    { 0 },
};
KTEST_SUITE_EXIT(tlb, tlb_cases, tlb_exit);
