/*
 * What each arch hands to kmain(): everything the firmware told us, already
 * translated into arch-neutral terms. Built by arch/<arch>/ from the
 * Multiboot2 info (x86_64) or the device tree (AArch64).
 */
#ifndef DUET_BOOTINFO_H
#define DUET_BOOTINFO_H

#include <duet/types.h>
#include <mm/memmap.h>

#define BOOT_CMDLINE_MAX 512

struct boot_info {
    /* The kernel command line, NUL-terminated, copied into kernel memory. */
    char cmdline[BOOT_CMDLINE_MAX];
    /* The firmware's own description: Multiboot2 info block or DTB. */
    paddr_t fw_info;
    size_t fw_info_size;
    const char *fw_name; /* "multiboot2" or "device tree" */
    /*
     * x86_64: the PA of the ACPI RSDP the loader gave (the copy in the
     * Multiboot2 block, or the PVH start info's rsdp_paddr); 0 when it gave
     * none, and on AArch64. Not yet checked: arch/x86_64/acpi.c does that.
     */
    paddr_t acpi_rsdp;
    /*
     * The firmware's memory description as it came, unsorted and possibly
     * overlapping: RAM (MEM_USABLE) and everything the firmware or the
     * loader reserved (boot modules, initrd, framebuffer, DT reservations).
     * kmain() adds the kernel image and normalises it.
     */
    struct memmap raw;
};

/* The arch-independent start; each arch calls it once it runs C. */
__attribute__((noreturn)) void kmain(struct boot_info *bi);

#endif
