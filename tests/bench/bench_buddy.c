/*
 * Buddy allocator benchmark (make bench): mm/buddy.c built natively with
 * -O2 over simulated RAM. Every operation stream is generated before the
 * clock starts; each figure is the median of REPS runs.
 *
 *   a  alloc + free of one order-0 block in an empty arena
 *   b  order-0 churn: 64K live blocks, each step frees a random one and allocates
 *   c  random mixed orders 0..9 (alloc or free, about half full)
 *   d  fill with order-0 blocks until empty
 *   e  free all of (d) in random order
 *   start-up for 64 GiB, metadata per GiB, and how much free memory is
 *   still in 2 MiB blocks after churning to about 80% full.
 *
 * `bench_buddy --only X --ops N` runs one scenario N times without timing,
 * for instruction counts under callgrind (tools/bench_callgrind.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../host/host.h"
#include "../../mm/memmap.c"
#include "../../mm/early.c"
#include "../../mm/buddy.c"

#define REPS             7
#define CALLGRIND_STREAM 400000
#define ARENA_PA         0x100000000ULL /* simulated RAM starts at 4 GiB */

static u8 *arena;
static u64 arena_size;
static struct memmap map;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void map_arena(u64 size)
{
    if (arena)
        munmap(arena, arena_size);
    /* Reserve address space only: pages cost memory when touched. */
    arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    if (arena == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    /* The kernel reaches RAM through a PMO of 2 MiB and 1 GiB pages: back
     * the arena with huge pages too, or TLB misses would dominate. */
    madvise(arena, size, MADV_HUGEPAGE);
    arena_size = size;
    host_pmo_set(arena, ARENA_PA, size);
}

/* A fresh allocator over the whole arena; returns the seconds it took. */
static double boot_allocator(void)
{
    map.count = 0;
    memmap_add(&map, ARENA_PA, arena_size, MEM_USABLE);
    memmap_normalize(&map);
    double t0 = now_ns();
    early_init(&map, ARENA_PA, ARENA_PA + arena_size);
    buddy_init(&map, ARENA_PA, ARENA_PA + arena_size);
    return (now_ns() - t0) / 1e9;
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;
static u64 rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* --- scenarios: each returns the number of operations it did ------------------------ */

static long ops_a;
static long scenario_a(void)
{
    for (long i = 0; i < ops_a; i++) {
        paddr_t pa = buddy_alloc_pages(0);
        buddy_free_pages(pa, 0);
    }
    return ops_a * 2;
}

#define LIVE_B (64 * 1024)
static paddr_t live_b[LIVE_B];
static u32 *victims_b;
static long ops_b;
static void prepare_b(void)
{
    for (int i = 0; i < LIVE_B; i++)
        live_b[i] = buddy_alloc_pages(0);
}
static long scenario_b(void)
{
    for (long i = 0; i < ops_b; i++) {
        u32 k = victims_b[i];
        buddy_free_pages(live_b[k], 0);
        live_b[k] = buddy_alloc_pages(0);
    }
    return ops_b * 2;
}

/* c: a pre-generated stream of (alloc order | free slot) over 4096 slots. */
#define SLOTS_C 4096
static struct {
    paddr_t pa;
    u8 order;
} slots_c[SLOTS_C];
static u32 *stream_c; /* slot index; high bit set: the op is on that slot */
static u8 *orders_c;
static long ops_c;
static long scenario_c(void)
{
    long done = 0;
    for (long i = 0; i < ops_c; i++) {
        u32 s = stream_c[i];
        if (slots_c[s].pa != PADDR_NONE) {
            buddy_free_pages(slots_c[s].pa, slots_c[s].order);
            slots_c[s].pa = PADDR_NONE;
        } else {
            slots_c[s].order = orders_c[i];
            slots_c[s].pa = buddy_alloc_pages(orders_c[i]);
        }
        done++;
    }
    return done;
}

static paddr_t *fill_d;
static long filled_d;
static long scenario_d(void)
{
    paddr_t pa;
    filled_d = 0;
    while ((pa = buddy_alloc_pages(0)) != PADDR_NONE)
        fill_d[filled_d++] = pa;
    return filled_d;
}

static u32 *order_e;
static long scenario_e(void)
{
    for (long i = 0; i < filled_d; i++)
        buddy_free_pages(fill_d[order_e[i]], 0);
    return filled_d;
}

static void shuffle(u32 *v, long n)
{
    for (long i = 0; i < n; i++)
        v[i] = (u32)i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(rng() % (u64)(i + 1));
        u32 t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Time one scenario REPS times on a fresh allocator; median ns per op. */
static double measure(long (*run)(void), void (*prepare)(void))
{
    double per_op[REPS];
    for (int r = 0; r < REPS; r++) {
        boot_allocator();
        if (prepare)
            prepare();
        double t0 = now_ns();
        long n = run();
        per_op[r] = (now_ns() - t0) / (double)n;
    }
    return median(per_op, REPS);
}

static void prepare_e(void)
{
    scenario_d();
    shuffle(order_e, filled_d);
}

static void prepare_c(void)
{
    for (int i = 0; i < SLOTS_C; i++)
        slots_c[i].pa = PADDR_NONE;
}

int main(int argc, char **argv)
{
    const u64 arena_1g = 1ULL << 30;
    const char *only = NULL;
    long only_ops = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--only"))
            only = argv[i + 1];
        else if (!strcmp(argv[i], "--ops"))
            only_ops = atol(argv[i + 1]);
    }

    /* Streams, generated before anything is timed. Under --only their length
     * is fixed, so runs with different --ops differ only in the operations. */
    long stream = only ? CALLGRIND_STREAM : 4000000;
    if (only_ops > stream)
        only_ops = stream;
    ops_a = ops_b = ops_c = only ? only_ops : stream;
    victims_b = malloc(sizeof(u32) * (size_t)stream);
    stream_c = malloc(sizeof(u32) * (size_t)stream);
    orders_c = malloc((size_t)stream);
    for (long i = 0; i < stream; i++)
        victims_b[i] = (u32)(rng() % LIVE_B);
    for (long i = 0; i < stream; i++) {
        stream_c[i] = (u32)(rng() % SLOTS_C);
        orders_c[i] = (u8)(rng() % 10);
    }
    fill_d = malloc(sizeof(paddr_t) * (arena_1g / PAGE_SIZE));
    order_e = malloc(sizeof(u32) * (arena_1g / PAGE_SIZE));

    map_arena(arena_1g);
    if (only) {
        /* One scenario, untimed: for callgrind's instruction counts. */
        boot_allocator();
        long n = 0;
        switch (only[0]) {
        case 'a': n = scenario_a(); break;
        case 'b':
            prepare_b();
            n = scenario_b();
            break;
        case 'c':
            prepare_c();
            n = scenario_c();
            break;
        case 'd': n = scenario_d(); break;
        case 'e':
            prepare_e();
            n = scenario_e();
            break;
        }
        fprintf(stderr, "ops %ld\n", n);
        return 0;
    }

    printf("buddy allocator, host build (-O2), medians of %d runs, 1 GiB arena\n", REPS);
    printf("  (a) alloc+free order 0, empty arena       %6.1f ns/op\n", measure(scenario_a, NULL));
    printf("  (b) order-0 churn, 64K live               %6.1f ns/op\n",
           measure(scenario_b, prepare_b));
    printf("  (c) random mixed orders 0..9              %6.1f ns/op\n",
           measure(scenario_c, prepare_c));
    printf("  (d) fill with order 0 until empty         %6.1f ns/op\n", measure(scenario_d, NULL));
    printf("  (e) free all of (d) in random order       %6.1f ns/op\n",
           measure(scenario_e, prepare_e));

    /* Start-up over 64 GiB: address space only; init touches the bitmap and one
     * line per free block. */
    map_arena(64ULL << 30);
    double startup[REPS];
    for (int r = 0; r < REPS; r++)
        startup[r] = boot_allocator() * 1e3;
    printf("  start-up, 64 GiB                          %6.2f ms\n", median(startup, REPS));
    printf("  metadata                                  %6.0f bytes per GiB (%.2f bits per page)\n",
           (double)buddy_metadata_bytes() / 64, buddy_metadata_bytes() * 8.0 / (64 << 18));

    /* Fragmentation: churn 1 GiB to about 80% full with mixed small orders. */
    map_arena(arena_1g);
    boot_allocator();
    static struct {
        paddr_t pa;
        u8 order;
    } held[1 << 20];
    long nheld = 0;
    u64 total = buddy_free_pages_count();
    rng_state = 42;
    for (long i = 0; i < 4000000; i++) {
        bool want_alloc = buddy_free_pages_count() > total / 5;
        if ((want_alloc && rng() % 100 < 60) || nheld == 0) {
            u8 o = (u8)(rng() % 4);
            paddr_t pa = buddy_alloc_pages(o);
            if (pa != PADDR_NONE && nheld < (1 << 20)) {
                held[nheld].pa = pa;
                held[nheld++].order = o;
            }
        } else {
            long k = (long)(rng() % (u64)nheld);
            buddy_free_pages(held[k].pa, held[k].order);
            held[k] = held[--nheld];
        }
    }
    u64 in_2m = 0;
    for (unsigned o = 9; o <= BUDDY_MAX_ORDER; o++)
        in_2m += buddy_free_blocks(o) << o;
    printf("  after churn to %.0f%% full: %.1f%% of free memory is in blocks of 2 MiB or more\n",
           100.0 - 100.0 * buddy_free_pages_count() / total,
           100.0 * in_2m / buddy_free_pages_count());
    return 0;
}
