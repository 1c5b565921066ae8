/*
 * The generic timer's virtual count (Arm ARM D11, "The Generic Timer in
 * AArch64 state"): CNTVCT_EL0 counts at CNTFRQ_EL0 Hz, which firmware (or
 * QEMU) sets; at EL1 both are readable with no set-up. The virtual count
 * is the physical one less CNTVOFF_EL2, which a hypervisor sets and a
 * guest cannot see: the counter to use under KVM or Apple's hypervisor.
 */
#include <duet/arch.h>
#include "sysregs.h"

u64 arch_counter(void)
{
    /* Reads of CNTVCT_EL0 may happen out of order with other instructions;
     * the ISB keeps one from being taken before the code that precedes it
     * (Arm ARM D11.2.2, "The virtual counter"). */
    isb();
    return read_sysreg(cntvct_el0);
}

u64 arch_counter_hz(void)
{
    return read_sysreg(cntfrq_el0);
}
