/*
 * x86_64 system-call stubs, ABI as in include/duet/syscall.h: number in
 * rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax. Only the
 * fourth argument's register differs from a C call (rcx is where
 * `syscall` saves the return address), so each stub is three instructions.
 * The C wrappers in user/lib/ulib.c call these.
 */
#include <duet/syscall.h>

.macro SYSCALL_STUB name, number
    .section .text.\name, "ax"
    .globl \name
    .type \name, @function
\name:
    mov $\number, %eax
    mov %rcx, %r10
    syscall                         /* clobbers rcx and r11: caller-saved anyway */
    ret
    .size \name, . - \name
.endm

SYSCALL_STUB sys_write,  SYS_write
SYSCALL_STUB sys_exit,   SYS_exit
SYSCALL_STUB sys_getpid, SYS_getpid
SYSCALL_STUB sys_brk,    SYS_brk
SYSCALL_STUB sys_uptime, SYS_uptime
SYSCALL_STUB sys_mmap,   SYS_mmap
SYSCALL_STUB sys_munmap, SYS_munmap
SYSCALL_STUB sys_mprotect, SYS_mprotect
SYSCALL_STUB sys_mincore, SYS_mincore
SYSCALL_STUB sys_fork, SYS_fork
SYSCALL_STUB sys_exec, SYS_exec
SYSCALL_STUB sys_waitpid, SYS_waitpid
SYSCALL_STUB sys_getppid, SYS_getppid
SYSCALL_STUB sys_kill, SYS_kill
SYSCALL_STUB sys_yield, SYS_yield
SYSCALL_STUB sys_nanosleep, SYS_nanosleep
SYSCALL_STUB sys_read, SYS_read
SYSCALL_STUB sys_setpgid, SYS_setpgid
SYSCALL_STUB sys_tcsetpgrp, SYS_tcsetpgrp
SYSCALL_STUB sys_getprocs, SYS_getprocs

    .section .note.GNU-stack, "", @progbits
