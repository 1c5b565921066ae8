/*
 * Where the kernel finds the interrupt controllers: the MADT through the
 * RSDP the loader gave or the BIOS areas hold (acpi.c), read through the
 * PMO where the tables lie in RAM (ACPI reclaimable or NVS memory is RAM
 * to the PMO, and so is any page that shares RAM's) and through ioremap
 * elsewhere (the BIOS area, reserved memory). Without usable tables: the PC defaults, said in the log.
 */
#include <duet/printk.h>
#include <mm/ioremap.h>
#include <mm/physmem.h>
#include <mm/pmo.h>
#include "acpi.h"
#include "x86_64.h"

/* ioremap windows are at most this large and this aligned, so that the
 * tables near one another share a mapping (ioremap has few slots). */
#define WINDOW (64 * KiB)

/* Does the PMO map the page at pa? It maps every page that holds RAM,
 * whole (mm/pmo.c), and firmware often shares a page with RAM. */
static bool pmo_page(paddr_t pa)
{
    for (size_t i = 0; i < kernel_memmap.count; i++) {
        const struct mem_region *m = &kernel_memmap.regions[i];
        if (mem_type_is_ram(m->type) && m->base < pa + PAGE_SIZE && pa < m->base + m->size)
            return true;
    }
    return false;
}

/*
 * [pa, pa + len) for acpi.c: through the PMO where it maps every page,
 * else through ioremap (a device mapping, uncached: slow, but these are a
 * few hundred bytes read once) of the pages around it that hold no RAM.
 */
static const void *map_firmware(u64 pa, u64 len, void *ctx)
{
    paddr_t first, last, lo, hi;
    unsigned in_pmo = 0, pages;
    const u8 *va;

    if (len == 0 || pa + len < pa || pa + len > PMO_END - PHYS_OFFSET)
        return NULL;
    first = ALIGN_DOWN(pa, (paddr_t)PAGE_SIZE);
    last = ALIGN_DOWN(pa + len - 1, (paddr_t)PAGE_SIZE);
    pages = (unsigned)((last - first) / PAGE_SIZE + 1);
    for (paddr_t p = first; p <= last; p += PAGE_SIZE)
        in_pmo += pmo_page(p);
    if (in_pmo == pages)
        return phys_to_virt(pa);
    if (in_pmo)
        return NULL; /* half RAM, half not: no table lies so */
    lo = first;
    while (lo > ALIGN_DOWN(pa, (paddr_t)WINDOW) && !pmo_page(lo - PAGE_SIZE))
        lo -= PAGE_SIZE;
    hi = last + PAGE_SIZE;
    while (hi < ALIGN_UP(pa + len, (paddr_t)WINDOW) && !pmo_page(hi))
        hi += PAGE_SIZE;
    va = ioremap(lo, hi - lo);
    return va ? va + (pa - lo) : NULL;
}

void x86_find_irq_hardware(struct acpi_irq_info *info)
{
    u64 rsdp = x86_boot_info()->acpi_rsdp;
    const char *how = "from the loader";
    const char *err;

    if (!rsdp) {
        rsdp = acpi_find_rsdp(map_firmware, NULL);
        how = "found in the BIOS area";
    }
    if (!rsdp) {
        acpi_pc_defaults(info);
        printf("acpi: no RSDP: the PC defaults (local APIC 0x%x, I/O APIC 0x%x, ISA IRQs "
               "identity)\n",
               PC_LAPIC_ADDRESS, PC_IOAPIC_ADDRESS);
        return;
    }
    err = acpi_parse(rsdp, map_firmware, NULL, info);
    if (err) {
        printf("%s; the PC defaults instead\n", err);
        return;
    }
    printf("acpi: RSDP at 0x%llx (%s): %u CPU(s), %u I/O APIC(s), local APIC at 0x%llx\n",
           (unsigned long long)rsdp, how, info->cpus, info->ioapics,
           (unsigned long long)info->lapic_address);
}
