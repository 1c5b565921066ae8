/*
 * x86_64 entry to C in the higher half, from GRUB2 (Multiboot2) or from a
 * loader that follows the PVH direct boot ABI (QEMU's -kernel: pvh.h).
 *
 * GRUB enters _start in 32-bit protected mode, paging off, with
 * EAX = 0x36d76289 and EBX = physical address of the Multiboot2 info
 * (Multiboot2 spec 3.3, "I386 machine state"). A PVH loader enters
 * pvh_start in the same mode with EBX = physical address of the start
 * info; pvh_start joins _start with EAX = 0x336ec578. This file:
 *   1. checks the magic and that the CPU has long mode and NX,
 *   2. zeroes .bss and builds the early page tables (below),
 *   3. enables PAE and PGE, EFER.LME and EFER.NXE, paging and WP,
 *   4. far-jumps to 64-bit code, then to the higher half, and calls
 *      x86_64_main(magic, info) on the boot stack.
 *
 * Early page tables (all 2 MiB pages, docs/boot.md draws them):
 *   PML4[0]   -> pdpt_ident[0]   -> pd_ident:  VA = PA for .boot to the image's end (the switch only)
 *   PML4[256] -> pdpt_pmo[0]     -> pd_pmo:    PHYS_OFFSET + PA, NX, global: the first 2 MiB
 *                                             in 4 KiB pages (pt_pmo_low) less the legacy
 *                                             window 0xa0000-0xfffff, the image, the Multiboot2
 *                                             block; mmu.c adds the first GiB's other RAM
 *   PML4[511] -> pdpt_kernel[510]-> pd_kernel: KERNEL_VIRT_BASE + PA for the image, global
 * pd_kernel maps only [KERNEL_IMAGE_PHYS, __kernel_end): the 2 MiB page
 * below the image stays unmapped and guards the boot stack.
 */
#include <duet/arch.h>
#include <duet/layout.h>
#include <duet/panic.h>

#define PHYS(sym)           ((sym) - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE)

#define MB2_HEADER_MAGIC    0xe85250d6  /* Multiboot2 spec 3.1.1 */
#define MB2_ARCH_I386       0
#define MB2_BOOT_MAGIC      0x36d76289  /* in EAX when a Multiboot2 loader jumps here */
#define XEN_ELFNOTE_PHYS32_ENTRY 18     /* pvh.h */
#define HVM_START_MAGIC     0x336ec578  /* pvh.h; in EAX when pvh_start jumps here */

#define DEBUG_EXIT_PORT     0xf4        /* QEMU isa-debug-exit, see cpu.c */
#define EARLY_FAIL_STATUS   (QEMU_EXIT_STATUS_BIAS + PANIC_EXIT_STATUS)
#define COM1                0x3f8
#define COM1_LSR            (COM1 + 5)
#define LSR_THR_EMPTY       0x20

#define PTE_P               0x001
#define PTE_RW              0x002
#define PTE_PS              0x080
#define PTE_G               0x100
#define PTE_NX_HIGH         0x80000000  /* bit 63, in the upper dword */
#define PAGE_2M             0x200000
#define LEGACY_HOLE_START   0xa0000     /* VGA window, option and BIOS ROMs: */
#define LEGACY_HOLE_END     0x100000    /* not RAM on any PC */
#define ROM_AREA_START      0xc0000     /* its ROMs: option ROMs, the BIOS (x86_64.h) */

/* PG, WP, and EM: no x87, MMX or SSE instruction runs, in the kernel or
 * in user mode (#NM or #UD, SDM Vol. 3A 2.5 and 13.1). Nothing saves that
 * state between processes, so no process may have any: one could read
 * another's registers. CR4.OSFXSR stays clear too. */
#define CR0_PG_WP_EM        0x80010004
#define CR4_PAE_PGE         0x000000a0
#define MSR_EFER            0xc0000080
#define EFER_LME_NXE        0x00000900
#define CPUID_EXT_LM        (1 << 29)   /* CPUID 0x80000001 EDX */
#define CPUID_EXT_NX        (1 << 20)

