/*
 * libFuzzer target for memmap_normalize(): the input is a list of raw
 * regions (8-byte base, 8-byte size, 1-byte type). Whatever they are,
 * normalising must not crash, must produce a sorted, disjoint map with
 * page-aligned usable ranges whose every region has the strongest input
 * type at its start, and must be idempotent.
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/memmap.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memmap raw, map;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    raw.count = 0;
    for (; size >= 17; data += 17, size -= 17) {
        u64 base, len;
        memcpy(&base, data, 8);
        memcpy(&len, data + 8, 8);
        memmap_add(&raw, base, len, (enum mem_type)(data[16] % (MEM_TYPE_COUNT + 1)));
    }
    map = raw;
    if (memmap_normalize(&map) != 0)
        return 0;
    for (size_t i = 0; i < map.count; i++) {
        const struct mem_region *r = &map.regions[i];
        if (r->size == 0 || (r->type == MEM_USABLE && (r->base | r->size) % PAGE_SIZE))
            abort();
        if (i && map.regions[i - 1].base + map.regions[i - 1].size > r->base)
            abort();
        if (type_covering(&raw, r->base) != r->type)
            abort();
    }
    struct memmap again = map;
    if (memmap_normalize(&again) != 0 || memcmp(&again, &map, sizeof(map)) != 0)
        abort();
    return 0;
}
