/*
 * libFuzzer target for pvh_parse(): the input is a little-endian u32, the
 * start info's physical address, then low memory as a loader would leave
 * it, of any length and content. The seed (tests/host/data/pvh/) is the
 * layout QEMU 7.2's PVH option ROM gives a 256 MiB machine, with a command
 * line added.
 *
 * Whatever the input, the parser must not read outside the memory it is
 * given (the copy is exactly its size, so AddressSanitizer sees any
 * overrun), must end, and:
 *   - on success, every region is nonempty, lies inside [0, 2^64) and has
 *     a valid type, and the last one is the start info (MEM_FIRMWARE_INFO);
 *   - on failure, the message starts with "pvh: ";
 *   - and then the command line is NUL-terminated.
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/memmap.c"

/* The parser's note (a command line that was cut) would flood the output. */
static int ignore_printf(const char *fmt, ...)
{
    return 0;
}
#define printf(...) ignore_printf(__VA_ARGS__)
#include "../../arch/x86_64/pvh.c"
#undef printf

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct boot_info bi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u32 info_pa;
    u8 *low;
    const char *err;

    if (size < sizeof(info_pa))
        return 0;
    memcpy(&info_pa, data, sizeof(info_pa));
    size -= sizeof(info_pa);
    low = malloc(size ? size : 1); /* 16-aligned: the parser asks 8 */
    memcpy(low, data + sizeof(info_pa), size);
    memset(&bi, 0, sizeof(bi));
    memset(bi.cmdline, 0xa5, sizeof(bi.cmdline)); /* no NUL until the parser writes one */
    const struct pvh_window all[] = { { 0, size } };
    err = pvh_parse(low, all, 1, info_pa, &bi);
    free(low);

    if (err) {
        if (strncmp(err, "pvh: ", 5) != 0)
            abort();
        return 0;
    }
    if (!memchr(bi.cmdline, '\0', sizeof(bi.cmdline)))
        abort();
    if (bi.raw.count == 0 || bi.raw.count > MEMMAP_MAX_REGIONS)
        abort();
    for (size_t i = 0; i < bi.raw.count; i++) {
        const struct mem_region *r = &bi.raw.regions[i];
        if (r->size == 0 || r->size > UINT64_MAX - r->base)
            abort();
        if (r->type < MEM_USABLE || r->type >= MEM_TYPE_COUNT)
            abort();
    }
    const struct mem_region *si = &bi.raw.regions[bi.raw.count - 1];
    if (si->base != info_pa || si->size != sizeof(struct hvm_start_info) ||
        si->type != MEM_FIRMWARE_INFO || bi.fw_info != info_pa)
        abort();
    return 0;
}
