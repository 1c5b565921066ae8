/*
 * ktest suite `aspace`: address spaces own their pages and tables and give
 * every one back; clones are independent copies; the heap is mapped on
 * first touch; user pointers are checked byte for byte, and a bad range is
 * refused before anything moves. Leaks show up as a buddy free count that
 * does not return to its value before the test.
 */
#include <duet/errno.h>
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/aspace_test.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/pmo.h>
#include <mm/uaccess.h>

#define HUGE_SIZE  (2 * MiB)
#define HUGE_ORDER 9 /* the buddy order of a 2 MiB block */
#define RW         (VM_READ | VM_WRITE)
/* Creations in a row: enough struct aspace to fill several slab pages, so
 * one leaked per creation shows in the buddy free count. */
#define MANY       256

/* The spaces a case holds; the suite's exit puts what a failed case left. */
static struct aspace *held[4];

struct aspace *hold(struct aspace *as)
{
    for (unsigned i = 0; as && i < ARRAY_SIZE(held); i++) {
        if (!held[i]) {
            held[i] = as;
            break;
        }
    }
    return as;
}

static struct aspace *new_space(void)
{
    return hold(aspace_create());
}

void put_space(struct aspace *as)
{
    for (unsigned i = 0; i < ARRAY_SIZE(held); i++)
        if (held[i] == as)
            held[i] = NULL;
    aspace_put(as);
}

/*
 * Blocks a case took out of the buddy allocator to run it short of memory,
 * chained through their first bytes: the next block and this one's order.
 */
struct hoarded {
    paddr_t next;
    unsigned order;
};
static paddr_t hoard = PADDR_NONE;

static void hoard_block(paddr_t pa, unsigned order)
{
    *(struct hoarded *)phys_to_virt(pa) = (struct hoarded){ hoard, order };
    hoard = pa;
}

void hoard_all(unsigned order)
{
    paddr_t pa;

    while ((pa = buddy_alloc_pages(order)) != PADDR_NONE)
        hoard_block(pa, order);
}

void hoard_everything(void)
{
    for (int order = BUDDY_MAX_ORDER; order >= 0; order--)
        hoard_all((unsigned)order);
}

void give_back_hoard(void)
{
    while (hoard != PADDR_NONE) {
        struct hoarded h = *(struct hoarded *)phys_to_virt(hoard);

        buddy_free_pages(hoard, h.order);
        hoard = h.next;
    }
}

void space_suite_exit(void)
{
    give_back_hoard();
    pt_alloc_fail_after(-1);
    aspace_switch(NULL);
    for (unsigned i = 0; i < ARRAY_SIZE(held); i++) {
        struct aspace *as = held[i];

        if (as) {
            held[i] = NULL;
            as->lock.locked = 0; /* a case that failed may have left it held */
            aspace_put(as);
        }
    }
}

/*
 * Leave the buddy allocator free pages but no free 2 MiB block: take a
 * 2 MiB block, then everything else, then give the block back and take one
 * page of it, which splits it into 511 free pages in smaller blocks.
 */
static bool leave_no_2m_block(void)
{
    paddr_t big = buddy_alloc_pages(HUGE_ORDER);

    if (big == PADDR_NONE)
        return false;
    hoard_everything();
    buddy_free_pages(big, HUGE_ORDER);
    hoard_block(buddy_alloc_pages(0), 0); /* from big: nothing else is free */
    return buddy_free_pages_count() == (1u << HUGE_ORDER) - 1;
}

/* After every case: no failure injection, no user half, no space left over. */
/* The PMO address behind user address va in as, or NULL. */
static u8 *backing(struct aspace *as, vaddr_t va)
{
    struct vm_translation tr;

    if (vm_translate(&as->vm, va, &tr) != VM_OK)
        return NULL;
    return phys_to_virt(tr.pa);
}

/* The byte at user address va in as, or -1 when nothing is mapped there. */
static int byte_at(struct aspace *as, vaddr_t va)
{
    const u8 *p = backing(as, va);

    return p ? *p : -1;
}

/* Fill [va, va + n) of as with `byte`, through the PMO. */
static void fill(struct aspace *as, vaddr_t va, size_t n, u8 byte)
{
    for (size_t i = 0; i < n; i++)
        *backing(as, va + i) = byte;
}

