/*
 * AArch64 `virt` physical placement. RAM starts at 0x4000_0000 and QEMU puts
 * the device tree there for an ELF kernel, so the kernel goes above it:
 * the .boot segment at RAM + 2 MiB, the higher-half image at RAM + 4 MiB.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define KERNEL_PHYS_BASE  0x40000000 /* PA of KERNEL_VIRT_BASE */
#define KERNEL_LOAD_PHYS  0x40200000 /* PA of the .boot segment */
#define KERNEL_IMAGE_PHYS 0x40400000 /* PA of the higher-half image */
#define EARLY_PMO_PHYS    0x40000000 /* boot.S maps this GiB in the PMO */

/* e_machine of this arch's ELF files (System V ABI, EM_AARCH64). */
#define ARCH_ELF_MACHINE 183

/* The user's registers at the top of a kernel stack (include/duet/arch.h):
 * struct trap_frame, arch/aarch64/trap.h. */
#define ARCH_USER_FRAME_SIZE 288

#endif
