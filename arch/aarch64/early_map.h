/*
 * The early translation tables: what boot.S maps before the MMU is on, the
 * descriptor bits it uses, and how many tables that takes.
 *
 * Shared by boot.S (builds the tables), kernel.lds.S (checks at link time
 * that the pool covers the linked image) and C (the early UART address),
 * so plain constants and expressions only.
 *
 * The translation regime (Arm ARM DDI 0487, D8 "The AArch64 Virtual Memory
 * System Architecture"): 48-bit VAs, 4 KiB granule, four levels of 512
 * eight-byte descriptors. Level 0 resolves VA[47:39], level 1 VA[38:30],
 * level 2 VA[29:21], level 3 VA[20:12]. boot.S stops at level 2 and maps
 * 2 MiB blocks, so each mapped range needs only level 0, 1 and 2 tables.
 */
#ifndef AARCH64_EARLY_MAP_H
#define AARCH64_EARLY_MAP_H

#include <duet/layout.h>
#include <arch/layout.h>
#include "sysregs.h"

#define L0_SHIFT         39
#define L1_SHIFT         30
#define L2_SHIFT         21
#define TABLE_INDEX_BITS 9
#define BLOCK_SIZE       (_UL(1) << L2_SHIFT) /* a level-2 block: 2 MiB */
#define BLOCK_MASK       (BLOCK_SIZE - 1)

/*
 * Descriptor bits (Arm ARM "Translation table descriptor formats" and
 * "Memory attribute fields in the VMSAv8-64 translation table format").
 */
#define PTE_TYPE_TABLE  3 /* [1:0] = 0b11 at levels 0-2 */
#define PTE_TYPE_BLOCK  1 /* [1:0] = 0b01 at levels 1-2 */
#define PTE_VALID       1
#define PTE_ATTRINDX(i) ((i) << 2)              /* MAIR_EL1 attribute index */
#define PTE_AP_EL1_RW   (0 << 6)                /* AP[2:1] = 00: EL1 RW, EL0 none */
#define PTE_SH_INNER    (3 << 8)                /* Inner Shareable */
#define PTE_AF          (1 << 10)               /* Access flag: clear faults on access */
#define PTE_NG          (1 << 11)               /* not global (per-ASID); unused here */
#define PTE_PXN         (_UL(1) << 53)          /* privileged execute-never */
#define PTE_UXN         (_UL(1) << 54)          /* unprivileged (EL0) execute-never */
#define PTE_ADDR_MASK   _UL(0x0000fffffffff000) /* next-level table address [47:12] */

/*
 * Block attributes for each early mapping. All are global (nG = 0) and EL1
 * read/write. UXN everywhere: EL0 never executes kernel memory, and AP does
 * not stop EL0 execution on its own.
 */
#define EARLY_BLOCK_NORMAL \
    (PTE_TYPE_BLOCK | PTE_ATTRINDX(MT_NORMAL) | PTE_AP_EL1_RW | PTE_SH_INNER | PTE_AF | PTE_UXN)
#define EARLY_BLOCK_KERNEL EARLY_BLOCK_NORMAL /* executable for now; W^X later */
#define EARLY_BLOCK_PMO    (EARLY_BLOCK_NORMAL | PTE_PXN)
#define EARLY_BLOCK_DEVICE \
    (PTE_TYPE_BLOCK | PTE_ATTRINDX(MT_DEVICE_nGnRE) | PTE_AP_EL1_RW | PTE_AF | PTE_PXN | PTE_UXN)

/* The PL011 UART of the virt board, and where the early map puts it. */
#define PL011_PHYS            0x09000000
#define EARLY_UART_BLOCK_PHYS (PL011_PHYS & ~BLOCK_MASK)
#define EARLY_UART_BLOCK_VA   MMIO_BASE
#define EARLY_UART_VA         (EARLY_UART_BLOCK_VA + (PL011_PHYS & BLOCK_MASK))

/*
 * The image: linked at KERNEL_VIRT_BASE + (PA - KERNEL_PHYS_BASE). boot.S
 * converts a higher-half symbol to its PA by subtracting this.
 */
