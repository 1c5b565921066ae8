/*
 * The system calls (include/duet/syscall.h has the numbers and the
 * registers). Every pointer from user space goes through mm/uaccess.h,
 * so a bad one is an -EFAULT for the program, never a kernel fault.
 */
#include <duet/clock.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/syscall.h>
#include <duet/trap.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/uaccess.h>

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
};
/* clang-format on */

long syscall_dispatch(u64 nr, const u64 args[6])
{
    if (nr >= SYS_COUNT || !syscall_table[nr])
        return -ENOSYS;
    return syscall_table[nr](args);
}
