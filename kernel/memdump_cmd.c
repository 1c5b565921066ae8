/*
 * `memdump [program [arguments]]`: the memory dump (mm/memdump.h), with a
 * user program's address space too, loaded and not started (as `uptdump`
 * loads it). The `memdump` boot option runs the same command.
 */
#include <duet/monitor.h>
#include <duet/printk.h>
#include <duet/user_programs.h>
#include <kernel/exec.h>
#include <mm/aspace.h>
#include <mm/memdump.h>

static int cmd_memdump(int argc, char **argv)
{
    const struct user_program *prog;
    struct exec_result ex;
    char why[96];

    if (argc < 2) {
        memdump(NULL, NULL);
        return 0;
    }
    prog = user_program_find(argv[1]);
    if (!prog) {
        printf("memdump: no program called '%s' (`run` lists them)\n", argv[1]);
        return 1;
    }
    if (exec_load(prog->image, prog->size, argc - 1, (const char *const *)argv + 1, &ex, why,
                  sizeof(why))) {
        /* Still the kernel's: a lab handout that cannot load programs yet
         * has page tables to show. */
        printf("memdump: %s: %s; the kernel's memory alone:\n", argv[1], why);
        memdump(NULL, NULL);
        return 1;
    }
    memdump(&ex.as->vm, argv[1]);
    aspace_put(ex.as);
    return 0;
}
MONITOR_COMMAND(memdump,
                "print memory as JSON lines for tools/memdump.py: memdump [program [args]]",
                cmd_memdump);
