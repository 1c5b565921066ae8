/*
 * Host tests of arch/x86_64/multiboot2.c, the Multiboot2 parser.
 *
 *   1. Malformed blocks, one or more for every check the parser makes:
 *      each must be refused with exactly the message written next to it.
 *   2. Well-formed blocks written here: every region produced is checked,
 *      in order, and the command line.
 *   3. Blocks captured from real GRUB boots under QEMU (tests/host/data/
 *      multiboot2/), with every region checked.
 *
 * Every block is parsed from a heap copy of exactly the bytes the parser
 * is told it may read, so AddressSanitizer reports any read past them.
 *
 * Capturing a block: build the kernel and run
 *
 *     make ARCH=x86_64
 *     python3 tools/capture-multiboot2.py --mem 4G --cmdline 'ktest=all mem=4G' \
 *         -o tests/host/data/multiboot2/grub-4G.bin
 *
 * It boots the ISO in QEMU under gdb-multiarch, stops at the first
 * instruction of x86_64_main (ESI = the block's PA), writes total_size
 * bytes read through the PMO (0xffff800000000000 + PA) and prints the PA.
 * By hand: `make ARCH=x86_64 debug MEM=4G`, then in gdb `hbreak
 * *x86_64_main`, `continue`, `p/x $esi`, and `dump binary memory out.bin
 * START END` with START = 0xffff800000000000 + PA, END = START + total_size.
 * The captures are built into this binary (CAPTURE below); the build does
 * not track them, so touch this file after replacing one.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "regions.h"

#include "printed.h" /* printf collected into `printed` */
#include "../../arch/x86_64/multiboot2.c"
#undef printf

#define PA     0x10000ULL                           /* where the test blocks "are" */
#define U64(x) (u32)(u64)(x), (u32)((u64)(x) >> 32) /* a u64 as two u32 words */
/* Four bytes, e.g. characters of a string, as one u32 word. */
#define CHARS(a, b, c, d) \
    ((u32)(u8)(a) | (u32)(u8)(b) << 8 | (u32)(u8)(c) << 16 | (u32)(u8)(d) << 24)
#define END                     0, 8 /* the end tag */
/* A memory-map tag of 40 bytes: one entry, [0, 1 MiB) usable. */
#define MMAP_1M                 6, 40, 24, 0, U64(0), U64(MiB), 1, 0
/* An ELF64 section header (16 words): flags, address, size; the rest 0. */
#define SHDR(flags, addr, size) 0, 1, U64(flags), U64(addr), U64(0), U64(size), 0, 0, U64(0), U64(0)

static struct boot_info bi;

/*
 * Parse the first `available` bytes of block (len bytes; zeros after it)
 * from a heap buffer of exactly `available` bytes, as if at physical address pa.
 */
static const char *parse(const void *block, size_t len, size_t available, paddr_t pa)
{
    u8 *copy = malloc(available ? available : 1); /* malloc aligns to 16 */
    const char *err;

    memset(copy, 0, available);
    memcpy(copy, block, MIN(len, available));
    memset(&bi, 0, sizeof(bi));
    printed[0] = '\0';
    err = multiboot2_parse(copy, available, pa, &bi);
    free(copy);
    return err;
}

/* Parse a well-formed block of u32 words; it must be accepted. */
#define PARSE_OK(...)                                             \
    do {                                                          \
        static const u32 _b[] = { __VA_ARGS__ };                  \
        const char *_err = parse(_b, sizeof(_b), sizeof(_b), PA); \
        CHECK_MSG(_err == NULL, "refused: %s", _err);             \
    } while (0)

/* --- 1. malformed blocks ------------------------------------------------------ */

struct bad_block {
    const char *why;
    u32 words[32];       /* the block, as little-endian u32 words */
    size_t available;    /* bytes the parser may read; 0: all of words */
    paddr_t pa;          /* 0: PA */
    const char *message; /* what multiboot2_parse must return */
};

