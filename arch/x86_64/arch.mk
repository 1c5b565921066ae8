# x86_64: built as a Multiboot2 ELF and wrapped in a GRUB2 ISO.

ARCH_SRCS := $(wildcard arch/x86_64/*.c arch/x86_64/*.S)

ARCH_CFLAGS := -m64 -march=x86-64 -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
               -mno-mmx -mno-sse -mno-sse2
ARCH_LDFLAGS := -m elf_x86_64

ARCH_LDS := $(BUILD)/kernel.lds
$(ARCH_LDS): arch/x86_64/kernel.lds.S include/duet/kernel.lds.h include/duet/layout.h | $(BUILD)/obj
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude -Iarch/x86_64/include $< -o $@

# The ISO: GRUB (BIOS), grub.cfg, the kernel. SOURCE_DATE_EPOCH keeps it reproducible.
# The kernel on the ISO has no debug information: GRUB copies an ELF's
# non-allocated sections into RAM (the Multiboot2 ELF-sections tag), which
# the kernel must then keep reserved, and its growing debug information had
# come to cost more RAM than the BIOS. gdb reads build/<arch>/duet.elf.
ISO := $(BUILD)/duet.iso
ARCH_IMAGES := $(ISO)
GRUB_MODULES := multiboot2 normal search search_fs_file fat iso9660 biosdisk part_msdos \
                configfile test echo serial terminal
$(ISO): $(ELF) boot/grub.cfg arch/x86_64/arch.mk
	$(call say,ISO,$@)
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	@$(OBJCOPY) --strip-debug $(ELF) $(BUILD)/iso/boot/duet.elf
	@cp boot/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)SOURCE_DATE_EPOCH=0 grub-mkrescue --install-modules="$(GRUB_MODULES)" \
	    --fonts= --locales= --themes= -o $@ $(BUILD)/iso > $(BUILD)/grub-mkrescue.log 2>&1 \
	  || { cat $(BUILD)/grub-mkrescue.log; exit 1; }
