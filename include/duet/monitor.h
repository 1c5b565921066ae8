/*
 * The kernel monitor: a `duet> ` prompt on the console. Commands register
 * with MONITOR_COMMAND(), which places them in the .monitor_cmds linker
 * section; later subsystems add their own (memmap, buddyinfo, ptdump) in
 * their own files.
 *
 *     static int cmd_hello(int argc, char **argv) { printf("hi\n"); return 0; }
 *     MONITOR_COMMAND(hello, "say hi", cmd_hello);
 */
#ifndef DUET_MONITOR_H
#define DUET_MONITOR_H

#include <duet/compiler.h>

struct monitor_command {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
};

#define MONITOR_COMMAND(cname, chelp, fn)                                                \
    static const struct monitor_command __monitor_cmd_##cname __section(".monitor_cmds") \
        __used __aligned(8) = {                                                          \
            .name = #cname,                                                              \
            .help = (chelp),                                                             \
            .run = (fn),                                                                 \
        }

/* Read and run commands until `poweroff`. */
__noreturn void monitor_run(void);
/* Run one command line (used by the loop and by tests); returns its status. */
int monitor_execute(char *line);

#endif
