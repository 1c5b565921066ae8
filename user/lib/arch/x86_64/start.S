/*
 * x86_64 program entry. The kernel jumps to _start (e_entry) with
 * argc in rdi and argv in rsi (argv[argc] == NULL, the strings at the top
 * of the stack), rsp 16-byte aligned, every other register zero.
 */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    /* rbp 0 ends a frame-pointer backtrace here. */
    xor %ebp, %ebp
    /* The System V ABI wants rsp 16-byte aligned at each call; the kernel
     * promises it, and this keeps a wrong promise from being a mystery. */
    and $-16, %rsp
    call main
    mov %eax, %edi
    call exit
    ud2                             /* exit does not return */
    .size _start, . - _start
