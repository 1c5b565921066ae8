/*
 * No interrupt controller yet: every line absent, interrupts never let in,
 * so the console polls and nothing is preempted. The controller driver
 * replaces this file (issue 14).
 */
#include <duet/arch.h>

void arch_irq_init(void)
{
}
const char *arch_irq_controller(void)
{
    return "no interrupt controller";
}
unsigned arch_irq_lines(void)
{
    return 0;
}
void arch_irq_mask(unsigned line)
{
}
void arch_irq_unmask(unsigned line)
{
}
void arch_irq_enable(void)
{
}
void arch_wait_for_interrupt(void)
{
    arch_cpu_relax();
}
unsigned arch_timer_line(void)
{
    return 0;
}
void arch_timer_arm(u64 ns)
{
}
void arch_timer_disarm(void)
{
}
unsigned arch_console_line(void)
{
    return 0;
}
void arch_console_rx_interrupts(bool on)
{
}
unsigned arch_irq_test_line(void)
{
    return 0;
}
void arch_irq_raise(unsigned line)
{
}
