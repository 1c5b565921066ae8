/*
 * boot.S: from the firmware's hand-off to C in the higher half.
 *
 * Owns: parking secondary CPUs, the drop from EL2 to EL1, finding the
 * device tree, zeroing .bss, the early translation tables (what they map
 * and why is in early_map.h), turning the MMU on, and the jump to
 * aarch64_main(dtb_pa) on the boot stack with VBAR_EL1 set.
 *
 * Entered (QEMU virt, or a loader following Linux's arm64 boot protocol)
 * at EL2 or EL1 with the MMU and data cache off, x0 = DTB PA or 0. Until the
 * MMU is on this code runs at its physical address (.boot.text is linked
 * with VA == PA) and every data access is Device-nGnRnE: uncached, and
 * faulting if unaligned. Nothing here uses a stack.
 *
 * Registers that live across the whole sequence:
 *   x19  DTB physical address (0 when none was found)
 *   x20  next free page of the early table pool (PA); x21 its end
 *   x22  TTBR0 level-0 table (PA); x23 TTBR1 level-0 table (PA)
 *   x24  the exception level we were entered at
 */
#include <duet/layout.h>
#include <arch/layout.h>
#include "early_map.h"
#include "pl011.h"
#include "sysregs.h"

/* Where QEMU puts the DTB for an ELF kernel: the start of RAM. */
#define QEMU_DTB_PHYS           EARLY_PMO_PHYS
#define FDT_MAGIC               0xd00dfeed
#define FDT_TOTALSIZE           4           /* the header's totalsize field */

/* \reg = physical address of the higher-half symbol \sym. */
.macro kimage_pa reg, sym
    ldr     \reg, =\sym - KIMAGE_VA_PA_DELTA
.endm

/* \reg = PA of a zeroed page from the pool (.bss is zeroed before use). */
.macro alloc_table reg
    cmp     x20, x21
    b.hs    early_tables_exhausted
    mov     \reg, x20
    add     x20, x20, #PAGE_SIZE
.endm

    .section .boot.text, "ax"
    .globl  _start
_start:
    msr     daifset, #0xf
    mov     x19, x0

    /*
     * Duet runs on the CPU whose affinity (MPIDR_EL1.Aff3..Aff0, Arm ARM
     * D23.2 MPIDR_EL1) is 0. Under PSCI (QEMU virt, KVM, Apple's
     * hypervisor) only the boot CPU enters the image; a loader that starts
     * every CPU here, or a machine whose boot CPU has another affinity,
     * gets a line that says why this CPU stops, instead of silence.
     */
    mrs     x0, mpidr_el1
    ldr     x1, =MPIDR_AFFINITY_MASK
    tst     x0, x1
    b.ne    not_cpu0

    mrs     x0, CurrentEL
    lsr     x24, x0, #CURRENT_EL_SHIFT
    cmp     x0, #CURRENT_EL_EL2
    b.eq    el2_to_el1
    b.hi    entered_at_el3
    b       el1_entry

/*
 * At EL2 (QEMU -M virt,virtualization=on): make EL1 an AArch64 kernel
 * that nothing traps, then eret to EL1h with interrupts masked. Registers
 * are from their Arm ARM descriptions (HCR_EL2, CNTHCTL_EL2, CPTR_EL2).
 */
el2_to_el1:
    mov     x0, #HCR_EL2_RW                 // EL1 is AArch64; no stage 2, no traps
    msr     hcr_el2, x0
    mov     x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
    msr     cnthctl_el2, x0                 // EL1 may use the physical timer
    msr     cntvoff_el2, xzr                // virtual counter == physical counter
    mov     x0, #CPTR_EL2_RES1
    msr     cptr_el2, x0                    // no FP/SIMD traps to EL2
    msr     hstr_el2, xzr
    mrs     x0, midr_el1                    // EL1's MIDR/MPIDR reads return these;
    msr     vpidr_el2, x0                   // their reset values are UNKNOWN
    mrs     x0, mpidr_el1
    msr     vmpidr_el2, x0
    mrs     x0, id_aa64pfr0_el1             // a GICv3 system-register CPU interface?
    ubfx    x0, x0, #ID_AA64PFR0_GIC_SHIFT, #4
    cbz     x0, 1f
    mov     x0, #(ICC_SRE_EL2_SRE | ICC_SRE_EL2_ENABLE)
    msr     ICC_SRE_EL2, x0                 // EL1 may use ICC_SRE_EL1 and the ICC_*_EL1
    isb
    msr     ICH_HCR_EL2, xzr                // no virtual CPU interface
