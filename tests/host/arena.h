/*
 * A simulated machine for host tests of the allocators: a 64 MiB arena
 * standing for PA 0x4000_0000.., with RAM [0, 20 MiB) usable, a 4 MiB hole,
 * then usable up to 64 MiB except 3 reserved pages at 40 MiB + 8 KiB, so
 * blocks meet holes and reservations. arena_boot() rebuilds the memory map
 * and starts the early and buddy allocators over it, as physmem_init does.
 * Include after mm/memmap.c, mm/early.c and mm/buddy.c.
 */
#ifndef TESTS_HOST_ARENA_H
#define TESTS_HOST_ARENA_H

#include <sys/mman.h>

#define ARENA_PA    0x40000000ULL
#define ARENA_SIZE  (64ULL << 20)
#define ARENA_PAGES (ARENA_SIZE / PAGE_SIZE)

static u8 *arena;
static struct memmap arena_map;

static void arena_boot(void)
{
    if (!arena) {
        arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (arena == MAP_FAILED) {
            perror("mmap");
            exit(2);
        }
    }
    host_pmo_set(arena, ARENA_PA, ARENA_SIZE);
    arena_map.count = 0;
    memmap_add(&arena_map, ARENA_PA, 20 << 20, MEM_USABLE);
    memmap_add(&arena_map, ARENA_PA + (24 << 20), 40 << 20, MEM_USABLE);
    memmap_add(&arena_map, ARENA_PA + (40 << 20) + 0x2000, 3 * PAGE_SIZE, MEM_RESERVED);
    memmap_normalize(&arena_map);
    early_init(&arena_map, ARENA_PA, ARENA_PA + ARENA_SIZE);
    buddy_init(&arena_map, ARENA_PA, ARENA_PA + ARENA_SIZE);
}

#endif
