/*
 * The AArch64 kernel's linker script (preprocessed by arch.mk into
 * build/<arch>/kernel.lds). The image, by physical address:
 *
 *   0x4000_0000  RAM starts; QEMU puts the DTB here
 *   0x4020_0000  .boot: boot.S's MMU-off code, linked at VA == PA
 *   0x4040_0000  the higher half, linked at KERNEL_VIRT_BASE + (PA - 0x4000_0000):
 *                boot stack, .text, .rodata, .data, .bss
 *
 * The 2 MiB at VA 0xFFFF_FFFF_8020_0000 (the alias of .boot) is never
 * mapped: it is the guard below the boot stack. Each output section is
 * page aligned so a later issue can map them with their own permissions,
 * and sits in an ELF segment with matching flags.
 */
#include <duet/kernel.lds.h>
#include "early_map.h"

OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)
ENTRY(_start)

PHDRS
{
    boot    PT_LOAD FLAGS(5);   /* R-X */
    stack   PT_LOAD FLAGS(6);   /* RW-, no file contents */
    text    PT_LOAD FLAGS(5);   /* R-X */
    rodata  PT_LOAD FLAGS(4);   /* R-- */
    data    PT_LOAD FLAGS(6);   /* RW- */
}

SECTIONS
{
    . = KERNEL_LOAD_PHYS;
    __boot_start = .;
    /* Code and its constants only: what boot.S writes before the MMU is
     * on (.bss, the tables) it writes through the higher half's PAs. */
    .boot : {
        KEEP(*(.boot.text))
    } :boot
    . = ALIGN(PAGE_SIZE);
    __boot_end = .;

    . = KIMAGE_VA;
    .boot_stack (NOLOAD) : AT(KERNEL_LMA(.boot_stack)) {
        __kernel_start = .;
        __boot_stack_bottom = .;
        . += BOOT_STACK_SIZE;
        __boot_stack_top = .;
    } :stack

    . = ALIGN(PAGE_SIZE);
    .text : AT(KERNEL_LMA(.text)) {
        __text_start = .;
        *(.text .text.*)
        . = ALIGN(PAGE_SIZE);
        __text_end = .;
    } :text

    .rodata : AT(KERNEL_LMA(.rodata)) {
        __rodata_start = .;
        *(.rodata .rodata.* .data.rel.ro .data.rel.ro.*)
        KERNEL_RODATA_TABLES
        . = ALIGN(PAGE_SIZE);
        __rodata_end = .;
    } :rodata

    .data : AT(KERNEL_LMA(.data)) {
        __data_start = .;
        *(.data .data.*)
        *(.got .got.plt)
        . = ALIGN(PAGE_SIZE);
        __data_end = .;
    } :data

    .bss (NOLOAD) : AT(KERNEL_LMA(.bss)) {
        __bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(PAGE_SIZE);
        /* Last, so the kernel's final mapping can leave them out (kmap.c). */
        __boot_tables_start = .;
        *(.boot_tables)
        . = ALIGN(PAGE_SIZE);
        __boot_tables_end = .;
        __bss_end = .;
    } :data

    . = ALIGN(PAGE_SIZE);
    __kernel_end = .;

    KERNEL_DISCARDS
}

/* --- link-time checks --------------------------------------------------------- */
ASSERT(__boot_end <= KERNEL_IMAGE_PHYS, ".boot overflows into the higher-half image")
ASSERT(__kernel_start == KIMAGE_VA, "the higher half must start at KERNEL_IMAGE_PHYS's alias")
/* vectors.S's overflow check: SPs inside the boot stack have bit BOOT_STACK_SHIFT clear. */
ASSERT(__boot_stack_bottom % (2 * BOOT_STACK_SIZE) == 0,
       "the boot stack must start on a boundary of twice its size")
ASSERT(__kernel_end - __kernel_start <= EARLY_KIMAGE_MAX,
       "the kernel image is larger than boot.S's early mapping (EARLY_KIMAGE_MAX, early_map.h)")
ASSERT(__kernel_end - KIMAGE_VA_PA_DELTA <= EARLY_PMO_PHYS + EARLY_PMO_SIZE,
       "the kernel image must end inside the early PMO's GiB of RAM")
/* The early table pool must hold what boot.S maps for this image. */
ASSERT((__early_tables_end - __early_tables_start) / PAGE_SIZE >=
       2 + EARLY_RANGE_TABLES(__boot_start, __kernel_end - KIMAGE_VA_PA_DELTA)
         + EARLY_RANGE_TABLES(EARLY_PMO_START, EARLY_PMO_END)
         + EARLY_RANGE_TABLES(__kernel_start, __kernel_end)
         + EARLY_RANGE_TABLES(EARLY_MMIO_START, EARLY_MMIO_END),
       "boot.S's early page-table pool is too small for this image (EARLY_TABLES, early_map.h)")
ASSERT(__boot_tables_end == __kernel_end, "the early tables must end the image: physmem.c frees them")
