/* GDT selectors and IST slots, shared by gdt.c, idt.c and the user-mode code. */
#ifndef X86_64_GDT_H
#define X86_64_GDT_H

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x18 /* used with RPL 3 */
#define GDT_USER_CODE   0x20 /* used with RPL 3 */
#define GDT_TSS         0x28 /* two slots */
#define GDT_ENTRIES     7

#define IST_DOUBLE_FAULT 1

#endif
