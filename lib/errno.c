/*
 * Error numbers by name (duet/errno.h), for messages a student reads:
 * "-EFAULT" says what -14 does not.
 */
#include <duet/errno.h>
#include <duet/types.h>

const char *errno_name(long err)
{
    switch (err) {
    case 0: return "0";
    case -EPERM: return "-EPERM";
    case -ENOENT: return "-ENOENT";
    case -ESRCH: return "-ESRCH";
    case -EINTR: return "-EINTR";
    case -E2BIG: return "-E2BIG";
    case -ENOEXEC: return "-ENOEXEC";
    case -EBADF: return "-EBADF";
    case -ECHILD: return "-ECHILD";
    case -EAGAIN: return "-EAGAIN";
    case -ENOMEM: return "-ENOMEM";
    case -EFAULT: return "-EFAULT";
    case -EBUSY: return "-EBUSY";
    case -EEXIST: return "-EEXIST";
    case -EINVAL: return "-EINVAL";
    case -ENOSYS: return "-ENOSYS";
    default: return NULL;
    }
}
