/*
 * libFuzzer target for memmap_normalize(): the input is a list of raw
 * regions (8-byte base, 8-byte size, 1-byte type). Whatever they are,
 * normalising must not crash, must produce a sorted, disjoint map with
 * page-aligned usable ranges, no touching neighbours of one type, every
 * region of the strongest input type at its first and last byte, no
 * usable byte where a stronger type covers it, the same result for the
 * input reversed, and must be idempotent. The oracle is this file's own
 * (strongest_type), not type_covering: that is the student's, and a bug
 * in it would agree with itself.
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/memmap.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memmap raw, map, again;

/* The strongest type covering the byte at pa, 0 for none; written so nothing wraps. */
static enum mem_type strongest_type(const struct memmap *m, paddr_t pa)
{
    enum mem_type t = 0;

    for (size_t i = 0; i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];
        if (pa >= r->base && pa - r->base < r->size && r->type > t)
            t = r->type;
    }
    return t;
}

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
        if (r->size - 1 > UINT64_MAX - r->base) /* past 2^64 */
            abort();
        if (i) {
            const struct mem_region *p = &map.regions[i - 1];
            if (p->base + p->size > r->base || (p->base + p->size == r->base && p->type == r->type))
                abort();
        }
        if (strongest_type(&raw, r->base) != r->type ||
            strongest_type(&raw, r->base + r->size - 1) != r->type)
            abort();
    }
    /* Each raw region's first and last byte: usable only where nothing stronger covers it. */
    for (size_t i = 0; i < raw.count; i++) {
        const struct mem_region *r = &raw.regions[i];
        paddr_t ends[2] = { r->base, r->base + r->size - 1 };
        for (int e = 0; e < 2; e++) {
            enum mem_type want = strongest_type(&raw, ends[e]), got = memmap_type_at(&map, ends[e]);
            if (got != want && !(want == MEM_USABLE && got == 0))
                abort();
        }
    }
    again = map;
    if (memmap_normalize(&again) != 0 || memcmp(&again, &map, sizeof(map)) != 0)
        abort();
    /* The input's order does not matter. */
    again.count = raw.count;
    for (size_t i = 0; i < raw.count; i++)
        again.regions[i] = raw.regions[raw.count - 1 - i];
    if (memmap_normalize(&again) != 0 || again.count != map.count ||
        memcmp(again.regions, map.regions, map.count * sizeof(map.regions[0])) != 0)
        abort();
    return 0;
}
