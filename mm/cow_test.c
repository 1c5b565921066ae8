/*
 * ktest suite `cow`: copy-on-write fork (aspace_fork, aspace_fault and the
 * reference counts of mm/pageref.h). A fork shares pages, a write copies
 * exactly the page written and only in the writer, the last sharer writes
 * without a copy, shared regions stay shared, and every page comes back
 * when both sides are gone. Cases look at memory: the bytes and the
 * entries each address space's tables hold (through the PMO), and the
 * buddy allocator's free count, never a counter the code under test keeps.
 */
#include <duet/errno.h>
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/aspace_test.h>
#include <mm/buddy.h>
#include <mm/pageref.h>
#include <mm/pmo.h>
#include <mm/uaccess.h>

#define HUGE_SIZE  (2 * MiB)
#define HUGE_ORDER 9
#define RW         (VM_READ | VM_WRITE)
#define PAGES      4 /* the pages a case maps at USER_BASE */
#define HUGE_VA    (1 * GiB)

/* The entry that maps va in as now (pa of va itself, flags, size), or false. */
static bool entry(struct aspace *as, vaddr_t va, struct vm_translation *tr)
{
    return vm_translate(&as->vm, va, tr) == VM_OK;
}

static paddr_t pa_of(struct aspace *as, vaddr_t va)
{
    struct vm_translation tr;

    return entry(as, va, &tr) ? tr.pa : PADDR_NONE;
}

static bool writable(struct aspace *as, vaddr_t va)
{
    struct vm_translation tr;

    return entry(as, va, &tr) && (tr.flags & VM_WRITE);
}

/* The byte at user address va in as, read through its tables; -1 when unmapped. */
static int byte_at(struct aspace *as, vaddr_t va)
{
    paddr_t pa = pa_of(as, va);

    return pa == PADDR_NONE ? -1 : *(const u8 *)phys_to_virt(pa);
}

/* Write `byte` at user address va the way a system call does. */
static int put_byte(struct aspace *as, vaddr_t va, u8 byte)
{
    return copy_to_user(as, va, &byte, 1);
}

/* A parent with PAGES writable pages at USER_BASE, page i full of 0x10 + i. */
static struct aspace *parent_with_pages(struct ktest *t)
{
    struct aspace *as = hold(aspace_create());

    if (!as || aspace_map_zeroed(as, USER_BASE, PAGES * PAGE_SIZE, RW)) {
        ktest_fail(t, __FILE__, __LINE__, "no parent address space");
        return NULL;
    }
    for (unsigned i = 0; i < PAGES; i++)
        memset(phys_to_virt(pa_of(as, USER_BASE + i * PAGE_SIZE)), (int)(0x10 + i), PAGE_SIZE);
    return as;
}

/* Every byte of [va, va + size) in as is `byte`, read through as's tables. */
static bool page_holds(struct aspace *as, vaddr_t va, u64 size, u8 byte)
{
    for (u64 done = 0; done < size;) {
        paddr_t pa = pa_of(as, va + done);
        u64 n = MIN(size - done, PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1)));

        if (pa == PADDR_NONE)
            return false;
        for (u64 i = 0; i < n; i++)
            if (((const u8 *)phys_to_virt(pa))[i] != byte)
                return false;
        done += n;
    }
    return true;
}

static void fork_shares_every_page_read_only(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(parent, USER_BASE + 64 * PAGE_SIZE, PAGE_SIZE, VM_READ), 0);
    paddr_t before[PAGES];
    for (unsigned i = 0; i < PAGES; i++)
        before[i] = pa_of(parent, USER_BASE + i * PAGE_SIZE);
    u64 free_before = buddy_free_pages_count();

    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    for (unsigned i = 0; i < PAGES; i++) {
        vaddr_t va = USER_BASE + i * PAGE_SIZE;
        KEXPECT_EQ(t, pa_of(parent, va), before[i]);
        KEXPECT_EQ(t, pa_of(child, va), before[i]);
        KEXPECT_FALSE(t, writable(parent, va));
        KEXPECT_FALSE(t, writable(child, va));
        KEXPECT_TRUE(t, page_holds(child, va, PAGE_SIZE, 0x10 + i));
    }
    KEXPECT_EQ(t, pa_of(child, USER_BASE + 64 * PAGE_SIZE),
               pa_of(parent, USER_BASE + 64 * PAGE_SIZE));
    /* No data page was copied: what went is the child's root, tables and
     * bookkeeping, a handful of pages at most, not one per data page. */
    KEXPECT_LT(t, free_before - buddy_free_pages_count(), 8ULL);
    put_space(child);
    put_space(parent);
}

