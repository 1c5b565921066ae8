/*
 * Moving bytes between the kernel and a user address space (xv6's
 * copyin/copyout). Every user pointer a system call gets goes through
 * these: the range must lie in user space, every page must be mapped
 * with user permission (and write permission to copy into it), or be a
 * heap page not touched yet. Otherwise the result is -EFAULT: the kernel
 * never faults on a bad user pointer.
 *
 * The bytes travel through the PMO: the user page's physical address
 * comes from the address space's own tables, so the user mapping is never
 * dereferenced by the kernel, and SMAP/PAN can stay on all the time.
 */
#ifndef MM_UACCESS_H
#define MM_UACCESS_H

#include <duet/types.h>

struct aspace;

/*
 * 0 when every byte of [va, va + n) may be read (or written) by the
 * program, mapping heap pages not touched yet; -EFAULT otherwise. For a
 * system call that must refuse a bad buffer before doing anything.
 */
int user_range_check(struct aspace *as, vaddr_t va, size_t n, bool write);
/*
 * 0, or -EFAULT with some of dst possibly written when a page inside the
 * range is refused. A range that wraps past 2^64 or ends above USER_END
 * is refused at once: nothing copied, no heap page mapped.
 */
int copy_from_user(struct aspace *as, void *dst, vaddr_t src, size_t n);
int copy_to_user(struct aspace *as, vaddr_t dst, const void *src, size_t n);

#endif
