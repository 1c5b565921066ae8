/*
 * The kernel threads' context switch (include/duet/arch.h). A thread's
 * saved context is its stack pointer; at it lie the registers the AAPCS64
 * says a call preserves, x19-x28 and the frame pointer x29, with the link
 * register x30, where arch_context_switch returns:
 *
 *     sp + 96   TPIDR_EL0  (new thread: 0; a fork's child: its parent's)
 *     sp + 88   x30 (lr)   (for a new thread: thread_trampoline)
 *     sp + 80   x29 (fp)   (new thread: 0, so a backtrace stops here)
 *     sp + 72   x28
 *     ...
 *     sp +  8   x20        (new thread: arg)
 *     sp +  0   x19        (new thread: entry)
 *
 * The kernel has no FP/SIMD state to save (arch.mk: -mgeneral-regs-only;
 * CPACR_EL1 traps any use), and PSTATE.DAIF is the same on both sides
 * (interrupts are masked around every switch). The low 64 bits of v8-v15,
 * which the AAPCS64 also calls callee-saved, are never live in the kernel.
 *
 * TPIDR_EL0, the thread register EL0 may read and write, is a process's
 * own: without the switch one process could leave a value there for the
 * next to read.
 */
#define SWITCH_FRAME_SIZE (14 * 8)

    .text
    .globl  arch_context_switch
    .type   arch_context_switch, %function
arch_context_switch:                    // (struct arch_context *from, *to)
    sub     sp, sp, #SWITCH_FRAME_SIZE
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mrs     x9, tpidr_el0
    str     x9, [sp, #96]
    mov     x9, sp
    str     x9, [x0]                    // from->sp
    ldr     x9, [x1]                    // to->sp: now on the other thread's stack
    mov     sp, x9
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldr     x9, [sp, #96]
    msr     tpidr_el0, x9
    add     sp, sp, #SWITCH_FRAME_SIZE
    ret
    .size   arch_context_switch, . - arch_context_switch

/* Where a new thread's first switch returns to: call entry(arg), which never returns. */
    .type   thread_trampoline, %function
thread_trampoline:
    mov     x0, x20
    blr     x19
    brk     #0
    .size   thread_trampoline, . - thread_trampoline

/* arch_context_init(ctx, stack_top, entry, arg): the frame above, at stack_top - its size. */
    .globl  arch_context_init
    .type   arch_context_init, %function
arch_context_init:
    sub     x9, x1, #SWITCH_FRAME_SIZE
    stp     x2, x3, [x9, #0]            // x19 = entry, x20 = arg
    stp     xzr, xzr, [x9, #16]
    stp     xzr, xzr, [x9, #32]
    stp     xzr, xzr, [x9, #48]
    stp     xzr, xzr, [x9, #64]
    adrp    x10, thread_trampoline
    add     x10, x10, :lo12:thread_trampoline
    stp     xzr, x10, [x9, #80]         // x29 = 0, x30 = thread_trampoline
    stp     xzr, xzr, [x9, #96]         // TPIDR_EL0 = 0
    str     x9, [x0]
    ret
    .size   arch_context_init, . - arch_context_init

/* arch_context_fork(child): this thread's TPIDR_EL0 into the child's frame. */
    .globl  arch_context_fork
    .type   arch_context_fork, %function
arch_context_fork:
    ldr     x9, [x0]                    // child->sp: the frame arch_context_init made
    mrs     x10, tpidr_el0
    str     x10, [x9, #96]
    ret
    .size   arch_context_fork, . - arch_context_fork

/*
 * arch_callee_saved_check(fn): bit n-19 for xn, n = 19..28; bit 10 for
 * x29, checked against the frame it points at (x29 is this function's
 * frame pointer).
 */
.macro load_pattern n
    mov     x\n, #(0x1000 + \n)
    movk    x\n, #(0xc000 + \n), lsl #48
.endm
.macro check_pattern n
    mov     x10, #(0x1000 + \n)
    movk    x10, #(0xc000 + \n), lsl #48
    cmp     x\n, x10
    b.eq    1f
    orr     x0, x0, #(1 << (\n - 19))
1:
.endm

    .globl  arch_callee_saved_check
    .type   arch_callee_saved_check, %function
arch_callee_saved_check:
    stp     x29, x30, [sp, #-96]!
    mov     x29, sp
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mov     x9, x0
    load_pattern 19
    load_pattern 20
    load_pattern 21
    load_pattern 22
    load_pattern 23
    load_pattern 24
    load_pattern 25
    load_pattern 26
    load_pattern 27
    load_pattern 28
    blr     x9
    mov     x0, #0
    check_pattern 19
    check_pattern 20
    check_pattern 21
    check_pattern 22
    check_pattern 23
    check_pattern 24
    check_pattern 25
    check_pattern 26
    check_pattern 27
    check_pattern 28
    mov     x10, sp
    cmp     x29, x10
    b.eq    1f
    orr     x0, x0, #(1 << 10)
1:  ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret
    .size   arch_callee_saved_check, . - arch_callee_saved_check
