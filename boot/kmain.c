/*
 * kmain(): where both architectures meet. Each arch's entry code runs C in
 * the higher half with a console, translates what the firmware handed over
 * into a struct boot_info, and calls this. From here on the code is the
 * same on every machine.
 */
#include <duet/arch.h>
#include <duet/bootinfo.h>
#include <duet/clock.h>
#include <duet/cmdline.h>
#include <duet/irq.h>
#include <duet/kernel.h>
#include <duet/printk.h>
#include <duet/ktest.h>
#include <duet/monitor.h>
#include <duet/thread.h>
#include <duet/timer.h>
#include <kernel/proc.h>
#include <mm/kprotect_test.h>
#include <mm/physmem.h>

void kmain(struct boot_info *bi)
{
    char arg[BOOT_CMDLINE_MAX];

    cmdline_init(bi->cmdline);
    arch_trap_init();
    /* arch_remove_identity_map(), watched when the kprotect suite is to
     * run: a stale translation shows only before the next switch of roots. */
    kprotect_remove_identity_map();
    banner_print();
    printf("  boot:    %s at PA 0x%llx\n", bi->fw_name, (unsigned long long)bi->fw_info);
    physmem_init(bi);
    clock_init();
    sched_init();
    irq_init();
    timer_init();
    console_irq_init();
    proc_init();
    arch_irq_enable();

    /* `memdump` or `memdump=<program>`: the dump for tools/memdump.py. */
    if (cmdline_get("memdump", arg, sizeof(arg))) {
        char line[BOOT_CMDLINE_MAX + 8];
        snprintf(line, sizeof(line), "memdump %s", arg);
        monitor_execute(line);
    }

    if (cmdline_get("crash", arg, sizeof(arg)))
        crash_run(arg);

    if (cmdline_get("ktest", arg, sizeof(arg))) {
        int failed = ktest_run(arg[0] ? arg : "all");
        arch_poweroff(failed ? 1 : 0);
    }

    /* `run=<program>`: run it first (make bench-proc); `init` is run=init,
     * the program that starts the shell. The monitor comes when it ends. */
    if (cmdline_get("run", arg, sizeof(arg)) && arg[0]) {
        char line[BOOT_CMDLINE_MAX + 8];
        snprintf(line, sizeof(line), "run %s", arg);
        monitor_execute(line);
    } else if (cmdline_has("init")) {
        char line[] = "run init"; /* monitor_execute splits the line in place */
        monitor_execute(line);
    }
    /* `poweroff`: end the run here, for a boot that only dumps (make view). */
    if (cmdline_has("poweroff"))
        arch_poweroff(0);
    monitor_run();
}
