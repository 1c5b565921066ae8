/*
 * copy_from_user / copy_to_user (mm/uaccess.h): bytes move between the
 * kernel and a program only through the PMO, and only where the
 * program's own tables let the program itself make the access.
 */
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/string.h>
#include <mm/aspace.h>
#include <mm/pmo.h>
#include <mm/uaccess.h>

/*
 * The PMO address of the byte at user address va if the program itself may
 * read it (and write it, when `write`); NULL if not. The caller holds
 * as->lock: a translation holds only while nothing can change the tables.
 */
static __unused void *user_byte(struct aspace *as, vaddr_t va, bool write)
{
    /* LAB 5 BEGIN: user_byte */
    /* LAB 5 STUB: return NULL; */
    unsigned need = VM_USER | VM_READ | (write ? VM_WRITE : 0);
    struct vm_translation tr;

    if (vm_translate(&as->vm, va, &tr) == VM_OK && (tr.flags & need) == need)
        return phys_to_virt(tr.pa);
    return NULL;
    /* LAB 5 END */
}

/*
 * Copy n bytes that lie within one page between kbuf and user address va,
 * to the user when to_user; with kbuf NULL, only check the access. 0 when
 * the program may make the access (a heap page it has not touched yet
 * counts: aspace_fault maps it), -EFAULT when not.
 */
static __unused int copy_page(struct aspace *as, vaddr_t va, void *kbuf, size_t n, bool to_user)
{
    /* LAB 5 BEGIN: copy_page */
    /* LAB 5 STUB: return -ENOSYS; */
    for (int attempt = 0; attempt < 2; attempt++) {
        unsigned long flags = spin_lock_irqsave(&as->lock);
        void *p = user_byte(as, va, to_user);

        if (p && kbuf) {
            if (to_user)
                memcpy(p, kbuf, n);
            else
                memcpy(kbuf, p, n);
        }
        spin_unlock_irqrestore(&as->lock, flags);
        if (p)
            return 0;
        /* A heap page nobody has touched yet is mapped now, then retried. */
        if (attempt == 0 && aspace_fault(as, va, to_user ? FAULT_WRITE : FAULT_READ) != 0)
            break;
    }
    return -EFAULT;
    /* LAB 5 END */
}

static int copy_user(struct aspace *as, vaddr_t va, void *kbuf, size_t n, bool to_user)
{
    /* LAB 5 BEGIN: copy_user */
    /* LAB 5 STUB: return -ENOSYS; */
    if (va + n < va || va + n > USER_END)
        return -EFAULT;
    while (n) {
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        int err = copy_page(as, va, kbuf, chunk, to_user);

        if (err)
            return err;
        va += chunk;
        if (kbuf)
            kbuf = (char *)kbuf + chunk;
        n -= chunk;
    }
    return 0;
    /* LAB 5 END */
}

int user_range_check(struct aspace *as, vaddr_t va, size_t n, bool write)
{
    return copy_user(as, va, NULL, n, write);
}

int copy_from_user(struct aspace *as, void *dst, vaddr_t src, size_t n)
{
    return copy_user(as, src, dst, n, false);
}

int copy_to_user(struct aspace *as, vaddr_t dst, const void *src, size_t n)
{
    return copy_user(as, dst, (void *)src, n, true);
}
