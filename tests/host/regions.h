/*
 * Checking a memory map against the exact regions a test expects:
 *
 *     EXPECT_REGIONS(&map, { 0x0, 0x9000, MEM_USABLE }, { 0x9000, 0x800, MEM_RESERVED });
 *
 * On a mismatch it names the region and prints both. Include after host.h
 * and mm/memmap.c.
 */
#ifndef TESTS_HOST_REGIONS_H
#define TESTS_HOST_REGIONS_H

static void check_regions(const struct memmap *m, const struct mem_region *want, size_t n,
                          const char *file, int line)
{
    if (m->count != n) {
        host_fail(file, line, "expected %zu regions, got %zu", n, m->count);
        memmap_print(m, "got");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct mem_region *got = &m->regions[i];
        if (got->base != want[i].base || got->size != want[i].size || got->type != want[i].type)
            host_fail(file, line, "region %zu: got [0x%llx +0x%llx %s], want [0x%llx +0x%llx %s]",
                      i, (unsigned long long)got->base, (unsigned long long)got->size,
                      mem_type_name(got->type), (unsigned long long)want[i].base,
                      (unsigned long long)want[i].size, mem_type_name(want[i].type));
    }
}

#define EXPECT_REGIONS(map, ...)                                                \
    do {                                                                        \
        const struct mem_region _w[] = { __VA_ARGS__ };                         \
        check_regions(map, _w, sizeof(_w) / sizeof(_w[0]), __FILE__, __LINE__); \
    } while (0)

#endif
