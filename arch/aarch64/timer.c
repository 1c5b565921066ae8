/*
 * timer.c: the generic timer's virtual timer, CNTV (Arm ARM D11, "The
 * Generic Timer in AArch64 state"), behind arch_timer_*: the one KVM and
 * Apple's hypervisor give a guest, counting on CNTVCT_EL0 like
 * arch_counter(). Its interrupt is a PPI the device tree names (the timer
 * node's third entry; 27 on QEMU virt).
 *
 * CNTV_CTL_EL0: ENABLE (bit 0), IMASK (bit 1), ISTATUS (bit 2, read-only).
 * With ENABLE set and IMASK clear the timer asserts its interrupt while
 * CNTVCT_EL0 >= CNTV_CVAL_EL0 (D11.2.4, "The AArch64 view of the timers").
 * That is a level: the interrupt stays asserted until the handler moves
 * CVAL ahead or clears ENABLE, so kernel/timer.c re-arms on every tick and
 * arch_timer_disarm() clears ENABLE.
 */
#include <duet/arch.h>
#include <duet/irq.h>
#include <duet/printk.h>
#include "aarch64.h"
#include "fdt.h"
#include "sysregs.h"

#define CNTV_CTL_ENABLE (1u << 0)
#define NSEC_PER_SEC    1000000000ull

unsigned arch_timer_line(void)
{
    /* No line in the tree: one irq_register refuses. */
    return aarch64_fdt_irq.timer_intid ? aarch64_fdt_irq.timer_intid : IRQ_MAX_LINES;
}

/* Nanoseconds to counter ticks, rounded up. Split at whole seconds so
 * that nothing overflows for a counter below 18 GHz. */
static u64 ns_to_ticks(u64 ns, u64 hz)
{
    u64 whole = ns / NSEC_PER_SEC, part = ns % NSEC_PER_SEC;

    return whole * hz + (part * hz + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
}

/* Never early: the compare value counts from a CNTVCT read taken here,
 * after the caller decided on `ns`, and the ticks are rounded up. */
void arch_timer_arm(u64 ns)
{
    u64 ticks = ns_to_ticks(ns, arch_counter_hz());

    write_sysreg(cntv_cval_el0, arch_counter() + ticks);
    write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
    isb();
}

void arch_timer_disarm(void)
{
    write_sysreg(cntv_ctl_el0, 0);
    isb();
}

/* gic.c, once the GIC is up: quiet whatever firmware left armed. */
void aarch64_timer_init(void)
{
    arch_timer_disarm();
    if (aarch64_fdt_irq.timer_intid)
        printf("timer: virtual timer, PPI %u (INTID %u), counter %llu Hz\n",
               aarch64_fdt_irq.timer_intid - 16, aarch64_fdt_irq.timer_intid,
               (unsigned long long)arch_counter_hz());
    else
        printf("timer: the device tree names no virtual timer interrupt\n");
}
