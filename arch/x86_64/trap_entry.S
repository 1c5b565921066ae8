/*
 * Exception entry stubs for vectors 0..31. The CPU pushes an error code
 * for some vectors only (SDM Vol. 3A 6.13); the others push a 0, so every
 * trap frame has the same shape (struct trap_frame in trap.h):
 *   r15 .. rax, vector, error code, rip, cs, rflags, rsp, ss
 */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)

    .text
    .macro trap_stub vector
    .balign 16
trap_stub_\vector:
    .if !HAS_ERROR_CODE(\vector)
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
    .endm

    .altmacro
    .set v, 0
    .rept 32
    trap_stub %v
    .set v, v + 1
    .endr

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    /* A frame record {rbp, rip} so backtraces continue into the faulting code. */
    pushq 17 * 8(%rsp)
    pushq %rbp
    movq %rsp, %rbp
    call x86_trap
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      /* vector and error code */
    iretq

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    .macro stub_address vector
    .quad trap_stub_\vector
    .endm
    .set v, 0
    .rept 32
    stub_address %v
    .set v, v + 1
    .endr