static void a_write_copies_one_page_for_the_writer_only(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    vaddr_t va = USER_BASE + PAGE_SIZE;
    paddr_t shared = pa_of(parent, va);

    /* The child writes through copy_to_user, as a system call does. */
    u64 free_before = buddy_free_pages_count();
    KASSERT_ERRNO(t, put_byte(child, va + 7, 0xc5), 0);
    KEXPECT_EQ(t, free_before - buddy_free_pages_count(), 1ULL);
    KEXPECT_NE(t, pa_of(child, va), shared);
    KEXPECT_TRUE(t, writable(child, va));
    KEXPECT_EQ(t, byte_at(child, va + 7), 0xc5);
    KEXPECT_EQ(t, byte_at(child, va + 6), 0x11); /* the rest came along */
    KEXPECT_TRUE(t, page_holds(child, va + 8, PAGE_SIZE - 8, 0x11));
    /* The shared frame was never written: the parent reads what it wrote. */
    KEXPECT_EQ(t, pa_of(parent, va), shared);
    KEXPECT_TRUE(t, page_holds(parent, va, PAGE_SIZE, 0x11));
    /* The other pages are still shared. */
    KEXPECT_EQ(t, pa_of(child, USER_BASE), pa_of(parent, USER_BASE));

    /* The parent writes another page as the CPU's fault would have it. */
    va = USER_BASE + 2 * PAGE_SIZE;
    free_before = buddy_free_pages_count();
    KASSERT_ERRNO(t, aspace_fault(parent, va + 100, FAULT_WRITE), 0);
    KEXPECT_EQ(t, free_before - buddy_free_pages_count(), 1ULL);
    KASSERT_TRUE(t, writable(parent, va));
    *(u8 *)phys_to_virt(pa_of(parent, va)) = 0xaa;
    KEXPECT_EQ(t, byte_at(child, va), 0x12);
    KEXPECT_EQ(t, byte_at(parent, va), 0xaa);
    put_space(child);
    put_space(parent);
}

