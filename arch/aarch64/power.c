/*
 * power.c: ending the run (arch_poweroff, arch_halt).
 *
 * QEMU exits with QEMU_EXIT_STATUS_BIAS + the kernel's status through
 * semihosting's SYS_EXIT (tools/qemu.py removes the bias). When QEMU runs
 * without semihosting, PSCI SYSTEM_OFF still ends it, but QEMU then exits
 * with 0, which reads as "no status", so a failure is printed first.
 */
#include <duet/arch.h>
#include <duet/printk.h>
#include <duet/string.h>
#include "aarch64.h"

/*
 * Semihosting SYS_EXIT (operation 0x18). On AArch64 its argument points
 * at a two-doubleword block {reason, subcode}; with the reason
 * ADP_Stopped_ApplicationExit the subcode is the exit status.
 */
#define SEMIHOST_SYS_EXIT            0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

/* PSCI SYSTEM_OFF function ID (Arm DEN 0022, "Power State Coordination Interface"). */
#define PSCI_SYSTEM_OFF 0x84000008

/*
 * How PSCI is reached: the device tree's /psci "method". QEMU virt says
 * "hvc" when the kernel starts at EL1, and "smc" with virtualization=on,
 * where an HVC would land in the EL2 that boot.S has left behind.
 */
static enum { PSCI_NONE, PSCI_HVC, PSCI_SMC } psci_conduit;
static bool semihosting_off;

void psci_set_conduit(const char *method)
{
    if (strcmp(method, "hvc") == 0)
        psci_conduit = PSCI_HVC;
    else if (strcmp(method, "smc") == 0)
        psci_conduit = PSCI_SMC;
}

long psci_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
    if (psci_conduit == PSCI_HVC)
        return (long)aarch64_hvc(fn, a1, a2, a3);
    if (psci_conduit == PSCI_SMC)
        return (long)aarch64_smc(fn, a1, a2, a3);
    return PSCI_NOT_SUPPORTED;
}

void semihosting_unavailable(void)
{
    semihosting_off = true;
}

__noreturn void arch_poweroff(int status)
{
    if (!semihosting_off) {
        u64 block[2] = { ADP_STOPPED_APPLICATION_EXIT, QEMU_EXIT_STATUS_BIAS + (u64)status };

        aarch64_semihost(SEMIHOST_SYS_EXIT, (u64)(uintptr_t)block);
    }
    /* Still running: the HLT trapped and traps.c stepped over it. */
    if (status != 0)
        printf("poweroff: no semihosting (-semihosting-config enable=on), "
               "so QEMU will not exit with status %d\n",
               status);
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    printf("poweroff: no semihosting and no PSCI; halting\n");
    arch_halt();
}

__noreturn void arch_halt(void)
{
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    for (;;)
        __asm__ volatile("wfi");
}
