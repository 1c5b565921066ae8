/*
 * The trap frame vectors.S builds on every exception, and the code that
 * tells the C handler which of the 16 vectors was taken. Shared by
 * vectors.S and traps.c.
 */
#ifndef AARCH64_TRAP_H
#define AARCH64_TRAP_H

/* Byte offsets into the frame: x0..x30, then the interrupted SP and the
 * exception registers. 36 doublewords: a multiple of 16, as SP must be. */
#define TF_X(n)         ((n)*8)
#define TF_SP           (31 * 8)
#define TF_ELR          (32 * 8)
#define TF_SPSR         (33 * 8)
#define TF_ESR          (34 * 8)
#define TF_FAR          (35 * 8)
#define TRAP_FRAME_SIZE (36 * 8)

/*
 * The vector table has four groups of four entries (Arm ARM "Exception
 * vectors"): the group says where the exception came from, the entry its
 * type. kind = group << 2 | type; TRAP_STACK_OVERFLOW is or'ed in when the
 * entry found the kernel stack exhausted and switched stacks.
 */
#define TRAP_SYNC             0
#define TRAP_IRQ              1
#define TRAP_FIQ              2
#define TRAP_SERROR           3
#define TRAP_FROM_EL1_SP0     0 /* current EL, SP_EL0 selected (Duet never does) */
#define TRAP_FROM_EL1_SPX     1 /* current EL, SP_EL1: kernel code */
#define TRAP_FROM_EL0_A64     2 /* lower EL, AArch64: user code */
#define TRAP_FROM_EL0_A32     3 /* lower EL, AArch32 */
#define TRAP_KIND(from, type) (((from) << 2) | (type))
#define TRAP_FROM(kind)       (((kind) >> 2) & 3)
#define TRAP_STACK_OVERFLOW   0x100

/*
 * The EL1 entries probe SP - TRAP_FRAME_SIZE - TRAP_STACK_MARGIN: a trap
 * taken with less than this left below the frame is an overflow, because
 * the C handler could not run on what remains (the report path, through
 * printf, needs under 1 KiB today; the rest is slack).
 */
#define TRAP_STACK_MARGIN 2048
/* SPSR_EL1 for a return to EL0t (M[3:0] = 0) with D, A and F masked and
 * I clear: IRQs reach the kernel from user mode. */
#define SPSR_EL0T         0x340

/* The stack the handler switches to on overflow (in .bss). */
#define OVERFLOW_STACK_SIZE 8192

#ifndef __ASSEMBLER__
#include <duet/types.h>

struct trap_frame {
    u64 x[31];
    u64 sp;   /* SP when the exception was taken */
    u64 elr;  /* ELR_EL1: where it was taken (or the next instruction) */
    u64 spsr; /* SPSR_EL1: PSTATE at that point */
    u64 esr;  /* ESR_EL1: the syndrome, what happened */
    u64 far;  /* FAR_EL1: the faulting address, for aborts */
};
_Static_assert(sizeof(struct trap_frame) == (size_t)TRAP_FRAME_SIZE, "trap frame layout");
#endif

#endif
