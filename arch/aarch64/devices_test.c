/*
 * ktest suite `devices` (AArch64): a real device register read through
 * ioremap. Every PrimeCell peripheral, the PL011 included, ends its
 * register block with the component ID 0xB105F00D in the low bytes of
 * four words at 0xFF0..0xFFC (PL011 TRM, "UARTPCellID0-3").
 */
#include <duet/ktest.h>
#include <mm/ioremap.h>
#include "early_map.h"
#include "pl011.h"

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

static const struct ktest_case devices_cases[] = {
    KTEST_CASE(the_pl011_primecell_id_reads_back),
    { 0 },
};
KTEST_SUITE(devices, devices_cases);