static void the_last_sharer_writes_without_a_copy(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    vaddr_t va = USER_BASE + 3 * PAGE_SIZE;
    paddr_t shared = pa_of(parent, va);

    put_space(child);
    KEXPECT_FALSE(t, writable(parent, va)); /* the fault finds out */
    u64 free_before = buddy_free_pages_count();
    KASSERT_ERRNO(t, put_byte(parent, va, 0x77), 0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    KEXPECT_EQ(t, pa_of(parent, va), shared);
    KEXPECT_TRUE(t, writable(parent, va));
    KEXPECT_EQ(t, byte_at(parent, va), 0x77);
    put_space(parent);
}

static void forks_and_writes_leak_nothing(struct ktest *t)
{
    u64 free_before = buddy_free_pages_count();

    /* Enough rounds that one leaked count or region per fork fills pages. */
    for (int round = 0; round < 64; round++) {
        struct aspace *parent = parent_with_pages(t);
        KASSERT_TRUE(t, parent != NULL);
        long mm = aspace_mmap(parent, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS);
        KASSERT_TRUE(t, mm > 0);
        KASSERT_ERRNO(t, put_byte(parent, (vaddr_t)mm, 1), 0);
        struct aspace *child = hold(aspace_fork(parent));
        KASSERT_TRUE(t, child != NULL);
        struct aspace *grandchild = hold(aspace_fork(child));
        KASSERT_TRUE(t, grandchild != NULL);
        KASSERT_ERRNO(t, put_byte(child, USER_BASE, 2), 0);
        KASSERT_ERRNO(t, put_byte(grandchild, USER_BASE + PAGE_SIZE, 3), 0);
        KASSERT_ERRNO(t, put_byte(parent, (vaddr_t)mm, 4), 0);
        KASSERT_ERRNO(t, put_byte(child, (vaddr_t)mm + PAGE_SIZE, 5), 0); /* a fresh page */
        /* Each side goes in a different order each round. */
        struct aspace *order[3] = { parent, child, grandchild };
        for (int i = 0; i < 3; i++)
            put_space(order[(i + round) % 3]);
    }
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
}

static void unmapping_a_shared_page_frees_it_with_its_last_mapping(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);

    u64 free_before = buddy_free_pages_count();
    u64 tables_before = vm_table_pages(&parent->vm);
    KASSERT_ERRNO(t, aspace_unmap(parent, USER_BASE, PAGES * PAGE_SIZE), 0);
    KEXPECT_EQ(t, pa_of(parent, USER_BASE), PADDR_NONE);
    /* The child still maps every page: only the parent's emptied tables went back. */
    KEXPECT_EQ(t, buddy_free_pages_count() - free_before,
               tables_before - vm_table_pages(&parent->vm));
    for (unsigned i = 0; i < PAGES; i++)
        KEXPECT_TRUE(t, page_holds(child, USER_BASE + i * PAGE_SIZE, PAGE_SIZE, 0x10 + i));
    /* Alone now: the child's write takes the page itself. */
    paddr_t pa = pa_of(child, USER_BASE);
    KASSERT_ERRNO(t, put_byte(child, USER_BASE, 9), 0);
    KEXPECT_EQ(t, pa_of(child, USER_BASE), pa);
    free_before = buddy_free_pages_count();
    put_space(child);
    KEXPECT_GE(t, buddy_free_pages_count() - free_before, (u64)PAGES);
    put_space(parent);
}

static void fork_out_of_memory_leaves_nothing(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(parent, 8 * GiB, PAGE_SIZE, RW), 0); /* tables of its own */
    u64 free_before = buddy_free_pages_count();
    struct aspace *child = NULL;
    int failures = 0;

    /* Table pages run out after n more, for n = 0, 1, ...: the root, then
     * the child's tables one by one, until the fork needs no more. */
    for (long n = 0; !child && n < 32; n++) {
        pt_alloc_fail_after(n);
        child = hold(aspace_fork(parent));
        pt_alloc_fail_after(-1);
        if (!child) {
            failures++;
            KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
        }
    }
    KASSERT_TRUE(t, child != NULL);
    KEXPECT_GT(t, failures, 2);
    put_space(child);
    /* The parent is whole: its bytes, and a write needs no copy (the
     * failed children's references are all gone). */
    u64 free_now = buddy_free_pages_count();
    for (unsigned i = 0; i < PAGES; i++) {
        vaddr_t va = USER_BASE + i * PAGE_SIZE;
        KEXPECT_TRUE(t, page_holds(parent, va, PAGE_SIZE, 0x10 + i));
        KEXPECT_ERRNO(t, put_byte(parent, va, 0xee), 0);
    }
    KEXPECT_EQ(t, buddy_free_pages_count(), free_now);
    put_space(parent);
}

static void a_write_with_no_memory_left_is_enomem(struct ktest *t)
{
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    paddr_t shared = pa_of(child, USER_BASE);

    hoard_everything();
    int err = aspace_fault(child, USER_BASE, FAULT_WRITE);
    int copy_err = put_byte(child, USER_BASE, 1);
    give_back_hoard();
    KEXPECT_ERRNO(t, err, -ENOMEM);
    KEXPECT_ERRNO(t, copy_err, -EFAULT); /* copy_to_user's own contract */
    KEXPECT_EQ(t, pa_of(child, USER_BASE), shared);
    KEXPECT_FALSE(t, writable(child, USER_BASE));
    KEXPECT_ERRNO(t, aspace_fault(child, USER_BASE, FAULT_WRITE), 0);
    KEXPECT_NE(t, pa_of(child, USER_BASE), shared);
    put_space(child);
    put_space(parent);
}

