/*
 * arch_setjmp / arch_longjmp (include/duet/arch.h). struct arch_jmp_buf
 * holds the registers the AAPCS64 says a call preserves (x19-x28, the
 * frame pointer x29), the link register x30 (where arch_setjmp returns)
 * and SP. The kernel has no FP/SIMD state to save (-mgeneral-regs-only).
 */
    .text
    .globl arch_setjmp
    .type arch_setjmp, %function
arch_setjmp:
    stp     x19, x20, [x0, #0]
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80]
    mov     x2, sp
    str     x2, [x0, #96]
    mov     x0, #0
    ret
    .size arch_setjmp, . - arch_setjmp

    .globl arch_longjmp
    .type arch_longjmp, %function
arch_longjmp:
    ldp     x19, x20, [x0, #0]
    ldp     x21, x22, [x0, #16]
    ldp     x23, x24, [x0, #32]
    ldp     x25, x26, [x0, #48]
    ldp     x27, x28, [x0, #64]
    ldp     x29, x30, [x0, #80]
    ldr     x2, [x0, #96]
    mov     sp, x2
    cmp     w1, #0
    csinc   w0, w1, wzr, ne             // 0 becomes 1: arch_setjmp returns 0 only once
    ret
    .size arch_longjmp, . - arch_longjmp
