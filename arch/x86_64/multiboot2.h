/*
 * The Multiboot2 boot information format: the block GRUB leaves in memory
 * for the kernel, with EBX holding its physical address. Section numbers
 * are those of "The Multiboot2 Specification version 2.0", 3.6 "Boot
 * information" (https://www.gnu.org/software/grub/manual/multiboot2/).
 *
 * The block is a header and a list of tags. Every tag starts on an 8-byte
 * boundary with {type, size}; `size` counts the tag's header but not the
 * padding after it; a tag of type 0 and size 8 ends the list. Only the tags
 * Duet reads have a struct here; the parser skips the others by their size.
 * All fields are little-endian.
 */
#ifndef X86_64_MULTIBOOT2_H
#define X86_64_MULTIBOOT2_H

#include <duet/bootinfo.h>
#include <duet/types.h>

#define MB2_ALIGN 8 /* the block and every tag start 8-aligned */

/* 3.6.2 "Basic tags structure": the fixed part... */
struct mb2_info_header {
    u32 total_size; /* bytes, this header and the end tag included */
    u32 reserved;
};

/* ...then the tags, each beginning with this. */
struct mb2_tag {
    u32 type;
    u32 size; /* bytes, this header included, the padding after it not */
};

/* Tag types: the subsection of 3.6 that defines each. */
#define MB2_TAG_END             0  /* 3.6.2, size 8, the last tag */
#define MB2_TAG_CMDLINE         1  /* 3.6.5 */
#define MB2_TAG_BOOTLOADER_NAME 2  /* 3.6.9 */
#define MB2_TAG_MODULE          3  /* 3.6.6 */
#define MB2_TAG_BASIC_MEMINFO   4  /* 3.6.3 */
#define MB2_TAG_BOOTDEV         5  /* 3.6.4 */
#define MB2_TAG_MMAP            6  /* 3.6.8 */
#define MB2_TAG_VBE             7  /* 3.6.11 */
#define MB2_TAG_FRAMEBUFFER     8  /* 3.6.12 */
#define MB2_TAG_ELF_SECTIONS    9  /* 3.6.7 */
#define MB2_TAG_APM             10 /* 3.6.10 */
#define MB2_TAG_EFI32           11 /* 3.6.13 */
#define MB2_TAG_EFI64           12 /* 3.6.14 */
#define MB2_TAG_SMBIOS          13 /* 3.6.15 */
#define MB2_TAG_ACPI_OLD        14 /* 3.6.16 */
#define MB2_TAG_ACPI_NEW        15 /* 3.6.17 */
#define MB2_TAG_NETWORK         16 /* 3.6.18 */
#define MB2_TAG_EFI_MMAP        17 /* 3.6.19 */
#define MB2_TAG_EFI_BS          18 /* 3.6.20 */
#define MB2_TAG_EFI32_IH        19 /* 3.6.21 */
#define MB2_TAG_EFI64_IH        20 /* 3.6.22 */
#define MB2_TAG_LOAD_BASE_ADDR  21 /* 3.6.23 */
#define MB2_TAG_TYPE_COUNT      22

/* 3.6.16 and 3.6.17: the RSDP's size in ACPI 1.0 and 2.0 (ACPI 6.5, 5.2.5.3). */
#define MB2_RSDP_V1_SIZE 20
#define MB2_RSDP_V2_SIZE 36

/* 3.6.5 "Boot command line": a NUL-terminated UTF-8 string. */
struct mb2_tag_string {
    struct mb2_tag tag;
    char string[];
};

/* 3.6.6 "Modules": one tag per module, [mod_start, mod_end) in physical memory. */
struct mb2_tag_module {
    struct mb2_tag tag;
    u32 mod_start;
    u32 mod_end;
    char string[]; /* the module's command line */
};

/* 3.6.3 "Basic memory information", in KiB: [0, mem_lower) and [1 MiB, 1 MiB + mem_upper). */
struct mb2_tag_basic_meminfo {
    struct mb2_tag tag;
    u32 mem_lower;
    u32 mem_upper;
};

