/*
 * The first process of a session: starts the shell, waits for it and
 * says "init: sh exited with status N", then exits with N (the monitor's
 * `run init`, or the `init` boot option, then comes back to the monitor).
 *
 * Init waits for any child, not only the shell, so one that ends is never
 * left a zombie holding its slot. In this kernel a process whose parent
 * ends first goes to the kernel's reaper, not to init (kernel/proc.h), so
 * the shell is init's only child; Unix gives orphans to init instead, and
 * then this loop is what reaps them.
 */
#include <ulib.h>

int main(int argc, char **argv)
{
    char *sh_argv[] = { "sh", NULL };
    long sh = fork();

    if (sh < 0) {
        printf("init: fork: error %ld\n", -sh);
        return 1;
    }
    if (sh == 0) {
        long err = exec("sh", sh_argv);
        printf("init: exec sh: error %ld\n", -err);
        exit(127);
    }
    for (;;) {
        int status;
        long pid = wait(&status);

        if (pid < 0) { /* -ECHILD: cannot happen while the shell runs */
            printf("init: wait: error %ld\n", -pid);
            return 1;
        }
        if (pid == sh) {
            printf("init: sh exited with status %d\n", status);
            return status;
        }
    }
}
