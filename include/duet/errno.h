/*
 * Error numbers, shared by the kernel and user programs. System calls
 * return -ERR_* on failure (Linux's convention: a negative small number is
 * an error, everything else a result). The values are Linux's, so a
 * student who knows errno(3) reads them without a table.
 */
#ifndef DUET_ERRNO_H
#define DUET_ERRNO_H

#define EPERM   1  /* not allowed */
#define ENOENT  2  /* no such program */
#define ESRCH   3  /* no such process */
#define EINTR   4  /* interrupted */
#define E2BIG   7  /* argument list too long */
#define ENOEXEC 8  /* not a valid ELF executable */
#define EBADF   9  /* bad file descriptor */
#define ECHILD  10 /* no child to wait for */
#define EAGAIN  11 /* try again: a limit was reached */
#define ENOMEM  12 /* out of memory */
#define EFAULT  14 /* bad address from user space */
#define EBUSY   16 /* already in use */
#define EEXIST  17 /* already mapped */
#define EINVAL  22 /* invalid argument */
#define ENOSYS  38 /* no such system call */

#ifndef __ASSEMBLY__
/* "-EFAULT" for -EFAULT, "0" for 0, NULL for anything else. */
const char *errno_name(long err);
#endif

#endif
