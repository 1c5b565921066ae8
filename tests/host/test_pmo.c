/*
 * Host tests of mm/pmo.c, on its own: pmo_expand over memory maps of any
 * shape (up to the PMO's 64 TiB), and virt_to_phys's PMO half, with the
 * kernel's own PMO constants (mm/pmo.h, not the host one in
 * tests/host/include).
 *
 * pmo_expand talks to the walker through vm_map, vm_for_each_leaf and
 * vm_table_pages. Here those are a model of mm/vm.h's contract, not the
 * lab's mm/vm.c, so a bug in the walker cannot fail these cases: vm_map
 * records each range (refusing what the real one refuses), and the leaves
 * of a range are the largest pages alignment allows, up to max_level, as
 * the real walker makes them.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "host.h"
#include "../../mm/pmo.h"

/* pmo_expand's boot line, kept to be checked: mm/pmo.c's printf is
 * pmo_test_printf (its headers come first, so their format attributes
 * still name printf). */
#include <duet/panic.h>
#include <duet/printk.h>
int pmo_test_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define printf pmo_test_printf
#include "../../mm/pmo.c"
#undef printf
#include "vm_names.h"

static char printed[512];

int pmo_test_printf(const char *fmt, ...)
{
    va_list ap;
    size_t used = strlen(printed);

    va_start(ap, fmt);
    int n = vsnprintf(printed + used, sizeof(printed) - used, fmt, ap);
    va_end(ap);
    return n;
}

/* A kernel image for virt_to_phys's given half: the linker scripts define
 * both ends; here __kernel_end is 4 KiB past __kernel_start. */
char __kernel_start[PAGE_SIZE];
__asm__(".globl __kernel_end\n\t.set __kernel_end, __kernel_start + 4096");

/* --- the walker's contract ------------------------------------------------------------- */

#define MAX_MAPPINGS 64

static struct mapping {
    vaddr_t va;
    paddr_t pa;
    u64 size;
    unsigned flags, max_leaf;
} mappings[MAX_MAPPINGS];
static size_t nmappings;
static long maps_before_failing = -1; /* then vm_map fails with VM_ERR_NO_MEMORY */
static bool has_1g;
static struct vm_space kspace;

bool arch_mmu_has_1g_pages(void)
{
    return has_1g;
}

const char *vm_strerror(int err)
{
    return err == VM_ERR_NO_MEMORY ? "no memory for a page table"
           : err == VM_ERR_EXISTS  ? "already mapped"
                                   : "invalid range";
}

int vm_map(struct vm_space *s, vaddr_t va, paddr_t pa, u64 size, unsigned flags, unsigned max_level)
{
    CHECK(s == &kspace);
    if (!size || !IS_ALIGNED(va | pa | size, (u64)PAGE_SIZE) || va < PHYS_OFFSET ||
        va + size - 1 < va)
        return VM_ERR_INVALID;
    for (size_t i = 0; i < nmappings; i++)
        if (va < mappings[i].va + mappings[i].size && mappings[i].va < va + size)
            return VM_ERR_EXISTS;
    if (maps_before_failing == 0)
        return VM_ERR_NO_MEMORY;
    if (maps_before_failing > 0)
        maps_before_failing--;
    if (nmappings == MAX_MAPPINGS) {
        host_fail(__FILE__, __LINE__, "more than %d vm_map calls", MAX_MAPPINGS);
        return VM_ERR_NO_MEMORY;
    }
    /* Keep them sorted by va, as the tables are. */
    size_t i = nmappings++;
    for (; i > 0 && mappings[i - 1].va > va; i--)
        mappings[i] = mappings[i - 1];
    mappings[i] = (struct mapping){ va, pa, size, flags, MIN(max_level, has_1g ? 2u : 1u) };
    return VM_OK;
}

/* The level of the leaf the walker puts at va: the largest page that va
 * and pa are aligned to and the range covers whole. */
static unsigned leaf_level(vaddr_t va, paddr_t pa, u64 left, unsigned max_leaf)
{
    unsigned level = max_leaf;

    while (level > 0 &&
           !(IS_ALIGNED(va | pa, pt_level_size(level)) && left >= pt_level_size(level)))
        level--;
    return level;
}

