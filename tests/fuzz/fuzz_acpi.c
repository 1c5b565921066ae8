/*
 * libFuzzer target for acpi_parse() and acpi_find_rsdp(): the input is a
 * little-endian u32, the RSDP's physical address, then physical memory
 * from address 0, of any length and content.
 *
 * Whatever the input, the parser must not read outside the memory it is
 * given (the copy is exactly its size, so AddressSanitizer sees any
 * overrun), must end, and:
 *   - on success, at least one and at most ACPI_MAX_IOAPICS I/O APICs,
 *     each at a nonzero 16-aligned address, the local APIC 4 KiB aligned,
 *     at least one CPU;
 *   - on failure, the message starts with "acpi: " and the result is the
 *     PC defaults.
 */
#include <stdlib.h>

#include "../host/host.h"
#include <duet/printk.h>

static int ignore_printf(const char *fmt, ...)
{
    return 0;
}
#define printf(...) ignore_printf(__VA_ARGS__)
#include "../../arch/x86_64/acpi.c"
#include "../host/phys_view.h"
#undef printf

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acpi_irq_info info, defaults;
    struct view v;
    u32 rsdp_pa;
    u8 *mem;
    const char *err;

    if (size < sizeof(rsdp_pa))
        return 0;
    memcpy(&rsdp_pa, data, sizeof(rsdp_pa));
    size -= sizeof(rsdp_pa);
    mem = malloc(size ? size : 1);
    memcpy(mem, data + sizeof(rsdp_pa), size);
    v = (struct view){ mem, size };
    (void)acpi_find_rsdp(map, &v);
    err = acpi_parse(rsdp_pa, map, &v, &info);
    free(mem);

    if (err) {
        acpi_pc_defaults(&defaults);
        if (strncmp(err, "acpi: ", 6) != 0 || info.from_acpi ||
            info.lapic_address != defaults.lapic_address || info.ioapics != 1 ||
            info.ioapic[0].address != defaults.ioapic[0].address)
            abort();
        for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
            if (info.isa[i].gsi != i || info.isa[i].level || info.isa[i].active_low)
                abort();
        return 0;
    }
    if (info.ioapics == 0 || info.ioapics > ACPI_MAX_IOAPICS || info.cpus == 0 || !info.from_acpi ||
        info.lapic_address == 0 || !IS_ALIGNED(info.lapic_address, 4096u))
        abort();
    for (unsigned i = 0; i < info.ioapics; i++)
        if (info.ioapic[i].address == 0 || !IS_ALIGNED(info.ioapic[i].address, 16u))
            abort();
    return 0;
}
