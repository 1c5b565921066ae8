/*
 * The device-tree parser: turns the flattened device tree (DTB) that QEMU
 * or a boot loader hands over into a struct boot_info (Devicetree
 * Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format").
 *
 * The blob comes from outside the kernel, so nothing in it is trusted:
 * every offset and length is checked before it is used, and a malformed
 * blob is refused with a message that names the field and its offset.
 */
#ifndef AARCH64_FDT_H
#define AARCH64_FDT_H

#include <duet/bootinfo.h>
#include <duet/types.h>

/*
 * What the tree says about interrupts: the GIC and the interrupts of the
 * two devices Duet drives by interrupt. Lines are GIC INTIDs (SGIs 0-15,
 * PPIs 16-31, SPIs 32-1019); 0 means "none that Duet can use" (INTID 0 is
 * an SGI, never a device's). Sizes and versions are as the tree says them:
 * the GIC driver checks they cover the registers it touches.
 */
struct fdt_irq {
    unsigned gic_version;     /* 2 or 3; 0: no GIC in the tree */
    u64 gicd_base, gicd_size; /* the distributor: reg's first region */
    u64 gic2_base, gic2_size; /* reg's second: v2 the CPU interface (GICC), v3 the
                                 first redistributor region (GICR) */
    u32 timer_intid;          /* the generic timer's virtual timer, a PPI */
    u64 uart_base;            /* the first enabled PL011's registers ... */
    u32 uart_intid;           /* ... and its interrupt, an SPI */
};

/*
 * Parse the DTB at `blob` (physical address `blob_pa`), of which at most
 * `available` bytes may be read, and add to *bi:
 *
 *   every /memory node's reg ranges                 MEM_USABLE
 *   the reg ranges of /reserved-memory's children   MEM_RESERVED
 *   the memory-reservation block's entries          MEM_RESERVED
 *   /chosen linux,initrd-start .. linux,initrd-end  MEM_MODULE
 *   the DTB itself                                  MEM_FIRMWARE_INFO
 *   /chosen bootargs                                bi->cmdline
 *
 * and set bi->fw_info and bi->fw_info_size. *psci_method becomes /psci's
 * "method" ("hvc" or "smc"; a string inside the blob) or NULL if absent;
 * *irq what the tree says about interrupts (struct fdt_irq).
 *
 * Returns NULL, or a message saying what is wrong ("fdt: ..."), kept in a
 * static buffer until the next call. After an error *bi may hold part of
 * the blob's contents: the caller stops the boot.
 */
const char *fdt_parse(const void *blob, size_t available, paddr_t blob_pa, struct boot_info *bi,
                      const char **psci_method, struct fdt_irq *irq);

#endif
