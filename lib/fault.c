/*
 * The arch-independent parts of a fault report (include/duet/fault.h).
 */
#include <duet/arch.h>
#include <duet/backtrace.h>
#include <duet/fault.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>

/* The boot stack sits at the bottom of a 2 MiB page; the page below is unmapped. */
#define STACK_GUARD_SIZE (2 * MiB)

static bool reporting;

void fault_report_begin(const char *fmt, ...)
{
    va_list ap;

    /* A fault while reporting a fault: say so and stop, do not recurse. */
    if (reporting) {
        printf("\n*** fault while reporting a fault: powering off ***\n");
        arch_poweroff(PANIC_EXIT_STATUS);
    }
    reporting = true;
    printf("\n*** KERNEL FAULT: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" ***\n");
}

bool fault_sp_in_stack_guard(uintptr_t sp)
{
    uintptr_t bottom = (uintptr_t)__boot_stack_bottom;

    return sp < bottom && sp >= bottom - STACK_GUARD_SIZE;
}

void fault_report_end(uintptr_t pc, uintptr_t fp, uintptr_t sp)
{
    if (fault_sp_in_stack_guard(sp))
        printf("  kernel stack overflow: sp 0x%lx is below the boot stack [0x%lx, 0x%lx)\n",
               (unsigned long)sp, (unsigned long)__boot_stack_bottom,
               (unsigned long)__boot_stack_top);
    backtrace_print(pc, fp);
    printf("*** fault: powering off (status %d) ***\n", PANIC_EXIT_STATUS);
    arch_poweroff(PANIC_EXIT_STATUS);
}
