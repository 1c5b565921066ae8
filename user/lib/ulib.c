/*
 * The user library's C half: system-call wrappers over the per-arch stubs
 * (user/lib/arch/<arch>/syscall.S) and the console buffer under printf.
 * lib/printf.c and lib/string.c, the kernel's own, are compiled into the
 * library beside this file; printf.c ends in console_putc(), defined here.
 */
#include <ulib.h>

/* The stubs: the kernel's result as is, -errno on failure. */
long sys_write(long fd, const void *buf, size_t len);
__noreturn void sys_exit(long status);
long sys_getpid(void);
long sys_brk(void *addr);
long sys_uptime(void);
long sys_mmap(void *addr, size_t len, long prot, long flags, long fd, long offset);
long sys_munmap(void *addr, size_t len);
long sys_mprotect(void *addr, size_t len, long prot);
long sys_mincore(void *addr, size_t len, unsigned char *vec);
long sys_fork(void);
long sys_exec(const char *name, char *const argv[]);
long sys_waitpid(long pid, int *status, long options);
long sys_getppid(void);
long sys_kill(long pid, long sig);
long sys_yield(void);
long sys_nanosleep(const struct timespec *req, struct timespec *rem);
long sys_read(long fd, void *buf, size_t len);
long sys_setpgid(long pid, long pgid);
long sys_tcsetpgrp(long fd, long pgid);
long sys_getprocs(struct procinfo *buf, long n);

long write(int fd, const void *buf, size_t len)
{
    return sys_write(fd, buf, len);
}

void exit(int status)
{
    ulib_flush();
    sys_exit(status & 0xff);
}

long getpid(void)
{
    return sys_getpid();
}

void *brk(void *addr)
{
    return (void *)sys_brk(addr);
}

long uptime(void)
{
    return sys_uptime();
}

long fork(void)
{
    /* Or the child would print what the parent had buffered, a second time. */
    ulib_flush();
    return sys_fork();
}

long exec(const char *name, char *const argv[])
{
    ulib_flush();
    return sys_exec(name, argv);
}

long waitpid(long pid, int *status, int options)
{
    return sys_waitpid(pid, status, options);
}

long wait(int *status)
{
    return sys_waitpid(-1, status, 0);
}

long getppid(void)
{
    return sys_getppid();
}

int kill(long pid, int sig)
{
    return (int)sys_kill(pid, sig);
}

int yield(void)
{
    return (int)sys_yield();
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)sys_nanosleep(req, rem);
}

int msleep(long ms)
{
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

    return nanosleep(&t, NULL);
}

long read(int fd, void *buf, size_t len)
{
    return sys_read(fd, buf, len);
}

int setpgid(long pid, long pgid)
{
    return (int)sys_setpgid(pid, pgid);
}

int tcsetpgrp(int fd, long pgid)
{
    return (int)sys_tcsetpgrp(fd, pgid);
}

long getprocs(struct procinfo *buf, long n)
{
    return sys_getprocs(buf, n);
}

void *sbrk(long increment)
{
    char *old = brk(NULL);

    if (increment && brk(old + increment) != old + increment)
        return NULL;
    return old;
}

/* --- printf's console: a line buffer written to fd 1 ----------------------- */

/*
 * One write() per line instead of one per character: a system call costs
 * far more than a byte. Flushing at every newline keeps the output in
 * order with what the kernel prints about the program, e.g. a fault
 * report right after "about to write to .text".
 */
static char out_buf[256];
static size_t out_len;

int ulib_flush(void)
{
    size_t done = 0;

    while (done < out_len) {
        long n = write(1, out_buf + done, out_len - done);
        if (n <= 0) {
            out_len = 0; /* drop it: retrying a bad write loops forever */
            return n < 0 ? (int)n : -EFAULT;
        }
        done += (size_t)n;
    }
    out_len = 0;
    return 0;
}

void console_putc(char c)
{
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == sizeof(out_buf))
        ulib_flush();
}

int putchar(int c)
{
    console_putc((char)c);
    return (unsigned char)c;
}

int puts(const char *s)
{
    while (*s)
        console_putc(*s++);
    console_putc('\n');
    return 0;
}

/* --- numbers -------------------------------------------------------------- */

long strtol(const char *s, char **end, int base)
{
    const char *p = s;
    bool negative = false, any = false, overflow = false;
    unsigned long v = 0;
    /* The magnitude a negative result may reach is one more than LONG_MAX. */
    unsigned long limit;

    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        if (end)
            *end = (char *)s;
        return 0;
    }
    limit = negative ? (unsigned long)__LONG_MAX__ + 1 : (unsigned long)__LONG_MAX__;
    for (; digit_value(*p) < base; p++) {
        unsigned long d = (unsigned long)digit_value(*p);
        any = true;
        if (overflow || v > (limit - d) / (unsigned long)base)
            overflow = true;
        else
            v = v * (unsigned long)base + d;
    }
    if (end)
        *end = (char *)(any ? p : s);
    if (overflow)
        v = limit;
    /* -(long)(LONG_MAX + 1) would overflow; 0 - v in unsigned does not. */
    return negative ? (long)(0UL - v) : (long)v;
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long offset)
{
    return (void *)sys_mmap(addr, len, prot, flags, fd, offset);
}

int munmap(void *addr, size_t len)
{
    return (int)sys_munmap(addr, len);
}

int mprotect(void *addr, size_t len, int prot)
{
    return (int)sys_mprotect(addr, len, prot);
}

int mincore(void *addr, size_t len, unsigned char *vec)
{
    return (int)sys_mincore(addr, len, vec);
}
