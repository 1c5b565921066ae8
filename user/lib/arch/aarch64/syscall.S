/*
 * AArch64 system-call stubs, ABI as in include/duet/syscall.h: number in
 * x8, arguments in x0..x5 (where a C call already put them), result in x0.
 * The C wrappers in user/lib/ulib.c call these.
 */
#include <duet/syscall.h>

.macro SYSCALL_STUB name, number
    .section .text.\name, "ax"
    .globl \name
    .type \name, %function
\name:
    mov x8, #\number
    svc #0
    ret
    .size \name, . - \name
.endm

#include "../../syscalls.inc"

    .section .note.GNU-stack, "", %progbits
