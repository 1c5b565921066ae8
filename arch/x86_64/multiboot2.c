/*
 * Reading the Multiboot2 information block (multiboot2.h) into a struct
 * boot_info: the command line, and the raw memory regions that
 * mm/memmap.c will normalise:
 *
 *   memory map tag (6)       every entry, typed as the spec says
 *   basic meminfo tag (4)    usable lower and upper memory, only without a memory map
 *   module tags (3)          MEM_MODULE
 *   ELF-sections tag (9)     MEM_RESERVED: the sections GRUB copied to memory
 *   framebuffer tag (8)      MEM_RESERVED
 *   the block itself         MEM_FIRMWARE_INFO
 *   ACPI RSDP tags (14, 15)  bi->acpi_rsdp: the PA of the copy inside the
 *                            block (the new one if both came; acpi.c checks it;
 *                            a tag too short for one is skipped)
 *
 * The block comes from outside the kernel, so every length is checked
 * before the bytes it covers are read: against total_size, against the
 * bytes the caller may read, and against the fields a tag must hold. Every
 * loop advances. A malformed block is refused with a message that names
 * the tag, its offset and the field, and the boot stops there.
 * tests/host/test_multiboot2.c has a case for each message, and blocks
 * captured from GRUB; tests/fuzz/fuzz_multiboot2.c feeds it random ones.
 *
 * Decisions the spec leaves open:
 *   - total_size must be a multiple of 8, at most 1 MiB, and end exactly
 *     after the end tag: GRUB writes it so, and anything else means the
 *     block is damaged.
 *   - A memory-map entry_version other than 0 is refused: its entries
 *     promise to begin like version 0's, but nothing here has seen one.
 *   - A region's end, base + length, must fit in 64 bits.
 *   - An empty module (mod_start == mod_end: an empty file) is allowed; it
 *     occupies no memory. mod_end below mod_start is refused.
 *   - A command line longer than BOOT_CMDLINE_MAX - 1 is cut, with a note.
 *   - Without a memory map or basic meminfo tag there is nothing to run
 *     in: refused.
 */
#include <stdarg.h>
#include <duet/compiler.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/memmap.h>
#include "multiboot2.h"

/* GRUB writes a few KiB; a larger total_size is not an information block. */
#define MB2_INFO_MAX_SIZE (1u << 20)

/* Where the walk is: what a message names, and where regions go. */
struct walk {
    const u8 *block;
    u32 offset;                /* of the tag being read */
    const struct mb2_tag *tag; /* NULL outside a tag */
    struct boot_info *bi;
    bool have_mmap;
    const struct mb2_tag_basic_meminfo *meminfo; /* used if there is no memory map */
    u32 meminfo_offset;
    u32 rsdp_offset; /* of an ACPI RSDP tag's copy of the RSDP; 0: none */
    bool rsdp_new;
};

static const char *const tag_names[MB2_TAG_TYPE_COUNT] = {
    [MB2_TAG_END] = "end",
    [MB2_TAG_CMDLINE] = "command line",
    [MB2_TAG_BOOTLOADER_NAME] = "boot loader name",
    [MB2_TAG_MODULE] = "module",
    [MB2_TAG_BASIC_MEMINFO] = "basic memory info",
    [MB2_TAG_BOOTDEV] = "BIOS boot device",
    [MB2_TAG_MMAP] = "memory map",
    [MB2_TAG_VBE] = "VBE info",
    [MB2_TAG_FRAMEBUFFER] = "framebuffer",
    [MB2_TAG_ELF_SECTIONS] = "ELF sections",
    [MB2_TAG_APM] = "APM table",
    [MB2_TAG_EFI32] = "EFI 32-bit system table",
    [MB2_TAG_EFI64] = "EFI 64-bit system table",
    [MB2_TAG_SMBIOS] = "SMBIOS tables",
    [MB2_TAG_ACPI_OLD] = "ACPI 1.0 RSDP",
    [MB2_TAG_ACPI_NEW] = "ACPI 2.0 RSDP",
    [MB2_TAG_NETWORK] = "network",
    [MB2_TAG_EFI_MMAP] = "EFI memory map",
    [MB2_TAG_EFI_BS] = "EFI boot services not terminated",
    [MB2_TAG_EFI32_IH] = "EFI 32-bit image handle",
    [MB2_TAG_EFI64_IH] = "EFI 64-bit image handle",
    [MB2_TAG_LOAD_BASE_ADDR] = "image load base address",
};

static const char *tag_name(u32 type)
{
    return type < MB2_TAG_TYPE_COUNT ? tag_names[type] : "unknown";
}

/*
 * The message for a malformed block, in a static buffer:
 * "multiboot2: tag at offset 0x48 (type 6, memory map): <what>".
 */
