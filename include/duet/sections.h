/*
 * Symbols the linker scripts (arch/<arch>/kernel.lds.S) define for the
 * kernel image's parts, in virtual addresses. The same names on both arches.
 */
#ifndef DUET_SECTIONS_H
#define DUET_SECTIONS_H

extern char __boot_start[], __boot_end[];     /* identity-mapped boot code (PA == VA) */
extern char __kernel_start[], __kernel_end[]; /* the higher-half image */
extern char __boot_stack_bottom[], __boot_stack_top[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
/* boot.S's page tables: the end of .bss, freed after the switch to the final tables. */
extern char __boot_tables_start[], __boot_tables_end[];

#endif
