/*
 * The memory dump (mm/memdump.h, the format in docs/memdump.md). Each
 * record is one line of JSON with a "t" naming its kind; 64-bit values
 * are strings of hex digits, which JavaScript's numbers cannot hold
 * exactly. The end marker counts the records, so a log cut short or a
 * line lost is caught by the reader, not drawn.
 *
 *   === duet memdump 2 begin ===
 *   {"t":"machine","arch":"x86_64",...}
 *   ...
 *   === duet memdump 2 end: 1234 records ===
 *
 * Reading only: nothing the dump walks is changed (the buddy allocator's
 * cache is not drained, as buddyinfo's counts would drain it).
 */
#include <duet/arch.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/kmap.h>
#include <mm/memdump.h>
#include <mm/memmap.h>
#include <mm/physmem.h>
#include <mm/pmo.h>

static unsigned long records;

static void end_record(void)
{
    printf("}\n");
    records++;
}

static const char *const page_names[] = { "4K", "2M", "1G" };

static void dump_machine(void)
{
    char cpu[96];

    arch_cpu_describe(cpu, sizeof(cpu));
    printf("{\"t\":\"machine\",\"arch\":\"%s\",\"cpu\":\"", arch_name());
    /* The CPU's name is the firmware's text: keep only what needs no escape. */
    for (const char *c = cpu; *c; c++)
        printf("%c", *c >= ' ' && *c <= '~' && *c != '"' && *c != '\\' ? *c : '?');
    printf("\",\"page_size\":%lu,\"levels\":%d,\"va_bits\":48,\"phys_offset\":\"0x%lx\","
           "\"has_1g_pages\":%s,\"wxn\":%s",
           (unsigned long)PAGE_SIZE, PT_LEVELS, (unsigned long)PHYS_OFFSET,
           arch_mmu_has_1g_pages() ? "true" : "false", arch_mmu_has_wxn() ? "true" : "false");
    end_record();
}

/* Sizes, not ends: the kernel image's window ends at 2^64. */
static void dump_area(const char *name, u64 start, u64 size)
{
    printf("{\"t\":\"area\",\"name\":\"%s\",\"start\":\"0x%llx\",\"size\":\"0x%llx\"", name,
           (unsigned long long)start, (unsigned long long)size);
    end_record();
}

static void dump_layout(void)
{
    dump_area("null guard", 0, NULL_GUARD_END);
    dump_area("user", USER_BASE, USER_END - USER_BASE);
    dump_area("pmo", PHYS_OFFSET, PMO_END - PHYS_OFFSET);
    dump_area("mmio", MMIO_BASE, KERNEL_VIRT_BASE - MMIO_BASE);
    dump_area("kernel image", KERNEL_VIRT_BASE, -KERNEL_VIRT_BASE);
}

static void dump_map(const char *which, const struct memmap *m)
{
    for (size_t i = 0; m && i < m->count; i++) {
        const struct mem_region *r = &m->regions[i];
        printf("{\"t\":\"region\",\"map\":\"%s\",\"base\":\"0x%llx\",\"size\":\"0x%llx\","
               "\"type\":\"%s\"",
               which, (unsigned long long)r->base, (unsigned long long)r->size,
               mem_type_name(r->type));
        end_record();
    }
}

/* --- the PMO's runs ------------------------------------------------------------------------ */

/* A run of the PMO: leaves in [PHYS_OFFSET, PMO_END) that continue each
 * other virtually and physically, whatever their page sizes. pmo_expand
 * maps each run of RAM it joins in one go and leaves a page's gap between
 * runs, so these are its runs, as the tables hold them. */
struct pmo_run {
    vaddr_t va, end;
    paddr_t pa;
    u64 pages[PT_LEVELS];
};

static void print_pmo_run(const struct pmo_run *r)
{
    if (r->end == r->va)
        return;
    printf("{\"t\":\"pmo\",\"va\":\"0x%llx\",\"pa\":\"0x%llx\",\"size\":\"0x%llx\","
           "\"pages_4k\":%llu,\"pages_2m\":%llu,\"pages_1g\":%llu",
           (unsigned long long)r->va, (unsigned long long)r->pa,
           (unsigned long long)(r->end - r->va), (unsigned long long)r->pages[0],
           (unsigned long long)r->pages[1], (unsigned long long)r->pages[2]);
    end_record();
}

static void add_pmo_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct pmo_run *r = arg;

    if (va < PHYS_OFFSET || va >= PMO_END)
        return;
    if (r->end != va || r->pa + (r->end - r->va) != pa) {
        print_pmo_run(r);
        *r = (struct pmo_run){ .va = va, .end = va, .pa = pa };
    }
    r->end += pt_level_size(level);
    r->pages[level]++;
}

static void dump_pmo(struct vm_space *kernel)
{
    struct pmo_run r = { 0 };

    vm_for_each_leaf (kernel, add_pmo_leaf, &r)
        ;
    print_pmo_run(&r);
}

/* --- page tables ------------------------------------------------------------------------- */

struct table_walk {
    const char *space;
};

static void dump_table(paddr_t pa, unsigned level, vaddr_t base, const pte_t *table, unsigned n,
                       void *arg)
{
    const struct table_walk *w = arg;
    const char *sep = "";

    printf("{\"t\":\"table\",\"space\":\"%s\",\"pa\":\"0x%llx\",\"level\":%u,\"base\":\"0x%llx\","
           "\"entries\":[",
           w->space, (unsigned long long)pa, level, (unsigned long long)base);
    for (unsigned i = 0; i < n; i++)
        if (pte_is_valid(table[i])) {
            printf("%s[%u,\"0x%llx\"]", sep, i, (unsigned long long)table[i]);
            sep = ",";
        }
    printf("]");
    end_record();
}

