/*
 * The x86/HVM direct boot ABI, "PVH": how QEMU's -kernel (and Xen, and
 * hypervisors such as Firecracker) start a kernel with no boot loader.
 *
 * The ELF carries a note, type XEN_ELFNOTE_PHYS32_ENTRY, holding a 32-bit
 * physical entry point (boot.S: pvh_start). The loader puts the PT_LOAD
 * segments at their physical addresses and enters there in 32-bit
 * protected mode with paging off, CS, DS and ES flat, interrupts off, and
 * EBX the physical address of struct hvm_start_info. Xen's documentation
 * (docs/misc/pvh.pandoc) gives the machine state; its public header
 * xen/include/public/arch-x86/hvm/start_info.h the layout below, all
 * little-endian. Version 0 ends at rsdp_paddr; version 1 adds the memory
 * map, whose types are the E820 (ACPI) ones.
 */
#ifndef X86_64_PVH_H
#define X86_64_PVH_H

#include <duet/bootinfo.h>
#include <duet/types.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578 /* "xEn3" with the top bit of 'E' set */

struct hvm_start_info {
    u32 magic;
    u32 version;
    u32 flags;
    u32 nr_modules;
    u64 modlist_paddr; /* nr_modules x struct hvm_modlist_entry */
    u64 cmdline_paddr; /* NUL-terminated; 0: none */
    u64 rsdp_paddr;
    /* version 1 and later: */
    u64 memmap_paddr; /* memmap_entries x struct hvm_memmap_entry */
    u32 memmap_entries;
    u32 reserved;
};

struct hvm_modlist_entry {
    u64 paddr;
    u64 size;
    u64 cmdline_paddr;
    u64 reserved;
};

struct hvm_memmap_entry {
    u64 addr;
    u64 size;
    u32 type; /* E820: 1 RAM, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad */
    u32 reserved;
};

/* Physical memory the parser may read: [lo, hi). */
struct pvh_window {
    paddr_t lo, hi;
};

/*
 * Fill bi (command line, raw memory map) from the start info at PA
 * info_pa. Physical address pa is read at pa0 + pa (the early PMO in the
 * kernel, a buffer in the host tests), and only inside one of the n
 * windows: everything the start info names must lie whole in one. NULL on
 * success, else a message that names the field and the value at fault;
 * bi is then incomplete.
 */
const char *pvh_parse(const void *pa0, const struct pvh_window *windows, size_t n, paddr_t info_pa,
                      struct boot_info *bi);

#endif
