/*
 * ktest suite `buddy`: the real allocator over the machine's RAM.
 *
 * Large machines run on sparse host memory, so these tests touch few
 * pages: a drained block is tagged in its first and last page only, and
 * the list of drained blocks is threaded through the blocks themselves.
 */
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/physmem.h>
#include <mm/pmo.h>

/* Written into the first page of each block a test holds. */
struct held_block {
    paddr_t next;
    unsigned order;
    u64 tag;
};

#define TAG(pa) ((pa) ^ 0x5a5a5a5a5a5a5a5aULL)

static u64 *last_word(paddr_t pa, unsigned order)
{
    return (u64 *)phys_to_virt(pa + (PAGE_SIZE << order)) - 1;
}

static void blocks_are_aligned_usable_and_sized(struct ktest *t)
{
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        paddr_t pa = buddy_alloc_pages(o);

        KASSERT_NE(t, pa, PADDR_NONE);
        KEXPECT_EQ(t, pa % (PAGE_SIZE << o), 0ULL);
        KEXPECT_EQ(t, (int)memmap_type_at(&kernel_memmap, pa), MEM_USABLE);
        KEXPECT_EQ(t, (int)memmap_type_at(&kernel_memmap, pa + (PAGE_SIZE << o) - 1), MEM_USABLE);
        KEXPECT_EQ(t, buddy_block_order(pa), o);
        buddy_free_pages(pa, o);
    }
}

static void drain_then_free_restores_every_order(struct ktest *t)
{
    u64 start[BUDDY_MAX_ORDER + 1];
    paddr_t held = PADDR_NONE;
    u64 pages = 0, bad = 0;

    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        start[o] = buddy_free_blocks(o);
    u64 free_before = buddy_free_pages_count();

    /* Largest blocks first: empties memory with the fewest blocks. */
    for (unsigned o = BUDDY_MAX_ORDER + 1; o-- > 0;) {
        paddr_t pa;
        while ((pa = buddy_alloc_pages(o)) != PADDR_NONE) {
            struct held_block *h = phys_to_virt(pa);
            if (pa % (PAGE_SIZE << o))
                bad++;
            h->next = held;
            h->order = o;
            h->tag = TAG(pa);
            *last_word(pa, o) = TAG(pa);
            held = pa;
            pages += 1ULL << o;
        }
    }
    KEXPECT_EQ(t, bad, 0ULL);
    KEXPECT_EQ(t, buddy_free_pages_count(), 0ULL);
    KEXPECT_EQ(t, pages, free_before);

    /* No block overlapped another: every tag is still its own. Then free
     * every other block, then the rest, so merges happen in both orders. */
    u64 damaged = 0;
    for (paddr_t pa = held; pa != PADDR_NONE;) {
        struct held_block *h = phys_to_virt(pa);
        if (h->tag != TAG(pa) || *last_word(pa, h->order) != TAG(pa))
            damaged++;
        pa = h->next;
    }
    KEXPECT_EQ(t, damaged, 0ULL);
    for (int pass = 0; pass < 2; pass++) {
        u64 i = 0;
        paddr_t pa = held, *link = &held;
        while (pa != PADDR_NONE) {
            struct held_block *h = phys_to_virt(pa);
            paddr_t next = h->next;
            if (pass == 1 || i++ % 2 == 0) {
                *link = next;           /* unlink before the block is reused */
                buddy_free_pages(pa, h->order);
            } else {
                link = &h->next;
            }
            pa = next;
        }
    }
    KEXPECT_EQ(t, held, PADDR_NONE);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before);
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        KEXPECT_EQ(t, buddy_free_blocks(o), start[o]);
}

static u64 rng_state;
static u64 rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random alloc/free against a shadow bitmap of the allocated pages. */
static void churn_matches_a_shadow_bitmap(struct ktest *t)
{
    const u64 seed = 0x0dd5eed5ULL;
    const int ops = 20000, max_live = 1024;
    paddr_t lo, hi;

    buddy_span(&lo, &hi);
    u64 span_pages = (hi - lo) / PAGE_SIZE;
    unsigned shadow_order = 0, live_order = 0;
    while ((PAGE_SIZE << shadow_order) * 8 < span_pages)
        shadow_order++;
    while ((PAGE_SIZE << live_order) < max_live * sizeof(struct held_block))
        live_order++;
    paddr_t shadow_pa = buddy_alloc_pages_zeroed(shadow_order);
    paddr_t live_pa = buddy_alloc_pages(live_order);
    KASSERT_NE(t, shadow_pa, PADDR_NONE);
    KASSERT_NE(t, live_pa, PADDR_NONE);
    u8 *shadow = phys_to_virt(shadow_pa);
    struct held_block *live = phys_to_virt(live_pa);
    u64 free_start = buddy_free_pages_count(), held_pages = 0;
    int nlive = 0;

    rng_state = seed;
    for (int i = 0; i < ops; i++) {
        if (nlive == 0 || (nlive < max_live && rng() % 100 < 55)) {
            unsigned order = rng() % 8 ? rng() % 3 : rng() % 7;
            paddr_t pa = buddy_alloc_pages(order);
            if (pa == PADDR_NONE)
                continue;
            for (u64 p = (pa - lo) / PAGE_SIZE, n = 1ULL << order; n--; p++) {
                if (shadow[p / 8] & (1 << (p % 8))) {
                    ktest_fail(t, __FILE__, __LINE__, "seed 0x%llx op %d: 0x%llx (order %u) "
                               "overlaps a live block", (unsigned long long)seed, i,
                               (unsigned long long)pa, order);
                    return;
                }
                shadow[p / 8] |= (u8)(1 << (p % 8));
            }
            live[nlive++] = (struct held_block){ .next = pa, .order = order };
            held_pages += 1ULL << order;
        } else {
            int k = (int)(rng() % (u64)nlive);
            paddr_t pa = live[k].next;
            for (u64 p = (pa - lo) / PAGE_SIZE, n = 1ULL << live[k].order; n--; p++)
                shadow[p / 8] &= (u8)~(1 << (p % 8));
            buddy_free_pages(pa, live[k].order);
            held_pages -= 1ULL << live[k].order;
            live[k] = live[--nlive];
        }
        if (buddy_free_pages_count() + held_pages != free_start) {
            ktest_fail(t, __FILE__, __LINE__, "seed 0x%llx op %d: free pages do not add up",
                       (unsigned long long)seed, i);
            return;
        }
    }
    while (nlive--)
        buddy_free_pages(live[nlive].next, live[nlive].order);
    buddy_free_pages(live_pa, live_order);
    buddy_free_pages(shadow_pa, shadow_order);
    KEXPECT_EQ(t, buddy_free_pages_count() + 0, free_start + (1ULL << live_order) +
                                                    (1ULL << shadow_order));
}

static void zeroed_blocks_are_zero(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages(1);

    KASSERT_NE(t, pa, PADDR_NONE);
    memset(phys_to_virt(pa), 0xee, 2 * PAGE_SIZE);
    buddy_free_pages(pa, 1);
    paddr_t z = buddy_alloc_pages_zeroed(1);
    const u64 *w = phys_to_virt(z);
    u64 nonzero = 0;
    for (size_t i = 0; i < 2 * PAGE_SIZE / sizeof(u64); i++)
        nonzero += w[i] != 0;
    KEXPECT_EQ(t, nonzero, 0ULL);
    buddy_free_pages(z, 1);
}

static const struct ktest_case buddy_cases[] = {
    KTEST_CASE(blocks_are_aligned_usable_and_sized),
    KTEST_CASE(drain_then_free_restores_every_order),
    KTEST_CASE(churn_matches_a_shadow_bitmap),
    KTEST_CASE(zeroed_blocks_are_zero),
    {0},
};
KTEST_SUITE(buddy, buddy_cases);
