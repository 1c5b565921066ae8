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

#endif
