/*
 * ktest suite `aspace`: address spaces own their pages and tables and give
 * every one back; clones are independent copies; the heap is mapped on
 * first touch; user pointers are checked. Leaks show up as a buddy free
 * count that does not return to its value before the test.
 */
#include <duet/errno.h>
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/pmo.h>
#include <mm/uaccess.h>

#define HUGE_SIZE (2 * MiB)
#define RW        (VM_READ | VM_WRITE)

/* The PMO address behind user address va in as, or NULL. */
static u8 *backing(struct aspace *as, vaddr_t va)
{
    struct vm_translation tr;

    if (vm_translate(&as->vm, va, &tr) != VM_OK)
        return NULL;
    return phys_to_virt(tr.pa);
}

static void create_and_destroy_leak_nothing(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = aspace_create();

    KASSERT_TRUE(t, as != NULL);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 5 * PAGE_SIZE, RW), 0);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_END - 64 * KiB, 64 * KiB, VM_READ), 0);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, 1 * GiB, HUGE_SIZE + PAGE_SIZE, RW), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 5 * PAGE_SIZE + 64 * KiB + HUGE_SIZE + PAGE_SIZE);
    KEXPECT_LT(t, buddy_free_pages_count(), before);
    aspace_put(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void user_pages_are_user_and_not_global(struct ktest *t)
{
    struct aspace *as = aspace_create();
    struct vm_translation tr;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, VM_READ | VM_EXEC), 0);
    KASSERT_VM(t, vm_translate(&as->vm, USER_BASE, &tr), VM_OK);
    KEXPECT_EQ(t, tr.flags & (VM_USER | VM_READ | VM_WRITE | VM_EXEC | VM_GLOBAL),
               VM_USER | VM_READ | VM_EXEC);
    aspace_put(as);
}

static void a_2m_aligned_range_gets_a_2m_page(struct ktest *t)
{
    struct aspace *as = aspace_create();
    struct vm_translation tr;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 2 * GiB, HUGE_SIZE, RW), 0);
    KASSERT_VM(t, vm_translate(&as->vm, 2 * GiB + 12345, &tr), VM_OK);
    KEXPECT_EQ(t, tr.page_size, (u64)HUGE_SIZE);
    aspace_put(as);
}

static void mapping_over_a_mapping_is_refused(struct ktest *t)
{
    struct aspace *as = aspace_create();
    u64 before;

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + PAGE_SIZE, PAGE_SIZE, RW), 0);
    before = buddy_free_pages_count();
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 3 * PAGE_SIZE, RW), -EEXIST);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, 0, PAGE_SIZE, RW), -EINVAL); /* the NULL guard */
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_END, PAGE_SIZE, RW), -EINVAL);
    KEXPECT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + 1, PAGE_SIZE, RW), -EINVAL);
    aspace_put(as);
}

static void clone_copies_every_page_independently(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = aspace_create();

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 2 * PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 2 * GiB, HUGE_SIZE, VM_READ), 0);
    backing(as, USER_BASE)[5] = 0x5a;
    backing(as, 2 * GiB + HUGE_SIZE - 1)[0] = 0xa5;
    as->heap_start = 3 * GiB;
    as->brk = 3 * GiB + 100;

    struct aspace *copy = aspace_clone(as);
    KASSERT_TRUE(t, copy != NULL);
    KEXPECT_EQ(t, aspace_mapped_bytes(copy), aspace_mapped_bytes(as));
    KEXPECT_EQ(t, backing(copy, USER_BASE)[5], 0x5a);
    KEXPECT_EQ(t, backing(copy, 2 * GiB + HUGE_SIZE - 1)[0], 0xa5);
    KEXPECT_EQ(t, copy->brk, as->brk);

    struct vm_translation a, b;
    KASSERT_VM(t, vm_translate(&copy->vm, 2 * GiB, &b), VM_OK);
    KASSERT_VM(t, vm_translate(&as->vm, 2 * GiB, &a), VM_OK);
    KEXPECT_EQ(t, b.page_size, (u64)HUGE_SIZE); /* still a 2 MiB page */
    KEXPECT_EQ(t, b.flags, a.flags);
    KEXPECT_NE(t, b.pa, a.pa);

    backing(copy, USER_BASE)[5] = 0x11; /* the original keeps its byte */
    KEXPECT_EQ(t, backing(as, USER_BASE)[5], 0x5a);
    aspace_put(as);
    KEXPECT_EQ(t, backing(copy, USER_BASE)[5], 0x11); /* and the copy outlives it */
    aspace_put(copy);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void clone_out_of_memory_leaks_nothing(struct ktest *t)
{
    struct aspace *as = aspace_create();

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 8 * PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, 1 * GiB, 8 * PAGE_SIZE, RW), 0);
    u64 before = buddy_free_pages_count();
    for (long tables = 0; tables < 4; tables++) {
        pt_alloc_fail_after(tables);
        struct aspace *copy = aspace_clone(as);
        pt_alloc_fail_after(-1);
        KEXPECT_TRUE(t, copy == NULL);
        KEXPECT_EQ(t, buddy_free_pages_count(), before);
        if (copy)
            aspace_put(copy);
    }
    aspace_put(as);
}

static void references_keep_it_alive(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = aspace_create();

    KASSERT_TRUE(t, as != NULL);
    aspace_get(as);
    aspace_put(as);
    KEXPECT_LT(t, buddy_free_pages_count(), before); /* one reference left */
    aspace_put(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void the_heap_is_mapped_on_first_touch(struct ktest *t)
{
    u64 before = buddy_free_pages_count();
    struct aspace *as = aspace_create();
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
    /* copy_to_user touches a heap page too. */
    KEXPECT_ERRNO(t, copy_to_user(as, 16 * MiB + 5 * PAGE_SIZE, &byte, 1), 0);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), 2ULL * PAGE_SIZE);
    /* Shrinking frees what lies past the new end; asking changes nothing. */
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + 4 * PAGE_SIZE), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_mapped_bytes(as), (u64)PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 0), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB - PAGE_SIZE), 16 * MiB + 4 * PAGE_SIZE);
    KEXPECT_EQ(t, aspace_brk(as, 16 * MiB + USER_HEAP_MAX + 1), 16 * MiB + 4 * PAGE_SIZE);
    aspace_put(as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void user_copies_check_every_byte(struct ktest *t)
{
    struct aspace *as = aspace_create();
    char buf[32] = "through the PMO";
    char back[32];

    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, 2 * PAGE_SIZE, RW), 0);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE + 4 * PAGE_SIZE, PAGE_SIZE, VM_READ), 0);
    /* Across a page boundary, both ways. */
    KEXPECT_ERRNO(t, copy_to_user(as, USER_BASE + PAGE_SIZE - 4, buf, sizeof(buf)), 0);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_BASE + PAGE_SIZE - 4, sizeof(back)), 0);
    KEXPECT_STREQ(t, back, buf);
    /* Unmapped, kernel, read-only, wrapping, crossing the top: all refused. */
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_BASE + 2 * PAGE_SIZE - 4, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, 0, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, KERNEL_VIRT_BASE, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, (vaddr_t)phys_to_virt(0x1000), 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_to_user(as, USER_BASE + 4 * PAGE_SIZE, buf, 1), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_BASE + 4 * PAGE_SIZE, 8), 0);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_END - 4, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, ~(vaddr_t)0 - 2, 8), -EFAULT);
    KEXPECT_ERRNO(t, copy_from_user(as, back, USER_BASE, 0), 0);
    aspace_put(as);
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

static void touch_user_page(void *arg)
{
    volatile u8 *p = arg;

    (void)*p;
}

static void the_kernel_cannot_touch_user_memory_directly(struct ktest *t)
{
    struct aspace *as;
    struct fault_info info;

    if (!arch_mmu_user_access_blocked()) {
        ktest_skip(t, "this CPU has no SMAP/PAN (x86_64: CPU=max; AArch64: CPU=max)");
        return;
    }
    as = aspace_create();
    KASSERT_TRUE(t, as != NULL);
    KASSERT_ERRNO(t, aspace_map_zeroed(as, USER_BASE, PAGE_SIZE, RW), 0);
    aspace_switch(as);
    bool faulted = fault_expect(touch_user_page, (void *)USER_BASE, &info);
    aspace_switch(NULL);
    KEXPECT_TRUE(t, faulted);
    KEXPECT_EQ(t, info.addr, (uintptr_t)USER_BASE);
    KEXPECT_TRUE(t, info.protection);
    KEXPECT_FALSE(t, info.user);
    aspace_put(as);
}

static const struct ktest_case aspace_cases[] = {
    KTEST_CASE(create_and_destroy_leak_nothing),
    KTEST_CASE(user_pages_are_user_and_not_global),
    KTEST_CASE(a_2m_aligned_range_gets_a_2m_page),
    KTEST_CASE(mapping_over_a_mapping_is_refused),
    KTEST_CASE(clone_copies_every_page_independently),
    KTEST_CASE(clone_out_of_memory_leaks_nothing),
    KTEST_CASE(references_keep_it_alive),
    KTEST_CASE(the_kernel_has_a_handle_too),
    KTEST_CASE(the_heap_is_mapped_on_first_touch),
    KTEST_CASE(user_copies_check_every_byte),
    KTEST_CASE(the_kernel_cannot_touch_user_memory_directly),
    { 0 },
};
KTEST_SUITE(aspace, aspace_cases);
