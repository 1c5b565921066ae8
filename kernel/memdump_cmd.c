/*
 * `memdump [program [arguments]]`: the memory dump (mm/memdump.h), with
 * the address space of every live process (those `run ... &` started), and
 * a user program's too, loaded and not started (as `uptdump` loads it).
 * The `memdump` boot option runs the same command.
 */
#include <duet/monitor.h>
#include <duet/printk.h>
#include <duet/user_programs.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/memdump.h>

/* Every live process's address space, each named "program (pid N)". */
static struct proc_space live[PROC_MAX];
static char names[PROC_MAX][sizeof(live[0].name) + 16];
static struct memdump_space spaces[PROC_MAX + 1];

static int cmd_memdump(int argc, char **argv)
{
    const struct user_program *prog = argc >= 2 ? user_program_find(argv[1]) : NULL;
    struct exec_result ex = { .as = NULL };
    unsigned n, user = 0;
    char why[96];
    int status = 0;

    if (argc >= 2 && !prog) {
        printf("memdump: no program called '%s' (`run` lists them)\n", argv[1]);
        return 1;
    }
    n = proc_spaces(live, PROC_MAX);
    for (unsigned i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "%s (pid %d)", live[i].name, live[i].pid);
        spaces[user++] = (struct memdump_space){ &live[i].as->vm, names[i] };
    }
    if (prog && exec_load(prog->image, prog->size, argc - 1, (const char *const *)argv + 1, &ex,
                          why, sizeof(why))) {
        /* Still the kernel's: a lab handout that cannot load programs yet
         * has page tables to show. */
        printf("memdump: %s: %s; the kernel's memory alone:\n", argv[1], why);
        ex.as = NULL;
        status = 1;
    }
    if (ex.as)
        spaces[user++] = (struct memdump_space){ &ex.as->vm, argv[1] };
    memdump(spaces, user);
    if (ex.as)
        aspace_put(ex.as);
    for (unsigned i = 0; i < n; i++)
        aspace_put(live[i].as);
    return status;
}
MONITOR_COMMAND(memdump,
                "print memory as JSON lines for tools/memdump.py: memdump [program [args]]",
                cmd_memdump);
