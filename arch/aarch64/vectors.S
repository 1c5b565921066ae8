/*
 * vectors.S: the exception vector table VBAR_EL1 points at, the code that
 * saves a trap frame (trap.h) and calls aarch64_trap() in traps.c, and
 * the return path for the traps C handles and resumes.
 *
 * The table (Arm ARM "Exception vectors"): 2 KiB aligned, 16 entries of
 * 128 bytes (32 instructions), in four groups by where the exception came
 * from: current EL using SP_EL0, current EL using SP_ELx, lower EL in
 * AArch64, lower EL in AArch32; in each group Synchronous, IRQ, FIQ and
 * SError. Duet's kernel runs in EL1h, so its own faults arrive in the
 * second group, and user programs' traps in the third. IRQs from either
 * go to the GIC's entry, aarch64_irq() (gic.c), and return to whatever
 * they interrupted; everything else unexpected is reported, naming the
 * group. FIQs are never expected: gic.c says why.
 *
 * Stack overflow. Taking an exception does not change SP, so a kernel
 * that ran off its stack into the unmapped guard below it would fault
 * again while saving the frame, forever. The EL1h entries check first,
 * with Linux's trick that needs no free register: the boot stack's
 * 16 KiB starts on a boundary of twice its size (kernel.lds.S asserts
 * it), so every SP inside it has bit BOOT_STACK_SHIFT clear, and an SP
 * up to 16 KiB below it has that bit set. After reserving the frame
 * (plus TRAP_STACK_MARGIN for the C handler) the entry computes that SP
 * into x0 while parking x0's old value in SP, tests the bit, and undoes
 * the shuffle. On overflow it switches to a stack of its own in .bss.
 */
#include <duet/layout.h>
#include "trap.h"

/* \reg = address of \sym (the kernel's small code model: ADRP + ADD). */
.macro adr_l reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
.endm

/* An EL1h entry: reserve the frame, check the stack, go to the handler. */
.macro vector_el1h type
    .balign 128
    sub     sp, sp, #(TRAP_FRAME_SIZE + TRAP_STACK_MARGIN)
    add     sp, sp, x0                      // sp = probe + x0
    sub     x0, sp, x0                      // x0 = probe
    tbnz    x0, #BOOT_STACK_SHIFT, el1h_overflow_\type
    sub     x0, sp, x0                      // x0 = x0 again
    sub     sp, sp, x0                      // sp = probe
    add     sp, sp, #TRAP_STACK_MARGIN      // sp = the frame
    b       el1h_\type
.endm

/* Every other entry: reserve the frame and report. */
.macro vector_other from, type
    .balign 128
    sub     sp, sp, #TRAP_FRAME_SIZE
    b       trap_\from\()_\type
.endm

/*
 * Save the rest of the interrupted state into the frame at sp and call
 * \fn(frame, kind): aarch64_trap, or aarch64_irq for an IRQ. The caller
 * has saved x0, x1 and SP already.
 */
