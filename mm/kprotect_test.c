/*
 * Kernel protection, proved by faults (suite `kprotect`): each case makes
 * the accesses the kernel's page tables must refuse, through
 * fault_expect(), and checks that the fault came, at that address, for
 * that kind of access; and the accesses they must allow, at the edges of
 * every segment. The fault report is printed as for any fault; the test
 * goes on. The W^X audit is checked on scratch address spaces the cases
 * build themselves, so its count is known exactly.
 *
 * The accesses write back what they read, so a kernel whose protection is
 * broken fails the test without corrupting itself.
 *
 * One part runs at boot: kprotect_remove_identity_map(), called by kmain
 * in place of arch_remove_identity_map() when this suite is to run, reads
 * the identity map, removes it and reads it again. Only then is a stale
 * translation visible: kmap_init's switch of roots flushes the TLB later.
 */
#include <duet/bootinfo.h>
#include <duet/cmdline.h>
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
#include <mm/kprotect_test.h>
#include <mm/pmo.h>
#include <mm/ptdump.h>
#include <mm/vm.h>

/* Hide where a pointer came from, so the compiler emits the access as written. */
#define OPAQUE(p)               \
    ({                          \
        __typeof__(p) _p = (p); \
        __asm__("" : "+r"(_p)); \
        _p;                     \
    })

static const u64 rodata_word = 0x0123456789abcdefULL;
/* Return instructions: a kernel that wrongly lets a segment execute comes
 * straight back, and the test fails cleanly instead of running junk. */
static const u32 rodata_insns[2] = { ARCH_RETURN_INSN, ARCH_RETURN_INSN };
/* Not zero, so it lands in .data rather than .bss. */
static u32 data_words[4] = { ARCH_RETURN_INSN, 2, 3, 4 };
/* Zero, so it lands in .bss; the case writes the instruction. */
static u32 bss_words[4];

static void rewrite_byte(void *arg)
{
    volatile u8 *p = OPAQUE((volatile u8 *)arg);

    /* cppcheck-suppress selfAssignment ; the write is the point: it must fault */
    *p = *p;
}

static void read_byte(void *arg)
{
    volatile u8 *p = OPAQUE((volatile u8 *)arg);

    (void)*p;
}

static void read_word(void *arg)
{
    volatile u64 *p = OPAQUE((volatile u64 *)arg);

    (void)*p;
}

static void call_address(void *arg)
{
    void (*fn)(void) = OPAQUE((void (*)(void))arg);

    fn();
}

static const char *access_of(void (*fn)(void *))
{
    if (fn == rewrite_byte)
        return "write";
    if (fn == call_address)
        return "execute";
    return "read";
}

static const char *fault_kind(bool protection)
{
    return protection ? "a protection fault (mapped, but the access is refused)"
                      : "a not-mapped fault";
}

/* Run `access` on addr (`what`, for the message) and check the fault it must raise. */
#define EXPECT_FAULT(t, what, access, addr, kind, protection) \
    expect_fault(t, __LINE__, what, access, (uintptr_t)(addr), kind, protection)

static void expect_fault(struct ktest *t, int line, const char *what, void (*access)(void *),
                         uintptr_t addr, enum fault_access kind, bool protection)
{
    struct fault_info info;

    if (!fault_expect(access, (void *)addr, &info)) {
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx) did not fault: expected %s",
                   access_of(access), what, (unsigned long)addr, fault_kind(protection));
        return;
    }
    if (!info.memory) {
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx) raised %s, not a page fault",
                   access_of(access), what, (unsigned long)addr, info.what);
        return;
    }
    if (info.addr != addr)
        ktest_fail(t, __FILE__, line, "%s of %s faulted at 0x%lx, not at 0x%lx", access_of(access),
                   what, (unsigned long)info.addr, (unsigned long)addr);
    if (info.access != kind)
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx) faulted as a %s", access_of(access), what,
                   (unsigned long)addr, fault_access_name(info.access));
    if (info.protection != protection)
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx) raised %s, expected %s", access_of(access),
                   what, (unsigned long)addr, fault_kind(info.protection), fault_kind(protection));
    if (info.user)
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx): the fault says user mode, not kernel",
                   access_of(access), what, (unsigned long)addr);
}

/* Run `access` on addr: it must not fault. */
#define EXPECT_NO_FAULT(t, what, access, addr) \
    expect_no_fault(t, __LINE__, what, access, (uintptr_t)(addr))