static const char *fail(const struct walk *w, const char *fmt, ...) __printf(2, 3);
static const char *fail(const struct walk *w, const char *fmt, ...)
{
    static char message[256];
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (w->tag)
        snprintf(message, sizeof(message), "multiboot2: tag at offset 0x%x (type %u, %s): %s",
                 w->offset, w->tag->type, tag_name(w->tag->type), what);
    else
        snprintf(message, sizeof(message), "multiboot2: %s", what);
    return message;
}

/* Does [base, base + size) end below 2^64? */
static bool range_fits(u64 base, u64 size)
{
    return size <= UINT64_MAX - base;
}

/* Record a region in bi->raw; the caller has checked range_fits(). */
static const char *add_region(const struct walk *w, u64 base, u64 size, enum mem_type type)
{
    int err = memmap_add(&w->bi->raw, base, size, type);

    if (err)
        return fail(w, "cannot record [0x%llx, +0x%llx) %s: %s", (unsigned long long)base,
                    (unsigned long long)size, mem_type_name(type), memmap_strerror(err));
    return NULL;
}

/* The tag must be large enough for the fields the parser reads. */
static const char *check_size(const struct walk *w, size_t fields)
{
    if (w->tag->size < fields)
        return fail(w, "size 0x%x is less than the 0x%zx bytes of its fields", w->tag->size,
                    fields);
    return NULL;
}

/*
 * GRUB's multiboot2 command escapes the characters its own script language
 * treats specially: it writes \" \' and \\ for " ' and \ in the arguments.
 * Undo that, so the kernel sees the command line the user wrote. Returns
 * false when src did not fit in size bytes and was cut.
 */
static bool copy_cmdline_unescaped(char *dst, size_t size, const char *src)
{
    size_t n = 0;

    for (; *src && n + 1 < size; src++) {
        if (src[0] == '\\' && (src[1] == '\\' || src[1] == '\'' || src[1] == '"'))
            src++;
        dst[n++] = *src;
    }
    dst[n] = '\0';
    return *src == '\0';
}

static const char *parse_cmdline(struct walk *w)
{
    const struct mb2_tag_string *t = (const void *)w->tag;
    size_t max = t->tag.size - sizeof(t->tag);

    if (strnlen(t->string, max) == max)
        return fail(w, "the string has no NUL within the tag's size 0x%x", t->tag.size);
    if (!copy_cmdline_unescaped(w->bi->cmdline, sizeof(w->bi->cmdline), t->string))
        printf("multiboot2: the command line is longer than %zu bytes; the rest is ignored\n",
               sizeof(w->bi->cmdline) - 1);
    return NULL;
}

static const char *parse_module(struct walk *w)
{
    const struct mb2_tag_module *t = (const void *)w->tag;
    const char *err = check_size(w, sizeof(*t));

    if (err)
        return err;
    if (t->mod_end < t->mod_start)
        return fail(w, "mod_end 0x%x is below mod_start 0x%x", t->mod_end, t->mod_start);
    return add_region(w, t->mod_start, t->mod_end - t->mod_start, MEM_MODULE);
}

/* Only remembered here: it is used after the walk, if no memory map came. */
static const char *parse_basic_meminfo(struct walk *w)
{
    const struct mb2_tag_basic_meminfo *t = (const void *)w->tag;
    const char *err = check_size(w, sizeof(*t));

    if (err)
        return err;
    if (t->mem_lower > MB2_MEM_LOWER_MAX_KIB)
        return fail(w, "mem_lower %u KiB is above the %u KiB the spec allows", t->mem_lower,
                    MB2_MEM_LOWER_MAX_KIB);
    w->meminfo = t;
    w->meminfo_offset = w->offset;
    return NULL;
}

static const char *add_basic_meminfo(struct walk *w)
{
    const char *err;

    w->tag = &w->meminfo->tag;
    w->offset = w->meminfo_offset;
    err = add_region(w, 0, (u64)w->meminfo->mem_lower * KiB, MEM_USABLE);
    return err ? err : add_region(w, 1 * MiB, (u64)w->meminfo->mem_upper * KiB, MEM_USABLE);
}