/* A run of leaves that continue each other in both address spaces with
 * the same page size and attributes. */
struct run {
    const char *space;
    vaddr_t va, end;
    paddr_t pa;
    unsigned level, flags;
    bool open;
};

static void print_run(const struct run *r)
{
    unsigned f = r->flags;

    printf("{\"t\":\"mapping\",\"space\":\"%s\",\"va\":\"0x%llx\",\"size\":\"0x%llx\","
           "\"pa\":\"0x%llx\",\"page\":\"%s\",\"perms\":\"%c%c%c\",\"user\":%s,\"global\":%s,"
           "\"memory\":\"%s\"",
           r->space, (unsigned long long)r->va, (unsigned long long)(r->end - r->va),
           (unsigned long long)r->pa, page_names[r->level], (f & VM_READ) ? 'r' : '-',
           (f & VM_WRITE) ? 'w' : '-', (f & VM_EXEC) ? 'x' : '-', (f & VM_USER) ? "true" : "false",
           (f & VM_GLOBAL) ? "true" : "false", (f & VM_DEVICE) ? "device" : "normal");
    end_record();
}

static void add_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct run *r = arg;

    if (r->open && r->end == va && r->pa + (r->end - r->va) == pa && r->level == level &&
        r->flags == flags) {
        r->end += pt_level_size(level);
        return;
    }
    if (r->open)
        print_run(r);
    *r = (struct run){ r->space, va, va + pt_level_size(level), pa, level, flags, true };
}

static void dump_space(const char *name, struct vm_space *s)
{
    struct table_walk w = { name };
    struct run r = { .space = name };

    printf("{\"t\":\"space\",\"name\":\"%s\",\"root\":\"0x%llx\",\"user\":%s,\"table_pages\":%llu",
           name, (unsigned long long)s->root, s->user ? "true" : "false",
           (unsigned long long)vm_table_pages(s) + 1);
    end_record();
    vm_for_each_leaf (s, add_leaf, &r)
        ;
    if (r.open)
        print_run(&r);
    vm_for_each_table(s, dump_table, &w);
}

/* --- the allocators ---------------------------------------------------------------------- */

/* Free blocks, a line for each run of up to 64 of one order and kind. */
struct block_line {
    unsigned order, n;
    enum buddy_block_kind kind;
};

static const char *const kind_names[] = { "listed", "cached", "lazy", "allocated" };

static void close_blocks(struct block_line *l)
{
    if (l->n) {
        printf("]");
        end_record();
    }
    l->n = 0;
}

static void add_block(paddr_t pa, unsigned order, enum buddy_block_kind kind, void *arg)
{
    struct block_line *l = arg;

    if (l->n && (l->order != order || l->kind != kind || l->n == 64))
        close_blocks(l);
    if (l->n == 0)
        printf("{\"t\":\"free\",\"order\":%u,\"kind\":\"%s\",\"blocks\":[", order,
               kind_names[kind]);
    printf("%s\"0x%llx\"", l->n ? "," : "", (unsigned long long)pa);
    l->order = order;
    l->kind = kind;
    l->n++;
}

static void dump_slab(paddr_t pa, unsigned order, unsigned object_size, unsigned capacity,
                      unsigned free, void *arg)
{
    printf("{\"t\":\"slab\",\"pa\":\"0x%llx\",\"order\":%u,\"object_size\":%u,\"capacity\":%u,"
           "\"free\":%u",
           (unsigned long long)pa, order, object_size, capacity, free);
    end_record();
}

static void dump_allocators(void)
{
    struct block_line l = { 0 };
    paddr_t lo, hi;

    u64 states[4];

    buddy_span(&lo, &hi);
    buddy_state_counts(states);
    printf("{\"t\":\"buddy\",\"span_lo\":\"0x%llx\",\"span_hi\":\"0x%llx\",\"max_order\":%d,"
           "\"managed_pages\":%llu,\"free_pages\":%llu,\"bitmap_bytes\":%llu,"
           "\"bitmap\":{\"tail\":%llu,\"allocated_head\":%llu,\"free_head\":%llu,"
           "\"unmanaged\":%llu}",
           (unsigned long long)lo, (unsigned long long)hi, BUDDY_MAX_ORDER,
           (unsigned long long)buddy_managed_pages(), (unsigned long long)buddy_free_pages_count(),
           (unsigned long long)buddy_metadata_bytes(), (unsigned long long)states[0],
           (unsigned long long)states[1], (unsigned long long)states[2],
           (unsigned long long)states[3]);
    end_record();
    buddy_for_each_free(add_block, &l);
    close_blocks(&l);
    kmalloc_for_each_slab(dump_slab, NULL);
}

void memdump(const struct memdump_space *user, unsigned n)
{
    records = 0;
    printf("=== duet memdump %d begin ===\n", MEMDUMP_VERSION);
    dump_machine();
    dump_layout();
    dump_map("firmware", physmem_firmware_map());
    dump_map("kernel", &kernel_memmap);
    /* A lab-3 handout without a walker stays on boot.S's tables: those. */
    struct vm_space boot_tables = { .root = arch_mmu_kernel_root(), .user = false };
    struct vm_space *kernel = kernel_space.root != PADDR_NONE ? &kernel_space : &boot_tables;
    dump_pmo(kernel);
    dump_space("kernel", kernel);
    for (unsigned i = 0; i < n; i++)
        dump_space(user[i].name, user[i].vm);
    dump_allocators();
    printf("=== duet memdump %d end: %lu records ===\n", MEMDUMP_VERSION, records);
}