static void expect_no_fault(struct ktest *t, int line, const char *what, void (*access)(void *),
                            uintptr_t addr)
{
    struct fault_info info;

    if (fault_expect(access, (void *)addr, &info))
        ktest_fail(t, __FILE__, line, "%s of %s (0x%lx) raised %s: it must work", access_of(access),
                   what, (unsigned long)addr, fault_kind(info.protection));
}

static bool inside(const void *p, const char *start, const char *end)
{
    return (const char *)p >= start && (const char *)p < end;
}

/* The last byte of a segment that ends at `end` (page-aligned or not). */
static uintptr_t last_byte(const char *end)
{
    return (uintptr_t)end - 1;
}

/* --- what a failed case may leave behind, undone after every case ------------------ */

#define SCRATCH_PAGES  4
#define SCRATCH_SPACES 2

static struct {
    paddr_t page[SCRATCH_PAGES];
    unsigned pages;
    struct vm_space space[SCRATCH_SPACES];
    unsigned spaces;
    u64 kernel_mapped; /* bytes mapped at KTEST_SCRATCH_VA in kernel_space */
    bool user_root_switched;
} scratch;

static paddr_t scratch_page(void)
{
    paddr_t pa = scratch.pages < SCRATCH_PAGES ? buddy_alloc_pages_zeroed(0) : PADDR_NONE;

    if (pa != PADDR_NONE)
        scratch.page[scratch.pages++] = pa;
    return pa;
}

/* An address space of its own, never switched to: what it maps is only
 * read by wx_audit, so its mappings may be anything. */
static struct vm_space *scratch_space(bool user)
{
    paddr_t root = scratch.spaces < SCRATCH_SPACES ? buddy_alloc_pages_zeroed(0) : PADDR_NONE;

    if (root == PADDR_NONE)
        return NULL;
    scratch.space[scratch.spaces] = (struct vm_space){ .root = root, .user = user };
    return &scratch.space[scratch.spaces++];
}

static void free_tables(pte_t *table, unsigned level, unsigned entries)
{
    for (unsigned i = 0; i < entries; i++) {
        if (level == 0 || !pte_is_table(table[i], level))
            continue;
        free_tables(phys_to_virt(pte_address(table[i])), level - 1, PT_ENTRIES);
        pt_free_page(pte_address(table[i]));
    }
}

static void kprotect_exit(void)
{
    if (scratch.user_root_switched)
        arch_mmu_switch_user(PADDR_NONE);
    if (scratch.kernel_mapped)
        vm_unmap(&kernel_space, KTEST_SCRATCH_VA, scratch.kernel_mapped);
    for (unsigned i = 0; i < scratch.spaces; i++) {
        struct vm_space *s = &scratch.space[i];
        free_tables(phys_to_virt(s->root), PT_ROOT_LEVEL, s->user ? PT_ENTRIES / 2 : PT_ENTRIES);
        buddy_free_pages(s->root, 0);
    }
    for (unsigned i = 0; i < scratch.pages; i++)
        buddy_free_pages(scratch.page[i], 0);
    memset(&scratch, 0, sizeof(scratch));
}

/* --- the image's segments ------------------------------------------------------------ */

static void writing_text_faults(struct ktest *t)
{
    EXPECT_FAULT(t, "the test's own code", rewrite_byte, rewrite_byte, FAULT_WRITE, true);
    EXPECT_FAULT(t, ".text's first byte", rewrite_byte, __text_start, FAULT_WRITE, true);
    EXPECT_FAULT(t, ".text's last byte", rewrite_byte, last_byte(__text_end), FAULT_WRITE, true);
}

static void writing_rodata_faults(struct ktest *t)
{
    KASSERT_TRUE(t, inside(&rodata_word, __rodata_start, __rodata_end));
    EXPECT_FAULT(t, "a const in .rodata", rewrite_byte, &rodata_word, FAULT_WRITE, true);
    EXPECT_FAULT(t, ".rodata's first byte", rewrite_byte, __rodata_start, FAULT_WRITE, true);
    EXPECT_FAULT(t, ".rodata's last byte", rewrite_byte, last_byte(__rodata_end), FAULT_WRITE,
                 true);
}

static void executing_rodata_faults(struct ktest *t)
{
    KASSERT_TRUE(t, inside(rodata_insns, __rodata_start, __rodata_end));
    EXPECT_FAULT(t, "a return instruction in .rodata", call_address, rodata_insns, FAULT_EXEC,
                 true);
}

static void executing_data_faults(struct ktest *t)
{
    KASSERT_TRUE(t, inside(data_words, __data_start, __data_end));
    EXPECT_FAULT(t, "a return instruction in .data", call_address, data_words, FAULT_EXEC, true);
}

static void executing_bss_faults(struct ktest *t)
{
    KASSERT_TRUE(t, inside(bss_words, __bss_start, __boot_tables_start));
    WRITE_ONCE(bss_words[0], ARCH_RETURN_INSN);
    EXPECT_FAULT(t, "a return instruction in .bss", call_address, bss_words, FAULT_EXEC, true);
}

static void executing_the_boot_stack_faults(struct ktest *t)
{
    u32 insns[2];

    WRITE_ONCE(insns[0], ARCH_RETURN_INSN);
    WRITE_ONCE(insns[1], ARCH_RETURN_INSN);
    /* The suites run on the boot stack, from kmain. */
    KASSERT_TRUE(t, inside(insns, __boot_stack_bottom, __boot_stack_top));
    EXPECT_FAULT(t, "a return instruction on the boot stack", call_address, insns, FAULT_EXEC,
                 true);
}

/* The other side of each segment's rights: every page up to its last works. */
static void every_segment_works_to_its_edges(struct ktest *t)
{
    EXPECT_NO_FAULT(t, "the boot stack's first byte", rewrite_byte, __boot_stack_bottom);
    EXPECT_NO_FAULT(t, ".text's first byte", read_byte, __text_start);
    EXPECT_NO_FAULT(t, ".text's last byte", read_byte, last_byte(__text_end));
    EXPECT_NO_FAULT(t, ".rodata's last byte", read_byte, last_byte(__rodata_end));
    EXPECT_NO_FAULT(t, ".data's first byte", rewrite_byte, __data_start);
    EXPECT_NO_FAULT(t, ".bss's last byte", rewrite_byte, last_byte(__boot_tables_start));
}

static void reading_past_the_end_of_bss_faults(struct ktest *t)
{
    /* boot.S's tables, then the rest of the 2 MiB page boot.S mapped the image's end with. */
    uintptr_t boot_map_end = ALIGN_UP((uintptr_t)__kernel_end, (uintptr_t)(2 * MiB));

    EXPECT_FAULT(t, "boot.S's tables after .bss", read_word, __boot_tables_start, FAULT_READ,
                 false);
    EXPECT_FAULT(t, "boot.S's last table page", read_word, (uintptr_t)__kernel_end - PAGE_SIZE,
                 FAULT_READ, false);
    if (boot_map_end > (uintptr_t)__kernel_end)
        EXPECT_FAULT(t, "the end of boot.S's last 2 MiB page of the image", read_word,
                     boot_map_end - 8, FAULT_READ, false);
}

/* What every page of the image window must be: each segment with its
 * rights (and VM_GLOBAL), at its own physical address; nothing else. */
struct segment {
    const char *name;
    uintptr_t start, end;
    unsigned flags;
    u64 pages_seen;
};

struct image_check {
    struct ktest *t;
    struct segment *seg;
    unsigned nseg;
    unsigned complaints;
};

#define IMAGE_COMPLAINTS_MAX 8

static void flags_text(char *buf, size_t n, unsigned f)
{
    snprintf(buf, n, "%s %s%s%s", (f & VM_WRITE) ? "RW" : "ro", (f & VM_EXEC) ? "X" : "NX",
             (f & VM_GLOBAL) ? " global" : " not global", (f & VM_USER) ? " user" : "");
}

static const char *outside_segments(uintptr_t va)
{
    if (va < (uintptr_t)__boot_stack_bottom)
        return "below the boot stack (its guard)";
    if (va >= (uintptr_t)__boot_tables_start && va < (uintptr_t)__kernel_end)
        return "past .bss (boot.S's tables, which the buddy allocator hands out)";
    if (va >= (uintptr_t)__kernel_end)
        return "past the image's end";
    return "between the image's segments";
}

static void complain(struct image_check *c, const char *fmt, ...) __printf(2, 3);

