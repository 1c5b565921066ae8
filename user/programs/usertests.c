/*
 * User-space tests of processes and memory, in the spirit of xv6's
 * usertests: each test is a function, run in a child of its own so that a
 * test that crashes or hangs fails alone. Prints "usertests: <name>: ok"
 * or "usertests: <name>: FAILED: <why>" per test and "usertests: all N
 * passed" at the end; exits 0 only when every test passed.
 *
 *   usertests                      every test, in table order
 *   usertests fork_many bad_ptrs   only those
 *
 * A status, as waitpid gives it, is the exit status, or 128 + the signal
 * that ended the process: 137 kill -9, 139 a memory fault.
 */
#include <ulib.h>

#define RW          (PROT_READ | PROT_WRITE)
#define ANON        (MAP_PRIVATE | MAP_ANONYMOUS)
#define NS_PER_MS   1000000L
#define TEST_MAX_MS 60000 /* a test still running then has hung */
#define STATUS_KILL (128 + SIGKILL)
#define STATUS_SEGV 139

static const char *test_name;

/* End the test (the child running it) with a reason; the runner sees 1. */
static __noreturn __printf(2, 3) void fail(int line, const char *fmt, ...)
{
    va_list ap;

    printf("usertests: %s: FAILED: line %d: ", test_name, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

#define CHECK(cond)                      \
    do {                                 \
        if (!(cond))                     \
            fail(__LINE__, "%s", #cond); \
    } while (0)

#define CHECK_EQ(got, want)                                               \
    do {                                                                  \
        long got_ = (long)(got), want_ = (long)(want);                    \
        if (got_ != want_)                                                \
            fail(__LINE__, "%s is %ld, expected %ld", #got, got_, want_); \
    } while (0)

/* --- helpers ---------------------------------------------------------------- */

/* Fork a child that runs fn and exits with what it returns. */
static long spawn(int (*fn)(void))
{
    long pid = fork();

    if (pid == 0)
        exit(fn());
    if (pid < 0)
        fail(__LINE__, "fork returned %ld", pid);
    return pid;
}

static long watchdog_ms; /* how long sleep_watchdog sleeps, set before the fork */

static int sleep_watchdog(void)
{
    msleep(watchdog_ms);
    return 0;
}

/*
 * The status of child pid, waiting at most ms milliseconds: -1 if it was
 * still running then (it is killed and reaped, so nothing is left behind).
 * A watchdog child sleeps ms, and the caller, which has no other child,
 * waits for whichever of the two ends first: woken by pid's end itself,
 * where polling it every few milliseconds left the machine idle until the
 * next poll.
 */
static int status_within(long pid, long ms)
{
    watchdog_ms = ms;
    long dog = spawn(sleep_watchdog);
    int status = -1;
    long first = waitpid(-1, &status, 0);

    if (first != pid && first != dog)
        fail(__LINE__, "waitpid(-1) returned %ld", first);
    kill(first == pid ? dog : pid, SIGKILL);
    waitpid(first == pid ? dog : pid, NULL, 0);
    return first == pid ? status : -1;
}

static int status_of(long pid)
{
    int status = -1;
    long got = waitpid(pid, &status, 0);

    if (got != pid)
        fail(__LINE__, "waitpid(%ld) returned %ld", pid, got);
    return status;
}

/* Pages of [p, p + pages pages) in memory now, by mincore. */
static int resident(const void *p, int pages)
{
    unsigned char vec[64];
    int n = 0, err;

    if (pages > 64)
        fail(__LINE__, "resident: at most 64 pages");
    err = mincore((void *)p, (size_t)pages * PAGE_SIZE, vec);
    if (err)
        fail(__LINE__, "mincore returned %d", err);
    for (int i = 0; i < pages; i++)
        n += vec[i] & 1;
    return n;
}

static char *map(size_t pages, int flags)
{
    char *p = mmap(NULL, pages * PAGE_SIZE, RW, flags, -1, 0);

    if (MMAP_FAILED(p))
        fail(__LINE__, "mmap of %lu pages (flags 0x%x) returned %ld", (unsigned long)pages, flags,
             (long)p);
    return p;
}

/* Addresses no system call may read or write through: NULL, the kernel's
 * image, unmapped user memory, and 8 bytes that cross the top of user space. */
static void *const bad_ptrs[] = {
    NULL,
    (void *)KERNEL_VIRT_BASE,
    (void *)(USER_BASE + 0x40000000000UL),
    (void *)(USER_END - 8),
};
#define BAD_PTRS (sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))

/* --- fork, exit, wait --------------------------------------------------------- */

static int sleep_10s(void)
{
    msleep(10000);
    return 0;
}

/* 1000 rounds of fork, exit and wait: each status comes back to the parent. */
static void fork_many(void)
{
    const int rounds = 1000;
    long start = uptime();

    for (int i = 0; i < rounds; i++) {
        int status = -1;
        long pid = fork();
        if (pid == 0)
            exit(i & 0x7f);
        if (pid < 0)
            fail(__LINE__, "round %d: fork returned %ld", i, pid);
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK_EQ(status, i & 0x7f);
    }
    CHECK_EQ(wait(NULL), -ECHILD);
    printf("usertests: fork_many: %d rounds, %ld us each\n", rounds,
           (uptime() - start) / 1000 / rounds);
}

static void wait_no_children(void)
{
    int status = 12345;

    CHECK_EQ(wait(&status), -ECHILD);
    CHECK_EQ(waitpid(-1, &status, WNOHANG), -ECHILD);
    CHECK_EQ(waitpid(getpid(), &status, 0), -ECHILD); /* not a child of itself */
    CHECK_EQ(status, 12345);                          /* and nothing written */
}

static int exit_2(void)
{
    return 2;
}

/* WNOHANG answers 0 while the child runs; waitpid(pid) waits for that child
 * even when another ended first; a child is reaped only once. The slow
 * child would sleep 10 s: it runs until the parent kills it, after its
 * WNOHANG and once the fast one has ended (it ran while the parent slept),
 * so no timing decides the order. */
static void waitpid_nohang(void)
{
    int status = -1;
    long slow = spawn(sleep_10s);
    long fast = spawn(exit_2);

    CHECK_EQ(waitpid(slow, &status, WNOHANG), 0);
    msleep(10);
    CHECK_EQ(kill(slow, SIGTERM), 0);
    CHECK_EQ(waitpid(slow, &status, 0), slow);
    CHECK_EQ(status, 128 + SIGTERM);
    CHECK_EQ(waitpid(slow, &status, WNOHANG), -ECHILD);
    CHECK_EQ(wait(&status), fast);
    CHECK_EQ(status, 2);
    CHECK_EQ(wait(&status), -ECHILD);
}

static long parent_pid;

static int ppid_is_parent(void)
{
    return getppid() == parent_pid ? 0 : 1;
}

static void getppid_in_child(void)
{
    parent_pid = getpid();
    CHECK_EQ(status_of(spawn(ppid_is_parent)), 0);
}

/* getprocs lists this process as running, with its parent and its name. */
static void getprocs_lists_self(void)
{
    struct procinfo procs[64];
    long me = getpid();
    long n;
    bool found = false;

    memset(procs, 0x55, sizeof(procs));
    n = getprocs(procs, 64);
    CHECK(n >= 2 && n <= 64); /* this test and the runner at least */
    for (long i = 0; i < n; i++) {
        if (procs[i].pid != me)
            continue;
        found = true;
        CHECK_EQ(procs[i].ppid, getppid());
        CHECK_EQ(procs[i].state, 'R');
        CHECK(strcmp(procs[i].name, "usertests") == 0);
        CHECK(procs[i].mapped_bytes >= 3 * PAGE_SIZE); /* text, data, stack */
    }
    CHECK(found);
    /* At most n filled in, the count still all of them. */
    memset(procs, 0x55, sizeof(procs));
    CHECK_EQ(getprocs(procs, 1), n);
    CHECK_EQ(((unsigned char *)&procs[1])[0], 0x55);
}

static void yield_returns(void)
{
    for (int i = 0; i < 100; i++)
        CHECK_EQ(yield(), 0);
}

/* --- memory after fork ------------------------------------------------------ */

#define HEAP_PAGES 16

static int data_var = 1;
static int bss_var;
/* Where the test wrote, one int per place; volatile so each check reads memory. */
static volatile int *places[4 + HEAP_PAGES + HEAP_PAGES];
static int nplaces;

static void set_all(int v)
{
    for (int i = 0; i < nplaces; i++)
        *places[i] = v;
}

static bool all_are(int v)
{
    for (int i = 0; i < nplaces; i++)
        if (*places[i] != v)
            return false;
    return true;
}

/*
 * Parent and child each see the memory as it was at the fork, then only
 * their own writes: data, bss, stack, heap and private mmap pages. The
 * parent writes right after fork, racing the child's first look; a page
 * left shared shows in one of them. A page neither touched before the
 * fork stays the child's alone too, and the child's heap growth is not
 * the parent's.
 */
static void fork_memory(void)
{
    volatile int stack_var = 1;
    char *heap = sbrk(HEAP_PAGES * PAGE_SIZE);
    char *m = map(HEAP_PAGES + 1, ANON);
    char *untouched = m + HEAP_PAGES * PAGE_SIZE;
    long pid;

    CHECK(heap != NULL);
    places[nplaces++] = &data_var;
    places[nplaces++] = &bss_var;
    places[nplaces++] = &stack_var;
    for (int i = 0; i < HEAP_PAGES; i++) {
        places[nplaces++] = (volatile int *)(heap + i * PAGE_SIZE);
        places[nplaces++] = (volatile int *)(m + i * PAGE_SIZE + 4 * i);
    }
    set_all(1);

    pid = fork();
    if (pid == 0) {
        bool saw_fork_state = all_are(1);
        set_all(2);
        untouched[0] = 9;
        exit(!saw_fork_state * 1 + !all_are(2) * 2 + (sbrk(PAGE_SIZE) == NULL) * 4);
    }
    CHECK(pid > 0);
    set_all(3);
    CHECK_EQ(status_of(pid), 0);
    CHECK(all_are(3));
    CHECK_EQ(resident(untouched, 1), 0);
    CHECK_EQ(untouched[0], 0);
    CHECK(sbrk(0) == heap + HEAP_PAGES * PAGE_SIZE);
}

/* A child's child sees the child's memory as it was at its own fork. */
static void fork_nested(void)
{
    long pid;

    data_var = 1;
    pid = fork();
    if (pid == 0) {
        long grandchild;
        int status = -1;

        data_var = 2;
        grandchild = fork();
        if (grandchild == 0)
            exit(data_var);
        data_var = 3;
        if (grandchild < 0 || waitpid(grandchild, &status, 0) != grandchild)
            exit(2);
        exit(status == 2 && data_var == 3 ? 0 : 1);
    }
    CHECK(pid > 0);
    CHECK_EQ(status_of(pid), 0);
    CHECK_EQ(data_var, 1);
}

static volatile int *shared;

static int shared_writer(void)
{
    int saw = shared[0];

    shared[0] = 2;
    shared[PAGE_SIZE / sizeof(int)] = 3; /* a page nobody touched before the fork */
    return saw == 1 ? 0 : 1;
}

static int shared_waiter(void)
{
    for (int i = 0; i < 200 && shared[0] != 4; i++)
        msleep(5);
    return shared[0] == 4 ? 0 : 1;
}

/* MAP_SHARED memory is the same pages in parent and child, both ways,
 * while a private mapping made next to it is not. */
static void shared_memory(void)
{
    shared = (volatile int *)map(2, MAP_SHARED | MAP_ANONYMOUS);
    shared[0] = 1;
    CHECK_EQ(status_of(spawn(shared_writer)), 0);
    CHECK_EQ(shared[0], 2);
    CHECK_EQ(shared[PAGE_SIZE / sizeof(int)], 3);

    long pid = spawn(shared_waiter);
    msleep(20);
    shared[0] = 4;
    CHECK_EQ(status_of(pid), 0);
}

/* Heap and mmap pages exist only once touched. */
static void lazy_pages(void)
{
    char *h = sbrk((HEAP_PAGES + 1) * PAGE_SIZE);
    char *m = map(HEAP_PAGES, ANON);

    CHECK(h != NULL);
    h = (char *)(((uintptr_t)h + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1));
    CHECK_EQ(resident(h, HEAP_PAGES), 0);
    CHECK_EQ(resident(m, HEAP_PAGES), 0);
    h[3 * PAGE_SIZE] = 1;
    m[5 * PAGE_SIZE + 7] = 1;
    CHECK_EQ(resident(h, HEAP_PAGES), 1);
    CHECK_EQ(resident(h + 3 * PAGE_SIZE, 1), 1);
    CHECK_EQ(resident(m, HEAP_PAGES), 1);
    CHECK_EQ(resident(m + 5 * PAGE_SIZE, 1), 1);
    CHECK_EQ(m[6 * PAGE_SIZE], 0);
}

static char *victim;

static int touch_after_munmap(void)
{
    (void)*(volatile char *)victim; /* a TLB entry for it, which munmap must end */
    if (munmap(victim, PAGE_SIZE))
        return 2;
    (void)*(volatile char *)victim;
    return 0;
}

static int write_after_mprotect(void)
{
    victim[0] = 2; /* a writable TLB entry, which mprotect must end */
    if (mprotect(victim, PAGE_SIZE, PROT_READ))
        return 2;
    if (victim[0] != 2)
        return 3;
    victim[0] = 3;
    return 0;
}

/*
 * munmap and mprotect take effect at once: the child's next touch faults,
 * which ends the child only (status 139), and the parent's own mapping of
 * the same address is untouched by what the child did.
 */
static void munmap_mprotect_fault(void)
{
    /* Two pages, both touched: the page table stays for the second one, so
     * only munmap's own TLB invalidation can end the first one's entry. */
    victim = map(2, ANON);
    victim[0] = 1;
    victim[PAGE_SIZE] = 1;
    CHECK_EQ(status_of(spawn(touch_after_munmap)), STATUS_SEGV);
    CHECK_EQ(victim[0], 1);
    CHECK_EQ(status_of(spawn(write_after_mprotect)), STATUS_SEGV);
    victim[0] = 5;
    CHECK_EQ(victim[0], 5);
}

static __noinline int descend(unsigned depth, unsigned frames)
{
    volatile char frame[1024];
    int sum = 0;

    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = (char)depth;
    /* The array's address escapes, so all of it must exist: clang keeps
     * only the bytes a function uses of a volatile array otherwise. */
    __asm__ volatile("" : : "r"(frame) : "memory");
    if (depth + 1 < frames)
        sum = descend(depth + 1, frames);
    /* The frame is used after the call, so it must live across it: clang
     * turns `return sum + ...` recursion into a loop otherwise, and the
     * stack would not grow at all. */
    frame[1] = (char)(sum != 0);
    return frame[1] + (frame[0] == (char)depth && frame[sizeof(frame) - 1] == (char)depth ? 0 : 1);
}

static int grow_1mib(void)
{
    return descend(0, 1024) ? 1 : 0;
}

static int grow_16mib(void)
{
    descend(0, 16 * 1024);
    return 0;
}

/* A child's stack grows to 1 MiB on touch; past USER_STACK_MAX it meets the
 * guard page and the child alone dies. */
static void stack_grows_in_child(void)
{
    CHECK_EQ(status_of(spawn(grow_1mib)), 0);
    CHECK_EQ(status_of(spawn(grow_16mib)), STATUS_SEGV);
}

/* --- kill, exec, sleep -------------------------------------------------------- */

/* kill ends a sleeping child at once, with 128 + the signal; a pid that is
 * gone is -ESRCH, a signal that is not one of the three -EINVAL. */
static void kill_sleeping(void)
{
    long pid = spawn(sleep_10s);
    long start;

    msleep(20);
    CHECK_EQ(kill(pid, 99), -EINVAL);
    start = uptime();
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(status_of(pid), STATUS_KILL);
    CHECK((uptime() - start) < 5000 * NS_PER_MS); /* not its 10 s sleep */
    CHECK_EQ(kill(pid, SIGKILL), -ESRCH);

    pid = spawn(sleep_10s);
    CHECK_EQ(kill(pid, SIGTERM), 0);
    CHECK_EQ(status_of(pid), 128 + SIGTERM);
    pid = spawn(sleep_10s);
    CHECK_EQ(kill(pid, SIGINT), 0);
    CHECK_EQ(status_of(pid), 128 + SIGINT);
}

static int exec_status_42(void)
{
    char *argv[] = { "status", "42", NULL };

    exec("status", argv);
    return 1;
}

/* exec of a program the kernel does not carry fails and the caller goes on;
 * one it carries replaces the child and gets its arguments. */
static void exec_missing(void)
{
    char *argv[] = { "no_such_program", NULL };

    CHECK_EQ(exec("no_such_program", argv), -ENOENT);
    CHECK_EQ(exec("", argv), -ENOENT);
    CHECK_EQ(status_of(spawn(exec_status_42)), 42);
}

/* nanosleep sleeps at least what it was asked, by the kernel's clock: 30 ms,
 * three of its 10 ms ticks, so that a sleep cut short by a tick shows. */
static void sleep_30ms(void)
{
    struct timespec bad_nsec = { .tv_sec = 0, .tv_nsec = 1000000000 };
    struct timespec negative = { .tv_sec = -1, .tv_nsec = 0 };
    struct timespec zero = { 0, 0 };
    long start = uptime(), slept;

    CHECK_EQ(msleep(30), 0);
    slept = uptime() - start;
    if (slept < 30 * NS_PER_MS)
        fail(__LINE__, "msleep(30) slept %ld us", slept / 1000);
    CHECK_EQ(nanosleep(&bad_nsec, NULL), -EINVAL);
    CHECK_EQ(nanosleep(&negative, NULL), -EINVAL);
    CHECK_EQ(nanosleep(&zero, NULL), 0);
}

/* --- bad pointers ------------------------------------------------------------ */

static void *bad_ptr;

static int read_bad_buffer(void)
{
    return read(0, bad_ptr, 1) == -EFAULT ? 0 : 1;
}

/* Every process call that takes a pointer refuses a bad one with -EFAULT. */
static void bad_ptrs_efault(void)
{
    struct procinfo one;
    char *good_argv[] = { "status", NULL };

    for (size_t i = 0; i < BAD_PTRS; i++) {
        void *bad = bad_ptrs[i];
        char *bad_argv[] = { bad, NULL };
        struct timespec ms = { 0, NS_PER_MS };

        /* NULL is no status and no remainder: those two take the others. */
        if (bad) {
            long pid = spawn(exit_2);
            int status = -1;

            if (waitpid(pid, bad, 0) != -EFAULT)
                fail(__LINE__, "waitpid with status %p did not return -EFAULT", bad);
            /* The child is not lost with its status: a good wait still gets it. */
            CHECK_EQ(waitpid(pid, &status, 0), pid);
            CHECK_EQ(status, 2);
            if (nanosleep(&ms, bad) != -EFAULT)
                fail(__LINE__, "nanosleep with rem %p did not return -EFAULT", bad);
        }
        if (nanosleep(bad, NULL) != -EFAULT)
            fail(__LINE__, "nanosleep with req %p did not return -EFAULT", bad);
        if (exec(bad, good_argv) != -EFAULT)
            fail(__LINE__, "exec with name %p did not return -EFAULT", bad);
        if (exec("status", bad) != -EFAULT)
            fail(__LINE__, "exec with argv %p did not return -EFAULT", bad);
        if (bad && exec("status", bad_argv) != -EFAULT)
            fail(__LINE__, "exec with argv[0] %p did not return -EFAULT", bad);
        if (getprocs(bad, 4) != -EFAULT)
            fail(__LINE__, "getprocs with buf %p did not return -EFAULT", bad);
        /* read may block for a byte: a child, given two seconds to answer. */
        bad_ptr = bad;
        if (status_within(spawn(read_bad_buffer), 2000) != 0)
            fail(__LINE__, "read with buf %p did not return -EFAULT at once", bad);
    }
    CHECK(getprocs(&one, 1) >= 1); /* and a good one still works */
}

/* --- limits ------------------------------------------------------------------ */

#define BOMB_MAX 4096
static long bomb[BOMB_MAX];

/* Fork until the kernel says -EAGAIN; kill and reap every child; fork works
 * again afterwards. */
static void fork_bomb(void)
{
    long n = 0, err = 0;
    int status;

    while (n < BOMB_MAX) {
        long pid = fork();
        if (pid == 0) {
            msleep(30000);
            exit(1);
        }
        if (pid < 0) {
            err = pid;
            break;
        }
        bomb[n++] = pid;
    }
    for (long i = 0; i < n; i++)
        kill(bomb[i], SIGKILL);
    for (long i = 0; i < n; i++) {
        long pid = wait(&status);
        if (pid < 0)
            fail(__LINE__, "wait returned %ld with %ld children left", pid, n - i);
        CHECK_EQ(status, STATUS_KILL);
    }
    CHECK_EQ(err, -EAGAIN);
    CHECK_EQ(wait(NULL), -ECHILD);
    printf("usertests: fork_bomb: %ld children, then EAGAIN\n", n);
    CHECK_EQ(status_of(spawn(exit_2)), 2);
}

static int orphan_maker(void)
{
    long pid = fork();

    if (pid == 0) {
        msleep(3000); /* long enough to be looked at; killed before */
        exit(0);
    }
    return pid > 0 ? 0 : 1;
}

/*
 * A process whose parent ends is given to the kernel, whose reaper waits
 * for it (kernel/proc.h): the grandchild, found by its process group,
 * which it shares with this test, has ppid 0 once its parent is gone.
 */
static void orphan_reparented(void)
{
    static struct procinfo procs[64];
    long me = getpid(), n, group = -1, orphan = -1, ppid = -1;

    CHECK_EQ(status_of(spawn(orphan_maker)), 0);
    n = getprocs(procs, 64);
    for (long i = 0; i < n && i < 64; i++)
        if (procs[i].pid == me)
            group = procs[i].pgid;
    for (long i = 0; i < n && i < 64; i++)
        if (procs[i].pid != me && procs[i].pid != getppid() && procs[i].pgid == group &&
            procs[i].state != 'Z' && strcmp(procs[i].name, "usertests") == 0) {
            orphan = procs[i].pid;
            ppid = procs[i].ppid;
        }
    if (orphan < 0)
        fail(__LINE__, "the orphan is not among the %ld processes", n);
    kill(orphan, SIGKILL);
    CHECK_EQ(ppid, 0);
}

#ifdef __aarch64__
/* TPIDR_EL0, the thread register a program may write (its TLS pointer):
 * fork's child starts with its parent's, as with every other register,
 * and each keeps its own across switches. */
#define TLS_PARENT 0x5eed0000cafe0001ul
#define TLS_CHILD  0x5eed0000cafe0002ul

static unsigned long read_tls(void)
{
    unsigned long v;

    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
    return v;
}

static void write_tls(unsigned long v)
{
    __asm__ volatile("msr tpidr_el0, %0" : : "r"(v));
}

static int tls_child(void)
{
    if (read_tls() != TLS_PARENT)
        return 1;
    write_tls(TLS_CHILD);
    yield(); /* the parent runs meanwhile, with its own value */
    return read_tls() == TLS_CHILD ? 0 : 2;
}

static void fork_keeps_tls(void)
{
    int status;

    write_tls(TLS_PARENT);
    long pid = spawn(tls_child);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(status == 0);
    CHECK(read_tls() == TLS_PARENT);
}
#endif

/* --- the runner -------------------------------------------------------------- */

struct test {
    const char *name;
    void (*fn)(void);
};

static const struct test tests[] = {
    { "fork_many", fork_many },
    { "wait_no_children", wait_no_children },
    { "waitpid_nohang", waitpid_nohang },
    { "getppid", getppid_in_child },
    { "getprocs", getprocs_lists_self },
    { "yield", yield_returns },
    { "fork_memory", fork_memory },
    { "fork_nested", fork_nested },
    { "shared_memory", shared_memory },
    { "lazy_pages", lazy_pages },
    { "munmap_mprotect", munmap_mprotect_fault },
    { "stack_grow", stack_grows_in_child },
    { "kill_sleeping", kill_sleeping },
    { "exec_missing", exec_missing },
    { "sleep_30ms", sleep_30ms },
    { "bad_ptrs", bad_ptrs_efault },
    { "fork_bomb", fork_bomb },
    { "orphan", orphan_reparented },
#ifdef __aarch64__
    { "fork_keeps_tls", fork_keeps_tls },
#endif
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/* Run one test in a child; true if it passed. The runner has no other children. */
static bool run_test(const struct test *t)
{
    long pid;
    int status;

    test_name = t->name;
    pid = fork();
    if (pid == 0) {
        t->fn();
        exit(0);
    }
    if (pid < 0) {
        printf("usertests: %s: FAILED: fork returned %ld\n", t->name, pid);
        return false;
    }
    status = status_within(pid, TEST_MAX_MS);
    if (status == 0)
        printf("usertests: %s: ok\n", t->name);
    else if (status == -1)
        printf("usertests: %s: FAILED: still running after %d s\n", t->name, TEST_MAX_MS / 1000);
    else if (status != 1) /* 1: the test said why */
        printf("usertests: %s: FAILED: ended with status %d\n", t->name, status);
    return status == 0;
}

static const struct test *find_test(const char *name)
{
    for (size_t i = 0; i < NTESTS; i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

int main(int argc, char **argv)
{
    int run = 0, passed = 0;

    for (int i = 1; i < argc; i++) {
        if (!find_test(argv[i])) {
            printf("usertests: no test called %s; the tests:", argv[i]);
            for (size_t j = 0; j < NTESTS; j++)
                printf(" %s", tests[j].name);
            printf("\n");
            return 2;
        }
    }
    for (size_t i = 0; i < NTESTS; i++) {
        bool chosen = argc == 1;
        for (int j = 1; j < argc; j++)
            chosen |= strcmp(argv[j], tests[i].name) == 0;
        if (!chosen)
            continue;
        run++;
        passed += run_test(&tests[i]);
    }
    if (passed == run) {
        printf("usertests: all %d passed\n", run);
        return 0;
    }
    printf("usertests: %d of %d FAILED\n", run - passed, run);
    return 1;
}
