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
 * "method" ("hvc" or "smc"; a string inside the blob) or NULL if absent.
 *
 * Returns NULL, or a message saying what is wrong ("fdt: ..."), kept in a
 * static buffer until the next call. After an error *bi may hold part of
 * the blob's contents: the caller stops the boot.
 */
const char *fdt_parse(const void *blob, size_t available, paddr_t blob_pa, struct boot_info *bi,
                      const char **psci_method);

#endif