void vm_for_each_leaf (struct vm_space *s, vm_leaf_fn fn, void *arg)
{
    for (size_t i = 0; i < nmappings; i++) {
        const struct mapping *m = &mappings[i];
        for (u64 done = 0; done < m->size;) {
            unsigned level = leaf_level(m->va + done, m->pa + done, m->size - done, m->max_leaf);
            fn(m->va + done, m->pa + done, level, m->flags, arg);
            done += pt_level_size(level);
        }
    }
}

/* The tables below level 2 the leaves need: a leaf at level 0 sits in a
 * level-0 table under a level-1 table, one at level 1 in a level-1 table.
 * The leaves come in address order, so a table's leaves come together. */
struct table_count {
    u64 tables;
    vaddr_t last[2]; /* per level: the last table, by the va bits above it */
};

static void count_tables(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct table_count *c = arg;

    for (unsigned l = level; l < 2; l++)
        if (va >> pt_level_shift(l + 1) != c->last[l]) {
            c->last[l] = va >> pt_level_shift(l + 1);
            c->tables++;
        }
}

/* As on x86_64: the kernel's 256 level-2 tables exist from the start. */
#define KERNEL_LEVEL2_TABLES 256

u64 vm_table_pages(struct vm_space *s)
{
    struct table_count c = { 0, { ~0ULL, ~0ULL } };

    vm_for_each_leaf (s, count_tables, &c)
        ;
    return KERNEL_LEVEL2_TABLES + c.tables;
}

static void setup(bool with_1g_pages)
{
    nmappings = 0;
    maps_before_failing = -1;
    has_1g = with_1g_pages;
    printed[0] = '\0';
}

struct region {
    paddr_t base;
    u64 size;
    enum mem_type type;
};

static struct memmap map_of(const struct region *r, size_t n)
{
    struct memmap m = { .count = n };

    for (size_t i = 0; i < n; i++)
        m.regions[i] = (struct mem_region){ r[i].base, r[i].size, r[i].type };
    return m;
}

/* The RAM of a map as the PMO must cover it: regions rounded out to whole
 * pages, joined where they touch or share a page. */
struct run {
    paddr_t start, end;
};

static size_t ram_runs(const struct memmap *m, struct run *runs)
{
    size_t n = 0;

    for (size_t i = 0; i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];
        if (!mem_type_is_ram(r->type))
            continue;
        paddr_t lo = ALIGN_DOWN(r->base, (paddr_t)PAGE_SIZE);
        paddr_t hi = ALIGN_UP(r->base + r->size, (paddr_t)PAGE_SIZE);
        if (n && lo <= runs[n - 1].end)
            runs[n - 1].end = MAX(runs[n - 1].end, hi);
        else
            runs[n++] = (struct run){ lo, hi };
    }
    return n;
}

/* What vm_for_each_leaf found, checked against the runs as it goes. */
struct leaf_check {
    const struct run *runs;
    size_t nruns;
    u64 bytes, pages[PT_LEVELS];
    int reported;
};

/* The run holding [pa, pa + size) whole, or NULL. */
static const struct run *run_holding(const struct leaf_check *c, paddr_t pa, u64 size)
{
    for (size_t i = 0; i < c->nruns; i++)
        if (pa >= c->runs[i].start && pa + size <= c->runs[i].end)
            return &c->runs[i];
    return NULL;
}

