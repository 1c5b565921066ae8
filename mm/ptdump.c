/*
 * Looking at page tables: `ptdump` prints every mapping of the kernel as
 * merged ranges, in the layout of Linux's /sys/kernel/debug/page_tables;
 * the W^X audit (Linux's CONFIG_DEBUG_WX) counts pages that are writable
 * and executable at once, which must be none.
 *
 *   0xffff800000000000-0xffff800040000000     1G  1G  RW NX GLB normal
 *   start              end (exclusive)      size page perms   type
 */
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/kmap.h>
#include <mm/ptdump.h>

/* A run of leaves that continue each other with the same attributes. */
struct run {
    vaddr_t start, end;
    unsigned level, flags;
    bool open;
};

static void format_size(char *buf, size_t n, u64 bytes)
{
    static const char units[] = "KMGT";
    unsigned u = 0;

    bytes >>= 10;
    while (bytes >= 1024 && !(bytes & 1023) && u + 1 < sizeof(units) - 1) {
        bytes >>= 10;
        u++;
    }
    snprintf(buf, n, "%llu%c", (unsigned long long)bytes, units[u]);
}

static void print_run(const struct run *r)
{
    static const char *const page[] = { "4K", "2M", "1G" };
    char size[16];
    unsigned f = r->flags;

    format_size(size, sizeof(size), r->end - r->start);
    printf("0x%016llx-0x%016llx %7s %s %s %s %s %s %s\n", (unsigned long long)r->start,
           (unsigned long long)r->end, size, page[r->level], (f & VM_USER) ? "USR" : "   ",
           (f & VM_WRITE) ? "RW" : "ro", (f & VM_EXEC) ? "x " : "NX",
           (f & VM_GLOBAL) ? "GLB" : "   ", (f & VM_DEVICE) ? "device" : "normal");
}

static void ptdump_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct run *r = arg;

    if (r->open && r->end == va && r->level == level && r->flags == flags) {
        r->end += pt_level_size(level);
        return;
    }
    if (r->open)
        print_run(r);
    *r = (struct run){ va, va + pt_level_size(level), level, flags, true };
}

void ptdump(struct vm_space *s)
{
    struct run r = { 0 };

    printf("%-18s %-18s %8s %s\n", "start", "end", "size", "page user perms global type");
    vm_for_each_leaf (s, ptdump_leaf, &r)
        ;
    if (r.open)
        print_run(&r);
}

struct wx_count {
    u64 pages;
    bool verbose;
};

/* vm_for_each_leaf's callback for wx_audit: one leaf of the space. */
static __unused void count_wx(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    /* LAB 4 BEGIN: count_wx */
    struct wx_count *c = arg;

    if ((flags & VM_WRITE) && (flags & VM_EXEC)) {
        if (c->verbose)
            printf("wx: 0x%016llx (%s page) is writable and executable\n", (unsigned long long)va,
                   level == 0   ? "4 KiB"
                   : level == 1 ? "2 MiB"
                                : "1 GiB");
        c->pages += pt_level_size(level) / PAGE_SIZE;
    }
    /* LAB 4 END */
}

u64 wx_audit(struct vm_space *s, bool verbose)
{
    /* LAB 4 BEGIN: wx_audit */
    /* LAB 4 STUB: printf("wx: lab 4 not implemented (wx_audit): nothing audited\n"); */
    /* LAB 4 STUB: return 0; */
    struct wx_count c = { 0, verbose };

    vm_for_each_leaf (s, count_wx, &c)
        ;
    return c.pages;
    /* LAB 4 END */
}

static int cmd_ptdump(int argc, char **argv)
{
    ptdump(&kernel_space);
    return 0;
}
MONITOR_COMMAND(ptdump, "print every kernel mapping as merged ranges", cmd_ptdump);

/* `translate VA`: the walk step by step, each entry decoded. */
static int cmd_translate(int argc, char **argv)
{
    static const char *const level_name[PT_LEVELS] = { "L0 (4K)", "L1 (2M)", "L2 (1G)",
                                                       "L3 (root)" };
    pte_t entries[PT_LEVELS];
    u64 va;

    if (argc != 2 || !parse_u64(argv[1], &va, false)) {
        printf("usage: translate <virtual address>, e.g. translate 0xffff800000001000\n");
        return -1;
    }
    unsigned n = vm_walk(&kernel_space, va, entries);
    for (unsigned i = 0; i < n; i++) {
        unsigned level = PT_ROOT_LEVEL - i;
        pte_t e = entries[i];
        printf("  %-9s index %3u  entry 0x%016llx  ", level_name[level], pt_index(va, level),
               (unsigned long long)e);
        if (!pte_is_valid(e)) {
            printf("not present: 0x%llx is not mapped\n", (unsigned long long)va);
            return 1;
        }
        if (pte_is_table(e, level)) {
            printf("table at PA 0x%llx\n", (unsigned long long)pte_address(e));
            continue;
        }
        unsigned f = pte_leaf_flags(e, level);
        u64 size = pt_level_size(level);
        printf("%s page at PA 0x%llx: %s%s%s%s%s\n",
               level == 0   ? "4 KiB"
               : level == 1 ? "2 MiB"
                            : "1 GiB",
               (unsigned long long)pte_address(e), (f & VM_WRITE) ? "rw" : "ro",
               (f & VM_EXEC) ? " exec" : " nx", (f & VM_USER) ? " user" : " kernel",
               (f & VM_GLOBAL) ? " global" : "", (f & VM_DEVICE) ? " device" : "");
        printf("  0x%llx -> PA 0x%llx\n", (unsigned long long)va,
               (unsigned long long)(pte_address(e) + (va & (size - 1))));
    }
    return 0;
}
MONITOR_COMMAND(translate, "walk the kernel's page tables for one address", cmd_translate);
