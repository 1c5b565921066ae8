/*
 * x86_64 pieces of the fault programs (user/programs/fault_*.c), so that
 * the programs themselves stay arch-neutral.
 */
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

    .section .note.GNU-stack, "", @progbits