/* True when every byte of [va, va + n) in as is `byte`. */
static bool holds(struct aspace *as, vaddr_t va, size_t n, u8 byte)
{
    for (size_t i = 0; i < n; i++)
        if (*backing(as, va + i) != byte)
            return false;
    return true;
}

/*
 * Map n fresh zeroed pages at va with exactly `flags` (VM_USER is not
 * added), each page at a lower physical address than the one before: a
 * copy that runs on through the PMO past the end of a page does not land
 * in the next one.
 */
static int map_backwards(struct aspace *as, vaddr_t va, unsigned n, unsigned flags)
{
    paddr_t pages[8];

    if (n > ARRAY_SIZE(pages))
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        pages[i] = buddy_alloc_pages_zeroed(0);
        if (pages[i] == PADDR_NONE) {
            while (i--)
                buddy_free_pages(pages[i], 0);
            return -ENOMEM;
        }
        for (unsigned j = i; j > 0 && pages[j - 1] < pages[j]; j--) {
            paddr_t higher = pages[j];
            pages[j] = pages[j - 1];
            pages[j - 1] = higher;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        int err = vm_map(&as->vm, va + i * PAGE_SIZE, pages[i], PAGE_SIZE, flags, 0);
        if (err) { /* the pages mapped so far belong to as now */
            while (i < n)
                buddy_free_pages(pages[i++], 0);
            return -ENOMEM;
        }
    }
    return 0;
}

static void create_and_destroy_leak_nothing(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = new_space();

    KASSERT_TRUE(t, as != NULL);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 5 * PAGE_SIZE, RW), 0);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_END - 64 * KiB, 64 * KiB, VM_READ), 0);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, 1 * GiB, HUGE_SIZE + PAGE_SIZE, RW), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 5 * PAGE_SIZE + 64 * KiB + HUGE_SIZE + PAGE_SIZE);
    KEXPECT_LT(t, buddy_free_pages_count(), before);
    put_space(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);

    /* The struct itself too: one kmalloc object each time adds up to pages. */
    for (int i = 0; i < MANY; i++) {
        as = aspace_create();
        KASSERT_TRUE(t, as != NULL);
        aspace_put(as);
    }
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void a_new_space_is_empty_and_shares_the_kernel(struct ktest *t)
{
    struct aspace *as = new_space();
    struct vm_translation k, u;
    const vaddr_t kernel_addrs[] = { (vaddr_t)&aspace_create, (vaddr_t)as };

    KASSERT_TRUE(t, as != NULL);
    KEXPECT_TRUE(t, as->vm.user);
    KEXPECT_EQ(t, as->refs, 1u);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 0ULL);
    KEXPECT_EQ(t, vm_table_pages(&as->vm), 0ULL);
    KEXPECT_EQ(t, as->heap_start | as->brk, 0UL);
    if (arch_mmu_kernel_tables_shared()) {
        /* x86_64: CR3 translates both halves, so the new root must hold the
         * kernel's entries or the first instruction after a switch faults. */
        for (unsigned i = 0; i < ARRAY_SIZE(kernel_addrs); i++) {
            KASSERT_VM(t, vm_translate(&kernel_space, kernel_addrs[i], &k), VM_OK);
            KASSERT_VM(t, vm_translate(&as->vm, kernel_addrs[i], &u), VM_OK);
            KEXPECT_EQ(t, u.pa, k.pa);
        }
    }
    aspace_switch(as);
    KEXPECT_EQ(t, arch_mmu_user_root(), as->vm.root);
    KEXPECT_TRUE(t, aspace_current() == as);
    aspace_switch(NULL);
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
    put_space(as);
}

static void creating_out_of_memory_leaks_nothing(struct ktest *t)
{
    u64 before = buddy_free_pages_count();

    pt_alloc_fail_after(0); /* no page for the root */
    for (int i = 0; i < MANY; i++) {
        struct aspace *as = aspace_create();

        if (as) {
            KEXPECT_TRUE(t, as == NULL);
            aspace_put(as);
            break;
        }
    }
    pt_alloc_fail_after(-1);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    struct aspace *as = aspace_create(); /* and with memory back, it works */
    KASSERT_TRUE(t, as != NULL);
    aspace_put(as);
}

static void touch_user_page(void *arg)
{
    volatile u8 *p = arg;

    (void)*p;
}

