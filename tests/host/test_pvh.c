/*
 * Host tests of arch/x86_64/pvh.c, the PVH start info parser of the
 * direct boot.
 *
 * Each test lays out "low memory" as a loader would, in a heap buffer of
 * exactly the bytes the parser may read (AddressSanitizer sees any read
 * past them): the start info, the memory map, the command line, the
 * module list, each at a physical address of its own. Malformed layouts
 * must be refused with exactly the message written next to them;
 * well-formed ones must give exactly the regions listed.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "regions.h"

#include "printed.h" /* printf collected into `printed` */
#include "../../arch/x86_64/pvh.c"
#undef printf

#define LOW     0x8000 /* bytes of low memory the tests lay out */
#define INFO_PA 0x1000
#define MAP_PA  0x2000
#define LINE_PA 0x3000
#define MODS_PA 0x4000

static u8 low[LOW];
static struct boot_info bi;

static struct hvm_start_info *info(void)
{
    return (struct hvm_start_info *)(low + INFO_PA);
}

static struct hvm_memmap_entry *map(void)
{
    return (struct hvm_memmap_entry *)(low + MAP_PA);
}

/* A well-formed layout: three entries, a command line, no module. */
static void lay_out(void)
{
    memset(low, 0, sizeof(low));
    *info() = (struct hvm_start_info){ .magic = HVM_START_MAGIC,
                                       .version = 1,
                                       .cmdline_paddr = LINE_PA,
                                       .memmap_paddr = MAP_PA,
                                       .memmap_entries = 3 };
    map()[0] = (struct hvm_memmap_entry){ 0, 0x9fc00, 1, 0 };
    map()[1] = (struct hvm_memmap_entry){ 0x9fc00, 0x400, 2, 0 };
    map()[2] = (struct hvm_memmap_entry){ 0x100000, 0xff00000, 1, 0 };
    strcpy((char *)low + LINE_PA, "ktest=all 'two words'");
}

/* Parse with the given windows of low, from a heap copy of exactly the
 * bytes up to the last window's end (the parser is told what it may read
 * of them; AddressSanitizer sees a read past the end). */
static const char *parse_windows(const struct pvh_window *w, size_t n, paddr_t info_pa)
{
    size_t size = n ? (size_t)w[n - 1].hi : 0;
    u8 *copy = malloc(size ? size : 1);
    const char *err;

    memcpy(copy, low, size);
    memset(&bi, 0, sizeof(bi));
    printed[0] = '\0';
    err = pvh_parse(copy, w, n, info_pa, &bi);
    free(copy);
    return err;
}

/* Parse the first `size` bytes of low. */
static const char *parse_first(size_t size, paddr_t info_pa)
{
    const struct pvh_window all[] = { { 0, size } };

    return parse_windows(all, 1, info_pa);
}

static const char *parse(void)
{
    return parse_first(sizeof(low), INFO_PA);
}

#define EXPECT_REFUSED(want)                                                                     \
    do {                                                                                         \
        const char *_err = parse();                                                              \
        CHECK_MSG(_err &&strcmp(_err, want) == 0, "got %s\n    want %s", _err ? _err : "(none)", \
                  want);                                                                         \
    } while (0)

static void parses_the_memory_map_and_the_command_line(void)
{
    lay_out();
    CHECK(parse() == NULL);
    EXPECT_REGIONS(&bi.raw, { MAP_PA, 3 * sizeof(struct hvm_memmap_entry), MEM_FIRMWARE_INFO },
                   { 0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0x400, MEM_RESERVED },
                   { 0x100000, 0xff00000, MEM_USABLE },
                   { INFO_PA, sizeof(struct hvm_start_info), MEM_FIRMWARE_INFO });
    CHECK_STR(bi.cmdline, "ktest=all 'two words'");
    CHECK_EQ(bi.fw_info, INFO_PA);
    CHECK_EQ(bi.fw_info_size, sizeof(struct hvm_start_info));
    CHECK_STR(bi.fw_name, "PVH start info");
}

