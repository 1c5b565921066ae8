/*
 * Device memory on demand: ioremap() maps a device's registers into the
 * MMIO window (MMIO_BASE and up, docs/memory-layout.md) as device memory
 * (x86_64 uncached, AArch64 Device-nGnRE), kernel read-write, never
 * executable. Unlike RAM, which the PMO maps once for good, devices get
 * a mapping only when a driver asks for one.
 */
#ifndef MM_IOREMAP_H
#define MM_IOREMAP_H

#include <duet/types.h>

/*
 * The kernel virtual address of physical [pa, pa + size), mapped as
 * device memory, or NULL when that cannot be (size 0, the range wraps, it
 * overlaps RAM the kernel owns, the window is full, no memory for a
 * table); the reason is printed. pa need not be page aligned: the result
 * has the same offset in its page. Asking again for a range already
 * mapped returns the same address.
 */
void *ioremap(paddr_t pa, u64 size);

#endif
