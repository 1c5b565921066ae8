/*
 * Host tests of mm/buddy.c (with mm/early.c for its bitmap) over a
 * simulated physical memory: a 64 MiB arena standing for PA 0x4000_0000..,
 * with a hole and a reservation in it, so blocks meet unmanaged pages.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "../../mm/early.c"
#include "../../mm/buddy.c"

#include "arena.h"

#define PAGES ARENA_PAGES

static void setup(void)
{
    arena_boot();
}

static u64 usable_pages_after_init(void)
{
    return memmap_total(&arena_map, MEM_USABLE) / PAGE_SIZE;
}

/*
 * The allocator's structure, checked against itself: every page of the
 * span is unmanaged, the head of an uncut lazy block, or in exactly one
 * block whose first page is a head (allocated or free) and whose other
 * pages are tails; a block is aligned to its order and lies in usable RAM;
 * each free block (except a cached page) is on the list of its order with its
 * magic, and each list holds only such blocks, as many as it counts; and
 * the free pages of lists, cache and lazy ranges are buddy.free_pages.
 * Returns false (after a failure naming the page) when it is broken.
 */
static bool check_structure(const struct memmap *m, const char *when)
{
    u64 listed[BUDDY_MAX_ORDER + 1] = { 0 }, free_pages = 0;
    paddr_t pa = buddy.span_lo;

#define BROKEN(fmt, ...)                                                                     \
    do {                                                                                     \
        host_fail(__FILE__, __LINE__, "%s: page 0x%llx: " fmt, when, (unsigned long long)pa, \
                  ##__VA_ARGS__);                                                            \
        return false;                                                                        \
    } while (0)
    while (pa < buddy.span_hi) {
        enum page_state st = get_state(pa);
        bool lazy = false;
        for (size_t r = 0; r < buddy.nlazy; r++)
            lazy |= pa >= buddy.lazy[r].next && pa < buddy.lazy[r].end;
        if (lazy) {
            if (st != PAGE_UNMANAGED || tail_order(pa, BUDDY_MAX_ORDER) != BUDDY_MAX_ORDER)
                BROKEN("an uncut lazy block is not U followed by tails");
            free_pages += 1ULL << BUDDY_MAX_ORDER;
            pa += block_bytes(BUDDY_MAX_ORDER);
            continue;
        }
        if (st == PAGE_UNMANAGED) {
            if (memmap_type_at(m, pa) == MEM_USABLE)
                BROKEN("usable RAM is marked unmanaged");
            pa += PAGE_SIZE;
            continue;
        }
        if (st == PAGE_TAIL)
            BROKEN("a tail where a block should start");
        unsigned order = tail_order(pa, BUDDY_MAX_ORDER);
        if (!IS_ALIGNED(pa, block_bytes(order)))
            BROKEN("an order-%u block is not aligned to its size", order);
        for (paddr_t p = pa; p < pa + block_bytes(order); p += PAGE_SIZE)
            if (memmap_type_at(m, p) != MEM_USABLE)
                BROKEN("an order-%u block covers 0x%llx, which is not usable RAM", order,
                       (unsigned long long)p);
        if (st == PAGE_FREE_HEAD) {
            bool cached = false;
            for (unsigned i = 0; i < buddy.ncached; i++)
                cached |= buddy.cache[i] == pa;
            const struct free_block *b = block_at(pa);
            if (cached && order != 0)
                BROKEN("a cached page heads a block of order %u", order);
            if (!cached && (b->magic != FREE_BLOCK_MAGIC || b->order != order))
                BROKEN("a free order-%u block whose node says magic 0x%x, order %u", order,
                       b->magic, b->order);
            if (!cached)
                listed[order]++;
            free_pages += 1ULL << order;
        }
        pa += block_bytes(order);
    }
    pa = buddy.span_hi;
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        u64 n = 0;
        for (const struct free_block *b = buddy.lists[o].next; b != &buddy.lists[o]; b = b->next) {
            pa = pmo_virt_to_phys(b);
            if (++n > listed[o] || get_state(pa) != PAGE_FREE_HEAD || !is_free_block(pa, o))
                BROKEN("list %u holds a block that is not a free block of order %u", o, o);
        }
        if (n != listed[o] || n != buddy.free_blocks[o])
            BROKEN("list %u holds %llu blocks, the bitmap has %llu free ones, the count says %llu",
                   o, (unsigned long long)n, (unsigned long long)listed[o],
                   (unsigned long long)buddy.free_blocks[o]);
    }
    if (free_pages != buddy.free_pages)
        BROKEN("%llu free pages in free blocks, %llu counted", (unsigned long long)free_pages,
               (unsigned long long)buddy.free_pages);
#undef BROKEN
    return true;
}

