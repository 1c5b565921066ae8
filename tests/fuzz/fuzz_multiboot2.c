/*
 * libFuzzer target for multiboot2_parse(): the input is an information
 * block, as GRUB would leave it in memory, of any length and content. The
 * seeds are blocks captured from GRUB boots (tests/host/data/multiboot2/).
 * Each input is parsed twice: as it is, and with total_size set to its
 * length, so that inputs whose length a mutation changed still reach the
 * tags instead of stopping at the header.
 *
 * Whatever the input, the parser must not read outside it (the copy is
 * exactly its size, so AddressSanitizer sees any overrun), must end, and:
 *   - on success, every region is nonempty, lies inside [0, 2^64) and has
 *     a valid type, and the last one is the block itself (MEM_FIRMWARE_INFO);
 *   - on failure, the message starts with "multiboot2: ";
 *   - either way, a command line it wrote is NUL-terminated.
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/memmap.c"

/* The parser's notes (a command line that was cut) would flood the output. */
static int ignore_printf(const char *fmt, ...)
{
    return 0;
}
#define printf(...) ignore_printf(__VA_ARGS__)
#include "../../arch/x86_64/multiboot2.c"
#undef printf

#define INFO_PA 0x12cf78 /* where GRUB put the block in the captures */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct boot_info bi;
static char untouched[BOOT_CMDLINE_MAX]; /* the command line before parsing: no NUL */

static void parse_and_check(const u8 *block, size_t size)
{
    const char *err;

    memset(&bi, 0, sizeof(bi));
    memcpy(bi.cmdline, untouched, sizeof(bi.cmdline));
    err = multiboot2_parse(block, size, INFO_PA, &bi);

    if (!memchr(bi.cmdline, '\0', sizeof(bi.cmdline)) &&
        memcmp(bi.cmdline, untouched, sizeof(bi.cmdline)) != 0)
        abort(); /* written, but not terminated */
    if (err) {
        if (strncmp(err, "multiboot2: ", 12) != 0)
            abort();
        return;
    }
    if (bi.raw.count == 0 || bi.raw.count > MEMMAP_MAX_REGIONS)
        abort();
    for (size_t i = 0; i < bi.raw.count; i++) {
        const struct mem_region *r = &bi.raw.regions[i];
        if (r->size == 0 || r->size > UINT64_MAX - r->base)
            abort(); /* empty, or not inside [0, 2^64) */
        if (r->type < MEM_USABLE || r->type >= MEM_TYPE_COUNT)
            abort();
    }
    const struct mem_region *info = &bi.raw.regions[bi.raw.count - 1];
    if (info->base != INFO_PA || info->size != bi.fw_info_size || info->type != MEM_FIRMWARE_INFO)
        abort();
    if (bi.fw_info != INFO_PA || bi.fw_info_size > size)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u8 *block = malloc(size ? size : 1); /* 16-aligned, as the block must be 8-aligned */

    memset(untouched, 0xa5, sizeof(untouched));
    memcpy(block, data, size);
    parse_and_check(block, size);
    if (size >= sizeof(struct mb2_info_header)) {
        ((struct mb2_info_header *)block)->total_size =
            (u32)ALIGN_DOWN(MIN(size, (size_t)UINT32_MAX), 8);
        parse_and_check(block, size);
    }
    free(block);
    return 0;
}
