/*
 * Forks until the kernel refuses (-EAGAIN: the process table is full),
 * then kills every child, reaps them all and forks once more, which must
 * work again: a full table ends in a refusal, not a hang, and its slots
 * come back. Each child only sleeps, so the bomb costs slots, not memory
 * or CPU. Prints "forkbomb: N processes, then EAGAIN" and "forkbomb: ok",
 * exit 0; or what went wrong, exit 1.
 */
#include <ulib.h>

#define MAX_CHILDREN   4096
#define CHILD_SLEEP_MS 30000 /* killed long before; the bound if kill is broken */

static long children[MAX_CHILDREN];

int main(int argc, char **argv)
{
    long n = 0, err = 0, killed = 0;
    int status, failures = 0;

    while (n < MAX_CHILDREN) {
        long pid = fork();
        if (pid == 0) {
            msleep(CHILD_SLEEP_MS);
            exit(1);
        }
        if (pid < 0) {
            err = pid;
            break;
        }
        children[n++] = pid;
    }
    if (err == -EAGAIN) {
        printf("forkbomb: %ld processes, then EAGAIN\n", n);
    } else {
        printf("forkbomb: %ld processes, then %ld, not -EAGAIN\n", n, err);
        failures++;
    }

    for (long i = 0; i < n; i++)
        kill(children[i], SIGKILL);
    for (long i = 0; i < n; i++) {
        long pid = wait(&status);
        if (pid < 0) {
            printf("forkbomb: wait returned %ld with %ld children left\n", pid, n - i);
            failures++;
            break;
        }
        killed += status == 128 + SIGKILL;
    }
    if (killed != n) {
        printf("forkbomb: %ld of %ld children ended by kill -9\n", killed, n);
        failures++;
    }
    if (wait(&status) != -ECHILD) {
        printf("forkbomb: a child is left after reaping them all\n");
        failures++;
    }

    /* The slots are free again. */
    long pid = fork();
    if (pid == 0)
        exit(7);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 7) {
        printf("forkbomb: fork after the bomb: %ld, status %d\n", pid, status);
        failures++;
    }
    if (failures)
        return 1;
    printf("forkbomb: ok\n");
    return 0;
}