/* Allocate the largest blocks until there are none: how many there were. Freed again. */
static u64 largest_blocks_that_fit(void)
{
    static paddr_t got[ARENA_PAGES >> BUDDY_MAX_ORDER];
    u64 n = 0;
    paddr_t pa;

    while (n < ARRAY_SIZE(got) && (pa = buddy_alloc_pages(BUDDY_MAX_ORDER)) != PADDR_NONE)
        got[n++] = pa;
    for (u64 i = 0; i < n; i++)
        buddy_free_pages(got[i], BUDDY_MAX_ORDER);
    return n;
}

static void manages_every_usable_page(void)
{
    setup();
    CHECK_EQ(buddy_free_pages_count(), usable_pages_after_init());
    CHECK_EQ(buddy_managed_pages(), usable_pages_after_init());
    /* 2 bits a page of the span, rounded up to a page. */
    CHECK_EQ(buddy_metadata_bytes(), ALIGN_UP(PAGES * 2 / 8, PAGE_SIZE));
    u64 sum = 0;
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        sum += buddy_free_blocks(o) << o;
    CHECK_EQ(sum, buddy_free_pages_count());
}

static void blocks_are_aligned_and_inside_usable_ram(void)
{
    setup();
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        paddr_t pa = buddy_alloc_pages(o);
        CHECK(pa != PADDR_NONE);
        CHECK_MSG(pa % block_bytes(o) == 0, "order %u block at 0x%llx is misaligned", o,
                  (unsigned long long)pa);
        for (paddr_t p = pa; p < pa + block_bytes(o); p += PAGE_SIZE)
            CHECK_EQ(memmap_type_at(&arena_map, p), MEM_USABLE);
        CHECK_EQ(buddy_block_order(pa), o);
        buddy_free_pages(pa, o);
    }
    CHECK_EQ(buddy_free_pages_count(), usable_pages_after_init());
}

/* Drain each order, then free everything: every count returns. */
static void alloc_until_empty_then_free_all(void)
{
    static paddr_t got[PAGES];

    for (unsigned order = 0; order <= BUDDY_MAX_ORDER; order++) {
        setup();
        u64 start[BUDDY_MAX_ORDER + 1];
        for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
            start[o] = buddy_free_blocks(o);
        size_t n = 0;
        paddr_t pa;
        while ((pa = buddy_alloc_pages(order)) != PADDR_NONE) {
            memset(phys_to_virt(pa), (int)(n & 0xff), block_bytes(order));
            got[n++] = pa;
        }
        /* What is left is only smaller blocks than `order`. */
        for (unsigned o = order; o <= BUDDY_MAX_ORDER; o++)
            CHECK_EQ(buddy_free_blocks(o), 0);
        if (!check_structure(&arena_map, "drained"))
            return;
        /* No two blocks overlapped: each still holds its own pattern. */
        for (size_t i = 0; i < n; i++) {
            const u8 *p = phys_to_virt(got[i]);
            for (u64 b = 0; b < block_bytes(order); b += 512)
                if (p[b] != (u8)(i & 0xff)) {
                    host_fail(__FILE__, __LINE__, "order %u block 0x%llx was overwritten", order,
                              (unsigned long long)got[i]);
                    return;
                }
        }
        for (size_t i = n; i-- > 0;) /* reverse order: merges in every pattern */
            buddy_free_pages(got[i], order);
        if (!check_structure(&arena_map, "freed again"))
            return;
        for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
            CHECK_MSG(buddy_free_blocks(o) == start[o],
                      "after order-%u blocks: %llu free blocks of order %u, %llu at start", order,
                      (unsigned long long)buddy_free_blocks(o), o, (unsigned long long)start[o]);
        /* Every page is whole again: as many 4 MiB blocks as at the start. */
        CHECK_EQ(largest_blocks_that_fit(), start[BUDDY_MAX_ORDER]);
    }
}

