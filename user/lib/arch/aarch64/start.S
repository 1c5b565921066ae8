/*
 * AArch64 program entry. The kernel jumps to _start (e_entry) at EL0 with
 * argc in x0 and argv in x1 (argv[argc] == NULL, the strings at the top
 * of the stack), sp 16-byte aligned, every other register zero.
 */
    .section .text.start, "ax"
    .globl _start
    .type _start, %function
_start:
    /* A zero frame record (fp, lr) ends a backtrace here. */
    mov x29, #0
    mov x30, #0
    /* sp must stay 16-byte aligned at EL0 (SCTLR_EL1.SA0 may check it). */
    mov x9, sp
    and x9, x9, #~15
    mov sp, x9
    bl main
    bl exit                         /* main's return value is already in x0 */
    brk #0                          /* exit does not return */
    .size _start, . - _start
