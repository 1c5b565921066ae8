/*
 * Traps. A system call goes to the generic table; an exception in a user
 * program to the generic user-fault policy. An exception in the kernel is
 * a bug, unless a test expects it: print what happened, where, the
 * registers and a backtrace, then power off with a failure status or go
 * back to the test (include/duet/fault.h has the shared shape).
 */
#include <duet/fault.h>
#include <duet/irq.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/trap.h>
#include <arch/x86.h>
#include "apic.h"
#include "trap.h"

#define VECTOR_PAGE_FAULT   14
#define VECTOR_DOUBLE_FAULT 8

/* Names and mnemonics from SDM Vol. 3A, table 6-1. */
static const char *const exception_names[32] = {
    [0] = "Divide error (#DE)",
    [1] = "Debug (#DB)",
    [2] = "Non-maskable interrupt (NMI)",
    [3] = "Breakpoint (#BP)",
    [4] = "Overflow (#OF)",
    [5] = "BOUND range exceeded (#BR)",
    [6] = "Invalid opcode (#UD)",
    [7] = "Device not available (#NM)",
    [8] = "Double fault (#DF)",
    [9] = "Coprocessor segment overrun",
    [10] = "Invalid TSS (#TS)",
    [11] = "Segment not present (#NP)",
    [12] = "Stack-segment fault (#SS)",
    [13] = "General protection (#GP)",
    [14] = "Page fault (#PF)",
    [15] = "Reserved vector 15",
    [16] = "x87 floating-point error (#MF)",
    [17] = "Alignment check (#AC)",
    [18] = "Machine check (#MC)",
    [19] = "SIMD floating-point (#XM)",
    [20] = "Virtualization exception (#VE)",
    [21] = "Control protection (#CP)",
    [28] = "Hypervisor injection",
    [29] = "VMM communication (#VC)",
    [30] = "Security exception (#SX)",
};

/* Page-fault error code bits (SDM Vol. 3A 4.7). */
#define PF_PRESENT (1 << 0)
#define PF_WRITE   (1 << 1)
#define PF_USER    (1 << 2)
#define PF_RSVD    (1 << 3)
#define PF_FETCH   (1 << 4)

static void print_page_fault(u64 error, u64 cr2)
{
    const char *access = (error & PF_FETCH) ? "execute" : (error & PF_WRITE) ? "write" : "read";
    struct fault_stack stack;

    printf("  CR2 0x%016lx: %s %s, %s%s\n", (unsigned long)cr2,
           (error & PF_USER) ? "user" : "kernel", access,
           (error & PF_PRESENT) ? "protection violation on a present page" : "page not present",
           (error & PF_RSVD) ? ", reserved bit set in a paging entry" : "");
    if (fault_find_stack(cr2, &stack) && stack.in_guard)
        printf("  (CR2 is in the guard below %s)\n", stack.name);
}

static void print_registers(const struct trap_frame *f)
{
    printf("  RIP 0x%016lx  RSP 0x%016lx  RFLAGS 0x%lx  CS 0x%lx  SS 0x%lx\n",
           (unsigned long)f->rip, (unsigned long)f->rsp, (unsigned long)f->rflags,
           (unsigned long)f->cs, (unsigned long)f->ss);
    printf("  RAX 0x%016lx  RBX 0x%016lx  RCX 0x%016lx\n", (unsigned long)f->rax,
           (unsigned long)f->rbx, (unsigned long)f->rcx);
    printf("  RDX 0x%016lx  RSI 0x%016lx  RDI 0x%016lx\n", (unsigned long)f->rdx,
           (unsigned long)f->rsi, (unsigned long)f->rdi);
    printf("  RBP 0x%016lx  R8  0x%016lx  R9  0x%016lx\n", (unsigned long)f->rbp,
           (unsigned long)f->r8, (unsigned long)f->r9);
    printf("  R10 0x%016lx  R11 0x%016lx  R12 0x%016lx\n", (unsigned long)f->r10,
           (unsigned long)f->r11, (unsigned long)f->r12);
    printf("  R13 0x%016lx  R14 0x%016lx  R15 0x%016lx\n", (unsigned long)f->r13,
           (unsigned long)f->r14, (unsigned long)f->r15);
    printf("  CR3 0x%016lx\n", (unsigned long)read_cr3());
}

void x86_trap(struct trap_frame *f);

/* The exception in generic terms, for fault_report_end(). */
static struct fault_info decode_fault(const struct trap_frame *f, const char *name)
{
    struct fault_info info = {
        .what = name,
        .pc = f->rip,
        .sp = f->rsp,
        .user = (f->cs & 3) != 0,
    };

    if (f->vector == VECTOR_PAGE_FAULT) {
        info.memory = true;
        info.addr = read_cr2();
        info.access = (f->error_code & PF_FETCH)   ? FAULT_EXEC
                      : (f->error_code & PF_WRITE) ? FAULT_WRITE
                                                   : FAULT_READ;
        info.protection = (f->error_code & PF_PRESENT) != 0;
    }
    return info;
}

/* Flags the entry code must have cleared (trap_entry.S, trap_common). */
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_AC (1ul << 18)

void x86_trap(struct trap_frame *f)
{
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector]
                                                                    : "Reserved exception";
    struct fault_info info;
    u64 flags;

    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(flags));
    if (flags & (RFLAGS_DF | RFLAGS_AC))
        panic("x86_trap: entered with RFLAGS 0x%lx: DF or AC left as the interrupted code set "
              "them",
              (unsigned long)flags);

    if (f->vector >= IRQ_VECTOR_BASE && f->vector < X86_SYSCALL_VECTOR) {
        x86_interrupt(f->vector);
        irq_exit((f->cs & 3) == 3); /* from ring 3: CS's requested privilege level */
        return;
    }
    if (f->vector == X86_SYSCALL_VECTOR) {
        const u64 args[6] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };
        f->rax = (u64)syscall_dispatch(f->rax, args);
        return;
    }
    info = decode_fault(f, name);
    if (info.user) {
        user_fault(&info); /* returns only to retry the access */
        return;
    }

    fault_report_begin("%s, vector %lu", name, (unsigned long)f->vector);
    printf("  error code 0x%lx\n", (unsigned long)f->error_code);
    if (f->vector == VECTOR_PAGE_FAULT)
        print_page_fault(f->error_code, read_cr2());
    if (f->vector == VECTOR_DOUBLE_FAULT)
        printf("  (a fault while delivering another fault; handled on the IST stack)\n");
    print_registers(f);
    fault_report_end(&info, f->rbp, f->rsp);
}
