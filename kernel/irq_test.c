/*
 * ktest suite `irq`: an interrupt raised from software reaches its handler
 * through the arch's whole entry path, exactly once, and only while the
 * line is unmasked and interrupts are let in.
 */
#include <duet/arch.h>
#include <duet/errno.h>
#include <duet/irq.h>
#include <duet/ktest.h>

static volatile unsigned taken_line;

static void count_it(unsigned line, void *arg)
{
    taken_line = line;
    *(unsigned *)arg += 1;
}

/* Give a raised interrupt time to arrive: a few thousand instructions. */
static void settle(void)
{
    for (int i = 0; i < 10000; i++)
        arch_cpu_relax();
}

static bool have_controller(struct ktest *t)
{
    if (arch_irq_lines() == 0) {
        ktest_skip(t, "no interrupt controller");
        return false;
    }
    return true;
}

static void bad_registrations_are_refused(struct ktest *t)
{
    unsigned mine = 0, line = arch_irq_test_line();

    if (!have_controller(t))
        return;
    KEXPECT_ERRNO(t, irq_register(arch_irq_lines(), "test", count_it, &mine), -EINVAL);
    KEXPECT_ERRNO(t, irq_register(IRQ_MAX_LINES, "test", count_it, &mine), -EINVAL);
    KEXPECT_ERRNO(t, irq_register(line, "test", NULL, &mine), -EINVAL);
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), 0);
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), -EBUSY);
    irq_unregister(line);
}

static void a_raised_line_reaches_its_handler_once(struct ktest *t)
{
    unsigned mine = 0, line = arch_irq_test_line();
    unsigned long flags;
    u64 before = irq_count(line);

    if (!have_controller(t))
        return;
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), 0);
    flags = arch_irq_save();
    arch_irq_enable();
    arch_irq_raise(line);
    settle();
    arch_irq_restore(flags);
    KEXPECT_EQ(t, mine, 1u);
    KEXPECT_EQ(t, taken_line, line);
    KEXPECT_EQ(t, irq_count(line) - before, 1ull);
    irq_unregister(line);
}

static void nothing_arrives_while_interrupts_are_masked(struct ktest *t)
{
    unsigned mine = 0, line = arch_irq_test_line();
    unsigned long flags;

    if (!have_controller(t))
        return;
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), 0);
    flags = arch_irq_save();
    arch_irq_raise(line);
    settle();
    KEXPECT_EQ(t, mine, 0u);
    /* Still pending: it arrives as soon as interrupts are let in. */
    arch_irq_enable();
    settle();
    arch_irq_restore(flags);
    KEXPECT_EQ(t, mine, 1u);
    irq_unregister(line);
}

static void a_masked_line_waits_for_unmask(struct ktest *t)
{
    unsigned mine = 0, line = arch_irq_test_line();
    unsigned long flags;

    if (!have_controller(t))
        return;
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), 0);
    irq_mask(line);
    flags = arch_irq_save();
    arch_irq_enable();
    arch_irq_raise(line);
    settle();
    KEXPECT_EQ(t, mine, 0u);
    irq_unmask(line);
    settle();
    arch_irq_restore(flags);
    KEXPECT_EQ(t, mine, 1u);
    irq_unregister(line);
}

static void wait_for_interrupt_returns_after_one(struct ktest *t)
{
    unsigned mine = 0, line = arch_irq_test_line();
    unsigned long flags;

    if (!have_controller(t))
        return;
    KEXPECT_ERRNO(t, irq_register(line, "test", count_it, &mine), 0);
    flags = arch_irq_save();
    /* Raised while masked: the wait must see it pending and not sleep on. */
    arch_irq_raise(line);
    arch_wait_for_interrupt();
    arch_irq_restore(flags);
    KEXPECT_EQ(t, mine, 1u);
    irq_unregister(line);
}

static const struct ktest_case irq_cases[] = {
    KTEST_CASE(bad_registrations_are_refused),
    KTEST_CASE(a_raised_line_reaches_its_handler_once),
    KTEST_CASE(nothing_arrives_while_interrupts_are_masked),
    KTEST_CASE(a_masked_line_waits_for_unmask),
    KTEST_CASE(wait_for_interrupt_returns_after_one),
    { 0 },
};
KTEST_SUITE(irq, irq_cases);
