# AArch64 backend (QEMU virt): its sources, flags and linker script.
# Included by the top-level Makefile after BUILD is set.

ARCH_SRCS := \
	arch/aarch64/boot.S \
	arch/aarch64/vectors.S \
	arch/aarch64/firmware.S \
	arch/aarch64/entry.c \
	arch/aarch64/fdt.c \
	arch/aarch64/pl011.c \
	arch/aarch64/traps.c \
	arch/aarch64/user.c \
	arch/aarch64/cpu.c \
	arch/aarch64/clock.c \
	arch/aarch64/power.c \
	arch/aarch64/mmu.c \
	arch/aarch64/gic.c \
	arch/aarch64/gic_v2.c \
	arch/aarch64/gic_v3.c \
	arch/aarch64/timer.c \
	arch/aarch64/setjmp.S \
	arch/aarch64/switch.S \
	arch/aarch64/devices_test.c

# No FP/SIMD registers in the kernel (CPACR_EL1 traps them; nothing saves
# them), no PAC/BTI. Debian's gcc calls libgcc helpers for atomics unless told not to.
ARCH_CFLAGS := -mgeneral-regs-only -mcmodel=small -mbranch-protection=none
ifeq ($(TOOLCHAIN),gnu)
  ARCH_CFLAGS += -mno-outline-atomics
endif
ARCH_LDFLAGS :=

ARCH_LDS := $(BUILD)/kernel.lds
ARCH_IMAGES :=

$(ARCH_LDS): arch/aarch64/kernel.lds.S arch/aarch64/early_map.h arch/aarch64/sysregs.h \
             include/duet/kernel.lds.h include/duet/layout.h arch/aarch64/include/arch/layout.h
	$(call say,LDS,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude -Iarch/aarch64/include $< -o $@