static const char *parse_mmap(struct walk *w)
{
    /* LAB 1 BEGIN: parse_mmap */
    /* LAB 1 STUB: (void)mmap_type; */
    /* LAB 1 STUB: return fail(w, "lab 1: not implemented: parse_mmap"); */
    const struct mb2_tag_mmap *t = (const void *)w->tag;
    const char *err = check_size(w, sizeof(*t));
    u32 bytes, count;

    if (err)
        return err;
    /* A multiple of 8 keeps every entry's u64 fields 8-aligned. */
    if (t->entry_size < sizeof(struct mb2_mmap_entry) || !IS_ALIGNED(t->entry_size, 8u))
        return fail(w, "entry_size 0x%x is not a multiple of 8 of at least 0x%zx", t->entry_size,
                    sizeof(struct mb2_mmap_entry));
    if (t->entry_version != MB2_MMAP_VERSION)
        return fail(w, "entry_version %u is not %u, the only version known", t->entry_version,
                    MB2_MMAP_VERSION);
    bytes = t->tag.size - sizeof(*t);
    if (bytes % t->entry_size)
        return fail(w, "0x%x bytes of entries is not a whole number of entry_size 0x%x", bytes,
                    t->entry_size);
    w->have_mmap = true;

    count = bytes / t->entry_size;
    for (u32 i = 0; i < count; i++) {
        const struct mb2_mmap_entry *e =
            (const void *)((const u8 *)(t + 1) + (size_t)i * t->entry_size);

        if (e->length == 0)
            continue;
        if (!range_fits(e->base_addr, e->length))
            return fail(w, "entry %u: base_addr 0x%llx + length 0x%llx is past 2^64", i,
                        (unsigned long long)e->base_addr, (unsigned long long)e->length);
        err = add_region(w, e->base_addr, e->length, mmap_type(e->type));
        if (err)
            return err;
    }
    return NULL;
    /* LAB 1 END */
}

/*
 * GRUB loads the sections the program headers do not cover (symbol and
 * string tables, debug information: no SHF_ALLOC, sh_addr 0 in the file)
 * into memory it chooses below 4 GiB, and writes their physical address in
 * sh_addr. Those are reserved here. A section with SHF_ALLOC is part of
 * the kernel image, which kmain reserves; its sh_addr is the link address,
 * a virtual address in the higher half, and is no use here.
 */
static const char *parse_elf_sections(struct walk *w)
{
    const struct mb2_tag_elf_sections *t = (const void *)w->tag;
    const char *err = check_size(w, sizeof(*t));
    const u8 *headers = (const u8 *)(t + 1);

    if (err)
        return err;
    if (t->entsize != sizeof(struct elf64_shdr))
        return fail(w, "entsize 0x%x is not 0x%zx, the size of an ELF64 section header", t->entsize,
                    sizeof(struct elf64_shdr));
    if ((u64)t->num * t->entsize > t->tag.size - sizeof(*t))
        return fail(w, "num %u section headers of entsize 0x%x run past its size 0x%x", t->num,
                    t->entsize, t->tag.size);

    for (u32 i = 0; i < t->num; i++) {
        struct elf64_shdr sh;

        memcpy(&sh, headers + (size_t)i * t->entsize, sizeof(sh)); /* only 4-aligned */
        if ((sh.sh_flags & ELF_SHF_ALLOC) || sh.sh_addr == 0)
            continue;
        if (!range_fits(sh.sh_addr, sh.sh_size))
            return fail(w, "section %u: sh_addr 0x%llx + sh_size 0x%llx is past 2^64", i,
                        (unsigned long long)sh.sh_addr, (unsigned long long)sh.sh_size);
        err = add_region(w, sh.sh_addr, sh.sh_size, MEM_RESERVED);
        if (err)
            return err;
    }
    return NULL;
}

static const char *parse_framebuffer(struct walk *w)
{
    const struct mb2_tag_framebuffer *t = (const void *)w->tag;
    const char *err = check_size(w, offsetof(struct mb2_tag_framebuffer, color_info));
    u64 size;

    if (err)
        return err;
    size = (u64)t->framebuffer_pitch * t->framebuffer_height; /* < 2^64: u32 * u32 */
    if (!range_fits(t->framebuffer_addr, size))
        return fail(w, "framebuffer_addr 0x%llx + pitch 0x%x * height 0x%x is past 2^64",
                    (unsigned long long)t->framebuffer_addr, t->framebuffer_pitch,
                    t->framebuffer_height);
    return add_region(w, t->framebuffer_addr, size, MEM_RESERVED);
}

/*
 * 3.6.16 and 3.6.17: a copy of the RSDP, ACPI 1.0's 20 bytes or 2.0's 36.
 * Only its place is noted; acpi.c validates the contents. A 2.0 copy
 * wins. A tag too short to hold one is skipped like any tag Duet does not
 * read: the kernel then searches the BIOS areas for the RSDP (acpi_map.c).
 */
static const char *parse_acpi(struct walk *w, size_t rsdp_size, bool is_new)
{
    if (w->tag->size >= sizeof(struct mb2_tag) + rsdp_size && !w->rsdp_new) {
        w->rsdp_offset = w->offset + (u32)sizeof(struct mb2_tag);
        w->rsdp_new = is_new;
    }
    return NULL;
}

