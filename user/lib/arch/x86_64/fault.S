/*
 * x86_64 pieces of the fault programs (user/programs/fault_*.c), so that
 * the programs themselves stay arch-neutral.
 */
#include <duet/syscall.h>

    .text

/* `hlt` is privileged: at CPL 3 it raises #GP (Intel SDM Vol. 2A, HLT). */
    .globl arch_privileged_instruction
    .type arch_privileged_instruction, @function
arch_privileged_instruction:
    hlt
    ret
    .size arch_privileged_instruction, . - arch_privileged_instruction

/* Code that is position-independent and harmless wherever it is copied. */
    .globl arch_return_only, arch_return_only_end
    .type arch_return_only, @function
arch_return_only:
    ret
arch_return_only_end:
    .size arch_return_only, . - arch_return_only

/* DF, NT and AC: what ring 3 may set with popfq that matters to the kernel
 * (SDM Vol. 1 3.4.3: IOPL and IF stay as they are at CPL 3). */
#define ODD_FLAGS ((1 << 10) | (1 << 14) | (1 << 18))

    .globl arch_write_with_odd_flags
    .type arch_write_with_odd_flags, @function
arch_write_with_odd_flags:
    pushfq
    orq $ODD_FLAGS, (%rsp)
    popfq
    movq %rsi, %rdx                     /* len */
    movq %rdi, %rsi                     /* msg */
    movl $1, %edi                       /* fd */
    movl $SYS_write, %eax
    syscall
    pushfq
    andq $~ODD_FLAGS, (%rsp)
    popfq
    ret
    .size arch_write_with_odd_flags, . - arch_write_with_odd_flags

    .globl arch_fault_with_odd_flags
    .type arch_fault_with_odd_flags, @function
arch_fault_with_odd_flags:
    pushfq
    orq $ODD_FLAGS, (%rsp)
    popfq
    movq 0, %rax                        /* a page fault at address 0 */
    ret
    .size arch_fault_with_odd_flags, . - arch_fault_with_odd_flags

/* An x87 instruction: with CR0.EM set it raises #NM at any privilege
 * level (SDM Vol. 3A 2.5), so a program that uses floating point is
 * ended, instead of sharing registers nobody saves with the next one. */
    .globl arch_fp_instruction
    .type arch_fp_instruction, @function
arch_fp_instruction:
    fld1
    fstp %st(0)
    ret
    .size arch_fp_instruction, . - arch_fp_instruction

    .section .note.GNU-stack, "", @progbits
