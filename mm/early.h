/*
 * The early allocator: whole pages before the buddy allocator exists (page
 * tables for the PMO, the buddy allocator's own bitmap). Each allocation is
 * recorded in the memory map as MEM_EARLY_ALLOC, so the buddy allocator,
 * which manages what is still MEM_USABLE, can never hand it out again.
 */
#ifndef MM_EARLY_H
#define MM_EARLY_H

#include <duet/types.h>
#include <mm/memmap.h>

/* Allocate from usable RAM of `m` inside [lo, hi): what the PMO reaches now. */
void early_init(struct memmap *m, paddr_t lo, paddr_t hi);
/* `count` zeroed, contiguous pages; panics when no usable range has them. */
paddr_t early_alloc_pages(size_t count);
/* Pages handed out so far. */
size_t early_pages_allocated(void);
/* From now on the buddy allocator owns free memory: early_alloc_pages panics. */
void early_retire(void);

#endif