/* A machine of `pages` pages at ARENA_PA; its bitmap is the arena's last
 * page, outside the window, so the allocator owns exactly those pages. */
static struct memmap small_map;

static void small_boot(u64 pages)
{
    arena_boot(); /* maps the arena */
    small_map.count = 0;
    memmap_add(&small_map, ARENA_PA, pages * PAGE_SIZE, MEM_USABLE);
    memmap_add(&small_map, ARENA_PA + ARENA_SIZE - PAGE_SIZE, PAGE_SIZE, MEM_USABLE);
    memmap_normalize(&small_map);
    early_init(&small_map, ARENA_PA + ARENA_SIZE - PAGE_SIZE, ARENA_PA + ARENA_SIZE);
    buddy_init(&small_map, ARENA_PA, ARENA_PA + pages * PAGE_SIZE);
}

/*
 * Two 4 MiB blocks of RAM, nothing else. Two blocks of each order are
 * handed out, written whole, and given back (the lower first, or the
 * upper): they merge all the way up, so both 4 MiB blocks can be handed out
 * again, at their own addresses, and no third. Two 4 MiB buddies never
 * merge into a larger block.
 */
static void freed_blocks_merge_back_to_4_mib(void)
{
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        small_boot(2ULL << BUDDY_MAX_ORDER);
        paddr_t a = buddy_alloc_pages(k), b = buddy_alloc_pages(k);
        CHECK_MSG(a != PADDR_NONE && b != PADDR_NONE && a != b, "order %u: 0x%llx and 0x%llx", k,
                  (unsigned long long)a, (unsigned long long)b);
        if (a == PADDR_NONE || b == PADDR_NONE || a == b)
            return;
        memset(phys_to_virt(a), 0xa5, block_bytes(k));
        memset(phys_to_virt(b), 0x5a, block_bytes(k));
        if (!check_structure(&small_map, "two blocks out"))
            return;
        buddy_free_pages(k % 2 ? a : b, k);
        buddy_free_pages(k % 2 ? b : a, k);
        if (!check_structure(&small_map, "both back"))
            return;
        paddr_t x = buddy_alloc_pages(BUDDY_MAX_ORDER), y = buddy_alloc_pages(BUDDY_MAX_ORDER);
        CHECK_MSG(MIN(x, y) == ARENA_PA && MAX(x, y) == ARENA_PA + block_bytes(BUDDY_MAX_ORDER),
                  "after two order-%u blocks: 4 MiB blocks at 0x%llx and 0x%llx", k,
                  (unsigned long long)x, (unsigned long long)y);
        CHECK_MSG(buddy_alloc_pages(0) == PADDR_NONE, "after two order-%u blocks: a third block",
                  k);
    }
}

static void zeroed_allocation_is_zero(void)
{
    setup();
    paddr_t pa = buddy_alloc_pages(2);
    memset(phys_to_virt(pa), 0xaa, block_bytes(2));
    buddy_free_pages(pa, 2);
    paddr_t z = buddy_alloc_pages_zeroed(2);
    const u8 *p = phys_to_virt(z);
    for (u64 i = 0; i < block_bytes(2); i++)
        if (p[i]) {
            host_fail(__FILE__, __LINE__, "byte %llu of a zeroed block is 0x%x",
                      (unsigned long long)i, p[i]);
            break;
        }
    buddy_free_pages(z, 2);
}

