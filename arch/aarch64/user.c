/*
 * User mode on AArch64: the trap frame a forked child starts from.
 * Entering EL0 and the vectors are in vectors.S.
 */
#include <arch/layout.h>
#include <duet/arch.h>
#include "trap.h"

_Static_assert(sizeof(struct trap_frame) == ARCH_USER_FRAME_SIZE, "trap frame size");

/* Nothing to do: an exception from EL0 uses SP_EL1, which each thread
 * leaves at its own stack's top when it returns to EL0 (vectors.S). */
void arch_set_kernel_stack(uintptr_t kstack_top)
{
}

void arch_user_frame_fork(uintptr_t child_top, uintptr_t parent_top)
{
    struct trap_frame *child = (struct trap_frame *)(child_top - ARCH_USER_FRAME_SIZE);

    *child = *(const struct trap_frame *)(parent_top - ARCH_USER_FRAME_SIZE);
    child->x[0] = 0;
}
