/*
 * Entry stubs for every vector: 0..31 the exceptions, 32..255 interrupts
 * (interrupts.c). The CPU pushes an error code for some exceptions only
 * (SDM Vol. 3A 6.13); the others push a 0, so every trap frame has the
 * same shape (struct trap_frame in trap.h):
 *   r15 .. rax, vector, error code, rip, cs, rflags, rsp, ss
 */
#include <arch/layout.h>
#include "gdt.h"
#include "trap.h"

#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)
#define IDT_VECTORS 256

    .text
    .macro trap_stub vector
    .balign 16
trap_stub_\vector:
    .if !HAS_ERROR_CODE(\vector)
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
    .endm

    .altmacro
    .set v, 0
    .rept IDT_VECTORS
    trap_stub %v
    .set v, v + 1
    .endr

trap_common:
    /*
     * The kernel's flags, whatever the interrupted code left: an interrupt
     * gate clears IF, TF, NT and RF (SDM Vol. 3A 6.12.1.3) but not DF or
     * AC. A user program may set both: DF=1 would run the kernel's string
     * instructions backwards (the C ABI promises DF=0 at every call), and
     * AC=1 turns SMAP off. popfq at CPL 0 sets them all; iretq gives the
     * interrupted code its own flags back from the frame.
     */
    pushq $0x2                          /* only the always-one bit */
    popfq
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    /* A frame record {rbp, rip} so backtraces continue into the faulting code. */
    pushq 17 * 8(%rsp)
    pushq %rbp
    movq %rsp, %rbp
    call x86_trap
    addq $16, %rsp
trap_exit:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      /* vector and error code */
    iretq

/*
 * `syscall` from user mode (LSTAR points here; user.c). The CPU saved the
 * user's rip in rcx and rflags in r11, masked IF (FMASK), and changed
 * nothing else: rsp is still the user's. Switch to the kernel stack and
 * build the frame an interrupt from user mode would have pushed, so system
 * calls share trap_common and return through iretq. (iretq rather than
 * sysret: slower, but it restores everything from the frame and has no
 * corner case with a non-canonical return address.) One CPU: plain
 * variables hold the two stack pointers.
 */
    .globl x86_syscall_entry
x86_syscall_entry:
    movq %rsp, x86_user_rsp(%rip)
    movq x86_kernel_rsp(%rip), %rsp
    pushq $(GDT_USER_DATA | 3)          /* ss */
    pushq x86_user_rsp(%rip)            /* rsp */
    pushq %r11                          /* rflags */
    pushq $(GDT_USER_CODE | 3)          /* cs */
    pushq %rcx                          /* rip */
    pushq $0                            /* error code */
    pushq $X86_SYSCALL_VECTOR
    jmp trap_common

/*
 * arch_user_enter(uintptr_t kstack_top, const struct user_entry *e): ring
 * 3 at e->pc with e->sp, rdi = e->arg0, rsi = e->arg1, every other
 * register zero, IF set: interrupts come while the program runs (the
 * tick, the console). The frame trap_exit pops is built at kstack_top,
 * where every later entry from ring 3 saves its own (TSS.rsp0 and the
 * syscall stack point there).
 */
    .globl arch_user_enter
arch_user_enter:
    cli                                 /* until iretq: the frame is being built */
    movq %rdi, %rsp
    movq %rsi, %rbx
    call arch_set_kernel_stack          /* rdi is still kstack_top */
    pushq $(GDT_USER_DATA | 3)          /* ss */
    pushq 8(%rbx)                       /* rsp */
    pushq $0x202                        /* rflags: IF and the always-one bit */
    pushq $(GDT_USER_CODE | 3)          /* cs */
    pushq 0(%rbx)                       /* rip */
    pushq $0                            /* error code */
    pushq $0                            /* vector */
    xorl %eax, %eax
    pushq %rax                          /* rax */
    pushq %rax                          /* rbx */
    pushq %rax                          /* rcx */
    pushq %rax                          /* rdx */
    pushq 24(%rbx)                      /* rsi: arg1 */
    pushq 16(%rbx)                      /* rdi: arg0 */
    .rept 9                             /* rbp, r8 .. r15 */
    pushq %rax
    .endr
    jmp trap_exit

/* arch_user_resume(uintptr_t kstack_top): ring 3 with the frame at the top. */
    .globl arch_user_resume
arch_user_resume:
    cli
    leaq -ARCH_USER_FRAME_SIZE(%rdi), %rsp
    jmp trap_exit

    .bss
    .balign 8
    .globl x86_kernel_rsp
x86_kernel_rsp: .skip 8
x86_user_rsp:   .skip 8

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    .macro stub_address vector
    .quad trap_stub_\vector
    .endm
    .set v, 0
    .rept IDT_VECTORS
    stub_address %v
    .set v, v + 1
    .endr