/* ---------------------------------------------------------------------- */
    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .balign 8                           /* end tag: type 0, size 8 */
    .short 0
    .short 0
    .long 8
mb2_header_end:

/*
 * The PVH entry (pvh.h): QEMU's -kernel, with no boot loader, finds this
 * note and enters pvh_start. QEMU reads the entry as a 64-bit value in a
 * 64-bit ELF, and finds the value after the name aligned to the note
 * segment's alignment: 4 (the ELF gABI's note layout), hence .quad and
 * .balign 4. Without a Multiboot 1 header here, which QEMU's -kernel would
 * prefer to this note.
 */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                             /* namesz: "Xen" and its NUL */
    .long 8                             /* descsz */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad pvh_start

/* ---------------------------------------------------------------------- */
    .section .boot.text, "ax"
    .code32
/*
 * The PVH ABI defines CS, DS and ES only (flat 32-bit segments): load
 * boot.S's own GDT and a stack segment before anything uses the stack.
 */
    .globl pvh_start
pvh_start:
    cli
    lgdt boot_gdt_ptr
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $HVM_START_MAGIC, %eax
    /* fall through, EBX untouched */

    .globl _start
_start:
    cli
    cld
    movl $PHYS(__boot_stack_top), %esp
    movl %eax, %edi                     /* keep magic and info for C */
    movl %ebx, %esi

    cmpl $MB2_BOOT_MAGIC, %eax
    je 5f
    cmpl $HVM_START_MAGIC, %eax
    jne 1f
5:

    /* Long mode and NX: CPUID 0x80000001 EDX (SDM Vol. 2A, CPUID). */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb 2f
    movl $0x80000001, %eax
    cpuid
    testl $CPUID_EXT_LM, %edx
    jz 2f
    testl $CPUID_EXT_NX, %edx
    jz 3f

    /* Zero .bss: the loader should, but the tables must start empty. */
    pushl %edi
    movl $PHYS(__bss_start), %edi
    movl $PHYS(__bss_end), %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl
    popl %edi

    call build_early_tables

    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $CR4_PAE_PGE, %eax
    movl %eax, %cr4
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME_NXE, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG_WP_EM, %eax
    movl %eax, %cr0                     /* now in IA-32e compatibility mode */

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode_entry

1:  movl $msg_not_multiboot2, %ebx
    jmp early_fail
2:  movl $msg_no_long_mode, %ebx
    jmp early_fail
3:  movl $msg_no_nx, %ebx
    jmp early_fail

/*
 * Fill the early tables. pd_*: 512 entries of 2 MiB each, so one PD maps
 * exactly 1 GiB; entry i maps PA i * 2 MiB.
 */
build_early_tables:
    /* PML4 and PDPT entries: table address | present | writable. */
    movl $PHYS(pdpt_ident) + PTE_P + PTE_RW, PHYS(boot_pml4) + 0 * 8
    movl $PHYS(pdpt_pmo) + PTE_P + PTE_RW, PHYS(boot_pml4) + 256 * 8
    movl $PHYS(pdpt_kernel) + PTE_P + PTE_RW, PHYS(boot_pml4) + 511 * 8
    movl $PHYS(pd_ident) + PTE_P + PTE_RW, PHYS(pdpt_ident) + 0 * 8
    movl $PHYS(pd_pmo) + PTE_P + PTE_RW, PHYS(pdpt_pmo) + 0 * 8
    movl $PHYS(pd_kernel) + PTE_P + PTE_RW, PHYS(pdpt_kernel) + 510 * 8

    /*
     * PMO: only what is RAM for certain before C reads the memory map.
     * A write-back mapping lets the CPU read speculatively, so it must not
     * cover absent memory or I/O (SDM Vol. 3A 11.3: only UC memory is
     * never read speculatively; the MTRRs' types are the firmware's).
     *
     * The first 2 MiB in 4 KiB pages (pt_pmo_low), less the legacy window
     * 0xa0000-0xfffff, VGA memory and ROMs, never RAM: a 2 MiB page there
     * would also span the fixed-range MTRRs' different memory types,
     * which the SDM leaves undefined (Vol. 3A 11.11.9, "Large Page Size
     * Considerations"; Linux maps the first 2 MiB with 4 KiB pages too).
     */
    movl $PHYS(pt_pmo_low) + PTE_P + PTE_RW, PHYS(pd_pmo)
    xorl %ecx, %ecx