/* One tag, its size already checked against the block; others are skipped. */
static const char *parse_tag(struct walk *w)
{
    switch (w->tag->type) {
    case MB2_TAG_CMDLINE: return parse_cmdline(w);
    case MB2_TAG_MODULE: return parse_module(w);
    case MB2_TAG_BASIC_MEMINFO: return parse_basic_meminfo(w);
    case MB2_TAG_MMAP: return parse_mmap(w);
    case MB2_TAG_ELF_SECTIONS: return parse_elf_sections(w);
    case MB2_TAG_FRAMEBUFFER: return parse_framebuffer(w);
    case MB2_TAG_ACPI_OLD: return parse_acpi(w, MB2_RSDP_V1_SIZE, false);
    case MB2_TAG_ACPI_NEW: return parse_acpi(w, MB2_RSDP_V2_SIZE, true);
    default: return NULL;
    }
}

/* After the end tag: basic meminfo if there was no memory map, and the block itself. */
static const char *finish(struct walk *w, paddr_t info_pa, u32 total)
{
    const char *err;

    if (!w->have_mmap && w->meminfo) {
        err = add_basic_meminfo(w); /* its messages name the meminfo tag */
        if (err)
            return err;
    }
    w->tag = NULL; /* the messages below are about the whole block */
    if (!w->have_mmap && !w->meminfo)
        return fail(w, "no memory map (type 6) or basic memory info (type 4) tag");
    if (!range_fits(info_pa, total))
        return fail(w, "the block at PA 0x%llx + total_size 0x%x is past 2^64",
                    (unsigned long long)info_pa, total);
    err = add_region(w, info_pa, total, MEM_FIRMWARE_INFO);
    if (err)
        return err;
    w->bi->fw_info = info_pa;
    w->bi->fw_info_size = total;
    w->bi->fw_name = "multiboot2";
    w->bi->acpi_rsdp = w->rsdp_offset ? info_pa + w->rsdp_offset : 0;
    return NULL;
}

const char *multiboot2_parse(const void *info, size_t available, paddr_t info_pa,
                             struct boot_info *bi)
{
    struct walk w = { .block = info, .bi = bi };
    const struct mb2_info_header *header = info;
    const char *err;
    u32 total;

    if (available < sizeof(*header))
        return fail(&w, "only 0x%zx bytes available, less than the 8-byte header", available);
    if (!IS_ALIGNED(info_pa, (paddr_t)MB2_ALIGN))
        return fail(&w, "the block at PA 0x%llx is not 8-byte aligned",
                    (unsigned long long)info_pa);
    total = header->total_size;
    if (total < sizeof(*header) + sizeof(struct mb2_tag))
        return fail(&w, "total_size 0x%x is less than a header and an end tag (0x%zx)", total,
                    sizeof(*header) + sizeof(struct mb2_tag));
    if (!IS_ALIGNED(total, MB2_ALIGN))
        return fail(&w, "total_size 0x%x is not a multiple of 8", total);
    if (total > available)
        return fail(&w, "total_size 0x%x runs past the 0x%zx bytes available", total, available);
    if (total > MB2_INFO_MAX_SIZE)
        return fail(&w, "total_size 0x%x is above the 0x%x bytes of any real block", total,
                    MB2_INFO_MAX_SIZE);

    /*
     * Invariant: offset is a multiple of 8 below total, and total is one
     * too, so the 8-byte tag header at offset lies inside the block. Each
     * step adds at least 8 and at most total - offset.
     */
    for (u32 offset = sizeof(*header); offset < total; offset += ALIGN_UP(w.tag->size, MB2_ALIGN)) {
        w.offset = offset;
        w.tag = (const struct mb2_tag *)(w.block + offset);
        if (w.tag->size < sizeof(struct mb2_tag))
            return fail(&w, "size 0x%x is less than the 8-byte tag header", w.tag->size);
        if (w.tag->size > total - offset)
            return fail(&w, "size 0x%x runs past total_size 0x%x", w.tag->size, total);
        if (w.tag->type == MB2_TAG_END) {
            if (w.tag->size != sizeof(struct mb2_tag))
                return fail(&w, "size 0x%x is not 8", w.tag->size);
            if (offset + sizeof(struct mb2_tag) != total)
                return fail(&w, "the end tag ends at 0x%zx, before total_size 0x%x",
                            offset + sizeof(struct mb2_tag), total);
            return finish(&w, info_pa, total);
        }
        err = parse_tag(&w);
        if (err)
            return err;
    }
    w.tag = NULL;
    return fail(&w, "no end tag (type 0) within total_size 0x%x", total);
}
