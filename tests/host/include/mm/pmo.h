/*
 * Host builds: the PMO contract over simulated physical memory. A test
 * allocates an arena that stands for the physical range [pa_base,
 * pa_base + size) and calls host_pmo_set(); phys_to_virt() then points into
 * the arena, so mm/ code runs unchanged, and AddressSanitizer catches any
 * access outside it.
 */
#ifndef MM_PMO_H
#define MM_PMO_H

#include <duet/types.h>

extern uintptr_t host_pmo_offset;              /* arena address - pa_base */
extern uintptr_t host_pmo_start, host_pmo_end; /* the arena */

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + host_pmo_offset);
}

static inline paddr_t virt_to_phys(const void *va)
{
    return (paddr_t)((uintptr_t)va - host_pmo_offset);
}

static inline paddr_t pmo_virt_to_phys(const void *va)
{
    return virt_to_phys(va);
}

static inline bool pmo_contains(const void *va)
{
    return (uintptr_t)va >= host_pmo_start && (uintptr_t)va < host_pmo_end;
}

static inline void host_pmo_set(void *arena, paddr_t pa_base, u64 size)
{
    host_pmo_offset = (uintptr_t)arena - (uintptr_t)pa_base;
    host_pmo_start = (uintptr_t)arena;
    host_pmo_end = (uintptr_t)arena + size;
}

#endif
