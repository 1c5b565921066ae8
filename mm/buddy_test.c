/*
 * ktest suite `buddy`: the real allocator over the machine's RAM.
 *
 * Large machines run on sparse host memory, where each page the guest
 * touches first costs the host a page, so these tests touch few pages: the
 * drain checks blocks for overlap in a shadow bitmap instead of writing
 * into them, and threads its list of blocks through their first pages,
 * which freeing them writes anyway.
 *
 * Every block a case holds is recorded (below), and the suite's exit gives
 * back what a case that failed half-way left: the next case then starts
 * from the allocator as it was, and fails only for its own reasons.
 */
#include <duet/cmdline.h>
#include <duet/ktest.h>
#include <duet/string.h>
#include <mm/buddy.h>
#include <mm/physmem.h>
#include <mm/pmo.h>

/* Written into the first page of each block a test holds. */
struct held_block {
    paddr_t next;
    unsigned order;
};

/*
 * What a case holds, so that the suite's exit can give it back when the
 * case stops early: the blocks of `held` (linked through their first
 * pages), the churn's live blocks (their table in `live_pa`) and the
 * shadow bitmap of the drain or the churn.
 */
static paddr_t held = PADDR_NONE;
static paddr_t live_pa = PADDR_NONE;
static unsigned live_order;
static int nlive;

/*
 * The shadow bitmap: one bit a page of the buddy's span. No block holds it
 * past 128 GiB of span (a 4 MiB block holds 2^25 bits), so it comes in
 * pieces of at most the largest order, each the bits of one stretch of the
 * span; enough of them for any span the PMO maps (64 TiB: 512 pieces).
 * A piece holds a whole number of u64 words, so no word straddles two.
 */
#define SHADOW_PIECE_MAX_BITS ((u64)(PAGE_SIZE << BUDDY_MAX_ORDER) * 8)
#define SHADOW_MAX_PIECES \
    (((PMO_END - PHYS_OFFSET) / PAGE_SIZE + SHADOW_PIECE_MAX_BITS - 1) / SHADOW_PIECE_MAX_BITS)

static paddr_t shadow_piece[SHADOW_MAX_PIECES];
static unsigned shadow_pieces, shadow_piece_order;
static paddr_t shadow_lo;

static void hold(paddr_t pa, unsigned order)
{
    struct held_block *h = phys_to_virt(pa);

    h->next = held;
    h->order = order;
    held = pa;
}

static void free_what_a_case_held(void)
{
    while (held != PADDR_NONE) {
        struct held_block *h = phys_to_virt(held);
        paddr_t next = h->next;
        buddy_free_pages(held, h->order);
        held = next;
    }
    if (live_pa != PADDR_NONE) {
        const struct held_block *live = phys_to_virt(live_pa);
        while (nlive > 0) {
            nlive--;
            buddy_free_pages(live[nlive].next, live[nlive].order);
        }
        buddy_free_pages(live_pa, live_order);
        live_pa = PADDR_NONE;
    }
    while (shadow_pieces > 0) {
        shadow_pieces--;
        buddy_free_pages(shadow_piece[shadow_pieces], shadow_piece_order);
    }
}

static void blocks_are_aligned_usable_and_sized(struct ktest *t)
{
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        paddr_t pa = buddy_alloc_pages(o);

        KASSERT_NE(t, pa, PADDR_NONE);
        hold(pa, o);
        KEXPECT_EQ(t, pa % (PAGE_SIZE << o), 0ULL);
        KEXPECT_EQ(t, (int)memmap_type_at(&kernel_memmap, pa), MEM_USABLE);
        KEXPECT_EQ(t, (int)memmap_type_at(&kernel_memmap, pa + (PAGE_SIZE << o) - 1), MEM_USABLE);
        KEXPECT_EQ(t, buddy_block_order(pa), o);
        free_what_a_case_held();
    }
}

/*
 * How much the drain takes. `ktest=all` runs at every RAM size, and
 * draining 64 GiB makes the host back 16K more pages, which doubles an
 * AArch64 boot; so it stops after DRAIN_BOUND_PAGES unless the command line
 * says `buddy_drain=all` (tests/test_physmem.py's boots do).
 */
#define DRAIN_BOUND_PAGES (GiB / PAGE_SIZE)

static bool drain_all_ram(void)
{
    char value[8];

    return cmdline_get("buddy_drain", value, sizeof(value)) && strcmp(value, "all") == 0;
}

/*
 * A zeroed shadow for the whole span, in as few pieces as the largest
 * order allows; false if memory ran out (the exit frees what was taken).
 */