1:  ldr     x0, =SCTLR_EL1_MMU_OFF          // EL1 starts with its MMU off
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    adr     x0, el1_entry
    msr     elr_el2, x0
    eret

el1_entry:
    msr     spsel, #1                       // use SP_EL1 (EL1h)
    ldr     x0, =SCTLR_EL1_MMU_OFF          // known state: MMU and caches off
    msr     sctlr_el1, x0
    msr     cpacr_el1, xzr                  // FP/SIMD traps: the kernel is built
    isb                                     // with -mgeneral-regs-only

    /*
     * The device tree: x0 from the loader if it points at one, else the
     * start of RAM, where QEMU places it for an ELF image, else none.
     */
    mov     x0, x19
    bl      dtb_or_zero
    cbnz    x0, 1f
    ldr     x0, =QEMU_DTB_PHYS
    bl      dtb_or_zero
1:  mov     x19, x0

    /*
     * .bss, the early tables included, is written below with the MMU
     * off, straight to memory, and read later through Write-Back
     * cacheable mappings. Its lines are invalidated before the writes as
     * well as after (Linux's head.S does the same): under a hypervisor
     * (HCR_EL2.VM = 1) DC IVAC at EL1 is performed as clean and invalidate
     * (Arm ARM, HCR_EL2.VM and DC IVAC), so a dirty line left by firmware
     * would otherwise be written back over what we wrote, and one could
     * be evicted on its own at any time in between.
     */
    kimage_pa x0, __bss_start
    kimage_pa x1, __bss_end
    bl      dcache_inval_range

    /* Zero .bss through its physical address: the tables live there. */
    kimage_pa x0, __bss_start
    kimage_pa x1, __bss_end
2:  cmp     x0, x1
    b.hs    3f
    stp     xzr, xzr, [x0], #16
    b       2b
3:  kimage_pa x0, aarch64_boot_el
    str     x24, [x0]

    /* --- the early tables (early_map.h lists the ranges) --- */
    kimage_pa x20, __early_tables_start
    kimage_pa x21, __early_tables_end
    alloc_table x22
    alloc_table x23

    /* TTBR0: .boot through the image's end, VA == PA, for the MMU switch. */
    mov     x0, x22
    ldr     x1, =__boot_start
    kimage_pa x2, __kernel_end
    mov     x3, x1
    ldr     x4, =EARLY_BLOCK_KERNEL
    bl      map_blocks

    /*
     * TTBR1, the PMO (never executable): only what is RAM for certain
     * before the device tree says where RAM is, the DTB and the image.
     * A Normal cacheable mapping lets the CPU read speculatively, so it
     * must not cover absent memory or a no-map carve-out (Arm ARM B2,
     * "Normal memory": speculative accesses); entry.c adds the rest of
     * the first GiB's RAM once the DTB is read (early_map_ram). The DTB's
     * 2 MiB blocks are mapped whole, as Linux's boot protocol allows (its
     * 2 MiB region must need no other attributes).
     */
    cbz     x19, 1f
    ldr     w2, [x19, #FDT_TOTALSIZE]
    rev     w2, w2                          // big-endian
    add     x2, x19, x2
    ldr     x1, =EARLY_PMO_PHYS + EARLY_PMO_SIZE
    cmp     x2, x1                          // fdt_parse refuses a DTB that
    csel    x2, x2, x1, ls                  // ends past the window
    ldr     x5, =PHYS_OFFSET
    add     x1, x19, x5
    add     x2, x2, x5
    mov     x0, x23
    mov     x3, x19
    ldr     x4, =EARLY_BLOCK_PMO
    bl      map_blocks
1:  mov     x0, x23
    kimage_pa x3, __kernel_start
    ldr     x5, =PHYS_OFFSET
    add     x1, x3, x5
    kimage_pa x2, __kernel_end
    add     x2, x2, x5
    ldr     x4, =EARLY_BLOCK_PMO
    bl      map_blocks

    /* TTBR1: the kernel image, boot stack to __kernel_end. The 2 MiB
     * below __kernel_start (the alias of .boot) stays unmapped: it is the
     * guard that turns a boot-stack overflow into a fault. */
    mov     x0, x23
    ldr     x1, =__kernel_start
    ldr     x2, =__kernel_end
    kimage_pa x3, __kernel_start
    ldr     x4, =EARLY_BLOCK_KERNEL
    bl      map_blocks

    /* TTBR1: the 2 MiB block holding the PL011, as Device-nGnRE. */
    mov     x0, x23
    ldr     x1, =EARLY_MMIO_START
    ldr     x2, =EARLY_MMIO_END
    ldr     x3, =EARLY_UART_BLOCK_PHYS
    ldr     x4, =EARLY_BLOCK_DEVICE
    bl      map_blocks

    /*
     * .bss, tables included, was written with the MMU off, so straight to
     * memory; from now on it is read through Write-Back cacheable
     * mappings, by table walks and by C. A stale line for those addresses
     * (speculatively fetched since the first invalidation) would hide
     * what we wrote. The Arm ARM's rule for memory written with
     * non-cacheable accesses and then read as cacheable ("Data and
     * unified caches", cache maintenance requirements) is to invalidate
     * those lines to the Point of Coherency. Invalidate, not clean:
     * cleaning a stale dirty line would write it over the tables.
     */
    kimage_pa x0, __bss_start
    kimage_pa x1, __bss_end
    bl      dcache_inval_range

    /* --- the MMU --- */
    ldr     x0, =MAIR_EL1_VALUE
    msr     mair_el1, x0
    ldr     x0, =TCR_EL1_VALUE
    mrs     x1, id_aa64mmfr0_el1            // IPS = the CPU's PA size,
    and     x1, x1, #ID_AA64MMFR0_PARANGE_MASK
    mov     x2, #TCR_IPS_48BIT              // at most 48 bits
    cmp     x1, x2
    csel    x1, x1, x2, ls
    bfi     x0, x1, #TCR_IPS_SHIFT, #3
    msr     tcr_el1, x0
    msr     ttbr0_el1, x22
    msr     ttbr1_el1, x23
    isb                                     // the new registers are in effect
    /*
     * TLBs may hold entries from before (the reset state of TLBs is not
     * architecturally defined): invalidate all EL1&0 entries, wait for
     * that to finish (DSB), and resynchronise (ISB) before the MMU uses
     * them (Arm ARM "TLB maintenance requirements").
     */
    tlbi    vmalle1is
    dsb     ish
    isb
    ldr     x0, =SCTLR_EL1_MMU_ON           // MMU, caches, SP alignment check
    msr     sctlr_el1, x0
    isb
    ic      iallu                           // drop instructions fetched before
    dsb     nsh
    isb

    /* Still running through the identity map; jump to the linked address. */
    ldr     x0, =higher_half
    br      x0

/*
 * dcache_inval_range: invalidate the data cache lines of PA [x0, x1) to
 * the Point of Coherency. The DMB orders earlier stores before the
 * invalidations, the DSB finishes them. Clobbers x0, x2-x4.
 */
dcache_inval_range:
    dmb     sy
    mrs     x2, ctr_el0
    ubfx    x2, x2, #CTR_EL0_DMINLINE_SHIFT, #4
    mov     x3, #4
    lsl     x3, x3, x2                      // smallest D-cache line, in bytes
    sub     x4, x3, #1
    bic     x0, x0, x4
1:  dc      ivac, x0
    add     x0, x0, x3
    cmp     x0, x1
    b.lo    1b
    dsb     sy
    ret

/*
 * map_blocks: map VA [x1, x2) to PA x3 onward with 2 MiB blocks carrying
 * the attribute bits x4, in the tree whose level-0 table is at PA x0.
 * x1 and x3 round down and x2 up to 2 MiB. Missing level-1 and level-2
 * tables come from the pool. Clobbers x1-x3, x5-x9.
 */
map_blocks:
    mov     x9, x30
    bic     x1, x1, #BLOCK_MASK
    bic     x3, x3, #BLOCK_MASK
    ldr     x5, =BLOCK_MASK
    add     x2, x2, x5
    bic     x2, x2, #BLOCK_MASK
1:  cmp     x1, x2
    b.hs    2f
    mov     x5, x0
    ubfx    x6, x1, #L0_SHIFT, #TABLE_INDEX_BITS
    bl      next_table                      // x5 = level-1 table
    ubfx    x6, x1, #L1_SHIFT, #TABLE_INDEX_BITS
    bl      next_table                      // x5 = level-2 table
    ubfx    x6, x1, #L2_SHIFT, #TABLE_INDEX_BITS
    orr     x7, x3, x4
    str     x7, [x5, x6, lsl #3]            // the block descriptor
    add     x1, x1, #BLOCK_SIZE
    add     x3, x3, #BLOCK_SIZE
    b       1b
2:  ret     x9

/*
 * next_table: x5 = the table that entry x6 of table x5 points to, made
 * from a fresh pool page if the entry is empty. boot.S puts no blocks
 * above level 2, so a valid entry here is always a table descriptor.
 * Clobbers x7, x8.
 */
next_table:
    ldr     x7, [x5, x6, lsl #3]
    tbnz    x7, #0, 1f
    alloc_table x8
    orr     x7, x8, #PTE_TYPE_TABLE
    str     x7, [x5, x6, lsl #3]
1:  and     x5, x7, #PTE_ADDR_MASK
    ret

/*
 * dtb_or_zero: x0 unchanged if it is the PA of a flattened device tree,
 * else 0. Only 8-byte-aligned addresses inside the early PMO window (the
 * first GiB of RAM) are read. Clobbers x1, x2.
 */
dtb_or_zero:
    tst     x0, #7
    b.ne    1f
    ldr     x1, =EARLY_PMO_PHYS
    cmp     x0, x1
    b.lo    1f
    ldr     x1, =EARLY_PMO_PHYS + EARLY_PMO_SIZE
    cmp     x0, x1
    b.hs    1f
    ldr     w1, [x0]
    rev     w1, w1                          // the header is big-endian
    ldr     w2, =FDT_MAGIC
    cmp     w1, w2
    b.ne    1f
    ret
1:  mov     x0, #0
    ret

/* Failures before the console exists: say why on the UART (PA) and stop. */
early_tables_exhausted:
    adr     x0, msg_tables
    b       early_fatal
not_cpu0:
    adr     x0, msg_not_cpu0
    b       early_fatal
entered_at_el3:
    adr     x0, msg_el3
early_fatal:
    ldr     x1, =PL011_PHYS
1:  ldrb    w2, [x0], #1
    cbz     w2, park
2:  ldr     w3, [x1, #PL011_FR]
    tbnz    w3, #PL011_FR_TXFF_BIT, 2b
    str     w2, [x1, #PL011_DR]
    b       1b
park:
    wfe
    b       park

    .ltorg
msg_tables:
    .ascii  "\r\nduet: boot.S ran out of early page tables"
    .asciz  " (EARLY_TABLES, arch/aarch64/early_map.h)\r\n"
msg_el3:
    .asciz  "\r\nduet: entered at EL3; Duet must be started at EL2 or EL1\r\n"
msg_not_cpu0:
    .asciz  "\r\nduet: this CPU's MPIDR affinity is not 0, so it stops here: Duet runs on the CPU with affinity 0 only\r\n"

/*
 * aarch64_switch_ttbr1(x0 = the kernel's new root, x1 = an all-invalid
 * level-0 table): kmap_init's switch from boot.S's tables to its own
 * (arch_mmu_set_kernel_root in mmu.c). The same kernel addresses change
 * from 2 MiB blocks to 4 KiB pages, and TLB entries of both sizes for one
 * address may give a TLB conflict abort (Arm ARM DDI 0487, D8 "TLB
 * conflict aborts" and "Using break-before-make when updating translation
 * table entries"). So the whole upper half is broken first: TTBR1 points
 * at the empty table, every cached entry is invalidated, and only then
 * are the new tables made live. Nothing in the upper half is mapped in
 * between, so this runs from TTBR0 (mmu.c maps this code there, VA == PA)
 * and touches no memory: no stack, no data, exceptions masked.
 * Clobbers x2; returns to x30 with the new tables live.
 */
    .section .boot.text, "ax"
    .balign 4
    .globl  aarch64_switch_ttbr1
aarch64_switch_ttbr1:
    mrs     x2, daif
    msr     daifset, #0xf
    dsb     ishst                           // the new tables reach the walker
    msr     ttbr1_el1, x1                   // break: nothing mapped above
    isb
    tlbi    vmalle1is                       // forget every old translation
    dsb     ish
    isb
    msr     ttbr1_el1, x0                   // make: the kernel's own tables
    isb
    msr     daif, x2
    ret

/* Its address for C, which cannot reach .boot.text with ADRP from the higher half. */
    .section .rodata, "a"
    .balign 8
    .globl  aarch64_switch_ttbr1_pa
aarch64_switch_ttbr1_pa:
    .quad   aarch64_switch_ttbr1

/* --- the higher half: the MMU is on, this runs at its linked address --- */
    .text
    .balign 4
higher_half:
    adrp    x0, __boot_stack_top
    add     x0, x0, :lo12:__boot_stack_top
    mov     sp, x0
    adrp    x0, aarch64_vectors
    add     x0, x0, :lo12:aarch64_vectors
    msr     vbar_el1, x0                    // faults from here on are reported
    isb
    mov     x29, xzr                        // the outermost frame: backtraces stop here
    mov     x30, xzr
    mov     x0, x19
    bl      aarch64_main
1:  wfi
    b       1b

    .bss
    .balign 8
    .globl  aarch64_boot_el
aarch64_boot_el:
    .skip   8

/* The early table pool: EARLY_TABLES pages, sized in early_map.h and
 * checked against the linked image in kernel.lds.S. Zeroed with .bss;
 * unused once kmap_init has switched to the kernel's final tables, then
 * given to the buddy allocator (physmem.c). */
    .section .boot_tables, "aw", %nobits
    .balign PAGE_SIZE
    .globl  __early_tables_start, __early_tables_end
__early_tables_start:
    .skip   EARLY_TABLES * PAGE_SIZE
__early_tables_end:
/* Four more for the switch to the kernel's tables (mmu.c): the empty
 * level-0 table, and a level-0, 1 and 2 table mapping
 * aarch64_switch_ttbr1 in TTBR0. Freed with the pool. */
    .globl  aarch64_switch_tables
aarch64_switch_tables:
    .skip   AARCH64_SWITCH_TABLES * PAGE_SIZE
/* Level-3 tables for the early PMO's 2 MiB blocks that are RAM only in
 * part (entry.c, early_map_ram). Freed with the pool. */
    .globl  aarch64_edge_tables
aarch64_edge_tables:
    .skip   AARCH64_EDGE_TABLES * PAGE_SIZE
