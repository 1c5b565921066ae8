/*
 * gic.c: the interrupt controller behind include/duet/arch.h, whichever
 * GIC the device tree names (gic_v2.c, gic_v3.c do what differs), and
 * the interrupt entry vectors.S calls for an IRQ from EL1 or EL0.
 *
 * Every line is Group 1 (v3) or Group 0 with GICC_CTLR.FIQEn clear (v2),
 * so every interrupt arrives as an IRQ. FIQ stays an unexpected exception
 * (traps.c): nothing Duet programs is signalled as FIQ, and at EL1
 * non-secure a FIQ could only be a Group 0 interrupt owned by secure
 * firmware, which is not ours to acknowledge.
 */
#include <duet/arch.h>
#include <duet/irq.h>
#include <duet/printk.h>
#include <mm/ioremap.h>
#include "aarch64.h"
#include "gic.h"
#include "trap.h"

static const struct gic_ops *gic;
static char description[64] = "no interrupt controller";
static unsigned nlines;

volatile u8 *gic_map(const char *what, u64 base, u64 size, u64 need, const char **err)
{
    volatile u8 *p;

    if (size < need) {
        *err = what;
        printf("gic: the device tree's %s at 0x%llx is 0x%llx bytes; the driver needs 0x%llx\n",
               what, (unsigned long long)base, (unsigned long long)size, (unsigned long long)need);
        return NULL;
    }
    p = ioremap(base, need);
    if (!p)
        *err = what;
    return p;
}

void arch_irq_init(void)
{
    const struct fdt_irq *dt = &aarch64_fdt_irq;
    const struct gic_ops *ops;
    const char *err;

    switch (dt->gic_version) {
    case 2: ops = &gic_v2_ops; break;
    case 3: ops = &gic_v3_ops; break;
    default: printf("gic: the device tree names no GIC: interrupts stay off\n"); return;
    }
    if ((err = ops->init(dt))) {
        printf("gic: GICv%u not brought up (%s): interrupts stay off\n", dt->gic_version, err);
        return;
    }
    gic = ops;
    nlines = ops->lines();
    snprintf(description, sizeof(description), "GICv%u at 0x%llx", dt->gic_version,
             (unsigned long long)dt->gicd_base);
    aarch64_timer_init();
}

const char *arch_irq_controller(void)
{
    return description;
}

unsigned arch_irq_lines(void)
{
    return nlines;
}

void arch_irq_mask(unsigned line)
{
    if (line < nlines)
        gic->mask(line);
}

void arch_irq_unmask(unsigned line)
{
    if (line < nlines)
        gic->unmask(line);
}

unsigned arch_irq_test_line(void)
{
    return gic ? gic->test_line() : 0;
}

void arch_irq_raise(unsigned line)
{
    if (line < nlines)
        gic->set_pending(line);
}

void arch_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" : : : "memory");
}

/*
 * WFI wakes on a pending interrupt even while PSTATE.I masks it (Arm ARM
 * D1, "Wait for Interrupt": the wake-up events include an IRQ that would
 * be taken but for PSTATE.I), so an interrupt
 * that became pending after the caller looked and before the wfi is not
 * lost. It is taken in the window after, with IRQs unmasked; the ISB
 * makes sure the unmask has taken effect before the mask comes back.
 */
void arch_wait_for_interrupt(void)
{
    __asm__ volatile("dsb sy\n\t"
                     "wfi\n\t"
                     "msr daifclr, #2\n\t"
                     "isb\n\t"
                     "msr daifset, #2"
                     :
                     :
                     : "memory");
}

/*
 * vectors.S: an IRQ from EL1 or EL0, the frame saved. Acknowledge (the
 * highest-priority pending interrupt becomes active), handle, end it (the
 * EOI drops the running priority and deactivates it: EOImode 0). A level
 * interrupt's handler must quiet its device before the EOI, or it is
 * pending again at once. The special INTIDs 1020-1023 say nothing was
 * pending any more (another CPU took it, or it went away): counted, and
 * not ended, since nothing was activated (GICv3, "Special INTIDs"; GICv2, "Spurious interrupts").
 */
void aarch64_irq(struct trap_frame *tf, u64 kind)
{
    u32 ack, intid;

    (void)tf;
    if (!gic) {
        irq_spurious();
        return;
    }
    ack = gic->ack();
    intid = ack & GIC_INTID_MASK;
    if (intid >= GIC_SPURIOUS_FIRST) {
        irq_spurious();
        return;
    }
    irq_handle(intid);
    gic->eoi(ack);
    irq_exit(TRAP_FROM(kind) == TRAP_FROM_EL0_A64);
}
