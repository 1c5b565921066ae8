/*
 * ktest suite `mmap`: anonymous memory from user programs (mm/aspace.c's
 * aspace_mmap and the fault path). The `mmap` program checks laziness,
 * zeroing, munmap, mprotect and the refusals from inside; each forbidden
 * touch of `mmap_fault` must end the program with a fault report and
 * status 139; `stack_grow` uses a stack sixteen times what it starts with;
 * and no page may leak in any of it.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/ktest.h>
#include <duet/timer.h>
#include <kernel/proc.h>
#include <kernel/proc_test.h>

static void mmap_program_passes(struct ktest *t)
{
    RUN(t, 0, "mmap");
}

static void a_page_after_munmap_faults(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "unmapped");
}

static void a_write_after_mprotect_read_only_faults(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "readonly");
}

static void mprotect_drops_a_writable_tlb_entry(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "stale");
}

/* The first touch maps a page with the region's permissions, not more. */
static void a_read_only_region_stays_read_only_after_a_read(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "readfirst");
}

static void a_prot_none_region_faults(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "none");
}

static void a_region_without_exec_does_not_run(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "mmap_fault", "exec");
}

static void the_stack_grows_on_touch(struct ktest *t)
{
    RUN(t, 0, "stack_grow");
}

/* The trap that ends a program masks interrupts; proc_run puts back the
 * caller's state, or the kernel would run on without its tick: after a
 * program, ticks still come while the kernel spins. The spin ends at the
 * first tick, or after 100 periods: with interrupts masked none ever
 * comes, while a host that stops QEMU's timer thread can hold back a tick
 * for several periods (a grade at load 3 once saw none in five). */
static void a_program_leaves_interrupts_as_it_found_them(struct ktest *t)
{
    u64 first, end;

    if (arch_irq_lines() == 0) {
        ktest_skip(t, "no interrupt controller");
        return;
    }
    unsigned long flags = arch_irq_save();
    arch_irq_enable(); /* the state the program must find again afterwards */
    RUN(t, 0, "hello");
    first = timer_ticks();
    end = clock_ns() + 100 * TIMER_PERIOD_NS;
    while (timer_ticks() == first && clock_ns() < end)
        arch_cpu_relax();
    u64 ticks = timer_ticks() - first;
    arch_irq_restore(flags);
    KEXPECT_TRUE(t, ticks > 0);
}

static const struct ktest_case mmap_cases[] = {
    KTEST_CASE(mmap_program_passes),
    KTEST_CASE(a_page_after_munmap_faults),
    KTEST_CASE(a_write_after_mprotect_read_only_faults),
    KTEST_CASE(mprotect_drops_a_writable_tlb_entry),
    KTEST_CASE(a_read_only_region_stays_read_only_after_a_read),
    KTEST_CASE(a_prot_none_region_faults),
    KTEST_CASE(a_region_without_exec_does_not_run),
    KTEST_CASE(the_stack_grows_on_touch),
    KTEST_CASE(a_program_leaves_interrupts_as_it_found_them),
    { 0 },
};
KTEST_SUITE(mmap, mmap_cases);
