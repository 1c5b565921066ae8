/*
 * The virtual memory layout, identical on both arches (docs/memory-layout.md).
 * Included from C, assembly and linker scripts, so only plain constants here.
 *
 *   0x0000_0000_0000_0000  NULL guard, never mapped (first 4 MiB)
 *   0x0000_0000_0040_0000  user space (one per address space)
 *   0xFFFF_8000_0000_0000  PMO: all RAM at PHYS_OFFSET + PA
 *   0xFFFF_C000_0000_0000  MMIO window, device memory mapped on demand
 *   0xFFFF_E000_0000_0000  kernel threads' stacks, each over an unmapped guard
 *   0xFFFF_FFFF_8000_0000  kernel image (top 2 GiB)
 */
#ifndef DUET_LAYOUT_H
#define DUET_LAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#include <arch/layout.h>

#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE  (_UL(1) << PAGE_SHIFT)

#define NULL_GUARD_END _UL(0x0000000000400000)
#define USER_BASE      NULL_GUARD_END
#define USER_END       _UL(0x0000800000000000)

/*
 * A user program's stack: USER_STACK_SIZE bytes below USER_STACK_TOP,
 * mapped when it starts, that grows down a page at a time on first touch
 * (aspace_fault) to USER_STACK_MAX bytes, Linux's default 8 MiB; one
 * unmapped guard page under that, so that running off the stack faults
 * instead of writing into whatever lies below. The page at the very top of
 * user space stays unmapped, so no user range ends exactly at USER_END.
 * Programs are linked at USER_BASE (user/user.lds.S); the heap (brk) starts
 * at the first page above their highest segment and may grow to
 * USER_HEAP_MAX bytes.
 */
#define USER_STACK_TOP    (USER_END - PAGE_SIZE)
#define USER_STACK_SIZE   _UL(0x10000)
#define USER_STACK_BOTTOM (USER_STACK_TOP - USER_STACK_SIZE)
#define USER_STACK_MAX    _UL(0x800000)
#define USER_STACK_LIMIT  (USER_STACK_TOP - USER_STACK_MAX) /* the lowest it grows to */
#define USER_STACK_GUARD  (USER_STACK_LIMIT - PAGE_SIZE)    /* the guard page's start */
#define USER_HEAP_MAX     _UL(0x40000000)
/* mmap's area (mm/aspace.c): far above any heap, 1 GiB below the stack's
 * guard, filled from the top down. */
#define USER_MMAP_BASE    _UL(0x0000100000000000)
#define USER_MMAP_TOP     (USER_STACK_GUARD - _UL(0x40000000))

#define PHYS_OFFSET      _UL(0xFFFF800000000000)
#define PMO_END          _UL(0xFFFFC00000000000)
#define MMIO_BASE        _UL(0xFFFFC00000000000)
#define MMIO_END         KSTACK_BASE
#define KERNEL_VIRT_BASE _UL(0xFFFFFFFF80000000)
/* In-kernel tests map their scratch pages here: 64 GiB into the MMIO
 * window, far above anything ioremap hands out, and 1 GiB-aligned (the vm
 * suite maps a 1 GiB page there). */
#define KTEST_SCRATCH_VA (MMIO_BASE + _UL(0x1000000000))

/* Early boot maps this much RAM in the PMO, and the kernel image window. */
#define EARLY_PMO_SIZE _UL(0x40000000)

/* The boot stack: 16 KiB, with an unmapped 2 MiB guard below it (boot.S). */
#define BOOT_STACK_SHIFT 14
#define BOOT_STACK_SIZE  (_UL(1) << BOOT_STACK_SHIFT)

/*
 * Kernel threads' stacks (kernel/kstack.c): KSTACK_MAX slots of
 * KSTACK_SLOT_SIZE. Slot i holds an unmapped guard of KSTACK_GUARD_SIZE
 * and, above it, a KSTACK_SIZE stack mapped from buddy pages. Each stack
 * starts on a boundary of twice its size, like the boot stack, because
 * AArch64's vector entries tell an overflow by one bit of SP
 * (arch/aarch64/vectors.S): every SP inside a stack has bit
 * BOOT_STACK_SHIFT clear, every SP in the guard under it has it set.
 * So the region begins with half a slot that nothing uses.
 */
#define KSTACK_BASE       _UL(0xFFFFE00000000000)
#define KSTACK_SIZE       BOOT_STACK_SIZE
#define KSTACK_GUARD_SIZE KSTACK_SIZE
#define KSTACK_SLOT_SIZE  (KSTACK_GUARD_SIZE + KSTACK_SIZE)
#define KSTACK_MAX        4096
/* Slot i's stack: [KSTACK_BOTTOM(i), KSTACK_BOTTOM(i) + KSTACK_SIZE). */
#define KSTACK_BOTTOM(i)  (KSTACK_BASE + ((i) + 1) * KSTACK_SLOT_SIZE)
#define KSTACK_END        KSTACK_BOTTOM(KSTACK_MAX)

#include <arch/layout.h>

#endif
