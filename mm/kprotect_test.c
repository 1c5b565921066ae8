/*
 * Kernel protection, proved by faults (suite `kprotect`): each case makes
 * one access the kernel's page tables must refuse, through fault_expect(),
 * and checks that the fault came, at that address, for that kind of
 * access. The fault report is printed as for any fault; the test goes on.
 *
 * The accesses write back what they read, so a kernel whose protection is
 * broken fails the test without corrupting itself.
 */
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/sections.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/kmap.h>
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
/* A return instruction: a kernel that wrongly lets .data execute comes
 * straight back, and the test fails cleanly instead of running junk. Not
 * zero, so it lands in .data rather than .bss. */
static u32 data_words[4] = { ARCH_RETURN_INSN, 2, 3, 4 };

static void rewrite_byte(void *arg)
{
    volatile u8 *p = OPAQUE((volatile u8 *)arg);

    /* cppcheck-suppress selfAssignment ; the write is the point: it must fault */
    *p = *p;
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

/* Run `access` on addr and check the fault it must raise. */
static void expect_fault(struct ktest *t, void (*access)(void *), uintptr_t addr,
                         enum fault_access kind, bool protection)
{
    struct fault_info info;

    if (!fault_expect(access, (void *)addr, &info)) {
        ktest_fail(t, __FILE__, __LINE__, "%s of 0x%lx did not fault", fault_access_name(kind),
                   (unsigned long)addr);
        return;
    }
    KEXPECT_TRUE(t, info.memory);
    KEXPECT_EQ(t, info.addr, addr);
    KEXPECT_STREQ(t, fault_access_name(info.access), fault_access_name(kind));
    KEXPECT_EQ(t, info.protection, protection);
    KEXPECT_FALSE(t, info.user);
}

static void writing_text_faults(struct ktest *t)
{
    expect_fault(t, rewrite_byte, (uintptr_t)rewrite_byte, FAULT_WRITE, true);
}

static void writing_rodata_faults(struct ktest *t)
{
    expect_fault(t, rewrite_byte, (uintptr_t)&rodata_word, FAULT_WRITE, true);
}

static void executing_data_faults(struct ktest *t)
{
    expect_fault(t, call_address, (uintptr_t)data_words, FAULT_EXEC, true);
}

static void executing_the_pmo_faults(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(0);

    KASSERT_NE(t, pa, PADDR_NONE);
    *(u32 *)phys_to_virt(pa) = ARCH_RETURN_INSN; /* as in data_words */
    expect_fault(t, call_address, (uintptr_t)phys_to_virt(pa), FAULT_EXEC, true);
    buddy_free_pages(pa, 0);
}

static void executing_the_kernel_alias_in_the_pmo_faults(struct ktest *t)
{
    /* The PMO maps the kernel image a second time: never executable there. */
    uintptr_t alias = (uintptr_t)phys_to_virt(virt_to_phys(rewrite_byte));

    expect_fault(t, call_address, alias, FAULT_EXEC, true);
}

static void reading_null_faults(struct ktest *t)
{
    expect_fault(t, read_word, 8, FAULT_READ, false);
}

static void reading_the_top_of_the_null_guard_faults(struct ktest *t)
{
    expect_fault(t, read_word, NULL_GUARD_END - 8, FAULT_READ, false);
}

static void reading_the_old_identity_map_faults(struct ktest *t)
{
    /* boot.S identity-mapped the kernel's physical address; that is gone. */
    expect_fault(t, read_word, KERNEL_IMAGE_PHYS, FAULT_READ, false);
}

static void reading_past_the_end_of_ram_in_the_pmo_faults(struct ktest *t)
{
    /* The PMO maps RAM only: the first page above the highest RAM is a hole. */
    uintptr_t hole = (uintptr_t)phys_to_virt(ALIGN_UP(pmo_ram_end(), (paddr_t)PAGE_SIZE));

    expect_fault(t, read_word, hole, FAULT_READ, false);
}

static void the_boot_stack_guard_faults(struct ktest *t)
{
    expect_fault(t, read_word, (uintptr_t)__boot_stack_bottom - 64, FAULT_READ, false);
}

/* The boot audit found no W+X page; one mapped now is counted, then gone. */
static void the_wx_audit_counts_a_wx_page(struct ktest *t)
{
    paddr_t pa = buddy_alloc_pages_zeroed(0);
    u64 before = wx_audit(&kernel_space, false);

    KASSERT_NE(t, pa, PADDR_NONE);
    KEXPECT_EQ(t, before, 0ULL);
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE, VM_KERNEL_RW | VM_EXEC, 0),
               VM_OK);
    KEXPECT_EQ(t, wx_audit(&kernel_space, false), before + 1);
    vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE);
    KEXPECT_EQ(t, wx_audit(&kernel_space, false), before);
    buddy_free_pages(pa, 0);
}

/* Where the CPU can refuse to execute any writable page (AArch64 WXN), it
 * must: even a page whose entry says W+X, holding a return instruction. */
static void a_writable_page_never_executes_where_the_cpu_can_refuse(struct ktest *t)
{
    if (!arch_mmu_has_wxn()) {
        ktest_skip(t, "this CPU has no WXN switch");
        return;
    }
    paddr_t pa = buddy_alloc_pages_zeroed(0);

    KASSERT_NE(t, pa, PADDR_NONE);
    *(u32 *)phys_to_virt(pa) = ARCH_RETURN_INSN;
    KASSERT_VM(t, vm_map(&kernel_space, KTEST_SCRATCH_VA, pa, PAGE_SIZE, VM_KERNEL_RW | VM_EXEC, 0),
               VM_OK);
    expect_fault(t, call_address, KTEST_SCRATCH_VA, FAULT_EXEC, true);
    vm_unmap(&kernel_space, KTEST_SCRATCH_VA, PAGE_SIZE);
    buddy_free_pages(pa, 0);
}

/* With no user program running, the CPU must have no tables for the lower
 * half at all: not boot.S's identity map, whose pages went back to the
 * allocator, and not the last program's. */
static void no_lower_half_without_a_user_space(struct ktest *t)
{
    paddr_t root = buddy_alloc_pages_zeroed(0);

    KASSERT_TRUE(t, aspace_current() == NULL);
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
    /* A user half and back (by hand: lab 5's address spaces may be stubs). */
    KASSERT_NE(t, root, PADDR_NONE);
    arch_mmu_init_user_root(root);
    arch_mmu_switch_user(root);
    KEXPECT_EQ(t, arch_mmu_user_root(), root);
    arch_mmu_switch_user(PADDR_NONE);
    KEXPECT_EQ(t, arch_mmu_user_root(), PADDR_NONE);
    buddy_free_pages(root, 0);
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
    KTEST_CASE(executing_data_faults),
    KTEST_CASE(executing_the_pmo_faults),
    KTEST_CASE(executing_the_kernel_alias_in_the_pmo_faults),
    KTEST_CASE(reading_null_faults),
    KTEST_CASE(reading_the_top_of_the_null_guard_faults),
    KTEST_CASE(reading_the_old_identity_map_faults),
    KTEST_CASE(reading_past_the_end_of_ram_in_the_pmo_faults),
    KTEST_CASE(the_boot_stack_guard_faults),
    KTEST_CASE(the_wx_audit_counts_a_wx_page),
    KTEST_CASE(a_writable_page_never_executes_where_the_cpu_can_refuse),
    KTEST_CASE(no_lower_half_without_a_user_space),
    KTEST_CASE(a_function_that_does_not_fault_is_reported_as_such),
    { 0 },
};
KTEST_SUITE(kprotect, kprotect_cases);