static void misuse_panics_with_the_address(void)
{
    setup();
    paddr_t a = buddy_alloc_pages(0);
    paddr_t b2 = buddy_alloc_pages(2);
    buddy_free_pages(a, 0);
    EXPECT_PANIC("double free of 0x", buddy_free_pages(a, 0));
    EXPECT_PANIC("not aligned to its order 2", buddy_free_pages(b2 + PAGE_SIZE, 2));
    EXPECT_PANIC("inside a block", buddy_free_pages(b2 + PAGE_SIZE, 0));
    EXPECT_PANIC("allocated with order 2", buddy_free_pages(b2, 3));
    EXPECT_PANIC("allocated with a larger order", buddy_free_pages(b2, 1));
    EXPECT_PANIC("order 11 is out of range", buddy_free_pages(b2, BUDDY_MAX_ORDER + 1));
    EXPECT_PANIC("order 11 is out of range", buddy_alloc_pages(BUDDY_MAX_ORDER + 1));
    EXPECT_PANIC("reserved or a hole", buddy_free_pages(ARENA_PA + (21 << 20), 0));
    EXPECT_PANIC("reserved or a hole", buddy_free_pages(ARENA_PA + (40 << 20) + 0x3000, 0));
    EXPECT_PANIC("not memory the buddy allocator manages", buddy_free_pages(0x1000, 0));
    EXPECT_PANIC("not an allocated block", buddy_block_order(a));
    buddy_free_pages(b2, 2);
    CHECK_EQ(buddy_free_pages_count(), usable_pages_after_init());
}

/* A machine of `pages` pages at ARENA_PA; the buddy bitmap comes from page
 * 16, outside its window, so the allocator owns exactly those pages. */
static void tiny_boot(u64 pages)
{
    struct memmap tiny = { .count = 0 };

    arena_boot(); /* maps the arena */
    memmap_add(&tiny, ARENA_PA, pages * PAGE_SIZE, MEM_USABLE);
    memmap_add(&tiny, ARENA_PA + 16 * PAGE_SIZE, PAGE_SIZE, MEM_USABLE);
    memmap_normalize(&tiny);
    early_init(&tiny, ARENA_PA + 16 * PAGE_SIZE, ARENA_PA + 17 * PAGE_SIZE);
    buddy_init(&tiny, ARENA_PA, ARENA_PA + pages * PAGE_SIZE);
    CHECK_EQ(buddy_managed_pages(), pages);
}

/* At the end of the span the pages a larger order would cover do not
 * exist: the check must not read the bitmap past it. With pages 0..4,
 * page 4 is the last, aligned to order 1, and nothing after it is marked.
 * Freeing it as order 1 used to read the bitmap's padding, see "tail", and
 * accept (found by review). */
static void wrong_order_at_the_end_of_ram(void)
{
    tiny_boot(5);
    paddr_t last = buddy_alloc_pages(0);
    CHECK_EQ(last, ARENA_PA + 4 * PAGE_SIZE);
    EXPECT_PANIC("freed with order 1, but it was allocated with order 0",
                 buddy_free_pages(last, 1));
}

/*
 * Merging stops at the end of RAM too. Pages 0..4: the order-2 block at 0
 * has page 4 as its buddy, a free head, but an order-2 block there would
 * need pages 5..7, which do not exist; the bitmap's padding past the span
 * reads as tails, so a check of page 6 that forgets the span says "free".
 */