1:  cmpl $(LEGACY_HOLE_START >> 12), %ecx
    jb 2f
    cmpl $(LEGACY_HOLE_END >> 12), %ecx
    jae 2f
    /*
     * In the window, a PVH boot maps its ROM area too, 0xc0000-0xfffff:
     * a PVH loader may leave its start info and command line there (QEMU's
     * qboot does), and it holds the option ROMs and the BIOS or the RAM
     * shadowing them, never device memory (VGA's is 0xa0000-0xbffff);
     * each 4 KiB page lies within one fixed-range MTRR range
     * (MTRRfix4K_C0000..F8000, SDM Vol. 3A 11.11.2.2).
     */
    cmpl $(ROM_AREA_START >> 12), %ecx
    jb 4f
    cmpl $HVM_START_MAGIC, %edi
    jne 4f
2:  movl %ecx, %eax
    shll $12, %eax
    orl $PTE_P + PTE_RW + PTE_G, %eax
    movl %eax, PHYS(pt_pmo_low)(, %ecx, 8)
    movl $PTE_NX_HIGH, PHYS(pt_pmo_low) + 4(, %ecx, 8)
4:  incl %ecx
    cmpl $512, %ecx
    jb 1b

    /* The image's 2 MiB pages (the boot stack, .bss, these tables). */
    movl $(KERNEL_IMAGE_PHYS >> 21), %ecx
    movl $(PHYS(__kernel_end) + PAGE_2M - 1), %edx
    shrl $21, %edx
    call pmo_blocks

    /*
     * The Multiboot2 block's (ESI), [info, info + total_size) inside the
     * first GiB; x86_64_main refuses a block outside it. The rest of the
     * GiB's RAM is x86_64_early_map_ram's (mmu.c), once C has read the
     * memory map from this block. A PVH start info (EDI = its magic) has
     * no size to read here: pvh_parse reads only below the legacy window,
     * which pt_pmo_low maps.
     */
    cmpl $MB2_BOOT_MAGIC, %edi
    jne 5f
    testl %esi, %esi
    jz 5f
    cmpl $EARLY_PMO_SIZE, %esi
    jae 5f
    movl (%esi), %edx                   /* total_size */
    addl %esi, %edx
    jc 6f
    cmpl $EARLY_PMO_SIZE, %edx
    jbe 7f
6:  movl $EARLY_PMO_SIZE, %edx
7:  addl $PAGE_2M - 1, %edx
    shrl $21, %edx
    movl %esi, %ecx
    shrl $21, %ecx
    call pmo_blocks
5:
    /*
     * Identity: only what runs or is read at its physical address while
     * paging comes on, .boot up to the image's end (its boot stack), not
     * the first GiB: nothing else needs it, and the 2 MiB page at 0 holds
     * the legacy VGA window, memory-mapped I/O.
     */
    movl $__boot_start, %ecx
    shrl $21, %ecx
    movl $(PHYS(__kernel_end) + PAGE_2M - 1), %edx
    shrl $21, %edx
3:  movl %ecx, %eax
    shll $21, %eax
    orl $PTE_P + PTE_RW + PTE_PS, %eax
    movl %eax, PHYS(pd_ident)(, %ecx, 8)
    incl %ecx
    cmpl %edx, %ecx
    jb 3b

    /* Kernel image: from KERNEL_IMAGE_PHYS up to the 2 MiB page holding its end. */
    movl $(KERNEL_IMAGE_PHYS >> 21), %ecx
    movl $(PHYS(__kernel_end) + PAGE_2M - 1), %edx
    shrl $21, %edx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $PTE_P + PTE_RW + PTE_PS + PTE_G, %eax
    movl %eax, PHYS(pd_kernel)(, %ecx, 8)
    incl %ecx
    cmpl %edx, %ecx
    jb 2b
    ret

