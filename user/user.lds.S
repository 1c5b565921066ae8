/*
 * How every user program is laid out (both arches; mk/user.mk runs this
 * through the C preprocessor for USER_BASE). The kernel's ELF loader
 * (mm/elf.c) accepts exactly this shape:
 *
 *   USER_BASE   text     R-X   _start first, then all code
 *   next page   rodata   R--   strings, constant tables
 *   next page   data     RW-   initialised data, then .bss (zero-filled
 *                              by the loader: file size < memory size)
 *
 * One PT_LOAD per permission, each starting on its own page, so no page
 * is ever both writable and executable. The ELF and program headers are
 * not loaded. Statically linked: no interpreter, no dynamic section.
 */
#include <duet/layout.h>

ENTRY(_start)

PHDRS
{
    text   PT_LOAD FLAGS(5);        /* PF_R | PF_X */
    rodata PT_LOAD FLAGS(4);        /* PF_R */
    data   PT_LOAD FLAGS(6);        /* PF_R | PF_W */
    stack  PT_GNU_STACK FLAGS(6);   /* the stack is not executable */
}

SECTIONS
{
    . = USER_BASE;
    .text : {
        KEEP(*(.text.start))
        *(.text .text.*)
    } :text

    . = ALIGN(PAGE_SIZE);
    .rodata : {
        *(.rodata .rodata.*)
    } :rodata

    . = ALIGN(PAGE_SIZE);
    .data : {
        *(.data .data.*)
    } :data
    .bss : {
        *(.bss .bss.*)
        *(COMMON)
    } :data
    /* The loader starts the heap (brk) at the page after this. */
    _end = .;

    /DISCARD/ : {
        *(.comment) *(.note .note.*) *(.eh_frame*) *(.interp) *(.dynamic)
        *(.dynsym) *(.dynstr) *(.hash) *(.gnu.hash)
    }
}