static void complain(struct image_check *c, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    if (c->complaints++ >= IMAGE_COMPLAINTS_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ktest_fail(c->t, __FILE__, __LINE__, "%s", msg);
}

static void check_image_page(struct image_check *c, uintptr_t va, paddr_t pa, unsigned flags)
{
    char have[40], want[40];

    flags_text(have, sizeof(have), flags);
    for (unsigned i = 0; i < c->nseg; i++) {
        struct segment *s = &c->seg[i];

        if (va < s->start || va >= s->end)
            continue;
        s->pages_seen++;
        flags_text(want, sizeof(want), s->flags);
        if (flags != s->flags)
            complain(c, "0x%lx (%s) is mapped %s, expected %s", (unsigned long)va, s->name, have,
                     want);
        if (pa != va - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE)
            complain(c, "0x%lx (%s) maps PA 0x%llx, not its own PA 0x%llx", (unsigned long)va,
                     s->name, (unsigned long long)pa,
                     (unsigned long long)(va - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE));
        return;
    }
    complain(c, "0x%lx is mapped (%s) but is %s: it must not be mapped", (unsigned long)va, have,
             outside_segments(va));
}

static void check_image_leaf(vaddr_t va, paddr_t pa, unsigned level, unsigned flags, void *arg)
{
    if (va < KERNEL_VIRT_BASE)
        return;
    for (u64 off = 0; off < pt_level_size(level); off += PAGE_SIZE)
        check_image_page(arg, va + off, pa + off, flags);
}

static void the_image_is_mapped_segment_by_segment(struct ktest *t)
{
    struct segment seg[] = {
        { "the boot stack", (uintptr_t)__boot_stack_bottom, (uintptr_t)__boot_stack_top,
          VM_READ | VM_WRITE | VM_GLOBAL, 0 },
        { ".text", (uintptr_t)__text_start, ALIGN_UP((uintptr_t)__text_end, PAGE_SIZE),
          VM_READ | VM_EXEC | VM_GLOBAL, 0 },
        { ".rodata", (uintptr_t)__rodata_start, ALIGN_UP((uintptr_t)__rodata_end, PAGE_SIZE),
          VM_READ | VM_GLOBAL, 0 },
        { ".data and .bss", (uintptr_t)__data_start, (uintptr_t)__boot_tables_start,
          VM_READ | VM_WRITE | VM_GLOBAL, 0 },
    };
    struct image_check c = { t, seg, ARRAY_SIZE(seg), 0 };

    vm_for_each_leaf (&kernel_space, check_image_leaf, &c)
        ;
    if (c.complaints > IMAGE_COMPLAINTS_MAX)
        ktest_fail(t, __FILE__, __LINE__, "... and %u more pages like these",
                   c.complaints - IMAGE_COMPLAINTS_MAX);
    for (unsigned i = 0; i < ARRAY_SIZE(seg); i++) {
        u64 pages = (seg[i].end - seg[i].start) / PAGE_SIZE;
        if (seg[i].pages_seen != pages)
            ktest_fail(t, __FILE__, __LINE__, "%s [0x%lx, 0x%lx): %llu of its %llu pages mapped",
                       seg[i].name, (unsigned long)seg[i].start, (unsigned long)seg[i].end,
                       (unsigned long long)seg[i].pages_seen, (unsigned long long)pages);
    }
}

/* --- other mappings: the PMO, the NULL guard, the boot stack's guard -------------- */

static void executing_the_pmo_faults(struct ktest *t)
{
    paddr_t pa = scratch_page();

    KASSERT_NE(t, pa, PADDR_NONE);
    *(u32 *)phys_to_virt(pa) = ARCH_RETURN_INSN; /* as in data_words */
    EXPECT_FAULT(t, "a fresh page through the PMO", call_address, phys_to_virt(pa), FAULT_EXEC,
                 true);
}

static void executing_the_kernel_alias_in_the_pmo_faults(struct ktest *t)
{
    /* The PMO maps the kernel image a second time: never executable there. */
    uintptr_t alias = (uintptr_t)phys_to_virt(virt_to_phys(rewrite_byte));

    EXPECT_FAULT(t, "the PMO's alias of .text", call_address, alias, FAULT_EXEC, true);
}

static void reading_null_faults(struct ktest *t)
{
    EXPECT_FAULT(t, "address 8", read_word, 8, FAULT_READ, false);
}

static void reading_the_top_of_the_null_guard_faults(struct ktest *t)
{
    EXPECT_FAULT(t, "the top of the NULL guard", read_word, NULL_GUARD_END - 8, FAULT_READ, false);
}

static void reading_the_old_identity_map_faults(struct ktest *t)
{
    /* boot.S identity-mapped the kernel's physical address; that is gone. */
    EXPECT_FAULT(t, "the image's PA as an address", read_word, KERNEL_IMAGE_PHYS, FAULT_READ,
                 false);
}

static void reading_past_the_end_of_ram_in_the_pmo_faults(struct ktest *t)
{
    /* The PMO maps RAM only: the first page above the highest RAM is a hole. */
    uintptr_t hole = (uintptr_t)phys_to_virt(ALIGN_UP(pmo_ram_end(), (paddr_t)PAGE_SIZE));

    EXPECT_FAULT(t, "the PMO page after the last RAM", read_word, hole, FAULT_READ, false);
}

static void the_boot_stack_guard_faults(struct ktest *t)
{
    EXPECT_FAULT(t, "64 bytes below the boot stack", read_word, (uintptr_t)__boot_stack_bottom - 64,
                 FAULT_READ, false);
}

/* --- the identity map, watched as it goes ------------------------------------------ */

#define IDENTITY_PROBES 3

static struct {
    bool watched;
    unsigned next; /* the probe being read */
    struct identity_probe {
        const char *what;
        uintptr_t addr;
        bool faulted;
        struct fault_info info;
    } probe[IDENTITY_PROBES];
} identity;

static bool kprotect_selected(const char *spec)
{
    if (!spec[0] || strcmp(spec, "all") == 0)
        return true;
    for (const char *p = spec; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len == strlen("kprotect") && strncmp(p, "kprotect", len) == 0)
            return true;
        p += len + (end ? 1 : 0);
    }
    return false;
}