/*
 * pmo_blocks: pd_pmo[i] = a 2 MiB PMO page, global and NX, for i in
 * [ECX, EDX), except i = 0 (pt_pmo_low's). Clobbers EAX, ECX.
 */
pmo_blocks:
    testl %ecx, %ecx
    jnz 1f
    incl %ecx
1:  cmpl %edx, %ecx
    jae 2f
    movl %ecx, %eax
    shll $21, %eax
    orl $PTE_P + PTE_RW + PTE_PS + PTE_G, %eax
    movl %eax, PHYS(pd_pmo)(, %ecx, 8)
    movl $PTE_NX_HIGH, PHYS(pd_pmo) + 4(, %ecx, 8)
    incl %ecx
    jmp 1b
2:  ret

/*
 * Print the message at %ebx on COM1 and stop: under QEMU by powering off
 * with the panic status (as arch_poweroff does), elsewhere by halting. The
 * UART works without setup under QEMU and most firmware leaves it
 * initialised; this is best effort.
 */
early_fail:
1:  movb (%ebx), %al
    testb %al, %al
    jz 3f
    movl $COM1_LSR, %edx
    movb %al, %ah
2:  inb %dx, %al
    testb $LSR_THR_EMPTY, %al
    jz 2b
    movb %ah, %al
    movl $COM1, %edx
    outb %al, %dx
    incl %ebx
    jmp 1b
3:  movl $EARLY_FAIL_STATUS, %eax
    movl $DEBUG_EXIT_PORT, %edx
    outl %eax, %dx
4:  cli
    hlt
    jmp 4b

    .code64
long_mode_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $higher_half_entry, %rax
    jmp *%rax

/* ---------------------------------------------------------------------- */
    .section .boot.data, "aw"
    .balign 16
boot_gdt:                               /* replaced by the real GDT in gdt.c */
    .quad 0
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit kernel code */
    .quad 0x00cf92000000ffff            /* 0x10: kernel data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .boot.text, "ax"
msg_not_multiboot2:
    .asciz "Duet: not started by a Multiboot2 loader (EAX is not 0x36d76289) nor through the PVH entry.\r\nBoot build/x86_64/duet.iso (make ARCH=x86_64 run), or duet.elf with QEMU's -kernel (make ARCH=x86_64 run BOOT=direct).\r\n"
msg_no_long_mode:
    .asciz "Duet: this CPU has no 64-bit long mode; Duet needs an x86_64 CPU.\r\n"
msg_no_nx:
    .asciz "Duet: this CPU has no NX (execute-disable) bit; Duet needs it for W^X.\r\n"

/* ---------------------------------------------------------------------- */
    .text
higher_half_entry:
    movabsq $__boot_stack_top, %rsp
    xorl %ebp, %ebp                     /* ends the backtrace chain */
    /* x86_64_main(magic in %edi, info PA in %esi): upper halves are zero. */
    call x86_64_main
1:  cli
    hlt
    jmp 1b

/* ---------------------------------------------------------------------- */
/* The early tables: zeroed with .bss, unused once kmap_init has switched to
 * the kernel's final tables, then given to the buddy allocator (physmem.c). */
    .section .boot_tables, "aw", @nobits
    .balign 4096
    .globl boot_pml4
boot_pml4:      .skip 4096
pdpt_ident:     .skip 4096
pdpt_pmo:       .skip 4096
pdpt_kernel:    .skip 4096
pd_ident:       .skip 4096
    .globl pd_pmo, x86_edge_tables, x86_edge_tables_end
pd_pmo:         .skip 4096
pd_kernel:      .skip 4096
pt_pmo_low:     .skip 4096
/* Page tables for the early PMO's 2 MiB pages that are RAM only in part
 * (mmu.c, x86_64_early_map_ram). Freed with the rest. */
x86_edge_tables: .skip 4 * 4096
x86_edge_tables_end:
