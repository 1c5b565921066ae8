/*
 * The buddy allocator: every usable page of RAM, in blocks of 2^order
 * pages (order 0 .. BUDDY_MAX_ORDER), each block naturally aligned (its
 * physical address is a multiple of its size). docs/physical-memory.md
 * draws the data structure.
 *
 * Misuse panics with the address and the problem: a double free, freeing
 * an address that is not the start of an allocated block, freeing with an
 * order other than the allocation's, an unaligned address, an order out of
 * range.
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include <duet/types.h>
#include <mm/memmap.h>

#ifndef BUDDY_MAX_ORDER
#define BUDDY_MAX_ORDER 10 /* 2^10 pages: 4 MiB blocks */
#endif

/*
 * Take over every MEM_USABLE page of `m` (which must be normalised) inside
 * [lo, hi): the RAM the PMO maps. The bitmap comes from the early
 * allocator, which is retired afterwards.
 */
void buddy_init(struct memmap *m, paddr_t lo, paddr_t hi);

/* 2^order contiguous pages, or PADDR_NONE. */
paddr_t buddy_alloc_pages(unsigned order);
/* The same, zeroed. */
paddr_t buddy_alloc_pages_zeroed(unsigned order);
/* Give back a block from buddy_alloc_pages with the same order. */
void buddy_free_pages(paddr_t pa, unsigned order);

/* The order pa was allocated with; panics if pa is not an allocated block. */
unsigned buddy_block_order(paddr_t pa);
/*
 * The allocated block that contains pa: its start, and its order in *order.
 * PADDR_NONE when pa is in a free block or not in managed memory.
 */
paddr_t buddy_block_containing(paddr_t pa, unsigned *order);

/*
 * Free pages in all, counting the single pages kept at hand in a cache.
 * Free blocks of one order: the cache is given back to the lists first, so
 * the same free memory always gives the same blocks.
 */
u64 buddy_free_pages_count(void);
u64 buddy_free_blocks(unsigned order);
/* Pages the allocator manages (free or allocated); bytes of its bitmap. */
u64 buddy_managed_pages(void);
u64 buddy_metadata_bytes(void);
/* The physical range the bitmap covers: lowest to highest managed byte. */
void buddy_span(paddr_t *lo, paddr_t *hi);

/*
 * For the memory dump (mm/memdump.c): every free block (on a list, a page
 * in the cache, or a largest block not yet cut from lazy RAM), and every
 * allocated block, each with its order. Read-only: nothing moves.
 */
enum buddy_block_kind { BUDDY_LISTED, BUDDY_CACHED, BUDDY_LAZY, BUDDY_ALLOCATED };
typedef void (*buddy_block_fn)(paddr_t pa, unsigned order, enum buddy_block_kind kind, void *arg);
void buddy_for_each_free(buddy_block_fn fn, void *arg);
void buddy_for_each_allocated(buddy_block_fn fn, void *arg);
/* The bitmap summarised: pages in each 2-bit state (tail, allocated head,
 * free head, unmanaged), over the whole span. */
void buddy_state_counts(u64 counts[4]);

#endif