static void destroying_the_current_space_switches_away_first(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = new_space();
    struct aspace *other = new_space();
    struct fault_info info;

    KASSERT_TRUE(t, as != NULL && other != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW), 0);
    aspace_switch(as);
    KASSERT_EQ(t, arch_mmu_user_root(), as->vm.root);
    put_space(other); /* not the current one: the CPU stays where it is */
    KEXPECT_EQ(t, arch_mmu_user_root(), as->vm.root);
    KEXPECT_TRUE(t, aspace_current() == as);
    aspace_switch(as);
    put_space(as); /* the last reference, while the CPU walks its tables */

    /* The MMU must not walk freed tables: nothing is mapped at USER_BASE. */
    paddr_t walked = arch_mmu_user_root();
    struct aspace *current = aspace_current();
    bool faulted = fault_expect(touch_user_page, (void *)USER_BASE, &info);
    aspace_switch(NULL); /* whatever happened, the kernel's half alone from here */
    if (walked != PADDR_NONE || current != NULL)
        ktest_fail(t, __FILE__, __LINE__,
                   "after the last aspace_put of the current space, the MMU walks root 0x%lx and "
                   "aspace_current() is %p: aspace_destroy must switch away before freeing",
                   (unsigned long)walked, current);
    if (!faulted || info.protection)
        ktest_fail(t, __FILE__, __LINE__,
                   "a kernel read of USER_BASE %s after the space was destroyed",
                   faulted ? "faulted on a protection, not as unmapped," : "did not fault");
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void user_pages_are_user_and_not_global(struct ktest *t)
{
    struct aspace *as = new_space();
    struct vm_translation tr;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, VM_READ | VM_EXEC), 0);
    KASSERT_VM(t, vm_translate(&as->vm, USER_BASE, &tr), VM_OK);
    KEXPECT_EQ(t, tr.flags & (VM_USER | VM_READ | VM_WRITE | VM_EXEC | VM_GLOBAL),
               VM_USER | VM_READ | VM_EXEC);
    put_space(as);
}

static void no_user_page_is_writable_and_executable(struct ktest *t)
{
    struct aspace *as = new_space();
    struct vm_translation tr;

    KASSERT_TRUE(t, as != NULL);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW | VM_EXEC), -EINVAL);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 0ULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW), 0);
    KEXPECT_ERRNO(t, aspace_protect(as, USER_BASE, PAGE_SIZE, RW | VM_EXEC), -EINVAL);
    KASSERT_VM(t, vm_translate(&as->vm, USER_BASE, &tr), VM_OK);
    KEXPECT_EQ(t, tr.flags & (VM_WRITE | VM_EXEC), VM_WRITE);
    put_space(as);
}

static void a_2m_aligned_range_gets_a_2m_page(struct ktest *t)
{
    struct aspace *as = new_space();
    struct vm_translation tr;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 2 * GiB, HUGE_SIZE, RW), 0);
    KASSERT_VM(t, vm_translate(&as->vm, 2 * GiB + 12345, &tr), VM_OK);
    KEXPECT_EQ(t, tr.page_size, (u64)HUGE_SIZE);
    put_space(as);
}

static void mapping_over_a_mapping_is_refused(struct ktest *t)
{
    struct aspace *as = new_space();
    u64 before;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + PAGE_SIZE, PAGE_SIZE, RW), 0);
    before = buddy_free_pages_count();
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 3 * PAGE_SIZE, RW), -EEXIST);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, 0, PAGE_SIZE, RW), -EINVAL); /* the NULL guard */
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_END, PAGE_SIZE, RW), -EINVAL);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + 1, PAGE_SIZE, RW), -EINVAL);
    put_space(as);
}

/* aspace_clone must give its lock back on every path, or the next call on
 * the original hangs: fail here instead, and let it go. */
static void expect_unlocked(struct ktest *t, struct aspace *as)
{
    if (spin_is_locked(&as->lock)) {
        ktest_fail(t, __FILE__, __LINE__, "aspace_clone returned with the original's lock held");
        as->lock.locked = 0;
    }
}

