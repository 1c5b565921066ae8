/*
 * Host tests of mm/memmap.c: normalisation rules case by case, then random
 * raw maps checked against a brute-force model that types every 256-byte
 * granule of a small address space.
 */
#include <stdlib.h>

#include "host.h"
#include "../../mm/memmap.c"
#include "regions.h"

static struct memmap map;

static void add(paddr_t base, u64 size, enum mem_type type)
{
    CHECK_EQ(memmap_add(&map, base, size, type), 0);
}

static void reset(void)
{
    map.count = 0;
}

static void the_documented_example(void)
{
    reset();
    add(0x0000, 0xa000, MEM_USABLE);
    add(0x9000, 0x800, MEM_RESERVED);
    add(0xa000, 0x1000, MEM_USABLE);
    add(0xf000, 0x800, MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x9000, MEM_USABLE }, { 0x9000, 0x800, MEM_RESERVED },
                   { 0xa000, 0x1000, MEM_USABLE });
}

static void sorts_unsorted_input(void)
{
    reset();
    add(0x100000, 0x1000, MEM_USABLE);
    add(0x0, 0x1000, MEM_RESERVED);
    add(0x8000, 0x2000, MEM_ACPI_NVS);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x1000, MEM_RESERVED }, { 0x8000, 0x2000, MEM_ACPI_NVS },
                   { 0x100000, 0x1000, MEM_USABLE });
}

static void reserved_wins_over_usable(void)
{
    reset();
    add(0x0, 0x10000, MEM_RESERVED);
    add(0x0, 0x20000, MEM_USABLE); /* listed after, still loses */
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x10000, MEM_RESERVED }, { 0x10000, 0x10000, MEM_USABLE });
}

static void stronger_reservation_wins(void)
{
    reset();
    add(0x0, 0x10000, MEM_RESERVED);
    add(0x4000, 0x1000, MEM_KERNEL);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x4000, MEM_RESERVED }, { 0x4000, 0x1000, MEM_KERNEL },
                   { 0x5000, 0xb000, MEM_RESERVED });
}

static void merges_neighbours_of_one_type(void)
{
    reset();
    add(0x0, 0x1000, MEM_USABLE);
    add(0x1000, 0x1000, MEM_USABLE);
    add(0x1800, 0x2800, MEM_USABLE); /* overlapping, same type */
    add(0x5000, 0x1000, MEM_USABLE); /* a hole at 0x4000: not merged */
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x4000, MEM_USABLE }, { 0x5000, 0x1000, MEM_USABLE });
}

static void aligns_usable_inward(void)
{
    reset();
    add(0x1234, 0x5000, MEM_USABLE);   /* [0x1234, 0x6234) -> [0x2000, 0x6000) */
    add(0x8000, 0xfff, MEM_USABLE);    /* no whole page: gone */
    add(0x10100, 0x100, MEM_RESERVED); /* reserved keeps its exact bounds */
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x2000, 0x4000, MEM_USABLE }, { 0x10100, 0x100, MEM_RESERVED });
}

static void top_of_the_address_space(void)
{
    reset();
    add(0xfffffffffffff000ULL, 0xfff, MEM_USABLE); /* ends at 2^64 - 1: no whole page */
    add(0xffffffffffffe000ULL, 0x1000, MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0xffffffffffffe000ULL, 0x1000, MEM_USABLE });
}

static void add_refuses_bad_regions(void)
{
    reset();
    CHECK_EQ(memmap_add(&map, 0xfffffffffffff000ULL, 0x2000, MEM_USABLE), MEMMAP_ERR_OVERFLOW);
    CHECK_EQ(memmap_add(&map, 0x1000, 0x1000, 0), MEMMAP_ERR_TYPE);
    CHECK_EQ(memmap_add(&map, 0x1000, 0x1000, MEM_TYPE_COUNT), MEMMAP_ERR_TYPE);
    CHECK_EQ(memmap_add(&map, 0x1000, 0, MEM_USABLE), 0); /* ignored */
    CHECK_EQ(map.count, 0);
    for (int i = 0; i < MEMMAP_MAX_REGIONS; i++)
        CHECK_EQ(memmap_add(&map, (paddr_t)i * 0x2000, 0x1000, MEM_USABLE), 0);
    CHECK_EQ(memmap_add(&map, 0x10000000, 0x1000, MEM_USABLE), MEMMAP_ERR_FULL);
    CHECK_STR(memmap_strerror(MEMMAP_ERR_FULL), "too many memory regions");
}

static void too_many_results_leave_the_map_alone(void)
{
    /* 128 usable pages, each cut in two by a reservation: 384 results. */
    reset();
    for (int i = 0; i < 128; i++) {
        add((paddr_t)i * 0x10000, 0x3000, MEM_USABLE);
        add((paddr_t)i * 0x10000 + 0x1000, 0x1000, MEM_RESERVED);
    }
    struct memmap before = map;
    CHECK_EQ(memmap_normalize(&map), MEMMAP_ERR_FULL);
    CHECK(memcmp(&before, &map, sizeof(map)) == 0);
}

