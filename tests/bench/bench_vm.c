/*
 * Page-table benchmark (make bench): mm/vm.c with x86_64 entries, built
 * natively with -O2. Tables come from a simple bump allocator over a
 * simulated RAM, so the figures are the walker's own cost.
 *
 *   - time and table pages to map 64 GiB with 1 GiB, 2 MiB and 4 KiB pages
 *   - 4 KiB pages mapped and unmapped one by one, per operation
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../host/host.h"
#include "../../mm/vm.c"

#define RAM_PA    0x100000000ULL
#define RAM_BYTES (160ULL << 20) /* room for 64 GiB of 4 KiB page tables */
#define KVA       0xffff800000000000ULL
#define REPS      5

static u8 *ram;
static paddr_t next_free;
static u64 tables;

paddr_t pt_alloc_page(void)
{
    if (next_free >= RAM_PA + RAM_BYTES)
        return PADDR_NONE;
    paddr_t pa = next_free;
    next_free += PAGE_SIZE;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    tables++;
    return pa;
}

void pt_free_page(paddr_t pa)
{
    tables--; /* a bump allocator: the page is not reused */
}

void arch_pte_sync(void)
{
}
void arch_tlb_invalidate(vaddr_t va, size_t size)
{
}
void arch_tlb_invalidate_all(void)
{
}
static bool has_1g = true;
bool arch_mmu_has_1g_pages(void)
{
    return has_1g;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct vm_space fresh_space(void)
{
    next_free = RAM_PA;
    tables = 0;
    struct vm_space s = { .root = pt_alloc_page(), .user = false };
    tables = 0; /* count what lies below the root */
    return s;
}

int main(void)
{
    ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(ram, RAM_BYTES, MADV_HUGEPAGE);
    host_pmo_set(ram, RAM_PA, RAM_BYTES);

    printf("page tables (mm/vm.c, x86_64 entries), host build (-O2), medians of %d runs\n", REPS);
    static const char *const names[] = { "4 KiB", "2 MiB", "1 GiB" };
    for (int level = 2; level >= 0; level--) {
        double t[REPS];
        u64 made = 0;
        for (int r = 0; r < REPS; r++) {
            struct vm_space s = fresh_space();
            double t0 = now_ns();
            int err = vm_map(&s, KVA, 0, 64ULL << 30, VM_READ | VM_WRITE | VM_GLOBAL, level);
            t[r] = now_ns() - t0;
            if (err) {
                printf("map failed: %s\n", vm_strerror(err));
                return 1;
            }
            made = tables;
        }
        qsort(t, REPS, sizeof(t[0]), cmp_double);
        printf("  map 64 GiB with %s pages: %10.1f us, %6llu table pages\n", names[level],
               t[REPS / 2] / 1e3, (unsigned long long)made);
    }

    /* 4 KiB map and unmap, one page at a time, over a 64 MiB window. */
    const long pages = 16384;
    double map_ns[REPS], unmap_ns[REPS];
    for (int r = 0; r < REPS; r++) {
        struct vm_space s = fresh_space();
        double t0 = now_ns();
        for (long i = 0; i < pages; i++)
            vm_map(&s, KVA + (u64)i * PAGE_SIZE, (u64)i * PAGE_SIZE, PAGE_SIZE,
                   VM_READ | VM_WRITE | VM_GLOBAL, 0);
        double t1 = now_ns();
        for (long i = 0; i < pages; i++)
            vm_unmap(&s, KVA + (u64)i * PAGE_SIZE, PAGE_SIZE);
        double t2 = now_ns();
        map_ns[r] = (t1 - t0) / pages;
        unmap_ns[r] = (t2 - t1) / pages;
    }
    qsort(map_ns, REPS, sizeof(double), cmp_double);
    qsort(unmap_ns, REPS, sizeof(double), cmp_double);
    printf("  map one 4 KiB page:   %6.1f ns (%.1f M pages/s)\n", map_ns[REPS / 2],
           1e3 / map_ns[REPS / 2]);
    printf("  unmap one 4 KiB page: %6.1f ns (%.1f M pages/s)\n", unmap_ns[REPS / 2],
           1e3 / unmap_ns[REPS / 2]);
    return 0;
}