/* Read the probes from identity.next on; a fault leaves next at the one that faulted. */
static void read_identity_probes(void *arg)
{
    for (; READ_ONCE(identity.next) < IDENTITY_PROBES; WRITE_ONCE(identity.next, identity.next + 1))
        read_word((void *)identity.probe[identity.next].addr);
}

void kprotect_remove_identity_map(void)
{
    char spec[BOOT_CMDLINE_MAX];
    /* .boot runs at VA == PA; the image's last and first words at their PAs.
     * The first page read last: the one a partial invalidation would pick. */
    const struct identity_probe probes[IDENTITY_PROBES] = {
        { ".boot's first word", (uintptr_t)__boot_start, false, { 0 } },
        { "the image's last word",
          KERNEL_IMAGE_PHYS + (uintptr_t)(__kernel_end - __kernel_start) - 8,
          false,
          { 0 } },
        { "the image's first word", KERNEL_IMAGE_PHYS, false, { 0 } },
    };

    if (!cmdline_get("ktest", spec, sizeof(spec)) || !kprotect_selected(spec)) {
        arch_remove_identity_map();
        return;
    }
    printf("kprotect: reading the identity map, removing it, reading it again: "
           "each read must fault now\n");
    memcpy(identity.probe, probes, sizeof(probes));
    /* Into the TLB, as boot.S's code and data were. */
    for (unsigned i = 0; i < IDENTITY_PROBES; i++)
        read_word((void *)identity.probe[i].addr);
    arch_remove_identity_map();
    /* The reads come one after another, so a translation left in the TLB
     * shows before the report of an earlier fault disturbs it. */
    while (identity.next < IDENTITY_PROBES) {
        struct fault_info info;

        if (!fault_expect(read_identity_probes, NULL, &info))
            break; /* the rest were read: no fault */
        identity.probe[identity.next].faulted = true;
        identity.probe[identity.next].info = info;
        identity.next++;
    }
    identity.watched = true;
}

static void the_identity_map_is_gone_when_its_removal_returns(struct ktest *t)
{
    KASSERT_TRUE(t, identity.watched);
    for (unsigned i = 0; i < IDENTITY_PROBES; i++) {
        const struct identity_probe *p = &identity.probe[i];

        if (!p->faulted) {
            ktest_fail(t, __FILE__, __LINE__,
                       "read of %s at its identity address 0x%lx right after "
                       "arch_remove_identity_map() returned did not fault: the identity map is "
                       "still in the tables, or still in the TLB",
                       p->what, (unsigned long)p->addr);
            continue;
        }
        KEXPECT_TRUE(t, p->info.memory);
        KEXPECT_EQ(t, p->info.addr, p->addr);
        KEXPECT_STREQ(t, fault_access_name(p->info.access), "read");
        if (p->info.protection)
            ktest_fail(t, __FILE__, __LINE__, "read of %s at 0x%lx raised %s, expected %s", p->what,
                       (unsigned long)p->addr, fault_kind(true), fault_kind(false));
    }
}

