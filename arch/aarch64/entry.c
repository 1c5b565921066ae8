/*
 * entry.c: the first C code, called by boot.S in the higher half on the
 * boot stack with the MMU on. Starts the console, turns the device tree
 * into a struct boot_info and hands over to kmain().
 *
 * The DTB is read through the early PMO (PHYS_OFFSET + PA), which boot.S
 * maps for the first GiB of RAM; a DTB outside it is not used.
 */
#include <duet/bootinfo.h>
#include <duet/layout.h>
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

/* Copy /chosen/bootargs into bi->cmdline, which is always terminated. */
static void copy_bootargs(struct boot_info *bi, const struct fdt *fdt)
{
    u32 len, i;
    const char *args = fdt_getprop(fdt, "/chosen", "bootargs", &len);

    if (!args)
        return;
    for (i = 0; i < len && i < BOOT_CMDLINE_MAX - 1 && args[i]; i++)
        bi->cmdline[i] = args[i];
    bi->cmdline[i] = '\0';
    if (i == BOOT_CMDLINE_MAX - 1 && i < len && args[i])
        printf("aarch64: kernel command line cut to %d bytes\n", BOOT_CMDLINE_MAX - 1);
}

/* Read what the kernel needs from the DTB at PA dtb_pa (0: none was found). */
static void read_device_tree(struct boot_info *bi, paddr_t dtb_pa)
{
    struct fdt fdt;
    const char *method;
    u32 len;
    int err;

    if (dtb_pa == 0) {
        printf("aarch64: no device tree (not in x0, not at the start of RAM);"
               " empty command line\n");
        return;
    }
    /* boot.S only accepts a DTB inside the early PMO; it must also end there. */
    err = fdt_init(&fdt, early_phys_to_virt(dtb_pa), EARLY_PMO_PHYS + EARLY_PMO_SIZE - dtb_pa);
    if (err) {
        printf("aarch64: device tree at 0x%lx rejected: %s\n", dtb_pa, fdt_strerror(err));
        return;
    }
    bi->fw_info = dtb_pa;
    bi->fw_info_size = fdt.size;
    copy_bootargs(bi, &fdt);

    method = fdt_getprop(&fdt, "/psci", "method", &len);
    if (method && len > 0 && method[len - 1] == '\0')
        psci_set_conduit(method);
}

__noreturn void aarch64_main(u64 dtb_pa)
{
    pl011_init();
    boot_info.fw_name = "device tree";
    read_device_tree(&boot_info, dtb_pa);
    kmain(&boot_info);
}
