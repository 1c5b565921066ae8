/*
 * The system calls (include/duet/syscall.h has the numbers and the
 * registers). Every pointer from user space goes through mm/uaccess.h,
 * so a bad one is an -EFAULT for the program, never a kernel fault.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/syscall.h>
#include <duet/thread.h>
#include <duet/trap.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/kmalloc.h>
#include <mm/uaccess.h>

#define STDIN_FD  0
#define STDOUT_FD 1
#define STDERR_FD 2

/* Each call takes the six argument registers and returns the result register. */
typedef long (*syscall_fn)(const u64 arg[6]);

static long sys_write(const u64 arg[6])
{
    u64 fd = arg[0], buf = arg[1], len = arg[2];
    struct aspace *as = proc_current_aspace();
    char chunk[256];

    if (fd != STDOUT_FD && fd != STDERR_FD)
        return -EBADF;
    /* All of it must be readable before any of it is written. */
    if (user_range_check(as, buf, len, false))
        return -EFAULT;
    for (u64 done = 0; done < len;) {
        size_t n = MIN(len - done, sizeof(chunk));
        if (copy_from_user(as, chunk, buf + done, n))
            return done ? (long)done : -EFAULT;
        console_write(chunk, n);
        done += n;
    }
    return (long)len;
}

static long sys_exit(const u64 arg[6])
{
    proc_exit((int)(arg[0] & 0xff), "exited");
}

static long sys_getpid(const u64 arg[6])
{
    return proc_current_pid();
}

static long sys_brk(const u64 arg[6])
{
    return (long)aspace_brk(proc_current_aspace(), arg[0]);
}

static long sys_uptime(const u64 arg[6])
{
    return (long)clock_ns(); /* below 2^63 for 292 years */
}

static long sys_mmap(const u64 arg[6])
{
    /* Anonymous only: no file to map (fd -1), so no offset either. */
    if ((long)arg[4] != -1 || arg[5] != 0)
        return -EINVAL;
    return aspace_mmap(proc_current_aspace(), arg[0], arg[1], (unsigned)arg[2], (unsigned)arg[3]);
}

static long sys_munmap(const u64 arg[6])
{
    return aspace_munmap(proc_current_aspace(), arg[0], arg[1]);
}

static long sys_mprotect(const u64 arg[6])
{
    return aspace_mprotect(proc_current_aspace(), arg[0], arg[1], (unsigned)arg[2]);
}

static long sys_mincore(const u64 arg[6])
{
    u64 addr = arg[0], len = arg[1], vec = arg[2];
    struct aspace *as = proc_current_aspace();
    u8 chunk[256];

    if (len == 0 || addr % PAGE_SIZE || len > USER_END)
        return -EINVAL;
    u64 pages = ALIGN_UP(len, (u64)PAGE_SIZE) / PAGE_SIZE;
    if (user_range_check(as, vec, pages, true))
        return -EFAULT;
    for (u64 done = 0; done < pages;) {
        u64 n = MIN(pages - done, sizeof(chunk));
        int err = aspace_mincore(as, addr + done * PAGE_SIZE, n * PAGE_SIZE, chunk);
        if (err)
            return err;
        if (copy_to_user(as, vec + done, chunk, n))
            return -EFAULT;
        done += n;
    }
    return 0;
}

/* --- processes --------------------------------------------------------------------------- */

static long sys_fork(const u64 arg[6])
{
    return proc_fork();
}

static long sys_getppid(const u64 arg[6])
{
    return proc_getppid();
}

/*
 * A NUL-terminated string of at most max - 1 bytes from user memory into
 * dst: its length, -EFAULT, or -E2BIG when no NUL comes in time. Read a
 * page's piece at a time: a string may end just before an unmapped page.
 */
static long string_from_user(struct aspace *as, char *dst, vaddr_t src, size_t max)
{
    size_t got = 0;

    while (got < max) {
        size_t n = MIN(max - got, PAGE_SIZE - (src + got) % PAGE_SIZE);
        if (copy_from_user(as, dst + got, src + got, n))
            return -EFAULT;
        for (size_t i = 0; i < n; i++)
            if (dst[got + i] == '\0')
                return (long)(got + i);
        got += n;
    }
    return -E2BIG;
}

#define EXEC_NAME_MAX 64

static long sys_exec(const u64 arg[6])
{
    struct aspace *as = proc_current_aspace();
    char name[EXEC_NAME_MAX];
    const char *argv[EXEC_MAX_ARGS];
    struct exec_result ex;
    int argc = 0;
    long err = string_from_user(as, name, arg[0], sizeof(name));

    if (err < 0)
        return err == -E2BIG ? -ENOENT : err; /* longer than any program's name */
    /* Every string in one page, as exec_load puts them on the stack. */
    char *strings = kmalloc(PAGE_SIZE), *next = strings;
    if (!strings)
        return -ENOMEM;
    for (;; argc++) {
        u64 uptr;
        if (copy_from_user(as, &uptr, arg[1] + argc * sizeof(u64), sizeof(uptr))) {
            err = -EFAULT;
            break;
        }
        if (!uptr)
            break;
        if (argc == EXEC_MAX_ARGS) {
            err = -E2BIG;
            break;
        }
        err = string_from_user(as, next, uptr, (size_t)(strings + PAGE_SIZE - next));
        if (err < 0)
            break;
        argv[argc] = next;
        next += err + 1;
        err = 0;
    }
    if (!err && argc == 0)
        err = -EINVAL; /* a program is told its name in argv[0] */
    if (!err)
        err = proc_exec_load(name, argc, argv, &ex);
    kfree(strings);
    if (err)
        return err;
    proc_exec_commit(name, &ex);
}

