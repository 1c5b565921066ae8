/* The x86_64 trap frame, as trap_entry.S builds it on the stack. */
#ifndef X86_64_TRAP_H
#define X86_64_TRAP_H

/* Not an exception: the `vector` the syscall entry stores in its frame. */
#define X86_SYSCALL_VECTOR 256

#ifndef __ASSEMBLER__
#include <duet/types.h>

struct trap_frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error_code;
    u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
#endif

#endif
