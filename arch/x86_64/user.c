/*
 * User mode on x86_64: the `syscall` instruction's MSRs, the kernel stack
 * traps from ring 3 land on, and the routing of traps from ring 3 to the
 * generic code (include/duet/trap.h). Entering ring 3 and the syscall
 * entry are in trap_entry.S.
 */
#include <arch/layout.h>
#include <arch/x86.h>
#include <duet/arch.h>
#include "gdt.h"
#include "trap.h"
#include "x86_64.h"

/* SDM Vol. 4, "Model-Specific Registers", and Vol. 2B SYSCALL. */
#define MSR_STAR  0xc0000081 /* [47:32] kernel CS; [63:48] base of the user selectors */
#define MSR_LSTAR 0xc0000082 /* the syscall entry point */
#define MSR_FMASK 0xc0000084 /* RFLAGS bits syscall clears */
#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_NT (1u << 14) /* clear, or the kernel's own iretq raises #GP (SDM Vol. 2A, IRET) */
#define RFLAGS_AC (1u << 18) /* clear, or SMAP would let the kernel touch user pages */

extern char x86_syscall_entry[];
extern u64 x86_kernel_rsp;

void x86_user_init(void)
{
    /* SYSRET would load CS = STAR[63:48] + 16 and SS = + 8; gdt.h orders
     * the user selectors for that (user data 0x18, user code 0x20). */
    wrmsr(MSR_STAR, ((u64)(GDT_USER_DATA - 8) << 48) | ((u64)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (u64)(uintptr_t)x86_syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* Every entry from ring 3 saves exactly this much at the stack's top:
 * the CPU's five words (SDM Vol. 3A 6.14.2: RSP is aligned to 16 first,
 * which the top is), the stubs' vector and error code, 15 registers. */
_Static_assert(sizeof(struct trap_frame) == ARCH_USER_FRAME_SIZE, "trap frame size");

void arch_set_kernel_stack(uintptr_t top)
{
    gdt_set_kernel_stack(top);
    x86_kernel_rsp = top;
}

void arch_user_frame_fork(uintptr_t child_top, uintptr_t parent_top)
{
    struct trap_frame *child = (struct trap_frame *)(child_top - ARCH_USER_FRAME_SIZE);

    *child = *(const struct trap_frame *)(parent_top - ARCH_USER_FRAME_SIZE);
    child->rax = 0;
}

/* No user thread register to give: no program can set FS or GS's base
 * (no arch_prctl, CR4.FSGSBASE off), so every process's stay 0. */
void arch_context_fork(struct arch_context *child)
{
}
