/*
 * The shell: reads a line from the console, splits it into words and runs
 * the program the first word names, with the words as its argv.
 *
 *   $ status 3            a foreground job: the shell waits for it
 *   sh: status: exit status 3
 *   $ forever &           a background job: the shell goes on
 *   [5]
 *   $ kill 5
 *   [5] done status 143   reported before the next prompt
 *
 * Built-ins: ps, kill [-2|-9|-15] pid, uptime, exit [n], help.
 *
 * The console is raw: read() gives each byte as typed and echoes nothing,
 * so the shell echoes and edits the line itself. Ctrl-C goes to the
 * console's foreground process group, which the kernel ends; the shell
 * makes each foreground job's group the foreground while it runs and none
 * otherwise, so at the prompt Ctrl-C reaches it as the byte 3.
 */
#include <ulib.h>

#define LINE_MAX  128
#define WORDS_MAX 16
#define PROCS_MAX 128

/* Control bytes as the console delivers them. */
#define CTRL_C    3
#define CTRL_D    4
#define BACKSPACE 8
#define CTRL_U    21
#define DELETE    127

/* --- reading a line -------------------------------------------------------- */

/*
 * Read one line into buf (NUL-terminated, without its end), echoing and
 * editing as the user types. Returns its length, or -1 at the end of input:
 * Ctrl-D on an empty line, or read failing.
 */
static int read_line(char *buf)
{
    static bool after_cr; /* a terminal's Enter may send CR LF: one line */
    int len = 0;

    for (;;) {
        char c;

        ulib_flush(); /* the prompt and the echo, before blocking */
        if (read(0, &c, 1) != 1)
            return -1;
        if (c == '\n' && after_cr) {
            after_cr = false;
            continue;
        }
        after_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            putchar('\n');
            buf[len] = '\0';
            return len;
        } else if (c == BACKSPACE || c == DELETE) {
            if (len > 0) {
                len--;
                printf("\b \b");
            }
        } else if (c == CTRL_U) {
            for (; len > 0; len--)
                printf("\b \b");
        } else if (c == CTRL_C) {
            printf("^C\n");
            buf[0] = '\0';
            return 0;
        } else if (c == CTRL_D) {
            if (len == 0)
                return -1;
        } else if (c >= ' ' && c < DELETE && len < LINE_MAX - 1) {
            buf[len++] = c;
            putchar(c);
        }
        /* Any other control byte, or a full line: ignored. */
    }
}