static void reserve_keeps_it_normalised(void)
{
    reset();
    add(0x0, 0x100000, MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    CHECK_EQ(memmap_reserve(&map, 0x5000, 0x2000, MEM_EARLY_ALLOC), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x5000, MEM_USABLE }, { 0x5000, 0x2000, MEM_EARLY_ALLOC },
                   { 0x7000, 0xf9000, MEM_USABLE });
    CHECK_EQ(memmap_total(&map, MEM_USABLE), 0xfe000);
    CHECK_EQ(memmap_type_at(&map, 0x6fff), MEM_EARLY_ALLOC);
    CHECK_EQ(memmap_type_at(&map, 0x100000), 0);
}

static void release_turns_a_type_back_into_usable_ram(void)
{
    reset();
    add(0x0, 0x100000, MEM_USABLE);
    add(0x8000, 0x1000, MEM_KERNEL);
    add(0x9000, 0x2000, MEM_BOOT_TABLES);
    add(0x20000, 0x1000, MEM_BOOT_TABLES);
    CHECK_EQ(memmap_normalize(&map), 0);
    CHECK_EQ(memmap_release(&map, MEM_BOOT_TABLES), 0);
    /* Merged with the usable RAM around them; the kernel stays. */
    EXPECT_REGIONS(&map, { 0x0, 0x8000, MEM_USABLE }, { 0x8000, 0x1000, MEM_KERNEL },
                   { 0x9000, 0xf7000, MEM_USABLE });
}

/* --- random maps against a model ------------------------------------------------ */

#define GRANULE  0x100
#define SPACE    0x40000 /* 64 pages */
#define GRANULES (SPACE / GRANULE)

/* The model: type of each granule = strongest type covering it; a usable
 * granule survives only if its whole page is usable. */
static void model(const struct memmap *raw, enum mem_type *out)
{
    for (int g = 0; g < GRANULES; g++) {
        enum mem_type t = 0;
        for (size_t i = 0; i < raw->count; i++) {
            const struct mem_region *r = &raw->regions[i];
            paddr_t a = (paddr_t)g * GRANULE;
            if (r->base <= a && a < r->base + r->size && r->type > t)
                t = r->type;
        }
        out[g] = t;
    }
    for (int p = 0; p < (int)(SPACE / PAGE_SIZE); p++) {
        int per_page = (int)(PAGE_SIZE / GRANULE);
        bool whole = true;
        for (int k = 0; k < per_page; k++)
            whole &= out[p * per_page + k] == MEM_USABLE;
        for (int k = 0; k < per_page && !whole; k++)
            if (out[p * per_page + k] == MEM_USABLE)
                out[p * per_page + k] = 0;
    }
}

static void random_maps_match_the_model(void)
{
    static enum mem_type want[GRANULES];
    unsigned seed = 12345;

    srand(seed);
    for (int round = 0; round < 3000; round++) {
        struct memmap raw = { .count = 0 };
        int n = 1 + rand() % 12;
        for (int i = 0; i < n; i++) {
            paddr_t base = (paddr_t)(rand() % GRANULES) * GRANULE;
            u64 size = (u64)(1 + rand() % (GRANULES / 4)) * GRANULE;
            if (base + size > SPACE)
                size = SPACE - base;
            enum mem_type type = rand() % 3 ? MEM_USABLE : 1 + rand() % (MEM_TYPE_COUNT - 1);
            memmap_add(&raw, base, size, type);
        }
        model(&raw, want);
        map = raw;
        CHECK_EQ(memmap_normalize(&map), 0);

        /* Structure: sorted, disjoint, no equal neighbours, usable page-aligned. */
        for (size_t i = 0; i < map.count; i++) {
            const struct mem_region *r = &map.regions[i];
            CHECK(r->size > 0);
            if (r->type == MEM_USABLE)
                CHECK((r->base | r->size) % PAGE_SIZE == 0);
            if (i) {
                const struct mem_region *p = &map.regions[i - 1];
                CHECK(p->base + p->size <= r->base);
                CHECK(!(p->base + p->size == r->base && p->type == r->type));
            }
        }
        /* Content: every granule as the model says. */
        for (int g = 0; g < GRANULES; g++) {
            enum mem_type got = memmap_type_at(&map, (paddr_t)g * GRANULE);
            if (got != want[g]) {
                host_fail(__FILE__, __LINE__, "seed %u round %d: granule 0x%x is %s, model says %s",
                          seed, round, g * GRANULE, mem_type_name(got), mem_type_name(want[g]));
                memmap_print(&raw, "raw input");
                return;
            }
        }
        /* Normalising a normalised map changes nothing. */
        struct memmap again = map;
        CHECK_EQ(memmap_normalize(&again), 0);
        CHECK(memcmp(&again, &map, sizeof(map)) == 0);
    }
}

HOST_TESTS(the_documented_example, sorts_unsorted_input, reserved_wins_over_usable,
           stronger_reservation_wins, merges_neighbours_of_one_type, aligns_usable_inward,
           top_of_the_address_space, add_refuses_bad_regions, too_many_results_leave_the_map_alone,
           reserve_keeps_it_normalised, release_turns_a_type_back_into_usable_ram,
           random_maps_match_the_model)