.macro save_and_call kind, return=trap_return, fn=aarch64_trap
    stp     x2, x3, [sp, #TF_X(2)]
    stp     x4, x5, [sp, #TF_X(4)]
    stp     x6, x7, [sp, #TF_X(6)]
    stp     x8, x9, [sp, #TF_X(8)]
    stp     x10, x11, [sp, #TF_X(10)]
    stp     x12, x13, [sp, #TF_X(12)]
    stp     x14, x15, [sp, #TF_X(14)]
    stp     x16, x17, [sp, #TF_X(16)]
    stp     x18, x19, [sp, #TF_X(18)]
    stp     x20, x21, [sp, #TF_X(20)]
    stp     x22, x23, [sp, #TF_X(22)]
    stp     x24, x25, [sp, #TF_X(24)]
    stp     x26, x27, [sp, #TF_X(26)]
    stp     x28, x29, [sp, #TF_X(28)]
    str     x30, [sp, #TF_X(30)]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #TF_ELR]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #TF_ESR]
    mov     x0, sp
    mov     x1, #(\kind)
    bl      \fn
    b       \return
.endm

/* The ordinary path: the frame is at sp, the interrupted SP just above it. */
.macro trap_handler label, kind, fn=aarch64_trap
\label:
    stp     x0, x1, [sp, #TF_X(0)]
    add     x0, sp, #TRAP_FRAME_SIZE
    str     x0, [sp, #TF_SP]
    save_and_call \kind, trap_return, \fn
.endm

/* From EL0: the interrupted SP is SP_EL0, and goes back there on return. */
.macro trap_handler_el0 label, kind, fn=aarch64_trap
\label:
    stp     x0, x1, [sp, #TF_X(0)]
    mrs     x0, sp_el0
    str     x0, [sp, #TF_SP]
    save_and_call \kind, trap_return_el0, \fn
.endm

/*
 * The overflow path, from vector_el1h: x0 = the probe SP, sp = probe + the
 * interrupted x0. TPIDR_EL0 and TPIDRRO_EL0 (EL0's thread registers,
 * never needed again after a fatal kernel fault) hold the two values
 * while SP moves to the overflow stack.
 */
.macro overflow_handler type
el1h_overflow_\type:
    msr     tpidr_el0, x0                   // the probe SP
    sub     x0, sp, x0                      // the interrupted x0
    msr     tpidrro_el0, x0
    adr_l   x0, aarch64_overflow_stack_top
    mov     sp, x0
    sub     sp, sp, #TRAP_FRAME_SIZE
    mrs     x0, tpidrro_el0
    stp     x0, x1, [sp, #TF_X(0)]
    mrs     x0, tpidr_el0
    add     x0, x0, #(TRAP_FRAME_SIZE + TRAP_STACK_MARGIN)
    str     x0, [sp, #TF_SP]
    save_and_call (TRAP_KIND(TRAP_FROM_EL1_SPX, \type) | TRAP_STACK_OVERFLOW)
.endm

    .text
    .balign 2048
    .globl  aarch64_vectors
aarch64_vectors:
    vector_other sp0, 0                     // current EL, SP_EL0
    vector_other sp0, 1
    vector_other sp0, 2
    vector_other sp0, 3
    vector_el1h 0                           // current EL, SP_EL1: the kernel
    vector_el1h 1
    vector_el1h 2
    vector_el1h 3
    vector_other a64, 0                     // lower EL, AArch64
    vector_other a64, 1
    vector_other a64, 2
    vector_other a64, 3
    vector_other a32, 0                     // lower EL, AArch32
    vector_other a32, 1
    vector_other a32, 2
    vector_other a32, 3

    trap_handler el1h_0, TRAP_KIND(TRAP_FROM_EL1_SPX, TRAP_SYNC)
    trap_handler el1h_1, TRAP_KIND(TRAP_FROM_EL1_SPX, TRAP_IRQ), aarch64_irq
    trap_handler el1h_2, TRAP_KIND(TRAP_FROM_EL1_SPX, TRAP_FIQ)
    trap_handler el1h_3, TRAP_KIND(TRAP_FROM_EL1_SPX, TRAP_SERROR)
    overflow_handler 0
    overflow_handler 1
    overflow_handler 2
    overflow_handler 3
    trap_handler trap_sp0_0, TRAP_KIND(TRAP_FROM_EL1_SP0, TRAP_SYNC)
    trap_handler trap_sp0_1, TRAP_KIND(TRAP_FROM_EL1_SP0, TRAP_IRQ)
    trap_handler trap_sp0_2, TRAP_KIND(TRAP_FROM_EL1_SP0, TRAP_FIQ)
    trap_handler trap_sp0_3, TRAP_KIND(TRAP_FROM_EL1_SP0, TRAP_SERROR)
    trap_handler_el0 trap_a64_0, TRAP_KIND(TRAP_FROM_EL0_A64, TRAP_SYNC)
    trap_handler_el0 trap_a64_1, TRAP_KIND(TRAP_FROM_EL0_A64, TRAP_IRQ), aarch64_irq
    trap_handler_el0 trap_a64_2, TRAP_KIND(TRAP_FROM_EL0_A64, TRAP_FIQ)
    trap_handler_el0 trap_a64_3, TRAP_KIND(TRAP_FROM_EL0_A64, TRAP_SERROR)
    trap_handler trap_a32_0, TRAP_KIND(TRAP_FROM_EL0_A32, TRAP_SYNC)
    trap_handler trap_a32_1, TRAP_KIND(TRAP_FROM_EL0_A32, TRAP_IRQ)
    trap_handler trap_a32_2, TRAP_KIND(TRAP_FROM_EL0_A32, TRAP_FIQ)
    trap_handler trap_a32_3, TRAP_KIND(TRAP_FROM_EL0_A32, TRAP_SERROR)

/* Back to EL0: its stack pointer from the frame, then as below. */
trap_return_el0:
    ldr     x0, [sp, #TF_SP]
    msr     sp_el0, x0
    b       trap_return

/*
 * arch_user_enter(uintptr_t kstack_top, const struct user_entry *e): EL0
 * at e->pc with SP_EL0 = e->sp, x0 = e->arg0, x1 = e->arg1 and every
 * other register zero, IRQs let in (a user loop is interrupted by the
 * tick), the other exceptions masked as in the kernel. The frame is built
 * at kstack_top; trap_return_el0 leaves SP_EL1 at kstack_top, so every
 * later exception from EL0 saves its frame in the same place.
 */
    .globl  arch_user_enter
arch_user_enter:
    msr     daifset, #2                     // IRQs masked until eret: the frame is being built
    sub     sp, x0, #TRAP_FRAME_SIZE
    ldp     x10, x11, [x1]                  // pc, sp
    ldp     x12, x13, [x1, #16]             // arg0, arg1
    mov     x9, sp
    .rept   16                              // x0 .. x31: zero
    stp     xzr, xzr, [x9], #16
    .endr
    stp     x12, x13, [sp, #TF_X(0)]
    str     x11, [sp, #TF_SP]
    mov     x9, #SPSR_EL0T
    stp     x10, x9, [sp, #TF_ELR]
    b       trap_return_el0

/* arch_user_resume(uintptr_t kstack_top): EL0 with the frame at the top. */
    .globl  arch_user_resume
arch_user_resume:
    msr     daifset, #2
    sub     sp, x0, #TRAP_FRAME_SIZE
    b       trap_return_el0

/*
 * aarch64_trap() returned: resume where the exception was taken, with the
 * frame's ELR and SPSR (the handler may have changed ELR, say to step
 * over an instruction) and every general-purpose register restored.
 */
trap_return:
    ldp     x0, x1, [sp, #TF_ELR]
    msr     elr_el1, x0
    msr     spsr_el1, x1
    ldp     x0, x1, [sp, #TF_X(0)]
    ldp     x2, x3, [sp, #TF_X(2)]
    ldp     x4, x5, [sp, #TF_X(4)]
    ldp     x6, x7, [sp, #TF_X(6)]
    ldp     x8, x9, [sp, #TF_X(8)]
    ldp     x10, x11, [sp, #TF_X(10)]
    ldp     x12, x13, [sp, #TF_X(12)]
    ldp     x14, x15, [sp, #TF_X(14)]
    ldp     x16, x17, [sp, #TF_X(16)]
    ldp     x18, x19, [sp, #TF_X(18)]
    ldp     x20, x21, [sp, #TF_X(20)]
    ldp     x22, x23, [sp, #TF_X(22)]
    ldp     x24, x25, [sp, #TF_X(24)]
    ldp     x26, x27, [sp, #TF_X(26)]
    ldp     x28, x29, [sp, #TF_X(28)]
    ldr     x30, [sp, #TF_X(30)]
    add     sp, sp, #TRAP_FRAME_SIZE
    eret

/* The stack the overflow path runs the report on. */
    .bss
    .balign 16
    .globl  aarch64_overflow_stack, aarch64_overflow_stack_top
aarch64_overflow_stack:
    .skip   OVERFLOW_STACK_SIZE
aarch64_overflow_stack_top:
