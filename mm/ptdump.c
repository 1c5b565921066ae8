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
#include <duet/printk.h>
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
    vm_for_each_leaf(s, ptdump_leaf, &r);
    if (r.open)
        print_run(&r);
}

struct wx_count {
    u64 pages;
    bool verbose;
};

static void count_wx(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    struct wx_count *c = arg;

    if ((flags & VM_WRITE) && (flags & VM_EXEC)) {
        if (c->verbose)
            printf("wx: 0x%016llx (%s page) is writable and executable\n",
                   (unsigned long long)va, level == 0 ? "4 KiB" : level == 1 ? "2 MiB" : "1 GiB");
        c->pages += pt_level_size(level) / PAGE_SIZE;
    }
}

u64 wx_audit(struct vm_space *s, bool verbose)
{
    struct wx_count c = { 0, verbose };

    vm_for_each_leaf(s, count_wx, &c);
    return c.pages;
}

static int cmd_ptdump(int argc, char **argv)
{
    ptdump(&kernel_space);
    return 0;
}
MONITOR_COMMAND(ptdump, "print every kernel mapping as merged ranges", cmd_ptdump);
