/*
 * The architecture contract: everything generic code asks of a machine.
 * Each arch implements these in arch/<arch>/; generic code includes only
 * this header and never tests which machine it runs on.
 */
#ifndef DUET_ARCH_H
#define DUET_ARCH_H

/*
 * arch_poweroff() hands QEMU QEMU_EXIT_STATUS_BIAS + status (x86_64 through
 * the isa-debug-exit device, AArch64 through semihosting SYS_EXIT), so that
 * QEMU's own exit codes (0: reset or plain poweroff, 1: QEMU error) never
 * look like a kernel status. tools/qemu.py decodes it.
 */
#define QEMU_EXIT_STATUS_BIAS 16

#ifndef __ASSEMBLER__

#include <duet/compiler.h>
#include <duet/types.h>

struct boot_info;

/* --- identity ------------------------------------------------------------ */
/* "x86_64" or "aarch64". */
const char *arch_name(void);
/* A one-line description of the CPU (vendor and model, or MIDR decoded). */
void arch_cpu_describe(char *buf, size_t size);

/* --- bring-up, in the order kmain calls them --------------------------------- */
/* Install exception vectors (x86_64: GDT, TSS, IDT; AArch64: VBAR_EL1). */
void arch_trap_init(void);
/* Unmap the identity map boot.S built for the switch to the higher half. */
void arch_remove_identity_map(void);

/* --- console ----------------------------------------------------------------- */
/* Write one byte to the serial console; waits while the UART is busy. */
void arch_console_putc(char c);
/* One byte from the serial console, or -1 when none is waiting. */
int arch_console_getc(void);
/*
 * The serial console's interrupt line, and its receive interrupt on or
 * off. Its handler (lib/console.c) drains arch_console_getc() until -1,
 * which is what quiets the UART's receive interrupt on both machines.
 */
unsigned arch_console_line(void);
void arch_console_rx_interrupts(bool on);

/* --- stopping ----------------------------------------------------------------- */
/*
 * End the run: QEMU exits and `make run` returns `status` (0 = success,
 * at most 100). See QEMU_EXIT_STATUS_BIAS above.
 */

__noreturn void arch_poweroff(int status);
/* Stop this CPU for good, interrupts off. */
__noreturn void arch_halt(void);
/* Tell the CPU we are spinning (pause / yield). */
void arch_cpu_relax(void);

/* --- time -------------------------------------------------------------------- */
/*
 * A counter that runs at a constant rate from reset and never goes back
 * (x86_64: the TSC; AArch64: the generic timer's virtual count,
 * CNTVCT_EL0, the one KVM and Apple's hypervisor give guests), and its
 * rate in Hz (x86_64: measured against the PIT at the first call; AArch64:
 * CNTFRQ_EL0). kernel/clock.c turns it into nanoseconds.
 */
u64 arch_counter(void);
u64 arch_counter_hz(void);

/* --- interrupts -------------------------------------------------------------- */
/* Mask interrupts and return the previous state, for arch_irq_restore(). */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
/* Let interrupts in on this CPU. */
void arch_irq_enable(void);
/*
 * Called and returning with interrupts masked: sleep until an interrupt is
 * pending, let it be taken, mask again. Without a lost wake-up: x86_64
 * `sti; hlt` (sti's one-instruction shadow keeps the interrupt until hlt
 * waits), AArch64 `wfi`, which wakes for a pending interrupt even while
 * masked, then unmask and mask.
 */
void arch_wait_for_interrupt(void);

/*
 * The interrupt controller, behind include/duet/irq.h. arch_irq_init finds
 * it (x86_64: the local APIC, x2APIC where CPUID offers it, and the I/O
 * APIC, the 8259 PICs masked; AArch64: the GIC, v2 or v3, the device tree
 * names) and brings it up with every line masked. Its interrupt entry
 * acknowledges, calls irq_handle(line) or irq_spurious(), and ends the
 * interrupt. Lines are the controller's own numbers (include/duet/irq.h).
 */
void arch_irq_init(void);
/* A short description for the log and `irqs`, e.g. "GICv3 at 0x8000000". */
const char *arch_irq_controller(void);
/* Lines are 0..arch_irq_lines()-1; 0 when there is no controller. */
unsigned arch_irq_lines(void);
void arch_irq_mask(unsigned line);
void arch_irq_unmask(unsigned line);
/*
 * For the irq test suite: a line no device drives, and a way to make a
 * line pending from software (AArch64: an SGI to this CPU, or a set-pending
 * write for other lines; x86_64: a self-IPI to the line's vector). The
 * interrupt then takes the same path as a device's.
 */
unsigned arch_irq_test_line(void);
void arch_irq_raise(unsigned line);

/* --- the timer --------------------------------------------------------------- */
/*
 * This CPU's timer (x86_64: the local APIC timer; AArch64: the generic
 * timer's virtual timer, CNTV) and its line. arch_timer_arm makes it
 * interrupt once, no sooner than `ns` nanoseconds from now, replacing any
 * earlier arming; arch_timer_disarm stops it. kernel/timer.c builds the
 * periodic tick on it.
 */