static const struct bad_block bad_blocks[] = {
    /* The header */
    { "fewer bytes than the header",
      { 16, 0, END },
      .available = 4,
      .message = "multiboot2: only 0x4 bytes available, less than the 8-byte header" },
    { "the block is not 8-byte aligned",
      { 16, 0, END },
      .pa = PA + 4,
      .message = "multiboot2: the block at PA 0x10004 is not 8-byte aligned" },
    { "total_size 0",
      { 0, 0 },
      .message = "multiboot2: total_size 0x0 is less than a header and an end tag (0x10)" },
    { "total_size too small for an end tag",
      { 8, 0, END },
      .message = "multiboot2: total_size 0x8 is less than a header and an end tag (0x10)" },
    { "total_size not a multiple of 8",
      { 20, 0, END, 0 },
      .message = "multiboot2: total_size 0x14 is not a multiple of 8" },
    { "total_size past the bytes available",
      { 0x20, 0, 2, 0x10, 0, 0, END },
      .available = 0x18,
      .message = "multiboot2: total_size 0x20 runs past the 0x18 bytes available" },
    { "a huge total_size",
      { 0xfffffff8, 0, END },
      .message = "multiboot2: total_size 0xfffffff8 runs past the 0x80 bytes available" },

    /* The walk */
    { "a tag of size 0",
      { 16, 0, 1, 0 },
      .message = "multiboot2: tag at offset 0x8 (type 1, command line): "
                 "size 0x0 is less than the 8-byte tag header" },
    { "a tag smaller than its header",
      { 24, 0, 4, 4, END },
      .message = "multiboot2: tag at offset 0x8 (type 4, basic memory info): "
                 "size 0x4 is less than the 8-byte tag header" },
    { "a tag running past total_size",
      { 0x18, 0, 6, 0x1000, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "size 0x1000 runs past total_size 0x18" },
    { "a tag one byte past total_size",
      { 0x18, 0, 2, 0x11, 0, 0 },
      .message = "multiboot2: tag at offset 0x8 (type 2, boot loader name): "
                 "size 0x11 runs past total_size 0x18" },
    /* Tags start 8-aligned: a loader that put the end tag right after a
     * 13-byte tag, at offset 21, left the parser reading padding at 24. */
    { "a tag not 8-aligned",
      { 0x20, 0, 1, 13, CHARS('a', 'b', 'c', 'd'),
        CHARS(0, 0, 0, 0), /* NUL at 20, the end tag's type at 21.. */
        CHARS(0, 8, 0, 0), /* ..and its size 8 at 25 */
        CHARS(0, 0, 0, 0) },
      .message = "multiboot2: tag at offset 0x18 (type 2048, unknown): "
                 "size 0x0 is less than the 8-byte tag header" },
    { "no end tag",
      { 0x18, 0, 2, 0x10, 0, 0 },
      .message = "multiboot2: no end tag (type 0) within total_size 0x18" },
    { "an end tag of size 16",
      { 0x18, 0, 0, 0x10, 0, 0 },
      .message = "multiboot2: tag at offset 0x8 (type 0, end): size 0x10 is not 8" },
    { "an end tag before total_size",
      { 0x18, 0, END, 0, 0 },
      .message = "multiboot2: tag at offset 0x8 (type 0, end): "
                 "the end tag ends at 0x10, before total_size 0x18" },

    /* Command line */
    { "a command line without a NUL",
      { 0x20, 0, 1, 12, CHARS('a', 'b', 'c', 'd'), 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 1, command line): "
                 "the string has no NUL within the tag's size 0xc" },
    { "a command line tag with no string",
      { 0x18, 0, 1, 8, END },
      .message = "multiboot2: tag at offset 0x8 (type 1, command line): "
                 "the string has no NUL within the tag's size 0x8" },

    /* Modules */
    { "a module tag too small",
      { 0x20, 0, 3, 12, 0x1000, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 3, module): "
                 "size 0xc is less than the 0x10 bytes of its fields" },
    { "a module ending before it starts",
      { 0x20, 0, 3, 16, 0x2000, 0x1000, END },
      .message = "multiboot2: tag at offset 0x8 (type 3, module): "
                 "mod_end 0x1000 is below mod_start 0x2000" },

    /* Basic memory information */
    { "a basic meminfo tag too small",
      { 0x20, 0, 4, 12, 639, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 4, basic memory info): "
                 "size 0xc is less than the 0x10 bytes of its fields" },
    { "mem_lower above 640 KiB",
      { 0x20, 0, 4, 16, 641, 1024, END },
      .message = "multiboot2: tag at offset 0x8 (type 4, basic memory info): "
                 "mem_lower 641 KiB is above the 640 KiB the spec allows" },

    /* Memory map */
    { "a memory map too small for entry_size",
      { 0x20, 0, 6, 12, 24, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "size 0xc is less than the 0x10 bytes of its fields" },
    { "entry_size 0",
      { 0x20, 0, 6, 16, 0, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry_size 0x0 is not a multiple of 8 of at least 0x18" },
    { "entry_size 16, smaller than an entry",
      { 0x20, 0, 6, 16, 16, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry_size 0x10 is not a multiple of 8 of at least 0x18" },
    { "entry_size 28, not a multiple of 8",
      { 0x20, 0, 6, 16, 28, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry_size 0x1c is not a multiple of 8 of at least 0x18" },
    { "entry_version 1",
      { 0x20, 0, 6, 16, 24, 1, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry_version 1 is not 0, the only version known" },
    { "a partial entry",
      { 0x30, 0, 6, 32, 24, 0, U64(0), U64(0x1000), END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "0x10 bytes of entries is not a whole number of entry_size 0x18" },
    { "an entry past 2^64",
      { 0x38, 0, 6, 40, 24, 0, U64(0xfffffffffffff000), U64(0x2000), 1, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry 0: base_addr 0xfffffffffffff000 + length 0x2000 is past 2^64" },
    { "an entry ending exactly at 2^64",
      { 0x38, 0, 6, 40, 24, 0, U64(0xfffffffffffff000), U64(0x1000), 2, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 6, memory map): "
                 "entry 0: base_addr 0xfffffffffffff000 + length 0x1000 is past 2^64" },

    /* ELF sections */
    { "an ELF-sections tag too small",
      { 0x20, 0, 9, 16, 0, 64, END },
      .message = "multiboot2: tag at offset 0x8 (type 9, ELF sections): "
                 "size 0x10 is less than the 0x14 bytes of its fields" },
    { "ELF32 section headers",
      { 0x28, 0, 9, 20, 0, 40, 0, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 9, ELF sections): "
                 "entsize 0x28 is not 0x40, the size of an ELF64 section header" },
    /* The spec's u16 fields: num 2, entsize 64 and shndx 1 read as GRUB's u32s. */
    { "the spec's u16 layout",
      { 0x28, 0, 9, 20, 0x00400002, 0x00000001, 0, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 9, ELF sections): "
                 "entsize 0x1 is not 0x40, the size of an ELF64 section header" },
    { "section headers past the tag",
      { 0x28, 0, 9, 20, 1, 64, 0, 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 9, ELF sections): "
                 "num 1 section headers of entsize 0x40 run past its size 0x14" },
    { "a section past 2^64",
      { 0x68, 0, 9, 84, 1, 64, 0, SHDR(0, 0xffffffffffff0000, 0x20000), 0, END },
      .message = "multiboot2: tag at offset 0x8 (type 9, ELF sections): "
                 "section 0: sh_addr 0xffffffffffff0000 + sh_size 0x20000 is past 2^64" },

    /* Framebuffer */
    { "a framebuffer tag too small",
      { 0x30, 0, 8, 30, U64(0xb8000), 160, 80, 25, CHARS(16, 2, 0, 0), END },
      .message = "multiboot2: tag at offset 0x8 (type 8, framebuffer): "
                 "size 0x1e is less than the 0x1f bytes of its fields" },
    { "a framebuffer past 2^64",
      { 0x30, 0, 8, 32, U64(0xffffffffff000000), 0x10000, 0x4000, 0x1000, CHARS(32, 1, 0, 0), END },
      .message = "multiboot2: tag at offset 0x8 (type 8, framebuffer): framebuffer_addr "
                 "0xffffffffff000000 + pitch 0x10000 * height 0x1000 is past 2^64" },

    /* After the end tag */
    { "no memory information",
      { 0x10, 0, END },
      .message = "multiboot2: no memory map (type 6) or basic memory info (type 4) tag" },
    { "the block itself past 2^64",
      { 0x38, 0, MMAP_1M, END },
      .pa = 0xfffffffffffffff8,
      .message = "multiboot2: the block at PA 0xfffffffffffffff8 + total_size 0x38 is past 2^64" },
};

static void refuses_each_malformed_block(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad_blocks); i++) {
        const struct bad_block *c = &bad_blocks[i];
        size_t available = c->available ? c->available : sizeof(c->words);
        const char *err;

        err = parse(c->words, sizeof(c->words), available, c->pa ? c->pa : PA);
        CHECK_MSG(err && strcmp(err, c->message) == 0, "%s:\n    #   got:  %s\n    #   want: %s",
                  c->why, err ? err : "(accepted)", c->message);
    }
}

/* available 0 cannot be written in the table (0 means "all"): the parser must not read at all. */
static void refuses_an_empty_buffer(void)
{
    static const u32 block[] = { 16, 0, END };

    CHECK_STR(parse(block, sizeof(block), 0, PA),
              "multiboot2: only 0x0 bytes available, less than the 8-byte header");
}

/* A total_size that fits in what may be read, but no real block is that big. */
static void refuses_a_block_above_1_mib(void)
{
    static u32 block[(2 * MiB) / 4];
    u32 total = MB2_INFO_MAX_SIZE + 8;

    block[0] = total;
    block[total / 4 - 2] = 0; /* the end tag, at the end */
    block[total / 4 - 1] = 8;
    CHECK_STR(parse(block, sizeof(block), sizeof(block), PA),
              "multiboot2: total_size 0x100008 is above the 0x100000 bytes of any real block");
}

/* More memory-map entries than bi->raw can hold. */
static void refuses_a_memory_map_too_large_for_the_raw_map(void)
{
    enum { ENTRIES = MEMMAP_MAX_REGIONS + 1 };
    static u64 block[(8 + 16 + ENTRIES * 24 + 8) / 8];
    u32 *w = (u32 *)block;
    u32 tag_size = 16 + ENTRIES * 24;

    w[0] = 8 + tag_size + 8;
    w[2] = MB2_TAG_MMAP;
    w[3] = tag_size;
    w[4] = 24;
    for (u64 i = 0; i < ENTRIES; i++) { /* entry i: [i * 8 KiB, +4 KiB) */
        block[3 + 3 * i] = i * 8 * KiB;
        block[4 + 3 * i] = 4 * KiB;
        block[5 + 3 * i] = MB2_MEMORY_AVAILABLE;
    }
    w[w[0] / 4 - 1] = 8; /* the end tag */
    CHECK_STR(parse(block, sizeof(block), sizeof(block), PA),
              "multiboot2: tag at offset 0x8 (type 6, memory map): "
              "cannot record [0x200000, +0x1000) usable: too many memory regions");
}

/* --- 2. well-formed blocks ---------------------------------------------------- */

/* A 16-byte header, and the block itself as MEM_FIRMWARE_INFO. */
static void records_the_block_itself(void)
{
    PARSE_OK(0x38, 0, MMAP_1M, END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { PA, 0x38, MEM_FIRMWARE_INFO });
    CHECK_EQ(bi.fw_info, PA);
    CHECK_EQ(bi.fw_info_size, 0x38);
    CHECK_STR(bi.fw_name, "multiboot2");
    CHECK_STR(bi.cmdline, "");
}

/* Reads nothing past total_size, even when more may be read. */
static void reads_only_total_size(void)
{
    static const u32 block[] = { 0x38, 0, MMAP_1M, END, 0xdeadbeef, 0xdeadbeef };

    CHECK(parse(block, sizeof(block), sizeof(block), PA) == NULL);
    CHECK(parse(block, sizeof(block), 0x38, PA) == NULL); /* exactly total_size */
    CHECK_EQ(bi.fw_info_size, 0x38);
}

static void keeps_every_memory_type(void)
{
    PARSE_OK(8 + 16 + 10 * 24 + 8, 0, 6, 16 + 10 * 24, 24, 0, U64(0x0), U64(0x9fc00), 1, 0,
             U64(0x9fc00), U64(0x400), 2, 0, U64(0x100000), U64(0x7ee0000), 1, 0, U64(0x7fe0000),
             U64(0x10000), 3, 0, U64(0x7ff0000), U64(0x10000), 4, 0, U64(0x8000000), U64(0x1000), 5,
             0, U64(0x8001000), U64(0x1000), 0, 0, /* type 0: reserved */
             U64(0x8002000), U64(0x1000), 6, 0,    /* unknown types: reserved */
             U64(0x8003000), U64(0x1000), 0xffffffff, 0, U64(0x9000000), U64(0), 1,
             0, /* zero length: ignored */
             END);
    EXPECT_REGIONS(&bi.raw, { 0x0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0x400, MEM_RESERVED },
                   { 0x100000, 0x7ee0000, MEM_USABLE },
                   { 0x7fe0000, 0x10000, MEM_ACPI_RECLAIMABLE },
                   { 0x7ff0000, 0x10000, MEM_ACPI_NVS }, { 0x8000000, 0x1000, MEM_BAD },
                   { 0x8001000, 0x1000, MEM_RESERVED }, { 0x8002000, 0x1000, MEM_RESERVED },
                   { 0x8003000, 0x1000, MEM_RESERVED }, { PA, 0x110, MEM_FIRMWARE_INFO });
}

/* An entry of length 0 adds nothing; the entries after it are read all the same. */
static void skips_empty_entries(void)
{
    PARSE_OK(8 + 16 + 5 * 24 + 8, 0, 6, 16 + 5 * 24, 24, 0, U64(0x0), U64(0), 1, 0, U64(0x0),
             U64(0x9f000), 1, 0, U64(0x9f000), U64(0), 2, 0, U64(0x100000), U64(0x1000000), 1, 0,
             U64(0xfffffffffffff000), U64(0), 2, 0, END);
    EXPECT_REGIONS(&bi.raw, { 0x0, 0x9f000, MEM_USABLE }, { 0x100000, 0x1000000, MEM_USABLE },
                   { PA, 0x98, MEM_FIRMWARE_INFO });
}

/* entry_size 32: a later version's longer entries; the first 24 bytes are read. */
static void reads_longer_entries(void)
{
    PARSE_OK(8 + 16 + 2 * 32 + 8, 0, 6, 16 + 2 * 32, 32, 0, U64(0x0), U64(0x9f000), 1, 0,
             0xaaaaaaaa, 0xaaaaaaaa, U64(0x100000), U64(0x1000000), 1, 0, 0xbbbbbbbb, 0xbbbbbbbb,
             END);
    EXPECT_REGIONS(&bi.raw, { 0x0, 0x9f000, MEM_USABLE }, { 0x100000, 0x1000000, MEM_USABLE },
                   { PA, 0x60, MEM_FIRMWARE_INFO });
}

/* Without a memory map, lower and upper memory from the basic meminfo tag. */
static void uses_basic_meminfo_without_a_memory_map(void)
{
    PARSE_OK(0x20, 0, 4, 16, 639, 129920, END);
    EXPECT_REGIONS(&bi.raw, { 0x0, 639 * KiB, MEM_USABLE }, { MiB, 129920 * KiB, MEM_USABLE },
                   { PA, 0x20, MEM_FIRMWARE_INFO });
}

/* With a memory map, before or after it, the basic meminfo tag is ignored. */
static void ignores_basic_meminfo_with_a_memory_map(void)
{
    PARSE_OK(0x48, 0, 4, 16, 639, 129920, MMAP_1M, END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { PA, 0x48, MEM_FIRMWARE_INFO });
    PARSE_OK(0x48, 0, MMAP_1M, 4, 16, 639, 129920, END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { PA, 0x48, MEM_FIRMWARE_INFO });
}

static void reserves_modules(void)
{
    PARSE_OK(0x78, 0, MMAP_1M, 3, 23, 0x200000, 0x280000, CHARS('i', 'n', 'i', 't'),
             CHARS('r', 'd', 0, 0), 3, 16, 0x300000,
             0x300000, /* an empty file: nothing to reserve */
             3, 18, 0x400000, 0x400123, CHARS('x', 0, 0, 0), 0, END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { 0x200000, 0x80000, MEM_MODULE },
                   { 0x400000, 0x123, MEM_MODULE }, { PA, 0x78, MEM_FIRMWARE_INFO });
}

/*
 * Only the sections GRUB copied: no SHF_ALLOC, a nonzero sh_addr. The
 * allocated ones are the kernel image, at their link (virtual) address.
 */
static void reserves_the_elf_sections_grub_loaded(void)
{
    PARSE_OK(8 + 40 + 20 + 5 * 64 + 4 + 8, 0, MMAP_1M, 9, 20 + 5 * 64, 5, 64, 4,
             SHDR(0, 0, 0),                                         /* the null section */
             SHDR(ELF_SHF_ALLOC | 0x4, 0xffffffff80404000, 0x82e1), /* .text */
             SHDR(0, 0x100000, 0x1284d),                            /* .debug_info, copied */
             SHDR(0, 0x11284d, 0),                                  /* empty */
             SHDR(0, 0, 0x41d7),                                    /* not loaded: address 0 */
             0,                                                     /* padding */
             END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { 0x100000, 0x1284d, MEM_RESERVED },
                   { PA, 0x190, MEM_FIRMWARE_INFO });
}

/* EGA text mode, as GRUB reports it on QEMU: 80x25 characters of 2 bytes. */
static void reserves_the_framebuffer(void)
{
    PARSE_OK(0x58, 0, MMAP_1M, 8, 32, U64(0xb8000), 160, 80, 25, CHARS(16, 2, 0, 0), END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { 0xb8000, 4000, MEM_RESERVED },
                   { PA, 0x58, MEM_FIRMWARE_INFO });
}

/* Tags it does not read, known or not, are stepped over by their size. */
static void skips_other_tags(void)
{
    PARSE_OK(0x70, 0, 2, 14, CHARS('G', 'R', 'U', 'B'), CHARS('2', 0, 0, 0), 21, 12, 0x200000,
             0x5a5a5a5a /* padding need not be zero */, 0x1234, 8, MMAP_1M, 14, 9, 0xff, 0, END);
    EXPECT_REGIONS(&bi.raw, { 0, MiB, MEM_USABLE }, { PA, 0x70, MEM_FIRMWARE_INFO });
}

/* GRUB writes \" \' \\ for " ' \; the kernel gets what the user wrote. */
static void unescapes_the_command_line(void)
{
    /* The tag holds a\"b\\c\'d\e\ and a NUL: a backslash before anything else stays. */
    PARSE_OK(0x50, 0, 1, 22, CHARS('a', '\\', '"', 'b'), CHARS('\\', '\\', 'c', '\\'),
             CHARS('\'', 'd', '\\', 'e'), CHARS('\\', 0, 0, 0), MMAP_1M, END);
    CHECK_STR(bi.cmdline, "a\"b\\c'd\\e\\");
}

/* A command line longer than BOOT_CMDLINE_MAX is cut, with a note. */
static void cuts_a_long_command_line(void)
{
    static u32 block[(8 + 8 + 600 + 40 + 8) / 4];
    char *s = (char *)&block[4];

    block[0] = sizeof(block);
    block[2] = MB2_TAG_CMDLINE;
    block[3] = 8 + 600;
    memset(s, 'x', 599); /* and a NUL */
    memcpy(&block[(8 + 8 + 600) / 4], (const u32[]){ MMAP_1M, END }, 48);
    CHECK(parse(block, sizeof(block), sizeof(block), PA) == NULL);
    CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK(strspn(bi.cmdline, "x") == BOOT_CMDLINE_MAX - 1);
    CHECK_STR(printed, "multiboot2: the command line is longer than 511 bytes; "
                       "the rest is ignored\n");
}

/* --- 3. blocks captured from GRUB 2.06 on QEMU (tools/capture-multiboot2.py) --- */

#define CAPTURE(name, file)                                 \
    extern const u8 name[], name##_end[];                   \
    __asm__(".pushsection .rodata\n.balign 8\n" #name ":\n" \
            ".incbin \"tests/host/data/multiboot2/" file "\"\n" #name "_end:\n.popsection")

CAPTURE(grub_128m, "grub-128M.bin");
CAPTURE(grub_3g, "grub-3G.bin");
CAPTURE(grub_4g, "grub-4G.bin");

static const char *parse_capture(const u8 *start, const u8 *end)
{
    return parse(start, end - start, end - start, 0x12cf78); /* where GRUB put all three */
}

/*
 * What the three captures share: the legacy areas of SeaBIOS's e820 map,
 * the sections GRUB copied from the ELF (symbol and string tables, debug
 * information), and the EGA text framebuffer.
 */
#define LOW_MEMORY                                                  \
    { 0x0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0x400, MEM_RESERVED }, \
    {                                                               \
        0xf0000, 0x10000, MEM_RESERVED                              \
    }
#define BIOS_AND_HT_HOLE                        \
    { 0xfffc0000, 0x40000, MEM_RESERVED },      \
    {                                           \
        0xfd00000000, 0x300000000, MEM_RESERVED \
    } /* AMD's HyperTransport range */
#define GRUB_COPIED_SECTIONS                                                    \
    { 0x100000, 0x1284d, MEM_RESERVED }, { 0x11284d, 0x41d7, MEM_RESERVED },    \
        { 0x116a24, 0x8753, MEM_RESERVED }, { 0x11f180, 0x5e0, MEM_RESERVED },  \
        { 0x11f760, 0x6dd0, MEM_RESERVED }, { 0x126530, 0x1515, MEM_RESERVED }, \
        { 0x127a45, 0x32d, MEM_RESERVED }, { 0x127d78, 0x18a8, MEM_RESERVED },  \
        { 0x129620, 0x103a, MEM_RESERVED }, { 0x12a660, 0x1a58, MEM_RESERVED }, \
        { 0x12c0b8, 0xdf6, MEM_RESERVED },                                      \
    {                                                                           \
        0x12ceae, 0xc3, MEM_RESERVED                                            \
    }
#define EGA_TEXT                    \
    {                               \
        0xb8000, 4000, MEM_RESERVED \
    }

/* -m 128M, and a command line that GRUB escapes. */
static void parses_grub_128m(void)
{
    const char *err = parse_capture(grub_128m, grub_128m_end);

    CHECK_MSG(err == NULL, "refused: %s", err);
    CHECK_STR(bi.cmdline, "duet-probe msg=\"hello quoted world\" it's a\\b");
    EXPECT_REGIONS(&bi.raw, LOW_MEMORY, { 0x100000, 0x7ee0000, MEM_USABLE },
                   { 0x7fe0000, 0x20000, MEM_RESERVED }, BIOS_AND_HT_HOLE, GRUB_COPIED_SECTIONS,
                   EGA_TEXT, { 0x12cf78, 0x6d8, MEM_FIRMWARE_INFO });
}

/* -m 3G: QEMU's pc machine still puts all of it below the PCI hole (up to 3.5 GiB). */
static void parses_grub_3g(void)
{
    const char *err = parse_capture(grub_3g, grub_3g_end);

    CHECK_MSG(err == NULL, "refused: %s", err);
    CHECK_STR(bi.cmdline, "ktest=all mem=3G");
    EXPECT_REGIONS(&bi.raw, LOW_MEMORY, { 0x100000, 0xbfee0000, MEM_USABLE },
                   { 0xbffe0000, 0x20000, MEM_RESERVED }, BIOS_AND_HT_HOLE, GRUB_COPIED_SECTIONS,
                   EGA_TEXT, { 0x12cf78, 0x6b8, MEM_FIRMWARE_INFO });
}

/* -m 4G: 3 GiB below the PCI hole, the last 1 GiB above 4 GiB. */
static void parses_grub_4g(void)
{
    const char *err = parse_capture(grub_4g, grub_4g_end);

    CHECK_MSG(err == NULL, "refused: %s", err);
    CHECK_STR(bi.cmdline, "ktest=all mem=4G");
    EXPECT_REGIONS(&bi.raw, LOW_MEMORY, { 0x100000, 0xbfee0000, MEM_USABLE },
                   { 0xbffe0000, 0x20000, MEM_RESERVED }, { 0xfffc0000, 0x40000, MEM_RESERVED },
                   { 0x100000000, 0x40000000, MEM_USABLE },
                   { 0xfd00000000, 0x300000000, MEM_RESERVED }, GRUB_COPIED_SECTIONS, EGA_TEXT,
                   { 0x12cf78, 0x6d0, MEM_FIRMWARE_INFO });
}

/* A capture cut anywhere is refused, never overrun. */
static void refuses_every_truncated_capture(void)
{
    size_t len = grub_4g_end - grub_4g;

    for (size_t available = 0; available < len; available++)
        CHECK_MSG(parse(grub_4g, len, available, 0x12cf78) != NULL,
                  "accepted the capture cut to 0x%zx bytes", available);
}

HOST_TESTS(refuses_each_malformed_block, refuses_an_empty_buffer, refuses_a_block_above_1_mib,
           refuses_a_memory_map_too_large_for_the_raw_map, records_the_block_itself,
           reads_only_total_size, keeps_every_memory_type, skips_empty_entries,
           reads_longer_entries, uses_basic_meminfo_without_a_memory_map,
           ignores_basic_meminfo_with_a_memory_map, reserves_modules,
           reserves_the_elf_sections_grub_loaded, reserves_the_framebuffer, skips_other_tags,
           unescapes_the_command_line, cuts_a_long_command_line, parses_grub_128m, parses_grub_3g,
           parses_grub_4g, refuses_every_truncated_capture)