static void read_only_pages_stay_read_only(struct ktest *t)
{
    struct aspace *parent = hold(aspace_create());
    KASSERT_TRUE(t, parent != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(parent, USER_BASE, PAGE_SIZE, VM_READ | VM_EXEC), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(parent, USER_BASE + PAGE_SIZE, PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_protect(parent, USER_BASE + PAGE_SIZE, PAGE_SIZE, VM_READ), 0);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);

    for (unsigned i = 0; i < 2; i++) {
        vaddr_t va = USER_BASE + i * PAGE_SIZE;
        KEXPECT_ERRNO(t, aspace_fault(child, va, FAULT_WRITE), -EFAULT);
        KEXPECT_ERRNO(t, aspace_fault(parent, va, FAULT_WRITE), -EFAULT);
        KEXPECT_ERRNO(t, put_byte(child, va, 1), -EFAULT);
        KEXPECT_EQ(t, pa_of(child, va), pa_of(parent, va));
        KEXPECT_EQ(t, byte_at(parent, va), 0);
    }
    put_space(child);
    put_space(parent);
}

static void huge_pages_are_shared_whole_and_copied_whole(struct ktest *t)
{
    struct aspace *parent = hold(aspace_create());
    struct vm_translation tr;
    KASSERT_TRUE(t, parent != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(parent, HUGE_VA, HUGE_SIZE, RW), 0);
    KASSERT_TRUE(t, entry(parent, HUGE_VA, &tr));
    if (tr.page_size != HUGE_SIZE) {
        ktest_skip(t, "no free 2 MiB block for the parent");
        put_space(parent);
        return;
    }
    paddr_t shared = tr.pa;
    memset(phys_to_virt(shared), 0x5a, HUGE_SIZE);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    KASSERT_TRUE(t, entry(child, HUGE_VA + 12345, &tr));
    KEXPECT_EQ(t, tr.page_size, (u64)HUGE_SIZE);
    KEXPECT_EQ(t, tr.pa, shared + 12345);
    KEXPECT_FALSE(t, tr.flags & VM_WRITE);
    KEXPECT_FALSE(t, writable(parent, HUGE_VA));

    u64 free_before = buddy_free_pages_count();
    KASSERT_ERRNO(t, put_byte(child, HUGE_VA + HUGE_SIZE - 1, 0x01), 0);
    KEXPECT_EQ(t, free_before - buddy_free_pages_count(), 1ULL << HUGE_ORDER);
    KASSERT_TRUE(t, entry(child, HUGE_VA, &tr));
    KEXPECT_EQ(t, tr.page_size, (u64)HUGE_SIZE);
    KEXPECT_NE(t, tr.pa, shared);
    KEXPECT_TRUE(t, tr.flags & VM_WRITE);
    KEXPECT_TRUE(t, page_holds(child, HUGE_VA, HUGE_SIZE - 1, 0x5a));
    KEXPECT_EQ(t, byte_at(child, HUGE_VA + HUGE_SIZE - 1), 0x01);
    KEXPECT_TRUE(t, page_holds(parent, HUGE_VA, HUGE_SIZE, 0x5a));
    /* The parent, alone with its block now, takes it back without a copy. */
    free_before = buddy_free_pages_count();
    KEXPECT_ERRNO(t, put_byte(parent, HUGE_VA, 0x02), 0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    KEXPECT_EQ(t, pa_of(parent, HUGE_VA), shared);
    put_space(child);
    put_space(parent);
}

static void shared_mappings_stay_shared(struct ktest *t)
{
    struct aspace *parent = hold(aspace_create());
    KASSERT_TRUE(t, parent != NULL);
    u64 free_before = buddy_free_pages_count();
    long va =
        aspace_mmap(parent, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
    KASSERT_TRUE(t, va > 0);
    /* Made at once, zeroed, so that a child forked now sees the same pages. */
    KEXPECT_GE(t, free_before - buddy_free_pages_count(), 2ULL);
    KEXPECT_TRUE(t, page_holds(parent, (vaddr_t)va, 2 * PAGE_SIZE, 0));
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);

    for (unsigned i = 0; i < 2; i++) {
        vaddr_t page = (vaddr_t)va + i * PAGE_SIZE;
        KEXPECT_EQ(t, pa_of(child, page), pa_of(parent, page));
        KEXPECT_TRUE(t, writable(child, page));
        KEXPECT_TRUE(t, writable(parent, page));
    }
    free_before = buddy_free_pages_count();
    KASSERT_ERRNO(t, put_byte(child, (vaddr_t)va + 10, 0x42), 0);
    KASSERT_ERRNO(t, put_byte(parent, (vaddr_t)va + PAGE_SIZE, 0x24), 0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    KEXPECT_EQ(t, byte_at(parent, (vaddr_t)va + 10), 0x42);
    KEXPECT_EQ(t, byte_at(child, (vaddr_t)va + PAGE_SIZE), 0x24);

    /* mprotect and munmap are each address space's own. */
    KASSERT_ERRNO(t, aspace_mprotect(child, (vaddr_t)va, PAGE_SIZE, PROT_READ), 0);
    KEXPECT_FALSE(t, writable(child, (vaddr_t)va));
    KEXPECT_TRUE(t, writable(parent, (vaddr_t)va));
    KEXPECT_ERRNO(t, aspace_mprotect(child, (vaddr_t)va, PAGE_SIZE, PROT_NONE), -EINVAL);
    u64 tables_before = vm_table_pages(&parent->vm);
    KASSERT_ERRNO(t, aspace_munmap(parent, (vaddr_t)va, 2 * PAGE_SIZE), 0);
    KEXPECT_EQ(t, pa_of(parent, (vaddr_t)va), PADDR_NONE);
    KEXPECT_EQ(t, byte_at(child, (vaddr_t)va + 10), 0x42);
    /* The child holds the pages: only the parent's emptied tables went back. */
    KEXPECT_EQ(t, buddy_free_pages_count() - free_before,
               tables_before - vm_table_pages(&parent->vm));
    put_space(child);
    put_space(parent);
}

static void mprotect_never_makes_a_shared_page_writable(struct ktest *t)
{
    struct aspace *parent = hold(aspace_create());
    KASSERT_TRUE(t, parent != NULL);
    long va =
        aspace_mmap(parent, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    KASSERT_TRUE(t, va > 0);
    KASSERT_ERRNO(t, put_byte(parent, (vaddr_t)va, 0x31), 0);
    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);

    KASSERT_ERRNO(t, aspace_mprotect(parent, (vaddr_t)va, PAGE_SIZE, PROT_READ), 0);
    KASSERT_ERRNO(t, aspace_mprotect(parent, (vaddr_t)va, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
    KEXPECT_FALSE(t, writable(parent, (vaddr_t)va));
    KASSERT_ERRNO(t, put_byte(parent, (vaddr_t)va, 0x32), 0);
    KEXPECT_EQ(t, byte_at(parent, (vaddr_t)va), 0x32);
    KEXPECT_EQ(t, byte_at(child, (vaddr_t)va), 0x31);
    /* A region made read-only after the fork refuses the write, shared or not. */
    KASSERT_ERRNO(t, aspace_mprotect(child, (vaddr_t)va, PAGE_SIZE, PROT_READ), 0);
    KEXPECT_ERRNO(t, aspace_fault(child, (vaddr_t)va, FAULT_WRITE), -EFAULT);
    put_space(child);
    put_space(parent);
}

static void fork_and_clone_keep_the_regions(struct ktest *t)
{
    struct aspace *parent = hold(aspace_create());
    KASSERT_TRUE(t, parent != NULL);
    long va =
        aspace_mmap(parent, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    KASSERT_TRUE(t, va > 0);
    parent->heap_start = parent->brk = 64 * MiB;
    KASSERT_EQ(t, aspace_brk(parent, 64 * MiB + PAGE_SIZE), 64 * MiB + PAGE_SIZE);

    struct aspace *copies[2] = { hold(aspace_fork(parent)), hold(aspace_clone(parent)) };
    for (unsigned i = 0; i < 2; i++) {
        KASSERT_TRUE(t, copies[i] != NULL);
        /* Untouched pages of the region and the heap appear on first touch. */
        KEXPECT_ERRNO(t, put_byte(copies[i], (vaddr_t)va + PAGE_SIZE, 1), 0);
        KEXPECT_ERRNO(t, put_byte(copies[i], 64 * MiB, 1), 0);
        KEXPECT_EQ(t, copies[i]->brk, 64 * MiB + PAGE_SIZE);
        KEXPECT_ERRNO(t, aspace_munmap(copies[i], (vaddr_t)va, 2 * PAGE_SIZE), 0);
        put_space(copies[i]);
    }
    KEXPECT_EQ(t, pa_of(parent, (vaddr_t)va + PAGE_SIZE), PADDR_NONE);
    put_space(parent);
}

/* The kernel stores to a user address itself, as the CPU would for the program. */
static void poke(void *arg)
{
    *(volatile u8 *)arg = 0x61;
}

/* The kernel loads from a user address itself: the CPU's translation, TLB and all. */
static u8 peek(vaddr_t va)
{
    return *(volatile const u8 *)va;
}

static bool pokes_fault(vaddr_t va, struct fault_info *info)
{
    return fault_expect(poke, (void *)va, info);
}

/*
 * The CPU's own view, through its TLB: after a fork the parent's stores
 * fault (no writable entry survived), and after the fault the store lands
 * in the copy (no stale entry for the old block survived). Without SMAP or
 * PAN the kernel may store to user pages directly, as the program would.
 */
static void the_cpu_sees_the_fork_and_the_copy_at_once(struct ktest *t)
{
    struct fault_info info;

    if (arch_mmu_user_access_blocked()) {
        ktest_skip(t, "SMAP/PAN are on: the kernel cannot store to user pages directly");
        return;
    }
    struct aspace *parent = parent_with_pages(t);
    KASSERT_TRUE(t, parent != NULL);
    aspace_switch(parent);
    /* A writable entry for the page, now in the TLB. */
    KASSERT_TRUE(t, !pokes_fault(USER_BASE, &info));
    KEXPECT_EQ(t, byte_at(parent, USER_BASE), 0x61);
    paddr_t shared = pa_of(parent, USER_BASE);

    struct aspace *child = hold(aspace_fork(parent));
    KASSERT_TRUE(t, child != NULL);
    bool faulted = pokes_fault(USER_BASE + 1, &info);
    if (!faulted)
        ktest_fail(t, __FILE__, __LINE__,
                   "a store to a page fork made read-only went through: the parent's TLB kept "
                   "its writable entry (the shared block now holds it)");
    KEXPECT_TRUE(t, info.protection);
    KEXPECT_TRUE(t, info.access == FAULT_WRITE);
    /* A load puts the read-only entry for the shared block in the TLB;
     * after the copy, a load must see the copy, not the block. */
    KEXPECT_EQ(t, peek(USER_BASE + 5), 0x10);
    KASSERT_ERRNO(t, aspace_fault(parent, USER_BASE + 1, FAULT_WRITE), 0);
    *(u8 *)phys_to_virt(pa_of(parent, USER_BASE + 5)) = 0x99;
    u8 seen = peek(USER_BASE + 5);
    if (seen != 0x99)
        ktest_fail(t, __FILE__, __LINE__,
                   "a load after the copy read 0x%x, the shared block's byte, not the copy's 0x99: "
                   "the TLB kept the entry for the old block",
                   seen);
    faulted = pokes_fault(USER_BASE + 2, &info);
    if (faulted)
        ktest_fail(t, __FILE__, __LINE__,
                   "the store after the copy-on-write fault faulted again: the TLB kept the old "
                   "read-only entry");
    KEXPECT_NE(t, pa_of(parent, USER_BASE), shared);
    KEXPECT_EQ(t, byte_at(parent, USER_BASE + 2), 0x61);
    KEXPECT_EQ(t, byte_at(child, USER_BASE + 2), 0x10);
    KEXPECT_EQ(t, byte_at(child, USER_BASE + 1), 0x10);

    /* The child, alone with the old block now, stores in place after one fault. */
    aspace_switch(child);
    KEXPECT_TRUE(t, pokes_fault(USER_BASE + 3, &info));
    KASSERT_ERRNO(t, aspace_fault(child, USER_BASE + 3, FAULT_WRITE), 0);
    KEXPECT_FALSE(t, pokes_fault(USER_BASE + 3, &info));
    KEXPECT_EQ(t, pa_of(child, USER_BASE), shared);
    KEXPECT_EQ(t, byte_at(child, USER_BASE + 3), 0x61);
    KEXPECT_EQ(t, byte_at(parent, USER_BASE + 3), 0x10);
    aspace_switch(NULL);
    put_space(child);
    put_space(parent);
}

/* What sharing costs, measured: printed for docs/user-mode.md. */
static void reference_counts_cost_only_shared_pages(struct ktest *t)
{
    enum { N = 512 };
    static paddr_t pages[N];
    unsigned n = 0;

    while (n < N && (pages[n] = buddy_alloc_pages(0)) != PADDR_NONE)
        n++;
    KASSERT_EQ(t, n, (unsigned)N);
    u64 free_before = buddy_free_pages_count();
    for (unsigned i = 0; i < N; i++)
        KEXPECT_EQ(t, page_ref_count(pages[i]), 1u); /* nobody shares: no memory */
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    for (unsigned i = 0; i < N; i++)
        KEXPECT_ERRNO(t, page_ref_share(pages[i]), 0);
    u64 cost = (free_before - buddy_free_pages_count()) * PAGE_SIZE;
    KEXPECT_ERRNO(t, page_ref_share(pages[0]), 0);
    KEXPECT_EQ(t, page_ref_count(pages[0]), 3u);
    KEXPECT_EQ(t, page_ref_count(pages[1]), 2u);
    KEXPECT_EQ(t, page_ref_put(pages[0]), 2u);
    for (unsigned i = 0; i < N; i++)
        KEXPECT_EQ(t, page_ref_put(pages[i]), 1u);
    KEXPECT_EQ(t, page_ref_count(pages[0]), 1u);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    printf("# cow: %u shared pages took %llu bytes: %llu bytes each; an unshared page: 0\n",
           (unsigned)N, (unsigned long long)cost, (unsigned long long)(cost / N));
    KEXPECT_LE(t, cost / N, 64ULL);
    for (unsigned i = 0; i < N; i++)
        buddy_free_pages(pages[i], 0);
}

static const struct ktest_case cow_cases[] = {
    KTEST_CASE(reference_counts_cost_only_shared_pages),
    KTEST_CASE(fork_shares_every_page_read_only),
    KTEST_CASE(a_write_copies_one_page_for_the_writer_only),
    KTEST_CASE(the_last_sharer_writes_without_a_copy),
    KTEST_CASE(forks_and_writes_leak_nothing),
    KTEST_CASE(unmapping_a_shared_page_frees_it_with_its_last_mapping),
    KTEST_CASE(fork_out_of_memory_leaves_nothing),
    KTEST_CASE(a_write_with_no_memory_left_is_enomem),
    KTEST_CASE(read_only_pages_stay_read_only),
    KTEST_CASE(huge_pages_are_shared_whole_and_copied_whole),
    KTEST_CASE(shared_mappings_stay_shared),
    KTEST_CASE(mprotect_never_makes_a_shared_page_writable),
    KTEST_CASE(fork_and_clone_keep_the_regions),
    KTEST_CASE(the_cpu_sees_the_fork_and_the_copy_at_once),
    { 0 },
};
KTEST_SUITE_EXIT(cow, cow_cases, space_suite_exit);
