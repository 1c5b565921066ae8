/*
 * Host builds (tests/host, tests/fuzz): the arch placement constants the
 * shared headers expect. The values are x86_64's; host code never maps
 * anything, it only needs the names to exist.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define KERNEL_PHYS_BASE  0x0
#define KERNEL_LOAD_PHYS  0x200000
#define KERNEL_IMAGE_PHYS 0x400000
#define EARLY_PMO_PHYS    0x0

#endif
