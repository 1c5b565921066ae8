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

    /* A reservation up to the last byte keeps its exact bounds. */
    reset();
    add(0xfffffffffff00000ULL, 0xfffff, MEM_RESERVED);
    add(0xffffffffffe00000ULL, 0x100000, MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0xffffffffffe00000ULL, 0x100000, MEM_USABLE },
                   { 0xfffffffffff00000ULL, 0xfffff, MEM_RESERVED });
}

/*
 * A usable region that starts inside the last page: rounding its base up
 * to a page goes past 2^64 and wraps to 0. It holds no whole page, so it
 * is dropped; it must not become usable RAM from address 0.
 */
static void a_usable_region_in_the_last_page_does_not_wrap(void)
{
    reset();
    add(0x100000, 0x1000, MEM_RESERVED);
    add(0xfffffffffffff800ULL, 0x7ff, MEM_USABLE);
    add(0xfffffffffffff001ULL, 0x10, MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x100000, 0x1000, MEM_RESERVED });
}

/* Nothing in, nothing out. */
static void an_empty_map_stays_empty(void)
{
    reset();
    CHECK_EQ(memmap_normalize(&map), 0);
    CHECK_EQ(map.count, 0);
}

/* A region at address 0, touching regions of other types on both sides. */
static void touching_regions_keep_their_types(void)
{
    reset();
    add(0x3000, 0x1000, MEM_USABLE);
    add(0x0, 0x1000, MEM_USABLE);
    add(0x1000, 0x2000, MEM_ACPI_RECLAIMABLE);
    add(0x4000, 0x1000, MEM_RESERVED);
    CHECK_EQ(memmap_normalize(&map), 0);
    EXPECT_REGIONS(&map, { 0x0, 0x1000, MEM_USABLE }, { 0x1000, 0x2000, MEM_ACPI_RECLAIMABLE },
                   { 0x3000, 0x1000, MEM_USABLE }, { 0x4000, 0x1000, MEM_RESERVED });
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

/* MEMMAP_MAX_REGIONS results fit: pages of alternating types, none merging. */
static void exactly_max_regions_fit(void)
{
    reset();
    for (int i = 0; i < MEMMAP_MAX_REGIONS; i++)
        add((paddr_t)i * 0x1000, 0x1000, i % 2 ? MEM_RESERVED : MEM_USABLE);
    CHECK_EQ(memmap_normalize(&map), 0);
    CHECK_EQ(map.count, MEMMAP_MAX_REGIONS);
    for (size_t i = 0; i < map.count; i++) {
        CHECK_EQ(map.regions[i].base, i * 0x1000);
        CHECK_EQ(map.regions[i].size, 0x1000);
        CHECK_EQ(map.regions[i].type, i % 2 ? MEM_RESERVED : MEM_USABLE);
    }
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

    /* One more than fits: a usable range cut in three by the kernel, then
     * pages of alternating types. */
    reset();
    add(0x0, 0x3000, MEM_USABLE);
    add(0x1000, 0x1000, MEM_KERNEL);
    for (int i = 0; i < MEMMAP_MAX_REGIONS - 2; i++)
        add(0x3000 + (paddr_t)i * 0x1000, 0x1000, i % 2 ? MEM_USABLE : MEM_RESERVED);
    before = map;
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

/* Does r cover the byte at pa? (Written so that nothing wraps at 2^64.) */
static bool covers(const struct mem_region *r, paddr_t pa)
{
    return pa >= r->base && pa - r->base < r->size;
}

/* The strongest type covering the byte at pa, 0 for none. */
static enum mem_type model_type(const struct memmap *raw, paddr_t pa)
{
    enum mem_type t = 0;

    for (size_t i = 0; i < raw->count; i++)
        if (covers(&raw->regions[i], pa) && raw->regions[i].type > t)
            t = raw->regions[i].type;
    return t;
}

/*
 * The model, for granules of [origin, origin + SPACE): the type of each
 * granule's first and last byte is the strongest type covering it, and a
 * usable byte survives only if its whole page is usable. Regions start and
 * end on granules, except one that ends at 2^64 - 1: its last granule's
 * last byte is not covered, and the model sees that.
 */
static void model(const struct memmap *raw, paddr_t origin, enum mem_type *first,
                  enum mem_type *last)
{
    const int per_page = (int)(PAGE_SIZE / GRANULE);

    for (int g = 0; g < GRANULES; g++) {
        first[g] = model_type(raw, origin + (paddr_t)g * GRANULE);
        last[g] = model_type(raw, origin + (paddr_t)g * GRANULE + GRANULE - 1);
    }
    for (int p = 0; p < (int)(SPACE / PAGE_SIZE); p++) {
        bool whole = true;
        for (int k = p * per_page; k < (p + 1) * per_page; k++)
            whole &= first[k] == MEM_USABLE && last[k] == MEM_USABLE;
        for (int k = p * per_page; k < (p + 1) * per_page && !whole; k++) {
            if (first[k] == MEM_USABLE)
                first[k] = 0;
            if (last[k] == MEM_USABLE)
                last[k] = 0;
        }
    }
}

/* Regions of random types, sizes and places, all inside [origin, origin + SPACE) and below 2^64. */
static void random_raw_map(struct memmap *raw, paddr_t origin)
{
    int n = 1 + rand() % 12;

    raw->count = 0;
    for (int i = 0; i < n; i++) {
        u64 offset = (u64)(rand() % GRANULES) * GRANULE;
        u64 size = (u64)(1 + rand() % (GRANULES / 4)) * GRANULE;
        if (offset + size > SPACE)
            size = SPACE - offset;
        if (origin + offset + size == 0) /* ends at 2^64: stop a byte short */
            size--;
        enum mem_type type = rand() % 3 ? MEM_USABLE : 1 + rand() % (MEM_TYPE_COUNT - 1);
        CHECK_EQ(memmap_add(raw, origin + offset, size, type), 0);
    }
}

/* The same regions in another order. */
static void shuffle(struct memmap *m)
{
    for (size_t i = m->count; i > 1; i--) {
        size_t j = (size_t)rand() % i;
        struct mem_region r = m->regions[i - 1];
        m->regions[i - 1] = m->regions[j];
        m->regions[j] = r;
    }
}

/* 3000 random raw maps in [origin, origin + SPACE), each normalised and checked. */
static void random_maps_at(paddr_t origin, unsigned seed)
{
    static enum mem_type first[GRANULES], last[GRANULES];
    static struct memmap raw, again;
    int failures_before = host_failures;

    srand(seed);
    for (int round = 0; round < 3000; round++) {
        random_raw_map(&raw, origin);
        model(&raw, origin, first, last);
        map = raw;
        CHECK_EQ(memmap_normalize(&map), 0);

        /* Structure: sorted, disjoint, no equal neighbours, usable page-aligned. */
        for (size_t i = 0; i < map.count; i++) {
            const struct mem_region *r = &map.regions[i];
            CHECK(r->size > 0);
            CHECK(r->size - 1 <= UINT64_MAX - r->base); /* ends at 2^64 at most */
            if (r->type == MEM_USABLE)
                CHECK((r->base | r->size) % PAGE_SIZE == 0);
            if (i) {
                const struct mem_region *p = &map.regions[i - 1];
                CHECK(p->base + p->size <= r->base);
                CHECK(!(p->base + p->size == r->base && p->type == r->type));
            }
        }
        /* Content: the first and last byte of every granule as the model says,
         * and nothing outside [origin, origin + SPACE). */
        for (int g = 0; g < GRANULES; g++) {
            paddr_t a = origin + (paddr_t)g * GRANULE, z = a + GRANULE - 1;
            enum mem_type got_a = memmap_type_at(&map, a), got_z = memmap_type_at(&map, z);
            if (got_a != first[g] || got_z != last[g]) {
                host_fail(__FILE__, __LINE__,
                          "seed %u round %d: granule 0x%llx is %s ... %s, model says %s ... %s",
                          seed, round, (unsigned long long)a, mem_type_name(got_a),
                          mem_type_name(got_z), mem_type_name(first[g]), mem_type_name(last[g]));
                memmap_print(&raw, "raw input");
                memmap_print(&map, "normalised");
                return;
            }
        }
        for (size_t i = 0; i < map.count; i++)
            CHECK_MSG(map.regions[i].base - origin < SPACE,
                      "seed %u round %d: region %zu at 0x%llx, outside the input", seed, round, i,
                      (unsigned long long)map.regions[i].base);
        /* Normalising a normalised map changes nothing. */
        again = map;
        CHECK_EQ(memmap_normalize(&again), 0);
        CHECK(memcmp(&again, &map, sizeof(map)) == 0);
        /* The input's order does not matter. */
        again = raw;
        shuffle(&again);
        CHECK_EQ(memmap_normalize(&again), 0);
        CHECK(again.count == map.count &&
              memcmp(again.regions, map.regions, map.count * sizeof(map.regions[0])) == 0);
        if (host_failures != failures_before)
            return;
    }
}

static void random_maps_match_the_model(void)
{
    random_maps_at(0, 12345);
}

/* The same at the very top of the address space, where rounding up wraps. */
static void random_maps_at_the_top_match_the_model(void)
{
    random_maps_at(0ULL - SPACE, 54321);
}

/* --- the two helpers, each against its contract ------------------------------- */

static int compare_paddr(const void *a, const void *b)
{
    paddr_t x = *(const paddr_t *)a, y = *(const paddr_t *)b;
    return x < y ? -1 : x > y;
}

/* sort_unique(v, n) against qsort and a dedup; prints the input on a mismatch. */
static void check_sort_unique(const paddr_t *input, size_t n, const char *what)
{
    static paddr_t v[2 * MEMMAP_MAX_REGIONS], want[2 * MEMMAP_MAX_REGIONS];
    size_t nwant = 0;

    memcpy(v, input, n * sizeof(*v));
    memcpy(want, input, n * sizeof(*v));
    qsort(want, n, sizeof(*want), compare_paddr);
    for (size_t i = 0; i < n; i++)
        if (nwant == 0 || want[nwant - 1] != want[i])
            want[nwant++] = want[i];

    size_t got = sort_unique(v, n);
    bool same = got == nwant && memcmp(v, want, nwant * sizeof(*v)) == 0;
    CHECK_MSG(same, "sort_unique of %s (%zu values): returned %zu, want %zu distinct values", what,
              n, got, nwant);
    if (!same) {
        for (size_t i = 0; i < n; i++)
            printf("#   in[%zu] 0x%llx   out[%zu] %s0x%llx   want 0x%llx\n", i,
                   (unsigned long long)input[i], i, i < got ? "" : "(past the count) ",
                   (unsigned long long)v[i], (unsigned long long)(i < nwant ? want[i] : 0));
    }
}

/*
 * sort_unique: strictly ascending, each value once, whatever the input's
 * order, with 64-bit values up to 2^64 - 1 and the values at either end.
 */
static void sort_unique_keeps_each_value_once(void)
{
    static const paddr_t mixed[] = { 0x3000,        0x1000, 0xffffffffffffffffULL,
                                     0x1000,        0x0,    0x100001000ULL,
                                     0x3000,        0x2000, 0x0,
                                     0x100000000ULL };
    static const paddr_t descending[] = { 0x5000, 0x4000, 0x3000, 0x2000, 0x1000 };
    static const paddr_t ascending[] = { 0x1000, 0x2000, 0x3000, 0x4000 };
    static const paddr_t equal[] = { 0x7000, 0x7000, 0x7000 };
    static const paddr_t top[] = { 0xfffffffffffff000ULL, 0xffffffffffffffffULL, 0x0, 0x1 };
    static const paddr_t one[] = { 0x42 };
    static const paddr_t pair_down[] = { 0x2000, 0x1000 };
    paddr_t random[2 * MEMMAP_MAX_REGIONS];

    check_sort_unique(mixed, ARRAY_SIZE(mixed), "a mixed list");
    check_sort_unique(descending, ARRAY_SIZE(descending), "a descending list");
    check_sort_unique(ascending, ARRAY_SIZE(ascending), "a sorted list");
    check_sort_unique(equal, ARRAY_SIZE(equal), "three equal values");
    check_sort_unique(top, ARRAY_SIZE(top), "the ends of the address space");
    check_sort_unique(one, 1, "one value");
    check_sort_unique(pair_down, 2, "two values, the larger first");
    check_sort_unique(one, 0, "nothing");

    int failures_before = host_failures;

    srand(777);
    for (int round = 0; round < 2000 && host_failures == failures_before; round++) {
        size_t n = (size_t)rand() % (ARRAY_SIZE(random) + 1);
        for (size_t i = 0; i < n; i++) /* few distinct values, above 4 GiB too */
            random[i] = (paddr_t)(rand() % 24) << (rand() % 2 ? 12 : 36);
        check_sort_unique(random, n, "a random list");
    }
}

/* type_covering on a raw map: the strongest cover, whatever the order; the end excluded. */
static void type_covering_is_the_strongest_cover(void)
{
    static const struct {
        paddr_t pa;
        enum mem_type want;
    } probes[] = {
        { 0x0, MEM_USABLE },
        { 0x2fff, MEM_USABLE },
        { 0x3000, MEM_RESERVED },
        { 0x3fff, MEM_RESERVED },
        { 0x4000, MEM_KERNEL },
        { 0x5fff, MEM_KERNEL },
        { 0x6000, MEM_RESERVED },
        { 0x6fff, MEM_RESERVED },
        { 0x7000, MEM_USABLE },
        { 0xffff, MEM_USABLE },
        { 0x10000, 0 },
        { 0x1ffff, 0 },
        { 0x20000, MEM_ACPI_NVS },
        { 0x20fff, MEM_ACPI_NVS },
        { 0x21000, MEM_BAD },
        { 0x21fff, MEM_BAD },
        { 0x22000, 0 },
        { 0xfffffffffffff000ULL, MEM_MODULE },
        { 0xfffffffffffffffeULL, MEM_MODULE },
        { 0xffffffffffffffffULL, 0 },
    };

    reset();
    CHECK_EQ(type_covering(&map, 0x0), 0);
    add(0x0, 0x10000, MEM_USABLE);
    add(0x4000, 0x2000, MEM_KERNEL);
    add(0x3000, 0x4000, MEM_RESERVED); /* listed after the stronger kernel inside it */
    add(0x0, 0x8000, MEM_USABLE);      /* and a weaker one listed last */
    add(0x21000, 0x1000, MEM_BAD);     /* touching the next one, listed first */
    add(0x20000, 0x1000, MEM_ACPI_NVS);
    add(0xfffffffffffff000ULL, 0xfff, MEM_MODULE); /* up to the last byte, not onto it */
    struct memmap before = map;
    for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
        CHECK_MSG(type_covering(&map, probes[i].pa) == probes[i].want,
                  "type_covering(0x%llx) is %s, want %s", (unsigned long long)probes[i].pa,
                  mem_type_name(type_covering(&map, probes[i].pa)), mem_type_name(probes[i].want));
    CHECK(memcmp(&before, &map, sizeof(map)) == 0); /* it only reads */

    /* Random raw maps, every granule's first byte, against the model. */
    int failures_before = host_failures;

    srand(4242);
    for (int round = 0; round < 300 && host_failures == failures_before; round++) {
        paddr_t origin = round % 2 ? 0 : 0ULL - SPACE;
        random_raw_map(&map, origin);
        for (int g = 0; g < GRANULES; g++) {
            paddr_t pa = origin + (paddr_t)g * GRANULE + (g % 2 ? GRANULE - 1 : 0);
            enum mem_type got = type_covering(&map, pa), want = model_type(&map, pa);
            if (got != want) {
                host_fail(__FILE__, __LINE__, "round %d: type_covering(0x%llx) is %s, want %s",
                          round, (unsigned long long)pa, mem_type_name(got), mem_type_name(want));
                memmap_print(&map, "raw map");
                return;
            }
        }
    }
}

HOST_TESTS(sort_unique_keeps_each_value_once, type_covering_is_the_strongest_cover,
           the_documented_example, sorts_unsorted_input, reserved_wins_over_usable,
           stronger_reservation_wins, merges_neighbours_of_one_type, aligns_usable_inward,
           top_of_the_address_space, a_usable_region_in_the_last_page_does_not_wrap,
           an_empty_map_stays_empty, touching_regions_keep_their_types, add_refuses_bad_regions,
           exactly_max_regions_fit, too_many_results_leave_the_map_alone,
           reserve_keeps_it_normalised, release_turns_a_type_back_into_usable_ram,
           random_maps_match_the_model, random_maps_at_the_top_match_the_model)
