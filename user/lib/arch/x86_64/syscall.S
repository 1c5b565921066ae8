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

#include "../../syscalls.inc"

    .section .note.GNU-stack, "", @progbits
