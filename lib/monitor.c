/*
 * The kernel monitor: reads a line from the console with simple editing
 * (backspace, Ctrl-U to erase the line, Ctrl-C to drop it), splits it into
 * words and runs the command of that name from the .monitor_cmds section.
 */
#include <duet/arch.h>
#include <duet/backtrace.h>
#include <duet/kernel.h>
#include <duet/monitor.h>
#include <duet/printk.h>
#include <duet/string.h>

#define MONITOR_LINE_MAX 128
#define MONITOR_ARGS_MAX 16
#define MONITOR_PROMPT   "duet> "

extern const struct monitor_command __monitor_cmds_start[], __monitor_cmds_end[];

static const struct monitor_command *find_command(const char *name)
{
    for (const struct monitor_command *c = __monitor_cmds_start; c < __monitor_cmds_end; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Split `line` in place at spaces; returns the number of words. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;

    while (*line) {
        while (*line == ' ' || *line == '\t')
            *line++ = '\0';
        if (!*line)
            break;
        if (argc == max)
            return -1;
        argv[argc++] = line;
        while (*line && *line != ' ' && *line != '\t')
            line++;
    }
    return argc;
}

int monitor_execute(char *line)
{
    char *argv[MONITOR_ARGS_MAX + 1];
    int argc = split_words(line, argv, MONITOR_ARGS_MAX);
    const struct monitor_command *cmd;

    if (argc < 0) {
        printf("error: too many words (at most %d)\n", MONITOR_ARGS_MAX);
        return -1;
    }
    if (argc == 0)
        return 0;
    argv[argc] = NULL;
    cmd = find_command(argv[0]);
    if (!cmd) {
        printf("error: unknown command '%s' (try 'help')\n", argv[0]);
        return -1;
    }
    return cmd->run(argc, argv);
}

/* Read one line with echo and editing; returns its length. */
static size_t read_line(char *buf, size_t size)
{
    size_t len = 0;
    bool after_cr = false;

    for (;;) {
        int c = console_getc();

        if (c == '\n' && after_cr) { /* the \n of a \r\n pair */
            after_cr = false;
            continue;
        }
        after_cr = (c == '\r');
        switch (c) {
        case '\r':
        case '\n':
            printf("\n");
            buf[len] = '\0';
            return len;
        case '\b':
        case 0x7f: /* DEL: what most terminals send for backspace */
            if (len) {
                len--;
                printf("\b \b");
            }
            break;
        case 0x15: /* Ctrl-U: erase the line */
            while (len) {
                len--;
                printf("\b \b");
            }
            break;
        case 0x03: /* Ctrl-C: drop the line */
            printf("^C\n");
            buf[0] = '\0';
            return 0;
        case 0x1b: /* escape sequences (arrows): ignore */ break;
        default:
            if (c >= ' ' && c < 0x7f && len + 1 < size) {
                buf[len++] = (char)c;
                console_putc((char)c);
            }
            break;
        }
    }
}

void monitor_run(void)
{
    char line[MONITOR_LINE_MAX];

    printf("Type 'help' for the list of commands.\n");
    for (;;) {
        printf(MONITOR_PROMPT);
        read_line(line, sizeof(line));
        monitor_execute(line);
    }
}

/* --- the built-in commands ------------------------------------------------------ */

static int cmd_help(int argc, char **argv)
{
    for (const struct monitor_command *c = __monitor_cmds_start; c < __monitor_cmds_end; c++)
        printf("  %-12s %s\n", c->name, c->help);
    return 0;
}
MONITOR_COMMAND(help, "list the commands", cmd_help);

static int cmd_info(int argc, char **argv)
{
    banner_print();
    return 0;
}
MONITOR_COMMAND(info, "print the boot banner: arch, CPU, command line, layout", cmd_info);

static int cmd_backtrace(int argc, char **argv)
{
    backtrace_here();
    return 0;
}
MONITOR_COMMAND(backtrace, "print the monitor's own call stack", cmd_backtrace);

static int cmd_poweroff(int argc, char **argv)
{
    u64 status = 0;

    if (argc > 1 && (!parse_u64(argv[1], &status, false) || status > 100)) {
        printf("error: poweroff: status must be a number from 0 to 100, not '%s'\n", argv[1]);
        return -1;
    }
    printf("Powering off (status %d).\n", (int)status);
    arch_poweroff((int)status);
}
MONITOR_COMMAND(poweroff, "end the run; 'poweroff N' exits with status N", cmd_poweroff);
