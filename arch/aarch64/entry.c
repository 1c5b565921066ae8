/*
 * entry.c: the first C code, called by boot.S in the higher half on the
 * boot stack with the MMU on. Starts the console, turns the device tree
 * into a struct boot_info and hands over to kmain().
 *
 * The DTB is read through the early PMO (PHYS_OFFSET + PA), which boot.S
 * maps for the first GiB of RAM; for a DTB outside it boot.S passes 0, and
 * the boot stops: the DTB is the only description of RAM there is.
 */
#include <duet/bootinfo.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <arch/layout.h>
#include "aarch64.h"
#include "fdt.h"

static struct boot_info boot_info;

/* The early PMO: phys_to_virt() before mm/ has expanded the PMO. */
static const void *early_phys_to_virt(paddr_t pa)
{
    return (const void *)(uintptr_t)(PHYS_OFFSET + pa);
}

/*
 * Read what the kernel needs from the DTB at PA dtb_pa (0: none was found):
 * the memory map, the command line and the PSCI conduit. A malformed DTB
 * stops the boot: without it the kernel does not know where its RAM is.
 */
static void read_device_tree(struct boot_info *bi, paddr_t dtb_pa)
{
    const char *err, *psci_method;

    if (dtb_pa == 0)
        panic("aarch64: no device tree (not in x0, not at the start of RAM),"
              " so no memory map");
    /* boot.S only accepts a DTB inside the early PMO; it must also end there. */
    err = fdt_parse(early_phys_to_virt(dtb_pa), EARLY_PMO_PHYS + EARLY_PMO_SIZE - dtb_pa, dtb_pa,
                    bi, &psci_method);
    if (err)
        panic("aarch64: device tree at PA 0x%lx rejected: %s", dtb_pa, err);
    if (psci_method)
        psci_set_conduit(psci_method);
}

__noreturn void aarch64_main(u64 dtb_pa)
{
    pl011_init();
    boot_info.fw_name = "device tree";
    read_device_tree(&boot_info, dtb_pa);
    kmain(&boot_info);
}
