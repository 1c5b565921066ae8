/*
 * The first process of a session: starts the shell and reaps every child,
 * its own and the orphans the kernel hands it when their parent ends first
 * (a process that has ended stays a zombie, holding its slot, until its
 * parent waits for it). When the shell ends, init ends whatever the session
 * left running, says "init: sh exited with status N" and exits with N.
 */
#include <ulib.h>

#define MAX_PROCS 128

/* Whether process i of the snapshot descends from pid `ancestor`. */
static bool descends_from(const struct procinfo *procs, long n, long i, long ancestor)
{
    /* Each step goes one generation up; n steps are enough for any chain. */
    for (long steps = 0; steps < n; steps++) {
        long parent = procs[i].ppid;
        if (parent == ancestor)
            return true;
        for (i = 0; i < n && procs[i].pid != parent; i++)
            ;
        if (i == n)
            return false;
    }
    return false;
}

/*
 * Kill what the session left behind (background jobs the shell did not wait
 * for, and their children) and reap it, so that nothing of the session
 * outlives init. Killing a parent hands its children to init, hence the
 * loop: until a snapshot shows no descendant left.
 */
static void end_session(void)
{
    static struct procinfo procs[MAX_PROCS];
    long me = getpid();

    for (;;) {
        long n = getprocs(procs, MAX_PROCS);
        int killed = 0;

        if (n > MAX_PROCS)
            n = MAX_PROCS;
        for (long i = 0; i < n; i++) {
            if (procs[i].state == 'Z' || !descends_from(procs, n, i, me))
                continue;
            printf("init: killing %s (pid %d), left running\n", procs[i].name, procs[i].pid);
            kill(procs[i].pid, SIGKILL);
            killed++;
        }
        while (waitpid(-1, NULL, 0) > 0)
            ;
        if (!killed)
            return;
    }
}

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
            end_session();
            printf("init: sh exited with status %d\n", status);
            return status;
        }
        /* An orphan, or a zombie the shell left: reaped, nothing to say. */
    }
}