#define KIMAGE_VA_PA_DELTA (KERNEL_VIRT_BASE - KERNEL_PHYS_BASE)
#define KIMAGE_VA          (KERNEL_IMAGE_PHYS + KIMAGE_VA_PA_DELTA)
/* The most boot.S maps for the image (boot stack to __kernel_end). */
#define EARLY_KIMAGE_MAX   (_UL(64) << 20)

/*
 * What boot.S maps, as [start, end) virtual ranges, each with 2 MiB blocks:
 *   TTBR0  identity map of the image, .boot to __kernel_end (VA == PA)
 *   TTBR1  PMO at PHYS_OFFSET + PA (never executable): the DTB and the image;
 *          entry.c adds the first GiB's RAM from the DTB (the range below is
 *          the most it may be)
 *          the kernel image at KERNEL_VIRT_BASE + (PA - KERNEL_PHYS_BASE)
 *          the 2 MiB block holding the PL011, at MMIO_BASE, Device-nGnRE
 * The ranges below are the largest each may be; the pool is sized for them.
 */
#define EARLY_IDMAP_START  KERNEL_LOAD_PHYS
#define EARLY_IDMAP_END    (KERNEL_IMAGE_PHYS + EARLY_KIMAGE_MAX)
#define EARLY_PMO_START    (PHYS_OFFSET + EARLY_PMO_PHYS)
#define EARLY_PMO_END      (EARLY_PMO_START + EARLY_PMO_SIZE)
#define EARLY_KIMAGE_START KIMAGE_VA
#define EARLY_KIMAGE_END   (KIMAGE_VA + EARLY_KIMAGE_MAX)
#define EARLY_MMIO_START   EARLY_UART_BLOCK_VA
#define EARLY_MMIO_END     (EARLY_UART_BLOCK_VA + BLOCK_SIZE)

/*
 * Tables a range [s, e) mapped with 2 MiB blocks needs below its level-0
 * table: one level-1 table per 512 GiB slot it touches, one level-2 table
 * per 1 GiB slot. Ranges that share a slot would share a table, so this
 * can only overcount (it is exact for Duet's ranges, which share none).
 */
#define EARLY_L1_TABLES(s, e)    ((((e)-1) >> L0_SHIFT) - ((s) >> L0_SHIFT) + 1)
#define EARLY_L2_TABLES(s, e)    ((((e)-1) >> L1_SHIFT) - ((s) >> L1_SHIFT) + 1)
#define EARLY_RANGE_TABLES(s, e) (EARLY_L1_TABLES(s, e) + EARLY_L2_TABLES(s, e))

/*
 * The pool, in pages: two level-0 tables (TTBR0, TTBR1) plus each range's.
 * Today: 2 + identity 2 + PMO 2 + image 2 + MMIO 2 = 10 tables (40 KiB).
 * Grow a range (say EARLY_PMO_SIZE to 4 GiB) and the pool grows with it;
 * kernel.lds.S fails the link if the linked image needs more than this.
 */
#define EARLY_TABLES                                              \
    (2 + EARLY_RANGE_TABLES(EARLY_IDMAP_START, EARLY_IDMAP_END) + \
     EARLY_RANGE_TABLES(EARLY_PMO_START, EARLY_PMO_END) +         \
     EARLY_RANGE_TABLES(EARLY_KIMAGE_START, EARLY_KIMAGE_END) +   \
     EARLY_RANGE_TABLES(EARLY_MMIO_START, EARLY_MMIO_END))

/* Pages after the pool for arch_mmu_set_kernel_root's switch (boot.S). */
#define AARCH64_SWITCH_TABLES 4
/*
 * Level-3 tables for the early PMO (entry.c, early_map_ram): one for each
 * 2 MiB block of the first GiB that is RAM in part only (RAM ending off a
 * 2 MiB boundary, a reservation inside a block). QEMU virt needs at most
 * one; the boot stops, saying so, if a device tree needs more.
 */
#define AARCH64_EDGE_TABLES   4
/* A level-3 page descriptor: [1:0] = 0b11, else the early PMO's block's bits. */
#define EARLY_PAGE_PMO        (EARLY_BLOCK_PMO | PTE_TYPE_TABLE)

#endif
