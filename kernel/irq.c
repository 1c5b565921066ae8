/*
 * The generic interrupt layer (include/duet/irq.h): a handler per line,
 * counts for the monitor's `irqs`, and nothing about any controller.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/errno.h>
#include <duet/irq.h>
#include <duet/monitor.h>
#include <duet/printk.h>
#include <duet/spinlock.h>
#include <duet/thread.h>
#include <kernel/proc.h>

struct irq_line {
    irq_handler_fn *fn;
    void *arg;
    const char *name;
    u64 count;
    /* The shortest run of its handler, by the clock: what one costs. Not
     * the mean: under TCG one host preemption inside a handler would be
     * milliseconds, more than a hundred honest runs together. */
    u64 min_ns;
};

static struct irq_line lines[IRQ_MAX_LINES];
static u64 spurious, unhandled;
/* Guards the handler table against a handler registered while another runs. */
static struct spinlock irq_lock = SPINLOCK_INIT("irq");

void irq_init(void)
{
    arch_irq_init();
    printf("irq: %s, %u lines\n", arch_irq_controller(), arch_irq_lines());
}

static bool line_exists(unsigned line)
{
    return line < arch_irq_lines() && line < IRQ_MAX_LINES;
}

int irq_register(unsigned line, const char *name, irq_handler_fn *fn, void *arg)
{
    unsigned long flags;
    int err = 0;

    if (!line_exists(line) || !fn)
        return -EINVAL;
    flags = spin_lock_irqsave(&irq_lock);
    if (lines[line].fn) {
        err = -EBUSY;
    } else {
        lines[line] = (struct irq_line){ .fn = fn, .arg = arg, .name = name };
        arch_irq_unmask(line);
    }
    spin_unlock_irqrestore(&irq_lock, flags);
    return err;
}

void irq_unregister(unsigned line)
{
    unsigned long flags;

    if (!line_exists(line))
        return;
    flags = spin_lock_irqsave(&irq_lock);
    arch_irq_mask(line);
    lines[line].fn = NULL;
    lines[line].arg = NULL;
    spin_unlock_irqrestore(&irq_lock, flags);
}

void irq_mask(unsigned line)
{
    if (line_exists(line))
        arch_irq_mask(line);
}

void irq_unmask(unsigned line)
{
    if (line_exists(line))
        arch_irq_unmask(line);
}

void irq_handle(unsigned line)
{
    struct irq_line *l;

    if (!line_exists(line) || !lines[line].fn) {
        /* A line nobody asked for: keep it quiet from now on. */
        unhandled++;
        if (line_exists(line))
            arch_irq_mask(line);
        return;
    }
    l = &lines[line];
    l->count++;
    u64 start = clock_ns();
    l->fn(line, l->arg);
    u64 ns = clock_ns() - start;
    if (l->count == 1 || ns < l->min_ns)
        l->min_ns = ns;
}

void irq_spurious(void)
{
    spurious++;
}

void irq_exit(bool from_user)
{
    if (from_user) {
        proc_user_return(); /* a program Ctrl-C interrupted ends here */
        sched_preempt_if_needed();
    }
}

u64 irq_count(unsigned line)
{
    return line_exists(line) ? lines[line].count : 0;
}

u64 irq_spurious_count(void)
{
    return spurious;
}

u64 irq_unhandled_count(void)
{
    return unhandled;
}

static int cmd_irqs(int argc, char **argv)
{
    printf("%s\n", arch_irq_controller());
    printf("  %5s  %-16s %12s  %s\n", "line", "handler", "count", "fastest (ns in the handler)");
    for (unsigned i = 0; i < IRQ_MAX_LINES; i++)
        if (lines[i].fn)
            printf("  %5u  %-16s %12llu  %llu\n", i, lines[i].name,
                   (unsigned long long)lines[i].count, (unsigned long long)lines[i].min_ns);
    printf("  spurious %llu, unhandled %llu\n", (unsigned long long)spurious,
           (unsigned long long)unhandled);
    return 0;
}
MONITOR_COMMAND(irqs, "interrupt lines with their handlers and counts", cmd_irqs);
