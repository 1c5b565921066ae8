# Toolchain selection: which compiler, linker and binutils build $(ARCH).
#
# GNU (default): a bare-metal cross compiler when one is installed
# (x86_64-elf-gcc, aarch64-none-elf-gcc), otherwise the host gcc for x86_64
# and Debian's aarch64-linux-gnu-gcc for AArch64. Freestanding flags make the
# Linux-targeted compilers safe for a kernel: no libc, no PIE, no red zone.
# LLVM=1: clang and ld.lld for both architectures, with an explicit target.

# `have` (the Makefile) finds a command on PATH without starting a shell.

ifeq ($(LLVM),1)
  CLANG_TARGET_x86_64  := x86_64-unknown-none-elf
  CLANG_TARGET_aarch64 := aarch64-unknown-none-elf
  CC      := clang --target=$(CLANG_TARGET_$(ARCH))
  LD      := ld.lld
  NM      := llvm-nm
  OBJCOPY := llvm-objcopy
  TOOLCHAIN := llvm
else
  ifeq ($(origin CROSS_COMPILE),undefined)
    ifeq ($(ARCH),x86_64)
      CROSS_COMPILE := $(if $(call have,x86_64-elf-gcc),x86_64-elf-)
    else
      CROSS_COMPILE := $(if $(call have,aarch64-none-elf-gcc),aarch64-none-elf-,aarch64-linux-gnu-)
    endif
  endif
  CC      := $(CROSS_COMPILE)gcc
  LD      := $(CROSS_COMPILE)ld
  NM      := $(CROSS_COMPILE)nm
  OBJCOPY := $(CROSS_COMPILE)objcopy
  TOOLCHAIN := gnu
  # GCC would otherwise turn the loops in lib/string.c into calls to
  # memset/memcpy, that is, into themselves.
  TOOLCHAIN_CFLAGS := -fno-tree-loop-distribute-patterns
endif
