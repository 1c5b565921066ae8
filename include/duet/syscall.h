/*
 * The system-call ABI, one table for both arches (kernel/syscall.c) and
 * the user library (user/lib/).
 *
 *   x86_64   `syscall`: number in rax, arguments in rdi, rsi, rdx, r10,
 *            r8, r9; result in rax; rcx and r11 are clobbered (the CPU
 *            keeps the return address and RFLAGS there).
 *   AArch64  `svc #0`: number in x8, arguments in x0..x5; result in x0.
 *
 * The same registers as Linux, so objdump output and gdb sessions look
 * familiar. A result in [-4095, -1] is -errno (include/duet/errno.h).
 */
#ifndef DUET_SYSCALL_H
#define DUET_SYSCALL_H

#define SYS_write     0 /* long write(int fd, const void *buf, size_t len): fd 1 or 2 */
#define SYS_exit      1 /* void exit(int status): status 0..255 */
#define SYS_getpid    2 /* long getpid(void) */
#define SYS_brk       3 /* void *brk(void *addr): addr 0 asks; returns the new break */
#define SYS_uptime    4 /* long uptime(void): nanoseconds since boot (the monotonic clock) */
/* void *mmap(void *addr, size_t len, int prot, int flags, int fd, long offset):
 * private anonymous memory (fd -1, offset 0); mm/aspace.h has the rules */
#define SYS_mmap      5
#define SYS_munmap    6 /* int munmap(void *addr, size_t len) */
#define SYS_mprotect  7 /* int mprotect(void *addr, size_t len, int prot) */
/* int mincore(void *addr, size_t len, unsigned char *vec): vec[i] = 1 when page i is in memory */
#define SYS_mincore   8
/*
 * Processes (kernel/proc.c, docs/processes.md). A status, as wait reports
 * it, is what the shell shows: the exit status 0..255, or 128 + the
 * signal for a process that was ended (130 Ctrl-C, 137 kill -9, 139 a
 * memory fault, 132 an instruction it may not run).
 */
#define SYS_fork      9 /* long fork(void): the child's pid, 0 in the child; -EAGAIN, -ENOMEM */
/* long exec(const char *name, char *const argv[]): a program the kernel carries, argv
 * NULL-terminated; returns only on error: -ENOENT, -E2BIG, -EFAULT, -ENOEXEC, -ENOMEM */
#define SYS_exec      10
/* long waitpid(long pid, int *status, int options): pid -1 any child; WNOHANG; the
 * child's pid (0: WNOHANG and none ended), -ECHILD, -EFAULT, -EINTR (killed while waiting) */
#define SYS_waitpid   11
#define SYS_getppid   12 /* long getppid(void): 0 when the kernel started it */
/* int kill(long pid, int sig): ends the process with status 128 + sig; -ESRCH, -EINVAL */
#define SYS_kill      13
#define SYS_yield     14 /* int yield(void): the CPU to the next runnable process */
/* int nanosleep(const struct timespec *req, struct timespec *rem): at least req;
 * -EINTR when killed meanwhile (rem, if not NULL, gets what was left), -EINVAL, -EFAULT */
#define SYS_nanosleep 15
/* long read(int fd, void *buf, size_t len): fd 0, the console, byte for byte as typed (no
 * echo, no line editing); blocks until one byte has come; -EBADF, -EFAULT, -EINTR */
#define SYS_read      16
/* int setpgid(long pid, long pgid): pid 0 the caller, pgid 0 the same as pid; -ESRCH, -EINVAL */
#define SYS_setpgid   17
/* int tcsetpgrp(int fd, long pgid): the console's foreground group, which Ctrl-C ends;
 * 0: none, and Ctrl-C is a byte (3) for read like any other; -EBADF, -ESRCH */
#define SYS_tcsetpgrp 18
/* long getprocs(struct procinfo *buf, long n): the live processes, at most n; their count */
#define SYS_getprocs  19
#define SYS_COUNT     20

/* kill's signals: each ends the process (no handlers). */
#define SIGINT  2
#define SIGKILL 9
#define SIGTERM 15
/* waitpid's options */
#define WNOHANG 1

#ifndef __ASSEMBLER__
#include <duet/types.h>

struct timespec {
    long tv_sec;
    long tv_nsec; /* 0 .. 999999999 */
};

#define PROCINFO_NAME_MAX 24
struct procinfo {
    int pid, ppid, pgid;
    char state; /* 'R' running or runnable, 'S' blocked, 'Z' ended, not waited for */
    char name[PROCINFO_NAME_MAX]; /* the program, NUL-terminated */
    u64 mapped_bytes;             /* user memory mapped now */
};
#endif

/* The largest -errno a system call returns. */
#define SYSCALL_MAX_ERRNO 4095

#endif