static bool shadow_alloc(void)
{
    paddr_t hi;

    buddy_span(&shadow_lo, &hi);
    u64 bits = (hi - shadow_lo) / PAGE_SIZE;
    shadow_piece_order = 0;
    while (shadow_piece_order < BUDDY_MAX_ORDER &&
           (u64)(PAGE_SIZE << shadow_piece_order) * 8 < bits)
        shadow_piece_order++;
    u64 piece_bits = (u64)(PAGE_SIZE << shadow_piece_order) * 8;
    u64 want = (bits + piece_bits - 1) / piece_bits;
    if (want > SHADOW_MAX_PIECES)
        return false;
    shadow_pieces = 0;
    while (shadow_pieces < want) {
        paddr_t pa = buddy_alloc_pages_zeroed(shadow_piece_order);
        if (pa == PADDR_NONE)
            return false;
        shadow_piece[shadow_pieces++] = pa;
    }
    return true;
}

/* Pages the shadow holds. */
static u64 shadow_size_pages(void)
{
    return (u64)shadow_pieces << shadow_piece_order;
}

/* The word that holds the bit of page `page` of the span. */
static u64 *shadow_word(u64 page)
{
    u64 piece_bits = (u64)(PAGE_SIZE << shadow_piece_order) * 8;
    u64 *piece = phys_to_virt(shadow_piece[page / piece_bits]);

    return &piece[page % piece_bits / 64];
}

/*
 * Set (or, when !set, clear) the bits of the block of `order` at pa; false
 * if setting found one of them set already: the block overlaps one held.
 */
static bool shadow_mark(paddr_t pa, unsigned order, bool set)
{
    u64 first = (pa - shadow_lo) / PAGE_SIZE, n = 1ULL << order;
    bool fresh = true;

    while (n) {
        u64 bit = first % 64, count = MIN(64 - bit, n);
        u64 mask = (count == 64 ? ~0ULL : (1ULL << count) - 1) << bit;
        u64 *w = shadow_word(first);
        if (set) {
            fresh &= !(*w & mask);
            *w |= mask;
        } else {
            *w &= ~mask;
        }
        first += count;
        n -= count;
    }
    return fresh;
}

/*
 * Allocate blocks of `top` and below, largest first, until memory is empty
 * (or, when `bounded` or the command line does not ask for all of it, the
 * bound is reached), check them, then free every other block and then the
 * rest, so that merges happen in both orders: the free blocks of every
 * order must be as before.
 */