#define LEAF_FAIL(c, ...)                               \
    do {                                                \
        if ((c)->reported++ < 5)                        \
            host_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

static void check_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct leaf_check *c = arg;
    u64 size = pt_level_size(level);

    if (va < PHYS_OFFSET || va >= PMO_END || pa != va - PHYS_OFFSET) {
        LEAF_FAIL(c, "a %s page at 0x%llx maps PA 0x%llx: the PMO maps PA at PHYS_OFFSET + PA",
                  page_size_name(size), (unsigned long long)va, (unsigned long long)pa);
        return;
    }
    if (flags != VM_KERNEL_RW)
        LEAF_FAIL(c, "the %s page at PA 0x%llx is %s, not VM_KERNEL_RW (%s)", page_size_name(size),
                  (unsigned long long)pa, flags_name(flags), flags_name(VM_KERNEL_RW));
    if (level > (has_1g ? 2u : 1u))
        LEAF_FAIL(c, "PA 0x%llx is mapped with a %s page, larger than the CPU has",
                  (unsigned long long)pa, page_size_name(size));
    if (!run_holding(c, pa, size)) {
        LEAF_FAIL(c, "the %s page at PA 0x%llx maps pages that hold no RAM", page_size_name(size),
                  (unsigned long long)pa);
        return;
    }
    /* The largest page: the next size up, aligned, would not fit in RAM. */
    u64 up = pt_level_size(level + 1);
    if (level < (has_1g ? 2u : 1u) && run_holding(c, ALIGN_DOWN(pa, up), up))
        LEAF_FAIL(c, "PA 0x%llx is mapped with a %s page, but the aligned %s around it is all RAM",
                  (unsigned long long)pa, page_size_name(size), page_size_name(up));
    c->bytes += size;
    c->pages[level]++;
}