static void clone_copies_every_page_independently(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = new_space();
    struct vm_translation a, b;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 2 * PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + 2 * PAGE_SIZE, PAGE_SIZE, VM_READ), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 2 * GiB, HUGE_SIZE, VM_READ), 0);
    backing(as, USER_BASE)[5] = 0x5a;
    backing(as, USER_BASE + 2 * PAGE_SIZE - 1)[0] = 0x3c;
    backing(as, 2 * GiB + HUGE_SIZE - 1)[0] = 0xa5;
    as->heap_start = 3 * GiB;
    as->brk = 3 * GiB + 100;

    struct aspace *copy = hold(aspace_clone(as));
    expect_unlocked(t, as);
    KASSERT_TRUE(t, copy != NULL);
    KEXPECT_EQ(t, copy->refs, 1u);
    KEXPECT_EQ(t, aspace_mapped_bytes(copy), aspace_mapped_bytes(as));
    KEXPECT_EQ(t, byte_at(copy, USER_BASE + 5), 0x5a);
    KEXPECT_EQ(t, byte_at(copy, USER_BASE + 2 * PAGE_SIZE - 1), 0x3c);
    KEXPECT_EQ(t, byte_at(copy, 2 * GiB + HUGE_SIZE - 1), 0xa5);
    /* The same heap, so the same addresses are heap in the copy. (That its
     * first page then maps on first touch is lab 7's demand paging, which
     * the_heap_is_mapped_on_first_touch checks; this case is lab 5's.) */
    KEXPECT_EQ(t, copy->heap_start, as->heap_start);
    KEXPECT_EQ(t, copy->brk, as->brk);
    KEXPECT_ERRNO(t, aspace_fault(copy, 3 * GiB - PAGE_SIZE, FAULT_WRITE), -EFAULT);

    const vaddr_t pages[] = { USER_BASE, USER_BASE + 2 * PAGE_SIZE, 2 * GiB };
    for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
        KASSERT_VM(t, vm_translate(&copy->vm, pages[i], &b), VM_OK);
        KASSERT_VM(t, vm_translate(&as->vm, pages[i], &a), VM_OK);
        KEXPECT_EQ(t, b.page_size, a.page_size); /* a 2 MiB page stays one */
        KEXPECT_EQ(t, b.flags, a.flags);
        KEXPECT_NE(t, b.pa, a.pa);
    }

    KASSERT_TRUE(t, backing(copy, USER_BASE) != NULL);
    backing(copy, USER_BASE)[5] = 0x11; /* the original keeps its byte */
    KEXPECT_EQ(t, byte_at(as, USER_BASE + 5), 0x5a);
    put_space(as);
    KEXPECT_EQ(t, byte_at(copy, USER_BASE + 5), 0x11); /* and the copy outlives it */
    put_space(copy);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void clone_out_of_memory_leaks_nothing(struct ktest *t)
{
    struct aspace *as = new_space();

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 8 * PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 1 * GiB, 8 * PAGE_SIZE, RW), 0);
    u64 before = buddy_free_pages_count();
    /* The copy needs 6 table pages: its root, 3 down to USER_BASE, 2 to 1 GiB. */
    for (long tables = 0; tables < 6; tables++) {
        pt_alloc_fail_after(tables);
        struct aspace *copy = aspace_clone(as);
        pt_alloc_fail_after(-1);
        expect_unlocked(t, as);
        KEXPECT_TRUE(t, copy == NULL);
        KEXPECT_EQ(t, buddy_free_pages_count(), before);
        if (copy)
            aspace_put(copy);
    }

    /* Out of 2 MiB blocks, with a 2 MiB page to copy after 16 small ones. */
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 2 * GiB, HUGE_SIZE, RW), 0);
    KASSERT_TRUE(t, leave_no_2m_block());
    before = buddy_free_pages_count();
    struct aspace *copy = aspace_clone(as);
    expect_unlocked(t, as);
    KEXPECT_TRUE(t, copy == NULL);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    if (copy)
        aspace_put(copy);
    give_back_hoard();
    put_space(as);
}

