/*
 * The kernel threads' context switch (include/duet/arch.h). A thread's
 * saved context is its stack pointer; below it on its stack lie the
 * registers the System V ABI says a call preserves (rbx, rbp, r12-r15)
 * and, above those, the address arch_context_switch returns to:
 *
 *     sp + 48   return address   (for a new thread: thread_trampoline)
 *     sp + 40   rbp              (0: a backtrace stops here)
 *     sp + 32   rbx
 *     sp + 24   r12              (new thread: entry)
 *     sp + 16   r13              (new thread: arg)
 *     sp +  8   r14
 *     sp +  0   r15
 *
 * The direction flag is clear at every call by the ABI, and RFLAGS.IF is
 * the same on both sides (interrupts are masked around every switch), so
 * RFLAGS is not saved.
 */
#define SWITCH_FRAME_WORDS 7 /* six registers and the return address */

    .text
    .globl arch_context_switch
    .type arch_context_switch, @function
arch_context_switch:                    /* (struct arch_context *from, *to) */
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)                   /* from->sp */
    movq (%rsi), %rsp                   /* to->sp: now on the other thread's stack */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size arch_context_switch, . - arch_context_switch

/*
 * Where a new thread's first switch returns to, with rsp 16-byte aligned
 * (arch_context_init leaves room for that): call entry(arg), which never
 * returns.
 */
    .type thread_trampoline, @function
thread_trampoline:
    movq %r13, %rdi
    callq *%r12
    ud2
    .size thread_trampoline, . - thread_trampoline

/*
 * arch_context_init(ctx, stack_top, entry, arg): the frame above, built so
 * that after the switch's `ret` rsp = stack_top - 16, 16-byte aligned as
 * the ABI wants before thread_trampoline's call. The 16 bytes above it
 * stay zero.
 */
    .globl arch_context_init
    .type arch_context_init, @function
arch_context_init:
    leaq -(SWITCH_FRAME_WORDS * 8 + 16)(%rsi), %rax
    movq $0, 0(%rax)                    /* r15 */
    movq $0, 8(%rax)                    /* r14 */
    movq %rcx, 16(%rax)                 /* r13 = arg */
    movq %rdx, 24(%rax)                 /* r12 = entry */
    movq $0, 32(%rax)                   /* rbx */
    movq $0, 40(%rax)                   /* rbp */
    leaq thread_trampoline(%rip), %rdx
    movq %rdx, 48(%rax)
    movq $0, 56(%rax)
    movq $0, 64(%rax)
    movq %rax, (%rdi)
    ret
    .size arch_context_init, . - arch_context_init

/*
 * arch_callee_saved_check(fn): bit 0 rbx, 1 r12, 2 r13, 3 r14, 4 r15,
 * 5 rbp (checked against the frame it points at, since rbp is this
 * function's frame pointer).
 */
    .globl arch_callee_saved_check
    .type arch_callee_saved_check, @function
arch_callee_saved_check:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp                       /* rsp 16-byte aligned for the call */
    movabsq $0xb0b0b0b0b0b0b0b0, %rbx
    movabsq $0x1212121212121212, %r12
    movabsq $0x1313131313131313, %r13
    movabsq $0x1414141414141414, %r14
    movabsq $0x1515151515151515, %r15
    callq *%rdi
    xorl %eax, %eax
    movabsq $0xb0b0b0b0b0b0b0b0, %rcx
    cmpq %rcx, %rbx
    je 1f
    orq $0x01, %rax
1:  movabsq $0x1212121212121212, %rcx
    cmpq %rcx, %r12
    je 1f
    orq $0x02, %rax
1:  movabsq $0x1313131313131313, %rcx
    cmpq %rcx, %r13
    je 1f
    orq $0x04, %rax
1:  movabsq $0x1414141414141414, %rcx
    cmpq %rcx, %r14
    je 1f
    orq $0x08, %rax
1:  movabsq $0x1515151515151515, %rcx
    cmpq %rcx, %r15
    je 1f
    orq $0x10, %rax
1:  leaq 48(%rsp), %rcx                 /* where rbp pointed: 5 pushes and the pad above rsp */
    cmpq %rcx, %rbp
    je 1f
    orq $0x20, %rax
1:  addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size arch_callee_saved_check, . - arch_callee_saved_check
