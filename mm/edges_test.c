/*
 * ktest suite `edges`: the given code at the edges of its ranges, where a
 * loop or a sum can wrap: the heap's limit below the stack, kmalloc's
 * largest sizes. Not a lab's suite (no student code decides these).
 */
#include <duet/ktest.h>
#include <duet/layout.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/physmem.h>

static void the_heap_stops_below_the_stack_guard(struct ktest *t)
{
    struct aspace *as = aspace_create();

    KASSERT_TRUE(t, as != NULL);
    /* A program loaded high: its heap starts two pages below the guard. */
    as->heap_start = as->brk = USER_STACK_GUARD - 2 * PAGE_SIZE;
    KEXPECT_EQ(t, aspace_brk(as, USER_STACK_GUARD + PAGE_SIZE), as->heap_start);
    KEXPECT_EQ(t, aspace_brk(as, USER_STACK_TOP), as->heap_start);
    KEXPECT_EQ(t, aspace_brk(as, USER_END), as->heap_start);
    KEXPECT_EQ(t, aspace_brk(as, USER_STACK_GUARD), (vaddr_t)USER_STACK_GUARD);
    aspace_put(as);
}

static void kmalloc_refuses_every_size_too_large(struct ktest *t)
{
    const size_t sizes[] = { (size_t)PAGE_SIZE << BUDDY_MAX_ORDER << 1, (size_t)1 << 63,
                             ((size_t)1 << 63) + 1, ~(size_t)0 };

    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
        KEXPECT_TRUE(t, kmalloc(sizes[i]) == NULL);
}

static void the_first_64_kib_are_never_handed_out(struct ktest *t)
{
    for (paddr_t pa = 0; pa < LOW_MEMORY_RESERVED; pa += PAGE_SIZE)
        KEXPECT_FALSE(t, memmap_type_at(&kernel_memmap, pa) == MEM_USABLE);
    /* The buddy allocator manages what the map says is usable, nothing more. */
    KEXPECT_EQ(t, buddy_managed_pages() * PAGE_SIZE, memmap_total(&kernel_memmap, MEM_USABLE));
}

static const struct ktest_case edges_cases[] = {
    KTEST_CASE(the_heap_stops_below_the_stack_guard),
    KTEST_CASE(kmalloc_refuses_every_size_too_large),
    KTEST_CASE(the_first_64_kib_are_never_handed_out),
    { 0 },
};
KTEST_SUITE(edges, edges_cases);
