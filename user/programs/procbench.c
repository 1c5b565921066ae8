/*
 * What processes cost, in guest time by the kernel's own clock (uptime):
 * a null system call, a switch between two processes, fork + exit +
 * wait, a demand-zero fault and a copy-on-write fault. `make bench-proc`
 * runs it on each arch, then the monitor's `irqs`, whose "ns each" is the
 * timer interrupt's handler; docs/performance.md has the figures. Each figure is the best
 * of ROUNDS rounds: the host's other work only ever adds time.
 */
#include <ulib.h>

#define ROUNDS 3

static long best = -1;

static void keep_best(long ns)
{
    if (best < 0 || ns < best)
        best = ns;
}

static void report(const char *what, long ops)
{
    printf("procbench: %-32s %8ld ns\n", what, best / ops);
    best = -1;
}

static void null_syscall(void)
{
    const long n = 20000;

    for (int r = 0; r < ROUNDS; r++) {
        long t0 = uptime();
        for (long i = 0; i < n; i++)
            getpid();
        keep_best(uptime() - t0);
    }
    report("null system call (getpid)", n);
}

/* Two processes yield to each other: each yield is one switch. */
static void process_switch(void)
{
    const long n = 5000;

    for (int r = 0; r < ROUNDS; r++) {
        long t0 = uptime();
        long pid = fork();
        if (pid == 0) {
            for (long i = 0; i < n; i++)
                yield();
            exit(0);
        }
        for (long i = 0; i < n; i++)
            yield();
        waitpid(pid, NULL, 0);
        keep_best(uptime() - t0);
    }
    report("switch between two processes", 2 * n);
}

static void fork_exit_wait(void)
{
    const long n = 200;

    for (int r = 0; r < ROUNDS; r++) {
        long t0 = uptime();
        for (long i = 0; i < n; i++) {
            long pid = fork();
            if (pid == 0)
                exit(0);
            waitpid(pid, NULL, 0);
        }
        keep_best(uptime() - t0);
    }
    report("fork + exit + wait", n);
}

#define FAULT_PAGES 256

static void demand_zero_fault(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        volatile char *heap = sbrk(FAULT_PAGES * PAGE_SIZE);
        long t0 = uptime();
        for (long i = 0; i < FAULT_PAGES; i++)
            heap[i * PAGE_SIZE] = 1;
        keep_best(uptime() - t0);
        sbrk(-FAULT_PAGES * PAGE_SIZE);
    }
    report("demand-zero fault (first write)", FAULT_PAGES);
}

/*
 * A child writes a byte to each page it shares with its parent. The time
 * comes back through a MAP_SHARED page: there are no pipes.
 */
static void cow_fault(void)
{
    volatile char *heap = sbrk(FAULT_PAGES * PAGE_SIZE);
    volatile long *result =
        mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (MMAP_FAILED(result)) {
        printf("procbench: copy-on-write fault: no MAP_SHARED page\n");
        return;
    }
    for (long i = 0; i < FAULT_PAGES; i++)
        heap[i * PAGE_SIZE] = 1;
    for (int r = 0; r < ROUNDS; r++) {
        long pid = fork();
        if (pid == 0) {
            long t0 = uptime();
            for (long i = 0; i < FAULT_PAGES; i++)
                heap[i * PAGE_SIZE] = 2;
            *result = uptime() - t0;
            exit(0);
        }
        waitpid(pid, NULL, 0);
        keep_best(*result);
    }
    report("copy-on-write fault (first write)", FAULT_PAGES);
    munmap((void *)result, PAGE_SIZE);
    sbrk(-FAULT_PAGES * PAGE_SIZE);
}

int main(int argc, char **argv)
{
    null_syscall();
    process_switch();
    fork_exit_wait();
    demand_zero_fault();
    cow_fault();
    return 0;
}