/* s with its newlines shown as \n, in one of two buffers. */
static const char *one_line(const char *s, int which)
{
    static char bufs[2][600];
    char *out = bufs[which];
    size_t n = 0;

    for (; *s && n < sizeof(bufs[0]) - 3; s++)
        if (*s == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else {
            out[n++] = *s;
        }
    out[n] = '\0';
    return out;
}

/*
 * pmo_expand(map) maps every page of RAM at PHYS_OFFSET + PA, kernel
 * read/write, with the largest page each piece allows, and nothing else;
 * pmo_ram_start/end span it; its boot line says so.
 */
static void expect_pmo(const struct region *regions, size_t n, bool with_1g_pages)
{
    struct memmap m = map_of(regions, n);
    struct run runs[MEMMAP_MAX_REGIONS];
    struct leaf_check c = { .runs = runs, .nruns = ram_runs(&m, runs) };
    u64 ram = 0;

    setup(with_1g_pages);
    u64 tables_before = vm_table_pages(&kspace);
    jmp_buf jb;
    if (setjmp(jb) == 0) {
        host_panic_jump = &jb;
        pmo_expand(&kspace, &m);
        host_panic_jump = NULL;
    } else {
        host_panic_jump = NULL;
        host_fail(__FILE__, __LINE__, "pmo_expand panicked: %s", host_panic_message);
        return;
    }
    vm_for_each_leaf (&kspace, check_leaf, &c)
        ;
    for (size_t i = 0; i < c.nruns; i++)
        ram += runs[i].end - runs[i].start;
    CHECK_MSG(c.bytes == ram, "the PMO maps 0x%llx bytes, the RAM is 0x%llx bytes",
              (unsigned long long)c.bytes, (unsigned long long)ram);
    CHECK_EQ(pmo_ram_start(), runs[0].start);
    CHECK_EQ(pmo_ram_end(), runs[c.nruns - 1].end);

    char want[256];
    snprintf(want, sizeof(want),
             "pmo: %llu MiB of RAM at 0x%llx: %llu x 1 GiB, %llu x 2 MiB, %llu x 4 KiB pages; "
             "%llu table pages\n",
             (unsigned long long)(ram >> 20), (unsigned long long)(PHYS_OFFSET + runs[0].start),
             (unsigned long long)c.pages[2], (unsigned long long)c.pages[1],
             (unsigned long long)c.pages[0],
             (unsigned long long)(vm_table_pages(&kspace) - tables_before));
    CHECK_MSG(strcmp(printed, want) == 0, "pmo_expand printed \"%s\"; expected \"%s\"",
              one_line(printed, 0), one_line(want, 1));
}

#define GiB (1ULL << 30)
#define EXPECT_PMO(with_1g, ...)                             \
    do {                                                     \
        static const struct region r_[] = { __VA_ARGS__ };   \
        expect_pmo(r_, sizeof(r_) / sizeof(r_[0]), with_1g); \
    } while (0)

/* The handout's example: QEMU's x86_64 PC with 256 MiB, where GRUB and the
 * kernel split the RAM into regions of several types. */
static void a_pc_with_256_mib(void)
{
    for (int with_1g = 0; with_1g < 2; with_1g++) {
        EXPECT_PMO(with_1g, { 0x0, 0x9f000, MEM_USABLE }, { 0x9f000, 0xe4000, MEM_RESERVED },
                   { 0x183000, 0x7d000, MEM_USABLE }, { 0x200000, 0x200000, MEM_KERNEL },
                   { 0x400000, 0xf9f8000, MEM_USABLE }, { 0xfdf8000, 0x1e8000, MEM_EARLY_ALLOC },
                   { 0xffe0000, 0x20000, MEM_RESERVED });
        CHECK_STR(printed, "pmo: 254 MiB of RAM at 0xffff800000000000: 0 x 1 GiB, 126 x 2 MiB, "
                           "764 x 4 KiB pages; 3 table pages\n");
    }
}

/* AArch64's virt board: RAM from 1 GiB, in one piece or with the DTB and
 * the kernel as regions of their own. */
static void ram_from_1_gib(void)
{
    EXPECT_PMO(true, { 0x40000000, 0x10000000, MEM_USABLE });
    EXPECT_PMO(true, { 0x40000000, 0x100000, MEM_FIRMWARE_INFO },
               { 0x40100000, 0x100000, MEM_USABLE }, { 0x40200000, 0x400000, MEM_KERNEL },
               { 0x40600000, 4 * GiB - 0x600000, MEM_USABLE });
    EXPECT_PMO(false, { 0x40000000, 4 * GiB, MEM_USABLE });
}

/* 64 GiB on a PC: the PCI hole under 4 GiB, RAM above it; the first and
 * the last GiB partly RAM. */
static void a_pc_with_64_gib(void)
{
    for (int with_1g = 0; with_1g < 2; with_1g++)
        EXPECT_PMO(with_1g, { 0x0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0x60400, MEM_RESERVED },
                   { 0x100000, 0xbfee0000, MEM_USABLE }, { 0xbffe0000, 0x40020000, MEM_RESERVED },
                   { 4 * GiB, 61 * GiB - 0x1000, MEM_USABLE },
                   { 65 * GiB - 0x1000, 0x1000, MEM_ACPI_NVS });
}

/*
 * Where regions meet: RAM types side by side (one run), regions that end
 * and start inside one page (that page is RAM), holes of one page at the
 * start, between two runs and at the end, RAM not page-aligned at either
 * end, and bad RAM.
 */
static void holes_and_edges(void)
{
    EXPECT_PMO(true, { 0x1000, 0x1ff000, MEM_USABLE },
               { 0x200000, 0x3fc00800, MEM_ACPI_RECLAIMABLE }, { 0x3fe00800, 0x200, MEM_RESERVED },
               { 0x3fe00a00, 0x1ff600, MEM_ACPI_NVS }, { 0x40000000, GiB, MEM_MODULE },
               { 0x80000000, 0x1000, MEM_RESERVED }, { 0x80001000, GiB - 0x1000, MEM_USABLE },
               { 0xc0000000, 0x1000, MEM_BAD }, { 0xc0001000, 0x3ffff000, MEM_USABLE });
    EXPECT_PMO(false, { 0x0, 0x1000, MEM_RESERVED }, { 0x1000, 0x5ff000, MEM_USABLE },
               { 0x600000, 0x1000, MEM_RESERVED }, { 0x601000, 0x3ff000, MEM_USABLE },
               { 0xa00000, 0x3ff000, MEM_KERNEL });
    /* One page of RAM, not page-aligned at either end. */
    EXPECT_PMO(true, { 0x7000100, 0xe00, MEM_ACPI_RECLAIMABLE });
    /* RAM up to the end of the PMO, exactly. */
    EXPECT_PMO(true, { (64ULL << 40) - 2 * GiB - 0x201000, 2 * GiB + 0x201000, MEM_USABLE });
}

static void expect_pmo_panics(const struct region *regions, size_t n, const char *why)
{
    struct memmap m = map_of(regions, n);

    setup(true);
    EXPECT_PANIC(why, pmo_expand(&kspace, &m));
}

/* No RAM, RAM beyond the PMO and no memory for a table stop the boot, each
 * with a panic that says which. */
static void what_cannot_be_mapped_panics(void)
{
    static const struct region none[] = { { 0x0, 0x100000, MEM_RESERVED },
                                          { 0x100000, 0x100000, MEM_BAD } };
    static const struct region beyond[] = { { 0x0, GiB, MEM_USABLE },
                                            { (64ULL << 40) - GiB, 2 * GiB, MEM_USABLE } };
    static const struct region far_beyond[] = { { 0x0, GiB, MEM_USABLE },
                                                { 100ULL << 40, GiB, MEM_USABLE } };
    static const struct region some[] = { { 0x1000, 0x9e000, MEM_USABLE },
                                          { 0x100000, GiB, MEM_USABLE } };

    expect_pmo_panics(none, 2, "pmo_expand");
    expect_pmo_panics(beyond, 2, "pmo_expand");
    expect_pmo_panics(far_beyond, 2, "pmo_expand");
    for (long k = 0; k < 2; k++) {
        struct memmap m = map_of(some, 2);
        setup(true);
        maps_before_failing = k;
        EXPECT_PANIC("no memory for a page table", pmo_expand(&kspace, &m));
    }
}

/* virt_to_phys(va) is pa, without a panic. */
static void expect_virt_to_phys(uintptr_t va, paddr_t pa)
{
    jmp_buf jb;

    if (setjmp(jb) == 0) {
        host_panic_jump = &jb;
        paddr_t got = virt_to_phys((void *)va);
        host_panic_jump = NULL;
        CHECK_MSG(got == pa, "virt_to_phys(0x%llx) = 0x%llx, expected 0x%llx",
                  (unsigned long long)va, (unsigned long long)got, (unsigned long long)pa);
    } else {
        host_panic_jump = NULL;
        host_fail(__FILE__, __LINE__, "virt_to_phys(0x%llx) panicked: %s", (unsigned long long)va,
                  host_panic_message);
    }
}

/* virt_to_phys: a PMO address is PA + PHYS_OFFSET, over the whole PMO; an
 * address of the kernel image is where the image was loaded. */
static void virt_to_phys_of_pmo_addresses(void)
{
    expect_virt_to_phys(PHYS_OFFSET, 0);
    expect_virt_to_phys(PHYS_OFFSET + 0x40001234, 0x40001234);
    expect_virt_to_phys(PMO_END - 1, PMO_END - 1 - PHYS_OFFSET);
    expect_virt_to_phys((uintptr_t)__kernel_start + 123,
                        (uintptr_t)__kernel_start + 123 - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE);
}

/* Anything neither in the PMO nor in the kernel image panics, naming the
 * address. */
static void expect_virt_to_phys_panics(uintptr_t va)
{
    char hex[32];

    snprintf(hex, sizeof(hex), "%llx", (unsigned long long)va);
    EXPECT_PANIC("virt_to_phys", virt_to_phys((void *)va));
    CHECK_MSG(strstr(host_panic_message, hex), "the panic does not name 0x%s: \"%s\"", hex,
              host_panic_message);
}

static void virt_to_phys_of_anything_else_panics(void)
{
    static const uintptr_t outside[] = {
        0x1000,  USER_BASE,        0x00007ffffffff000, PHYS_OFFSET - PAGE_SIZE,
        PMO_END, KTEST_SCRATCH_VA, KERNEL_VIRT_BASE,   0xfffffffffffff000,
    };

    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        expect_virt_to_phys_panics(outside[i]);
    EXPECT_PANIC("virt_to_phys", virt_to_phys(NULL));
}

HOST_TESTS(a_pc_with_256_mib, ram_from_1_gib, a_pc_with_64_gib, holes_and_edges,
           what_cannot_be_mapped_panics, virt_to_phys_of_pmo_addresses,
           virt_to_phys_of_anything_else_panics)