static void references_keep_it_alive(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = new_space();

    KASSERT_TRUE(t, as != NULL);
    aspace_get(as);
    aspace_put(as);
    KEXPECT_LT(t, buddy_free_pages_count(), before); /* one reference left */
    put_space(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

/* Static: bigger than is wise on a 16 KiB kernel stack. */
static u8 pattern[4 * PAGE_SIZE], back[4 * PAGE_SIZE];

static void the_heap_is_mapped_on_first_touch(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = new_space();
    u8 byte = 7;

    KASSERT_TRUE(t, as != NULL);
    as->heap_start = as->brk = 16 * MiB;
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + 10 * PAGE_SIZE), 16 * MiB + 10 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 0ULL); /* nothing until touched */
    KEXPECT_ERRNO(t, aspace_fault(as, 16 * MiB + 3 * PAGE_SIZE + 8, FAULT_WRITE), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), (u64)PAGE_SIZE);
    KEXPECT_ERRNO(t, aspace_fault(as, 16 * MiB + 3 * PAGE_SIZE, FAULT_EXEC), -EFAULT);
    KEXPECT_ERRNO(t, aspace_fault(as, 16 * MiB + 10 * PAGE_SIZE, FAULT_READ), -EFAULT);
    KEXPECT_ERRNO(t, aspace_fault(as, 16 * MiB - 1, FAULT_READ), -EFAULT);
    /* A copy touches a heap page too, and then moves its bytes: into it,
     * and out of one never touched before (zeros). */
    KEXPECT_ERRNO(t, copy_to_user(as, 16 * MiB + 5 * PAGE_SIZE + 9, &byte, 1), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 2ULL * PAGE_SIZE);
    KEXPECT_EQ(t, byte_at(as, 16 * MiB + 5 * PAGE_SIZE + 9), 7);
    memset(back, 0xee, PAGE_SIZE);
    KEXPECT_ERRNO(t, copy_from_user(as, back, 16 * MiB + 6 * PAGE_SIZE, PAGE_SIZE), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 3ULL * PAGE_SIZE);
    KEXPECT_EQ(t, back[0] | back[PAGE_SIZE - 1], 0);
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + 6 * PAGE_SIZE), 16 * MiB + 6 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 2ULL * PAGE_SIZE);
    /* Shrinking frees what lies past the new end; asking changes nothing. */
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + 4 * PAGE_SIZE), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), (u64)PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 0), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB - PAGE_SIZE), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + USER_HEAP_MAX + 1), 16 * MiB + 4 * PAGE_SIZE);
    put_space(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void user_copies_put_every_byte_in_its_page(struct ktest *t)
{
    struct aspace *as = new_space();
    const vaddr_t va = USER_BASE + PAGE_SIZE - 5; /* 5 bytes, 2 pages, then 5 bytes */
    const size_t n = 2 * PAGE_SIZE + 10;
    size_t wrong = 0;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, map_backwards(as, USER_BASE, 4, RW | VM_USER), 0);
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (u8)(i * 7 + i / PAGE_SIZE + 1); /* never 0 */

    KEXPECT_ERRNO(t, copy_to_user(as, va, pattern, n), 0);
    for (size_t i = 0; i < n; i++)
        wrong += *backing(as, va + i) != pattern[i];
    KEXPECT_EQ(t, wrong, 0UL);
    KEXPECT_TRUE(t, holds(as, USER_BASE, PAGE_SIZE - 5, 0)); /* nothing before */
    KEXPECT_TRUE(t, holds(as, va + n, PAGE_SIZE - 5, 0));    /* nor after */

    memset(back, 0, sizeof(back));
    KEXPECT_ERRNO(t, copy_from_user(as, back, va, n), 0);
    KEXPECT_EQ(t, memcmp(back, pattern, n), 0);
    KEXPECT_EQ(t, back[n], 0); /* and not one byte more */

    /* A whole page, edge to edge. */
    KEXPECT_ERRNO(t, copy_to_user(as, USER_BASE + 3 * PAGE_SIZE, pattern + 1, PAGE_SIZE), 0);
    KEXPECT_EQ(t, byte_at(as, USER_BASE + 3 * PAGE_SIZE), pattern[1]);
    KEXPECT_EQ(t, byte_at(as, USER_BASE + 4 * PAGE_SIZE - 1), pattern[PAGE_SIZE]);
    KEXPECT_ERRNO(t, user_range_check(as, va, n, true), 0);
    KEXPECT_ERRNO(t, user_range_check(as, USER_BASE, 4 * PAGE_SIZE, false), 0);
    put_space(as);
}

/* No byte of `back` came from the kernel-only page (filled with 0x6b). */
static bool nothing_from_the_kernel_page(void)
{
    for (size_t i = 0; i < sizeof(back); i++)
        if (back[i] == 0x6b)
            return false;
    return true;
}

/*
 *   USER_BASE + 0, 1   RW user      4  read-only user
 *               2      unmapped     5  RW user
 *               3      RW user      6  RW, kernel only (no VM_USER)
 *                                   7  RW user
 */
