/*
 * The arch half of include/duet/irq.h on x86_64: the lines of apic.h over
 * the I/O APIC, the local APIC's timer and a self-IPI test line; the
 * interrupt entry (vectors 32..255, from trap.c) that hands a line to
 * irq_handle() and ends it with an EOI. docs/interrupts.md, "x86_64".
 */
#include <duet/arch.h>
#include <duet/irq.h>
#include <duet/printk.h>
#include <arch/x86.h>
#include "acpi.h"
#include "apic.h"
#include "x86_64.h"

static struct acpi_irq_info hw;
static unsigned gsi_lines; /* lines below are I/O APIC inputs */
static char description[80];
/* The test line has no mask in hardware (an IPI cannot be masked at the
 * local APIC): it is masked here, and a raise while masked waits. */
static bool test_masked = true, test_pending;

static unsigned timer_line(void)
{
    return gsi_lines;
}

static unsigned test_line(void)
{
    return gsi_lines + 1;
}

static u8 vector_of(unsigned line)
{
    return (u8)(IRQ_VECTOR_BASE + line);
}

/* The trigger and polarity of a GSI: an ISA IRQ's as the MADT overrides
 * say, else ISA's own (edge, active high) below 16 and PCI's (level,
 * active low) above, as on the PC. */
static void gsi_mode(unsigned gsi, bool *level, bool *active_low)
{
    for (unsigned irq = 0; irq < ACPI_ISA_IRQS; irq++)
        if (hw.isa[irq].gsi == gsi) {
            *level = hw.isa[irq].level;
            *active_low = hw.isa[irq].active_low;
            return;
        }
    *level = *active_low = gsi >= ACPI_ISA_IRQS;
}

/*
 * Without the controllers' registers (ioremap refused them: the page
 * tables of lab 3 are still stubs in its handouts) there are no lines:
 * the console polls, nothing ticks, the irq and timer suites skip.
 */
void arch_irq_init(void)
{
    unsigned gsis;
    u32 me;

    x86_find_irq_hardware(&hw);
    pic_disable();
    gsis = ioapic_init(&hw);
    if (gsis == 0 || !lapic_init(hw.lapic_address)) {
        printf("irq: the APICs' registers cannot be mapped: no interrupts, the console polls\n");
        return;
    }
    me = lapic_id();
    if (gsis > IRQ_VECTOR_LINES - 2) {
        printf("ioapic: %u inputs, only the first %u get a vector\n", gsis,
               (unsigned)IRQ_VECTOR_LINES - 2);
        gsis = IRQ_VECTOR_LINES - 2;
    }
    for (unsigned gsi = 0; gsi < gsis; gsi++) {
        bool level, active_low;
        gsi_mode(gsi, &level, &active_low);
        ioapic_route(gsi, vector_of(gsi), level, active_low, me);
    }
    gsi_lines = gsis; /* from here on the lines exist */
    apic_timer_init(vector_of(timer_line()));
    snprintf(description, sizeof(description), "%s (APIC ID %u), %u I/O APIC(s), %u GSIs",
             lapic_is_x2apic() ? "x2APIC" : "xAPIC", me, hw.ioapics, gsi_lines);
}

const char *arch_irq_controller(void)
{
    return description[0] ? description : "no interrupt controller";
}

unsigned arch_irq_lines(void)
{
    return gsi_lines ? gsi_lines + 2 : 0;
}

static void set_masked(unsigned line, bool masked)
{
    if (line < gsi_lines) {
        ioapic_set_masked(line, masked);
    } else if (line == timer_line()) {
        apic_timer_set_masked(masked);
    } else if (line == test_line()) {
        test_masked = masked;
        if (!masked && test_pending) {
            test_pending = false;
            lapic_self_ipi(vector_of(line));
        }
    }
}

void arch_irq_mask(unsigned line)
{
    unsigned long flags = arch_irq_save();

    set_masked(line, true);
    arch_irq_restore(flags);
}

void arch_irq_unmask(unsigned line)
{
    unsigned long flags = arch_irq_save();

    set_masked(line, false);
    arch_irq_restore(flags);
}

unsigned arch_irq_test_line(void)
{
    return test_line();
}

void arch_irq_raise(unsigned line)
{
    unsigned long flags = arch_irq_save();

    if (line == test_line() && test_masked)
        test_pending = true;
    else if (line < arch_irq_lines())
        lapic_self_ipi(vector_of(line));
    arch_irq_restore(flags);
}

unsigned arch_timer_line(void)
{
    return timer_line();
}

unsigned x86_isa_irq_line(unsigned irq)
{
    return irq < ACPI_ISA_IRQS ? hw.isa[irq].gsi : irq;
}

void arch_irq_enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

/*
 * sti lets interrupts in only after the next instruction (SDM Vol. 2B,
 * STI: "interrupts are not recognized until after the instruction
 * following STI"), so nothing is taken between the caller's last look and
 * hlt: an interrupt already pending wakes hlt at once and runs before cli.
 */
void arch_wait_for_interrupt(void)
{
    if (!gsi_lines) {
        __asm__ volatile("pause"); /* no controller: nothing would wake hlt */
        return;
    }
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

/*
 * Vectors 32..255 from trap.c, interrupts masked. The EOI comes after the
 * handler, so a level-triggered source it quietened is not seen again;
 * the spurious vector gets none: it sets no in-service bit (SDM Vol. 3A,
 * "Spurious Interrupt").
 */
void x86_interrupt(u64 vector)
{
    unsigned line = (unsigned)(vector - IRQ_VECTOR_BASE);

    if (vector == SPURIOUS_VECTOR) {
        irq_spurious();
        return;
    }
    if (line != timer_line() || apic_timer_expired())
        irq_handle(line);
    lapic_eoi();
}
