/*
 * ktest suite `devices` (AArch64): a real device register read through
 * ioremap. Every PrimeCell peripheral, the PL011 included, ends its
 * register block with the component ID 0xB105F00D in the low bytes of
 * four words at 0xFF0..0xFFC (PL011 TRM, "UARTPCellID0-3"). And a second
 * CPU sent to the kernel's entry, which must say why it stops there.
 */
#include <duet/arch.h>
#include <duet/ktest.h>
#include <mm/ioremap.h>
#include "aarch64.h"
#include "early_map.h"
#include "pl011.h"
#include "sysregs.h"

/* PSCI CPU_ON, SMC64 (Arm DEN 0022, "Power State Coordination Interface"). */
#define PSCI_CPU_ON_64 0xc4000003
#define SECOND_CPU     1 /* MPIDR affinity of QEMU virt's second CPU */

extern char _start[]; /* boot.S's entry, linked at its physical address */

#define PRIMECELL_ID 0xff0

static void the_pl011_primecell_id_reads_back(struct ktest *t)
{
    volatile u32 *uart = ioremap(PL011_PHYS, PAGE_SIZE);
    u32 id = 0;

    KASSERT_TRUE(t, uart != NULL);
    /* The console's own mapping, made at boot, is the one handed out. */
    KEXPECT_EQ(t, (uintptr_t)uart, (uintptr_t)EARLY_UART_VA);
    for (int i = 3; i >= 0; i--)
        id = (id << 8) | (uart[PRIMECELL_ID / 4 + i] & 0xff);
    KEXPECT_EQ(t, id, 0xb105f00du);
}

/* boot.S's first check stops every CPU whose affinity is not 0, with a line
 * on the console that tests/test_boot.py looks for. This CPU waits 200 ms
 * of the generic timer for that line before it goes on. */
/* A function, not the macro inline: each call reads the counter anew (the
 * asm is volatile), which a loop condition built from the macro hides from
 * clang-tidy's infinite-loop check. */
static u64 virtual_count(void)
{
    return read_sysreg(cntvct_el0);
}

static void a_second_cpu_at_the_entry_says_why_it_stops(struct ktest *t)
{
    long r = psci_call(PSCI_CPU_ON_64, SECOND_CPU, (u64)(uintptr_t)_start, 0);

    if (r == PSCI_INVALID_PARAMETERS || r == PSCI_NOT_SUPPORTED) {
        ktest_skip(t, "no second CPU to start (SMP=1)");
        return;
    }
    KASSERT_EQ(t, r, 0L);
    u64 start = virtual_count(), ticks = read_sysreg(cntfrq_el0) / 5;
    while (virtual_count() - start < ticks)
        arch_cpu_relax();
}

static const struct ktest_case devices_cases[] = {
    KTEST_CASE(the_pl011_primecell_id_reads_back),
    KTEST_CASE(a_second_cpu_at_the_entry_says_why_it_stops),
    { 0 },
};
KTEST_SUITE(devices, devices_cases);