static void no_merge_past_the_end_of_ram(void)
{
    tiny_boot(5);
    paddr_t a = buddy_alloc_pages(2), last = buddy_alloc_pages(0);
    CHECK_EQ(a, ARENA_PA);
    CHECK_EQ(last, ARENA_PA + 4 * PAGE_SIZE);
    buddy_free_pages(last, 0);
    CHECK_EQ(buddy_free_blocks(0), 1); /* counting drains the cache: page 4 is on list 0 */
    buddy_free_pages(a, 2);
    CHECK_EQ(buddy_free_blocks(3), 0);
    CHECK_EQ(buddy_free_blocks(2), 1);
    CHECK_EQ(buddy_free_blocks(0), 1);
    CHECK_EQ(buddy_alloc_pages(3), PADDR_NONE);
    CHECK_EQ(buddy_free_pages_count(), 5);
}

/*
 * A block whose next neighbour is RAM not yet cut into blocks (a lazy
 * range): that neighbour must not look like the block's own tail, or
 * buddy_block_order() (and kfree, through it) misreads the block's order.
 */
static void a_block_right_below_an_uncut_range(void)
{
    struct memmap map = { .count = 0 };
    const paddr_t base = ARENA_PA + 2 * MiB;

    arena_boot();
    memmap_add(&map, base, 10 * MiB, MEM_USABLE); /* [2, 4) MiB carved, [4, 12) lazy */
    memmap_add(&map, ARENA_PA + 20 * MiB, PAGE_SIZE, MEM_USABLE);
    memmap_normalize(&map);
    early_init(&map, ARENA_PA + 20 * MiB, ARENA_PA + 20 * MiB + PAGE_SIZE);
    buddy_init(&map, base, base + 10 * MiB);

    paddr_t b = buddy_alloc_pages(9);
    CHECK_EQ(b, base);
    CHECK_EQ(buddy_block_order(b), 9);
    EXPECT_PANIC("not yet handed out", buddy_free_pages(base + 2 * MiB, 0));
    buddy_free_pages(b, 9);
    CHECK_EQ(buddy_free_pages_count(), 10 * MiB / PAGE_SIZE);
}

/* --- the cache of free single pages -------------------------------------------------- */

/* Four pages, one order-2 block: the first order-0 allocation moves all of
 * it into the cache. A cached page is free, counted, and caught when freed
 * again, or when a neighbour is freed with an order that would cover it. */
static void a_cached_page_is_free_counted_and_checked(void)
{
    tiny_boot(4);
    paddr_t p = buddy_alloc_pages(0), q = buddy_alloc_pages(0);
    CHECK_EQ(p, ARENA_PA);
    CHECK_EQ(q, ARENA_PA + PAGE_SIZE);
    CHECK_EQ(buddy.ncached, 2);
    CHECK_EQ(buddy_free_pages_count(), 2);
    buddy_free_pages(q, 0);
    CHECK_EQ(buddy.ncached, 3);
    CHECK_EQ(buddy.cache[buddy.ncached - 1], q);
    CHECK_EQ(buddy_free_pages_count(), 3);
    CHECK_EQ(buddy_block_containing(q + 8, &(unsigned){ 0 }), PADDR_NONE);
    EXPECT_PANIC("double free of 0x40001000 (order 0)", buddy_free_pages(q, 0));
    EXPECT_PANIC("freed with order 1, but it was allocated with order 0", buddy_free_pages(p, 1));
    EXPECT_PANIC("not an allocated block", buddy_block_order(q));
    /* The same page handed out again at once: the cache is a stack. */
    CHECK_EQ(buddy_alloc_pages(0), q);
    buddy_free_pages(q, 0);
    buddy_free_pages(p, 0);
    CHECK_EQ(buddy_free_pages_count(), 4);
    CHECK_EQ(buddy_free_blocks(2), 1); /* counting drains: all merged again */
    CHECK_EQ(buddy.ncached, 0);
}

/* A cached page is a free head with no node in it. Whatever its first bytes
 * hold (here a perfect imitation of a free order-1 block), freeing its
 * buddy must not merge with it; the merge comes when the cache drains. */
static void merges_never_read_a_cached_page(void)
{
    tiny_boot(4);
    paddr_t a = buddy_alloc_pages(1); /* pages 0-1; page 2 goes to list 1 */
    paddr_t b = buddy_alloc_pages(0); /* the cache takes pages 2-3 */
    paddr_t c = buddy_alloc_pages(0);
    CHECK_EQ(a, ARENA_PA);
    CHECK_EQ(b, ARENA_PA + 2 * PAGE_SIZE);
    CHECK_EQ(c, ARENA_PA + 3 * PAGE_SIZE);
    struct free_block *fake = block_at(b);
    *fake =
        (struct free_block){ .next = fake, .prev = fake, .order = 1, .magic = FREE_BLOCK_MAGIC };
    buddy_free_pages(b, 0); /* cached, its bytes left as they are */
    buddy_free_pages(a, 1); /* buddy b is free but order 0: no merge */
    CHECK_EQ(buddy.free_blocks[1], 1);
    CHECK_EQ(buddy.lists[1].next, block_at(a));
    buddy_free_pages(c, 0);
    CHECK_EQ(buddy_free_blocks(1), 0); /* drained: b and c, then a, merge */
    CHECK_EQ(buddy_free_blocks(2), 1);
}

/* Free pages waiting in the cache still make up a larger block. */
static void a_large_allocation_drains_the_cache(void)
{
    tiny_boot(4);
    paddr_t p = buddy_alloc_pages(0);
    buddy_free_pages(p, 0);
    CHECK_EQ(buddy.ncached, 4); /* the whole block, and nothing on a list */
    CHECK_EQ(buddy_alloc_pages(2), ARENA_PA);
    CHECK_EQ(buddy.ncached, 0);
    CHECK_EQ(buddy_alloc_pages(0), PADDR_NONE);
    buddy_free_pages(ARENA_PA, 2);
    CHECK_EQ(buddy_free_pages_count(), 4);
}

/* More single pages freed than the cache holds: it drains into the lists
 * and fills again, and nothing is lost or merged wrongly. */
static void the_cache_overflows_into_the_lists(void)
{
    static paddr_t got[3 * CACHE_PAGES];

    setup();
    u64 start[BUDDY_MAX_ORDER + 1], total = buddy_free_pages_count();
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        start[o] = buddy_free_blocks(o);
    for (size_t i = 0; i < ARRAY_SIZE(got); i++)
        got[i] = buddy_alloc_pages(0);
    CHECK_EQ(buddy_free_pages_count(), total - ARRAY_SIZE(got));
    for (size_t i = 0; i < ARRAY_SIZE(got); i += 2) /* evens, then odds: merges */
        buddy_free_pages(got[i], 0);
    for (size_t i = 1; i < ARRAY_SIZE(got); i += 2)
        buddy_free_pages(got[i], 0);
    CHECK(buddy.ncached <= CACHE_PAGES);
    CHECK_EQ(buddy_free_pages_count(), total);
    check_structure(&arena_map, "after the overflow");
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_EQ(buddy_free_blocks(o), start[o]);
}

/* A write into a free block's first bytes is reported on allocation. A
 * cached page holds no node to check, so this one is drained to a list. */
static void use_after_free_is_caught(void)
{
    setup();
    paddr_t keep = buddy_alloc_pages(0);
    paddr_t freed = buddy_alloc_pages(0); /* keep's buddy: cannot merge while keep lives */
    buddy_free_pages(freed, 0);
    drain_cache();
    CHECK_EQ(buddy.lists[0].next, block_at(freed));
    memset(phys_to_virt(freed), 0x5a, 32); /* written after it was freed */
    EXPECT_PANIC("is corrupted", buddy_alloc_pages(0));
    (void)keep;
}

/* --- a million random operations against a shadow model ------------------------------ */

static unsigned long long rng_state;
static unsigned long long rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_churn_matches_the_shadow(void)
{
    static u8 shadow[PAGES]; /* 1: page allocated */
    static struct {
        paddr_t pa;
        unsigned order;
    } live[1 << 16];
    const unsigned long long seed = 0x5eed0001ULL;
    const long ops = 1000000;
    size_t nlive = 0;
    u64 allocated_pages = 0;

    setup();
    memset(shadow, 0, sizeof(shadow));
    rng_state = seed;
    u64 total = buddy_free_pages_count();
    for (long i = 0; i < ops; i++) {
        bool do_alloc = nlive == 0 || (nlive < (1 << 16) && rng() % 100 < 55);
        if (do_alloc) {
            /* Mostly small orders, sometimes large ones. */
            unsigned order = rng() % 8 ? rng() % 3 : rng() % (BUDDY_MAX_ORDER + 1);
            paddr_t pa = buddy_alloc_pages(order);
            if (pa == PADDR_NONE) {
                CHECK_MSG(buddy_free_pages_count() < (1ULL << order) ||
                              buddy_free_blocks(order) == 0,
                          "seed 0x%llx op %ld: order %u refused with blocks left", seed, i, order);
                continue;
            }
            u64 first = (pa - ARENA_PA) / PAGE_SIZE;
            for (u64 p = first; p < first + (1ULL << order); p++) {
                if (shadow[p] ||
                    memmap_type_at(&arena_map, ARENA_PA + p * PAGE_SIZE) != MEM_USABLE) {
                    host_fail(__FILE__, __LINE__,
                              "seed 0x%llx op %ld: order %u block 0x%llx "
                              "overlaps a live block or unusable memory",
                              seed, i, order, (unsigned long long)pa);
                    return;
                }
                shadow[p] = 1;
            }
            live[nlive].pa = pa;
            live[nlive++].order = order;
            allocated_pages += 1ULL << order;
        } else {
            size_t k = rng() % nlive;
            u64 first = (live[k].pa - ARENA_PA) / PAGE_SIZE;
            for (u64 p = first; p < first + (1ULL << live[k].order); p++)
                shadow[p] = 0;
            buddy_free_pages(live[k].pa, live[k].order);
            allocated_pages -= 1ULL << live[k].order;
            live[k] = live[--nlive];
        }
        if (i % 100000 == 0 && !check_structure(&arena_map, "during the churn"))
            return;
        if (buddy_free_pages_count() + allocated_pages != total) {
            host_fail(__FILE__, __LINE__, "seed 0x%llx op %ld: %llu free + %llu allocated != %llu",
                      seed, i, (unsigned long long)buddy_free_pages_count(),
                      (unsigned long long)allocated_pages, (unsigned long long)total);
            return;
        }
    }
    while (nlive) {
        nlive--;
        buddy_free_pages(live[nlive].pa, live[nlive].order);
    }
    CHECK_EQ(buddy_free_pages_count(), total);
    check_structure(&arena_map, "after the churn");
    /* Everything merged back: the free blocks are exactly those of a fresh start. */
    u64 now[BUDDY_MAX_ORDER + 1];
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        now[o] = buddy_free_blocks(o);
    setup();
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_MSG(now[o] == buddy_free_blocks(o),
                  "seed 0x%llx: order %u has %llu free blocks "
                  "after the churn, %llu at start",
                  seed, o, (unsigned long long)now[o], (unsigned long long)buddy_free_blocks(o));
}

HOST_TESTS(manages_every_usable_page, blocks_are_aligned_and_inside_usable_ram,
           alloc_until_empty_then_free_all, freed_blocks_merge_back_to_4_mib,
           zeroed_allocation_is_zero, misuse_panics_with_the_address, wrong_order_at_the_end_of_ram,
           no_merge_past_the_end_of_ram, a_block_right_below_an_uncut_range,
           use_after_free_is_caught, a_cached_page_is_free_counted_and_checked,
           merges_never_read_a_cached_page, a_large_allocation_drains_the_cache,
           the_cache_overflows_into_the_lists, random_churn_matches_the_shadow)