static void user_copies_refuse_any_bad_page(struct ktest *t)
{
    struct aspace *as = new_space();
    const vaddr_t p = PAGE_SIZE;
    const vaddr_t b = USER_BASE;
    u8 zero8[8] = { 0 };

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, b, 2 * p, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, b + 3 * p, p, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, b + 4 * p, p, VM_READ), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, b + 5 * p, p, RW), 0);
    KASSERT_ERRNO(t, map_backwards(as, b + 6 * p, 1, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, b + 7 * p, p, RW), 0);
    fill(as, b + 6 * p, p, 0x6b);
    memset(pattern, 0x77, sizeof(pattern));

    /* Unmapped: past the end of a page, in the middle of a range, by one byte. */
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 2 * p - 4, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + p, 3 * p), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, b + p, pattern, 3 * p), -EFAULT);
    KEXPECT_ERRNO(t, user_range_check(as, b, 4 * p, false), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + p, p + 1), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 2 * p - 1, 2), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + p, p), 0); /* up to the hole */
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 2 * p - 1, 1), 0);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 3 * p, 1), 0); /* from the hole's end */

    /* Read-only: readable, never written, not even as the middle of a range. */
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 4 * p, 8), 0);
    KEXPECT_ERRNO(t, copy_to_user(as, b + 4 * p, pattern, 1), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, b + 4 * p - 4, pattern, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, b + 3 * p, pattern, 3 * p), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, b + 5 * p - 1, pattern, 1), -EFAULT);
    KEXPECT_ERRNO(t, user_range_check(as, b + 3 * p, 3 * p, true), -EFAULT);
    KEXPECT_ERRNO(t, user_range_check(as, b + 3 * p, 3 * p, false), 0);
    KEXPECT_TRUE(t, holds(as, b + 4 * p, p, 0));

    /* Kernel only, in the user half: no user pointer reaches it. */
    memset(back, 0, sizeof(back));
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 6 * p, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 6 * p - 4, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, b + 5 * p, 3 * p), -EFAULT);
    KEXPECT_TRUE(t, nothing_from_the_kernel_page());
    KEXPECT_ERRNO(t, copy_to_user(as, b + 6 * p, zero8, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, b + 5 * p, pattern, 3 * p), -EFAULT);
    KEXPECT_ERRNO(t, user_range_check(as, b + 6 * p + 100, 1, false), -EFAULT);
    KEXPECT_TRUE(t, holds(as, b + 6 * p, p, 0x6b));

    /* NULL, the kernel image, the PMO, an address at the very top. */
    KEXPECT_ERRNO(t, copy_from_user(as, back, 0, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, KERNEL_VIRT_BASE, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, (vaddr_t)phys_to_virt(0x1000), 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, (vaddr_t)back, zero8, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, ~(vaddr_t)0 - 2, 8), -EFAULT);
    put_space(as);
}

/*
 * A range that wraps past 2^64 or runs past USER_END is refused at once,
 * before a byte moves or a heap page is mapped, even when it starts on a
 * page the program may use. A range that ends exactly at USER_END is fine.
 */
