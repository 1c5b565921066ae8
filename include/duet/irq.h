/*
 * The interrupt layer (docs/interrupts.md): drivers register a handler for
 * a line; the arch's controller code acknowledges an interrupt, calls
 * irq_handle() with the line, and signals its end afterwards.
 *
 * A line is the controller's own number, opaque to generic code: on
 * AArch64 the GIC's INTID (a PPI for the timer, an SPI for the UART), on
 * x86_64 the number the arch gives each source it routes (the I/O APIC's
 * inputs and the local APIC's timer). Generic code learns the lines it
 * needs from the arch (arch_timer_line(), arch_console_line()).
 *
 * Handlers run with interrupts masked, on the interrupted thread's kernel
 * stack; they must not sleep. A handler for a line that was never
 * registered, or an interrupt the controller calls spurious, is counted
 * and otherwise ignored: neither is fatal.
 */
#ifndef DUET_IRQ_H
#define DUET_IRQ_H

#include <duet/types.h>

/* Lines 0..IRQ_MAX_LINES-1 (the GIC's INTIDs stop at 1019). */
#define IRQ_MAX_LINES 1024

typedef void irq_handler_fn(unsigned line, void *arg);

/*
 * Bring the controller up with every line masked (arch_irq_init()), then
 * let interrupts in. kmain calls it once, after the clock.
 */
void irq_init(void);

/*
 * Handle `line` with fn(line, arg) and unmask it. -EINVAL for a line the
 * controller does not have or a NULL fn; -EBUSY when the line has a
 * handler already (lines are not shared).
 */
int irq_register(unsigned line, const char *name, irq_handler_fn *fn, void *arg);
/* Mask the line and forget its handler. */
void irq_unregister(unsigned line);

void irq_mask(unsigned line);
void irq_unmask(unsigned line);

/* For the arch's interrupt entry, interrupts masked: run the line's handler. */
void irq_handle(unsigned line);
/* For the arch's interrupt entry: the controller had nothing to deliver. */
void irq_spurious(void);
/*
 * The arch's interrupt entry calls this last, after the end of interrupt,
 * interrupts masked, on the way back to what was interrupted. A user
 * program whose slice is spent is preempted here; kernel code is not:
 * kernel threads give up the CPU themselves, since the allocators and the
 * kernel's page tables take no locks yet (docs/processes.md).
 */
void irq_exit(bool from_user);

/* How many interrupts a line has taken, and how many were spurious or unhandled. */
u64 irq_count(unsigned line);
u64 irq_spurious_count(void);
u64 irq_unhandled_count(void);

#endif
