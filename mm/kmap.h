/*
 * The kernel's own address space: built once at boot by kmap_init() and
 * switched to, replacing boot.S's early tables.
 */
#ifndef MM_KMAP_H
#define MM_KMAP_H

#include <mm/memmap.h>
#include <mm/vm.h>

extern struct vm_space kernel_space;

/*
 * New tables for the kernel half: the PMO over all RAM of m, the kernel
 * image per segment (.text R-X, .rodata R--, .data and .bss RW-, the boot
 * stack RW- with nothing mapped below it), the early devices; then switch.
 */
void kmap_init(const struct memmap *m);

#endif