/* With no user program running, the CPU must have no tables for the lower
 * half at all: not boot.S's identity map, whose pages went back to the
 * allocator, and not the last program's. */
static void no_lower_half_without_a_user_space(struct ktest *t)
{
    paddr_t root = scratch_page();

    KASSERT_TRUE(t, aspace_current() == NULL);
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
    /* A user half and back (by hand: lab 5's address spaces may be stubs). */
    KASSERT_NE(t, root, PADDR_NONE);
    arch_mmu_init_user_root(root);
    scratch.user_root_switched = true;
    arch_mmu_switch_user(root);
    KEXPECT_EQ(t, arch_mmu_user_root(), root);
    arch_mmu_switch_user(PADDR_NONE);
    scratch.user_root_switched = false;
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
    /* No user half, asked for again (aspace_switch(NULL) does at every exit): still none. */
    arch_mmu_switch_user(PADDR_NONE);
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
}

/* --- the W^X audit ------------------------------------------------------------------ */

/* The boot audit found no W+X page; one mapped now is counted, then gone. */
static void the_wx_audit_counts_a_wx_page(struct ktest *t)
{
    paddr_t pa = scratch_page();

    KASSERT_NE(t, pa, PADDR_NONE);
    KEXPECT_EQ(t, wx_audit(&kernel_space, false), 0ULL);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE, VM_KERNEL_RW | VM_EXEC, 0),
               VM_OK);
    scratch.kernel_mapped = PAGE_SIZE;
    KEXPECT_EQ(t, wx_audit(&kernel_space, false), 1ULL);
    KEXPECT_VM(t, vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE), VM_OK);
    scratch.kernel_mapped = 0;
    KEXPECT_EQ(t, wx_audit(&kernel_space, false), 0ULL);
}

#define PAGES_2M (2 * MiB / PAGE_SIZE)
#define PAGES_1G (GiB / PAGE_SIZE)

/*
 * A scratch kernel half, never switched to: W+X leaves of every size, in
 * the PMO's range, the MMIO window and the image's window, between leaves
 * that are writable only, executable only or read-only. The audit counts
 * 4 KiB pages: a 2 MiB leaf is 512 of them, a 1 GiB leaf 262144 (on a CPU
 * without 1 GiB pages the walker maps that GiB with 2 MiB leaves).
 */
static void the_wx_audit_counts_every_page_of_every_size(struct ktest *t)
{
    const unsigned wx = VM_READ | VM_WRITE | VM_EXEC | VM_GLOBAL;
    const vaddr_t pmo_va = PHYS_OFFSET + 64 * GiB, mmio_va = MMIO_BASE + 2 * MiB;
    const vaddr_t image_va = KERNEL_VIRT_BASE + GiB;
    struct vm_space *s = scratch_space(false);

    KASSERT_TRUE(t, s != NULL);
    KEXPECT_EQ(t, wx_audit(s, false), 0ULL);
    KASSERT_VM(t, vm_map(s, mmio_va - 2 * MiB, 0, 2 * MiB, VM_KERNEL_RW, 1), VM_OK);
    KASSERT_VM(t, vm_map(s, mmio_va, 2 * MiB, 2 * MiB, wx, 1), VM_OK);
    KASSERT_VM(t, vm_map(s, mmio_va + 2 * MiB, 0, 2 * MiB, VM_READ | VM_EXEC | VM_GLOBAL, 1),
               VM_OK);
    KEXPECT_EQ(t, wx_audit(s, false), PAGES_2M);
    KASSERT_VM(t, vm_map(s, pmo_va, GiB, GiB, wx, 2), VM_OK);
    KASSERT_VM(t, vm_map(s, image_va - PAGE_SIZE, 0, PAGE_SIZE, VM_READ | VM_GLOBAL, 0), VM_OK);
    KASSERT_VM(t, vm_map(s, image_va, PAGE_SIZE, PAGE_SIZE, wx, 0), VM_OK);
    KEXPECT_EQ(t, wx_audit(s, false), PAGES_1G + PAGES_2M + 1);
    KEXPECT_VM(t, vm_unmap(s, mmio_va, 2 * MiB), VM_OK);
    KEXPECT_EQ(t, wx_audit(s, false), PAGES_1G + 1);
    KEXPECT_VM(t, vm_unmap(s, pmo_va, GiB), VM_OK);
    KEXPECT_EQ(t, wx_audit(s, false), 1ULL);
}

