/*
 * arch_setjmp / arch_longjmp (include/duet/arch.h). struct arch_jmp_buf
 * holds the registers the System V ABI says a call preserves (rbx, rbp,
 * r12-r15), the stack pointer as it is after arch_setjmp returns, the
 * address it returns to, and RFLAGS, whose IF arch_longjmp restores.
 */
#define RFLAGS_IF 0x200

    .text
    .globl arch_setjmp
    .type arch_setjmp, @function
arch_setjmp:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rdx                  /* the caller's rsp, past our return address */
    movq %rdx, 48(%rdi)
    movq (%rsp), %rdx
    movq %rdx, 56(%rdi)
    pushfq
    popq %rdx
    movq %rdx, 64(%rdi)
    xorl %eax, %eax
    ret
    .size arch_setjmp, . - arch_setjmp

    .globl arch_longjmp
    .type arch_longjmp, @function
arch_longjmp:
    movl %esi, %eax
    testl %eax, %eax
    jnz 1f
    movl $1, %eax                       /* arch_setjmp must not seem to return 0 twice */
1:  movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    /* Interrupts as they were at arch_setjmp: a jump out of a trap (a
     * user program's exit, a fault a test expected) comes from code that
     * runs masked, and must not leave the kernel so. */
    testl $RFLAGS_IF, 64(%rdi)
    jz 2f
    sti                                 /* taken only after the jump (its shadow) */
    jmpq *56(%rdi)
2:  cli
    jmpq *56(%rdi)
    .size arch_longjmp, . - arch_longjmp
