/*
 * Reference counts of user pages that address spaces share (copy-on-write
 * fork, MAP_SHARED): how many leaves, in all address spaces together, map
 * a block of the buddy allocator. docs/user-mode.md measures what they
 * cost.
 *
 * Only shared blocks pay. A block is named by its physical address (its
 * first page: a 2 MiB block's count is kept on its first 4 KiB page, and
 * callers pass that address); a block the table does not hold has count 1,
 * its one owner. So the buddy allocator keeps its 2 bits a page and an
 * address space that never forks costs nothing here.
 *
 * The table has a lock of its own, taken with interrupts masked: address
 * spaces that share a block each hold their own lock, never each other's.
 */
#ifndef MM_PAGEREF_H
#define MM_PAGEREF_H

#include <duet/types.h>

/* One more leaf maps pa's block: 0, or -ENOMEM with the count unchanged. */
int page_ref_share(paddr_t pa);
/*
 * One leaf fewer maps pa's block: the references left. 0 means the caller
 * held the last one and gives the block back to the buddy allocator.
 */
unsigned page_ref_put(paddr_t pa);
/* The leaves that map pa's block now: 1 for a block nobody shares. */
unsigned page_ref_count(paddr_t pa);

/* Blocks the table holds now (shared ones), for tests and `ps`. */
u64 page_ref_shared_blocks(void);

#endif
