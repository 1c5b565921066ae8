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

#define SYS_write    0 /* long write(int fd, const void *buf, size_t len): fd 1 or 2 */
#define SYS_exit     1 /* void exit(int status): status 0..255 */
#define SYS_getpid   2 /* long getpid(void) */
#define SYS_brk      3 /* void *brk(void *addr): addr 0 asks; returns the new break */
#define SYS_uptime   4 /* long uptime(void): nanoseconds since boot (the monotonic clock) */
/* void *mmap(void *addr, size_t len, int prot, int flags, int fd, long offset):
 * private anonymous memory (fd -1, offset 0); mm/aspace.h has the rules */
#define SYS_mmap     5
#define SYS_munmap   6 /* int munmap(void *addr, size_t len) */
#define SYS_mprotect 7 /* int mprotect(void *addr, size_t len, int prot) */
/* int mincore(void *addr, size_t len, unsigned char *vec): vec[i] = 1 when page i is in memory */
#define SYS_mincore  8
#define SYS_COUNT    9

/* The largest -errno a system call returns. */
#define SYSCALL_MAX_ERRNO 4095

#endif