/* What QEMU 7.2's PVH option ROM left for `-m 256M` (read off a boot). */
static void parses_what_qemu_gives(void)
{
    static const struct hvm_memmap_entry qemu[] = {
        { 0x0, 0x9fc00, 1, 0 },
        { 0x9fc00, 0x400, 2, 0 },
        { 0xf0000, 0x10000, 2, 0 },
        { 0x100000, 0xfee0000, 1, 0 },
        { 0xffe0000, 0x20000, 2, 0 },
        { 0xfffc0000, 0x40000, 2, 0 },
        { 0xfd00000000, 0x300000000, 2, 0 },
    };

    memset(low, 0, sizeof(low));
    memcpy(low + 0x5a8, qemu, sizeof(qemu));
    *(struct hvm_start_info *)(low + 0x21e0) = (struct hvm_start_info){
        .magic = HVM_START_MAGIC, .version = 1, .memmap_paddr = 0x5a8, .memmap_entries = 7
    };
    CHECK(parse_first(sizeof(low), 0x21e0) == NULL);
    EXPECT_REGIONS(&bi.raw, { 0x5a8, 168, MEM_FIRMWARE_INFO }, { 0x0, 0x9fc00, MEM_USABLE },
                   { 0x9fc00, 0x400, MEM_RESERVED }, { 0xf0000, 0x10000, MEM_RESERVED },
                   { 0x100000, 0xfee0000, MEM_USABLE }, { 0xffe0000, 0x20000, MEM_RESERVED },
                   { 0xfffc0000, 0x40000, MEM_RESERVED },
                   { 0xfd00000000, 0x300000000, MEM_RESERVED }, { 0x21e0, 56, MEM_FIRMWARE_INFO });
    CHECK_STR(bi.cmdline, "");
}

static void keeps_every_memory_type_and_skips_empty_entries(void)
{
    lay_out();
    info()->memmap_entries = 6;
    map()[0] = (struct hvm_memmap_entry){ 0x0, 0x1000, 3, 0 };
    map()[1] = (struct hvm_memmap_entry){ 0x1000, 0x1000, 4, 0 };
    map()[2] = (struct hvm_memmap_entry){ 0x2000, 0x1000, 5, 0 };
    map()[3] = (struct hvm_memmap_entry){ 0x3000, 0, 1, 0 };
    map()[4] = (struct hvm_memmap_entry){ 0x4000, 0x1000, 7, 0 };
    map()[5] = (struct hvm_memmap_entry){ 0x5000, 0x1000, 1, 0 };
    CHECK(parse() == NULL);
    EXPECT_REGIONS(&bi.raw, { MAP_PA, 6 * sizeof(struct hvm_memmap_entry), MEM_FIRMWARE_INFO },
                   { 0x0, 0x1000, MEM_ACPI_RECLAIMABLE }, { 0x1000, 0x1000, MEM_ACPI_NVS },
                   { 0x2000, 0x1000, MEM_BAD }, { 0x4000, 0x1000, MEM_RESERVED },
                   { 0x5000, 0x1000, MEM_USABLE },
                   { INFO_PA, sizeof(struct hvm_start_info), MEM_FIRMWARE_INFO });
}

static void reserves_modules(void)
{
    struct hvm_modlist_entry *mods = (struct hvm_modlist_entry *)(low + MODS_PA);

    lay_out();
    info()->nr_modules = 2;
    info()->modlist_paddr = MODS_PA;
    mods[0] = (struct hvm_modlist_entry){ .paddr = 0x800000, .size = 0x1234 };
    mods[1] = (struct hvm_modlist_entry){ .paddr = 0x900000, .size = 0x10 };
    CHECK(parse() == NULL);
    CHECK_EQ(bi.raw.count, 7);
    EXPECT_REGIONS(&bi.raw, { MAP_PA, 3 * sizeof(struct hvm_memmap_entry), MEM_FIRMWARE_INFO },
                   { 0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0x400, MEM_RESERVED },
                   { 0x100000, 0xff00000, MEM_USABLE }, { 0x800000, 0x1234, MEM_MODULE },
                   { 0x900000, 0x10, MEM_MODULE },
                   { INFO_PA, sizeof(struct hvm_start_info), MEM_FIRMWARE_INFO });

    /* With no module, modlist_paddr means nothing, wherever it points. */
    info()->nr_modules = 0;
    info()->modlist_paddr = 0xdeadbeef1;
    CHECK(parse() == NULL);
}

