/*
 * Pieces shared by both arches' linker scripts (arch/<arch>/kernel.lds.S).
 *
 * The image: a small identity-mapped .boot segment at KERNEL_LOAD_PHYS
 * (VA == PA, so firmware can jump to it with paging off), then the
 * higher-half kernel 2 MiB further up. The 2 MiB page between them is
 * left out of the kernel mapping: it is the guard below the boot stack,
 * which is the first thing in the higher half.
 */
/* Linker-script syntax, not C: */
/* clang-format off */
#ifndef DUET_KERNEL_LDS_H
#define DUET_KERNEL_LDS_H

#include <duet/layout.h>
#include <arch/layout.h>

/* Load address of a higher-half section. */
#define KERNEL_LMA(sec) (ADDR(sec) - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE)

/* Tables the generic code walks, collected from every object file. */
#define KERNEL_RODATA_TABLES                                                \
    . = ALIGN(8);                                                           \
    __ktest_suites_start = .;                                               \
    KEEP(*(.ktest_suites))                                                  \
    __ktest_suites_end = .;                                                 \
    . = ALIGN(8);                                                           \
    __monitor_cmds_start = .;                                               \
    KEEP(*(.monitor_cmds))                                                  \
    __monitor_cmds_end = .;                                                 \
    . = ALIGN(8);                                                           \
    *(.rodata.ksyms)

#define KERNEL_DISCARDS                                                     \
    /DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame*) *(.interp) }

#endif
