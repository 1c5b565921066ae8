/*
 * x86_64 physical placement. RAM starts at 0; GRUB loads the .boot segment
 * at 2 MiB and the kernel at 4 MiB, clear of the BIOS areas below 1 MiB.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define KERNEL_PHYS_BASE  0x0      /* PA of KERNEL_VIRT_BASE */
#define KERNEL_LOAD_PHYS  0x200000 /* PA of the .boot segment */
#define KERNEL_IMAGE_PHYS 0x400000 /* PA of the higher-half image */
#define EARLY_PMO_PHYS    0x0      /* boot.S maps PA 0..1 GiB in the PMO */

/* e_machine of this arch's ELF files (System V ABI, EM_X86_64). */
#define ARCH_ELF_MACHINE 62

/* The user's registers at the top of a kernel stack (include/duet/arch.h):
 * struct trap_frame, arch/x86_64/trap.h. */
#define ARCH_USER_FRAME_SIZE 176

#endif
