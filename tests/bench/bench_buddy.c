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
 *
 * Built with -DBENCH_PEER and buddy_peer.c (`make bench BUDDY_PEER=...`),
 * it also runs every stream against a peer allocator, the two alternating
 * run by run, and prints both with their ratio; `--peer` makes --only run
 * the peer.
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
#ifdef BENCH_PEER
#include "buddy_peer.h"
#endif

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
static double boot_duet(void)
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

/* --- the allocators ------------------------------------------------------------------ */

struct allocator {
    double (*boot)(void);
    paddr_t (*alloc)(unsigned order);
    void (*free)(paddr_t pa, unsigned order);
};

static const struct allocator duet = { boot_duet, buddy_alloc_pages, buddy_free_pages };

#ifdef BENCH_PEER
/* The peer speaks in offsets into the arena: made addresses of the same
 * simulated RAM, so that both fill the same arrays. */
static double boot_peer(void)
{
    double t0 = now_ns();
    peer_boot(arena, arena_size);
    return (now_ns() - t0) / 1e9;
}

static paddr_t alloc_peer(unsigned order)
{
    unsigned long off = peer_alloc(order);
    return off == PEER_NONE ? PADDR_NONE : ARENA_PA + off;
}

static void free_peer(paddr_t pa, unsigned order)
{
    peer_free(pa - ARENA_PA, order);
}

static const struct allocator peer = { boot_peer, alloc_peer, free_peer };
#endif

/* Every scenario is written once, for either allocator, and copied for
 * each with direct calls (SCENARIOS below): the timed loops pay no
 * indirect call. */
#define SCENARIO static inline __attribute__((always_inline)) long

/* --- scenarios: each returns the number of operations it did ------------------------ */

static long ops_a;
SCENARIO scenario_a(const struct allocator *al)
{
    for (long i = 0; i < ops_a; i++) {
        paddr_t pa = al->alloc(0);
        al->free(pa, 0);
    }
    return ops_a * 2;
}

