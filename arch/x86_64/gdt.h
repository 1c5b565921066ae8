/* GDT selectors and IST slots, shared by gdt.c, idt.c and the user-mode code. */
#ifndef X86_64_GDT_H
#define X86_64_GDT_H

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x18 /* used with RPL 3 */
#define GDT_USER_CODE   0x20 /* used with RPL 3 */
#define GDT_TSS         0x28 /* two slots */
#define GDT_ENTRIES     7

/*
 * Interrupt stack table slots (SDM Vol. 3A 6.14.5): a stack the CPU always
 * switches to, whatever was interrupted. A double fault may come from a
 * broken kernel stack; an NMI or a machine check can arrive right after
 * `syscall`, before the entry code left the user's stack (x86_syscall_entry).
 */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

#endif
