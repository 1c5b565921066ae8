/*
 * The x86_64 interrupt hardware, as the files of this arch share it:
 * the 8259 PICs (pic.c), the local APIC (lapic.c), the I/O APIC
 * (ioapic.c), the APIC timer (apic_timer.c), and the line and vector
 * plan that ties them to include/duet/irq.h (interrupts.c; docs/interrupts.md).
 *
 * Lines and vectors:
 *   line L < gsi_lines        I/O APIC input, global system interrupt L
 *   line gsi_lines            the local APIC timer
 *   line gsi_lines + 1        the test line, raised by a self-IPI
 *   vector = IRQ_VECTOR_BASE + line, below the spurious vector 0xFF
 * Vectors 0..31 are the CPU's exceptions (SDM Vol. 3A 6.3), so the first
 * line gets vector 32.
 */
#ifndef X86_64_APIC_H
#define X86_64_APIC_H

#include <duet/types.h>

#define IRQ_VECTOR_BASE  0x20
#define SPURIOUS_VECTOR  0xff
/* Lines end below the spurious vector. */
#define IRQ_VECTOR_LINES (SPURIOUS_VECTOR - IRQ_VECTOR_BASE)

/* pic.c: remap both 8259s above the exceptions, then mask every input. */
void pic_disable(void);

/* lapic.c: the local APIC, x2APIC where CPUID offers it, else xAPIC MMIO;
 * false if its registers cannot be mapped. */
bool lapic_init(u64 mmio_pa);
bool lapic_is_x2apic(void);
u32 lapic_id(void);
void lapic_eoi(void);
void lapic_self_ipi(u8 vector);
/* Registers by their xAPIC MMIO offset (SDM Vol. 3A table 11-1); in x2APIC
 * mode MSR 0x800 + offset / 16 (table 11-6). */
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_ESR       0x280
#define LAPIC_ICR       0x300
#define LAPIC_ICR_HIGH  0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_ICR 0x380 /* initial count */
#define LAPIC_TIMER_CCR 0x390 /* current count */
#define LAPIC_TIMER_DCR 0x3e0 /* divide configuration */
#define LVT_MASKED      (1u << 16)
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 value);

/* ioapic.c: the I/O APICs' redirection entries, one per GSI. */
struct acpi_irq_info;
/* Map every I/O APIC, mask every input; the number of GSIs they cover,
 * 0 if none could be mapped. */
unsigned ioapic_init(const struct acpi_irq_info *info);
/* Route gsi to vector on the CPU with APIC ID dest, masked. */
void ioapic_route(unsigned gsi, u8 vector, bool level, bool active_low, u32 dest);
void ioapic_set_masked(unsigned gsi, bool masked);

/* apic_timer.c */
void apic_timer_init(u8 vector);
void apic_timer_set_masked(bool masked);
/* The timer's interrupt came: false if it was early (a long arming's
 * intermediate stop) and has been re-armed; nothing to handle then. */
bool apic_timer_expired(void);

/* interrupts.c: the IDT's vectors 32..255 land here (trap.c). */
void x86_interrupt(u64 vector);
/* The line an ISA IRQ arrives on (its GSI, after the MADT's overrides). */
unsigned x86_isa_irq_line(unsigned irq);

#endif
