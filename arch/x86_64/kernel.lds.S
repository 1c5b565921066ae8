/*
 * The x86_64 kernel image. See include/duet/kernel.lds.h for the shape:
 * .boot at PA 2 MiB (VA == PA; GRUB jumps there in 32-bit mode), the
 * higher-half kernel at KERNEL_VIRT_BASE + 4 MiB, loaded at PA 4 MiB.
 */
#include <duet/kernel.lds.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

/* One segment per permission, so the ELF says what each part may do. */
PHDRS
{
    boot   PT_LOAD FLAGS(5);    /* entry code, used with paging off */
    note   PT_NOTE FLAGS(4);    /* the PVH entry (boot.S) */
    bootdata PT_LOAD FLAGS(6);  /* its GDT */
    stack  PT_LOAD FLAGS(6);
    text   PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data   PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = KERNEL_LOAD_PHYS;
    __boot_start = .;
    /* The Multiboot2 header must lie in the first 32 KiB of the file. */
    .boot : {
        KEEP(*(.boot.header))
        *(.boot.text)
        __boot_text_end = .;
    } :boot
    .note.Xen : {
        KEEP(*(.note.Xen))
    } :boot :note
    .boot.data : {
        *(.boot.data)
    } :bootdata
    . = ALIGN(4096);
    __boot_end = .;

    . = KERNEL_VIRT_BASE + KERNEL_IMAGE_PHYS - KERNEL_PHYS_BASE;
    __kernel_start = .;
    /* First in the higher half, so the unmapped 2 MiB below it guards it. */
    .stack (NOLOAD) : AT(KERNEL_LMA(.stack)) {
        __boot_stack_bottom = .;
        . += BOOT_STACK_SIZE;
        __boot_stack_top = .;
    } :stack
    . = ALIGN(4096);
    .text : AT(KERNEL_LMA(.text)) {
        __text_start = .;
        *(.text .text.*)
        __text_end = .;
    } :text
    . = ALIGN(4096);
    .rodata : AT(KERNEL_LMA(.rodata)) {
        __rodata_start = .;
        *(.rodata .rodata.*)
        KERNEL_RODATA_TABLES
        __rodata_end = .;
    } :rodata
    . = ALIGN(4096);
    .data : AT(KERNEL_LMA(.data)) {
        __data_start = .;
        *(.data .data.*)
        __data_end = .;
    } :data
    . = ALIGN(4096);
    .bss (NOLOAD) : AT(KERNEL_LMA(.bss)) {
        __bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(4096);
        /* Last, so the kernel's final mapping can leave them out (kmap.c). */
        __boot_tables_start = .;
        *(.boot_tables)
        . = ALIGN(4096);
        __boot_tables_end = .;
        __bss_end = .;
    } :data
    __kernel_end = .;

    KERNEL_DISCARDS
}

/* boot.S maps the kernel with 2 MiB pages from one page directory (1 GiB). */
ASSERT(__kernel_end - KERNEL_VIRT_BASE <= 0x40000000, "kernel image larger than the early 1 GiB window")
ASSERT(__boot_end <= KERNEL_IMAGE_PHYS, ".boot overlaps the higher-half image")
ASSERT(__boot_tables_end == __kernel_end, "the early tables must end the image: physmem.c frees them")