static void cuts_a_long_command_line(void)
{
    lay_out();
    memset(low + LINE_PA, 'x', BOOT_CMDLINE_MAX + 10);
    low[LINE_PA + BOOT_CMDLINE_MAX + 10] = '\0';
    CHECK(parse() == NULL);
    CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK_STR(printed, "pvh: the command line is longer than 511 bytes; the rest is ignored\n");

    /* The edges: 511 characters fit with their NUL, 512 do not. */
    low[LINE_PA + BOOT_CMDLINE_MAX] = '\0';
    CHECK(parse() == NULL);
    CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK_MSG(printed[0] != '\0', "a command line of %d characters was cut silently",
              BOOT_CMDLINE_MAX);
    low[LINE_PA + BOOT_CMDLINE_MAX - 1] = '\0';
    CHECK(parse() == NULL);
    CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK_STR(printed, "");
}

static void refuses_each_malformed_start_info(void)
{
    lay_out();
    CHECK_STR(parse_first(sizeof(low), INFO_PA + 4),
              "pvh: the start info at PA 0x1004 is not 8-aligned inside [0x0, 0x8000)");
    CHECK_STR(parse_first(sizeof(low), LOW - 48),
              "pvh: the start info at PA 0x7fd0 is not 8-aligned inside [0x0, 0x8000)");
    CHECK_STR(parse_first(INFO_PA + 8, INFO_PA),
              "pvh: the start info at PA 0x1000 is not 8-aligned inside [0x0, 0x1008)");
    CHECK_STR(parse_first(sizeof(low), UINT64_MAX - 7),
              "pvh: the start info at PA 0xfffffffffffffff8 is not 8-aligned inside [0x0, 0x8000)");

    lay_out();
    info()->magic = 0x2badb002;
    EXPECT_REFUSED("pvh: magic 0x2badb002 is not 0x336ec578");

    lay_out();
    info()->version = 0;
    EXPECT_REFUSED("pvh: start info version 0 has no memory map; Duet needs version 1 or later");

    lay_out();
    info()->memmap_entries = 0;
    EXPECT_REFUSED("pvh: memmap_entries is 0: no memory map");

    lay_out();
    info()->memmap_paddr = MAP_PA + 4;
    EXPECT_REFUSED("pvh: memmap_paddr 0x2004 (3 entries) is not 8-aligned inside [0x0, 0x8000)");

    lay_out();
    info()->memmap_paddr = LOW - 48; /* two entries fit, not three */
    EXPECT_REFUSED("pvh: memmap_paddr 0x7fd0 (3 entries) is not 8-aligned inside [0x0, 0x8000)");

    lay_out();
    info()->memmap_entries = 0xffffffff; /* 96 GiB of entries: no wrap in the check */
    EXPECT_REFUSED("pvh: memmap_paddr 0x2000 (4294967295 entries) is not 8-aligned inside "
                   "[0x0, 0x8000)");

    lay_out();
    info()->memmap_paddr = UINT64_MAX - 7;
    EXPECT_REFUSED("pvh: memmap_paddr 0xfffffffffffffff8 (3 entries) is not 8-aligned inside "
                   "[0x0, 0x8000)");

    lay_out();
    map()[1] = (struct hvm_memmap_entry){ 0xfffffffffffff000, 0x2000, 1, 0 };
    EXPECT_REFUSED("pvh: memory map entry 1: 0xfffffffffffff000 + 0x2000 is past 2^64");

    lay_out();
    info()->cmdline_paddr = LOW;
    EXPECT_REFUSED("pvh: cmdline_paddr 0x8000 is outside [0x0, 0x8000)");

    lay_out();
    info()->cmdline_paddr = LOW - 4;
    memset(low + LOW - 4, 'x', 4);
    EXPECT_REFUSED("pvh: the command line at 0x7ffc has no NUL below 0x8000");

    lay_out();
    info()->nr_modules = 1;
    info()->modlist_paddr = LOW - 16;
    EXPECT_REFUSED("pvh: modlist_paddr 0x7ff0 (1 modules) is not 8-aligned inside [0x0, 0x8000)");

    lay_out();
    info()->nr_modules = 1;
    info()->modlist_paddr = MODS_PA;
    *(struct hvm_modlist_entry *)(low + MODS_PA) =
        (struct hvm_modlist_entry){ .paddr = UINT64_MAX, .size = 2 };
    EXPECT_REFUSED("pvh: module 0: 0xffffffffffffffff + 0x2 is past 2^64");
}