/* Split line in place at spaces; argv ends with NULL. Returns the count. */
static int split_words(char *line, char **argv)
{
    int argc = 0;

    for (char *p = line; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (argc == WORDS_MAX) {
            printf("sh: more than %d words\n", WORDS_MAX);
            return 0;
        }
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[argc] = NULL;
    return argc;
}

/* Strip a trailing '&' (a word of its own or not); true if there was one. */
static bool strip_background(char *line)
{
    size_t n = strlen(line);

    while (n > 0 && line[n - 1] == ' ')
        n--;
    if (n == 0 || line[n - 1] != '&')
        return false;
    line[n - 1] = '\0';
    return true;
}

/* --- running programs ------------------------------------------------------ */

/*
 * The child's half: a process group of its own, so that Ctrl-C reaches it
 * only while it is the foreground job, then the program. exec returns only
 * when it failed; 127, as in POSIX shells, says the program never ran.
 */
static __noreturn void child(char **argv)
{
    long err;

    setpgid(0, 0);
    err = exec(argv[0], argv);
    if (err == -ENOENT)
        printf("sh: %s: no such program\n", argv[0]);
    else
        printf("sh: %s: cannot run it (error %ld)\n", argv[0], -err);
    exit(127);
}

static void run(char **argv, bool background)
{
    long pid = fork();
    int status;

    if (pid < 0) {
        printf("sh: fork: %s\n", pid == -EAGAIN ? "too many processes" : "out of memory");
        return;
    }
    if (pid == 0)
        child(argv);
    /* The parent sets the group too: whichever of the two runs first, the
     * group exists before tcsetpgrp names it. */
    setpgid(pid, pid);
    if (background) {
        printf("[%ld]\n", pid);
        return;
    }
    tcsetpgrp(0, pid);
    if (waitpid(pid, &status, 0) != pid)
        status = 0; /* the shell itself was killed meanwhile: it ends next */
    tcsetpgrp(0, 0);
    if (status != 0 && status != 127)
        printf("sh: %s: exit status %d\n", argv[0], status);
}

/* Report the background jobs that have ended, without waiting for others. */
static void reap_background(void)
{
    int status;
    long pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        printf("[%ld] done status %d\n", pid, status);
}

/*
 * When the shell ends, so do its background jobs, as a terminal's hang-up
 * ends a login shell's: otherwise they would run on, given to the kernel,
 * with nobody left to kill them from a prompt.
 */
static void end_jobs(void)
{
    static struct procinfo procs[PROCS_MAX];
    long n = getprocs(procs, PROCS_MAX), me = getpid();

    for (long i = 0; i < n && i < PROCS_MAX; i++)
        if (procs[i].ppid == me && procs[i].state != 'Z')
            kill(procs[i].pid, SIGKILL);
    /* Wait for them all, and say how each ended. */
    for (;;) {
        int status;
        long pid = wait(&status);
        if (pid < 0)
            return;
        printf("[%ld] done status %d\n", pid, status);
    }
}

/* --- built-ins ------------------------------------------------------------- */

static int builtin_ps(void)
{
    static struct procinfo procs[PROCS_MAX];
    long n = getprocs(procs, PROCS_MAX);

    if (n < 0) {
        printf("sh: ps: error %ld\n", -n);
        return 1;
    }
    if (n > PROCS_MAX)
        n = PROCS_MAX;
    printf("  PID  PPID S      MEM NAME\n");
    for (long i = 0; i < n; i++)
        printf("%5d %5d %c %7luK %s\n", procs[i].pid, procs[i].ppid, procs[i].state,
               (unsigned long)(procs[i].mapped_bytes / 1024), procs[i].name);
    return 0;
}

static int builtin_kill(int argc, char **argv)
{
    int sig = SIGTERM;
    long pid;
    char *end;
    int err;

    if (argc == 3 && argv[1][0] == '-') {
        sig = atoi(argv[1] + 1);
        argv++;
        argc--;
    }
    if (argc != 2 || argv[1][0] == '-') { /* `kill -9` alone is not kill of pid -9 */
        printf("usage: kill [-2|-9|-15] pid\n");
        return 1;
    }
    pid = strtol(argv[1], &end, 10);
    if (*end || end == argv[1]) {
        printf("sh: kill: %s is not a pid\n", argv[1]);
        return 1;
    }
    err = kill(pid, sig);
    if (err == -ESRCH)
        printf("sh: kill: no process %ld\n", pid);
    else if (err == -EINVAL)
        printf("sh: kill: signal %d is not 2, 9 or 15\n", sig);
    else if (err < 0)
        printf("sh: kill: error %d\n", -err);
    return err < 0;
}

static void builtin_uptime(void)
{
    long ms = uptime() / 1000000;

    printf("up %ld.%03ld s\n", ms / 1000, ms % 1000);
}

/* Runs argv[0] if it is a built-in; returns false if it is not one. */
static bool builtin(int argc, char **argv)
{
    if (strcmp(argv[0], "exit") == 0) {
        end_jobs();
        exit(argc > 1 ? atoi(argv[1]) : 0);
    }
    if (strcmp(argv[0], "ps") == 0)
        builtin_ps();
    else if (strcmp(argv[0], "kill") == 0)
        builtin_kill(argc, argv);
    else if (strcmp(argv[0], "uptime") == 0)
        builtin_uptime();
    else if (strcmp(argv[0], "help") == 0)
        printf("built-ins: ps, kill [-2|-9|-15] pid, uptime, exit [n], help;\n"
               "anything else runs the program of that name (`cmd &` in the background)\n");
    else
        return false;
    return true;
}

int main(int argc, char **argv)
{
    char line[LINE_MAX];
    char *words[WORDS_MAX + 1];

    /* The shell is never the foreground: Ctrl-C at its prompt is a byte. */
    tcsetpgrp(0, 0);
    for (;;) {
        int n;
        bool background;

        reap_background();
        printf("$ ");
        if (read_line(line) < 0)
            break;
        background = strip_background(line);
        n = split_words(line, words);
        if (n == 0)
            continue;
        if (!builtin(n, words)) /* a built-in runs in the shell, `&` or not */
            run(words, background);
    }
    printf("exit\n");
    end_jobs();
    return 0;
}