/* User pages are audited too: a user address space's own half. */
static void the_wx_audit_covers_the_user_half(struct ktest *t)
{
    const unsigned uwx = VM_READ | VM_WRITE | VM_EXEC | VM_USER;
    struct vm_space *s = scratch_space(true);

    KASSERT_TRUE(t, s != NULL);
    KASSERT_VM(t, vm_map(s, USER_BASE, 0, PAGE_SIZE, VM_READ | VM_EXEC | VM_USER, 0), VM_OK);
    KASSERT_VM(t, vm_map(s, USER_BASE + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, uwx, 0), VM_OK);
    KASSERT_VM(t, vm_map(s, USER_BASE + 2 * MiB, 2 * MiB, 2 * MiB, uwx, 1), VM_OK);
    KASSERT_VM(t, vm_map(s, USER_BASE + 4 * MiB, 0, PAGE_SIZE, VM_READ | VM_WRITE | VM_USER, 0),
               VM_OK);
    KEXPECT_EQ(t, wx_audit(s, false), PAGES_2M + 1);
}

/* Where the CPU can refuse to execute any writable page (AArch64 WXN), it
 * must: even a page whose entry says W+X, holding a return instruction. */
static void a_writable_page_never_executes_where_the_cpu_can_refuse(struct ktest *t)
{
    if (!arch_mmu_has_wxn()) {
        ktest_skip(t, "this CPU has no WXN switch");
        return;
    }
    paddr_t pa = scratch_page();

    KASSERT_NE(t, pa, PADDR_NONE);
    *(u32 *)phys_to_virt(pa) = ARCH_RETURN_INSN;
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE, VM_KERNEL_RW | VM_EXEC, 0),
               VM_OK);
    scratch.kernel_mapped = PAGE_SIZE;
    EXPECT_FAULT(t, "a W+X scratch page", call_address, KTEST_SCRATCH_VA, FAULT_EXEC, true);
}

static void a_function_that_does_not_fault_is_reported_as_such(struct ktest *t)
{
    struct fault_info info;
    u64 word = 7;

    KEXPECT_FALSE(t, fault_expect(read_word, &word, &info));
    KEXPECT_FALSE(t, fault_expect(rewrite_byte, data_words, &info));
}

static const struct ktest_case kprotect_cases[] = {
    KTEST_CASE(writing_text_faults),
    KTEST_CASE(writing_rodata_faults),
    KTEST_CASE(executing_rodata_faults),
    KTEST_CASE(executing_data_faults),
    KTEST_CASE(executing_bss_faults),
    KTEST_CASE(executing_the_boot_stack_faults),
    KTEST_CASE(every_segment_works_to_its_edges),
    KTEST_CASE(reading_past_the_end_of_bss_faults),
    KTEST_CASE(the_image_is_mapped_segment_by_segment),
    KTEST_CASE(executing_the_pmo_faults),
    KTEST_CASE(executing_the_kernel_alias_in_the_pmo_faults),
    KTEST_CASE(reading_null_faults),
    KTEST_CASE(reading_the_top_of_the_null_guard_faults),
    KTEST_CASE(reading_the_old_identity_map_faults),
    KTEST_CASE(reading_past_the_end_of_ram_in_the_pmo_faults),
    KTEST_CASE(the_boot_stack_guard_faults),
    KTEST_CASE(the_identity_map_is_gone_when_its_removal_returns),
    KTEST_CASE(no_lower_half_without_a_user_space),
    KTEST_CASE(the_wx_audit_counts_a_wx_page),
    KTEST_CASE(the_wx_audit_counts_every_page_of_every_size),
    KTEST_CASE(the_wx_audit_covers_the_user_half),
    KTEST_CASE(a_writable_page_never_executes_where_the_cpu_can_refuse),
    KTEST_CASE(a_function_that_does_not_fault_is_reported_as_such),
    { 0 },
};
KTEST_SUITE_EXIT(kprotect, kprotect_cases, kprotect_exit);
