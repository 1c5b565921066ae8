/*
 * The user library: what a Duet user program may call. The system-call
 * wrappers (user/lib/ulib.c over the per-arch stubs in
 * user/lib/arch/<arch>/syscall.S), formatted output to the console (the
 * kernel's own lib/printf.c, compiled into the library), the string
 * functions of lib/string.c, and strtol/atoi.
 *
 * Errors: there is no errno. A wrapper that can fail returns -errno
 * (include/duet/errno.h) as the kernel gave it, e.g. write() returns
 * -EFAULT for a bad buffer; check with `r < 0`.
 *
 * Entry: the kernel starts a program at _start (user/lib/arch/<arch>/start.S)
 * with argc and argv; _start calls main(argc, argv) and exit()s with what
 * main returns. docs/user-programs.md has the details.
 */
#ifndef ULIB_H
#define ULIB_H

#include <duet/compiler.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/printk.h> /* printf, snprintf, vprintf, vsnprintf */
#include <duet/string.h> /* memcpy, strlen, strcmp, ... */
#include <duet/syscall.h>
#include <duet/types.h>

int main(int argc, char **argv);

/* --- system calls ---------------------------------------------------------- */

/* Write len bytes of buf to fd 1 (stdout) or 2 (stderr). Returns the number
 * written, or -EBADF for another fd, -EFAULT when any byte of the buffer is
 * not readable user memory. Output buffered by printf is not flushed first:
 * mixing the two on one fd needs ulib_flush(). */
long write(int fd, const void *buf, size_t len);

/* End the program with status & 0xff, after flushing printf's buffer. */
__noreturn void exit(int status);

long getpid(void);
/* Nanoseconds since the kernel booted (its monotonic clock). */
long uptime(void);

/* Move the program break (the end of the heap) to addr; brk(NULL) asks
 * where it is. Returns the break after the call: addr on success, the
 * unchanged old break when the kernel refused (below the program's end,
 * beyond USER_HEAP_MAX, or out of memory). */
void *brk(void *addr);

/*
 * Anonymous memory, as in POSIX: mmap(NULL, len, PROT_READ | PROT_WRITE,
 * MAP_PRIVATE | MAP_ANONYMOUS, -1, 0). Its pages appear zeroed on first
 * touch. Returns the address, or -errno cast to a pointer: check with
 * MMAP_FAILED(p). Never writable and executable at once (-EINVAL).
 * MAP_SHARED instead of MAP_PRIVATE: the pages are made (zeroed) at once
 * and a child forked later shares them, so each sees what the other
 * writes; PROT_NONE is refused for it.
 */
#define PROT_NONE      0
#define PROT_READ      1
#define PROT_WRITE     2
#define PROT_EXEC      4
#define MAP_SHARED     0x01
#define MAP_PRIVATE    0x02
#define MAP_FIXED      0x10
#define MAP_ANONYMOUS  0x20
#define MMAP_FAILED(p) ((unsigned long)(p) >= (unsigned long)-SYSCALL_MAX_ERRNO)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long offset);
/* Unmap; a later touch faults. 0 or -errno. */
int munmap(void *addr, size_t len);
/* New permissions for mapped memory, at once. 0 or -errno. */
int mprotect(void *addr, size_t len, int prot);
/* vec[i] = 1 when page i of [addr, addr + len) is in memory now. 0 or -errno. */
int mincore(void *addr, size_t len, unsigned char *vec);

/* --- processes (include/duet/syscall.h has each call's errors) ---------------- */

/* A copy of the calling process: the child's pid in the parent, 0 in the
 * child, or -EAGAIN (too many processes) / -ENOMEM. printf's buffer is
 * flushed first, so the child does not print it again. */
long fork(void);
/* Replace the program with the kernel's program `name`, argv NULL-terminated
 * (argv[0] is the name the program sees). Returns only on error (-errno). */
long exec(const char *name, char *const argv[]);
/* Wait for a child to end (pid -1: any) and store its status (0..255, or
 * 128 + the signal that ended it) in *status if status is not NULL.
 * Returns its pid, 0 with WNOHANG when none has ended, or -ECHILD. */
long waitpid(long pid, int *status, int options);
long wait(int *status);
long getppid(void);
/* End process pid (SIGINT, SIGKILL or SIGTERM: no handlers, each ends it). */
int kill(long pid, int sig);
int yield(void);
int nanosleep(const struct timespec *req, struct timespec *rem);
int msleep(long ms);
/* Console input, fd 0: bytes as typed (no echo, no line editing); blocks
 * until at least one has come. */
long read(int fd, void *buf, size_t len);
/* Process groups: the console's foreground group is the one Ctrl-C ends;
 * tcsetpgrp(0, 0) makes Ctrl-C an ordinary byte (3) for read. */
int setpgid(long pid, long pgid);
int tcsetpgrp(int fd, long pgid);
/* The live processes, at most n of them into buf; returns how many there are. */
long getprocs(struct procinfo *buf, long n);

/* Grow (or shrink) the heap by increment bytes. Returns the old break,
 * that is the start of the new memory, or NULL when the kernel refused. */
void *sbrk(long increment);

/* --- output (to fd 1, line-buffered) --------------------------------------- */

/* s and a newline. Returns a non-negative number, or -errno. */
int puts(const char *s);
int putchar(int c);
/* Write out what printf has buffered; returns 0 or -errno. */
int ulib_flush(void);

/* --- numbers -------------------------------------------------------------- */

/* C's strtol: optional sign, base 0 (decimal, 0x hex, 0 octal) or 2..36;
 * *end (if end) points after the last digit used. Saturates at LONG_MIN /
 * LONG_MAX on overflow. */
long strtol(const char *s, char **end, int base);
int atoi(const char *s);

/* --- arch helpers for the fault programs (user/lib/arch/<arch>/) ---------- */

/* Execute one instruction that only the kernel may execute (x86_64 `hlt`,
 * AArch64 `mrs x0, sctlr_el1`). Returns only if the CPU allowed it. */
void arch_privileged_instruction(void);

/* Execute one floating-point instruction (x86_64 x87 `fld1`, AArch64
 * `fmov d0, xzr`). User programs have no FP/SIMD state (the kernel saves
 * none between processes): it ends the program, status 132. */
void arch_fp_instruction(void);

/* A function that just returns, and the address just past its code: the
 * fault programs copy these bytes to places that must not execute. */
void arch_return_only(void);
extern const char arch_return_only_end[];

/* write(1, msg, len) made with the flags a hostile program can set before
 * a system call (x86_64: DF, NT and AC; AArch64: N, Z, C and V); the
 * helper clears them again before it returns the kernel's result. */
long arch_write_with_odd_flags(const char *msg, unsigned long len);
/* Set those flags, then read address 0: the kernel must end the program
 * and go on with its own flags. */
void arch_fault_with_odd_flags(void);

#endif