static long sys_waitpid(const u64 arg[6])
{
    struct aspace *as = proc_current_aspace();
    vaddr_t status_va = arg[1];
    int status;

    /* Before a child is freed: its status must not be lost on a bad pointer. */
    if (status_va && user_range_check(as, status_va, sizeof(int), true))
        return -EFAULT;
    long pid = proc_wait((long)arg[0], (int)arg[2], &status);
    if (pid > 0 && status_va && copy_to_user(as, status_va, &status, sizeof(status)))
        return -EFAULT;
    return pid;
}

static long sys_kill(const u64 arg[6])
{
    return proc_kill((long)arg[0], (int)arg[1]);
}

static long sys_yield(const u64 arg[6])
{
    sched_yield();
    return 0;
}

#define NS_PER_SEC 1000000000L

static long sys_nanosleep(const u64 arg[6])
{
    struct aspace *as = proc_current_aspace();
    struct timespec req, rem;

    if (copy_from_user(as, &req, arg[0], sizeof(req)))
        return -EFAULT;
    if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= NS_PER_SEC)
        return -EINVAL;
    if (arg[1] && user_range_check(as, arg[1], sizeof(rem), true))
        return -EFAULT;
    /* Past 2^63 ns (292 years) is forever enough. */
    u64 ns = (u64)req.tv_sec >= (u64)__LONG_MAX__ / NS_PER_SEC
                 ? (u64)__LONG_MAX__
                 : (u64)req.tv_sec * NS_PER_SEC + (u64)req.tv_nsec;
    u64 deadline = clock_ns() + ns;
    if (thread_sleep_ns(ns) == 0)
        return 0;
    u64 now = clock_ns(), left = deadline > now ? deadline - now : 0;
    rem = (struct timespec){ .tv_sec = (long)(left / NS_PER_SEC),
                             .tv_nsec = (long)(left % NS_PER_SEC) };
    if (arg[1] && copy_to_user(as, arg[1], &rem, sizeof(rem)))
        return -EFAULT;
    return -EINTR;
}

static long sys_read(const u64 arg[6])
{
    u64 fd = arg[0], buf = arg[1], len = arg[2];
    struct aspace *as = proc_current_aspace();
    char chunk[256];

    if (fd != STDIN_FD)
        return -EBADF;
    if (len == 0)
        return 0;
    /* Bytes taken from the console cannot be put back: check first. */
    if (user_range_check(as, buf, len, true))
        return -EFAULT;
    long n = console_read(chunk, MIN(len, sizeof(chunk)));
    if (n > 0 && copy_to_user(as, buf, chunk, (size_t)n))
        return -EFAULT;
    return n;
}

static long sys_setpgid(const u64 arg[6])
{
    return proc_setpgid((long)arg[0], (long)arg[1]);
}

static long sys_tcsetpgrp(const u64 arg[6])
{
    if (arg[0] != STDIN_FD)
        return -EBADF;
    return proc_set_foreground((long)arg[1]);
}

static long sys_getprocs(const u64 arg[6])
{
    struct aspace *as = proc_current_aspace();
    struct procinfo info[PROC_MAX];
    long n = (long)arg[1];

    if (n < 0)
        return -EINVAL;
    n = MIN(n, (long)PROC_MAX);
    if (user_range_check(as, arg[0], (size_t)n * sizeof(info[0]), true))
        return -EFAULT;
    long count = proc_list(info, n);
    if (copy_to_user(as, arg[0], info, (size_t)MIN(n, count) * sizeof(info[0])))
        return -EFAULT;
    return count;
}

/* The one table both arches dispatch through, one call a line. */
/* clang-format off */
static const syscall_fn syscall_table[SYS_COUNT] = {
    [SYS_write] = sys_write,
    [SYS_exit] = sys_exit,
    [SYS_getpid] = sys_getpid,
    [SYS_brk] = sys_brk,
    [SYS_uptime] = sys_uptime,
    [SYS_mmap] = sys_mmap,
    [SYS_munmap] = sys_munmap,
    [SYS_mprotect] = sys_mprotect,
    [SYS_mincore] = sys_mincore,
    [SYS_fork] = sys_fork,
    [SYS_exec] = sys_exec,
    [SYS_waitpid] = sys_waitpid,
    [SYS_getppid] = sys_getppid,
    [SYS_kill] = sys_kill,
    [SYS_yield] = sys_yield,
    [SYS_nanosleep] = sys_nanosleep,
    [SYS_read] = sys_read,
    [SYS_setpgid] = sys_setpgid,
    [SYS_tcsetpgrp] = sys_tcsetpgrp,
    [SYS_getprocs] = sys_getprocs,
};
/* clang-format on */

long syscall_dispatch(u64 nr, const u64 args[6])
{
    /* The arch's entry masked interrupts; the call runs with them on (a
     * fork that copies megabytes must not hold the tick back), and every
     * lock it takes masks them again while held. The arch's way out wants
     * them masked. */
    arch_irq_enable();
    long result = nr < SYS_COUNT && syscall_table[nr] ? syscall_table[nr](args) : -ENOSYS;
    (void)arch_irq_save();

    proc_user_return();        /* killed meanwhile, or by itself: it ends here */
    sched_preempt_if_needed(); /* a tick during the call spent its slice */
    return result;
}
