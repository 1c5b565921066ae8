/*
 * The PMO contract: all RAM is mapped at PHYS_OFFSET + PA (the physical
 * memory offset map, or direct map), so the kernel reaches any physical
 * page without mapping it first. See docs/memory-layout.md.
 *
 * phys_to_virt(pa) is valid for every byte of RAM in the memory map once
 * the PMO covers all RAM; until then (early boot) for the first GiB of RAM
 * only (x86_64: PA 0..1 GiB, AArch64 virt: PA 0x4000_0000..0x7FFF_FFFF).
 * virt_to_phys(va) takes a PMO address or a kernel-image address; anything
 * else is a bug and panics, naming the address.
 */
#ifndef MM_PMO_H
#define MM_PMO_H

#include <duet/layout.h>
#include <duet/types.h>

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + PHYS_OFFSET);
}

paddr_t virt_to_phys(const void *va);

/* Is va an address inside the PMO? */
static inline bool pmo_contains(const void *va)
{
    return (uintptr_t)va >= PHYS_OFFSET && (uintptr_t)va < PMO_END;
}

/* virt_to_phys without the check, for a va known to be in the PMO (hot paths). */
static inline paddr_t pmo_virt_to_phys(const void *va)
{
    return (paddr_t)(uintptr_t)va - PHYS_OFFSET;
}

/* The physical range the PMO spans now: before pmo_expand(), the early GiB;
 * after, the lowest to the highest byte of RAM (holes inside stay unmapped). */
paddr_t pmo_ram_start(void);
paddr_t pmo_ram_end(void);

struct vm_space;
struct memmap;
/* Map every RAM range of m at PHYS_OFFSET + PA in `kernel` (not yet live). */
void pmo_expand(struct vm_space *kernel, const struct memmap *m);

#endif
