/*
 * AArch64 pieces of the fault programs (user/programs/fault_*.c), so that
 * the programs themselves stay arch-neutral.
 */
    .text

/* SCTLR_EL1 is readable at EL1 and above only: at EL0 the MRS is an
 * undefined instruction (Arm ARM D13.2, SCTLR_EL1 accessibility). */
    .globl arch_privileged_instruction
    .type arch_privileged_instruction, %function
arch_privileged_instruction:
    mrs x0, sctlr_el1
    ret
    .size arch_privileged_instruction, . - arch_privileged_instruction

/* Code that is position-independent and harmless wherever it is copied. */
    .globl arch_return_only, arch_return_only_end
    .type arch_return_only, %function
arch_return_only:
    ret
arch_return_only_end:
    .size arch_return_only, . - arch_return_only

    .section .note.GNU-stack, "", %progbits