#define MB2_MEM_LOWER_MAX_KIB 640 /* 3.6.3: "The maximum possible value" */

/*
 * 3.6.8 "Memory map": entry_size bytes per entry, "guaranteed to be a
 * multiple of 8"; entries of a later entry_version may be longer but begin
 * like these. entry_version "is currently set at 0".
 */
struct mb2_tag_mmap {
    struct mb2_tag tag;
    u32 entry_size;
    u32 entry_version;
    /* entries follow */
};

struct mb2_mmap_entry {
    u64 base_addr;
    u64 length;
    u32 type; /* MB2_MEMORY_* */
    u32 reserved;
};

#define MB2_MMAP_VERSION            0
#define MB2_MEMORY_AVAILABLE        1 /* RAM */
#define MB2_MEMORY_RESERVED         2 /* and "all other values" */
#define MB2_MEMORY_ACPI_RECLAIMABLE 3 /* "usable memory holding ACPI information" */
#define MB2_MEMORY_NVS              4 /* "needs to be preserved on hibernation" */
#define MB2_MEMORY_BADRAM           5 /* "occupied by defective RAM modules" */

/* A memory-map type as Duet's: these are the E820 (ACPI) types, which the
 * PVH start info's memory map uses too (pvh.c). */
static inline enum mem_type mmap_type(u32 type)
{
    switch (type) {
    case MB2_MEMORY_AVAILABLE: return MEM_USABLE;
    case MB2_MEMORY_ACPI_RECLAIMABLE: return MEM_ACPI_RECLAIMABLE;
    case MB2_MEMORY_NVS: return MEM_ACPI_NVS;
    case MB2_MEMORY_BADRAM: return MEM_BAD;
    default: return MEM_RESERVED; /* 2, and all other values */
    }
}

/*
 * 3.6.7 "ELF-Symbols": the kernel's section header table. The spec draws
 * num, entsize and shndx as u16 followed by a u16 reserved, but GRUB (the
 * loader Duet uses; include/multiboot2.h, struct multiboot_tag_elf_sections)
 * writes them as u32, so the headers start at offset 20. That offset is
 * only 4-aligned: the headers must be copied out, not pointed at.
 */
struct mb2_tag_elf_sections {
    struct mb2_tag tag;
    u32 num;     /* section headers */
    u32 entsize; /* bytes per section header */
    u32 shndx;   /* the index of the section-name string table */
    /* section headers follow, at offset 20 */
};

/* A section header of an ELF64 file (System V ABI, "Sections", Elf64_Shdr). */
struct elf64_shdr {
    u32 sh_name;
    u32 sh_type;
    u64 sh_flags;
    u64 sh_addr;
    u64 sh_offset;
    u64 sh_size;
    u32 sh_link;
    u32 sh_info;
    u64 sh_addralign;
    u64 sh_entsize;
};

#define ELF_SHF_ALLOC 0x2 /* the section is part of a loaded segment */

/*
 * 3.6.12 "Framebuffer info": pitch is bytes per line, height lines (text
 * rows in EGA text mode), so the framebuffer is pitch * height bytes.
 */
struct mb2_tag_framebuffer {
    struct mb2_tag tag;
    u64 framebuffer_addr;
    u32 framebuffer_pitch;
    u32 framebuffer_width;
    u32 framebuffer_height;
    u8 framebuffer_bpp;
    u8 framebuffer_type;
    u8 reserved;
    u8 color_info[]; /* at offset 31; its layout depends on framebuffer_type */
};

/*
 * Fill bi from the information block GRUB left at physical address
 * info_pa, mapped at `info`, of which `available` bytes may be read: the
 * command line, the raw memory regions (bi->raw) and the block itself
 * (bi->fw_info). Returns NULL, or a message naming what is malformed (in a
 * static buffer, valid until the next call).
 */
const char *multiboot2_parse(const void *info, size_t available, paddr_t info_pa,
                             struct boot_info *bi);

#endif
