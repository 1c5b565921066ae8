/*
 * AArch64 pieces of the fault programs (user/programs/fault_*.c), so that
 * the programs themselves stay arch-neutral.
 */
#include <duet/syscall.h>

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

/* N, Z, C and V: the PSTATE bits EL0 can always write (Arm ARM C5.2.9,
 * NZCV). The others EL0 may write (DIT, SSBS, TCO) need features the
 * cortex-a72 lacks. */
#define ODD_FLAGS 0xf0000000

    .globl arch_write_with_odd_flags
    .type arch_write_with_odd_flags, %function
arch_write_with_odd_flags:
    mov x2, x1                          /* len */
    mov x1, x0                          /* msg */
    mov x0, #1                          /* fd */
    mov x9, #ODD_FLAGS
    msr nzcv, x9
    mov x8, #SYS_write
    svc #0
    msr nzcv, xzr
    ret
    .size arch_write_with_odd_flags, . - arch_write_with_odd_flags

    .globl arch_fault_with_odd_flags
    .type arch_fault_with_odd_flags, %function
arch_fault_with_odd_flags:
    mov x9, #ODD_FLAGS
    msr nzcv, x9
    mov x10, #0
    ldr x0, [x10]                       /* a data abort at address 0 */
    ret
    .size arch_fault_with_odd_flags, . - arch_fault_with_odd_flags

/* A SIMD&FP instruction: CPACR_EL1.FPEN is 0, so it traps from EL0 with
 * EC 0x07 (Arm ARM D19.2.30, CPACR_EL1), and the program is ended
 * instead of sharing registers nobody saves with the next one. */
    .globl arch_fp_instruction
    .type arch_fp_instruction, %function
arch_fp_instruction:
    .inst 0x9e6703e0    // fmov d0, xzr, encoded: the assemblers refuse FP with -mgeneral-regs-only
    ret
    .size arch_fp_instruction, . - arch_fp_instruction

    .section .note.GNU-stack, "", %progbits