unsigned arch_timer_line(void);
void arch_timer_arm(u64 ns);
void arch_timer_disarm(void);

/* --- user mode ----------------------------------------------------------------- */
/*
 * Where a user program starts: its entry point, its stack pointer and the
 * first two argument registers (argc and argv; x86_64 rdi and rsi, AArch64
 * x0 and x1). Every other register starts at zero.
 */
struct user_entry {
    uintptr_t pc, sp;
    uintptr_t arg0, arg1;
};
/*
 * A thread that runs a user program keeps the program's registers in a
 * trap frame of ARCH_USER_FRAME_SIZE bytes (arch/layout.h) at the very top
 * of its kernel stack: every entry from user mode (a system call, a fault,
 * an interrupt) saves them there, and the return to user mode restores
 * them from there. So the frame of a thread in a system call is found
 * from its stack's top alone, and fork can copy it.
 *
 * arch_user_enter: drop to user mode (x86_64 ring 3, AArch64 EL0) at `e`
 * in the address space switched to last, on the kernel stack that ends at
 * kstack_top, abandoning whatever the caller had on it (exec does so from
 * deep in a system call). Interrupts are let in while the program runs.
 */
__noreturn void arch_user_enter(uintptr_t kstack_top, const struct user_entry *e);
/* Return to user mode with the frame at the top of the stack that ends at
 * kstack_top, as it is: a forked child's first return. */
__noreturn void arch_user_resume(uintptr_t kstack_top);
/* Copy the user frame of the stack ending at parent_top to the top of the
 * one ending at child_top, with the system call's result register 0
 * there: fork's child sees 0 where its parent sees the child's pid. */
void arch_user_frame_fork(uintptr_t child_top, uintptr_t parent_top);
struct arch_context;
/* Give the thread `child`, just made by arch_context_init for a fork's
 * child, the running thread's user thread register as its own, as fork
 * gives it every other user register (AArch64 TPIDR_EL0, kept in the
 * switch frame; x86_64 keeps none: the kernel lets no program set FS or
 * GS's base). */
void arch_context_fork(struct arch_context *child);
/* The scheduler calls this for every thread it switches to: where entries
 * from user mode find their stack (x86_64: TSS.rsp0 and the `syscall`
 * entry's stack; AArch64 has nothing to do: SP_EL1 is the thread's own). */
void arch_set_kernel_stack(uintptr_t kstack_top);

/* --- kernel threads: the context switch ----------------------------------- */
/*
 * A thread's saved context is its stack pointer: arch_context_switch
 * pushes the registers a call preserves (x86_64 rbx, rbp, r12-r15 and the
 * return address; AArch64 x19-x28, x29, x30) on the running stack, stores
 * SP in from->sp, loads to->sp and pops the same registers from there, so
 * it returns into whatever `to` was doing when it last switched away.
 * Nothing else is saved: the caller-saved registers are dead across the
 * call by the ABI, and the kernel has no FP/SIMD state (it is built with
 * -mgeneral-regs-only). The interrupt mask is not switched either: every
 * switch happens with interrupts masked, under the scheduler's lock
 * (kernel/sched.c), and each thread unmasks them as its own code says.
 * docs/processes.md draws both frames.
 */
struct arch_context {
    uintptr_t sp;
};
void arch_context_switch(struct arch_context *from, struct arch_context *to);
/*
 * Make `ctx` start a thread: the first switch to it calls entry(arg) on
 * the stack that ends at stack_top (16-byte aligned), in a frame whose
 * saved frame pointer is 0, so a backtrace stops there. entry must not
 * return.
 */
void arch_context_init(struct arch_context *ctx, uintptr_t stack_top, void (*entry)(void *arg),
                       void *arg);
/*
 * For the sched suite: load a known value into every register a call
 * preserves, call fn(), and return a bit per register that no longer held
 * its value afterwards (0: all survived; the order is the arch's,
 * arch/<arch>/switch.S). The caller's own values are restored either way.
 */
u64 arch_callee_saved_check(void (*fn)(void));

/* --- setjmp/longjmp for the kernel ------------------------------------------ */
/*
 * arch_setjmp saves the callee-saved registers, the stack pointer and the
 * return address and returns 0; arch_longjmp(b, v) returns from that
 * arch_setjmp again, with v (nonzero). The frame that called arch_setjmp
 * must still be live. Used to abandon code that faulted (lib/fault.c) and
 * to come back from a user program (kernel/proc.c).
 */
struct arch_jmp_buf {
    u64 regs[14];
};
int arch_setjmp(struct arch_jmp_buf *b) __returns_twice;
__noreturn void arch_longjmp(struct arch_jmp_buf *b, int value);

/* --- deliberate faults, for crash= and the fault tests -------------------- */
/* Execute an instruction the CPU does not define (x86 ud2, AArch64 udf). */
void arch_execute_undefined(void);

#endif /* !__ASSEMBLER__ */
#endif
