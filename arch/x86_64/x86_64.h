/* Functions the x86_64 backend's files share with each other. */
#ifndef X86_64_PRIVATE_H
#define X86_64_PRIVATE_H

#include <duet/bootinfo.h>
#include <duet/types.h>

void serial_init(void);
void gdt_init(void);
void idt_init(void);
void gdt_set_kernel_stack(u64 top);
void x86_user_init(void);
/* boot.S's early PMO maps [0, EARLY_LOW_RAM_END) whatever the loader:
 * conventional memory up to the legacy window (boot.S: LEGACY_HOLE_START),
 * where PVH loaders usually leave the start info, its memory map and the
 * command line; for a PVH boot also the ROM area (option ROMs and the
 * BIOS), where qboot leaves them. */
#define EARLY_LOW_RAM_END 0xa0000
#define ROM_AREA_START    0xc0000
#define ROM_AREA_END      0x100000
/* mmu.c: the first GiB's RAM into boot.S's early PMO, from the firmware's map. */
struct memmap;
void x86_64_early_map_ram(const struct memmap *raw);
/* entry.c: what the loader told, for code that runs after kmain started. */
const struct boot_info *x86_boot_info(void);
/* acpi_map.c: the interrupt controllers from ACPI, or the PC defaults. */
struct acpi_irq_info;
void x86_find_irq_hardware(struct acpi_irq_info *info);

#endif
