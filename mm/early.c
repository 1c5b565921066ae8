/*
 * The early allocator (mm/early.h). Deliberately simple: take pages from
 * the top of the highest usable range that fits, inside the window the PMO
 * already maps, and write the result back into the memory map. Top-down
 * keeps low memory, which firmware and devices tend to want, free longest.
 */
#include <duet/panic.h>
#include <duet/string.h>
#include <mm/early.h>
#include <mm/pmo.h>

static struct memmap *early_map; /* the map pages are taken from */
static paddr_t window_lo, window_hi;
static size_t pages_allocated;
static bool retired;

void early_init(struct memmap *m, paddr_t lo, paddr_t hi)
{
    early_map = m;
    window_lo = lo;
    window_hi = hi;
    pages_allocated = 0;
    retired = false;
}

paddr_t early_alloc_pages(size_t count)
{
    u64 bytes = (u64)count * PAGE_SIZE;

    if (retired)
        panic("early_alloc_pages: called after the buddy allocator took over");
    if (!early_map)
        panic("early_alloc_pages: called before early_init");
    if (count == 0 || count > (window_hi - window_lo) / PAGE_SIZE)
        panic("early_alloc_pages: cannot allocate %zu pages", count);

    /* The early_map is sorted: walk it from the top. */
    for (size_t i = early_map->count; i-- > 0;) {
        const struct mem_region *r = &early_map->regions[i];
        paddr_t lo = MAX(r->base, window_lo);
        paddr_t hi = MIN(r->base + r->size, window_hi);

        if (r->type != MEM_USABLE || hi <= lo || hi - lo < bytes)
            continue;
        paddr_t pa = hi - bytes;
        int err = memmap_reserve(early_map, pa, bytes, MEM_EARLY_ALLOC);
        if (err)
            panic("early_alloc_pages: cannot record %zu pages at 0x%llx: %s", count,
                  (unsigned long long)pa, memmap_strerror(err));
        memset(phys_to_virt(pa), 0, bytes);
        pages_allocated += count;
        return pa;
    }
    panic("early_alloc_pages: no usable range in [0x%llx, 0x%llx) has %zu free pages",
          (unsigned long long)window_lo, (unsigned long long)window_hi, count);
}

size_t early_pages_allocated(void)
{
    return pages_allocated;
}

void early_retire(void)
{
    retired = true;
}
