/*
 * Functions the files of the AArch64 backend share with each other (the
 * interface to generic code is include/duet/arch.h, not this).
 */
#ifndef AARCH64_AARCH64_H
#define AARCH64_AARCH64_H

#include <duet/compiler.h>
#include <duet/types.h>

struct trap_frame;
struct fdt_irq;

/* boot.S: the exception level the kernel was entered at (1 or 2). */
extern u64 aarch64_boot_el;
/* vectors.S: the vector table VBAR_EL1 points at. */
extern char aarch64_vectors[];
/* vectors.S: the stack the trap handler switches to on a stack overflow. */
extern char aarch64_overflow_stack[], aarch64_overflow_stack_top[];

/* entry.c: the C entry from boot.S, in the higher half on the boot stack. */
__noreturn void aarch64_main(u64 dtb_pa);
/* entry.c: what the device tree says about interrupts (fdt.h), for gic.c. */
extern struct fdt_irq aarch64_fdt_irq;

/* traps.c: called by vectors.S with the saved frame; returns only to resume. */
void aarch64_trap(struct trap_frame *tf, u64 kind);

/* cpu.c: no lower-half translation left, cached or walked (TTBR0_EL1 off). */
void aarch64_lower_half_off(void);

/* pl011.c */
void pl011_init(void);

/* vectors.S -> gic.c: an IRQ from EL1 or EL0, with the frame saved. */
void aarch64_irq(struct trap_frame *tf, u64 kind);
/* timer.c: the virtual timer disarmed and reported; gic.c calls it. */
void aarch64_timer_init(void);

/* firmware.S: a semihosting call (op in x0, argument in x1), returning x0. */
u64 aarch64_semihost(u64 op, u64 arg);
/* firmware.S: an SMC Calling Convention call through HVC or SMC #0. */
u64 aarch64_hvc(u64 fn, u64 a1, u64 a2, u64 a3);
u64 aarch64_smc(u64 fn, u64 a1, u64 a2, u64 a3);

/* power.c: how to reach PSCI, from the device tree's /psci "method". */
void psci_set_conduit(const char *method);
/* A PSCI call through the conduit the device tree named; PSCI_NOT_SUPPORTED
 * when it named none. */
long psci_call(u64 fn, u64 a1, u64 a2, u64 a3);
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
/* power.c: true when a semihosting call trapped as undefined (QEMU without
 * -semihosting-config); traps.c steps over it and reports it here. */
void semihosting_unavailable(void);

#endif