static void drain_then_free(struct ktest *t, unsigned top, bool bounded)
{
    u64 start[BUDDY_MAX_ORDER + 1];
    u64 pages = 0, misplaced = 0, overlapping = 0;

    KASSERT_TRUE(t, shadow_alloc());
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        start[o] = buddy_free_blocks(o);
    u64 free_before = buddy_free_pages_count();
    bool to_empty = (!bounded && drain_all_ram()) || free_before <= DRAIN_BOUND_PAGES;
    u64 limit = to_empty ? free_before : DRAIN_BOUND_PAGES;

    for (unsigned o = top + 1; o-- > 0;) {
        paddr_t pa;
        while (pages < limit && (pa = buddy_alloc_pages(o)) != PADDR_NONE) {
            if (pa % (PAGE_SIZE << o) || memmap_type_at(&kernel_memmap, pa) != MEM_USABLE ||
                memmap_type_at(&kernel_memmap, pa + (PAGE_SIZE << o) - 1) != MEM_USABLE)
                misplaced++;
            if (!shadow_mark(pa, o, true))
                overlapping++;
            hold(pa, o);
            pages += 1ULL << o;
        }
    }
    KEXPECT_EQ(t, misplaced, 0ULL);
    KEXPECT_EQ(t, overlapping, 0ULL);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before - pages);
    if (to_empty)
        KEXPECT_EQ(t, pages, free_before);

    /* Free every other block, then the rest, so merges happen in both orders. */
    for (int pass = 0; pass < 2; pass++) {
        u64 i = 0;
        paddr_t pa = held, *link = &held;
        while (pa != PADDR_NONE) {
            struct held_block *h = phys_to_virt(pa);
            paddr_t next = h->next;
            if (pass == 1 || i++ % 2 == 0) {
                *link = next; /* unlink before the block is reused */
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

/* Largest blocks first: empties memory with the fewest blocks. */
static void drain_then_free_restores_every_order(struct ktest *t)
{
    drain_then_free(t, BUDDY_MAX_ORDER, false);
}

/* Blocks of 1 MiB and less (at most DRAIN_BOUND_PAGES of them): freeing
 * them must merge them up to 4 MiB blocks again. */
static void small_blocks_merge_back_to_the_largest(struct ktest *t)
{
    drain_then_free(t, BUDDY_MAX_ORDER - 2, true);
}

/* A freed single page counts as free at once and is the next one handed
 * out: it waits in the allocator's cache, still warm in the CPU's. */
static void a_freed_page_is_counted_and_reused(struct ktest *t)
{
    unsigned order;
    paddr_t pa = buddy_alloc_pages(0);

    KASSERT_NE(t, pa, PADDR_NONE);
    u64 free_before = buddy_free_pages_count();
    buddy_free_pages(pa, 0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free_before + 1);
    KEXPECT_EQ(t, buddy_block_containing(pa, &order), PADDR_NONE);
    paddr_t again = buddy_alloc_pages(0);
    KASSERT_NE(t, again, PADDR_NONE);
    hold(again, 0);
    KEXPECT_EQ(t, again, pa);
}

/* Single pages handed out (the cache refills by splitting a block) and
 * given back merge again: the free blocks of every order are as before. */
static void freed_pages_merge_back(struct ktest *t)
{
    u64 start[BUDDY_MAX_ORDER + 1];

    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        start[o] = buddy_free_blocks(o);
    for (int i = 0; i < 100; i++) {
        paddr_t pa = buddy_alloc_pages(0);
        KASSERT_NE(t, pa, PADDR_NONE);
        hold(pa, 0);
    }
    free_what_a_case_held();
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

    live_order = 0;
    while ((PAGE_SIZE << live_order) < max_live * sizeof(struct held_block))
        live_order++;
    KASSERT_TRUE(t, shadow_alloc());
    live_pa = buddy_alloc_pages(live_order);
    nlive = 0;
    KASSERT_NE(t, live_pa, PADDR_NONE);
    struct held_block *live = phys_to_virt(live_pa);
    u64 free_start = buddy_free_pages_count(), held_pages = 0;

    rng_state = seed;
    for (int i = 0; i < ops; i++) {
        if (nlive == 0 || (nlive < max_live && rng() % 100 < 55)) {
            unsigned order = rng() % 8 ? rng() % 3 : rng() % 7;
            paddr_t pa = buddy_alloc_pages(order);
            if (pa == PADDR_NONE)
                continue;
            live[nlive++] = (struct held_block){ .next = pa, .order = order };
            if (!shadow_mark(pa, order, true)) {
                ktest_fail(t, __FILE__, __LINE__,
                           "seed 0x%llx op %d: 0x%llx (order %u) "
                           "overlaps a live block",
                           (unsigned long long)seed, i, (unsigned long long)pa, order);
                nlive--; /* the exit must not free it twice */
                return;
            }
            held_pages += 1ULL << order;
        } else {
            int k = (int)(rng() % (u64)nlive);
            paddr_t pa = live[k].next;
            shadow_mark(pa, live[k].order, false);
            held_pages -= 1ULL << live[k].order;
            unsigned order = live[k].order;
            live[k] = live[--nlive];
            buddy_free_pages(pa, order);
        }
        if (buddy_free_pages_count() + held_pages != free_start) {
            ktest_fail(t, __FILE__, __LINE__, "seed 0x%llx op %d: free pages do not add up",
                       (unsigned long long)seed, i);
            return;
        }
    }
    u64 own_pages = (1ULL << live_order) + shadow_size_pages();
    free_what_a_case_held();
    KEXPECT_EQ(t, buddy_free_pages_count(), free_start + own_pages);
}

static void zeroed_blocks_are_zero(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages(1);

    KASSERT_NE(t, pa, PADDR_NONE);
    memset(phys_to_virt(pa), 0xee, 2 * PAGE_SIZE);
    buddy_free_pages(pa, 1);
    paddr_t z = buddy_alloc_pages_zeroed(1);
    KASSERT_NE(t, z, PADDR_NONE);
    const u64 *w = phys_to_virt(z);
    u64 nonzero = 0;
    for (size_t i = 0; i < 2 * PAGE_SIZE / sizeof(u64); i++)
        nonzero += w[i] != 0;
    KEXPECT_EQ(t, nonzero, 0ULL);
    hold(z, 1);
}

static const struct ktest_case buddy_cases[] = {
    KTEST_CASE(blocks_are_aligned_usable_and_sized),
    KTEST_CASE(drain_then_free_restores_every_order),
    KTEST_CASE(small_blocks_merge_back_to_the_largest),
    KTEST_CASE(a_freed_page_is_counted_and_reused),
    KTEST_CASE(freed_pages_merge_back),
    KTEST_CASE(churn_matches_a_shadow_bitmap),
    KTEST_CASE(zeroed_blocks_are_zero),
    { 0 },
};
KTEST_SUITE_EXIT(buddy, buddy_cases, free_what_a_case_held);
