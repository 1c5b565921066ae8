/*
 * x86_64_main(): the first C code, called by boot.S in the higher half on
 * the boot stack. It brings up the console and the CPU tables, turns what
 * the loader left (the Multiboot2 information, or the PVH start info of a
 * direct boot) into a struct boot_info and calls kmain().
 */
#include <duet/arch.h>
#include <duet/bootinfo.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <arch/x86.h>
#include <mm/pmo.h>
#include "multiboot2.h"
#include "pvh.h"
#include "x86_64.h"

static struct boot_info boot_info;

void x86_64_main(u32 magic, u32 info_pa);

const struct boot_info *x86_boot_info(void)
{
    return &boot_info;
}

/* What boot.S's early PMO maps low whatever the loader, and, for a PVH
 * boot, the ROM area, where qboot leaves its start info (x86_64.h). */
static const struct pvh_window pvh_windows[] = {
    { 0, EARLY_LOW_RAM_END },
    { ROM_AREA_START, ROM_AREA_END },
};

void x86_64_main(u32 magic, u32 info_pa)
{
    const char *err;

    serial_init();
    gdt_init();
    idt_init();
    x86_user_init();

    /* Each loader places its information low. boot.S maps a Multiboot2
     * block whole in the early PMO, and the parser reads no further than
     * its total_size; a PVH start info points elsewhere, so its parser reads
     * only the low memory that boot.S maps for it (pvh_windows). */
    if (magic == HVM_START_MAGIC) {
        err = pvh_parse(phys_to_virt(0), pvh_windows, ARRAY_SIZE(pvh_windows), info_pa, &boot_info);
    } else {
        if (info_pa == 0 || info_pa >= EARLY_PMO_SIZE)
            panic("multiboot2: info block at PA 0x%x is outside the early PMO", info_pa);
        err =
            multiboot2_parse(phys_to_virt(info_pa), EARLY_PMO_SIZE - info_pa, info_pa, &boot_info);
    }
    if (err)
        panic("%s (information block at PA 0x%x)", err, info_pa);
    x86_64_early_map_ram(&boot_info.raw);
    kmain(&boot_info);
}

void arch_trap_init(void)
{
    /* Done in x86_64_main already: the GDT and IDT must exist before any
     * C code can fault, and kmain runs after that. Nothing more to do. */
}

/*
 * The identity map, boot.S's boot_pml4[0], only served the jump to the
 * higher half. When this returns, no lower-half address translates
 * through it: not through the tables, and not through what the TLB and
 * the paging-structure caches hold from before. The kernel half, whose
 * pages are global, keeps working.
 *
 * The rule (Intel SDM Vol. 3A 4.10.4, "Invalidation of TLBs and
 * Paging-Structure Caches"): the TLB and the paging-structure caches may
 * go on using what they hold for an entry after it changes, until an
 * invalidation drops it; not every invalidation drops global pages.
 */
void arch_remove_identity_map(void)
{
    /* LAB 4 BEGIN: arch_remove_identity_map (x86_64) */
    /* LAB 4 STUB: printf("lab 4 not implemented (arch_remove_identity_map): the identity map stays\n"); */
    extern u64 boot_pml4[512];

    boot_pml4[0] = 0;
    write_cr3(read_cr3());
    /* LAB 4 END */
}
