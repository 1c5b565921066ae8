/*
 * entry.c: the first C code, called by boot.S in the higher half on the
 * boot stack with the MMU on. Starts the console, turns the device tree
 * into a struct boot_info and hands over to kmain().
 *
 * The DTB is read through the early PMO (PHYS_OFFSET + PA), where boot.S
 * maps it; for a DTB outside the first GiB of RAM boot.S passes 0, and the
 * boot stops: the DTB is the only description of RAM there is. Then the
 * rest of that GiB's RAM joins the early PMO (early_map_ram).
 */
#include <duet/bootinfo.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <arch/layout.h>
#include <mm/memmap.h>
#include "aarch64.h"
#include "early_map.h"
#include "fdt.h"

static struct boot_info boot_info;
struct fdt_irq aarch64_fdt_irq;

/* The early PMO: phys_to_virt() before mm/ has expanded the PMO. */
static const void *early_phys_to_virt(paddr_t pa)
{
    return (const void *)(uintptr_t)(PHYS_OFFSET + pa);
}

/*
 * Read what the kernel needs from the DTB at PA dtb_pa (0: none was found):
 * the memory map, the command line, the PSCI conduit and, for the GIC
 * driver, where the interrupt controller is (aarch64_fdt_irq). A malformed DTB
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
                    bi, &psci_method, &aarch64_fdt_irq);
    if (err)
        panic("aarch64: device tree at PA 0x%lx rejected: %s", dtb_pa, err);
    if (psci_method)
        psci_set_conduit(psci_method);
}

/* boot.S: zeroed level-3 tables for early_map_ram (early_map.h). */
extern char aarch64_edge_tables[];

/* A table of boot.S's, from its descriptor: the tables are in the image. */
static u64 *boot_table(u64 desc)
{
    return (u64 *)(uintptr_t)((desc & PTE_ADDR_MASK) + KIMAGE_VA_PA_DELTA);
}

/*
 * boot.S mapped only the DTB and the image in the PMO: it could not know
 * where RAM is. Now the DTB has said: map the rest of the first GiB's RAM
 * (what the early allocator hands out), 2 MiB blocks where a whole block
 * is RAM, 4 KiB pages at the edges, and nothing that is not RAM or is
 * reserved, since a Normal cacheable mapping may be read speculatively
 * (Arm ARM B2, "Normal memory"). Only invalid entries become valid, so
 * no TLB maintenance is needed; the DSB makes each level-3 table visible
 * to the walker before the entry that links it (Arm ARM D8, ordering of
 * translation table updates).
 */
static void early_map_ram(const struct memmap *raw)
{
    const vaddr_t va = PHYS_OFFSET + EARLY_PMO_PHYS;
    u64 *l0 = boot_table(read_sysreg(ttbr1_el1));
    u64 *l1 = boot_table(l0[(va >> L0_SHIFT) & 511]);
    u64 *l2 = boot_table(l1[(va >> L1_SHIFT) & 511]);
    unsigned edges = 0;
    u64 blocks = 0, pages = 0;

    for (unsigned i = 0; i < 512; i++) {
        paddr_t pa = EARLY_PMO_PHYS + (u64)i * BLOCK_SIZE;
        enum memmap_ram kind = memmap_ram_in(raw, pa, BLOCK_SIZE);

        if ((l2[i] & PTE_VALID) || kind == MEMMAP_RAM_NONE)
            continue; /* boot.S's (the DTB, the image), or nothing to map */
        if (kind == MEMMAP_RAM_ALL) {
            l2[i] = pa | EARLY_BLOCK_PMO;
            blocks++;
            continue;
        }
        if (edges == AARCH64_EDGE_TABLES)
            panic("aarch64: more than %u 2 MiB blocks of the first GiB are RAM only in part "
                  "(AARCH64_EDGE_TABLES, arch/aarch64/early_map.h)",
                  AARCH64_EDGE_TABLES);
        u64 *l3 = (u64 *)(aarch64_edge_tables + edges++ * PAGE_SIZE);
        for (unsigned j = 0; j < 512; j++) {
            paddr_t p = pa + (u64)j * PAGE_SIZE;
            if (memmap_ram_in(raw, p, PAGE_SIZE) == MEMMAP_RAM_ALL) {
                l3[j] = p | EARLY_PAGE_PMO;
                pages++;
            }
        }
        dsb(ishst);
        l2[i] = ((uintptr_t)l3 - KIMAGE_VA_PA_DELTA) | PTE_TYPE_TABLE;
    }
    dsb(ishst);
    isb();
    printf("aarch64: early PMO: the DTB and the image, and %llu x 2 MiB, %llu x 4 KiB of RAM\n",
           (unsigned long long)blocks, (unsigned long long)pages);
}

__noreturn void aarch64_main(u64 dtb_pa)
{
    pl011_init();
    boot_info.fw_name = "device tree";
    read_device_tree(&boot_info, dtb_pa);
    early_map_ram(&boot_info.raw);
    kmain(&boot_info);
}