#define LIVE_B (64 * 1024)
static paddr_t live_b[LIVE_B];
static u32 *victims_b;
static long ops_b;
static void prepare_b(const struct allocator *al)
{
    for (int i = 0; i < LIVE_B; i++)
        live_b[i] = al->alloc(0);
}
SCENARIO scenario_b(const struct allocator *al)
{
    for (long i = 0; i < ops_b; i++) {
        u32 k = victims_b[i];
        al->free(live_b[k], 0);
        live_b[k] = al->alloc(0);
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
SCENARIO scenario_c(const struct allocator *al)
{
    long done = 0;
    for (long i = 0; i < ops_c; i++) {
        u32 s = stream_c[i];
        if (slots_c[s].pa != PADDR_NONE) {
            al->free(slots_c[s].pa, slots_c[s].order);
            slots_c[s].pa = PADDR_NONE;
        } else {
            slots_c[s].order = orders_c[i];
            slots_c[s].pa = al->alloc(orders_c[i]);
        }
        done++;
    }
    return done;
}

static paddr_t *fill_d;
static long filled_d;
SCENARIO scenario_d(const struct allocator *al)
{
    paddr_t pa;
    filled_d = 0;
    while ((pa = al->alloc(0)) != PADDR_NONE)
        fill_d[filled_d++] = pa;
    return filled_d;
}

static u32 *order_e;
SCENARIO scenario_e(const struct allocator *al)
{
    for (long i = 0; i < filled_d; i++)
        al->free(fill_d[order_e[i]], 0);
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

static void prepare_c(const struct allocator *al)
{
    for (int i = 0; i < SLOTS_C; i++)
        slots_c[i].pa = PADDR_NONE;
}

/* (e) frees what (d) got, in an order drawn from the run's own seed: the
 * same for both allocators in a run. */
static u64 seed_e = 1;
static void prepare_e(const struct allocator *al)
{
    scenario_d(al);
    rng_state = seed_e * 0x9e3779b97f4a7c15ULL;
    shuffle(order_e, filled_d);
}

/* One copy of every scenario per allocator, calling it directly. */
/* clang-format off */
#define SCENARIOS(al)                                                                              \
    static long al##_a(void) { return scenario_a(&al); }                                           \
    static long al##_b(void) { return scenario_b(&al); }                                           \
    static long al##_c(void) { return scenario_c(&al); }                                           \
    static long al##_d(void) { return scenario_d(&al); }                                           \
    static long al##_e(void) { return scenario_e(&al); }                                           \
    static long (*const al##_runs[5])(void) = { al##_a, al##_b, al##_c, al##_d, al##_e };
/* clang-format on */
SCENARIOS(duet)
#ifdef BENCH_PEER
SCENARIOS(peer)
#define NALLOC 2
static const struct allocator *const allocators[NALLOC] = { &duet, &peer };
static long (*const *const runs[NALLOC])(void) = { duet_runs, peer_runs };
#else
#define NALLOC 1
static const struct allocator *const allocators[NALLOC] = { &duet };
static long (*const *const runs[NALLOC])(void) = { duet_runs };
#endif

static void (*const prepares[5])(const struct allocator *) = { NULL, prepare_b, prepare_c, NULL,
                                                               prepare_e };

/* Time scenario s ('a' + s) REPS times on a fresh allocator, each allocator
 * in turn (which goes first alternates); median ns per op of each in ns[]. */
static void measure(int s, double ns[NALLOC])
{
    double per_op[NALLOC][REPS];
    for (int r = 0; r < REPS; r++) {
        for (int k = 0; k < NALLOC; k++) {
            int i = (k + r) % NALLOC;
            allocators[i]->boot();
            seed_e = (u64)r + 1;
            if (prepares[s])
                prepares[s](allocators[i]);
            double t0 = now_ns();
            long n = runs[i][s]();
            per_op[i][r] = (now_ns() - t0) / (double)n;
        }
    }
    for (int i = 0; i < NALLOC; i++)
        ns[i] = median(per_op[i], REPS);
}

int main(int argc, char **argv)
{
    const u64 arena_1g = 1ULL << 30;
    const char *only = NULL;
    long only_ops = 0;
    bool use_peer = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--peer"))
            use_peer = true;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
            only_ops = atol(argv[++i]);
    }
    if (use_peer && NALLOC == 1) {
        fprintf(stderr, "bench_buddy: built without a peer (make bench BUDDY_PEER=...)\n");
        return 2;
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
        int s = only[0] - 'a', i = use_peer ? NALLOC - 1 : 0;
        allocators[i]->boot();
        long n = 0;
        if (s >= 0 && s < 5) {
            if (prepares[s])
                prepares[s](allocators[i]);
            n = runs[i][s]();
        }
        fprintf(stderr, "ops %ld\n", n);
        return 0;
    }

    static const char *const names[5] = {
        "(a) alloc+free order 0, empty arena", "(b) order-0 churn, 64K live",
        "(c) random mixed orders 0..9",        "(d) fill with order 0 until empty",
        "(e) free all of (d) in random order",
    };
    printf("buddy allocator, host build (-O2), medians of %d runs, 1 GiB arena\n", REPS);
#ifdef BENCH_PEER
    printf("  against the peer (%s): the same streams, the two alternating run by run.\n"
           "  A different design: the peer keeps a tree of free-size counters over the arena\n"
           "  (%.2f bits a page, %lu bytes for 1 GiB), never writes into free pages, and\n"
           "  finds a block by descending the tree; Duet keeps 2 bits a page and free lists\n"
           "  in the free blocks themselves.\n",
           PEER_NAME, peer_metadata_bytes(arena_1g) * 8.0 / (double)(arena_1g / PAGE_SIZE),
           peer_metadata_bytes(arena_1g));
    printf("  %-40s %9s %9s %11s\n", "", "Duet", "peer", "Duet/peer");
#endif
    for (int s = 0; s < 5; s++) {
        double ns[NALLOC];
        measure(s, ns);
#ifdef BENCH_PEER
        printf("  %-40s %6.1f ns %6.1f ns %10.2fx\n", names[s], ns[0], ns[1], ns[0] / ns[1]);
#else
        printf("  %-41s %6.1f ns/op\n", names[s], ns[0]);
#endif
    }

    /* Start-up over 64 GiB: address space only; init touches the bitmap and one
     * line per free block. */
    map_arena(64ULL << 30);
    double startup[REPS];
    for (int r = 0; r < REPS; r++)
        startup[r] = boot_duet() * 1e3;
    printf("  start-up, 64 GiB                          %6.2f ms\n", median(startup, REPS));
    printf("  metadata                                  %6.0f bytes per GiB (%.2f bits per page)\n",
           (double)buddy_metadata_bytes() / 64, buddy_metadata_bytes() * 8.0 / (64 << 18));
#ifdef BENCH_PEER
    for (int r = 0; r < REPS; r++)
        startup[r] = boot_peer() * 1e3;
    printf("  peer: start-up, 64 GiB                    %6.2f ms\n", median(startup, REPS));
    printf("  peer: metadata                            %6.0f bytes per GiB (%.2f bits per page)\n",
           (double)peer_metadata_bytes(64ULL << 30) / 64,
           peer_metadata_bytes(64ULL << 30) * 8.0 / (64 << 18));
#endif

    /* Fragmentation: churn 1 GiB to about 80% full with mixed small orders. */
    map_arena(arena_1g);
    boot_duet();
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