static void user_copies_refuse_bad_ranges_before_anything_moves(struct ktest *t)
{
    struct aspace *as = new_space();
    const vaddr_t top = USER_END - PAGE_SIZE;
    const vaddr_t last = USER_BASE + PAGE_SIZE - 4; /* 4 bytes before a hole */
    const vaddr_t heap = 16 * MiB;
    u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, top, PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW), 0);
    fill(as, top, PAGE_SIZE, 0x5a);
    fill(as, USER_BASE, PAGE_SIZE, 0x5a);
    as->heap_start = heap;
    as->brk = heap + 2 * PAGE_SIZE; /* no more than `back` holds */

    /* Ending exactly at USER_END: allowed. */
    KEXPECT_ERRNO(t, copy_to_user(as, USER_END - 8, buf, 8), 0);
    KEXPECT_EQ(t, byte_at(as, USER_END - 1), 8);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_END - 8, 8), 0);
    KEXPECT_ERRNO(t, user_range_check(as, top, PAGE_SIZE, true), 0);
    fill(as, top, PAGE_SIZE, 0x5a);

    /* Past USER_END, from the last page. */
    memset(back, 0xee, sizeof(back));
    KEXPECT_ERRNO(t, copy_to_user(as, USER_END - 4, buf, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_END - 4, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, top, buf, PAGE_SIZE + 1), -EFAULT);
    KEXPECT_TRUE(t, holds(as, top, PAGE_SIZE, 0x5a));
    KEXPECT_EQ(t, back[0], 0xee);

    /* Past 2^64, from a mapped page: [last, 2^64 + 8). */
    const size_t wrap = (size_t)0 - last + 8;
    KEXPECT_ERRNO(t, copy_to_user(as, last, buf, wrap), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, last, wrap), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, last, ~(size_t)0), -EFAULT);
    KEXPECT_TRUE(t, holds(as, USER_BASE, PAGE_SIZE, 0x5a));
    KEXPECT_EQ(t, back[0], 0xee);

    /* From the heap: nothing mapped on the way to the refusal. */
    u64 mapped = aspace_mapped_bytes(as);
    KEXPECT_ERRNO(t, user_range_check(as, heap, (size_t)0 - heap + PAGE_SIZE, true), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, heap, ~(size_t)0), -EFAULT);
    KEXPECT_ERRNO(t, user_range_check(as, heap, USER_END, false), -EFAULT);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), mapped);

    /* Nothing to copy is a success wherever it points in user space. */
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_BASE, 0), 0);
    KEXPECT_ERRNO(t, copy_from_user(as, back, 0, 0), 0);
    KEXPECT_ERRNO(t, copy_to_user(as, USER_BASE + PAGE_SIZE, buf, 0), 0);
    KEXPECT_EQ(t, back[0], 0xee);
    put_space(as);
}

static void the_kernel_has_a_handle_too(struct ktest *t)
{
    struct aspace *k = aspace_kernel();

    KASSERT_TRUE(t, k != NULL);
    KEXPECT_EQ(t, k->vm.root, kernel_space.root);
    KEXPECT_FALSE(t, k->vm.user);
    aspace_get(k);
    aspace_put(k); /* back to its own reference: still alive */
    KEXPECT_EQ(t, k->refs, 1u);
    aspace_switch(k); /* no user half */
    KEXPECT_TRUE(t, aspace_current() == NULL);
}

static void the_kernel_cannot_touch_user_memory_directly(struct ktest *t)
{
    struct aspace *as;
    struct fault_info info;

    if (!arch_mmu_user_access_blocked()) {
        ktest_skip(t, "this CPU has no SMAP/PAN (x86_64: CPU=max; AArch64: CPU=max)");
        return;
    }
    as = new_space();
    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW), 0);
    aspace_switch(as);
    bool faulted = fault_expect(touch_user_page, (void *)USER_BASE, &info);
    aspace_switch(NULL);
    KEXPECT_TRUE(t, faulted);
    KEXPECT_EQ(t, info.addr, (uintptr_t)USER_BASE);
    KEXPECT_TRUE(t, info.protection);
    KEXPECT_FALSE(t, info.user);
    put_space(as);
}

static const struct ktest_case aspace_cases[] = {
    KTEST_CASE(create_and_destroy_leak_nothing),
    KTEST_CASE(a_new_space_is_empty_and_shares_the_kernel),
    KTEST_CASE(creating_out_of_memory_leaks_nothing),
    KTEST_CASE(destroying_the_current_space_switches_away_first),
    KTEST_CASE(user_pages_are_user_and_not_global),
    KTEST_CASE(no_user_page_is_writable_and_executable),
    KTEST_CASE(a_2m_aligned_range_gets_a_2m_page),
    KTEST_CASE(mapping_over_a_mapping_is_refused),
    KTEST_CASE(clone_copies_every_page_independently),
    KTEST_CASE(clone_out_of_memory_leaks_nothing),
    KTEST_CASE(references_keep_it_alive),
    KTEST_CASE(the_kernel_has_a_handle_too),
    KTEST_CASE(the_heap_is_mapped_on_first_touch),
    KTEST_CASE(user_copies_put_every_byte_in_its_page),
    KTEST_CASE(user_copies_refuse_any_bad_page),
    KTEST_CASE(user_copies_refuse_bad_ranges_before_anything_moves),
    KTEST_CASE(the_kernel_cannot_touch_user_memory_directly),
    { 0 },
};
KTEST_SUITE_EXIT(aspace, aspace_cases, space_suite_exit);