static void refuses_a_memory_map_too_large_for_the_raw_map(void)
{
    lay_out();
    info()->memmap_entries = MEMMAP_MAX_REGIONS + 1;
    for (u32 i = 0; i < info()->memmap_entries; i++)
        map()[i] = (struct hvm_memmap_entry){ (u64)i * 0x2000, 0x1000, 1, 0 };
    const char *err = parse();
    CHECK_MSG(err && strstr(err, "cannot record") && strstr(err, "memory map entry"), "got %s",
              err ? err : "(none)");
}

/* qboot's layout: the start info in the BIOS area, a window of its own
 * above a hole the parser must not read (the kernel maps none of it). */
static void reads_only_its_windows(void)
{
    const struct pvh_window two[] = { { 0, 0x4000 }, { 0x6000, LOW } };

    lay_out();
    memmove(low + 0x7000, info(), sizeof(struct hvm_start_info));
    CHECK(parse_windows(two, 2, 0x7000) == NULL);
    CHECK_STR(bi.cmdline, "ktest=all 'two words'");
    CHECK_EQ(bi.fw_info, 0x7000);

    ((struct hvm_start_info *)(low + 0x7000))->memmap_paddr = 0x4000; /* in the hole */
    CHECK_STR(parse_windows(two, 2, 0x7000),
              "pvh: memmap_paddr 0x4000 (3 entries) is not 8-aligned inside [0x0, 0x4000) "
              "[0x6000, 0x8000)");
    ((struct hvm_start_info *)(low + 0x7000))->memmap_paddr = 0x3fe0; /* across the hole's start */
    CHECK(strstr(parse_windows(two, 2, 0x7000) ?: "", "memmap_paddr 0x3fe0") != NULL);
    ((struct hvm_start_info *)(low + 0x7000))->memmap_paddr = MAP_PA;
    ((struct hvm_start_info *)(low + 0x7000))->cmdline_paddr = 0x5000;
    CHECK_STR(parse_windows(two, 2, 0x7000),
              "pvh: cmdline_paddr 0x5000 is outside [0x0, 0x4000) [0x6000, 0x8000)");
    ((struct hvm_start_info *)(low + 0x7000))->cmdline_paddr = 0x3ffc;
    memset(low + 0x3ffc, 'x', 4);
    CHECK_STR(parse_windows(two, 2, 0x7000),
              "pvh: the command line at 0x3ffc has no NUL below 0x4000");
    CHECK_STR(parse_windows(two, 2, 0x5000),
              "pvh: the start info at PA 0x5000 is not 8-aligned inside [0x0, 0x4000) "
              "[0x6000, 0x8000)");
}

/* Every truncation of a good layout is refused or parsed, never read past. */
static void refuses_every_truncated_layout(void)
{
    lay_out();
    for (size_t size = 0; size < LINE_PA + 32; size += 8)
        (void)parse_first(size, INFO_PA);
    CHECK(parse_first(LINE_PA + 22, INFO_PA) == NULL);
    CHECK(parse_first(LINE_PA + 21, INFO_PA) != NULL); /* the NUL is cut off */
}

HOST_TESTS(parses_the_memory_map_and_the_command_line, parses_what_qemu_gives,
           keeps_every_memory_type_and_skips_empty_entries, reserves_modules,
           cuts_a_long_command_line, refuses_each_malformed_start_info,
           refuses_a_memory_map_too_large_for_the_raw_map, reads_only_its_windows,
           refuses_every_truncated_layout)
