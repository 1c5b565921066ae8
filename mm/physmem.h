/*
 * Bringing up physical memory at boot: the memory map, the early
 * allocator and the buddy allocator, in that order (docs/physical-memory.md).
 */
#ifndef MM_PHYSMEM_H
#define MM_PHYSMEM_H

#include <duet/bootinfo.h>
#include <mm/memmap.h>

/* The kernel's memory map, normalised; valid after physmem_init. */
extern struct memmap kernel_memmap;

void physmem_init(struct boot_info *bi);
/* The map as the firmware described it, before normalising. */
const struct memmap *physmem_firmware_map(void);

/* The first bytes of physical memory, never handed out (physmem_init). */
#define LOW_MEMORY_RESERVED (64 * KiB)

#endif
