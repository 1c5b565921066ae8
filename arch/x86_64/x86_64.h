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
/* boot.S's early PMO maps [0, this) whatever the loader: conventional
 * memory up to the legacy window (boot.S: LEGACY_HOLE_START), where PVH
 * loaders leave the start info, its memory map and the command line. */
#define EARLY_LOW_RAM_END 0xa0000
/* mmu.c: the first GiB's RAM into boot.S's early PMO, from the firmware's map. */
struct memmap;
void x86_64_early_map_ram(const struct memmap *raw);
/* Called by arch_user_enter (trap_entry.S): traps from ring 3 land at `top`. */
void x86_set_kernel_stack(u64 top);

#endif
